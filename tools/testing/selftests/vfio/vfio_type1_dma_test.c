// SPDX-License-Identifier: GPL-2.0
/*
 * DMA mappings of a type1 container holding the vfio-pci device named by
 * $VFIO_SELFTEST_DEVICE: the DMA-available count, the IOVA ranges, and
 * what MAP_DMA, UNMAP_DMA and GET_INFO do with bad input.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "vfio_util.h"

#define DMA_ENTRY_LIMIT	"/sys/module/vfio_iommu_type1/parameters/dma_entry_limit"
#define TRACE		"/sys/kernel/tracing"
#define BUF_PAGES	64

/* Empty the trace buffer: a write does not, an open with O_TRUNC does. */
static int clear_trace(void)
{
	int fd = open(TRACE "/trace", O_WRONLY | O_TRUNC);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static int read_param(const char *path, unsigned long *val)
{
	char buf[32];
	int ret = vfio_test_read_file(path, buf, sizeof(buf));

	if (!ret)
		*val = strtoul(buf, NULL, 0);
	return ret;
}

/* Turn the iommu map and unmap trace events on ("1") or off ("0"). */
static int iommu_trace(const char *on)
{
	int ret = vfio_test_write_file(TRACE "/events/iommu/map/enable", on);

	return ret ?: vfio_test_write_file(TRACE "/events/iommu/unmap/enable", on);
}

/* The events off and their filters cleared, as a test found them. */
static void iommu_trace_reset(void)
{
	iommu_trace("0");
	vfio_test_write_file(TRACE "/events/iommu/map/filter", "0");
	vfio_test_write_file(TRACE "/events/iommu/unmap/filter", "0");
}

FIXTURE(dma) {
	struct vfio_test_dev dev;
	const char *bdf;
	unsigned long saved_limit;
	struct vfio_iova_range *ranges;
	uint32_t nr_ranges;
	char *buf;
	long page;
	uint64_t iova;	/* start of the first usable range */
	bool tracing;	/* iommu trace events set up by the test */
};

FIXTURE_SETUP(dma)
{
	self->bdf = vfio_test_bdf(VFIO_TEST_DEVICE_ENV);
	ASSERT_NE(NULL, self->bdf);
	ASSERT_EQ(0, read_param(DMA_ENTRY_LIMIT, &self->saved_limit));
	ASSERT_EQ(0, vfio_test_dev_open(&self->dev, self->bdf));
	ASSERT_EQ(0, vfio_test_iova_ranges(self->dev.container, &self->ranges,
					   &self->nr_ranges));
	self->page = getpagesize();
	self->iova = self->ranges[0].start;
	self->buf = mmap(NULL, BUF_PAGES * self->page, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
}

FIXTURE_TEARDOWN(dma)
{
	char text[32];

	if (self->tracing)
		iommu_trace_reset();
	vfio_test_dev_close(&self->dev);
	snprintf(text, sizeof(text), "%lu", self->saved_limit);
	vfio_test_write_file(DMA_ENTRY_LIMIT, text);
	free(self->ranges);
}

static int map_page(FIXTURE_DATA(dma) * self, int i)
{
	return vfio_test_map_dma(self->dev.container, self->buf + i * self->page,
				 self->iova + i * self->page, self->page);
}

#define avail() vfio_test_dma_avail(self->dev.container)

TEST_F(dma, fresh_container_offers_dma_entry_limit)
{
	EXPECT_EQ((int64_t)self->saved_limit, avail());
}

TEST_F(dma, every_map_takes_one_and_every_unmap_gives_back_what_it_removed)
{
	int64_t start = avail();
	uint64_t unmapped;
	int i;

	for (i = 0; i < 8; i++) {
		ASSERT_EQ(0, map_page(self, i));
		EXPECT_EQ(start - i - 1, avail());
	}
	/* One mapping. */
	ASSERT_EQ(0, vfio_test_unmap_dma(self->dev.container, self->iova,
					 self->page, 0, &unmapped));
	EXPECT_EQ((uint64_t)self->page, unmapped);
	EXPECT_EQ(start - 7, avail());
	/* A range covering three mappings. */
	ASSERT_EQ(0, vfio_test_unmap_dma(self->dev.container, self->iova + self->page,
					 3 * self->page, 0, &unmapped));
	EXPECT_EQ((uint64_t)3 * self->page, unmapped);
	EXPECT_EQ(start - 4, avail());
	/* A range with nothing in it. */
	ASSERT_EQ(0, vfio_test_unmap_dma(self->dev.container,
					 self->iova + 32 * self->page, self->page,
					 0, &unmapped));
	EXPECT_EQ(0, unmapped);
	EXPECT_EQ(start - 4, avail());
	/* All the rest. */
	ASSERT_EQ(0, vfio_test_unmap_dma(self->dev.container, 0, 0,
					 VFIO_DMA_UNMAP_FLAG_ALL, &unmapped));
	EXPECT_EQ((uint64_t)4 * self->page, unmapped);
	EXPECT_EQ(start, avail());
}

/*
 * Updating the user address of a mapping (VFIO_UPDATE_VADDR, as QEMU does
 * across a live update) creates and removes no mapping: the count stays.
 */
TEST_F(dma, vaddr_updates_leave_the_count_unchanged)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap), .flags = VFIO_DMA_UNMAP_FLAG_VADDR,
		.iova = self->iova, .size = self->page,
	};
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map), .flags = VFIO_DMA_MAP_FLAG_VADDR,
		.vaddr = (uintptr_t)self->buf + self->page,
		.iova = self->iova, .size = self->page,
	};
	int64_t start;

	ASSERT_EQ(1, ioctl(self->dev.container, VFIO_CHECK_EXTENSION,
			   VFIO_UPDATE_VADDR));
	ASSERT_EQ(0, map_page(self, 0));
	start = avail();
	ASSERT_EQ(0, ioctl(self->dev.container, VFIO_IOMMU_UNMAP_DMA, &unmap));
	EXPECT_EQ(start, avail());
	ASSERT_EQ(0, ioctl(self->dev.container, VFIO_IOMMU_MAP_DMA, &map));
	EXPECT_EQ(start, avail());
}

TEST_F(dma, maps_until_enospc_equal_the_reported_count)
{
	int64_t avail;
	uint64_t unmapped;
	int i, ret;

	/* The limit applies to containers opened after it is set. */
	vfio_test_dev_close(&self->dev);
	ASSERT_EQ(0, vfio_test_write_file(DMA_ENTRY_LIMIT, "12"));
	ASSERT_EQ(0, vfio_test_dev_open(&self->dev, self->bdf));

	avail = avail();
	ASSERT_EQ(12, avail);
	for (i = 0; i < avail; i++) {
		ret = map_page(self, i);
		ASSERT_EQ(0, ret) TH_LOG("map %d of %lld", i, (long long)avail);
	}
	EXPECT_EQ(0, avail());
	EXPECT_EQ(-ENOSPC, map_page(self, i));
	EXPECT_EQ(0, avail());
	TH_LOG("report: DMA_AVAIL %lld: %d maps succeeded, the next failed with ENOSPC",
	       (long long)avail, i);

	ASSERT_EQ(0, vfio_test_unmap_dma(self->dev.container, 0, 0,
					 VFIO_DMA_UNMAP_FLAG_ALL, &unmapped));
	EXPECT_EQ((uint64_t)avail * self->page, unmapped);
	EXPECT_EQ(avail, avail());
	/* Nothing leaked: the whole count can be mapped again. */
	for (i = 0; i < avail; i++) {
		ret = map_page(self, i);
		ASSERT_EQ(0, ret);
	}
	EXPECT_EQ(0, avail());
}

TEST_F(dma, dma_entry_limit_refuses_malformed_values)
{
	/* Not a number (EINVAL), or a number of more than 32 bits (ERANGE). */
	static const struct {
		const char *val;
		int err;
	} bad[] = {
		{ "abc", EINVAL }, { "-1", EINVAL }, { "4294967296", ERANGE },
		{ "\n", EINVAL }, { "12abc", EINVAL }, { "0x", EINVAL },
	};
	unsigned long now;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-bad[i].err, vfio_test_write_file(DMA_ENTRY_LIMIT, bad[i].val))
			TH_LOG("\"%s\"", bad[i].val);
		ASSERT_EQ(0, read_param(DMA_ENTRY_LIMIT, &now));
		EXPECT_EQ(self->saved_limit, now);
	}
}

TEST_F(dma, failed_maps_leave_the_count_unchanged)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
	};
	uint64_t last = self->ranges[self->nr_ranges - 1].end;
	int64_t start;
	void *hole;

	ASSERT_EQ(0, map_page(self, 0));
	start = avail();

	/* Overlapping an existing mapping. */
	EXPECT_EQ(-EEXIST, map_page(self, 0));
	EXPECT_EQ(-EEXIST, vfio_test_map_dma(self->dev.container, self->buf,
					     self->iova, 2 * self->page));
	/* User memory that is not mapped. */
	hole = mmap(NULL, self->page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, hole);
	munmap(hole, self->page);
	EXPECT_EQ(-EFAULT, vfio_test_map_dma(self->dev.container, hole,
					     self->iova + 8 * self->page, self->page));
	/* Outside the usable IOVA ranges. */
	if (last + 1 != 0)
		EXPECT_EQ(-EINVAL, vfio_test_map_dma(self->dev.container, self->buf + self->page,
						     last + 1, self->page));
	if (self->ranges[0].start)
		EXPECT_EQ(-EINVAL, vfio_test_map_dma(self->dev.container, self->buf + self->page,
						     self->ranges[0].start - self->page,
						     self->page));
	/* Unaligned iova, vaddr and size, zero size, wrapping ranges. */
	EXPECT_EQ(-EINVAL, vfio_test_map_dma(self->dev.container, self->buf + self->page,
					     self->iova + 9 * self->page + 1, self->page));
	EXPECT_EQ(-EINVAL, vfio_test_map_dma(self->dev.container, self->buf + 1,
					     self->iova + 9 * self->page, self->page));
	EXPECT_EQ(-EINVAL, vfio_test_map_dma(self->dev.container, self->buf + self->page,
					     self->iova + 9 * self->page, self->page + 1));
	EXPECT_EQ(-EINVAL, vfio_test_map_dma(self->dev.container, self->buf + self->page,
					     self->iova + 9 * self->page, 0));
	EXPECT_EQ(-EINVAL, vfio_test_map_dma(self->dev.container, self->buf + self->page,
					     -(uint64_t)self->page, 2 * self->page));
	EXPECT_EQ(-EINVAL, vfio_test_map_dma(self->dev.container,
					     (void *)-(uintptr_t)self->page,
					     self->iova + 9 * self->page, 2 * self->page));
	/* Unknown flags, no permission at all, argsz too small. */
	map.vaddr = (uintptr_t)self->buf + self->page;
	map.iova = self->iova + 9 * self->page;
	map.size = self->page;
	map.flags |= 1u << 31;
	EXPECT_EQ(-1, ioctl(self->dev.container, VFIO_IOMMU_MAP_DMA, &map));
	EXPECT_EQ(EINVAL, errno);
	map.flags = 0;
	EXPECT_EQ(-1, ioctl(self->dev.container, VFIO_IOMMU_MAP_DMA, &map));
	EXPECT_EQ(EINVAL, errno);
	map.flags = VFIO_DMA_MAP_FLAG_READ;
	map.argsz = offsetof(struct vfio_iommu_type1_dma_map, size);
	EXPECT_EQ(-1, ioctl(self->dev.container, VFIO_IOMMU_MAP_DMA, &map));
	EXPECT_EQ(EINVAL, errno);

	EXPECT_EQ(start, avail());
}

TEST_F(dma, failed_unmaps_leave_the_count_unchanged)
{
	struct vfio_iommu_type1_dma_unmap unmap = { .argsz = sizeof(unmap) };
	int64_t start;

	ASSERT_EQ(0, vfio_test_map_dma(self->dev.container, self->buf, self->iova,
				       4 * self->page));
	start = avail();

	/* Cutting into a mapping, unaligned, zero size, wrapping. */
	EXPECT_EQ(-EINVAL, vfio_test_unmap_dma(self->dev.container, self->iova,
					       self->page, 0, NULL));
	EXPECT_EQ(-EINVAL, vfio_test_unmap_dma(self->dev.container,
					       self->iova + self->page, 3 * self->page,
					       0, NULL));
	EXPECT_EQ(-EINVAL, vfio_test_unmap_dma(self->dev.container, self->iova + 1,
					       4 * self->page, 0, NULL));
	EXPECT_EQ(-EINVAL, vfio_test_unmap_dma(self->dev.container, self->iova, 0, 0, NULL));
	EXPECT_EQ(-EINVAL, vfio_test_unmap_dma(self->dev.container, -(uint64_t)self->page,
					       2 * self->page, 0, NULL));
	/* ALL with a range, unknown flags, argsz too small. */
	EXPECT_EQ(-EINVAL, vfio_test_unmap_dma(self->dev.container, self->iova,
					       4 * self->page, VFIO_DMA_UNMAP_FLAG_ALL, NULL));
	EXPECT_EQ(-EINVAL, vfio_test_unmap_dma(self->dev.container, self->iova,
					       4 * self->page, 1u << 31, NULL));
	unmap.iova = self->iova;
	unmap.size = 4 * self->page;
	unmap.argsz = offsetof(struct vfio_iommu_type1_dma_unmap, size);
	EXPECT_EQ(-1, ioctl(self->dev.container, VFIO_IOMMU_UNMAP_DMA, &unmap));
	EXPECT_EQ(EINVAL, errno);

	EXPECT_EQ(start, avail());
}

/* The first and the last page of every reported range can be mapped. */
TEST_F(dma, maps_both_ends_of_every_iova_range)
{
	uint32_t i;

	for (i = 0; i < self->nr_ranges; i++) {
		uint64_t first = self->ranges[i].start;
		uint64_t last = self->ranges[i].end + 1 - self->page;

		EXPECT_EQ(0, vfio_test_map_dma(self->dev.container, self->buf, first,
					       self->page))
			TH_LOG("first page 0x%llx", (unsigned long long)first);
		EXPECT_EQ(0, vfio_test_map_dma(self->dev.container, self->buf + self->page,
					       last, self->page))
			TH_LOG("last page 0x%llx", (unsigned long long)last);
	}
}

TEST_F(dma, short_get_info_reports_needed_size_and_writes_nothing_past_argsz)
{
	struct vfio_iommu_type1_info *full;
	const size_t fixed = sizeof(struct vfio_iommu_type1_info);
	/* Up to iova_pgsizes, up to cap_offset and beyond, not the chain. */
	const uint32_t sizes[] = {
		offsetof(struct vfio_iommu_type1_info, cap_offset), fixed, fixed + 8,
	};
	unsigned char *buf, byte;
	unsigned int i;
	size_t b;

	ASSERT_EQ(0, vfio_test_iommu_info(self->dev.container, &full));
	buf = malloc(full->argsz + 64);
	ASSERT_NE(NULL, buf);

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		struct vfio_iommu_type1_info *info = (void *)buf;

		memset(buf, 0xa5, full->argsz + 64);
		info->argsz = sizes[i];
		ASSERT_EQ(0, ioctl(self->dev.container, VFIO_IOMMU_GET_INFO, info));
		EXPECT_TRUE(info->flags & VFIO_IOMMU_INFO_CAPS);
		EXPECT_EQ(full->argsz, info->argsz);
		if (sizes[i] >= fixed)
			EXPECT_EQ(0, info->cap_offset);
		for (b = sizes[i]; b < full->argsz + 64; b++) {
			byte = buf[b];
			ASSERT_EQ(0xa5, byte) TH_LOG("argsz %u: byte %zu written", sizes[i], b);
		}
	}
	free(buf);
	free(full);
}

/*
 * Attaching the group probes the IOMMU for fine grained superpages by
 * mapping two pages.  The iommu trace events show where.
 */
TEST_F(dma, fgsp_probe_maps_two_aligned_pages_inside_a_usable_range)
{
	char line[512], filter[64];
	unsigned long long start, end, size;
	int maps = 0;
	uint32_t i;
	FILE *f;

	vfio_test_dev_close(&self->dev);
	snprintf(filter, sizeof(filter), "common_pid == %d", getpid());
	/* The teardown puts the events back as they were. */
	self->tracing = true;
	ASSERT_EQ(0, vfio_test_write_file(TRACE "/events/iommu/map/filter", filter));
	ASSERT_EQ(0, vfio_test_write_file(TRACE "/events/iommu/unmap/filter", filter));
	ASSERT_EQ(0, clear_trace());
	ASSERT_EQ(0, iommu_trace("1"));
	ASSERT_EQ(0, vfio_test_dev_open(&self->dev, self->bdf));
	ASSERT_EQ(0, iommu_trace("0"));

	f = fopen(TRACE "/trace", "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		char *m = strstr(line, " map: IOMMU: iova=");

		if (!m || sscanf(m, " map: IOMMU: iova=%llx - %llx paddr=%*[0-9a-fx] size=%llu",
				 &start, &end, &size) != 3)
			continue;
		maps++;
		TH_LOG("report: fgsp probe mapped IOVA 0x%llx-0x%llx (%llu bytes)",
		       start, end - 1, size);
		EXPECT_EQ(2 * self->page, size);
		EXPECT_EQ(0, start % (2 * self->page));
		for (i = 0; i < self->nr_ranges; i++)
			if (start >= self->ranges[i].start && end - 1 <= self->ranges[i].end)
				break;
		EXPECT_LT(i, self->nr_ranges) TH_LOG("outside every usable range");
	}
	fclose(f);
	EXPECT_EQ(1, maps);
}

TEST_HARNESS_MAIN
