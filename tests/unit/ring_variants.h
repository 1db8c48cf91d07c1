/* SPDX-License-Identifier: MIT */
/*
 * The device-side publication variants the ring benchmark compares
 * (tests/bench/bench_ring.c), kept here so that unit tests check they are
 * what the benchmark claims: for one completion order, c, d and e publish
 * byte-identical used rings, b the same buffers in batched entries, a the
 * completion order.
 *
 *   a  unordered     no IN_ORDER: used entries in completion order
 *   b  heap+batch    IN_ORDER, the queue's min-heap, runs of full buffers batched
 *   c  heap          IN_ORDER, the queue's min-heap, one entry per buffer
 *   d  hash          IN_ORDER, hash table keyed by seq (the seed's reorder buffer)
 *   e  array         IN_ORDER, array indexed by seq % size (QEMU's used_elems)
 *
 * d and e keep their own reorder structure in front of a queue that writes
 * entries in the order handed to it, so they differ from c only there.
 */
#ifndef MINIVMM_TESTS_RING_VARIANTS_H
#define MINIVMM_TESTS_RING_VARIANTS_H

#include <stdbool.h>
#include <stdint.h>

#include "virtio/virtqueue.h"

#define RV_QMAX 256 /* largest queue d and e are built for */

enum ring_variant { RV_UNORDERED, RV_HEAP_BATCH, RV_HEAP, RV_HASH, RV_ARRAY, RV_COUNT };

extern const char *const rv_name[RV_COUNT];

struct rv_done {
	struct vq_ticket t;
	uint32_t len;
	bool valid;
};

struct rv_state {
	enum ring_variant v;
	struct virtqueue *vq;
	uint64_t next_publish;		  /* d and e */
	uint32_t mask;			  /* e: size - 1 */
	struct rv_done slot[2 * RV_QMAX]; /* d: hash slots; e: the first size */
	uint64_t key[2 * RV_QMAX];	  /* d: seq of each slot */
};

/* Features the driver negotiates for variant v. */
uint64_t rv_driver_features(enum ring_variant v);
/* Features the queue is enabled with: d and e reorder in front of an unordered queue. */
uint64_t rv_device_features(enum ring_variant v);
/* After vq_enable(vq, ..., rv_device_features(v)); size <= RV_QMAX. */
void rv_attach(struct rv_state *s, enum ring_variant v, struct virtqueue *vq);
/* One backend completion, as the device hands it over. */
void rv_complete(struct rv_state *s, const struct vq_ticket *t, uint32_t len);

#endif
