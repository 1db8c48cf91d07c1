// SPDX-License-Identifier: MIT
/*
 * The thread-pool block engine (devices/blk_engine_threads.c) on its own,
 * driven as virtio-blk drives it: requests with tags on a real image file,
 * completions collected through a real sealed dev_thread ring (the test's
 * thread plays the device thread: the engine's eventfd read armed by
 * prepare, CQEs handed to event). What must hold: each request ends once
 * with its tag and what the system call returned (a short read as the
 * bytes it got, not as the request's length); completions need not come in
 * submission order; cancel ends a request still queued at once with
 * -ECANCELED and leaves one a worker runs to finish. The test hook that
 * holds the first write (MINIVMM_TEST_HOLD_WRITE's) keeps a single worker
 * busy, so what is queued behind it stays queued for as long as the test
 * needs: no timing luck.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices/blk_engine.h"
#include "devices/dev_thread.h"
#include "tests/unit/check_run.h"

#define IMG_BYTES 8192
#define MAX_DONE  16
/* Long enough that the test is done with what is queued behind the held
 * write long before it ends; the held write then ends by itself. */
#define HOLD_MS 2000

struct rig {
	char path[64];
	int fd;
	struct dev_thread dt;
	struct blk_engine *e;
	uint64_t tags[MAX_DONE];
	int res[MAX_DONE];
	unsigned int ndone;
};

static void on_done(void *arg, uint64_t tag, int res)
{
	struct rig *r = arg;

	ck_assert_uint_lt(r->ndone, MAX_DONE);
	r->tags[r->ndone] = tag;
	r->res[r->ndone] = res;
	r->ndone++;
}

/* An image of IMG_BYTES bytes, byte i = i & 0xff, cut to size bytes. */
static void rig_create(struct rig *r, unsigned int workers, unsigned int hold_ms, off_t size)
{
	uint8_t buf[IMG_BYTES];
	const char *dir = getenv("TMPDIR");

	memset(r, 0, sizeof(*r));
	snprintf(r->path, sizeof(r->path), "%s/blk_engine.XXXXXX", dir && *dir ? dir : "/tmp");
	r->fd = mkstemp(r->path);
	ck_assert_int_ge(r->fd, 0);
	for (unsigned int i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)i;
	ck_assert_int_eq(write(r->fd, buf, sizeof(buf)), sizeof(buf));
	ck_assert_int_eq(ftruncate(r->fd, size), 0);
	ck_assert_int_eq(blk_engine_create(&(struct blk_engine_params){.kind = BLK_ENGINE_THREADS,
								       .fd = r->fd,
								       .dt = &r->dt,
								       .max_inflight = 8,
								       .workers = workers,
								       .test_hold_ms = hold_ms},
					   &r->e),
			 0);
	ck_assert_str_eq(r->e->ops->name, "threads");
	/* The ring reaches the engine's eventfd, not the image, and takes no file opcode. */
	ck_assert_int_ne(r->e->ring_file, r->fd);
	ck_assert_uint_eq(r->e->n_uring_ops, 0);
	ck_assert_int_eq(dev_thread_init(&r->dt, 16,
					 &(struct dev_uring_policy){.files = &r->e->ring_file,
								    .nfiles = 1,
								    .ops = r->e->uring_ops,
								    .nops = r->e->n_uring_ops}),
			 0);
	ck_assert_int_eq(r->e->ops->start(r->e, NULL, NULL), 0);
}

static void rig_destroy(struct rig *r)
{
	r->e->ops->destroy(r->e);
	dev_thread_destroy(&r->dt);
	close(r->fd);
	unlink(r->path);
}

/* The device thread's loop, until n requests in all have ended. */
static void collect(struct rig *r, unsigned int n)
{
	while (r->ndone < n) {
		uint64_t tag;
		int res;

		r->e->ops->prepare(r->e);
		ck_assert(dev_thread_wait(&r->dt));
		while (dev_thread_next(&r->dt, &tag, &res))
			if (!dev_thread_ctrl_fired(&r->dt, tag))
				r->e->ops->event(r->e, tag, res, on_done, r);
	}
}

/* The result request tag ended with; it must have ended exactly once. */
static int result_of(const struct rig *r, uint64_t tag)
{
	int found = -1;

	for (unsigned int i = 0; i < r->ndone; i++) {
		if (r->tags[i] != tag)
			continue;
		ck_assert_msg(found < 0, "tag %llu ended twice", (unsigned long long)tag);
		found = (int)i;
	}
	ck_assert_msg(found >= 0, "tag %llu never ended", (unsigned long long)tag);
	return r->res[found];
}

START_TEST(requests_do_their_io)
{
	struct rig r;
	uint8_t w[512], rd[1024], file[IMG_BYTES];
	struct iovec wv = {w, sizeof(w)};
	struct iovec rv[2] = {{rd, 512}, {rd + 512, 512}};

	rig_create(&r, 0, 0, IMG_BYTES);
	memset(w, 0xab, sizeof(w));
	r.e->ops->writev(r.e, 1, &wv, 1, 1024);
	collect(&r, 1);
	r.e->ops->readv(r.e, 2, rv, 2, 512); /* 512..1535: 512 old bytes, then the write */
	r.e->ops->flush(r.e, 3);
	r.e->ops->discard(r.e, 4, 4096, 1024);
	r.e->ops->write_zeroes(r.e, 5, 6144, 512, false);
	collect(&r, 5);
	ck_assert_int_eq(result_of(&r, 1), 512);
	ck_assert_int_eq(result_of(&r, 2), 1024);
	ck_assert_int_eq(result_of(&r, 3), 0);
	ck_assert_int_eq(result_of(&r, 4), 0);
	ck_assert_int_eq(result_of(&r, 5), 0);
	for (unsigned int i = 0; i < 512; i++)
		ck_assert_uint_eq(rd[i], (uint8_t)(512 + i));
	for (unsigned int i = 512; i < 1024; i++)
		ck_assert_uint_eq(rd[i], 0xab);
	ck_assert_int_eq(pread(r.fd, file, sizeof(file), 0), sizeof(file));
	for (unsigned int i = 4096; i < 5120; i++)
		ck_assert_uint_eq(file[i], 0); /* the hole */
	for (unsigned int i = 6144; i < 6656; i++)
		ck_assert_uint_eq(file[i], 0);
	ck_assert_uint_eq(file[6656], (uint8_t)6656); /* past the range: untouched */
	ck_assert_uint_eq(file[5120], (uint8_t)5120);
	rig_destroy(&r);
}
END_TEST

/* A read that meets the end of the file ends with what it got. */
START_TEST(short_read_is_reported)
{
	struct rig r;
	uint8_t buf[2048];
	struct iovec v = {buf, sizeof(buf)};

	rig_create(&r, 0, 0, 1000);
	r.e->ops->readv(r.e, 7, &v, 1, 0);
	r.e->ops->readv(r.e, 8, &v, 1, 4096);
	collect(&r, 2);
	ck_assert_int_eq(result_of(&r, 7), 1000);
	ck_assert_int_eq(result_of(&r, 8), 0);
	rig_destroy(&r);
}
END_TEST

/*
 * One worker, held by the first write: the read queued after it ends
 * first when a second worker takes it (out of order), and with one worker
 * the reads queued behind the held write are cancelled at once, while the
 * held write (cancel cannot stop it) ends only when its hold is over, with
 * -ECANCELED and nothing written.
 */
START_TEST(completions_out_of_order)
{
	struct rig r;
	uint8_t w[512], rd[512];
	struct iovec wv = {w, sizeof(w)}, rv = {rd, sizeof(rd)};

	rig_create(&r, 2, HOLD_MS, IMG_BYTES);
	memset(w, 0xcd, sizeof(w));
	r.e->ops->writev(r.e, 1, &wv, 1, 0);
	r.e->ops->readv(r.e, 2, &rv, 1, 512);
	collect(&r, 1);
	ck_assert_uint_eq(r.tags[0], 2); /* the later request ended first */
	ck_assert_int_eq(r.res[0], 512);
	ck_assert_uint_eq(rd[0], 0);
	ck_assert_uint_eq(rd[1], 1);
	collect(&r, 2);
	ck_assert_uint_eq(r.tags[1], 1);
	ck_assert_int_eq(r.res[1], 512);
	rig_destroy(&r);
}
END_TEST

START_TEST(cancel_drops_queued)
{
	struct rig r;
	uint8_t w[512], rd[3][512], file[512];
	struct iovec wv = {w, sizeof(w)};
	struct iovec rv[3] = {{rd[0], 512}, {rd[1], 512}, {rd[2], 512}};

	rig_create(&r, 1, HOLD_MS, IMG_BYTES);
	memset(w, 0xcd, sizeof(w));
	memset(rd, 0xee, sizeof(rd));
	r.e->ops->writev(r.e, 1, &wv, 1, 0); /* takes the only worker, held */
	r.e->ops->readv(r.e, 2, &rv[0], 1, 512);
	r.e->ops->readv(r.e, 3, &rv[1], 1, 1024);
	r.e->ops->readv(r.e, 4, &rv[2], 1, 1536);
	r.e->ops->cancel(r.e, 3);
	collect(&r, 1);
	ck_assert_uint_eq(r.tags[0], 3); /* at once, before the held write is over */
	ck_assert_int_eq(r.res[0], -ECANCELED);
	r.e->ops->cancel(r.e, 1);  /* running: it ends with its hold, not now */
	r.e->ops->cancel(r.e, 99); /* unknown: nothing */
	collect(&r, 4);
	ck_assert_int_eq(result_of(&r, 1), -ECANCELED);
	ck_assert_int_eq(result_of(&r, 2), 512);
	ck_assert_int_eq(result_of(&r, 4), 512);
	ck_assert_uint_eq(r.ndone, 4);
	ck_assert_uint_eq(rd[1][0], 0xee); /* the cancelled read never ran */
	ck_assert_uint_eq(rd[2][1], (uint8_t)1537);
	ck_assert_int_eq(pread(r.fd, file, sizeof(file), 0), sizeof(file));
	ck_assert_uint_eq(file[0], 0); /* the held write was not made */
	ck_assert_uint_eq(file[1], 1);
	rig_destroy(&r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("blk_engine");
	TCase *tc = tcase_create("threads");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, requests_do_their_io);
	tcase_add_test(tc, short_read_is_reported);
	tcase_add_test(tc, completions_out_of_order);
	tcase_add_test(tc, cancel_drops_queued);
	suite_add_tcase(s, tc);
	return check_run(s);
}
