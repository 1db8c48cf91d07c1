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
