/* SPDX-License-Identifier: MIT */
#ifndef GUESTS_TESTGUEST_VNET_DRIVER_H
#define GUESTS_TESTGUEST_VNET_DRIVER_H

#include <stdint.h>

#define VN_QSIZE     256
#define VN_HDR_LEN   12	  /* virtio_net_hdr_v1, num_buffers included */
#define VN_RXBUF     2048 /* header and an MTU-sized frame: no GUEST_TSO is negotiated */
#define VN_TXBUF     2048
#define VN_TSO_SLOTS 32
#define VN_TSO_BUF   (VN_HDR_LEN + 65536)

/* One virtqueue as the driver sees it (split; packed adds a vnp_queue). */
struct vn_queue {
	unsigned int index; /* 0 receive, 1 transmit */
	uint16_t avail_idx, kicked_idx, last_used;
	/* Heads (packed: ids) in the order they were made available: in-order
	 * completions stand for every one up to the one they name. */
	uint16_t fifo[VN_QSIZE];
	uint32_t fifo_head, fifo_tail;
	uint8_t busy[VN_QSIZE];
	/* Completions collected by the last poll. */
	uint16_t done_head[VN_QSIZE];
	uint32_t done_len[VN_QSIZE];
	int ndone;
};

/* A packed queue's driver state beside its vn_queue (vnet_packed.c). */
struct vnp_queue {
	uint16_t next_avail, last_used, kicked; /* slot pos % VN_QSIZE, wrap !(pos & VN_QSIZE) */
	uint16_t nfree_ids;
	uint16_t free_ids[VN_QSIZE];
	uint16_t head_of[VN_QSIZE]; /* the buffer of id */
	uint8_t busy[VN_QSIZE];	    /* by id */
};

struct vnet_drv {
	uint64_t base;
	uint8_t mac[6];
	int in_order, event_idx, tso, packed;
	struct vn_queue rx, tx;
	struct vnp_queue pk[2]; /* by queue index, with packed */
	uint16_t tx_free[VN_QSIZE];
	int tx_nfree;
	int8_t tx_tso[VN_QSIZE]; /* the TSO buffer a slot carries, or -1 */
	uint8_t tso_free[VN_TSO_SLOTS];
	int tso_nfree;
	uint64_t bad_ids;
};

/* 0, -1 if base holds no virtio-net device, or another negative error. */
int vn_init(struct vnet_drv *d, uint64_t base, int want_in_order, int want_event_idx,
	    int want_packed);

/* Transmit. A slot's buffer holds the virtio-net header, then the frame. */
int vn_tx_get(struct vnet_drv *d, int tso);
uint8_t *vn_tx_buf(struct vnet_drv *d, int slot);
uint8_t *vn_tso_buf(int i);
void vn_tx_submit(struct vnet_drv *d, int slot, uint32_t frame_len);
void vn_tx_kick(struct vnet_drv *d);
int vn_tx_reap(struct vnet_drv *d); /* frees completed slots; returns how many */
int vn_tx_inflight(const struct vnet_drv *d);

/* Receive: every buffer is posted at vn_init; poll, read, recycle, kick. */
int vn_rx_poll(struct vnet_drv *d); /* completions into d->rx.done_*; returns how many */
uint8_t *vn_rx_buf(uint16_t head);
void vn_rx_recycle(struct vnet_drv *d, uint16_t head);
void vn_rx_kick(struct vnet_drv *d);

#endif
