/* SPDX-License-Identifier: MIT */
/*
 * virtio-blk on virtio-mmio, served by a thread of its own over one
 * io_uring: guest kicks arrive on an eventfd (wired to QueueNotify with
 * KVM_IOEVENTFD by the VMM), reads and writes go straight between the image
 * file and guest memory, completions are published through the in-order
 * virtqueue layer, and interrupts leave through another eventfd (KVM_IRQFD).
 */
#ifndef DEVICES_VIRTIO_BLK_H
#define DEVICES_VIRTIO_BLK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "devices/blk_engine.h"
#include "devices/blk_req.h"

#define VIRTIO_ID_BLOCK 2
#define VBLK_QUEUE_SIZE 256
#define VBLK_SEG_MAX	126
#define VBLK_SIZE_MAX	(1u << 20) /* bytes per segment */

struct vblk_options {
	const char *path;
	bool read_only;
	bool direct;		     /* O_DIRECT */
	bool in_order;		     /* offer VIRTIO_F_IN_ORDER */
	const char *serial;	     /* GET_ID; NULL: derived from the path */
	unsigned int poll_us;	     /* busy-poll for new requests when idle; 0: never */
	enum blk_engine_kind engine; /* what does the I/O */
	unsigned int test_hold_ms;   /* test-only: hold the first write this long */
};

struct vblk_stats {
	uint64_t reads, writes, flushes, get_ids, discards, write_zeroes;
	uint64_t bytes_read, bytes_written;
	uint64_t io_errors; /* host I/O errors turned into IOERR */
	uint64_t err_eio, err_enospc, err_other, short_io;
	uint64_t rejected[BLK_REJ_COUNT]; /* malformed or refused requests */
	uint64_t chain_errors;		  /* chains the queue layer refused */
	uint64_t misaligned;		  /* O_DIRECT requests with unaligned buffers: IOERR */
	uint64_t max_inflight;
	uint64_t merged_ios, merged_reqs; /* adjacent requests sent as one, and how many */
	uint64_t resubmitted; /* requests sent again alone after their merged I/O ended short */
	uint64_t kicks_held;  /* passes that left kicks off while busy (process_queue) */
};

struct virtio_dev;
struct virtio_dev_env;

/*
 * Opens and locks the image (flock: shared for ro, exclusive otherwise) and
 * builds the device on the virtio shell (one queue: env->kick_fds[0]).
 * Returns 0 or a negative errno with one line in err.
 */
int vblk_create(const struct vblk_options *o, const struct virtio_dev_env *env,
		struct virtio_dev **out, char *err, size_t err_len);

#endif
