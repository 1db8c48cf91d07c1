/* SPDX-License-Identifier: MIT */
/*
 * virtio-mmio transport, version 2 (modern only): the register file and the
 * device-status state machine, independent of KVM and of any device model.
 *
 * The vCPU threads call vmmio_read()/vmmio_write() for accesses to the
 * device's 4 KiB window. What must happen on the device's own thread (queue
 * enable, reset with in-flight I/O drained) is asked of the device through
 * struct vmmio_ops, synchronously: when vmmio_write() returns, the effect
 * has happened (so Status reads 0 only after a reset has completed;
 * docs/design.md, "In-order rules", R16).
 * Queue addresses and sizes written here are stored straight into the
 * device's struct virtqueue while that queue is not ready; the device thread
 * touches a queue only after queue_enable succeeded.
 */
#ifndef MINIVMM_VIRTIO_MMIO_H
#define MINIVMM_VIRTIO_MMIO_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "virtio/virtqueue.h"

#define VMMIO_SIZE	 0x1000
#define VMMIO_MAGIC	 0x74726976 /* "virt" */
#define VMMIO_VERSION	 2
#define VMMIO_VENDOR	 0x4d4d564d /* "MVMM" */
#define VMMIO_MAX_QUEUES 8

/* Register offsets. */
enum {
	VMMIO_MAGIC_VALUE = 0x000,
	VMMIO_VERSION_REG = 0x004,
	VMMIO_DEVICE_ID = 0x008,
	VMMIO_VENDOR_ID = 0x00c,
	VMMIO_DEVICE_FEATURES = 0x010,
	VMMIO_DEVICE_FEATURES_SEL = 0x014,
	VMMIO_DRIVER_FEATURES = 0x020,
	VMMIO_DRIVER_FEATURES_SEL = 0x024,
	VMMIO_QUEUE_SEL = 0x030,
	VMMIO_QUEUE_NUM_MAX = 0x034,
	VMMIO_QUEUE_NUM = 0x038,
	VMMIO_QUEUE_READY = 0x044,
	VMMIO_QUEUE_NOTIFY = 0x050,
	VMMIO_INTERRUPT_STATUS = 0x060,
	VMMIO_INTERRUPT_ACK = 0x064,
	VMMIO_STATUS = 0x070,
	VMMIO_QUEUE_DESC_LOW = 0x080,
	VMMIO_QUEUE_DESC_HIGH = 0x084,
	VMMIO_QUEUE_DRIVER_LOW = 0x090,
	VMMIO_QUEUE_DRIVER_HIGH = 0x094,
	VMMIO_QUEUE_DEVICE_LOW = 0x0a0,
	VMMIO_QUEUE_DEVICE_HIGH = 0x0a4,
	VMMIO_SHM_SEL = 0x0ac,
	VMMIO_SHM_LEN_LOW = 0x0b0,
	VMMIO_SHM_LEN_HIGH = 0x0b4,
	VMMIO_SHM_BASE_LOW = 0x0b8,
	VMMIO_SHM_BASE_HIGH = 0x0bc,
	VMMIO_CONFIG_GENERATION = 0x0fc,
	VMMIO_CONFIG = 0x100,
};

/* Device status bits. */
enum {
	VIRTIO_STATUS_ACKNOWLEDGE = 1,
	VIRTIO_STATUS_DRIVER = 2,
	VIRTIO_STATUS_DRIVER_OK = 4,
	VIRTIO_STATUS_FEATURES_OK = 8,
	VIRTIO_STATUS_NEEDS_RESET = 0x40,
	VIRTIO_STATUS_FAILED = 0x80,
};

#define VMMIO_INT_VRING	 1
#define VMMIO_INT_CONFIG 2

struct vmmio_ops {
	/* QueueReady = 1: vq_enable() on the device thread; returns its result. */
	int (*queue_enable)(void *dev, unsigned int q, uint64_t features);
	/* Status = 0: stop, drain in-flight I/O, vq_reset() every queue; or,
	 * if that cannot finish now, vmmio_reset_later() and finish later. */
	void (*reset)(void *dev);
	/* DRIVER_OK set: the device may start serving its queues. */
	void (*driver_ok)(void *dev, uint64_t features);
	/* A QueueNotify write that no ioeventfd caught. */
	void (*notify)(void *dev, unsigned int q);
	/* Config space access; offset and size already checked against config_size. */
	void (*config_read)(void *dev, uint32_t offset, uint8_t *data, unsigned int size);
	void (*config_write)(void *dev, uint32_t offset, const uint8_t *data, unsigned int size);
	/* Raise the interrupt line (e.g. write the irqfd). */
	void (*interrupt)(void *dev);
};

struct vmmio_counters {
	uint64_t bad_access;	   /* wrong width, unknown register, read of a write-only one */
	uint64_t bad_state;	   /* writes the status state machine refused */
	uint64_t features_refused; /* FEATURES_OK refused: unoffered bits or no VERSION_1 */
	uint64_t queue_refused;	   /* QueueReady = 1 refused by vq_enable() */
};

struct vmmio {
	pthread_mutex_t lock;
	const struct vmmio_ops *ops;
	void *dev;
	uint32_t device_id;
	uint64_t device_features;
	uint32_t config_size;
	unsigned int num_queues;
	struct virtqueue *vqs; /* num_queues, owned by the device */

	uint32_t status;
	uint32_t dev_feat_sel, drv_feat_sel, queue_sel;
	uint64_t driver_features;
	uint64_t negotiated; /* latched at FEATURES_OK */
	/* The same, kept across resets (for counters): read without the lock. */
	_Atomic uint64_t last_negotiated;
	bool queue_ready[VMMIO_MAX_QUEUES];
	atomic_uint_fast32_t isr;
	atomic_uint_fast32_t config_generation;
	atomic_bool needs_reset;   /* set by the device thread without the lock */
	atomic_bool reset_pending; /* vmmio_reset_later() until vmmio_reset_done() */
	struct vmmio_counters counters;
};

/*
 * device_features must include VIRTIO_F_VERSION_1. vqs[i].num_max must be
 * set (vq_init) by the device. Returns 0 or -EINVAL.
 */
int vmmio_init(struct vmmio *m, const struct vmmio_ops *ops, void *dev, uint32_t device_id,
	       uint64_t device_features, uint32_t config_size, struct virtqueue *vqs,
	       unsigned int num_queues);
void vmmio_destroy(struct vmmio *m);

/* Register accesses at offset within the window; size 1, 2, 4 or 8. */
void vmmio_read(struct vmmio *m, uint64_t offset, uint8_t *data, unsigned int size);
void vmmio_write(struct vmmio *m, uint64_t offset, const uint8_t *data, unsigned int size);

/* From the device thread: used buffers were published; raise the interrupt. */
void vmmio_signal_used(struct vmmio *m);
/*
 * From the device thread: the driver broke a queue; Status shows
 * DEVICE_NEEDS_RESET until the driver resets. Never takes the lock.
 */
void vmmio_set_needs_reset(struct vmmio *m);

/*
 * From ops->reset: the device finishes this reset on its own thread later
 * (it is waiting for I/O that could not be cancelled). Until it calls
 * vmmio_reset_done(), Status reads DEVICE_NEEDS_RESET (not 0, so the
 * driver keeps waiting, as the spec has it wait for a reset to complete)
 * and every register write is refused. Neither takes the lock.
 */
void vmmio_reset_later(struct vmmio *m);
void vmmio_reset_done(struct vmmio *m);

/*
 * Features the driver and device agreed on (0 before FEATURES_OK), or with
 * last, those of the most recent negotiation even if the device was reset
 * since (a guest resets its devices when it reboots); with last, any thread,
 * never waiting for the lock.
 */
uint64_t vmmio_negotiated(struct vmmio *m, bool last);

#endif
