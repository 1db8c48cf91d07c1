/* SPDX-License-Identifier: MIT */
/*
 * The virtio-net driver's packed rings (VIRTIO_F_RING_PACKED): what
 * vnet_driver.c's split rings do, for both queues, when the feature was
 * negotiated. Every buffer is one descriptor.
 */
#ifndef GUESTS_TESTGUEST_VNET_PACKED_H
#define GUESTS_TESTGUEST_VNET_PACKED_H

#include "guests/testguest/vnet_driver.h"

/* Queue q->index at its packed rings, device interrupts disabled (we poll), ready. */
void vnp_setup(struct vnet_drv *d, struct vn_queue *q);
/* Makes buffer head (len bytes at addr, device-writable or not) available. */
void vnp_add(struct vnet_drv *d, struct vn_queue *q, uint16_t head, uint64_t addr, uint32_t len,
	     int writable);
void vnp_kick(struct vnet_drv *d, struct vn_queue *q);
/* As the split ring's poll: completions into q->done_*; skipped buffers get full_len. */
int vnp_poll(struct vnet_drv *d, struct vn_queue *q, uint32_t full_len);

#endif
