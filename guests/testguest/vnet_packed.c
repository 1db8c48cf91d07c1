// SPDX-License-Identifier: MIT
/*
 * Packed virtqueues for the virtio-net driver, as vblk_packed.c drives the
 * blk one: buffer ids from a free list (not the buffer's own number), a
 * used descriptor naming its buffer by id, and under IN_ORDER one used
 * descriptor standing for every buffer made available up to the id it
 * names, each skipped one completely used. With one descriptor per buffer
 * every buffer takes one ring slot. An id that names no buffer in flight
 * counts in bad_ids and is skipped, as the split ring's poll does.
 */
#include "guests/testguest/vnet_packed.h"
#include "guests/testguest/vmmio.h"

#define D_WRITE 2
#define D_AVAIL (1 << 7)
#define D_USED	(1 << 15)

#define EV_DISABLE 1
#define EV_DESC	   2

struct pdesc {
	uint64_t addr;
	uint32_t len;
	uint16_t id, flags;
};

static volatile struct pdesc ring[2][VN_QSIZE] __attribute__((aligned(4096)));
/* Event suppression areas: off_wrap in the low half, flags in the high half. */
static volatile uint32_t driver_event[2] __attribute__((aligned(4096)));
static volatile uint32_t device_event[2] __attribute__((aligned(64)));

static int wrap_of(uint16_t pos)
{
	return !(pos & VN_QSIZE);
}

void vnp_setup(struct vnet_drv *d, struct vn_queue *q)
{
	struct vnp_queue *p = &d->pk[q->index];

	for (int i = 0; i < VN_QSIZE; i++)
		ring[q->index][i] = (struct pdesc){0, 0, 0, 0};
	vmmio_queue(d->base, q->index, VN_QSIZE, (const void *)ring[q->index],
		    &driver_event[q->index], &device_event[q->index]);
	/* vmmio_queue's split NO_INTERRUPT landed in off_wrap: DISABLE, before DRIVER_OK. */
	driver_event[q->index] = (uint32_t)EV_DISABLE << 16;
	p->next_avail = p->last_used = p->kicked = 0;
	p->nfree_ids = VN_QSIZE;
	for (int i = 0; i < VN_QSIZE; i++) {
		/* An order that is not the buffers' own. */
		p->free_ids[i] = (uint16_t)((i * 109 + 31) % VN_QSIZE);
		p->busy[i] = 0;
	}
}

void vnp_add(struct vnet_drv *d, struct vn_queue *q, uint16_t head, uint64_t addr, uint32_t len,
	     int writable)
{
	struct vnp_queue *p = &d->pk[q->index];
	volatile struct pdesc *s = &ring[q->index][p->next_avail % VN_QSIZE];
	uint16_t id;

	if (!p->nfree_ids) { /* more than the ring holds: a bug of the caller */
		d->bad_ids++;
		return;
	}
	id = p->free_ids[--p->nfree_ids];
	p->head_of[id] = head;
	p->busy[id] = 1;
	if (d->in_order)
		q->fifo[q->fifo_tail++ % VN_QSIZE] = id;
	s->addr = addr;
	s->len = len;
	s->id = id;
	__atomic_store_n(
		&s->flags,
		(uint16_t)((writable ? D_WRITE : 0) | (wrap_of(p->next_avail) ? D_AVAIL : D_USED)),
		__ATOMIC_RELEASE);
	p->next_avail++;
	q->busy[head] = 1;
}

void vnp_kick(struct vnet_drv *d, struct vn_queue *q)
{
	struct vnp_queue *p = &d->pk[q->index];
	uint16_t old = p->kicked, now = p->next_avail;
	uint32_t ev, mask = 2 * VN_QSIZE - 1, e;
	uint16_t flags;

	if (old == now)
		return;
	/* The descriptors' flags before the device's event area is read. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	p->kicked = now;
	ev = device_event[q->index];
	flags = (uint16_t)(ev >> 16);
	if (flags == EV_DISABLE)
		return;
	if (flags == EV_DESC && d->event_idx) {
		e = (ev & 0x7fff) + (ev >> 15 & 1 ? 0 : VN_QSIZE);
		if (((now - e - 1) & mask) >= ((uint32_t)(uint16_t)(now - old) & mask))
			return;
	}
	vmmio_notify(d->base, q->index);
}

static void credit(struct vnet_drv *d, struct vn_queue *q, uint16_t id, uint32_t len)
{
	struct vnp_queue *p = &d->pk[q->index];
	uint16_t head = p->head_of[id];

	p->busy[id] = 0;
	p->free_ids[p->nfree_ids++] = id;
	p->last_used++;
	q->busy[head] = 0;
	q->done_head[q->ndone] = head;
	q->done_len[q->ndone++] = len;
}

int vnp_poll(struct vnet_drv *d, struct vn_queue *q, uint32_t full_len)
{
	struct vnp_queue *p = &d->pk[q->index];

	q->ndone = 0;
	for (;;) {
		volatile struct pdesc *u = &ring[q->index][p->last_used % VN_QSIZE];
		uint16_t flags = __atomic_load_n(&u->flags, __ATOMIC_ACQUIRE), id, got;
		uint32_t len;
		int w = wrap_of(p->last_used);

		if (!!(flags & D_AVAIL) != w || !!(flags & D_USED) != w)
			break;
		id = u->id;
		len = u->len;
		if (id >= VN_QSIZE || !p->busy[id]) {
			d->bad_ids++;
			p->last_used++;
			continue;
		}
		if (!d->in_order) {
			credit(d, q, id, len);
			continue;
		}
		/* The batch: every buffer made available up to and including id. */
		do {
			got = q->fifo[q->fifo_head++ % VN_QSIZE];
			credit(d, q, got, got == id ? len : full_len);
		} while (got != id);
	}
	return q->ndone;
}
