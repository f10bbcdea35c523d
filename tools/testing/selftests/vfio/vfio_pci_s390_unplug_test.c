// SPDX-License-Identifier: GPL-2.0
/*
 * Hot-unplug of a vfio-pci function in use, through its s390 hotplug slot:
 * writing 0 to /sys/bus/pci/slots/<fid>/power deconfigures the zPCI
 * function.  vfio-pci's remove waits until user space lets the device go
 * and asks for it through the request eventfd.  While the unplug starts,
 * one thread reads the disk with DMA and, in the dma_and_mmio variant,
 * another sits in the MMIO syscalls on the mmap()ed BAR; the test then
 * lets the device go, the MMIO syscalls fail cleanly on the unmapped BAR,
 * and after power on the function is back and reads the disk again.  The
 * slot is powered off from a child process that holds no vfio file: a
 * thread of the test itself would keep the device open if the test died
 * while the power off waits for it.
 *
 * The reset test resets the function (VFIO_DEVICE_RESET, through its
 * hotplug slot on s390) again and again while a thread per CPU maps and
 * unmaps DMA and another sits in the MMIO syscalls: every call succeeds,
 * and afterwards the disk reads through the mappings made before.
 *
 * The device, named by $VFIO_SELFTEST_BLK_DEVICE, is a modern virtio-blk
 * PCI device behind the IOMMU on a disk whose sector n starts with
 * "SECTOR <n as 8 digits>".
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "vfio_util.h"
#include "vfio_virtio.h"

#define REQUEST_TIMEOUT_MS	30000
#define RETURN_TIMEOUT_S	60
#define WARMUP_READS		8
#define WARMUP_MMIO		64
#define RESETS			64
#define MAX_MAPPERS		8
/*
 * The IOVA window, in pages: the ring at 0, the data page at 16, mapper i
 * at 32 + i, and from 48 on a page per reset that stays mapped.
 */
#define WINDOW_PAGES		128
#define KEEPER_PAGE		48

struct unplug_env {
	struct vfio_test_dev dev;
	struct virtio_blk blk;
	char bdf[64];
	char slot_power[PATH_MAX];
	char *ring;
	char *data;
	uint64_t ring_iova;
	uint64_t data_iova;
	char *bar;		/* the BAR of the common configuration block */
	size_t bar_size;
	char *regs;		/* the common configuration block in it */
	int req_fd;
};

/* Shared between threads: read and written with __atomic builtins. */
struct load {
	struct unplug_env *e;
	int stop;
	long done;		/* calls that succeeded */
	int error;		/* the first failure's errno, or 0 */
};

#define LOAD(x)		__atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define STORE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELEASE)
#define COUNT(x)	__atomic_add_fetch(&(x), 1, __ATOMIC_RELEASE)

FIXTURE(unplug) {
	struct unplug_env e;
	struct load dma, mmio;
	pthread_t dma_thread, mmio_thread;
	bool dma_running, mmio_running;
	pid_t writer;		/* writes the commands it reads to the slot */
	int to_writer, from_writer;
};

FIXTURE_VARIANT(unplug) {
	bool mmio;
};

FIXTURE_VARIANT_ADD(unplug, dma) {
	.mmio = false,
};

FIXTURE_VARIANT_ADD(unplug, dma_and_mmio) {
	.mmio = true,
};

static long mmio_read(const void *addr, void *buf, size_t len)
{
	return syscall(__NR_s390_pci_mmio_read, (unsigned long)addr, buf, len);
}

static bool device_present(const char *bdf)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", bdf);
	return !stat(path, &st);
}

/* The power file of @bdf's hotplug slot, named after its function id. */
static int find_slot(const char *bdf, char *power, size_t len)
{
	char path[PATH_MAX], fid[32], *end;
	struct stat st;
	int ret;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/function_id", bdf);
	ret = vfio_test_read_file(path, fid, sizeof(fid));
	if (ret)
		return ret;
	snprintf(power, len, "/sys/bus/pci/slots/%08lx/power", strtoul(fid, &end, 16));
	if (end == fid)
		return -EINVAL;
	return stat(power, &st) ? -errno : 0;
}

static int register_request_eventfd(int device, int efd)
{
	char buf[sizeof(struct vfio_irq_set) + sizeof(int32_t)];
	struct vfio_irq_set *set = (struct vfio_irq_set *)buf;

	set->argsz = sizeof(buf);
	set->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	set->index = VFIO_PCI_REQ_IRQ_INDEX;
	set->start = 0;
	set->count = 1;
	memcpy(set->data, &efd, sizeof(int32_t));
	return ioctl(device, VFIO_DEVICE_SET_IRQS, set);
}

static void *dma_buffer(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Open the device, start the driver, mmap the BAR, ask for requests. */
static void open_env(struct __test_metadata *_metadata, struct unplug_env *e,
		     bool mmio)
{
	struct virtio_pci_region common;
	struct vfio_region_info bar;
	struct vfio_iova_range *ranges;
	uint64_t ring_iova = 0, start;
	long page = getpagesize();
	uint32_t nr, i;

	ASSERT_EQ(0, vfio_test_dev_open(&e->dev, e->bdf));
	ASSERT_EQ(0, vfio_test_iova_ranges(e->dev.container, &ranges, &nr));
	for (i = 0; i < nr && !ring_iova; i++) {
		start = ranges[i].start < (1UL << 20) ? 1UL << 20 : ranges[i].start;
		if (start <= ranges[i].end &&
		    ranges[i].end - start >= WINDOW_PAGES * page - 1)
			ring_iova = start;
	}
	free(ranges);
	ASSERT_NE(0, ring_iova);
	e->ring_iova = ring_iova;
	e->data_iova = ring_iova + 16 * page;
	e->ring = dma_buffer(VIRTIO_BLK_RING_BYTES);
	e->data = dma_buffer(page);
	ASSERT_NE(NULL, e->ring);
	ASSERT_NE(NULL, e->data);
	ASSERT_EQ(0, vfio_test_map_dma(e->dev.container, e->ring, ring_iova,
				       VIRTIO_BLK_RING_BYTES));
	ASSERT_EQ(0, vfio_test_map_dma(e->dev.container, e->data, e->data_iova, page));
	ASSERT_EQ(0, virtio_blk_init(&e->blk, &e->dev, e->ring, ring_iova));

	e->req_fd = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, e->req_fd);
	ASSERT_EQ(0, register_request_eventfd(e->dev.fd, e->req_fd))
		TH_LOG("request eventfd: %s", strerror(errno));
	if (!mmio)
		return;

	ASSERT_EQ(0, virtio_pci_find(&e->dev, VIRTIO_PCI_CAP_COMMON_CFG, &common));
	ASSERT_EQ(0, vfio_test_region_info(&e->dev, common.bar, &bar));
	e->bar = mmap(NULL, bar.size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      e->dev.fd, bar.offset);
	ASSERT_NE(MAP_FAILED, e->bar)
		TH_LOG("mmap of BAR %u: %s", common.bar, strerror(errno));
	e->bar_size = bar.size;
	e->regs = e->bar + common.offset;
}

/* Give everything back; vfio-pci's remove waits for this. */
static void close_env(struct unplug_env *e)
{
	if (e->bar && e->bar != MAP_FAILED)
		munmap(e->bar, e->bar_size);
	e->bar = NULL;
	vfio_test_dev_close(&e->dev);
	if (e->req_fd >= 0)
		close(e->req_fd);
	e->req_fd = -1;
	if (e->ring)
		munmap(e->ring, VIRTIO_BLK_RING_BYTES);
	if (e->data)
		munmap(e->data, getpagesize());
	e->ring = NULL;
	e->data = NULL;
}

static void *dma_load(void *arg)
{
	struct load *l = arg;
	struct unplug_env *e = l->e;
	uint64_t sector = 0;
	int ret;

	while (!LOAD(l->stop)) {
		ret = virtio_blk_read(&e->blk, sector++ % 4096, e->data_iova,
				      VIRTIO_BLK_SECTOR_SIZE, 1000);
		if (ret) {
			STORE(l->error, -ret);
			break;
		}
		COUNT(l->done);
	}
	return NULL;
}

/* Reads the queue count until the BAR goes away under it. */
static void *mmio_load(void *arg)
{
	struct load *l = arg;
	uint16_t val;

	while (!LOAD(l->stop)) {
		if (mmio_read(l->e->regs + VIRTIO_COMMON_NUMQ, &val, sizeof(val))) {
			STORE(l->error, errno);
			break;
		}
		COUNT(l->done);
	}
	return NULL;
}

/* The slot writer: a child that writes each byte it reads to @power. */
static pid_t start_writer(const char *power, int *to, int *from)
{
	int cmd[2], res[2], ret;
	char val[2] = "";
	pid_t pid;

	if (pipe(cmd))
		return -1;
	if (pipe(res)) {
		close(cmd[0]);
		close(cmd[1]);
		return -1;
	}
	pid = fork();
	if (pid) {
		close(cmd[0]);
		close(res[1]);
		*to = cmd[1];
		*from = res[0];
		return pid;
	}
	close(cmd[1]);
	close(res[0]);
	while (read(cmd[0], val, 1) == 1) {
		ret = vfio_test_write_file(power, val);
		if (write(res[1], &ret, sizeof(ret)) != sizeof(ret))
			break;
	}
	_exit(0);
}

/* The writer's result: 0 or -errno; -ETIMEDOUT if it has none yet. */
static int writer_result(int from, int timeout_ms)
{
	struct pollfd pfd = { .fd = from, .events = POLLIN };
	int ret;

	if (poll(&pfd, 1, timeout_ms) != 1)
		return -ETIMEDOUT;
	if (read(from, &ret, sizeof(ret)) != sizeof(ret))
		return -EPIPE;
	return ret;
}

static bool wait_for(long *count, long want, int timeout_ms)
{
	while (LOAD(*count) < want && timeout_ms > 0) {
		usleep(10000);
		timeout_ms -= 10;
	}
	return LOAD(*count) >= want;
}

/* The function came back with a new struct pci_dev: hand it to vfio-pci. */
static bool bind_to_vfio_pci(const char *bdf)
{
	char path[PATH_MAX], unbind[PATH_MAX + 8], link[PATH_MAX];
	ssize_t n;
	int i;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", bdf);
	if (vfio_test_write_file(path, "vfio-pci"))
		return false;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", bdf);
	for (i = 0; i < 50; i++) {
		n = readlink(path, link, sizeof(link) - 1);
		link[n < 0 ? 0 : n] = 0;
		if (strstr(link, "/vfio-pci"))
			return true;
		if (n >= 0) {
			snprintf(unbind, sizeof(unbind), "%s/unbind", path);
			vfio_test_write_file(unbind, bdf);
		}
		vfio_test_write_file("/sys/bus/pci/drivers_probe", bdf);
		usleep(100000);
	}
	return false;
}

FIXTURE_SETUP(unplug)
{
	const char *bdf = vfio_test_bdf(VFIO_TEST_BLK_ENV);

	self->e.req_fd = -1;
	self->e.dev.fd = -1;
	self->e.dev.group = -1;
	self->e.dev.container = -1;
	self->writer = -1;
	ASSERT_NE(NULL, bdf);
	snprintf(self->e.bdf, sizeof(self->e.bdf), "%s", bdf);
	ASSERT_EQ(0, find_slot(bdf, self->e.slot_power, sizeof(self->e.slot_power)))
		TH_LOG("no hotplug slot for %s", bdf);
	/* Before the device is open, so that the writer never holds it. */
	self->writer = start_writer(self->e.slot_power, &self->to_writer,
				    &self->from_writer);
	ASSERT_LT(0, self->writer);
	self->dma.e = &self->e;
	self->mmio.e = &self->e;
	open_env(_metadata, &self->e, variant->mmio);
}

static void stop_load(struct load *l, pthread_t thread, bool *running)
{
	if (!*running)
		return;
	STORE(l->stop, 1);
	pthread_join(thread, NULL);
	*running = false;
}

/* Whatever failed: threads stopped, device closed, function back. */
FIXTURE_TEARDOWN(unplug)
{
	int i;

	stop_load(&self->mmio, self->mmio_thread, &self->mmio_running);
	stop_load(&self->dma, self->dma_thread, &self->dma_running);
	close_env(&self->e);
	if (self->writer > 0) {
		close(self->to_writer);
		close(self->from_writer);
		waitpid(self->writer, NULL, 0);
	}
	if (!device_present(self->e.bdf)) {
		vfio_test_write_file(self->e.slot_power, "1");
		for (i = 0; i < RETURN_TIMEOUT_S * 10 && !device_present(self->e.bdf); i++)
			usleep(100000);
	}
	if (device_present(self->e.bdf))
		bind_to_vfio_pci(self->e.bdf);
}

TEST_F_TIMEOUT(unplug, function_in_use_goes_and_comes_back, 180)
{
	struct unplug_env *e = &self->e;
	struct load *dma = &self->dma, *mmio = &self->mmio;
	struct pollfd pfd = { .fd = e->req_fd, .events = POLLIN };
	uint64_t requests;
	long before, ret;
	int i, err;

	ASSERT_EQ(0, pthread_create(&self->dma_thread, NULL, dma_load, dma));
	self->dma_running = true;
	if (variant->mmio) {
		ASSERT_EQ(0, pthread_create(&self->mmio_thread, NULL, mmio_load, mmio));
		self->mmio_running = true;
		ASSERT_TRUE(wait_for(&mmio->done, WARMUP_MMIO, 10000));
	}
	ASSERT_TRUE(wait_for(&dma->done, WARMUP_READS, 10000));

	/*
	 * The unplug: vfio-pci asks for the device back, and the power off
	 * waits for it while the device keeps working.
	 */
	ASSERT_EQ(1, write(self->to_writer, "0", 1));
	ASSERT_EQ(1, poll(&pfd, 1, REQUEST_TIMEOUT_MS))
		TH_LOG("no request; power off: %d", writer_result(self->from_writer, 0));
	ASSERT_EQ(sizeof(requests), read(e->req_fd, &requests, sizeof(requests)));
	before = LOAD(dma->done);
	EXPECT_TRUE(wait_for(&dma->done, before + WARMUP_READS, 10000));
	if (variant->mmio) {
		before = LOAD(mmio->done);
		EXPECT_TRUE(wait_for(&mmio->done, before + WARMUP_MMIO, 10000));
	}
	EXPECT_EQ(-ETIMEDOUT, writer_result(self->from_writer, 0));

	/* The BAR goes while a thread is in the MMIO syscalls. */
	if (variant->mmio) {
		ASSERT_EQ(0, munmap(e->bar, e->bar_size));
		e->bar = NULL;
		for (i = 0; i < 200 && !LOAD(mmio->error); i++)
			usleep(10000);
		stop_load(mmio, self->mmio_thread, &self->mmio_running);
	}
	stop_load(dma, self->dma_thread, &self->dma_running);
	TH_LOG("report: unplug under load: %ld DMA reads (error %d), %ld MMIO reads, then errno %d",
	       dma->done, dma->error, mmio->done, mmio->error);
	EXPECT_EQ(0, dma->error);
	if (variant->mmio) {
		/* EINVAL without MIO (no mapping), EFAULT with MIO. */
		EXPECT_TRUE(mmio->error == EINVAL || mmio->error == EFAULT)
			TH_LOG("errno %d", mmio->error);
		/* Nothing maps the BAR now: the syscall fails before the device. */
		ret = mmio_read(e->regs + VIRTIO_COMMON_NUMQ, &i, 2);
		err = errno;
		EXPECT_EQ(-1, ret);
		EXPECT_TRUE(err == EINVAL || err == EFAULT) TH_LOG("errno %d", err);
	}
	EXPECT_EQ(-ETIMEDOUT, writer_result(self->from_writer, 0));

	/* Let the device go: the power off completes. */
	close_env(e);
	ASSERT_EQ(0, writer_result(self->from_writer, 60000));
	ASSERT_FALSE(device_present(e->bdf));

	/* Power on: the function is configured and scanned again. */
	ASSERT_EQ(0, vfio_test_write_file(e->slot_power, "1"));
	for (i = 0; i < RETURN_TIMEOUT_S * 10 && !device_present(e->bdf); i++)
		usleep(100000);
	ASSERT_TRUE(device_present(e->bdf));
	ASSERT_TRUE(bind_to_vfio_pci(e->bdf));

	open_env(_metadata, e, variant->mmio);
	ASSERT_EQ(0, virtio_blk_read(&e->blk, 7, e->data_iova, VIRTIO_BLK_SECTOR_SIZE, 3000));
	EXPECT_EQ(0, memcmp(e->data, "SECTOR 00000007", 15));
	if (variant->mmio)
		EXPECT_EQ(0, mmio_read(e->regs + VIRTIO_COMMON_NUMQ, &i, 2));
}

/* A thread that maps and unmaps a page of its own until told to stop. */
struct mapper {
	struct load l;
	void *buf;
	uint64_t iova;
	pthread_t thread;
	bool running;
};

static void *map_load(void *arg)
{
	struct mapper *m = arg;
	int container = m->l.e->dev.container;
	long page = getpagesize();
	int ret;

	while (!LOAD(m->l.stop)) {
		ret = vfio_test_map_dma(container, m->buf, m->iova, page);
		if (!ret)
			ret = vfio_test_unmap_dma(container, m->iova, page, 0, NULL);
		if (ret) {
			STORE(m->l.error, -ret);
			break;
		}
		COUNT(m->l.done);
	}
	return NULL;
}

/*
 * Maps page i of its buffer as reset i begins and keeps it mapped; counts
 * the maps that returned before the reset did.
 */
struct keeper {
	struct load l;
	sem_t go;		/* posted as each reset begins */
	bool go_ready;		/* go is initialised */
	char *buf;		/* RESETS pages */
	uint64_t iova;
	long ended;		/* resets that returned */
	long overlapped;	/* maps that returned before their reset */
};

static void *keep_load(void *arg)
{
	struct keeper *k = arg;
	long page = getpagesize(), i = 0;
	struct timespec until;
	int ret;

	while (i < RESETS && !LOAD(k->l.stop)) {
		/* Wake up now and then to see whether the test stopped. */
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec++;
		if (sem_timedwait(&k->go, &until))
			continue;
		ret = vfio_test_map_dma(k->l.e->dev.container, k->buf + i * page,
					k->iova + i * page, page);
		if (ret) {
			STORE(k->l.error, -ret);
			break;
		}
		if (LOAD(k->ended) <= i)
			COUNT(k->overlapped);
		i = COUNT(k->l.done);
	}
	return NULL;
}

FIXTURE(reset) {
	struct unplug_env e;
	struct mapper map[MAX_MAPPERS];
	int nr_mappers;
	struct keeper keep;
	pthread_t keep_thread;
	bool keep_running;
	struct load mmio;
	pthread_t mmio_thread;
	bool mmio_running;
	char reset_method[PATH_MAX];
	char saved_method[64];
};

FIXTURE_SETUP(reset)
{
	const char *bdf = vfio_test_bdf(VFIO_TEST_BLK_ENV);
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	long page = getpagesize();
	int i;

	self->e.req_fd = -1;
	self->e.dev.fd = -1;
	self->e.dev.group = -1;
	self->e.dev.container = -1;
	ASSERT_NE(NULL, bdf);
	snprintf(self->e.bdf, sizeof(self->e.bdf), "%s", bdf);
	self->mmio.e = &self->e;

	snprintf(self->reset_method, sizeof(self->reset_method),
		 "/sys/bus/pci/devices/%s/reset_method", bdf);
	ASSERT_EQ(0, vfio_test_read_file(self->reset_method, self->saved_method,
					 sizeof(self->saved_method)))
		TH_LOG("%s: %s", self->reset_method, strerror(errno));
	open_env(_metadata, &self->e, true);
	/* A mapper per CPU, up to MAX_MAPPERS; mapper i maps page 32 + i of the ring's window. */
	self->nr_mappers = cpus < 1 ? 1 : cpus;
	if (self->nr_mappers > MAX_MAPPERS)
		self->nr_mappers = MAX_MAPPERS;
	for (i = 0; i < self->nr_mappers; i++) {
		self->map[i].l.e = &self->e;
		self->map[i].iova = self->e.data_iova + (16 + i) * page;
		self->map[i].buf = dma_buffer(page);
		ASSERT_NE(NULL, self->map[i].buf);
	}
	self->keep.l.e = &self->e;
	self->keep.iova = self->e.ring_iova + KEEPER_PAGE * page;
	self->keep.buf = dma_buffer(RESETS * page);
	ASSERT_NE(NULL, self->keep.buf);
	ASSERT_EQ(0, sem_init(&self->keep.go, 0, 0));
	self->keep.go_ready = true;
}

FIXTURE_TEARDOWN(reset)
{
	int i;

	stop_load(&self->mmio, self->mmio_thread, &self->mmio_running);
	stop_load(&self->keep.l, self->keep_thread, &self->keep_running);
	for (i = 0; i < self->nr_mappers; i++) {
		stop_load(&self->map[i].l, self->map[i].thread, &self->map[i].running);
		if (self->map[i].buf)
			munmap(self->map[i].buf, getpagesize());
	}
	close_env(&self->e);
	if (self->keep.buf)
		munmap(self->keep.buf, RESETS * getpagesize());
	if (self->keep.go_ready)
		sem_destroy(&self->keep.go);
	if (self->saved_method[0])
		vfio_test_write_file(self->reset_method, self->saved_method);
}

/* Wait until @l made one more call; false if it stopped or hangs. */
static bool moves_on(struct load *l)
{
	return !LOAD(l->error) && wait_for(&l->done, LOAD(l->done) + 1, 10000);
}

static const char *why_stuck(struct load *l)
{
	int err = LOAD(l->error);

	return err ? strerror(err) : "no call for 10 s";
}

TEST_F_TIMEOUT(reset, dma_and_mmio_keep_working_across_resets, 120)
{
	struct unplug_env *e = &self->e;
	long page = getpagesize(), maps = 0;
	char tag[24];
	int i, r;

	ASSERT_TRUE(e->dev.info.flags & VFIO_DEVICE_FLAGS_RESET);
	/*
	 * Only a bus reset goes through the hotplug slot, and so disables the
	 * zPCI function: make it the one VFIO_DEVICE_RESET uses.
	 */
	ASSERT_EQ(0, vfio_test_write_file(self->reset_method, "bus"))
		TH_LOG("no bus reset (reset methods: %s)", self->saved_method);
	for (i = 0; i < self->nr_mappers; i++) {
		ASSERT_EQ(0, pthread_create(&self->map[i].thread, NULL, map_load,
					    &self->map[i]));
		self->map[i].running = true;
	}
	ASSERT_EQ(0, pthread_create(&self->mmio_thread, NULL, mmio_load, &self->mmio));
	self->mmio_running = true;
	ASSERT_EQ(0, pthread_create(&self->keep_thread, NULL, keep_load, &self->keep));
	self->keep_running = true;

	/* Each reset, and the end of the last, finds every thread at work. */
	for (r = 0; r <= RESETS; r++) {
		for (i = 0; i < self->nr_mappers; i++) {
			ASSERT_TRUE(moves_on(&self->map[i].l))
				TH_LOG("reset %d: mapper %d: %s", r, i,
				       why_stuck(&self->map[i].l));
		}
		ASSERT_TRUE(moves_on(&self->mmio))
			TH_LOG("reset %d: MMIO: %s", r, why_stuck(&self->mmio));
		if (r == RESETS)
			break;
		/* The keeper maps a page as this reset begins. */
		ASSERT_EQ(0, sem_post(&self->keep.go));
		ASSERT_EQ(0, ioctl(e->dev.fd, VFIO_DEVICE_RESET))
			TH_LOG("reset %d: %s", r, strerror(errno));
		STORE(self->keep.ended, r + 1);
	}

	EXPECT_TRUE(wait_for(&self->keep.l.done, RESETS, 10000))
		TH_LOG("keeper: %ld pages mapped: %s", LOAD(self->keep.l.done),
		       why_stuck(&self->keep.l));
	stop_load(&self->keep.l, self->keep_thread, &self->keep_running);
	stop_load(&self->mmio, self->mmio_thread, &self->mmio_running);
	for (i = 0; i < self->nr_mappers; i++) {
		stop_load(&self->map[i].l, self->map[i].thread, &self->map[i].running);
		maps += self->map[i].l.done;
		EXPECT_EQ(0, self->map[i].l.error)
			TH_LOG("mapper %d: %s", i, strerror(self->map[i].l.error));
	}
	EXPECT_EQ(0, self->mmio.error) TH_LOG("MMIO: %s", strerror(self->mmio.error));
	TH_LOG("report: %d resets: %ld DMA maps and unmaps by %d threads, %ld MMIO reads",
	       RESETS, maps, self->nr_mappers, self->mmio.done);

	/* The device lost its queues, not the mappings made before. */
	ASSERT_EQ(0, virtio_blk_init(&e->blk, &e->dev, e->ring, e->ring_iova));
	memset(e->data, 0, getpagesize());
	ASSERT_EQ(0, virtio_blk_read(&e->blk, 7, e->data_iova, VIRTIO_BLK_SECTOR_SIZE, 3000));
	EXPECT_EQ(0, memcmp(e->data, "SECTOR 00000007", 15));

	/* Nor those made while a reset ran: the device reads into each. */
	for (i = 0; i < self->keep.l.done; i++) {
		ASSERT_EQ(0, virtio_blk_read(&e->blk, i, self->keep.iova + i * page,
					     VIRTIO_BLK_SECTOR_SIZE, 3000))
			TH_LOG("page mapped during reset %d", i);
		snprintf(tag, sizeof(tag), "SECTOR %08d", i);
		EXPECT_EQ(0, memcmp(self->keep.buf + i * page, tag, 15))
			TH_LOG("page mapped during reset %d", i);
	}
	TH_LOG("report: keeper: %ld pages, %ld mapped during a reset, all read by DMA",
	       self->keep.l.done, self->keep.overlapped);
	/* A reset stops the function for milliseconds: maps meet it. */
	EXPECT_LT(0, self->keep.overlapped);
}

TEST_HARNESS_MAIN
