// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright © 2006-2009, Intel Corporation.
 *
 * Author: Anil S Keshavamurthy <anil.s.keshavamurthy@intel.com>
 */

#include <kunit/visibility.h>
#include <linux/iova.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/smp.h>
#include <linux/bitops.h>
#include <linux/cpu.h>

/* The anchor node sits above the top of the usable address space */
#define IOVA_ANCHOR	~0UL

#define IOVA_RANGE_CACHE_MAX_SIZE 6	/* log of max cached IOVA range size (in pages) */

static bool iova_rcache_insert(struct iova_domain *iovad,
			       unsigned long pfn,
			       unsigned long size);
static unsigned long iova_rcache_get(struct iova_domain *iovad,
				     unsigned long size,
				     unsigned long limit_pfn);
static void free_cpu_cached_iovas(unsigned int cpu, struct iova_domain *iovad);
static void free_iova_rcaches(struct iova_domain *iovad);

unsigned long iova_rcache_range(void)
{
	return PAGE_SIZE << (IOVA_RANGE_CACHE_MAX_SIZE - 1);
}

static int iova_cpuhp_dead(unsigned int cpu, struct hlist_node *node)
{
	struct iova_domain *iovad;

	iovad = hlist_entry_safe(node, struct iova_domain, cpuhp_dead);

	free_cpu_cached_iovas(cpu, iovad);
	return 0;
}

static void free_global_cached_iovas(struct iova_domain *iovad);

static struct iova *to_iova(struct rb_node *node)
{
	return rb_entry(node, struct iova, node);
}

void
init_iova_domain(struct iova_domain *iovad, unsigned long granule,
	unsigned long start_pfn)
{
	/*
	 * IOVA granularity will normally be equal to the smallest
	 * supported IOMMU page size; both *must* be capable of
	 * representing individual CPU pages exactly.
	 */
	BUG_ON((granule > PAGE_SIZE) || !is_power_of_2(granule));

	spin_lock_init(&iovad->iova_rbtree_lock);
	iovad->lazy = NULL;
	iovad->rbroot = RB_ROOT;
	iovad->cached_node = &iovad->anchor.node;
	iovad->cached32_node = &iovad->anchor.node;
	iovad->granule = granule;
	iovad->start_pfn = start_pfn;
	iovad->dma_32bit_pfn = 1UL << (32 - iova_shift(iovad));
	iovad->max32_alloc_size = iovad->dma_32bit_pfn;
	iovad->anchor.pfn_lo = iovad->anchor.pfn_hi = IOVA_ANCHOR;
	rb_link_node(&iovad->anchor.node, NULL, &iovad->rbroot.rb_node);
	rb_insert_color(&iovad->anchor.node, &iovad->rbroot);
}
EXPORT_SYMBOL_GPL(init_iova_domain);

static struct rb_node *
__get_cached_rbnode(struct iova_domain *iovad, unsigned long limit_pfn)
{
	if (limit_pfn <= iovad->dma_32bit_pfn)
		return iovad->cached32_node;

	return iovad->cached_node;
}

static void
__cached_rbnode_insert_update(struct iova_domain *iovad, struct iova *new)
{
	if (new->pfn_hi < iovad->dma_32bit_pfn)
		iovad->cached32_node = &new->node;
	else
		iovad->cached_node = &new->node;
}

static void
__cached_rbnode_delete_update(struct iova_domain *iovad, struct iova *free)
{
	struct iova *cached_iova;

	cached_iova = to_iova(iovad->cached32_node);
	if (free == cached_iova ||
	    (free->pfn_hi < iovad->dma_32bit_pfn &&
	     free->pfn_lo >= cached_iova->pfn_lo))
		iovad->cached32_node = rb_next(&free->node);

	if (free->pfn_lo < iovad->dma_32bit_pfn)
		iovad->max32_alloc_size = iovad->dma_32bit_pfn;

	cached_iova = to_iova(iovad->cached_node);
	if (free->pfn_lo >= cached_iova->pfn_lo)
		iovad->cached_node = rb_next(&free->node);
}

static struct rb_node *iova_find_limit(struct iova_domain *iovad, unsigned long limit_pfn)
{
	struct rb_node *node, *next;
	/*
	 * Ideally what we'd like to judge here is whether limit_pfn is close
	 * enough to the highest-allocated IOVA that starting the allocation
	 * walk from the anchor node will be quicker than this initial work to
	 * find an exact starting point (especially if that ends up being the
	 * anchor node anyway). This is an incredibly crude approximation which
	 * only really helps the most likely case, but is at least trivially easy.
	 */
	if (limit_pfn > iovad->dma_32bit_pfn)
		return &iovad->anchor.node;

	node = iovad->rbroot.rb_node;
	while (to_iova(node)->pfn_hi < limit_pfn)
		node = node->rb_right;

search_left:
	while (node->rb_left && to_iova(node->rb_left)->pfn_lo >= limit_pfn)
		node = node->rb_left;

	if (!node->rb_left)
		return node;

	next = node->rb_left;
	while (next->rb_right) {
		next = next->rb_right;
		if (to_iova(next)->pfn_lo >= limit_pfn) {
			node = next;
			goto search_left;
		}
	}

	return node;
}

/* Insert the iova into domain rbtree by holding writer lock */
static void
iova_insert_rbtree(struct rb_root *root, struct iova *iova,
		   struct rb_node *start)
{
	struct rb_node **new, *parent = NULL;

	new = (start) ? &start : &(root->rb_node);
	/* Figure out where to put new node */
	while (*new) {
		struct iova *this = to_iova(*new);

		parent = *new;

		if (iova->pfn_lo < this->pfn_lo)
			new = &((*new)->rb_left);
		else if (iova->pfn_lo > this->pfn_lo)
			new = &((*new)->rb_right);
		else {
			WARN_ON(1); /* this should not happen */
			return;
		}
	}
	/* Add new node and rebalance tree. */
	rb_link_node(&iova->node, parent, new);
	rb_insert_color(&iova->node, root);
}

static int __alloc_and_insert_iova_range(struct iova_domain *iovad,
		unsigned long size, unsigned long limit_pfn,
			struct iova *new, bool size_aligned)
{
	struct rb_node *curr, *prev;
	struct iova *curr_iova;
	unsigned long flags;
	unsigned long new_pfn, retry_pfn;
	unsigned long align_mask = ~0UL;
	unsigned long high_pfn = limit_pfn, low_pfn = iovad->start_pfn;

	if (size_aligned)
		align_mask <<= fls_long(size - 1);

	/* Walk the tree backwards */
	spin_lock_irqsave(&iovad->iova_rbtree_lock, flags);
	if (limit_pfn <= iovad->dma_32bit_pfn &&
			size >= iovad->max32_alloc_size)
		goto iova32_full;

	curr = __get_cached_rbnode(iovad, limit_pfn);
	curr_iova = to_iova(curr);
	retry_pfn = curr_iova->pfn_hi;

retry:
	do {
		high_pfn = min(high_pfn, curr_iova->pfn_lo);
		new_pfn = (high_pfn - size) & align_mask;
		prev = curr;
		curr = rb_prev(curr);
		curr_iova = to_iova(curr);
	} while (curr && new_pfn <= curr_iova->pfn_hi && new_pfn >= low_pfn);

	if (high_pfn < size || new_pfn < low_pfn) {
		if (low_pfn == iovad->start_pfn && retry_pfn < limit_pfn) {
			high_pfn = limit_pfn;
			low_pfn = retry_pfn + 1;
			curr = iova_find_limit(iovad, limit_pfn);
			curr_iova = to_iova(curr);
			goto retry;
		}
		iovad->max32_alloc_size = size;
		goto iova32_full;
	}

	/* pfn_lo will point to size aligned address if size_aligned is set */
	new->pfn_lo = new_pfn;
	new->pfn_hi = new->pfn_lo + size - 1;

	/* If we have 'prev', it's a valid place to start the insertion. */
	iova_insert_rbtree(&iovad->rbroot, new, prev);
	__cached_rbnode_insert_update(iovad, new);

	spin_unlock_irqrestore(&iovad->iova_rbtree_lock, flags);
	return 0;

iova32_full:
	spin_unlock_irqrestore(&iovad->iova_rbtree_lock, flags);
	return -ENOMEM;
}

static struct kmem_cache *iova_cache;
static unsigned int iova_cache_users;
static DEFINE_MUTEX(iova_cache_mutex);

static struct iova *alloc_iova_mem(void)
{
	return kmem_cache_zalloc(iova_cache, GFP_ATOMIC | __GFP_NOWARN);
}

static void free_iova_mem(struct iova *iova)
{
	if (iova->pfn_lo != IOVA_ANCHOR)
		kmem_cache_free(iova_cache, iova);
}

int iova_cache_get(void)
{
	mutex_lock(&iova_cache_mutex);
	if (!iova_cache_users) {
		int ret;

		ret = cpuhp_setup_state_multi(CPUHP_IOMMU_IOVA_DEAD, "iommu/iova:dead", NULL,
					iova_cpuhp_dead);
		if (ret) {
			mutex_unlock(&iova_cache_mutex);
			pr_err("Couldn't register cpuhp handler\n");
			return ret;
		}

		iova_cache = kmem_cache_create(
			"iommu_iova", sizeof(struct iova), 0,
			SLAB_HWCACHE_ALIGN, NULL);
		if (!iova_cache) {
			cpuhp_remove_multi_state(CPUHP_IOMMU_IOVA_DEAD);
			mutex_unlock(&iova_cache_mutex);
			pr_err("Couldn't create iova cache\n");
			return -ENOMEM;
		}
	}

	iova_cache_users++;
	mutex_unlock(&iova_cache_mutex);

	return 0;
}
EXPORT_SYMBOL_GPL(iova_cache_get);

void iova_cache_put(void)
{
	mutex_lock(&iova_cache_mutex);
	if (WARN_ON(!iova_cache_users)) {
		mutex_unlock(&iova_cache_mutex);
		return;
	}
	iova_cache_users--;
	if (!iova_cache_users) {
		cpuhp_remove_multi_state(CPUHP_IOMMU_IOVA_DEAD);
		kmem_cache_destroy(iova_cache);
	}
	mutex_unlock(&iova_cache_mutex);
}
EXPORT_SYMBOL_GPL(iova_cache_put);

/**
 * alloc_iova - allocates an iova
 * @iovad: - iova domain in question
 * @size: - size of page frames to allocate
 * @limit_pfn: - max limit address
 * @size_aligned: - set if size_aligned address range is required
 * This function allocates an iova in the range iovad->start_pfn to limit_pfn,
 * searching top-down from limit_pfn to iovad->start_pfn. If the size_aligned
 * flag is set then the allocated address iova->pfn_lo will be naturally
 * aligned on roundup_power_of_two(size).
 */
struct iova *
alloc_iova(struct iova_domain *iovad, unsigned long size,
	unsigned long limit_pfn,
	bool size_aligned)
{
	struct iova *new_iova;
	int ret;

	new_iova = alloc_iova_mem();
	if (!new_iova)
		return NULL;

	ret = __alloc_and_insert_iova_range(iovad, size, limit_pfn + 1,
			new_iova, size_aligned);

	if (ret) {
		free_iova_mem(new_iova);
		return NULL;
	}

	return new_iova;
}
EXPORT_SYMBOL_GPL(alloc_iova);

static struct iova *
private_find_iova(struct iova_domain *iovad, unsigned long pfn)
{
	struct rb_node *node = iovad->rbroot.rb_node;

	assert_spin_locked(&iovad->iova_rbtree_lock);

	while (node) {
		struct iova *iova = to_iova(node);

		if (pfn < iova->pfn_lo)
			node = node->rb_left;
		else if (pfn > iova->pfn_hi)
			node = node->rb_right;
		else
			return iova;	/* pfn falls within iova's range */
	}

	return NULL;
}

static void remove_iova(struct iova_domain *iovad, struct iova *iova)
{
	assert_spin_locked(&iovad->iova_rbtree_lock);
	__cached_rbnode_delete_update(iovad, iova);
	rb_erase(&iova->node, &iovad->rbroot);
}

/**
 * find_iova - finds an iova for a given pfn
 * @iovad: - iova domain in question.
 * @pfn: - page frame number
 * This function finds and returns an iova belonging to the
 * given domain which matches the given pfn.
 */
struct iova *find_iova(struct iova_domain *iovad, unsigned long pfn)
{
	unsigned long flags;
	struct iova *iova;

	/* Take the lock so that no other thread is manipulating the rbtree */
	spin_lock_irqsave(&iovad->iova_rbtree_lock, flags);
	iova = private_find_iova(iovad, pfn);
	spin_unlock_irqrestore(&iovad->iova_rbtree_lock, flags);
	return iova;
}
EXPORT_SYMBOL_GPL(find_iova);

/**
 * __free_iova - frees the given iova
 * @iovad: iova domain in question.
 * @iova: iova in question.
 * Frees the given iova belonging to the giving domain
 */
void
__free_iova(struct iova_domain *iovad, struct iova *iova)
{
	unsigned long flags;

	spin_lock_irqsave(&iovad->iova_rbtree_lock, flags);
	remove_iova(iovad, iova);
	spin_unlock_irqrestore(&iovad->iova_rbtree_lock, flags);
	free_iova_mem(iova);
}
EXPORT_SYMBOL_GPL(__free_iova);

/**
 * free_iova - finds and frees the iova for a given pfn
 * @iovad: - iova domain in question.
 * @pfn: - pfn that is allocated previously
 * This functions finds an iova for a given pfn and then
 * frees the iova from that domain.
 */
void
free_iova(struct iova_domain *iovad, unsigned long pfn)
{
	unsigned long flags;
	struct iova *iova;

	spin_lock_irqsave(&iovad->iova_rbtree_lock, flags);
	iova = private_find_iova(iovad, pfn);
	if (!iova) {
		spin_unlock_irqrestore(&iovad->iova_rbtree_lock, flags);
		return;
	}
	remove_iova(iovad, iova);
	spin_unlock_irqrestore(&iovad->iova_rbtree_lock, flags);
	free_iova_mem(iova);
}
EXPORT_SYMBOL_GPL(free_iova);

/**
 * alloc_iova_fast - allocates an iova from rcache
 * @iovad: - iova domain in question
 * @size: - size of page frames to allocate
 * @limit_pfn: - max limit address
 * @flush_rcache: - set to flush rcache on regular allocation failure
 * This function tries to satisfy an iova allocation from the rcache,
 * and falls back to regular allocation on failure. If regular allocation
 * fails too and the flush_rcache flag is set then the rcache will be flushed.
*/
unsigned long
alloc_iova_fast(struct iova_domain *iovad, unsigned long size,
		unsigned long limit_pfn, bool flush_rcache)
{
	unsigned long iova_pfn;
	struct iova *new_iova;

	/*
	 * Freeing non-power-of-two-sized allocations back into the IOVA caches
	 * will come back to bite us badly, so we have to waste a bit of space
	 * rounding up anything cacheable to make sure that can't happen. The
	 * order of the unadjusted size will still match upon freeing.
	 */
	if (size < (1 << (IOVA_RANGE_CACHE_MAX_SIZE - 1)))
		size = roundup_pow_of_two(size);

	iova_pfn = iova_rcache_get(iovad, size, limit_pfn + 1);
	if (iova_pfn)
		return iova_pfn;

retry:
	new_iova = alloc_iova(iovad, size, limit_pfn, true);
	if (!new_iova) {
		unsigned int cpu;

		if (!flush_rcache)
			return 0;

		/* Try replenishing IOVAs by flushing rcache. */
		flush_rcache = false;
		for_each_online_cpu(cpu)
			free_cpu_cached_iovas(cpu, iovad);
		free_global_cached_iovas(iovad);
		goto retry;
	}

	return new_iova->pfn_lo;
}
EXPORT_SYMBOL_GPL(alloc_iova_fast);

/**
 * free_iova_fast - free iova pfn range into rcache
 * @iovad: - iova domain in question.
 * @pfn: - pfn that is allocated previously
 * @size: - # of pages in range
 * This functions frees an iova range by trying to put it into the rcache,
 * falling back to regular iova deallocation via free_iova() if this fails.
 */
void
free_iova_fast(struct iova_domain *iovad, unsigned long pfn, unsigned long size)
{
	if (iova_rcache_insert(iovad, pfn, size))
		return;

	free_iova(iovad, pfn);
}
EXPORT_SYMBOL_GPL(free_iova_fast);

/*
 * Lazy flush: an IOVA freed with free_iova_lazy() is not handed out again
 * until an IOTLB flush has followed its unmap.  The domain keeps two bitmaps
 * of one bit per page of its aperture, as the s390 DMA code did: a page is
 * free (map 0, dirty 0), allocated (1, 0) or freed since the last flush
 * (1, 1).  Allocation is next fit from a cursor; when it reaches the end of
 * the aperture, one call of the flush callback makes the IOMMU forget every
 * translation unmapped so far, and every freed page becomes free again.
 *
 * That hand-back is incremental, so that no lock is held for a walk of
 * the whole aperture: a flush only moves the sweep point back to the
 * bottom.  Below it the bitmaps are as above; from it on they still
 * describe the time before the flush, and the searches that reach a chunk
 * of IOVA_LAZY_CHUNK_PAGES there catch it up first: (1, 1) becomes free,
 * and a page freed after the flush, which a free there marks (0, 1), becomes
 * (1, 1).  Allocations search from the cursor, which is never above the
 * sweep point, so they only ever read caught-up chunks.
 *
 * An allocation with a lower limit than the aperture may flush before the
 * sweep reached the end.  A chunk that missed flushes that way is still
 * safe to catch up: its (1, 1) pages were freed before the first of them;
 * its (0, 1) pages may have been freed before the last one, but become
 * (1, 1) and wait for the next, and are counted as pending for it.
 *
 * Memory: two bits per aperture page, whatever the use.  Time with the lock
 * held: a free marks its pages; an allocation searches from the cursor and
 * catches up each chunk once per flush, like the bitmap search it
 * replaces; a flush is one call of the callback.
 */
#define IOVA_LAZY_CHUNK_PAGES	4096UL

/*
 * Both bitmaps are one allocation, a power of two of bytes for an aperture
 * of a power of two of pages, which neither kmalloc() nor vmalloc() rounds
 * up.
 */
struct iova_lazy {
	spinlock_t lock;		/* protects all below */
	unsigned long pages;		/* bits per bitmap */
	unsigned long *map;		/* allocated, or freed and not flushed */
	unsigned long *dirty;		/* freed; after the map */
	unsigned long swept;		/* pages below are caught up */
	unsigned long cursor;		/* where the next search starts */
	unsigned long pending;		/* pages freed, waiting for a flush */
	unsigned long late;		/* pages marked (0, 1) */
	int (*flush)(struct iova_domain *iovad);
};

/* Catch up the chunk at the sweep point and move past it. */
static void iova_lazy_sweep_chunk(struct iova_lazy *lazy)
{
	unsigned long end = min(lazy->pages, lazy->swept + IOVA_LAZY_CHUNK_PAGES);
	unsigned long w, m, d;

	for (w = BIT_WORD(lazy->swept); w <= BIT_WORD(end - 1); w++) {
		m = lazy->map[w];
		d = lazy->dirty[w];
		lazy->map[w] = m ^ d;
		lazy->dirty[w] = d & ~m;
		lazy->late -= hweight_long(d & ~m);
	}
	lazy->swept = end;
}

/*
 * First free area of @nr pages in [@start, @end) of the bitmap, aligned so
 * that its pfn (@base + index) is a multiple of @align_mask + 1; @end if
 * there is none.  Chunks are caught up as the search reaches them.
 */
static unsigned long iova_lazy_search(struct iova_lazy *lazy, unsigned long base,
				      unsigned long start, unsigned long end,
				      unsigned long nr, unsigned long align_mask)
{
	unsigned long known, found;

	while (start + nr <= end) {
		known = min(end, lazy->swept);
		if (start < known) {
			found = bitmap_find_next_zero_area_off(lazy->map, known,
							       start, nr, align_mask,
							       base & align_mask);
			if (found + nr <= known)
				return found;
			/* The area at @found may go on past @known. */
			start = max(start, found - nr);
		}
		if (known == end)
			break;
		iova_lazy_sweep_chunk(lazy);
	}
	return end;
}

/**
 * iova_domain_init_lazy - free the IOVAs of @iovad lazily
 * @iovad: an IOVA domain whose start_pfn is not 0
 * @end_pfn: the last pfn of the domain's aperture; at most INT_MAX pages
 * @flush: called when the IOVA space runs out, with interrupts disabled
 *	and the domain's lazy lock held, so it must not use the domain; it
 *	must flush the whole IOTLB of the domain and return 0, or an error
 *	if it could not, and then the allocation fails
 *
 * The domain then hands out and takes back IOVAs with alloc_iova_lazy() and
 * free_iova_lazy() only.  Ranges reserved in the domain, before or after,
 * are never handed out.
 */
int iova_domain_init_lazy(struct iova_domain *iovad, unsigned long end_pfn,
			  int (*flush)(struct iova_domain *iovad))
{
	unsigned long pages, first, flags;
	struct iova_lazy *lazy;
	struct rb_node *node;
	struct iova *iova;

	if (iovad->lazy || !iovad->start_pfn || end_pfn < iovad->start_pfn)
		return -EINVAL;
	/* The bitmap helpers count bits in int. */
	if (end_pfn - iovad->start_pfn >= INT_MAX)
		return -E2BIG;
	pages = end_pfn - iovad->start_pfn + 1;
	lazy = kzalloc(sizeof(*lazy), GFP_KERNEL);
	if (!lazy)
		return -ENOMEM;
	lazy->map = kvcalloc(2 * BITS_TO_LONGS(pages), sizeof(long), GFP_KERNEL);
	if (!lazy->map) {
		kfree(lazy);
		return -ENOMEM;
	}
	lazy->dirty = lazy->map + BITS_TO_LONGS(pages);
	spin_lock_init(&lazy->lock);
	lazy->pages = pages;
	lazy->swept = pages;
	lazy->flush = flush;

	spin_lock_irqsave(&iovad->iova_rbtree_lock, flags);
	for (node = rb_first(&iovad->rbroot); node; node = rb_next(node)) {
		iova = to_iova(node);
		if (iova->pfn_hi < iovad->start_pfn || iova->pfn_lo > end_pfn)
			continue;
		first = max(iova->pfn_lo, iovad->start_pfn);
		bitmap_set(lazy->map, first - iovad->start_pfn,
			   min(iova->pfn_hi, end_pfn) - first + 1);
	}
	iovad->lazy = lazy;
	spin_unlock_irqrestore(&iovad->iova_rbtree_lock, flags);
	return 0;
}
EXPORT_SYMBOL_GPL(iova_domain_init_lazy);

/* Keep a range reserved in the domain out of the lazy bitmaps. */
static void iova_lazy_reserve(struct iova_domain *iovad, unsigned long pfn_lo,
			      unsigned long pfn_hi)
{
	struct iova_lazy *lazy = iovad->lazy;
	unsigned long flags, first, last;

	if (pfn_lo > pfn_hi || pfn_hi < iovad->start_pfn ||
	    pfn_lo > iovad->start_pfn + lazy->pages - 1)
		return;
	first = max(pfn_lo, iovad->start_pfn) - iovad->start_pfn;
	last = min(pfn_hi - iovad->start_pfn, lazy->pages - 1);
	spin_lock_irqsave(&lazy->lock, flags);
	bitmap_set(lazy->map, first, last - first + 1);
	bitmap_clear(lazy->dirty, first, last - first + 1);
	spin_unlock_irqrestore(&lazy->lock, flags);
}

/**
 * free_iova_lazy - free an IOVA range once the IOTLB was flushed
 * @iovad: a domain set up with iova_domain_init_lazy()
 * @pfn: first pfn of a range alloc_iova_lazy() returned
 * @size: its number of pages
 *
 * The range is unmapped; it is handed out again only after the next flush.
 */
void free_iova_lazy(struct iova_domain *iovad, unsigned long pfn,
		    unsigned long size)
{
	struct iova_lazy *lazy = iovad->lazy;
	unsigned long flags, start = pfn - iovad->start_pfn, below;

	if (WARN_ON_ONCE(pfn < iovad->start_pfn || !size || start >= lazy->pages ||
			 size > lazy->pages - start))
		return;
	spin_lock_irqsave(&lazy->lock, flags);
	/* A single page, the common case, needs no range helper. */
	if (size == 1 && start < lazy->swept) {
		__set_bit(start, lazy->dirty);
		lazy->pending++;
		spin_unlock_irqrestore(&lazy->lock, flags);
		return;
	}
	bitmap_set(lazy->dirty, start, size);
	/* Past the sweep point a page freed after the flush is (0, 1). */
	below = lazy->swept > start ? min(size, lazy->swept - start) : 0;
	if (below < size) {
		bitmap_clear(lazy->map, start + below, size - below);
		lazy->late += size - below;
	}
	lazy->pending += size;
	spin_unlock_irqrestore(&lazy->lock, flags);
}
EXPORT_SYMBOL_GPL(free_iova_lazy);

/**
 * alloc_iova_lazy - allocate an IOVA range, flushing if the space ran out
 * @iovad: a domain set up with iova_domain_init_lazy()
 * @size: number of pages; the range is aligned to the power of two that
 *	holds it
 * @limit_pfn: the highest pfn the range may use
 *
 * When no range is free from the cursor up to @limit_pfn, the IOTLB is
 * flushed once and every range freed before becomes free, then the search
 * starts again from the bottom.  An allocation with a lower limit than the
 * aperture first looks below the cursor; one with nothing freed since the
 * last flush only starts again from the bottom.
 *
 * Return: the first pfn of the range, 0 if there is no room or the flush
 * failed.
 */
unsigned long alloc_iova_lazy(struct iova_domain *iovad, unsigned long size,
			      unsigned long limit_pfn)
{
	struct iova_lazy *lazy = iovad->lazy;
	unsigned long flags, end, found, align_mask, base = iovad->start_pfn;

	if (!size || limit_pfn < base)
		return 0;
	end = min(limit_pfn - base, lazy->pages - 1) + 1;
	if (size > end)
		return 0;

	spin_lock_irqsave(&lazy->lock, flags);
	/*
	 * Next fit of a single page: the page at the cursor is the first
	 * the search would look at, so if it is caught up and free, take it.
	 */
	found = lazy->cursor;
	if (size == 1 && found < min(end, lazy->swept) &&
	    !test_bit(found, lazy->map)) {
		__set_bit(found, lazy->map);
		lazy->cursor = found + 1;
		spin_unlock_irqrestore(&lazy->lock, flags);
		return base + found;
	}
	align_mask = roundup_pow_of_two(size) - 1;
	found = iova_lazy_search(lazy, base, lazy->cursor, end, size, align_mask);
	if (found == end && lazy->cursor && (end < lazy->pages || !lazy->pending))
		found = iova_lazy_search(lazy, base, 0, end, size, align_mask);
	if (found == end && lazy->pending) {
		if (lazy->flush(iovad)) {
			spin_unlock_irqrestore(&lazy->lock, flags);
			return 0;
		}
		/* Pages marked (0, 1) wait for the next flush (see above). */
		lazy->pending = lazy->late;
		lazy->swept = 0;
		lazy->cursor = 0;
		found = iova_lazy_search(lazy, base, 0, end, size, align_mask);
	}
	if (found == end) {
		spin_unlock_irqrestore(&lazy->lock, flags);
		return 0;
	}
	bitmap_set(lazy->map, found, size);
	lazy->cursor = found + size;
	spin_unlock_irqrestore(&lazy->lock, flags);
	return base + found;
}
EXPORT_SYMBOL_GPL(alloc_iova_lazy);

/**
 * iova_lazy_pending - number of pages freed lazily and waiting for a flush
 * @iovad: a domain set up with iova_domain_init_lazy()
 */
unsigned long iova_lazy_pending(struct iova_domain *iovad)
{
	return READ_ONCE(iovad->lazy->pending);
}
EXPORT_SYMBOL_IF_KUNIT(iova_lazy_pending);

/**
 * iova_vmalloc_bytes - memory a vmalloc() of @size bytes takes
 * @size: bytes asked for
 *
 * Its pages, and the area, the vm_struct and the page array vmalloc()
 * keeps for them.
 */
size_t iova_vmalloc_bytes(size_t size)
{
	size_t pages = PAGE_ALIGN(size) >> PAGE_SHIFT;

	return (pages << PAGE_SHIFT) + sizeof(struct vmap_area) +
	       kmalloc_size_roundup(sizeof(struct vm_struct)) +
	       kmalloc_size_roundup(pages * sizeof(struct page *));
}
EXPORT_SYMBOL_IF_KUNIT(iova_vmalloc_bytes);

/**
 * iova_lazy_bookkeeping_bytes - memory the lazy bookkeeping of @iovad takes
 * @iovad: a domain set up with iova_domain_init_lazy()
 *
 * As allocated: the slab object of the fields, and the bitmaps' pages from
 * kmalloc(), or from vmalloc() with what it keeps for them.
 */
size_t iova_lazy_bookkeeping_bytes(struct iova_domain *iovad)
{
	struct iova_lazy *lazy = iovad->lazy;
	size_t bitmaps = 2 * BITS_TO_LONGS(lazy->pages) * sizeof(long);

	return ksize(lazy) + (is_vmalloc_addr(lazy->map) ?
			      iova_vmalloc_bytes(bitmaps) : ksize(lazy->map));
}
EXPORT_SYMBOL_IF_KUNIT(iova_lazy_bookkeeping_bytes);

/* The domain is going away: drop the bookkeeping without flushing. */
static void iova_domain_free_lazy(struct iova_domain *iovad)
{
	kvfree(iovad->lazy->map);
	kfree(iovad->lazy);
	iovad->lazy = NULL;
}

static void iova_domain_free_rcaches(struct iova_domain *iovad)
{
	cpuhp_state_remove_instance_nocalls(CPUHP_IOMMU_IOVA_DEAD,
					    &iovad->cpuhp_dead);
	free_iova_rcaches(iovad);
}

/**
 * put_iova_domain - destroys the iova domain
 * @iovad: - iova domain in question.
 * All the iova's in that domain are destroyed.
 */
void put_iova_domain(struct iova_domain *iovad)
{
	struct iova *iova, *tmp;

	if (iovad->lazy)
		iova_domain_free_lazy(iovad);
	if (iovad->rcaches)
		iova_domain_free_rcaches(iovad);

	rbtree_postorder_for_each_entry_safe(iova, tmp, &iovad->rbroot, node)
		free_iova_mem(iova);
}
EXPORT_SYMBOL_GPL(put_iova_domain);

static int
__is_range_overlap(struct rb_node *node,
	unsigned long pfn_lo, unsigned long pfn_hi)
{
	struct iova *iova = to_iova(node);

	if ((pfn_lo <= iova->pfn_hi) && (pfn_hi >= iova->pfn_lo))
		return 1;
	return 0;
}

static inline struct iova *
alloc_and_init_iova(unsigned long pfn_lo, unsigned long pfn_hi)
{
	struct iova *iova;

	iova = alloc_iova_mem();
	if (iova) {
		iova->pfn_lo = pfn_lo;
		iova->pfn_hi = pfn_hi;
	}

	return iova;
}

static struct iova *
__insert_new_range(struct iova_domain *iovad,
	unsigned long pfn_lo, unsigned long pfn_hi)
{
	struct iova *iova;

	iova = alloc_and_init_iova(pfn_lo, pfn_hi);
	if (iova)
		iova_insert_rbtree(&iovad->rbroot, iova, NULL);

	return iova;
}

static void
__adjust_overlap_range(struct iova *iova,
	unsigned long *pfn_lo, unsigned long *pfn_hi)
{
	if (*pfn_lo < iova->pfn_lo)
		iova->pfn_lo = *pfn_lo;
	if (*pfn_hi > iova->pfn_hi)
		*pfn_lo = iova->pfn_hi + 1;
}

/**
 * reserve_iova - reserves an iova in the given range
 * @iovad: - iova domain pointer
 * @pfn_lo: - lower page frame address
 * @pfn_hi:- higher pfn adderss
 * This function allocates reserves the address range from pfn_lo to pfn_hi so
 * that this address is not dished out as part of alloc_iova.
 */
struct iova *
reserve_iova(struct iova_domain *iovad,
	unsigned long pfn_lo, unsigned long pfn_hi)
{
	struct rb_node *node;
	unsigned long flags;
	struct iova *iova;
	unsigned int overlap = 0;

	/* Don't allow nonsensical pfns */
	if (WARN_ON((pfn_hi | pfn_lo) > (ULLONG_MAX >> iova_shift(iovad))))
		return NULL;
	if (iovad->lazy)
		iova_lazy_reserve(iovad, pfn_lo, pfn_hi);

	spin_lock_irqsave(&iovad->iova_rbtree_lock, flags);
	for (node = rb_first(&iovad->rbroot); node; node = rb_next(node)) {
		if (__is_range_overlap(node, pfn_lo, pfn_hi)) {
			iova = to_iova(node);
			__adjust_overlap_range(iova, &pfn_lo, &pfn_hi);
			if ((pfn_lo >= iova->pfn_lo) &&
				(pfn_hi <= iova->pfn_hi))
				goto finish;
			overlap = 1;

		} else if (overlap)
				break;
	}

	/* We are here either because this is the first reserver node
	 * or need to insert remaining non overlap addr range
	 */
	iova = __insert_new_range(iovad, pfn_lo, pfn_hi);
finish:

	spin_unlock_irqrestore(&iovad->iova_rbtree_lock, flags);
	return iova;
}
EXPORT_SYMBOL_GPL(reserve_iova);

/*
 * Magazine caches for IOVA ranges.  For an introduction to magazines,
 * see the USENIX 2001 paper "Magazines and Vmem: Extending the Slab
 * Allocator to Many CPUs and Arbitrary Resources" by Bonwick and Adams.
 * For simplicity, we use a static magazine size and don't implement the
 * dynamic size tuning described in the paper.
 */

/*
 * As kmalloc's buffer size is fixed to power of 2, 127 is chosen to
 * assure size of 'iova_magazine' to be 1024 bytes, so that no memory
 * will be wasted.
 */
#define IOVA_MAG_SIZE 127
#define MAX_GLOBAL_MAGS 32	/* magazines per bin */

struct iova_magazine {
	unsigned long size;
	unsigned long pfns[IOVA_MAG_SIZE];
};

struct iova_cpu_rcache {
	spinlock_t lock;
	struct iova_magazine *loaded;
	struct iova_magazine *prev;
};

struct iova_rcache {
	spinlock_t lock;
	unsigned long depot_size;
	struct iova_magazine *depot[MAX_GLOBAL_MAGS];
	struct iova_cpu_rcache __percpu *cpu_rcaches;
};

static struct iova_magazine *iova_magazine_alloc(gfp_t flags)
{
	return kzalloc(sizeof(struct iova_magazine), flags);
}

static void iova_magazine_free(struct iova_magazine *mag)
{
	kfree(mag);
}

static void
iova_magazine_free_pfns(struct iova_magazine *mag, struct iova_domain *iovad)
{
	unsigned long flags;
	int i;

	spin_lock_irqsave(&iovad->iova_rbtree_lock, flags);

	for (i = 0 ; i < mag->size; ++i) {
		struct iova *iova = private_find_iova(iovad, mag->pfns[i]);

		if (WARN_ON(!iova))
			continue;

		remove_iova(iovad, iova);
		free_iova_mem(iova);
	}

	spin_unlock_irqrestore(&iovad->iova_rbtree_lock, flags);

	mag->size = 0;
}

static bool iova_magazine_full(struct iova_magazine *mag)
{
	return mag->size == IOVA_MAG_SIZE;
}

static bool iova_magazine_empty(struct iova_magazine *mag)
{
	return mag->size == 0;
}

static unsigned long iova_magazine_pop(struct iova_magazine *mag,
				       unsigned long limit_pfn)
{
	int i;
	unsigned long pfn;

	/* Only fall back to the rbtree if we have no suitable pfns at all */
	for (i = mag->size - 1; mag->pfns[i] > limit_pfn; i--)
		if (i == 0)
			return 0;

	/* Swap it to pop it */
	pfn = mag->pfns[i];
	mag->pfns[i] = mag->pfns[--mag->size];

	return pfn;
}

static void iova_magazine_push(struct iova_magazine *mag, unsigned long pfn)
{
	mag->pfns[mag->size++] = pfn;
}

int iova_domain_init_rcaches(struct iova_domain *iovad)
{
	unsigned int cpu;
	int i, ret;

	iovad->rcaches = kcalloc(IOVA_RANGE_CACHE_MAX_SIZE,
				 sizeof(struct iova_rcache),
				 GFP_KERNEL);
	if (!iovad->rcaches)
		return -ENOMEM;

	for (i = 0; i < IOVA_RANGE_CACHE_MAX_SIZE; ++i) {
		struct iova_cpu_rcache *cpu_rcache;
		struct iova_rcache *rcache;

		rcache = &iovad->rcaches[i];
		spin_lock_init(&rcache->lock);
		rcache->depot_size = 0;
		rcache->cpu_rcaches = __alloc_percpu(sizeof(*cpu_rcache),
						     cache_line_size());
		if (!rcache->cpu_rcaches) {
			ret = -ENOMEM;
			goto out_err;
		}
		for_each_possible_cpu(cpu) {
			cpu_rcache = per_cpu_ptr(rcache->cpu_rcaches, cpu);

			spin_lock_init(&cpu_rcache->lock);
			cpu_rcache->loaded = iova_magazine_alloc(GFP_KERNEL);
			cpu_rcache->prev = iova_magazine_alloc(GFP_KERNEL);
			if (!cpu_rcache->loaded || !cpu_rcache->prev) {
				ret = -ENOMEM;
				goto out_err;
			}
		}
	}

	ret = cpuhp_state_add_instance_nocalls(CPUHP_IOMMU_IOVA_DEAD,
					       &iovad->cpuhp_dead);
	if (ret)
		goto out_err;
	return 0;

out_err:
	free_iova_rcaches(iovad);
	return ret;
}
EXPORT_SYMBOL_GPL(iova_domain_init_rcaches);

/*
 * Try inserting IOVA range starting with 'iova_pfn' into 'rcache', and
 * return true on success.  Can fail if rcache is full and we can't free
 * space, and free_iova() (our only caller) will then return the IOVA
 * range to the rbtree instead.
 */
static bool __iova_rcache_insert(struct iova_domain *iovad,
				 struct iova_rcache *rcache,
				 unsigned long iova_pfn)
{
	struct iova_magazine *mag_to_free = NULL;
	struct iova_cpu_rcache *cpu_rcache;
	bool can_insert = false;
	unsigned long flags;

	cpu_rcache = raw_cpu_ptr(rcache->cpu_rcaches);
	spin_lock_irqsave(&cpu_rcache->lock, flags);

	if (!iova_magazine_full(cpu_rcache->loaded)) {
		can_insert = true;
	} else if (!iova_magazine_full(cpu_rcache->prev)) {
		swap(cpu_rcache->prev, cpu_rcache->loaded);
		can_insert = true;
	} else {
		struct iova_magazine *new_mag = iova_magazine_alloc(GFP_ATOMIC);

		if (new_mag) {
			spin_lock(&rcache->lock);
			if (rcache->depot_size < MAX_GLOBAL_MAGS) {
				rcache->depot[rcache->depot_size++] =
						cpu_rcache->loaded;
			} else {
				mag_to_free = cpu_rcache->loaded;
			}
			spin_unlock(&rcache->lock);

			cpu_rcache->loaded = new_mag;
			can_insert = true;
		}
	}

	if (can_insert)
		iova_magazine_push(cpu_rcache->loaded, iova_pfn);

	spin_unlock_irqrestore(&cpu_rcache->lock, flags);

	if (mag_to_free) {
		iova_magazine_free_pfns(mag_to_free, iovad);
		iova_magazine_free(mag_to_free);
	}

	return can_insert;
}

static bool iova_rcache_insert(struct iova_domain *iovad, unsigned long pfn,
			       unsigned long size)
{
	unsigned int log_size = order_base_2(size);

	if (log_size >= IOVA_RANGE_CACHE_MAX_SIZE)
		return false;

	return __iova_rcache_insert(iovad, &iovad->rcaches[log_size], pfn);
}

/*
 * Caller wants to allocate a new IOVA range from 'rcache'.  If we can
 * satisfy the request, return a matching non-NULL range and remove
 * it from the 'rcache'.
 */
static unsigned long __iova_rcache_get(struct iova_rcache *rcache,
				       unsigned long limit_pfn)
{
	struct iova_cpu_rcache *cpu_rcache;
	unsigned long iova_pfn = 0;
	bool has_pfn = false;
	unsigned long flags;

	cpu_rcache = raw_cpu_ptr(rcache->cpu_rcaches);
	spin_lock_irqsave(&cpu_rcache->lock, flags);

	if (!iova_magazine_empty(cpu_rcache->loaded)) {
		has_pfn = true;
	} else if (!iova_magazine_empty(cpu_rcache->prev)) {
		swap(cpu_rcache->prev, cpu_rcache->loaded);
		has_pfn = true;
	} else {
		spin_lock(&rcache->lock);
		if (rcache->depot_size > 0) {
			iova_magazine_free(cpu_rcache->loaded);
			cpu_rcache->loaded = rcache->depot[--rcache->depot_size];
			has_pfn = true;
		}
		spin_unlock(&rcache->lock);
	}

	if (has_pfn)
		iova_pfn = iova_magazine_pop(cpu_rcache->loaded, limit_pfn);

	spin_unlock_irqrestore(&cpu_rcache->lock, flags);

	return iova_pfn;
}

/*
 * Try to satisfy IOVA allocation range from rcache.  Fail if requested
 * size is too big or the DMA limit we are given isn't satisfied by the
 * top element in the magazine.
 */
static unsigned long iova_rcache_get(struct iova_domain *iovad,
				     unsigned long size,
				     unsigned long limit_pfn)
{
	unsigned int log_size = order_base_2(size);

	if (log_size >= IOVA_RANGE_CACHE_MAX_SIZE)
		return 0;

	return __iova_rcache_get(&iovad->rcaches[log_size], limit_pfn - size);
}

/*
 * free rcache data structures.
 */
static void free_iova_rcaches(struct iova_domain *iovad)
{
	struct iova_rcache *rcache;
	struct iova_cpu_rcache *cpu_rcache;
	unsigned int cpu;
	int i, j;

	for (i = 0; i < IOVA_RANGE_CACHE_MAX_SIZE; ++i) {
		rcache = &iovad->rcaches[i];
		if (!rcache->cpu_rcaches)
			break;
		for_each_possible_cpu(cpu) {
			cpu_rcache = per_cpu_ptr(rcache->cpu_rcaches, cpu);
			iova_magazine_free(cpu_rcache->loaded);
			iova_magazine_free(cpu_rcache->prev);
		}
		free_percpu(rcache->cpu_rcaches);
		for (j = 0; j < rcache->depot_size; ++j)
			iova_magazine_free(rcache->depot[j]);
	}

	kfree(iovad->rcaches);
	iovad->rcaches = NULL;
}

/*
 * free all the IOVA ranges cached by a cpu (used when cpu is unplugged)
 */
static void free_cpu_cached_iovas(unsigned int cpu, struct iova_domain *iovad)
{
	struct iova_cpu_rcache *cpu_rcache;
	struct iova_rcache *rcache;
	unsigned long flags;
	int i;

	for (i = 0; i < IOVA_RANGE_CACHE_MAX_SIZE; ++i) {
		rcache = &iovad->rcaches[i];
		cpu_rcache = per_cpu_ptr(rcache->cpu_rcaches, cpu);
		spin_lock_irqsave(&cpu_rcache->lock, flags);
		iova_magazine_free_pfns(cpu_rcache->loaded, iovad);
		iova_magazine_free_pfns(cpu_rcache->prev, iovad);
		spin_unlock_irqrestore(&cpu_rcache->lock, flags);
	}
}

/*
 * free all the IOVA ranges of global cache
 */
static void free_global_cached_iovas(struct iova_domain *iovad)
{
	struct iova_rcache *rcache;
	unsigned long flags;
	int i, j;

	for (i = 0; i < IOVA_RANGE_CACHE_MAX_SIZE; ++i) {
		rcache = &iovad->rcaches[i];
		spin_lock_irqsave(&rcache->lock, flags);
		for (j = 0; j < rcache->depot_size; ++j) {
			iova_magazine_free_pfns(rcache->depot[j], iovad);
			iova_magazine_free(rcache->depot[j]);
		}
		rcache->depot_size = 0;
		spin_unlock_irqrestore(&rcache->lock, flags);
	}
}
MODULE_AUTHOR("Anil S Keshavamurthy <anil.s.keshavamurthy@intel.com>");
MODULE_LICENSE("GPL");
