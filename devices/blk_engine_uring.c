// SPDX-License-Identifier: MIT
/*
 * The io_uring engine: every request is one SQE on the device thread's own
 * sealed ring, named by the image's registered slot (dev_sqe_fixed), and
 * its CQE is its completion. Requests go in with the device thread's next
 * submit, so a batch the device popped goes to the kernel in one call.
 */
#include "devices/blk_engine.h"

#include <errno.h>
#include <liburing.h>
#include <linux/falloc.h>
#include <stdlib.h>

#include "devices/dev_thread.h"

/* The held write's timeout (test_hold_ms). */
#define TAG_HOLD (BLK_ENGINE_TAG_OWN | 1)

struct uring_engine {
	struct blk_engine e; /* first */
	/* Test-only: the first write waits in the ring as a timeout, which
	 * cancel leaves alone (as a write io-wq runs on a stalled disk), then
	 * goes out; cancelled meanwhile, it ends with -ECANCELED instead. */
	unsigned int hold_ms;
	bool holding, hold_cancelled;
	uint64_t held_tag;
	const struct iovec *held_iov;
	unsigned int held_n;
	uint64_t held_off;
	struct __kernel_timespec hold_ts;
};

/* Reads and writes, FLUSH, DISCARD and WRITE_ZEROES; TIMEOUT for the test
 * hook's held write (it names no file). */
static const uint8_t uring_ops[] = {IORING_OP_READV, IORING_OP_WRITEV, IORING_OP_FSYNC,
				    IORING_OP_FALLOCATE, IORING_OP_TIMEOUT};

static struct uring_engine *to_ue(struct blk_engine *e)
{
	return (struct uring_engine *)e;
}

static void queue_sqe(struct blk_engine *e, struct io_uring_sqe *sqe, uint64_t tag)
{
	dev_sqe_fixed(e->dt, sqe);
	io_uring_sqe_set_data64(sqe, tag);
}

static void ue_readv(struct blk_engine *e, uint64_t tag, const struct iovec *iov, unsigned int n,
		     uint64_t off)
{
	struct io_uring_sqe *sqe = dev_thread_sqe(e->dt);

	io_uring_prep_readv(sqe, e->fd, iov, n, off);
	queue_sqe(e, sqe, tag);
}

static void ue_writev(struct blk_engine *e, uint64_t tag, const struct iovec *iov, unsigned int n,
		      uint64_t off)
{
	struct uring_engine *u = to_ue(e);
	struct io_uring_sqe *sqe = dev_thread_sqe(e->dt);

	if (u->hold_ms) {
		u->hold_ts = (struct __kernel_timespec){.tv_sec = u->hold_ms / 1000,
							.tv_nsec = u->hold_ms % 1000 * 1000000L};
		u->hold_ms = 0;
		u->holding = true;
		u->held_tag = tag;
		u->held_iov = iov;
		u->held_n = n;
		u->held_off = off;
		io_uring_prep_timeout(sqe, &u->hold_ts, 0, 0);
		queue_sqe(e, sqe, TAG_HOLD);
		return;
	}
	io_uring_prep_writev(sqe, e->fd, iov, n, off);
	queue_sqe(e, sqe, tag);
}

static void ue_flush(struct blk_engine *e, uint64_t tag)
{
	struct io_uring_sqe *sqe = dev_thread_sqe(e->dt);

	io_uring_prep_fsync(sqe, e->fd, IORING_FSYNC_DATASYNC);
	queue_sqe(e, sqe, tag);
}

static void fallocate_sqe(struct blk_engine *e, uint64_t tag, int mode, uint64_t off, uint64_t len)
{
	struct io_uring_sqe *sqe = dev_thread_sqe(e->dt);

	io_uring_prep_fallocate(sqe, e->fd, mode | FALLOC_FL_KEEP_SIZE, off, len);
	queue_sqe(e, sqe, tag);
}

static void ue_discard(struct blk_engine *e, uint64_t tag, uint64_t off, uint64_t len)
{
	fallocate_sqe(e, tag, FALLOC_FL_PUNCH_HOLE, off, len);
}

static void ue_write_zeroes(struct blk_engine *e, uint64_t tag, uint64_t off, uint64_t len,
			    bool unmap)
{
	fallocate_sqe(e, tag, unmap ? FALLOC_FL_PUNCH_HOLE : FALLOC_FL_ZERO_RANGE, off, len);
}

static void ue_cancel(struct blk_engine *e, uint64_t tag)
{
	struct uring_engine *u = to_ue(e);

	if (u->holding && tag == u->held_tag)
		u->hold_cancelled = true; /* what the hook stands for cannot be cancelled */
	else
		dev_thread_cancel(e->dt, tag);
}

static void ue_event(struct blk_engine *e, uint64_t tag, int res, blk_engine_done_fn *done,
		     void *dev)
{
	struct uring_engine *u = to_ue(e);

	if (tag != TAG_HOLD) {
		done(dev, tag, res);
		return;
	}
	if (!u->holding)
		return;
	u->holding = false;
	if (u->hold_cancelled) {
		done(dev, u->held_tag, -ECANCELED);
		return;
	}
	/* Held long enough: now the write itself. */
	ue_writev(e, u->held_tag, u->held_iov, u->held_n, u->held_off);
}

static void ue_prepare(struct blk_engine *e)
{
	(void)e;
}

static bool ue_finished_inline(const struct blk_engine *e)
{
	return dev_thread_inline(e->dt);
}

static int ue_start(struct blk_engine *e, int (*prologue)(void *arg), void *arg)
{
	(void)e;
	(void)prologue;
	(void)arg;
	return 0;
}

static void ue_destroy(struct blk_engine *e)
{
	free(e);
}

static const struct blk_engine_ops uring_engine_ops = {
	.name = "uring",
	.readv = ue_readv,
	.writev = ue_writev,
	.flush = ue_flush,
	.discard = ue_discard,
	.write_zeroes = ue_write_zeroes,
	.cancel = ue_cancel,
	.event = ue_event,
	.prepare = ue_prepare,
	.finished_inline = ue_finished_inline,
	.start = ue_start,
	.destroy = ue_destroy,
};

int blk_engine_uring_create(const struct blk_engine_params *p, struct blk_engine **out)
{
	struct uring_engine *u = calloc(1, sizeof(*u));

	if (!u)
		return -ENOMEM;
	u->e = (struct blk_engine){.ops = &uring_engine_ops,
				   .dt = p->dt,
				   .fd = p->fd,
				   .uring_ops = uring_ops,
				   .n_uring_ops = sizeof(uring_ops),
				   .ring_file = p->fd};
	u->hold_ms = p->test_hold_ms;
	*out = &u->e;
	return 0;
}
