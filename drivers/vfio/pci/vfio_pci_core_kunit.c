// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests of which BARs vfio-pci offers for mmap().  Included at the
 * end of vfio_pci_core.c to reach its static functions.
 */
#include <kunit/test.h>
#include <linux/sizes.h>

static struct resource bar_res(resource_size_t start, resource_size_t size,
			       unsigned long flags)
{
	struct resource res = DEFINE_RES_NAMED(start, size, "test BAR", flags);

	return res;
}

static void refuses_256_tib_bar_of_ism_device(struct kunit *test)
{
	struct resource res = bar_res(0, 1ULL << 48, IORESOURCE_MEM);

	kunit_info(test, "report: ioremap space %lu GiB, a 256 TiB BAR is %s for mmap\n",
		   ioremap_max_size() >> 30,
		   vfio_pci_bar_can_mmap(&res) ? "offered" : "refused");
	/* x86 with 5-level paging and arm64 with 52-bit VAs have room for it. */
	if (resource_size(&res) <= (resource_size_t)ioremap_max_size())
		kunit_skip(test, "the ioremap space holds 256 TiB here");
	KUNIT_EXPECT_FALSE(test, vfio_pci_bar_can_mmap(&res));
}

static void offers_bar_that_fits(struct kunit *test)
{
	struct resource res = bar_res(0, SZ_16K, IORESOURCE_MEM);

	KUNIT_EXPECT_TRUE(test, vfio_pci_bar_can_mmap(&res));
}

static void offers_bar_as_large_as_ioremap_space(struct kunit *test)
{
	struct resource res = bar_res(0, ioremap_max_size(), IORESOURCE_MEM);

	KUNIT_EXPECT_TRUE(test, vfio_pci_bar_can_mmap(&res));
}

static void refuses_bar_a_page_larger_than_ioremap_space(struct kunit *test)
{
	struct resource res = bar_res(0, (resource_size_t)ioremap_max_size() + PAGE_SIZE,
				      IORESOURCE_MEM);

	KUNIT_EXPECT_FALSE(test, vfio_pci_bar_can_mmap(&res));
}

static void refuses_io_port_bar(struct kunit *test)
{
	struct resource res = bar_res(0, SZ_4K, IORESOURCE_IO);

	KUNIT_EXPECT_FALSE(test, vfio_pci_bar_can_mmap(&res));
}

static void refuses_empty_bar(struct kunit *test)
{
	struct resource res = bar_res(0, 0, IORESOURCE_MEM);

	KUNIT_EXPECT_FALSE(test, vfio_pci_bar_can_mmap(&res));
}

static void offers_page_aligned_sub_page_bar(struct kunit *test)
{
	struct resource res = bar_res(SZ_64K, 256, IORESOURCE_MEM);

	KUNIT_EXPECT_TRUE(test, vfio_pci_bar_can_mmap(&res));
}

static void refuses_unaligned_sub_page_bar(struct kunit *test)
{
	struct resource res = bar_res(SZ_64K + 256, 256, IORESOURCE_MEM);

	KUNIT_EXPECT_FALSE(test, vfio_pci_bar_can_mmap(&res));
}

static struct kunit_case vfio_pci_bar_mmap_test_cases[] = {
	KUNIT_CASE(refuses_256_tib_bar_of_ism_device),
	KUNIT_CASE(offers_bar_that_fits),
	KUNIT_CASE(offers_bar_as_large_as_ioremap_space),
	KUNIT_CASE(refuses_bar_a_page_larger_than_ioremap_space),
	KUNIT_CASE(refuses_io_port_bar),
	KUNIT_CASE(refuses_empty_bar),
	KUNIT_CASE(offers_page_aligned_sub_page_bar),
	KUNIT_CASE(refuses_unaligned_sub_page_bar),
	{}
};

static struct kunit_suite vfio_pci_bar_mmap_test_suite = {
	.name = "vfio_pci_bar_mmap",
	.test_cases = vfio_pci_bar_mmap_test_cases,
};

kunit_test_suite(vfio_pci_bar_mmap_test_suite);
