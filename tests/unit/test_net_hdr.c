// SPDX-License-Identifier: MIT
/*
 * virtio-net packet handling (devices/net_hdr.c): the 12-byte header, the
 * checks a transmit chain passes before it reaches the TAP (missing or
 * split header, runt and oversized frames, GSO and checksum requests the
 * guest did not negotiate, hdr_len, gso_size and the TCP header's offsets
 * against the frame), and receive buffer accounting: how many guest
 * buffers a frame takes with and without mergeable buffers, num_buffers,
 * and the scatter that fills every buffer but the last. Receive through a
 * real ring, as the device does it, is in tests/unit/test_net_rx.c.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/check_run.h"
#include "devices/iov.h"
#include "devices/net_hdr.h"
#include "virtio/virtqueue.h"

#define F_V1	(1ULL << VIRTIO_F_VERSION_1)
#define F_INORD (1ULL << VIRTIO_F_IN_ORDER)
#define F_CSUM	(1ULL << VIRTIO_NET_F_CSUM)
#define F_TSO4	(1ULL << VIRTIO_NET_F_HOST_TSO4)
#define F_TSO6	(1ULL << VIRTIO_NET_F_HOST_TSO6)
#define F_ALL	(F_V1 | F_CSUM | F_TSO4 | F_TSO6)
#define MAXSEG	8

static struct iovec chain_iov[MAXSEG];
static struct vq_chain ch;
static uint8_t big[VNET_MAX_PACKET + 64];

/* A transmit chain whose readable segments are the given lengths, cut from big. */
static void tx_chain(const uint32_t *lens, unsigned int n)
{
	size_t off = 0;

	memset(&ch, 0, sizeof(ch));
	vq_chain_init(&ch, chain_iov, MAXSEG);
	for (unsigned int i = 0; i < n; i++) {
		chain_iov[i] = (struct iovec){big + off, lens[i]};
		off += lens[i];
		ch.out_len += lens[i];
	}
	ch.n_out = n;
}

static void put_hdr(uint8_t flags, uint8_t gso, uint16_t gso_size, uint16_t cs, uint16_t co)
{
	struct vnet_hdr h = {.flags = flags,
			     .gso_type = gso,
			     .hdr_len = 54,
			     .gso_size = gso_size,
			     .csum_start = cs,
			     .csum_offset = co};

	vnet_hdr_encode(&h, big);
}

START_TEST(header_round_trip_little_endian)
{
	struct vnet_hdr h = {1, VNET_GSO_TCPV6, 0x1234, 1448, 34, 16, 3}, g;
	uint8_t raw[VNET_HDR_LEN];

	vnet_hdr_encode(&h, raw);
	ck_assert_uint_eq(raw[2], 0x34);
	ck_assert_uint_eq(raw[3], 0x12);
	ck_assert_uint_eq(raw[VNET_NUM_BUF_OFF], 3);
	vnet_hdr_decode(raw, &g);
	ck_assert_mem_eq(&h, &g, sizeof(h));
}
END_TEST

START_TEST(tx_plain_frame_ok)
{
	uint32_t l[] = {VNET_HDR_LEN + 60};
	struct vnet_hdr h;

	put_hdr(0, VNET_GSO_NONE, 0, 0, 0);
	tx_chain(l, 1);
	ck_assert_int_eq(vnet_tx_check(&ch, F_V1, &h), VNET_TX_OK);
}
END_TEST

START_TEST(tx_header_split_is_gathered)
{
	uint32_t l[] = {3, 5, 4, 1500};
	struct vnet_hdr h;

	put_hdr(VNET_HDR_F_NEEDS_CSUM, VNET_GSO_TCPV4, 1448, 34, 16);
	tx_chain(l, 4);
	ck_assert_int_eq(vnet_tx_check(&ch, F_ALL, &h), VNET_TX_OK);
	ck_assert_uint_eq(h.gso_size, 1448);
	ck_assert_uint_eq(h.csum_start, 34);
	ck_assert_uint_eq(h.csum_offset, 16);
}
END_TEST

START_TEST(tx_wire_sends_the_checked_header)
{
	/* Header split 3 + 5 + 4, the last segment starting with frame bytes. */
	uint32_t l[] = {3, 5, 8, 1500};
	struct iovec wire[MAXSEG + 1];
	uint8_t hdr[VNET_HDR_LEN], sent[1600];
	struct vnet_hdr h, out;
	uint32_t n;

	put_hdr(VNET_HDR_F_NEEDS_CSUM, VNET_GSO_TCPV4, 1448, 34, 16);
	for (int i = VNET_HDR_LEN; i < 16 + 1500; i++)
		big[i] = (uint8_t)(i * 5);
	tx_chain(l, 4);
	ck_assert_int_eq(vnet_tx_check(&ch, F_ALL, &h), VNET_TX_OK);
	/* Another vCPU rewrites the header after the check: a GSO type never negotiated. */
	big[1] = VNET_GSO_UDP;
	big[6] = 0xff;
	n = vnet_tx_wire_iov(&ch, &h, hdr, wire, MAXSEG + 1);
	ck_assert_uint_eq(n, 3); /* the header copy, the 4 frame bytes of segment 3, segment 4 */
	ck_assert_uint_eq(iov_gather(wire, n, 0, sent, sizeof(sent)), ch.out_len);
	vnet_hdr_decode(sent, &out);
	ck_assert_uint_eq(out.gso_type, VNET_GSO_TCPV4);
	ck_assert_uint_eq(out.csum_start, 34);
	ck_assert_mem_eq(sent + VNET_HDR_LEN, big + VNET_HDR_LEN, ch.out_len - VNET_HDR_LEN);
	ck_assert_ptr_eq(wire[0].iov_base, hdr);
}
END_TEST

START_TEST(tx_no_header)
{
	uint32_t l[] = {VNET_HDR_LEN - 1};
	uint32_t l2[] = {4, 4, 3};
	struct vnet_hdr h;

	tx_chain(l, 1);
	ck_assert_int_eq(vnet_tx_check(&ch, F_ALL, &h), VNET_TX_NO_HDR);
	tx_chain(l2, 3);
	ck_assert_int_eq(vnet_tx_check(&ch, F_ALL, &h), VNET_TX_NO_HDR);
	tx_chain(l, 0); /* only writable segments */
	ck_assert_int_eq(vnet_tx_check(&ch, F_ALL, &h), VNET_TX_NO_HDR);
}
END_TEST

START_TEST(tx_runt_and_too_big)
{
	uint32_t runt[] = {VNET_HDR_LEN, VNET_MIN_FRAME - 1};
	uint32_t max[] = {VNET_HDR_LEN, VNET_MAX_FRAME};
	uint32_t over[] = {VNET_HDR_LEN, VNET_MAX_FRAME + 1};
	struct vnet_hdr h;

	put_hdr(0, VNET_GSO_NONE, 0, 0, 0);
	tx_chain(runt, 2);
	ck_assert_int_eq(vnet_tx_check(&ch, F_ALL, &h), VNET_TX_RUNT);
	tx_chain(max, 2);
	ck_assert_int_eq(vnet_tx_check(&ch, F_ALL, &h), VNET_TX_OK);
	tx_chain(over, 2);
	ck_assert_int_eq(vnet_tx_check(&ch, F_ALL, &h), VNET_TX_TOO_BIG);
}
END_TEST

START_TEST(tx_gso_must_be_negotiated)
{
	uint32_t l[] = {VNET_HDR_LEN + 9000};
	struct vnet_hdr h;

	tx_chain(l, 1);
	put_hdr(VNET_HDR_F_NEEDS_CSUM, VNET_GSO_TCPV4, 1448, 34, 16);
	ck_assert_int_eq(vnet_tx_check(&ch, F_V1 | F_CSUM, &h), VNET_TX_BAD_GSO);
	ck_assert_int_eq(vnet_tx_check(&ch, F_V1 | F_CSUM | F_TSO4, &h), VNET_TX_OK);
	put_hdr(VNET_HDR_F_NEEDS_CSUM, VNET_GSO_TCPV6, 1428, 54, 16);
	ck_assert_int_eq(vnet_tx_check(&ch, F_V1 | F_CSUM | F_TSO4, &h), VNET_TX_BAD_GSO);
	ck_assert_int_eq(vnet_tx_check(&ch, F_ALL, &h), VNET_TX_OK);
	put_hdr(VNET_HDR_F_NEEDS_CSUM, VNET_GSO_TCPV4 | VNET_GSO_ECN, 1448, 34, 16);
	ck_assert_int_eq(vnet_tx_check(&ch, F_ALL, &h), VNET_TX_OK);
	put_hdr(VNET_HDR_F_NEEDS_CSUM, VNET_GSO_UDP, 1448, 34, 6);
	ck_assert_int_eq(vnet_tx_check(&ch, F_ALL, &h), VNET_TX_BAD_GSO);
	put_hdr(VNET_HDR_F_NEEDS_CSUM, VNET_GSO_UDP_L4, 1448, 34, 6);
	ck_assert_int_eq(vnet_tx_check(&ch, F_ALL, &h), VNET_TX_BAD_GSO);
	put_hdr(VNET_HDR_F_NEEDS_CSUM, 2, 1448, 34, 6); /* no such type */
	ck_assert_int_eq(vnet_tx_check(&ch, F_ALL, &h), VNET_TX_BAD_GSO);
	put_hdr(VNET_HDR_F_NEEDS_CSUM, VNET_GSO_TCPV4, 0, 34, 16); /* gso_size 0 */
	ck_assert_int_eq(vnet_tx_check(&ch, F_ALL, &h), VNET_TX_BAD_GSO);
	put_hdr(0, VNET_GSO_ECN, 0, 0, 0); /* ECN alone */
	ck_assert_int_eq(vnet_tx_check(&ch, F_ALL, &h), VNET_TX_BAD_GSO);
}
END_TEST

START_TEST(tx_checksum_request_checked)
{
	uint32_t l[] = {VNET_HDR_LEN + 100};
	struct vnet_hdr h;

	tx_chain(l, 1);
	put_hdr(VNET_HDR_F_NEEDS_CSUM, VNET_GSO_NONE, 0, 34, 16);
	ck_assert_int_eq(vnet_tx_check(&ch, F_V1, &h), VNET_TX_BAD_CSUM);
	ck_assert_int_eq(vnet_tx_check(&ch, F_V1 | F_CSUM, &h), VNET_TX_OK);
	put_hdr(VNET_HDR_F_NEEDS_CSUM, VNET_GSO_NONE, 0, 82, 16); /* 82 + 16 + 2 == 100 */
	ck_assert_int_eq(vnet_tx_check(&ch, F_ALL, &h), VNET_TX_OK);
	put_hdr(VNET_HDR_F_NEEDS_CSUM, VNET_GSO_NONE, 0, 83, 16);
	ck_assert_int_eq(vnet_tx_check(&ch, F_ALL, &h), VNET_TX_BAD_CSUM);
	put_hdr(VNET_HDR_F_NEEDS_CSUM, VNET_GSO_NONE, 0, 0xffff, 0xffff); /* no overflow */
	ck_assert_int_eq(vnet_tx_check(&ch, F_ALL, &h), VNET_TX_BAD_CSUM);
	put_hdr(0, VNET_GSO_TCPV4, 1448, 34, 16); /* GSO without a partial checksum */
	ck_assert_int_eq(vnet_tx_check(&ch, F_ALL, &h), VNET_TX_BAD_CSUM);
	ck_assert_str_eq(vnet_tx_drop_name(VNET_TX_BAD_CSUM), "bad_csum");
	ck_assert_str_eq(vnet_tx_drop_name(VNET_TX_DROP_COUNT), "unknown");
}
END_TEST

/* Put in the header as given: hdr_len too, which put_hdr() fixes at 54. */
static void put_hdr_len(uint8_t flags, uint8_t gso, uint16_t hdr_len, uint16_t gso_size,
			uint16_t cs, uint16_t co)
{
	put_hdr(flags, gso, gso_size, cs, co);
	big[2] = (uint8_t)hdr_len;
	big[3] = (uint8_t)(hdr_len >> 8);
}

START_TEST(tx_hdr_len_within_the_frame)
{
	uint32_t l[] = {VNET_HDR_LEN + 100};
	uint32_t max[] = {VNET_HDR_LEN, VNET_MAX_FRAME};
	struct vnet_hdr h;

	tx_chain(l, 1);
	put_hdr_len(0, VNET_GSO_NONE, 100, 0, 0, 0); /* all of it headers: allowed */
	ck_assert_int_eq(vnet_tx_check(&ch, F_ALL, &h), VNET_TX_OK);
	ck_assert_uint_eq(h.hdr_len, 100);
	put_hdr_len(0, VNET_GSO_NONE, 101, 0, 0, 0);
	ck_assert_int_eq(vnet_tx_check(&ch, F_ALL, &h), VNET_TX_HDR_LEN);
	put_hdr_len(VNET_HDR_F_NEEDS_CSUM, VNET_GSO_TCPV4, 0xffff, 40, 34, 16);
	ck_assert_int_eq(vnet_tx_check(&ch, F_ALL, &h), VNET_TX_HDR_LEN);
	/* The largest frame: any 16-bit hdr_len fits. */
	tx_chain(max, 2);
	put_hdr_len(0, VNET_GSO_NONE, 0xffff, 0, 0, 0);
	ck_assert_int_eq(vnet_tx_check(&ch, F_ALL, &h), VNET_TX_OK);
	ck_assert_str_eq(vnet_tx_drop_name(VNET_TX_HDR_LEN), "hdr_len");
}
END_TEST

START_TEST(tx_gso_bounded_by_the_frame)
{
	uint32_t l[] = {VNET_HDR_LEN + 1000};
	uint32_t max[] = {VNET_HDR_LEN, VNET_MAX_FRAME};
	struct vnet_hdr h;

	tx_chain(l, 1);
	/* gso_size: 1 to the frame's length. */
	put_hdr(VNET_HDR_F_NEEDS_CSUM, VNET_GSO_TCPV4, 1000, 34, 16);
	ck_assert_int_eq(vnet_tx_check(&ch, F_ALL, &h), VNET_TX_OK);
	put_hdr(VNET_HDR_F_NEEDS_CSUM, VNET_GSO_TCPV4, 1, 34, 16);
	ck_assert_int_eq(vnet_tx_check(&ch, F_ALL, &h), VNET_TX_OK);
	put_hdr(VNET_HDR_F_NEEDS_CSUM, VNET_GSO_TCPV4, 1001, 34, 16);
	ck_assert_int_eq(vnet_tx_check(&ch, F_ALL, &h), VNET_TX_BAD_GSO);
	put_hdr(VNET_HDR_F_NEEDS_CSUM, VNET_GSO_TCPV6, 0xfffe, 54, 16);
	ck_assert_int_eq(vnet_tx_check(&ch, F_ALL, &h), VNET_TX_BAD_GSO);
	/* The checksum must be the TCP header's. */
	put_hdr(VNET_HDR_F_NEEDS_CSUM, VNET_GSO_TCPV4, 536, 34, 6);
	ck_assert_int_eq(vnet_tx_check(&ch, F_ALL, &h), VNET_TX_BAD_GSO);
	/* The TCP header after Ethernet and IPv4 (20) or IPv6 (40) headers. */
	put_hdr(VNET_HDR_F_NEEDS_CSUM, VNET_GSO_TCPV4, 536, 33, 16);
	ck_assert_int_eq(vnet_tx_check(&ch, F_ALL, &h), VNET_TX_BAD_GSO);
	put_hdr(VNET_HDR_F_NEEDS_CSUM, VNET_GSO_TCPV6, 536, 53, 16);
	ck_assert_int_eq(vnet_tx_check(&ch, F_ALL, &h), VNET_TX_BAD_GSO);
	put_hdr(VNET_HDR_F_NEEDS_CSUM, VNET_GSO_TCPV6, 536, 54, 16);
	ck_assert_int_eq(vnet_tx_check(&ch, F_ALL, &h), VNET_TX_OK);
	/* ... and all 20 bytes of it inside the frame (the checksum alone is not enough). */
	put_hdr(VNET_HDR_F_NEEDS_CSUM, VNET_GSO_TCPV4, 536, 980, 16);
	ck_assert_int_eq(vnet_tx_check(&ch, F_ALL, &h), VNET_TX_OK);
	put_hdr(VNET_HDR_F_NEEDS_CSUM, VNET_GSO_TCPV4, 536, 981, 16);
	ck_assert_int_eq(vnet_tx_check(&ch, F_ALL, &h), VNET_TX_BAD_GSO);
	/* Linux's GSO_BY_FRAGS is no size, even where the frame is longer. */
	tx_chain(max, 2);
	put_hdr(VNET_HDR_F_NEEDS_CSUM, VNET_GSO_TCPV4, 0xffff, 34, 16);
	ck_assert_int_eq(vnet_tx_check(&ch, F_ALL, &h), VNET_TX_BAD_GSO);
	put_hdr(VNET_HDR_F_NEEDS_CSUM, VNET_GSO_TCPV4, 0xfffe, 34, 16);
	ck_assert_int_eq(vnet_tx_check(&ch, F_ALL, &h), VNET_TX_OK);
}
END_TEST

START_TEST(iov_gather_and_scatter)
{
	uint8_t a[3], b[4], c[5], src[12], dst[12];
	struct iovec v[3] = {{a, 3}, {b, 4}, {c, 5}};

	for (int i = 0; i < 12; i++)
		src[i] = (uint8_t)(i + 1);
	ck_assert_uint_eq(iov_scatter(v, 3, src, 12), 12);
	ck_assert_uint_eq(b[0], 4);
	ck_assert_uint_eq(c[4], 12);
	ck_assert_uint_eq(iov_gather(v, 3, 2, dst, 6), 6);
	ck_assert_uint_eq(dst[0], 3);
	ck_assert_uint_eq(dst[5], 8);
	ck_assert_uint_eq(iov_gather(v, 3, 10, dst, 6), 2); /* short */
	ck_assert_uint_eq(iov_scatter(v, 2, src, 12), 7);   /* short */
}
END_TEST

START_TEST(rx_plan_without_mergeable)
{
	struct vnet_rx_plan p;

	vnet_rx_plan_init(&p, 1526, false, 256);
	ck_assert_int_eq(vnet_rx_offer(&p, 1526), VNET_RX_FITS);
	vnet_rx_plan_init(&p, 1527, false, 256);
	ck_assert_int_eq(vnet_rx_offer(&p, 1526), VNET_RX_NO_FIT);
	ck_assert_uint_eq(p.nbufs, 1);
}
END_TEST

START_TEST(rx_plan_mergeable)
{
	struct vnet_rx_plan p;

	vnet_rx_plan_init(&p, 2500, true, 256);
	ck_assert_int_eq(vnet_rx_offer(&p, 1000), VNET_RX_MORE);
	ck_assert_int_eq(vnet_rx_offer(&p, 1000), VNET_RX_MORE);
	ck_assert_int_eq(vnet_rx_offer(&p, 1000), VNET_RX_FITS);
	ck_assert_uint_eq(p.nbufs, 3);
	/* The first buffer must hold the header. */
	vnet_rx_plan_init(&p, 2500, true, 256);
	ck_assert_int_eq(vnet_rx_offer(&p, VNET_HDR_LEN - 1), VNET_RX_NO_FIT);
	/* A ring full of tiny buffers can never take the frame: drop, don't wait. */
	vnet_rx_plan_init(&p, 1000, true, 4);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(vnet_rx_offer(&p, 100), VNET_RX_MORE);
	ck_assert_int_eq(vnet_rx_offer(&p, 100), VNET_RX_NO_FIT);
	/* Exactly full. */
	vnet_rx_plan_init(&p, 200, true, 4);
	ck_assert_int_eq(vnet_rx_offer(&p, 100), VNET_RX_MORE);
	ck_assert_int_eq(vnet_rx_offer(&p, 100), VNET_RX_FITS);
}
END_TEST

static uint8_t rxa[5], rxb[995], rxc[1000], rxd[1000];

START_TEST(rx_fill_mergeable_sets_num_buffers)
{
	static uint8_t pkt[2500];
	struct iovec v[4] = {{rxa, 5}, {rxb, 995}, {rxc, 1000}, {rxd, 1000}};
	struct vq_chain c[3];
	uint32_t used[3];
	struct vnet_hdr h;

	memset(c, 0, sizeof(c));
	vq_chain_init(&c[0], v, 2);
	c[0].n_in = 2;
	c[0].in_len = 1000;
	vq_chain_init(&c[1], v + 2, 1);
	c[1].n_in = 1;
	c[1].in_len = 1000;
	vq_chain_init(&c[2], v + 3, 1);
	c[2].n_in = 1;
	c[2].in_len = 1000;
	for (int i = 0; i < 2500; i++)
		pkt[i] = (uint8_t)(i * 7);
	ck_assert_int_eq(vnet_rx_fill(pkt, 2500, c, 3, used), 0);
	ck_assert_uint_eq(used[0], 1000);
	ck_assert_uint_eq(used[1], 1000);
	ck_assert_uint_eq(used[2], 500);
	/* The header was split over two segments of the first buffer. */
	{
		uint8_t raw[VNET_HDR_LEN];

		memcpy(raw, rxa, 5);
		memcpy(raw + 5, rxb, 7);
		vnet_hdr_decode(raw, &h);
	}
	ck_assert_uint_eq(h.num_buffers, 3);
	ck_assert_uint_eq(rxb[100], (uint8_t)(105 * 7));
	ck_assert_uint_eq(rxc[0], (uint8_t)(1000 * 7));
	ck_assert_uint_eq(rxd[499], (uint8_t)(2499 * 7));
	/* Too little room, or a first buffer without room for the header. */
	ck_assert_int_eq(vnet_rx_fill(pkt, 2500, c, 2, used), -1);
	c[0].in_len = 5;
	ck_assert_int_eq(vnet_rx_fill(pkt, 10, c, 1, used), -1);
	ck_assert_int_eq(vnet_rx_fill(pkt, 100, c, 0, used), -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("net_hdr");
	TCase *tc = tcase_create("net_hdr");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, header_round_trip_little_endian);
	tcase_add_test(tc, tx_plain_frame_ok);
	tcase_add_test(tc, tx_header_split_is_gathered);
	tcase_add_test(tc, tx_wire_sends_the_checked_header);
	tcase_add_test(tc, tx_no_header);
	tcase_add_test(tc, tx_runt_and_too_big);
	tcase_add_test(tc, tx_gso_must_be_negotiated);
	tcase_add_test(tc, tx_checksum_request_checked);
	tcase_add_test(tc, tx_hdr_len_within_the_frame);
	tcase_add_test(tc, tx_gso_bounded_by_the_frame);
	tcase_add_test(tc, iov_gather_and_scatter);
	tcase_add_test(tc, rx_plan_without_mergeable);
	tcase_add_test(tc, rx_plan_mergeable);
	tcase_add_test(tc, rx_fill_mergeable_sets_num_buffers);
	suite_add_tcase(s, tc);
	return check_run(s);
}
