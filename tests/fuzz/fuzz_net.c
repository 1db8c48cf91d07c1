// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for virtio-net's packet handling on hostile rings: the
 * input is a guest that fills RAM (descriptors, rings, headers) and a
 * script of transmit pops and receives of frames of any length. Transmit
 * chains go through the split ring and vnet_tx_check() exactly as the
 * device thread does; what the check passes must be a frame the TAP could
 * take (header present, 14 bytes to 64 KiB, checksum range inside it) and
 * must lie in guest RAM. Receive runs the buffer accounting and the scatter
 * of rx_place_one(): the frame lands whole, header first, every buffer but
 * the last full, never outside a writable segment.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/net_hdr.h"
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
		/* What writev() would send: exactly out_len bytes, header first. */
		require(vnet_iov_gather(c.iov, c.n_out, 0, wire, sizeof(wire)) == c.out_len);
	}
	vq_complete(vq, &c.t, 0);
}

static void rx_one(struct virtqueue *vq, uint32_t pkt_len, bool mrg)
{
	static struct vq_chain chains[QSIZE];
	static struct iovec iov[QSIZE][IOV_CAP];
	static uint32_t used[QSIZE];
	enum vnet_rx_offer res = VNET_RX_MORE;
	struct vnet_rx_plan p;
	uint32_t nb = 0, total = 0;

	vnet_rx_plan_init(&p, pkt_len, mrg, vq->size);
	while (res == VNET_RX_MORE && nb < QSIZE) {
		struct vq_chain *c = &chains[nb];
		int rc;

		vq_chain_init(c, iov[nb], IOV_CAP);
		rc = vq_pop(vq, c);
		if (rc == VQ_EMPTY || vq_err_is_fatal(rc))
			break;
		if (rc < 0 || c->in_len == 0) {
			/* The device answers the bad chain and those before it. */
			for (uint32_t i = 0; i <= nb; i++)
				vq_complete(vq, &chains[i].t, 0);
			return;
		}
		check_in_ram(vq_chain_in(c), c->n_in);
		res = vnet_rx_offer(&p, c->in_len);
		nb++;
	}
	if (res != VNET_RX_FITS) {
		require(vq_unpop(vq, (uint16_t)nb) == VQ_OK);
		return;
	}
	require(nb == 1 || mrg);
	if (vnet_rx_fill(frame, pkt_len, chains, nb, used) < 0) {
		for (uint32_t i = 0; i < nb; i++)
			vq_complete(vq, &chains[i].t, 0);
		return;
	}
	for (uint32_t i = 0; i < nb; i++) {
		require(used[i] <= chains[i].in_len);
		require(i + 1 == nb || used[i] == chains[i].in_len);
		total += used[i];
		vq_complete(vq, &chains[i].t, used[i]);
	}
	require(total == pkt_len);
	require(frame[VNET_NUM_BUF_OFF] == (uint8_t)nb && frame[VNET_NUM_BUF_OFF + 1] == nb >> 8);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = {data, size};
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
			rx_one(&rxq, VNET_HDR_LEN + take(&in, 3) % (VNET_MAX_FRAME + 1), mrg);
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
