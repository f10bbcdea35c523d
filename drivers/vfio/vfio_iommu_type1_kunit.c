// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests of where vfio type1 maps its fine-grained superpage probe.
 * Included at the end of vfio_iommu_type1.c to reach its static functions.
 */
#include <kunit/test.h>

#define PROBE_SIZE	(PAGE_SIZE * 2)

/* Run the probe's choice on usable ranges given as {start, end} pairs. */
static bool choose(struct kunit *test, const dma_addr_t (*ranges)[2], int n,
		   dma_addr_t *iova)
{
	struct vfio_iova *r = kunit_kcalloc(test, n, sizeof(*r), GFP_KERNEL);
	LIST_HEAD(regions);
	int i;

	KUNIT_ASSERT_NOT_NULL(test, r);
	for (i = 0; i < n; i++) {
		r[i].start = ranges[i][0];
		r[i].end = ranges[i][1];
		list_add_tail(&r[i].list, &regions);
	}
	return vfio_fgsp_probe_iova(&regions, iova);
}

/* s390: everything below the function's DMA start is not usable. */
static void uses_first_range_when_it_starts_high(struct kunit *test)
{
	const dma_addr_t ranges[][2] = { { 0x100000000ULL, 0x13fffffffULL } };
	dma_addr_t iova;

	KUNIT_ASSERT_TRUE(test, choose(test, ranges, 1, &iova));
	KUNIT_EXPECT_EQ(test, iova, 0x100000000ULL);
}

static void aligns_range_start_to_two_pages(struct kunit *test)
{
	const dma_addr_t ranges[][2] = { { PAGE_SIZE, 16 * PAGE_SIZE - 1 } };
	dma_addr_t iova;

	KUNIT_ASSERT_TRUE(test, choose(test, ranges, 1, &iova));
	KUNIT_EXPECT_EQ(test, iova, PROBE_SIZE);
	KUNIT_EXPECT_EQ(test, iova % PROBE_SIZE, 0);
}

static void skips_ranges_that_cannot_hold_two_aligned_pages(struct kunit *test)
{
	const dma_addr_t ranges[][2] = {
		{ PAGE_SIZE, 2 * PAGE_SIZE - 1 },		/* one page */
		{ 3 * PAGE_SIZE, 5 * PAGE_SIZE - 1 },		/* two, unaligned */
		{ 16 * PAGE_SIZE, 32 * PAGE_SIZE - 1 },
	};
	dma_addr_t iova;

	KUNIT_ASSERT_TRUE(test, choose(test, ranges, 3, &iova));
	KUNIT_EXPECT_EQ(test, iova, 16 * PAGE_SIZE);
}

static void uses_range_of_exactly_two_aligned_pages(struct kunit *test)
{
	const dma_addr_t ranges[][2] = { { PROBE_SIZE, 2 * PROBE_SIZE - 1 } };
	dma_addr_t iova;

	KUNIT_ASSERT_TRUE(test, choose(test, ranges, 1, &iova));
	KUNIT_EXPECT_EQ(test, iova, PROBE_SIZE);
}

static void never_wraps_at_top_of_address_space(struct kunit *test)
{
	const dma_addr_t ranges[][2] = {
		{ (dma_addr_t)-PAGE_SIZE, (dma_addr_t)-1 },
	};
	dma_addr_t iova = 0x5a5a;

	KUNIT_EXPECT_FALSE(test, choose(test, ranges, 1, &iova));
	KUNIT_EXPECT_EQ(test, iova, 0x5a5a);
}

static void uses_last_two_pages_of_address_space(struct kunit *test)
{
	const dma_addr_t ranges[][2] = {
		{ (dma_addr_t)-PROBE_SIZE, (dma_addr_t)-1 },
	};
	dma_addr_t iova;

	KUNIT_ASSERT_TRUE(test, choose(test, ranges, 1, &iova));
	KUNIT_EXPECT_EQ(test, iova, (dma_addr_t)-PROBE_SIZE);
}

static void finds_nothing_without_usable_ranges(struct kunit *test)
{
	LIST_HEAD(regions);
	dma_addr_t iova;

	KUNIT_EXPECT_FALSE(test, vfio_fgsp_probe_iova(&regions, &iova));
}

static struct kunit_case vfio_fgsp_probe_test_cases[] = {
	KUNIT_CASE(uses_first_range_when_it_starts_high),
	KUNIT_CASE(aligns_range_start_to_two_pages),
	KUNIT_CASE(skips_ranges_that_cannot_hold_two_aligned_pages),
	KUNIT_CASE(uses_range_of_exactly_two_aligned_pages),
	KUNIT_CASE(never_wraps_at_top_of_address_space),
	KUNIT_CASE(uses_last_two_pages_of_address_space),
	KUNIT_CASE(finds_nothing_without_usable_ranges),
	{}
};

static struct kunit_suite vfio_fgsp_probe_test_suite = {
	.name = "vfio_type1_fgsp_probe",
	.test_cases = vfio_fgsp_probe_test_cases,
};

kunit_test_suite(vfio_fgsp_probe_test_suite);
