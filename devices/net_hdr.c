// SPDX-License-Identifier: MIT
#include "devices/net_hdr.h"

#include <string.h>

#include "common/le.h"
#include "devices/iov.h"
#include "virtio/vring.h"

void vnet_hdr_decode(const uint8_t *p, struct vnet_hdr *h)
{
	h->flags = p[0];
	h->gso_type = p[1];
	h->hdr_len = get_le16(p + 2);
	h->gso_size = get_le16(p + 4);
	h->csum_start = get_le16(p + 6);
	h->csum_offset = get_le16(p + 8);
	h->num_buffers = get_le16(p + 10);
}

void vnet_hdr_encode(const struct vnet_hdr *h, uint8_t *p)
{
	p[0] = h->flags;
	p[1] = h->gso_type;
	put_le16(p + 2, h->hdr_len);
	put_le16(p + 4, h->gso_size);
	put_le16(p + 6, h->csum_start);
	put_le16(p + 8, h->csum_offset);
	put_le16(p + 10, h->num_buffers);
}

const char *vnet_tx_drop_name(enum vnet_tx_drop d)
{
	static const char *const names[VNET_TX_DROP_COUNT] = {
		[VNET_TX_OK] = "ok",
		[VNET_TX_BAD_CHAIN] = "bad_chain",
		[VNET_TX_NO_HDR] = "no_hdr",
		[VNET_TX_RUNT] = "runt",
		[VNET_TX_TOO_BIG] = "too_big",
		[VNET_TX_BAD_GSO] = "bad_gso",
		[VNET_TX_BAD_CSUM] = "bad_csum",
		[VNET_TX_HDR_LEN] = "hdr_len",
		[VNET_TX_IO] = "io",
	};

	return (unsigned int)d < VNET_TX_DROP_COUNT ? names[d] : "unknown";
}

static bool has(uint64_t features, int bit)
{
	return (features >> bit) & 1;
}

#define ETH_HDR_LEN	  14
#define IPV4_HDR_MIN	  20
#define IPV6_HDR_LEN	  40
#define TCP_HDR_MIN	  20
#define TCP_CSUM_OFF	  16	 /* offsetof(struct tcphdr, check) */
#define GSO_SIZE_BY_FRAGS 0xffff /* Linux's GSO_BY_FRAGS: not a size, refused there */

/*
 * A TCP segmentation request (its checksum request already checked to be
 * inside the frame): the segment size and where the TCP header is must
 * make sense for this frame. Linux behind the TAP checks the offsets much
 * like this, but takes any gso_size but GSO_BY_FRAGS as the guest wrote
 * it; here the host's stack gets none it would have to question.
 */
static bool tso_fits(const struct vnet_hdr *h, uint32_t frame)
{
	uint32_t l3 = (h->gso_type & ~VNET_GSO_ECN) == VNET_GSO_TCPV6 ? IPV6_HDR_LEN : IPV4_HDR_MIN;

	return h->gso_size <= frame && h->gso_size != GSO_SIZE_BY_FRAGS &&
	       h->csum_offset == TCP_CSUM_OFF && h->csum_start >= ETH_HDR_LEN + l3 &&
	       (uint32_t)h->csum_start + TCP_HDR_MIN <= frame;
}

enum vnet_tx_drop vnet_tx_check(const struct vq_chain *c, uint64_t features, struct vnet_hdr *h)
{
	uint8_t raw[VNET_HDR_LEN];
	uint32_t frame;

	if (c->out_len < VNET_HDR_LEN ||
	    iov_gather(c->iov, c->n_out, 0, raw, VNET_HDR_LEN) != VNET_HDR_LEN)
		return VNET_TX_NO_HDR;
	vnet_hdr_decode(raw, h);
	frame = c->out_len - VNET_HDR_LEN;
	if (frame < VNET_MIN_FRAME)
		return VNET_TX_RUNT;
	if (frame > VNET_MAX_FRAME)
		return VNET_TX_TOO_BIG;
	/* A hint of how much is headers, but the TAP refuses one past the end. */
	if (h->hdr_len > frame)
		return VNET_TX_HDR_LEN;
	switch (h->gso_type & ~VNET_GSO_ECN) {
	case VNET_GSO_NONE:
		if (h->gso_type & VNET_GSO_ECN)
			return VNET_TX_BAD_GSO;
		break;
	case VNET_GSO_TCPV4:
		if (!has(features, VIRTIO_NET_F_HOST_TSO4) || !h->gso_size)
			return VNET_TX_BAD_GSO;
		break;
	case VNET_GSO_TCPV6:
		if (!has(features, VIRTIO_NET_F_HOST_TSO6) || !h->gso_size)
			return VNET_TX_BAD_GSO;
		break;
	default: /* UFO/USO are not offered */
		return VNET_TX_BAD_GSO;
	}
	if (h->flags & VNET_HDR_F_NEEDS_CSUM) {
		if (!has(features, VIRTIO_NET_F_CSUM) ||
		    (uint32_t)h->csum_start + h->csum_offset + 2 > frame)
			return VNET_TX_BAD_CSUM;
	} else if (h->gso_type != VNET_GSO_NONE) {
		return VNET_TX_BAD_CSUM; /* segmentation needs a partial checksum */
	}
	if (h->gso_type != VNET_GSO_NONE && !tso_fits(h, frame))
		return VNET_TX_BAD_GSO;
	return VNET_TX_OK;
}

uint32_t vnet_tx_wire_iov(const struct vq_chain *c, const struct vnet_hdr *h,
			  uint8_t hdr[VNET_HDR_LEN], struct iovec *out, uint32_t cap)
{
	size_t skip = VNET_HDR_LEN;
	uint32_t n = 0;

	if (!cap)
		return 0;
	vnet_hdr_encode(h, hdr);
	out[n++] = (struct iovec){.iov_base = hdr, .iov_len = VNET_HDR_LEN};
	for (uint32_t i = 0; i < c->n_out && n < cap; i++) {
		const struct iovec *v = &c->iov[i];

		if (v->iov_len <= skip) {
			skip -= v->iov_len;
			continue;
		}
		out[n++] = (struct iovec){.iov_base = (uint8_t *)v->iov_base + skip,
					  .iov_len = v->iov_len - skip};
		skip = 0;
	}
	return n;
}

void vnet_rx_plan_init(struct vnet_rx_plan *p, uint32_t pkt_len, bool mrg_rxbuf,
		       uint32_t queue_size)
{
	p->pkt_len = pkt_len;
	p->max_bufs = mrg_rxbuf ? (queue_size < UINT16_MAX ? queue_size : UINT16_MAX) : 1;
	if (!p->max_bufs)
		p->max_bufs = 1;
	p->nbufs = 0;
	p->room = 0;
}

enum vnet_rx_offer vnet_rx_offer(struct vnet_rx_plan *p, uint32_t buf_len)
{
	/* The first buffer must hold the whole header (num_buffers is in it). */
	if (p->nbufs == 0 && buf_len < VNET_HDR_LEN)
		return VNET_RX_NO_FIT;
	p->nbufs++;
	p->room = p->room + buf_len < p->room ? UINT32_MAX : p->room + buf_len;
	if (p->room >= p->pkt_len)
		return VNET_RX_FITS;
	return p->nbufs >= p->max_bufs ? VNET_RX_NO_FIT : VNET_RX_MORE;
}

int vnet_rx_fill(uint8_t *pkt, uint32_t pkt_len, const struct vq_chain *chains, uint32_t n,
		 uint32_t *used)
{
	uint64_t room = 0;
	uint32_t off = 0;

	if (n == 0 || n > UINT16_MAX || pkt_len < VNET_HDR_LEN || chains[0].in_len < VNET_HDR_LEN)
		return -1;
	for (uint32_t i = 0; i < n; i++)
		room += chains[i].in_len;
	if (room < pkt_len)
		return -1;
	put_le16(pkt + VNET_NUM_BUF_OFF, (uint16_t)n);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t l = chains[i].in_len < pkt_len - off ? chains[i].in_len : pkt_len - off;

		used[i] = (uint32_t)iov_scatter(vq_chain_in(&chains[i]), chains[i].n_in, pkt + off,
						l);
		off += used[i];
	}
	return off == pkt_len ? 0 : -1;
}
