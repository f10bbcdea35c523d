// SPDX-License-Identifier: GPL-2.0
/*
 * A seeded fuzzer of the calls the series touches: VFIO_IOMMU_MAP_DMA,
 * VFIO_IOMMU_UNMAP_DMA, VFIO_IOMMU_GET_INFO, VFIO_DEVICE_GET_REGION_INFO,
 * BAR mmap()/munmap(), VFIO_DEVICE_RESET, memory decode on and off and, on
 * s390, the MMIO syscalls, with random and boundary arguments from several
 * threads at once.  Every call must succeed or fail with an errno of the set
 * allowed for it; afterwards the kernel is not tainted, the device works,
 * unmapping everything gives the whole DMA entry limit back, and closing
 * the container releases every page it pinned.
 *
 * $VFIO_SELFTEST_DEVICE names a modern virtio PCI device: the only device
 * register written is its feature select.  $VFIO_FUZZ_SEED and
 * $VFIO_FUZZ_ITERATIONS (default 100000 in all) reproduce or extend a run;
 * $VFIO_FUZZ_SKIP, a comma-separated list of call names as the report
 * prints them, makes GET_INFO calls of those (the random stream, and so a
 * seed's run, depends on it).
 */
#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "vfio_util.h"
#include "vfio_virtio.h"

#define PCI_COMMAND		0x04
#define PCI_COMMAND_MEMORY	0x2
#define BUF_PAGES		64
#define MAX_THREADS		16
#define LIVE_MAPS		32

enum fuzz_op {
	OP_MAP, OP_UNMAP, OP_GET_INFO, OP_REGION_INFO, OP_MMAP, OP_MMIO_READ,
	OP_MMIO_WRITE, OP_DECODE, OP_RESET, NR_OPS
};

static const char * const op_names[NR_OPS] = {
	"map_dma", "unmap_dma", "get_info", "region_info", "mmap",
	"mmio_read", "mmio_write", "memory_decode", "reset",
};

/* Out of 1000: mostly DMA mapping, now and then a reset. */
static const unsigned int op_weights[NR_OPS] = {
	260, 200, 80, 80, 100, 140, 100, 38, 2,
};

/* The errnos each call may fail with; anything else is a bug. */
static const int ok_errnos[NR_OPS][8] = {
	[OP_MAP]	 = { EINVAL, EFAULT, EEXIST, ENOMEM, ENOSPC, E2BIG, EPERM },
	[OP_UNMAP]	 = { EINVAL, EFAULT, ENOENT, EPERM },
	[OP_GET_INFO]	 = { EINVAL, EFAULT },
	[OP_REGION_INFO] = { EINVAL, EFAULT },
	[OP_MMAP]	 = { EINVAL, ENOMEM, EPERM, EACCES, ENODEV },
	[OP_MMIO_READ]	 = { EINVAL, EFAULT, EIO, ENXIO, ENODEV, EPERM, ENOMEM },
	[OP_MMIO_WRITE]	 = { EINVAL, EFAULT, EIO, ENXIO, ENODEV, EPERM, ENOMEM },
	[OP_DECODE]	 = { EIO },
	[OP_RESET]	 = { EAGAIN, EBUSY, EIO },
};

struct fuzz_ctx {
	struct vfio_test_dev *dev;
	int stop;			/* set by a teardown after a failure */
	struct virtio_pci_region common;
	struct vfio_region_info bar;
	char *map;			/* the BAR, mapped by the fixture */
	uint64_t iova_start, iova_end;
	unsigned int iterations;
	uint64_t seed;
	bool skip[NR_OPS];
	const char *skip_list;		/* $VFIO_FUZZ_SKIP */
};

struct fuzz_thread {
	pthread_t tid;
	struct fuzz_ctx *ctx;
	uint64_t rng;
	char *buf;
	struct { uint64_t iova, size; } live[LIVE_MAPS];
	unsigned int calls[NR_OPS], fails[NR_OPS], bad[NR_OPS];
	char first_bad[160];
	bool running;
};

static uint64_t next(uint64_t *s)	/* xorshift64* */
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

static uint64_t below(uint64_t *s, uint64_t n)
{
	return n ? next(s) % n : 0;
}

/* A random size: mostly a few pages, sometimes a boundary value. */
static uint64_t any_size(uint64_t *s, long page)
{
	static const uint64_t odd[] = { 0, 1, 4095, 4097, 1ULL << 40, ~0ULL,
					~0ULL - 4095, 1ULL << 63 };

	if (below(s, 8))
		return (below(s, BUF_PAGES) + 1) * page;
	return odd[below(s, ARRAY_SIZE(odd))];
}

static uint64_t any_iova(struct fuzz_thread *t, long page)
{
	struct fuzz_ctx *c = t->ctx;
	uint64_t *s = &t->rng, pages = (c->iova_end - c->iova_start + 1) / page;

	switch (below(s, 10)) {
	case 0:
		return 0;
	case 1:
		return ~0ULL - page + 1;
	case 2:
		return c->iova_end - page + 1;
	case 3:
		return c->iova_start - page;
	case 4:
		return next(s);
	default:
		/* A small window, so that threads overlap each other. */
		return c->iova_start + below(s, pages < 4096 ? pages : 4096) * page;
	}
}

static void *any_vaddr(struct fuzz_thread *t, long page)
{
	uint64_t *s = &t->rng;

	switch (below(s, 8)) {
	case 0:
		return NULL;
	case 1:
		return (void *)(uintptr_t)next(s);
	case 2:
		return t->buf + 1;
	default:
		return t->buf + below(s, BUF_PAGES) * page;
	}
}

static uint32_t any_argsz(uint64_t *s, uint32_t size)
{
	switch (below(s, 8)) {
	case 0:
		return 0;
	case 1:
		return size - 1;
	case 2:
		return size + 8;
	default:
		return size;
	}
}

static long mmio_read(const void *addr, void *buf, size_t len)
{
#ifdef __NR_s390_pci_mmio_read
	return syscall(__NR_s390_pci_mmio_read, (unsigned long)addr, buf, len);
#else
	errno = EOPNOTSUPP;
	return -1;
#endif
}

static long mmio_write(const void *addr, const void *buf, size_t len)
{
#ifdef __NR_s390_pci_mmio_write
	return syscall(__NR_s390_pci_mmio_write, (unsigned long)addr, buf, len);
#else
	errno = EOPNOTSUPP;
	return -1;
#endif
}

static int fuzz_map(struct fuzz_thread *t, long page)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = any_argsz(&t->rng, sizeof(map)),
		.flags = below(&t->rng, 4) ? VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE :
					     (uint32_t)next(&t->rng),
		.vaddr = (uintptr_t)any_vaddr(t, page),
		.iova = any_iova(t, page),
		.size = any_size(&t->rng, page),
	};
	int ret = ioctl(t->ctx->dev->container, VFIO_IOMMU_MAP_DMA, &map);

	if (!ret) {
		unsigned int slot = below(&t->rng, LIVE_MAPS);

		t->live[slot].iova = map.iova;
		t->live[slot].size = map.size;
	}
	return ret;
}

static int fuzz_unmap(struct fuzz_thread *t, long page)
{
	struct vfio_iommu_type1_dma_unmap unmap = { .argsz = sizeof(unmap) };
	unsigned int slot = below(&t->rng, LIVE_MAPS);

	switch (below(&t->rng, 8)) {
	case 0:
		unmap.flags = VFIO_DMA_UNMAP_FLAG_ALL;
		break;
	case 1:
		unmap.flags = (uint32_t)next(&t->rng);
		unmap.iova = any_iova(t, page);
		unmap.size = any_size(&t->rng, page);
		break;
	case 2:
		unmap.argsz = any_argsz(&t->rng, sizeof(unmap));
		unmap.iova = any_iova(t, page);
		unmap.size = any_size(&t->rng, page);
		break;
	case 3:
		unmap.iova = any_iova(t, page);
		unmap.size = any_size(&t->rng, page);
		break;
	default:
		unmap.iova = t->live[slot].iova;
		unmap.size = t->live[slot].size;
		t->live[slot].size = 0;
		break;
	}
	return ioctl(t->ctx->dev->container, VFIO_IOMMU_UNMAP_DMA, &unmap);
}

static int fuzz_get_info(struct fuzz_thread *t)
{
	uint64_t raw[64];
	struct vfio_iommu_type1_info *info = (void *)raw;
	void *arg = info;

	memset(raw, 0, sizeof(raw));
	info->argsz = below(&t->rng, sizeof(raw) + 1);
	if (!below(&t->rng, 16))
		arg = (void *)(uintptr_t)next(&t->rng);
	return ioctl(t->ctx->dev->container, VFIO_IOMMU_GET_INFO, arg);
}

static int fuzz_region_info(struct fuzz_thread *t)
{
	uint64_t raw[32];
	struct vfio_region_info *info = (void *)raw;

	memset(raw, 0, sizeof(raw));
	info->argsz = below(&t->rng, sizeof(raw) + 1);
	info->index = below(&t->rng, 4) ? below(&t->rng, VFIO_PCI_NUM_REGIONS + 2) :
					  (uint32_t)next(&t->rng);
	return ioctl(t->ctx->dev->fd, VFIO_DEVICE_GET_REGION_INFO, info);
}

static int fuzz_mmap(struct fuzz_thread *t, long page)
{
	struct fuzz_ctx *c = t->ctx;
	struct vfio_region_info info = { .argsz = sizeof(info) };
	uint64_t len, off;
	uint32_t raw;
	char *map;
	int prot;

	info.index = below(&t->rng, VFIO_PCI_CONFIG_REGION_INDEX + 1);
	if (ioctl(c->dev->fd, VFIO_DEVICE_GET_REGION_INFO, &info))
		return -1;
	len = (below(&t->rng, (info.size + page - 1) / page + 2) + !below(&t->rng, 8)) * page;
	off = info.offset + below(&t->rng, 3) * page;
	if (!below(&t->rng, 8))
		off += below(&t->rng, page);
	prot = below(&t->rng, 4) ? PROT_READ | PROT_WRITE : (int)below(&t->rng, 8);
	map = mmap(NULL, len, prot, below(&t->rng, 8) ? MAP_SHARED : MAP_PRIVATE,
		   c->dev->fd, off);
	if (map == MAP_FAILED)
		return -1;
	/* Fault it in through the MMIO syscall, then drop it. */
	if (len && (prot & PROT_READ) && !c->skip[OP_MMIO_READ])
		mmio_read(map + below(&t->rng, len / 4) * 4, &raw, 4);
	munmap(map, len);
	return 0;
}

static int fuzz_mmio(struct fuzz_thread *t, bool write, long page)
{
	struct fuzz_ctx *c = t->ctx;
	char *addr = c->map + c->common.offset;
	uint64_t buf[1024] = { next(&t->rng) };
	void *ubuf = buf;
	size_t len = 4;

	if (!c->map)	/* no BAR mmap: the base kernel on s390 */
		addr = (char *)(uintptr_t)(next(&t->rng) & ~(uint64_t)(page - 1));
	switch (below(&t->rng, 8)) {
	case 0:
		addr = (char *)(uintptr_t)next(&t->rng);
		len = below(&t->rng, 9);
		break;
	case 1:
		/* Across the end of the page: refused as a whole. */
		len = below(&t->rng, 8);
		addr += page - c->common.offset - len;
		len += 1 + below(&t->rng, sizeof(buf) - len);
		break;
	case 2:
		ubuf = below(&t->rng, 2) ? NULL : (void *)(uintptr_t)next(&t->rng);
		break;
	case 3:
		/* Up to 8 bytes at the feature select, the rest read-only. */
		len = below(&t->rng, 9);
		break;
	default:
		if (write) {
			buf[0] = htole32(below(&t->rng, 2));
		} else if (c->map) {
			len = 1 << below(&t->rng, 4);
			addr = c->map + below(&t->rng, c->bar.size / len) * len;
		}
		break;
	}
	return write ? mmio_write(addr, ubuf, len) : mmio_read(addr, ubuf, len);
}

static int fuzz_decode(struct fuzz_thread *t)
{
	uint16_t cmd;

	/* The helpers return -errno and leave errno set. */
	if (vfio_test_cfg_read(t->ctx->dev, PCI_COMMAND, &cmd, sizeof(cmd)))
		return -1;
	cmd = le16toh(cmd);
	cmd = below(&t->rng, 2) ? cmd | PCI_COMMAND_MEMORY : cmd & ~PCI_COMMAND_MEMORY;
	cmd = htole16(cmd);
	return vfio_test_cfg_write(t->ctx->dev, PCI_COMMAND, &cmd, sizeof(cmd)) ? -1 : 0;
}

static bool errno_ok(enum fuzz_op op, int err)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ok_errnos[op]); i++)
		if (ok_errnos[op][i] == err)
			return true;
	return false;
}

static void *fuzz_thread_fn(void *arg)
{
	struct fuzz_thread *t = arg;
	long page = getpagesize();
	unsigned int i, roll, op;
	int ret, err;

	for (i = 0; i < t->ctx->iterations; i++) {
		if (__atomic_load_n(&t->ctx->stop, __ATOMIC_RELAXED))
			break;
		roll = below(&t->rng, 1000);
		for (op = 0; roll >= op_weights[op]; op++)
			roll -= op_weights[op];
		if (t->ctx->skip[op])
			op = OP_GET_INFO;
		errno = 0;
		switch (op) {
		case OP_MAP:
			ret = fuzz_map(t, page);
			break;
		case OP_UNMAP:
			ret = fuzz_unmap(t, page);
			break;
		case OP_GET_INFO:
			ret = fuzz_get_info(t);
			break;
		case OP_REGION_INFO:
			ret = fuzz_region_info(t);
			break;
		case OP_MMAP:
			ret = fuzz_mmap(t, page);
			break;
		case OP_MMIO_READ:
			ret = fuzz_mmio(t, false, page);
			break;
		case OP_MMIO_WRITE:
			ret = fuzz_mmio(t, true, page);
			break;
		case OP_DECODE:
			ret = fuzz_decode(t);
			break;
		default:
			ret = ioctl(t->ctx->dev->fd, VFIO_DEVICE_RESET);
			break;
		}
		err = errno;
		t->calls[op]++;
		if (!ret)
			continue;
		t->fails[op]++;
		if (ret == -1 && errno_ok(op, err))
			continue;
		if (!t->bad[op]++ && !t->first_bad[0])
			snprintf(t->first_bad, sizeof(t->first_bad),
				 "iteration %u: %s returned %d, %s", i, op_names[op], ret,
				 strerror(err));
	}
	return NULL;
}

/*
 * Mark the calls the comma-separated @list names in @skip; false if a
 * name is not a call's.
 */
static bool parse_skip_list(const char *list, bool *skip)
{
	unsigned int op;
	size_t len;

	for (;;) {
		len = strcspn(list, ",");
		for (op = 0; op < NR_OPS; op++)
			if (strlen(op_names[op]) == len && !strncmp(list, op_names[op], len))
				break;
		if (op == NR_OPS)
			return false;
		skip[op] = true;
		if (!list[len])
			return true;
		list += len + 1;
	}
}

#define TAINTED		"/proc/sys/kernel/tainted"
#define DMA_ENTRY_LIMIT	"/sys/module/vfio_iommu_type1/parameters/dma_entry_limit"

/* The number in the file at @path, or -1. */
static long read_long(const char *path)
{
	char buf[32], *end;
	long val;

	if (vfio_test_read_file(path, buf, sizeof(buf)))
		return -1;
	val = strtol(buf, &end, 10);
	return end == buf ? -1 : val;
}

/* Pages pinned for DMA and not released yet, system-wide. */
static long pinned_pages(void)
{
	long acquired = -1, released = -1, val;
	char name[64];
	FILE *f;

	/* Fold the per-CPU differences into the counters first. */
	vfio_test_write_file("/proc/sys/vm/stat_refresh", "1");
	f = fopen("/proc/vmstat", "r");
	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", name, &val) == 2) {
		if (!strcmp(name, "nr_foll_pin_acquired"))
			acquired = val;
		else if (!strcmp(name, "nr_foll_pin_released"))
			released = val;
	}
	fclose(f);
	return acquired < 0 || released < 0 ? -1 : acquired - released;
}

FIXTURE(fuzz) {
	struct vfio_test_dev dev;
	struct fuzz_ctx ctx;
	struct fuzz_thread threads[MAX_THREADS];
	unsigned int nr_threads;
};

FIXTURE_SETUP(fuzz)
{
	const char *bdf = vfio_test_bdf(VFIO_TEST_DEVICE_ENV);
	const char *env;
	struct vfio_iova_range *ranges;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned int i, total = 100000;
	uint32_t nr;

	ASSERT_NE(NULL, bdf);
	ASSERT_EQ(0, vfio_test_dev_open(&self->dev, bdf));
	self->ctx.dev = &self->dev;
	self->ctx.seed = 0x5eed;
	env = getenv("VFIO_FUZZ_SEED");
	if (env && *env)
		self->ctx.seed = strtoull(env, NULL, 0);
	env = getenv("VFIO_FUZZ_ITERATIONS");
	if (env && *env)
		total = strtoul(env, NULL, 0);
#ifndef __NR_s390_pci_mmio_read
	self->ctx.skip[OP_MMIO_READ] = true;
	self->ctx.skip[OP_MMIO_WRITE] = true;
#endif
	env = getenv("VFIO_FUZZ_SKIP");
	if (env && *env) {
		ASSERT_TRUE(parse_skip_list(env, self->ctx.skip))
			TH_LOG("VFIO_FUZZ_SKIP=%s", env);
		self->ctx.skip_list = env;
	}

	ASSERT_EQ(0, vfio_test_iova_ranges(self->dev.container, &ranges, &nr));
	ASSERT_LT(0, nr);
	self->ctx.iova_start = ranges[0].start;
	self->ctx.iova_end = ranges[0].end;
	free(ranges);

	ASSERT_EQ(0, virtio_pci_find(&self->dev, VIRTIO_PCI_CAP_COMMON_CFG, &self->ctx.common));
	ASSERT_EQ(0, vfio_test_region_info(&self->dev, self->ctx.common.bar, &self->ctx.bar));
	/* Without BAR mmap (the base kernel on s390) only refusals are fuzzed. */
	self->ctx.map = mmap(NULL, self->ctx.bar.size, PROT_READ | PROT_WRITE, MAP_SHARED,
			     self->dev.fd, self->ctx.bar.offset);
	if (self->ctx.map == MAP_FAILED)
		self->ctx.map = NULL;

	/* Two threads per CPU, at least two, at most MAX_THREADS. */
	self->nr_threads = cpus < 1 ? 2 : cpus * 2 > MAX_THREADS ? MAX_THREADS : cpus * 2;
	self->ctx.iterations = (total + self->nr_threads - 1) / self->nr_threads;
	for (i = 0; i < self->nr_threads; i++) {
		struct fuzz_thread *t = &self->threads[i];

		memset(t, 0, sizeof(*t));
		t->ctx = &self->ctx;
		t->rng = (self->ctx.seed + 1) * 0x9e3779b97f4a7c15ULL + i;
		t->buf = mmap(NULL, BUF_PAGES * getpagesize(), PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, t->buf);
		memset(t->buf, i, BUF_PAGES * getpagesize());
	}
}

FIXTURE_TEARDOWN(fuzz)
{
	unsigned int i;

	/* A failed ASSERT may leave threads running: they use the buffers. */
	__atomic_store_n(&self->ctx.stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < self->nr_threads; i++)
		if (self->threads[i].running)
			pthread_join(self->threads[i].tid, NULL);
	for (i = 0; i < self->nr_threads; i++)
		if (self->threads[i].buf && self->threads[i].buf != MAP_FAILED)
			munmap(self->threads[i].buf, BUF_PAGES * getpagesize());
	if (self->ctx.map)
		munmap(self->ctx.map, self->ctx.bar.size);
	vfio_test_dev_close(&self->dev);
}

TEST_F_TIMEOUT(fuzz, calls_fail_cleanly_and_leave_the_kernel_healthy, 500)
{
	unsigned int i, op, calls[NR_OPS] = {}, fails[NR_OPS] = {}, bad = 0, total = 0;
	int ret;
	long taint = read_long(TAINTED), limit = read_long(DMA_ENTRY_LIMIT);
	long pinned = pinned_pages();
	struct vfio_iommu_type1_dma_unmap unmap_all = {
		.argsz = sizeof(unmap_all), .flags = VFIO_DMA_UNMAP_FLAG_ALL,
	};
	uint32_t after;
	uint16_t cmd;
	char line[512];
	int len = 0;

	ASSERT_LE(0, taint);
	ASSERT_LT(0, limit);
	ASSERT_LE(0, pinned);
	for (i = 0; i < self->nr_threads; i++) {
		ret = pthread_create(&self->threads[i].tid, NULL, fuzz_thread_fn,
				     &self->threads[i]);
		ASSERT_EQ(0, ret);
		self->threads[i].running = true;
	}
	for (i = 0; i < self->nr_threads; i++) {
		struct fuzz_thread *t = &self->threads[i];

		ret = pthread_join(t->tid, NULL);
		t->running = false;
		ASSERT_EQ(0, ret);
		for (op = 0; op < NR_OPS; op++) {
			calls[op] += t->calls[op];
			fails[op] += t->fails[op];
			bad += t->bad[op];
			total += t->calls[op];
		}
		EXPECT_EQ('\0', t->first_bad[0]) TH_LOG("thread %u: %s", i, t->first_bad);
	}
	for (op = 0; op < NR_OPS; op++)
		len += snprintf(line + len, sizeof(line) - len, " %s %u/%u", op_names[op],
				calls[op] - fails[op], calls[op]);
	TH_LOG("report: fuzz seed %#llx, %u threads, %u calls (succeeded/made):%s%s%s",
	       (unsigned long long)self->ctx.seed, self->nr_threads, total, line,
	       self->ctx.skip_list ? ", skipped as GET_INFO: " : "",
	       self->ctx.skip_list ? self->ctx.skip_list : "");
	EXPECT_EQ(0, bad);

	/* The kernel took no WARN and the device still answers. */
	EXPECT_EQ(taint, read_long(TAINTED));
	ASSERT_EQ(0, vfio_test_cfg_read(&self->dev, PCI_COMMAND, &cmd, sizeof(cmd)));
	cmd |= htole16(PCI_COMMAND_MEMORY);
	ASSERT_EQ(0, vfio_test_cfg_write(&self->dev, PCI_COMMAND, &cmd, sizeof(cmd)));
	ASSERT_EQ(0, virtio_pci_write(&self->dev, &self->ctx.common, VIRTIO_COMMON_DFSELECT,
				      1, 4));
	ASSERT_EQ(0, virtio_pci_read(&self->dev, &self->ctx.common, VIRTIO_COMMON_DFSELECT,
				     &after, 4));
	EXPECT_EQ(1, after);

	/* Unmapping everything gives every DMA entry back ... */
	ASSERT_EQ(0, ioctl(self->dev.container, VFIO_IOMMU_UNMAP_DMA, &unmap_all));
	EXPECT_EQ(limit, vfio_test_dma_avail(self->dev.container));
	/* ... and, with the container closed, every pinned page. */
	if (self->ctx.map) {
		munmap(self->ctx.map, self->ctx.bar.size);
		self->ctx.map = NULL;
	}
	vfio_test_dev_close(&self->dev);
	EXPECT_EQ(pinned, pinned_pages());
}

TEST_HARNESS_MAIN
