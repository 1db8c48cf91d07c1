/* SPDX-License-Identifier: MIT */
/*
 * What the ring formats (split_ring.c, packed_ring.c) share when they turn
 * a validated descriptor into a chain segment: the same order, length and
 * address rules for both, so a driver cannot find a format that is laxer.
 */
#ifndef MINIVMM_VIRTIO_CHAIN_H
#define MINIVMM_VIRTIO_CHAIN_H

#include <stdbool.h>
#include <stdint.h>

#include "virtio/virtqueue.h"

/*
 * One descriptor (already copied out of guest memory) appended to c:
 * device-readable segments must all come before device-writable ones, the
 * chain's total (*total, which the caller starts at 0) stays within 4 GiB,
 * the buffer lies inside guest memory, and c's iovec array has room.
 * Returns VQ_OK or the chain error.
 */
int vq_chain_add_segment(struct virtqueue *vq, struct vq_chain *c, uint64_t addr, uint32_t len,
			 bool writable, uint64_t *total);

#endif
