// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for virtio-net's packet handling on hostile rings: the
 * input is a guest that fills RAM (descriptors, rings, headers) and a
 * script of transmit pops and receives of frames of any length. Transmit
 * chains go through the split ring and vnet_tx_check() exactly as the
 * device thread does; what the check passes must be a frame the TAP could
 * take (header present, 14 bytes to 64 KiB, checksum range inside it) and
 * must lie in guest RAM. Receive runs the device's own placement
 * (vnet_rx_process): it returns, and a frame lands whole, header first, every buffer but
 * the last full, never outside a writable segment.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/iov.h"
#include "devices/net_hdr.h"
#include "devices/net_rx.h"
#include "tests/fuzz/fuzz_input.h"
#include "virtio/virtqueue.h"

#define RAM_GPA	 0x10000ULL
#define RAM_SIZE 0x20000ULL
#define QSIZE	 16
#define IOV_CAP	 32

static uint8_t ram[RAM_SIZE] __attribute__((aligned(4096)));
static uint8_t frame[VNET_MAX_PACKET + 256]; /* a received frame */
static uint8_t wire[VNET_MAX_PACKET + 256];  /* a sent one */

static void check_in_ram(const struct iovec *iov, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *b = iov[i].iov_base;

		require(b >= ram && iov[i].iov_len <= RAM_SIZE &&
			b + iov[i].iov_len <= ram + RAM_SIZE);
	}
}

static int enable(struct virtqueue *vq, const struct guest_mem *gm, uint64_t features,
		  struct input *in)
{
	vq->size = QSIZE;
	vq->desc_gpa = RAM_GPA + (take(in, 2) % RAM_SIZE & ~15ULL);
	vq->avail_gpa = RAM_GPA + (take(in, 2) % RAM_SIZE & ~1ULL);
	vq->used_gpa = RAM_GPA + (take(in, 2) % RAM_SIZE & ~3ULL);
	return vq_enable(vq, gm, features);
}

static void tx_one(struct virtqueue *vq, uint64_t features)
{
	static struct iovec iov[IOV_CAP];
	struct vnet_hdr h;
	struct vq_chain c;
	int rc;

	vq_chain_init(&c, iov, IOV_CAP);
	rc = vq_pop(vq, &c);
	if (rc == VQ_EMPTY || vq_err_is_fatal(rc))
		return;
	if (rc == VQ_OK && vnet_tx_check(&c, features, &h) == VNET_TX_OK) {
		uint32_t len = c.out_len - VNET_HDR_LEN;

		check_in_ram(c.iov, c.n_out);
		require(len >= VNET_MIN_FRAME && len <= VNET_MAX_FRAME);
		if (h.flags & VNET_HDR_F_NEEDS_CSUM)
			require((uint32_t)h.csum_start + h.csum_offset + 2 <= len);
		else
			require(h.gso_type == VNET_GSO_NONE);
		/* What the TAP sees is bounded by the frame. */
		require(h.hdr_len <= len);
		if (h.gso_type != VNET_GSO_NONE)
			require(h.gso_size && h.gso_size <= len &&
				(uint32_t)h.csum_start + 20 <= len);
		static struct iovec wiov[IOV_CAP + 1];
		uint8_t hdr[VNET_HDR_LEN];
		uint32_t n = vnet_tx_wire_iov(&c, &h, hdr, wiov, IOV_CAP + 1);
		struct vnet_hdr again;

		/* What writev() sends: exactly out_len bytes, the checked header first. */
		require(iov_gather(wiov, n, 0, wire, sizeof(wire)) == c.out_len);
		vnet_hdr_decode(wire, &again);
		require(!memcmp(&again, &h, sizeof(h)));
	}
	vq_complete(vq, &c.t, 0);
}

static struct vnet_rx_frame pending;
static bool has_pending;

static struct vnet_rx_frame *rx_peek(void *ctx)
{
	(void)ctx;
	return has_pending ? &pending : NULL;
}

static void rx_consume(void *ctx)
{
	(void)ctx;
	has_pending = false;
}

/* One frame through the device's own receive path (devices/net_rx.c). */
static void rx_one(struct vnet_rx *rx, uint32_t pkt_len)
{
	const struct vnet_rx_source src = {.peek = rx_peek, .consume = rx_consume};
	uint64_t packets = rx->st.packets;
	enum vnet_rx_result r;
	uint32_t total = 0, nb;

	pending = (struct vnet_rx_frame){.data = frame, .len = pkt_len};
	has_pending = true;
	r = vnet_rx_process(rx, &src);
	/* It returns: a frame is placed or dropped, or waits for more buffers. */
	require(r == VNET_RX_IDLE ? !has_pending : has_pending);
	if (rx->st.packets == packets)
		return;
	nb = rx->last_nbufs;
	require(nb >= 1 && (nb == 1 || rx->mrg_rxbuf));
	for (uint32_t i = 0; i < nb; i++) {
		const struct vq_chain *c = &rx->chains[i];

		check_in_ram(vq_chain_in(c), c->n_in);
		require(rx->used[i] <= c->in_len);
		require(i + 1 == nb || rx->used[i] == c->in_len);
		total += rx->used[i];
	}
	require(total == pkt_len);
	require(frame[VNET_NUM_BUF_OFF] == (uint8_t)nb && frame[VNET_NUM_BUF_OFF + 1] == nb >> 8);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = {data, size};
	static struct vnet_rx rx;
	struct virtqueue rxq, txq;
	struct guest_mem gm;
	uint64_t features = 1ULL << VIRTIO_F_VERSION_1;
	uint32_t cfg, fill, i, steps = 0;
	bool mrg;

	if (!frame[1]) /* once: only num_buffers changes afterwards */
		for (uint32_t i = 0; i < sizeof(frame); i++)
			frame[i] = (uint8_t)(i * 7 + 1);
	cfg = take(&in, 1);
	if (cfg & 0x01)
		features |= 1ULL << VIRTIO_NET_F_CSUM;
	if (cfg & 0x02)
		features |= 1ULL << VIRTIO_NET_F_HOST_TSO4;
	if (cfg & 0x04)
		features |= 1ULL << VIRTIO_NET_F_HOST_TSO6;
	if (cfg & 0x08)
		features |= 1ULL << VIRTIO_RING_F_INDIRECT_DESC;
	if (cfg & 0x10)
		features |= 1ULL << VIRTIO_F_IN_ORDER;
	if (cfg & 0x20)
		features |= 1ULL << VIRTIO_RING_F_EVENT_IDX;
	mrg = cfg & 0x40;
	if (!rx.chains && vnet_rx_init(&rx, NULL, QSIZE))
		abort();
	rx.vq = &rxq;
	rx.mrg_rxbuf = mrg;

	fill = take(&in, 2) % 8192;
	if (!fill)
		memset(ram, 0, sizeof(ram));
	for (i = 0; i < fill && in.n; i++)
		ram[i] = (uint8_t)take(&in, 1);
	memset(ram + i, 0, fill - i);
	/* Repeat the filled part, so small inputs still make rings everywhere. */
	for (uint32_t done = fill; fill && done < RAM_SIZE; done *= 2)
		memcpy(ram + done, ram, done * 2 <= RAM_SIZE ? done : RAM_SIZE - done);

	gm_init(&gm);
	gm_add_region(&gm, RAM_GPA, RAM_SIZE, ram);
	vq_init(&rxq, QSIZE);
	vq_init(&txq, QSIZE);
	if (enable(&rxq, &gm, features, &in) != VQ_OK || enable(&txq, &gm, features, &in) != VQ_OK)
		goto out;
	while (in.n && steps++ < 1024) {
		uint32_t op = take(&in, 1);

		switch (op % 4) {
		case 0:
			tx_one(&txq, features);
			break;
		case 1:
			rx_one(&rx, VNET_HDR_LEN + take(&in, 3) % (VNET_MAX_FRAME + 1));
			break;
		case 2:
			vq_flush(&rxq);
			vq_flush(&txq);
			break;
		case 3: {
			uint32_t at = take(&in, 3) % RAM_SIZE;

			ram[at] = (uint8_t)take(&in, 1);
			break;
		}
		}
	}
	vq_flush(&rxq);
	vq_flush(&txq);
out:
	vq_destroy(&rxq);
	vq_destroy(&txq);
	return 0;
}
