// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by the vfio selftests.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "../kselftest.h"
#include "vfio_util.h"

#define vfio_test_err(fmt, ...) \
	fprintf(stderr, "# vfio: " fmt "\n", ##__VA_ARGS__)

/* Keep errno of a failed call across cleanup; return it negated. */
static int fail(const char *what)
{
	int err = errno;

	vfio_test_err("%s: %s", what, strerror(err));
	errno = err;
	return -err;
}

const char *vfio_test_bdf(const char *env)
{
	const char *bdf = getenv(env);

	if (!bdf || !*bdf) {
		vfio_test_err("%s is not set: give the PCI address of a device bound to vfio-pci",
			      env);
		return NULL;
	}
	return bdf;
}

int vfio_test_write_file(const char *path, const char *val)
{
	ssize_t len = strlen(val), n;
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	n = write(fd, val, len);
	if (n != len)
		ret = n < 0 ? -errno : -EIO;
	close(fd);
	if (ret)
		errno = -ret;
	return ret;
}

int vfio_test_read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n <= 0)
		ret = n < 0 ? -errno : -EIO;
	close(fd);
	if (ret) {
		errno = -ret;
		return ret;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static int group_of(const char *bdf)
{
	char link[PATH_MAX], path[PATH_MAX];
	ssize_t len;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	len = readlink(path, link, sizeof(link) - 1);
	if (len < 0)
		return fail(path);
	link[len] = '\0';
	return atoi(basename(link));
}

static int dev_open(struct vfio_test_dev *dev, const char *bdf)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	char path[64];
	int group_id, ret;

	memset(dev, 0, sizeof(*dev));
	dev->container = -1;
	dev->group = -1;
	dev->fd = -1;
	snprintf(dev->bdf, sizeof(dev->bdf), "%s", bdf);

	group_id = group_of(bdf);
	if (group_id < 0)
		return group_id;

	dev->container = open("/dev/vfio/vfio", O_RDWR);
	if (dev->container < 0)
		return fail("open /dev/vfio/vfio");
	if (ioctl(dev->container, VFIO_GET_API_VERSION) != VFIO_API_VERSION) {
		errno = EINVAL;
		return fail("VFIO_GET_API_VERSION");
	}
	if (ioctl(dev->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) != 1) {
		errno = ENODEV;
		return fail("VFIO_CHECK_EXTENSION(VFIO_TYPE1v2_IOMMU)");
	}

	snprintf(path, sizeof(path), "/dev/vfio/%d", group_id);
	dev->group = open(path, O_RDWR);
	if (dev->group < 0)
		return fail(path);
	if (ioctl(dev->group, VFIO_GROUP_GET_STATUS, &status))
		return fail("VFIO_GROUP_GET_STATUS");
	if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		errno = EBUSY;
		return fail("group not viable: are all its devices bound to vfio-pci?");
	}
	if (ioctl(dev->group, VFIO_GROUP_SET_CONTAINER, &dev->container))
		return fail("VFIO_GROUP_SET_CONTAINER");
	if (ioctl(dev->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		return fail("VFIO_SET_IOMMU");

	dev->fd = ioctl(dev->group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (dev->fd < 0)
		return fail("VFIO_GROUP_GET_DEVICE_FD");

	dev->info.argsz = sizeof(dev->info);
	ret = ioctl(dev->fd, VFIO_DEVICE_GET_INFO, &dev->info);
	if (ret)
		return fail("VFIO_DEVICE_GET_INFO");
	return 0;
}

int vfio_test_dev_open(struct vfio_test_dev *dev, const char *bdf)
{
	int ret = dev_open(dev, bdf);

	if (ret) {
		vfio_test_dev_close(dev);
		errno = -ret;
	}
	return ret;
}

void vfio_test_dev_close(struct vfio_test_dev *dev)
{
	if (dev->fd >= 0)
		close(dev->fd);
	if (dev->group >= 0)
		close(dev->group);
	if (dev->container >= 0)
		close(dev->container);
	dev->fd = -1;
	dev->group = -1;
	dev->container = -1;
}

/*
 * Both info ioctls start with argsz and report the size they need in it;
 * call once to learn the size and again with a buffer that large.
 */
static int info_with_caps(int fd, unsigned long request, size_t fixed,
			  void **out)
{
	uint32_t argsz = fixed;
	void *buf = NULL, *tmp;
	int tries;

	for (tries = 0; tries < 2; tries++) {
		tmp = realloc(buf, argsz);
		if (!tmp) {
			free(buf);
			errno = ENOMEM;
			return -ENOMEM;
		}
		buf = tmp;
		memset(buf, 0, argsz);
		*(uint32_t *)buf = argsz;
		if (ioctl(fd, request, buf)) {
			int err = errno;

			free(buf);
			errno = err;
			return -err;
		}
		if (*(uint32_t *)buf <= argsz)
			break;
		argsz = *(uint32_t *)buf;
	}
	*out = buf;
	return 0;
}

int vfio_test_iommu_info(int container, struct vfio_iommu_type1_info **info)
{
	return info_with_caps(container, VFIO_IOMMU_GET_INFO, sizeof(**info),
			      (void **)info);
}

int vfio_test_device_info(int fd, struct vfio_device_info **info)
{
	return info_with_caps(fd, VFIO_DEVICE_GET_INFO, sizeof(**info),
			      (void **)info);
}

struct vfio_info_cap_header *vfio_test_find_cap(void *info, uint32_t argsz,
						uint32_t cap_offset, uint16_t id)
{
	struct vfio_info_cap_header *hdr;
	uint32_t off = cap_offset;
	int hops = 0;

	while (off) {
		if (off + sizeof(*hdr) > argsz || ++hops > 64)
			return NULL;
		hdr = (struct vfio_info_cap_header *)((char *)info + off);
		if (hdr->id == id)
			return hdr;
		off = hdr->next;
	}
	return NULL;
}

int64_t vfio_test_dma_avail(int container)
{
	struct vfio_iommu_type1_info_dma_avail *cap;
	struct vfio_iommu_type1_info *info;
	int64_t avail;
	int ret;

	ret = vfio_test_iommu_info(container, &info);
	if (ret)
		return ret;
	cap = (void *)vfio_test_find_cap(info, info->argsz, info->cap_offset,
					 VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL);
	avail = cap ? (int64_t)cap->avail : -ENOENT;
	free(info);
	return avail;
}

int vfio_test_iova_ranges(int container, struct vfio_iova_range **ranges,
			  uint32_t *nr)
{
	struct vfio_iommu_type1_info_cap_iova_range *cap;
	struct vfio_iommu_type1_info *info;
	int ret;

	ret = vfio_test_iommu_info(container, &info);
	if (ret)
		return ret;
	cap = (void *)vfio_test_find_cap(info, info->argsz, info->cap_offset,
					 VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE);
	if (!cap || !cap->nr_iovas) {
		free(info);
		errno = ENOENT;
		return -ENOENT;
	}
	*nr = cap->nr_iovas;
	*ranges = calloc(cap->nr_iovas, sizeof(**ranges));
	if (*ranges)
		memcpy(*ranges, cap->iova_ranges,
		       cap->nr_iovas * sizeof(**ranges));
	free(info);
	if (!*ranges) {
		errno = ENOMEM;
		return -ENOMEM;
	}
	return 0;
}

int vfio_test_map_dma(int container, void *vaddr, uint64_t iova, uint64_t size)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)vaddr,
		.iova = iova,
		.size = size,
	};

	return ioctl(container, VFIO_IOMMU_MAP_DMA, &map) ? -errno : 0;
}

int vfio_test_unmap_dma(int container, uint64_t iova, uint64_t size,
			uint32_t flags, uint64_t *unmapped)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.flags = flags,
		.iova = iova,
		.size = size,
	};

	if (ioctl(container, VFIO_IOMMU_UNMAP_DMA, &unmap))
		return -errno;
	if (unmapped)
		*unmapped = unmap.size;
	return 0;
}

int vfio_test_region_info(struct vfio_test_dev *dev, uint32_t index,
			  struct vfio_region_info *info)
{
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	info->index = index;
	return ioctl(dev->fd, VFIO_DEVICE_GET_REGION_INFO, info) ? -errno : 0;
}

static int cfg_access(struct vfio_test_dev *dev, uint32_t off, void *buf,
		      size_t len, bool write)
{
	struct vfio_region_info cfg;
	ssize_t done;
	int ret;

	ret = vfio_test_region_info(dev, VFIO_PCI_CONFIG_REGION_INDEX, &cfg);
	if (ret)
		return ret;
	if (write)
		done = pwrite(dev->fd, buf, len, cfg.offset + off);
	else
		done = pread(dev->fd, buf, len, cfg.offset + off);
	if (done < 0)
		return -errno;
	if ((size_t)done != len) {
		errno = EIO;
		return -EIO;
	}
	return 0;
}

int vfio_test_cfg_read(struct vfio_test_dev *dev, uint32_t off, void *buf,
		       size_t len)
{
	return cfg_access(dev, off, buf, len, false);
}

int vfio_test_cfg_write(struct vfio_test_dev *dev, uint32_t off,
			const void *buf, size_t len)
{
	return cfg_access(dev, off, (void *)buf, len, true);
}

static int fmb_path(const char *bdf, char *path, size_t len)
{
	return snprintf(path, len, "/sys/kernel/debug/pci/%s/statistics", bdf) >= (int)len ?
		-ENAMETOOLONG : 0;
}

int vfio_test_zpci_fmb(const char *bdf, struct zpci_fmb *fmb)
{
	char path[PATH_MAX], line[128], name[64];
	unsigned long long val;
	FILE *f;
	int tries;

	if (fmb_path(bdf, path, sizeof(path))) {
		errno = ENAMETOOLONG;
		return -ENAMETOOLONG;
	}
	for (tries = 0; tries < 2; tries++) {
		bool disabled = false;

		memset(fmb, 0, sizeof(*fmb));
		f = fopen(path, "r");
		if (!f)
			return fail(path);
		while (fgets(line, sizeof(line), f)) {
			if (strstr(line, "statistics disabled"))
				disabled = true;
			if (sscanf(line, "Samples: %llu", &val) == 1)
				fmb->samples = val;
			if (sscanf(line, " %63[A-Za-z ]:%llu", name, &val) != 2)
				continue;
			if (!strcmp(name, "Load operations"))
				fmb->loads = val;
			else if (!strcmp(name, "Store operations"))
				fmb->stores = val;
			else if (!strcmp(name, "Store block operations"))
				fmb->store_blocks = val;
			else if (!strcmp(name, "Refresh operations"))
				fmb->refreshes = val;
		}
		fclose(f);
		if (!disabled)
			return 0;
		f = fopen(path, "w");
		if (!f)
			return fail(path);
		fputs("1", f);
		if (fclose(f))
			return fail("enable zPCI measurement");
	}
	errno = EIO;
	return -EIO;
}

int vfio_test_zpci_fmb_update(const char *bdf, struct zpci_fmb *fmb,
			      int timeout_s)
{
	struct timespec pause = { .tv_nsec = 100 * 1000 * 1000 };
	uint64_t first;
	int ret, i;

	ret = vfio_test_zpci_fmb(bdf, fmb);
	if (ret)
		return ret;
	first = fmb->samples;
	/*
	 * An update may be under way while the block is read; the one after
	 * it certainly started after this call.
	 */
	for (i = 0; i < timeout_s * 10; i++) {
		nanosleep(&pause, NULL);
		ret = vfio_test_zpci_fmb(bdf, fmb);
		if (ret)
			return ret;
		if (fmb->samples >= first + 2)
			return 0;
	}
	errno = ETIMEDOUT;
	return -ETIMEDOUT;
}

static const char * const fault_knobs[][2] = {
	{ "failslab/ignore-gfp-wait", "N" },
	{ "failslab/verbose", "1" },
	{ "fail_page_alloc/ignore-gfp-wait", "N" },
	{ "fail_page_alloc/ignore-gfp-highmem", "N" },
	{ "fail_page_alloc/min-order", "0" },
	{ "fail_page_alloc/verbose", "1" },
};

static char fault_knobs_found[ARRAY_SIZE(fault_knobs)][32];

int vfio_test_fault_injection_setup(void)
{
	char path[128];
	unsigned int i;
	int ret = 0;

	for (i = 0; i < ARRAY_SIZE(fault_knobs) && !ret; i++) {
		snprintf(path, sizeof(path), "/sys/kernel/debug/%s", fault_knobs[i][0]);
		ret = vfio_test_read_file(path, fault_knobs_found[i],
					  sizeof(fault_knobs_found[i]));
		if (ret || vfio_test_write_file(path, fault_knobs[i][1]))
			ret = fail(path);
	}
	if (ret)
		vfio_test_fault_injection_restore();
	return ret;
}

void vfio_test_fault_injection_restore(void)
{
	char path[128];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(fault_knobs); i++) {
		if (!fault_knobs_found[i][0])
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/debug/%s", fault_knobs[i][0]);
		vfio_test_write_file(path, fault_knobs_found[i]);
		fault_knobs_found[i][0] = '\0';
	}
}

/* Opened once per thread: opening it would count as allocations. */
static __thread int fail_nth_fd = -1;

int vfio_test_fail_nth(unsigned int nth)
{
	char val[16];
	int len;

	if (fail_nth_fd < 0) {
		fail_nth_fd = open("/proc/thread-self/fail-nth", O_RDWR);
		if (fail_nth_fd < 0)
			return fail("/proc/thread-self/fail-nth");
	}
	len = snprintf(val, sizeof(val), "%u", nth);
	if (pwrite(fail_nth_fd, val, len, 0) != len)
		return fail("write fail-nth");
	return 0;
}

int vfio_test_fail_nth_injected(void)
{
	char val[16] = "";
	int injected;

	/* A value of 0 says that the armed failure was injected. */
	if (pread(fail_nth_fd, val, sizeof(val) - 1, 0) <= 0)
		return fail("read fail-nth");
	injected = strtoul(val, NULL, 10) == 0;
	if (vfio_test_fail_nth(0))
		return -errno;
	return injected;
}
