// SPDX-License-Identifier: MIT
/*
 * Format-independent queue logic: sequence numbers and the in-flight table,
 * the in-order publisher (min-heap reorder buffer, runs and batching),
 * reset generations and counters. Ring memory is the format's (vq->ops).
 */
#include "virtio/virtqueue.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "virtio/packed_ring.h"
#include "virtio/split_ring.h"

enum { SLOT_FREE, SLOT_POPPED, SLOT_DONE };

/* What vq_reset() clears is everything before the counters. */
_Static_assert(offsetof(struct virtqueue, stats) + sizeof(struct vq_stats) ==
		       sizeof(struct virtqueue),
	       "the counters must be the last member of struct virtqueue");

/* Everything but the counters, back to vq_init()'s values. */
static void clear_state(struct virtqueue *vq, uint16_t num_max)
{
	memset(vq, 0, offsetof(struct virtqueue, stats));
	vq->num_max = num_max;
	vq->batching = true;
}

void vq_init(struct virtqueue *vq, uint16_t num_max)
{
	memset(&vq->stats, 0, sizeof(vq->stats));
	clear_state(vq, num_max);
}

static void free_state(struct virtqueue *vq)
{
	free(vq->inflight);
	free(vq->seq_head);
	seq_heap_free(&vq->heap);
	vq->inflight = NULL;
	vq->seq_head = NULL;
	if (vq->ops == &vq_packed_ops) {
		free(vq->packed.mem);
		vq->packed.mem = NULL;
	}
}

void vq_destroy(struct virtqueue *vq)
{
	free_state(vq);
	vq->ready = false;
}

void vq_reset(struct virtqueue *vq)
{
	uint32_t gen = vq->gen + 1;
	bool batching = vq->batching;

	/*
	 * Not vq_init(): clearing the counters and copying them back raced
	 * with every reader on another thread, which could see zeros.
	 */
	free_state(vq);
	clear_state(vq, vq->num_max);
	vq->gen = gen;
	vq->batching = batching;
}

static bool is_pow2(uint32_t x)
{
	return x && !(x & (x - 1));
}

int vq_enable(struct virtqueue *vq, const struct guest_mem *gm, uint64_t features)
{
	int r;

	if (vq->ready)
		return VQ_E_STATE;
	if (vq->num_max > VQ_SPLIT_MAX_SIZE || !is_pow2(vq->size) || vq->size > vq->num_max)
		return VQ_E_SIZE;

	vq->gm = gm;
	vq->features = features;
	vq->event_idx = features & (1ULL << VIRTIO_RING_F_EVENT_IDX);
	vq->indirect = features & (1ULL << VIRTIO_RING_F_INDIRECT_DESC);
	vq->in_order = features & (1ULL << VIRTIO_F_IN_ORDER);
	vq->mask = vq->size - 1;
	/* What a failed enable before may have left behind, freed while ops still says whose. */
	free_state(vq);
	vq->ops = features & (1ULL << VIRTIO_F_RING_PACKED) ? &vq_packed_ops : &vq_split_ops;
	r = vq->ops->enable(vq);
	if (r) {
		free_state(vq);
		return r;
	}

	vq->inflight = calloc(vq->size, sizeof(*vq->inflight));
	vq->seq_head = calloc(vq->size, sizeof(*vq->seq_head));
	/* At most size - 1 completions can wait: the oldest one is never in the heap. */
	if (!vq->inflight || !vq->seq_head || seq_heap_init(&vq->heap, vq->size)) {
		free_state(vq);
		return VQ_E_NOMEM;
	}
	vq->next_seq = vq->next_publish = 0;
	memset(&vq->run, 0, sizeof(vq->run));
	vq->broken = false;
	vq->ready = true;
	return VQ_OK;
}

int vq_pop(struct virtqueue *vq, struct vq_chain *c)
{
	struct vq_inflight *f;
	int r;

	if (!vq->ready || vq->broken)
		return VQ_E_BROKEN;
	r = vq->ops->pop(vq, c);
	if (r == VQ_EMPTY)
		return r;
	/*
	 * A head still in flight means the driver reused a buffer it does not
	 * own, or has more than size outstanding: either way the ring is broken.
	 */
	if (!vq_err_is_fatal(r) && vq->inflight[c->t.head].state != SLOT_FREE)
		r = VQ_E_HEAD_BUSY;
	if (vq_err_is_fatal(r)) {
		vq->broken = true;
		return r;
	}
	c->t.seq = vq->next_seq++;
	c->t.gen = vq->gen;
	f = &vq->inflight[c->t.head];
	f->seq = c->t.seq;
	f->in_len = r ? 0 : c->in_len;
	f->skippable = !r;
	f->state = SLOT_POPPED;
	vq->seq_head[c->t.seq & vq->mask] = c->t.head;
	VQ_STAT_ADD(vq->stats.popped, 1);
	if (r)
		VQ_STAT_ADD(vq->stats.chain_errors, 1);
	return r;
}

static struct vq_inflight *newest(struct virtqueue *vq, uint16_t i)
{
	return &vq->inflight[vq->seq_head[(vq->next_seq - i) & vq->mask]];
}

int vq_unpop(struct virtqueue *vq, uint16_t n)
{
	uint16_t i;

	if (!vq->ready || n > vq->next_seq || n > vq->size)
		return VQ_E_BAD_SEQ;
	for (i = 1; i <= n; i++) {
		const struct vq_inflight *f = newest(vq, i);

		if (f->state != SLOT_POPPED || f->seq != vq->next_seq - i)
			return VQ_E_BAD_SEQ;
	}
	for (i = 1; i <= n; i++)
		newest(vq, i)->state = SLOT_FREE;
	vq->next_seq -= n;
	vq->ops->unpop(vq, n);
	VQ_STAT_ADD(vq->stats.unpopped, n);
	return VQ_OK;
}

static unsigned int hist_bucket(uint32_t n)
{
	unsigned int b = 0;

	/* 1 -> 0, 2 -> 1, 3-4 -> 2, 5-8 -> 3, ... */
	while (b < VQ_BATCH_HIST - 1 && (1U << b) < n)
		b++;
	return b;
}

static void close_run(struct virtqueue *vq)
{
	uint32_t n = vq->run.nbufs;

	if (!n)
		return;
	vq->ops->write_used(vq, vq->run.head, vq->run.len, (uint16_t)n);
	VQ_STAT_ADD(vq->stats.batches, 1);
	VQ_STAT_ADD(vq->stats.batch_bufs, n);
	VQ_STAT_ADD(vq->stats.batch_hist[hist_bucket(n)], 1);
	vq->run.nbufs = 0;
}

/*
 * Publish the in-order buffer at head, which is next_publish, then every
 * waiting completion that continues the sequence (R10), in one pass: the
 * open run lives in locals and reaches the ring only when it closes (R13).
 * A heap holding nothing but the rest of the run (its keys contiguous from
 * next_publish) is emptied at once instead of key by key.
 */
static void publish_in_order(struct virtqueue *vq, uint16_t head, uint32_t len)
{
	struct seq_heap *h = &vq->heap;
	struct vq_run run = vq->run;
	uint64_t next = vq->next_publish;
	uint32_t taken = 0, contiguous = 0;

	for (;;) {
		struct vq_inflight *f = &vq->inflight[head];

		if (run.nbufs && !(vq->batching && run.last_full && run.nbufs < vq->size)) {
			vq->run = run;
			close_run(vq);
			run.nbufs = 0;
		}
		run.nbufs++;
		run.head = head;
		run.len = len;
		/*
		 * The driver credits a skipped buffer with its writable length as
		 * it built it; for a chain we could not parse we do not know it.
		 */
		run.last_full = f->skippable && len == f->in_len;
		f->state = SLOT_FREE;
		next++;
		taken++;
		if (contiguous) {
			contiguous--;
		} else if (seq_heap_empty(h) || seq_heap_min(h) != (uint32_t)next) {
			break;
		} else if (seq_heap_max(h) - (uint32_t)next == h->nr - 1) {
			contiguous = h->nr - 1;
			h->nr = 0;
		} else {
			seq_heap_pop(h);
		}
		/* A seq still waiting belongs to a chain in flight: seq_head maps it back. */
		head = vq->seq_head[next & vq->mask];
		len = vq->inflight[head].len;
	}
	vq->run = run;
	vq->next_publish = next;
	VQ_STAT_ADD(vq->stats.published, taken);
	if (!vq->batching)
		close_run(vq);
}

int vq_complete(struct virtqueue *vq, const struct vq_ticket *t, uint32_t len)
{
	struct vq_inflight *f;

	if (!vq->ready || t->gen != vq->gen) {
		VQ_STAT_ADD(vq->stats.stale, 1);
		return VQ_E_STALE;
	}
	if (t->head >= vq->size)
		return VQ_E_BAD_SEQ;
	f = &vq->inflight[t->head];
	if (f->seq != t->seq || f->state != SLOT_POPPED)
		return VQ_E_BAD_SEQ;
	if (len > f->in_len)
		return VQ_E_BAD_LEN;
	VQ_STAT_ADD(vq->stats.completed, 1);

	if (!vq->in_order) {
		/* R18: at once, in completion order, one entry each. */
		f->state = SLOT_FREE;
		VQ_STAT_ADD(vq->stats.published, 1);
		vq->ops->write_used(vq, t->head, len, 1);
		return VQ_OK;
	}
	if (t->seq == vq->next_publish) {
		publish_in_order(vq, t->head, len);
		return VQ_OK;
	}
	/* At most size - 1 slots are SLOT_DONE at a time, so a full heap is our bug:
	 * stop the queue rather than lose a completion silently. */
	if (seq_heap_push(&vq->heap, (uint32_t)t->seq)) {
		vq->broken = true;
		return VQ_E_BROKEN;
	}
	f->len = len;
	f->state = SLOT_DONE;
	VQ_STAT_ADD(vq->stats.waited, 1);
	if (vq->heap.nr > vq->stats.heap_hwm)
		__atomic_store_n(&vq->stats.heap_hwm, vq->heap.nr, __ATOMIC_RELAXED);
	return VQ_OK;
}

bool vq_flush(struct virtqueue *vq)
{
	bool notify;

	if (!vq->ready)
		return false;
	close_run(vq);
	notify = vq->ops->flush(vq);
	if (notify)
		VQ_STAT_ADD(vq->stats.notifies, 1);
	return notify;
}

void vq_disable_notify(struct virtqueue *vq)
{
	if (vq->ready)
		vq->ops->set_notify(vq, false);
}

void vq_quiet(struct virtqueue *vq)
{
	if (vq->ready)
		vq->ops->quiet(vq);
}

unsigned int vq_avail_count(struct virtqueue *vq)
{
	return vq->ready && !vq->broken ? vq->ops->avail_count(vq) : 0;
}

bool vq_enable_notify(struct virtqueue *vq)
{
	if (!vq->ready)
		return false;
	vq->ops->set_notify(vq, true);
	/* Our request for kicks must be visible before we look for buffers again. */
	gm_fence_full();
	return vq->ops->avail_count(vq) != 0;
}
