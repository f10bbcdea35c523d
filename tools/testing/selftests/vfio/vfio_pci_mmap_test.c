// SPDX-License-Identifier: GPL-2.0
/*
 * mmap() of the BARs of a vfio-pci device, named by $VFIO_SELFTEST_DEVICE:
 * which regions offer it, and that bad requests are refused.
 */
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "vfio_util.h"

FIXTURE(bar_mmap) {
	struct vfio_test_dev dev;
	struct vfio_region_info bar;	/* the largest mappable BAR */
	long page;
};

FIXTURE_SETUP(bar_mmap)
{
	const char *bdf = vfio_test_bdf(VFIO_TEST_DEVICE_ENV);
	struct vfio_region_info info;
	uint32_t i;

	ASSERT_NE(NULL, bdf);
	ASSERT_EQ(0, vfio_test_dev_open(&self->dev, bdf));
	self->page = getpagesize();
	self->bar.size = 0;
	for (i = VFIO_PCI_BAR0_REGION_INDEX; i <= VFIO_PCI_BAR5_REGION_INDEX; i++) {
		ASSERT_EQ(0, vfio_test_region_info(&self->dev, i, &info));
		if ((info.flags & VFIO_REGION_INFO_FLAG_MMAP) && info.size > self->bar.size)
			self->bar = info;
	}
}

FIXTURE_TEARDOWN(bar_mmap)
{
	vfio_test_dev_close(&self->dev);
}

/* Every memory BAR of at least a page can be mapped. */
TEST_F(bar_mmap, memory_bars_offer_mmap)
{
	struct vfio_region_info info;
	uint32_t i;
	int n = 0;

	for (i = VFIO_PCI_BAR0_REGION_INDEX; i <= VFIO_PCI_BAR5_REGION_INDEX; i++) {
		ASSERT_EQ(0, vfio_test_region_info(&self->dev, i, &info));
		if (info.size < (uint64_t)self->page)
			continue;
		TH_LOG("report: BAR %u, %llu KiB: %s", i,
		       (unsigned long long)info.size >> 10,
		       info.flags & VFIO_REGION_INFO_FLAG_MMAP ? "mmap offered" : "no mmap");
		EXPECT_TRUE(info.flags & VFIO_REGION_INFO_FLAG_MMAP);
		n++;
	}
	EXPECT_LT(0, n);
}

TEST_F(bar_mmap, whole_bar_can_be_mapped_and_unmapped)
{
	void *map;

	ASSERT_NE(0, self->bar.size);
	map = mmap(NULL, self->bar.size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   self->dev.fd, self->bar.offset);
	ASSERT_NE(MAP_FAILED, map);
	EXPECT_EQ(0, munmap(map, self->bar.size));
}

TEST_F(bar_mmap, refuses_mapping_beyond_the_bar)
{
	struct vfio_region_info info;
	uint32_t i;

	for (i = VFIO_PCI_BAR0_REGION_INDEX; i <= VFIO_PCI_BAR5_REGION_INDEX; i++) {
		ASSERT_EQ(0, vfio_test_region_info(&self->dev, i, &info));
		if (!info.size)
			continue;
		EXPECT_EQ(MAP_FAILED, mmap(NULL, info.size + self->page,
					   PROT_READ | PROT_WRITE, MAP_SHARED,
					   self->dev.fd, info.offset));
		EXPECT_EQ(EINVAL, errno);
	}
}

TEST_F(bar_mmap, refuses_private_mapping)
{
	uint32_t i;

	for (i = VFIO_PCI_BAR0_REGION_INDEX; i <= VFIO_PCI_BAR5_REGION_INDEX; i++) {
		struct vfio_region_info info;

		ASSERT_EQ(0, vfio_test_region_info(&self->dev, i, &info));
		if (info.size < (uint64_t)self->page)
			continue;
		EXPECT_EQ(MAP_FAILED, mmap(NULL, self->page, PROT_READ, MAP_PRIVATE,
					   self->dev.fd, info.offset));
		EXPECT_EQ(EINVAL, errno);
	}
}

TEST_F(bar_mmap, refuses_mapping_config_space)
{
	struct vfio_region_info cfg;

	ASSERT_EQ(0, vfio_test_region_info(&self->dev, VFIO_PCI_CONFIG_REGION_INDEX, &cfg));
	EXPECT_FALSE(cfg.flags & VFIO_REGION_INFO_FLAG_MMAP);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, self->page, PROT_READ, MAP_SHARED,
				   self->dev.fd, cfg.offset));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(bar_mmap, refuses_region_index_out_of_range)
{
	struct vfio_region_info info;

	EXPECT_EQ(-EINVAL, vfio_test_region_info(&self->dev, self->dev.info.num_regions,
						 &info));
	EXPECT_EQ(MAP_FAILED, mmap(NULL, self->page, PROT_READ, MAP_SHARED,
				   self->dev.fd,
				   (off_t)self->dev.info.num_regions << 40));
	EXPECT_EQ(EINVAL, errno);
}

TEST_HARNESS_MAIN
