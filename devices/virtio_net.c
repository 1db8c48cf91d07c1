// SPDX-License-Identifier: MIT
#include "devices/virtio_net.h"

#include <errno.h>
#include <inttypes.h>
#include <liburing.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "devices/dev_stats.h"
#include "devices/net_backend.h"
#include "devices/net_rx.h"
#include "devices/virtio_dev.h"
#include "virtio/vring.h"

#define NET_CONFIG_SIZE	     12 /* mac[6], status, max_virtqueue_pairs, mtu */
#define VIRTIO_NET_S_LINK_UP 1

#define TX_IOV_CAP 64 /* Linux sends at most MAX_SKB_FRAGS + 2 segments */

/* io_uring user_data: a TX slot index, the hold's timeout, the backend's
 * (from NET_BACKEND_TAG_OWN), or the shell's own. */
#define TAG_TX_HOLD (1ULL << 56)
/* Sent frames whose completion is held (tx_done), and for how long at most. */
#define TX_HOLD_MAX   64
#define TX_HOLD_NS    (200 * 1000)
#define TX_HOLD_BYTES (256 * 1024)

struct tx_slot {
	struct vq_ticket t;
	struct iovec iov[TX_IOV_CAP];
	struct iovec wire[TX_IOV_CAP + 1]; /* the checked header, then the frame */
	uint8_t hdr[VNET_HDR_LEN];
	uint32_t frame_len;
	bool busy;
};

struct vnet {
	struct virtio_dev vdev; /* first: the shell's callbacks get &vdev */
	struct net_backend *be; /* carries the frames (devices/net_backend.h) */
	/* The ring's opcodes: the transmit hold's, and the backend's. */
	uint8_t uring_ops[DEV_OPS_MAX];

	/* Device thread only. */
	uint64_t features;

	struct tx_slot *tx;
	uint16_t *tx_free;
	unsigned int tx_nfree, tx_inflight;
	uint16_t tx_sent[TX_HOLD_MAX]; /* sent by the backend, completion held */
	unsigned int tx_nsent;
	uint32_t tx_held_bytes; /* of the frames in tx_sent */
	bool tx_hold_armed;
	struct __kernel_timespec tx_hold;

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
 * A frame the backend took is completed TX_HOLD_NS after the first frame still
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
static void tx_done(void *dev, uint64_t tag, int res)
{
	struct vnet *n = dev;
	struct tx_slot *s;

	if (tag >= VNET_QUEUE_SIZE)
		return;
	s = &n->tx[tag];
	n->tx_inflight--;
	if (res < 0 || (uint32_t)res != s->frame_len + VNET_HDR_LEN)
		stat_inc(&n->st.tx_drops[VNET_TX_IO]);
	else {
		stat_inc(&n->st.tx_packets);
		stat_add(&n->st.tx_bytes, s->frame_len);
	}
	s->busy = false; /* no longer the backend's: nothing to cancel */
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
			enum vnet_tx_drop why;
			uint32_t nwire;
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
			/* The header we checked, not the guest's, which it may rewrite meanwhile.
			 */
			nwire = vnet_tx_wire_iov(&c, &h, s->hdr, s->wire, TX_IOV_CAP + 1);
			n->tx_inflight++;
			stat_max(&n->st.tx_max_inflight, n->tx_inflight);
			rc = n->be->ops->tx(n->be, (uint64_t)(s - n->tx), s->wire, nwire);
			if (rc != NET_TX_QUEUED)
				tx_done(n, (uint64_t)(s - n->tx), rc);
		}
		/* Out of slots: the next completion frees one and we come back. */
		if (!n->tx_nfree)
			break;
	} while (vq_enable_notify(vq));
}

/* ---- receive ---- */

static struct vnet_rx_frame *rx_peek(void *ctx)
{
	struct net_backend *be = ctx;

	return be->ops->rx_peek(be);
}

static void rx_consume(void *ctx)
{
	struct net_backend *be = ctx;

	be->ops->rx_consume(be);
}

static void process_rx(struct vnet *n)
{
	const struct vnet_rx_source src = {.peek = rx_peek, .consume = rx_consume, .ctx = n->be};

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

/* The backend's own CQEs and the transmits it ended go to it; the hold is ours. */
static bool is_backend_tag(uint64_t tag)
{
	return tag < VNET_QUEUE_SIZE || tag >= NET_BACKEND_TAG_OWN;
}

/* On the owner's thread: the backend's threads run the device's helper prologue. */
static int net_start(struct virtio_dev *d)
{
	struct vnet *n = to_vnet(d);

	if (!n->be->ops->start)
		return 0;
	return n->be->ops->start(n->be, d->dt.helper_prologue, d->dt.prologue_arg);
}

static void net_prepare(struct virtio_dev *d)
{
	struct vnet *n = to_vnet(d);

	if (n->vdev.running && n->be->ops->prepare)
		n->be->ops->prepare(n->be);
}

static void net_complete(struct virtio_dev *d, uint64_t tag, int res)
{
	struct vnet *n = to_vnet(d);

	if (is_backend_tag(tag))
		n->be->ops->event(n->be, tag, res, tx_done, n);
	else if (tag == TAG_TX_HOLD) {
		n->tx_hold_armed = false;
		tx_release_sent(n);
	}
}

static void net_batch_done(struct virtio_dev *d, unsigned int kicked)
{
	struct vnet *n = to_vnet(d);

	if (kicked)
		n->be->ops->rx_kick(n->be);
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

	return n->tx_inflight || n->tx_hold_armed || n->be->ops->busy(n->be);
}

/* A transmit that ended after a reset began: no used-ring write (R16). */
static void tx_reaped(void *dev, uint64_t tag, int res)
{
	struct vnet *n = dev;

	(void)res;
	if (tag >= VNET_QUEUE_SIZE)
		return;
	n->tx_inflight--;
	n->tx[tag].busy = false;
}

static void net_reap(struct virtio_dev *d, uint64_t tag)
{
	struct vnet *n = to_vnet(d);

	if (tag == TAG_TX_HOLD)
		n->tx_hold_armed = false;
	else if (is_backend_tag(tag))
		n->be->ops->reap(n->be, tag, 0, tx_reaped, n);
}

/* All backend I/O: nothing touches guest memory after the drain (R16). */
static void net_cancel(struct virtio_dev *d)
{
	struct vnet *n = to_vnet(d);

	for (unsigned int i = 0; i < VNET_QUEUE_SIZE; i++)
		if (n->tx[i].busy)
			n->be->ops->tx_cancel(n->be, i);
	n->be->ops->cancel(n->be);
	if (n->tx_hold_armed)
		dev_thread_cancel(&d->dt, TAG_TX_HOLD);
}

static void net_reset(struct virtio_dev *d)
{
	struct vnet *n = to_vnet(d);

	n->features = 0;
	n->rxq.mrg_rxbuf = false;
	n->rxq.need_flush = false;
	n->tx_nfree = 0;
	n->tx_nsent = 0; /* no used-ring write after a reset began (R16) */
	n->tx_held_bytes = 0;
	for (unsigned int i = 0; i < VNET_QUEUE_SIZE; i++) {
		n->tx[i].busy = false;
		n->tx_free[n->tx_nfree++] = (uint16_t)(VNET_QUEUE_SIZE - 1 - i);
	}
	n->be->ops->reset(n->be);
}

static void net_driver_ok(struct virtio_dev *d, uint64_t features)
{
	struct vnet *n = to_vnet(d);

	n->features = features;
	n->rxq.mrg_rxbuf = (features >> VIRTIO_NET_F_MRG_RXBUF) & 1;
	/* A backend that cannot even turn its offloads off cannot promise the
	 * guest anything. */
	if (n->be->ops->set_offload(n->be, features) < 0)
		vmmio_set_needs_reset(&d->mmio);
}

/*
 * A sending guest queues its next frame within microseconds of the last:
 * poll the transmit ring for it with kicks off (as QEMU's event loop
 * does), which spares the guest an exit per frame. RX needs no poll here:
 * a frame from the backend ends the poll as a CQE. True if frames
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
	const struct net_backend_stats *bs = &n->be->st;
	const struct vnet_rx_stats *rs = &n->rxq.st;

	*c = (struct dev_counters){
		.in_order = virtio_dev_negotiated(d, VIRTIO_F_IN_ORDER),
		.rx_packets = stat_get(&rs->packets),
		.tx_packets = stat_get(&st->tx_packets),
		.read_bytes = stat_get(&rs->bytes),
		.written_bytes = stat_get(&st->tx_bytes),
		.rx_drops = stat_get(&rs->drop_no_fit) + stat_get(&bs->rx_drop_too_big) +
			    stat_get(&rs->drop_bad_chain),
		.rx_read_errors = stat_get(&bs->rx_read_errors),
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
	const struct net_backend_stats *bs = &n->be->st;
	const struct vnet_rx_stats *rs = &n->rxq.st;
	uint64_t no_fit, bad_chain, drops = 0;

	for (int i = 1; i < VNET_TX_DROP_COUNT; i++)
		drops += stat_get(&st->tx_drops[i]);
	no_fit = stat_get(&rs->drop_no_fit) + stat_get(&bs->rx_drop_too_big);
	bad_chain = stat_get(&rs->drop_bad_chain);
	fprintf(f,
		"%s: virtio-net %s in_order=%s mrg_rxbuf=%s guest_tso=%s poll_hits=%" PRIu64
		" rx_packets=%" PRIu64 " rx_bytes=%" PRIu64 " tx_packets=%" PRIu64
		" tx_bytes=%" PRIu64 " rx_drops=%" PRIu64 " (no_fit=%" PRIu64 " bad_chain=%" PRIu64
		") rx_read_errors=%" PRIu64 " rx_waits=%" PRIu64 " rx_max_bufs=%" PRIu64
		" rx_pool_hwm=%" PRIu64 " tx_drops=%" PRIu64,
		name, n->be->label,
		virtio_dev_negotiated(d, VIRTIO_F_IN_ORDER) ? "negotiated" : "off",
		virtio_dev_negotiated(d, VIRTIO_NET_F_MRG_RXBUF) ? "on" : "off",
		virtio_dev_negotiated(d, VIRTIO_NET_F_GUEST_TSO4) ? "on" : "off",
		stat_get(&d->dt.poll_hits), stat_get(&rs->packets), stat_get(&rs->bytes),
		stat_get(&st->tx_packets), stat_get(&st->tx_bytes), no_fit + bad_chain, no_fit,
		bad_chain, stat_get(&bs->rx_read_errors), stat_get(&rs->waits),
		stat_get(&rs->max_bufs), stat_get(&bs->rx_pool_hwm), drops);
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

	n->be->ops->destroy(n->be);
	free(n->tx);
	free(n->tx_free);
	vnet_rx_free(&n->rxq);
	free(n);
}

static const char *const net_queue_names[] = {[VNET_RXQ] = "rx", [VNET_TXQ] = "tx"};

/* The transmit hold; the backend adds its own (vnet_create_on). */
static const uint8_t net_uring_ops[] = {IORING_OP_TIMEOUT};

static const struct virtio_dev_ops net_ops = {
	.name = "virtio-net",
	.device_id = VIRTIO_ID_NET,
	.needs_ring = true, /* the TAP backend reads and writes through the ring only */
	.queue_names = net_queue_names,
	.shows_unpopped = true,
	.start = net_start,
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

/* The offloads are the backend's to give; guest_tso=off keeps TSO from the guest. */
static uint64_t offered_features(const struct vnet_options *o, const struct net_backend *be)
{
	const uint64_t offloads = 1ULL << VIRTIO_NET_F_CSUM | 1ULL << VIRTIO_NET_F_GUEST_CSUM |
				  1ULL << VIRTIO_NET_F_HOST_TSO4 | 1ULL << VIRTIO_NET_F_HOST_TSO6 |
				  1ULL << VIRTIO_NET_F_GUEST_TSO4 | 1ULL << VIRTIO_NET_F_GUEST_TSO6;
	uint64_t f = 1ULL << VIRTIO_NET_F_MAC | 1ULL << VIRTIO_NET_F_STATUS |
		     1ULL << VIRTIO_NET_F_MRG_RXBUF | (be->features & offloads);

	if (!o->guest_tso)
		f &= ~(1ULL << VIRTIO_NET_F_GUEST_TSO4 | 1ULL << VIRTIO_NET_F_GUEST_TSO6);
	if (o->mtu)
		f |= 1ULL << VIRTIO_NET_F_MTU;
	return f;
}

/* The ring's opcodes: the device's, then the backend's not among them. */
static int merge_uring_ops(struct vnet *n)
{
	unsigned int k = 0;

	for (unsigned int i = 0; i < sizeof(net_uring_ops); i++)
		n->uring_ops[k++] = net_uring_ops[i];
	for (unsigned int i = 0; i < n->be->n_uring_ops; i++) {
		bool dup = false;

		for (unsigned int j = 0; j < k; j++)
			dup |= n->uring_ops[j] == n->be->uring_ops[i];
		if (dup)
			continue;
		if (k == sizeof(n->uring_ops))
			return -EINVAL;
		n->uring_ops[k++] = n->be->uring_ops[i];
	}
	return (int)k;
}

int vnet_create_on(const struct vnet_options *o, struct net_backend *be,
		   const struct virtio_dev_env *env, struct virtio_dev **out, char *err,
		   size_t err_len)
{
	struct vnet *n = calloc(1, sizeof(*n));
	int rc, nops;

	*out = NULL;
	if (!n) {
		be->ops->destroy(be);
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	n->be = be;
	n->tx_hold = (struct __kernel_timespec){.tv_nsec = TX_HOLD_NS};
	nops = merge_uring_ops(n);
	if (nops < 0) {
		snprintf(err, err_len, "network backend %s: too many io_uring opcodes",
			 be->ops->name);
		rc = nops;
		goto fail;
	}
	build_config(n, o);
	rc = virtio_dev_init(&n->vdev, &net_ops, env,
			     &(struct virtio_dev_params){
				     .features = offered_features(o, be),
				     .in_order = o->in_order,
				     .config_len = NET_CONFIG_SIZE,
				     .nqueues = 2,
				     .queue_size = VNET_QUEUE_SIZE,
				     /* Every slot, its cancel, the hold and its cancel,
				      * the backend's own, the kicks and the control read. */
				     .ring_entries = 2 * VNET_QUEUE_SIZE + 2 + be->ring_entries + 6,
				     .poll_us = o->poll_us,
				     .uring_ops = n->uring_ops,
				     .n_uring_ops = (unsigned int)nops,
				     .files = &be->ring_file,
				     .nfiles = be->ring_file >= 0 ? 1 : 0,
			     },
			     err, err_len);
	if (rc)
		goto fail;
	be->dt = &n->vdev.dt;
	n->tx = calloc(VNET_QUEUE_SIZE, sizeof(*n->tx));
	n->tx_free = calloc(VNET_QUEUE_SIZE, sizeof(*n->tx_free));
	if (!n->tx || !n->tx_free ||
	    vnet_rx_init(&n->rxq, &n->vdev.vqs[VNET_RXQ], VNET_QUEUE_SIZE)) {
		snprintf(err, err_len, "out of memory or eventfds");
		rc = -ENOMEM;
		goto fail;
	}
	for (unsigned int i = 0; i < VNET_QUEUE_SIZE; i++)
		n->tx_free[n->tx_nfree++] = (uint16_t)(VNET_QUEUE_SIZE - 1 - i);
	*out = &n->vdev;
	return 0;
fail:
	virtio_dev_fini(&n->vdev);
	be->ops->destroy(be);
	free(n->tx);
	free(n->tx_free);
	vnet_rx_free(&n->rxq);
	free(n);
	return rc < 0 ? rc : -EINVAL;
}

int vnet_create(const struct vnet_options *o, const struct virtio_dev_env *env,
		struct virtio_dev **out, char *err, size_t err_len)
{
	struct net_backend *be;
	int rc;

	*out = NULL;
	rc = net_backend_tap_create(o->tap, &be, err, err_len);
	if (rc)
		return rc;
	return vnet_create_on(o, be, env, out, err, err_len);
}
