// SPDX-License-Identifier: GPL-2.0
/*
 * IOMMU API for s390 PCI devices
 *
 * Copyright IBM Corp. 2015
 * Author(s): Gerald Schaefer <gerald.schaefer@de.ibm.com>
 */

#include <linux/dma-map-ops.h>
#include <linux/pci.h>
#include <linux/rculist.h>
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <asm/pci_dma.h>

static const struct iommu_ops s390_iommu_ops;

struct s390_domain {
	struct iommu_domain	domain;
	struct list_head	devices;
	unsigned long		*dma_table;
	spinlock_t		dma_table_lock;
	spinlock_t		list_lock;
};

struct s390_domain_device {
	struct list_head	list;
	struct zpci_dev		*zdev;
};

static struct kmem_cache *dma_region_table_cache;
static struct kmem_cache *dma_page_table_cache;

/* s390_iommu=strict: DMA domains invalidate on every unmap */
static bool s390_iommu_strict;
/* DMA addresses per function: s390_iommu_aperture= times memory */
static u64 s390_iommu_aperture;
static u32 s390_iommu_aperture_factor = 1;

static unsigned long *dma_alloc_cpu_table(void)
{
	unsigned long *table, *entry;

	table = kmem_cache_alloc(dma_region_table_cache, GFP_ATOMIC);
	if (!table)
		return NULL;

	for (entry = table; entry < table + ZPCI_TABLE_ENTRIES; entry++)
		*entry = ZPCI_TABLE_INVALID;
	return table;
}

static void dma_free_cpu_table(void *table)
{
	kmem_cache_free(dma_region_table_cache, table);
}

static unsigned long *dma_alloc_page_table(void)
{
	unsigned long *table, *entry;

	table = kmem_cache_alloc(dma_page_table_cache, GFP_ATOMIC);
	if (!table)
		return NULL;

	for (entry = table; entry < table + ZPCI_PT_ENTRIES; entry++)
		*entry = ZPCI_PTE_INVALID;
	return table;
}

static void dma_free_page_table(void *table)
{
	kmem_cache_free(dma_page_table_cache, table);
}

static noinline unsigned long *dma_get_seg_table_origin(unsigned long *entry)
{
	unsigned long *sto;

	if (reg_entry_isvalid(*entry)) {
		sto = get_rt_sto(*entry);
	} else {
		sto = dma_alloc_cpu_table();
		if (!sto)
			return NULL;

		set_rt_sto(entry, virt_to_phys(sto));
		validate_rt_entry(entry);
		entry_clr_protected(entry);
	}
	return sto;
}

static noinline unsigned long *dma_get_page_table_origin(unsigned long *entry)
{
	unsigned long *pto;

	if (reg_entry_isvalid(*entry)) {
		pto = get_st_pto(*entry);
	} else {
		pto = dma_alloc_page_table();
		if (!pto)
			return NULL;
		set_st_pto(entry, virt_to_phys(pto));
		validate_st_entry(entry);
		entry_clr_protected(entry);
	}
	return pto;
}

/*
 * Inline: a map walks once per page, and rarely allocates a table, so the
 * helpers that do are called only for an entry that is not valid yet.
 */
static __always_inline unsigned long *dma_walk_cpu_trans(unsigned long *rto,
							 dma_addr_t dma_addr)
{
	unsigned long *entry, *sto, *pto;

	entry = &rto[calc_rtx(dma_addr)];
	if (likely(reg_entry_isvalid(*entry)))
		sto = get_rt_sto(*entry);
	else
		sto = dma_get_seg_table_origin(entry);
	if (!sto)
		return NULL;

	entry = &sto[calc_sx(dma_addr)];
	if (likely(reg_entry_isvalid(*entry)))
		pto = get_st_pto(*entry);
	else
		pto = dma_get_page_table_origin(entry);
	if (!pto)
		return NULL;

	return &pto[calc_px(dma_addr)];
}

static void dma_update_cpu_trans(unsigned long *entry, phys_addr_t page_addr,
				 int flags)
{
	if (flags & ZPCI_PTE_INVALID) {
		invalidate_pt_entry(entry);
	} else {
		set_pt_pfaa(entry, page_addr);
		validate_pt_entry(entry);
	}

	if (flags & ZPCI_TABLE_PROTECTED)
		entry_set_protected(entry);
	else
		entry_clr_protected(entry);
}

static void dma_free_seg_table(unsigned long entry)
{
	unsigned long *sto = get_rt_sto(entry);
	int sx;

	for (sx = 0; sx < ZPCI_TABLE_ENTRIES; sx++)
		if (reg_entry_isvalid(sto[sx]))
			dma_free_page_table(get_st_pto(sto[sx]));

	dma_free_cpu_table(sto);
}

static void dma_cleanup_tables(unsigned long *table)
{
	int rtx;

	if (!table)
		return;

	for (rtx = 0; rtx < ZPCI_TABLE_ENTRIES; rtx++)
		if (reg_entry_isvalid(table[rtx]))
			dma_free_seg_table(table[rtx]);

	dma_free_cpu_table(table);
}

enum s390_iommu_refresh_kind {
	S390_REFRESH_MAP,	/* new translations */
	S390_REFRESH_UNMAP,	/* invalidated translations */
	S390_REFRESH_GLOBAL,	/* everything */
};

/* One IOTLB refresh of a function, counted by kind. */
static int zpci_iommu_refresh(struct zpci_dev *zdev, dma_addr_t start,
			      size_t size, enum s390_iommu_refresh_kind kind)
{
	struct zpci_iommu_ctrs *ctrs = &zdev->iommu_ctrs;

	atomic64_inc(kind == S390_REFRESH_MAP ? &ctrs->map_flushes :
		     kind == S390_REFRESH_UNMAP ? &ctrs->unmap_flushes :
		     &ctrs->global_flushes);
	return zpci_refresh_trans((u64)zdev->fh << 32, start, size);
}

static struct s390_domain *to_s390_domain(struct iommu_domain *dom)
{
	return container_of(dom, struct s390_domain, domain);
}

static bool s390_iommu_capable(struct device *dev, enum iommu_cap cap)
{
	switch (cap) {
	case IOMMU_CAP_CACHE_COHERENCY:
		return true;
	case IOMMU_CAP_INTR_REMAP:
		return true;
	case IOMMU_CAP_LAZY_FLUSH:
		return zpci_iommu_can_flush_lazily(to_zpci_dev(dev));
	case IOMMU_CAP_UNMAP_STOPS_AT_HOLE:
		return true;
	default:
		return false;
	}
}

static struct iommu_domain *s390_domain_alloc(unsigned domain_type)
{
	struct s390_domain *s390_domain;

	switch (domain_type) {
	case IOMMU_DOMAIN_UNMANAGED:
	case IOMMU_DOMAIN_DMA:
	case IOMMU_DOMAIN_DMA_FQ:
	case IOMMU_DOMAIN_DMA_LAZY:
		break;
	default:
		return NULL;
	}

	s390_domain = kzalloc(sizeof(*s390_domain), GFP_KERNEL);
	if (!s390_domain)
		return NULL;

	s390_domain->dma_table = dma_alloc_cpu_table();
	if (!s390_domain->dma_table) {
		kfree(s390_domain);
		return NULL;
	}

	spin_lock_init(&s390_domain->dma_table_lock);
	spin_lock_init(&s390_domain->list_lock);
	INIT_LIST_HEAD(&s390_domain->devices);

	return &s390_domain->domain;
}

static void s390_domain_free(struct iommu_domain *domain)
{
	struct s390_domain *s390_domain = to_s390_domain(domain);

	WARN_ON(!list_empty(&s390_domain->devices));
	dma_cleanup_tables(s390_domain->dma_table);
	kfree(s390_domain);
}

static void __s390_iommu_detach_device(struct zpci_dev *zdev)
{
	struct s390_domain *s390_domain = zdev->s390_domain;
	struct s390_domain_device *domain_device, *found = NULL;
	unsigned long flags;

	if (!s390_domain)
		return;

	spin_lock_irqsave(&s390_domain->list_lock, flags);
	list_for_each_entry(domain_device, &s390_domain->devices, list) {
		if (domain_device->zdev == zdev) {
			list_del_rcu(&domain_device->list);
			found = domain_device;
			break;
		}
	}
	spin_unlock_irqrestore(&s390_domain->list_lock, flags);
	/* Map, unmap and flush walk the list under RCU: let them finish. */
	if (found) {
		synchronize_rcu();
		kfree(found);
	}

	WRITE_ONCE(zdev->ioat_registered, false);
	zpci_unregister_ioat(zdev, 0);
	zdev->s390_domain = NULL;
	zdev->dma_table = NULL;
}

static int s390_iommu_attach_device(struct iommu_domain *domain,
				    struct device *dev)
{
	struct s390_domain *s390_domain = to_s390_domain(domain);
	struct zpci_dev *zdev = to_zpci_dev(dev);
	struct s390_domain_device *domain_device;
	unsigned long flags;
	int cc, rc = 0;

	if (!zdev)
		return -ENODEV;

	domain_device = kzalloc(sizeof(*domain_device), GFP_KERNEL);
	if (!domain_device)
		return -ENOMEM;

	if (zdev->s390_domain)
		__s390_iommu_detach_device(zdev);

	cc = zpci_register_ioat(zdev, 0, zdev->start_dma, zdev->end_dma,
				virt_to_phys(s390_domain->dma_table));
	if (cc) {
		rc = -EIO;
		goto out_free;
	}
	zdev->dma_table = s390_domain->dma_table;
	WRITE_ONCE(zdev->ioat_registered, true);
	/* The domain may be in use by other devices already. */
	if (zdev->tlb_refresh)
		zpci_iommu_refresh(zdev, zdev->start_dma,
				   zdev->end_dma - zdev->start_dma + 1,
				   S390_REFRESH_GLOBAL);

	spin_lock_irqsave(&s390_domain->list_lock, flags);
	/* First device defines the DMA range limits */
	if (list_empty(&s390_domain->devices)) {
		domain->geometry.aperture_start = zdev->start_dma;
		domain->geometry.aperture_end = zpci_iommu_aperture_end(zdev);
		domain->geometry.force_aperture = true;
	/* Allow only devices with identical DMA range limits */
	} else if (domain->geometry.aperture_start != zdev->start_dma ||
		   domain->geometry.aperture_end != zpci_iommu_aperture_end(zdev)) {
		spin_unlock_irqrestore(&s390_domain->list_lock, flags);
		rc = -EINVAL;
		goto out_unregister;
	}
	domain_device->zdev = zdev;
	zdev->s390_domain = s390_domain;
	zdev->s390_domain_type = domain->type;
	list_add_rcu(&domain_device->list, &s390_domain->devices);
	spin_unlock_irqrestore(&s390_domain->list_lock, flags);

	return 0;

out_unregister:
	WRITE_ONCE(zdev->ioat_registered, false);
	zpci_unregister_ioat(zdev, 0);
	zdev->dma_table = NULL;
out_free:
	kfree(domain_device);

	return rc;
}

static void s390_iommu_detach_device(struct iommu_domain *domain,
				     struct device *dev)
{
	struct zpci_dev *zdev = to_zpci_dev(dev);

	WARN_ON(zdev->s390_domain != to_s390_domain(domain));

	__s390_iommu_detach_device(zdev);
}

/**
 * zpci_iommu_register_ioat - register the table of the function's domain
 * @zdev: the zPCI function, enabled again after a reset or a change of the
 *	interpretation state
 *
 * The table still holds the translations from before; a hypervisor that
 * shadows it learns of them only through a refresh.  Nothing to do when
 * the function is not attached to a domain.
 */
int zpci_iommu_register_ioat(struct zpci_dev *zdev)
{
	if (!zdev->dma_table)
		return 0;
	if (zpci_register_ioat(zdev, 0, zdev->start_dma, zdev->end_dma,
			       virt_to_phys(zdev->dma_table)))
		return -EIO;
	WRITE_ONCE(zdev->ioat_registered, true);
	if (!zdev->tlb_refresh)
		return 0;
	return zpci_iommu_refresh(zdev, zdev->start_dma,
				  zdev->end_dma - zdev->start_dma + 1,
				  S390_REFRESH_GLOBAL);
}
EXPORT_SYMBOL_GPL(zpci_iommu_register_ioat);

static struct iommu_device *s390_iommu_probe_device(struct device *dev)
{
	struct zpci_dev *zdev;

	if (!dev_is_pci(dev))
		return ERR_PTR(-ENODEV);

	zdev = to_zpci_dev(dev);

	/*
	 * The DMA addresses of a function are limited by s390_iommu_aperture,
	 * by what three levels of translation tables reach, and by the range
	 * the platform reports; a function without any gets no IOMMU.
	 */
	if (zpci_dma_range_limit(zdev, s390_iommu_aperture)) {
		dev_err(dev, "no usable DMA addresses in 0x%llx-0x%llx\n",
			zdev->start_dma, zdev->end_dma);
		/* Without translation the function cannot DMA at all. */
		set_dma_ops(dev, &dma_dummy_ops);
		return ERR_PTR(-EINVAL);
	}

	return &zdev->iommu_dev;
}

/* ISM must not see the refreshes of its whole aperture that lazy modes do. */
static int s390_iommu_def_domain_type(struct device *dev)
{
	return zpci_iommu_can_flush_lazily(to_zpci_dev(dev)) ? 0 : IOMMU_DOMAIN_DMA;
}

static void s390_iommu_probe_finalize(struct device *dev)
{
	iommu_setup_dma_ops(dev, 0, U64_MAX);
}

static void s390_iommu_release_device(struct device *dev)
{
	struct zpci_dev *zdev = to_zpci_dev(dev);

	/*
	 * release_device is expected to detach any domain currently attached
	 * to the device, but keep it attached to other devices in the group.
	 */
	if (zdev)
		__s390_iommu_detach_device(zdev);
}

/*
 * Update the translation table entries for @size bytes at @dma_addr.  The
 * devices see the change only after an IOTLB refresh, see below.
 */
static int s390_iommu_update_trans(struct s390_domain *s390_domain,
				   phys_addr_t pa, dma_addr_t dma_addr,
				   size_t size, int flags)
{
	struct iommu_domain_geometry *geometry = &s390_domain->domain.geometry;
	phys_addr_t page_addr = pa & PAGE_MASK;
	unsigned long irq_flags, nr_pages, i;
	unsigned long *entry;
	dma_addr_t last;
	int rc = 0;

	/* The aperture ends with its last usable address. */
	if (dma_addr < geometry->aperture_start ||
	    check_add_overflow(dma_addr, (dma_addr_t)size - 1, &last) ||
	    last > geometry->aperture_end)
		return -EINVAL;

	nr_pages = PAGE_ALIGN(size) >> PAGE_SHIFT;
	if (!nr_pages)
		return 0;

	spin_lock_irqsave(&s390_domain->dma_table_lock, irq_flags);
	for (i = 0; i < nr_pages; i++) {
		entry = dma_walk_cpu_trans(s390_domain->dma_table, dma_addr);
		if (!entry) {
			rc = -ENOMEM;
			goto undo_cpu_trans;
		}
		dma_update_cpu_trans(entry, page_addr, flags);
		page_addr += PAGE_SIZE;
		dma_addr += PAGE_SIZE;
	}

undo_cpu_trans:
	if (rc && ((flags & ZPCI_PTE_VALID_MASK) == ZPCI_PTE_VALID)) {
		flags = ZPCI_PTE_INVALID;
		while (i-- > 0) {
			page_addr -= PAGE_SIZE;
			dma_addr -= PAGE_SIZE;
			entry = dma_walk_cpu_trans(s390_domain->dma_table,
						   dma_addr);
			if (!entry)
				break;
			dma_update_cpu_trans(entry, page_addr, flags);
		}
	}
	spin_unlock_irqrestore(&s390_domain->dma_table_lock, irq_flags);

	return rc;
}

/*
 * Refresh the IOTLB of every device of the domain for @size bytes at
 * @start.  Invalidated entries always need a refresh; new entries only
 * where the function asks for it (zdev->tlb_refresh), as under a
 * hypervisor that shadows the table.
 */
static __always_inline int
s390_iommu_refresh(struct s390_domain *s390_domain, dma_addr_t start,
		   size_t size, enum s390_iommu_refresh_kind kind)
{
	struct s390_domain_device *domain_device;
	int rc = 0, ret;

	rcu_read_lock();
	list_for_each_entry_rcu(domain_device, &s390_domain->devices, list) {
		struct zpci_dev *zdev = domain_device->zdev;

		if (kind == S390_REFRESH_MAP) {
			atomic64_add(PAGE_ALIGN(size) >> PAGE_SHIFT,
				     &zdev->iommu_ctrs.mapped_pages);
			if (!zdev->tlb_refresh)
				continue;
		}
		/*
		 * A function being reset has no table registered; registering
		 * it again refreshes everything (zpci_iommu_register_ioat()).
		 */
		if (!READ_ONCE(zdev->ioat_registered))
			continue;
		ret = zpci_iommu_refresh(zdev, start, size, kind);
		if (ret && !rc)
			rc = ret;
	}
	rcu_read_unlock();

	return rc;
}

static void s390_iommu_flush_iotlb_all(struct iommu_domain *domain)
{
	struct iommu_domain_geometry *geometry = &domain->geometry;

	s390_iommu_refresh(to_s390_domain(domain), geometry->aperture_start,
			   geometry->aperture_end - geometry->aperture_start + 1,
			   S390_REFRESH_GLOBAL);
}

static void s390_iommu_iotlb_sync(struct iommu_domain *domain,
				  struct iommu_iotlb_gather *gather)
{
	if (gather->start > gather->end)
		return;
	s390_iommu_refresh(to_s390_domain(domain), gather->start,
			   gather->end - gather->start + 1, S390_REFRESH_UNMAP);
}

static int s390_iommu_iotlb_sync_map(struct iommu_domain *domain,
				     unsigned long iova, size_t size)
{
	struct s390_domain *s390_domain = to_s390_domain(domain);
	int rc;

	rc = s390_iommu_refresh(s390_domain, iova, size, S390_REFRESH_MAP);
	/*
	 * A hypervisor that runs out of resources for shadowing may get some
	 * back from translations that were invalidated but not yet refreshed.
	 * If it still has none, the map fails and is undone.
	 */
	if (rc == -ENOMEM) {
		s390_iommu_flush_iotlb_all(domain);
		rc = s390_iommu_refresh(s390_domain, iova, size, S390_REFRESH_MAP);
	}
	return rc;
}

static int s390_iommu_map_pages(struct iommu_domain *domain,
				unsigned long iova, phys_addr_t paddr,
				size_t pgsize, size_t pgcount, int prot,
				gfp_t gfp, size_t *mapped)
{
	struct s390_domain *s390_domain = to_s390_domain(domain);
	size_t size = pgsize * pgcount;
	int flags = ZPCI_PTE_VALID, rc;

	/* There are no write-only translations: those are read-write. */
	if (!(prot & (IOMMU_READ | IOMMU_WRITE)))
		return -EINVAL;

	if (!(prot & IOMMU_WRITE))
		flags |= ZPCI_TABLE_PROTECTED;

	/* On failure nothing stays mapped. */
	rc = s390_iommu_update_trans(s390_domain, paddr, iova, size, flags);
	if (!rc)
		*mapped = size;
	return rc;
}

static phys_addr_t s390_iommu_iova_to_phys(struct iommu_domain *domain,
					   dma_addr_t iova)
{
	struct s390_domain *s390_domain = to_s390_domain(domain);
	unsigned long *sto, *pto, *rto, flags;
	unsigned int rtx, sx, px;
	phys_addr_t phys = 0;

	if (iova < domain->geometry.aperture_start ||
	    iova > domain->geometry.aperture_end)
		return 0;

	rtx = calc_rtx(iova);
	sx = calc_sx(iova);
	px = calc_px(iova);
	rto = s390_domain->dma_table;

	spin_lock_irqsave(&s390_domain->dma_table_lock, flags);
	if (rto && reg_entry_isvalid(rto[rtx])) {
		sto = get_rt_sto(rto[rtx]);
		if (sto && reg_entry_isvalid(sto[sx])) {
			pto = get_st_pto(sto[sx]);
			if (pto && pt_entry_isvalid(pto[px]))
				phys = pto[px] & ZPCI_PTE_ADDR_MASK;
		}
	}
	spin_unlock_irqrestore(&s390_domain->dma_table_lock, flags);

	return phys;
}

/*
 * Invalidate the translations of @size bytes at @dma_addr in one walk,
 * stopping at the first page that is not mapped.  Returns the number of
 * bytes invalidated.
 */
static size_t s390_iommu_invalidate_trans(struct s390_domain *s390_domain,
					  dma_addr_t dma_addr, size_t size)
{
	struct iommu_domain_geometry *geometry = &s390_domain->domain.geometry;
	unsigned long *rto = s390_domain->dma_table, *sto, *pto = NULL;
	unsigned long irq_flags, nr_pages, i;
	unsigned int sx = 0, px;

	if (dma_addr < geometry->aperture_start ||
	    dma_addr > geometry->aperture_end)
		return 0;
	nr_pages = min_t(u64, PAGE_ALIGN(size) >> PAGE_SHIFT,
			 ((geometry->aperture_end - dma_addr) >> PAGE_SHIFT) + 1);

	spin_lock_irqsave(&s390_domain->dma_table_lock, irq_flags);
	for (i = 0; i < nr_pages; i++, dma_addr += PAGE_SIZE) {
		px = calc_px(dma_addr);
		/* Walk from the top only when entering another page table. */
		if (!pto || !px) {
			pto = NULL;
			if (!reg_entry_isvalid(rto[calc_rtx(dma_addr)]))
				break;
			sto = get_rt_sto(rto[calc_rtx(dma_addr)]);
			sx = calc_sx(dma_addr);
			if (!reg_entry_isvalid(sto[sx]))
				break;
			pto = get_st_pto(sto[sx]);
		}
		if (!pt_entry_isvalid(pto[px]))
			break;
		invalidate_pt_entry(&pto[px]);
		entry_clr_protected(&pto[px]);
	}
	spin_unlock_irqrestore(&s390_domain->dma_table_lock, irq_flags);

	return i << PAGE_SHIFT;
}

static size_t s390_iommu_unmap_pages(struct iommu_domain *domain,
				     unsigned long iova, size_t pgsize,
				     size_t pgcount,
				     struct iommu_iotlb_gather *gather)
{
	struct s390_domain *s390_domain = to_s390_domain(domain);
	struct s390_domain_device *domain_device;
	size_t size;

	size = s390_iommu_invalidate_trans(s390_domain, iova, pgsize * pgcount);
	if (!size)
		return 0;

	rcu_read_lock();
	list_for_each_entry_rcu(domain_device, &s390_domain->devices, list)
		atomic64_add(PAGE_ALIGN(size) >> PAGE_SHIFT,
			     &domain_device->zdev->iommu_ctrs.unmapped_pages);
	rcu_read_unlock();

	iommu_iotlb_gather_add_range(gather, iova, size);
	return size;
}

int zpci_init_iommu(struct zpci_dev *zdev)
{
	int rc = 0;

	rc = iommu_device_sysfs_add(&zdev->iommu_dev, NULL, NULL,
				    "s390-iommu.%08x", zdev->fid);
	if (rc)
		goto out_err;

	rc = iommu_device_register(&zdev->iommu_dev, &s390_iommu_ops, NULL);
	if (rc)
		goto out_sysfs;

	return 0;

out_sysfs:
	iommu_device_sysfs_remove(&zdev->iommu_dev);

out_err:
	return rc;
}

void zpci_destroy_iommu(struct zpci_dev *zdev)
{
	iommu_device_unregister(&zdev->iommu_dev);
	iommu_device_sysfs_remove(&zdev->iommu_dev);
}

static int __init s390_iommu_setup(char *str)
{
	if (!strcmp(str, "strict"))
		s390_iommu_strict = true;
	return 1;
}

__setup("s390_iommu=", s390_iommu_setup);

static int __init s390_iommu_aperture_setup(char *str)
{
	if (kstrtou32(str, 10, &s390_iommu_aperture_factor))
		s390_iommu_aperture_factor = 1;
	return 1;
}

__setup("s390_iommu_aperture=", s390_iommu_aperture_setup);

/*
 * Called before zPCI functions are scanned.  Unless s390_iommu=strict or
 * iommu.strict= asks otherwise, DMA domains flush the IOTLB only when
 * their IOVA space runs out: under a hypervisor that shadows the tables,
 * each refresh costs far more than the translations it invalidates.
 */
int __init zpci_iommu_init(void)
{
	s390_iommu_aperture = (u64)virt_to_phys(high_memory);
	if (!s390_iommu_aperture_factor)
		s390_iommu_aperture = ULONG_MAX;
	else
		s390_iommu_aperture *= s390_iommu_aperture_factor;

	dma_region_table_cache = kmem_cache_create("PCI_DMA_region_tables",
						   ZPCI_TABLE_SIZE, ZPCI_TABLE_ALIGN,
						   0, NULL);
	if (!dma_region_table_cache)
		return -ENOMEM;

	dma_page_table_cache = kmem_cache_create("PCI_DMA_page_tables",
						 ZPCI_PT_SIZE, ZPCI_PT_ALIGN,
						 0, NULL);
	if (!dma_page_table_cache) {
		kmem_cache_destroy(dma_region_table_cache);
		return -ENOMEM;
	}

	if (s390_iommu_strict)
		iommu_set_dma_strict();
	else
		iommu_set_default_dma_lazy();
	return 0;
}

void zpci_iommu_exit(void)
{
	kmem_cache_destroy(dma_page_table_cache);
	kmem_cache_destroy(dma_region_table_cache);
}

static const struct iommu_ops s390_iommu_ops = {
	.capable = s390_iommu_capable,
	.domain_alloc = s390_domain_alloc,
	.probe_device = s390_iommu_probe_device,
	.probe_finalize = s390_iommu_probe_finalize,
	.release_device = s390_iommu_release_device,
	.def_domain_type = s390_iommu_def_domain_type,
	.device_group = generic_device_group,
	.pgsize_bitmap = SZ_4K,
	.default_domain_ops = &(const struct iommu_domain_ops) {
		.attach_dev	= s390_iommu_attach_device,
		.detach_dev	= s390_iommu_detach_device,
		.map_pages	= s390_iommu_map_pages,
		.unmap_pages	= s390_iommu_unmap_pages,
		.flush_iotlb_all = s390_iommu_flush_iotlb_all,
		.iotlb_sync	= s390_iommu_iotlb_sync,
		.iotlb_sync_map	= s390_iommu_iotlb_sync_map,
		.iova_to_phys	= s390_iommu_iova_to_phys,
		.free		= s390_domain_free,
	}
};
