// SPDX-License-Identifier: GPL-2.0
/*
 * The s390 MMIO syscalls, s390_pci_mmio_read() and s390_pci_mmio_write(),
 * on BARs of a vfio-pci device mapped with mmap(): without MIO
 * instructions they are the only way user space reaches a mapped BAR.
 *
 * The device, named by $VFIO_SELFTEST_DEVICE, is a modern virtio PCI
 * device; its common configuration block holds the registers used.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
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
#define FMB_TIMEOUT_S		30

static long mmio_read(const void *addr, void *buf, size_t len)
{
	return syscall(__NR_s390_pci_mmio_read, (unsigned long)addr, buf, len);
}

static long mmio_write(const void *addr, const void *buf, size_t len)
{
	return syscall(__NR_s390_pci_mmio_write, (unsigned long)addr, buf, len);
}

/* A page of the address space that nothing maps. */
static void *unmapped_page(void)
{
	void *p = mmap(NULL, getpagesize(), PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p != MAP_FAILED)
		munmap(p, getpagesize());
	return p;
}

FIXTURE(mmio) {
	struct vfio_test_dev dev;
	struct virtio_pci_region common;
	struct vfio_region_info bar;
	char *map;		/* the whole BAR, never touched before a test */
	char *regs;		/* the common configuration block in it */
};

static int set_memory_decode(struct vfio_test_dev *dev, bool on)
{
	uint16_t cmd;
	int ret;

	ret = vfio_test_cfg_read(dev, PCI_COMMAND, &cmd, sizeof(cmd));
	if (ret)
		return ret;
	cmd = le16toh(cmd);
	cmd = on ? cmd | PCI_COMMAND_MEMORY : cmd & ~PCI_COMMAND_MEMORY;
	cmd = htole16(cmd);
	return vfio_test_cfg_write(dev, PCI_COMMAND, &cmd, sizeof(cmd));
}

/* Register @off of the common block, as a little-endian u32, via pread. */
#define pread_reg(off) ({						\
	uint32_t __val = 0;						\
	EXPECT_EQ(0, virtio_pci_read(&self->dev, &self->common, (off),	\
				     &__val, 4));			\
	__val;								\
})

FIXTURE_SETUP(mmio)
{
	const char *bdf = vfio_test_bdf(VFIO_TEST_DEVICE_ENV);

	ASSERT_NE(NULL, bdf);
	ASSERT_EQ(0, vfio_test_dev_open(&self->dev, bdf));
	ASSERT_EQ(0, virtio_pci_find(&self->dev, VIRTIO_PCI_CAP_COMMON_CFG, &self->common));
	ASSERT_EQ(0, vfio_test_region_info(&self->dev, self->common.bar, &self->bar));
	ASSERT_TRUE(self->bar.flags & VFIO_REGION_INFO_FLAG_MMAP);
	ASSERT_EQ(0, set_memory_decode(&self->dev, true));
	self->map = mmap(NULL, self->bar.size, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->dev.fd, self->bar.offset);
	ASSERT_NE(MAP_FAILED, self->map);
	self->regs = self->map + self->common.offset;
}

FIXTURE_TEARDOWN(mmio)
{
	if (self->map && self->map != MAP_FAILED)
		munmap(self->map, self->bar.size);
	vfio_test_dev_close(&self->dev);
	vfio_test_fault_injection_restore();
}

TEST_F(mmio, read_of_untouched_mapping_matches_pread)
{
	uint32_t off, raw;

	for (off = 0; off < VIRTIO_COMMON_Q_SELECT; off += 4) {
		ASSERT_EQ(0, mmio_read(self->regs + off, &raw, 4))
			TH_LOG("offset 0x%x: %s", off, strerror(errno));
		EXPECT_EQ(pread_reg(off), le32toh(raw));
	}
}

TEST_F(mmio, write_to_untouched_mapping_reaches_the_device)
{
	uint32_t raw = htole32(1), features_hi;

	ASSERT_EQ(0, mmio_write(self->regs + VIRTIO_COMMON_DFSELECT, &raw, 4))
		TH_LOG("%s", strerror(errno));
	EXPECT_EQ(1, pread_reg(VIRTIO_COMMON_DFSELECT));
	/* The device now shows the upper feature word; both paths agree. */
	ASSERT_EQ(0, mmio_read(self->regs + VIRTIO_COMMON_DF, &features_hi, 4));
	EXPECT_EQ(pread_reg(VIRTIO_COMMON_DF), le32toh(features_hi));
	raw = 0;
	EXPECT_EQ(0, mmio_write(self->regs + VIRTIO_COMMON_DFSELECT, &raw, 4));
	EXPECT_EQ(0, pread_reg(VIRTIO_COMMON_DFSELECT));
}

TEST_F(mmio, multi_word_read_matches_pread)
{
	uint8_t via_mmio[16], via_pread[16];
	struct vfio_region_info info;

	ASSERT_EQ(0, vfio_test_region_info(&self->dev, self->common.bar, &info));
	ASSERT_EQ(0, mmio_read(self->regs, via_mmio, sizeof(via_mmio)));
	ASSERT_EQ(sizeof(via_pread), pread(self->dev.fd, via_pread, sizeof(via_pread),
					   info.offset + self->common.offset));
	EXPECT_EQ(0, memcmp(via_mmio, via_pread, sizeof(via_mmio)));
}

TEST_F(mmio, read_only_mapping_can_be_read_not_written)
{
	uint32_t raw = 0;
	char *ro;

	ro = mmap(NULL, self->bar.size, PROT_READ, MAP_SHARED, self->dev.fd, self->bar.offset);
	ASSERT_NE(MAP_FAILED, ro);
	EXPECT_EQ(0, mmio_read(ro + self->common.offset + VIRTIO_COMMON_NUMQ - 2, &raw, 4))
		TH_LOG("%s", strerror(errno));
	EXPECT_EQ(-1, mmio_write(ro + self->common.offset, &raw, 4));
	EXPECT_EQ(EACCES, errno);
	munmap(ro, self->bar.size);
}

TEST_F(mmio, memory_decode_off_revokes_access_until_it_is_on)
{
	uint32_t raw = 0;

	ASSERT_EQ(0, mmio_read(self->regs, &raw, 4));
	ASSERT_EQ(0, set_memory_decode(&self->dev, false));
	EXPECT_EQ(-1, mmio_read(self->regs, &raw, 4));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, mmio_write(self->regs + VIRTIO_COMMON_DFSELECT, &raw, 4));
	EXPECT_EQ(EFAULT, errno);

	ASSERT_EQ(0, set_memory_decode(&self->dev, true));
	EXPECT_EQ(0, mmio_read(self->regs, &raw, 4));
	EXPECT_EQ(pread_reg(0), le32toh(raw));
	raw = 0;
	EXPECT_EQ(0, mmio_write(self->regs + VIRTIO_COMMON_DFSELECT, &raw, 4));
}

TEST_F(mmio, access_after_reset_faults_the_bar_in_again)
{
	uint32_t raw;

	ASSERT_TRUE(self->dev.info.flags & VFIO_DEVICE_FLAGS_RESET);
	raw = htole32(1);
	ASSERT_EQ(0, mmio_write(self->regs + VIRTIO_COMMON_DFSELECT, &raw, 4));
	ASSERT_EQ(0, ioctl(self->dev.fd, VFIO_DEVICE_RESET));
	ASSERT_EQ(0, mmio_read(self->regs + VIRTIO_COMMON_DFSELECT, &raw, 4))
		TH_LOG("%s", strerror(errno));
	EXPECT_EQ(pread_reg(VIRTIO_COMMON_DFSELECT), le32toh(raw));
}

TEST_F(mmio, reset_keeps_access_revoked_while_memory_decode_is_off)
{
	uint32_t raw;

	ASSERT_TRUE(self->dev.info.flags & VFIO_DEVICE_FLAGS_RESET);
	ASSERT_EQ(0, mmio_read(self->regs, &raw, 4));
	ASSERT_EQ(0, set_memory_decode(&self->dev, false));
	ASSERT_EQ(0, ioctl(self->dev.fd, VFIO_DEVICE_RESET));
	EXPECT_EQ(-1, mmio_read(self->regs, &raw, 4));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(0, set_memory_decode(&self->dev, true));
	EXPECT_EQ(0, mmio_read(self->regs, &raw, 4));
}

TEST_F(mmio, rejects_zero_length)
{
	uint32_t raw = 0;

	EXPECT_EQ(-1, mmio_read(self->regs, &raw, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, mmio_write(self->regs, &raw, 0));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(mmio, rejects_access_across_the_end_of_a_page)
{
	char *end = self->map + getpagesize() - 4;
	uint64_t raw = 0;

	EXPECT_EQ(-1, mmio_read(end, &raw, 8));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, mmio_write(end, &raw, 8));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(mmio, rejects_unmapped_user_buffer)
{
	void *hole = unmapped_page();

	ASSERT_NE(MAP_FAILED, hole);
	EXPECT_EQ(-1, mmio_read(self->regs, hole, 4));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, mmio_write(self->regs + VIRTIO_COMMON_DFSELECT, hole, 4));
	EXPECT_EQ(EFAULT, errno);
}

/*
 * The function measurement block counts every PCI load and store the
 * device sees.  Refused calls must not add to it, successful ones add one
 * each.
 */
TEST_F_TIMEOUT(mmio, refused_calls_never_reach_the_device, 120)
{
	struct zpci_fmb before, after;
	void *hole = unmapped_page();
	uint32_t raw = 0;
	char *ro;

	ro = mmap(NULL, self->bar.size, PROT_READ, MAP_SHARED, self->dev.fd, self->bar.offset);
	ASSERT_NE(MAP_FAILED, ro);

	/* One read and one write are counted once each. */
	ASSERT_EQ(0, vfio_test_zpci_fmb_update(self->dev.bdf, &before, FMB_TIMEOUT_S));
	ASSERT_EQ(0, mmio_read(self->regs, &raw, 4));
	raw = 0;
	ASSERT_EQ(0, mmio_write(self->regs + VIRTIO_COMMON_DFSELECT, &raw, 4));
	ASSERT_EQ(0, vfio_test_zpci_fmb_update(self->dev.bdf, &after, FMB_TIMEOUT_S));
	EXPECT_EQ(before.loads + 1, after.loads);
	EXPECT_EQ(before.stores + before.store_blocks + 1, after.stores + after.store_blocks);

	/* Bad arguments while access is allowed. */
	before = after;
	EXPECT_EQ(-1, mmio_read(self->regs, &raw, 0));
	EXPECT_EQ(-1, mmio_write(self->regs, &raw, 0));
	EXPECT_EQ(-1, mmio_read(self->map + getpagesize() - 4, &raw, 8));
	EXPECT_EQ(-1, mmio_write(self->map + getpagesize() - 4, &raw, 8));
	EXPECT_EQ(-1, mmio_read(self->regs, hole, 4));
	EXPECT_EQ(-1, mmio_write(self->regs, hole, 4));
	EXPECT_EQ(-1, mmio_write(ro + self->common.offset, &raw, 4));
	ASSERT_EQ(0, vfio_test_zpci_fmb_update(self->dev.bdf, &after, FMB_TIMEOUT_S));
	EXPECT_EQ(before.loads, after.loads);
	EXPECT_EQ(before.stores + before.store_blocks, after.stores + after.store_blocks);

	/* Access revoked by vfio-pci. */
	ASSERT_EQ(0, set_memory_decode(&self->dev, false));
	ASSERT_EQ(0, vfio_test_zpci_fmb_update(self->dev.bdf, &before, FMB_TIMEOUT_S));
	EXPECT_EQ(-1, mmio_read(self->regs, &raw, 4));
	EXPECT_EQ(-1, mmio_write(self->regs, &raw, 4));
	EXPECT_EQ(-1, mmio_read(ro + self->common.offset, &raw, 4));
	ASSERT_EQ(0, vfio_test_zpci_fmb_update(self->dev.bdf, &after, FMB_TIMEOUT_S));
	EXPECT_EQ(before.loads, after.loads);
	EXPECT_EQ(before.stores + before.store_blocks, after.stores + after.store_blocks);
	TH_LOG("report: zPCI counters: refused MMIO syscalls issued 0 PCI loads and 0 stores");
	munmap(ro, self->bar.size);
}

/*
 * The first access through a fresh mapping faults the BAR in; make every
 * allocation of that path fail in turn (fail-nth).  A failure must be a
 * clean ENOMEM or EFAULT that reaches no device, and the next access must
 * fault the page in and work.
 */
TEST_F_TIMEOUT(mmio, fault_in_fails_cleanly_at_every_allocation, 120)
{
	unsigned int nth, failed = 0;
	int ret, err, injected;
	uint32_t raw;
	char *map;

	if (access("/proc/thread-self/fail-nth", F_OK))
		SKIP(return, "no fault injection (CONFIG_FAULT_INJECTION)");
	ASSERT_EQ(0, vfio_test_fault_injection_setup());
	for (nth = 1; nth < 1000; nth++) {
		map = mmap(NULL, self->bar.size, PROT_READ | PROT_WRITE, MAP_SHARED,
			   self->dev.fd, self->bar.offset);
		ASSERT_NE(MAP_FAILED, map);
		ASSERT_EQ(0, vfio_test_fail_nth(nth));
		ret = mmio_read(map + self->common.offset, &raw, 4);
		err = errno;
		injected = vfio_test_fail_nth_injected();
		ASSERT_LE(0, injected);
		if (ret) {
			ASSERT_TRUE(injected) TH_LOG("nth %u: %s", nth, strerror(err));
			ASSERT_TRUE(err == ENOMEM || err == EFAULT)
				TH_LOG("nth %u: %s", nth, strerror(err));
			failed++;
		}
		ASSERT_EQ(0, mmio_read(map + self->common.offset, &raw, 4))
			TH_LOG("nth %u: after the failure: %s", nth, strerror(errno));
		EXPECT_EQ(pread_reg(0), le32toh(raw));
		munmap(map, self->bar.size);
		if (!ret && !injected)
			break;
	}
	ASSERT_LT(nth, 1000);
	ASSERT_LT(0, failed);
	TH_LOG("report: BAR fault-in: %u allocations failed in turn, %u calls failed cleanly",
	       nth - 1, failed);
}

/* Calls that need no device at all. */
FIXTURE(mmio_args) {
	long page;
};

FIXTURE_SETUP(mmio_args)
{
	self->page = getpagesize();
}

FIXTURE_TEARDOWN(mmio_args)
{
}

TEST_F(mmio_args, rejects_address_outside_any_mapping)
{
	void *hole = unmapped_page();
	uint32_t raw = 0;

	ASSERT_NE(MAP_FAILED, hole);
	EXPECT_EQ(-1, mmio_read(hole, &raw, 4));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, mmio_write(hole, &raw, 4));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(mmio_args, rejects_ordinary_anonymous_memory)
{
	uint32_t raw = 0;
	char *anon;

	anon = mmap(NULL, self->page, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, anon);
	EXPECT_EQ(-1, mmio_read(anon, &raw, 4));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, mmio_write(anon, &raw, 4));
	EXPECT_EQ(EINVAL, errno);
	munmap(anon, self->page);
}

/* /dev/mem maps ordinary memory with PFNs too, but it is not a BAR. */
TEST_F(mmio_args, refuses_pfn_mapping_of_ordinary_memory)
{
	uint32_t raw = 0x5a5a5a5a;
	char *mem;
	int fd;

	fd = open("/dev/mem", O_RDWR | O_SYNC);
	ASSERT_LE(0, fd);
	mem = mmap(NULL, self->page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0x10000);
	ASSERT_NE(MAP_FAILED, mem);
	EXPECT_EQ(-1, mmio_write(mem, &raw, 4));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, mmio_read(mem, &raw, 4));
	EXPECT_EQ(EFAULT, errno);
	munmap(mem, self->page);
	close(fd);
}

/* The zPCI function measurement of the device, named as above. */
FIXTURE(zpci) {
	struct vfio_test_dev dev;
};

FIXTURE_SETUP(zpci)
{
	const char *bdf = vfio_test_bdf(VFIO_TEST_DEVICE_ENV);

	ASSERT_NE(NULL, bdf);
	ASSERT_EQ(0, vfio_test_dev_open(&self->dev, bdf));
}

FIXTURE_TEARDOWN(zpci)
{
	vfio_test_dev_close(&self->dev);
}

/* vfio-pci resets the function when it is opened and on request. */
TEST_F_TIMEOUT(zpci, measurement_keeps_running_across_resets, 120)
{
	struct zpci_fmb fmb;

	ASSERT_TRUE(self->dev.info.flags & VFIO_DEVICE_FLAGS_RESET);
	EXPECT_EQ(0, vfio_test_zpci_fmb_update(self->dev.bdf, &fmb, FMB_TIMEOUT_S))
		TH_LOG("no measurement update after the reset on open");
	ASSERT_EQ(0, ioctl(self->dev.fd, VFIO_DEVICE_RESET));
	EXPECT_EQ(0, vfio_test_zpci_fmb_update(self->dev.bdf, &fmb, FMB_TIMEOUT_S))
		TH_LOG("no measurement update after VFIO_DEVICE_RESET");
}

TEST_HARNESS_MAIN
