/* SPDX-License-Identifier: MIT */
/*
 * virtio-net receive, the part that touches the guest's ring: placing
 * frames the TAP gave us into receive buffers, mergeable when negotiated.
 * No I/O and no threads of its own, so the device thread, the unit tests
 * and the fuzzer run the same code.
 *
 * A frame that needs more buffers than the guest has posted waits: the
 * buffers looked at are given back (vq_unpop) and a kick is asked for the
 * next one the guest posts. The queue remembers how far it looked, so the
 * device sleeps until the guest adds buffers instead of trying the same
 * ones again.
 */
#ifndef DEVICES_NET_RX_H
#define DEVICES_NET_RX_H

#include <stdbool.h>
#include <stdint.h>

#include "virtio/virtqueue.h"

#define VNET_RX_IOV_CAP 32 /* segments per receive chain; Linux's big-packet mode uses 19 */

/* A frame read from the TAP: the virtio-net header, then the frame. */
struct vnet_rx_frame {
	uint8_t *data;
	uint32_t len;
	bool waited; /* already counted in rx_waits */
};

/* Device thread writes, anyone reads (devices/dev_stats.h). */
struct vnet_rx_stats {
	uint64_t packets, bytes;
	uint64_t drop_no_fit;	 /* frame larger than the guest's buffers */
	uint64_t drop_bad_chain; /* malformed chain, or a first buffer shorter than the header */
	uint64_t waits;		 /* frames that waited for the guest to post buffers */
	uint64_t max_bufs;	 /* most buffers one frame used */
};

struct vnet_rx {
	struct virtqueue *vq;
	bool mrg_rxbuf;		 /* set at DRIVER_OK */
	bool need_flush;	 /* buffers were completed: vq_flush() them */
	struct vq_chain *chains; /* one per queue entry */
	struct iovec *iov;	 /* VNET_RX_IOV_CAP per chain */
	uint32_t *used;
	uint16_t cap;
	uint16_t last_nbufs; /* buffers the last placed frame took: chains[0 .. last_nbufs) */
	struct vnet_rx_stats st;
};

/* Oldest frame first; the caller's queue of frames read from the TAP. */
struct vnet_rx_source {
	struct vnet_rx_frame *(*peek)(void *ctx); /* NULL: none waiting */
	void (*consume)(void *ctx);		  /* the peeked frame was placed or dropped */
	void *ctx;
};

enum vnet_rx_result {
	VNET_RX_IDLE,	 /* no frame waits */
	VNET_RX_BLOCKED, /* a frame waits for buffers (or the queue to be enabled) */
	VNET_RX_BROKEN,	 /* the driver broke the ring: set DEVICE_NEEDS_RESET */
};

/* For a queue of up to queue_size entries. 0 or -ENOMEM. */
int vnet_rx_init(struct vnet_rx *rx, struct virtqueue *vq, uint16_t queue_size);
void vnet_rx_free(struct vnet_rx *rx);

/*
 * Places waiting frames while the guest has buffers for them; a frame that
 * can never fit, or meets a malformed chain, is dropped and counted (the
 * chains it took are completed with length 0). Returns at once when the
 * guest has posted too few buffers and none arrive meanwhile: never a loop
 * over the same buffers. Completions are left for the caller's vq_flush().
 */
enum vnet_rx_result vnet_rx_process(struct vnet_rx *rx, const struct vnet_rx_source *src);

#endif
