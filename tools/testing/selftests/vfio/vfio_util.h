/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the vfio selftests: open a vfio-pci device through a
 * type1 container and its group, query the container and the device, and
 * map DMA.  Every helper returns 0 or a negative errno and leaves errno
 * set, so that tests can assert the exact error.
 */
#ifndef SELFTESTS_VFIO_UTIL_H
#define SELFTESTS_VFIO_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/vfio.h>

/* Environment variables that name the PCI functions the tests drive. */
#define VFIO_TEST_DEVICE_ENV	"VFIO_SELFTEST_DEVICE"
#define VFIO_TEST_BLK_ENV	"VFIO_SELFTEST_BLK_DEVICE"
/* The same kind of device, for tests after which it is unusable. */
#define VFIO_TEST_BLK_FAULT_ENV	"VFIO_SELFTEST_BLK_FAULT_DEVICE"

struct vfio_test_dev {
	char bdf[64];
	int container;
	int group;
	int fd;
	struct vfio_device_info info;
};

/* PCI address from @env, or NULL after saying on stderr what is missing. */
const char *vfio_test_bdf(const char *env);

/* Write @val to the file at @path: 0, or -errno (errno is set too). */
int vfio_test_write_file(const char *path, const char *val);

/*
 * Read the first line of the file at @path, without its newline, into @buf
 * of @size bytes: 0, or -errno (errno is set too; -EIO for an empty file).
 */
int vfio_test_read_file(const char *path, char *buf, size_t size);

/* Open @bdf through a fresh type1v2 container. */
int vfio_test_dev_open(struct vfio_test_dev *dev, const char *bdf);
void vfio_test_dev_close(struct vfio_test_dev *dev);

/*
 * VFIO_IOMMU_GET_INFO with an argsz large enough for the capability chain;
 * *info is allocated and must be freed by the caller.
 */
int vfio_test_iommu_info(int container, struct vfio_iommu_type1_info **info);

/* VFIO_DEVICE_GET_INFO with its capability chain, like the above. */
int vfio_test_device_info(int fd, struct vfio_device_info **info);

/*
 * Find capability @id in the chain that starts at @cap_offset of the
 * @argsz bytes at @info.  NULL when it is absent or the chain leaves the
 * buffer.
 */
struct vfio_info_cap_header *vfio_test_find_cap(void *info, uint32_t argsz,
						uint32_t cap_offset, uint16_t id);

/* The DMA-available count of @container, or a negative errno. */
int64_t vfio_test_dma_avail(int container);

/* The usable IOVA ranges of @container; *ranges must be freed. */
int vfio_test_iova_ranges(int container, struct vfio_iova_range **ranges,
			  uint32_t *nr);

int vfio_test_map_dma(int container, void *vaddr, uint64_t iova,
		      uint64_t size);
int vfio_test_unmap_dma(int container, uint64_t iova, uint64_t size,
			uint32_t flags, uint64_t *unmapped);

int vfio_test_region_info(struct vfio_test_dev *dev, uint32_t index,
			  struct vfio_region_info *info);
int vfio_test_cfg_read(struct vfio_test_dev *dev, uint32_t off, void *buf,
		       size_t len);
int vfio_test_cfg_write(struct vfio_test_dev *dev, uint32_t off,
			const void *buf, size_t len);

/* Counters of a zPCI function measurement block (s390 debugfs). */
struct zpci_fmb {
	uint64_t samples;
	uint64_t loads;
	uint64_t stores;
	uint64_t store_blocks;
	uint64_t refreshes;
};

/*
 * Read the measurement block of @bdf, enabling measurement if it is off.
 * The machine (or QEMU) updates it every few seconds.
 */
int vfio_test_zpci_fmb(const char *bdf, struct zpci_fmb *fmb);

/*
 * Wait until the measurement block has been updated after this call, so
 * that it counts everything done before; give up after @timeout_s.
 */
int vfio_test_zpci_fmb_update(const char *bdf, struct zpci_fmb *fmb,
			      int timeout_s);

/*
 * Fault injection (CONFIG_FAULT_INJECTION, CONFIG_FAILSLAB,
 * CONFIG_FAIL_PAGE_ALLOC): let failslab and fail_page_alloc fail any
 * allocation, sleeping or not, of any order, and say so in one line.
 */
int vfio_test_fault_injection_setup(void);
/* Put back the settings vfio_test_fault_injection_setup() found. */
void vfio_test_fault_injection_restore(void);

/*
 * Make the @nth allocation of the calling thread fail (fail-nth), counting
 * from its next system call; vfio_test_fail_nth_injected() then disarms it
 * and returns 1 if the failure was injected, 0 if the calls in between
 * made fewer than @nth allocations, or a negative errno.
 */
int vfio_test_fail_nth(unsigned int nth);
int vfio_test_fail_nth_injected(void);

#endif /* SELFTESTS_VFIO_UTIL_H */
