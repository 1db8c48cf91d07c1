/* SPDX-License-Identifier: MIT */
/*
 * A guest-side packed-ring driver for tests, beside mock_driver.h (same
 * buffer layout: MOCK_MAX_SEGS segments of MOCK_SEG_BYTES each). It adds
 * chains the way Linux's virtqueue_add_packed() does (descriptors in ring
 * order from the driver's position, the first one's flags stored last with
 * release, the wrap counter flipping at the ring end), and reads used
 * descriptors back the way virtqueue_get_buf_ctx_packed() does: the used
 * descriptor at its position, whose id names the buffer, then skip that
 * buffer's slots. Under IN_ORDER one used descriptor stands for every
 * buffer up to its id in the order they were made available, the skipped
 * ones credited with their whole writable length, and the driver skips all
 * their slots. Buffer ids come from a free list and are not slot numbers.
 *
 * Stricter than the spec needs in one way, on purpose: the id is written
 * only into a chain's last descriptor (where the spec puts it) and the
 * others carry a different value, so a device reading the first would
 * fail the tests.
 */
#ifndef MINIVMM_TESTS_MOCK_PACKED_H
#define MINIVMM_TESTS_MOCK_PACKED_H

#include <stdbool.h>
#include <stdint.h>

#include "tests/unit/mock_driver.h"
#include "virtio/guest_mem.h"
#include "virtio/virtqueue.h"

struct mock_packed {
	uint8_t *ram;
	uint64_t ram_gpa, ram_size;
	struct guest_mem gm;
	uint16_t size;
	uint64_t features;
	bool in_order, event_idx;

	uint64_t desc_gpa, driver_gpa, device_gpa, indirect_gpa, data_gpa;
	uint8_t *desc, *driver, *device;

	uint16_t next_avail; /* position: slot = pos % size, wrap = !(pos & size) */
	uint16_t last_used;
	uint16_t num_free; /* slots */
	uint16_t *free_ids;
	uint16_t nfree_ids;
	struct mock_buf *bufs; /* by id */
	uint16_t *fifo;	       /* ids in avail order */
	uint32_t fifo_head, fifo_tail;
	uint32_t batch_id, batch_len; /* batch_id == size: no batch open */

	bool broken;
	char why[160];
};

/* ids_seed != 0 shuffles the free id list, so ids start out of slot order. */
int mpk_init(struct mock_packed *m, uint16_t size, uint64_t features, uint64_t ram_gpa,
	     uint32_t ids_seed);
void mpk_free(struct mock_packed *m);
/* vq_init(vq, size), point vq at the three areas, vq_enable(). */
int mpk_attach(struct mock_packed *m, struct virtqueue *vq);

/* As mock_add(): returns the buffer id, or -1 when slots or ids run out. */
int mpk_add(struct mock_packed *m, const uint32_t *out, unsigned int nout, const uint32_t *in,
	    unsigned int nin, bool indirect, uint64_t cookie);
int mpk_add_simple(struct mock_packed *m, uint32_t out, uint32_t in, bool indirect,
		   uint64_t cookie);
/* As mock_get(): 1 with cookie and len, 0 if none, -1 if broken (why says). */
int mpk_get(struct mock_packed *m, uint64_t *cookie, uint32_t *len);

static inline uint32_t mpk_outstanding(const struct mock_packed *m)
{
	return m->fifo_tail - m->fifo_head;
}

/* Driver event suppression, as virtqueue_disable_cb/enable_cb_prepare_packed. */
void mpk_disable_cb(struct mock_packed *m);
void mpk_enable_cb(struct mock_packed *m);		    /* flags ENABLE */
void mpk_enable_cb_at(struct mock_packed *m, uint16_t pos); /* flags DESC at pos */
/* Would the driver kick after making [old, new) available? (kick_prepare_packed) */
bool mpk_kick_needed(const struct mock_packed *m, uint16_t old, uint16_t new);

/* Raw access for hostile-ring tests. */
uint64_t mpk_seg_gpa(const struct mock_packed *m, uint16_t id, unsigned int k);
void mpk_write_desc(struct mock_packed *m, uint16_t slot, uint64_t addr, uint32_t len, uint16_t id,
		    uint16_t flags);
void mpk_write_indirect(struct mock_packed *m, uint64_t table_gpa, uint16_t i, uint64_t addr,
			uint32_t len, uint16_t flags);
/* The AVAIL/USED bits that make a descriptor available at position pos. */
uint16_t mpk_avail_bits(const struct mock_packed *m, uint16_t pos);
void mpk_used_desc(const struct mock_packed *m, uint16_t slot, uint16_t *id, uint32_t *len,
		   uint16_t *flags);
uint32_t mpk_device_event(const struct mock_packed *m); /* off_wrap | flags << 16 */

#endif
