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
 * Capacity is fixed at init; push and pop never allocate. They are inline:
 * the publisher calls them once per early completion, and a call there
 * cost about 5 % of its instructions (callgrind, tests/bench/ring.sh).
 */
#ifndef MINIVMM_VIRTIO_SEQ_HEAP_H
#define MINIVMM_VIRTIO_SEQ_HEAP_H

#include <errno.h>
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
static inline int seq_heap_push(struct seq_heap *h, uint32_t key)
{
	uint32_t i;

	if (h->nr == h->cap)
		return -ENOSPC;
	if (!h->nr || seq_before(h->max, key))
		h->max = key;
	/* Sift up: move the hole towards the root instead of swapping. */
	for (i = h->nr++; i > 0; i = (i - 1) / SEQ_HEAP_ARITY) {
		uint32_t parent = (i - 1) / SEQ_HEAP_ARITY;

		if (!seq_before(key, h->key[parent]))
			break;
		h->key[i] = h->key[parent];
	}
	h->key[i] = key;
	return 0;
}

/* pop compares a node's children as two pairs behind three sentinels. */
_Static_assert(SEQ_HEAP_ARITY == 4, "seq_heap_pop is written for four children a node");

/* Removes the smallest key; the heap must not be empty. */
static inline void seq_heap_pop(struct seq_heap *h)
{
	uint32_t *k = h->key;
	uint32_t n = --h->nr, last = k[n], i = 0, c;

	/*
	 * Bottom-up: walk the hole from the root to a leaf along the smallest
	 * child, then sift the former last key up from there. It came from the
	 * bottom, so it rarely climbs: cheaper than comparing it against the
	 * children at every level on the way down. Four children a node halve
	 * the levels of a binary heap; the four keys share a cache line or two
	 * and are compared as two independent pairs, so a level costs little more
	 * than a binary one. The slots after the last key get one that sorts after
	 * every key in the heap, so a short last family needs no bounds check, and
	 * the choice of child is arithmetic, not a branch that random keys
	 * mispredict.
	 */
	k[n] = k[n + 1] = k[n + 2] = h->max + 1;
	while ((c = SEQ_HEAP_ARITY * i + 1) < n) {
		uint32_t a = c + seq_before(k[c + 1], k[c]);
		uint32_t b = c + 2 + seq_before(k[c + 3], k[c + 2]);

		c = seq_before(k[b], k[a]) ? b : a;
		k[i] = k[c];
		i = c;
	}
	while (i > 0) {
		uint32_t parent = (i - 1) / SEQ_HEAP_ARITY;

		if (!seq_before(last, k[parent]))
			break;
		k[i] = k[parent];
		i = parent;
	}
	k[i] = last;
}

#endif
