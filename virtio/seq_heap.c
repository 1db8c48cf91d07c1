// SPDX-License-Identifier: MIT
#include "virtio/seq_heap.h"

#include <errno.h>
#include <stdlib.h>

int seq_heap_init(struct seq_heap *h, uint32_t cap)
{
	h->nr = 0;
	h->cap = cap;
	h->key = NULL;
	if (!cap)
		return 0;
	/* Three slots more: pop puts sentinels after the last key. */
	h->key = calloc((size_t)cap + SEQ_HEAP_ARITY - 1, sizeof(*h->key));
	if (!h->key) {
		h->cap = 0;
		return -ENOMEM;
	}
	return 0;
}

void seq_heap_free(struct seq_heap *h)
{
	free(h->key);
	h->key = NULL;
	h->nr = h->cap = 0;
}

int seq_heap_push(struct seq_heap *h, uint32_t key)
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

void seq_heap_pop(struct seq_heap *h)
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
