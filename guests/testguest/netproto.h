/* SPDX-License-Identifier: MIT */
/*
 * The wire protocol between the test guest's virtio-net program and its host
 * peer (tests/bench/bench_net.c), shared by both so that each side can
 * rebuild every byte the other sent. Header-only and libc-free: the guest is
 * freestanding.
 *
 * Every frame is Ethernet to the broadcast address with a local experimental
 * EtherType: NP_ETH_G2H from the guest, NP_ETH_H2G from the host. A frame
 * sent with HOST_TSO4 is IPv4/TCP instead (the TAP must see a packet it can
 * segment) and carries the same header after its TCP header. After the
 * Ethernet (or TCP) header comes struct np_hdr, then the payload, whose byte
 * i of data frame seq is np_byte(seq, i); csum is np_csum() of the payload.
 */
#ifndef GUESTS_TESTGUEST_NETPROTO_H
#define GUESTS_TESTGUEST_NETPROTO_H

#include <stdint.h>

#define NP_ETH_G2H 0x88b5
#define NP_ETH_H2G 0x88b6
#define NP_MAGIC   0x544e564dU /* "MVNT" */

#define NP_ETH_LEN 14
#define NP_TSO_OFF (NP_ETH_LEN + 20 + 20) /* Ethernet, IPv4, TCP without options */
#define NP_TSO_MSS 1448

enum np_kind {
	NP_DATA = 1,
	NP_HELLO,    /* guest: my RX ring is posted; a = 1 if frames are checked */
	NP_TX_DONE,  /* guest: phase a sent b data frames of c bytes */
	NP_RX_READY, /* guest: phase a wants frames of c bytes; b of them, or as many as you can (0)
		      */
	NP_RX_DONE,  /* guest: phase a got b frames; stop sending */
	NP_BYE,	     /* guest: finished, a = its exit status */
};

struct np_hdr {
	uint32_t magic;
	uint16_t kind;
	uint16_t phase;
	uint32_t seq; /* data: frame number within the phase; control: argument b */
	uint32_t len; /* data: the frame's length; control: argument c */
	uint32_t csum;
	uint32_t a; /* control: argument a */
};

#define NP_HDR_LEN ((uint32_t)sizeof(struct np_hdr))

/* A cheap byte stream that differs between frames and positions. */
static inline uint8_t np_byte(uint32_t seq, uint32_t i)
{
	uint32_t x = (seq + 1) * 2654435761U ^ (i + 1) * 40503U;

	return (uint8_t)(x ^ x >> 13 ^ x >> 24);
}

/* Fletcher-style: catches reordered as well as altered bytes. */
static inline uint32_t np_csum(const uint8_t *p, uint32_t n)
{
	uint32_t a = 1, b = 0;

	for (uint32_t i = 0; i < n; i++) {
		a = (a + p[i]) % 65521U;
		b = (b + a) % 65521U;
	}
	return b << 16 | a;
}

/* Fills a data frame's payload (after its np_hdr) and returns its csum. */
static inline uint32_t np_fill(uint8_t *payload, uint32_t n, uint32_t seq)
{
	for (uint32_t i = 0; i < n; i++)
		payload[i] = np_byte(seq, i);
	return np_csum(payload, n);
}

/* True if the payload is exactly what np_fill(seq) wrote and csum matches. */
static inline int np_check(const uint8_t *payload, uint32_t n, uint32_t seq, uint32_t csum)
{
	for (uint32_t i = 0; i < n; i++)
		if (payload[i] != np_byte(seq, i))
			return 0;
	return np_csum(payload, n) == csum;
}

#endif
