// SPDX-License-Identifier: MIT
/*
 * The test guest's virtio-net program (testguest.net=1 checks, =2 measures),
 * run against the host peer tests/bench/bench_net.c on the same TAP; the
 * protocol is guests/testguest/netproto.h. In phases, each announced to
 * the peer by a control frame:
 *   1, 2, 3  transmit frames of 64 and 1500 bytes, then (with HOST_TSO4)
 *            64 KiB IPv4/TCP frames for the TAP to segment;
 *   4, 5     receive 64- and 1500-byte frames the peer sends.
 * Checking (testguest.net=1), every frame is built and verified byte for
 * byte, receive frames must arrive in order, and the peer sends exactly
 * testguest.frames of them; measuring (=2), frames keep their bytes and
 * only their sequence number changes, and the peer sends as fast as it can
 * until the guest has testguest.frames. Results go to the serial port as
 * "TESTGUEST-NET:" lines; the exit status is 0 if every check passed.
 */
#include "guests/testguest/netproto.h"
#include "guests/testguest/tg.h"
#include "guests/testguest/vnet_driver.h"

#define IP_HDR_LEN  20
#define TCP_HDR_LEN 20

static struct vnet_drv d;
static int checking;
static uint64_t bad; /* frames that failed a check, either way */

static void put16be(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put16le(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static uint32_t get16be(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t get16le(const uint8_t *p)
{
	return (uint32_t)p[1] << 8 | p[0];
}

/* Byte copies: the protocol header sits at odd offsets in the frame. */
static void put_np(uint8_t *p, const struct np_hdr *h)
{
	const uint8_t *s = (const uint8_t *)h;

	for (uint32_t i = 0; i < NP_HDR_LEN; i++)
		p[i] = s[i];
}

static void get_np(const uint8_t *p, struct np_hdr *h)
{
	uint8_t *s = (uint8_t *)h;

	for (uint32_t i = 0; i < NP_HDR_LEN; i++)
		s[i] = p[i];
}

static uint32_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/*
 * The virtio-net header and the Ethernet (and for TSO, IPv4 and TCP)
 * headers of a frame of flen bytes in buf. A TSO frame asks the device to
 * cut it into NP_TSO_MSS segments with the TCP checksum filled in: its
 * checksum field holds the pseudo-header sum, as Linux leaves it.
 */
static void put_headers(uint8_t *buf, uint32_t flen, int tso)
{
	uint8_t *f = buf + VN_HDR_LEN;

	for (int i = 0; i < VN_HDR_LEN; i++)
		buf[i] = 0;
	for (int i = 0; i < 6; i++) {
		f[i] = 0xff;
		f[6 + i] = d.mac[i];
	}
	put16be(f + 12, tso ? 0x0800 : NP_ETH_G2H);
	if (tso) {
		uint8_t *ip = f + NP_ETH_LEN, *tcp = ip + IP_HDR_LEN;
		static const uint8_t addrs[8] = {10, 99, 0, 2, 10, 99, 0, 1};
		uint32_t sum = 0, tcp_len = flen - NP_ETH_LEN - IP_HDR_LEN;

		buf[0] = 1;				   /* NEEDS_CSUM */
		buf[1] = 1;				   /* GSO_TCPV4 */
		put16le(buf + 2, NP_TSO_OFF);		   /* hdr_len */
		put16le(buf + 4, NP_TSO_MSS);		   /* gso_size */
		put16le(buf + 6, NP_ETH_LEN + IP_HDR_LEN); /* csum_start */
		put16le(buf + 8, 16);			   /* csum_offset */
		for (int i = 0; i < IP_HDR_LEN + TCP_HDR_LEN; i++)
			ip[i] = 0;
		ip[0] = 0x45;
		put16be(ip + 2, flen - NP_ETH_LEN);
		ip[6] = 0x40; /* DF */
		ip[8] = 64;
		ip[9] = 6;
		for (int i = 0; i < 8; i++)
			ip[12 + i] = addrs[i];
		for (int i = 0; i < IP_HDR_LEN; i += 2)
			sum += get16be(ip + i);
		put16be(ip + 10, ~fold(sum) & 0xffff);
		put16be(tcp, 40000);
		put16be(tcp + 2, 9); /* discard */
		tcp[12] = 0x50;
		tcp[13] = 0x18; /* PSH | ACK */
		put16be(tcp + 14, 0xffff);
		sum = 0;
		for (int i = 0; i < 8; i += 2)
			sum += get16be(addrs + i);
		put16be(tcp + 16, fold(sum + 6 + tcp_len));
	}
}

/* A whole data frame: headers, protocol header, payload of seq. */
static void put_data(uint8_t *buf, uint32_t phase, uint32_t seq, uint32_t flen, int tso)
{
	uint32_t off = tso ? NP_TSO_OFF : NP_ETH_LEN;
	uint8_t *f = buf + VN_HDR_LEN;
	struct np_hdr h = {NP_MAGIC, NP_DATA, (uint16_t)phase, seq, flen, 0, 0};

	put_headers(buf, flen, tso);
	h.csum = np_fill(f + off + NP_HDR_LEN, flen - off - NP_HDR_LEN, seq);
	put_np(f + off, &h);
}

/* Where a data frame's sequence number is, for the measuring loop. */
static void put_seq(uint8_t *buf, uint32_t seq, int tso)
{
	uint8_t *p = buf + VN_HDR_LEN + (tso ? NP_TSO_OFF : NP_ETH_LEN) + 8;

	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(seq >> 8 * i);
}

static int get_slot(int tso)
{
	int slot;

	while ((slot = vn_tx_get(&d, tso)) < 0)
		if (!vn_tx_reap(&d))
			__asm__ volatile("pause");
	return slot;
}

static void tx_drain(void)
{
	while (vn_tx_inflight(&d))
		if (!vn_tx_reap(&d))
			__asm__ volatile("pause");
}

static void send_ctrl(uint32_t kind, uint32_t phase, uint32_t a, uint32_t b, uint32_t c)
{
	int slot = get_slot(0);
	uint8_t *buf = vn_tx_buf(&d, slot);
	struct np_hdr h = {NP_MAGIC, (uint16_t)kind, (uint16_t)phase, b, c, 0, a};

	put_headers(buf, 64, 0);
	for (uint32_t i = NP_ETH_LEN + NP_HDR_LEN; i < 64; i++)
		buf[VN_HDR_LEN + i] = 0;
	put_np(buf + VN_HDR_LEN + NP_ETH_LEN, &h);
	vn_tx_submit(&d, slot, 64);
	vn_tx_kick(&d);
}

static void result(const char *dir, uint32_t phase, uint32_t flen, uint32_t frames, uint64_t cycles)
{
	tg_puts("TESTGUEST-NET: ");
	tg_puts(dir);
	tg_puts(" phase=");
	tg_putu(phase);
	tg_puts(" frame=");
	tg_putu(flen);
	tg_puts(" frames=");
	tg_putu(frames);
	tg_puts(" cycles=");
	tg_putu(cycles);
}

static void tx_phase(uint32_t phase, uint32_t flen, uint32_t count, int tso)
{
	uint64_t t0, t1;

	/* Measuring, the bytes are written once per buffer: the guest's own
	 * work per frame is then the same under every VMM, and small. */
	if (!checking) {
		if (tso)
			for (int i = 0; i < VN_TSO_SLOTS; i++)
				put_data(vn_tso_buf(i), phase, 0, flen, 1);
		else
			for (int i = 0; i < VN_QSIZE; i++)
				put_data(vn_tx_buf(&d, i), phase, 0, flen, 0);
	}
	t0 = tg_rdtsc();
	for (uint32_t seq = 0; seq < count; seq++) {
		int slot = get_slot(tso);
		uint8_t *buf = vn_tx_buf(&d, slot);

		if (checking)
			put_data(buf, phase, seq, flen, tso);
		else
			put_seq(buf, seq, tso);
		vn_tx_submit(&d, slot, flen);
		vn_tx_kick(&d);
	}
	tx_drain();
	t1 = tg_rdtsc();
	send_ctrl(NP_TX_DONE, phase, phase, count, flen);
	result("tx", phase, flen, count, t1 - t0);
	tg_puts("\n");
}

/* A received data frame of this phase, checked if we check; false if not ours. */
static int rx_frame(const uint8_t *buf, uint32_t len, uint32_t phase, uint32_t flen,
		    uint32_t expect, uint32_t *seq)
{
	const uint8_t *f = buf + VN_HDR_LEN;
	uint32_t n = len - VN_HDR_LEN;
	struct np_hdr h;

	/* A length past the buffer is the device's error; checking it would
	 * read the next buffer. */
	if (len > VN_RXBUF) {
		bad++;
		return 0;
	}
	if (len < VN_HDR_LEN + NP_ETH_LEN + NP_HDR_LEN || get16be(f + 12) != NP_ETH_H2G)
		return 0;
	get_np(f + NP_ETH_LEN, &h);
	if (h.magic != NP_MAGIC || h.kind != NP_DATA || h.phase != phase)
		return 0;
	*seq = h.seq;
	/* One buffer per frame, no offload flags (none negotiated), every byte
	 * as the peer built it, and the peer's order kept. */
	if (checking &&
	    (get16le(buf + 10) != 1 || buf[1] != 0 || n != flen || h.len != flen ||
	     h.seq != expect ||
	     !np_check(f + NP_ETH_LEN + NP_HDR_LEN, n - NP_ETH_LEN - NP_HDR_LEN, h.seq, h.csum)))
		bad++;
	return 1;
}

static void rx_phase(uint32_t phase, uint32_t flen, uint32_t count)
{
	uint32_t got = 0, next = 0, gaps = 0, others = 0;
	uint64_t t0 = 0, t1;

	send_ctrl(NP_RX_READY, phase, phase, checking ? count : 0, flen);
	while (got < count) {
		int n = vn_rx_poll(&d);

		if (!n) {
			__asm__ volatile("pause");
			continue;
		}
		/* Every buffer goes back, frames past the count included: a
		 * buffer kept would be gone from the ring for the next phase. */
		for (int k = 0; k < n; k++) {
			uint16_t head = d.rx.done_head[k];
			uint32_t seq;

			if (!rx_frame(vn_rx_buf(head), d.rx.done_len[k], phase, flen, got, &seq)) {
				others++;
			} else if (got < count) {
				if (!got)
					t0 = tg_rdtsc();
				/* Measuring, the peer outruns us: count what it lost. */
				if (seq > next)
					gaps += seq - next;
				next = seq + 1;
				got++;
			}
			vn_rx_recycle(&d, head);
		}
		vn_rx_kick(&d);
	}
	t1 = tg_rdtsc();
	send_ctrl(NP_RX_DONE, phase, phase, got, flen);
	result("rx", phase, flen, got, t1 - t0);
	tg_puts(" lost=");
	tg_putu(gaps);
	tg_puts(" others=");
	tg_putu(others);
	tg_puts("\n");
}

void net_main(const char *cmdline, int mode)
{
	uint32_t frames;
	uint64_t base = 0;
	int rc = -1, status;

	checking = mode == 1;
	frames = (uint32_t)tg_opt(cmdline, "testguest.frames=", checking ? 256 : 100000);
	for (int n = 0; rc == -1 && (base = tg_device_base(cmdline, n)) != 0; n++)
		rc = vn_init(&d, base, tg_opt(cmdline, "testguest.in_order=", 1),
			     tg_opt(cmdline, "testguest.event_idx=", 1),
			     tg_opt(cmdline, "testguest.packed=", 0));
	if (rc) {
		tg_puts(rc == -1 ? "TESTGUEST: no virtio-net device\n"
				 : "TESTGUEST: virtio-net init failed\n");
		tg_exit(rc == -1 ? 2 : 3);
	}
	tg_puts("TESTGUEST: virtio-net at ");
	tg_putx(base);
	tg_puts(" in_order=");
	tg_putu((uint64_t)d.in_order);
	tg_puts(" event_idx=");
	tg_putu((uint64_t)d.event_idx);
	tg_puts(" tso=");
	tg_putu((uint64_t)d.tso);
	if (d.packed)
		tg_puts(" ring=packed");
	tg_puts(checking ? " checking\n" : " measuring\n");
	if (!checking)
		tg_puts("TESTGUEST-NET: cycles are TSC cycles at CPL3\n");
	send_ctrl(NP_HELLO, 0, (uint32_t)checking, 0, 0);
	tx_phase(1, 64, frames, 0);
	tx_phase(2, 1500, frames, 0);
	if (d.tso)
		tx_phase(3, 65536, frames / 8 ? frames / 8 : 1, 1);
	rx_phase(4, 64, frames);
	rx_phase(5, 1500, frames);
	status = bad || d.bad_ids ? 1 : 0;
	tg_puts("TESTGUEST-NET: ");
	tg_puts(status ? "FAILED" : "ok");
	tg_puts(" bad=");
	tg_putu(bad);
	tg_puts(" bad_ids=");
	tg_putu(d.bad_ids);
	tg_puts("\n");
	/* The peer has every frame before we end: the TAP took the last one. */
	send_ctrl(NP_BYE, 0, (uint32_t)status, 0, 0);
	tx_drain();
	tg_exit(status);
}
