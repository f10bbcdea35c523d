// SPDX-License-Identifier: GPL-2.0
/*
 * Modern virtio PCI devices driven through vfio-pci by the vfio selftests.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vfio_virtio.h"

#define PCI_STATUS		0x06
#define PCI_STATUS_CAP_LIST	0x10
#define PCI_CAPABILITY_LIST	0x34
#define PCI_CAP_ID_VNDR		0x09

/*
 * struct virtio_pci_cap, with the notify multiplier that may follow it;
 * all fields are naturally aligned.
 */
struct virtio_cap {
	uint8_t cap_vndr;
	uint8_t cap_next;
	uint8_t cap_len;
	uint8_t cfg_type;
	uint8_t bar;
	uint8_t id;
	uint8_t padding[2];
	uint32_t offset;
	uint32_t length;
	uint32_t notify_off_multiplier;
};

int virtio_pci_find(struct vfio_test_dev *dev, uint8_t cfg_type,
		    struct virtio_pci_region *region)
{
	struct virtio_cap cap;
	uint16_t status;
	uint8_t pos;
	int ret, hops;

	ret = vfio_test_cfg_read(dev, PCI_STATUS, &status, sizeof(status));
	if (ret)
		return ret;
	if (!(le16toh(status) & PCI_STATUS_CAP_LIST))
		return -ENOENT;
	ret = vfio_test_cfg_read(dev, PCI_CAPABILITY_LIST, &pos, 1);
	if (ret)
		return ret;

	for (hops = 0; pos && hops < 48; hops++) {
		memset(&cap, 0, sizeof(cap));
		ret = vfio_test_cfg_read(dev, pos & ~3, &cap, 16);
		if (ret)
			return ret;
		if (cap.cap_vndr == PCI_CAP_ID_VNDR && cap.cfg_type == cfg_type) {
			region->bar = cap.bar;
			region->offset = le32toh(cap.offset);
			region->length = le32toh(cap.length);
			region->notify_multiplier = 0;
			if (cfg_type == VIRTIO_PCI_CAP_NOTIFY_CFG) {
				ret = vfio_test_cfg_read(dev, (pos & ~3) + 16,
							 &cap.notify_off_multiplier, 4);
				if (ret)
					return ret;
				region->notify_multiplier = le32toh(cap.notify_off_multiplier);
			}
			return 0;
		}
		pos = cap.cap_next;
	}
	return -ENOENT;
}

static int bar_offset(struct vfio_test_dev *dev, const struct virtio_pci_region *r,
		      uint32_t off, size_t len, uint64_t *pos)
{
	struct vfio_region_info info;
	int ret;

	if (off + len > r->length)
		return -EINVAL;
	ret = vfio_test_region_info(dev, r->bar, &info);
	if (ret)
		return ret;
	*pos = info.offset + r->offset + off;
	return 0;
}

int virtio_pci_read(struct vfio_test_dev *dev, const struct virtio_pci_region *r,
		    uint32_t off, void *val, size_t len)
{
	uint64_t pos;
	uint8_t raw[8];
	ssize_t done;
	int ret;

	ret = bar_offset(dev, r, off, len, &pos);
	if (ret)
		return ret;
	done = pread(dev->fd, raw, len, pos);
	if (done < 0)
		return -errno;
	if (done != (ssize_t)len)
		return -EIO;
	switch (len) {
	case 1:
		*(uint8_t *)val = raw[0];
		break;
	case 2:
		*(uint16_t *)val = le16toh(*(uint16_t *)raw);
		break;
	case 4:
		*(uint32_t *)val = le32toh(*(uint32_t *)raw);
		break;
	case 8:
		*(uint64_t *)val = le64toh(*(uint64_t *)raw);
		break;
	default:
		return -EINVAL;
	}
	return 0;
}

int virtio_pci_write(struct vfio_test_dev *dev, const struct virtio_pci_region *r,
		     uint32_t off, uint64_t val, size_t len)
{
	uint8_t raw[8];
	uint64_t pos;
	ssize_t done;
	int ret;

	ret = bar_offset(dev, r, off, len, &pos);
	if (ret)
		return ret;
	switch (len) {
	case 1:
		raw[0] = val;
		break;
	case 2:
		*(uint16_t *)raw = htole16(val);
		break;
	case 4:
		*(uint32_t *)raw = htole32(val);
		break;
	case 8:
		*(uint64_t *)raw = htole64(val);
		break;
	default:
		return -EINVAL;
	}
	done = pwrite(dev->fd, raw, len, pos);
	if (done < 0)
		return -errno;
	if (done != (ssize_t)len)
		return -EIO;
	return 0;
}

#define PCI_COMMAND		0x04
#define PCI_COMMAND_MEMORY	0x2
#define PCI_COMMAND_MASTER	0x4

#define VIRTQ_DESC_F_NEXT	1
#define VIRTQ_DESC_F_WRITE	2
#define VIRTIO_BLK_T_IN		0

/* Where the driver keeps its structures in the ring memory. */
#define RING_DESC		0x000
#define RING_AVAIL		0x100
#define RING_USED		0x200
#define RING_REQ_HDR		0x1000
#define RING_REQ_STATUS		0x1010

struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct vring_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[VIRTIO_BLK_QUEUE_SIZE];
};

struct vring_used_elem {
	uint32_t id;
	uint32_t len;
};

struct vring_used {
	uint16_t flags;
	uint16_t idx;
	struct vring_used_elem ring[VIRTIO_BLK_QUEUE_SIZE];
};

struct virtio_blk_req_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

static int common_write(struct virtio_blk *blk, uint32_t off, uint64_t val, size_t len)
{
	return virtio_pci_write(blk->dev, &blk->common, off, val, len);
}

static int common_read(struct virtio_blk *blk, uint32_t off, void *val, size_t len)
{
	return virtio_pci_read(blk->dev, &blk->common, off, val, len);
}

int virtio_blk_status(struct virtio_blk *blk, uint8_t *status)
{
	return common_read(blk, VIRTIO_COMMON_STATUS, status, 1);
}

int virtio_blk_reset(struct virtio_blk *blk)
{
	uint8_t status = 0xff;
	int ret, i;

	ret = common_write(blk, VIRTIO_COMMON_STATUS, 0, 1);
	for (i = 0; !ret && status && i < 1000; i++)
		ret = virtio_blk_status(blk, &status);
	if (!ret && status)
		ret = -ETIMEDOUT;
	return ret;
}

static int set_status(struct virtio_blk *blk, uint8_t bits)
{
	uint8_t status = 0;
	int ret;

	ret = virtio_blk_status(blk, &status);
	if (!ret)
		ret = common_write(blk, VIRTIO_COMMON_STATUS, status | bits, 1);
	return ret;
}

static int write_addr(struct virtio_blk *blk, uint32_t off, uint64_t addr)
{
	int ret = common_write(blk, off, (uint32_t)addr, 4);

	return ret ? ret : common_write(blk, off + 4, addr >> 32, 4);
}

static int negotiate_features(struct virtio_blk *blk)
{
	uint64_t features;
	uint32_t lo, hi;
	uint8_t status;
	int ret;

	ret = common_write(blk, VIRTIO_COMMON_DFSELECT, 0, 4);
	if (!ret)
		ret = common_read(blk, VIRTIO_COMMON_DF, &lo, 4);
	if (!ret)
		ret = common_write(blk, VIRTIO_COMMON_DFSELECT, 1, 4);
	if (!ret)
		ret = common_read(blk, VIRTIO_COMMON_DF, &hi, 4);
	if (ret)
		return ret;
	features = (uint64_t)hi << 32 | lo;
	if (!(features & (1ULL << VIRTIO_F_VERSION_1)))
		return -ENODEV;
	features &= 1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_F_ACCESS_PLATFORM;

	ret = common_write(blk, VIRTIO_COMMON_GFSELECT, 0, 4);
	if (!ret)
		ret = common_write(blk, VIRTIO_COMMON_GF, (uint32_t)features, 4);
	if (!ret)
		ret = common_write(blk, VIRTIO_COMMON_GFSELECT, 1, 4);
	if (!ret)
		ret = common_write(blk, VIRTIO_COMMON_GF, features >> 32, 4);
	if (!ret)
		ret = set_status(blk, VIRTIO_STATUS_FEATURES_OK);
	if (!ret)
		ret = virtio_blk_status(blk, &status);
	if (!ret && !(status & VIRTIO_STATUS_FEATURES_OK))
		ret = -EIO;
	return ret;
}

static int setup_queue(struct virtio_blk *blk)
{
	uint16_t size;
	int ret;

	ret = common_write(blk, VIRTIO_COMMON_Q_SELECT, 0, 2);
	if (!ret)
		ret = common_read(blk, VIRTIO_COMMON_Q_SIZE, &size, 2);
	if (ret)
		return ret;
	if (size < VIRTIO_BLK_QUEUE_SIZE)
		return -ENODEV;
	ret = common_write(blk, VIRTIO_COMMON_Q_SIZE, VIRTIO_BLK_QUEUE_SIZE, 2);
	if (!ret)
		ret = common_write(blk, VIRTIO_COMMON_Q_MSIX, 0xffff, 2);
	if (!ret)
		ret = write_addr(blk, VIRTIO_COMMON_Q_DESCLO, blk->ring_iova + RING_DESC);
	if (!ret)
		ret = write_addr(blk, VIRTIO_COMMON_Q_AVAILLO, blk->ring_iova + RING_AVAIL);
	if (!ret)
		ret = write_addr(blk, VIRTIO_COMMON_Q_USEDLO, blk->ring_iova + RING_USED);
	if (!ret)
		ret = common_read(blk, VIRTIO_COMMON_Q_NOFF, &blk->notify_off, 2);
	if (!ret)
		ret = common_write(blk, VIRTIO_COMMON_Q_ENABLE, 1, 2);
	return ret;
}

int virtio_blk_init(struct virtio_blk *blk, struct vfio_test_dev *dev,
		    void *ring, uint64_t ring_iova)
{
	uint16_t cmd;
	int ret;

	memset(blk, 0, sizeof(*blk));
	memset(ring, 0, VIRTIO_BLK_RING_BYTES);
	blk->dev = dev;
	blk->ring = ring;
	blk->ring_iova = ring_iova;
	ret = virtio_pci_find(dev, VIRTIO_PCI_CAP_COMMON_CFG, &blk->common);
	if (!ret)
		ret = virtio_pci_find(dev, VIRTIO_PCI_CAP_NOTIFY_CFG, &blk->notify);
	if (!ret)
		ret = vfio_test_cfg_read(dev, PCI_COMMAND, &cmd, sizeof(cmd));
	if (ret)
		return ret;
	cmd = htole16(le16toh(cmd) | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	ret = vfio_test_cfg_write(dev, PCI_COMMAND, &cmd, sizeof(cmd));

	if (!ret)
		ret = virtio_blk_reset(blk);
	if (!ret)
		ret = set_status(blk, VIRTIO_STATUS_ACKNOWLEDGE);
	if (!ret)
		ret = set_status(blk, VIRTIO_STATUS_DRIVER);
	if (!ret)
		ret = negotiate_features(blk);
	if (!ret)
		ret = setup_queue(blk);
	if (!ret)
		ret = set_status(blk, VIRTIO_STATUS_DRIVER_OK);
	return ret;
}

int virtio_blk_read(struct virtio_blk *blk, uint64_t sector,
		    uint64_t data_iova, uint32_t len, int timeout_ms)
{
	struct vring_desc *desc = (void *)((char *)blk->ring + RING_DESC);
	struct vring_avail *avail = (void *)((char *)blk->ring + RING_AVAIL);
	struct vring_used *used = (void *)((char *)blk->ring + RING_USED);
	struct virtio_blk_req_hdr *hdr = (void *)((char *)blk->ring + RING_REQ_HDR);
	uint8_t *status = (uint8_t *)blk->ring + RING_REQ_STATUS;
	struct timespec pause = { .tv_nsec = 100 * 1000 }, now, deadline;
	int ret;

	hdr->type = htole32(VIRTIO_BLK_T_IN);
	hdr->reserved = 0;
	hdr->sector = htole64(sector);
	*status = 0xff;

	desc[0] = (struct vring_desc){ htole64(blk->ring_iova + RING_REQ_HDR),
				       htole32(sizeof(*hdr)), htole16(VIRTQ_DESC_F_NEXT),
				       htole16(1) };
	desc[1] = (struct vring_desc){ htole64(data_iova), htole32(len),
				       htole16(VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE),
				       htole16(2) };
	desc[2] = (struct vring_desc){ htole64(blk->ring_iova + RING_REQ_STATUS), htole32(1),
				       htole16(VIRTQ_DESC_F_WRITE), 0 };

	avail->ring[blk->next_avail % VIRTIO_BLK_QUEUE_SIZE] = htole16(0);
	__sync_synchronize();
	avail->idx = htole16(++blk->next_avail);
	__sync_synchronize();
	ret = virtio_pci_write(blk->dev, &blk->notify,
			       blk->notify_off * blk->notify.notify_multiplier, 0, 2);
	if (ret)
		return ret;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (timeout_ms % 1000) * 1000000L;
	/* The device writes the used ring behind the compiler's back. */
	while (le16toh(__atomic_load_n(&used->idx, __ATOMIC_ACQUIRE)) == blk->last_used) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > deadline.tv_sec + deadline.tv_nsec / 1000000000L ||
		    (now.tv_sec == deadline.tv_sec + deadline.tv_nsec / 1000000000L &&
		     now.tv_nsec >= deadline.tv_nsec % 1000000000L))
			return -ETIMEDOUT;
		nanosleep(&pause, NULL);
	}
	blk->last_used++;
	return __atomic_load_n(status, __ATOMIC_ACQUIRE) == 0 ? 0 : -EIO;
}
