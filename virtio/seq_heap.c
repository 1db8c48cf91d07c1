// SPDX-License-Identifier: MIT
#include "virtio/seq_heap.h"

#include <errno.h>
#include <stdlib.h>

int seq_heap_init(struct seq_heap *h, uint32_t cap)
{
	h->nr = 0;
	h->cap = cap;
	h->ent = NULL;
	if (!cap)
		return 0;
	h->ent = calloc(cap, sizeof(*h->ent));
	if (!h->ent) {
		h->cap = 0;
		return -ENOMEM;
	}
	return 0;
}

void seq_heap_free(struct seq_heap *h)
{
	free(h->ent);
	h->ent = NULL;
	h->nr = h->cap = 0;
}

int seq_heap_push(struct seq_heap *h, struct seq_heap_ent e)
{
	uint32_t i;

	if (h->nr == h->cap)
		return -ENOSPC;
	/* Sift up: move the hole towards the root instead of swapping. */
	for (i = h->nr++; i > 0; i = (i - 1) / 2) {
		uint32_t parent = (i - 1) / 2;

		if (h->ent[parent].seq <= e.seq)
			break;
		h->ent[i] = h->ent[parent];
	}
	h->ent[i] = e;
	return 0;
}

bool seq_heap_pop(struct seq_heap *h, struct seq_heap_ent *out)
{
	struct seq_heap_ent last;
	uint32_t i = 0;

	if (!h->nr)
		return false;
	*out = h->ent[0];
	last = h->ent[--h->nr];
	/* Sift the former last entry down from the root. */
	for (;;) {
		uint32_t c = 2 * i + 1;

		if (c >= h->nr)
			break;
		if (c + 1 < h->nr && h->ent[c + 1].seq < h->ent[c].seq)
			c++;
		if (last.seq <= h->ent[c].seq)
			break;
		h->ent[i] = h->ent[c];
		i = c;
	}
	h->ent[i] = last;
	return true;
}
