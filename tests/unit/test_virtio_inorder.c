// SPDX-License-Identifier: MIT
/*
 * The in-order publisher (docs/design.md, "In-order rules", R3-R11, R13,
 * R15, R16, R18) against a mock driver that reads the used ring as Linux's
 * in-order driver does: a used entry stands for every buffer up to and
 * including its id, skipped buffers credited with their full writable
 * length. Test cases T1-T3, T5, T7, T9, T10, T12, T15 (docs/design.md,
 * "Test cases") at the queue level, and property tests over random and
 * exhaustive completion permutations.
 */
#include <check.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/check_run.h"
#include "tests/unit/mock_driver.h"
#include "virtio/virtqueue.h"

#define RAM_GPA 0x200000ULL
#define F_V1	(1ULL << VIRTIO_F_VERSION_1)
#define F_INDIR (1ULL << VIRTIO_RING_F_INDIRECT_DESC)
#define F_EVENT (1ULL << VIRTIO_RING_F_EVENT_IDX)
#define F_INORD (1ULL << VIRTIO_F_IN_ORDER)
#define MAXQ	256
#define RING	1024 /* per-cookie records, > any outstanding count */

/*
 * Check records a checkpoint for every ck_assert (a write to its pipe), which
 * is most of the run time in loops of 10^6; these only call into Check when
 * the condition fails.
 */
#define REQUIRE(c)                              \
	do {                                    \
		if (!(c))                       \
			ck_abort_msg("%s", #c); \
	} while (0)
#define REQUIRE_MSG(c, ...)                        \
	do {                                       \
		if (!(c))                          \
			ck_abort_msg(__VA_ARGS__); \
	} while (0)

static struct mock_driver md;
static struct virtqueue vq;
static struct iovec iov[64];
static struct vq_chain ch;

/* What the test expects the driver to read back, by cookie. */
static uint32_t rep_len[RING];
static uint32_t full_len[RING];
static uint64_t next_cookie, next_expected;
static uint8_t seen[RING];
static uint64_t rng_state;

static uint32_t rnd(void)
{
	/* xorshift64*: deterministic per seed and cheap enough for 10^6 requests. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545F4914F6CDD1DULL) >> 32);
}

static void seed(uint64_t s)
{
	rng_state = s * 0x9E3779B97F4A7C15ULL + 1;
}

static void setup_q(uint16_t size, uint16_t num_max, uint64_t features, bool batching)
{
	ck_assert_int_eq(mock_init(&md, size, features, RAM_GPA), 0);
	ck_assert_int_eq(mock_attach(&md, &vq, num_max), VQ_OK);
	vq.batching = batching;
	vq_chain_init(&ch, iov, 64);
	next_cookie = next_expected = 0;
	memset(seen, 0, sizeof(seen));
}

static void teardown(void)
{
	vq_destroy(&vq);
	mock_free(&md);
}

/* Add a buffer of in writable bytes (and optionally a readable header). */
static int add(uint32_t in, bool hdr, bool indirect)
{
	uint64_t c = next_cookie;
	int head = mock_add_simple(&md, hdr ? 16 : 0, in, indirect, c);

	if (head >= 0) {
		full_len[c % RING] = in;
		next_cookie++;
	}
	return head;
}

static void pop_ok(struct vq_ticket *t)
{
	REQUIRE(vq_pop(&vq, &ch) == VQ_OK);
	*t = ch.t;
}

static void complete(const struct vq_ticket *t, uint64_t cookie, uint32_t len)
{
	rep_len[cookie % RING] = len;
	REQUIRE(vq_complete(&vq, t, len) == VQ_OK);
	/* R10: the reorder buffer never holds more than N - 1. */
	REQUIRE(vq.heap.nr <= (uint32_t)vq.size - 1);
}

/* Read back everything published, as the Linux driver would on an interrupt. */
static unsigned int drain(bool ordered)
{
	unsigned int n = 0;
	uint64_t cookie;
	uint32_t len;
	int r;

	while ((r = mock_get(&md, &cookie, &len)) == 1) {
		if (ordered) {
			REQUIRE_MSG(cookie == next_expected, "got buffer %llu, expected %llu",
				    (unsigned long long)cookie, (unsigned long long)next_expected);
			next_expected++;
		} else {
			REQUIRE_MSG(!seen[cookie % RING], "buffer %llu twice",
				    (unsigned long long)cookie);
			seen[cookie % RING] = 1;
		}
		REQUIRE_MSG(len == rep_len[cookie % RING], "buffer %llu: len %u, device said %u",
			    (unsigned long long)cookie, len, rep_len[cookie % RING]);
		n++;
	}
	REQUIRE_MSG(r == 0, "driver broke: %s", md.why);
	return n;
}

/* used.idx - last_avail stays in [-N, 0]: never published past what was popped. */
static void check_window(void)
{
	int16_t d = (int16_t)(vq.split.used_published - vq.split.last_avail);

	REQUIRE_MSG(d <= 0 && d >= -(int)vq.size, "used - last_avail = %d", d);
}

/* T1: reverse completion publishes once, with one used.idx store and one interrupt. */
START_TEST(t1_reverse_completion)
{
	struct vq_ticket t[64];
	uint8_t before[VQ_USED_RING(256)];
	uint32_t id, len;
	int i;

	setup_q(256, 0, F_V1 | F_INORD, false);
	for (i = 0; i < 64; i++) {
		ck_assert_int_ge(add(100, false, false), 0);
		pop_ok(&t[i]);
		ck_assert_uint_eq(t[i].seq, (uint64_t)i);
	}
	memcpy(before, md.used, sizeof(before));
	for (i = 63; i >= 1; i--)
		complete(&t[i], (uint64_t)i, (uint32_t)i);
	/* Nothing written, nothing to publish, no interrupt. */
	ck_assert_int_eq(memcmp(before, md.used, sizeof(before)), 0);
	ck_assert(!vq_flush(&vq));
	ck_assert_uint_eq(mock_used_idx(&md), 0);
	ck_assert_uint_eq(vq.stats.idx_stores, 0);
	ck_assert_uint_eq(vq.stats.waited, 63);
	ck_assert_uint_eq(vq.stats.heap_hwm, 63);

	complete(&t[0], 0, 0);
	ck_assert(vq_flush(&vq));
	ck_assert_uint_eq(vq.stats.idx_stores, 1);
	ck_assert_uint_eq(mock_used_idx(&md), 64);
	for (i = 0; i < 64; i++) {
		mock_used_elem(&md, (uint16_t)i, &id, &len);
		ck_assert_uint_eq(id, gm_load16(md.avail + VQ_AVAIL_RING(i)));
		ck_assert_uint_eq(len, (uint32_t)i);
	}
	ck_assert(!vq_flush(&vq));
	ck_assert_uint_eq(vq.stats.notifies, 1);
	ck_assert_uint_eq(drain(true), 64);
	teardown();
}
END_TEST

/* T1 with skipping: all 64 full, so one entry carries the last head. */
START_TEST(t1_reverse_completion_batched)
{
	struct vq_ticket t[64];
	uint32_t id, len;
	int i, last_head = -1;

	setup_q(256, 0, F_V1 | F_INORD, true);
	for (i = 0; i < 64; i++) {
		last_head = add(100, true, false);
		pop_ok(&t[i]);
	}
	for (i = 63; i >= 0; i--)
		complete(&t[i], (uint64_t)i, 100);
	ck_assert_uint_eq(vq.stats.used_entries, 0);
	ck_assert(vq_flush(&vq));
	ck_assert_uint_eq(mock_used_idx(&md), 64);
	ck_assert_uint_eq(vq.stats.used_entries, 1);
	ck_assert_uint_eq(vq.stats.idx_stores, 1);
	mock_used_elem(&md, 0, &id, &len);
	ck_assert_uint_eq(id, (uint32_t)last_head);
	ck_assert_uint_eq(len, 100);
	ck_assert_uint_eq(vq.stats.batches, 1);
	ck_assert_uint_eq(vq.stats.batch_bufs, 64);
	ck_assert_uint_eq(vq.stats.batch_hist[6], 1); /* 33..64 */
	ck_assert_uint_eq(drain(true), 64);
	teardown();
}
END_TEST

/* A partial buffer ends a run; the driver still gets every length right. */
START_TEST(partial_buffer_ends_run)
{
	static const uint32_t lens[6] = {100, 100, 50, 100, 100, 0};
	struct vq_ticket t[6];
	int heads[6], i;
	uint32_t id, len;

	setup_q(16, 0, F_V1 | F_INORD, true);
	for (i = 0; i < 6; i++) {
		heads[i] = add(100, false, false);
		pop_ok(&t[i]);
	}
	for (i = 0; i < 6; i++)
		complete(&t[i], (uint64_t)i, lens[i]);
	vq_flush(&vq);
	ck_assert_uint_eq(mock_used_idx(&md), 6);
	ck_assert_uint_eq(vq.stats.used_entries, 2);
	mock_used_elem(&md, 0, &id, &len);
	ck_assert_uint_eq(id, (uint32_t)heads[2]);
	ck_assert_uint_eq(len, 50);
	mock_used_elem(&md, 3, &id, &len);
	ck_assert_uint_eq(id, (uint32_t)heads[5]);
	ck_assert_uint_eq(len, 0);
	ck_assert_uint_eq(drain(true), 6);
	teardown();
}
END_TEST

START_TEST(batching_switch_off)
{
	struct vq_ticket t[8];
	int i;

	setup_q(16, 0, F_V1 | F_INORD, true);
	vq.batching = false;
	for (i = 0; i < 8; i++) {
		add(64, false, false);
		pop_ok(&t[i]);
	}
	for (i = 7; i >= 0; i--)
		complete(&t[i], (uint64_t)i, 64);
	vq_flush(&vq);
	ck_assert_uint_eq(vq.stats.used_entries, 8);
	ck_assert_uint_eq(vq.stats.idx_stores, 1);
	ck_assert_uint_eq(drain(true), 8);
	teardown();
}
END_TEST

/* T2: all N outstanding, completed in random order, flushing as we go. */
START_TEST(t2_full_ring_random_order)
{
	static struct vq_ticket t[MAXQ];
	static uint32_t perm[MAXQ];
	uint32_t i, round, n = 256;

	setup_q(256, 0, F_V1 | F_INORD | F_INDIR, true);
	for (round = 0; round < 20; round++) {
		uint64_t base = next_cookie;

		seed(round);
		for (i = 0; i < n; i++) {
			ck_assert_int_ge(add(1 + rnd() % 300, false, rnd() & 1), 0);
			pop_ok(&t[i]);
			perm[i] = i;
		}
		ck_assert_int_eq(add(1, false, false), -1); /* the ring is full */
		for (i = n - 1; i > 0; i--) {
			uint32_t j = rnd() % (i + 1), x = perm[i];

			perm[i] = perm[j];
			perm[j] = x;
		}
		for (i = 0; i < n; i++) {
			uint32_t k = perm[i];
			uint32_t full = full_len[(base + k) % RING];

			complete(&t[k], base + k, rnd() % 4 ? full : rnd() % (full + 1));
			if (rnd() % 4 == 0) {
				vq_flush(&vq);
				drain(true);
				check_window();
			}
		}
		vq_flush(&vq);
		drain(true);
		check_window();
		ck_assert_uint_eq(next_expected, next_cookie);
		ck_assert_uint_eq(mock_outstanding(&md), 0);
	}
	ck_assert_uint_le(vq.stats.heap_hwm, 255);
	ck_assert_uint_ge(vq.stats.heap_hwm, 200); /* random order really waited */
	teardown();
}
END_TEST

struct pending {
	struct vq_ticket t;
	uint64_t cookie;
};

/*
 * T3: 10^6 requests with chains of 1-3 descriptors and indirect ones,
 * random completion windows, checked after every drain. Runs past 65536 to
 * cover the u16 wrap of both rings.
 */
static void stress(uint64_t features, bool batching, uint32_t total)
{
	static struct pending pool[MAXQ];
	uint32_t npool = 0, done = 0;
	bool ordered = features & F_INORD;

	setup_q(256, 0, F_V1 | F_INDIR | features, batching);
	seed(features + batching + total);
	while (done < total) {
		uint32_t adds = rnd() % 64, k, m;
		int r;

		for (k = 0; k < adds; k++) {
			uint32_t out = 16, in[2] = {1 + rnd() % 512, 1 + rnd() % 512};
			unsigned int nin = 1 + rnd() % 2;
			bool ind = rnd() % 4 == 0;
			uint64_t c = next_cookie;

			/* 1 to 3 descriptors: optional header, one or two writable. */
			if (mock_add(&md, &out, rnd() & 1, in, nin, ind, c) < 0)
				break;
			full_len[c % RING] = in[0] + (nin > 1 ? in[1] : 0);
			next_cookie++;
		}
		while ((r = vq_pop(&vq, &ch)) == VQ_OK) {
			REQUIRE(ch.in_len == full_len[ch.t.seq % RING]);
			pool[npool++] = (struct pending){.t = ch.t, .cookie = ch.t.seq};
		}
		REQUIRE(r == VQ_EMPTY);
		/* Complete a random subset in random order: the backend's CQE batch. */
		m = npool ? rnd() % (npool + 1) : 0;
		for (k = 0; k < m; k++) {
			uint32_t j = rnd() % npool;
			struct pending p = pool[j];
			uint32_t full = full_len[p.cookie % RING];

			pool[j] = pool[--npool];
			complete(&p.t, p.cookie, rnd() % 8 ? full : rnd() % (full + 1));
			done++;
		}
		vq_flush(&vq);
		check_window();
		drain(ordered);
		if (!ordered)
			memset(seen, 0,
			       sizeof(seen)); /* seen[] only guards within a drain window */
	}
	ck_assert_uint_gt(next_cookie, 65536 + 1000);
	ck_assert(!vq.broken);
	teardown();
}

START_TEST(t3_stress_in_order_batched)
{
	stress(F_INORD, true, 1000000);
	ck_assert_uint_eq(next_expected, next_expected); /* drain() checked each buffer */
}
END_TEST

START_TEST(t3_stress_in_order_unbatched)
{
	stress(F_INORD, false, 200000);
}
END_TEST

START_TEST(t3_stress_unordered)
{
	stress(0, true, 200000);
}
END_TEST

/* T5: 32 zero-length TX completions become one entry at old_idx % N. */
START_TEST(t5_zero_len_batch)
{
	struct vq_ticket t[32];
	uint16_t old;
	uint32_t id, len;
	int i, last = -1;

	setup_q(64, 0, F_V1 | F_INORD, true);
	/* Move the ring so the batch lands mid-ring and wraps the descriptor table. */
	for (i = 0; i < 50; i++) {
		add(0 + 8, false, false);
		pop_ok(&t[0]);
		complete(&t[0], (uint64_t)i, 3);
		vq_flush(&vq);
		drain(true);
	}
	old = mock_used_idx(&md);
	for (i = 0; i < 32; i++) {
		uint32_t out = 64;

		last = mock_add(&md, &out, 1, NULL, 0, false, next_cookie);
		full_len[next_cookie % RING] = 0;
		next_cookie++;
		pop_ok(&t[i]);
	}
	for (i = 0; i < 32; i++)
		complete(&t[(i * 7) % 32], next_expected + (uint64_t)((i * 7) % 32), 0);
	uint64_t entries = vq.stats.used_entries;
	vq_flush(&vq);
	ck_assert_uint_eq(vq.stats.used_entries, entries + 1);
	ck_assert_uint_eq(mock_used_idx(&md), (uint16_t)(old + 32));
	mock_used_elem(&md, old % 64, &id, &len);
	ck_assert_uint_eq(id, (uint32_t)last);
	ck_assert_uint_eq(len, 0);
	ck_assert_uint_eq(vq.stats.batch_hist[5], 1); /* 17..32 */
	ck_assert_uint_eq(drain(true), 32);
	teardown();
}
END_TEST

/* Publish n full buffers completed in reverse, return the flush's decision. */
static bool publish_batch(unsigned int n)
{
	struct vq_ticket t[16];
	unsigned int i;
	uint64_t base = next_cookie;

	for (i = 0; i < n; i++) {
		add(32, false, false);
		pop_ok(&t[i]);
	}
	for (i = n; i-- > 0;)
		complete(&t[i], base + i, 32);
	return vq_flush(&vq);
}

/* T7: a used_event inside a batch interrupts exactly once; outside never. */
static void event_idx_cases(void)
{
	uint16_t u = mock_used_idx(&md);

	/* Linux-style: inside the range [old, new). */
	mock_set_used_event(&md, (uint16_t)(u + 4));
	ck_assert(publish_batch(10));
	ck_assert(!vq_flush(&vq));
	ck_assert_uint_eq(drain(true), 10);
	u += 10;
	/* At new (the driver wants the next one) and well before old: no interrupt. */
	mock_set_used_event(&md, (uint16_t)(u + 10));
	ck_assert(!publish_batch(10));
	ck_assert_uint_eq(drain(true), 10);
	u += 10;
	mock_set_used_event(&md, (uint16_t)(u - 3));
	ck_assert(!publish_batch(10));
	ck_assert_uint_eq(drain(true), 10);
	u += 10;
	/* The first buffer of the batch. */
	mock_set_used_event(&md, u);
	ck_assert(publish_batch(10));
	ck_assert_uint_eq(drain(true), 10);
}

START_TEST(t7_event_idx_inside_batch)
{
	setup_q(16, 0, F_V1 | F_INORD | F_EVENT, true);
	mock_set_used_event(&md, 0xffff);
	ck_assert(publish_batch(1)); /* the first publication always interrupts */
	drain(true);
	event_idx_cases();
	teardown();
}
END_TEST

START_TEST(t7_event_idx_across_wrap)
{
	uint32_t i;

	setup_q(16, 0, F_V1 | F_INORD | F_EVENT, true);
	/* Walk used.idx to 65531 so the batches straddle 65535 -> 0. */
	while (mock_used_idx(&md) != 65531) {
		publish_batch(1 + (65531 - mock_used_idx(&md) > 8 ? 7 : 0));
		drain(true);
	}
	event_idx_cases();
	/* used_event itself wrapped below the wrapped new index. */
	ck_assert_uint_lt(mock_used_idx(&md), 100);
	for (i = 0; i < 3; i++) {
		uint16_t u = mock_used_idx(&md);

		mock_set_used_event(&md, (uint16_t)(u + 2));
		ck_assert(publish_batch(5));
		drain(true);
	}
	teardown();
}
END_TEST

/* T9: a failed request is completed (len 0), so later ones are not stuck behind it. */
START_TEST(t9_hole_prevention)
{
	struct vq_ticket t[10];
	int i;

	setup_q(16, 0, F_V1 | F_INORD, true);
	for (i = 0; i < 10; i++) {
		add(64, false, false);
		pop_ok(&t[i]);
	}
	for (i = 1; i < 10; i++)
		complete(&t[i], (uint64_t)i, 64);
	/* Watchdog: while seq 0 is missing nothing moves. */
	vq_flush(&vq);
	ck_assert_uint_eq(mock_used_idx(&md), 0);
	/* Its backend failed: complete it with len 0 rather than dropping it. */
	complete(&t[0], 0, 0);
	vq_flush(&vq);
	ck_assert_uint_eq(mock_used_idx(&md), 10);
	ck_assert_uint_eq(drain(true), 10);

	/* A chain error in the middle is completed the same way. */
	add(64, false, false);
	i = add(64, false, false);
	mock_write_desc(&md, (uint16_t)i, 0xdead0000ULL, 8, VRING_DESC_F_WRITE, 0);
	add(64, false, false);
	pop_ok(&t[0]);
	ck_assert_int_eq(vq_pop(&vq, &ch), VQ_E_BAD_ADDR);
	t[1] = ch.t;
	pop_ok(&t[2]);
	complete(&t[2], 12, 64);
	complete(&t[1], 11, 0);
	vq_flush(&vq);
	ck_assert_uint_eq(mock_used_idx(&md), 10);
	complete(&t[0], 10, 64);
	vq_flush(&vq);
	ck_assert_uint_eq(mock_used_idx(&md), 13);
	ck_assert_uint_eq(drain(true), 3);
	teardown();
}
END_TEST

START_TEST(t10_unpop)
{
	struct vq_ticket t[3], again[2];
	int i;

	setup_q(16, 0, F_V1 | F_INORD | F_EVENT, true);
	for (i = 0; i < 3; i++) {
		add(64, false, false);
		pop_ok(&t[i]);
	}
	ck_assert_uint_eq(mock_avail_event(&md), 3);
	/* Not more than were popped; not the newest if the newest completed. */
	ck_assert_int_eq(vq_unpop(&vq, 4), VQ_E_BAD_SEQ);
	ck_assert_int_eq(vq_unpop(&vq, 2), VQ_OK);
	ck_assert_uint_eq(vq.split.last_avail, 1);
	ck_assert_uint_eq(vq.next_seq, 1);
	/* The given-back buffers were looked at: a kick is wanted for the next new one. */
	ck_assert_uint_eq(mock_avail_event(&md), 3);
	ck_assert(!vq_avail_count(&vq));
	for (i = 0; i < 2; i++) {
		pop_ok(&again[i]);
		ck_assert_uint_eq(again[i].seq, t[i + 1].seq);
		ck_assert_uint_eq(again[i].head, t[i + 1].head);
	}
	complete(&again[1], 2, 64);
	ck_assert_int_eq(vq_unpop(&vq, 1), VQ_E_BAD_SEQ);
	ck_assert_uint_eq(vq.next_seq, 3);
	complete(&t[0], 0, 64);
	complete(&again[0], 1, 10);
	vq_flush(&vq);
	ck_assert_uint_eq(mock_used_idx(&md), 3);
	ck_assert_uint_eq(drain(true), 3);
	ck_assert_uint_eq(vq.stats.unpopped, 2);
	teardown();
}
END_TEST

/* T12: IN_ORDER not negotiated: completion order, one entry each, non-sequential chains. */
START_TEST(t12_not_negotiated)
{
	uint32_t three[3] = {8, 8, 8}, two[2] = {4, 4}, id, len;
	struct vq_ticket t[3];
	int heads[3], i;
	uint64_t c;

	setup_q(8, 0, F_V1, true);
	/* Churn the free list so chains stop being sequential. */
	heads[0] = mock_add(&md, NULL, 0, three, 3, false, 100);
	heads[1] = mock_add(&md, NULL, 0, two, 1, false, 101);
	pop_ok(&t[0]);
	pop_ok(&t[1]);
	ck_assert_int_eq(vq_complete(&vq, &t[0], 24), VQ_OK);
	ck_assert_int_eq(vq_complete(&vq, &t[1], 4), VQ_OK);
	vq_flush(&vq);
	ck_assert_int_eq(mock_get(&md, &c, &len), 1);
	ck_assert_int_eq(mock_get(&md, &c, &len), 1);

	heads[0] = mock_add(&md, NULL, 0, three, 3, false, 0);
	heads[1] = mock_add(&md, NULL, 0, two, 2, false, 1);
	heads[2] = mock_add(&md, NULL, 0, three, 1, false, 2);
	ck_assert_uint_ne(gm_load16(md.desc + 16 * heads[0] + 14), (uint16_t)(heads[0] + 1));
	for (i = 0; i < 3; i++)
		pop_ok(&t[i]);
	/* Each completion is written at once, in completion order. */
	ck_assert_int_eq(vq_complete(&vq, &t[2], 5), VQ_OK);
	ck_assert_uint_eq(vq.split.used_idx, 3);
	ck_assert(vq_flush(&vq));
	ck_assert_int_eq(vq_complete(&vq, &t[0], 24), VQ_OK);
	ck_assert_int_eq(vq_complete(&vq, &t[1], 7), VQ_OK);
	vq_flush(&vq);
	mock_used_elem(&md, 2, &id, &len);
	ck_assert_uint_eq(id, (uint32_t)heads[2]);
	ck_assert_uint_eq(len, 5);
	mock_used_elem(&md, 3, &id, &len);
	ck_assert_uint_eq(id, (uint32_t)heads[0]);
	ck_assert_uint_eq(len, 24);
	mock_used_elem(&md, 4, &id, &len);
	ck_assert_uint_eq(id, (uint32_t)heads[1]);
	ck_assert_uint_eq(len, 7);
	ck_assert_uint_eq(vq.stats.waited, 0);
	ck_assert_uint_eq(vq.stats.heap_hwm, 0);
	ck_assert_uint_eq(vq.stats.batches, 0);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(mock_get(&md, &c, &len), 1);
	ck_assert(!md.broken);
	teardown();
}
END_TEST

/* T15: QueueNum < QueueNumMax: the window and the index wrap follow QueueNum. */
START_TEST(t15_reduced_queue_size)
{
	static struct vq_ticket t[64];
	uint32_t i, round;

	setup_q(64, 256, F_V1 | F_INORD, true);
	ck_assert_uint_eq(vq.num_max, 256);
	ck_assert_uint_eq(vq.heap.cap, 64);
	for (round = 0; round < 40; round++) {
		uint64_t base = next_cookie;

		seed(round + 1000);
		for (i = 0; i < 64; i++) {
			add(64, false, false);
			pop_ok(&t[i]);
		}
		for (i = 0; i < 64; i++) {
			uint32_t k = (i * 37 + round) % 64;

			complete(&t[k], base + k, rnd() % 2 ? 64 : 1);
		}
		vq_flush(&vq);
		check_window();
		ck_assert_uint_eq(drain(true), 64);
	}
	ck_assert_uint_le(vq.stats.heap_hwm, 63);
	ck_assert_uint_eq(vq.split.used_idx, (uint16_t)(40 * 64));
	teardown();
}
END_TEST

/* R16: reset drops late completions and starts again from seq 0 / slot 0. */
/*
 * A reset storm costs no memory: 100 rounds of enable, a full ring popped,
 * half of it completed out of order (so the heap holds entries), reset.
 * The queue allocates at enable and frees at reset, so the heap in use is
 * the same after the storm as after the first round.
 */
START_TEST(reset_storm_memory_bounded)
{
	struct vq_ticket t[256];
	size_t base = 0;

	setup_q(256, 0, F_V1 | F_INORD | F_INDIR, true);
	vq_reset(&vq);
	/* REQUIRE, not Check, inside the loop: only the queue and the mock allocate. */
	for (int round = 0; round < 100; round++) {
		mock_free(&md);
		REQUIRE(mock_init(&md, 256, F_V1 | F_INORD | F_INDIR, RAM_GPA) == 0);
		next_cookie = next_expected = 0;
		vq.size = 256;
		vq.desc_gpa = md.desc_gpa;
		vq.avail_gpa = md.avail_gpa;
		vq.used_gpa = md.used_gpa;
		REQUIRE(vq_enable(&vq, &md.gm, F_V1 | F_INORD | F_INDIR) == VQ_OK);
		for (int i = 0; i < 256; i++) {
			REQUIRE(add(64, true, true) >= 0);
			pop_ok(&t[i]);
		}
		for (int i = 255; i >= 128; i--)
			complete(&t[i], (uint64_t)i, 64);
		REQUIRE(vq.heap.nr == 128);
		vq_reset(&vq);
		/*
		 * The first rounds warm malloc's caches: glibc's calloc does not take
		 * from the per-thread cache that free fills, and mallinfo counts its
		 * chunks (up to 7 per size) as in use, so the count climbs for a few
		 * rounds. From then on every round ends where it began.
		 */
		if (round == 10)
			base = mallinfo2().uordblks;
		REQUIRE_MSG(round < 10 || mallinfo2().uordblks == base,
			    "round %d: %zu bytes in use, %zu after round 10", round,
			    (size_t)mallinfo2().uordblks, base);
	}
	teardown();
}
END_TEST

START_TEST(reset_drops_stale_completions)
{
	struct vq_ticket t[4], n;
	uint32_t gen, id, len;
	int i;

	setup_q(16, 0, F_V1 | F_INORD, true);
	for (i = 0; i < 4; i++) {
		add(64, false, false);
		pop_ok(&t[i]);
	}
	complete(&t[1], 1, 64);
	complete(&t[2], 2, 64);
	gen = vq.gen;
	vq_reset(&vq);
	ck_assert(!vq.ready);
	ck_assert_uint_eq(vq.gen, gen + 1);
	ck_assert_int_eq(vq_complete(&vq, &t[0], 64), VQ_E_STALE);

	/* The driver re-initialises its ring; the transport re-enables the queue. */
	mock_free(&md);
	ck_assert_int_eq(mock_init(&md, 16, F_V1 | F_INORD, RAM_GPA), 0);
	vq.size = 16;
	vq.desc_gpa = md.desc_gpa;
	vq.avail_gpa = md.avail_gpa;
	vq.used_gpa = md.used_gpa;
	ck_assert_int_eq(vq_enable(&vq, &md.gm, F_V1 | F_INORD), VQ_OK);
	ck_assert(seq_heap_empty(&vq.heap));
	next_cookie = next_expected = 0;
	add(64, false, false);
	pop_ok(&n);
	ck_assert_uint_eq(n.seq, 0);
	/* Old tickets, even with seqs that exist again, never publish. */
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(vq_complete(&vq, &t[i], 64), VQ_E_STALE);
	ck_assert_uint_eq(vq.stats.stale, 5);
	ck_assert(!vq_flush(&vq));
	ck_assert_uint_eq(mock_used_idx(&md), 0);
	complete(&n, 0, 9);
	vq_flush(&vq);
	mock_used_elem(&md, 0, &id, &len);
	ck_assert_uint_eq(id, n.head);
	ck_assert_uint_eq(len, 9);
	ck_assert_uint_eq(drain(true), 1);
	teardown();
}
END_TEST

/*
 * One round of the property: n buffers popped, completed in order perm[],
 * flushed after each completion with probability 1/flush_every, then all
 * read back. The driver must see every buffer exactly once, in avail order
 * under IN_ORDER, each with the length the device reported.
 */
static void property_round(const uint32_t *perm, uint32_t n, uint32_t flush_every)
{
	static struct vq_ticket t[MAXQ];
	bool ordered = vq.in_order;
	uint64_t base = next_cookie;
	uint32_t i, got = 0;

	memset(seen, 0, sizeof(seen));
	for (i = 0; i < n; i++) {
		REQUIRE(add(1 + rnd() % 100, false, false) >= 0);
		pop_ok(&t[i]);
	}
	for (i = 0; i < n; i++) {
		uint32_t k = perm[i], full = full_len[(base + k) % RING];

		complete(&t[k], base + k, rnd() % 3 ? full : rnd() % (full + 1));
		if (flush_every && rnd() % flush_every == 0) {
			vq_flush(&vq);
			got += drain(ordered);
		}
	}
	vq_flush(&vq);
	got += drain(ordered);
	REQUIRE(got == n);
	REQUIRE(mock_outstanding(&md) == 0);
	check_window();
}

static bool next_perm(uint32_t *a, uint32_t n)
{
	uint32_t i, j, x;

	if (n < 2)
		return false;
	for (i = n - 1; i > 0 && a[i - 1] >= a[i]; i--)
		;
	if (!i)
		return false;
	for (j = n - 1; a[j] <= a[i - 1]; j--)
		;
	x = a[i - 1];
	a[i - 1] = a[j];
	a[j] = x;
	for (j = n - 1; i < j; i++, j--) {
		x = a[i];
		a[i] = a[j];
		a[j] = x;
	}
	return true;
}

static void every_permutation(uint64_t features, bool batching)
{
	uint32_t perm[7], n, i, rounds = 0;

	setup_q(8, 0, F_V1 | features, batching);
	seed(42);
	for (n = 1; n <= 7; n++) {
		for (i = 0; i < n; i++)
			perm[i] = i;
		do {
			property_round(perm, n, rounds % 3);
			rounds++;
		} while (next_perm(perm, n));
	}
	ck_assert_uint_eq(rounds, 1 + 2 + 6 + 24 + 120 + 720 + 5040);
	ck_assert_uint_le(vq.stats.heap_hwm, 6);
	teardown();
}

START_TEST(property_every_small_permutation_batched)
{
	every_permutation(F_INORD, true);
	ck_assert_uint_gt(vq.stats.batch_bufs, vq.stats.batches);
}
END_TEST

START_TEST(property_every_small_permutation_unbatched)
{
	every_permutation(F_INORD, false);
}
END_TEST

START_TEST(property_every_small_permutation_unordered)
{
	every_permutation(0, true);
}
END_TEST

static void random_permutations(uint64_t features, bool batching, uint32_t seeds)
{
	static uint32_t perm[MAXQ];
	uint32_t s, i, n;

	setup_q(128, 0, F_V1 | features, batching);
	for (s = 0; s < seeds; s++) {
		seed(s);
		n = 1 + rnd() % 128;
		for (i = 0; i < n; i++)
			perm[i] = i;
		for (i = n - 1; i > 0; i--) {
			uint32_t j = rnd() % (i + 1), x = perm[i];

			perm[i] = perm[j];
			perm[j] = x;
		}
		property_round(perm, n, 1 + s % 8);
	}
	ck_assert_uint_le(vq.stats.heap_hwm, 127);
	teardown();
}

START_TEST(property_random_permutations_batched)
{
	random_permutations(F_INORD, true, 3000);
}
END_TEST

START_TEST(property_random_permutations_unbatched)
{
	random_permutations(F_INORD, false, 1500);
}
END_TEST

START_TEST(property_random_permutations_unordered)
{
	random_permutations(0, true, 1500);
	ck_assert_uint_eq(vq.stats.waited, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("virtio_inorder");
	TCase *tc = tcase_create("core");
	TCase *prop = tcase_create("property");

	tcase_set_timeout(tc, 120);
	tcase_set_timeout(prop, 120);
	tcase_add_test(tc, t1_reverse_completion);
	tcase_add_test(tc, t1_reverse_completion_batched);
	tcase_add_test(tc, partial_buffer_ends_run);
	tcase_add_test(tc, batching_switch_off);
	tcase_add_test(tc, t2_full_ring_random_order);
	tcase_add_test(tc, t3_stress_in_order_batched);
	tcase_add_test(tc, t3_stress_in_order_unbatched);
	tcase_add_test(tc, t3_stress_unordered);
	tcase_add_test(tc, t5_zero_len_batch);
	tcase_add_test(tc, t7_event_idx_inside_batch);
	tcase_add_test(tc, t7_event_idx_across_wrap);
	tcase_add_test(tc, t9_hole_prevention);
	tcase_add_test(tc, t10_unpop);
	tcase_add_test(tc, t12_not_negotiated);
	tcase_add_test(tc, t15_reduced_queue_size);
	tcase_add_test(tc, reset_drops_stale_completions);
	tcase_add_test(tc, reset_storm_memory_bounded);
	tcase_add_test(prop, property_every_small_permutation_batched);
	tcase_add_test(prop, property_every_small_permutation_unbatched);
	tcase_add_test(prop, property_every_small_permutation_unordered);
	tcase_add_test(prop, property_random_permutations_batched);
	tcase_add_test(prop, property_random_permutations_unbatched);
	tcase_add_test(prop, property_random_permutations_unordered);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, prop);
	return check_run(s);
}
