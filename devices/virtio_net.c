// SPDX-License-Identifier: MIT
#include "devices/virtio_net.h"

#include <errno.h>
#include <inttypes.h>
#include <liburing.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "devices/dev_thread.h"
#include "devices/net_rx.h"
#include "devices/tap.h"
#include "virtio/vring.h"

#define NET_CONFIG_SIZE	     12 /* mac[6], status, max_virtqueue_pairs, mtu */
#define VIRTIO_NET_S_LINK_UP 1

#define TX_IOV_CAP 64 /* Linux sends at most MAX_SKB_FRAGS + 2 segments */
#define RX_POOL	   32 /* bounce buffers: frames read but not yet in the guest */
#define RX_READS   1  /* reads posted at once: one keeps frames in TAP order */
#define RX_BUF	   (VNET_MAX_PACKET + 256)

/* io_uring user_data: a TX slot index, a bounce buffer with TAG_RX, a kick, or dev_thread's. */
#define TAG_KICK_RX  (1ULL << 62)
#define TAG_KICK_TX  (1ULL << 61)
#define TAG_RX	     (1ULL << 58)
#define TAG_RX_RETRY (1ULL << 57)
#define RX_RETRY_NS  (50 * 1000000) /* after a failed TAP read */

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
};

struct vnet {
	struct vmmio mmio;
	struct virtqueue vqs[2];
	const struct guest_mem *gm;
	uint8_t config[NET_CONFIG_SIZE];
	int tap_fd, irq_fd;
	char tap[32];

	struct dev_thread dt;
	struct dev_event kick[2]; /* their fds are written by vCPU threads too */

	/* Device thread only. */
	bool running;	  /* DRIVER_OK and not reset */
	bool ring_failed; /* a reset could not drain: the thread ends */
	uint64_t features;
	bool need_flush[2];

	struct tx_slot *tx;
	uint16_t *tx_free;
	unsigned int tx_nfree, tx_inflight;

	uint8_t *rx_mem;
	struct rx_buf rx[RX_POOL];
	uint16_t rx_fifo[RX_POOL]; /* full buffers in the order the TAP gave them */
	unsigned int rx_head, rx_count, rx_reading;
	bool rx_paused;	     /* a read failed: repost after RX_RETRY_NS or a kick, not at once */
	bool rx_retry_armed; /* the RX_RETRY_NS timeout is in flight */
	struct __kernel_timespec rx_retry;
	struct vnet_rx rxq;

	struct vnet_stats st;
	pthread_mutex_t stats_lock;
};

static int op_queue_enable(void *dev, unsigned int q, uint64_t features)
{
	struct vnet *n = dev;

	return dev_thread_call(&n->dt, DEV_OP_ENABLE, q, features);
}

static void op_reset(void *dev)
{
	struct vnet *n = dev;

	dev_thread_call(&n->dt, DEV_OP_RESET, 0, 0);
}

static void op_driver_ok(void *dev, uint64_t features)
{
	struct vnet *n = dev;

	dev_thread_call(&n->dt, DEV_OP_DRIVER_OK, 0, features);
}

static void op_notify(void *dev, unsigned int q)
{
	struct vnet *n = dev;

	if (q < 2)
		eventfd_write(n->kick[q].fd, 1);
}

static void op_config_read(void *dev, uint32_t off, uint8_t *data, unsigned int size)
{
	struct vnet *n = dev;

	memcpy(data, n->config + off, size);
}

static void op_interrupt(void *dev)
{
	struct vnet *n = dev;

	eventfd_write(n->irq_fd, 1);
}

static const struct vmmio_ops net_mmio_ops = {
	.queue_enable = op_queue_enable,
	.reset = op_reset,
	.driver_ok = op_driver_ok,
	.notify = op_notify,
	.config_read = op_config_read,
	.config_write = NULL, /* the MAC is read-only with VERSION_1 */
	.interrupt = op_interrupt,
};

#define STAT(n, stmt)                                   \
	do {                                            \
		pthread_mutex_lock(&(n)->stats_lock);   \
		stmt;                                   \
		pthread_mutex_unlock(&(n)->stats_lock); \
	} while (0)

/* ---- transmit ---- */

static void tx_release(struct vnet *n, struct tx_slot *s, uint32_t len)
{
	vq_complete(&n->vqs[VNET_TXQ], &s->t, len);
	n->need_flush[VNET_TXQ] = true;
	s->busy = false;
	n->tx_free[n->tx_nfree++] = (uint16_t)(s - n->tx);
}

static void tx_done(struct vnet *n, struct tx_slot *s, int res)
{
	n->tx_inflight--;
	if (res < 0 || (uint32_t)res != s->frame_len + VNET_HDR_LEN)
		STAT(n, n->st.tx_drops[VNET_TX_IO]++);
	else
		STAT(n, n->st.tx_packets++; n->st.tx_bytes += s->frame_len);
	/* A sent packet is completed with len 0: nothing was written into it. */
	tx_release(n, s, 0);
}

static void process_tx(struct vnet *n)
{
	struct virtqueue *vq = &n->vqs[VNET_TXQ];

	if (!n->running || !vq->ready || vq->broken)
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
				vmmio_set_needs_reset(&n->mmio);
				return;
			}
			n->tx_nfree--;
			s->busy = true;
			s->t = c.t;
			why = rc < 0 ? VNET_TX_BAD_CHAIN : vnet_tx_check(&c, n->features, &h);
			if (why != VNET_TX_OK) {
				/* Dropped, counted and answered, never a hole (docs/design.md,
				 * "In-order rules", R9). */
				STAT(n, n->st.tx_drops[why]++);
				tx_release(n, s, 0);
				continue;
			}
			s->frame_len = c.out_len - VNET_HDR_LEN;
			sqe = dev_thread_sqe(&n->dt);
			/* The header we checked, not the guest's, which it may rewrite meanwhile.
			 */
			io_uring_prep_writev(
				sqe, n->tap_fd, s->wire,
				vnet_tx_wire_iov(&c, &h, s->hdr, s->wire, TX_IOV_CAP + 1),
				(uint64_t)-1);
			io_uring_sqe_set_data64(sqe, (uint64_t)(s - n->tx));
			n->tx_inflight++;
			if (n->tx_inflight > n->st.tx_max_inflight)
				STAT(n, n->st.tx_max_inflight = n->tx_inflight);
		}
		/* Out of slots: the next completion frees one and we come back. */
		if (!n->tx_nfree)
			break;
	} while (vq_enable_notify(vq));
}

/* ---- receive ---- */

static void post_reads(struct vnet *n)
{
	if (!n->running || n->rx_paused)
		return;
	for (unsigned int i = 0; i < RX_POOL && n->rx_reading < RX_READS; i++) {
		struct io_uring_sqe *sqe;

		if (n->rx[i].state != RXB_FREE)
			continue;
		sqe = dev_thread_sqe(&n->dt);
		io_uring_prep_read(sqe, n->tap_fd, n->rx[i].f.data, RX_BUF, (uint64_t)-1);
		io_uring_sqe_set_data64(sqe, TAG_RX | i);
		n->rx[i].state = RXB_READING;
		n->rx_reading++;
	}
}

static void rx_pause(struct vnet *n)
{
	struct io_uring_sqe *sqe;

	n->rx_paused = true;
	if (n->rx_retry_armed)
		return;
	sqe = dev_thread_sqe(&n->dt);
	io_uring_prep_timeout(sqe, &n->rx_retry, 0, 0);
	io_uring_sqe_set_data64(sqe, TAG_RX_RETRY);
	n->rx_retry_armed = true;
}

static void rx_read_done(struct vnet *n, unsigned int i, int res)
{
	struct rx_buf *b = &n->rx[i];

	n->rx_reading--;
	if (res < VNET_HDR_LEN + VNET_MIN_FRAME || res >= RX_BUF) {
		b->state = RXB_FREE;
		if (res >= RX_BUF)
			STAT(n, n->st.rx_drop_too_big++);
		else if (res != -ECANCELED) {
			STAT(n, n->st.rx_read_errors++);
			/* Don't spin on a failing TAP, but don't wait for a kick either:
			 * a guest whose ring is full never sends one. */
			if (res < 0)
				rx_pause(n);
		}
		return;
	}
	b->f.len = (uint32_t)res;
	b->state = RXB_FULL;
	b->f.waited = false;
	n->rx_fifo[(n->rx_head + n->rx_count) % RX_POOL] = (uint16_t)i;
	n->rx_count++;
	if (n->rx_count > n->st.rx_pool_hwm)
		STAT(n, n->st.rx_pool_hwm = n->rx_count);
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

	if (!n->running)
		return;
	if (vnet_rx_process(&n->rxq, &src) == VNET_RX_BROKEN)
		vmmio_set_needs_reset(&n->mmio);
	if (n->rxq.need_flush) {
		n->rxq.need_flush = false;
		n->need_flush[VNET_RXQ] = true;
	}
}

/* ---- thread ---- */

static void flush_used(struct vnet *n)
{
	bool irq = false;

	for (int q = 0; q < 2; q++) {
		if (!n->need_flush[q])
			continue;
		n->need_flush[q] = false;
		irq |= vq_flush(&n->vqs[q]);
	}
	if (irq)
		vmmio_signal_used(&n->mmio);
}

/* True, and that kick's read disarmed, if tag is a queue's kick. */
static bool kick_fired(struct vnet *n, uint64_t tag)
{
	return dev_event_fired(&n->kick[VNET_RXQ], tag) || dev_event_fired(&n->kick[VNET_TXQ], tag);
}

static bool is_rx_tag(uint64_t tag)
{
	return tag >= TAG_RX && tag < TAG_RX + RX_POOL;
}

static bool drain_busy(void *dev)
{
	struct vnet *n = dev;

	return n->tx_inflight || n->rx_reading || n->rx_retry_armed;
}

static void drain_reap(void *dev, uint64_t tag)
{
	struct vnet *n = dev;

	if (tag == TAG_RX_RETRY) {
		n->rx_retry_armed = false;
	} else if (is_rx_tag(tag)) {
		n->rx_reading--;
		n->rx[tag - TAG_RX].state = RXB_FREE;
	} else if (tag < VNET_QUEUE_SIZE) {
		n->tx_inflight--;
		n->tx[tag].busy = false;
	} else {
		kick_fired(n, tag);
	}
}

/*
 * Cancels and reaps all TAP I/O; nothing touches guest memory afterwards (R16).
 * False if the ring failed first: slots and buffers still in flight stay taken.
 */
static bool drain(struct vnet *n)
{
	for (unsigned int i = 0; i < VNET_QUEUE_SIZE; i++)
		if (n->tx[i].busy)
			dev_thread_cancel(&n->dt, i);
	for (unsigned int i = 0; i < RX_POOL; i++)
		if (n->rx[i].state == RXB_READING)
			dev_thread_cancel(&n->dt, TAG_RX | i);
	if (n->rx_retry_armed)
		dev_thread_cancel(&n->dt, TAG_RX_RETRY);
	return dev_thread_drain(&n->dt, drain_busy, drain_reap, n);
}

static void reset_device(struct vnet *n)
{
	/* I/O may still land in guest memory and free slots: serve nothing more. */
	if (!drain(n)) {
		n->ring_failed = true;
		return;
	}
	for (int q = 0; q < 2; q++) {
		vq_reset(&n->vqs[q]);
		n->need_flush[q] = false;
	}
	n->running = false;
	n->features = 0;
	n->rxq.mrg_rxbuf = false;
	n->rxq.need_flush = false;
	n->rx_paused = false;
	n->rx_head = n->rx_count = 0;
	for (unsigned int i = 0; i < RX_POOL; i++)
		n->rx[i].state = RXB_FREE;
	n->tx_nfree = 0;
	for (unsigned int i = 0; i < VNET_QUEUE_SIZE; i++) {
		n->tx[i].busy = false;
		n->tx_free[n->tx_nfree++] = (uint16_t)(VNET_QUEUE_SIZE - 1 - i);
	}
	/* Best effort: DRIVER_OK sets the offloads again before any frame is read. */
	(void)tap_set_offload(n->tap_fd, 0);
}

static int net_ctrl(void *dev, enum dev_op op, unsigned int q, uint64_t features)
{
	struct vnet *n = dev;

	switch (op) {
	case DEV_OP_ENABLE:
		return q < 2 ? vq_enable(&n->vqs[q], n->gm, features) : -EINVAL;
	case DEV_OP_RESET:
	case DEV_OP_STOP:
		reset_device(n);
		break;
	case DEV_OP_DRIVER_OK:
		n->features = features;
		n->rxq.mrg_rxbuf = (features >> VIRTIO_NET_F_MRG_RXBUF) & 1;
		/* What the guest accepts on receive is what the TAP may hand us; if
		 * the TAP refuses even none, we cannot promise the guest anything. */
		if (tap_set_offload(n->tap_fd, tap_offload_for(n->features)) < 0 &&
		    tap_set_offload(n->tap_fd, 0) < 0)
			vmmio_set_needs_reset(&n->mmio);
		n->running = true;
		break;
	default:
		break;
	}
	return 0;
}

/*
 * A sending guest queues its next frame within microseconds of the last:
 * poll the transmit ring for it with kicks off (as QEMU's event loop
 * does), which spares the guest an exit per frame. RX needs no poll here:
 * a frame from the TAP ends the poll as a completed read. True if frames
 * were found (and sent).
 */
static bool poll_tx(struct vnet *n)
{
	struct virtqueue *vq = &n->vqs[VNET_TXQ];

	if (!n->running || !vq->ready || vq->broken || !n->tx_nfree ||
	    !dev_thread_poll_ring(&n->dt, vq))
		return false;
	process_tx(n);
	flush_used(n);
	return true;
}

static void *net_thread(void *arg)
{
	struct vnet *n = arg;
	bool keep = true;

	pthread_setname_np(pthread_self(), "virtio-net");
	while (keep) {
		bool ctrl_pending = false, event = false;
		uint64_t tag;
		int res;

		dev_thread_arm(&n->dt, &n->kick[VNET_RXQ]);
		dev_thread_arm(&n->dt, &n->kick[VNET_TXQ]);
		post_reads(n);
		/* Completions and control come first: a guest that keeps sending
		 * must not keep them waiting. */
		if (poll_tx(n) && !dev_thread_has_cqe(&n->dt))
			continue;
		if (!dev_thread_wait(&n->dt))
			break;
		while (dev_thread_next(&n->dt, &tag, &res)) {
			if (tag < VNET_QUEUE_SIZE)
				tx_done(n, &n->tx[tag], res);
			else if (is_rx_tag(tag))
				rx_read_done(n, (unsigned int)(tag - TAG_RX), res);
			else if (tag == TAG_RX_RETRY)
				n->rx_retry_armed = n->rx_paused = false;
			else if (dev_thread_ctrl_fired(&n->dt, tag))
				ctrl_pending = true;
			else if (kick_fired(n, tag))
				event = true;
		}
		if (event)
			n->rx_paused = false;
		process_rx(n);
		/* One drain per CQE batch (R10), then one interrupt decision. */
		flush_used(n);
		if (ctrl_pending)
			keep = dev_thread_serve(&n->dt, net_ctrl, n) && !n->ring_failed;
		if (keep) {
			process_tx(n);
			process_rx(n);
		}
		flush_used(n);
	}
	return NULL;
}

/* ---- setup ---- */

static void build_config(struct vnet *n, const struct vnet_options *o)
{
	memcpy(n->config, o->mac, 6);
	n->config[6] = VIRTIO_NET_S_LINK_UP;
	n->config[8] = 1; /* max_virtqueue_pairs */
	n->config[10] = (uint8_t)o->mtu;
	n->config[11] = (uint8_t)(o->mtu >> 8);
}

static uint64_t offered_features(const struct vnet_options *o, int tap_fd)
{
	uint64_t f = 1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_RING_F_EVENT_IDX |
		     1ULL << VIRTIO_RING_F_INDIRECT_DESC | 1ULL << VIRTIO_NET_F_MAC |
		     1ULL << VIRTIO_NET_F_STATUS | 1ULL << VIRTIO_NET_F_MRG_RXBUF |
		     1ULL << VIRTIO_NET_F_CSUM | 1ULL << VIRTIO_NET_F_GUEST_CSUM |
		     1ULL << VIRTIO_NET_F_HOST_TSO4 | 1ULL << VIRTIO_NET_F_HOST_TSO6;
	const uint64_t tso = 1ULL << VIRTIO_NET_F_GUEST_CSUM | 1ULL << VIRTIO_NET_F_GUEST_TSO4 |
			     1ULL << VIRTIO_NET_F_GUEST_TSO6;

	/* Offered only if this TAP accepts the offloads the guest may ask for. */
	if (o->guest_tso && tap_set_offload(tap_fd, tap_offload_for(tso)) == 0)
		f |= tso;
	(void)tap_set_offload(tap_fd, 0); /* as above: DRIVER_OK sets them */
	if (o->mtu)
		f |= 1ULL << VIRTIO_NET_F_MTU;
	if (o->in_order)
		f |= 1ULL << VIRTIO_F_IN_ORDER;
	return f;
}

int vnet_create(const struct vnet_options *o, const struct guest_mem *gm, const int kick_fds[2],
		int irq_fd, struct vnet **out, char *err, size_t err_len)
{
	struct vnet *n = calloc(1, sizeof(*n));
	size_t rx_bytes = (size_t)RX_POOL * RX_BUF;
	int rc;

	*out = NULL;
	if (!n) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	n->gm = gm;
	n->kick[VNET_RXQ] = (struct dev_event){.fd = kick_fds[VNET_RXQ], .tag = TAG_KICK_RX};
	n->kick[VNET_TXQ] = (struct dev_event){.fd = kick_fds[VNET_TXQ], .tag = TAG_KICK_TX};
	n->irq_fd = irq_fd;
	n->rx_mem = MAP_FAILED;
	n->rx_retry = (struct __kernel_timespec){.tv_nsec = RX_RETRY_NS};
	snprintf(n->tap, sizeof(n->tap), "%s", o->tap);
	pthread_mutex_init(&n->stats_lock, NULL);
	n->tap_fd = tap_open(o->tap, VNET_HDR_LEN, err, err_len);
	if (n->tap_fd < 0) {
		rc = n->tap_fd;
		goto fail;
	}
	build_config(n, o);
	vq_init(&n->vqs[VNET_RXQ], VNET_QUEUE_SIZE);
	vq_init(&n->vqs[VNET_TXQ], VNET_QUEUE_SIZE);
	rc = vmmio_init(&n->mmio, &net_mmio_ops, n, VIRTIO_ID_NET, offered_features(o, n->tap_fd),
			NET_CONFIG_SIZE, n->vqs, 2);
	if (rc) {
		snprintf(err, err_len, "virtio-mmio setup failed");
		goto fail;
	}
	n->tx = calloc(VNET_QUEUE_SIZE, sizeof(*n->tx));
	n->tx_free = calloc(VNET_QUEUE_SIZE, sizeof(*n->tx_free));
	/* The bounce pool is all the memory received frames can take. */
	n->rx_mem =
		mmap(NULL, rx_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!n->tx || !n->tx_free || vnet_rx_init(&n->rxq, &n->vqs[VNET_RXQ], VNET_QUEUE_SIZE) ||
	    n->rx_mem == MAP_FAILED) {
		snprintf(err, err_len, "out of memory or eventfds");
		rc = -ENOMEM;
		goto fail;
	}
	for (unsigned int i = 0; i < RX_POOL; i++)
		n->rx[i].f.data = n->rx_mem + (size_t)i * RX_BUF;
	for (unsigned int i = 0; i < VNET_QUEUE_SIZE; i++)
		n->tx_free[n->tx_nfree++] = (uint16_t)(VNET_QUEUE_SIZE - 1 - i);
	/* Every slot and buffer, their cancels, the kicks and the control read. */
	rc = dev_thread_init(&n->dt, 2 * (VNET_QUEUE_SIZE + RX_POOL) + 8);
	if (rc < 0) {
		snprintf(err, err_len, "io_uring setup failed: %s", strerror(-rc));
		goto fail;
	}
	n->dt.poll_max_ns = (uint64_t)o->poll_us * 1000;
	*out = n;
	return 0;
fail:
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

int vnet_start(struct vnet *n)
{
	return dev_thread_start(&n->dt, net_thread, n);
}

struct dev_thread *vnet_thread(struct vnet *n)
{
	return &n->dt;
}

void vnet_destroy(struct vnet *n)
{
	if (!n)
		return;
	dev_thread_stop(&n->dt, NULL);
	dev_thread_destroy(&n->dt);
	for (int q = 0; q < 2; q++)
		vq_destroy(&n->vqs[q]);
	vmmio_destroy(&n->mmio);
	close(n->tap_fd);
	munmap(n->rx_mem, (size_t)RX_POOL * RX_BUF);
	free(n->tx);
	free(n->tx_free);
	vnet_rx_free(&n->rxq);
	pthread_mutex_destroy(&n->stats_lock);
	free(n);
}

struct vmmio *vnet_mmio(struct vnet *n)
{
	return &n->mmio;
}

void vnet_print_stats(struct vnet *n, const char *name, FILE *f)
{
	uint64_t neg = vmmio_negotiated(&n->mmio, true);
	const struct vnet_rx_stats *rs = &n->rxq.st;
	uint64_t no_fit, bad_chain, drops = 0;

	pthread_mutex_lock(&n->stats_lock);
	for (int i = 1; i < VNET_TX_DROP_COUNT; i++)
		drops += n->st.tx_drops[i];
	no_fit = __atomic_load_n(&rs->drop_no_fit, __ATOMIC_RELAXED) + n->st.rx_drop_too_big;
	bad_chain = __atomic_load_n(&rs->drop_bad_chain, __ATOMIC_RELAXED);
	fprintf(f,
		"%s: virtio-net tap=%s in_order=%s mrg_rxbuf=%s guest_tso=%s poll_hits=%" PRIu64
		" rx_packets=%" PRIu64 " rx_bytes=%" PRIu64 " tx_packets=%" PRIu64
		" tx_bytes=%" PRIu64 " rx_drops=%" PRIu64 " (no_fit=%" PRIu64 " bad_chain=%" PRIu64
		") rx_read_errors=%" PRIu64 " rx_waits=%" PRIu64 " rx_max_bufs=%" PRIu64
		" rx_pool_hwm=%" PRIu64 " tx_drops=%" PRIu64,
		name, n->tap, (neg >> VIRTIO_F_IN_ORDER) & 1 ? "negotiated" : "off",
		(neg >> VIRTIO_NET_F_MRG_RXBUF) & 1 ? "on" : "off",
		(neg >> VIRTIO_NET_F_GUEST_TSO4) & 1 ? "on" : "off",
		__atomic_load_n(&n->dt.poll_hits, __ATOMIC_RELAXED),
		__atomic_load_n(&rs->packets, __ATOMIC_RELAXED),
		__atomic_load_n(&rs->bytes, __ATOMIC_RELAXED), n->st.tx_packets, n->st.tx_bytes,
		no_fit + bad_chain, no_fit, bad_chain, n->st.rx_read_errors,
		__atomic_load_n(&rs->waits, __ATOMIC_RELAXED),
		__atomic_load_n(&rs->max_bufs, __ATOMIC_RELAXED), n->st.rx_pool_hwm, drops);
	if (drops) {
		const char *sep = " (";

		for (int i = 1; i < VNET_TX_DROP_COUNT; i++) {
			if (!n->st.tx_drops[i])
				continue;
			fprintf(f, "%s%s=%" PRIu64, sep, vnet_tx_drop_name(i), n->st.tx_drops[i]);
			sep = " ";
		}
		fputc(')', f);
	}
	fprintf(f, " tx_max_inflight=%" PRIu64 "\n", n->st.tx_max_inflight);
	pthread_mutex_unlock(&n->stats_lock);
	for (int q = 0; q < 2; q++) {
		const struct vq_stats *s = &n->vqs[q].stats;

		fprintf(f,
			"%s: %s queue completed=%" PRIu64 " waited=%" PRIu64
			" heap_hwm=%u unpopped=%" PRIu64 " used_entries=%" PRIu64
			" batches=%" PRIu64 " batch_bufs=%" PRIu64 " notifies=%" PRIu64 "\n",
			name, q == VNET_RXQ ? "rx" : "tx", s->completed, s->waited, s->heap_hwm,
			s->unpopped, s->used_entries, s->batches, s->batch_bufs, s->notifies);
	}
}
