// SPDX-License-Identifier: MIT
/* Guest-memory translation, the one path from guest addresses to host pointers. */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/check_run.h"
#include "virtio/guest_mem.h"
#include "virtio/seq_heap.h"

#define GiB (1ULL << 30)

static uint8_t lo[8192] __attribute__((aligned(4096)));
static uint8_t hi[4096] __attribute__((aligned(4096)));

static void two_regions(struct guest_mem *gm)
{
	gm_init(gm);
	ck_assert_int_eq(gm_add_region(gm, 0, sizeof(lo), lo), 0);
	ck_assert_int_eq(gm_add_region(gm, 4 * GiB, sizeof(hi), hi), 0);
}

START_TEST(translate_inside)
{
	struct guest_mem gm;

	two_regions(&gm);
	ck_assert_ptr_eq(gm_translate(&gm, 0, 1), lo);
	ck_assert_ptr_eq(gm_translate(&gm, 100, 50), lo + 100);
	ck_assert_ptr_eq(gm_translate(&gm, 4 * GiB + 16, 16), hi + 16);
	/* The last byte of each region, and each region whole. */
	ck_assert_ptr_eq(gm_translate(&gm, sizeof(lo) - 1, 1), lo + sizeof(lo) - 1);
	ck_assert_ptr_eq(gm_translate(&gm, 0, sizeof(lo)), lo);
	ck_assert_ptr_eq(gm_translate(&gm, 4 * GiB, sizeof(hi)), hi);
}
END_TEST

START_TEST(translate_outside)
{
	struct guest_mem gm;

	two_regions(&gm);
	/* One byte past the end, straddling the end, in the hole, below the high region. */
	ck_assert_ptr_null(gm_translate(&gm, sizeof(lo), 1));
	ck_assert_ptr_null(gm_translate(&gm, sizeof(lo) - 1, 2));
	ck_assert_ptr_null(gm_translate(&gm, 3 * GiB, 1));
	ck_assert_ptr_null(gm_translate(&gm, 4 * GiB - 1, 2));
	ck_assert_ptr_null(gm_translate(&gm, 4 * GiB + sizeof(hi), 1));
	/* A range covering both regions is not inside one. */
	ck_assert_ptr_null(gm_translate(&gm, 0, 4 * GiB + sizeof(hi)));
}
END_TEST

START_TEST(translate_overflow)
{
	struct guest_mem gm;

	two_regions(&gm);
	/* gpa + len wraps to a small number that would look inside lo. */
	ck_assert_ptr_null(gm_translate(&gm, UINT64_MAX, 2));
	ck_assert_ptr_null(gm_translate(&gm, 16, UINT64_MAX));
	ck_assert_ptr_null(gm_translate(&gm, 4 * GiB + 1, UINT64_MAX - 4 * GiB));
	ck_assert_ptr_null(gm_translate(&gm, UINT64_MAX - 10, 100));
}
END_TEST

START_TEST(zero_len_needs_ram)
{
	struct guest_mem gm;

	two_regions(&gm);
	ck_assert_ptr_eq(gm_translate(&gm, 8, 0), lo + 8);
	ck_assert_ptr_null(gm_translate(&gm, sizeof(lo), 0));
}
END_TEST

START_TEST(add_region_checks)
{
	struct guest_mem gm;
	unsigned int i;

	gm_init(&gm);
	ck_assert_int_eq(gm_add_region(&gm, 0, 0, lo), -EINVAL);
	ck_assert_int_eq(gm_add_region(&gm, 0, 16, NULL), -EINVAL);
	ck_assert_int_eq(gm_add_region(&gm, UINT64_MAX - 4095, 8192, lo), -EINVAL);
	/* Host and guest must agree within a page or aligned fields break. */
	ck_assert_int_eq(gm_add_region(&gm, 8, 16, lo), -EINVAL);
	ck_assert_int_eq(gm_add_region(&gm, 0, sizeof(lo), lo), 0);
	ck_assert_int_eq(gm_add_region(&gm, 4096, 4096, hi), -EINVAL); /* overlap */
	ck_assert_int_eq(gm_add_region(&gm, 8192, 4096, hi), 0);       /* adjacent is fine */
	for (i = 2; i < GM_MAX_REGIONS; i++)
		ck_assert_int_eq(gm_add_region(&gm, (i + 1) * GiB, 4096, hi), 0);
	ck_assert_int_eq(gm_add_region(&gm, 100 * GiB, 4096, hi), -ENOSPC);
	/* Adjacent regions still do not make one: a range across them is refused. */
	ck_assert_ptr_null(gm_translate(&gm, 8192 - 8, 16));
}
END_TEST

START_TEST(ring_accessors_little_endian)
{
	uint8_t b[8] __attribute__((aligned(8))) = {0};

	gm_store16(b, 0x1234);
	ck_assert_uint_eq(b[0], 0x34);
	ck_assert_uint_eq(b[1], 0x12);
	ck_assert_uint_eq(gm_load16(b), 0x1234);
	gm_store16_release(b + 2, 0xbeef);
	ck_assert_uint_eq(gm_load16_acquire(b + 2), 0xbeef);
	gm_store32(b + 4, 0xa1b2c3d4);
	ck_assert_uint_eq(b[4], 0xd4);
	ck_assert_uint_eq(gm_load32(b + 4), 0xa1b2c3d4);
}
END_TEST

/* The reorder heap sits here too: it is the other leaf module under the queue. */
START_TEST(heap_orders_by_seq)
{
	struct seq_heap h;
	uint32_t want = 0, *v;
	unsigned int i, n = 1000;

	ck_assert_int_eq(seq_heap_init(&h, n), 0);
	srand(7);
	/* Push a shuffled 0..n-1. */
	v = malloc(n * sizeof(*v));
	for (i = 0; i < n; i++)
		v[i] = i;
	for (i = n - 1; i > 0; i--) {
		unsigned int j = (unsigned int)rand() % (i + 1);
		uint32_t t = v[i];

		v[i] = v[j];
		v[j] = t;
	}
	for (i = 0; i < n; i++) {
		if (!i || v[i] > want)
			want = v[i];
		ck_assert_int_eq(seq_heap_push(&h, v[i]), 0);
		ck_assert_uint_eq(seq_heap_max(&h), want);
	}
	want = 0;
	ck_assert_int_eq(seq_heap_push(&h, 5), -ENOSPC);
	while (!seq_heap_empty(&h)) {
		ck_assert_uint_eq(seq_heap_min(&h), want);
		seq_heap_pop(&h);
		want++;
	}
	ck_assert_uint_eq(want, n);
	free(v);
	seq_heap_free(&h);
}
END_TEST

/*
 * Keys are 32-bit seqs compared with wrap-around arithmetic: a window that
 * straddles 2^32 still comes out in sequence order, and so does the
 * largest key.
 */
START_TEST(heap_wraps_around)
{
	static const uint32_t in[] = {2, 0xfffffffe, 0, 0xffffffff, 1, 0xfffffffd};
	static const uint32_t out[] = {0xfffffffd, 0xfffffffe, 0xffffffff, 0, 1, 2};
	struct seq_heap h;
	unsigned int i;

	ck_assert_int_eq(seq_heap_init(&h, 8), 0);
	for (i = 0; i < 6; i++)
		ck_assert_int_eq(seq_heap_push(&h, in[i]), 0);
	ck_assert_uint_eq(seq_heap_max(&h), 2);
	for (i = 0; i < 6; i++) {
		ck_assert(!seq_heap_empty(&h));
		ck_assert_uint_eq(seq_heap_min(&h), out[i]);
		seq_heap_pop(&h);
	}
	ck_assert(seq_heap_empty(&h));
	seq_heap_free(&h);
}
END_TEST

/*
 * Every fill level of a full heap, from one key to a few levels of four:
 * the last family is short in every possible way, and pop's sentinels land
 * in the slots after the last key (ASan checks they stay in the allocation).
 */
START_TEST(heap_full_at_every_size)
{
	struct seq_heap h;
	uint32_t n, i;

	for (n = 1; n <= 90; n++) {
		ck_assert_int_eq(seq_heap_init(&h, n), 0);
		/* Descending pushes: each new key climbs to the root. */
		for (i = 0; i < n; i++)
			ck_assert_int_eq(seq_heap_push(&h, 0xfffffff0u + n - i), 0);
		ck_assert_int_eq(seq_heap_push(&h, 0), -ENOSPC);
		for (i = 0; i < n; i++) {
			ck_assert_uint_eq(seq_heap_min(&h), 0xfffffff1u + i);
			seq_heap_pop(&h);
		}
		ck_assert(seq_heap_empty(&h));
		seq_heap_free(&h);
	}
}
END_TEST

/* A random mix of pushes and pops against a sorted reference, keys near the wrap. */
START_TEST(heap_random_against_reference)
{
	static uint32_t ref[256];
	struct seq_heap h;
	uint32_t cur = 0xfffff000u, nref = 0, i, j;

	ck_assert_int_eq(seq_heap_init(&h, 256), 0);
	srand(11);
	for (i = 0; i < 40000; i++) {
		if (nref < 256 && (nref == 0 || rand() % 3)) {
			/* Never below the last key popped, as seqs never go back. */
			uint32_t k = cur + (uint32_t)(rand() % 512);

			ck_assert_int_eq(seq_heap_push(&h, k), 0);
			/* Insert keeping ref sorted in wrap-around order. */
			for (j = nref++; j > 0 && (int32_t)(ref[j - 1] - k) > 0; j--)
				ref[j] = ref[j - 1];
			ref[j] = k;
		} else {
			ck_assert_uint_eq(seq_heap_min(&h), ref[0]);
			ck_assert_uint_eq(seq_heap_max(&h), ref[nref - 1]);
			cur = ref[0];
			seq_heap_pop(&h);
			memmove(ref, ref + 1, --nref * sizeof(*ref));
		}
		ck_assert_uint_eq(h.nr, nref);
	}
	/* The keys went past the wrap: cur started 4 Ki below it. */
	ck_assert_uint_lt(cur, 0x80000000u);
	seq_heap_free(&h);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("virtio_guest_mem");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, translate_inside);
	tcase_add_test(tc, translate_outside);
	tcase_add_test(tc, translate_overflow);
	tcase_add_test(tc, zero_len_needs_ram);
	tcase_add_test(tc, add_region_checks);
	tcase_add_test(tc, ring_accessors_little_endian);
	tcase_add_test(tc, heap_orders_by_seq);
	tcase_add_test(tc, heap_wraps_around);
	tcase_add_test(tc, heap_full_at_every_size);
	tcase_add_test(tc, heap_random_against_reference);
	suite_add_tcase(s, tc);
	return check_run(s);
}
