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
	h->key = calloc(cap, sizeof(*h->key));
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
	uint32_t n = --h->nr, last = h->key[n], i = 0, c;

	/*
	 * Bottom-up: walk the hole from the root to a leaf along the smaller
	 * child (one comparison per level), then sift the former last key up
	 * from there. It came from the bottom, so it rarely climbs: cheaper
	 * than comparing it against both children at every level on the way
	 * down.
	 */
	while ((c = 2 * i + 1) < n) {
		if (c + 1 < n && seq_before(h->key[c + 1], h->key[c]))
			c++;
		h->key[i] = h->key[c];
		i = c;
	}
	while (i > 0) {
		uint32_t parent = (i - 1) / 2;

		if (!seq_before(last, h->key[parent]))
			break;
		h->key[i] = h->key[parent];
		i = parent;
	}
	h->key[i] = last;
}
