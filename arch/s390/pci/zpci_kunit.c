// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of decisions the s390 PCI and IOMMU code takes for paths
 * that only real hardware reaches: error recovery of passed-through
 * functions, the DMA range of ISM functions and of odd platform ranges.
 */
#include <kunit/test.h>
#include <linux/iommu.h>
#include <linux/sizes.h>
#include <asm/pci_dma.h>

#define SDMA	SZ_4G

static struct zpci_dev *new_zdev(struct kunit *test, u8 pft, u64 start,
				 u64 end)
{
	struct zpci_dev *zdev = kunit_kzalloc(test, sizeof(*zdev), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, zdev);
	zdev->pft = pft;
	zdev->start_dma = start;
	zdev->end_dma = end;
	return zdev;
}

static void attach(struct zpci_dev *zdev, unsigned int type)
{
	/* Only tested for NULL: any address of the right type does. */
	zdev->s390_domain = (struct s390_domain *)zdev;
	zdev->s390_domain_type = type;
}

static void recovers_functions_the_host_dma_api_uses(struct kunit *test)
{
	static const unsigned int types[] = {
		IOMMU_DOMAIN_DMA, IOMMU_DOMAIN_DMA_FQ, IOMMU_DOMAIN_DMA_LAZY,
	};
	struct zpci_dev *zdev = new_zdev(test, 0, SDMA, SZ_8G - 1);
	int i;

	KUNIT_EXPECT_FALSE(test, zpci_is_passed_through(zdev));
	for (i = 0; i < ARRAY_SIZE(types); i++) {
		attach(zdev, types[i]);
		KUNIT_EXPECT_FALSE_MSG(test, zpci_is_passed_through(zdev),
				       "domain type %#x", types[i]);
	}
}

static void leaves_functions_vfio_owns_to_their_user(struct kunit *test)
{
	struct zpci_dev *zdev = new_zdev(test, 0, SDMA, SZ_8G - 1);

	attach(zdev, IOMMU_DOMAIN_UNMANAGED);
	KUNIT_EXPECT_TRUE(test, zpci_is_passed_through(zdev));
}

static void ism_domains_never_map_the_last_page(struct kunit *test)
{
	struct zpci_dev *zdev = new_zdev(test, PCI_FUNC_TYPE_ISM, SDMA,
					 SZ_8G - 1);
	u64 end = SDMA + SZ_1G - 1;

	KUNIT_ASSERT_EQ(test, zpci_dma_range_limit(zdev, SZ_1G), 0);
	KUNIT_EXPECT_EQ(test, zdev->end_dma, end);
	KUNIT_EXPECT_EQ(test, zpci_iommu_aperture_end(zdev), end - PAGE_SIZE);
	KUNIT_EXPECT_FALSE(test, zpci_iommu_can_flush_lazily(zdev));
}

static void other_domains_map_the_whole_range(struct kunit *test)
{
	struct zpci_dev *zdev = new_zdev(test, 0, SDMA, SZ_8G - 1);

	KUNIT_ASSERT_EQ(test, zpci_dma_range_limit(zdev, SZ_1G), 0);
	KUNIT_EXPECT_EQ(test, zpci_iommu_aperture_end(zdev), SDMA + SZ_1G - 1);
	KUNIT_EXPECT_TRUE(test, zpci_iommu_can_flush_lazily(zdev));
}

static void limits_the_range_to_the_tables_and_whole_pages(struct kunit *test)
{
	struct zpci_dev *zdev = new_zdev(test, 0, 1, U64_MAX);

	KUNIT_ASSERT_EQ(test, zpci_dma_range_limit(zdev, U64_MAX), 0);
	KUNIT_EXPECT_EQ(test, zdev->start_dma, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, zdev->end_dma, ZPCI_TABLE_SIZE_RT - 1);

	zdev = new_zdev(test, 0, SDMA, SDMA + 3 * PAGE_SIZE + 5);
	KUNIT_ASSERT_EQ(test, zpci_dma_range_limit(zdev, U64_MAX), 0);
	KUNIT_EXPECT_EQ(test, zdev->end_dma, SDMA + 3 * PAGE_SIZE - 1);
}

static void refuses_ranges_without_a_usable_page(struct kunit *test)
{
	static const struct {
		u8 pft;
		u64 start, end, aperture;
	} bad[] = {
		{ 0, SZ_8G, SZ_4G, SZ_1G },		/* start beyond end */
		{ 0, ZPCI_TABLE_SIZE_RT, U64_MAX, SZ_1G }, /* beyond tables */
		{ 0, U64_MAX - 5, U64_MAX, SZ_1G },	/* aligns past 2^64 */
		{ 0, SDMA, SDMA | (PAGE_SIZE - 2), SZ_1G }, /* less than a page */
		{ 0, SDMA, SZ_8G - 1, 0 },		/* no aperture */
		{ PCI_FUNC_TYPE_ISM, SDMA, SDMA + PAGE_SIZE - 1, SZ_1G },
	};
	struct zpci_dev *zdev;
	int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		zdev = new_zdev(test, bad[i].pft, bad[i].start, bad[i].end);
		KUNIT_EXPECT_EQ_MSG(test, zpci_dma_range_limit(zdev, bad[i].aperture),
				    -EINVAL, "case %d", i);
		/* Refused ranges are left as they were. */
		KUNIT_EXPECT_EQ(test, zdev->start_dma, bad[i].start);
		KUNIT_EXPECT_EQ(test, zdev->end_dma, bad[i].end);
	}
}

static struct kunit_case zpci_dma_test_cases[] = {
	KUNIT_CASE(recovers_functions_the_host_dma_api_uses),
	KUNIT_CASE(leaves_functions_vfio_owns_to_their_user),
	KUNIT_CASE(ism_domains_never_map_the_last_page),
	KUNIT_CASE(other_domains_map_the_whole_range),
	KUNIT_CASE(limits_the_range_to_the_tables_and_whole_pages),
	KUNIT_CASE(refuses_ranges_without_a_usable_page),
	{}
};

static struct kunit_suite zpci_dma_test_suite = {
	.name = "zpci_dma",
	.test_cases = zpci_dma_test_cases,
};

kunit_test_suite(zpci_dma_test_suite);

MODULE_DESCRIPTION("KUnit tests of zPCI DMA and error recovery decisions");
MODULE_LICENSE("GPL");
