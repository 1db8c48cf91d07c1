// SPDX-License-Identifier: MIT
/*
 * The packed virtqueue from the driver's side, as Linux drives one: a
 * request's descriptors go in ring order from the driver's position (a
 * chain may wrap the ring end), the id only in its last one, the first
 * one's flags stored last so the chain becomes available at once. A used
 * descriptor names its buffer by id, and the driver then skips that
 * buffer's slots; under IN_ORDER one used descriptor at a batch's first
 * slot, carrying the batch's last id, stands for every buffer of the batch,
 * and the driver skips the slots of them all.
 *
 * A used descriptor that names no buffer in flight breaks the ring: every
 * request in flight then ends with the status the device left (0xff if it
 * wrote none) and bad_ids counts it, so the checks fail instead of hanging.
 */
#include "guests/testguest/vblk_packed.h"
#include "guests/testguest/vmmio.h"

#define D_NEXT	   1
#define D_WRITE	   2
#define D_INDIRECT 4
#define D_AVAIL	   (1 << 7)
#define D_USED	   (1 << 15)

#define EV_ENABLE  0
#define EV_DISABLE 1
#define EV_DESC	   2

struct pdesc {
	uint64_t addr;
	uint32_t len;
	uint16_t id, flags;
};

static volatile struct pdesc ring[VB_QSIZE] __attribute__((aligned(4096)));
/* Indirect tables by request slot: one in flight each, even under a reused id. */
static struct pdesc tables[VB_SLOTS][2 + VB_MAX_SEGS] __attribute__((aligned(16)));
/* Event suppression: off_wrap in the low half, flags in the high half. */
static volatile uint32_t driver_event __attribute__((aligned(4096)));
static volatile uint32_t device_event __attribute__((aligned(64)));

static int wrap_of(uint16_t pos)
{
	return !(pos & VB_QSIZE);
}

/* The AVAIL/USED bits that make a descriptor available at pos. */
static uint16_t avail_bits(uint16_t pos)
{
	return wrap_of(pos) ? D_AVAIL : D_USED;
}

void vbp_setup(struct vblk_drv *d)
{
	struct vbp_ring *p = &d->pk;

	for (int i = 0; i < VB_QSIZE; i++)
		ring[i] = (struct pdesc){0, 0, 0, 0};
	vmmio_queue(d->base, 0, VB_QSIZE, (const void *)ring, &driver_event, &device_event);
	/*
	 * vmmio_queue set the split ring's NO_INTERRUPT in the first 16 bits,
	 * which here are the driver area's off_wrap: the whole area now, with
	 * DISABLE, before DRIVER_OK lets the device use it.
	 */
	driver_event = (uint32_t)EV_DISABLE << 16;
	p->next_avail = p->last_used = p->kicked = 0;
	p->num_free = VB_QSIZE;
	p->fifo_head = p->fifo_tail = 0;
	p->broken = 0;
	p->force_id = -1;
	/* Handed out from the end, in an order that is not the slots'. */
	p->nfree_ids = VB_QSIZE;
	for (int i = 0; i < VB_QSIZE; i++) {
		p->free_ids[i] = (uint16_t)((i * 167 + 89) % VB_QSIZE);
		p->ndesc[i] = 0;
	}
}

int vbp_submit(struct vblk_drv *d, int slot, uint32_t type, uint64_t sector, void *buf,
	       uint32_t len)
{
	struct vbp_ring *p = &d->pk;
	struct vb_req *r = &d->req[slot];
	uint16_t wr = type == VB_T_IN || type == VB_T_GET_ID ? D_WRITE : 0;
	uint16_t pos = p->next_avail, id, first = 0, ndesc;
	struct pdesc c[2 + VB_MAX_SEGS];
	int segs, n = 0;

	segs = d->indirect && d->segs > 1 && d->segs <= VB_MAX_SEGS && len % d->segs == 0 ? d->segs
											  : 1;
	ndesc = (uint16_t)(d->indirect ? 1 : 2 + (len ? segs : 0));
	if ((!p->nfree_ids && p->force_id < 0) || p->num_free < ndesc)
		return -1;
	id = p->force_id >= 0 ? (uint16_t)(p->force_id % VB_QSIZE) : p->free_ids[--p->nfree_ids];

	r->hdr.type = type;
	r->hdr.reserved = 0;
	r->hdr.sector = sector;
	r->status = 0xff;
	c[n++] = (struct pdesc){(uint64_t)&r->hdr, sizeof(r->hdr), 0, 0};
	for (int i = 0; len && i < segs; i++)
		c[n++] = (struct pdesc){(uint64_t)buf + i * (len / segs), len / segs, 0, wr};
	c[n++] = (struct pdesc){(uint64_t)&r->status, 1, 0, D_WRITE};

	if (p->broken) {
		/* Not given to the device: vbp_poll ends it at once. */
	} else if (d->indirect) {
		/* In a table only WRITE counts; the id is the ring descriptor's. */
		for (int k = 0; k < n; k++)
			tables[slot][k] = c[k];
		ring[pos % VB_QSIZE].addr = (uint64_t)tables[slot];
		ring[pos % VB_QSIZE].len = (uint32_t)(n * sizeof(struct pdesc));
		ring[pos % VB_QSIZE].id = id;
		first = (uint16_t)(D_INDIRECT | avail_bits(pos));
	} else {
		for (int k = 0; k < n; k++) {
			volatile struct pdesc *s = &ring[(uint16_t)(pos + k) % VB_QSIZE];
			uint16_t f = (uint16_t)(c[k].flags | (k + 1 < n ? D_NEXT : 0) |
						avail_bits((uint16_t)(pos + k)));

			/* The id belongs in the last descriptor; the others get another. */
			s->addr = c[k].addr;
			s->len = c[k].len;
			s->id = k + 1 < n ? (uint16_t)~id : id;
			if (k)
				s->flags = f;
			else
				first = f;
		}
	}
	if (!p->broken)
		__atomic_store_n(&ring[pos % VB_QSIZE].flags, first, __ATOMIC_RELEASE);
	p->next_avail = (uint16_t)(pos + ndesc);
	p->num_free = (uint16_t)(p->num_free - ndesc);
	p->ndesc[id] = (uint8_t)ndesc;
	p->slot_of[id] = (uint16_t)slot;
	if (d->in_order)
		p->fifo[p->fifo_tail++ % VB_QSIZE] = id;
	d->slot_busy[slot] = 1;
	d->inflight++;
	return 0;
}

/* Kicks the device if its event area asks for it for [kicked, next_avail). */
void vbp_kick(struct vblk_drv *d)
{
	struct vbp_ring *p = &d->pk;
	uint16_t old = p->kicked, now = p->next_avail;
	uint32_t ev, mask = 2 * VB_QSIZE - 1, e;
	uint16_t flags;

	/* The descriptors' flags before the device's event area is read. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	p->kicked = now;
	ev = device_event;
	flags = (uint16_t)(ev >> 16);
	if (flags == EV_DISABLE || old == now || p->broken)
		return;
	if (flags == EV_DESC && d->event_idx) {
		/* The event's position in the lap its wrap counter names, mod 2 * size. */
		e = (ev & 0x7fff) + (ev >> 15 & 1 ? 0 : VB_QSIZE);
		if (((now - e - 1) & mask) >= ((uint32_t)(uint16_t)(now - old) & mask))
			return;
	}
	vmmio_notify(d->base, 0);
}

static void release(struct vblk_drv *d, uint16_t id)
{
	struct vbp_ring *p = &d->pk;
	int slot = p->slot_of[id];

	p->last_used = (uint16_t)(p->last_used + p->ndesc[id]);
	p->num_free = (uint16_t)(p->num_free + p->ndesc[id]);
	p->ndesc[id] = 0;
	p->free_ids[p->nfree_ids++] = id;
	d->slot_busy[slot] = 0;
	d->inflight--;
	d->done[d->ndone++] = (uint16_t)slot;
}

/* Collects finished requests into d->done; returns how many. */
int vbp_poll(struct vblk_drv *d)
{
	struct vbp_ring *p = &d->pk;

	d->ndone = 0;
	while (!p->broken) {
		volatile struct pdesc *u = &ring[p->last_used % VB_QSIZE];
		uint16_t flags = __atomic_load_n(&u->flags, __ATOMIC_ACQUIRE), id, got;
		int w = wrap_of(p->last_used);

		if (!!(flags & D_AVAIL) != w || !!(flags & D_USED) != w)
			break;
		id = u->id;
		if (id >= VB_QSIZE || !p->ndesc[id]) {
			d->bad_ids++;
			p->broken = 1;
			break;
		}
		if (!d->in_order) {
			release(d, id);
			continue;
		}
		/* The batch: every buffer made available up to and including id. */
		do {
			got = p->fifo[p->fifo_head++ % VB_QSIZE];
			release(d, got);
		} while (got != id);
	}
	if (p->broken)
		for (uint16_t id = 0; id < VB_QSIZE; id++)
			if (p->ndesc[id])
				release(d, id);
	return d->ndone;
}
