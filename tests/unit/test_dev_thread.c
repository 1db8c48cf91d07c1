// SPDX-License-Identifier: MIT
/*
 * The device-thread skeleton (devices/dev_thread.c) on a real io_uring: a
 * control operation runs on the device thread and its result reaches the
 * caller, nothing runs before the thread starts, stop ends the thread
 * through DEV_OP_STOP, an eventfd read fires once and is re-armed, and a
 * drain cancels what is in flight and reaps until the device says nothing
 * is left, without showing it the cancels' or the control read's CQEs.
 * Adaptive polling: off when poll_max_ns is 0, a hit when the device has
 * work, a ready CQE ends it, and the budget grows after a short sleep and
 * drops to zero after a long one; a ring poll waits for the batch it
 * expects, or for fewer buffers once their count stands still. A submit
 * tells requests it finished at once from those left waiting. A thread
 * that died or hangs never holds a caller: calls to a dead thread fail at
 * once, abandon releases a waiting caller, and stop gives up on a hung
 * thread at its deadline. A ring that can take no more SQEs fails the
 * device's next wait, not its callers. Where no ring can be set up, the
 * thread waits with ppoll: kicks reach it with their counts, control
 * operations round-trip, pause parks it, stop ends it.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/unit/check_run.h"
#include "tests/unit/mock_driver.h"
#include "common/timespec.h"
#include "devices/dev_thread.h"

#define TAG_KICK 1ULL
#define TAG_REQ	 2ULL

struct fake {
	struct dev_thread dt;
	int kick_fd, req_fd, pipe[2]; /* registered with the ring */
	enum dev_op ops[8];
	unsigned int nops, queue;
	uint64_t features;
	struct dev_event req; /* a read nobody answers: a request in flight */
	unsigned int inflight;
	uint64_t reaped[8];
	unsigned int nreaped;
	bool release; /* slow_ctrl's reset may end */
};

static int fake_ctrl(void *dev, enum dev_op op, unsigned int queue, uint64_t features)
{
	struct fake *f = dev;

	f->ops[f->nops++] = op;
	f->queue = queue;
	f->features = features;
	return op == DEV_OP_ENABLE ? 7 : 0;
}

static void *fake_thread(void *arg)
{
	struct fake *f = arg;
	bool keep = true;

	while (keep) {
		bool ctrl_pending = false;
		uint64_t tag;
		int res;

		if (!dev_thread_wait(&f->dt))
			break;
		while (dev_thread_next(&f->dt, &tag, &res))
			if (dev_thread_ctrl_fired(&f->dt, tag))
				ctrl_pending = true;
		if (ctrl_pending)
			keep = dev_thread_serve(&f->dt, fake_ctrl, f);
	}
	return NULL;
}

/* What the fake device's ring may do besides event reads and cancels. */
static const uint8_t fake_ops[] = {IORING_OP_NOP, IORING_OP_TIMEOUT};

static struct fake *fake_new(void)
{
	struct fake *f = calloc(1, sizeof(*f));
	int files[3];

	ck_assert_ptr_nonnull(f);
	f->kick_fd = eventfd(0, EFD_CLOEXEC);
	f->req_fd = eventfd(0, EFD_CLOEXEC);
	ck_assert_int_ge(f->kick_fd, 0);
	ck_assert_int_ge(f->req_fd, 0);
	ck_assert_int_eq(pipe(f->pipe), 0);
	files[0] = f->kick_fd;
	files[1] = f->req_fd;
	files[2] = f->pipe[0];
	ck_assert_int_eq(dev_thread_init(&f->dt, 16,
					 &(struct dev_uring_policy){.files = files,
								    .nfiles = 3,
								    .ops = fake_ops,
								    .nops = sizeof(fake_ops)}),
			 0);
	return f;
}

static void fake_free(struct fake *f)
{
	dev_thread_destroy(&f->dt);
	close(f->kick_fd);
	close(f->req_fd);
	close(f->pipe[0]);
	close(f->pipe[1]);
	free(f);
}

/* An SQE as the sealed ring takes them: files by slot, IOSQE_FIXED_FILE. */
static struct io_uring_sqe *fixed(struct fake *f, struct io_uring_sqe *sqe)
{
	dev_sqe_fixed(&f->dt, sqe);
	return sqe;
}

static void nop(struct fake *f)
{
	struct io_uring_sqe *sqe = dev_thread_sqe(&f->dt);

	io_uring_prep_nop(sqe);
	fixed(f, sqe);
}

START_TEST(nothing_runs_before_start)
{
	struct fake *f = fake_new();

	ck_assert_int_eq(dev_thread_call(&f->dt, DEV_OP_ENABLE, 0, 1), -EAGAIN);
	ck_assert_int_eq(dev_thread_call(&f->dt, DEV_OP_RESET, 0, 0), 0);
	ck_assert_int_eq(dev_thread_call(&f->dt, DEV_OP_DRIVER_OK, 0, 1), 0);
	ck_assert_int_eq(dev_thread_stop(&f->dt, NULL), 0); /* not started: nothing to stop */
	ck_assert_uint_eq(f->nops, 0);
	fake_free(f);
}
END_TEST

START_TEST(operations_run_on_the_thread_and_stop_ends_it)
{
	struct fake *f = fake_new();

	ck_assert_int_eq(dev_thread_start(&f->dt, fake_thread, f), 0);
	ck_assert_int_eq(dev_thread_call(&f->dt, DEV_OP_ENABLE, 1, 0x1234), 7);
	ck_assert_uint_eq(f->queue, 1);
	ck_assert_uint_eq(f->features, 0x1234);
	ck_assert_int_eq(dev_thread_call(&f->dt, DEV_OP_DRIVER_OK, 0, 0x55), 0);
	ck_assert_uint_eq(f->features, 0x55);
	ck_assert_int_eq(dev_thread_call(&f->dt, DEV_OP_RESET, 0, 0), 0);
	ck_assert_int_eq(dev_thread_stop(&f->dt, NULL),
			 0); /* joins: hangs if STOP did not end it */
	ck_assert_uint_eq(f->nops, 4);
	ck_assert_int_eq(f->ops[0], DEV_OP_ENABLE);
	ck_assert_int_eq(f->ops[1], DEV_OP_DRIVER_OK);
	ck_assert_int_eq(f->ops[2], DEV_OP_RESET);
	ck_assert_int_eq(f->ops[3], DEV_OP_STOP);
	ck_assert_int_eq(dev_thread_call(&f->dt, DEV_OP_ENABLE, 0, 0), -EAGAIN);
	fake_free(f);
}
END_TEST

START_TEST(event_fires_once_per_read)
{
	struct fake *f = fake_new();
	struct dev_event kick = {.fd = f->kick_fd, .tag = TAG_KICK};
	uint64_t tag;
	int res;

	ck_assert_int_ge(kick.fd, 0);
	eventfd_write(kick.fd, 3);
	dev_thread_arm(&f->dt, &kick);
	dev_thread_arm(&f->dt, &kick); /* armed already: no second read */
	ck_assert(kick.armed);
	ck_assert(dev_thread_wait(&f->dt));
	ck_assert(dev_thread_next(&f->dt, &tag, &res));
	ck_assert_int_eq(res, 8);
	ck_assert(!dev_thread_ctrl_fired(&f->dt, tag));
	ck_assert(dev_event_fired(&kick, tag));
	ck_assert(!kick.armed);
	ck_assert_uint_eq(kick.buf, 3);
	ck_assert(!dev_thread_next(&f->dt, &tag, &res));
	fake_free(f);
}
END_TEST

static bool fake_busy(void *dev)
{
	struct fake *f = dev;

	return f->inflight != 0;
}

static void fake_reap(void *dev, uint64_t tag)
{
	struct fake *f = dev;

	f->reaped[f->nreaped++] = tag;
	if (dev_event_fired(&f->req, tag))
		f->inflight--;
}

START_TEST(drain_cancels_and_reaps_until_idle)
{
	struct fake *f = fake_new();
	uint64_t tag;
	int res;

	f->req = (struct dev_event){.fd = f->req_fd, .tag = TAG_REQ};
	ck_assert_int_ge(f->req.fd, 0);
	dev_thread_arm(&f->dt, &f->req);
	f->inflight = 1;
	/* Read and cancel go in with one submit: the cancel finds the read. */
	dev_thread_cancel(&f->dt, TAG_REQ);
	ck_assert_int_eq(dev_thread_drain(&f->dt, fake_busy, fake_reap, f, NULL), 0);
	ck_assert_uint_eq(f->inflight, 0);
	ck_assert(!f->req.armed);
	ck_assert_uint_eq(f->nreaped, 1);
	ck_assert_uint_eq(f->reaped[0], TAG_REQ);
	while (dev_thread_next(&f->dt, &tag, &res))
		ck_assert_uint_ne(tag, TAG_REQ);
	fake_free(f);
}
END_TEST

static bool pending_answer;
static unsigned int pending_calls;

static bool fake_pending(void *dev)
{
	(void)dev;
	pending_calls++;
	return pending_answer;
}

START_TEST(poll_off_hit_and_cqe)
{
	struct fake *f = fake_new();

	/* poll_max_ns 0: never spins, never asks. */
	pending_answer = true;
	pending_calls = 0;
	ck_assert(!dev_thread_poll(&f->dt, fake_pending, f));
	ck_assert_uint_eq(pending_calls, 0);
	/* With a budget: the device's work is found and counted. */
	f->dt.poll_max_ns = 50000;
	f->dt.poll_ns = 50000;
	ck_assert(dev_thread_poll(&f->dt, fake_pending, f));
	ck_assert_uint_eq(f->dt.poll_hits, 1);
	/* A completion already there ends the poll before the device is asked. */
	pending_calls = 0;
	ck_assert(!dev_thread_has_cqe(&f->dt));
	nop(f);
	ck_assert(!dev_thread_poll(&f->dt, fake_pending, f));
	ck_assert_uint_eq(pending_calls, 0);
	ck_assert(dev_thread_has_cqe(&f->dt));
	ck_assert_uint_eq(f->dt.poll_hits, 1);
	fake_free(f);
}
END_TEST

/*
 * A device whose work shows up as a completion while the poll spins (as a
 * frame read from the TAP ends virtio-net's poll): a NOP, completed when it
 * is submitted, so the poll ends at its next look at the ring.
 */
static bool fake_pending_cqe(void *dev)
{
	struct fake *f = dev;
	struct io_uring_sqe *sqe = dev_thread_sqe(&f->dt);

	io_uring_prep_nop(sqe);
	fixed(f, sqe);
	io_uring_sqe_set_data64(sqe, TAG_REQ);
	ck_assert_int_eq(io_uring_submit(&f->dt.ring), 1);
	return false;
}

/* A wait that a NOP ends at once (short) or a 20 ms timeout ends (long). */
static void wait_for(struct fake *f, bool long_sleep)
{
	struct __kernel_timespec ts = {.tv_sec = 0, .tv_nsec = 20 * 1000 * 1000};
	struct io_uring_sqe *sqe = dev_thread_sqe(&f->dt);
	uint64_t tag;
	int res;

	if (long_sleep)
		io_uring_prep_timeout(sqe, &ts, 0, 0);
	else
		io_uring_prep_nop(sqe);
	fixed(f, sqe);
	io_uring_sqe_set_data64(sqe, TAG_REQ);
	ck_assert(dev_thread_wait(&f->dt));
	while (dev_thread_next(&f->dt, &tag, &res))
		;
}

/*
 * A ring that takes no more submissions (its fd is /dev/null now, so every
 * io_uring_enter fails): once the SQ is full, dev_thread_sqe() still gives
 * an SQE to write, and the next wait fails so that the device thread ends.
 */
START_TEST(broken_ring_fails_the_wait_not_the_caller)
{
	struct fake *f = fake_new();
	int null = open("/dev/null", O_RDWR);
	unsigned int n = *f->dt.ring.sq.kring_entries;

	ck_assert_int_ge(null, 0);
	ck_assert_int_ge(dup2(null, f->dt.ring.ring_fd), 0);
	close(null);
	for (unsigned int i = 0; i < n; i++)
		nop(f);
	ck_assert(!f->dt.sq_failed);
	for (unsigned int i = 0; i < 3; i++) {
		struct io_uring_sqe *sqe = dev_thread_sqe(&f->dt);

		ck_assert_ptr_eq(sqe, &f->dt.spare_sqe);
		io_uring_prep_nop(sqe);
	}
	ck_assert(f->dt.sq_failed);
	ck_assert(!dev_thread_wait(&f->dt));
	fake_free(f);
}
END_TEST

START_TEST(poll_budget_adapts)
{
	struct fake *f = fake_new();

	/*
	 * How long a wait that a NOP ends takes is up to the scheduler (a
	 * loaded machine may run something else for many milliseconds), so
	 * the waits that must count as short are measured against 10 s.
	 */
	f->dt.poll_max_ns = 10ULL * 1000 * 1000 * 1000;
	pending_answer = false;
	/* Budget 0: no spin, but the sleep after it is measured. */
	ck_assert(!dev_thread_poll(&f->dt, fake_pending, f));
	wait_for(f, false);
	ck_assert_uint_eq(f->dt.poll_ns, DEV_POLL_START_NS);
	ck_assert(!dev_thread_poll(&f->dt, fake_pending, f));
	wait_for(f, false);
	ck_assert_uint_eq(f->dt.poll_ns, 2 * DEV_POLL_START_NS);
	/* Capped at poll_max_ns; a completion ends the (nearly 10 s) poll. */
	f->dt.poll_ns = f->dt.poll_max_ns - 1;
	ck_assert(!dev_thread_poll(&f->dt, fake_pending_cqe, f));
	wait_for(f, false);
	ck_assert_uint_eq(f->dt.poll_ns, f->dt.poll_max_ns);
	/* A sleep longer than poll_max_ns: the guest went quiet, stop polling.
	 * The 20 ms timeout never ends before 20 ms, more than 1 ms. */
	f->dt.poll_max_ns = 1000 * 1000;
	f->dt.poll_ns = f->dt.poll_max_ns;
	ck_assert(!dev_thread_poll(&f->dt, fake_pending, f));
	wait_for(f, true);
	ck_assert_uint_eq(f->dt.poll_ns, 0);
	/* A wait without a poll before it changes nothing. */
	wait_for(f, false);
	ck_assert_uint_eq(f->dt.poll_ns, 0);
	fake_free(f);
}
END_TEST

/*
 * A ring poll ends when the batch it expects is there, and when fewer
 * buffers are, once their count has stood still: a hit either way. The
 * 10 s budget is never reached unless the settling is broken, and then the
 * hit count says so.
 */
START_TEST(poll_ring_waits_for_the_batch)
{
	struct fake *f = fake_new();
	struct mock_driver md;
	struct virtqueue vq;
	struct iovec iov[4];
	struct vq_chain c;

	ck_assert_int_eq(mock_init(&md, 8, 1ULL << VIRTIO_F_VERSION_1, 0x100000), 0);
	ck_assert_int_eq(mock_attach(&md, &vq, 0), VQ_OK);
	f->dt.poll_max_ns = 10ULL * 1000 * 1000 * 1000;
	f->dt.poll_ns = f->dt.poll_max_ns;
	mock_add_simple(&md, 0, 8, false, 1);
	mock_add_simple(&md, 0, 8, false, 2);
	ck_assert(dev_thread_poll_ring(&f->dt, &vq, 2));
	ck_assert_uint_eq(f->dt.poll_hits, 1);
	/* Two of the four expected, and the driver is done: settled. */
	ck_assert(dev_thread_poll_ring(&f->dt, &vq, 4));
	ck_assert_uint_eq(f->dt.poll_hits, 2);
	/* Nothing there: no hit, and the ring asks for kicks again. */
	for (int i = 0; i < 2; i++) {
		vq_chain_init(&c, iov, 4);
		ck_assert_int_eq(vq_pop(&vq, &c), VQ_OK);
	}
	f->dt.poll_ns = 1000;
	ck_assert(!dev_thread_poll_ring(&f->dt, &vq, 1));
	ck_assert_uint_eq(f->dt.poll_hits, 2);
	vq_destroy(&vq);
	mock_free(&md);
	fake_free(f);
}
END_TEST

/* n NOPs and m reads of an empty pipe, submitted by a wait that a NOP ends. */
static bool submit_mix(struct fake *f, int rfd, unsigned int n, unsigned int m)
{
	static char buf[8];
	uint64_t tag;
	int res;

	for (unsigned int i = 0; i < n; i++)
		nop(f);
	for (unsigned int i = 0; i < m; i++) {
		struct io_uring_sqe *sqe = dev_thread_sqe(&f->dt);

		io_uring_prep_read(sqe, rfd, buf, sizeof(buf), 0);
		fixed(f, sqe);
	}
	ck_assert(dev_thread_wait(&f->dt));
	while (dev_thread_next(&f->dt, &tag, &res))
		;
	return dev_thread_inline(&f->dt);
}

/*
 * What the submit finished at once (a NOP) is told from what waits for its
 * file (a read of an empty pipe, as a request punted to io-wq waits): the
 * verdict is on the requests, not on the event reads armed beside them.
 */
START_TEST(submit_tells_inline_from_waiting)
{
	struct fake *f = fake_new();
	int rfd = f->pipe[0];

	/* The first wait arms the control read beside the NOP: not a request. */
	ck_assert(submit_mix(f, rfd, 1, 0));
	ck_assert(!submit_mix(f, rfd, 1, 3));
	ck_assert(submit_mix(f, rfd, 4, 0));
	/* Mostly at once is at once: a batch of cached reads has a straggler. */
	ck_assert(submit_mix(f, rfd, 3, 1));
	ck_assert(!submit_mix(f, rfd, 2, 2));
	fake_free(f);
}
END_TEST

static void *dies_at_once(void *arg)
{
	(void)arg;
	return NULL;
}

START_TEST(calls_to_a_dead_thread_fail)
{
	struct fake *f = fake_new();

	ck_assert_int_eq(dev_thread_start(&f->dt, dies_at_once, f), 0);
	/* Posted before or after it died: either way the caller is not left waiting. */
	ck_assert_int_eq(dev_thread_call(&f->dt, DEV_OP_RESET, 0, 0), -ESHUTDOWN);
	ck_assert_int_eq(dev_thread_call(&f->dt, DEV_OP_ENABLE, 0, 0), -ESHUTDOWN);
	ck_assert_int_eq(dev_thread_stop(&f->dt, NULL), 0);
	fake_free(f);
}
END_TEST

/* Waits until a caller has posted its operation; under the lock, as post() writes op. */
static void wait_posted(struct fake *f)
{
	pthread_mutex_lock(&f->dt.lock);
	while (f->dt.op == DEV_OP_NONE) {
		pthread_mutex_unlock(&f->dt.lock);
		sched_yield();
		pthread_mutex_lock(&f->dt.lock);
	}
	pthread_mutex_unlock(&f->dt.lock);
}

static void *call_reset(void *arg)
{
	struct fake *f = arg;

	return (void *)(intptr_t)dev_thread_call(&f->dt, DEV_OP_RESET, 0, 0);
}

START_TEST(abandon_and_stop_bound_a_hung_thread)
{
	struct fake *f = fake_new();
	struct timespec deadline;
	pthread_t caller;
	void *rc;

	f->dt.test_hang = true; /* hangs in the first operation it serves */
	ck_assert_int_eq(dev_thread_start(&f->dt, fake_thread, f), 0);
	ck_assert_int_eq(pthread_create(&caller, NULL, call_reset, f), 0);
	/* The caller is then blocked on the hung thread. */
	wait_posted(f);
	dev_thread_abandon(&f->dt);
	ck_assert_int_eq(pthread_join(caller, &rc), 0); /* hangs here without abandon */
	ck_assert_int_eq((int)(intptr_t)rc, -ESHUTDOWN);
	ck_assert_int_eq(dev_thread_call(&f->dt, DEV_OP_DRIVER_OK, 0, 0), -ESHUTDOWN);
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	timespec_add_ms(&deadline, 50);
	ck_assert_int_eq(dev_thread_stop(&f->dt, &deadline), -ETIMEDOUT);
	ck_assert_uint_eq(f->nops, 0);
	/* The hung thread still uses f: it is left allocated, as minivmm leaves a stuck device. */
}
END_TEST

/*
 * A request cancel cannot stop (here: one the device does not cancel) ends
 * a drain with a deadline at its deadline, still in flight, and is reaped
 * later when it completes.
 */
START_TEST(drain_gives_up_at_its_deadline)
{
	struct fake *f = fake_new();
	struct timespec deadline;
	uint64_t tag;
	int res;

	f->req = (struct dev_event){.fd = f->req_fd, .tag = TAG_REQ};
	dev_thread_arm(&f->dt, &f->req);
	f->inflight = 1;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	timespec_add_ms(&deadline, 20);
	ck_assert_int_eq(dev_thread_drain(&f->dt, fake_busy, fake_reap, f, &deadline), -ETIMEDOUT);
	ck_assert_int_le(timespec_left_ns(&deadline), 0);
	ck_assert_uint_eq(f->inflight, 1);
	ck_assert(f->req.armed);
	/* It completes: the device reaps it on its own. */
	eventfd_write(f->req_fd, 1);
	ck_assert(dev_thread_wait(&f->dt));
	while (dev_thread_next(&f->dt, &tag, &res))
		if (tag == TAG_REQ)
			fake_reap(f, tag);
	ck_assert_uint_eq(f->inflight, 0);
	fake_free(f);
}
END_TEST

/* An operation that takes long on the device thread (a drain on a stalled disk). */
static int slow_ctrl(void *dev, enum dev_op op, unsigned int queue, uint64_t features)
{
	struct fake *f = dev;

	(void)queue;
	(void)features;
	if (op == DEV_OP_RESET)
		while (!__atomic_load_n(&f->release, __ATOMIC_ACQUIRE))
			sched_yield();
	f->ops[f->nops++] = op;
	return 0;
}

static void *slow_thread(void *arg)
{
	struct fake *f = arg;
	bool keep = true;

	while (keep) {
		bool ctrl_pending = false;
		uint64_t tag;
		int res;

		dev_thread_park(&f->dt);
		if (!dev_thread_wait(&f->dt))
			break;
		while (dev_thread_next(&f->dt, &tag, &res))
			if (dev_thread_ctrl_fired(&f->dt, tag))
				ctrl_pending = true;
		if (ctrl_pending)
			keep = dev_thread_serve(&f->dt, slow_ctrl, f);
	}
	return NULL;
}

/*
 * While an operation runs long on the device thread, pause and stop still
 * answer by their deadlines (they would wait for the lock as long as the
 * operation takes, were it held across it), and the stop that timed out
 * stays posted: once the operation ends, the thread serves it and ends.
 */
START_TEST(long_operation_holds_up_no_one)
{
	struct fake *f = fake_new();
	struct timespec deadline;
	pthread_t caller;
	void *rc;

	ck_assert_int_eq(dev_thread_start(&f->dt, slow_thread, f), 0);
	ck_assert_int_eq(pthread_create(&caller, NULL, call_reset, f), 0);
	wait_posted(f);
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	timespec_add_ms(&deadline, 50);
	ck_assert_int_eq(dev_thread_pause(&f->dt, &deadline), -ETIMEDOUT);
	ck_assert_int_le(timespec_left_ns(&deadline), 0);
	dev_thread_resume(&f->dt);
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	timespec_add_ms(&deadline, 50);
	ck_assert_int_eq(dev_thread_stop(&f->dt, &deadline), -ETIMEDOUT);
	__atomic_store_n(&f->release, true, __ATOMIC_RELEASE);
	ck_assert_int_eq(pthread_join(caller, &rc), 0);
	ck_assert_int_eq(dev_thread_stop(&f->dt, NULL), 0); /* joins: the STOP was served */
	ck_assert_uint_eq(f->nops, 2);
	ck_assert_int_eq(f->ops[0], DEV_OP_RESET);
	ck_assert_int_eq(f->ops[1], DEV_OP_STOP);
	fake_free(f);
}
END_TEST

/* Submits what was prepared in sqe, alone, and returns its result. */
static int result_of(struct fake *f, struct io_uring_sqe *sqe)
{
	uint64_t tag;
	int res;

	io_uring_sqe_set_data64(sqe, TAG_REQ);
	ck_assert_int_ge(io_uring_submit(&f->dt.ring), 1);
	for (;;) {
		while (dev_thread_next(&f->dt, &tag, &res))
			if (tag == TAG_REQ)
				return res;
		ck_assert_int_ge(io_uring_submit_and_wait(&f->dt.ring, 1), 0);
	}
}

/*
 * The sealed ring takes what the device was given and nothing else: an
 * opcode outside its list (open, socket, connect) fails with -EACCES even
 * with the flag the ring requires, a request without IOSQE_FIXED_FILE or
 * with another SQE flag fails the same way, a file that was never
 * registered is not reachable, and the ring cannot be changed after it
 * was sealed (no io_uring_register() call but the one that drops its
 * files at destroy).
 */
START_TEST(sealed_ring_takes_only_its_own)
{
	struct fake *f = fake_new();
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons(9),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct io_uring_sqe *sqe;
	static char buf[8];
	int other = eventfd(5, EFD_CLOEXEC);

	ck_assert(f->dt.sealed);
	ck_assert_int_ge(other, 0);
	/* What it was given works: a NOP, a read of a registered file. */
	sqe = dev_thread_sqe(&f->dt);
	io_uring_prep_nop(sqe);
	ck_assert_int_eq(result_of(f, fixed(f, sqe)), 0);
	ck_assert_int_eq(write(f->pipe[1], "x", 1), 1);
	sqe = dev_thread_sqe(&f->dt);
	io_uring_prep_read(sqe, f->pipe[0], buf, sizeof(buf), 0);
	ck_assert_int_eq(result_of(f, fixed(f, sqe)), 1);

	/* Opcodes it was not given. */
	sqe = dev_thread_sqe(&f->dt);
	io_uring_prep_openat(sqe, AT_FDCWD, "/etc/passwd", O_RDONLY, 0);
	sqe->flags |= IOSQE_FIXED_FILE;
	ck_assert_int_eq(result_of(f, sqe), -EACCES);
	sqe = dev_thread_sqe(&f->dt);
	io_uring_prep_socket(sqe, AF_INET, SOCK_STREAM, 0, 0);
	sqe->flags |= IOSQE_FIXED_FILE;
	ck_assert_int_eq(result_of(f, sqe), -EACCES);
	sqe = dev_thread_sqe(&f->dt);
	io_uring_prep_connect(sqe, 1, (struct sockaddr *)&sa, sizeof(sa));
	sqe->flags |= IOSQE_FIXED_FILE;
	ck_assert_int_eq(result_of(f, sqe), -EACCES);
	sqe = dev_thread_sqe(&f->dt);
	io_uring_prep_write(sqe, f->req_fd, buf, 8, 0);
	ck_assert_int_eq(result_of(f, fixed(f, sqe)), -EACCES);

	/* An allowed opcode on a plain fd, or with a flag other than FIXED_FILE. */
	sqe = dev_thread_sqe(&f->dt);
	io_uring_prep_read(sqe, f->pipe[0], buf, sizeof(buf), 0);
	ck_assert_int_eq(result_of(f, sqe), -EACCES);
	sqe = dev_thread_sqe(&f->dt);
	io_uring_prep_nop(sqe);
	fixed(f, sqe)->flags |= IOSQE_ASYNC;
	ck_assert_int_eq(result_of(f, sqe), -EACCES);

	/* A file it was never given: no slot reaches it. */
	sqe = dev_thread_sqe(&f->dt);
	io_uring_prep_read(sqe, other, buf, sizeof(buf), 0);
	ck_assert_int_eq(result_of(f, fixed(f, sqe)), -EBADF);
	ck_assert_int_eq(io_uring_register_files_update(&f->dt.ring, 0, &other, 1), -EACCES);
	ck_assert_int_eq(
		io_uring_register_buffers(&f->dt.ring, &(struct iovec){buf, sizeof(buf)}, 1),
		-EACCES);
	close(other);
	fake_free(f);
}
END_TEST

/*
 * The test hook the guest tier drives in the real process, here on its
 * own: the thread, once started, tries to open a file and a socket
 * through its ring, and both are refused.
 */
START_TEST(escape_hook_is_refused)
{
	struct fake *f = fake_new();

	f->dt.test_escape = true;
	ck_assert_int_eq(dev_thread_start(&f->dt, fake_thread, f), 0);
	ck_assert_int_eq(f->dt.escape_rc[0], -EACCES);
	ck_assert_int_eq(f->dt.escape_rc[1], -EACCES);
	ck_assert_int_eq(dev_thread_stop(&f->dt, NULL), 0);
	fake_free(f);
}
END_TEST

static void *never_runs(void *arg)
{
	(void)arg;
	ck_abort_msg("a thread started on an unsealed ring");
	return NULL;
}

/* A dev_thread that did not come from dev_thread_init() is never started. */
START_TEST(unsealed_ring_never_starts)
{
	struct dev_thread t = {0};

	dev_thread_start(&t, never_runs, NULL);
}
END_TEST

/* dev_thread_init() refuses a policy larger than the ring can hold. */
START_TEST(oversized_policy_refused)
{
	struct dev_thread t;
	int files[DEV_FILES_MAX] = {0};
	uint8_t ops[DEV_OPS_MAX] = {0};

	ck_assert_int_eq(
		dev_thread_init(
			&t, 8, &(struct dev_uring_policy){.files = files, .nfiles = DEV_FILES_MAX}),
		-EINVAL);
	ck_assert_int_eq(
		dev_thread_init(&t, 8, &(struct dev_uring_policy){.ops = ops, .nops = DEV_OPS_MAX}),
		-EINVAL);
}
END_TEST

/*
 * Without io_uring (its setup failing as with kernel.io_uring_disabled):
 * the thread waits with ppoll, and the same calls carry kicks and control.
 */
struct pfake {
	struct dev_thread dt;
	struct dev_event kick;
	uint64_t kicks; /* device thread: the kick counts it read */
	int kick_res;
};

/* ENABLE answers with the kicks seen so far: a kick written before the
 * call is either taken already or ready in the same ppoll. */
static int pfake_ctrl(void *dev, enum dev_op op, unsigned int queue, uint64_t features)
{
	struct pfake *p = dev;

	(void)queue;
	(void)features;
	return op == DEV_OP_ENABLE ? (int)p->kicks : 0;
}

static void *pfake_thread(void *arg)
{
	struct pfake *p = arg;
	bool keep = true;

	while (keep) {
		bool ctrl = false;
		uint64_t tag;
		int res;

		dev_thread_park(&p->dt);
		dev_thread_arm(&p->dt, &p->kick);
		if (!dev_thread_wait(&p->dt))
			break;
		while (dev_thread_next(&p->dt, &tag, &res)) {
			if (dev_thread_ctrl_fired(&p->dt, tag)) {
				ctrl = true;
			} else if (dev_event_fired(&p->kick, tag)) {
				p->kicks += p->kick.buf;
				p->kick_res = res;
			}
		}
		if (ctrl)
			keep = dev_thread_serve(&p->dt, pfake_ctrl, p);
	}
	return NULL;
}

static bool always_busy(void *dev)
{
	(void)dev;
	return true;
}

static void reap_nothing(void *dev, uint64_t tag)
{
	(void)dev;
	(void)tag;
}

START_TEST(poll_loop_without_a_ring)
{
	struct pfake *p = calloc(1, sizeof(*p));
	int kick_fd = eventfd(0, EFD_CLOEXEC);
	struct timespec deadline;

	ck_assert_ptr_nonnull(p);
	ck_assert_int_ge(kick_fd, 0);
	p->kick = (struct dev_event){.fd = kick_fd, .tag = TAG_KICK};
	ck_assert_int_eq(dev_thread_init(&p->dt, 16,
					 &(struct dev_uring_policy){.files = &kick_fd,
								    .nfiles = 1,
								    .test_setup_errno = ENOSYS}),
			 0);
	ck_assert_int_eq(dev_thread_ring_errno(&p->dt), ENOSYS);
	ck_assert_int_eq(dev_thread_start(&p->dt, pfake_thread, p), 0);
	ck_assert_int_eq(dev_thread_call(&p->dt, DEV_OP_ENABLE, 0, 0), 0);
	eventfd_write(kick_fd, 2);
	ck_assert_int_eq(dev_thread_call(&p->dt, DEV_OP_ENABLE, 0, 0), 2);
	eventfd_write(kick_fd, 1);
	eventfd_write(kick_fd, 4);
	ck_assert_int_eq(dev_thread_call(&p->dt, DEV_OP_ENABLE, 0, 0), 7);
	ck_assert_int_eq(p->kick_res, 8);
	/* A pause parks it and a control operation still gets through. */
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	timespec_add_ms(&deadline, 10000);
	ck_assert_int_eq(dev_thread_pause(&p->dt, &deadline), 0);
	ck_assert_int_eq(dev_thread_call(&p->dt, DEV_OP_DRIVER_OK, 0, 0), 0);
	dev_thread_resume(&p->dt);
	ck_assert_int_eq(dev_thread_stop(&p->dt, NULL), 0); /* joins: hangs if STOP got lost */
	ck_assert_int_eq(dev_thread_call(&p->dt, DEV_OP_ENABLE, 0, 0), -EAGAIN);

	/* On the owner's thread now: a drain that cannot finish ends at its
	 * deadline, and a request (no ring to take it) fails the next wait. */
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	timespec_add_ms(&deadline, 20);
	ck_assert_int_eq(dev_thread_drain(&p->dt, always_busy, reap_nothing, p, &deadline),
			 -ETIMEDOUT);
	dev_thread_sqe(&p->dt);
	ck_assert(!dev_thread_wait(&p->dt));
	dev_thread_destroy(&p->dt);
	close(kick_fd);
	free(p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dev_thread");
	TCase *tc = tcase_create("dev_thread");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, nothing_runs_before_start);
	tcase_add_test(tc, operations_run_on_the_thread_and_stop_ends_it);
	tcase_add_test(tc, event_fires_once_per_read);
	tcase_add_test(tc, poll_ring_waits_for_the_batch);
	tcase_add_test(tc, submit_tells_inline_from_waiting);
	tcase_add_test(tc, drain_cancels_and_reaps_until_idle);
	tcase_add_test(tc, poll_off_hit_and_cqe);
	tcase_add_test(tc, poll_budget_adapts);
	tcase_add_test(tc, broken_ring_fails_the_wait_not_the_caller);
	tcase_add_test(tc, calls_to_a_dead_thread_fail);
	tcase_add_test(tc, abandon_and_stop_bound_a_hung_thread);
	tcase_add_test(tc, sealed_ring_takes_only_its_own);
	tcase_add_test(tc, drain_gives_up_at_its_deadline);
	tcase_add_test(tc, long_operation_holds_up_no_one);
	tcase_add_test(tc, escape_hook_is_refused);
	tcase_add_test_raise_signal(tc, unsealed_ring_never_starts, SIGABRT);
	tcase_add_test(tc, oversized_policy_refused);
	tcase_add_test(tc, poll_loop_without_a_ring);
	suite_add_tcase(s, tc);
	return check_run(s);
}
