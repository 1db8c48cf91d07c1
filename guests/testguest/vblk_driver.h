/* SPDX-License-Identifier: MIT */
#ifndef GUESTS_TESTGUEST_VBLK_DRIVER_H
#define GUESTS_TESTGUEST_VBLK_DRIVER_H

#include <stdint.h>

#define VB_QSIZE    256
#define VB_SLOTS    256 /* one indirect descriptor each; 85 with direct chains of three */
#define VB_MAX_SEGS 8	/* data descriptors per indirect request */

#define VB_T_IN	    0
#define VB_T_OUT    1
#define VB_T_FLUSH  4
#define VB_T_GET_ID 8

struct vb_req {
	struct {
		uint32_t type, reserved;
		uint64_t sector;
	} hdr;
	volatile uint8_t status;
};

/*
 * The packed ring's driver state (vblk_packed.c). Positions are free-running
 * 16-bit counters: the slot is pos % VB_QSIZE and the wrap counter
 * !(pos & VB_QSIZE). Buffer ids come from free_ids, not from slot numbers.
 */
struct vbp_ring {
	uint16_t next_avail, last_used, kicked;
	uint16_t num_free; /* descriptor slots */
	uint16_t nfree_ids;
	uint16_t free_ids[VB_QSIZE];
	uint16_t slot_of[VB_QSIZE]; /* the request slot of buffer id */
	uint8_t ndesc[VB_QSIZE];    /* ring slots of buffer id; 0: not in flight */
	uint16_t fifo[VB_QSIZE];    /* ids in avail order (IN_ORDER) */
	uint32_t fifo_head, fifo_tail;
	int broken;
	int force_id; /* >= 0: every chain's id from now on, free or not (hostile tests) */
};

struct vblk_drv {
	uint64_t base;
	uint64_t capacity;
	int in_order, event_idx, indirect, packed;
	int segs; /* data descriptors per request (indirect only, divides its length) */
	int max_inflight;
	uint16_t avail_idx, kicked_idx, last_used;
	uint32_t fifo_head, fifo_tail;
	uint16_t fifo[VB_QSIZE];
	int inflight;
	uint8_t slot_busy[VB_SLOTS];
	struct vb_req req[VB_SLOTS];
	uint16_t done[VB_SLOTS];
	int ndone;
	uint64_t bad_ids;
	struct vbp_ring pk;
};

int vb_init(struct vblk_drv *d, uint64_t base, int want_in_order, int want_event_idx,
	    int want_indirect, int want_packed);
/* The ring slot (used id) of request slot: slot, or its first of three. */
static inline uint16_t vb_head(const struct vblk_drv *d, int slot)
{
	return (uint16_t)(d->indirect ? slot : slot * 3);
}

int vb_submit(struct vblk_drv *d, int slot, uint32_t type, uint64_t sector, void *buf,
	      uint32_t len);
void vb_kick(struct vblk_drv *d);
int vb_poll(struct vblk_drv *d);

#endif
