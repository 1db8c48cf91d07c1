// SPDX-License-Identifier: MIT
/*
 * A small modern virtio-mmio virtio-blk driver that runs at CPL3 and polls
 * the used ring. It follows Linux's split-ring rules, including the
 * in-order rule that one used entry stands for every buffer up to its id.
 * With VIRTIO_F_RING_PACKED negotiated the ring is vblk_packed.c's.
 */
#include "guests/testguest/vblk_driver.h"
#include "guests/testguest/vblk_packed.h"
#include "guests/testguest/vmmio.h"

#define F_INDIRECT 28

#define DESC_NEXT     1
#define DESC_WRITE    2
#define DESC_INDIRECT 4

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

static struct desc ring_desc[VB_QSIZE] __attribute__((aligned(4096)));
static struct desc indirect_tables[VB_SLOTS][2 + VB_MAX_SEGS] __attribute__((aligned(16)));
static volatile uint16_t ring_avail[2 + VB_QSIZE + 1] __attribute__((aligned(4096)));
static volatile uint32_t ring_used[1 + 2 * VB_QSIZE + 1] __attribute__((aligned(4096)));

static void barrier(void)
{
	__asm__ volatile("" ::: "memory");
}

int vb_init(struct vblk_drv *d, uint64_t base, int want_in_order, int want_event_idx,
	    int want_indirect, int want_packed)
{
	uint64_t feat, drv;
	int rc;

	d->base = base;
	rc = vmmio_begin(base, 2, &feat);
	if (rc)
		return rc;
	drv = 1ULL << VMMIO_F_VERSION_1;
	if (want_in_order && (feat >> VMMIO_F_IN_ORDER & 1))
		drv |= 1ULL << VMMIO_F_IN_ORDER;
	if (want_event_idx && (feat >> VMMIO_F_EVENT_IDX & 1))
		drv |= 1ULL << VMMIO_F_EVENT_IDX;
	if (want_indirect && (feat >> F_INDIRECT & 1))
		drv |= 1ULL << F_INDIRECT;
	if (want_packed && (feat >> VMMIO_F_RING_PACKED & 1))
		drv |= 1ULL << VMMIO_F_RING_PACKED;
	rc = vmmio_features_ok(base, drv);
	if (rc)
		return rc;
	d->in_order = drv >> VMMIO_F_IN_ORDER & 1;
	d->event_idx = drv >> VMMIO_F_EVENT_IDX & 1;
	d->indirect = drv >> F_INDIRECT & 1;
	d->packed = drv >> VMMIO_F_RING_PACKED & 1;
	/* One ring slot per request with indirect tables, three without. */
	d->max_inflight = d->indirect ? VB_SLOTS : VB_QSIZE / 3;

	if (vmmio_queue_max(base, 0) < VB_QSIZE)
		return -4;
	if (d->packed)
		vbp_setup(d);
	else
		vmmio_queue(base, 0, VB_QSIZE, ring_desc, ring_avail, ring_used);
	vmmio_driver_ok(base);
	d->capacity = *(volatile uint32_t *)vmmio_config(base) |
		      (uint64_t) * (volatile uint32_t *)(vmmio_config(base) + 4) << 32;
	d->avail_idx = d->last_used = 0;
	d->fifo_head = d->fifo_tail = 0;
	d->inflight = 0;
	d->segs = 1;
	for (int i = 0; i < VB_SLOTS; i++)
		d->slot_busy[i] = 0;
	return 0;
}

int vb_submit(struct vblk_drv *d, int slot, uint32_t type, uint64_t sector, void *buf, uint32_t len)
{
	struct vb_req *r = &d->req[slot];
	uint16_t head = vb_head(d, slot), idx;
	struct desc *dd = d->indirect ? indirect_tables[slot] : &ring_desc[head];
	uint16_t base = d->indirect ? 0 : head;
	uint16_t wr = type == VB_T_IN || type == VB_T_GET_ID ? DESC_WRITE : 0;
	int segs, n;

	if (d->packed)
		return vbp_submit(d, slot, type, sector, buf, len);
	r->hdr.type = type;
	r->hdr.reserved = 0;
	r->hdr.sector = sector;
	r->status = 0xff;
	dd[0] = (struct desc){(uint64_t)&r->hdr, sizeof(r->hdr), DESC_NEXT, (uint16_t)(base + 1)};
	/* Indirect tables may split the buffer into d->segs equal descriptors. */
	segs = d->indirect && d->segs > 1 && d->segs <= VB_MAX_SEGS && len % d->segs == 0 ? d->segs
											  : 1;
	n = 1;
	for (int i = 0; len && i < segs; i++, n++)
		dd[n] = (struct desc){(uint64_t)buf + i * (len / segs), len / segs,
				      (uint16_t)(DESC_NEXT | wr), (uint16_t)(base + n + 1)};
	dd[n++] = (struct desc){(uint64_t)&r->status, 1, DESC_WRITE, 0};
	if (d->indirect)
		ring_desc[head] = (struct desc){(uint64_t)dd, (uint32_t)(n * sizeof(struct desc)),
						DESC_INDIRECT, 0};
	idx = d->avail_idx;
	ring_avail[2 + idx % VB_QSIZE] = head;
	d->fifo[d->fifo_tail++ % VB_QSIZE] = (uint16_t)slot;
	d->slot_busy[slot] = 1;
	d->inflight++;
	d->avail_idx = (uint16_t)(idx + 1);
	barrier();
	return 0;
}

/* Publishes what vb_submit queued and kicks the device if it wants a kick. */
void vb_kick(struct vblk_drv *d)
{
	uint16_t old = d->kicked_idx, now = d->avail_idx;

	if (d->packed) {
		vbp_kick(d);
		return;
	}
	__atomic_store_n(&ring_avail[1], now, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	d->kicked_idx = now;
	if (d->event_idx) {
		uint16_t ev = (uint16_t)ring_used[1 + 2 * VB_QSIZE];

		if ((uint16_t)(now - ev - 1) >= (uint16_t)(now - old))
			return;
	} else if (ring_used[0] & 1) { /* VRING_USED_F_NO_NOTIFY */
		return;
	}
	vmmio_notify(d->base, 0);
}

static void complete_slot(struct vblk_drv *d, int slot)
{
	d->slot_busy[slot] = 0;
	d->inflight--;
	d->done[d->ndone++] = (uint16_t)slot;
}

/* Collects finished requests into d->done; returns how many. */
int vb_poll(struct vblk_drv *d)
{
	uint16_t used_idx;

	if (d->packed)
		return vbp_poll(d);
	used_idx = (uint16_t)(__atomic_load_n(&ring_used[0], __ATOMIC_ACQUIRE) >> 16);
	d->ndone = 0;
	while (d->last_used != used_idx) {
		uint32_t id = ring_used[1 + 2 * (d->last_used % VB_QSIZE)];
		int slot;

		if (d->in_order) {
			/* One entry stands for every buffer up to and including id. */
			do {
				slot = d->fifo[d->fifo_head++ % VB_QSIZE];
				complete_slot(d, slot);
				d->last_used++;
			} while (vb_head(d, slot) != id && d->fifo_head != d->fifo_tail);
		} else {
			slot = d->indirect ? (int)id : (int)(id / 3);
			if ((!d->indirect && id % 3) || slot >= VB_SLOTS || !d->slot_busy[slot]) {
				d->bad_ids++;
				d->last_used++;
				continue;
			}
			complete_slot(d, slot);
			d->last_used++;
		}
	}
	return d->ndone;
}
