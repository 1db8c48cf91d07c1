/* SPDX-License-Identifier: MIT */
/*
 * The virtio-blk driver's packed ring (VIRTIO_F_RING_PACKED): the same
 * operations as vblk_driver.c's split ring, which calls these when the
 * feature was negotiated.
 */
#ifndef GUESTS_TESTGUEST_VBLK_PACKED_H
#define GUESTS_TESTGUEST_VBLK_PACKED_H

#include "guests/testguest/vblk_driver.h"

/* Queue 0 at the packed rings, device interrupts disabled (we poll), ready. */
void vbp_setup(struct vblk_drv *d);
/* Makes request slot available; -1 if no buffer id or ring slots are free. */
int vbp_submit(struct vblk_drv *d, int slot, uint32_t type, uint64_t sector, void *buf,
	       uint32_t len);
void vbp_kick(struct vblk_drv *d);
int vbp_poll(struct vblk_drv *d);

#endif
