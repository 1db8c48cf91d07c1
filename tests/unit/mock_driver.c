// SPDX-License-Identifier: MIT
#include "tests/unit/mock_driver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE 4096ULL

static uint64_t page_up(uint64_t x)
{
	return (x + PAGE - 1) & ~(PAGE - 1);
}

static void *host(const struct mock_driver *md, uint64_t gpa)
{
	return md->ram + (gpa - md->ram_gpa);
}

int mock_init(struct mock_driver *md, uint16_t size, uint64_t features, uint64_t ram_gpa)
{
	uint64_t off;
	uint16_t i;

	memset(md, 0, sizeof(*md));
	if (!size || (size & (size - 1)))
		return -1;
	md->size = size;
	md->features = features;
	md->in_order = features & (1ULL << VIRTIO_F_IN_ORDER);
	md->event_idx = features & (1ULL << VIRTIO_RING_F_EVENT_IDX);
	md->ram_gpa = ram_gpa;

	off = 0;
	md->desc_gpa = ram_gpa + off;
	off = page_up(off + vq_desc_bytes(size));
	md->avail_gpa = ram_gpa + off;
	off = page_up(off + vq_avail_bytes(size, true));
	md->used_gpa = ram_gpa + off;
	off = page_up(off + vq_used_bytes(size, true));
	md->indirect_gpa = ram_gpa + off;
	off = page_up(off + (uint64_t)size * MOCK_MAX_SEGS * 16);
	md->data_gpa = ram_gpa + off;
	off = page_up(off + (uint64_t)size * MOCK_MAX_SEGS * MOCK_SEG_BYTES);
	md->ram_size = off;

	md->ram = aligned_alloc(PAGE, md->ram_size);
	md->next_free = calloc(size, sizeof(*md->next_free));
	md->bufs = calloc(size, sizeof(*md->bufs));
	md->fifo = calloc(size, sizeof(*md->fifo));
	if (!md->ram || !md->next_free || !md->bufs || !md->fifo) {
		mock_free(md);
		return -1;
	}
	memset(md->ram, 0, md->ram_size);
	gm_init(&md->gm);
	if (gm_add_region(&md->gm, ram_gpa, md->ram_size, md->ram)) {
		mock_free(md);
		return -1;
	}
	md->desc = host(md, md->desc_gpa);
	md->avail = host(md, md->avail_gpa);
	md->used = host(md, md->used_gpa);
	for (i = 0; i < size; i++)
		md->next_free[i] = (uint16_t)((i + 1) & (size - 1));
	md->num_free = size;
	md->batch_id = size;
	md->last_line = UINT32_MAX;
	return 0;
}

void mock_free(struct mock_driver *md)
{
	free(md->ram);
	free(md->next_free);
	free(md->bufs);
	free(md->fifo);
	memset(md, 0, sizeof(*md));
}

int mock_attach(struct mock_driver *md, struct virtqueue *vq, uint16_t num_max)
{
	vq_init(vq, num_max ? num_max : md->size);
	vq->size = md->size;
	vq->desc_gpa = md->desc_gpa;
	vq->avail_gpa = md->avail_gpa;
	vq->used_gpa = md->used_gpa;
	return vq_enable(vq, &md->gm, md->features);
}

uint64_t mock_seg_gpa(const struct mock_driver *md, uint16_t head, unsigned int k)
{
	return md->data_gpa + ((uint64_t)head * MOCK_MAX_SEGS + k) * MOCK_SEG_BYTES;
}

static void put_desc(uint8_t *table, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
		     uint16_t next)
{
	struct vq_desc d = {
		.addr = htole64(addr),
		.len = htole32(len),
		.flags = htole16(flags),
		.next = htole16(next),
	};

	memcpy(table + 16 * (uint32_t)i, &d, sizeof(d));
}

void mock_write_desc(struct mock_driver *md, uint16_t i, uint64_t addr, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	put_desc(md->desc, i, addr, len, flags, next);
}

void mock_write_indirect(struct mock_driver *md, uint64_t table_gpa, uint16_t i, uint64_t addr,
			 uint32_t len, uint16_t flags, uint16_t next)
{
	put_desc(host(md, table_gpa), i, addr, len, flags, next);
}

void mock_set_avail_idx(struct mock_driver *md, uint16_t idx)
{
	md->avail_idx = idx;
	/* Like virtio_wmb() before the avail.idx store in virtqueue_kick_prepare. */
	gm_store16_release(md->avail + VQ_AVAIL_IDX, idx);
}

void mock_push_avail(struct mock_driver *md, uint16_t head)
{
	gm_store16(md->avail + VQ_AVAIL_RING(md->avail_idx & (md->size - 1)), head);
	mock_set_avail_idx(md, md->avail_idx + 1);
}

void mock_set_avail_flags(struct mock_driver *md, uint16_t flags)
{
	gm_store16(md->avail + VQ_AVAIL_FLAGS, flags);
}

void mock_set_used_event(struct mock_driver *md, uint16_t v)
{
	gm_store16(md->avail + VQ_USED_EVENT(md->size), v);
	gm_fence_full();
}

uint16_t mock_used_idx(const struct mock_driver *md)
{
	return gm_load16_acquire(md->used + VQ_USED_IDX);
}

uint16_t mock_avail_event(const struct mock_driver *md)
{
	return gm_load16(md->used + VQ_AVAIL_EVENT(md->size));
}

uint16_t mock_used_flags(const struct mock_driver *md)
{
	return gm_load16(md->used + VQ_USED_FLAGS);
}

void mock_used_elem(const struct mock_driver *md, uint16_t slot, uint32_t *id, uint32_t *len)
{
	const uint8_t *e = md->used + VQ_USED_RING(slot & (md->size - 1));

	*id = gm_load32(e);
	*len = gm_load32(e + 4);
}

int mock_add(struct mock_driver *md, const uint32_t *out, unsigned int nout, const uint32_t *in,
	     unsigned int nin, bool indirect, uint64_t cookie)
{
	unsigned int nseg = nout + nin, k;
	uint16_t descs = indirect ? 1 : (uint16_t)nseg, mask = md->size - 1;
	uint16_t head = md->free_head, i = head;
	uint64_t table = md->indirect_gpa + (uint64_t)head * MOCK_MAX_SEGS * 16;
	uint32_t in_len = 0;

	if (!nseg || nseg > MOCK_MAX_SEGS || md->num_free < descs)
		return -1;
	for (k = 0; k < nseg; k++) {
		uint32_t len = k < nout ? out[k] : in[k - nout];
		uint16_t flags = (k < nout ? 0 : VRING_DESC_F_WRITE) |
				 (k + 1 < nseg ? VRING_DESC_F_NEXT : 0);

		if (k >= nout)
			in_len += len;
		if (indirect) {
			put_desc(host(md, table), (uint16_t)k, mock_seg_gpa(md, head, k), len,
				 flags, (uint16_t)(k + 1));
			continue;
		}
		/* Sequential under IN_ORDER, free-list order otherwise, as Linux. */
		uint16_t next = md->in_order ? (uint16_t)((i + 1) & mask) : md->next_free[i];

		put_desc(md->desc, i, mock_seg_gpa(md, head, k), len, flags, next);
		i = next;
	}
	if (indirect) {
		put_desc(md->desc, head, table, nseg * 16, VRING_DESC_F_INDIRECT, 0);
		i = md->in_order ? (uint16_t)((head + 1) & mask) : md->next_free[head];
	}
	md->free_head = i;
	md->num_free -= descs;
	md->bufs[head] =
		(struct mock_buf){.cookie = cookie, .in_len = in_len, .ndesc = descs, .busy = true};
	md->fifo[md->fifo_tail++ & mask] = head;
	mock_push_avail(md, head);
	return head;
}

int mock_add_simple(struct mock_driver *md, uint32_t out, uint32_t in, bool indirect,
		    uint64_t cookie)
{
	return mock_add(md, &out, out ? 1 : 0, &in, in ? 1 : 0, indirect, cookie);
}

static int bad_ring(struct mock_driver *md, const char *what, uint32_t v)
{
	md->broken = true;
	snprintf(md->why, sizeof(md->why), "%s (%u) at last_used %u", what, v, md->last_used);
	return -1;
}

static void detach(struct mock_driver *md, uint16_t head)
{
	struct mock_buf *b = &md->bufs[head];
	uint16_t last = head, k;

	if (!md->in_order) {
		/* Walk the chain's free-list links to its end and splice it back. */
		for (k = 1; k < b->ndesc; k++)
			last = md->next_free[last];
		md->next_free[last] = md->free_head;
		md->free_head = head;
	}
	md->num_free += b->ndesc;
	b->busy = false;
}

/* Linux asks for the next interrupt at the entry it will read next. */
static void update_used_event(struct mock_driver *md)
{
	if (md->event_idx && !(gm_load16(md->avail + VQ_AVAIL_FLAGS) & VRING_AVAIL_F_NO_INTERRUPT))
		mock_set_used_event(md, md->last_used);
}

/* Line 0 of the used ring holds used.idx and the first entries. */
static void read_line(struct mock_driver *md, uint32_t line)
{
	if (!line) {
		if (!md->idx_line_read)
			md->lines_read++;
		md->idx_line_read = true;
	} else if (line != md->last_line) {
		md->lines_read++;
		md->last_line = line;
	}
}

/*
 * As Linux's more_used_split(): used.idx is loaded every time the driver
 * looks for a new entry, never cached, so the load count is Linux's.
 */
static bool more_used(struct mock_driver *md)
{
	md->used_seen = mock_used_idx(md);
	md->idx_loads++;
	read_line(md, 0);
	if (md->last_used != md->used_seen)
		return true;
	/* Nothing left: the pass ends, the next one reads every line afresh. */
	md->idx_line_read = false;
	md->last_line = UINT32_MAX;
	return false;
}

static void read_entry(struct mock_driver *md, uint16_t slot, uint32_t *id, uint32_t *len)
{
	uint32_t off = VQ_USED_RING(slot & (md->size - 1));

	mock_used_elem(md, slot, id, len);
	md->entries_read++;
	read_line(md, off / 64);
	read_line(md, (off + 7) / 64);
}

int mock_get(struct mock_driver *md, uint64_t *cookie, uint32_t *len)
{
	uint16_t mask = md->size - 1, head;
	uint32_t id, l;

	if (md->broken)
		return -1;
	if (md->in_order && md->batch_id != md->size) {
		/* Inside a batch: the next buffer in avail order, no ring read. */
		if (md->last_used == md->used_seen)
			return bad_ring(md, "batch entry runs past used.idx", md->batch_id);
	} else {
		if (!more_used(md))
			return 0;
		if ((uint16_t)(md->used_seen - md->last_used) > mock_outstanding(md))
			return bad_ring(md, "used.idx ahead of buffers outstanding", md->used_seen);
		read_entry(md, md->last_used, &id, &l);
		if (id >= md->size)
			return bad_ring(md, "id out of range", id);
		md->batch_id = id;
		md->batch_len = l;
	}
	if (!mock_outstanding(md))
		return bad_ring(md, "used buffer but none outstanding", md->batch_id);

	if (md->in_order) {
		head = md->fifo[md->fifo_head & mask];
		if (md->batch_id == head) {
			*len = md->batch_len;
			md->batch_id = md->size;
		} else {
			*len = md->bufs[head].in_len;
		}
	} else {
		head = (uint16_t)md->batch_id;
		*len = md->batch_len;
		md->batch_id = md->size;
	}
	if (!md->bufs[head].busy)
		return bad_ring(md, "id is not a head", head);
	*cookie = md->bufs[head].cookie;
	detach(md, head);
	md->fifo_head++;
	md->last_used++;
	update_used_event(md);
	return 1;
}
