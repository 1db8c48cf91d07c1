/* SPDX-License-Identifier: MIT */
/*
 * virtio-net packet handling that needs no I/O: the virtio-net header
 * (VERSION_1 layout, 12 bytes), validation of a transmit chain before it is
 * written to the TAP, and the receive side's accounting: how many guest
 * buffers a frame needs and the scatter of a frame (header first) into
 * them. Pure: no threads, no file descriptors; unit-tested on byte buffers.
 */
#ifndef DEVICES_NET_HDR_H
#define DEVICES_NET_HDR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "virtio/virtqueue.h"

/* Feature bits (virtio 1.x, "Network Device"). */
#define VIRTIO_NET_F_CSUM	0
#define VIRTIO_NET_F_GUEST_CSUM 1
#define VIRTIO_NET_F_MTU	3
#define VIRTIO_NET_F_MAC	5
#define VIRTIO_NET_F_GUEST_TSO4 7
#define VIRTIO_NET_F_GUEST_TSO6 8
#define VIRTIO_NET_F_HOST_TSO4	11
#define VIRTIO_NET_F_HOST_TSO6	12
#define VIRTIO_NET_F_MRG_RXBUF	15
#define VIRTIO_NET_F_STATUS	16

#define VNET_HDR_F_NEEDS_CSUM 1
#define VNET_HDR_F_DATA_VALID 2
#define VNET_GSO_NONE	      0
#define VNET_GSO_TCPV4	      1
#define VNET_GSO_UDP	      3
#define VNET_GSO_TCPV6	      4
#define VNET_GSO_UDP_L4	      5
#define VNET_GSO_ECN	      0x80

#define VNET_HDR_LEN	 12    /* struct virtio_net_hdr_v1, num_buffers included */
#define VNET_MIN_FRAME	 14    /* an Ethernet header */
#define VNET_MAX_FRAME	 65536 /* Linux's GSO_LEGACY_MAX_SIZE: skb->len, MAC header included */
#define VNET_MAX_PACKET	 (VNET_HDR_LEN + VNET_MAX_FRAME)
#define VNET_NUM_BUF_OFF 10 /* offset of num_buffers in the header */

struct vnet_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;
};

void vnet_hdr_decode(const uint8_t *p, struct vnet_hdr *h);
void vnet_hdr_encode(const struct vnet_hdr *h, uint8_t *p);

/* Why a transmit chain was dropped (completed with len 0, never written). */
enum vnet_tx_drop {
	VNET_TX_OK = 0,
	VNET_TX_BAD_CHAIN, /* the queue layer refused the chain */
	VNET_TX_NO_HDR,	   /* fewer readable bytes than the header */
	VNET_TX_RUNT,	   /* frame shorter than an Ethernet header */
	VNET_TX_TOO_BIG,   /* frame larger than VNET_MAX_FRAME */
	VNET_TX_BAD_GSO,   /* GSO type unknown or not negotiated; gso_size or TCP offsets bad */
	VNET_TX_BAD_CSUM,  /* NEEDS_CSUM not negotiated or outside the frame */
	VNET_TX_HDR_LEN,   /* hdr_len past the end of the frame */
	VNET_TX_IO,	   /* the TAP refused the write */
	VNET_TX_DROP_COUNT,
};

const char *vnet_tx_drop_name(enum vnet_tx_drop d);

/*
 * Checks the readable part of transmit chain c (header, possibly split
 * across descriptors, then the frame) against the negotiated features,
 * and every length and offset of the header against the frame, as Linux's
 * virtio_net_hdr_to_skb() would behind the TAP: hdr_len within the frame;
 * for a GSO (TCP) frame a gso_size from 1 to the frame's length (not
 * Linux's GSO_BY_FRAGS) and a partial checksum at the TCP header's check
 * field, that header after the Ethernet and IP headers and inside the
 * frame. Writable segments are ignored. Fills *h on success.
 */
enum vnet_tx_drop vnet_tx_check(const struct vq_chain *c, uint64_t features, struct vnet_hdr *h);

/*
 * What goes to the TAP for a chain that passed vnet_tx_check(): the checked
 * header h, encoded into hdr (the device's own memory), then the frame bytes
 * of c's readable segments past the header. The guest's header is not read
 * again, so a driver that rewrites it after the check changes nothing.
 * Fills out (cap entries; c->n_out + 1 always suffice) and returns the count.
 */
uint32_t vnet_tx_wire_iov(const struct vq_chain *c, const struct vnet_hdr *h,
			  uint8_t hdr[VNET_HDR_LEN], struct iovec *out, uint32_t cap);

/*
 * Receive accounting for one packet of pkt_len bytes (header included):
 * buffers are offered one by one with vnet_rx_offer() until it returns
 * true (the packet fits). Without mergeable buffers only one buffer may
 * carry a packet: a smaller one makes the packet unfit (VNET_RX_NO_FIT).
 */
struct vnet_rx_plan {
	uint32_t pkt_len;
	uint32_t max_bufs; /* 1 without MRG_RXBUF, else at most the queue size */
	uint32_t nbufs;	   /* buffers taken so far */
	uint32_t room;	   /* their writable bytes */
};

enum vnet_rx_offer {
	VNET_RX_MORE,	/* taken; the packet needs more buffers */
	VNET_RX_FITS,	/* taken; the packet fits in the buffers taken */
	VNET_RX_NO_FIT, /* the packet cannot fit within max_bufs: drop it */
};

void vnet_rx_plan_init(struct vnet_rx_plan *p, uint32_t pkt_len, bool mrg_rxbuf,
		       uint32_t queue_size);
enum vnet_rx_offer vnet_rx_offer(struct vnet_rx_plan *p, uint32_t buf_len);

/*
 * Writes packet pkt (pkt_len bytes, header first) into the writable parts
 * of chains[0 .. n): num_buffers in the header becomes n, every buffer but
 * the last is filled completely (docs/design.md, "In-order rules", R14),
 * used[i] gets each buffer's length.
 * The header in pkt is updated in place. Returns 0, or -1 if the chains
 * hold fewer than pkt_len bytes or the first cannot hold the header.
 */
int vnet_rx_fill(uint8_t *pkt, uint32_t pkt_len, const struct vq_chain *chains, uint32_t n,
		 uint32_t *used);

#endif
