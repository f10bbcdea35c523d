// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests of the lazy-flush mode of IOVA domains: freed ranges are not
 * handed out again before a flush, and the space is reclaimed with one
 * flush when it runs out.
 */
#include <kunit/test.h>
#include <linux/bitmap.h>
#include <linux/completion.h>
#include <linux/cpu.h>
#include <linux/iova.h>
#include <linux/kthread.h>
#include <linux/log2.h>
#include <linux/random.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/workqueue.h>

/* A domain of 64 one-page IOVAs: pfns 1 to 64. */
#define APERTURE	64UL
#define LIMIT_PFN	APERTURE

struct lazy_test {
	struct iova_domain iovad;
	bool domain;		/* iovad is set up */
	bool cache;		/* the iova cache is held */
	bool flush_fails;	/* the flush callback fails */
	atomic_t flushes;	/* successful flushes */
};

static int count_flush(struct iova_domain *iovad)
{
	struct lazy_test *t = container_of(iovad, struct lazy_test, iovad);

	if (t->flush_fails)
		return -EIO;
	atomic_inc(&t->flushes);
	return 0;
}

/*
 * (Re)start @t with a lazy domain of @pages one-page IOVAs, pfns 1 on, set
 * up as dma-iommu does: no IOVA caches.
 */
static int lazy_domain_init(struct lazy_test *t, unsigned long pages)
{
	if (t->domain)
		put_iova_domain(&t->iovad);
	init_iova_domain(&t->iovad, PAGE_SIZE, 1);
	t->domain = true;
	atomic_set(&t->flushes, 0);
	return iova_domain_init_lazy(&t->iovad, pages, count_flush);
}

static int lazy_test_init(struct kunit *test)
{
	struct lazy_test *t;

	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	test->priv = t;
	KUNIT_ASSERT_EQ(test, iova_cache_get(), 0);
	t->cache = true;
	KUNIT_ASSERT_EQ(test, lazy_domain_init(t, APERTURE), 0);
	return 0;
}

static void lazy_test_exit(struct kunit *test)
{
	struct lazy_test *t = test->priv;

	if (t && t->domain)
		put_iova_domain(&t->iovad);
	if (t && t->cache)
		iova_cache_put();
}

/* Allocate one-page IOVAs until the space is full; returns how many. */
static unsigned long fill(struct lazy_test *t, unsigned long *pfns)
{
	unsigned long n = 0, pfn;

	while (n < APERTURE && (pfn = alloc_iova_lazy(&t->iovad, 1, LIMIT_PFN)))
		pfns[n++] = pfn;
	return n;
}

static void never_reuses_an_iova_before_a_flush(struct kunit *test)
{
	struct lazy_test *t = test->priv;
	unsigned long pfns[APERTURE], pfn;
	int i, j;

	for (i = 0; i < 16; i++) {
		pfns[i] = alloc_iova_lazy(&t->iovad, 1, LIMIT_PFN);
		KUNIT_ASSERT_NE(test, pfns[i], 0);
	}
	for (i = 0; i < 8; i++)
		free_iova_lazy(&t->iovad, pfns[i], 1);
	KUNIT_EXPECT_EQ(test, iova_lazy_pending(&t->iovad), 8);

	/* The 48 never used are handed out first, and only they. */
	for (i = 0; i < APERTURE - 16; i++) {
		pfn = alloc_iova_lazy(&t->iovad, 1, LIMIT_PFN);
		KUNIT_ASSERT_NE(test, pfn, 0);
		for (j = 0; j < 8; j++)
			KUNIT_EXPECT_NE_MSG(test, pfn, pfns[j], "reused before a flush");
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&t->flushes), 0);
}

static void flushes_once_when_the_space_runs_out(struct kunit *test)
{
	struct lazy_test *t = test->priv;
	unsigned long pfns[APERTURE];
	unsigned long i;

	KUNIT_ASSERT_EQ(test, fill(t, pfns), APERTURE);
	for (i = 0; i < APERTURE; i++)
		free_iova_lazy(&t->iovad, pfns[i], 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->flushes), 0);

	/* The whole space comes back with one flush. */
	KUNIT_EXPECT_EQ(test, fill(t, pfns), APERTURE);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->flushes), 1);
	KUNIT_EXPECT_EQ(test, iova_lazy_pending(&t->iovad), 0);
}

static void fails_without_flushing_when_nothing_is_pending(struct kunit *test)
{
	struct lazy_test *t = test->priv;
	unsigned long pfns[APERTURE];

	KUNIT_ASSERT_EQ(test, fill(t, pfns), APERTURE);
	KUNIT_EXPECT_EQ(test, alloc_iova_lazy(&t->iovad, 1, LIMIT_PFN), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->flushes), 0);
}

static void reclaims_ranges_of_every_size(struct kunit *test)
{
	static const unsigned long sizes[] = { 32, 16, 8, 4, 2, 1 };
	struct lazy_test *t = test->priv;
	unsigned long pfns[ARRAY_SIZE(sizes)];
	int round, i;

	/* 63 pages in all: fits once, not twice without reclaiming. */
	for (round = 0; round < 3; round++) {
		for (i = 0; i < ARRAY_SIZE(sizes); i++) {
			pfns[i] = alloc_iova_lazy(&t->iovad, sizes[i], LIMIT_PFN);
			KUNIT_ASSERT_NE_MSG(test, pfns[i], 0, "round %d size %lu",
					    round, sizes[i]);
			KUNIT_EXPECT_EQ(test, pfns[i] % sizes[i], 0);
		}
		for (i = 0; i < ARRAY_SIZE(sizes); i++)
			free_iova_lazy(&t->iovad, pfns[i], sizes[i]);
		KUNIT_EXPECT_EQ(test, atomic_read(&t->flushes), round);
	}
}

static void reuses_flushed_ranges_within_the_limit(struct kunit *test)
{
	struct lazy_test *t = test->priv;
	unsigned long pfns[APERTURE], pfn;
	int i;

	KUNIT_ASSERT_EQ(test, fill(t, pfns), APERTURE);
	for (i = 0; i < APERTURE; i++)
		free_iova_lazy(&t->iovad, pfns[i], 1);
	/* Flushed ranges above a lower limit are not handed out... */
	pfn = alloc_iova_lazy(&t->iovad, 1, LIMIT_PFN / 2);
	KUNIT_EXPECT_NE(test, pfn, 0);
	KUNIT_EXPECT_LE(test, pfn, LIMIT_PFN / 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->flushes), 1);
	/* ...but not lost either: the rest of the space, with no flush. */
	KUNIT_EXPECT_EQ(test, fill(t, pfns), APERTURE - 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->flushes), 1);
	KUNIT_EXPECT_EQ(test, iova_lazy_pending(&t->iovad), 0);
}

static void keeps_bookkeeping_within_the_aperture(struct kunit *test)
{
	struct lazy_test *t = test->priv;
	unsigned long pfn;
	int i;

	for (i = 0; i < 100 * APERTURE; i++) {
		pfn = alloc_iova_lazy(&t->iovad, 1, LIMIT_PFN);
		KUNIT_ASSERT_NE(test, pfn, 0);
		free_iova_lazy(&t->iovad, pfn, 1);
		KUNIT_ASSERT_LE(test, iova_lazy_pending(&t->iovad), APERTURE);
	}
	/* One flush per exhaustion of the space, no more. */
	KUNIT_EXPECT_EQ(test, atomic_read(&t->flushes), 100 - 1);
}

/*
 * Two threads per CPU allocate and lazily free IOVAs at once.  A ledger
 * keeps, for every pfn, whether it is in use and the flush count when it
 * was freed: an allocation of a pfn in use, or of one freed after the last
 * flush, is an error.  The space is four times what the threads hold at
 * most, whatever the number of CPUs.
 */
#define STRESS_ROUNDS		4000
#define STRESS_OUTSTANDING	8
#define IN_USE			-1L

struct stress {
	struct lazy_test *t;
	unsigned long aperture;
	atomic_long_t *ledger;	/* indexed by pfn, 1 to aperture */
	atomic_t errors;
	atomic_t allocations;
	atomic_t running;
	struct completion done;
};

static int stress_thread(void *data)
{
	struct stress *s = data;
	unsigned long held[STRESS_OUTSTANDING] = { 0 };
	long was;
	int i, slot;

	for (i = 0; i < STRESS_ROUNDS; i++) {
		slot = i % STRESS_OUTSTANDING;
		if (held[slot]) {
			atomic_long_set(&s->ledger[held[slot]],
					atomic_read(&s->t->flushes) + 1);
			free_iova_lazy(&s->t->iovad, held[slot], 1);
			held[slot] = 0;
		}
		/* The space is four times what is held: never a failure. */
		held[slot] = alloc_iova_lazy(&s->t->iovad, 1, s->aperture);
		if (!held[slot] || held[slot] > s->aperture) {
			atomic_inc(&s->errors);
			break;
		}
		atomic_inc(&s->allocations);
		was = atomic_long_xchg(&s->ledger[held[slot]], IN_USE);
		if (was == IN_USE || atomic_read(&s->t->flushes) + 1 <= was)
			atomic_inc(&s->errors);
		if (!(i % 64))
			cond_resched();
	}
	for (slot = 0; slot < STRESS_OUTSTANDING; slot++) {
		if (!held[slot])
			continue;
		atomic_long_set(&s->ledger[held[slot]], atomic_read(&s->t->flushes) + 1);
		free_iova_lazy(&s->t->iovad, held[slot], 1);
	}
	if (atomic_dec_and_test(&s->running))
		complete(&s->done);
	return 0;
}

static void concurrent_use_never_reuses_before_a_flush(struct kunit *test)
{
	struct lazy_test *t = test->priv;
	int threads, started = 0, cpu, i, flushes;
	struct task_struct *task;
	struct stress *s;

	s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	/* Sized before the domain; a CPU coming online later gets no thread. */
	threads = 2 * num_online_cpus();
	s->t = t;
	s->aperture = 4UL * threads * STRESS_OUTSTANDING;
	s->ledger = kunit_kcalloc(test, s->aperture + 1, sizeof(*s->ledger),
				  GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s->ledger);
	KUNIT_ASSERT_EQ(test, lazy_domain_init(t, s->aperture), 0);
	cpus_read_lock();
	init_completion(&s->done);
	atomic_set(&s->running, threads);
	for_each_online_cpu(cpu) {
		for (i = 0; i < 2 && started < threads; i++) {
			task = kthread_create(stress_thread, s, "iova_lazy/%d",
					      started);
			if (IS_ERR(task))
				break;
			kthread_bind(task, cpu);
			wake_up_process(task);
			started++;
		}
	}
	cpus_read_unlock();
	/* Threads that could not be started count as finished. */
	if (started < threads &&
	    atomic_sub_and_test(threads - started, &s->running))
		complete(&s->done);
	wait_for_completion(&s->done);
	/* Fewer if a CPU went offline since the count; the bound holds. */
	KUNIT_ASSERT_GT(test, started, 0);

	flushes = atomic_read(&t->flushes);
	kunit_info(test, "report: %d threads, %d lazy allocations, %d flushes\n",
		   started, atomic_read(&s->allocations), flushes);
	KUNIT_EXPECT_EQ(test, atomic_read(&s->errors), 0);
	KUNIT_EXPECT_GT(test, flushes, 0);
	/*
	 * At most threads * STRESS_OUTSTANDING IOVAs are held at a time, so
	 * every flush frees at least the rest: racing allocators must not
	 * flush again for the same exhaustion.
	 */
	KUNIT_EXPECT_LE(test, flushes,
			atomic_read(&s->allocations) /
			(int)(s->aperture - started * STRESS_OUTSTANDING) + 1);
	KUNIT_EXPECT_LE(test, iova_lazy_pending(&t->iovad), s->aperture);
}

/* Frees on another CPU than the allocation come back with the one flush. */
struct cross_cpu_free {
	struct work_struct work;
	struct lazy_test *t;
	unsigned long *pfns;
};

static void free_all_work(struct work_struct *work)
{
	struct cross_cpu_free *c = container_of(work, struct cross_cpu_free, work);
	int i;

	for (i = 0; i < APERTURE; i++)
		free_iova_lazy(&c->t->iovad, c->pfns[i], 1);
}

static void reclaims_frees_made_on_another_cpu(struct kunit *test)
{
	struct lazy_test *t = test->priv;
	unsigned long pfns[APERTURE];
	struct cross_cpu_free c = { .t = t, .pfns = pfns };
	int this_cpu, cpu;

	KUNIT_ASSERT_EQ(test, fill(t, pfns), APERTURE);
	this_cpu = get_cpu();
	put_cpu();
	cpus_read_lock();
	cpu = cpumask_any_but(cpu_online_mask, this_cpu);
	if (cpu >= nr_cpu_ids)
		cpu = cpumask_first(cpu_online_mask);
	INIT_WORK_ONSTACK(&c.work, free_all_work);
	queue_work_on(cpu, system_wq, &c.work);
	flush_work(&c.work);
	destroy_work_on_stack(&c.work);
	cpus_read_unlock();
	KUNIT_EXPECT_EQ(test, iova_lazy_pending(&t->iovad), APERTURE);
	KUNIT_EXPECT_EQ(test, fill(t, pfns), APERTURE);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->flushes), 1);
}

/*
 * The space is full and the one page freed cannot hold the request: the
 * allocation flushes once and fails, and the page is there for the next.
 */
static void fails_cleanly_when_the_flush_frees_too_little(struct kunit *test)
{
	struct lazy_test *t = test->priv;
	unsigned long pfns[APERTURE];

	KUNIT_ASSERT_EQ(test, fill(t, pfns), APERTURE);
	free_iova_lazy(&t->iovad, pfns[5], 1);
	KUNIT_EXPECT_EQ(test, alloc_iova_lazy(&t->iovad, 2, LIMIT_PFN), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->flushes), 1);
	KUNIT_EXPECT_EQ(test, iova_lazy_pending(&t->iovad), 0);
	KUNIT_EXPECT_EQ(test, alloc_iova_lazy(&t->iovad, 1, LIMIT_PFN), pfns[5]);
	KUNIT_EXPECT_EQ(test, alloc_iova_lazy(&t->iovad, 1, LIMIT_PFN), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->flushes), 1);
}

/* Reserved ranges, made before or after the lazy mode, are never used. */
static void never_hands_out_reserved_ranges(struct kunit *test)
{
	struct lazy_test *t = test->priv;
	unsigned long pfns[APERTURE], n, i;
	int round;

	put_iova_domain(&t->iovad);
	init_iova_domain(&t->iovad, PAGE_SIZE, 1);
	KUNIT_ASSERT_NOT_NULL(test, reserve_iova(&t->iovad, 30, 39));
	KUNIT_ASSERT_EQ(test, iova_domain_init_lazy(&t->iovad, LIMIT_PFN,
						    count_flush), 0);
	/* Across the start of the aperture, inside it, across its end. */
	KUNIT_ASSERT_NOT_NULL(test, reserve_iova(&t->iovad, 0, 2));
	KUNIT_ASSERT_NOT_NULL(test, reserve_iova(&t->iovad, 10, 19));
	KUNIT_ASSERT_NOT_NULL(test, reserve_iova(&t->iovad, 60, 1000));
	for (round = 0; round < 2; round++) {
		n = fill(t, pfns);
		KUNIT_EXPECT_EQ(test, n, APERTURE - 27);
		for (i = 0; i < n; i++) {
			KUNIT_EXPECT_GT(test, pfns[i], 2);
			KUNIT_EXPECT_FALSE(test, pfns[i] >= 10 && pfns[i] <= 19);
			KUNIT_EXPECT_FALSE(test, pfns[i] >= 30 && pfns[i] <= 39);
			KUNIT_EXPECT_LT(test, pfns[i], 60);
			free_iova_lazy(&t->iovad, pfns[i], 1);
		}
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&t->flushes), 1);
}

/* A failing flush fails the allocation and keeps the freed ranges. */
static void fails_and_keeps_freed_ranges_when_the_flush_fails(struct kunit *test)
{
	struct lazy_test *t = test->priv;
	unsigned long pfns[APERTURE];
	int i;

	KUNIT_ASSERT_EQ(test, fill(t, pfns), APERTURE);
	for (i = 0; i < APERTURE; i++)
		free_iova_lazy(&t->iovad, pfns[i], 1);
	t->flush_fails = true;
	KUNIT_EXPECT_EQ(test, alloc_iova_lazy(&t->iovad, 1, LIMIT_PFN), 0);
	KUNIT_EXPECT_EQ(test, alloc_iova_lazy(&t->iovad, 1, LIMIT_PFN), 0);
	KUNIT_EXPECT_EQ(test, iova_lazy_pending(&t->iovad), APERTURE);
	t->flush_fails = false;
	KUNIT_EXPECT_EQ(test, fill(t, pfns), APERTURE);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->flushes), 1);
}

/*
 * An allocation with a lower limit flushes before the sweep reached the
 * pages freed past it: those pages wait for one more flush, the others
 * are free.  The aperture is three chunks of the sweep (4096 pages).
 */
#define SWEEP_APERTURE		(3 * 4096)
#define LATE_PFN		9000	/* in the third chunk */
#define LATE_PAGES		10

static void flush_below_an_unfinished_sweep_keeps_late_frees(struct kunit *test)
{
	struct lazy_test *t = test->priv;
	unsigned long pfn, n;

	KUNIT_ASSERT_EQ(test, lazy_domain_init(t, SWEEP_APERTURE), 0);
	for (n = 0; n < SWEEP_APERTURE; n++)
		KUNIT_ASSERT_EQ(test, alloc_iova_lazy(&t->iovad, 1, SWEEP_APERTURE), n + 1);
	/* Free all but LATE_PFN on, then flush: the sweep is at chunk 1. */
	for (pfn = 1; pfn <= SWEEP_APERTURE; pfn++)
		if (pfn < LATE_PFN || pfn >= LATE_PFN + LATE_PAGES)
			free_iova_lazy(&t->iovad, pfn, 1);
	KUNIT_ASSERT_EQ(test, alloc_iova_lazy(&t->iovad, 1, 4096), 1);
	KUNIT_ASSERT_EQ(test, atomic_read(&t->flushes), 1);
	for (n = 2; n <= 4096; n++)
		KUNIT_ASSERT_EQ(test, alloc_iova_lazy(&t->iovad, 1, 4096), n);
	/* Freed past the sweep point, after the flush. */
	for (pfn = LATE_PFN; pfn < LATE_PFN + LATE_PAGES; pfn++)
		free_iova_lazy(&t->iovad, pfn, 1);
	/* The lower limit is full: flush, with the sweep unfinished. */
	KUNIT_EXPECT_EQ(test, alloc_iova_lazy(&t->iovad, 1, 4096), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->flushes), 2);
	KUNIT_EXPECT_EQ(test, iova_lazy_pending(&t->iovad), LATE_PAGES);
	/* Everything above the limit but the late pages, without a flush. */
	for (n = 0; n < SWEEP_APERTURE - 4096 - LATE_PAGES; n++) {
		pfn = alloc_iova_lazy(&t->iovad, 1, SWEEP_APERTURE);
		KUNIT_ASSERT_GT(test, pfn, 4096);
		KUNIT_ASSERT_FALSE(test, pfn >= LATE_PFN && pfn < LATE_PFN + LATE_PAGES);
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&t->flushes), 2);
	/* Then the late pages, after one more flush. */
	KUNIT_EXPECT_EQ(test, alloc_iova_lazy(&t->iovad, 1, SWEEP_APERTURE), LATE_PFN);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->flushes), 3);
}

/*
 * Random use of an aperture of three chunks of the sweep and a bit:
 * ranges of several sizes, some allocations with a lower limit, frees
 * anywhere, before and after the sweep point.  A ledger keeps, for every
 * pfn, whether it is in use or after which flush it may be used again.
 * Seeded, so every run does the same.
 */
#define RANDOM_APERTURE		(3 * 4096 + 100)
#define RANDOM_OPS		60000
#define RANDOM_HELD		256

static u32 xorshift(u32 *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 17;
	*state ^= *state << 5;
	return *state;
}

static void random_use_never_reuses_before_a_flush(struct kunit *test)
{
	static const unsigned long sizes[] = { 1, 1, 1, 2, 3, 8, 64 };
	struct lazy_test *t = test->priv;
	unsigned long *pfn, *size, limit, p;
	long *ledger;
	int op, n = 0, k, errors = 0, failures = 0;
	u32 seed = 2433;

	ledger = kunit_kcalloc(test, RANDOM_APERTURE + 1, sizeof(*ledger), GFP_KERNEL);
	pfn = kunit_kcalloc(test, RANDOM_HELD, sizeof(*pfn), GFP_KERNEL);
	size = kunit_kcalloc(test, RANDOM_HELD, sizeof(*size), GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, ledger && pfn && size);
	KUNIT_ASSERT_EQ(test, lazy_domain_init(t, RANDOM_APERTURE), 0);

	for (op = 0; op < RANDOM_OPS; op++) {
		if (n && (n == RANDOM_HELD || xorshift(&seed) % 2)) {
			k = xorshift(&seed) % n;
			for (p = pfn[k]; p < pfn[k] + size[k]; p++)
				ledger[p] = atomic_read(&t->flushes) + 1;
			free_iova_lazy(&t->iovad, pfn[k], size[k]);
			pfn[k] = pfn[--n];
			size[k] = size[n];
			continue;
		}
		size[n] = sizes[xorshift(&seed) % ARRAY_SIZE(sizes)];
		limit = RANDOM_APERTURE;
		if (!(xorshift(&seed) % 8))
			limit = 4096 + xorshift(&seed) % 4096;
		pfn[n] = alloc_iova_lazy(&t->iovad, size[n], limit);
		if (!pfn[n]) {
			failures++;
			continue;
		}
		if (pfn[n] + size[n] - 1 > limit)
			errors++;
		for (p = pfn[n]; p < pfn[n] + size[n]; p++) {
			if (ledger[p] < 0 || ledger[p] > atomic_read(&t->flushes))
				errors++;
			ledger[p] = -1;
		}
		n++;
		if (!(op % 1024))
			cond_resched();
	}
	kunit_info(test, "report: %d operations, %d flushes, %d failed allocations\n",
		   RANDOM_OPS, atomic_read(&t->flushes), failures);
	KUNIT_EXPECT_EQ(test, errors, 0);
	/* The space went round several times, with few misses. */
	KUNIT_EXPECT_GE(test, atomic_read(&t->flushes), 3);
	KUNIT_EXPECT_LT(test, failures, RANDOM_OPS / 100);
}

/*
 * The memory of the bitmap scheme this mode replaces (s390's pci_dma.c): the
 * fields struct zpci_dev kept for it, and two bitmaps of one bit per page,
 * each from vzalloc().
 */
struct bitmap_scheme_fields {
	spinlock_t iommu_bitmap_lock;	/* guarded the bitmaps */
	unsigned long *iommu_bitmap;
	unsigned long *lazy_bitmap;
	unsigned long iommu_size;
	unsigned long iommu_pages;
	unsigned int next_bit;
};

static unsigned long bitmap_scheme_bytes(unsigned long pages)
{
	return sizeof(struct bitmap_scheme_fields) +
	       2 * iova_vmalloc_bytes(BITS_TO_LONGS(pages) * sizeof(long));
}

/*
 * What the bitmap scheme this mode replaces (s390's pci_dma.c) did when its
 * space ran out, under its lock with interrupts off: clear the freed pages
 * from the allocation bitmap, a walk of the whole aperture.  Returns its
 * time in ns, or 0 without memory for the bitmaps.
 */
static u64 bitmap_scheme_reclaim_ns(unsigned long pages)
{
	unsigned long *map, *freed;
	u64 start, took = 0;

	map = kvcalloc(BITS_TO_LONGS(pages), sizeof(long), GFP_KERNEL);
	freed = kvcalloc(BITS_TO_LONGS(pages), sizeof(long), GFP_KERNEL);
	if (map && freed) {
		bitmap_fill(map, pages);
		bitmap_set(freed, 0, pages / 2);
		start = ktime_get_ns();
		bitmap_andnot(map, map, freed, pages);
		took = ktime_get_ns() - start;
	}
	kvfree(map);
	kvfree(freed);
	return took;
}

/*
 * The same use through a flush queue of FQ_MODEL_ENTRIES entries, the shape
 * of dma-iommu's flush queue with one large queue: an unmapped range waits
 * in the queue, and when the queue is full (here also when the space runs
 * out) one flush frees every queued range, oldest first.  The queue does
 * that under its lock with interrupts off; the model only times it, as a
 * debug kernel takes seconds for it.  Ranges of 64 pages are larger than the
 * IOVA caches hold, so alloc_iova() and free_iova() are what
 * alloc_iova_fast() and free_iova_fast() would do.
 */
#define FQ_MODEL_ENTRIES	32768UL

struct fq_model_entry {		/* the size of dma-iommu's queue entries */
	unsigned long pfn;
	unsigned long pages;
	struct list_head freelist;
	u64 counter;
};

struct fq_model {
	unsigned long bytes;	/* IOVA nodes and queue when the queue is full */
	unsigned long allocs_per_flush;
	u64 reclaim_ns;		/* the slowest flush of the queue */
};

static int fq_model_run(unsigned long pages, unsigned long size,
			struct fq_model *fq)
{
	unsigned long allocs = 0, n = 0, i;
	struct fq_model_entry *queue;
	struct iova_domain iovad;
	struct iova *iova;
	int flushes = 0;
	u64 start;

	queue = kvcalloc(FQ_MODEL_ENTRIES, sizeof(*queue), GFP_KERNEL);
	if (!queue)
		return -ENOMEM;
	init_iova_domain(&iovad, PAGE_SIZE, 1);
	memset(fq, 0, sizeof(*fq));
	while (flushes < 2) {
		iova = alloc_iova(&iovad, size, pages, true);
		if (iova) {
			queue[n].pfn = iova->pfn_lo;
			queue[n++].pages = size;
			allocs++;
			if (n < FQ_MODEL_ENTRIES)
				continue;
		} else if (!n) {
			break;
		}
		/*
		 * A node per queued range and the anchor, each in a slab
		 * object aligned to the hardware cache (64 bytes).
		 */
		fq->bytes = (n + 1) * roundup_pow_of_two(sizeof(struct iova)) +
			    FQ_MODEL_ENTRIES * sizeof(*queue);
		start = ktime_get_ns();
		for (i = 0; i < n; i++) {
			free_iova(&iovad, queue[i].pfn);
			/* A KASAN kernel under TCG takes seconds for 32768. */
			if (!(i % 1024))
				cond_resched();
		}
		fq->reclaim_ns = max(fq->reclaim_ns, ktime_get_ns() - start);
		n = 0;
		flushes++;
		cond_resched();
	}
	put_iova_domain(&iovad);
	kvfree(queue);
	fq->allocs_per_flush = flushes ? allocs / flushes : 0;
	return flushes == 2 ? 0 : -ENOSPC;
}

/*
 * The largest aperture of the scaling case, as a power of two of 4 KiB
 * pages: 20 (4 GiB) by default, so that a debug kernel under emulation
 * runs it in seconds; the bench asks for 24 (64 GiB).
 */
#define SCALING_MIN_SHIFT	18
#define SCALING_MAX_SHIFT	24

static unsigned int scaling_max_shift = 20;

static int scaling_max_shift_set(const char *val, const struct kernel_param *kp)
{
	unsigned int shift;
	int ret;

	ret = kstrtouint(val, 10, &shift);
	if (ret)
		return ret;
	/* The case steps by two from the smallest aperture. */
	if (shift < SCALING_MIN_SHIFT || shift > SCALING_MAX_SHIFT || shift % 2)
		return -EINVAL;
	*(unsigned int *)kp->arg = shift;
	return 0;
}

static const struct kernel_param_ops scaling_max_shift_ops = {
	.set = scaling_max_shift_set,
	.get = param_get_uint,
};

/*
 * On the kernel command line where the suite is built in: 6.1 runs a
 * module's suites as it comes up, before it parses its parameters.
 */
module_param_cb(scaling_max_shift, &scaling_max_shift_ops, &scaling_max_shift, 0444);
MODULE_PARM_DESC(scaling_max_shift,
		 "largest aperture of the scaling case in 2^N pages: 18, 20, 22 or 24 (default 20)");

/*
 * Apertures of 1 GiB up to 2^scaling_max_shift pages, used through twice in
 * ranges of 64 pages: the bookkeeping stays two bits per page, and every
 * pass through the space costs one flush.  Reported: the mean allocation,
 * the slowest one that flushed (the reclaim), which must not grow with the
 * aperture, and beside it the reclaim of the bitmap scheme, which does.
 * Times are not judged here (tools/bench).
 */
static void bookkeeping_stays_two_bits_per_page(struct kunit *test)
{
	struct lazy_test *t = test->priv;
	struct fq_model fq;
	unsigned long pages, pfn, allocs, bytes;
	u64 start, took, total, reclaim;
	unsigned int shift;
	int flushes;

	for (shift = SCALING_MIN_SHIFT; shift <= scaling_max_shift; shift += 2) {
		pages = 1UL << shift;
		KUNIT_ASSERT_EQ(test, lazy_domain_init(t, pages), 0);
		allocs = 0;
		total = 0;
		reclaim = 0;
		while ((flushes = atomic_read(&t->flushes)) < 2) {
			start = ktime_get_ns();
			pfn = alloc_iova_lazy(&t->iovad, 64, pages);
			took = ktime_get_ns() - start;
			KUNIT_ASSERT_NE(test, pfn, 0);
			total += took;
			if (atomic_read(&t->flushes) != flushes)
				reclaim = max(reclaim, took);
			free_iova_lazy(&t->iovad, pfn, 64);
			allocs++;
			if (!(allocs % 1024))
				cond_resched();
		}
		bytes = iova_lazy_bookkeeping_bytes(&t->iovad);
		KUNIT_ASSERT_EQ(test, fq_model_run(pages, 64, &fq), 0);
		kunit_info(test, "report: scaling: aperture %lu pages: lazy %lu bytes, %lu.%03lu bits per page, %lu allocations per flush, mean allocation %llu ns, slowest reclaim %llu ns; bitmap scheme %lu bytes, reclaim %llu ns (%lu words); flush queue %lu bytes, %lu allocations per flush, reclaim %llu ns\n",
			   pages, bytes, bytes * 8 / pages,
			   bytes * 8 * 1000 / pages % 1000, (allocs - 1) / 2,
			   div_u64(total, allocs), reclaim,
			   bitmap_scheme_bytes(pages),
			   bitmap_scheme_reclaim_ns(pages), BITS_TO_LONGS(pages),
			   fq.bytes, fq.allocs_per_flush, fq.reclaim_ns);
		/* The queue, or the space if it holds fewer ranges, per flush. */
		KUNIT_EXPECT_EQ(test, fq.allocs_per_flush,
				min(FQ_MODEL_ENTRIES, pages / 64 - 1));
		/*
		 * Two bits per page, the fixed part and a vmalloc() page
		 * array if the bitmaps come from there; on the 64-bit
		 * kernels that had pci_dma.c no more than its bitmaps took.
		 */
		KUNIT_EXPECT_LE(test, bytes, pages / 4 + pages / 1024 + 1024);
		if (IS_ENABLED(CONFIG_64BIT))
			KUNIT_EXPECT_LE(test, bytes, bitmap_scheme_bytes(pages));
		/*
		 * The aperture starts at pfn 1: ranges of 64 pages aligned to
		 * 64 fit pages / 64 - 1 times.
		 */
		KUNIT_EXPECT_EQ(test, (allocs - 1) / 2, pages / 64 - 1);
	}
}

/* The parameter refuses what the scaling case cannot run and keeps its value. */
static void scaling_max_shift_refuses_malformed_values(struct kunit *test)
{
	static const struct {
		const char *val;
		int ret;
		unsigned int shift;
	} writes[] = {
		{ "17", -EINVAL }, { "19", -EINVAL }, { "25", -EINVAL },
		{ "26", -EINVAL }, { "0", -EINVAL }, { "-1", -EINVAL },
		{ "abc", -EINVAL }, { "20abc", -EINVAL }, { "0x14", -EINVAL },
		{ "", -EINVAL }, { "\n", -EINVAL }, { "4294967314", -ERANGE },
		{ "18", 0, 18 }, { "22\n", 0, 22 }, { "+24", 0, 24 }, { "20", 0, 20 },
	};
	unsigned int shift = 20, before;
	struct kernel_param kp = {
		.name = "scaling_max_shift",
		.ops = &scaling_max_shift_ops,
		.arg = &shift,
	};
	int i;

	for (i = 0; i < ARRAY_SIZE(writes); i++) {
		before = shift;
		KUNIT_EXPECT_EQ_MSG(test, kp.ops->set(writes[i].val, &kp), writes[i].ret,
				    "value \"%s\"", writes[i].val);
		KUNIT_EXPECT_EQ_MSG(test, shift, writes[i].ret ? before : writes[i].shift,
				    "value \"%s\"", writes[i].val);
	}
}

static struct kunit_case iova_lazy_test_cases[] = {
	KUNIT_CASE(never_reuses_an_iova_before_a_flush),
	KUNIT_CASE(flushes_once_when_the_space_runs_out),
	KUNIT_CASE(fails_without_flushing_when_nothing_is_pending),
	KUNIT_CASE(reclaims_ranges_of_every_size),
	KUNIT_CASE(reuses_flushed_ranges_within_the_limit),
	KUNIT_CASE(keeps_bookkeeping_within_the_aperture),
	KUNIT_CASE(reclaims_frees_made_on_another_cpu),
	KUNIT_CASE(fails_and_keeps_freed_ranges_when_the_flush_fails),
	KUNIT_CASE(flush_below_an_unfinished_sweep_keeps_late_frees),
	KUNIT_CASE(random_use_never_reuses_before_a_flush),
	KUNIT_CASE(fails_cleanly_when_the_flush_frees_too_little),
	KUNIT_CASE(never_hands_out_reserved_ranges),
	KUNIT_CASE(concurrent_use_never_reuses_before_a_flush),
	KUNIT_CASE(bookkeeping_stays_two_bits_per_page),
	KUNIT_CASE(scaling_max_shift_refuses_malformed_values),
	{}
};

static struct kunit_suite iova_lazy_test_suite = {
	.name = "iova_lazy_flush",
	.init = lazy_test_init,
	.exit = lazy_test_exit,
	.test_cases = iova_lazy_test_cases,
};

kunit_test_suite(iova_lazy_test_suite);

MODULE_DESCRIPTION("KUnit tests of the lazy-flush mode of IOVA domains");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
