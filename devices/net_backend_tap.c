// SPDX-License-Identifier: MIT
/*
 * The TAP backend: frames are read from and written to the TAP by SQEs on
 * the device thread's own sealed ring (READ and WRITEV on the TAP, named by
 * its registered slot; TIMEOUT for the read retry). The kernel puts the
 * virtio-net header on every frame (IFF_VNET_HDR), so both directions pass
 * the device's header through as they are.
 *
 * Received frames land in a pool of RX_POOL bounce buffers and wait in a
 * FIFO, in the TAP's order, until the device places them in the guest.
 */
#include "devices/net_backend.h"

#include <errno.h>
#include <liburing.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "devices/dev_stats.h"
#include "devices/dev_thread.h"
#include "devices/net_hdr.h"
#include "devices/tap.h"

#define RX_POOL	 32 /* bounce buffers: frames read but not yet in the guest */
#define RX_BURST 16 /* most reads posted at once (post_reads) */
#define RX_BUF	 (VNET_MAX_PACKET + 256)

/* Ring tags: the retry timeout, and a read into bounce buffer i. */
#define TAG_RX_RETRY (NET_BACKEND_TAG_OWN | 1)
#define TAG_RX	     (NET_BACKEND_TAG_OWN | 0x100)
#define RX_RETRY_NS  (50 * 1000000) /* after a failed TAP read */

enum rxb_state { RXB_FREE, RXB_READING, RXB_FULL };

struct rx_buf {
	struct vnet_rx_frame f;
	uint8_t state;
	bool nowait; /* read with RWF_NOWAIT (post_reads) */
};

struct tap_backend {
	struct net_backend be; /* first */
	int fd;

	/* Device thread only. */
	uint8_t *rx_mem;
	struct rx_buf rx[RX_POOL];
	uint16_t rx_fifo[RX_POOL]; /* full buffers in the order the TAP gave them */
	unsigned int rx_head, rx_count, rx_reading;
	unsigned int rx_burst;	/* reads the next post_reads() issues */
	unsigned int rx_posted; /* reads the last post_reads() issued */
	unsigned int rx_got;	/* frames they brought so far */
	bool rx_nowait_refused; /* the TAP does not take RWF_NOWAIT: one read at a time */
	bool rx_paused;		/* a read failed: repost after RX_RETRY_NS or a kick, not at once */
	bool rx_retry_armed;	/* the RX_RETRY_NS timeout is in flight */
	struct __kernel_timespec rx_retry;
};

/* Frames from and to the TAP; the receive retry. */
static const uint8_t tap_uring_ops[] = {IORING_OP_READ, IORING_OP_WRITEV, IORING_OP_TIMEOUT};

static struct tap_backend *to_tap(struct net_backend *be)
{
	return (struct tap_backend *)be;
}

static bool is_rx_tag(uint64_t tag)
{
	return tag >= TAG_RX && tag < TAG_RX + RX_POOL;
}

/* ---- transmit ---- */

static int tap_tx(struct net_backend *be, uint64_t tag, const struct iovec *iov, unsigned int n)
{
	struct io_uring_sqe *sqe = dev_thread_sqe(be->dt);

	io_uring_prep_writev(sqe, to_tap(be)->fd, iov, n, (uint64_t)-1);
	dev_sqe_fixed(be->dt, sqe);
	io_uring_sqe_set_data64(sqe, tag);
	return NET_TX_QUEUED;
}

static void tap_tx_cancel(struct net_backend *be, uint64_t tag)
{
	dev_thread_cancel(be->dt, tag);
}

/* ---- receive ---- */

/*
 * Reads are posted only when none is in flight, and all but the last of
 * them with RWF_NOWAIT: io_uring issues them in order as it submits them,
 * each takes the TAP's next frame or fails with -EAGAIN at once, and only
 * the last may wait for a frame. So frames keep the TAP's order, and a
 * busy TAP gives a burst of frames per submission instead of one. The
 * burst doubles while every read brings a frame and falls back to what the
 * last one brought otherwise, so an idle TAP costs one read.
 */
static void tap_prepare(struct net_backend *be)
{
	struct tap_backend *t = to_tap(be);
	unsigned int want = t->rx_nowait_refused ? 1 : t->rx_burst;

	if (t->rx_paused || t->rx_reading)
		return;
	t->rx_got = t->rx_posted = 0;
	for (unsigned int i = 0; i < RX_POOL && t->rx_reading < want; i++) {
		struct io_uring_sqe *sqe;

		if (t->rx[i].state != RXB_FREE)
			continue;
		sqe = dev_thread_sqe(be->dt);
		io_uring_prep_read(sqe, t->fd, t->rx[i].f.data, RX_BUF, (uint64_t)-1);
		dev_sqe_fixed(be->dt, sqe);
		io_uring_sqe_set_data64(sqe, TAG_RX | i);
		t->rx[i].state = RXB_READING;
		t->rx_reading++;
		t->rx_posted++;
		t->rx[i].nowait = t->rx_reading < want;
		if (t->rx[i].nowait)
			sqe->rw_flags = RWF_NOWAIT;
	}
}

/* The last read of a burst is done: size the next one. */
static void rx_burst_done(struct tap_backend *t)
{
	if (t->rx_got == t->rx_posted)
		t->rx_burst = t->rx_burst * 2 > RX_BURST ? RX_BURST : t->rx_burst * 2;
	else
		t->rx_burst = t->rx_got ? t->rx_got : 1;
}

static void rx_pause(struct tap_backend *t)
{
	struct io_uring_sqe *sqe;

	t->rx_paused = true;
	if (t->rx_retry_armed)
		return;
	sqe = dev_thread_sqe(t->be.dt);
	io_uring_prep_timeout(sqe, &t->rx_retry, 0, 0);
	dev_sqe_fixed(t->be.dt, sqe);
	io_uring_sqe_set_data64(sqe, TAG_RX_RETRY);
	t->rx_retry_armed = true;
}

static void rx_take(struct tap_backend *t, unsigned int i, int res)
{
	struct rx_buf *b = &t->rx[i];

	t->rx_reading--;
	if (b->nowait && (res == -EAGAIN || res == -EOPNOTSUPP || res == -EINVAL)) {
		/* No frame waiting; or a TAP that cannot be read without blocking. */
		if (res != -EAGAIN)
			t->rx_nowait_refused = true;
		b->state = RXB_FREE;
		return;
	}
	if (res < VNET_HDR_LEN + VNET_MIN_FRAME || res >= RX_BUF) {
		b->state = RXB_FREE;
		if (res >= RX_BUF)
			stat_inc(&t->be.st.rx_drop_too_big);
		else if (res != -ECANCELED) {
			stat_inc(&t->be.st.rx_read_errors);
			/* Don't spin on a failing TAP, but don't wait for a kick either:
			 * a guest whose ring is full never sends one. */
			if (res < 0)
				rx_pause(t);
		}
		return;
	}
	t->rx_got++;
	b->f.len = (uint32_t)res;
	b->state = RXB_FULL;
	b->f.waited = false;
	t->rx_fifo[(t->rx_head + t->rx_count) % RX_POOL] = (uint16_t)i;
	t->rx_count++;
	stat_max(&t->be.st.rx_pool_hwm, t->rx_count);
}

static struct vnet_rx_frame *tap_rx_peek(struct net_backend *be)
{
	struct tap_backend *t = to_tap(be);

	return t->rx_count ? &t->rx[t->rx_fifo[t->rx_head]].f : NULL;
}

static void tap_rx_consume(struct net_backend *be)
{
	struct tap_backend *t = to_tap(be);

	t->rx[t->rx_fifo[t->rx_head]].state = RXB_FREE;
	t->rx_head = (t->rx_head + 1) % RX_POOL;
	t->rx_count--;
}

static void tap_rx_kick(struct net_backend *be)
{
	to_tap(be)->rx_paused = false;
}

/* ---- the ring's completions, and a reset ---- */

static void tap_event(struct net_backend *be, uint64_t tag, int res, net_tx_done_fn *done,
		      void *dev)
{
	struct tap_backend *t = to_tap(be);

	if (is_rx_tag(tag)) {
		rx_take(t, (unsigned int)(tag - TAG_RX), res);
		if (!t->rx_reading)
			rx_burst_done(t);
	} else if (tag == TAG_RX_RETRY) {
		t->rx_retry_armed = t->rx_paused = false;
	} else if (tag < NET_BACKEND_TAG_OWN) {
		done(dev, tag, res);
	}
}

/* All TAP I/O: nothing touches guest memory after the drain (R16). */
static void tap_cancel(struct net_backend *be)
{
	struct tap_backend *t = to_tap(be);

	for (unsigned int i = 0; i < RX_POOL; i++)
		if (t->rx[i].state == RXB_READING)
			dev_thread_cancel(be->dt, TAG_RX | i);
	if (t->rx_retry_armed)
		dev_thread_cancel(be->dt, TAG_RX_RETRY);
}

static void tap_reap(struct net_backend *be, uint64_t tag, int res, net_tx_done_fn *done, void *dev)
{
	struct tap_backend *t = to_tap(be);

	if (tag == TAG_RX_RETRY) {
		t->rx_retry_armed = false;
	} else if (is_rx_tag(tag)) {
		t->rx_reading--;
		t->rx[tag - TAG_RX].state = RXB_FREE;
	} else if (tag < NET_BACKEND_TAG_OWN) {
		done(dev, tag, res);
	}
}

static bool tap_busy(const struct net_backend *be)
{
	const struct tap_backend *t = (const struct tap_backend *)be;

	return t->rx_reading || t->rx_retry_armed;
}

static void tap_reset(struct net_backend *be)
{
	struct tap_backend *t = to_tap(be);

	t->rx_paused = false;
	t->rx_head = t->rx_count = 0;
	t->rx_burst = 1;
	for (unsigned int i = 0; i < RX_POOL; i++)
		t->rx[i].state = RXB_FREE;
	/* Best effort: DRIVER_OK sets the offloads again before any frame is read. */
	(void)tap_set_offload(t->fd, 0);
}

/* What the guest accepts on receive is what the TAP may hand us; if the
 * TAP refuses even none, we cannot promise the guest anything. */
static int tap_set_offload_for(struct net_backend *be, uint64_t features)
{
	struct tap_backend *t = to_tap(be);
	int rc = tap_set_offload(t->fd, tap_offload_for(features));

	return rc < 0 ? tap_set_offload(t->fd, 0) : 0;
}

static void tap_destroy(struct net_backend *be)
{
	struct tap_backend *t = to_tap(be);

	if (t->fd >= 0)
		close(t->fd);
	if (t->rx_mem != MAP_FAILED)
		munmap(t->rx_mem, (size_t)RX_POOL * RX_BUF);
	free(t);
}

static const struct net_backend_ops tap_backend_ops = {
	.name = "tap",
	.tx = tap_tx,
	.tx_cancel = tap_tx_cancel,
	.rx_peek = tap_rx_peek,
	.rx_consume = tap_rx_consume,
	.rx_kick = tap_rx_kick,
	.prepare = tap_prepare,
	.event = tap_event,
	.cancel = tap_cancel,
	.reap = tap_reap,
	.busy = tap_busy,
	.reset = tap_reset,
	.set_offload = tap_set_offload_for,
	.destroy = tap_destroy,
};

/* Segmentation offloads are offered only if this TAP accepts them; DRIVER_OK
 * sets what the guest took. */
static uint64_t tap_features(int fd)
{
	uint64_t f = 1ULL << VIRTIO_NET_F_CSUM | 1ULL << VIRTIO_NET_F_GUEST_CSUM |
		     1ULL << VIRTIO_NET_F_HOST_TSO4 | 1ULL << VIRTIO_NET_F_HOST_TSO6;
	const uint64_t tso = 1ULL << VIRTIO_NET_F_GUEST_CSUM | 1ULL << VIRTIO_NET_F_GUEST_TSO4 |
			     1ULL << VIRTIO_NET_F_GUEST_TSO6;

	if (tap_set_offload(fd, tap_offload_for(tso)) == 0)
		f |= tso;
	(void)tap_set_offload(fd, 0);
	return f;
}

int net_backend_tap_create(const char *name, struct net_backend **out, char *err, size_t err_len)
{
	struct tap_backend *t = calloc(1, sizeof(*t));

	*out = NULL;
	if (!t) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	t->rx_mem = MAP_FAILED;
	t->fd = tap_open(name, VNET_HDR_LEN, err, err_len);
	if (t->fd < 0) {
		int rc = t->fd;

		free(t);
		return rc;
	}
	/* The bounce pool is all the memory received frames can take. */
	t->rx_mem = mmap(NULL, (size_t)RX_POOL * RX_BUF, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (t->rx_mem == MAP_FAILED) {
		snprintf(err, err_len, "out of memory");
		tap_destroy(&t->be);
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < RX_POOL; i++)
		t->rx[i].f.data = t->rx_mem + (size_t)i * RX_BUF;
	t->rx_retry = (struct __kernel_timespec){.tv_nsec = RX_RETRY_NS};
	t->rx_burst = 1;
	t->be = (struct net_backend){
		.ops = &tap_backend_ops,
		.features = tap_features(t->fd),
		.uring_ops = tap_uring_ops,
		.n_uring_ops = sizeof(tap_uring_ops),
		.ring_file = t->fd,
		/* Every bounce buffer's read and its cancel, the retry and its cancel. */
		.ring_entries = 2 * RX_POOL + 2,
	};
	snprintf(t->be.label, sizeof(t->be.label), "tap=%s", name);
	*out = &t->be;
	return 0;
}
