// SPDX-License-Identifier: MIT
/*
 * The thread-pool engine: BLK_ENGINE_WORKERS threads take requests from a
 * FIFO and make the system calls themselves (preadv2, pwritev2, fdatasync,
 * fallocate); each result goes to a completion list, and the first one a
 * list gets bumps an eventfd. The device thread keeps a read of that
 * eventfd armed on its ring (prepare, and again after each event), so a
 * completion wakes it as a kick does, and the event hands it the whole list.
 *
 * Each worker runs the prologue it was started with (its seccomp filter)
 * before it takes its first request, so it never touches guest memory
 * unfiltered. A system call that runs cannot be cancelled: cancel drops a
 * request still queued (its completion: -ECANCELED) and leaves running
 * ones to finish, which the device's drain waits for, bounded as it is for
 * io_uring (VDEV_RESET_DRAIN_MS, then the late reset).
 */
#include "devices/blk_engine.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "common/timespec.h"
#include "devices/dev_thread.h"

/* The completion eventfd's read on the device's ring. */
#define TAG_DONE (BLK_ENGINE_TAG_OWN | 2)

enum job_op { JOB_READ, JOB_WRITE, JOB_FLUSH, JOB_FALLOCATE };

struct job {
	struct job *next;
	uint64_t tag;
	enum job_op op;
	const struct iovec *iov;
	unsigned int n;
	uint64_t off, len;
	int mode; /* fallocate */
	int res;
	bool cancelled; /* while it ran: only the held write looks at it */
	bool spare;	/* allocated past max_jobs: freed once done */
};

struct list {
	struct job *head, *tail;
};

struct threads_engine {
	struct blk_engine e; /* first */
	struct dev_event done_ev;
	pthread_t workers[BLK_ENGINE_WORKERS];
	unsigned int nworkers, want_workers;

	pthread_mutex_t lock;
	pthread_cond_t work;	/* a job was queued, or the engine stops */
	pthread_cond_t started; /* a worker ran its prologue */
	pthread_cond_t halt;	/* the engine stops (ends a hold early) */
	struct list queued, done, free;
	struct job *jobs;
	unsigned int max_jobs;
	unsigned int prologues_done;
	int prologue_rc;
	bool stopping;
	int (*prologue)(void *arg);
	void *prologue_arg;
	/* Test-only: the first write waits this long once a worker took it. */
	unsigned int hold_ms;
	struct job *held;
};

static const uint8_t no_ops[1];

static struct threads_engine *to_te(struct blk_engine *e)
{
	return (struct threads_engine *)e;
}

static void push(struct list *l, struct job *j)
{
	j->next = NULL;
	if (l->tail)
		l->tail->next = j;
	else
		l->head = j;
	l->tail = j;
}

static struct job *pop(struct list *l)
{
	struct job *j = l->head;

	if (j) {
		l->head = j->next;
		if (!l->head)
			l->tail = NULL;
	}
	return j;
}

/* Under the lock. The eventfd is bumped only when the list was empty: the
 * device takes the whole list at once, so one wake-up per take does. */
static void post_done(struct threads_engine *t, struct job *j, int res)
{
	bool first = !t->done.head;

	j->res = res;
	push(&t->done, j);
	if (first)
		eventfd_write(t->done_ev.fd, 1);
}

/* Test-only: the held write waits ms, without the lock, or until the engine stops. */
static void hold(struct threads_engine *t, unsigned int ms)
{
	struct timespec until;

	clock_gettime(CLOCK_MONOTONIC, &until);
	timespec_add_ms(&until, ms);
	while (!t->stopping && pthread_cond_timedwait(&t->halt, &t->lock, &until) != ETIMEDOUT)
		;
}

static int run(const struct threads_engine *t, const struct job *j)
{
	ssize_t n;

	switch (j->op) {
	case JOB_READ:
		n = preadv2(t->e.fd, j->iov, (int)j->n, (off_t)j->off, 0);
		break;
	case JOB_WRITE:
		n = pwritev2(t->e.fd, j->iov, (int)j->n, (off_t)j->off, 0);
		break;
	case JOB_FLUSH:
		n = fdatasync(t->e.fd);
		break;
	default:
		n = fallocate(t->e.fd, j->mode, (off_t)j->off, (off_t)j->len);
		break;
	}
	if (n < 0)
		return -errno;
	/* A read or write moves at most the request's bytes, under 2 GiB. */
	return (int)n;
}

static void *worker(void *arg)
{
	struct threads_engine *t = arg;
	int rc = t->prologue ? t->prologue(t->prologue_arg) : 0;
	struct job *j;

	pthread_mutex_lock(&t->lock);
	if (rc && !t->prologue_rc)
		t->prologue_rc = rc;
	t->prologues_done++;
	pthread_cond_broadcast(&t->started);
	while (!rc) {
		while (!t->stopping && !t->queued.head)
			pthread_cond_wait(&t->work, &t->lock);
		if (t->stopping)
			break;
		j = pop(&t->queued);
		if (t->hold_ms && j->op == JOB_WRITE) {
			unsigned int ms = t->hold_ms;

			/* Only the first: another worker may take a write meanwhile. */
			t->hold_ms = 0;
			t->held = j;
			hold(t, ms);
			t->held = NULL;
			if (j->cancelled || t->stopping) {
				post_done(t, j, -ECANCELED);
				continue;
			}
		}
		pthread_mutex_unlock(&t->lock);
		rc = run(t, j);
		pthread_mutex_lock(&t->lock);
		post_done(t, j, rc);
		rc = 0;
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

static void queue(struct blk_engine *e, uint64_t tag, enum job_op op, const struct iovec *iov,
		  unsigned int n, uint64_t off, uint64_t len, int mode)
{
	struct threads_engine *t = to_te(e);
	struct job *j;

	bool spare = false;

	pthread_mutex_lock(&t->lock);
	j = pop(&t->free);
	if (!j) {
		/* More than the device said it keeps in flight: served all the
		 * same, from the heap (a request must never be lost). */
		j = malloc(sizeof(*j));
		spare = true;
	}
	if (!j) {
		pthread_mutex_unlock(&t->lock);
		abort();
	}
	*j = (struct job){.tag = tag,
			  .op = op,
			  .iov = iov,
			  .n = n,
			  .off = off,
			  .len = len,
			  .mode = mode,
			  .spare = spare};
	push(&t->queued, j);
	pthread_cond_signal(&t->work);
	pthread_mutex_unlock(&t->lock);
}

static void te_readv(struct blk_engine *e, uint64_t tag, const struct iovec *iov, unsigned int n,
		     uint64_t off)
{
	queue(e, tag, JOB_READ, iov, n, off, 0, 0);
}

static void te_writev(struct blk_engine *e, uint64_t tag, const struct iovec *iov, unsigned int n,
		      uint64_t off)
{
	queue(e, tag, JOB_WRITE, iov, n, off, 0, 0);
}

static void te_flush(struct blk_engine *e, uint64_t tag)
{
	queue(e, tag, JOB_FLUSH, NULL, 0, 0, 0, 0);
}

static void te_discard(struct blk_engine *e, uint64_t tag, uint64_t off, uint64_t len)
{
	queue(e, tag, JOB_FALLOCATE, NULL, 0, off, len, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE);
}

static void te_write_zeroes(struct blk_engine *e, uint64_t tag, uint64_t off, uint64_t len,
			    bool unmap)
{
	queue(e, tag, JOB_FALLOCATE, NULL, 0, off, len,
	      (unmap ? FALLOC_FL_PUNCH_HOLE : FALLOC_FL_ZERO_RANGE) | FALLOC_FL_KEEP_SIZE);
}

static void te_cancel(struct blk_engine *e, uint64_t tag)
{
	struct threads_engine *t = to_te(e);
	struct job *j, *prev = NULL;

	pthread_mutex_lock(&t->lock);
	for (j = t->queued.head; j; prev = j, j = j->next) {
		if (j->tag != tag)
			continue;
		if (prev)
			prev->next = j->next;
		else
			t->queued.head = j->next;
		if (t->queued.tail == j)
			t->queued.tail = prev;
		post_done(t, j, -ECANCELED);
		break;
	}
	if (t->held && t->held->tag == tag) {
		t->held->cancelled = true;
		/* The hold stands for a write already on the disk: it goes on
		 * waiting; only what follows it is skipped. */
	}
	pthread_mutex_unlock(&t->lock);
}

static void te_prepare(struct blk_engine *e)
{
	dev_thread_arm(e->dt, &to_te(e)->done_ev);
}

/* The whole list, taken under the lock and delivered without it. */
static void te_event(struct blk_engine *e, uint64_t tag, int res, blk_engine_done_fn *done,
		     void *dev)
{
	struct threads_engine *t = to_te(e);
	struct list got;
	struct job *j;

	(void)res;
	if (!dev_event_fired(&t->done_ev, tag))
		return;
	pthread_mutex_lock(&t->lock);
	got = t->done;
	t->done = (struct list){0};
	pthread_mutex_unlock(&t->lock);
	while ((j = pop(&got))) {
		uint64_t jtag = j->tag;
		int jres = j->res;

		if (j->spare) {
			free(j);
		} else {
			pthread_mutex_lock(&t->lock);
			push(&t->free, j);
			pthread_mutex_unlock(&t->lock);
		}
		done(dev, jtag, jres);
	}
	/* Armed again at once: a reset's drain reaps without prepare. */
	dev_thread_arm(e->dt, &t->done_ev);
}

static bool te_finished_inline(const struct blk_engine *e)
{
	(void)e;
	return false;
}

static void stop_workers(struct threads_engine *t)
{
	pthread_mutex_lock(&t->lock);
	t->stopping = true;
	pthread_cond_broadcast(&t->work);
	pthread_cond_broadcast(&t->halt);
	pthread_mutex_unlock(&t->lock);
	for (unsigned int i = 0; i < t->nworkers; i++)
		pthread_join(t->workers[i], NULL);
	t->nworkers = 0;
}

static int te_start(struct blk_engine *e, int (*prologue)(void *arg), void *arg)
{
	struct threads_engine *t = to_te(e);
	int rc = 0;

	t->prologue = prologue;
	t->prologue_arg = arg;
	for (unsigned int i = 0; i < t->want_workers && !rc; i++) {
		rc = -pthread_create(&t->workers[i], NULL, worker, t);
		if (!rc) {
			pthread_setname_np(t->workers[i], "blk-io");
			t->nworkers++;
		}
	}
	pthread_mutex_lock(&t->lock);
	while (t->prologues_done < t->nworkers)
		pthread_cond_wait(&t->started, &t->lock);
	if (!rc)
		rc = t->prologue_rc;
	pthread_mutex_unlock(&t->lock);
	if (rc)
		stop_workers(t);
	return rc;
}

static void te_destroy(struct blk_engine *e)
{
	struct threads_engine *t = to_te(e);

	stop_workers(t);
	close(t->done_ev.fd);
	pthread_mutex_destroy(&t->lock);
	pthread_cond_destroy(&t->work);
	pthread_cond_destroy(&t->started);
	pthread_cond_destroy(&t->halt);
	free(t->jobs);
	free(t);
}

static const struct blk_engine_ops threads_engine_ops = {
	.name = "threads",
	.readv = te_readv,
	.writev = te_writev,
	.flush = te_flush,
	.discard = te_discard,
	.write_zeroes = te_write_zeroes,
	.cancel = te_cancel,
	.event = te_event,
	.prepare = te_prepare,
	.finished_inline = te_finished_inline,
	.start = te_start,
	.destroy = te_destroy,
};

int blk_engine_threads_create(const struct blk_engine_params *p, struct blk_engine **out)
{
	struct threads_engine *t = calloc(1, sizeof(*t));
	pthread_condattr_t ca;
	int fd;

	if (!t)
		return -ENOMEM;
	t->max_jobs = p->max_inflight ? p->max_inflight : 1;
	t->jobs = calloc(t->max_jobs, sizeof(*t->jobs));
	fd = eventfd(0, EFD_CLOEXEC);
	if (!t->jobs || fd < 0) {
		int rc = fd < 0 ? -errno : -ENOMEM;

		if (fd >= 0)
			close(fd);
		free(t->jobs);
		free(t);
		return rc;
	}
	for (unsigned int i = 0; i < t->max_jobs; i++)
		push(&t->free, &t->jobs[i]);
	t->done_ev = (struct dev_event){.fd = fd, .tag = TAG_DONE};
	t->hold_ms = p->test_hold_ms;
	t->want_workers =
		p->workers && p->workers < BLK_ENGINE_WORKERS ? p->workers : BLK_ENGINE_WORKERS;
	pthread_mutex_init(&t->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&t->work, NULL);
	pthread_cond_init(&t->halt, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&t->started, NULL);
	/* The ring takes no file I/O at all: only the eventfd's reads. */
	t->e = (struct blk_engine){.ops = &threads_engine_ops,
				   .dt = p->dt,
				   .fd = p->fd,
				   .uring_ops = no_ops,
				   .n_uring_ops = 0,
				   .ring_file = fd};
	*out = &t->e;
	return 0;
}
