/* SPDX-License-Identifier: MIT */
/*
 * Min-heap of finished completions keyed by 64-bit sequence number: the
 * reorder buffer of the in-order publisher. Capacity is fixed when the
 * queue is enabled; push, peek and pop never allocate.
 */
#ifndef MINIVMM_VIRTIO_SEQ_HEAP_H
#define MINIVMM_VIRTIO_SEQ_HEAP_H

#include <stdbool.h>
#include <stdint.h>

struct seq_heap_ent {
	uint64_t seq;
	uint32_t len;  /* bytes the device wrote */
	uint16_t head; /* descriptor head / buffer id */
};

struct seq_heap {
	struct seq_heap_ent *ent;
	uint32_t nr;
	uint32_t cap;
};

/* Returns 0 or -ENOMEM. cap 0 is allowed (an empty, full heap). */
int seq_heap_init(struct seq_heap *h, uint32_t cap);
void seq_heap_free(struct seq_heap *h);

static inline void seq_heap_clear(struct seq_heap *h)
{
	h->nr = 0;
}

static inline bool seq_heap_empty(const struct seq_heap *h)
{
	return h->nr == 0;
}

/* Smallest entry; only valid when the heap is not empty. */
static inline const struct seq_heap_ent *seq_heap_min(const struct seq_heap *h)
{
	return &h->ent[0];
}

/* Returns 0, or -ENOSPC when full (the caller's bound was broken). */
int seq_heap_push(struct seq_heap *h, struct seq_heap_ent e);

/* Removes the smallest entry into *out; returns false when empty. */
bool seq_heap_pop(struct seq_heap *h, struct seq_heap_ent *out);

#endif
