// SPDX-License-Identifier: MIT
/*
 * The network backend seam (devices/net_backend.h): the real virtio-net
 * device (vnet_create_on on a malloc'ed guest RAM, its own thread on a
 * sealed io_uring, driven through its virtio-mmio registers, eventfd kicks
 * and its irqfd) against the mock Linux driver, with a backend in memory
 * instead of a TAP. The backend is shaped as one that is not a file would
 * be: the test thread hands it received frames and wakes the device
 * through an eventfd (its only registered file), and it takes transmitted
 * frames at once, without a completion CQE.
 *
 * A frame the guest transmits reaches the backend as the checked header
 * and then the frame's bytes; a frame the backend receives reaches the
 * guest's buffers with its header (num_buffers filled in), in order; the
 * device offers only the offloads the backend has and tells it those the
 * guest accepted. Every case runs with IN_ORDER negotiated and not, with
 * mergeable receive buffers and without (its loop index: bit 0 IN_ORDER,
 * bit 1 MRG_RXBUF).
 */
#include <check.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "common/timespec.h"
#include "devices/dev_thread.h"
#include "devices/net_backend.h"
#include "devices/net_hdr.h"
#include "devices/virtio_dev.h"
#include "devices/virtio_net.h"
#include "tests/unit/check_run.h"
#include "tests/unit/mock_driver.h"
#include "tests/unit/mock_mmio.h"
#include "virtio/mmio.h"
#include "virtio/vring.h"

#define QSIZE	   16
#define RX_GPA	   0x100000
#define TX_GPA	   0x400000
#define MAX_FRAMES 8
#define FRAME_MAX  2048
/* A bound for a device that never answers, not a time anything must keep. */
#define IRQ_WAIT_MS 30000

/* ---- the backend: frames in memory ---- */

struct mem_frame {
	struct vnet_rx_frame f;
	uint8_t data[FRAME_MAX];
};

struct mem_backend {
	struct net_backend be; /* first */
	struct dev_event wake; /* the eventfd the test thread bumps */

	pthread_mutex_t lock; /* the test thread's and the device thread's */
	struct mem_frame rx[MAX_FRAMES];
	unsigned int rx_head, rx_tail; /* only grow: rx_tail - rx_head wait */
	uint8_t tx[MAX_FRAMES][FRAME_MAX];
	uint32_t tx_len[MAX_FRAMES];
	unsigned int ntx;
	uint64_t offload;   /* what set_offload() was last given */
	unsigned int wakes; /* wake-up reads that came back (event) */
	unsigned int resets;
};

static struct mem_backend *to_mem(struct net_backend *be)
{
	return (struct mem_backend *)be;
}

/* Taken at once: the bytes of every segment, header first, as a wire would. */
static int mem_tx(struct net_backend *be, uint64_t tag, const struct iovec *iov, unsigned int n)
{
	struct mem_backend *m = to_mem(be);
	uint32_t len = 0;

	(void)tag;
	pthread_mutex_lock(&m->lock);
	if (m->ntx == MAX_FRAMES) {
		pthread_mutex_unlock(&m->lock);
		return -ENOBUFS;
	}
	for (unsigned int i = 0; i < n; i++) {
		if (len + iov[i].iov_len > FRAME_MAX) {
			pthread_mutex_unlock(&m->lock);
			return -EMSGSIZE;
		}
		memcpy(m->tx[m->ntx] + len, iov[i].iov_base, iov[i].iov_len);
		len += (uint32_t)iov[i].iov_len;
	}
	m->tx_len[m->ntx++] = len;
	pthread_mutex_unlock(&m->lock);
	return (int)len;
}

static void mem_tx_cancel(struct net_backend *be, uint64_t tag)
{
	(void)be;
	(void)tag;
}

static struct vnet_rx_frame *mem_rx_peek(struct net_backend *be)
{
	struct mem_backend *m = to_mem(be);
	struct vnet_rx_frame *f = NULL;

	pthread_mutex_lock(&m->lock);
	if (m->rx_tail != m->rx_head)
		f = &m->rx[m->rx_head % MAX_FRAMES].f;
	pthread_mutex_unlock(&m->lock);
	return f;
}

static void mem_rx_consume(struct net_backend *be)
{
	struct mem_backend *m = to_mem(be);

	pthread_mutex_lock(&m->lock);
	m->rx_head++;
	pthread_mutex_unlock(&m->lock);
}

static void mem_rx_kick(struct net_backend *be)
{
	(void)be;
}

static void mem_prepare(struct net_backend *be)
{
	dev_thread_arm(be->dt, &to_mem(be)->wake);
}

/* The wake-up only ends the device's sleep: rx_peek looks at the queue. */
static void mem_event(struct net_backend *be, uint64_t tag, int res, net_tx_done_fn *done,
		      void *dev)
{
	struct mem_backend *m = to_mem(be);

	if (dev_event_fired(&m->wake, tag)) {
		pthread_mutex_lock(&m->lock);
		m->wakes++;
		pthread_mutex_unlock(&m->lock);
	} else if (tag < NET_BACKEND_TAG_OWN) {
		done(dev, tag, res);
	}
}

/* The wake-up's read stays armed through a reset, as a kick's does. */
static void mem_cancel(struct net_backend *be)
{
	(void)be;
}

static bool mem_busy(const struct net_backend *be)
{
	(void)be;
	return false;
}

static void mem_reset(struct net_backend *be)
{
	struct mem_backend *m = to_mem(be);

	pthread_mutex_lock(&m->lock);
	m->rx_head = m->rx_tail;
	m->offload = 0;
	m->resets++;
	pthread_mutex_unlock(&m->lock);
}

static int mem_set_offload(struct net_backend *be, uint64_t features)
{
	struct mem_backend *m = to_mem(be);

	pthread_mutex_lock(&m->lock);
	m->offload = features;
	pthread_mutex_unlock(&m->lock);
	return 0;
}

/* Left for the test to read once the device is gone. */
static void mem_destroy(struct net_backend *be)
{
	(void)be;
}

static const struct net_backend_ops mem_ops = {
	.name = "mem",
	.tx = mem_tx,
	.tx_cancel = mem_tx_cancel,
	.rx_peek = mem_rx_peek,
	.rx_consume = mem_rx_consume,
	.rx_kick = mem_rx_kick,
	.prepare = mem_prepare,
	.event = mem_event,
	.cancel = mem_cancel,
	.reap = mem_event,
	.busy = mem_busy,
	.reset = mem_reset,
	.set_offload = mem_set_offload,
	.destroy = mem_destroy,
};

/* The backend takes checksum offload both ways, and no segmentation. */
#define MEM_FEATURES (1ULL << VIRTIO_NET_F_CSUM | 1ULL << VIRTIO_NET_F_GUEST_CSUM)

static void mem_init(struct mem_backend *m)
{
	int fd = eventfd(0, EFD_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	memset(m, 0, sizeof(*m));
	pthread_mutex_init(&m->lock, NULL);
	m->wake = (struct dev_event){.fd = fd, .tag = NET_BACKEND_TAG_OWN | 1};
	m->be = (struct net_backend){
		.ops = &mem_ops, .features = MEM_FEATURES, .ring_file = fd, .ring_entries = 2};
	snprintf(m->be.label, sizeof(m->be.label), "mem");
}

static void mem_fini(struct mem_backend *m)
{
	close(m->wake.fd);
	pthread_mutex_destroy(&m->lock);
}

/* Test thread: a frame arrives from the "network", header first. */
static void mem_deliver(struct mem_backend *m, const uint8_t *pkt, uint32_t len)
{
	struct mem_frame *f;

	ck_assert_uint_le(len, FRAME_MAX);
	pthread_mutex_lock(&m->lock);
	ck_assert_uint_lt(m->rx_tail - m->rx_head, MAX_FRAMES);
	f = &m->rx[m->rx_tail % MAX_FRAMES];
	memcpy(f->data, pkt, len);
	f->f = (struct vnet_rx_frame){.data = f->data, .len = len};
	m->rx_tail++;
	pthread_mutex_unlock(&m->lock);
	ck_assert_int_eq(eventfd_write(m->wake.fd, 1), 0);
}

/* ---- the device and the driver ---- */

struct rig {
	struct mock_driver rx, tx;
	struct guest_mem gm;
	struct mem_backend mem;
	struct virtio_dev *dev;
	int kick_fds[2], irq_fd;
	bool in_order, mrg;
};

/*
 * The device on the memory backend, probed as Linux does: VERSION_1, CSUM
 * and GUEST_CSUM, IN_ORDER and MRG_RXBUF as variant says, both queues,
 * DRIVER_OK.
 */
static void rig_create(struct rig *r, int variant)
{
	uint64_t ring = 1ULL << VIRTIO_F_VERSION_1;
	uint64_t want = 1ULL << VIRTIO_NET_F_CSUM | 1ULL << VIRTIO_NET_F_GUEST_CSUM;
	struct vnet_options o = {
		.mac = {0x52, 0x54, 0, 0x12, 0x34, 0x56}, .in_order = true, .guest_tso = true};
	struct virtio_dev_env env;
	struct vmmio *m;
	char err[160] = "";

	memset(r, 0, sizeof(*r));
	r->in_order = variant & 1;
	r->mrg = variant & 2;
	if (r->in_order)
		ring |= 1ULL << VIRTIO_F_IN_ORDER;
	if (r->mrg)
		want |= 1ULL << VIRTIO_NET_F_MRG_RXBUF;
	want |= ring;
	ck_assert_int_eq(mock_init(&r->rx, QSIZE, ring, RX_GPA), 0);
	ck_assert_int_eq(mock_init(&r->tx, QSIZE, ring, TX_GPA), 0);
	gm_init(&r->gm);
	ck_assert_int_eq(gm_add_region(&r->gm, RX_GPA, r->rx.ram_size, r->rx.ram), 0);
	ck_assert_int_eq(gm_add_region(&r->gm, TX_GPA, r->tx.ram_size, r->tx.ram), 0);
	for (int q = 0; q < 2; q++) {
		r->kick_fds[q] = eventfd(0, EFD_CLOEXEC);
		ck_assert_int_ge(r->kick_fds[q], 0);
	}
	r->irq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ck_assert_int_ge(r->irq_fd, 0);
	mem_init(&r->mem);
	env = (struct virtio_dev_env){.gm = &r->gm, .kick_fds = r->kick_fds, .irq_fd = r->irq_fd};
	ck_assert_msg(vnet_create_on(&o, &r->mem.be, &env, &r->dev, err, sizeof(err)) == 0,
		      "vnet_create_on: %s", err);
	ck_assert_int_eq(virtio_dev_start(r->dev), 0);
	m = virtio_dev_mmio(r->dev);
	ck_assert_uint_eq(mock_mmio_r(m, VMMIO_DEVICE_ID), VIRTIO_ID_NET);
	ck_assert_uint_eq(mock_mmio_device_features(m) & want, want);
	ck_assert(mock_mmio_negotiate(m, want));
	ck_assert(mock_mmio_queue(m, VNET_RXQ, QSIZE, r->rx.desc_gpa, r->rx.avail_gpa,
				  r->rx.used_gpa));
	ck_assert(mock_mmio_queue(m, VNET_TXQ, QSIZE, r->tx.desc_gpa, r->tx.avail_gpa,
				  r->tx.used_gpa));
	ck_assert(mock_mmio_driver_ok(m));
}

/* The device gone (it destroyed the backend, which kept its records). */
static void rig_destroy(struct rig *r)
{
	virtio_dev_destroy(r->dev);
	mem_fini(&r->mem);
	for (int q = 0; q < 2; q++)
		close(r->kick_fds[q]);
	close(r->irq_fd);
	mock_free(&r->rx);
	mock_free(&r->tx);
}

static uint8_t *host(struct mock_driver *md, uint64_t gpa)
{
	return md->ram + (gpa - md->ram_gpa);
}

/* Takes back n buffers of md in the order the device used them. */
static void reap(struct rig *r, struct mock_driver *md, unsigned int n, uint64_t *cookies,
		 uint32_t *lens)
{
	unsigned int got = 0;

	while (got < n) {
		struct pollfd p = {.fd = r->irq_fd, .events = POLLIN};
		uint64_t cookie, v;
		uint32_t len;
		int k = mock_get(md, &cookie, &len);

		ck_assert_msg(k >= 0, "driver: %s", md->why);
		if (k == 1) {
			cookies[got] = cookie;
			lens[got++] = len;
			continue;
		}
		ck_assert_msg(poll(&p, 1, IRQ_WAIT_MS) == 1,
			      "no interrupt in %d ms with %u of %u buffers back", IRQ_WAIT_MS, got,
			      n);
		ck_assert_int_eq(read(r->irq_fd, &v, sizeof(v)), sizeof(v));
	}
}

/*
 * The frame handed to the backend while the device thread is parked
 * between two turns (dev_thread_pause): once resumed, it sleeps, and
 * nothing but the backend's wake-up tells it a frame waits.
 */
static void deliver_parked(struct rig *r, const uint8_t *pkt, uint32_t len)
{
	struct dev_thread *t = virtio_dev_thread(r->dev);
	struct timespec deadline;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	timespec_add_ms(&deadline, IRQ_WAIT_MS);
	ck_assert_int_eq(dev_thread_pause(t, &deadline), 0);
	mem_deliver(&r->mem, pkt, len);
	dev_thread_resume(t);
}

/* Frame i's byte k: differs between frames and along each. */
static uint8_t frame_byte(unsigned int i, unsigned int k)
{
	return (uint8_t)(i * 31 + k * 7 + 1);
}

/*
 * Three frames the guest sends: one asking for a checksum (the backend
 * takes CSUM) with its header split across two segments, two plain ones
 * in one and three segments. The backend gets, in order, exactly the
 * header the guest wrote and then the frame's bytes; every buffer comes
 * back with length 0.
 */
START_TEST(net_tx_reaches_backend)
{
	const uint32_t flen[3] = {60, 400, 1000};
	const uint32_t segs[3][4] = {{4, 8 + 60}, {12 + 400}, {12 + 100, 500, 400}};
	const unsigned int nseg[3] = {2, 1, 3};
	uint64_t cookies[3];
	uint32_t lens[3];
	struct rig r;

	rig_create(&r, _i);
	for (unsigned int i = 0; i < 3; i++) {
		struct vnet_hdr h = {.num_buffers = 0};
		uint8_t pkt[12 + 1000];
		uint32_t off = 0;

		if (i == 0)
			h = (struct vnet_hdr){
				.flags = VNET_HDR_F_NEEDS_CSUM, .csum_start = 34, .csum_offset = 6};
		vnet_hdr_encode(&h, pkt);
		for (unsigned int k = 0; k < flen[i]; k++)
			pkt[VNET_HDR_LEN + k] = frame_byte(i, k);
		for (unsigned int k = 0; k < nseg[i]; k++) {
			memcpy(host(&r.tx, mock_seg_gpa(&r.tx, r.tx.free_head, k)), pkt + off,
			       segs[i][k]);
			off += segs[i][k];
		}
		ck_assert_uint_eq(off, VNET_HDR_LEN + flen[i]);
		ck_assert_int_ge(mock_add(&r.tx, segs[i], nseg[i], NULL, 0, false, i), 0);
	}
	ck_assert_int_eq(eventfd_write(r.kick_fds[VNET_TXQ], 1), 0);
	reap(&r, &r.tx, 3, cookies, lens);
	for (unsigned int i = 0; i < 3; i++) {
		ck_assert_uint_eq(cookies[i], i);
		ck_assert_uint_eq(lens[i], 0);
	}
	rig_destroy(&r);
	ck_assert_uint_eq(r.mem.ntx, 3);
	for (unsigned int i = 0; i < 3; i++) {
		struct vnet_hdr h;

		ck_assert_uint_eq(r.mem.tx_len[i], VNET_HDR_LEN + flen[i]);
		vnet_hdr_decode(r.mem.tx[i], &h);
		ck_assert_uint_eq(h.flags, i == 0 ? VNET_HDR_F_NEEDS_CSUM : 0);
		ck_assert_uint_eq(h.csum_start, i == 0 ? 34 : 0);
		ck_assert_uint_eq(h.csum_offset, i == 0 ? 6 : 0);
		ck_assert_uint_eq(h.gso_type, VNET_GSO_NONE);
		for (unsigned int k = 0; k < flen[i]; k++)
			ck_assert_msg(r.mem.tx[i][VNET_HDR_LEN + k] == frame_byte(i, k),
				      "frame %u byte %u", i, k);
	}
}
END_TEST

/*
 * Three frames the backend receives reach the guest in order, each header
 * as the backend wrote it (DATA_VALID: the guest took GUEST_CSUM) with
 * num_buffers set, then the frame. With MRG_RXBUF the guest posts buffers
 * of 512 bytes and the 700-byte frame takes two; without, one buffer of
 * 1536 bytes each. The backend was told the offloads the guest took.
 * Frames come one at a time, each after the guest took the last and
 * while the device thread is parked: a backend's wake-up that never
 * reaches the device fails by name after IRQ_WAIT_MS (unless a stray
 * wake-up of the device's own, the pause's, came after the frame), and
 * its read never comes back to event.
 */
START_TEST(net_rx_reaches_guest)
{
	const uint32_t flen[3] = {60, 700, 200};
	const unsigned int nbufs_mrg[3] = {1, 2, 1};
	uint32_t seg[3] = {MOCK_SEG_BYTES, MOCK_SEG_BYTES, MOCK_SEG_BYTES};
	unsigned int nbuf = 0, b = 0;
	uint64_t cookies[8];
	uint32_t lens[8];
	int heads[8];
	struct rig r;

	rig_create(&r, _i);
	pthread_mutex_lock(&r.mem.lock);
	ck_assert_uint_eq((r.mem.offload >> VIRTIO_NET_F_GUEST_CSUM) & 1, 1);
	pthread_mutex_unlock(&r.mem.lock);
	for (unsigned int i = 0; i < 3; i++) {
		unsigned int n = r.mrg ? nbufs_mrg[i] : 1;

		for (unsigned int k = 0; k < n; k++, nbuf++) {
			heads[nbuf] = mock_add(&r.rx, NULL, 0, seg, r.mrg ? 1 : 3, false, nbuf);
			ck_assert_int_ge(heads[nbuf], 0);
		}
	}
	ck_assert_int_eq(eventfd_write(r.kick_fds[VNET_RXQ], 1), 0);
	/* Each frame once the guest has the one before, and handed over while
	 * the device thread is parked: it then goes to sleep, and only the
	 * backend's wake-up brings it back. */
	for (unsigned int i = 0, got = 0; i < 3; i++) {
		struct vnet_hdr h = {.flags = VNET_HDR_F_DATA_VALID};
		unsigned int n = r.mrg ? nbufs_mrg[i] : 1;
		uint8_t pkt[VNET_HDR_LEN + 700];

		vnet_hdr_encode(&h, pkt);
		for (unsigned int k = 0; k < flen[i]; k++)
			pkt[VNET_HDR_LEN + k] = frame_byte(i, k);
		deliver_parked(&r, pkt, VNET_HDR_LEN + flen[i]);
		reap(&r, &r.rx, n, cookies + got, lens + got);
		got += n;
	}
	for (unsigned int i = 0; i < 3; i++) {
		unsigned int n = r.mrg ? nbufs_mrg[i] : 1;
		uint8_t got[VNET_HDR_LEN + 700];
		uint32_t total = 0;
		struct vnet_hdr h;

		for (unsigned int k = 0; k < n; k++, b++) {
			uint32_t left = lens[b];
			unsigned int s = 0;

			ck_assert_uint_eq(cookies[b], b); /* in the order posted */
			ck_assert_uint_le(total + left, sizeof(got));
			while (left) {
				uint32_t c = left < MOCK_SEG_BYTES ? left : MOCK_SEG_BYTES;

				memcpy(got + total,
				       host(&r.rx, mock_seg_gpa(&r.rx, (uint16_t)heads[b], s++)),
				       c);
				total += c;
				left -= c;
			}
		}
		ck_assert_uint_eq(total, VNET_HDR_LEN + flen[i]);
		vnet_hdr_decode(got, &h);
		ck_assert_uint_eq(h.flags, VNET_HDR_F_DATA_VALID);
		ck_assert_uint_eq(h.gso_type, VNET_GSO_NONE);
		ck_assert_uint_eq(h.num_buffers, n);
		for (unsigned int k = 0; k < flen[i]; k++)
			ck_assert_msg(got[VNET_HDR_LEN + k] == frame_byte(i, k), "frame %u byte %u",
				      i, k);
	}
	rig_destroy(&r);
	ck_assert_uint_ge(r.mem.wakes, 1);
}
END_TEST

/*
 * The guest is offered the offloads the backend has and no other (it takes
 * no TSO: HOST_TSO4/6 and GUEST_TSO4/6 stay off whatever the options say),
 * and a frame asking for segmentation is dropped before the backend; a
 * reset reaches the backend and clears its offloads.
 */
START_TEST(net_offloads_are_the_backends)
{
	const uint64_t tso = 1ULL << VIRTIO_NET_F_HOST_TSO4 | 1ULL << VIRTIO_NET_F_HOST_TSO6 |
			     1ULL << VIRTIO_NET_F_GUEST_TSO4 | 1ULL << VIRTIO_NET_F_GUEST_TSO6;
	struct vnet_hdr h = {.flags = VNET_HDR_F_NEEDS_CSUM,
			     .gso_type = VNET_GSO_TCPV4,
			     .hdr_len = 54,
			     .gso_size = 100,
			     .csum_start = 34,
			     .csum_offset = 16};
	uint32_t len = VNET_HDR_LEN + 300;
	uint64_t cookie;
	uint32_t ulen;
	struct rig r;

	rig_create(&r, _i);
	ck_assert_uint_eq(mock_mmio_device_features(virtio_dev_mmio(r.dev)) & tso, 0);
	memset(host(&r.tx, mock_seg_gpa(&r.tx, r.tx.free_head, 0)), 0x5a, len);
	vnet_hdr_encode(&h, host(&r.tx, mock_seg_gpa(&r.tx, r.tx.free_head, 0)));
	ck_assert_int_ge(mock_add(&r.tx, &len, 1, NULL, 0, false, 7), 0);
	ck_assert_int_eq(eventfd_write(r.kick_fds[VNET_TXQ], 1), 0);
	reap(&r, &r.tx, 1, &cookie, &ulen);
	ck_assert_uint_eq(cookie, 7);
	ck_assert_uint_eq(ulen, 0);
	mock_mmio_w(virtio_dev_mmio(r.dev), VMMIO_STATUS, 0);
	ck_assert_uint_eq(mock_mmio_r(virtio_dev_mmio(r.dev), VMMIO_STATUS), 0);
	rig_destroy(&r);
	ck_assert_uint_eq(r.mem.ntx, 0);
	ck_assert_uint_ge(r.mem.resets, 1);
	ck_assert_uint_eq(r.mem.offload, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("net_backend");
	TCase *tc = tcase_create("seam");

	/* Above IRQ_WAIT_MS, so that a device that never answers fails by name. */
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, net_tx_reaches_backend, 0, 4);
	tcase_add_loop_test(tc, net_rx_reaches_guest, 0, 4);
	tcase_add_loop_test(tc, net_offloads_are_the_backends, 0, 4);
	suite_add_tcase(s, tc);
	return check_run(s);
}
