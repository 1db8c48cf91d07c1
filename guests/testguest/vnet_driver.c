// SPDX-License-Identifier: MIT
/*
 * A small modern virtio-mmio virtio-net driver that runs at CPL3 and polls
 * both used rings, as the virtio-blk driver beside it does. One descriptor
 * per buffer (the virtio-net header and the frame together, which
 * VERSION_1 allows), receive buffers of one MTU (mergeable buffers are
 * negotiated, so num_buffers is checked, but every frame fits one buffer),
 * and Linux's in-order rule: one used entry stands for every buffer made
 * available up to the head it names, each skipped one completely used.
 * With VIRTIO_F_RING_PACKED negotiated the rings are vnet_packed.c's.
 */
#include "guests/testguest/vnet_driver.h"
#include "guests/testguest/vnet_packed.h"
#include "guests/testguest/vmmio.h"

#define F_CSUM	    0
#define F_MAC	    5
#define F_HOST_TSO4 11
#define F_MRG_RXBUF 15

#define DESC_WRITE 2

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

/* Per queue: descriptors, avail (flags, idx, ring, used_event) and used
 * (flags | idx << 16, {id, len} pairs, avail_event) rings. */
static struct desc ring_desc[2][VN_QSIZE] __attribute__((aligned(4096)));
static volatile uint16_t ring_avail[2][2 + VN_QSIZE + 1] __attribute__((aligned(4096)));
static volatile uint32_t ring_used[2][1 + 2 * VN_QSIZE + 1] __attribute__((aligned(4096)));

static uint8_t rx_bufs[VN_QSIZE][VN_RXBUF] __attribute__((aligned(64)));
static uint8_t tx_bufs[VN_QSIZE][VN_TXBUF] __attribute__((aligned(64)));
static uint8_t tso_bufs[VN_TSO_SLOTS][VN_TSO_BUF] __attribute__((aligned(4096)));

static void setup_queue(struct vnet_drv *d, struct vn_queue *q, unsigned int index)
{
	q->index = index;
	if (d->packed) {
		vnp_setup(d, q);
		return;
	}
	vmmio_queue(d->base, index, VN_QSIZE, ring_desc[index], ring_avail[index],
		    ring_used[index]);
}

static void add(struct vnet_drv *d, struct vn_queue *q, uint16_t head)
{
	ring_avail[q->index][2 + q->avail_idx % VN_QSIZE] = head;
	if (d->in_order)
		q->fifo[q->fifo_tail++ % VN_QSIZE] = head;
	q->busy[head] = 1;
	q->avail_idx++;
}

/* Publishes what add() queued and notifies the device if it asked for it. */
static void kick(struct vnet_drv *d, struct vn_queue *q)
{
	uint16_t old = q->kicked_idx, now = q->avail_idx;

	if (d->packed) {
		vnp_kick(d, q);
		return;
	}
	if (old == now)
		return;
	__atomic_store_n(&ring_avail[q->index][1], now, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	q->kicked_idx = now;
	if (d->event_idx) {
		uint16_t ev = (uint16_t)ring_used[q->index][1 + 2 * VN_QSIZE];

		if ((uint16_t)(now - ev - 1) >= (uint16_t)(now - old))
			return;
	} else if (ring_used[q->index][0] & 1) { /* VRING_USED_F_NO_NOTIFY */
		return;
	}
	vmmio_notify(d->base, q->index);
}

static void done(struct vn_queue *q, uint16_t head, uint32_t len)
{
	q->busy[head] = 0;
	q->done_head[q->ndone] = head;
	q->done_len[q->ndone++] = len;
}

/* Collects the used entries the device published; skipped buffers get full_len. */
static int poll_used(struct vnet_drv *d, struct vn_queue *q, uint32_t full_len)
{
	volatile uint32_t *used = ring_used[q->index];
	uint16_t used_idx;

	if (d->packed)
		return vnp_poll(d, q, full_len);
	used_idx = (uint16_t)(__atomic_load_n(&used[0], __ATOMIC_ACQUIRE) >> 16);
	q->ndone = 0;
	while (q->last_used != used_idx) {
		uint32_t id = used[1 + 2 * (q->last_used % VN_QSIZE)];
		uint32_t len = used[2 + 2 * (q->last_used % VN_QSIZE)];

		if (d->in_order) {
			uint16_t head = 0xffff;

			/* One entry stands for every buffer up to and including id. */
			while (q->fifo_head != q->fifo_tail) {
				head = q->fifo[q->fifo_head++ % VN_QSIZE];
				done(q, head, head == id ? len : full_len);
				q->last_used++;
				if (head == id)
					break;
			}
			if (head != id) {
				d->bad_ids++;
				q->last_used = used_idx;
			}
		} else {
			if (id >= VN_QSIZE || !q->busy[id])
				d->bad_ids++;
			else
				done(q, (uint16_t)id, len);
			q->last_used++;
		}
	}
	return q->ndone;
}

int vn_init(struct vnet_drv *d, uint64_t base, int want_in_order, int want_event_idx,
	    int want_packed)
{
	uint64_t feat, drv;
	int rc;

	d->base = base;
	rc = vmmio_begin(base, 1, &feat);
	if (rc)
		return rc;
	feat &= 1ULL << VMMIO_F_VERSION_1 | 1ULL << F_MAC | 1ULL << F_MRG_RXBUF | 1ULL << F_CSUM |
		1ULL << F_HOST_TSO4 | (want_in_order ? 1ULL << VMMIO_F_IN_ORDER : 0) |
		(want_event_idx ? 1ULL << VMMIO_F_EVENT_IDX : 0) |
		(want_packed ? 1ULL << VMMIO_F_RING_PACKED : 0);
	/* Segmentation needs the partial checksum (the spec ties TSO to CSUM). */
	if (!(feat >> F_CSUM & 1))
		feat &= ~(1ULL << F_HOST_TSO4);
	drv = feat;
	rc = vmmio_features_ok(base, drv);
	if (rc)
		return rc;
	d->in_order = drv >> VMMIO_F_IN_ORDER & 1;
	d->event_idx = drv >> VMMIO_F_EVENT_IDX & 1;
	d->tso = drv >> F_HOST_TSO4 & 1;
	d->packed = drv >> VMMIO_F_RING_PACKED & 1;
	/* Without VIRTIO_NET_F_MAC, a locally administered address of our own. */
	for (int i = 0; i < 6; i++)
		d->mac[i] =
			drv >> F_MAC & 1 ? vmmio_config(base)[i] : (uint8_t)(i ? 0x10 * i : 0x02);
	for (unsigned int q = 0; q < 2; q++)
		if (vmmio_queue_max(base, q) < VN_QSIZE)
			return -4;
	setup_queue(d, &d->rx, 0);
	setup_queue(d, &d->tx, 1);
	if (vmmio_driver_ok(base) & 0x40) /* DEVICE_NEEDS_RESET */
		return -5;

	for (int i = 0; i < VN_QSIZE; i++) {
		d->tx_free[d->tx_nfree++] = (uint16_t)(VN_QSIZE - 1 - i);
		d->tx_tso[i] = -1;
		if (d->packed) {
			vn_rx_recycle(d, (uint16_t)i);
			continue;
		}
		ring_desc[0][i] = (struct desc){(uint64_t)rx_bufs[i], VN_RXBUF, DESC_WRITE, 0};
		add(d, &d->rx, (uint16_t)i);
	}
	for (int i = 0; i < VN_TSO_SLOTS; i++)
		d->tso_free[d->tso_nfree++] = (uint8_t)i;
	kick(d, &d->rx);
	return 0;
}

int vn_tx_get(struct vnet_drv *d, int tso)
{
	int slot;

	if (!d->tx_nfree || (tso && !d->tso_nfree))
		return -1;
	slot = d->tx_free[--d->tx_nfree];
	d->tx_tso[slot] = tso ? (int8_t)d->tso_free[--d->tso_nfree] : -1;
	return slot;
}

uint8_t *vn_tso_buf(int i)
{
	return tso_bufs[i];
}

uint8_t *vn_tx_buf(struct vnet_drv *d, int slot)
{
	return d->tx_tso[slot] >= 0 ? tso_bufs[d->tx_tso[slot]] : tx_bufs[slot];
}

void vn_tx_submit(struct vnet_drv *d, int slot, uint32_t frame_len)
{
	if (d->packed) {
		vnp_add(d, &d->tx, (uint16_t)slot, (uint64_t)vn_tx_buf(d, slot),
			VN_HDR_LEN + frame_len, 0);
		return;
	}
	ring_desc[1][slot] =
		(struct desc){(uint64_t)vn_tx_buf(d, slot), VN_HDR_LEN + frame_len, 0, 0};
	add(d, &d->tx, (uint16_t)slot);
}

void vn_tx_kick(struct vnet_drv *d)
{
	kick(d, &d->tx);
}

int vn_tx_reap(struct vnet_drv *d)
{
	int n = poll_used(d, &d->tx, 0);

	for (int i = 0; i < n; i++) {
		uint16_t slot = d->tx.done_head[i];

		if (d->tx_tso[slot] >= 0)
			d->tso_free[d->tso_nfree++] = (uint8_t)d->tx_tso[slot];
		d->tx_tso[slot] = -1;
		d->tx_free[d->tx_nfree++] = slot;
	}
	return n;
}

int vn_tx_inflight(const struct vnet_drv *d)
{
	return VN_QSIZE - d->tx_nfree;
}

int vn_rx_poll(struct vnet_drv *d)
{
	return poll_used(d, &d->rx, VN_RXBUF);
}

uint8_t *vn_rx_buf(uint16_t head)
{
	return rx_bufs[head];
}

void vn_rx_recycle(struct vnet_drv *d, uint16_t head)
{
	if (d->packed) {
		vnp_add(d, &d->rx, head, (uint64_t)rx_bufs[head], VN_RXBUF, 1);
		return;
	}
	add(d, &d->rx, head);
}

void vn_rx_kick(struct vnet_drv *d)
{
	kick(d, &d->rx);
}
