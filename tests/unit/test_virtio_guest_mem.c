// SPDX-License-Identifier: MIT
/* Guest-memory translation, the one path from guest addresses to host pointers. */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

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
	struct seq_heap_ent e;
	uint64_t want = 0;
	unsigned int i, n = 1000;

	ck_assert_int_eq(seq_heap_init(&h, n), 0);
	srand(7);
	/* Push a shuffled 0..n-1, each carrying its seq in len and head. */
	uint64_t *v = malloc(n * sizeof(*v));
	for (i = 0; i < n; i++)
		v[i] = i;
	for (i = n - 1; i > 0; i--) {
		unsigned int j = (unsigned int)rand() % (i + 1);
		uint64_t t = v[i];

		v[i] = v[j];
		v[j] = t;
	}
	for (i = 0; i < n; i++)
		ck_assert_int_eq(seq_heap_push(&h, (struct seq_heap_ent){.seq = v[i],
									 .len = (uint32_t)v[i],
									 .head = (uint16_t)v[i]}),
				 0);
	ck_assert_int_eq(seq_heap_push(&h, (struct seq_heap_ent){.seq = 5}), -ENOSPC);
	while (seq_heap_pop(&h, &e)) {
		ck_assert_uint_eq(e.seq, want);
		ck_assert_uint_eq(e.len, (uint32_t)want);
		ck_assert_uint_eq(e.head, (uint16_t)want);
		want++;
	}
	ck_assert_uint_eq(want, n);
	ck_assert(seq_heap_empty(&h));
	free(v);
	seq_heap_free(&h);
}
END_TEST

START_TEST(heap_large_seq_values)
{
	struct seq_heap h;
	struct seq_heap_ent e;

	/* 64-bit sequence numbers never wrap in practice; order must hold past 2^32. */
	ck_assert_int_eq(seq_heap_init(&h, 4), 0);
	seq_heap_push(&h, (struct seq_heap_ent){.seq = (1ULL << 40) + 2});
	seq_heap_push(&h, (struct seq_heap_ent){.seq = (1ULL << 32)});
	seq_heap_push(&h, (struct seq_heap_ent){.seq = (1ULL << 40) + 1});
	ck_assert_uint_eq(seq_heap_min(&h)->seq, 1ULL << 32);
	ck_assert(seq_heap_pop(&h, &e));
	ck_assert(seq_heap_pop(&h, &e));
	ck_assert_uint_eq(e.seq, (1ULL << 40) + 1);
	seq_heap_clear(&h);
	ck_assert(!seq_heap_pop(&h, &e));
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
	tcase_add_test(tc, heap_large_seq_values);
	suite_add_tcase(s, tc);
	return check_run(s);
}
