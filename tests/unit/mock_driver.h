/* SPDX-License-Identifier: MIT */
/*
 * A guest-side split-ring driver in C for tests: it lays out rings and
 * buffers in a byte buffer registered as guest RAM, adds buffers the way
 * Linux's virtqueue_add_split() does (free-list chains, or sequential
 * descriptors under IN_ORDER), and reads the used ring back the way
 * virtqueue_get_buf_ctx_split() and, under IN_ORDER,
 * virtqueue_get_buf_ctx_split_in_order() do: a used entry stands for every
 * buffer up to and including its id, the skipped ones credited with their
 * total device-writable length. It is stricter than Linux where Linux
 * trusts the device (an entry that runs past used.idx, a buffer handed back
 * twice): those mark the driver broken with a reason.
 *
 * Only libc and virtio/ are used, so this file links into every unit test
 * and into the ring benchmark (one driver thread, one device thread).
 */
#ifndef MINIVMM_TESTS_MOCK_DRIVER_H
#define MINIVMM_TESTS_MOCK_DRIVER_H

#include <stdbool.h>
#include <stdint.h>

#include "virtio/guest_mem.h"
#include "virtio/virtqueue.h"

#define MOCK_MAX_SEGS  8   /* segments per buffer */
#define MOCK_SEG_BYTES 512 /* bytes of guest RAM behind each segment */

struct mock_buf {
	uint64_t cookie;
	uint32_t in_len; /* total device-writable length */
	uint16_t ndesc;	 /* descriptors it holds in the table */
	bool busy;
};

struct mock_driver {
	uint8_t *ram;
	uint64_t ram_gpa, ram_size;
	struct guest_mem gm;
	uint16_t size;
	uint64_t features;
	bool in_order, event_idx;

	uint64_t desc_gpa, avail_gpa, used_gpa, indirect_gpa, data_gpa;
	uint8_t *desc, *avail, *used;

	uint16_t avail_idx; /* shadow of avail.idx */
	uint16_t last_used;
	uint16_t used_seen; /* used.idx as last read */
	uint16_t free_head, num_free;
	uint16_t *next_free;   /* free list links (without IN_ORDER) */
	struct mock_buf *bufs; /* by head */
	uint16_t *fifo;	       /* heads in avail order */
	uint32_t fifo_head, fifo_tail;
	uint32_t batch_id, batch_len; /* batch_id == size: no batch open */

	/*
	 * What reaping cost, for the ring benchmark's driver side. A pass is
	 * the reads from one look at the ring until used.idx says nothing is
	 * left; a cache line is counted once per pass, which is what a driver
	 * pays when the device wrote it between two passes.
	 */
	uint64_t idx_loads;    /* used.idx loads */
	uint64_t entries_read; /* used-ring entries read */
	uint64_t lines_read;   /* used-ring cache lines read (used.idx's included) */
	uint32_t last_line;
	bool idx_line_read;

	bool broken;
	char why[160];
};

/*
 * Lay out a queue of size (power of two) negotiated with features in a fresh
 * RAM buffer at ram_gpa. Returns 0 or -1.
 */
int mock_init(struct mock_driver *md, uint16_t size, uint64_t features, uint64_t ram_gpa);
void mock_free(struct mock_driver *md);

/* vq_init(vq, num_max) (0: size), point vq at the rings, vq_enable(). */
int mock_attach(struct mock_driver *md, struct virtqueue *vq, uint16_t num_max);

/*
 * Add a buffer of nout readable then nin writable segments (each <=
 * MOCK_SEG_BYTES, nout + nin in 1..MOCK_MAX_SEGS), as one indirect
 * descriptor if indirect. Makes it available at once. Returns the head or
 * -1 when there are not enough free descriptors.
 */
int mock_add(struct mock_driver *md, const uint32_t *out, unsigned int nout, const uint32_t *in,
	     unsigned int nin, bool indirect, uint64_t cookie);

/* Convenience: one readable segment of out bytes, one writable of in bytes (0: none). */
int mock_add_simple(struct mock_driver *md, uint32_t out, uint32_t in, bool indirect,
		    uint64_t cookie);

/* Take back one used buffer: 1 with cookie and len filled in, 0 if none, -1 if broken. */
int mock_get(struct mock_driver *md, uint64_t *cookie, uint32_t *len);

/* Buffers added and not yet taken back. */
static inline uint32_t mock_outstanding(const struct mock_driver *md)
{
	return md->fifo_tail - md->fifo_head;
}

/* Raw access for hostile-ring tests. */
uint64_t mock_seg_gpa(const struct mock_driver *md, uint16_t head, unsigned int k);
void mock_write_desc(struct mock_driver *md, uint16_t i, uint64_t addr, uint32_t len,
		     uint16_t flags, uint16_t next);
void mock_write_indirect(struct mock_driver *md, uint64_t table_gpa, uint16_t i, uint64_t addr,
			 uint32_t len, uint16_t flags, uint16_t next);
/* Put head at avail->ring[avail_idx % size] and publish avail_idx + 1. */
void mock_push_avail(struct mock_driver *md, uint16_t head);
void mock_set_avail_idx(struct mock_driver *md, uint16_t idx);
void mock_set_avail_flags(struct mock_driver *md, uint16_t flags);
void mock_set_used_event(struct mock_driver *md, uint16_t v);
uint16_t mock_used_idx(const struct mock_driver *md);
uint16_t mock_avail_event(const struct mock_driver *md);
uint16_t mock_used_flags(const struct mock_driver *md);
void mock_used_elem(const struct mock_driver *md, uint16_t slot, uint32_t *id, uint32_t *len);

#endif
