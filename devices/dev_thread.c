// SPDX-License-Identifier: MIT
#include "devices/dev_thread.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "common/timespec.h"
#include "devices/dev_loop.h"
#include "devices/dev_stats.h"

#define TAG_CTRL   (DEV_TAG_RESERVED | 1)
#define TAG_CANCEL (DEV_TAG_RESERVED | 2)
#define TAG_ESCAPE (DEV_TAG_RESERVED | 4) /* and | 5 */

static const struct dev_loop_ops dev_loop_uring;

/*
 * Seals the ring before anything can be submitted to it, as Firecracker
 * does: created disabled, its files registered, then restrictions that
 * allow only pol's opcodes and dev_thread's own on registered files
 * (IOSQE_FIXED_FILE required, no other SQE flag), no io_uring_register()
 * call once enabled but the unregistering of its files, and only then
 * enabled. io_uring runs a request in the kernel or an io-wq worker, where
 * the thread's seccomp filter never sees it: without this, anything running
 * on a thread that can reach the ring could openat() or connect() through it.
 */
static int seal(struct dev_thread *t, const struct dev_uring_policy *pol)
{
	struct io_uring_restriction res[DEV_OPS_MAX + 3];
	unsigned int n = 0;
	int rc;

	rc = io_uring_register_files(&t->ring, t->files, t->nfiles);
	if (rc < 0)
		return rc;
	res[n++] = (struct io_uring_restriction){.opcode = IORING_RESTRICTION_SQE_OP,
						 .sqe_op = IORING_OP_READ};
	res[n++] = (struct io_uring_restriction){.opcode = IORING_RESTRICTION_SQE_OP,
						 .sqe_op = IORING_OP_ASYNC_CANCEL};
	for (unsigned int i = 0; i < pol->nops; i++)
		res[n++] = (struct io_uring_restriction){.opcode = IORING_RESTRICTION_SQE_OP,
							 .sqe_op = pol->ops[i]};
	/* The one register call left: destroy drops the files before closing them. */
	res[n++] = (struct io_uring_restriction){.opcode = IORING_RESTRICTION_REGISTER_OP,
						 .register_op = IORING_UNREGISTER_FILES};
	res[n++] = (struct io_uring_restriction){.opcode = IORING_RESTRICTION_SQE_FLAGS_REQUIRED,
						 .sqe_flags = IOSQE_FIXED_FILE};
	res[n++] = (struct io_uring_restriction){.opcode = IORING_RESTRICTION_SQE_FLAGS_ALLOWED,
						 .sqe_flags = IOSQE_FIXED_FILE};
	/* Debian's liburing 2.3 declares io_uring_register_restrictions() and
	 * io_uring_enable_rings() but its shared library does not export them. */
	if (syscall(__NR_io_uring_register, t->ring.ring_fd, IORING_REGISTER_RESTRICTIONS, res, n) <
		    0 ||
	    syscall(__NR_io_uring_register, t->ring.ring_fd, IORING_REGISTER_ENABLE_RINGS, NULL,
		    0) < 0)
		return -errno;
	t->sealed = true;
	return 0;
}

int dev_thread_init(struct dev_thread *t, unsigned int ring_entries,
		    const struct dev_uring_policy *pol)
{
	struct io_uring_params p = {.flags = IORING_SETUP_R_DISABLED};
	int rc;

	if (pol->nfiles > DEV_FILES_MAX - 1 || pol->nops > DEV_OPS_MAX - 2)
		return -EINVAL;
	t->started = t->sealed = false;
	t->dead = t->abandoned = t->test_hang = t->test_escape = false;
	t->pause_req = t->parked = false;
	t->op = DEV_OP_NONE;
	t->poll_ns = 0;
	t->polled = false;
	t->poll_hits = 0;
	t->waits = 0;
	t->unsubmitted = 0;
	t->inline_done = false;
	t->sq_failed = false;
	t->narmed = t->nfired = t->fired_head = 0;
	t->ctrl = (struct dev_event){.fd = eventfd(0, EFD_CLOEXEC), .tag = TAG_CTRL};
	if (t->ctrl.fd < 0)
		return -errno;
	t->files[0] = t->ctrl.fd;
	for (unsigned int i = 0; i < pol->nfiles; i++)
		t->files[1 + i] = pol->files[i];
	t->nfiles = 1 + pol->nfiles;
	rc = pol->test_setup_errno ? -pol->test_setup_errno
				   : io_uring_queue_init_params(ring_entries, &t->ring, &p);
	if (rc < 0) {
		/*
		 * No ring at all (ENOSYS, or EPERM from kernel.io_uring_disabled
		 * or a container's seccomp): wait with ppoll instead. A ring that
		 * was created but cannot be sealed is not this case: it fails.
		 */
		t->loop = &dev_loop_poll;
		t->ring_errno = -rc;
	} else {
		t->loop = &dev_loop_uring;
		t->ring_errno = 0;
		rc = seal(t, pol);
		if (rc < 0) {
			io_uring_queue_exit(&t->ring);
			close(t->ctrl.fd);
			return rc;
		}
	}
	pthread_condattr_t ca;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->cond, &ca);
	pthread_condattr_destroy(&ca);
	return 0;
}

/*
 * The ring lets go of its registered files only in deferred work after it
 * is closed: the disk's lock and the TAP would stay taken for a moment
 * after the device is gone, and the same image or TAP could not be opened
 * again at once. Unregistering drops them now.
 */
static void uring_fini(struct dev_thread *t)
{
	io_uring_unregister_files(&t->ring);
	io_uring_queue_exit(&t->ring);
}

int dev_thread_ring_errno(const struct dev_thread *t)
{
	return t->ring_errno;
}

void dev_thread_destroy(struct dev_thread *t)
{
	t->loop->fini(t);
	close(t->ctrl.fd);
	pthread_mutex_destroy(&t->lock);
	pthread_cond_destroy(&t->cond);
}

/*
 * Test-only (MINIVMM_TEST_URING_ESCAPE): what code that took over this
 * thread would try first, after its seccomp filter went on: open a file
 * and a socket through the ring. The sealed ring refuses both with
 * -EACCES; their CQEs are taken here, before the device's loop starts.
 */
static struct io_uring_sqe *get_sqe(struct dev_thread *t);

static void try_escape(struct dev_thread *t)
{
	struct io_uring_sqe *sqe;
	uint64_t tag;
	int res;

	t->escape_rc[0] = t->escape_rc[1] = 1;
	sqe = get_sqe(t);
	/* With the flag the ring requires, so only the opcode can refuse them. */
	io_uring_prep_openat(sqe, AT_FDCWD, "/etc/passwd", O_RDONLY, 0);
	sqe->flags |= IOSQE_FIXED_FILE;
	io_uring_sqe_set_data64(sqe, TAG_ESCAPE);
	sqe = get_sqe(t);
	io_uring_prep_socket(sqe, AF_INET, SOCK_STREAM, 0, 0);
	sqe->flags |= IOSQE_FIXED_FILE;
	io_uring_sqe_set_data64(sqe, TAG_ESCAPE | 1);
	for (unsigned int got = 0; got < 2;) {
		if (io_uring_submit_and_wait(&t->ring, 1) < 0)
			return;
		while (dev_thread_next(t, &tag, &res))
			if ((tag & ~1ULL) == TAG_ESCAPE)
				t->escape_rc[tag & 1] = res, got++;
	}
}

/* Whatever way the device's loop ends, callers must stop waiting for it. */
static void *trampoline(void *arg)
{
	struct dev_thread *t = arg;
	int rc = t->prologue ? t->prologue(t->prologue_arg) : 0;
	void *ret = NULL;

	if (!rc && t->test_escape && t->loop == &dev_loop_uring)
		try_escape(t);
	pthread_mutex_lock(&t->lock);
	t->prologue_rc = rc;
	t->prologue_done = true;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
	if (!rc)
		ret = t->fn(t->arg);

	pthread_mutex_lock(&t->lock);
	t->dead = true;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
	return ret;
}

int dev_thread_start(struct dev_thread *t, void *(*fn)(void *), void *arg)
{
	int rc;

	/* dev_thread_init() leaves no other kind of ring; this catches a
	 * struct that bypassed it. */
	assert(t->sealed || t->loop == &dev_loop_poll);
	if (!t->sealed && t->loop != &dev_loop_poll)
		return -EPERM;
	t->fn = fn;
	t->arg = arg;
	t->prologue_done = false;
	rc = pthread_create(&t->thread, NULL, trampoline, t);
	if (rc)
		return -rc;
	t->started = true;
	pthread_mutex_lock(&t->lock);
	while (!t->prologue_done)
		pthread_cond_wait(&t->cond, &t->lock);
	rc = t->prologue_rc;
	pthread_mutex_unlock(&t->lock);
	return rc;
}

/* Posts op; the lock is held. */
static void post(struct dev_thread *t, enum dev_op op, unsigned int queue, uint64_t features)
{
	t->op = op;
	t->op_seq++;
	t->op_queue = queue;
	t->op_features = features;
	t->op_done = false;
	eventfd_write(t->ctrl.fd, 1);
}

int dev_thread_stop(struct dev_thread *t, const struct timespec *deadline)
{
	int rc = 0;

	if (!t->started)
		return 0;
	pthread_mutex_lock(&t->lock);
	if (!t->dead) {
		/* Replaces an operation an abandoned caller left behind: nobody waits for it. */
		post(t, DEV_OP_STOP, 0, 0);
		pthread_cond_broadcast(&t->cond); /* a parked thread serves it */
		while (!t->dead && rc != ETIMEDOUT)
			rc = deadline ? pthread_cond_timedwait(&t->cond, &t->lock, deadline)
				      : pthread_cond_wait(&t->cond, &t->lock);
	}
	pthread_mutex_unlock(&t->lock);
	if (rc == ETIMEDOUT && !t->dead)
		return -ETIMEDOUT;
	pthread_join(t->thread, NULL);
	t->started = false;
	return 0;
}

void dev_thread_abandon(struct dev_thread *t)
{
	pthread_mutex_lock(&t->lock);
	t->abandoned = true;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
}

int dev_thread_pause(struct dev_thread *t, const struct timespec *deadline)
{
	int rc = 0;

	pthread_mutex_lock(&t->lock);
	__atomic_store_n(&t->pause_req, true, __ATOMIC_SEQ_CST);
	if (t->started) {
		/* Wakes a sleeping thread; its next turn parks. */
		eventfd_write(t->ctrl.fd, 1);
		while (!t->parked && !t->dead && !t->abandoned && rc != ETIMEDOUT)
			rc = pthread_cond_timedwait(&t->cond, &t->lock, deadline);
		rc = t->parked ? 0 : rc == ETIMEDOUT ? -ETIMEDOUT : -ESHUTDOWN;
	}
	pthread_mutex_unlock(&t->lock);
	return rc;
}

void dev_thread_resume(struct dev_thread *t)
{
	pthread_mutex_lock(&t->lock);
	__atomic_store_n(&t->pause_req, false, __ATOMIC_SEQ_CST);
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
}

void dev_thread_park(struct dev_thread *t)
{
	if (!__atomic_load_n(&t->pause_req, __ATOMIC_ACQUIRE))
		return;
	pthread_mutex_lock(&t->lock);
	if (t->pause_req && t->op == DEV_OP_NONE && !t->abandoned) {
		t->parked = true;
		pthread_cond_broadcast(&t->cond);
		while (t->pause_req && t->op == DEV_OP_NONE && !t->abandoned)
			pthread_cond_wait(&t->cond, &t->lock);
		t->parked = false;
	}
	pthread_mutex_unlock(&t->lock);
}

/*
 * One operation at a time: vCPUs call with vmmio's lock held, and stop comes
 * after the vCPUs are gone.
 */
int dev_thread_call(struct dev_thread *t, enum dev_op op, unsigned int queue, uint64_t features)
{
	int rc = -ESHUTDOWN;

	if (!t->started)
		return op == DEV_OP_ENABLE ? -EAGAIN : 0;
	pthread_mutex_lock(&t->lock);
	if (!t->dead && !t->abandoned) {
		post(t, op, queue, features);
		pthread_cond_broadcast(&t->cond); /* a parked thread serves it */
		while (!t->op_done && !t->dead && !t->abandoned)
			pthread_cond_wait(&t->cond, &t->lock);
		if (t->op_done)
			rc = t->op_result;
	}
	pthread_mutex_unlock(&t->lock);
	return rc;
}

/*
 * io_uring_enter() tries each request as it submits it and posts the CQEs
 * of those it finished before returning; the rest went to io-wq or wait
 * for their file. Comparing the CQ with what was submitted right after
 * the call tells the two apart (dev_thread_inline()). Measured with the
 * test guest on Linux 6.1, batches of 33 or more: 4 KiB reads of cached
 * pages finish 90-99 % inline, never all (a page under I/O or locked);
 * buffered writes on ext4 and everything on tmpfs go to io-wq, 0 %. So
 * three quarters counts as inline.
 */
static int submit(struct dev_thread *t)
{
	unsigned int reqs = t->unsubmitted;
	int rc = io_uring_submit(&t->ring);

	if (rc >= 0 && reqs) {
		t->unsubmitted = 0;
		t->inline_done = 4 * io_uring_cq_ready(&t->ring) >= 3 * reqs;
	}
	return rc;
}

bool dev_thread_inline(const struct dev_thread *t)
{
	return t->inline_done;
}

/*
 * Devices size their ring for all they can have queued at once, so a full
 * SQ is rare and a submit empties it. The spare keeps the call sites free
 * of a NULL check for a case that means the device is finished anyway.
 */
static struct io_uring_sqe *get_sqe(struct dev_thread *t)
{
	struct io_uring_sqe *sqe;

	/* No ring to put it on: the device ends at its next wait. */
	if (t->loop != &dev_loop_uring)
		t->sq_failed = true;
	if (t->sq_failed)
		return &t->spare_sqe;
	sqe = io_uring_get_sqe(&t->ring);
	if (!sqe) {
		submit(t);
		sqe = io_uring_get_sqe(&t->ring);
	}
	if (!sqe) {
		t->sq_failed = true;
		sqe = &t->spare_sqe;
	}
	return sqe;
}

struct io_uring_sqe *dev_thread_sqe(struct dev_thread *t)
{
	struct io_uring_sqe *sqe = get_sqe(t);

	/* Event reads are not requests: they finish when the event comes. */
	if (sqe != &t->spare_sqe)
		t->unsubmitted++;
	return sqe;
}

void dev_sqe_fixed(const struct dev_thread *t, struct io_uring_sqe *sqe)
{
	if (sqe->fd >= 0) {
		int slot = -1;

		for (unsigned int i = 0; i < t->nfiles; i++)
			if (t->files[i] == sqe->fd)
				slot = (int)i;
		sqe->fd = slot;
	}
	sqe->flags |= IOSQE_FIXED_FILE;
}

static void uring_arm(struct dev_thread *t, struct dev_event *ev)
{
	struct io_uring_sqe *sqe = get_sqe(t);

	io_uring_prep_read(sqe, ev->fd, &ev->buf, sizeof(ev->buf), 0);
	dev_sqe_fixed(t, sqe);
	io_uring_sqe_set_data64(sqe, ev->tag);
	ev->armed = true;
}

void dev_thread_arm(struct dev_thread *t, struct dev_event *ev)
{
	if (!ev->armed)
		t->loop->arm(t, ev);
}

bool dev_event_fired(struct dev_event *ev, uint64_t tag)
{
	if (tag != ev->tag)
		return false;
	ev->armed = false;
	return true;
}

/* liburing returns -errno and leaves errno alone. */
static int uring_wait(struct dev_thread *t, const struct timespec *deadline)
{
	int rc;

	if (deadline) {
		struct __kernel_timespec left;
		struct io_uring_cqe *cqe;
		int64_t ns = timespec_left_ns(deadline);

		if (ns <= 0)
			return -ETIME;
		left = (struct __kernel_timespec){.tv_sec = ns / 1000000000,
						  .tv_nsec = ns % 1000000000};
		/* Through submit(), which keeps the inline count, as every submit does. */
		rc = submit(t);
		if (rc >= 0 || rc == -EINTR)
			rc = io_uring_wait_cqe_timeout(&t->ring, &cqe, &left);
		return rc == -EINTR ? 0 : rc < 0 ? rc : 0;
	}
	/* Requests go in on their own first, to see what finished inline;
	 * when something did, there is no need to wait. */
	if (t->unsubmitted) {
		rc = submit(t);
		if (rc < 0 && rc != -EINTR)
			return rc;
		if (io_uring_cq_ready(&t->ring))
			return 0;
	}
	rc = io_uring_submit_and_wait(&t->ring, 1);
	return rc >= 0 || rc == -EINTR ? 0 : rc;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

bool dev_thread_wait(struct dev_thread *t)
{
	uint64_t t0 = t->polled ? now_ns() : 0;
	bool ok;

	dev_thread_arm(t, &t->ctrl);
	ok = !t->sq_failed && t->loop->wait(t, NULL) == 0;
	stat_inc(&t->waits);
	if (t->polled) {
		/*
		 * The poll before this sleep found nothing. If the event came
		 * soon after, a longer poll would have caught it: grow. If the
		 * guest went quiet, stop polling until it is busy again.
		 */
		uint64_t slept = now_ns() - t0;

		t->polled = false;
		if (slept > t->poll_max_ns)
			t->poll_ns = 0;
		else if (t->poll_ns < t->poll_max_ns)
			t->poll_ns = t->poll_ns ? t->poll_ns * 2 : DEV_POLL_START_NS;
		if (t->poll_ns > t->poll_max_ns)
			t->poll_ns = t->poll_max_ns;
	}
	return ok;
}

bool dev_thread_poll(struct dev_thread *t, bool (*pending)(void *dev), void *dev)
{
	uint64_t start, end;

	if (!t->poll_max_ns)
		return false;
	t->polled = true;
	if (!t->poll_ns || t->loop->submit(t) < 0)
		return false;
	start = now_ns();
	end = start + t->poll_ns;
	do {
		/* On the ppoll loop only what the last wait took: an eventfd
		 * bumped meanwhile waits out the (short) budget. */
		if (t->loop->ready(t))
			return false;
		if (pending(dev)) {
			t->polled = false;
			stat_inc(&t->poll_hits);
			return true;
		}
	} while (now_ns() < end);
	return false;
}

struct ring_watch {
	struct virtqueue *vq;
	unsigned int want, seen;
	uint64_t seen_at;
};

/*
 * A driver fills the avail ring one buffer at a time. Taking the first one
 * alone would split the batch the driver is writing: so wait for as many as
 * the device expects, or until the count has stood still for
 * DEV_POLL_SETTLE_NS (the driver is done, or is slower than a poll).
 */
static bool ring_pending(void *arg)
{
	struct ring_watch *w = arg;
	unsigned int n = vq_avail_count(w->vq);
	uint64_t now;

	if (n >= w->want)
		return true;
	if (!n)
		return false;
	now = now_ns();
	if (n != w->seen) {
		w->seen = n;
		w->seen_at = now;
		return false;
	}
	return now - w->seen_at >= DEV_POLL_SETTLE_NS;
}

bool dev_thread_poll_ring(struct dev_thread *t, struct virtqueue *vq, unsigned int want)
{
	struct ring_watch w = {.vq = vq, .want = want ? want : 1};
	bool spin = t->poll_ns != 0, work;

	if (spin)
		vq_quiet(vq);
	work = dev_thread_poll(t, ring_pending, &w);
	if (spin && vq_enable_notify(vq))
		work = true;
	return work;
}

static bool uring_ready(struct dev_thread *t)
{
	return io_uring_cq_ready(&t->ring) != 0;
}

bool dev_thread_has_cqe(struct dev_thread *t)
{
	return t->loop->ready(t);
}

static bool uring_next(struct dev_thread *t, uint64_t *tag, int *res)
{
	struct io_uring_cqe *cqe;

	if (io_uring_peek_cqe(&t->ring, &cqe) != 0)
		return false;
	*tag = io_uring_cqe_get_data64(cqe);
	*res = cqe->res;
	io_uring_cqe_seen(&t->ring, cqe);
	return true;
}

/* The cancels' CQEs are dev_thread's own; a late one may come after its drain. */
bool dev_thread_next(struct dev_thread *t, uint64_t *tag, int *res)
{
	do {
		if (!t->loop->next(t, tag, res))
			return false;
	} while (*tag == TAG_CANCEL);
	return true;
}

bool dev_thread_ctrl_fired(struct dev_thread *t, uint64_t tag)
{
	return dev_event_fired(&t->ctrl, tag);
}

/*
 * fn runs without the lock: a reset's drain may wait long on the host's I/O
 * (a write to a stalled disk), and stop, pause and abandon must still get
 * through to answer their own callers by their deadlines. A second caller
 * cannot replace op meanwhile (vCPUs call one at a time, under the
 * transport's lock); dev_thread_stop() may, and then its STOP stays posted
 * for the next turn while the caller of the first is abandoned anyway.
 */
bool dev_thread_serve(struct dev_thread *t, dev_ctrl_fn *fn, void *dev)
{
	unsigned int queue, seq;
	uint64_t features;
	enum dev_op op;
	int rc;

	pthread_mutex_lock(&t->lock);
	/* Test-only: a thread stuck where no wake-up reaches it (the lock is
	 * dropped). A condition wait, so the hook needs no call of its own in
	 * the device threads' seccomp list. */
	while (t->test_hang)
		pthread_cond_wait(&t->cond, &t->lock);
	op = t->op;
	queue = t->op_queue;
	features = t->op_features;
	seq = t->op_seq;
	pthread_mutex_unlock(&t->lock);
	if (op == DEV_OP_NONE)
		return true;
	rc = fn(dev, op, queue, features);
	pthread_mutex_lock(&t->lock);
	if (t->op_seq == seq) {
		t->op_result = rc;
		t->op = DEV_OP_NONE;
		t->op_done = true;
		pthread_cond_broadcast(&t->cond);
	}
	pthread_mutex_unlock(&t->lock);
	return op != DEV_OP_STOP;
}

void dev_thread_cancel(struct dev_thread *t, uint64_t user_data)
{
	struct io_uring_sqe *sqe = dev_thread_sqe(t);

	io_uring_prep_cancel64(sqe, user_data, 0);
	dev_sqe_fixed(t, sqe);
	io_uring_sqe_set_data64(sqe, TAG_CANCEL);
}

/*
 * The control read is not re-armed here. Should it fire (an operation
 * posted while this one runs: only dev_thread_stop() may), its wake-up is
 * given back, so the loop serves that operation next.
 */
int dev_thread_drain(struct dev_thread *t, bool (*busy)(void *dev),
		     void (*reap)(void *dev, uint64_t tag), void *dev,
		     const struct timespec *deadline)
{
	uint64_t tag;
	int res, rc;

	while (busy(dev)) {
		if (deadline && timespec_left_ns(deadline) <= 0)
			return -ETIMEDOUT;
		rc = t->loop->wait(t, deadline);
		if (rc < 0 && rc != -ETIME)
			return -EIO;
		while (dev_thread_next(t, &tag, &res)) {
			if (dev_thread_ctrl_fired(t, tag))
				eventfd_write(t->ctrl.fd, 1);
			else
				reap(dev, tag);
		}
	}
	return 0;
}

static const struct dev_loop_ops dev_loop_uring = {
	.name = "io_uring",
	.arm = uring_arm,
	.submit = submit,
	.wait = uring_wait,
	.ready = uring_ready,
	.next = uring_next,
	.fini = uring_fini,
};
