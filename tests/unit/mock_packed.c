// SPDX-License-Identifier: MIT
#include "tests/unit/mock_packed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE	4096ULL
#define F_AVAIL (1U << VRING_PACKED_DESC_F_AVAIL)
#define F_USED	(1U << VRING_PACKED_DESC_F_USED)

static uint64_t page_up(uint64_t x)
{
	return (x + PAGE - 1) & ~(PAGE - 1);
}

static void *host(const struct mock_packed *m, uint64_t gpa)
{
	return m->ram + (gpa - m->ram_gpa);
}

static bool wrap_of(const struct mock_packed *m, uint16_t pos)
{
	return !(pos & m->size);
}

uint16_t mpk_avail_bits(const struct mock_packed *m, uint16_t pos)
{
	return wrap_of(m, pos) ? F_AVAIL : F_USED;
}

int mpk_init(struct mock_packed *m, uint16_t size, uint64_t features, uint64_t ram_gpa,
	     uint32_t ids_seed)
{
	uint64_t off = 0;
	uint16_t i;

	memset(m, 0, sizeof(*m));
	if (!size || (size & (size - 1)))
		return -1;
	m->size = size;
	m->features = features;
	m->in_order = features & (1ULL << VIRTIO_F_IN_ORDER);
	m->event_idx = features & (1ULL << VIRTIO_RING_F_EVENT_IDX);
	m->ram_gpa = ram_gpa;
	m->desc_gpa = ram_gpa;
	off = page_up(vq_desc_bytes(size));
	/* Both event areas in one page, 4-byte aligned as the spec asks. */
	m->driver_gpa = ram_gpa + off;
	m->device_gpa = ram_gpa + off + 64;
	off += PAGE;
	m->indirect_gpa = ram_gpa + off;
	off = page_up(off + (uint64_t)size * MOCK_MAX_SEGS * 16);
	m->data_gpa = ram_gpa + off;
	off = page_up(off + (uint64_t)size * MOCK_MAX_SEGS * MOCK_SEG_BYTES);
	m->ram_size = off;

	m->ram = aligned_alloc(PAGE, m->ram_size);
	m->free_ids = calloc(size, sizeof(*m->free_ids));
	m->bufs = calloc(size, sizeof(*m->bufs));
	m->fifo = calloc(size, sizeof(*m->fifo));
	if (!m->ram || !m->free_ids || !m->bufs || !m->fifo) {
		mpk_free(m);
		return -1;
	}
	memset(m->ram, 0, m->ram_size);
	gm_init(&m->gm);
	if (gm_add_region(&m->gm, ram_gpa, m->ram_size, m->ram)) {
		mpk_free(m);
		return -1;
	}
	m->desc = host(m, m->desc_gpa);
	m->driver = host(m, m->driver_gpa);
	m->device = host(m, m->device_gpa);
	/* A stack: the last entry is handed out first, so id 0 comes first unshuffled. */
	for (i = 0; i < size; i++)
		m->free_ids[i] = (uint16_t)(size - 1 - i);
	if (ids_seed) {
		uint64_t r = ids_seed;

		for (i = size - 1; i > 0; i--) {
			uint16_t j, t;

			r = r * 6364136223846793005ULL + 1442695040888963407ULL;
			j = (uint16_t)((r >> 33) % (i + 1u));
			t = m->free_ids[i];
			m->free_ids[i] = m->free_ids[j];
			m->free_ids[j] = t;
		}
	}
	m->nfree_ids = size;
	m->num_free = size;
	m->batch_id = size;
	/* The driver's wrap counters start at 1: position 0 is in lap "1". */
	return 0;
}

void mpk_free(struct mock_packed *m)
{
	free(m->ram);
	free(m->free_ids);
	free(m->bufs);
	free(m->fifo);
	memset(m, 0, sizeof(*m));
}

int mpk_attach(struct mock_packed *m, struct virtqueue *vq)
{
	vq_init(vq, m->size);
	vq->size = m->size;
	vq->desc_gpa = m->desc_gpa;
	vq->avail_gpa = m->driver_gpa;
	vq->used_gpa = m->device_gpa;
	return vq_enable(vq, &m->gm, m->features | (1ULL << VIRTIO_F_RING_PACKED));
}

uint64_t mpk_seg_gpa(const struct mock_packed *m, uint16_t id, unsigned int k)
{
	return m->data_gpa + ((uint64_t)id * MOCK_MAX_SEGS + k) * MOCK_SEG_BYTES;
}

/* addr, len and id; the flags, which make it available, separately. */
static void put_body(uint8_t *d, uint64_t addr, uint32_t len, uint16_t id)
{
	uint64_t a = htole64(addr);
	uint32_t l = htole32(len);
	uint16_t i = htole16(id);

	memcpy(d, &a, 8);
	memcpy(d + 8, &l, 4);
	memcpy(d + 12, &i, 2);
}

void mpk_write_desc(struct mock_packed *m, uint16_t slot, uint64_t addr, uint32_t len, uint16_t id,
		    uint16_t flags)
{
	uint8_t *d = m->desc + 16 * (uint32_t)(slot & (m->size - 1));

	put_body(d, addr, len, id);
	gm_store16_release(d + VQ_PDESC_FLAGS, flags);
}

void mpk_write_indirect(struct mock_packed *m, uint64_t table_gpa, uint16_t i, uint64_t addr,
			uint32_t len, uint16_t flags)
{
	uint8_t *d = (uint8_t *)host(m, table_gpa) + 16 * (uint32_t)i;
	uint16_t f = htole16(flags);

	put_body(d, addr, len, 0);
	memcpy(d + 14, &f, 2);
}

int mpk_add(struct mock_packed *m, const uint32_t *out, unsigned int nout, const uint32_t *in,
	    unsigned int nin, bool indirect, uint64_t cookie)
{
	unsigned int nseg = nout + nin, k;
	uint16_t descs = indirect ? 1 : (uint16_t)nseg, id, first_flags = 0;
	uint16_t pos = m->next_avail;
	uint32_t in_len = 0;
	uint64_t table;

	if (!nseg || nseg > MOCK_MAX_SEGS || m->num_free < descs || !m->nfree_ids)
		return -1;
	id = m->free_ids[--m->nfree_ids];
	table = m->indirect_gpa + (uint64_t)id * MOCK_MAX_SEGS * 16;
	for (k = 0; k < nseg; k++) {
		uint32_t len = k < nout ? out[k] : in[k - nout];
		uint16_t wr = k < nout ? 0 : VRING_DESC_F_WRITE;
		uint16_t p = (uint16_t)(pos + k), flags;
		uint8_t *d;

		if (k >= nout)
			in_len += len;
		if (indirect) {
			mpk_write_indirect(m, table, (uint16_t)k, mpk_seg_gpa(m, id, k), len, wr);
			continue;
		}
		flags = (uint16_t)(wr | (k + 1 < nseg ? VRING_DESC_F_NEXT : 0) |
				   mpk_avail_bits(m, p));
		d = m->desc + 16 * (uint32_t)(p & (m->size - 1));
		/* The id belongs in the last descriptor; the others get a wrong one. */
		put_body(d, mpk_seg_gpa(m, id, k), len, k + 1 < nseg ? (uint16_t)~id : id);
		if (k)
			gm_store16(d + VQ_PDESC_FLAGS, flags);
		else
			first_flags = flags;
	}
	if (indirect) {
		put_body(m->desc + 16 * (uint32_t)(pos & (m->size - 1)), table, nseg * 16, id);
		first_flags = (uint16_t)(VRING_DESC_F_INDIRECT | mpk_avail_bits(m, pos));
	}
	/* The first flags last, with release: the whole chain becomes available at once. */
	gm_store16_release(m->desc + 16 * (uint32_t)(pos & (m->size - 1)) + VQ_PDESC_FLAGS,
			   first_flags);
	m->next_avail = (uint16_t)(pos + descs);
	m->num_free -= descs;
	m->bufs[id] =
		(struct mock_buf){.cookie = cookie, .in_len = in_len, .ndesc = descs, .busy = true};
	m->fifo[m->fifo_tail++ & (m->size - 1)] = id;
	return id;
}

int mpk_add_simple(struct mock_packed *m, uint32_t out, uint32_t in, bool indirect, uint64_t cookie)
{
	return mpk_add(m, &out, out ? 1 : 0, &in, in ? 1 : 0, indirect, cookie);
}

static int bad_ring(struct mock_packed *m, const char *what, uint32_t v)
{
	m->broken = true;
	snprintf(m->why, sizeof(m->why), "%s (%u) at last_used %u", what, v, m->last_used);
	return -1;
}

void mpk_used_desc(const struct mock_packed *m, uint16_t slot, uint16_t *id, uint32_t *len,
		   uint16_t *flags)
{
	const uint8_t *d = m->desc + 16 * (uint32_t)(slot & (m->size - 1));

	*flags = gm_load16_acquire(d + VQ_PDESC_FLAGS);
	*id = gm_load16(d + VQ_PDESC_ID);
	*len = gm_load32(d + VQ_PDESC_LEN);
}

static uint16_t off_wrap(const struct mock_packed *m, uint16_t pos)
{
	return (uint16_t)((pos & (m->size - 1)) |
			  (wrap_of(m, pos) ? 1U << VRING_PACKED_EVENT_F_WRAP_CTR : 0));
}

void mpk_disable_cb(struct mock_packed *m)
{
	gm_store16(m->driver + VQ_PEVENT_FLAGS, VRING_PACKED_EVENT_FLAG_DISABLE);
}

void mpk_enable_cb_at(struct mock_packed *m, uint16_t pos)
{
	gm_store16(m->driver + VQ_PEVENT_OFF_WRAP, off_wrap(m, pos));
	gm_store16_release(m->driver + VQ_PEVENT_FLAGS, VRING_PACKED_EVENT_FLAG_DESC);
	gm_fence_full();
}

void mpk_enable_cb(struct mock_packed *m)
{
	if (m->event_idx) {
		mpk_enable_cb_at(m, m->last_used);
		return;
	}
	gm_store16(m->driver + VQ_PEVENT_FLAGS, VRING_PACKED_EVENT_FLAG_ENABLE);
	gm_fence_full();
}

uint32_t mpk_device_event(const struct mock_packed *m)
{
	return gm_load32(m->device);
}

bool mpk_kick_needed(const struct mock_packed *m, uint16_t old, uint16_t new)
{
	uint32_t ev = mpk_device_event(m), mask = 2 * (uint32_t)m->size - 1, e;
	uint16_t flags = (uint16_t)(ev >> 16);

	if (flags != VRING_PACKED_EVENT_FLAG_DESC)
		return flags != VRING_PACKED_EVENT_FLAG_DISABLE;
	/* The event's slot, in the lap its wrap counter names, modulo 2 * size. */
	e = (ev & 0x7fff) + ((ev >> VRING_PACKED_EVENT_F_WRAP_CTR) & 1 ? 0 : m->size);
	return ((new - e - 1) & mask) < ((uint32_t)(uint16_t)(new - old) & mask);
}

static void release(struct mock_packed *m, uint16_t id)
{
	struct mock_buf *b = &m->bufs[id];

	m->last_used = (uint16_t)(m->last_used + b->ndesc);
	m->num_free += b->ndesc;
	m->free_ids[m->nfree_ids++] = id;
	b->busy = false;
	/* As Linux with EVENT_IDX: ask for the next interrupt at the next used slot. */
	if (gm_load16(m->driver + VQ_PEVENT_FLAGS) == VRING_PACKED_EVENT_FLAG_DESC)
		mpk_enable_cb_at(m, m->last_used);
}

int mpk_get(struct mock_packed *m, uint64_t *cookie, uint32_t *len)
{
	uint16_t id, flags, mask = m->size - 1;
	uint32_t l;

	if (m->broken)
		return -1;
	if (!(m->in_order && m->batch_id != m->size)) {
		bool w = wrap_of(m, m->last_used);

		mpk_used_desc(m, m->last_used, &id, &l, &flags);
		if (!!(flags & F_AVAIL) != w || !!(flags & F_USED) != w)
			return 0;
		if (!mpk_outstanding(m))
			return bad_ring(m, "used descriptor but none outstanding", id);
		if (id >= m->size)
			return bad_ring(m, "id out of range", id);
		m->batch_id = id;
		m->batch_len = l;
	}
	if (m->in_order) {
		/* The next buffer in avail order; the batch ends at the used id. */
		if (!mpk_outstanding(m))
			return bad_ring(m, "batch runs past the buffers outstanding", m->batch_id);
		id = m->fifo[m->fifo_head & mask];
		if (m->batch_id == id) {
			*len = m->batch_len;
			m->batch_id = m->size;
		} else {
			*len = m->bufs[id].in_len;
		}
	} else {
		id = (uint16_t)m->batch_id;
		*len = m->batch_len;
		m->batch_id = m->size;
	}
	if (!m->bufs[id].busy)
		return bad_ring(m, "id not in flight", id);
	if (*len > m->bufs[id].in_len)
		return bad_ring(m, "used len above the writable length", *len);
	*cookie = m->bufs[id].cookie;
	/* Without IN_ORDER the fifo only counts: any buffer may come back. */
	m->fifo_head++;
	release(m, id);
	return 1;
}
