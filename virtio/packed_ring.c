// SPDX-License-Identifier: MIT
/*
 * Packed-ring memory: reading available descriptor chains out of the
 * descriptor ring, writing used descriptors back into it, and the two event
 * suppression structures. Sequence numbers, the in-flight table (indexed by
 * buffer id here), the reorder heap and batching live in virtqueue.c.
 *
 * Positions (struct vq_packed) count slots modulo 65536; the wrap counter of
 * the lap a position lies in is !(pos & size).
 */
#include "virtio/packed_ring.h"

#include <endian.h>
#include <stdlib.h>

#include "virtio/chain.h"

#define CACHE_LINE_SHIFT 6
#define F_AVAIL		 (1U << VRING_PACKED_DESC_F_AVAIL)
#define F_USED		 (1U << VRING_PACKED_DESC_F_USED)

static bool wrap_of(const struct virtqueue *vq, uint16_t pos)
{
	return !(pos & vq->size);
}

static uint8_t *slot_ptr(const struct virtqueue *vq, uint16_t pos)
{
	return vq->packed.desc + 16 * (uint32_t)(pos & vq->mask);
}

/* Made available for the lap pos is in: AVAIL matches its wrap counter, USED does not. */
static bool is_avail(const struct virtqueue *vq, uint16_t flags, uint16_t pos)
{
	bool w = wrap_of(vq, pos);

	return !!(flags & F_AVAIL) == w && !!(flags & F_USED) != w;
}

/* off_wrap as the event suppression structures encode a position. */
static uint16_t off_wrap(const struct virtqueue *vq, uint16_t pos)
{
	return (uint16_t)((pos & vq->mask) |
			  (wrap_of(vq, pos) ? 1U << VRING_PACKED_EVENT_F_WRAP_CTR : 0));
}

static int packed_enable(struct virtqueue *vq)
{
	struct vq_packed *p = &vq->packed;
	uint8_t *desc, *driver, *device;
	uint16_t *mem;

	if ((vq->desc_gpa & 15) || (vq->avail_gpa & 3) || (vq->used_gpa & 3))
		return VQ_E_ALIGN;
	desc = gm_translate(vq->gm, vq->desc_gpa, vq_desc_bytes(vq->size));
	driver = gm_translate(vq->gm, vq->avail_gpa, VQ_PEVENT_BYTES);
	device = gm_translate(vq->gm, vq->used_gpa, VQ_PEVENT_BYTES);
	if (!desc || !driver || !device)
		return VQ_E_RING_ADDR;
	mem = calloc(5 * (size_t)vq->size, sizeof(*mem));
	if (!mem)
		return VQ_E_NOMEM;
	*p = (struct vq_packed){
		.desc = desc,
		.driver = driver,
		.device = device,
		.notify_enabled = true,
		.last_line = UINT64_MAX,
		.mem = mem,
		.id_ndesc = mem,
		.pop_pos = mem + vq->size,
		.pop_ndesc = mem + 2 * vq->size,
		.pend_pos = mem + 3 * vq->size,
		.pend_flags = mem + 4 * vq->size,
	};
	return VQ_OK;
}

struct pdesc {
	uint64_t addr;
	uint32_t len;
	uint16_t id;
	uint16_t flags;
};

/* The one read of a descriptor: everything after uses this copy. */
static void read_pdesc(const uint8_t *p, struct pdesc *d)
{
	gm_snapshot(d, p, sizeof(*d));
	d->addr = le64toh(d->addr);
	d->len = le32toh(d->len);
	d->id = le16toh(d->id);
	d->flags = le16toh(d->flags);
}

/*
 * An indirect table: len / 16 descriptors read in order. Only WRITE counts
 * in them (the spec reserves the rest and NEXT is ignored); INDIRECT is
 * refused as nesting, as the split ring does.
 */
static int walk_indirect(struct virtqueue *vq, const struct pdesc *ind, struct vq_chain *c,
			 uint64_t *total)
{
	const uint8_t *table;
	uint32_t n, i;
	int r;

	if (!ind->len || ind->len % 16 || ind->len / 16 > vq->size)
		return VQ_E_INDIRECT_LEN;
	table = gm_translate(vq->gm, ind->addr, ind->len);
	if (!table)
		return VQ_E_BAD_ADDR;
	c->indirect = true;
	n = ind->len / 16;
	for (i = 0; i < n; i++) {
		struct pdesc d;

		read_pdesc(table + 16 * i, &d);
		if (d.flags & VRING_DESC_F_INDIRECT)
			return VQ_E_INDIRECT_NESTED;
		r = vq_chain_add_segment(vq, c, d.addr, d.len, d.flags & VRING_DESC_F_WRITE, total);
		if (r)
			return r;
	}
	return VQ_OK;
}

/*
 * Walk the chain starting at next_avail, whose first flags (loaded with
 * acquire) said it is available. The walk always goes to the chain's end,
 * even after a chain error, because the end is where the buffer id is and
 * where the next chain starts; a chain whose end is not in sight (a slot not
 * made available for its lap, or more than size slots) is a ring error.
 */
static int walk_chain(struct virtqueue *vq, uint16_t first_flags, struct vq_chain *c,
		      uint16_t *ndesc)
{
	uint16_t pos = vq->packed.next_avail;
	uint64_t total = 0;
	uint32_t k;
	int err = VQ_OK;

	for (k = 0;; k++) {
		struct pdesc d;
		int r;

		if (k == vq->size)
			return VQ_E_CHAIN_RING;
		read_pdesc(slot_ptr(vq, (uint16_t)(pos + k)), &d);
		if (k == 0)
			d.flags = first_flags; /* the value the acquire saw, not a second read */
		else if (!is_avail(vq, d.flags, (uint16_t)(pos + k)))
			return VQ_E_CHAIN_RING;
		if (err)
			r = err; /* only looking for the end */
		else if (!(d.flags & VRING_DESC_F_INDIRECT))
			r = vq_chain_add_segment(vq, c, d.addr, d.len, d.flags & VRING_DESC_F_WRITE,
						 &total);
		else if (!vq->indirect)
			r = VQ_E_INDIRECT_FEATURE;
		else if (k || (d.flags & VRING_DESC_F_NEXT))
			r = VQ_E_INDIRECT_CHAINED;
		else
			r = walk_indirect(vq, &d, c, &total);
		err = r;
		if (!(d.flags & VRING_DESC_F_NEXT)) {
			/* The buffer id is the last descriptor's. */
			if (d.id >= vq->size)
				return VQ_E_HEAD_RANGE;
			c->t.head = d.id;
			*ndesc = (uint16_t)(k + 1);
			return err;
		}
	}
}

static void update_device_event(struct virtqueue *vq)
{
	struct vq_packed *p = &vq->packed;

	/* One store: the driver reads off_wrap and flags as one 32-bit snapshot. */
	if (vq->event_idx && p->notify_enabled)
		gm_store32(p->device,
			   off_wrap(vq, p->seen) | (uint32_t)VRING_PACKED_EVENT_FLAG_DESC << 16);
}

static int packed_pop(struct virtqueue *vq, struct vq_chain *c)
{
	struct vq_packed *p = &vq->packed;
	uint16_t flags, ndesc = 0, k;
	int r;

	flags = gm_load16_acquire(slot_ptr(vq, p->next_avail) + VQ_PDESC_FLAGS);
	if (!is_avail(vq, flags, p->next_avail))
		return VQ_EMPTY;
	c->n_out = c->n_in = 0;
	c->out_len = c->in_len = 0;
	c->indirect = false;
	r = walk_chain(vq, flags, c, &ndesc);
	if (vq_err_is_fatal(r))
		return r;
	c->ndesc = ndesc;
	k = p->npopped & vq->mask;
	p->pop_pos[k] = p->next_avail;
	p->pop_ndesc[k] = ndesc;
	p->id_ndesc[c->t.head] = ndesc;
	p->npopped++;
	p->next_avail += ndesc;
	if ((int16_t)(p->next_avail - p->seen) > 0)
		p->seen = p->next_avail;
	update_device_event(vq);
	return r;
}

/* The given-back slots stay looked at, as in the split ring (see split_unpop). */
static void packed_unpop(struct virtqueue *vq, uint16_t n)
{
	struct vq_packed *p = &vq->packed;

	p->npopped -= n;
	p->next_avail = p->pop_pos[p->npopped & vq->mask];
}

/*
 * The used descriptor goes in the first slot of what it stands for; the
 * cursor then skips every slot of those buffers: one chain's without
 * IN_ORDER, a whole batch's (the nbufs oldest unwritten chains) with it.
 * The flags, which publish it, wait for the flush.
 */
/* Newest first: see packed_flush(). */
static void publish_pending(struct virtqueue *vq)
{
	struct vq_packed *p = &vq->packed;
	uint16_t i;

	/*
	 * Release: ids, lengths and the data the device wrote are visible
	 * before a descriptor turns used. Newest first, so that the driver,
	 * which reads in ring order, finds the whole flush there once it sees
	 * the first one (as a split ring's single used.idx store).
	 */
	for (i = p->npending; i-- > 0;)
		gm_store16_release(slot_ptr(vq, p->pend_pos[i]) + VQ_PDESC_FLAGS, p->pend_flags[i]);
	p->npending = 0;
}

static void packed_write_used(struct virtqueue *vq, uint16_t id, uint32_t len, uint16_t nbufs)
{
	struct vq_packed *p = &vq->packed;
	uint8_t *e = slot_ptr(vq, p->next_used);
	uint64_t line =
		(vq->desc_gpa + 16 * (uint64_t)(p->next_used & vq->mask)) >> CACHE_LINE_SHIFT;
	uint32_t skip = 0;
	uint16_t i;

	/*
	 * At most size chains are in flight, so a flush never has more; only a
	 * driver that reuses ids it has not seen used gets here, and gets them
	 * published early rather than an overflow.
	 */
	if (p->npending == vq->size)
		publish_pending(vq);
	gm_store16(e + VQ_PDESC_ID, id);
	gm_store32(e + VQ_PDESC_LEN, len);
	p->pend_pos[p->npending] = p->next_used;
	/* WRITE in a used descriptor says the device wrote something: len means bytes written. */
	p->pend_flags[p->npending] = (uint16_t)((wrap_of(vq, p->next_used) ? F_AVAIL | F_USED : 0) |
						(len ? VRING_DESC_F_WRITE : 0));
	p->npending++;
	if (vq->in_order) {
		for (i = 0; i < nbufs; i++)
			skip += p->pop_ndesc[(uint16_t)(p->nwritten + i) & vq->mask];
		p->nwritten += nbufs;
	} else {
		skip = p->id_ndesc[id];
	}
	p->next_used += (uint16_t)skip;
	VQ_STAT_ADD(vq->stats.used_entries, 1);
	if (line != p->last_line) {
		VQ_STAT_ADD(vq->stats.used_lines, 1);
		p->last_line = line;
	}
}

/*
 * Does the driver want an interrupt for the slots used in [old, new)? Its
 * event position (offset, wrap) is compared modulo 2 * size, where a
 * position and its wrap counter say the same thing.
 */
static bool need_event(const struct virtqueue *vq, uint16_t ev, uint16_t new, uint16_t old)
{
	uint32_t m = 2 * (uint32_t)vq->size - 1;
	uint32_t e = (ev & 0x7fff) + ((ev >> VRING_PACKED_EVENT_F_WRAP_CTR) ? 0 : vq->size);

	return ((new - e - 1) & m) < ((uint32_t)(uint16_t)(new - old) & m);
}

static bool packed_flush(struct virtqueue *vq)
{
	struct vq_packed *p = &vq->packed;
	uint16_t new = p->next_used, old = p->signalled_used;
	uint32_t ev;
	uint16_t flags;
	bool notify;

	if (!p->npending)
		return false;
	publish_pending(vq);
	VQ_STAT_ADD(vq->stats.idx_stores, 1);
	p->last_line = UINT64_MAX;

	/* More than a lap since the last decision: the old position says nothing. */
	if ((uint16_t)(new - old) > vq->size)
		p->signalled_used_valid = false;

	/* Our flags stores must be visible before we read what the driver asked for. */
	gm_fence_full();
	ev = gm_load32(p->driver);
	flags = (uint16_t)(ev >> 16) & 3;
	if (flags == VRING_PACKED_EVENT_FLAG_DISABLE)
		notify = false;
	else if (flags == VRING_PACKED_EVENT_FLAG_DESC && vq->event_idx)
		notify = !p->signalled_used_valid || need_event(vq, (uint16_t)ev, new, old);
	else
		notify = true; /* ENABLE, the reserved 3, or DESC without EVENT_IDX */
	p->signalled_used = new;
	p->signalled_used_valid = true;
	return notify;
}

static void packed_set_notify(struct virtqueue *vq, bool enable)
{
	struct vq_packed *p = &vq->packed;

	p->notify_enabled = enable;
	if (enable && vq->event_idx)
		update_device_event(vq);
	else
		gm_store32(p->device, (uint32_t)(enable ? VRING_PACKED_EVENT_FLAG_ENABLE
							: VRING_PACKED_EVENT_FLAG_DISABLE)
					      << 16);
}

/* The packed ring can say "no kicks" outright, with or without EVENT_IDX. */
static void packed_quiet(struct virtqueue *vq)
{
	vq->packed.notify_enabled = false;
	gm_store32(vq->packed.device, (uint32_t)VRING_PACKED_EVENT_FLAG_DISABLE << 16);
}

/*
 * Chains made available beyond the slots already looked at. Counting needs
 * the chains' NEXT flags, so this reads at most size flags; a chain whose
 * end is not available yet is not counted (pop will call it a ring error).
 */
static uint16_t packed_avail_count(struct virtqueue *vq)
{
	uint16_t pos = vq->packed.seen, n = 0;
	uint32_t k = 0;

	while (k < vq->size) {
		uint16_t f = gm_load16_acquire(slot_ptr(vq, pos) + VQ_PDESC_FLAGS);

		if (!is_avail(vq, f, pos))
			break;
		/* The rest of the chain was written before its first flags. */
		while (++k, f & VRING_DESC_F_NEXT) {
			if (k == vq->size)
				return n;
			pos++;
			f = gm_load16(slot_ptr(vq, pos) + VQ_PDESC_FLAGS);
			if (!is_avail(vq, f, pos))
				return n;
		}
		pos++;
		n++;
	}
	return n;
}

const struct vq_ops vq_packed_ops = {
	.enable = packed_enable,
	.pop = packed_pop,
	.unpop = packed_unpop,
	.write_used = packed_write_used,
	.flush = packed_flush,
	.set_notify = packed_set_notify,
	.quiet = packed_quiet,
	.avail_count = packed_avail_count,
};
