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
	/* One slot more: pop puts a sentinel after the last key. */
	h->key = calloc((size_t)cap + 1, sizeof(*h->key));
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
	for (i = h->nr++; i > 0; i = (i - 1) / 2) {
		uint32_t parent = (i - 1) / 2;

		if (!seq_before(key, h->key[parent]))
			break;
		h->key[i] = h->key[parent];
	}
	h->key[i] = key;
	return 0;
}

void seq_heap_pop(struct seq_heap *h)
{
	uint32_t *k = h->key;
	uint32_t n = --h->nr, last = k[n], i = 0, c;

	/*
	 * Bottom-up: walk the hole from the root to a leaf along the smaller
	 * child (one comparison per level), then sift the former last key up
	 * from there. It came from the bottom, so it rarely climbs: cheaper
	 * than comparing it against both children at every level on the way
	 * down. The slot after the last key gets one that sorts after every key
	 * in the heap, so a lone last child needs no bounds check, and the
	 * choice of child is arithmetic, not a branch that random keys
	 * mispredict half of the time.
	 */
	k[n] = h->max + 1;
	while ((c = 2 * i + 1) < n) {
		c += seq_before(k[c + 1], k[c]);
		k[i] = k[c];
		i = c;
	}
	while (i > 0) {
		uint32_t parent = (i - 1) / 2;

		if (!seq_before(last, k[parent]))
			break;
		k[i] = k[parent];
		i = parent;
	}
	k[i] = last;
}
