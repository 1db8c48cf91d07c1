/* SPDX-License-Identifier: MIT */
/*
 * What every io_uring-backed virtio device thread shares, so that a device
 * only says what its requests and control operations do:
 *
 * - a synchronous control channel: vmmio calls queue_enable, reset and
 *   driver_ok on a vCPU thread with its transport lock held, but only the
 *   device thread may touch the virtqueues and in-flight I/O, so the vCPU
 *   hands the operation over and waits for its result (docs/design.md,
 *   "The control channel": a reset completes before status reads back 0).
 *   The device thread never takes the transport lock, or that wait would
 *   deadlock;
 * - one io_uring, with eventfd reads (guest kicks, the control wake-up) kept
 *   armed on it so a single submit-and-wait sleeps on everything. The ring
 *   is sealed before the thread starts (docs/design.md, "The io_uring
 *   sandbox"): it reaches only the files registered with it, and takes only
 *   the opcodes its device uses, so nothing submitted through it can open,
 *   connect or read what seccomp would have refused as a system call;
 * - where no ring can be set up (io_uring disabled by sysctl, seccomp'd
 *   away, ENOSYS), a ppoll(2) loop on the same eventfds instead, chosen once
 *   in dev_thread_init (docs/design.md, "Without io_uring"): the event reads
 *   and their completions reach the device as they would through the ring,
 *   but nothing else does, so only a device that submits no I/O of its own
 *   (dev_thread_sqe) runs on it;
 * - the drain a reset needs (docs/design.md, "In-order rules", R16): cancel
 *   every request still in flight, then reap until none is left.
 *
 * dev_thread_init/start/stop/destroy belong to whoever owns the device,
 * dev_thread_call() to vCPU threads, the rest to the device thread alone.
 * Errors are returned as negative errnos.
 */
#ifndef DEVICES_DEV_THREAD_H
#define DEVICES_DEV_THREAD_H

#include <liburing.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "virtio/virtqueue.h"

/* io_uring user_data with this bit set is dev_thread's own; devices tag below it. */
#define DEV_TAG_RESERVED (1ULL << 63)

enum dev_op { DEV_OP_NONE, DEV_OP_ENABLE, DEV_OP_RESET, DEV_OP_DRIVER_OK, DEV_OP_STOP };

/*
 * What a device's ring may do: the files it reaches (registered, named in
 * SQEs by slot: dev_sqe_fixed()) and the opcodes it submits. dev_thread adds
 * its own: the control eventfd, IORING_OP_READ for event reads and
 * IORING_OP_ASYNC_CANCEL for drains. Every SQE must carry
 * IOSQE_FIXED_FILE, and no other SQE flag is allowed.
 */
#define DEV_FILES_MAX 8
#define DEV_OPS_MAX   16
struct dev_uring_policy {
	const int *files;
	unsigned int nfiles;
	const uint8_t *ops; /* IORING_OP_* */
	unsigned int nops;
	/* Test-only (MINIVMM_TEST_NO_URING): the ring's setup fails with this
	 * errno, as on a host without io_uring; 0: it is tried. */
	int test_setup_errno;
};

/* How the thread waits: its ring, or ppoll(2) (devices/dev_loop.h). */
struct dev_loop_ops;

/* A read on an eventfd (registered with the ring): its CQE, tagged tag, means the counter was
 * bumped. */
struct dev_event {
	int fd;
	uint64_t tag;
	uint64_t buf;
	bool armed; /* at most one read in flight, however often it is bumped */
};

/* How long a poll waits for a batch the driver is still writing. */
#define DEV_POLL_SETTLE_NS 2000
/* Adaptive polling starts at this many ns and doubles up to poll_max_ns. */
#define DEV_POLL_START_NS 4000u

struct dev_thread {
	const struct dev_loop_ops *loop; /* chosen by dev_thread_init, never changed */
	int ring_errno;			 /* why there is no ring (positive), or 0 */
	struct io_uring ring;
	bool sealed;		  /* restrictions registered and the ring enabled */
	int files[DEV_FILES_MAX]; /* the registered files: slot i is files[i] */
	unsigned int nfiles;
	pthread_t thread;
	bool started;
	struct dev_event ctrl;
	void *(*fn)(void *);
	void *arg;
	/* Run first on the new thread (a seccomp filter); non-zero: the thread ends. */
	int (*prologue)(void *arg);
	void *prologue_arg;
	/* Run first on each helper thread the device starts (a disk engine's
	 * workers: their seccomp filter), with prologue_arg; NULL: nothing. */
	int (*helper_prologue)(void *arg);
	int prologue_rc;
	bool prologue_done;
	bool test_hang;	  /* test-only: hang in the next operation, as a stuck thread would */
	bool test_escape; /* test-only: try an open and a socket through the ring at start */
	int escape_rc[2]; /* their results (openat, socket): -EACCES when sealed */

	/* The ppoll loop's (no ring): events armed, and those that fired and
	 * were not taken yet (tag, the read's result), oldest first. */
	struct dev_event *armed[DEV_FILES_MAX];
	unsigned int narmed;
	struct {
		uint64_t tag;
		int res;
	} fired[DEV_FILES_MAX];
	unsigned int nfired, fired_head;

	/* Device thread only (poll_max_ns set before the thread starts). */
	uint64_t poll_max_ns;	       /* 0: never poll */
	uint64_t poll_ns;	       /* the current budget, adapted by dev_thread_wait() */
	bool polled;		       /* the last poll found nothing: measure the sleep after it */
	uint64_t poll_hits;	       /* polls that found work (devices/dev_stats.h) */
	bool sq_failed;		       /* a full SQ could not be submitted: the ring is broken */
	struct io_uring_sqe spare_sqe; /* handed out instead, never submitted */
	uint64_t waits;		       /* dev_thread_wait() calls: the thread's wake-ups */
	unsigned int unsubmitted;      /* dev_thread_sqe() requests not yet submitted */
	bool inline_done;	       /* see dev_thread_inline() */

	/* vCPU thread -> device thread, one operation at a time. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	enum dev_op op;
	unsigned int op_seq; /* bumped by each post: an op replaced while served */
	unsigned int op_queue;
	uint64_t op_features;
	int op_result;
	bool op_done;
	bool dead;	/* the thread ended: nobody will answer */
	bool abandoned; /* the VM is going away: callers stop waiting */

	/* Owner -> device thread: park between two batches (dev_thread_pause). */
	bool pause_req; /* written under lock, read atomically by the device thread */
	bool parked;	/* under lock: the device thread is parked */
};

/*
 * A device's side of an operation, run on the device thread while the
 * calling vCPU waits; its return value is dev_thread_call()'s. DEV_OP_STOP
 * must leave nothing in flight: the thread ends after it.
 */
typedef int dev_ctrl_fn(void *dev, enum dev_op op, unsigned int queue, uint64_t features);

/*
 * Sets up the channel and a ring of ring_entries SQEs sealed to pol: its
 * files registered, its opcodes (and dev_thread's own) the only ones
 * allowed. There is no unsealed ring. When the ring cannot be created at
 * all, the thread waits with ppoll(2) instead (dev_thread_ring_errno()
 * says why). 0 or a negative errno (-EINVAL: pol is larger than
 * DEV_FILES_MAX - 1 files or DEV_OPS_MAX - 2 opcodes; a ring created but
 * not sealed fails too).
 */
int dev_thread_init(struct dev_thread *t, unsigned int ring_entries,
		    const struct dev_uring_policy *pol);
/* 0 when the thread has its ring; else the errno its setup failed with (it runs on ppoll). */
int dev_thread_ring_errno(const struct dev_thread *t);
/* Frees what dev_thread_init() set up; the thread must be stopped. */
void dev_thread_destroy(struct dev_thread *t);
/* Starts the thread; returns once its prologue (if set) has run, with its result. */
int dev_thread_start(struct dev_thread *t, void *(*fn)(void *), void *arg);
/*
 * Runs DEV_OP_STOP on the device thread, then joins it. If the thread has
 * not answered by deadline (CLOCK_MONOTONIC; NULL: wait as long as it
 * takes), returns -ETIMEDOUT and leaves it running: whatever it uses must
 * then stay allocated. 0 otherwise.
 */
int dev_thread_stop(struct dev_thread *t, const struct timespec *deadline);
/*
 * The VM is going away: every caller waiting in dev_thread_call(), and
 * every later one, returns -ESHUTDOWN at once, so a vCPU never waits on a
 * device thread that may not answer. dev_thread_stop() still works.
 */
void dev_thread_abandon(struct dev_thread *t);

/*
 * Parks the device thread where it has nothing half-done: between two
 * batches, after the used rings were flushed and before anything new is
 * popped (dev_thread_park). Returns once it is parked: 0, or -ESHUTDOWN
 * when it ended or was abandoned (nothing to wait for). I/O it submitted
 * earlier stays in flight in the kernel; its completion is reaped and
 * published only after dev_thread_resume(). A control operation (a vCPU's,
 * or dev_thread_stop's) still gets served while parked. Before the thread
 * starts: 0 (it parks on its first turn). -ETIMEDOUT when it has not
 * parked by deadline (CLOCK_MONOTONIC): a thread stuck in a system call
 * or a hung operation; resume undoes the request. Owner only.
 */
int dev_thread_pause(struct dev_thread *t, const struct timespec *deadline);
void dev_thread_resume(struct dev_thread *t);

/*
 * Runs op on the device thread and waits for it. Before the thread starts,
 * DEV_OP_ENABLE fails with -EAGAIN and the rest do nothing. -ESHUTDOWN when
 * the thread has ended or was abandoned.
 */
int dev_thread_call(struct dev_thread *t, enum dev_op op, unsigned int queue, uint64_t features);

/*
 * On the device thread only. A full SQ is submitted to make room. Never
 * NULL: if that submit fails too, the ring is broken and the caller gets a
 * spare SQE that goes nowhere; the next dev_thread_wait() then fails, which
 * ends the device thread as any ring failure does. On the ppoll loop there
 * is no ring: always the spare, and the wait fails the same way.
 */
struct io_uring_sqe *dev_thread_sqe(struct dev_thread *t);
/*
 * Whether the requests of the last submission that had any (SQEs from
 * dev_thread_sqe()) were, for the most part, finished by the submit
 * itself: page-cache hits are, work punted to io-wq is not. A device that
 * then polls takes no CPU from io-wq workers.
 */
bool dev_thread_inline(const struct dev_thread *t);
/*
 * After io_uring_prep_*(): names sqe's file by its registered slot and sets
 * IOSQE_FIXED_FILE, which the sealed ring requires of every SQE (an opcode
 * without a file only gets the flag). A file that was never registered
 * gets slot -1, and its request fails with -EBADF.
 */
void dev_sqe_fixed(const struct dev_thread *t, struct io_uring_sqe *sqe);
void dev_thread_arm(struct dev_thread *t, struct dev_event *ev);
/* True, and ev disarmed, if tag is ev's CQE. */
bool dev_event_fired(struct dev_event *ev, uint64_t tag);
/* Arms the control read, submits and waits; false when the ring failed. */
bool dev_thread_wait(struct dev_thread *t);
/*
 * Busy-polls before a sleep, as QEMU's event loop does: submits, then spins
 * for up to the current budget until pending(dev) says the guest has posted
 * work (true: handle it, no sleep) or a CQE is ready (false: wait returns at
 * once). A poll that finds nothing lets the next dev_thread_wait() adapt the
 * budget: doubled (from DEV_POLL_START_NS up to poll_max_ns) when the sleep
 * was short, zero when it was longer than poll_max_ns, so an idle guest
 * costs no CPU. The device keeps the guest from kicking while it polls.
 */
bool dev_thread_poll(struct dev_thread *t, bool (*pending)(void *dev), void *dev);
/*
 * dev_thread_poll() on one ring, with kicks off while it spins (vq_quiet)
 * and back on after (vq_enable_notify), whose re-check catches a buffer
 * made available meanwhile. The spin ends once want buffers are there, or
 * fewer that have stood still for DEV_POLL_SETTLE_NS. True if the ring has
 * buffers to pop.
 */
bool dev_thread_poll_ring(struct dev_thread *t, struct virtqueue *vq, unsigned int want);
/* True if a CQE is ready: dev_thread_wait() would return at once. */
bool dev_thread_has_cqe(struct dev_thread *t);
/* Takes the next completed CQE, if any. */
bool dev_thread_next(struct dev_thread *t, uint64_t *tag, int *res);
/* True if tag is the control wake-up: call dev_thread_serve() after the batch. */
bool dev_thread_ctrl_fired(struct dev_thread *t, uint64_t tag);
/*
 * Device thread, where nothing is half-published: parks while a pause is
 * asked (a cheap atomic read otherwise). Returns early to serve a control
 * operation, or when the thread is abandoned.
 */
void dev_thread_park(struct dev_thread *t);
/*
 * Runs the pending operation through fn (without the lock, so stop, pause
 * and abandon are never held up by it) and wakes its caller; false after
 * DEV_OP_STOP.
 */
bool dev_thread_serve(struct dev_thread *t, dev_ctrl_fn *fn, void *dev);

/*
 * For a reset: dev_thread_cancel() each request in flight by its user_data,
 * then dev_thread_drain() reaps until busy(dev) is false, handing each CQE
 * of the device's own to reap(dev, tag) (the cancels' and the control
 * read's it takes itself). 0 when nothing is left in flight; -ETIMEDOUT
 * at deadline (CLOCK_MONOTONIC; NULL: none) with requests still in flight
 * that cancel could not stop (a write or fsync that io-wq already runs on
 * a stalled disk): the device must keep reaping them (dev_thread_next)
 * before it reuses their buffers and slots; -EIO if the ring failed with
 * requests still in flight: they are never reaped, so the device must not
 * reuse them (the thread should end).
 */
void dev_thread_cancel(struct dev_thread *t, uint64_t user_data);
int dev_thread_drain(struct dev_thread *t, bool (*busy)(void *dev),
		     void (*reap)(void *dev, uint64_t tag), void *dev,
		     const struct timespec *deadline);

#endif
