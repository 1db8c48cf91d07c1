// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the virtqueue layer. The input is a guest: it chooses
 * the queue size, features and ring addresses, fills guest RAM (descriptor
 * tables, avail ring, indirect tables) and then drives a script of pops,
 * completions in any order, flushes, unpops, resets and guest writes to RAM
 * between them. The queue must never touch memory outside RAM (ASan),
 * never loop without bound (libFuzzer's timeout) and keep its invariants.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz_input.h"
#include "virtio/virtqueue.h"

#define RAM_GPA	 0x10000ULL
#define RAM_SIZE 0x8000ULL
#define POOL	 64

static uint8_t ram[RAM_SIZE] __attribute__((aligned(4096)));

/* Every segment handed to a device must lie inside guest RAM. */
static void check_chain(const struct vq_chain *c)
{
	for (uint32_t i = 0; i < c->n_out + c->n_in; i++) {
		const uint8_t *b = c->iov[i].iov_base;

		require(b >= ram && c->iov[i].iov_len <= RAM_SIZE &&
			b + c->iov[i].iov_len <= ram + RAM_SIZE);
	}
}

static void check_queue(const struct virtqueue *vq)
{
	int16_t d;

	if (!vq->ready)
		return;
	require(vq->heap.nr + 1 <= vq->size);
	/*
	 * Never more published than taken, nor more outstanding than the ring
	 * holds, but for two kinds the ring does not show: buffers of the open
	 * in-order run, complete but not yet written (a driver that guesses
	 * their heads may post them again meanwhile), and the avail slot taken
	 * by the pop that found a head still in flight and broke the queue.
	 */
	d = (int16_t)(vq->split.used_idx - vq->split.last_avail);
	require(d <= 0 && d >= -(int)vq->size - (int)vq->run.nbufs - (vq->broken ? 1 : 0));
}

/*
 * Guest RAM: the first fill bytes from the input (zeros once it runs out),
 * repeated to the end, so small inputs still make rings; all zeros for 0.
 * ram[i] == ram[i % fill] for every i, built with copies: a byte loop over
 * all 32 KiB, each step traced by the coverage instrumentation, cost more
 * than everything else an input does.
 */
static void fill_ram(struct input *in, uint32_t fill)
{
	uint32_t i = fill < in->n ? fill : (uint32_t)in->n;

	if (!fill) {
		memset(ram, 0, sizeof(ram));
		return;
	}
	memcpy(ram, in->p, i);
	in->p += i;
	in->n -= i;
	memset(ram + i, 0, fill - i);
	for (uint32_t done = fill; done < RAM_SIZE; done *= 2)
		memcpy(ram + done, ram, done * 2 <= RAM_SIZE ? done : RAM_SIZE - done);
}

static int enable(struct virtqueue *vq, struct guest_mem *gm, uint16_t size, uint64_t features,
		  struct input *in)
{
	vq->size = size;
	/* Mostly sane addresses, sometimes anything (misaligned, outside RAM). */
	if (take(in, 1) & 1) {
		vq->desc_gpa = RAM_GPA + (take(in, 2) % RAM_SIZE & ~15ULL);
		vq->avail_gpa = RAM_GPA + (take(in, 2) % RAM_SIZE & ~1ULL);
		vq->used_gpa = RAM_GPA + (take(in, 2) % RAM_SIZE & ~3ULL);
	} else {
		vq->desc_gpa = RAM_GPA + take(in, 4);
		vq->avail_gpa = RAM_GPA + take(in, 4);
		vq->used_gpa = (uint64_t)take(in, 4) << 16 | take(in, 2);
	}
	return vq_enable(vq, gm, features);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct iovec iov[2 * 64];
	struct input in = {data, size};
	struct vq_ticket pool[POOL];
	unsigned int npool = 0, steps = 0;
	struct virtqueue vq;
	struct guest_mem gm;
	struct vq_chain c;
	uint16_t qsize;
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

	fill = take(&in, 2) % 4096;
	fill_ram(&in, fill);

	gm_init(&gm);
	gm_add_region(&gm, RAM_GPA, RAM_SIZE, ram);
	vq_init(&vq, 64);
	vq.batching = !(cfg & 0x40); /* the benchmark and tests switch it off; devices never do */
	if (enable(&vq, &gm, qsize, features, &in) != VQ_OK)
		goto out;
	vq_chain_init(&c, iov, (cfg & 0x80) ? 3 : 2 * 64);

	while (in.n && steps++ < 4096) {
		uint32_t op = take(&in, 1), k;
		int r;

		switch (op % 9) {
		case 0:
		case 1:
			r = vq_pop(&vq, &c);
			if (r == VQ_OK || vq_err_is_chain(r)) {
				check_chain(&c);
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
			/* Keep the pool in pop order so vq_unpop() takes its tail. */
			if (r != VQ_E_BAD_LEN)
				memmove(&pool[k], &pool[k + 1], (--npool - k) * sizeof(pool[0]));
			break;
		case 4:
			vq_flush(&vq);
			break;
		case 5:
			k = take(&in, 1) % 4;
			if (vq_unpop(&vq, (uint16_t)k) == VQ_OK) {
				/* The newest k in our pool are the ones given back. */
				require(k <= npool);
				npool -= k;
				for (uint32_t i = 0; i < k; i++)
					require(pool[npool + i].seq == vq.next_seq + i);
			}
			break;
		case 6: {
			/* The guest writes its RAM (rings included) while we work. */
			uint32_t at = take(&in, 2) % RAM_SIZE;

			ram[at] = (uint8_t)take(&in, 1);
			break;
		}
		case 7:
			if (take(&in, 1) & 1)
				vq_disable_notify(&vq);
			else
				vq_enable_notify(&vq);
			break;
		case 8:
			if (take(&in, 1) % 8)
				break;
			vq_reset(&vq);
			for (k = 0; k < npool; k++)
				require(vq_complete(&vq, &pool[k], 0) == VQ_E_STALE);
			npool = 0;
			if (enable(&vq, &gm, qsize, features, &in) != VQ_OK)
				goto out;
			break;
		}
		check_queue(&vq);
	}
	/* Complete what is left: with nothing outstanding, everything is published. */
	while (npool)
		vq_complete(&vq, &pool[--npool], 0);
	vq_flush(&vq);
	check_queue(&vq);
	if (vq.in_order)
		require(vq.next_publish == vq.next_seq && vq.heap.nr == 0);
out:
	vq_destroy(&vq);
	return 0;
}
