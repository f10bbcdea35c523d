// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the s390 IOMMU translation tables through the IOMMU API:
 * an unmap walks the tables once, across page and segment table
 * boundaries, stops at the first page that is not mapped and at the end
 * of the aperture, and a map that the driver refuses, or that fails for
 * want of a page table, leaves nothing.
 * The domain has no device attached, so no IOTLB is refreshed and the
 * physical addresses are never used for DMA.
 */
#include <kunit/test.h>
#include <linux/iommu.h>
#include <linux/pci.h>
#include <linux/sched.h>
#include <linux/sizes.h>

#define APERTURE_START	SZ_4G
#define APERTURE_END	(SZ_8G - 1)
#define PHYS_BASE	SZ_1G
#define RW		(IOMMU_READ | IOMMU_WRITE)

/* Where the tests map @iova: contiguous across the whole aperture. */
static phys_addr_t phys_of(unsigned long iova)
{
	return PHYS_BASE + iova - APERTURE_START;
}

static int tables_init(struct kunit *test)
{
	struct iommu_domain *domain = iommu_domain_alloc(&pci_bus_type);

	if (!domain)
		kunit_skip(test, "no zPCI function, so no s390 IOMMU");
	/* What attaching a function would set. */
	domain->geometry.aperture_start = APERTURE_START;
	domain->geometry.aperture_end = APERTURE_END;
	domain->geometry.force_aperture = true;
	test->priv = domain;
	return 0;
}

static void tables_exit(struct kunit *test)
{
	if (test->priv)
		iommu_domain_free(test->priv);
}

static void map_pages(struct kunit *test, unsigned long iova, size_t pages)
{
	KUNIT_ASSERT_EQ(test, iommu_map(test->priv, iova, phys_of(iova),
					pages * SZ_4K, RW), 0);
}

/* Unmap @pages from @iova; the IOTLB range to refresh must be what went. */
static size_t unmap_pages(struct kunit *test, unsigned long iova, size_t pages)
{
	struct iommu_iotlb_gather gather;
	size_t size;

	iommu_iotlb_gather_init(&gather);
	size = iommu_unmap_fast(test->priv, iova, pages * SZ_4K, &gather);
	if (size) {
		KUNIT_EXPECT_EQ(test, gather.start, iova);
		KUNIT_EXPECT_EQ(test, gather.end, iova + size - 1);
	} else {
		KUNIT_EXPECT_GT(test, gather.start, gather.end);
	}
	return size;
}

static bool mapped(struct kunit *test, unsigned long iova)
{
	phys_addr_t phys = iommu_iova_to_phys(test->priv, iova);

	if (phys)
		KUNIT_EXPECT_EQ(test, phys, phys_of(iova));
	return phys;
}

static void unmap_stops_at_the_first_unmapped_page(struct kunit *test)
{
	unsigned long iova = APERTURE_START + 16 * SZ_1M;
	int i;

	map_pages(test, iova, 4);
	map_pages(test, iova + 5 * SZ_4K, 3);
	KUNIT_EXPECT_EQ(test, unmap_pages(test, iova, 8), 4 * SZ_4K);
	for (i = 0; i < 8; i++)
		KUNIT_EXPECT_EQ_MSG(test, mapped(test, iova + i * SZ_4K), i > 4,
				    "page %d", i);
	/* From the hole on, nothing is unmapped until the hole is passed. */
	KUNIT_EXPECT_EQ(test, unmap_pages(test, iova + 4 * SZ_4K, 4), 0);
	KUNIT_EXPECT_EQ(test, unmap_pages(test, iova + 5 * SZ_4K, 3), 3 * SZ_4K);
}

/* Map two pages on each side of @boundary, then unmap them in one call. */
static void unmap_across(struct kunit *test, unsigned long boundary)
{
	unsigned long iova = boundary - 2 * SZ_4K;
	int i;

	map_pages(test, iova, 4);
	KUNIT_EXPECT_EQ(test, unmap_pages(test, iova, 4), 4 * SZ_4K);
	for (i = 0; i < 4; i++)
		KUNIT_EXPECT_FALSE_MSG(test, mapped(test, iova + i * SZ_4K),
				       "page %d", i);
}

static void unmap_walks_across_page_tables(struct kunit *test)
{
	/* A page table maps 1 MiB. */
	unmap_across(test, APERTURE_START + 3 * SZ_1M);
}

static void unmap_walks_across_segment_tables(struct kunit *test)
{
	/* A segment table maps 2 GiB: 6 GiB starts the next one. */
	unmap_across(test, 3UL * SZ_2G);
}

static void unmap_of_nothing_unmaps_nothing(struct kunit *test)
{
	unsigned long iova = APERTURE_START + 1024 * SZ_1M;

	/* No segment table, then no page table, then no page. */
	KUNIT_EXPECT_EQ(test, unmap_pages(test, iova, 1), 0);
	map_pages(test, iova + SZ_4M, 1);
	KUNIT_EXPECT_EQ(test, unmap_pages(test, iova, 1), 0);
	KUNIT_EXPECT_EQ(test, unmap_pages(test, iova + SZ_4M + SZ_4K, 1), 0);
	KUNIT_EXPECT_TRUE(test, mapped(test, iova + SZ_4M));
}

static void unmap_starting_below_the_aperture_unmaps_nothing(struct kunit *test)
{
	map_pages(test, APERTURE_START, 1);
	KUNIT_EXPECT_EQ(test, unmap_pages(test, APERTURE_START - SZ_4K, 2), 0);
	KUNIT_EXPECT_TRUE(test, mapped(test, APERTURE_START));
}

static void unmap_stops_at_the_end_of_the_aperture(struct kunit *test)
{
	struct iommu_domain *domain = test->priv;
	unsigned long last = APERTURE_END + 1 - SZ_4K;

	/* Pages mapped past the end, as if the aperture had shrunk. */
	domain->geometry.aperture_end = APERTURE_END + 2 * SZ_4K;
	map_pages(test, last - SZ_4K, 4);
	domain->geometry.aperture_end = APERTURE_END;
	KUNIT_EXPECT_EQ(test, unmap_pages(test, last - SZ_4K, 4), 2 * SZ_4K);
	KUNIT_EXPECT_FALSE(test, mapped(test, last));
	domain->geometry.aperture_end = APERTURE_END + 2 * SZ_4K;
	KUNIT_EXPECT_TRUE(test, mapped(test, APERTURE_END + 1));
	KUNIT_EXPECT_TRUE(test, mapped(test, APERTURE_END + 1 + SZ_4K));
}

static void refused_maps_leave_nothing_mapped(struct kunit *test)
{
	struct iommu_domain *domain = test->priv;
	unsigned long last = APERTURE_END + 1 - SZ_4K;

	/* Past either end of the aperture. */
	KUNIT_EXPECT_EQ(test, iommu_map(domain, last, PHYS_BASE, 2 * SZ_4K, RW),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, iommu_map(domain, APERTURE_START - SZ_4K, PHYS_BASE,
					2 * SZ_4K, RW), -EINVAL);
	/* No access at all: the tables cannot express it. */
	KUNIT_EXPECT_EQ(test, iommu_map(domain, APERTURE_START, PHYS_BASE, SZ_4K, 0),
			-EINVAL);
	KUNIT_EXPECT_FALSE(test, mapped(test, last));
	KUNIT_EXPECT_FALSE(test, mapped(test, APERTURE_START));
	/* The last page itself can be mapped, read-only too. */
	KUNIT_EXPECT_EQ(test, iommu_map(domain, last, phys_of(last), SZ_4K,
					IOMMU_READ), 0);
	KUNIT_EXPECT_TRUE(test, mapped(test, last));
}

#ifdef CONFIG_FAILSLAB
/*
 * A map whose second page needs a page table that cannot be allocated
 * fails and takes back the translation it made for its first page.
 */
static void map_failing_a_page_table_leaves_nothing_mapped(struct kunit *test)
{
	unsigned long iova = APERTURE_START + 32 * SZ_1M - SZ_4K;
	bool injected;
	int ret;

	/* The first page's page table exists, the second page's does not. */
	map_pages(test, iova - SZ_4K, 1);
	/* fail-nth: the next allocation of this task fails. */
	current->fail_nth = 1;
	ret = iommu_map(test->priv, iova, phys_of(iova), 2 * SZ_4K, RW);
	injected = !current->fail_nth;
	current->fail_nth = 0;
	KUNIT_ASSERT_TRUE(test, injected);
	KUNIT_EXPECT_EQ(test, ret, -ENOMEM);
	KUNIT_EXPECT_FALSE(test, mapped(test, iova));
	KUNIT_EXPECT_FALSE(test, mapped(test, iova + SZ_4K));
	KUNIT_EXPECT_TRUE(test, mapped(test, iova - SZ_4K));
	/* Once the table can be allocated, the same map succeeds. */
	map_pages(test, iova, 2);
	KUNIT_EXPECT_TRUE(test, mapped(test, iova + SZ_4K));
}
#endif

static struct kunit_case tables_cases[] = {
	KUNIT_CASE(unmap_stops_at_the_first_unmapped_page),
	KUNIT_CASE(unmap_walks_across_page_tables),
	KUNIT_CASE(unmap_walks_across_segment_tables),
	KUNIT_CASE(unmap_of_nothing_unmaps_nothing),
	KUNIT_CASE(unmap_starting_below_the_aperture_unmaps_nothing),
	KUNIT_CASE(unmap_stops_at_the_end_of_the_aperture),
	KUNIT_CASE(refused_maps_leave_nothing_mapped),
#ifdef CONFIG_FAILSLAB
	KUNIT_CASE(map_failing_a_page_table_leaves_nothing_mapped),
#endif
	{}
};

static struct kunit_suite tables_suite = {
	.name = "s390_iommu_tables",
	.init = tables_init,
	.exit = tables_exit,
	.test_cases = tables_cases,
};

kunit_test_suite(tables_suite);

MODULE_DESCRIPTION("KUnit tests of the s390 IOMMU translation tables");
MODULE_LICENSE("GPL");
