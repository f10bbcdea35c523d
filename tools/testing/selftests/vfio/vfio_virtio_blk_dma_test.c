// SPDX-License-Identifier: GPL-2.0
/*
 * Real DMA through a type1 container: a user-space virtio-blk driver reads
 * sectors of a disk with a known pattern into memory mapped with MAP_DMA,
 * and after UNMAP_DMA the device can no longer reach that memory.
 *
 * The devices, named by $VFIO_SELFTEST_BLK_DEVICE and, for the tests that
 * make the device fault, $VFIO_SELFTEST_BLK_FAULT_DEVICE, are modern
 * virtio-blk PCI devices behind the IOMMU (QEMU: disable-legacy=on,
 * iommu_platform=on) on a disk whose sector n starts with "SECTOR <n as 8
 * digits>" and is filled with the low byte of n.
 *
 * A DMA translation fault leaves the zPCI function with its configuration
 * space blocked; VFIO_DEVICE_RESET makes it work again, but vfio-pci cannot
 * open it again until the system restarts.  Tests that fault therefore use
 * their own device, and one open of it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "vfio_util.h"
#include "vfio_virtio.h"

#define TIMEOUT_MS	3000
#define POISON		0xaa

struct blk_env {
	struct vfio_test_dev dev;
	struct virtio_blk blk;
	char *ring;
	char *data;
	long page;
	uint64_t ring_iova;
	uint64_t data_iova;
};

FIXTURE(blk) {
	struct blk_env e;
};

FIXTURE(blk_fault) {
	struct blk_env e;
};

static void *dma_buffer(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Does @buf hold sector @n of the test disk? */
static bool is_sector(const char *buf, unsigned int n)
{
	char tag[32];
	int len, i;

	len = snprintf(tag, sizeof(tag), "SECTOR %08u", n);
	if (memcmp(buf, tag, len))
		return false;
	for (i = len; i < VIRTIO_BLK_SECTOR_SIZE; i++)
		if ((unsigned char)buf[i] != (n & 0xff))
			return false;
	return true;
}

static bool all_poison(const char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)buf[i] != POISON)
			return false;
	return true;
}

/* Open the device, map the queue and one data page, start the driver. */
static void start_blk(struct __test_metadata *_metadata, struct blk_env *e,
		      const char *env)
{
	const char *bdf = vfio_test_bdf(env);
	struct vfio_iova_range *ranges;
	uint64_t start;
	uint32_t nr, i;

	ASSERT_NE(NULL, bdf);
	ASSERT_EQ(0, vfio_test_dev_open(&e->dev, bdf));
	ASSERT_EQ(0, vfio_test_iova_ranges(e->dev.container, &ranges, &nr));
	e->page = getpagesize();
	/*
	 * The first range that holds the 64 pages the tests use, from 1 MiB
	 * on: QEMU's virtio takes a ring at IOVA 0 for no ring at all.
	 */
	e->ring_iova = 0;
	for (i = 0; i < nr && !e->ring_iova; i++) {
		start = ranges[i].start < (1UL << 20) ? 1UL << 20 : ranges[i].start;
		if (start <= ranges[i].end && ranges[i].end - start >= 64 * e->page - 1)
			e->ring_iova = start;
	}
	free(ranges);
	ASSERT_NE(0, e->ring_iova);
	e->data_iova = e->ring_iova + 16 * e->page;

	e->ring = dma_buffer(VIRTIO_BLK_RING_BYTES);
	e->data = dma_buffer(e->page);
	ASSERT_NE(NULL, e->ring);
	ASSERT_NE(NULL, e->data);
	ASSERT_EQ(0, vfio_test_map_dma(e->dev.container, e->ring, e->ring_iova,
				       VIRTIO_BLK_RING_BYTES));
	ASSERT_EQ(0, vfio_test_map_dma(e->dev.container, e->data, e->data_iova, e->page));
	ASSERT_EQ(0, virtio_blk_init(&e->blk, &e->dev, e->ring, e->ring_iova));
}

static void stop_blk(struct blk_env *e)
{
	if (e->dev.fd >= 0)
		virtio_blk_reset(&e->blk);
	vfio_test_dev_close(&e->dev);
}

FIXTURE_SETUP(blk)
{
	start_blk(_metadata, &self->e, VFIO_TEST_BLK_ENV);
}

FIXTURE_TEARDOWN(blk)
{
	stop_blk(&self->e);
}

FIXTURE_SETUP(blk_fault)
{
	start_blk(_metadata, &self->e, VFIO_TEST_BLK_FAULT_ENV);
}

FIXTURE_TEARDOWN(blk_fault)
{
	stop_blk(&self->e);
}

TEST_F(blk, reads_known_sectors_into_mapped_memory)
{
	const unsigned int sectors[] = { 0, 1, 7, 256, 4095 };
	struct blk_env *e = &self->e;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sectors); i++) {
		memset(e->data, POISON, e->page);
		ASSERT_EQ(0, virtio_blk_read(&e->blk, sectors[i], e->data_iova,
					     VIRTIO_BLK_SECTOR_SIZE, TIMEOUT_MS));
		EXPECT_TRUE(is_sector(e->data, sectors[i])) TH_LOG("sector %u", sectors[i]);
		EXPECT_TRUE(all_poison(e->data + VIRTIO_BLK_SECTOR_SIZE,
				       e->page - VIRTIO_BLK_SECTOR_SIZE));
	}
	TH_LOG("report: user-space virtio-blk read %zu sectors through IOVA 0x%llx",
	       ARRAY_SIZE(sectors), (unsigned long long)e->data_iova);
}

/* The data lands in the memory behind the IOVA, and nowhere else. */
TEST_F(blk, data_lands_only_behind_the_iova_it_was_sent_to)
{
	struct blk_env *e = &self->e;
	uint64_t other_iova = e->data_iova + 16 * e->page;
	char *other = dma_buffer(e->page);

	ASSERT_NE(NULL, other);
	ASSERT_EQ(0, vfio_test_map_dma(e->dev.container, other, other_iova, e->page));
	memset(e->data, POISON, e->page);
	memset(other, POISON, e->page);
	ASSERT_EQ(0, virtio_blk_read(&e->blk, 42, other_iova, VIRTIO_BLK_SECTOR_SIZE,
				     TIMEOUT_MS));
	EXPECT_TRUE(is_sector(other, 42));
	EXPECT_TRUE(all_poison(e->data, e->page));
}

/*
 * VFIO_DEVICE_RESET re-enables the zPCI function; the mappings made before
 * it must keep working without being made again.  (Last on its device: if
 * they do not, the device faults.)
 */
TEST_F(blk, mappings_made_before_a_reset_keep_working)
{
	struct blk_env *e = &self->e;

	ASSERT_TRUE(e->dev.info.flags & VFIO_DEVICE_FLAGS_RESET);
	ASSERT_EQ(0, virtio_blk_read(&e->blk, 3, e->data_iova, VIRTIO_BLK_SECTOR_SIZE,
				     TIMEOUT_MS));
	ASSERT_EQ(0, ioctl(e->dev.fd, VFIO_DEVICE_RESET));
	ASSERT_EQ(0, virtio_blk_init(&e->blk, &e->dev, e->ring, e->ring_iova));
	memset(e->data, POISON, e->page);
	EXPECT_EQ(0, virtio_blk_read(&e->blk, 4, e->data_iova, VIRTIO_BLK_SECTOR_SIZE,
				     TIMEOUT_MS));
	EXPECT_TRUE(is_sector(e->data, 4));
	TH_LOG("report: after VFIO_DEVICE_RESET the device %s the memory mapped before",
	       is_sector(e->data, 4) ? "still reaches" : "can no longer reach");
}

static bool on_s390(void)
{
	struct utsname uts;

	return !uname(&uts) && !strcmp(uts.machine, "s390x");
}

/* Expect a read into @iova to leave the memory behind it untouched. */
static void expect_refused_read(struct __test_metadata *_metadata, struct blk_env *e,
				uint64_t iova, const char *what)
{
	uint8_t status = 0;
	int ret;

	ret = virtio_blk_read(&e->blk, 6, iova, VIRTIO_BLK_SECTOR_SIZE, TIMEOUT_MS);
	ASSERT_EQ(0, virtio_blk_status(&e->blk, &status));
	/*
	 * On s390 the platform blocks the function: an error status, or the
	 * device stopped and needs a reset.  Elsewhere (QEMU's Intel IOMMU)
	 * the device may complete the request without the data; the IOMMU
	 * reports the fault, and only the memory is judged.
	 */
	if (on_s390()) {
		EXPECT_NE(0, ret);
		EXPECT_TRUE(ret == -EIO || (status & VIRTIO_STATUS_NEEDS_RESET) ||
			    status == 0xff)
			TH_LOG("%s: read returned %d, device status 0x%x", what, ret, status);
	}
	TH_LOG("report: read into %s %s (device status 0x%02x)", what,
	       ret == -EIO ? "failed with an error status" :
	       ret ? "never completed" : "completed without data", status);
}

/*
 * The device can write neither memory that was unmapped nor memory that
 * was mapped without VFIO_DMA_MAP_FLAG_WRITE.
 */
TEST_F(blk_fault, device_never_writes_memory_it_may_not)
{
	struct blk_env *e = &self->e;
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ,
		.iova = e->data_iova + 32 * e->page,
		.size = e->page,
	};
	char *ro = dma_buffer(e->page);
	uint64_t unmapped;

	ASSERT_TRUE(e->dev.info.flags & VFIO_DEVICE_FLAGS_RESET);
	ASSERT_EQ(0, virtio_blk_read(&e->blk, 5, e->data_iova, VIRTIO_BLK_SECTOR_SIZE,
				     TIMEOUT_MS));
	ASSERT_TRUE(is_sector(e->data, 5));

	/* Read-only mapping. */
	ASSERT_NE(NULL, ro);
	memset(ro, POISON, e->page);
	map.vaddr = (uintptr_t)ro;
	ASSERT_EQ(0, ioctl(e->dev.container, VFIO_IOMMU_MAP_DMA, &map));
	expect_refused_read(_metadata, e, map.iova, "a read-only mapping");
	EXPECT_TRUE(all_poison(ro, e->page));

	/* Recover the function, then unmap the data page. */
	ASSERT_EQ(0, ioctl(e->dev.fd, VFIO_DEVICE_RESET));
	ASSERT_EQ(0, vfio_test_unmap_dma(e->dev.container, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL,
					 &unmapped));
	ASSERT_EQ(0, vfio_test_map_dma(e->dev.container, e->ring, e->ring_iova,
				       VIRTIO_BLK_RING_BYTES));
	ASSERT_EQ(0, virtio_blk_init(&e->blk, &e->dev, e->ring, e->ring_iova));
	memset(e->data, POISON, e->page);
	expect_refused_read(_metadata, e, e->data_iova, "an unmapped IOVA");
	EXPECT_TRUE(all_poison(e->data, e->page));
}

TEST_HARNESS_MAIN
