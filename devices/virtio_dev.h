/* SPDX-License-Identifier: MIT */
/*
 * The shell every virtio-mmio device runs in, so that a device only says
 * what its requests do. The shell owns:
 *
 * - the transport glue: the vmmio register file and its callbacks (queue
 *   enable, reset and DRIVER_OK go to the device thread through the
 *   dev_thread control channel; a QueueNotify that reaches user space
 *   bumps the queue's kick eventfd; interrupts leave through irq_fd);
 * - the virtqueues, their kick eventfds and the device thread's loop on
 *   dev_thread (docs/design.md, "A device thread's loop");
 * - reset: cancel and drain everything in flight, then reset the queues
 *   (docs/design.md, "Reset and stop", R16);
 * - the flush of the used rings and the one interrupt decision per batch
 *   (R10);
 * - the per-queue counters' text;
 * - the transport features every device offers: VERSION_1 (modern only),
 *   EVENT_IDX, INDIRECT_DESC, IN_ORDER when asked (virtio_dev_params) and
 *   RING_PACKED when the VMM asks (virtio_dev_env).
 *
 * A device embeds struct virtio_dev, fills in its config space and calls
 * virtio_dev_init(); its struct virtio_dev_ops says what it does with a
 * completion, a kick, a reset and DRIVER_OK. Everything a device does with
 * its queues happens on the device thread. Errors are returned as negative
 * errnos with one line in err.
 */
#ifndef DEVICES_VIRTIO_DEV_H
#define DEVICES_VIRTIO_DEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "devices/dev_stats.h"
#include "devices/dev_thread.h"
#include "virtio/guest_mem.h"
#include "virtio/mmio.h"
#include "virtio/virtqueue.h"

#define VDEV_MAX_QUEUES 2
#define VDEV_CONFIG_MAX 64
/* io_uring user_data of queue q's kick; a device tags its own I/O below 1 << 62. */
#define VDEV_TAG_KICK (1ULL << 62)
/* How long a guest's reset waits for in-flight I/O before it finishes later. */
#define VDEV_RESET_DRAIN_MS 1000

struct virtio_dev;

struct virtio_dev_ops {
	const char *name; /* "virtio-blk": its thread's name, and in messages */
	uint32_t device_id;
	/* For the counters: each queue's name (NULL: one unnamed queue), and
	 * whether the device gives buffers back (vq_unpop) so that count shows. */
	const char *const *queue_names;
	bool shows_unpopped;
	/* The io_uring opcodes the device submits: its sealed ring allows
	 * these, event reads and cancels, nothing else (dev_uring_policy).
	 * virtio_dev_params.uring_ops, when set, replaces them. */
	const uint8_t *uring_ops;
	unsigned int n_uring_ops;
	/* Its I/O has no way but the ring (virtio-net's TAP): where no ring
	 * can be set up, creating it fails instead of running on ppoll. */
	bool needs_ring;

	/* Optional, on the owner's thread: start the device's own helper
	 * threads (dev_thread.helper_prologue first on each) before its
	 * thread starts. 0 or a negative errno. */
	int (*start)(struct virtio_dev *d);

	/* All on the device thread. NULL where marked optional. */
	/* Optional: before each sleep, post what the device always keeps posted. */
	void (*prepare)(struct virtio_dev *d);
	/* Optional: busy-poll a ring (virtio_dev_poll_ring) and handle what it
	 * found instead of sleeping; true if it did. */
	bool (*poll)(struct virtio_dev *d);
	/* A CQE of the device's own I/O (any tag that is no kick and no control). */
	void (*complete)(struct virtio_dev *d, uint64_t tag, int res);
	/* Optional: after a batch of CQEs, before the used rings are flushed;
	 * bit q of kicked is set when queue q was kicked. */
	void (*batch_done)(struct virtio_dev *d, unsigned int kicked);
	/* Pop and start new work, after the batch and the control operation
	 * (ctrl: one was served). */
	void (*process)(struct virtio_dev *d, unsigned int kicked, bool ctrl);
	/* Reset: cancel every request in flight (virtio_dev_cancel); busy and
	 * reap are dev_thread_drain()'s (kicks are reaped by the shell). */
	void (*cancel)(struct virtio_dev *d);
	bool (*busy)(struct virtio_dev *d);
	void (*reap)(struct virtio_dev *d, uint64_t tag);
	/* After the drain and the queues' reset: the device's own state as new. */
	void (*reset)(struct virtio_dev *d);
	/* DRIVER_OK with the negotiated features; the device runs after it. */
	void (*driver_ok)(struct virtio_dev *d, uint64_t features);

	/* Any thread: the device's own counters line (the shell adds the queues'). */
	void (*print_stats)(struct virtio_dev *d, const char *name, FILE *f);
	/* Any thread: the device's own counters (devices/dev_stats.h), as a
	 * report by name (a new device) or in struct dev_counters (blk, net). */
	void (*report)(struct virtio_dev *d, struct dev_report *r);
	void (*counters)(struct virtio_dev *d, struct dev_counters *c);
	/* Frees the device; the shell's parts are gone already. */
	void (*destroy)(struct virtio_dev *d);
};

/*
 * What the VMM hands every device: guest RAM, the eventfds it wires to KVM,
 * and the ring format it offers. The format is the queue layer's business,
 * not the device's, so it comes here rather than through each device's
 * options.
 */
struct virtio_dev_env {
	const struct guest_mem *gm;
	const int *kick_fds; /* one per queue (KVM_IOEVENTFD, datamatch = index) */
	int irq_fd;	     /* KVM_IRQFD */
	bool packed;	     /* offer VIRTIO_F_RING_PACKED */
	/* Test-only (MINIVMM_TEST_NO_URING): the ring's setup fails with this
	 * errno, as on a host without io_uring; 0: it is tried. */
	int test_no_uring;
};

struct virtio_dev_params {
	uint64_t features; /* offered: the device's own; the shell adds the ring's */
	bool in_order;	   /* offer VIRTIO_F_IN_ORDER */
	unsigned int config_len;
	unsigned int nqueues;
	unsigned int queue_size;   /* QueueNumMax of each queue */
	unsigned int ring_entries; /* io_uring SQEs: all the I/O in flight, kicks, cancels */
	unsigned int poll_us;	   /* busy-poll budget; 0: never */
	/* The opcodes, when they depend on the instance (a disk's engine). */
	const uint8_t *uring_ops;
	unsigned int n_uring_ops;
	/* The device's own files its ring reaches (the image, the TAP): its
	 * SQEs name them through dev_sqe_fixed(). */
	const int *files;
	unsigned int nfiles;
};

struct virtio_dev {
	const struct virtio_dev_ops *ops;
	struct vmmio mmio;
	struct virtqueue vqs[VDEV_MAX_QUEUES];
	unsigned int nqueues;
	const struct guest_mem *gm;
	uint8_t config[VDEV_CONFIG_MAX]; /* filled in by the device before init */
	int irq_fd;
	struct dev_thread dt;
	struct dev_event kick[VDEV_MAX_QUEUES]; /* their fds are written by vCPU threads too */

	/* Device thread only. */
	bool running;	  /* DRIVER_OK and not reset */
	bool ring_failed; /* a reset could not drain: the thread ends */
	bool late_reset;  /* a reset waits for I/O cancel could not stop */
	bool need_flush[VDEV_MAX_QUEUES];
	/* Guest notifications that reached each kick eventfd (its counter's
	 * values summed): ioeventfd writes, or QueueNotify exits without one. */
	uint64_t kicks[VDEV_MAX_QUEUES];
};

/*
 * Sets up the register file, queues and device thread (not started); all
 * or nothing. Where no io_uring can be set up the thread runs on ppoll
 * (dev_thread_ring_errno(&d->dt) says why), or, for a device that
 * needs_ring, this fails with -EOPNOTSUPP.
 */
int virtio_dev_init(struct virtio_dev *d, const struct virtio_dev_ops *ops,
		    const struct virtio_dev_env *env, const struct virtio_dev_params *p, char *err,
		    size_t err_len);
/* Undoes virtio_dev_init() (stopping the thread if it runs); for a device's error path. */
void virtio_dev_fini(struct virtio_dev *d);

/* For the VMM. */
int virtio_dev_start(struct virtio_dev *d);
/* Its thread: the VM stops it (bounded) before destroy, which joins it. */
struct dev_thread *virtio_dev_thread(struct virtio_dev *d);
struct vmmio *virtio_dev_mmio(struct virtio_dev *d);
const char *virtio_dev_name(const struct virtio_dev *d);
void virtio_dev_print_stats(struct virtio_dev *d, const char *name, FILE *f);
/*
 * Its counters (report or counters, whichever it has); false if it has
 * none. A device whose thread has no ring adds uring_unavailable: the
 * errno its setup failed with.
 */
bool virtio_dev_report(struct virtio_dev *d, struct dev_report *r);
void virtio_dev_destroy(struct virtio_dev *d);

/* For devices, any thread: whether the driver accepted a feature bit. */
bool virtio_dev_negotiated(struct virtio_dev *d, unsigned int bit);

/* For devices, device thread only. */
/* Hands a chain back to queue q; the used ring is written at the next flush. */
void virtio_dev_complete(struct virtio_dev *d, unsigned int q, const struct vq_ticket *t,
			 uint32_t len);
/* Publishes what was completed and interrupts the guest if it asked. */
void virtio_dev_flush(struct virtio_dev *d);
/* True if queue q is usable: the device runs and the ring is ready and whole. */
bool virtio_dev_queue_live(struct virtio_dev *d, unsigned int q);
/* dev_thread_poll_ring() on queue q: true if it has buffers to pop. */
bool virtio_dev_poll_ring(struct virtio_dev *d, unsigned int q, unsigned int want);

#endif
