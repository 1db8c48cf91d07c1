// SPDX-License-Identifier: MIT
/*
 * Split virtqueue against a mock driver: enabling, chains (direct and
 * indirect), every hostile ring the queue must survive, index wrap,
 * notification suppression and the EVENT_IDX arithmetic.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "tests/unit/check_run.h"
#include "tests/unit/mock_driver.h"
#include "virtio/packed_ring.h"
#include "virtio/split_ring.h"
#include "virtio/virtqueue.h"

#define GiB	 (1ULL << 30)
#define RAM_GPA	 0x100000ULL
#define F_V1	 (1ULL << VIRTIO_F_VERSION_1)
#define F_INDIR	 (1ULL << VIRTIO_RING_F_INDIRECT_DESC)
#define F_EVENT	 (1ULL << VIRTIO_RING_F_EVENT_IDX)
#define F_INORD	 (1ULL << VIRTIO_F_IN_ORDER)
#define F_PACKED (1ULL << VIRTIO_F_RING_PACKED)

static struct mock_driver md;
static struct virtqueue vq;
static struct iovec iov[64];
static struct vq_chain ch;

static void setup(uint16_t size, uint64_t features)
{
	ck_assert_int_eq(mock_init(&md, size, features, RAM_GPA), 0);
	ck_assert_int_eq(mock_attach(&md, &vq, 0), VQ_OK);
	vq_chain_init(&ch, iov, 64);
}

static void teardown(void)
{
	vq_destroy(&vq);
	mock_free(&md);
}

static void *hva(uint64_t gpa)
{
	return gm_translate(&md.gm, gpa, 1);
}

/* Pop, complete with len and flush; return what the flush decided. */
static bool pop_complete(uint32_t len)
{
	ck_assert_int_eq(vq_pop(&vq, &ch), VQ_OK);
	ck_assert_int_eq(vq_complete(&vq, &ch.t, len), VQ_OK);
	return vq_flush(&vq);
}

START_TEST(enable_validates_size)
{
	ck_assert_int_eq(mock_init(&md, 16, F_V1, RAM_GPA), 0);
	vq_init(&vq, 16);
	vq.desc_gpa = md.desc_gpa;
	vq.avail_gpa = md.avail_gpa;
	vq.used_gpa = md.used_gpa;
	vq.size = 0;
	ck_assert_int_eq(vq_enable(&vq, &md.gm, F_V1), VQ_E_SIZE);
	vq.size = 12;
	ck_assert_int_eq(vq_enable(&vq, &md.gm, F_V1), VQ_E_SIZE);
	vq.size = 32;
	ck_assert_int_eq(vq_enable(&vq, &md.gm, F_V1), VQ_E_SIZE);
	vq.size = 16;
	/* RING_PACKED picks the other format (test_virtio_packed.c); destroy lets it go. */
	ck_assert_int_eq(vq_enable(&vq, &md.gm, F_V1 | F_PACKED), VQ_OK);
	ck_assert_ptr_eq(vq.ops, &vq_packed_ops);
	vq_destroy(&vq);
	ck_assert(!vq.ready);
	ck_assert_int_eq(vq_enable(&vq, &md.gm, F_V1), VQ_OK);
	ck_assert_ptr_eq(vq.ops, &vq_split_ops);
	ck_assert(vq.ready);
	ck_assert_int_eq(vq_enable(&vq, &md.gm, F_V1), VQ_E_STATE);
	vq_destroy(&vq);
	/* QueueNumMax above what a split ring allows is a transport bug, refused too. */
	vq_init(&vq, 65535);
	vq.size = 16;
	vq.desc_gpa = md.desc_gpa;
	vq.avail_gpa = md.avail_gpa;
	vq.used_gpa = md.used_gpa;
	ck_assert_int_eq(vq_enable(&vq, &md.gm, F_V1), VQ_E_SIZE);
	mock_free(&md);
}
END_TEST

START_TEST(enable_validates_alignment)
{
	ck_assert_int_eq(mock_init(&md, 8, F_V1, RAM_GPA), 0);
	vq_init(&vq, 8);
	vq.size = 8;
	vq.desc_gpa = md.desc_gpa + 8;
	vq.avail_gpa = md.avail_gpa;
	vq.used_gpa = md.used_gpa;
	ck_assert_int_eq(vq_enable(&vq, &md.gm, F_V1), VQ_E_ALIGN);
	vq.desc_gpa = md.desc_gpa + 16;
	vq.avail_gpa = md.avail_gpa + 1;
	ck_assert_int_eq(vq_enable(&vq, &md.gm, F_V1), VQ_E_ALIGN);
	vq.avail_gpa = md.avail_gpa + 2;
	vq.used_gpa = md.used_gpa + 2;
	ck_assert_int_eq(vq_enable(&vq, &md.gm, F_V1), VQ_E_ALIGN);
	vq.used_gpa = md.used_gpa + 4;
	ck_assert_int_eq(vq_enable(&vq, &md.gm, F_V1), VQ_OK);
	vq_destroy(&vq);
	mock_free(&md);
}
END_TEST

/* Rings whose last byte is the last byte of RAM are fine; one byte more is not. */
static int enable_at(struct guest_mem *gm, uint64_t desc, uint64_t avail, uint64_t used,
		     uint64_t features)
{
	vq_destroy(&vq);
	vq_init(&vq, 8);
	vq.size = 8;
	vq.desc_gpa = desc;
	vq.avail_gpa = avail;
	vq.used_gpa = used;
	return vq_enable(&vq, gm, features);
}

START_TEST(ring_addresses_at_ram_edges)
{
	static uint8_t low[8192] __attribute__((aligned(4096)));
	static uint8_t high[8192] __attribute__((aligned(4096)));
	uint64_t lo_end = 3 * GiB, hi = 4 * GiB, hi_end = 4 * GiB + sizeof(high);
	uint64_t dsz = vq_desc_bytes(8);
	struct guest_mem gm;

	gm_init(&gm);
	ck_assert_int_eq(gm_add_region(&gm, lo_end - sizeof(low), sizeof(low), low), 0);
	ck_assert_int_eq(gm_add_region(&gm, hi, sizeof(high), high), 0);
	vq_init(&vq, 8);

	/* Used ring (no EVENT_IDX) ending exactly at the end of low RAM. */
	ck_assert_int_eq(enable_at(&gm, lo_end - 4096, lo_end - 2048,
				   lo_end - vq_used_bytes(8, false), F_V1),
			 VQ_OK);
	/* The same place with EVENT_IDX needs avail_event, two bytes past the end. */
	ck_assert_int_eq(enable_at(&gm, lo_end - 4096, lo_end - 2048,
				   lo_end - vq_used_bytes(8, false), F_V1 | F_EVENT),
			 VQ_E_RING_ADDR);
	ck_assert_int_eq(enable_at(&gm, lo_end - 4096, lo_end - 2048, lo_end - 72, F_V1 | F_EVENT),
			 VQ_OK);
	/* Descriptor table at the very start of the high region, avail ending at its end. */
	ck_assert_int_eq(enable_at(&gm, hi, hi_end - vq_avail_bytes(8, false), hi + 4096, F_V1),
			 VQ_OK);
	ck_assert_int_eq(enable_at(&gm, hi, hi_end - vq_avail_bytes(8, false) + 2, hi + 4096, F_V1),
			 VQ_E_RING_ADDR);
	/* A descriptor table straddling the end of low RAM into the hole. */
	ck_assert_int_eq(enable_at(&gm, lo_end - dsz + 16, hi + 2048, hi + 4096, F_V1),
			 VQ_E_RING_ADDR);
	/* Just below the high region, and an address whose end overflows. */
	ck_assert_int_eq(enable_at(&gm, hi - 16, hi + 2048, hi + 4096, F_V1), VQ_E_RING_ADDR);
	ck_assert_int_eq(enable_at(&gm, hi, hi + 2048, UINT64_MAX - 63, F_V1), VQ_E_RING_ADDR);
	/* The queue works where it was placed at the edge. */
	ck_assert_int_eq(enable_at(&gm, lo_end - 4096, lo_end - 2048, lo_end - 72, F_V1 | F_EVENT),
			 VQ_OK);
	vq_chain_init(&ch, iov, 64);
	ck_assert_int_eq(vq_pop(&vq, &ch), VQ_EMPTY);
	vq_destroy(&vq);
}
END_TEST

START_TEST(simple_chain)
{
	uint32_t out[2] = {100, 20}, in[1] = {300}, len;
	uint64_t cookie;
	int head;

	setup(16, F_V1);
	head = mock_add(&md, out, 2, in, 1, false, 77);
	ck_assert_int_ge(head, 0);
	ck_assert_int_eq(vq_pop(&vq, &ch), VQ_OK);
	ck_assert_uint_eq(ch.t.head, head);
	ck_assert_uint_eq(ch.t.seq, 0);
	ck_assert_uint_eq(ch.n_out, 2);
	ck_assert_uint_eq(ch.n_in, 1);
	ck_assert_uint_eq(ch.out_len, 120);
	ck_assert_uint_eq(ch.in_len, 300);
	ck_assert_uint_eq(ch.ndesc, 3);
	ck_assert(!ch.indirect);
	ck_assert_ptr_eq(iov[0].iov_base, hva(mock_seg_gpa(&md, head, 0)));
	ck_assert_uint_eq(iov[0].iov_len, 100);
	ck_assert_ptr_eq(iov[1].iov_base, hva(mock_seg_gpa(&md, head, 1)));
	ck_assert_uint_eq(iov[1].iov_len, 20);
	ck_assert_ptr_eq(vq_chain_in(&ch)[0].iov_base, hva(mock_seg_gpa(&md, head, 2)));
	ck_assert_uint_eq(vq_chain_in(&ch)[0].iov_len, 300);
	ck_assert_int_eq(vq_pop(&vq, &ch), VQ_EMPTY);

	/* Nothing is visible before the flush. */
	ck_assert_int_eq(vq_complete(&vq, &ch.t, 123), VQ_OK);
	ck_assert_uint_eq(mock_used_idx(&md), 0);
	ck_assert(vq_flush(&vq));
	ck_assert_uint_eq(mock_used_idx(&md), 1);
	ck_assert_int_eq(mock_get(&md, &cookie, &len), 1);
	ck_assert_uint_eq(cookie, 77);
	ck_assert_uint_eq(len, 123);
	/* A second flush has nothing to publish and asks for no interrupt. */
	ck_assert(!vq_flush(&vq));
	ck_assert_uint_eq(vq.stats.idx_stores, 1);
	teardown();
}
END_TEST

START_TEST(read_only_and_zero_length)
{
	uint32_t out[3] = {10, 0, 30};

	setup(8, F_V1);
	ck_assert_int_ge(mock_add(&md, out, 3, NULL, 0, false, 1), 0);
	ck_assert_int_eq(vq_pop(&vq, &ch), VQ_OK);
	/* The zero-length descriptor yields no segment but counts in the chain. */
	ck_assert_uint_eq(ch.n_out, 2);
	ck_assert_uint_eq(ch.n_in, 0);
	ck_assert_uint_eq(ch.ndesc, 3);
	ck_assert_uint_eq(ch.out_len, 40);
	ck_assert_uint_eq(ch.in_len, 0);
	/* A read-only chain cannot report written bytes. */
	ck_assert_int_eq(vq_complete(&vq, &ch.t, 1), VQ_E_BAD_LEN);
	ck_assert_int_eq(vq_complete(&vq, &ch.t, 0), VQ_OK);
	teardown();
}
END_TEST

START_TEST(indirect_chain)
{
	uint32_t out[2] = {16, 48}, in[3] = {200, 100, 1}, len;
	uint64_t cookie;
	int head;

	setup(8, F_V1 | F_INDIR);
	head = mock_add(&md, out, 2, in, 3, true, 5);
	ck_assert_int_ge(head, 0);
	ck_assert_int_eq(vq_pop(&vq, &ch), VQ_OK);
	ck_assert(ch.indirect);
	ck_assert_uint_eq(ch.ndesc, 1);
	ck_assert_uint_eq(ch.t.head, head);
	ck_assert_uint_eq(ch.n_out, 2);
	ck_assert_uint_eq(ch.n_in, 3);
	ck_assert_uint_eq(ch.out_len, 64);
	ck_assert_uint_eq(ch.in_len, 301);
	ck_assert_ptr_eq(iov[4].iov_base, hva(mock_seg_gpa(&md, head, 4)));
	ck_assert_uint_eq(iov[4].iov_len, 1);
	ck_assert_int_eq(vq_complete(&vq, &ch.t, 301), VQ_OK);
	ck_assert(vq_flush(&vq));
	ck_assert_int_eq(mock_get(&md, &cookie, &len), 1);
	ck_assert_uint_eq(cookie, 5);
	ck_assert_uint_eq(len, 301);
	teardown();
}
END_TEST

/* A chain error consumes the chain: it is completed with len 0 and the queue goes on. */
static void expect_chain_error(int want, uint16_t head)
{
	uint16_t before;
	uint32_t id, len;

	vq_flush(&vq);
	before = mock_used_idx(&md);

	ck_assert(vq_err_is_chain(want));
	ck_assert_int_eq(vq_pop(&vq, &ch), want);
	ck_assert_uint_eq(ch.t.head, head);
	ck_assert_int_eq(vq_complete(&vq, &ch.t, 1), VQ_E_BAD_LEN);
	ck_assert_int_eq(vq_complete(&vq, &ch.t, 0), VQ_OK);
	vq_flush(&vq);
	ck_assert_uint_eq(mock_used_idx(&md), (uint16_t)(before + 1));
	mock_used_elem(&md, before, &id, &len);
	ck_assert_uint_eq(id, head);
	ck_assert_uint_eq(len, 0);
	ck_assert(!vq.broken);
}

/* After a chain error a good buffer still goes through. */
static void expect_queue_alive(void)
{
	md.avail_idx = gm_load16(md.avail + VQ_AVAIL_IDX);
	ck_assert_int_ge(mock_add_simple(&md, 8, 8, false, 4242), 0);
	ck_assert_int_eq(vq_pop(&vq, &ch), VQ_OK);
	ck_assert_uint_eq(ch.in_len, 8);
}

static uint64_t seg(unsigned int k)
{
	return mock_seg_gpa(&md, 15, k);
}

START_TEST(hostile_next_out_of_range)
{
	setup(16, F_V1);
	mock_write_desc(&md, 3, seg(0), 10, VRING_DESC_F_NEXT, 16);
	mock_push_avail(&md, 3);
	expect_chain_error(VQ_E_NEXT_RANGE, 3);
	mock_write_desc(&md, 4, seg(0), 10, VRING_DESC_F_NEXT, 0xffff);
	mock_push_avail(&md, 4);
	expect_chain_error(VQ_E_NEXT_RANGE, 4);
	teardown();
}
END_TEST

START_TEST(hostile_loops)
{
	setup(16, F_V1 | F_INDIR);
	mock_write_desc(&md, 0, seg(0), 10, VRING_DESC_F_NEXT, 1);
	mock_write_desc(&md, 1, seg(1), 10, VRING_DESC_F_NEXT, 0);
	mock_push_avail(&md, 0);
	expect_chain_error(VQ_E_CHAIN_LOOP, 0);
	mock_write_desc(&md, 5, seg(0), 10, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 5);
	mock_push_avail(&md, 5);
	expect_chain_error(VQ_E_CHAIN_LOOP, 5);
	/* A loop inside an indirect table ends at the table's entry count. */
	mock_write_indirect(&md, md.indirect_gpa, 0, seg(0), 4, VRING_DESC_F_NEXT, 1);
	mock_write_indirect(&md, md.indirect_gpa, 1, seg(1), 4, VRING_DESC_F_NEXT, 0);
	mock_write_desc(&md, 6, md.indirect_gpa, 32, VRING_DESC_F_INDIRECT, 0);
	mock_push_avail(&md, 6);
	expect_chain_error(VQ_E_CHAIN_LOOP, 6);
	expect_queue_alive();
	teardown();
}
END_TEST

START_TEST(hostile_indirect)
{
	uint64_t t = md.indirect_gpa;

	setup(16, F_V1 | F_INDIR);
	t = md.indirect_gpa;
	/* Nested table. */
	mock_write_indirect(&md, t, 0, t + 256, 16, VRING_DESC_F_INDIRECT, 0);
	mock_write_desc(&md, 0, t, 16, VRING_DESC_F_INDIRECT, 0);
	mock_push_avail(&md, 0);
	expect_chain_error(VQ_E_INDIRECT_NESTED, 0);
	/* Table lengths: zero, not a multiple of 16, more entries than the queue size. */
	mock_write_indirect(&md, t, 0, seg(0), 4, 0, 0);
	mock_write_desc(&md, 1, t, 0, VRING_DESC_F_INDIRECT, 0);
	mock_push_avail(&md, 1);
	expect_chain_error(VQ_E_INDIRECT_LEN, 1);
	mock_write_desc(&md, 2, t, 17, VRING_DESC_F_INDIRECT, 0);
	mock_push_avail(&md, 2);
	expect_chain_error(VQ_E_INDIRECT_LEN, 2);
	mock_write_desc(&md, 3, t, 16 * 17, VRING_DESC_F_INDIRECT, 0);
	mock_push_avail(&md, 3);
	expect_chain_error(VQ_E_INDIRECT_LEN, 3);
	/* Exactly the queue size is allowed. */
	for (uint16_t i = 0; i < 16; i++)
		mock_write_indirect(&md, t, i, seg(0), 1, i < 15 ? VRING_DESC_F_NEXT : 0,
				    (uint16_t)(i + 1));
	mock_write_desc(&md, 4, t, 16 * 16, VRING_DESC_F_INDIRECT, 0);
	mock_push_avail(&md, 4);
	ck_assert_int_eq(vq_pop(&vq, &ch), VQ_OK);
	ck_assert_uint_eq(ch.n_out, 16);
	ck_assert_int_eq(vq_complete(&vq, &ch.t, 0), VQ_OK);
	/* INDIRECT together with NEXT, and INDIRECT as the second descriptor. */
	mock_write_indirect(&md, t, 0, seg(0), 4, 0, 0);
	mock_write_desc(&md, 5, t, 16, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 6);
	mock_push_avail(&md, 5);
	expect_chain_error(VQ_E_INDIRECT_CHAINED, 5);
	mock_write_desc(&md, 7, seg(0), 4, VRING_DESC_F_NEXT, 8);
	mock_write_desc(&md, 8, t, 16, VRING_DESC_F_INDIRECT, 0);
	mock_push_avail(&md, 7);
	expect_chain_error(VQ_E_INDIRECT_CHAINED, 7);
	/* A table outside RAM, and next beyond the table's entries. */
	mock_write_desc(&md, 9, md.ram_gpa + md.ram_size - 16, 32, VRING_DESC_F_INDIRECT, 0);
	mock_push_avail(&md, 9);
	expect_chain_error(VQ_E_BAD_ADDR, 9);
	mock_write_indirect(&md, t, 0, seg(0), 4, VRING_DESC_F_NEXT, 2);
	mock_write_desc(&md, 10, t, 32, VRING_DESC_F_INDIRECT, 0);
	mock_push_avail(&md, 10);
	expect_chain_error(VQ_E_NEXT_RANGE, 10);
	expect_queue_alive();
	teardown();
}
END_TEST

START_TEST(hostile_indirect_not_negotiated)
{
	setup(16, F_V1);
	mock_write_indirect(&md, md.indirect_gpa, 0, seg(0), 4, 0, 0);
	mock_write_desc(&md, 2, md.indirect_gpa, 16, VRING_DESC_F_INDIRECT, 0);
	mock_push_avail(&md, 2);
	expect_chain_error(VQ_E_INDIRECT_FEATURE, 2);
	teardown();
}
END_TEST

START_TEST(hostile_writable_before_readable)
{
	setup(16, F_V1 | F_INDIR);
	mock_write_desc(&md, 0, seg(0), 10, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	mock_write_desc(&md, 1, seg(1), 10, 0, 0);
	mock_push_avail(&md, 0);
	expect_chain_error(VQ_E_ORDER, 0);
	/* Even a zero-length readable one, and inside an indirect table. */
	mock_write_indirect(&md, md.indirect_gpa, 0, seg(0), 4,
			    VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	mock_write_indirect(&md, md.indirect_gpa, 1, seg(1), 0, 0, 0);
	mock_write_desc(&md, 2, md.indirect_gpa, 32, VRING_DESC_F_INDIRECT, 0);
	mock_push_avail(&md, 2);
	expect_chain_error(VQ_E_ORDER, 2);
	/* The segments parsed before the error are reported, valid. */
	ck_assert_uint_eq(ch.n_in, 1);
	ck_assert_uint_eq(ch.n_out, 0);
	teardown();
}
END_TEST

START_TEST(hostile_total_length_4g)
{
	/* 2 GiB + a page of address space, never touched: no memory is committed. */
	uint64_t big = 2 * GiB + 4096, at = 8 * GiB;
	void *p = mmap(NULL, big, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	ck_assert_ptr_ne(p, MAP_FAILED);
	ck_assert_int_eq(mock_init(&md, 16, F_V1, RAM_GPA), 0);
	ck_assert_int_eq(gm_add_region(&md.gm, at, big, p), 0);
	ck_assert_int_eq(mock_attach(&md, &vq, 0), VQ_OK);
	vq_chain_init(&ch, iov, 64);
	/* 2 GiB + (2 GiB - 1) = 4 GiB - 1: the largest total allowed. */
	mock_write_desc(&md, 0, at, 0x80000000u, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	mock_write_desc(&md, 1, at, 0x7fffffffu, VRING_DESC_F_WRITE, 0);
	mock_push_avail(&md, 0);
	ck_assert_int_eq(vq_pop(&vq, &ch), VQ_OK);
	ck_assert_uint_eq(ch.in_len, 0xffffffffu);
	ck_assert_int_eq(vq_complete(&vq, &ch.t, 0xffffffffu), VQ_OK);
	/* One byte more is 4 GiB. */
	mock_write_desc(&md, 2, at, 0x80000000u, VRING_DESC_F_NEXT, 3);
	mock_write_desc(&md, 3, at, 0x80000000u, VRING_DESC_F_WRITE, 0);
	mock_push_avail(&md, 2);
	expect_chain_error(VQ_E_TOO_LONG, 2);
	teardown();
	munmap(p, big);
}
END_TEST

START_TEST(hostile_addresses_outside_ram)
{
	uint64_t end = md.ram_gpa + md.ram_size;

	setup(16, F_V1);
	end = md.ram_gpa + md.ram_size;
	/* The last 8 bytes of RAM are fine. */
	mock_write_desc(&md, 0, end - 8, 8, VRING_DESC_F_WRITE, 0);
	mock_push_avail(&md, 0);
	ck_assert_int_eq(vq_pop(&vq, &ch), VQ_OK);
	ck_assert_int_eq(vq_complete(&vq, &ch.t, 8), VQ_OK);
	mock_write_desc(&md, 1, end - 4, 8, VRING_DESC_F_WRITE, 0);
	mock_push_avail(&md, 1);
	expect_chain_error(VQ_E_BAD_ADDR, 1);
	mock_write_desc(&md, 2, 0, 8, 0, 0); /* below RAM */
	mock_push_avail(&md, 2);
	expect_chain_error(VQ_E_BAD_ADDR, 2);
	mock_write_desc(&md, 3, UINT64_MAX - 3, 8, 0, 0); /* end wraps */
	mock_push_avail(&md, 3);
	expect_chain_error(VQ_E_BAD_ADDR, 3);
	mock_write_desc(&md, 4, md.ram_gpa, 0xffffffffu, 0, 0);
	mock_push_avail(&md, 4);
	expect_chain_error(VQ_E_BAD_ADDR, 4);
	expect_queue_alive();
	teardown();
}
END_TEST

START_TEST(too_many_segments_for_caller)
{
	uint32_t in[3] = {1, 2, 3};

	setup(16, F_V1);
	ck_assert_int_ge(mock_add(&md, NULL, 0, in, 3, false, 1), 0);
	vq_chain_init(&ch, iov, 2);
	expect_chain_error(VQ_E_TOO_MANY_SEGS, 0);
	teardown();
}
END_TEST

/* T11 (docs/design.md, "Test cases"): avail.idx jumping by N + 1 is a broken driver. */
START_TEST(hostile_avail_idx_runs_ahead)
{
	uint16_t i;

	setup(16, F_V1);
	for (i = 0; i < 16; i++)
		mock_write_desc(&md, i, seg(0), 4, VRING_DESC_F_WRITE, 0);
	mock_set_avail_idx(&md, 17);
	ck_assert_int_eq(vq_pop(&vq, &ch), VQ_E_AVAIL_IDX);
	ck_assert(vq_err_is_fatal(VQ_E_AVAIL_IDX));
	ck_assert(vq.broken);
	ck_assert_uint_eq(vq.split.last_avail, 0);
	ck_assert_int_eq(vq_pop(&vq, &ch), VQ_E_BROKEN);
	ck_assert_uint_eq(vq.stats.popped, 0);
	teardown();

	/* Exactly N ahead is a full ring, which is legal; also across the u16 wrap. */
	setup(16, F_V1);
	for (i = 0; i < 16; i++) {
		mock_write_desc(&md, i, seg(0), 4, VRING_DESC_F_WRITE, 0);
		gm_store16(md.avail + VQ_AVAIL_RING(i), i);
	}
	mock_set_avail_idx(&md, 16);
	for (i = 0; i < 16; i++)
		ck_assert_int_eq(vq_pop(&vq, &ch), VQ_OK);
	ck_assert_int_eq(vq_pop(&vq, &ch), VQ_EMPTY);
	ck_assert(!vq.broken);
	teardown();
}
END_TEST

START_TEST(hostile_head_out_of_range)
{
	setup(16, F_V1);
	mock_push_avail(&md, 16);
	ck_assert_int_eq(vq_pop(&vq, &ch), VQ_E_HEAD_RANGE);
	ck_assert(vq.broken);
	ck_assert_int_eq(vq_pop(&vq, &ch), VQ_E_BROKEN);
	teardown();
}
END_TEST

/* T11: the same head made available twice while in flight. */
START_TEST(hostile_duplicate_head_in_flight)
{
	int head;

	setup(16, F_V1);
	head = mock_add_simple(&md, 0, 16, false, 1);
	ck_assert_int_eq(vq_pop(&vq, &ch), VQ_OK);
	mock_push_avail(&md, (uint16_t)head);
	ck_assert_int_eq(vq_pop(&vq, &ch), VQ_E_HEAD_BUSY);
	ck_assert(vq.broken);
	teardown();

	/* Once completed, the head may come back. */
	setup(16, F_V1);
	head = mock_add_simple(&md, 0, 16, false, 1);
	ck_assert(pop_complete(16));
	mock_push_avail(&md, (uint16_t)head);
	ck_assert_int_eq(vq_pop(&vq, &ch), VQ_OK);
	teardown();
}
END_TEST

START_TEST(hostile_more_outstanding_than_size)
{
	uint16_t i;

	setup(4, F_V1);
	for (i = 0; i < 4; i++)
		ck_assert_int_ge(mock_add_simple(&md, 0, 16, false, i), 0);
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(vq_pop(&vq, &ch), VQ_OK);
	/* All slots taken and nothing new: just empty. */
	ck_assert_int_eq(vq_pop(&vq, &ch), VQ_EMPTY);
	ck_assert(!vq.broken);
	/*
	 * The driver makes a fifth buffer available without any used: impossible
	 * legally, and necessarily a head that is in flight.
	 */
	mock_write_desc(&md, 0, seg(0), 4, VRING_DESC_F_WRITE, 0);
	mock_push_avail(&md, 0);
	ck_assert_int_eq(vq_pop(&vq, &ch), VQ_E_HEAD_BUSY);
	ck_assert(vq.broken);
	teardown();
}
END_TEST

START_TEST(completion_errors)
{
	struct vq_ticket t;

	setup(8, F_V1);
	mock_add_simple(&md, 0, 16, false, 1);
	ck_assert_int_eq(vq_pop(&vq, &ch), VQ_OK);
	t = ch.t;
	ck_assert_int_eq(vq_complete(&vq, &t, 17), VQ_E_BAD_LEN);
	t.seq = 1;
	ck_assert_int_eq(vq_complete(&vq, &t, 1), VQ_E_BAD_SEQ);
	t = ch.t;
	ck_assert_int_eq(vq_complete(&vq, &t, 16), VQ_OK);
	ck_assert_int_eq(vq_complete(&vq, &t, 16), VQ_E_BAD_SEQ); /* twice */
	vq_flush(&vq);
	ck_assert_uint_eq(mock_used_idx(&md), 1);
	teardown();
}
END_TEST

/* u16 indices wrap at 65535 on both rings; seq does not. */
START_TEST(index_wraparound)
{
	uint32_t i, n = 70000, len;
	uint64_t cookie;

	setup(8, F_V1 | F_EVENT | F_INDIR);
	/* Plain checks in the loop: a ck_assert costs a write to Check's pipe. */
	for (i = 0; i < n; i++) {
		bool ok = mock_add_simple(&md, 0, 64, i & 1, i) >= 0 && vq_pop(&vq, &ch) == VQ_OK &&
			  ch.t.seq == i && mock_avail_event(&md) == (uint16_t)(i + 1) &&
			  vq_complete(&vq, &ch.t, i % 65) == VQ_OK;

		vq_flush(&vq);
		ok = ok && mock_used_idx(&md) == (uint16_t)(i + 1) &&
		     mock_get(&md, &cookie, &len) == 1 && cookie == i && len == i % 65;
		if (!ok)
			ck_abort_msg("wrap-around failed at buffer %u", i);
	}
	ck_assert_uint_eq(vq.split.last_avail, (uint16_t)n);
	ck_assert_uint_eq(vq.next_seq, n);
	ck_assert(!vq.broken);
	teardown();
}
END_TEST

START_TEST(need_event_edges)
{
	/* event in [old, new) notifies; at new or before old does not. */
	ck_assert(vring_need_event(10, 11, 10));
	ck_assert(vring_need_event(10, 20, 10));
	ck_assert(vring_need_event(19, 20, 10));
	ck_assert(!vring_need_event(20, 20, 10));
	ck_assert(!vring_need_event(9, 20, 10));
	ck_assert(!vring_need_event(21, 20, 10));
	ck_assert(!vring_need_event(10, 10, 10)); /* nothing new */
	/* Across the u16 wrap: old 65530, new 5. */
	ck_assert(vring_need_event(65530, 5, 65530));
	ck_assert(vring_need_event(65535, 5, 65530));
	ck_assert(vring_need_event(0, 5, 65530));
	ck_assert(vring_need_event(4, 5, 65530));
	ck_assert(!vring_need_event(5, 5, 65530));
	ck_assert(!vring_need_event(65529, 5, 65530));
	/* event wrapped but old did not, and the reverse. */
	ck_assert(vring_need_event(0, 1, 65535));
	ck_assert(!vring_need_event(1, 1, 65535));
	ck_assert(vring_need_event(65535, 0, 65535));
	/* A whole ring's worth minus one published at once. */
	ck_assert(vring_need_event(12345, 0xffff, 0));
}
END_TEST

START_TEST(interrupt_flags_fallback)
{
	setup(8, F_V1);
	mock_add_simple(&md, 0, 8, false, 1);
	mock_add_simple(&md, 0, 8, false, 2);
	mock_set_avail_flags(&md, VRING_AVAIL_F_NO_INTERRUPT);
	ck_assert(!pop_complete(8));
	ck_assert_uint_eq(mock_used_idx(&md), 1);
	mock_set_avail_flags(&md, 0);
	ck_assert(pop_complete(8));
	ck_assert_uint_eq(vq.stats.notifies, 1);
	teardown();
}
END_TEST

START_TEST(interrupt_event_idx)
{
	uint64_t cookie;
	uint32_t len;

	setup(8, F_V1 | F_EVENT);
	for (int i = 0; i < 4; i++)
		mock_add_simple(&md, 0, 8, false, (uint64_t)i);
	/* Nothing signalled yet: the first publication always interrupts. */
	mock_set_used_event(&md, 100);
	ck_assert(pop_complete(8));
	/* The driver wants to hear about used index 1 (as Linux writes after a get). */
	ck_assert_int_eq(mock_get(&md, &cookie, &len), 1);
	ck_assert_uint_eq(gm_load16(md.avail + VQ_USED_EVENT(8)), 1);
	ck_assert(pop_complete(8));
	/* The driver did not read: used_event stays 1, idx 2 -> 3 does not cross it. */
	ck_assert(!pop_complete(8));
	mock_set_used_event(&md, 3);
	ck_assert(pop_complete(8));
	teardown();
}
END_TEST

START_TEST(driver_notify_flags)
{
	setup(8, F_V1);
	vq_disable_notify(&vq);
	ck_assert_uint_eq(mock_used_flags(&md), VRING_USED_F_NO_NOTIFY);
	ck_assert(!vq_enable_notify(&vq));
	ck_assert_uint_eq(mock_used_flags(&md), 0);
	vq_disable_notify(&vq);
	mock_add_simple(&md, 0, 8, false, 1);
	/* A buffer arrived while kicks were off: re-enabling says keep popping. */
	ck_assert(vq_enable_notify(&vq));
	ck_assert_int_eq(vq_pop(&vq, &ch), VQ_OK);
	ck_assert(!vq_enable_notify(&vq));
	teardown();
}
END_TEST

START_TEST(driver_notify_avail_event)
{
	setup(8, F_V1 | F_EVENT);
	mock_add_simple(&md, 0, 8, false, 1);
	mock_add_simple(&md, 0, 8, false, 2);
	ck_assert_int_eq(vq_pop(&vq, &ch), VQ_OK);
	ck_assert_uint_eq(mock_avail_event(&md), 1);
	/* While disabled, avail_event stays: the driver does not kick for what we will see. */
	vq_disable_notify(&vq);
	ck_assert_int_eq(vq_pop(&vq, &ch), VQ_OK);
	ck_assert_uint_eq(mock_avail_event(&md), 1);
	ck_assert_uint_eq(mock_used_flags(&md), 0); /* EVENT_IDX does not use the flag */
	ck_assert(!vq_enable_notify(&vq));
	ck_assert_uint_eq(mock_avail_event(&md), 2);
	mock_add_simple(&md, 0, 8, false, 3);
	ck_assert(vq_enable_notify(&vq));
	teardown();
}
END_TEST

/* While the device polls: no kick for any number of new buffers, then kicks back. */
START_TEST(quiet_while_polling_event_idx)
{
	setup(8, F_V1 | F_EVENT);
	mock_add_simple(&md, 0, 8, false, 1);
	ck_assert_int_eq(vq_pop(&vq, &ch), VQ_OK);
	ck_assert(!vq_avail_count(&vq));
	vq_quiet(&vq);
	ck_assert_uint_eq(mock_avail_event(&md), 0); /* last_avail 1, minus one */
	for (uint16_t n = 1; n <= 7; n++) {
		mock_add_simple(&md, 0, 8, false, 1 + n);
		/* The driver's check after adding buffer n: old 1, new 1 + n. */
		ck_assert(!vring_need_event(mock_avail_event(&md), (uint16_t)(1 + n), 1));
		ck_assert(vq_avail_count(&vq));
	}
	/* Polling ends: kicks wanted again, and what came meanwhile is reported. */
	ck_assert(vq_enable_notify(&vq));
	ck_assert_uint_eq(mock_avail_event(&md), 1);
	for (int i = 0; i < 7; i++)
		ck_assert_int_eq(vq_pop(&vq, &ch), VQ_OK);
	ck_assert(!vq_avail_count(&vq));
	ck_assert(!vq_enable_notify(&vq));
	ck_assert_uint_eq(mock_avail_event(&md), 8);
	teardown();
}
END_TEST

START_TEST(quiet_while_polling_flags)
{
	setup(8, F_V1);
	vq_quiet(&vq);
	ck_assert_uint_eq(mock_used_flags(&md), VRING_USED_F_NO_NOTIFY);
	mock_add_simple(&md, 0, 8, false, 1);
	ck_assert(vq_avail_count(&vq));
	ck_assert(vq_enable_notify(&vq));
	ck_assert_uint_eq(mock_used_flags(&md), 0);
	teardown();
}
END_TEST

/* The count of buffers not looked at: new ones, not those given back. */
START_TEST(avail_count_counts_unseen_buffers)
{
	setup(8, F_V1);
	ck_assert_uint_eq(vq_avail_count(&vq), 0);
	for (uint64_t i = 1; i <= 3; i++)
		mock_add_simple(&md, 0, 8, false, i);
	ck_assert_uint_eq(vq_avail_count(&vq), 3);
	ck_assert_int_eq(vq_pop(&vq, &ch), VQ_OK);
	ck_assert_int_eq(vq_pop(&vq, &ch), VQ_OK);
	ck_assert_uint_eq(vq_avail_count(&vq), 1);
	/* Given back: popped again later, but no longer news. */
	ck_assert_int_eq(vq_unpop(&vq, 2), 0);
	ck_assert_uint_eq(vq_avail_count(&vq), 1);
	mock_add_simple(&md, 0, 8, false, 4);
	ck_assert_uint_eq(vq_avail_count(&vq), 2);
	vq.broken = true;
	ck_assert_uint_eq(vq_avail_count(&vq), 0);
	teardown();
}
END_TEST

START_TEST(avail_count_zero_on_broken_queue)
{
	setup(8, F_V1);
	mock_add_simple(&md, 0, 8, false, 1);
	ck_assert(vq_avail_count(&vq));
	vq.broken = true;
	ck_assert(!vq_avail_count(&vq));
	teardown();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("virtio_split");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, enable_validates_size);
	tcase_add_test(tc, quiet_while_polling_event_idx);
	tcase_add_test(tc, quiet_while_polling_flags);
	tcase_add_test(tc, avail_count_zero_on_broken_queue);
	tcase_add_test(tc, avail_count_counts_unseen_buffers);
	tcase_add_test(tc, enable_validates_alignment);
	tcase_add_test(tc, ring_addresses_at_ram_edges);
	tcase_add_test(tc, simple_chain);
	tcase_add_test(tc, read_only_and_zero_length);
	tcase_add_test(tc, indirect_chain);
	tcase_add_test(tc, hostile_next_out_of_range);
	tcase_add_test(tc, hostile_loops);
	tcase_add_test(tc, hostile_indirect);
	tcase_add_test(tc, hostile_indirect_not_negotiated);
	tcase_add_test(tc, hostile_writable_before_readable);
	tcase_add_test(tc, hostile_total_length_4g);
	tcase_add_test(tc, hostile_addresses_outside_ram);
	tcase_add_test(tc, too_many_segments_for_caller);
	tcase_add_test(tc, hostile_avail_idx_runs_ahead);
	tcase_add_test(tc, hostile_head_out_of_range);
	tcase_add_test(tc, hostile_duplicate_head_in_flight);
	tcase_add_test(tc, hostile_more_outstanding_than_size);
	tcase_add_test(tc, completion_errors);
	tcase_add_test(tc, index_wraparound);
	tcase_add_test(tc, need_event_edges);
	tcase_add_test(tc, interrupt_flags_fallback);
	tcase_add_test(tc, interrupt_event_idx);
	tcase_add_test(tc, driver_notify_flags);
	tcase_add_test(tc, driver_notify_avail_event);
	suite_add_tcase(s, tc);
	return check_run(s);
}
