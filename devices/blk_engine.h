/* SPDX-License-Identifier: MIT */
/*
 * The seam between virtio-blk and whatever does its I/O on the host. The
 * device parses requests, merges them and publishes them in order; an
 * engine only reads, writes, flushes, discards and zeroes the image, and
 * says when each request ended. Two engines:
 *
 * - uring (devices/blk_engine_uring.c): the requests go on the device
 *   thread's own sealed io_uring, next to its kick and control reads; the
 *   ring allows the opcodes this needs on the image only;
 * - threads (devices/blk_engine_threads.c): a small pool of worker threads
 *   makes the system calls (preadv2, pwritev2, fdatasync, fallocate) and
 *   posts each result to a queue, then bumps an eventfd that the device
 *   thread keeps a read armed for on its ring, as it does for kicks. Its
 *   ring reaches that eventfd and not the image. For hosts whose io_uring
 *   cannot do file I/O, or should not (a hardened policy).
 *
 * Each request carries a tag of the device's (below BLK_ENGINE_TAG_OWN) and
 * ends in exactly one completion, (tag, result): the bytes moved, 0, or a
 * negative errno. Completions come in any order, and only on the device
 * thread, from blk_engine_event(): the device hands it every CQE of its
 * ring that is neither a kick nor dev_thread's own. All calls but
 * create, start and destroy belong to the device thread.
 */
#ifndef DEVICES_BLK_ENGINE_H
#define DEVICES_BLK_ENGINE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

struct dev_thread;

enum blk_engine_kind {
	BLK_ENGINE_URING = 0,
	BLK_ENGINE_THREADS,
};

/* Ring tags with this bit (and the bits below it) are the engine's own. */
#define BLK_ENGINE_TAG_OWN (1ULL << 60)
/* Workers of the threads engine (at most, and by default). */
#define BLK_ENGINE_WORKERS 3

/* What ends one request: its tag and result, on the device thread. */
typedef void blk_engine_done_fn(void *dev, uint64_t tag, int res);

struct blk_engine;

struct blk_engine_ops {
	const char *name; /* "uring", "threads" */
	/* Requests. iov (and what it points to) must stay valid until the
	 * request's completion; off and len are in bytes. */
	void (*readv)(struct blk_engine *e, uint64_t tag, const struct iovec *iov, unsigned int n,
		      uint64_t off);
	void (*writev)(struct blk_engine *e, uint64_t tag, const struct iovec *iov, unsigned int n,
		       uint64_t off);
	void (*flush)(struct blk_engine *e, uint64_t tag); /* fdatasync */
	void (*discard)(struct blk_engine *e, uint64_t tag, uint64_t off, uint64_t len);
	/* unmap: the range may become a hole (it reads back as zeroes either way). */
	void (*write_zeroes)(struct blk_engine *e, uint64_t tag, uint64_t off, uint64_t len,
			     bool unmap);
	/*
	 * A reset's drain: ask for the request to end early. One the engine
	 * has not started yet ends with -ECANCELED; one a system call (or
	 * io-wq) already runs ends when that call returns. Either way its
	 * completion still comes, from blk_engine_event().
	 */
	void (*cancel)(struct blk_engine *e, uint64_t tag);
	/* A CQE of the device's ring, tag not a kick's or the control's:
	 * each request it ends goes to done(dev, tag, res). */
	void (*event)(struct blk_engine *e, uint64_t tag, int res, blk_engine_done_fn *done,
		      void *dev);
	/* Before the device thread sleeps: post what must be on the ring. */
	void (*prepare)(struct blk_engine *e);
	/* Whether the last requests finished inline (dev_thread_inline()). */
	bool (*finished_inline)(const struct blk_engine *e);
	/* Owner: start any thread of the engine's; prologue (if not NULL)
	 * runs first on each. 0 or the first failure's negative errno. */
	int (*start)(struct blk_engine *e, int (*prologue)(void *arg), void *arg);
	/* Owner, with the device thread stopped: stop, join and free. */
	void (*destroy)(struct blk_engine *e);
};

/* Common to every engine; an engine's own struct embeds it first. */
struct blk_engine {
	const struct blk_engine_ops *ops;
	struct dev_thread *dt; /* the device thread whose ring carries the events */
	int fd;		       /* the image */
	/* What the device's sealed ring must allow for this engine: these
	 * opcodes, and ring_file registered (the image, or the engine's eventfd). */
	const uint8_t *uring_ops;
	unsigned int n_uring_ops;
	int ring_file;
};

struct blk_engine_params {
	enum blk_engine_kind kind;
	int fd;			   /* the image, open; the engine does not close it */
	struct dev_thread *dt;	   /* may be set up after create, but before any request */
	unsigned int max_inflight; /* requests in flight at once, at most */
	unsigned int workers;	   /* threads: 0 for BLK_ENGINE_WORKERS, at most that */
	/* Test-only (MINIVMM_TEST_HOLD_WRITE): the first write waits this
	 * long before it starts, where cancel cannot stop it, as a write on a
	 * stalled disk would. */
	unsigned int test_hold_ms;
};

/* 0 and *out, or a negative errno (-EINVAL: an unknown kind). */
int blk_engine_create(const struct blk_engine_params *p, struct blk_engine **out);
int blk_engine_uring_create(const struct blk_engine_params *p, struct blk_engine **out);
int blk_engine_threads_create(const struct blk_engine_params *p, struct blk_engine **out);

#endif
