// SPDX-License-Identifier: MIT
/*
 * Split-ring memory: reading the avail ring and descriptor chains, writing
 * used entries and used.idx, and the notification fields. Sequence numbers,
 * the reorder heap and batching live in virtqueue.c.
 */
#include "virtio/split_ring.h"

#include <endian.h>

#include "virtio/chain.h"

#define CACHE_LINE_SHIFT 6

static int split_enable(struct virtqueue *vq)
{
	struct vq_split *s = &vq->split;
	uint8_t *desc, *avail, *used;

	if ((vq->desc_gpa & 15) || (vq->avail_gpa & 1) || (vq->used_gpa & 3))
		return VQ_E_ALIGN;
	desc = gm_translate(vq->gm, vq->desc_gpa, vq_desc_bytes(vq->size));
	avail = gm_translate(vq->gm, vq->avail_gpa, vq_avail_bytes(vq->size, vq->event_idx));
	used = gm_translate(vq->gm, vq->used_gpa, vq_used_bytes(vq->size, vq->event_idx));
	if (!desc || !avail || !used)
		return VQ_E_RING_ADDR;
	*s = (struct vq_split){
		.desc = desc,
		.avail = avail,
		.used = used,
		.notify_enabled = true,
		.last_line = UINT64_MAX,
	};
	return VQ_OK;
}

static void read_desc(const uint8_t *table, uint16_t i, struct vq_desc *d)
{
	gm_snapshot(d, table + 16 * (uint32_t)i, sizeof(*d));
	d->addr = le64toh(d->addr);
	d->len = le32toh(d->len);
	d->flags = le16toh(d->flags);
	d->next = le16toh(d->next);
}

/*
 * Walk the chain at head. Every step counts against the table it is in
 * (size entries, or the indirect table's entries), so a loop ends after at
 * most size + size reads, whatever the guest wrote.
 */
static int walk_chain(struct virtqueue *vq, uint16_t head, struct vq_chain *c)
{
	const uint8_t *table = vq->split.desc;
	uint32_t limit = vq->size, seen = 0;
	uint64_t total = 0;
	uint16_t i = head;
	int r;

	for (;;) {
		struct vq_desc d;

		if (++seen > limit)
			return VQ_E_CHAIN_LOOP;
		read_desc(table, i, &d);
		if (d.flags & VRING_DESC_F_INDIRECT) {
			if (!vq->indirect)
				return VQ_E_INDIRECT_FEATURE;
			if (c->indirect)
				return VQ_E_INDIRECT_NESTED;
			if (seen != 1 || (d.flags & VRING_DESC_F_NEXT))
				return VQ_E_INDIRECT_CHAINED;
			if (!d.len || d.len % 16 || d.len / 16 > vq->size)
				return VQ_E_INDIRECT_LEN;
			table = gm_translate(vq->gm, d.addr, d.len);
			if (!table)
				return VQ_E_BAD_ADDR;
			c->indirect = true;
			limit = d.len / 16;
			seen = 0;
			i = 0;
			continue;
		}
		r = vq_chain_add_segment(vq, c, d.addr, d.len, d.flags & VRING_DESC_F_WRITE,
					 &total);
		if (r)
			return r;
		if (!(d.flags & VRING_DESC_F_NEXT))
			break;
		i = d.next;
		if (i >= limit)
			return VQ_E_NEXT_RANGE;
	}
	c->ndesc = c->indirect ? 1 : (uint16_t)seen;
	return VQ_OK;
}

/* The first avail slot the device has not looked at: what a kick should announce. */
static uint16_t avail_unseen(const struct vq_split *s)
{
	return (uint16_t)(s->last_avail + s->given_back);
}

static void update_avail_event(struct virtqueue *vq)
{
	struct vq_split *s = &vq->split;

	if (vq->event_idx && s->notify_enabled)
		gm_store16(s->used + VQ_AVAIL_EVENT(vq->size), avail_unseen(s));
}

static int split_pop(struct virtqueue *vq, struct vq_chain *c)
{
	struct vq_split *s = &vq->split;
	uint16_t head;
	int r;

	/* Re-read avail.idx only once the cached value is used up. */
	if (s->avail_shadow == s->last_avail)
		s->avail_shadow = gm_load16_acquire(s->avail + VQ_AVAIL_IDX);
	if ((uint16_t)(s->avail_shadow - s->last_avail) > vq->size)
		return VQ_E_AVAIL_IDX;
	if (s->avail_shadow == s->last_avail)
		return VQ_EMPTY;
	head = gm_load16(s->avail + VQ_AVAIL_RING(s->last_avail & vq->mask));
	if (head >= vq->size)
		return VQ_E_HEAD_RANGE;

	c->t.head = head;
	c->n_out = c->n_in = 0;
	c->out_len = c->in_len = 0;
	c->ndesc = 1;
	c->indirect = false;
	r = walk_chain(vq, head, c);
	s->last_avail++;
	if (s->given_back)
		s->given_back--;
	update_avail_event(vq);
	return r;
}

/*
 * The given-back slots stay looked at: a device that unpops because the
 * driver posted too few buffers must next hear of new ones, not of these.
 */
static void split_unpop(struct virtqueue *vq, uint16_t n)
{
	struct vq_split *s = &vq->split;

	s->last_avail -= n;
	s->given_back += n;
	update_avail_event(vq);
}

static void split_write_used(struct virtqueue *vq, uint16_t id, uint32_t len, uint16_t nbufs)
{
	struct vq_split *s = &vq->split;
	uint16_t slot = s->used_idx & vq->mask;
	uint8_t *e = s->used + VQ_USED_RING(slot);
	uint64_t line = (vq->used_gpa + VQ_USED_RING(slot)) >> CACHE_LINE_SHIFT;

	gm_store32(e, id);
	gm_store32(e + 4, len);
	s->used_idx += nbufs;
	VQ_STAT_ADD(vq->stats.used_entries, 1);
	/* Entries of one flush are consecutive, so comparing with the previous line counts each
	 * once. */
	if (line != s->last_line) {
		VQ_STAT_ADD(vq->stats.used_lines, 1);
		s->last_line = line;
		if (line == (vq->used_gpa + VQ_USED_IDX) >> CACHE_LINE_SHIFT)
			s->idx_line_written = true;
	}
}

static bool split_flush(struct virtqueue *vq)
{
	struct vq_split *s = &vq->split;
	uint16_t old = s->used_published, new = s->used_idx;
	bool notify;

	if (old == new)
		return false;
	/* Release: entries and the data the device wrote are visible before the index. */
	gm_store16_release(s->used + VQ_USED_IDX, new);
	s->used_published = new;
	VQ_STAT_ADD(vq->stats.idx_stores, 1);
	if (!s->idx_line_written)
		VQ_STAT_ADD(vq->stats.used_lines, 1);
	s->idx_line_written = false;
	s->last_line = UINT64_MAX;

	/* The index passed the last signalled value: it no longer says anything (wrap). */
	if ((int16_t)(new - s->signalled_used) < (int)(uint16_t)(new - old))
		s->signalled_used_valid = false;

	/* Our used.idx store must be visible before we read what the driver asked for. */
	gm_fence_full();
	if (vq->event_idx) {
		uint16_t event = gm_load16(s->avail + VQ_USED_EVENT(vq->size));

		notify =
			!s->signalled_used_valid || vring_need_event(event, new, s->signalled_used);
		s->signalled_used = new;
		s->signalled_used_valid = true;
	} else {
		notify = !(gm_load16(s->avail + VQ_AVAIL_FLAGS) & VRING_AVAIL_F_NO_INTERRUPT);
	}
	return notify;
}

static void split_set_notify(struct virtqueue *vq, bool enable)
{
	struct vq_split *s = &vq->split;

	s->notify_enabled = enable;
	if (vq->event_idx)
		update_avail_event(vq);
	else
		gm_store16(s->used + VQ_USED_FLAGS, enable ? 0 : VRING_USED_F_NO_NOTIFY);
}

static void split_quiet(struct virtqueue *vq)
{
	struct vq_split *s = &vq->split;

	s->notify_enabled = false;
	if (vq->event_idx)
		gm_store16(s->used + VQ_AVAIL_EVENT(vq->size), (uint16_t)(s->last_avail - 1));
	else
		gm_store16(s->used + VQ_USED_FLAGS, VRING_USED_F_NO_NOTIFY);
}

static uint16_t split_avail_count(struct virtqueue *vq)
{
	struct vq_split *s = &vq->split;
	uint16_t n;

	s->avail_shadow = gm_load16_acquire(s->avail + VQ_AVAIL_IDX);
	/* Beyond the slots already looked at; a driver that moves avail.idx back has none. */
	n = (uint16_t)(s->avail_shadow - s->last_avail);
	return n > s->given_back ? (uint16_t)(n - s->given_back) : 0;
}

const struct vq_ops vq_split_ops = {
	.enable = split_enable,
	.pop = split_pop,
	.unpop = split_unpop,
	.write_used = split_write_used,
	.flush = split_flush,
	.set_notify = split_set_notify,
	.quiet = split_quiet,
	.avail_count = split_avail_count,
};
