// SPDX-License-Identifier: GPL-2.0
/*
 * VFIO_IOMMU_GET_INFO and VFIO_DEVICE_GET_INFO of a type1 container
 * holding one vfio-pci device, named by $VFIO_SELFTEST_DEVICE.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <linux/vfio_zdev.h>

#include "../kselftest_harness.h"
#include "vfio_util.h"

FIXTURE(type1_info) {
	struct vfio_test_dev dev;
};

FIXTURE_SETUP(type1_info)
{
	const char *bdf = vfio_test_bdf(VFIO_TEST_DEVICE_ENV);

	ASSERT_NE(NULL, bdf);
	ASSERT_EQ(0, vfio_test_dev_open(&self->dev, bdf));
}

FIXTURE_TEARDOWN(type1_info)
{
	vfio_test_dev_close(&self->dev);
}

TEST_F(type1_info, reports_host_page_size)
{
	struct vfio_iommu_type1_info *info;

	ASSERT_EQ(0, vfio_test_iommu_info(self->dev.container, &info));
	EXPECT_TRUE(info->flags & VFIO_IOMMU_INFO_PGSIZES);
	EXPECT_TRUE(info->iova_pgsizes & getpagesize());
	/* Nothing smaller than a host page can be mapped. */
	EXPECT_EQ(0, info->iova_pgsizes & (getpagesize() - 1));
	free(info);
}

TEST_F(type1_info, reports_sorted_page_aligned_iova_ranges)
{
	uint64_t page = getpagesize();
	struct vfio_iova_range *r;
	uint32_t nr, i;

	ASSERT_EQ(0, vfio_test_iova_ranges(self->dev.container, &r, &nr));
	ASSERT_GE(nr, 1);
	for (i = 0; i < nr; i++) {
		TH_LOG("report: type1 IOVA range %u: 0x%llx-0x%llx", i,
		       (unsigned long long)r[i].start,
		       (unsigned long long)r[i].end);
		EXPECT_LT(r[i].start, r[i].end);
		EXPECT_EQ(0, r[i].start & (page - 1));
		EXPECT_EQ(page - 1, r[i].end & (page - 1));
		if (i)
			EXPECT_LT(r[i - 1].end, r[i].start);
	}
	free(r);
}

TEST_F(type1_info, reports_dma_avail_capability)
{
	int64_t avail = vfio_test_dma_avail(self->dev.container);

	EXPECT_LT(0, avail);
	TH_LOG("report: DMA-available count of a fresh container: %lld",
	       (long long)avail);
}

TEST_F(type1_info, caps_flag_and_chain_agree)
{
	struct vfio_iommu_type1_info *info;
	struct vfio_info_cap_header *hdr;
	uint32_t off;
	int n = 0;

	ASSERT_EQ(0, vfio_test_iommu_info(self->dev.container, &info));
	ASSERT_TRUE(info->flags & VFIO_IOMMU_INFO_CAPS);
	ASSERT_EQ(sizeof(*info), info->cap_offset);
	for (off = info->cap_offset; off; off = hdr->next) {
		ASSERT_LE(off + sizeof(*hdr), info->argsz);
		hdr = (void *)((char *)info + off);
		ASSERT_NE(0, hdr->id);
		ASSERT_LT(++n, 16);
	}
	free(info);
}

TEST_F(type1_info, capabilities_are_8_byte_aligned)
{
	struct vfio_iommu_type1_info *info;
	struct vfio_info_cap_header *hdr;
	uint32_t off, nr = 0;

	ASSERT_EQ(0, vfio_test_iommu_info(self->dev.container, &info));
	for (off = info->cap_offset; off; off = hdr->next, nr++) {
		ASSERT_LT(nr, 64);
		ASSERT_LE(off + sizeof(*hdr), info->argsz);
		hdr = (void *)((char *)info + off);
		TH_LOG("report: GET_INFO capability %u at offset %u", hdr->id, off);
		EXPECT_EQ(0, off % 8);
	}
	free(info);
}

/*
 * The same for VFIO_DEVICE_GET_INFO, whose first capability follows the
 * 20 bytes of the old struct vfio_device_info.  An s390 PCI function
 * always has zPCI capabilities, with 64-bit fields.
 */
TEST_F(type1_info, device_info_capabilities_are_8_byte_aligned)
{
	struct vfio_device_info *info;
	struct vfio_info_cap_header *hdr;
	uint32_t off, nr = 0;
	struct utsname uts;

	ASSERT_EQ(0, vfio_test_device_info(self->dev.fd, &info));
	ASSERT_EQ(0, uname(&uts));
	if (!strcmp(uts.machine, "s390x") && !(info->flags & VFIO_DEVICE_FLAGS_CAPS))
		SKIP(free(info); return,
		     "no zPCI capabilities: CONFIG_VFIO_PCI_ZDEV_KVM is off");
	if (!(info->flags & VFIO_DEVICE_FLAGS_CAPS))
		ASSERT_EQ(0, info->cap_offset);
	for (off = info->cap_offset; off; off = hdr->next, nr++) {
		ASSERT_LT(nr, 64);
		ASSERT_LE(off + sizeof(*hdr), info->argsz);
		hdr = (void *)((char *)info + off);
		TH_LOG("report: DEVICE_GET_INFO capability %u at offset %u",
		       hdr->id, off);
		EXPECT_EQ(0, off % 8);
	}
	free(info);
}

TEST_F(type1_info, rejects_argsz_below_fixed_part)
{
	struct vfio_iommu_type1_info info;
	uint32_t sizes[] = { 0, 4, offsetof(struct vfio_iommu_type1_info, iova_pgsizes) };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		memset(&info, 0xa5, sizeof(info));
		info.argsz = sizes[i];
		EXPECT_EQ(-1, ioctl(self->dev.container, VFIO_IOMMU_GET_INFO, &info));
		EXPECT_EQ(EINVAL, errno);
	}
}

TEST_F(type1_info, device_info_describes_a_pci_function)
{
	EXPECT_TRUE(self->dev.info.flags & VFIO_DEVICE_FLAGS_PCI);
	EXPECT_GE(self->dev.info.num_regions, VFIO_PCI_NUM_REGIONS);
	EXPECT_GE(self->dev.info.num_irqs, VFIO_PCI_NUM_IRQS);
}

/* On s390 the zPCI DMA window of the function bounds the IOVA ranges. */
TEST_F(type1_info, iova_ranges_stay_inside_zpci_dma_window)
{
	struct vfio_device_info_cap_zpci_base *base;
	struct vfio_device_info *info;
	struct vfio_iova_range *r;
	uint32_t nr;

	ASSERT_EQ(0, vfio_test_device_info(self->dev.fd, &info));
	base = (void *)vfio_test_find_cap(info, info->argsz, info->cap_offset,
					  VFIO_DEVICE_INFO_CAP_ZPCI_BASE);
	if (!base)
		SKIP(free(info); return, "no zPCI capability: not an s390 PCI function");
	ASSERT_EQ(0, vfio_test_iova_ranges(self->dev.container, &r, &nr));
	TH_LOG("zPCI DMA window 0x%llx-0x%llx",
	       (unsigned long long)base->start_dma,
	       (unsigned long long)base->end_dma);
	EXPECT_LE(base->start_dma, r[0].start);
	EXPECT_GE(base->end_dma, r[nr - 1].end);
	free(r);
	free(info);
}

TEST_HARNESS_MAIN
