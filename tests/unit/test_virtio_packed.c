// SPDX-License-Identifier: MIT
/*
 * Packed virtqueue against a mock packed driver (tests/unit/mock_packed.c):
 * chains direct, wrapping the ring end and indirect, wrap counters over many
 * laps, in-order batches read back as Linux reads them, both event
 * suppression structures, and hostile rings: each breaks the queue or errors
 * the chain as the split ring's equivalent does, never crashes.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/check_run.h"
#include "tests/unit/mock_packed.h"
#include "virtio/packed_ring.h"
#include "virtio/virtqueue.h"

#define RAM_GPA	 0x100000ULL
#define F_V1	 (1ULL << VIRTIO_F_VERSION_1)
#define F_INDIR	 (1ULL << VIRTIO_RING_F_INDIRECT_DESC)
#define F_EVENT	 (1ULL << VIRTIO_RING_F_EVENT_IDX)
#define F_INORD	 (1ULL << VIRTIO_F_IN_ORDER)
#define F_PACKED (1ULL << VIRTIO_F_RING_PACKED)
#define F_AVAIL	 (1U << VRING_PACKED_DESC_F_AVAIL)
#define F_USED	 (1U << VRING_PACKED_DESC_F_USED)

static struct mock_packed m;
static struct virtqueue vq;
static struct iovec iov[64];
static struct vq_chain ch;

static void setup(uint16_t size, uint64_t features, uint32_t ids_seed)
{
	ck_assert_int_eq(mpk_init(&m, size, F_V1 | features, RAM_GPA, ids_seed), 0);
	ck_assert_int_eq(mpk_attach(&m, &vq), VQ_OK);
	ck_assert_ptr_eq(vq.ops, &vq_packed_ops);
	vq_chain_init(&ch, iov, 64);
}

static void teardown(void)
{
	vq_destroy(&vq);
	mpk_free(&m);
}

static void *hva(uint64_t gpa)
{
	return gm_translate(&m.gm, gpa, 1);
}

static void get_one(uint64_t cookie, uint32_t len)
{
	uint64_t c;
	uint32_t l;
	int r = mpk_get(&m, &c, &l);

	ck_assert_msg(r == 1, "mpk_get %d: %s", r, m.why);
	ck_assert_uint_eq(c, cookie);
	ck_assert_uint_eq(l, len);
}

static void get_none(void)
{
	uint64_t c;
	uint32_t l;
	int r = mpk_get(&m, &c, &l);

	ck_assert_msg(r == 0, "mpk_get %d: %s", r, m.why);
}

START_TEST(enable_validates_areas)
{
	ck_assert_int_eq(mpk_init(&m, 16, F_V1, RAM_GPA, 0), 0);
	vq_init(&vq, 16);
	vq.size = 16;
	vq.desc_gpa = m.desc_gpa + 8;
	vq.avail_gpa = m.driver_gpa;
	vq.used_gpa = m.device_gpa;
	ck_assert_int_eq(vq_enable(&vq, &m.gm, F_V1 | F_PACKED), VQ_E_ALIGN);
	/* The event areas need 4-byte alignment, where a split avail ring needs 2. */
	vq.desc_gpa = m.desc_gpa;
	vq.avail_gpa = m.driver_gpa + 2;
	ck_assert_int_eq(vq_enable(&vq, &m.gm, F_V1 | F_PACKED), VQ_E_ALIGN);
	vq.avail_gpa = m.driver_gpa;
	vq.used_gpa = m.device_gpa + 2;
	ck_assert_int_eq(vq_enable(&vq, &m.gm, F_V1 | F_PACKED), VQ_E_ALIGN);
	vq.used_gpa = m.ram_gpa + m.ram_size; /* just past RAM */
	ck_assert_int_eq(vq_enable(&vq, &m.gm, F_V1 | F_PACKED), VQ_E_RING_ADDR);
	vq.used_gpa = m.device_gpa;
	vq.desc_gpa = m.ram_gpa + m.ram_size - 16 * 8;
	ck_assert_int_eq(vq_enable(&vq, &m.gm, F_V1 | F_PACKED), VQ_E_RING_ADDR);
	ck_assert(!vq.ready);
	vq.desc_gpa = m.desc_gpa;
	ck_assert_int_eq(vq_enable(&vq, &m.gm, F_V1 | F_PACKED), VQ_OK);
	ck_assert(vq.ready);
	vq_destroy(&vq);
	mpk_free(&m);
}
END_TEST

START_TEST(simple_chain)
{
	uint32_t out[2] = {100, 20}, in[1] = {300};
	int id;

	setup(16, 0, 5);
	id = mpk_add(&m, out, 2, in, 1, false, 77);
	ck_assert_int_ge(id, 0);
	/* The shuffled free list hands out an id that is not the slot. */
	ck_assert_int_ne(id, 0);
	ck_assert_int_eq(vq_pop(&vq, &ch), VQ_OK);
	ck_assert_uint_eq(ch.t.head, id);
	ck_assert_uint_eq(ch.t.seq, 0);
	ck_assert_uint_eq(ch.n_out, 2);
	ck_assert_uint_eq(ch.n_in, 1);
	ck_assert_uint_eq(ch.out_len, 120);
	ck_assert_uint_eq(ch.in_len, 300);
	ck_assert_uint_eq(ch.ndesc, 3);
	ck_assert(!ch.indirect);
	ck_assert_ptr_eq(iov[0].iov_base, hva(mpk_seg_gpa(&m, id, 0)));
	ck_assert_uint_eq(iov[0].iov_len, 100);
	ck_assert_ptr_eq(iov[1].iov_base, hva(mpk_seg_gpa(&m, id, 1)));
	ck_assert_ptr_eq(vq_chain_in(&ch)[0].iov_base, hva(mpk_seg_gpa(&m, id, 2)));
	ck_assert_uint_eq(vq_chain_in(&ch)[0].iov_len, 300);
	ck_assert_int_eq(vq_pop(&vq, &ch), VQ_EMPTY);

	/* Nothing is visible before the flush. */
	ck_assert_int_eq(vq_complete(&vq, &ch.t, 123), VQ_OK);
	get_none();
	ck_assert(vq_flush(&vq));
	get_one(77, 123);
	/* The used descriptor overwrote the chain's first slot, with the device's wrap bits. */
	{
		uint16_t uid, fl;
		uint32_t ul;

		mpk_used_desc(&m, 0, &uid, &ul, &fl);
		ck_assert_uint_eq(uid, id);
		ck_assert_uint_eq(ul, 123);
		ck_assert_uint_eq(fl, F_AVAIL | F_USED | VRING_DESC_F_WRITE);
	}
	ck_assert(!vq_flush(&vq));
	ck_assert_uint_eq(vq.stats.idx_stores, 1);
	teardown();
}
END_TEST

/* Size 8, chains of 3: the third chain takes slots 6, 7 and 0. */
START_TEST(chain_wraps_ring_end)
{
	uint32_t out[3] = {10, 20, 30};
	struct vq_ticket t[3];
	int id[3], i;

	setup(8, 0, 0);
	for (i = 0; i < 2; i++) {
		id[i] = mpk_add(&m, out, 3, NULL, 0, false, (uint64_t)i);
		ck_assert_int_eq(vq_pop(&vq, &ch), VQ_OK);
		ck_assert_int_eq(vq_complete(&vq, &ch.t, 0), VQ_OK);
	}
	vq_flush(&vq);
	get_one(0, 0);
	get_one(1, 0);
	id[2] = mpk_add(&m, out, 3, NULL, 0, false, 2);
	ck_assert_int_ge(id[2], 0);
	ck_assert_int_eq(vq_pop(&vq, &ch), VQ_OK);
	t[2] = ch.t;
	ck_assert_uint_eq(ch.t.head, id[2]);
	ck_assert_uint_eq(ch.ndesc, 3);
	ck_assert_uint_eq(ch.n_out, 3);
	for (i = 0; i < 3; i++) {
		ck_assert_ptr_eq(iov[i].iov_base, hva(mpk_seg_gpa(&m, id[2], i)));
		ck_assert_uint_eq(iov[i].iov_len, out[i]);
	}
	/* The next chain starts at slot 1 of the second lap. */
	ck_assert_uint_eq(vq.packed.next_avail, 9);
	ck_assert_int_eq(vq_complete(&vq, &t[2], 0), VQ_OK);
	vq_flush(&vq);
	get_one(2, 0);
	ck_assert_uint_eq(m.last_used, 9);
	teardown();
}
END_TEST

static uint64_t rng = 1;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

/*
 * T4: many laps with chains of 1-4 descriptors, some indirect, completed in a
 * random order: every buffer comes back exactly once with its length, and
 * the wrap counters on both sides stay in step across every lap.
 */
static void laps(uint64_t features, bool batching)
{
	enum { QS = 16, TOTAL = 4000 };
	struct vq_ticket t[QS];
	uint64_t next = 0, back = 0, c;
	uint8_t got[TOTAL] = {0};
	uint32_t want[TOTAL], l;
	unsigned int n, i;

	setup(QS, features, 99);
	vq.batching = batching;
	rng = 0x1234 + features;
	while (back < TOTAL) {
		n = 0;
		for (;;) {
			uint32_t nseg = 1 + rnd() % 4, lens[4], k;
			bool ind = (features & F_INDIR) && rnd() % 3 == 0;

			if (next == TOTAL || rnd() % 8 == 0)
				break;
			for (k = 0; k < nseg; k++)
				lens[k] = 1 + rnd() % MOCK_SEG_BYTES;
			if (mpk_add(&m, lens, 1, lens + 1, nseg - 1, ind, next) < 0)
				break;
			want[next] = 0;
			for (k = 1; k < nseg; k++)
				want[next] += lens[k];
			next++;
		}
		while (n < QS && vq_pop(&vq, &ch) == VQ_OK)
			t[n++] = ch.t;
		ck_assert_uint_eq(n, next - back);
		/* Shuffle the completion order; complete all but the ones kept for later. */
		for (i = n; i > 1; i--) {
			uint32_t j = rnd() % i;
			struct vq_ticket x = t[i - 1];

			t[i - 1] = t[j];
			t[j] = x;
		}
		for (i = 0; i < n; i++) {
			uint64_t ck = m.bufs[t[i].head].cookie;

			/* Full length mostly, so batches form; sometimes less, which ends one. */
			if (rnd() % 4 == 0 && want[ck])
				want[ck] -= 1;
			ck_assert_int_eq(vq_complete(&vq, &t[i], want[ck]), VQ_OK);
			if (rnd() % 3 == 0)
				vq_flush(&vq);
		}
		vq_flush(&vq);
		while ((i = (unsigned int)mpk_get(&m, &c, &l)) == 1) {
			ck_assert_uint_lt(c, TOTAL);
			ck_assert_msg(!got[c], "buffer %llu twice", (unsigned long long)c);
			if (features & F_INORD)
				ck_assert_uint_eq(c, back);
			got[c] = 1;
			ck_assert_uint_eq(l, want[c]);
			back++;
		}
		ck_assert_msg(i == 0, "driver broke: %s", m.why);
		ck_assert_uint_eq(back, next);
	}
	/* Both sides went round many times. */
	ck_assert_uint_gt(vq.stats.popped, 10 * QS);
	ck_assert_uint_eq(vq.packed.next_used, vq.packed.next_avail);
	if ((features & F_INORD) && batching)
		ck_assert_uint_lt(vq.stats.used_entries, vq.stats.published);
	teardown();
}

START_TEST(laps_unordered)
{
	laps(F_INDIR, true);
}
END_TEST

START_TEST(laps_in_order_batched)
{
	laps(F_INDIR | F_INORD, true);
}
END_TEST

START_TEST(laps_in_order_unbatched)
{
	laps(F_INDIR | F_INORD, false);
}
END_TEST

START_TEST(indirect_chain)
{
	uint32_t out[2] = {16, 32}, in[3] = {64, 128, 256};
	int id, k;

	setup(8, F_INDIR, 3);
	id = mpk_add(&m, out, 2, in, 3, true, 9);
	ck_assert_int_ge(id, 0);
	ck_assert_int_eq(vq_pop(&vq, &ch), VQ_OK);
	ck_assert(ch.indirect);
	ck_assert_uint_eq(ch.ndesc, 1);
	ck_assert_uint_eq(ch.t.head, id);
	ck_assert_uint_eq(ch.n_out, 2);
	ck_assert_uint_eq(ch.n_in, 3);
	ck_assert_uint_eq(ch.in_len, 448);
	for (k = 0; k < 5; k++)
		ck_assert_ptr_eq(iov[k].iov_base, hva(mpk_seg_gpa(&m, id, k)));
	ck_assert_int_eq(vq_complete(&vq, &ch.t, 448), VQ_OK);
	vq_flush(&vq);
	get_one(9, 448);
	ck_assert_uint_eq(vq.packed.next_used, 1);
	teardown();
}
END_TEST

/*
 * T4: IN_ORDER: buffers of 2, 1 and 3 descriptors completed in reverse become
 * one used descriptor in the first buffer's slot carrying the last id; the
 * next one goes 6 slots on, past every slot of the batch.
 */
START_TEST(in_order_batch)
{
	uint32_t two[2] = {0, 0}, in[3] = {50, 60, 70};
	struct vq_ticket t[4];
	int id[4], i;
	uint16_t uid, fl;
	uint32_t ul;

	setup(16, F_INORD, 7);
	id[0] = mpk_add(&m, NULL, 0, two, 2, false, 0);
	id[1] = mpk_add(&m, NULL, 0, in, 1, false, 1);
	id[2] = mpk_add(&m, NULL, 0, in, 3, false, 2);
	id[3] = mpk_add(&m, NULL, 0, in, 1, false, 3);
	for (i = 0; i < 4; i++) {
		ck_assert_int_ge(id[i], 0);
		ck_assert_int_eq(vq_pop(&vq, &ch), VQ_OK);
		t[i] = ch.t;
	}
	ck_assert_int_eq(vq_complete(&vq, &t[2], 100), VQ_OK);
	ck_assert_int_eq(vq_complete(&vq, &t[1], 50), VQ_OK);
	ck_assert(!vq_flush(&vq)); /* nothing publishable yet: the first is missing */
	get_none();
	ck_assert_int_eq(vq_complete(&vq, &t[0], 0), VQ_OK);
	ck_assert(vq_flush(&vq));
	/* Buffer 0 wrote 0 of its 0 writable bytes: full, skipped; 1 full; 2 partial, last. */
	ck_assert_uint_eq(vq.stats.used_entries, 1);
	mpk_used_desc(&m, 0, &uid, &ul, &fl);
	ck_assert_uint_eq(uid, id[2]);
	ck_assert_uint_eq(ul, 100);
	ck_assert_uint_eq(vq.packed.next_used, 6);
	get_one(0, 0);
	get_one(1, 50);
	get_one(2, 100);
	get_none();
	ck_assert_uint_eq(m.last_used, 6);
	ck_assert_int_eq(vq_complete(&vq, &t[3], 7), VQ_OK);
	vq_flush(&vq);
	mpk_used_desc(&m, 6, &uid, &ul, &fl);
	ck_assert_uint_eq(uid, id[3]);
	get_one(3, 7);
	teardown();
}
END_TEST

/* T8: driver event suppression: DISABLE, ENABLE, and EVENT_IDX positions with wrap. */
START_TEST(interrupt_suppression)
{
	int i;

	setup(8, 0, 0);
	mpk_disable_cb(&m);
	mpk_add_simple(&m, 0, 8, false, 0);
	ck_assert_int_eq(vq_pop(&vq, &ch), VQ_OK);
	vq_complete(&vq, &ch.t, 8);
	ck_assert(!vq_flush(&vq));
	get_one(0, 8);
	mpk_enable_cb(&m);
	mpk_add_simple(&m, 0, 8, false, 1);
	ck_assert_int_eq(vq_pop(&vq, &ch), VQ_OK);
	vq_complete(&vq, &ch.t, 8);
	ck_assert(vq_flush(&vq));
	get_one(1, 8);
	teardown();

	/*
	 * EVENT_IDX: the driver asks to hear of the used descriptor at a given
	 * position; a flush covering it interrupts once, one that does not never.
	 * Positions run over several laps so both wrap counter values are hit.
	 */
	setup(8, F_EVENT, 0);
	for (i = 0; i < 40; i++) {
		uint16_t want = (uint16_t)(m.last_used + 2);
		struct vq_ticket t[3];
		int k;

		mpk_enable_cb_at(&m, want);
		for (k = 0; k < 3; k++) {
			mpk_add_simple(&m, 0, 8, false, (uint64_t)(3 * i + k));
			ck_assert_int_eq(vq_pop(&vq, &ch), VQ_OK);
			t[k] = ch.t;
		}
		/* First flush: positions last_used, +1: before the event. */
		vq_complete(&vq, &t[0], 8);
		vq_complete(&vq, &t[1], 8);
		if (i)
			ck_assert_msg(!vq_flush(&vq), "lap %d: interrupt before the event", i);
		else
			vq_flush(&vq); /* the first decision always interrupts */
		vq_complete(&vq, &t[2], 8);
		ck_assert_msg(vq_flush(&vq), "lap %d: no interrupt at the event", i);
		mpk_disable_cb(&m);
		for (k = 0; k < 3; k++)
			get_one((uint64_t)(3 * i + k), 8);
	}
	teardown();
}
END_TEST

/* T8: device event suppression: what the device writes, and whether the driver kicks. */
START_TEST(kick_suppression)
{
	uint16_t before;

	setup(8, 0, 0);
	vq_disable_notify(&vq);
	ck_assert_uint_eq(mpk_device_event(&m) >> 16, VRING_PACKED_EVENT_FLAG_DISABLE);
	ck_assert(!mpk_kick_needed(&m, 0, 1));
	ck_assert(!vq_enable_notify(&vq));
	ck_assert_uint_eq(mpk_device_event(&m) >> 16, VRING_PACKED_EVENT_FLAG_ENABLE);
	ck_assert(mpk_kick_needed(&m, 0, 1));
	vq_quiet(&vq);
	ck_assert_uint_eq(mpk_device_event(&m) >> 16, VRING_PACKED_EVENT_FLAG_DISABLE);
	teardown();

	setup(8, F_EVENT, 0);
	for (int i = 0; i < 20; i++) {
		/* Asked for the first slot not looked at, with its wrap counter. */
		ck_assert(!vq_enable_notify(&vq));
		ck_assert_uint_eq(mpk_device_event(&m) >> 16, VRING_PACKED_EVENT_FLAG_DESC);
		before = m.next_avail;
		mpk_add_simple(&m, 0, 8, false, (uint64_t)i);
		ck_assert(mpk_kick_needed(&m, before, m.next_avail));
		/* The re-check after enabling sees a buffer that came meanwhile. */
		ck_assert(vq_enable_notify(&vq));
		ck_assert_uint_eq(vq_avail_count(&vq), 1);
		ck_assert_int_eq(vq_pop(&vq, &ch), VQ_OK);
		/* Popping moves the event on: the same buffer again would not kick. */
		ck_assert(!mpk_kick_needed(&m, (uint16_t)(before - 1), before));
		vq_quiet(&vq);
		ck_assert(!mpk_kick_needed(&m, before, m.next_avail));
		vq_complete(&vq, &ch.t, 8);
		vq_flush(&vq);
		get_one((uint64_t)i, 8);
	}
	teardown();
}
END_TEST

START_TEST(unpop_and_avail_count)
{
	uint32_t three[3] = {8, 8, 8};
	struct vq_ticket t[3];
	int i;

	setup(16, 0, 11);
	mpk_add(&m, NULL, 0, three, 1, false, 0);
	mpk_add(&m, NULL, 0, three, 3, false, 1);
	mpk_add(&m, NULL, 0, three, 2, false, 2);
	ck_assert_uint_eq(vq_avail_count(&vq), 3);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(vq_pop(&vq, &ch), VQ_OK);
		t[i] = ch.t;
	}
	ck_assert_uint_eq(vq_avail_count(&vq), 0);
	ck_assert_int_eq(vq_unpop(&vq, 2), VQ_OK);
	/* Given back, but already looked at: no new buffers to report. */
	ck_assert_uint_eq(vq_avail_count(&vq), 0);
	ck_assert(!vq_enable_notify(&vq));
	mpk_add(&m, NULL, 0, three, 1, false, 3);
	ck_assert_uint_eq(vq_avail_count(&vq), 1);
	for (i = 1; i < 3; i++) {
		ck_assert_int_eq(vq_pop(&vq, &ch), VQ_OK);
		ck_assert_uint_eq(ch.t.head, t[i].head);
		ck_assert_uint_eq(ch.t.seq, t[i].seq);
		ck_assert_uint_eq(ch.ndesc, i == 1 ? 3 : 2);
	}
	ck_assert_int_eq(vq_pop(&vq, &ch), VQ_OK);
	ck_assert_uint_eq(ch.t.seq, 3);
	teardown();
}
END_TEST

/* A descriptor whose AVAIL/USED bits name the other lap is simply not available. */
START_TEST(hostile_wrap_counter_lies)
{
	setup(8, 0, 0);
	/* Position 0 is in lap "1": AVAIL=0/USED=1 is lap "0"'s marking. */
	mpk_write_desc(&m, 0, mpk_seg_gpa(&m, 0, 0), 8, 0, F_USED);
	ck_assert_int_eq(vq_pop(&vq, &ch), VQ_EMPTY);
	/* Both set (a used descriptor) is not available either. */
	mpk_write_desc(&m, 0, mpk_seg_gpa(&m, 0, 0), 8, 0, F_AVAIL | F_USED);
	ck_assert_int_eq(vq_pop(&vq, &ch), VQ_EMPTY);
	ck_assert_uint_eq(vq_avail_count(&vq), 0);
	ck_assert(!vq.broken);

	/* A chain whose second descriptor lies about its lap breaks the queue. */
	mpk_write_desc(&m, 1, mpk_seg_gpa(&m, 0, 1), 8, 0, F_USED);
	mpk_write_desc(&m, 0, mpk_seg_gpa(&m, 0, 0), 8, 0, VRING_DESC_F_NEXT | F_AVAIL);
	ck_assert_int_eq(vq_pop(&vq, &ch), VQ_E_CHAIN_RING);
	ck_assert(vq.broken);
	ck_assert_int_eq(vq_pop(&vq, &ch), VQ_E_BROKEN);
	ck_assert_uint_eq(vq.stats.popped, 0);
	teardown();
}
END_TEST

START_TEST(hostile_id_in_flight_twice)
{
	int id;

	setup(8, 0, 0);
	id = mpk_add_simple(&m, 8, 0, false, 0);
	ck_assert_int_eq(vq_pop(&vq, &ch), VQ_OK);
	/* The driver posts the same id again while the device still holds it. */
	mpk_write_desc(&m, 1, mpk_seg_gpa(&m, 0, 0), 8, (uint16_t)id, mpk_avail_bits(&m, 1));
	ck_assert_int_eq(vq_pop(&vq, &ch), VQ_E_HEAD_BUSY);
	ck_assert(vq.broken);
	teardown();

	setup(8, 0, 0);
	mpk_write_desc(&m, 0, mpk_seg_gpa(&m, 0, 0), 8, 8, mpk_avail_bits(&m, 0));
	ck_assert_int_eq(vq_pop(&vq, &ch), VQ_E_HEAD_RANGE);
	ck_assert(vq.broken);
	teardown();
}
END_TEST

/* Every slot says NEXT: the chain never ends inside the ring. */
START_TEST(hostile_chain_longer_than_ring)
{
	uint16_t i;

	setup(8, 0, 0);
	for (i = 8; i-- > 0;)
		mpk_write_desc(&m, i, mpk_seg_gpa(&m, 0, 0), 8, 0,
			       VRING_DESC_F_NEXT | mpk_avail_bits(&m, i));
	ck_assert_uint_eq(vq_avail_count(&vq), 0);
	ck_assert_int_eq(vq_pop(&vq, &ch), VQ_E_CHAIN_RING);
	ck_assert(vq.broken);
	teardown();
}
END_TEST

/*
 * A hand-written chain of n descriptors at position 0 with id 0, registered
 * with the mock as if it had added it (id 0 is the top of the unshuffled
 * free list).
 */
static void own_chain(uint16_t n)
{
	m.bufs[0] = (struct mock_buf){.cookie = 1, .in_len = 0, .ndesc = n, .busy = true};
	m.fifo[m.fifo_tail++] = 0;
	m.nfree_ids--;
	m.num_free -= n;
	m.next_avail = n;
}

/* Chain errors are consumed: the next chain is found where the bad one ended. */
static void expect_chain_error(int err, uint16_t ndesc)
{
	ck_assert_int_eq(vq_pop(&vq, &ch), err);
	ck_assert(vq_err_is_chain(err));
	ck_assert(!vq.broken);
	ck_assert_uint_eq(vq.packed.next_avail, ndesc);
	ck_assert_int_eq(vq_complete(&vq, &ch.t, 0), VQ_OK);
	/* A good buffer behind it pops and both come back. */
	ck_assert_int_ge(mpk_add_simple(&m, 0, 8, false, 2), 0);
	ck_assert_int_eq(vq_pop(&vq, &ch), VQ_OK);
	ck_assert_int_eq(vq_complete(&vq, &ch.t, 8), VQ_OK);
	vq_flush(&vq);
	get_one(1, 0);
	get_one(2, 8);
}

START_TEST(hostile_nested_indirect)
{
	uint64_t t1;

	setup(8, F_INDIR, 0);
	t1 = m.indirect_gpa;
	/* A table whose second entry is itself an indirect table. */
	mpk_write_indirect(&m, t1, 0, mpk_seg_gpa(&m, 0, 0), 8, 0);
	mpk_write_indirect(&m, t1, 1, t1 + 256, 32, VRING_DESC_F_INDIRECT);
	own_chain(1);
	mpk_write_desc(&m, 0, t1, 32, 0, VRING_DESC_F_INDIRECT | mpk_avail_bits(&m, 0));
	expect_chain_error(VQ_E_INDIRECT_NESTED, 1);
	teardown();
}
END_TEST

START_TEST(hostile_addresses_outside_ram)
{
	uint64_t end;

	/* The middle one of three descriptors points past RAM. */
	setup(8, F_INDIR, 0);
	end = m.ram_gpa + m.ram_size;
	mpk_write_desc(&m, 2, mpk_seg_gpa(&m, 0, 2), 8, 0, mpk_avail_bits(&m, 2));
	mpk_write_desc(&m, 1, end - 4, 8, 0, VRING_DESC_F_NEXT | mpk_avail_bits(&m, 1));
	mpk_write_desc(&m, 0, mpk_seg_gpa(&m, 0, 0), 8, 0xffff,
		       VRING_DESC_F_NEXT | mpk_avail_bits(&m, 0));
	own_chain(3);
	expect_chain_error(VQ_E_BAD_ADDR, 3);
	teardown();

	/* An indirect table outside RAM. */
	setup(8, F_INDIR, 0);
	end = m.ram_gpa + m.ram_size;
	mpk_write_desc(&m, 0, end - 16, 32, 0, VRING_DESC_F_INDIRECT | mpk_avail_bits(&m, 0));
	own_chain(1);
	expect_chain_error(VQ_E_BAD_ADDR, 1);
	teardown();

	/* An indirect table too long, and indirect without the feature. */
	setup(8, F_INDIR, 0);
	mpk_write_desc(&m, 0, m.indirect_gpa, 16 * 9, 0,
		       VRING_DESC_F_INDIRECT | mpk_avail_bits(&m, 0));
	own_chain(1);
	expect_chain_error(VQ_E_INDIRECT_LEN, 1);
	teardown();
	setup(8, 0, 0);
	mpk_write_desc(&m, 0, m.indirect_gpa, 16, 0, VRING_DESC_F_INDIRECT | mpk_avail_bits(&m, 0));
	own_chain(1);
	expect_chain_error(VQ_E_INDIRECT_FEATURE, 1);
	teardown();

	/* INDIRECT as the second descriptor of a chain. */
	setup(8, F_INDIR, 0);
	mpk_write_desc(&m, 1, m.indirect_gpa, 16, 0, VRING_DESC_F_INDIRECT | mpk_avail_bits(&m, 1));
	mpk_write_desc(&m, 0, mpk_seg_gpa(&m, 0, 0), 8, 0,
		       VRING_DESC_F_NEXT | mpk_avail_bits(&m, 0));
	own_chain(2);
	expect_chain_error(VQ_E_INDIRECT_CHAINED, 2);
	teardown();

	/* Readable after writable. */
	setup(8, 0, 0);
	mpk_write_desc(&m, 1, mpk_seg_gpa(&m, 0, 1), 8, 0, mpk_avail_bits(&m, 1));
	mpk_write_desc(&m, 0, mpk_seg_gpa(&m, 0, 0), 8, 0,
		       VRING_DESC_F_WRITE | VRING_DESC_F_NEXT | mpk_avail_bits(&m, 0));
	own_chain(2);
	expect_chain_error(VQ_E_ORDER, 2);
	teardown();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("virtio_packed");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, enable_validates_areas);
	tcase_add_test(tc, simple_chain);
	tcase_add_test(tc, chain_wraps_ring_end);
	tcase_add_test(tc, laps_unordered);
	tcase_add_test(tc, laps_in_order_batched);
	tcase_add_test(tc, laps_in_order_unbatched);
	tcase_add_test(tc, indirect_chain);
	tcase_add_test(tc, in_order_batch);
	tcase_add_test(tc, interrupt_suppression);
	tcase_add_test(tc, kick_suppression);
	tcase_add_test(tc, unpop_and_avail_count);
	tcase_add_test(tc, hostile_wrap_counter_lies);
	tcase_add_test(tc, hostile_id_in_flight_twice);
	tcase_add_test(tc, hostile_chain_longer_than_ring);
	tcase_add_test(tc, hostile_nested_indirect);
	tcase_add_test(tc, hostile_addresses_outside_ram);
	suite_add_tcase(s, tc);
	return check_run(s);
}
