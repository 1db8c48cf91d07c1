// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the packed virtqueue (virtio/packed_ring.c through
 * the real queue layer). The input is a guest: it chooses the queue size,
 * features (in-order on or off) and ring addresses, fills a small guest RAM,
 * then drives a script of well-formed chains made available at its own
 * position (lengths, addresses, flags and ids of its choosing), raw writes
 * anywhere in RAM, pops, completions in any order, double completions,
 * flushes, unpops, notification changes and resets. The queue must never
 * touch memory outside RAM (ASan; every segment is checked), never loop
 * without bound, complete every chain exactly once, and publish everything
 * once nothing is outstanding.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz_input.h"
#include "virtio/virtqueue.h"

#define RAM_GPA	 0x10000ULL
#define RAM_SIZE 0x4000ULL
#define POOL	 64

static uint8_t ram[RAM_SIZE] __attribute__((aligned(4096)));

static void check_chain(const struct vq_chain *c, uint16_t size)
{
	require(c->ndesc >= 1 && c->ndesc <= size);
	for (uint32_t i = 0; i < c->n_out + c->n_in; i++) {
		const uint8_t *b = c->iov[i].iov_base;

		require(b >= ram && c->iov[i].iov_len <= RAM_SIZE &&
			b + c->iov[i].iov_len <= ram + RAM_SIZE);
	}
}

static void check_queue(const struct virtqueue *vq)
{
	if (!vq->ready)
		return;
	require(vq->heap.nr + 1 <= vq->size);
	require(vq->packed.npending <= vq->size);
	require(vq->stats.published <= vq->stats.completed);
}

static int enable(struct virtqueue *vq, struct guest_mem *gm, uint16_t size, uint64_t features,
		  struct input *in)
{
	vq->size = size;
	if (take(in, 1) & 1) {
		vq->desc_gpa = RAM_GPA + (take(in, 2) % RAM_SIZE & ~15ULL);
		vq->avail_gpa = RAM_GPA + (take(in, 2) % RAM_SIZE & ~3ULL);
		vq->used_gpa = RAM_GPA + (take(in, 2) % RAM_SIZE & ~3ULL);
	} else {
		vq->desc_gpa = RAM_GPA + take(in, 4);
		vq->avail_gpa = RAM_GPA + take(in, 4);
		vq->used_gpa = (uint64_t)take(in, 4) << 16 | take(in, 2);
	}
	return vq_enable(vq, gm, features | (1ULL << VIRTIO_F_RING_PACKED));
}

/* A descriptor at byte offset off of RAM, if it fits. */
static void put_desc(uint64_t off, uint64_t addr, uint32_t len, uint16_t id, uint16_t flags)
{
	uint64_t a = htole64(addr);
	uint32_t l = htole32(len);
	uint16_t i = htole16(id), f = htole16(flags);

	if (off + 16 > RAM_SIZE)
		return;
	memcpy(ram + off, &a, 8);
	memcpy(ram + off + 8, &l, 4);
	memcpy(ram + off + 12, &i, 2);
	memcpy(ram + off + 14, &f, 2);
}

/* The driver makes a chain of fuzzer-chosen descriptors available at *pos. */
static void add_chain(const struct virtqueue *vq, uint16_t *pos, struct input *in)
{
	uint32_t n = 1 + take(in, 1) % 4, k;
	uint16_t id = (uint16_t)take(in, 1);

	if (!vq->ready || vq->desc_gpa < RAM_GPA)
		return;
	for (k = n; k-- > 0;) {
		uint16_t p = (uint16_t)(*pos + k), bits = take(in, 1);
		uint16_t wrap = !(p & vq->size);
		uint16_t flags = (uint16_t)((bits & 7) | (k + 1 < n ? VRING_DESC_F_NEXT : 0));

		/* Mostly the right lap's bits, sometimes a lie. */
		if (bits & 0x80)
			flags |= (uint16_t)(take(in, 1) << 7 & 0x8080);
		else
			flags |= wrap ? 1U << VRING_PACKED_DESC_F_AVAIL
				      : 1U << VRING_PACKED_DESC_F_USED;
		put_desc(vq->desc_gpa - RAM_GPA + 16 * (uint64_t)(p & vq->mask),
			 RAM_GPA + take(in, 2) % (RAM_SIZE + 64), take(in, 1) * 8, id, flags);
	}
	*pos = (uint16_t)(*pos + n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct iovec iov[2 * 64];
	struct input in = {data, size};
	struct vq_ticket pool[POOL], done[8];
	unsigned int npool = 0, ndone = 0, steps = 0;
	uint64_t unpublished = 0; /* completions a reset dropped from the reorder heap */
	struct virtqueue vq;
	struct guest_mem gm;
	struct vq_chain c;
	uint16_t qsize, drv_pos = 0;
	uint64_t features = 0;
	uint32_t cfg, fill;

	cfg = take(&in, 1);
	qsize = (uint16_t)(1u << (cfg % 7)); /* 1 .. 64 */
	if (cfg & 0x08)
		features |= 1ULL << VIRTIO_RING_F_INDIRECT_DESC;
	if (cfg & 0x10)
		features |= 1ULL << VIRTIO_RING_F_EVENT_IDX;
	if (cfg & 0x20)
		features |= 1ULL << VIRTIO_F_IN_ORDER;

	fill = take(&in, 2) % 1024;
	if (fill) {
		uint32_t i = fill < in.n ? fill : (uint32_t)in.n;

		memcpy(ram, in.p, i);
		in.p += i;
		in.n -= i;
		memset(ram + i, 0, fill - i);
		for (uint32_t d = fill; d < RAM_SIZE; d *= 2)
			memcpy(ram + d, ram, d * 2 <= RAM_SIZE ? d : RAM_SIZE - d);
	} else {
		memset(ram, 0, sizeof(ram));
	}

	gm_init(&gm);
	gm_add_region(&gm, RAM_GPA, RAM_SIZE, ram);
	vq_init(&vq, 64);
	vq.batching = !(cfg & 0x40);
	if (enable(&vq, &gm, qsize, features, &in) != VQ_OK)
		goto out;
	vq_chain_init(&c, iov, (cfg & 0x80) ? 3 : 2 * 64);

	while (in.n && steps++ < 4096) {
		uint32_t op = take(&in, 1), k;
		int r;

		switch (op % 10) {
		case 0:
		case 1:
			r = vq_pop(&vq, &c);
			if (r == VQ_OK || vq_err_is_chain(r)) {
				check_chain(&c, vq.size);
				require(c.t.head < vq.size);
				if (npool < POOL)
					pool[npool++] = c.t;
				else
					require(vq_complete(&vq, &c.t, 0) == VQ_OK);
			}
			break;
		case 2:
		case 3:
			if (!npool)
				break;
			k = take(&in, 1) % npool;
			r = vq_complete(&vq, &pool[k], take(&in, 1) & 1 ? take(&in, 2) : 0);
			if (r == VQ_E_BAD_LEN)
				break;
			require(r == VQ_OK);
			done[ndone++ % 8] = pool[k];
			memmove(&pool[k], &pool[k + 1], (--npool - k) * sizeof(pool[0]));
			break;
		case 4:
			vq_flush(&vq);
			break;
		case 5:
			k = take(&in, 1) % 4;
			if (vq_unpop(&vq, (uint16_t)k) == VQ_OK) {
				require(k <= npool);
				npool -= k;
				for (uint32_t i = 0; i < k; i++)
					require(pool[npool + i].seq == vq.next_seq + i);
			}
			break;
		case 6: {
			uint32_t at = take(&in, 2) % RAM_SIZE;

			ram[at] = (uint8_t)take(&in, 1);
			break;
		}
		case 7:
			k = take(&in, 1);
			if (k % 3 == 0)
				vq_disable_notify(&vq);
			else if (k % 3 == 1)
				vq_enable_notify(&vq);
			else
				vq_quiet(&vq);
			require(vq_avail_count(&vq) <= vq.size || !vq.ready);
			break;
		case 8:
			if (take(&in, 1) & 1) {
				add_chain(&vq, &drv_pos, &in);
				break;
			}
			/* Exactly once: a ticket already completed is refused, never published
			 * again. */
			if (ndone) {
				uint64_t pub = vq.stats.published;

				r = vq_complete(&vq, &done[take(&in, 1) % (ndone < 8 ? ndone : 8)],
						0);
				require(r == VQ_E_BAD_SEQ || r == VQ_E_STALE);
				require(vq.stats.published == pub);
			}
			break;
		case 9:
			if (take(&in, 1) % 8)
				break;
			unpublished = vq.stats.completed - vq.stats.published;
			vq_reset(&vq);
			for (k = 0; k < npool; k++)
				require(vq_complete(&vq, &pool[k], 0) == VQ_E_STALE);
			npool = ndone = 0;
			drv_pos = 0;
			if (enable(&vq, &gm, qsize, features, &in) != VQ_OK)
				goto out;
			break;
		}
		check_queue(&vq);
	}
	while (npool)
		require(vq_complete(&vq, &pool[--npool], 0) == VQ_OK);
	vq_flush(&vq);
	check_queue(&vq);
	require(vq.stats.completed - vq.stats.published == unpublished);
	if (vq.in_order)
		require(vq.next_publish == vq.next_seq && vq.heap.nr == 0);
out:
	vq_destroy(&vq);
	return 0;
}
