// SPDX-License-Identifier: MIT
/*
 * A small modern virtio-mmio virtio-net driver that runs at CPL3 and polls
 * both used rings, as the virtio-blk driver beside it does. One descriptor
 * per buffer (the virtio-net header and the frame together, which
 * VERSION_1 allows), receive buffers of one MTU (mergeable buffers are
 * negotiated, so num_buffers is checked, but every frame fits one buffer),
 * and Linux's in-order rule: one used entry stands for every buffer made
 * available up to the head it names, each skipped one completely used.
 */
#include "guests/testguest/vnet_driver.h"

#define R_MAGIC		0x000
#define R_VERSION	0x004
#define R_DEVICE_ID	0x008
#define R_DEV_FEAT	0x010
#define R_DEV_FEAT_SEL	0x014
#define R_DRV_FEAT	0x020
#define R_DRV_FEAT_SEL	0x024
#define R_QUEUE_SEL	0x030
#define R_QUEUE_NUM_MAX 0x034
#define R_QUEUE_NUM	0x038
#define R_QUEUE_READY	0x044
#define R_QUEUE_NOTIFY	0x050
#define R_STATUS	0x070
#define R_DESC_LO	0x080
#define R_DESC_HI	0x084
#define R_AVAIL_LO	0x090
#define R_AVAIL_HI	0x094
#define R_USED_LO	0x0a0
#define R_USED_HI	0x0a4
#define R_CONFIG	0x100

#define F_CSUM	    0
#define F_MAC	    5
#define F_HOST_TSO4 11
#define F_MRG_RXBUF 15
#define F_EVENT_IDX 29
#define F_VERSION_1 32
#define F_IN_ORDER  35

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

static volatile uint32_t *reg(struct vnet_drv *d, uint32_t off)
{
	return (volatile uint32_t *)(d->base + off);
}

static void setup_queue(struct vnet_drv *d, struct vn_queue *q, unsigned int index)
{
	uint64_t desc = (uint64_t)ring_desc[index], avail = (uint64_t)ring_avail[index],
		 used = (uint64_t)ring_used[index];

	q->index = index;
	*reg(d, R_QUEUE_SEL) = index;
	*reg(d, R_QUEUE_NUM) = VN_QSIZE;
	*reg(d, R_DESC_LO) = (uint32_t)desc;
	*reg(d, R_DESC_HI) = (uint32_t)(desc >> 32);
	*reg(d, R_AVAIL_LO) = (uint32_t)avail;
	*reg(d, R_AVAIL_HI) = (uint32_t)(avail >> 32);
	*reg(d, R_USED_LO) = (uint32_t)used;
	*reg(d, R_USED_HI) = (uint32_t)(used >> 32);
	ring_avail[index][0] = 1; /* we poll: no interrupts please */
	*reg(d, R_QUEUE_READY) = 1;
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
	*reg(d, R_QUEUE_NOTIFY) = q->index;
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
	uint16_t used_idx = (uint16_t)(__atomic_load_n(&used[0], __ATOMIC_ACQUIRE) >> 16);

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

int vn_init(struct vnet_drv *d, uint64_t base, int want_in_order, int want_event_idx)
{
	uint64_t feat, drv;

	d->base = base;
	if (*reg(d, R_MAGIC) != 0x74726976 || *reg(d, R_VERSION) != 2 || *reg(d, R_DEVICE_ID) != 1)
		return -1;
	*reg(d, R_STATUS) = 0;
	*reg(d, R_STATUS) = 1 | 2; /* ACKNOWLEDGE | DRIVER */
	*reg(d, R_DEV_FEAT_SEL) = 0;
	feat = *reg(d, R_DEV_FEAT);
	*reg(d, R_DEV_FEAT_SEL) = 1;
	feat |= (uint64_t)*reg(d, R_DEV_FEAT) << 32;
	if (!(feat >> F_VERSION_1 & 1))
		return -2;
	feat &= 1ULL << F_VERSION_1 | 1ULL << F_MAC | 1ULL << F_MRG_RXBUF | 1ULL << F_CSUM |
		1ULL << F_HOST_TSO4 | (want_in_order ? 1ULL << F_IN_ORDER : 0) |
		(want_event_idx ? 1ULL << F_EVENT_IDX : 0);
	/* Segmentation needs the partial checksum (the spec ties TSO to CSUM). */
	if (!(feat >> F_CSUM & 1))
		feat &= ~(1ULL << F_HOST_TSO4);
	drv = feat;
	*reg(d, R_DRV_FEAT_SEL) = 0;
	*reg(d, R_DRV_FEAT) = (uint32_t)drv;
	*reg(d, R_DRV_FEAT_SEL) = 1;
	*reg(d, R_DRV_FEAT) = (uint32_t)(drv >> 32);
	*reg(d, R_STATUS) = 1 | 2 | 8;
	if (!(*reg(d, R_STATUS) & 8))
		return -3;
	d->in_order = drv >> F_IN_ORDER & 1;
	d->event_idx = drv >> F_EVENT_IDX & 1;
	d->tso = drv >> F_HOST_TSO4 & 1;
	/* Without VIRTIO_NET_F_MAC, a locally administered address of our own. */
	for (int i = 0; i < 6; i++)
		d->mac[i] = drv >> F_MAC & 1 ? *(volatile uint8_t *)(base + R_CONFIG + (uint32_t)i)
					     : (uint8_t)(i ? 0x10 * i : 0x02);
	for (unsigned int q = 0; q < 2; q++) {
		*reg(d, R_QUEUE_SEL) = q;
		if (*reg(d, R_QUEUE_NUM_MAX) < VN_QSIZE)
			return -4;
	}
	setup_queue(d, &d->rx, 0);
	setup_queue(d, &d->tx, 1);
	*reg(d, R_STATUS) = 1 | 2 | 8 | 4;
	if (*reg(d, R_STATUS) & 0x40) /* DEVICE_NEEDS_RESET */
		return -5;

	for (int i = 0; i < VN_QSIZE; i++) {
		d->tx_free[d->tx_nfree++] = (uint16_t)(VN_QSIZE - 1 - i);
		d->tx_tso[i] = -1;
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
	add(d, &d->rx, head);
}

void vn_rx_kick(struct vnet_drv *d)
{
	kick(d, &d->rx);
}
