/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The parts of a modern (virtio 1.x) PCI device that the vfio selftests
 * drive through vfio-pci: its vendor capabilities and register blocks.
 */
#ifndef SELFTESTS_VFIO_VIRTIO_H
#define SELFTESTS_VFIO_VIRTIO_H

#include <stdint.h>

#include "vfio_util.h"

/* virtio_pci_cap.cfg_type */
#define VIRTIO_PCI_CAP_COMMON_CFG	1
#define VIRTIO_PCI_CAP_NOTIFY_CFG	2
#define VIRTIO_PCI_CAP_ISR_CFG		3
#define VIRTIO_PCI_CAP_DEVICE_CFG	4

/* Offsets in the common configuration block. */
#define VIRTIO_COMMON_DFSELECT		0x00
#define VIRTIO_COMMON_DF		0x04
#define VIRTIO_COMMON_GFSELECT		0x08
#define VIRTIO_COMMON_GF		0x0c
#define VIRTIO_COMMON_MSIX		0x10
#define VIRTIO_COMMON_NUMQ		0x12
#define VIRTIO_COMMON_STATUS		0x14
#define VIRTIO_COMMON_CFGGENERATION	0x15
#define VIRTIO_COMMON_Q_SELECT		0x16
#define VIRTIO_COMMON_Q_SIZE		0x18
#define VIRTIO_COMMON_Q_MSIX		0x1a
#define VIRTIO_COMMON_Q_ENABLE		0x1c
#define VIRTIO_COMMON_Q_NOFF		0x1e
#define VIRTIO_COMMON_Q_DESCLO		0x20
#define VIRTIO_COMMON_Q_AVAILLO		0x28
#define VIRTIO_COMMON_Q_USEDLO		0x30

/* Where a register block of the device lives. */
struct virtio_pci_region {
	uint32_t bar;		/* vfio region index */
	uint32_t offset;	/* within the BAR */
	uint32_t length;
	uint32_t notify_multiplier;	/* notify block only */
};

/* Find the block of @cfg_type in the vendor capabilities of @dev. */
int virtio_pci_find(struct vfio_test_dev *dev, uint8_t cfg_type,
		    struct virtio_pci_region *region);

/* Little-endian register access through the device file (pread/pwrite). */
int virtio_pci_read(struct vfio_test_dev *dev, const struct virtio_pci_region *r,
		    uint32_t off, void *val, size_t len);
int virtio_pci_write(struct vfio_test_dev *dev, const struct virtio_pci_region *r,
		     uint32_t off, uint64_t val, size_t len);

/*
 * A minimal virtio-blk driver in user space: one virtqueue in memory that
 * the test maps for DMA, requests polled for completion, no interrupts.
 */
#define VIRTIO_STATUS_ACKNOWLEDGE	0x01
#define VIRTIO_STATUS_DRIVER		0x02
#define VIRTIO_STATUS_DRIVER_OK		0x04
#define VIRTIO_STATUS_FEATURES_OK	0x08
#define VIRTIO_STATUS_NEEDS_RESET	0x40

#define VIRTIO_F_VERSION_1		32
#define VIRTIO_F_ACCESS_PLATFORM	33

#define VIRTIO_BLK_QUEUE_SIZE		8
#define VIRTIO_BLK_SECTOR_SIZE		512
/* Bytes of DMA memory the driver needs for its queue and headers. */
#define VIRTIO_BLK_RING_BYTES		8192

struct virtio_blk {
	struct vfio_test_dev *dev;
	struct virtio_pci_region common, notify;
	uint16_t notify_off;
	void *ring;		/* VIRTIO_BLK_RING_BYTES, mapped at ring_iova */
	uint64_t ring_iova;
	uint16_t next_avail;
	uint16_t last_used;
};

/*
 * Reset the device, negotiate VERSION_1 (and ACCESS_PLATFORM when offered)
 * and set up queue 0 in @ring, which the caller has mapped for DMA at
 * @ring_iova.  Enables memory decoding and bus mastering.
 */
int virtio_blk_init(struct virtio_blk *blk, struct vfio_test_dev *dev,
		    void *ring, uint64_t ring_iova);

/*
 * Read @len bytes from @sector into the buffer the device reaches at
 * @data_iova and wait up to @timeout_ms for the request to complete.
 * Returns 0, -EIO when the device reported an error status, or
 * -ETIMEDOUT when the request never completed.
 */
int virtio_blk_read(struct virtio_blk *blk, uint64_t sector,
		    uint64_t data_iova, uint32_t len, int timeout_ms);

/* The device status register. */
int virtio_blk_status(struct virtio_blk *blk, uint8_t *status);

/* Write 0 to the device status: the device drops the queue. */
int virtio_blk_reset(struct virtio_blk *blk);

#endif /* SELFTESTS_VFIO_VIRTIO_H */
