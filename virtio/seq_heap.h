/* SPDX-License-Identifier: MIT */
/*
 * Min-heap of the sequence numbers of finished completions waiting for
 * their turn: the reorder buffer of the in-order publisher. Only the key
 * moves with a sift; what a completion carries (head, length) stays in the
 * queue's in-flight table, found through the queue's seq -> head map.
 *
 * Keys are the low 32 bits of the queue's 64-bit sequence numbers, ordered
 * with wrap-around arithmetic: every key in the heap lies within one queue
 * size (at most 32768) of the next seq to publish, far less than 2^31, so
 * (int32_t)(a - b) < 0 says "a was popped before b" across the 2^32 wrap.
 * Capacity is fixed at init; push and pop never allocate.
 */
#ifndef MINIVMM_VIRTIO_SEQ_HEAP_H
#define MINIVMM_VIRTIO_SEQ_HEAP_H

#include <stdbool.h>
#include <stdint.h>

/* Children per node; seq_heap_pop is written for exactly this many. */
#define SEQ_HEAP_ARITY 4

struct seq_heap {
	uint32_t *key;
	uint32_t nr;
	uint32_t cap;
	uint32_t max; /* largest key pushed since the heap was last empty */
};

/* Returns 0 or -ENOMEM. cap 0 is allowed (an empty, full heap). */
int seq_heap_init(struct seq_heap *h, uint32_t cap);
void seq_heap_free(struct seq_heap *h);

/* a comes before b: wrap-around order, valid while |a - b| < 2^31. */
static inline bool seq_before(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static inline bool seq_heap_empty(const struct seq_heap *h)
{
	return h->nr == 0;
}

/* Smallest key; only valid when the heap is not empty. */
static inline uint32_t seq_heap_min(const struct seq_heap *h)
{
	return h->key[0];
}

/*
 * Largest key; only valid when the heap is not empty. Pops take the
 * smallest, so the largest pushed stays in until the heap empties: with
 * the minimum and the count it says whether the keys are one contiguous
 * range, which the publisher can then take without sifting.
 */
static inline uint32_t seq_heap_max(const struct seq_heap *h)
{
	return h->max;
}

/* Returns 0, or -ENOSPC when full (the caller's bound was broken). */
int seq_heap_push(struct seq_heap *h, uint32_t key);

/* Removes the smallest key; the heap must not be empty. */
void seq_heap_pop(struct seq_heap *h);

#endif
