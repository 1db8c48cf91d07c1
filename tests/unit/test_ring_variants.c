// SPDX-License-Identifier: MIT
/*
 * The ring benchmark's device-side variants (tests/unit/ring_variants.h)
 * are what the benchmark says they are: fed one completion order, the
 * heap (c), the hash (d) and the seq % size array (e) publish
 * byte-identical used rings after every flush, the batched heap (b) hands
 * the driver the same buffers with the same lengths in fewer entries, and
 * unordered publication (a) hands them back in completion order. Also the
 * cost claims that need no clock: in-sequence completions never touch the
 * heap, and the driver reads fewer used entries and loads used.idx less
 * often with batched entries.
 */
#include <check.h>
#include <string.h>

#include "tests/unit/check_run.h"
#include "tests/unit/mock_driver.h"
#include "tests/unit/ring_variants.h"

#define QS    64
#define TOTAL 20000
#define BUF   200

struct side {
	struct mock_driver md;
	struct virtqueue vq;
	struct rv_state rv;
	struct vq_ticket t[QS]; /* by pop order within a round */
	uint64_t got[QS];	/* cookies read back this flush, in order */
	uint32_t ngot;
};

static struct side sides[RV_COUNT];
static uint64_t rng;

static uint32_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 0x2545F4914F6CDD1DULL) >> 32);
}

static void side_init(struct side *s, enum ring_variant v)
{
	ck_assert_int_eq(mock_init(&s->md, QS, rv_driver_features(v), 0x100000), 0);
	vq_init(&s->vq, QS);
	s->vq.size = QS;
	s->vq.desc_gpa = s->md.desc_gpa;
	s->vq.avail_gpa = s->md.avail_gpa;
	s->vq.used_gpa = s->md.used_gpa;
	ck_assert_int_eq(vq_enable(&s->vq, &s->md.gm, rv_device_features(v)), VQ_OK);
	rv_attach(&s->rv, v, &s->vq);
}

static void side_free(struct side *s)
{
	vq_destroy(&s->vq);
	mock_free(&s->md);
}

static void reap(struct side *s)
{
	uint64_t c;
	uint32_t len;
	int g;

	s->ngot = 0;
	while ((g = mock_get(&s->md, &c, &len)) == 1) {
		ck_assert_uint_eq(len, BUF);
		ck_assert_uint_lt(s->ngot, QS);
		s->got[s->ngot++] = c;
	}
	ck_assert_msg(g == 0, "driver broke: %s", s->md.why);
}

/* used.idx and every used entry: what the driver can see. */
static void assert_same_used(const struct side *x, const struct side *y)
{
	ck_assert_uint_eq(mock_used_idx(&x->md), mock_used_idx(&y->md));
	ck_assert_int_eq(memcmp(x->md.used + VQ_USED_RING(0), y->md.used + VQ_USED_RING(0),
				VQ_USED_RING(QS) - VQ_USED_RING(0)),
			 0);
}

START_TEST(variants_publish_the_same)
{
	uint64_t cookie = 0, done = 0;
	uint32_t perm[QS];
	int v;

	for (v = 0; v < RV_COUNT; v++)
		side_init(&sides[v], (enum ring_variant)v);
	rng = 0x5eed;
	while (done < TOTAL) {
		uint32_t n = 1 + rnd() % QS, i, k, flushed = 0;

		/* Every side gets the same buffers and pops them in the same order. */
		for (i = 0; i < n; i++) {
			for (v = 0; v < RV_COUNT; v++) {
				struct vq_chain c;
				struct iovec iov[2];

				ck_assert_int_ge(
					mock_add_simple(&sides[v].md, 0, BUF, false, cookie), 0);
				vq_chain_init(&c, iov, 2);
				ck_assert_int_eq(vq_pop(&sides[v].vq, &c), VQ_OK);
				sides[v].t[i] = c.t;
			}
			perm[i] = i;
			cookie++;
		}
		for (i = n - 1; i > 0; i--) {
			uint32_t j = rnd() % (i + 1), x = perm[i];

			perm[i] = perm[j];
			perm[j] = x;
		}
		/* One completion order for all, flushed at the same random points. */
		for (i = 0; i < n; i++) {
			bool flush = i == n - 1 || rnd() % 4 == 0;

			for (v = 0; v < RV_COUNT; v++)
				rv_complete(&sides[v].rv, &sides[v].t[perm[i]], BUF);
			if (!flush)
				continue;
			for (v = 0; v < RV_COUNT; v++)
				vq_flush(&sides[v].vq);
			assert_same_used(&sides[RV_HEAP], &sides[RV_HASH]);
			assert_same_used(&sides[RV_HEAP], &sides[RV_ARRAY]);
			ck_assert_uint_eq(mock_used_idx(&sides[RV_HEAP_BATCH].md),
					  mock_used_idx(&sides[RV_HEAP].md));
			for (v = 0; v < RV_COUNT; v++)
				reap(&sides[v]);
			/* b: the same buffers as c, in avail order. */
			ck_assert_uint_eq(sides[RV_HEAP_BATCH].ngot, sides[RV_HEAP].ngot);
			ck_assert_int_eq(memcmp(sides[RV_HEAP_BATCH].got, sides[RV_HEAP].got,
						sides[RV_HEAP].ngot * sizeof(uint64_t)),
					 0);
			/* a: everything completed since the last flush, in completion order. */
			ck_assert_uint_eq(sides[RV_UNORDERED].ngot, i + 1 - flushed);
			for (k = 0; k < sides[RV_UNORDERED].ngot; k++)
				ck_assert_uint_eq(sides[RV_UNORDERED].got[k],
						  cookie - n + perm[flushed + k]);
			flushed = i + 1;
		}
		done += n;
	}
	/* The comparison means something: c really reordered, b really batched. */
	ck_assert_uint_gt(sides[RV_HEAP].vq.stats.waited, TOTAL / 4);
	ck_assert_uint_lt(sides[RV_HEAP_BATCH].vq.stats.used_entries,
			  sides[RV_HEAP].vq.stats.used_entries / 2);
	/* What batching saves the driver: entries read and used.idx loads. */
	ck_assert_uint_lt(sides[RV_HEAP_BATCH].md.entries_read, sides[RV_HEAP].md.entries_read / 2);
	ck_assert_uint_lt(sides[RV_HEAP_BATCH].md.idx_loads, sides[RV_HEAP].md.idx_loads);
	ck_assert_uint_le(sides[RV_HEAP_BATCH].md.lines_read, sides[RV_HEAP].md.lines_read);
	ck_assert_uint_eq(sides[RV_HEAP].md.entries_read, done);
	for (v = 0; v < RV_COUNT; v++)
		side_free(&sides[v]);
}
END_TEST

/* Completions in avail order are published at once: the heap is never used. */
START_TEST(in_sequence_never_touches_the_heap)
{
	struct side *s = &sides[RV_HEAP_BATCH];
	uint64_t cookie = 0;
	uint32_t i, round;

	side_init(s, RV_HEAP_BATCH);
	for (round = 0; round < 100; round++) {
		for (i = 0; i < QS; i++) {
			struct vq_chain c;
			struct iovec iov[2];

			ck_assert_int_ge(mock_add_simple(&s->md, 0, BUF, false, cookie++), 0);
			vq_chain_init(&c, iov, 2);
			ck_assert_int_eq(vq_pop(&s->vq, &c), VQ_OK);
			s->t[i] = c.t;
		}
		for (i = 0; i < QS; i++)
			rv_complete(&s->rv, &s->t[i], BUF);
		vq_flush(&s->vq);
		reap(s);
		ck_assert_uint_eq(s->ngot, QS);
	}
	ck_assert_uint_eq(s->vq.stats.waited, 0);
	ck_assert_uint_eq(s->vq.stats.heap_hwm, 0);
	/* One entry per flush: the whole in-order run. */
	ck_assert_uint_eq(s->vq.stats.used_entries, 100);
	side_free(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ring_variants");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, variants_publish_the_same);
	tcase_add_test(tc, in_sequence_never_touches_the_heap);
	suite_add_tcase(s, tc);
	return check_run(s);
}
