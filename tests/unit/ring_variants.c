// SPDX-License-Identifier: MIT
#include "tests/unit/ring_variants.h"

#include <string.h>

const char *const rv_name[RV_COUNT] = {"a unordered", "b heap+batch", "c heap", "d hash",
				       "e array"};

uint64_t rv_driver_features(enum ring_variant v)
{
	uint64_t f = 1ULL << VIRTIO_F_VERSION_1;

	return v == RV_UNORDERED ? f : f | (1ULL << VIRTIO_F_IN_ORDER);
}

uint64_t rv_device_features(enum ring_variant v)
{
	return v == RV_HASH || v == RV_ARRAY ? 1ULL << VIRTIO_F_VERSION_1 : rv_driver_features(v);
}

void rv_attach(struct rv_state *s, enum ring_variant v, struct virtqueue *vq)
{
	memset(s, 0, sizeof(*s));
	s->v = v;
	s->vq = vq;
	s->mask = vq->size - 1u;
	/* Batching is the queue's default under IN_ORDER; c is the same heap without it. */
	vq->batching = v != RV_HEAP;
}

/* Open-addressing hash keyed by seq, linear probing, backward-shift delete. */
#define HMASK (2 * RV_QMAX - 1)

static uint32_t hash_of(uint64_t seq)
{
	return (uint32_t)((seq * 0x9E3779B97F4A7C15ULL) >> 55) & HMASK;
}

static void hash_put(struct rv_state *s, const struct rv_done *d)
{
	uint32_t i = hash_of(d->t.seq);

	while (s->slot[i].valid)
		i = (i + 1) & HMASK;
	s->slot[i] = *d;
	s->key[i] = d->t.seq;
}

static bool hash_take(struct rv_state *s, uint64_t seq, struct rv_done *out)
{
	uint32_t i = hash_of(seq), j;

	while (s->slot[i].valid && s->key[i] != seq)
		i = (i + 1) & HMASK;
	if (!s->slot[i].valid)
		return false;
	*out = s->slot[i];
	s->slot[i].valid = false;
	/* Shift later members of the cluster back so lookups need no tombstones. */
	for (j = (i + 1) & HMASK; s->slot[j].valid; j = (j + 1) & HMASK) {
		uint32_t home = hash_of(s->key[j]);

		if (((j - home) & HMASK) >= ((j - i) & HMASK)) {
			s->slot[i] = s->slot[j];
			s->key[i] = s->key[j];
			s->slot[j].valid = false;
			i = j;
		}
	}
	return true;
}

void rv_complete(struct rv_state *s, const struct vq_ticket *t, uint32_t len)
{
	struct rv_done d = {.t = *t, .len = len, .valid = true};

	switch (s->v) {
	case RV_HASH:
		hash_put(s, &d);
		while (hash_take(s, s->next_publish, &d)) {
			vq_complete(s->vq, &d.t, d.len);
			s->next_publish++;
		}
		break;
	case RV_ARRAY:
		s->slot[t->seq & s->mask] = d;
		while (s->slot[s->next_publish & s->mask].valid) {
			struct rv_done *e = &s->slot[s->next_publish & s->mask];

			vq_complete(s->vq, &e->t, e->len);
			e->valid = false;
			s->next_publish++;
		}
		break;
	default:
		vq_complete(s->vq, t, len);
	}
}
