// SPDX-License-Identifier: MIT
/*
 * A queue's counters (struct vq_stats) over resets: they add up for the
 * device's life, and vq_reset() does not write them at all, so a thread
 * reading them (minivmm_get_stats, the control socket, --metrics) while
 * the device thread resets a queue races with nothing. Checked with the
 * counters on a page of their own made read-only around the reset, and
 * with a reader thread that watches them only grow through many resets.
 */
#include <check.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tests/unit/check_run.h"
#include "tests/unit/mock_driver.h"
#include "virtio/virtqueue.h"

#define RAM_GPA 0x200000ULL
#define QSIZE	16
#define F_V1	(1ULL << VIRTIO_F_VERSION_1)

static struct mock_driver md;

/* n buffers through the queue: added, popped, completed, published, taken back. */
static void traffic(struct virtqueue *vq, unsigned int n)
{
	struct iovec iov[MOCK_MAX_SEGS];
	struct vq_chain c;
	uint64_t cookie;
	uint32_t len;

	for (unsigned int i = 0; i < n; i++) {
		ck_assert_int_ge(mock_add_simple(&md, 0, 64, false, i), 0);
		vq_chain_init(&c, iov, MOCK_MAX_SEGS);
		ck_assert_int_eq(vq_pop(vq, &c), VQ_OK);
		ck_assert_int_eq(vq_complete(vq, &c.t, 32), VQ_OK);
		vq_flush(vq);
		ck_assert_int_eq(mock_get(&md, &cookie, &len), 1);
	}
}

/* After a reset the driver lays out its ring again and the queue is enabled. */
static void reenable(struct virtqueue *vq)
{
	mock_free(&md);
	ck_assert_int_eq(mock_init(&md, QSIZE, F_V1, RAM_GPA), 0);
	vq->size = QSIZE;
	vq->desc_gpa = md.desc_gpa;
	vq->avail_gpa = md.avail_gpa;
	vq->used_gpa = md.used_gpa;
	ck_assert_int_eq(vq_enable(vq, &md.gm, F_V1), VQ_OK);
}

START_TEST(reset_keeps_counters_without_writing_them)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t off = offsetof(struct virtqueue, stats);
	size_t before = (off + (size_t)pg - 1) / (size_t)pg * (size_t)pg;
	uint8_t *map;
	struct virtqueue *vq;
	struct vq_stats was;
	uint32_t gen;

	ck_assert_uint_le(sizeof(struct vq_stats), (size_t)pg);
	map = mmap(NULL, before + (size_t)pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		   -1, 0);
	ck_assert_ptr_ne(map, MAP_FAILED);
	/* The counters start a page; everything else of the queue is on the pages before. */
	vq = (struct virtqueue *)(map + before - off);
	ck_assert_int_eq(mock_init(&md, QSIZE, F_V1, RAM_GPA), 0);
	ck_assert_int_eq(mock_attach(&md, vq, 0), VQ_OK);
	traffic(vq, 5);
	ck_assert_uint_eq(vq->stats.popped, 5);
	ck_assert_uint_eq(vq->stats.completed, 5);
	ck_assert_uint_eq(vq->stats.used_entries, 5);
	was = vq->stats;
	gen = vq->gen;

	/* A write to any counter during the reset is a SIGSEGV, which fails the test. */
	ck_assert_int_eq(mprotect(map + before, (size_t)pg, PROT_READ), 0);
	vq_reset(vq);
	ck_assert_int_eq(mprotect(map + before, (size_t)pg, PROT_READ | PROT_WRITE), 0);
	ck_assert(!vq->ready);
	ck_assert_uint_eq(vq->gen, gen + 1);
	ck_assert_uint_eq(vq->size, 0);
	ck_assert_uint_eq(vq->num_max, QSIZE);
	ck_assert(vq->batching);
	ck_assert_mem_eq(&vq->stats, &was, sizeof(was));

	/* Cumulative for the device's life: the next buffers add to them. */
	reenable(vq);
	traffic(vq, 3);
	ck_assert_uint_eq(vq->stats.popped, 8);
	ck_assert_uint_eq(vq->stats.completed, 8);
	ck_assert_uint_eq(vq->stats.used_entries, 8);
	vq_destroy(vq);
	mock_free(&md);
	munmap(map, before + (size_t)pg);
}
END_TEST

static struct virtqueue shared_vq;
static int started;   /* atomic: the reader has taken its first sample */
static int done;      /* atomic: the writer finished */
static int went_back; /* atomic: the reader saw a counter decrease */

/* As minivmm_get_stats reads them: relaxed loads, on another thread. */
static void *reader(void *arg)
{
	uint64_t popped = 0, completed = 0, entries = 0;

	(void)arg;
	do {
		uint64_t p = VQ_STAT_GET(shared_vq.stats.popped);
		uint64_t c = VQ_STAT_GET(shared_vq.stats.completed);
		uint64_t e = VQ_STAT_GET(shared_vq.stats.used_entries);

		if (p < popped || c < completed || e < entries)
			__atomic_store_n(&went_back, 1, __ATOMIC_RELAXED);
		popped = p;
		completed = c;
		entries = e;
		__atomic_store_n(&started, 1, __ATOMIC_RELEASE);
	} while (!__atomic_load_n(&done, __ATOMIC_ACQUIRE));
	return NULL;
}

START_TEST(counters_only_grow_across_resets)
{
	enum { ROUNDS = 2000, PER_ROUND = 4 };
	pthread_t t;

	ck_assert_int_eq(mock_init(&md, QSIZE, F_V1, RAM_GPA), 0);
	ck_assert_int_eq(mock_attach(&md, &shared_vq, 0), VQ_OK);
	ck_assert_int_eq(pthread_create(&t, NULL, reader, NULL), 0);
	/* The resets happen while it reads, not before it ran. */
	while (!__atomic_load_n(&started, __ATOMIC_ACQUIRE))
		sched_yield();
	for (int r = 0; r < ROUNDS; r++) {
		traffic(&shared_vq, PER_ROUND);
		vq_reset(&shared_vq);
		reenable(&shared_vq);
	}
	__atomic_store_n(&done, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	ck_assert_msg(!went_back, "a reader saw a counter go back during a reset");
	ck_assert_uint_eq(shared_vq.stats.popped, ROUNDS * PER_ROUND);
	ck_assert_uint_eq(shared_vq.stats.completed, ROUNDS * PER_ROUND);
	vq_destroy(&shared_vq);
	mock_free(&md);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vq_stats");
	TCase *tc = tcase_create("reset");

	tcase_add_test(tc, reset_keeps_counters_without_writing_them);
	tcase_add_test(tc, counters_only_grow_across_resets);
	suite_add_tcase(s, tc);
	return check_run(s);
}
