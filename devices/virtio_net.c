// SPDX-License-Identifier: MIT
#include "devices/virtio_net.h"

#include <errno.h>
#include <inttypes.h>
#include <liburing.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "devices/dev_stats.h"
#include "devices/net_rx.h"
#include "devices/tap.h"
#include "devices/virtio_dev.h"
#include "virtio/vring.h"

#define NET_CONFIG_SIZE	     12 /* mac[6], status, max_virtqueue_pairs, mtu */
#define VIRTIO_NET_S_LINK_UP 1

#define TX_IOV_CAP 64 /* Linux sends at most MAX_SKB_FRAGS + 2 segments */
#define RX_POOL	   32 /* bounce buffers: frames read but not yet in the guest */
#define RX_BURST   16 /* most reads posted at once (post_reads) */
#define RX_BUF	   (VNET_MAX_PACKET + 256)

/* io_uring user_data: a TX slot index, a bounce buffer with TAG_RX, or the shell's own. */
#define TAG_RX	     (1ULL << 58)
#define TAG_RX_RETRY (1ULL << 57)
#define TAG_TX_HOLD  (1ULL << 56)
#define RX_RETRY_NS  (50 * 1000000) /* after a failed TAP read */
/* Sent frames whose completion is held (tx_done), and for how long at most. */
#define TX_HOLD_MAX   64
#define TX_HOLD_NS    (200 * 1000)
#define TX_HOLD_BYTES (256 * 1024)

enum rxb_state { RXB_FREE, RXB_READING, RXB_FULL };

struct tx_slot {
	struct vq_ticket t;
	struct iovec iov[TX_IOV_CAP];
	struct iovec wire[TX_IOV_CAP + 1]; /* the checked header, then the frame */
	uint8_t hdr[VNET_HDR_LEN];
	uint32_t frame_len;
	bool busy;
};

struct rx_buf {
	struct vnet_rx_frame f;
	uint8_t state;
	bool nowait; /* read with RWF_NOWAIT (post_reads) */
};

struct vnet {
	struct virtio_dev vdev; /* first: the shell's callbacks get &vdev */
	int tap_fd;
	char tap[32];

	/* Device thread only. */
	uint64_t features;

	struct tx_slot *tx;
	uint16_t *tx_free;
	unsigned int tx_nfree, tx_inflight;
	uint16_t tx_sent[TX_HOLD_MAX]; /* written to the TAP, completion held */
	unsigned int tx_nsent;
	uint32_t tx_held_bytes; /* of the frames in tx_sent */
	bool tx_hold_armed;
	struct __kernel_timespec tx_hold;

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
	struct vnet_rx rxq;

	struct vnet_stats st; /* devices/dev_stats.h */
};

static struct vnet *to_vnet(struct virtio_dev *d)
{
	return (struct vnet *)d;
}

/* ---- transmit ---- */

static void tx_release(struct vnet *n, struct tx_slot *s, uint32_t len)
{
	virtio_dev_complete(&n->vdev, VNET_TXQ, &s->t, len);
	s->busy = false;
	n->tx_free[n->tx_nfree++] = (uint16_t)(s - n->tx);
}

/* Completes the held frames: a sent packet with len 0, nothing was written into it. */
static void tx_release_sent(struct vnet *n)
{
	for (unsigned int i = 0; i < n->tx_nsent; i++)
		tx_release(n, &n->tx[n->tx_sent[i]], 0);
	n->tx_nsent = 0;
	n->tx_held_bytes = 0;
}

/*
 * A frame the TAP took is completed TX_HOLD_NS after the first frame still
 * held was sent, or once TX_HOLD_MAX frames or TX_HOLD_BYTES are held; not
 * at once. The frame is on the wire already: only its buffer comes back
 * later. A completion within microseconds lets the guest's TCP send each
 * frame as soon as the application writes it (its small-queue limit
 * reopens every time), so it never collects data into large TSO frames.
 * One level down, Linux sending TCP through minivmm wrote 182 frames per
 * MiB when completions came at the end of each burst and 82 with a 200 us
 * hold (QEMU: 73), and its throughput went from 0.54x QEMU's to 1.04x.
 * The byte bound is for large TSO frames: a guest with a few of them in
 * flight ran out of buffers while they sat out the timer (test guest, 32
 * slots of 64 KiB: 61k frames/s, 70k with the bound), and one level down
 * Linux's TCP gained from it too (64 frames per MiB instead of 80).
 */
static void tx_done(struct vnet *n, struct tx_slot *s, int res)
{
	n->tx_inflight--;
	if (res < 0 || (uint32_t)res != s->frame_len + VNET_HDR_LEN)
		stat_inc(&n->st.tx_drops[VNET_TX_IO]);
	else {
		stat_inc(&n->st.tx_packets);
		stat_add(&n->st.tx_bytes, s->frame_len);
	}
	s->busy = false; /* no longer the TAP's: nothing to cancel */
	n->tx_sent[n->tx_nsent++] = (uint16_t)(s - n->tx);
	n->tx_held_bytes += s->frame_len;
	if (n->tx_nsent == TX_HOLD_MAX || n->tx_held_bytes >= TX_HOLD_BYTES)
		tx_release_sent(n);
	else if (!n->tx_hold_armed) {
		struct io_uring_sqe *sqe = dev_thread_sqe(&n->vdev.dt);

		io_uring_prep_timeout(sqe, &n->tx_hold, 0, 0);
		dev_sqe_fixed(&n->vdev.dt, sqe);
		io_uring_sqe_set_data64(sqe, TAG_TX_HOLD);
		n->tx_hold_armed = true;
	}
}

static void process_tx(struct vnet *n)
{
	struct virtqueue *vq = &n->vdev.vqs[VNET_TXQ];

	if (!virtio_dev_queue_live(&n->vdev, VNET_TXQ))
		return;
	do {
		vq_disable_notify(vq);
		while (n->tx_nfree) {
			struct tx_slot *s = &n->tx[n->tx_free[n->tx_nfree - 1]];
			struct io_uring_sqe *sqe;
			enum vnet_tx_drop why;
			struct vnet_hdr h;
			struct vq_chain c;
			int rc;

			vq_chain_init(&c, s->iov, TX_IOV_CAP);
			rc = vq_pop(vq, &c);
			if (rc == VQ_EMPTY)
				break;
			if (vq_err_is_fatal(rc)) {
				vmmio_set_needs_reset(&n->vdev.mmio);
				return;
			}
			n->tx_nfree--;
			s->busy = true;
			s->t = c.t;
			why = rc < 0 ? VNET_TX_BAD_CHAIN : vnet_tx_check(&c, n->features, &h);
			if (why != VNET_TX_OK) {
				/* Dropped, counted and answered, never a hole (docs/design.md,
				 * "In-order rules", R9). */
				stat_inc(&n->st.tx_drops[why]);
				tx_release(n, s, 0);
				continue;
			}
			s->frame_len = c.out_len - VNET_HDR_LEN;
			sqe = dev_thread_sqe(&n->vdev.dt);
			/* The header we checked, not the guest's, which it may rewrite meanwhile.
			 */
			io_uring_prep_writev(
				sqe, n->tap_fd, s->wire,
				vnet_tx_wire_iov(&c, &h, s->hdr, s->wire, TX_IOV_CAP + 1),
				(uint64_t)-1);
			dev_sqe_fixed(&n->vdev.dt, sqe);
			io_uring_sqe_set_data64(sqe, (uint64_t)(s - n->tx));
			n->tx_inflight++;
			stat_max(&n->st.tx_max_inflight, n->tx_inflight);
		}
		/* Out of slots: the next completion frees one and we come back. */
		if (!n->tx_nfree)
			break;
	} while (vq_enable_notify(vq));
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
static void post_reads(struct vnet *n)
{
	unsigned int want = n->rx_nowait_refused ? 1 : n->rx_burst;

	if (!n->vdev.running || n->rx_paused || n->rx_reading)
		return;
	n->rx_got = n->rx_posted = 0;
	for (unsigned int i = 0; i < RX_POOL && n->rx_reading < want; i++) {
		struct io_uring_sqe *sqe;

		if (n->rx[i].state != RXB_FREE)
			continue;
		sqe = dev_thread_sqe(&n->vdev.dt);
		io_uring_prep_read(sqe, n->tap_fd, n->rx[i].f.data, RX_BUF, (uint64_t)-1);
		dev_sqe_fixed(&n->vdev.dt, sqe);
		io_uring_sqe_set_data64(sqe, TAG_RX | i);
		n->rx[i].state = RXB_READING;
		n->rx_reading++;
		n->rx_posted++;
		n->rx[i].nowait = n->rx_reading < want;
		if (n->rx[i].nowait)
			sqe->rw_flags = RWF_NOWAIT;
	}
}

/* The last read of a burst is done: size the next one. */
static void rx_burst_done(struct vnet *n)
{
	if (n->rx_got == n->rx_posted)
		n->rx_burst = n->rx_burst * 2 > RX_BURST ? RX_BURST : n->rx_burst * 2;
	else
		n->rx_burst = n->rx_got ? n->rx_got : 1;
}

static void rx_pause(struct vnet *n)
{
	struct io_uring_sqe *sqe;

	n->rx_paused = true;
	if (n->rx_retry_armed)
		return;
	sqe = dev_thread_sqe(&n->vdev.dt);
	io_uring_prep_timeout(sqe, &n->rx_retry, 0, 0);
	dev_sqe_fixed(&n->vdev.dt, sqe);
	io_uring_sqe_set_data64(sqe, TAG_RX_RETRY);
	n->rx_retry_armed = true;
}

static void rx_take(struct vnet *n, unsigned int i, int res)
{
	struct rx_buf *b = &n->rx[i];

	n->rx_reading--;
	if (b->nowait && (res == -EAGAIN || res == -EOPNOTSUPP || res == -EINVAL)) {
		/* No frame waiting; or a TAP that cannot be read without blocking. */
		if (res != -EAGAIN)
			n->rx_nowait_refused = true;
		b->state = RXB_FREE;
		return;
	}
	if (res < VNET_HDR_LEN + VNET_MIN_FRAME || res >= RX_BUF) {
		b->state = RXB_FREE;
		if (res >= RX_BUF)
			stat_inc(&n->st.rx_drop_too_big);
		else if (res != -ECANCELED) {
			stat_inc(&n->st.rx_read_errors);
			/* Don't spin on a failing TAP, but don't wait for a kick either:
			 * a guest whose ring is full never sends one. */
			if (res < 0)
				rx_pause(n);
		}
		return;
	}
	n->rx_got++;
	b->f.len = (uint32_t)res;
	b->state = RXB_FULL;
	b->f.waited = false;
	n->rx_fifo[(n->rx_head + n->rx_count) % RX_POOL] = (uint16_t)i;
	n->rx_count++;
	stat_max(&n->st.rx_pool_hwm, n->rx_count);
}

static void rx_read_done(struct vnet *n, unsigned int i, int res)
{
	rx_take(n, i, res);
	if (!n->rx_reading)
		rx_burst_done(n);
}

static struct vnet_rx_frame *rx_peek(void *ctx)
{
	struct vnet *n = ctx;

	return n->rx_count ? &n->rx[n->rx_fifo[n->rx_head]].f : NULL;
}

static void rx_consume(void *ctx)
{
	struct vnet *n = ctx;

	n->rx[n->rx_fifo[n->rx_head]].state = RXB_FREE;
	n->rx_head = (n->rx_head + 1) % RX_POOL;
	n->rx_count--;
}

static void process_rx(struct vnet *n)
{
	const struct vnet_rx_source src = {.peek = rx_peek, .consume = rx_consume, .ctx = n};

	if (!n->vdev.running)
		return;
	if (vnet_rx_process(&n->rxq, &src) == VNET_RX_BROKEN)
		vmmio_set_needs_reset(&n->vdev.mmio);
	if (n->rxq.need_flush) {
		n->rxq.need_flush = false;
		n->vdev.need_flush[VNET_RXQ] = true;
	}
}

/* ---- the shell's ops ---- */

static bool is_rx_tag(uint64_t tag)
{
	return tag >= TAG_RX && tag < TAG_RX + RX_POOL;
}

static void net_prepare(struct virtio_dev *d)
{
	post_reads(to_vnet(d));
}

static void net_complete(struct virtio_dev *d, uint64_t tag, int res)
{
	struct vnet *n = to_vnet(d);

	if (tag < VNET_QUEUE_SIZE)
		tx_done(n, &n->tx[tag], res);
	else if (is_rx_tag(tag))
		rx_read_done(n, (unsigned int)(tag - TAG_RX), res);
	else if (tag == TAG_RX_RETRY)
		n->rx_retry_armed = n->rx_paused = false;
	else if (tag == TAG_TX_HOLD) {
		n->tx_hold_armed = false;
		tx_release_sent(n);
	}
}

static void net_batch_done(struct virtio_dev *d, unsigned int kicked)
{
	struct vnet *n = to_vnet(d);

	if (kicked)
		n->rx_paused = false;
	process_rx(n);
}

static void net_process(struct virtio_dev *d, unsigned int kicked, bool ctrl)
{
	struct vnet *n = to_vnet(d);

	(void)kicked;
	(void)ctrl;
	process_tx(n);
	process_rx(n);
}

static bool net_busy(struct virtio_dev *d)
{
	struct vnet *n = to_vnet(d);

	return n->tx_inflight || n->rx_reading || n->rx_retry_armed || n->tx_hold_armed;
}

static void net_reap(struct virtio_dev *d, uint64_t tag)
{
	struct vnet *n = to_vnet(d);

	if (tag == TAG_RX_RETRY) {
		n->rx_retry_armed = false;
	} else if (tag == TAG_TX_HOLD) {
		n->tx_hold_armed = false;
	} else if (is_rx_tag(tag)) {
		n->rx_reading--;
		n->rx[tag - TAG_RX].state = RXB_FREE;
	} else if (tag < VNET_QUEUE_SIZE) {
		n->tx_inflight--;
		n->tx[tag].busy = false;
	}
}

/* All TAP I/O: nothing touches guest memory after the drain (R16). */
static void net_cancel(struct virtio_dev *d)
{
	struct vnet *n = to_vnet(d);

	for (unsigned int i = 0; i < VNET_QUEUE_SIZE; i++)
		if (n->tx[i].busy)
			dev_thread_cancel(&d->dt, i);
	for (unsigned int i = 0; i < RX_POOL; i++)
		if (n->rx[i].state == RXB_READING)
			dev_thread_cancel(&d->dt, TAG_RX | i);
	if (n->rx_retry_armed)
		dev_thread_cancel(&d->dt, TAG_RX_RETRY);
	if (n->tx_hold_armed)
		dev_thread_cancel(&d->dt, TAG_TX_HOLD);
}

static void net_reset(struct virtio_dev *d)
{
	struct vnet *n = to_vnet(d);

	n->features = 0;
	n->rxq.mrg_rxbuf = false;
	n->rxq.need_flush = false;
	n->rx_paused = false;
	n->rx_head = n->rx_count = 0;
	n->rx_burst = 1;
	for (unsigned int i = 0; i < RX_POOL; i++)
		n->rx[i].state = RXB_FREE;
	n->tx_nfree = 0;
	n->tx_nsent = 0; /* no used-ring write after a reset began (R16) */
	n->tx_held_bytes = 0;
	for (unsigned int i = 0; i < VNET_QUEUE_SIZE; i++) {
		n->tx[i].busy = false;
		n->tx_free[n->tx_nfree++] = (uint16_t)(VNET_QUEUE_SIZE - 1 - i);
	}
	/* Best effort: DRIVER_OK sets the offloads again before any frame is read. */
	(void)tap_set_offload(n->tap_fd, 0);
}

static void net_driver_ok(struct virtio_dev *d, uint64_t features)
{
	struct vnet *n = to_vnet(d);

	n->features = features;
	n->rxq.mrg_rxbuf = (features >> VIRTIO_NET_F_MRG_RXBUF) & 1;
	/* What the guest accepts on receive is what the TAP may hand us; if
	 * the TAP refuses even none, we cannot promise the guest anything. */
	if (tap_set_offload(n->tap_fd, tap_offload_for(n->features)) < 0 &&
	    tap_set_offload(n->tap_fd, 0) < 0)
		vmmio_set_needs_reset(&d->mmio);
}

/*
 * A sending guest queues its next frame within microseconds of the last:
 * poll the transmit ring for it with kicks off (as QEMU's event loop
 * does), which spares the guest an exit per frame. RX needs no poll here:
 * a frame from the TAP ends the poll as a completed read. True if frames
 * were found (and sent).
 */
static bool net_poll(struct virtio_dev *d)
{
	struct vnet *n = to_vnet(d);

	if (virtio_dev_queue_live(d, VNET_TXQ) && n->tx_nfree &&
	    virtio_dev_poll_ring(d, VNET_TXQ, 1)) {
		process_tx(n);
		return true;
	}
	return false;
}

static void net_counters(struct virtio_dev *d, struct dev_counters *c)
{
	struct vnet *n = to_vnet(d);
	const struct vnet_stats *st = &n->st;
	const struct vnet_rx_stats *rs = &n->rxq.st;

	*c = (struct dev_counters){
		.in_order = virtio_dev_negotiated(d, VIRTIO_F_IN_ORDER),
		.rx_packets = stat_get(&rs->packets),
		.tx_packets = stat_get(&st->tx_packets),
		.read_bytes = stat_get(&rs->bytes),
		.written_bytes = stat_get(&st->tx_bytes),
		.rx_drops = stat_get(&rs->drop_no_fit) + stat_get(&st->rx_drop_too_big) +
			    stat_get(&rs->drop_bad_chain),
		.rx_read_errors = stat_get(&st->rx_read_errors),
		.max_inflight = stat_get(&st->tx_max_inflight),
		.poll_hits = stat_get(&d->dt.poll_hits),
	};
	for (int i = 1; i < VNET_TX_DROP_COUNT; i++)
		c->tx_drops += stat_get(&st->tx_drops[i]);
}

static void net_print_stats(struct virtio_dev *d, const char *name, FILE *f)
{
	struct vnet *n = to_vnet(d);
	const struct vnet_stats *st = &n->st;
	const struct vnet_rx_stats *rs = &n->rxq.st;
	uint64_t no_fit, bad_chain, drops = 0;

	for (int i = 1; i < VNET_TX_DROP_COUNT; i++)
		drops += stat_get(&st->tx_drops[i]);
	no_fit = stat_get(&rs->drop_no_fit) + stat_get(&st->rx_drop_too_big);
	bad_chain = stat_get(&rs->drop_bad_chain);
	fprintf(f,
		"%s: virtio-net tap=%s in_order=%s mrg_rxbuf=%s guest_tso=%s poll_hits=%" PRIu64
		" rx_packets=%" PRIu64 " rx_bytes=%" PRIu64 " tx_packets=%" PRIu64
		" tx_bytes=%" PRIu64 " rx_drops=%" PRIu64 " (no_fit=%" PRIu64 " bad_chain=%" PRIu64
		") rx_read_errors=%" PRIu64 " rx_waits=%" PRIu64 " rx_max_bufs=%" PRIu64
		" rx_pool_hwm=%" PRIu64 " tx_drops=%" PRIu64,
		name, n->tap, virtio_dev_negotiated(d, VIRTIO_F_IN_ORDER) ? "negotiated" : "off",
		virtio_dev_negotiated(d, VIRTIO_NET_F_MRG_RXBUF) ? "on" : "off",
		virtio_dev_negotiated(d, VIRTIO_NET_F_GUEST_TSO4) ? "on" : "off",
		stat_get(&d->dt.poll_hits), stat_get(&rs->packets), stat_get(&rs->bytes),
		stat_get(&st->tx_packets), stat_get(&st->tx_bytes), no_fit + bad_chain, no_fit,
		bad_chain, stat_get(&st->rx_read_errors), stat_get(&rs->waits),
		stat_get(&rs->max_bufs), stat_get(&st->rx_pool_hwm), drops);
	if (drops) {
		const char *sep = " (";

		for (int i = 1; i < VNET_TX_DROP_COUNT; i++) {
			uint64_t v = stat_get(&st->tx_drops[i]);

			if (!v)
				continue;
			fprintf(f, "%s%s=%" PRIu64, sep, vnet_tx_drop_name(i), v);
			sep = " ";
		}
		fputc(')', f);
	}
	fprintf(f, " tx_max_inflight=%" PRIu64 "\n", stat_get(&st->tx_max_inflight));
}

static void net_destroy(struct virtio_dev *d)
{
	struct vnet *n = to_vnet(d);

	close(n->tap_fd);
	munmap(n->rx_mem, (size_t)RX_POOL * RX_BUF);
	free(n->tx);
	free(n->tx_free);
	vnet_rx_free(&n->rxq);
	free(n);
}

static const char *const net_queue_names[] = {[VNET_RXQ] = "rx", [VNET_TXQ] = "tx"};

/* Frames from and to the TAP; the transmit hold and the receive retry. */
static const uint8_t net_uring_ops[] = {IORING_OP_READ, IORING_OP_WRITEV, IORING_OP_TIMEOUT};

static const struct virtio_dev_ops net_ops = {
	.name = "virtio-net",
	.device_id = VIRTIO_ID_NET,
	.uring_ops = net_uring_ops,
	.n_uring_ops = sizeof(net_uring_ops),
	.needs_ring = true, /* the TAP is read and written through the ring only */
	.queue_names = net_queue_names,
	.shows_unpopped = true,
	.prepare = net_prepare,
	.poll = net_poll,
	.complete = net_complete,
	.batch_done = net_batch_done,
	.process = net_process,
	.cancel = net_cancel,
	.busy = net_busy,
	.reap = net_reap,
	.reset = net_reset,
	.driver_ok = net_driver_ok,
	.print_stats = net_print_stats,
	.counters = net_counters,
	.destroy = net_destroy,
};

/* ---- setup ---- */

static void build_config(struct vnet *n, const struct vnet_options *o)
{
	uint8_t *c = n->vdev.config;

	memcpy(c, o->mac, 6);
	c[6] = VIRTIO_NET_S_LINK_UP;
	c[8] = 1; /* max_virtqueue_pairs */
	c[10] = (uint8_t)o->mtu;
	c[11] = (uint8_t)(o->mtu >> 8);
}

static uint64_t offered_features(const struct vnet_options *o, int tap_fd)
{
	uint64_t f = 1ULL << VIRTIO_NET_F_MAC | 1ULL << VIRTIO_NET_F_STATUS |
		     1ULL << VIRTIO_NET_F_MRG_RXBUF | 1ULL << VIRTIO_NET_F_CSUM |
		     1ULL << VIRTIO_NET_F_GUEST_CSUM | 1ULL << VIRTIO_NET_F_HOST_TSO4 |
		     1ULL << VIRTIO_NET_F_HOST_TSO6;
	const uint64_t tso = 1ULL << VIRTIO_NET_F_GUEST_CSUM | 1ULL << VIRTIO_NET_F_GUEST_TSO4 |
			     1ULL << VIRTIO_NET_F_GUEST_TSO6;

	/* Offered only if this TAP accepts the offloads the guest may ask for. */
	if (o->guest_tso && tap_set_offload(tap_fd, tap_offload_for(tso)) == 0)
		f |= tso;
	(void)tap_set_offload(tap_fd, 0); /* as above: DRIVER_OK sets them */
	if (o->mtu)
		f |= 1ULL << VIRTIO_NET_F_MTU;
	return f;
}

int vnet_create(const struct vnet_options *o, const struct virtio_dev_env *env,
		struct virtio_dev **out, char *err, size_t err_len)
{
	struct vnet *n = calloc(1, sizeof(*n));
	size_t rx_bytes = (size_t)RX_POOL * RX_BUF;
	int rc;

	*out = NULL;
	if (!n) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	n->rx_mem = MAP_FAILED;
	n->rx_retry = (struct __kernel_timespec){.tv_nsec = RX_RETRY_NS};
	n->tx_hold = (struct __kernel_timespec){.tv_nsec = TX_HOLD_NS};
	n->rx_burst = 1;
	snprintf(n->tap, sizeof(n->tap), "%s", o->tap);
	n->tap_fd = tap_open(o->tap, VNET_HDR_LEN, err, err_len);
	if (n->tap_fd < 0) {
		rc = n->tap_fd;
		goto fail;
	}
	build_config(n, o);
	rc = virtio_dev_init(&n->vdev, &net_ops, env,
			     &(struct virtio_dev_params){
				     .features = offered_features(o, n->tap_fd),
				     .in_order = o->in_order,
				     .config_len = NET_CONFIG_SIZE,
				     .nqueues = 2,
				     .queue_size = VNET_QUEUE_SIZE,
				     /* Every slot and buffer, their cancels, the kicks and
				      * the control read. */
				     .ring_entries = 2 * (VNET_QUEUE_SIZE + RX_POOL) + 8,
				     .poll_us = o->poll_us,
				     .files = &n->tap_fd,
				     .nfiles = 1,
			     },
			     err, err_len);
	if (rc)
		goto fail;
	n->tx = calloc(VNET_QUEUE_SIZE, sizeof(*n->tx));
	n->tx_free = calloc(VNET_QUEUE_SIZE, sizeof(*n->tx_free));
	/* The bounce pool is all the memory received frames can take. */
	n->rx_mem =
		mmap(NULL, rx_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!n->tx || !n->tx_free ||
	    vnet_rx_init(&n->rxq, &n->vdev.vqs[VNET_RXQ], VNET_QUEUE_SIZE) ||
	    n->rx_mem == MAP_FAILED) {
		snprintf(err, err_len, "out of memory or eventfds");
		rc = -ENOMEM;
		goto fail;
	}
	for (unsigned int i = 0; i < RX_POOL; i++)
		n->rx[i].f.data = n->rx_mem + (size_t)i * RX_BUF;
	for (unsigned int i = 0; i < VNET_QUEUE_SIZE; i++)
		n->tx_free[n->tx_nfree++] = (uint16_t)(VNET_QUEUE_SIZE - 1 - i);
	*out = &n->vdev;
	return 0;
fail:
	virtio_dev_fini(&n->vdev);
	if (n->tap_fd >= 0)
		close(n->tap_fd);
	if (n->rx_mem != MAP_FAILED)
		munmap(n->rx_mem, rx_bytes);
	free(n->tx);
	free(n->tx_free);
	vnet_rx_free(&n->rxq);
	free(n);
	return rc < 0 ? rc : -EINVAL;
}
