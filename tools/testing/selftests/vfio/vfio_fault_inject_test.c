// SPDX-License-Identifier: GPL-2.0
/*
 * VFIO_IOMMU_MAP_DMA and VFIO_IOMMU_UNMAP_DMA under memory allocation
 * failures: every allocation on the path fails in turn (fail-nth), from
 * the vfio_dma entry to the IOMMU driver's page tables.  Each failure must
 * be a clean ENOMEM that leaves the container as it was: nothing mapped,
 * the DMA-available count unchanged (as vfio counts it); after it the same
 * call succeeds.
 *
 * Needs CONFIG_FAULT_INJECTION, CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC
 * and CONFIG_FAULT_INJECTION_DEBUG_FS; the device is $VFIO_SELFTEST_DEVICE.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "vfio_util.h"

/* Far more allocations than either path makes. */
#define MAX_NTH		1000
#define MAP_PAGES	2

FIXTURE(fault_inject) {
	struct vfio_test_dev dev;
	void *buf;
	size_t size;
	uint64_t iova;
	int64_t avail;
};

FIXTURE_SETUP(fault_inject)
{
	const char *bdf = vfio_test_bdf(VFIO_TEST_DEVICE_ENV);
	struct vfio_iova_range *ranges;
	uint64_t mib = 1 << 20;
	uint32_t nr;

	ASSERT_NE(NULL, bdf);
	if (access("/proc/thread-self/fail-nth", F_OK))
		SKIP(return, "no fault injection (CONFIG_FAULT_INJECTION)");
	ASSERT_EQ(0, vfio_test_dev_open(&self->dev, bdf));
	self->size = MAP_PAGES * getpagesize();
	self->buf = mmap(NULL, self->size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	memset(self->buf, 0x5a, self->size);

	/*
	 * Straddle a 1 MiB boundary of a fresh container: on s390 that makes
	 * the IOMMU driver allocate a segment table and two page tables.
	 */
	ASSERT_EQ(0, vfio_test_iova_ranges(self->dev.container, &ranges, &nr));
	ASSERT_LT(0, nr);
	self->iova = ((ranges[0].start + mib) & ~(mib - 1)) + mib - getpagesize();
	ASSERT_LE(self->iova + self->size - 1, ranges[0].end);
	free(ranges);
	self->avail = vfio_test_dma_avail(self->dev.container);
	ASSERT_LT(0, self->avail);
	/* Last: the teardown that puts the knobs back needs a setup done. */
	ASSERT_EQ(0, vfio_test_fault_injection_setup());
}

FIXTURE_TEARDOWN(fault_inject)
{
	if (self->buf && self->buf != MAP_FAILED)
		munmap(self->buf, self->size);
	vfio_test_dev_close(&self->dev);
	vfio_test_fault_injection_restore();
}

static int map_dma(int container, void *buf, uint64_t iova, uint64_t size)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)buf,
		.iova = iova,
		.size = size,
	};

	return ioctl(container, VFIO_IOMMU_MAP_DMA, &map);
}

static int unmap_dma(int container, uint64_t iova, uint64_t size, uint64_t *unmapped)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.iova = iova,
		.size = size,
	};
	int ret = ioctl(container, VFIO_IOMMU_UNMAP_DMA, &unmap);

	*unmapped = unmap.size;
	return ret;
}

TEST_F(fault_inject, map_dma_fails_cleanly_at_every_allocation)
{
	unsigned int nth, failed = 0, survived = 0;
	uint64_t unmapped;
	int ret, err, injected;
	char bdf[64];

	snprintf(bdf, sizeof(bdf), "%s", self->dev.bdf);
	for (nth = 1; nth < MAX_NTH; nth++) {
		/* A fresh container each time: the IOMMU tables are built anew. */
		vfio_test_dev_close(&self->dev);
		ASSERT_EQ(0, vfio_test_dev_open(&self->dev, bdf));
		ASSERT_EQ(0, vfio_test_fail_nth(nth));
		ret = map_dma(self->dev.container, self->buf, self->iova, self->size);
		err = errno;
		injected = vfio_test_fail_nth_injected();
		ASSERT_LE(0, injected);
		if (ret) {
			/* Only the injected failure may fail it, with ENOMEM. */
			ASSERT_TRUE(injected) TH_LOG("nth %u: %s", nth, strerror(err));
			ASSERT_EQ(ENOMEM, err) TH_LOG("nth %u: %s", nth, strerror(err));
			ASSERT_EQ(self->avail, vfio_test_dma_avail(self->dev.container));
			ASSERT_EQ(0, unmap_dma(self->dev.container, self->iova, self->size,
					       &unmapped));
			ASSERT_EQ(0, unmapped) TH_LOG("nth %u left a mapping", nth);
			failed++;
			continue;
		}
		ASSERT_EQ(self->avail - 1, vfio_test_dma_avail(self->dev.container));
		ASSERT_EQ(0, unmap_dma(self->dev.container, self->iova, self->size, &unmapped));
		ASSERT_EQ(self->size, unmapped);
		if (!injected)
			break;
		survived++;
	}
	ASSERT_LT(nth, MAX_NTH);
	ASSERT_LT(0, failed);
	ASSERT_EQ(self->avail, vfio_test_dma_avail(self->dev.container));
	TH_LOG("VFIO_IOMMU_MAP_DMA: %u allocations failed in turn, %u -ENOMEM, %u survived",
	       nth - 1, failed, survived);
}

TEST_F(fault_inject, unmap_dma_fails_cleanly_at_every_allocation)
{
	unsigned int nth, failed = 0, survived = 0;
	uint64_t unmapped;
	int ret, err, injected;

	for (nth = 1; nth < MAX_NTH; nth++) {
		ASSERT_EQ(0, map_dma(self->dev.container, self->buf, self->iova, self->size));
		ASSERT_EQ(0, vfio_test_fail_nth(nth));
		ret = unmap_dma(self->dev.container, self->iova, self->size, &unmapped);
		err = errno;
		injected = vfio_test_fail_nth_injected();
		ASSERT_LE(0, injected);
		if (ret) {
			ASSERT_TRUE(injected) TH_LOG("nth %u: %s", nth, strerror(err));
			ASSERT_EQ(ENOMEM, err) TH_LOG("nth %u: %s", nth, strerror(err));
			/* Still mapped, still counted: unmap it for real. */
			ASSERT_EQ(self->avail - 1, vfio_test_dma_avail(self->dev.container));
			ASSERT_EQ(0, unmap_dma(self->dev.container, self->iova, self->size,
					       &unmapped));
			failed++;
		} else if (injected) {
			survived++;
		}
		ASSERT_EQ(self->size, unmapped) TH_LOG("nth %u", nth);
		ASSERT_EQ(self->avail, vfio_test_dma_avail(self->dev.container));
		if (!ret && !injected)
			break;
	}
	ASSERT_LT(nth, MAX_NTH);
	ASSERT_LT(1, nth) TH_LOG("no allocation on the unmap path was failed");
	TH_LOG("VFIO_IOMMU_UNMAP_DMA: %u allocations failed in turn, %u -ENOMEM, %u survived",
	       nth - 1, failed, survived);
}

TEST_HARNESS_MAIN
