// SPDX-License-Identifier: MIT
/*
 * The user-mode network (devices/net_backend_slirp.c) under the real
 * virtio-net device, driven by the mock Linux driver as in
 * test_net_backend.c: no root, no TAP, no guest kernel. The "guest" is this
 * test, writing Ethernet frames by hand into the transmit ring and reading
 * what libslirp answers from the receive ring. The slirp thread runs under
 * its own seccomp filter (SECCOMP_THREAD_SLIRP), so a call missing from
 * that list kills the test.
 *
 * - ARP: who has the gateway (net .2)? slirp answers, from the gateway;
 * - DHCP: a DISCOVER gets an OFFER of the network's .15 (net= is honoured:
 *   the network is not slirp's default);
 * - hostfwd: a host TCP connection to the forwarded port makes slirp open
 *   a connection to the guest: a SYN to the guest's port;
 * - UDP: a datagram to the gateway reaches the host's loopback, and the
 *   answer comes back (after a DNS query that makes slirp read resolv.conf).
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "devices/dev_thread.h"
#include "devices/net_backend.h"
#include "devices/net_hdr.h"
#include "devices/virtio_dev.h"
#include "devices/virtio_net.h"
#include "tests/unit/check_run.h"
#include "tests/unit/mock_driver.h"
#include "tests/unit/mock_mmio.h"
#include "virtio/mmio.h"
#include "vmm/core/seccomp.h"

#define QSIZE	    16
#define RX_GPA	    0x100000
#define TX_GPA	    0x400000
#define RX_SEGS	    3 /* 1536 bytes a receive buffer: slirp's largest frame and its header */
#define FRAME_MAX   (RX_SEGS * MOCK_SEG_BYTES)
#define IRQ_WAIT_MS 30000 /* a bound for a device or slirp that never answers */
/* Frames to look through for the one a case waits for (slirp may send others). */
#define MAX_SKIP 32

/* 192.168.77.0/24: not slirp's default, so net= must have been taken. */
#define NET	  0xc0a84d00u
#define GATEWAY	  (NET | 2)
#define GUEST	  (NET | 15)
#define GUESTPORT 2222

static const uint8_t guest_mac[6] = {0x52, 0x54, 0, 0x12, 0x34, 0x56};

struct rig {
	struct mock_driver rx, tx;
	struct guest_mem gm;
	struct virtio_dev *dev;
	int kick_fds[2], irq_fd;
	uint64_t tx_cookie;
};

/*
 * The slirp thread's first call: its filter, as minivmm installs it. Not
 * under ASan or TSan, whose runtimes make calls of their own on the thread
 * (sigaltstack as it ends) that no list has: the plain unit build checks
 * the filter.
 */
static int slirp_prologue(void *arg)
{
	(void)arg;
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	return 0;
#else
	if (!seccomp_supported())
		return 0;
	return seccomp_install(MINIVMM_SECCOMP_ON, SECCOMP_THREAD_SLIRP, "slirp");
#endif
}

static void post_rx(struct rig *r)
{
	uint32_t seg[RX_SEGS] = {MOCK_SEG_BYTES, MOCK_SEG_BYTES, MOCK_SEG_BYTES};
	/* The cookie is the head the buffer takes: where its bytes are. */
	ck_assert_int_ge(mock_add(&r->rx, NULL, 0, seg, RX_SEGS, false, r->rx.free_head), 0);
}

/*
 * The device on a user-mode network NET/24, forwarding fwd_port (0: none)
 * to GUESTPORT; VERSION_1 only (the backend offers no offload); every
 * receive buffer posted.
 */
static int rig_create(struct rig *r, uint16_t fwd_port, char *err, size_t err_len)
{
	struct net_user_fwd fwd = {
		.host_addr = INADDR_LOOPBACK, .host_port = fwd_port, .guest_port = GUESTPORT};
	struct net_user_options u = {
		.net = NET, .prefix = 24, .fwd = &fwd, .n_fwd = fwd_port ? 1 : 0};
	uint64_t want = 1ULL << VIRTIO_F_VERSION_1;
	struct vnet_options o = {.in_order = true};
	struct virtio_dev_env env;
	struct net_backend *be;
	struct vmmio *m;
	int rc;

	memset(r, 0, sizeof(*r));
	memcpy(o.mac, guest_mac, 6);
	rc = net_backend_slirp_create(&u, &be, err, err_len);
	if (rc)
		return rc;
	ck_assert_str_eq(be->label, "user");
	ck_assert_uint_eq(be->features, 0);
	ck_assert_int_eq(mock_init(&r->rx, QSIZE, want, RX_GPA), 0);
	ck_assert_int_eq(mock_init(&r->tx, QSIZE, want, TX_GPA), 0);
	gm_init(&r->gm);
	ck_assert_int_eq(gm_add_region(&r->gm, RX_GPA, r->rx.ram_size, r->rx.ram), 0);
	ck_assert_int_eq(gm_add_region(&r->gm, TX_GPA, r->tx.ram_size, r->tx.ram), 0);
	for (int q = 0; q < 2; q++) {
		r->kick_fds[q] = eventfd(0, EFD_CLOEXEC);
		ck_assert_int_ge(r->kick_fds[q], 0);
	}
	r->irq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ck_assert_int_ge(r->irq_fd, 0);
	env = (struct virtio_dev_env){.gm = &r->gm, .kick_fds = r->kick_fds, .irq_fd = r->irq_fd};
	ck_assert_msg(vnet_create_on(&o, be, &env, &r->dev, err, err_len) == 0,
		      "vnet_create_on: %s", err);
	virtio_dev_thread(r->dev)->helper_prologue = slirp_prologue;
	ck_assert_int_eq(virtio_dev_start(r->dev), 0);
	m = virtio_dev_mmio(r->dev);
	ck_assert_uint_eq(mock_mmio_r(m, VMMIO_DEVICE_ID), VIRTIO_ID_NET);
	ck_assert(mock_mmio_negotiate(m, want));
	ck_assert(mock_mmio_queue(m, VNET_RXQ, QSIZE, r->rx.desc_gpa, r->rx.avail_gpa,
				  r->rx.used_gpa));
	ck_assert(mock_mmio_queue(m, VNET_TXQ, QSIZE, r->tx.desc_gpa, r->tx.avail_gpa,
				  r->tx.used_gpa));
	ck_assert(mock_mmio_driver_ok(m));
	/* Each buffer takes RX_SEGS descriptors; room for one more in the ring. */
	for (unsigned int i = 0; i < QSIZE / RX_SEGS - 1; i++)
		post_rx(r);
	ck_assert_int_eq(eventfd_write(r->kick_fds[VNET_RXQ], 1), 0);
	return 0;
}

static void rig_destroy(struct rig *r)
{
	virtio_dev_destroy(r->dev);
	for (int q = 0; q < 2; q++)
		close(r->kick_fds[q]);
	close(r->irq_fd);
	mock_free(&r->rx);
	mock_free(&r->tx);
}

static uint8_t *host(struct mock_driver *md, uint64_t gpa)
{
	return md->ram + (gpa - md->ram_gpa);
}

/* One buffer of md back from the device: its cookie and length. */
static void reap_one(struct rig *r, struct mock_driver *md, uint64_t *cookie, uint32_t *len)
{
	for (;;) {
		struct pollfd p = {.fd = r->irq_fd, .events = POLLIN};
		uint64_t v;
		int k = mock_get(md, cookie, len);

		ck_assert_msg(k >= 0, "driver: %s", md->why);
		if (k == 1)
			return;
		ck_assert_msg(poll(&p, 1, IRQ_WAIT_MS) == 1, "no interrupt in %d ms", IRQ_WAIT_MS);
		ck_assert_int_eq(read(r->irq_fd, &v, sizeof(v)), sizeof(v));
	}
}

/* The guest sends frame (Ethernet header on): a zero header ahead of it. */
static void send_frame(struct rig *r, const uint8_t *frame, uint32_t len)
{
	uint8_t pkt[VNET_HDR_LEN + FRAME_MAX];
	uint32_t segs[RX_SEGS], total = VNET_HDR_LEN + len, off = 0;
	unsigned int n = 0;
	uint64_t cookie;
	uint32_t ulen;

	ck_assert_uint_le(len, FRAME_MAX - VNET_HDR_LEN);
	memset(pkt, 0, VNET_HDR_LEN);
	memcpy(pkt + VNET_HDR_LEN, frame, len);
	for (; off < total; n++) {
		segs[n] = total - off < MOCK_SEG_BYTES ? total - off : MOCK_SEG_BYTES;
		memcpy(host(&r->tx, mock_seg_gpa(&r->tx, r->tx.free_head, n)), pkt + off, segs[n]);
		off += segs[n];
	}
	ck_assert_int_ge(mock_add(&r->tx, segs, n, NULL, 0, false, ++r->tx_cookie), 0);
	ck_assert_int_eq(eventfd_write(r->kick_fds[VNET_TXQ], 1), 0);
	reap_one(r, &r->tx, &cookie, &ulen);
	ck_assert_uint_eq(cookie, r->tx_cookie);
}

/* The next frame the guest receives (header checked and cut off); its length. */
static uint32_t recv_frame(struct rig *r, uint8_t *frame)
{
	uint8_t pkt[FRAME_MAX];
	uint64_t head;
	uint32_t len, off = 0;
	struct vnet_hdr h;

	reap_one(r, &r->rx, &head, &len);
	ck_assert_uint_ge(len, VNET_HDR_LEN + 14);
	ck_assert_uint_le(len, FRAME_MAX);
	for (unsigned int s = 0; off < len; s++) {
		uint32_t c = len - off < MOCK_SEG_BYTES ? len - off : MOCK_SEG_BYTES;

		memcpy(pkt + off, host(&r->rx, mock_seg_gpa(&r->rx, (uint16_t)head, s)), c);
		off += c;
	}
	vnet_hdr_decode(pkt, &h);
	ck_assert_uint_eq(h.flags, 0);
	ck_assert_uint_eq(h.gso_type, VNET_GSO_NONE);
	memcpy(frame, pkt + VNET_HDR_LEN, len - VNET_HDR_LEN);
	post_rx(r);
	ck_assert_int_eq(eventfd_write(r->kick_fds[VNET_RXQ], 1), 0);
	return len - VNET_HDR_LEN;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static void eth_header(uint8_t *f, const uint8_t *dst, uint16_t type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, guest_mac, 6);
	put16(f + 12, type);
}

/* "Who has ip? Tell GUEST": also puts the guest in slirp's ARP table. */
static uint32_t arp_request(uint8_t *f, uint32_t ip)
{
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	uint8_t *a = f + 14;

	memset(f, 0, 60);
	eth_header(f, bcast, 0x0806);
	put16(a, 1);	      /* Ethernet */
	put16(a + 2, 0x0800); /* IPv4 */
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, 1); /* request */
	memcpy(a + 8, guest_mac, 6);
	put32(a + 14, GUEST);
	put32(a + 24, ip);
	return 60; /* padded to Ethernet's minimum */
}

static uint16_t ip_checksum(const uint8_t *p, unsigned int n)
{
	uint32_t sum = 0;

	for (unsigned int i = 0; i < n; i += 2)
		sum += get16(p + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

#define DHCP_XID 0x5eed1234u

/* A DHCPDISCOVER from 0.0.0.0:68 to 255.255.255.255:67 (a BOOTP area of 548 bytes). */
static uint32_t dhcp_discover(uint8_t *f)
{
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	const uint32_t bootp_len = 236 + 312, udp_len = 8 + bootp_len, ip_len = 20 + udp_len;
	uint8_t *ip = f + 14, *udp = ip + 20, *b = udp + 8;

	memset(f, 0, 14 + ip_len);
	eth_header(f, bcast, 0x0800);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)ip_len);
	ip[8] = 64;
	ip[9] = 17; /* UDP */
	put32(ip + 16, 0xffffffffu);
	put16(ip + 10, ip_checksum(ip, 20));
	put16(udp, 68);
	put16(udp + 2, 67);
	put16(udp + 4, (uint16_t)udp_len); /* checksum 0: none */
	b[0] = 1;			   /* BOOTREQUEST */
	b[1] = 1;
	b[2] = 6;
	put32(b + 4, DHCP_XID);
	memcpy(b + 28, guest_mac, 6);
	put32(b + 236, 0x63825363u); /* the DHCP cookie */
	b[240] = 53;		     /* message type: DISCOVER */
	b[241] = 1;
	b[242] = 1;
	b[243] = 255;
	return 14 + ip_len;
}

/* An IPv4 frame's protocol header, or NULL if it is not IPv4 with protocol proto. */
static const uint8_t *ip_payload(const uint8_t *f, uint32_t len, uint8_t proto)
{
	const uint8_t *ip = f + 14;

	if (len < 14 + 20 || get16(f + 12) != 0x0800 || (ip[0] >> 4) != 4 || ip[9] != proto)
		return NULL;
	if (len < 14 + (uint32_t)(ip[0] & 15) * 4 + 8)
		return NULL;
	return ip + (ip[0] & 15) * 4;
}

/* The gateway answers an ARP request for it, to the guest. */
START_TEST(slirp_answers_arp)
{
	uint8_t f[FRAME_MAX];
	char err[160] = "";
	uint32_t len;
	struct rig r;

	ck_assert_msg(rig_create(&r, 0, err, sizeof(err)) == 0, "%s", err);
	send_frame(&r, f, arp_request(f, GATEWAY));
	for (unsigned int i = 0;; i++) {
		ck_assert_msg(i < MAX_SKIP, "no ARP reply in %d frames", MAX_SKIP);
		len = recv_frame(&r, f);
		if (get16(f + 12) == 0x0806 && get16(f + 14 + 6) == 2)
			break;
	}
	ck_assert_uint_ge(len, 14 + 28);
	ck_assert_mem_eq(f, guest_mac, 6);		/* to the guest */
	ck_assert_uint_eq(get32(f + 14 + 14), GATEWAY); /* the gateway's own */
	ck_assert_mem_eq(f + 14 + 18, guest_mac, 6);
	ck_assert_uint_eq(get32(f + 14 + 24), GUEST);
	rig_destroy(&r);
}
END_TEST

/* DHCP: a DISCOVER is offered the network's .15, by the gateway. */
START_TEST(slirp_offers_dhcp)
{
	uint8_t f[FRAME_MAX];
	const uint8_t *udp = NULL, *b;
	char err[160] = "";
	uint32_t len = 0;
	struct rig r;

	ck_assert_msg(rig_create(&r, 0, err, sizeof(err)) == 0, "%s", err);
	send_frame(&r, f, dhcp_discover(f));
	for (unsigned int i = 0; !udp || get16(udp) != 67; i++) {
		ck_assert_msg(i < MAX_SKIP, "no DHCP reply in %d frames", MAX_SKIP);
		len = recv_frame(&r, f);
		udp = ip_payload(f, len, 17);
	}
	ck_assert_uint_eq(get16(udp + 2), 68);
	ck_assert_uint_ge(len, (uint32_t)(udp - f) + 8 + 243);
	ck_assert_uint_eq(get32(f + 14 + 12), GATEWAY); /* from the gateway */
	b = udp + 8;
	ck_assert_uint_eq(b[0], 2); /* BOOTREPLY */
	ck_assert_uint_eq(get32(b + 4), DHCP_XID);
	ck_assert_uint_eq(get32(b + 16), GUEST); /* yiaddr */
	ck_assert_mem_eq(b + 28, guest_mac, 6);
	ck_assert_uint_eq(get32(b + 236), 0x63825363u);
	/* Its first option: message type OFFER. */
	ck_assert_uint_eq(b[240], 53);
	ck_assert_uint_eq(b[242], 2);
	rig_destroy(&r);
}
END_TEST

/* A free port for the forward: what the kernel picks for port 0 (-1: none). */
static int free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = -1;

	if (s >= 0 && bind(s, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(s, (struct sockaddr *)&a, &al) == 0)
		port = ntohs(a.sin_port);
	if (s >= 0)
		close(s);
	return port;
}

/*
 * hostfwd: a host connection to the forwarded port becomes slirp's
 * connection to the guest: a SYN (no ACK) from the gateway's side to
 * GUEST:GUESTPORT. And a port already forwarded cannot be again: the
 * second network's create fails with EADDRINUSE, one line naming it.
 */
START_TEST(slirp_forwards_host_port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct net_user_fwd fwd = {.host_addr = INADDR_LOOPBACK, .guest_port = GUESTPORT};
	struct net_user_options u = {.net = NET, .prefix = 24, .fwd = &fwd, .n_fwd = 1};
	struct net_backend *second;
	const uint8_t *tcp = NULL;
	uint8_t f[FRAME_MAX];
	char err[160] = "", want[80];
	int rc = -EADDRINUSE, port = -1, c;
	struct rig r;

	/* Another process may take the port between free_port and the bind: try again. */
	for (unsigned int tries = 0; rc == -EADDRINUSE && tries < 10; tries++) {
		port = free_port();
		ck_assert_int_gt(port, 0);
		rc = rig_create(&r, (uint16_t)port, err, sizeof(err));
	}
	ck_assert_msg(rc == 0, "%s", err);
	fwd.host_port = (uint16_t)port;
	ck_assert_int_eq(net_backend_slirp_create(&u, &second, err, sizeof(err)), -EADDRINUSE);
	snprintf(want, sizeof(want), "cannot forward host port 127.0.0.1:%d: ", port);
	ck_assert_msg(strstr(err, want), "%s", err);
	/* The guest is known to slirp (its ARP table) before anything is sent to it. */
	send_frame(&r, f, arp_request(f, GATEWAY));
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	ck_assert_int_ge(c, 0);
	a.sin_port = htons((uint16_t)port);
	ck_assert(connect(c, (struct sockaddr *)&a, sizeof(a)) == 0 || errno == EINPROGRESS);
	for (unsigned int i = 0; !tcp; i++) {
		uint32_t len;

		ck_assert_msg(i < MAX_SKIP, "no TCP frame in %d frames", MAX_SKIP);
		len = recv_frame(&r, f);
		/* slirp asks for the guest's address unless it knows it: answer. */
		if (get16(f + 12) == 0x0806 && get16(f + 14 + 6) == 1 &&
		    get32(f + 14 + 24) == GUEST) {
			uint8_t reply[60];

			arp_request(reply, get32(f + 14 + 14));
			memcpy(reply, f + 6, 6);
			put16(reply + 14 + 6, 2);
			memcpy(reply + 14 + 18, f + 14 + 8, 6);
			send_frame(&r, reply, 60);
			continue;
		}
		tcp = ip_payload(f, len, 6);
	}
	ck_assert_uint_eq(get32(f + 14 + 16), GUEST);
	ck_assert_uint_eq(get16(tcp + 2), GUESTPORT);
	ck_assert_uint_eq(tcp[13] & 0x12, 0x02); /* SYN, no ACK */
	close(c);
	rig_destroy(&r);
}
END_TEST

/* A UDP datagram from GUEST:sport to dst:dport with payload, checksum 0 (none). */
static uint32_t udp_frame(uint8_t *f, uint32_t dst, uint16_t sport, uint16_t dport,
			  const void *payload, uint16_t n)
{
	static const uint8_t gw_mac[6] = {0x52, 0x55, 0, 0, 0, 0}; /* slirp ignores it */
	uint8_t *ip = f + 14, *udp = ip + 20;

	memset(f, 0, 14 + 28);
	eth_header(f, gw_mac, 0x0800);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(28 + n));
	ip[8] = 64;
	ip[9] = 17;
	put32(ip + 12, GUEST);
	put32(ip + 16, dst);
	put16(ip + 10, ip_checksum(ip, 20));
	put16(udp, sport);
	put16(udp + 2, dport);
	put16(udp + 4, (uint16_t)(8 + n));
	memcpy(udp + 8, payload, n);
	return 14 + 28 + n;
}

/*
 * Outbound UDP: a datagram to the gateway reaches the host's 127.0.0.1 as
 * minivmm's own socket, and the host's answer comes back to the guest's
 * port. Before it, a DNS query to the forwarder (.3): slirp reads the
 * host's resolv.conf for it, under the filter (whether an answer comes
 * depends on the host's network: not looked at).
 */
START_TEST(slirp_carries_udp)
{
	static const char q[] = "ping from the guest", a[] = "pong from the host";
	static const uint8_t dns[] = {
		0x12, 0x34, 1,	 0,   0,   1,	0,   0,	  0, 0,	  0,   0, /* header */
		7,    'e',  'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm',
		0,    0,    1,	 0,   1}; /* A? example.com */
	struct sockaddr_in h = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)},
			   from;
	socklen_t hl = sizeof(h), fl = sizeof(from);
	struct pollfd p;
	uint8_t f[FRAME_MAX];
	char err[160] = "", got[64];
	const uint8_t *udp = NULL;
	struct rig r;
	ssize_t n;
	int u;

	ck_assert_msg(rig_create(&r, 0, err, sizeof(err)) == 0, "%s", err);
	u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(u, 0);
	ck_assert_int_eq(bind(u, (struct sockaddr *)&h, sizeof(h)), 0);
	ck_assert_int_eq(getsockname(u, (struct sockaddr *)&h, &hl), 0);
	send_frame(&r, f, arp_request(f, GATEWAY));
	send_frame(&r, f, udp_frame(f, NET | 3, 5353, 53, dns, sizeof(dns)));
	send_frame(&r, f, udp_frame(f, GATEWAY, 4000, ntohs(h.sin_port), q, sizeof(q)));
	p = (struct pollfd){.fd = u, .events = POLLIN};
	ck_assert_msg(poll(&p, 1, IRQ_WAIT_MS) == 1, "no datagram on the host in %d ms",
		      IRQ_WAIT_MS);
	n = recvfrom(u, got, sizeof(got), 0, (struct sockaddr *)&from, &fl);
	ck_assert_int_eq(n, sizeof(q));
	ck_assert_mem_eq(got, q, sizeof(q));
	ck_assert_int_eq(sendto(u, a, sizeof(a), 0, (struct sockaddr *)&from, fl), sizeof(a));
	for (unsigned int i = 0; !udp || get16(udp + 2) != 4000; i++) {
		uint32_t len;

		ck_assert_msg(i < MAX_SKIP, "no answer in %d frames", MAX_SKIP);
		len = recv_frame(&r, f);
		udp = ip_payload(f, len, 17);
	}
	ck_assert_uint_eq(get32(f + 14 + 12), GATEWAY); /* from where the guest sent it */
	ck_assert_uint_eq(get32(f + 14 + 16), GUEST);
	ck_assert_uint_eq(get16(udp), ntohs(h.sin_port));
	ck_assert_uint_eq(get16(udp + 4), 8 + sizeof(a));
	ck_assert_mem_eq(udp + 8, a, sizeof(a));
	close(u);
	rig_destroy(&r);
}
END_TEST

/* Bad networks are refused before anything starts. */
START_TEST(slirp_refuses_bad_prefix)
{
	struct net_user_options u = {.net = NET, .prefix = 30};
	struct net_backend *be;
	char err[160] = "";

	ck_assert_int_eq(net_backend_slirp_create(&u, &be, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_null(be);
	ck_assert_msg(strstr(err, "/30"), "%s", err);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("net_slirp");
	TCase *tc = tcase_create("slirp");

	/* Above IRQ_WAIT_MS, so that a device that never answers fails by name. */
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, slirp_answers_arp);
	tcase_add_test(tc, slirp_offers_dhcp);
	tcase_add_test(tc, slirp_forwards_host_port);
	tcase_add_test(tc, slirp_carries_udp);
	tcase_add_test(tc, slirp_refuses_bad_prefix);
	suite_add_tcase(s, tc);
	return check_run(s);
}
