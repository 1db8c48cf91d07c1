// SPDX-License-Identifier: MIT
/*
 * The host peer of the test guest's virtio-net program
 * (guests/testguest/net_main.c; protocol in guests/testguest/netproto.h):
 *
 *   bench_net tap NAME
 *       creates the persistent TAP NAME (IFF_VNET_HDR, as minivmm and QEMU
 *       attach to it), turns IPv6 off on it (no router solicitations in the
 *       guest's way) and brings it up. Run it in a network namespace of the
 *       caller's own: the TAP goes away with the namespace.
 *   bench_net check|bench NAME -- COMMAND [ARG...]
 *       runs COMMAND (a VMM running the test guest on NAME) and serves the
 *       guest on NAME's host side with one AF_PACKET socket: counts (check:
 *       verifies byte for byte) the frames the guest sends, and sends the
 *       frames the guest asks for (check: exactly as many; bench: as fast
 *       as plain sendmmsg batches go, until the guest has enough). Prints
 *       "NETPEER:" lines; exits with COMMAND's status, or 1 if COMMAND
 *       succeeded but a check here failed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guests/testguest/netproto.h"

#define MAX_PHASES  8
#define MAX_CHECKED 65536 /* sequence numbers a checked phase may use */
#define VLEN	    32	  /* frames per recvmmsg/sendmmsg */
#define RX_BUF	    (65536 + 512)
#define RCVBUF	    (64 << 20)

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

struct phase {
	bool tx_done, rx_done, flooding;
	uint32_t frame;
	uint64_t received, bad, dup, reordered, sent, guest_count;
	uint32_t last_seq;
	bool have_last;
	uint8_t seen[MAX_CHECKED / 8];
};

static struct phase ph[MAX_PHASES];
static bool checking, hello, bye;
static uint32_t bye_status;
static uint64_t foreign;
static int sock;
static struct sockaddr_ll dst;
static const char *fail_reason;

static int make_tap(const char *name)
{
	struct ifreq ifr;
	char path[128];
	int fd = open("/dev/net/tun", O_RDWR), s;

	if (fd < 0) {
		perror("bench_net: /dev/net/tun");
		return 1;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0 || ioctl(fd, TUNSETPERSIST, 1) < 0) {
		perror("bench_net: TUNSETIFF/TUNSETPERSIST");
		return 1;
	}
	close(fd);
	/* Best effort: a host without IPv6 has nothing to turn off. */
	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", name);
	fd = open(path, O_WRONLY);
	if (fd >= 0) {
		if (write(fd, "1", 1) != 1)
			perror("bench_net: disable_ipv6");
		close(fd);
	}
	s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
		perror("bench_net: SIOCGIFFLAGS");
		return 1;
	}
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) {
		perror("bench_net: SIOCSIFFLAGS");
		return 1;
	}
	close(s);
	return 0;
}

/*
 * Our lines wait until the command has ended: it writes to the same file,
 * one byte at a time when it is a guest's console, and a line of ours in
 * the middle of one of its lines would hide both from a reader.
 */
static char report[16384];
static size_t report_len;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	size_t room = sizeof(report) - report_len;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = snprintf(report + report_len, room, "NETPEER: ");
	if (n >= 0 && (size_t)n < room)
		n += vsnprintf(report + report_len + n, room - (size_t)n, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n + 1 < room) {
		report_len += (size_t)n;
		report[report_len++] = '\n';
	}
}

static void report_flush(void)
{
	fwrite(report, 1, report_len, stdout);
	fflush(stdout);
	report_len = 0;
}

static void failed(const char *why)
{
	if (!fail_reason)
		fail_reason = why;
}

/* Builds host-to-guest data frame seq of phase p, flen bytes, into f. */
static void build(uint8_t *f, uint32_t p, uint32_t seq, uint32_t flen)
{
	struct np_hdr h = {NP_MAGIC, NP_DATA, (uint16_t)p, seq, flen, 0, 0};

	memset(f, 0xff, 6);
	memcpy(f + 6, "\x02\0\0\0\0\x01", 6);
	f[12] = NP_ETH_H2G >> 8;
	f[13] = NP_ETH_H2G & 0xff;
	h.csum = np_fill(f + NP_ETH_LEN + NP_HDR_LEN, flen - NP_ETH_LEN - NP_HDR_LEN, seq);
	memcpy(f + NP_ETH_LEN, &h, NP_HDR_LEN);
}

/*
 * Sends n frames of frames[] (each flen bytes); returns how many went. The
 * TAP drops what its queue cannot take without an error; an error means it
 * cannot take any (its VMM has gone), so we never retry in a loop here:
 * the caller decides, and the main loop keeps watching the guest.
 */
static unsigned int send_batch(uint8_t (*frames)[2048], unsigned int n, uint32_t flen)
{
	struct mmsghdr m[VLEN];
	struct iovec iov[VLEN];
	int r;

	for (unsigned int i = 0; i < n; i++) {
		iov[i] = (struct iovec){frames[i], flen};
		m[i] = (struct mmsghdr){.msg_hdr = {.msg_name = &dst,
						    .msg_namelen = sizeof(dst),
						    .msg_iov = &iov[i],
						    .msg_iovlen = 1}};
	}
	do
		r = sendmmsg(sock, m, n, 0);
	while (r < 0 && errno == EINTR);
	return r < 0 ? 0 : (unsigned int)r;
}

/* Checking: exactly count frames, every byte from the pattern. */
static void send_checked(uint32_t p, uint32_t count, uint32_t flen)
{
	static uint8_t frames[VLEN][2048];

	if (flen < NP_ETH_LEN + NP_HDR_LEN || flen > sizeof(frames[0])) {
		failed("the guest asked for a frame size we cannot build");
		return;
	}
	for (uint32_t seq = 0; seq < count;) {
		unsigned int n = 0;

		for (; n < VLEN && seq < count; n++, seq++)
			build(frames[n], p, seq, flen);
		/* Fewer than the TAP's queue (500) are ever in flight here, so
		 * nothing is dropped for want of room: a failure is a failure. */
		if (send_batch(frames, n, flen) != n) {
			failed("the TAP refused frames for the guest");
			return;
		}
		ph[p].sent += n;
	}
}

/* Measuring: one batch of the flood; the bytes stay, the numbers change. */
static void send_flood(uint32_t p)
{
	static uint8_t frames[VLEN][2048];
	static uint32_t built_for;
	uint32_t flen = ph[p].frame;

	if (built_for != p) {
		for (unsigned int i = 0; i < VLEN; i++)
			build(frames[i], p, 0, flen);
		built_for = p;
	}
	for (unsigned int i = 0; i < VLEN; i++) {
		uint32_t seq = (uint32_t)(ph[p].sent + i);

		memcpy(frames[i] + NP_ETH_LEN + offsetof(struct np_hdr, seq), &seq, 4);
	}
	ph[p].sent += send_batch(frames, VLEN, flen);
}

static void data_frame(const uint8_t *f, uint32_t n, uint32_t off, const struct np_hdr *h)
{
	struct phase *q;

	if (h->phase == 0 || h->phase >= MAX_PHASES) {
		foreign++;
		return;
	}
	q = &ph[h->phase];
	q->received++;
	if (q->have_last && h->seq < q->last_seq)
		q->reordered++;
	q->last_seq = h->seq;
	q->have_last = true;
	if (!checking)
		return;
	if (h->len != n || !np_check(f + off + NP_HDR_LEN, n - off - NP_HDR_LEN, h->seq, h->csum))
		q->bad++;
	else if (h->seq >= MAX_CHECKED)
		q->bad++;
	else if (q->seen[h->seq / 8] & 1 << h->seq % 8)
		q->dup++;
	else
		q->seen[h->seq / 8] |= (uint8_t)(1 << h->seq % 8);
}

static void control_frame(const struct np_hdr *h)
{
	uint32_t p = h->a;
	struct phase *q = p < MAX_PHASES ? &ph[p] : NULL;

	switch (h->kind) {
	case NP_HELLO:
		hello = true;
		if (h->a != checking)
			failed("the guest and the peer disagree on checking");
		break;
	case NP_TX_DONE:
		if (!q)
			break;
		q->tx_done = true;
		q->guest_count = h->seq;
		q->frame = h->len;
		say("tx phase=%u frame=%u sent=%u received=%llu bad=%llu dup=%llu reordered=%llu",
		    p, h->len, h->seq, (unsigned long long)q->received, (unsigned long long)q->bad,
		    (unsigned long long)q->dup, (unsigned long long)q->reordered);
		/* The TAP delivers a frame to our socket before the write that
		 * carried it returns, and the guest sent this after its frames'
		 * completions: every frame of the phase is here by now. */
		if (checking && (q->received != h->seq || q->bad || q->dup))
			failed("a transmit phase lost, duplicated or corrupted frames");
		break;
	case NP_RX_READY:
		if (!q)
			break;
		q->frame = h->len;
		if (checking && h->seq)
			send_checked(p, h->seq, h->len);
		else if (!checking && h->len >= NP_ETH_LEN + NP_HDR_LEN && h->len <= 2048)
			q->flooding = true;
		else
			failed("a receive phase we cannot serve");
		break;
	case NP_RX_DONE:
		if (!q)
			break;
		q->flooding = false;
		q->rx_done = true;
		q->guest_count = h->seq;
		say("rx phase=%u frame=%u sent=%llu guest_received=%u", p, h->len,
		    (unsigned long long)q->sent, h->seq);
		if (checking && q->sent != h->seq)
			failed("the guest did not receive every frame sent");
		break;
	case NP_BYE:
		bye = true;
		bye_status = h->a;
		break;
	default:
		foreign++;
	}
}

static void frame(const uint8_t *f, uint32_t n)
{
	uint32_t type, off;
	struct np_hdr h;

	if (n < NP_ETH_LEN)
		return;
	type = (uint32_t)f[12] << 8 | f[13];
	if (type == NP_ETH_G2H)
		off = NP_ETH_LEN;
	else if (type == 0x0800 && n >= NP_TSO_OFF + NP_HDR_LEN && f[NP_ETH_LEN + 9] == 6)
		off = NP_TSO_OFF;
	else {
		foreign++;
		return;
	}
	if (n < off + NP_HDR_LEN) {
		foreign++;
		return;
	}
	memcpy(&h, f + off, NP_HDR_LEN);
	if (h.magic != NP_MAGIC)
		foreign++;
	else if (h.kind == NP_DATA)
		data_frame(f, n, off, &h);
	else
		control_frame(&h);
}

/* Takes every frame waiting on the socket. */
static void receive(void)
{
	static uint8_t bufs[VLEN][RX_BUF];
	struct mmsghdr m[VLEN];
	struct iovec iov[VLEN];
	int r;

	do {
		for (unsigned int i = 0; i < VLEN; i++) {
			iov[i] = (struct iovec){bufs[i], RX_BUF};
			m[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iov[i], .msg_iovlen = 1}};
		}
		r = recvmmsg(sock, m, VLEN, MSG_DONTWAIT | MSG_TRUNC, NULL);
		for (int i = 0; i < r; i++) {
			if (m[i].msg_len > RX_BUF) {
				failed("a frame larger than any the guest sends");
				continue;
			}
			frame(bufs[i], m[i].msg_len);
		}
	} while (r == VLEN);
}

static int open_socket(const char *tap)
{
	int one = 1, size = RCVBUF;
	struct sockaddr_ll sll;

	sock = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (sock < 0) {
		perror("bench_net: AF_PACKET socket");
		return -1;
	}
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = (int)if_nametoindex(tap);
	if (!sll.sll_ifindex || bind(sock, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		perror("bench_net: bind to the TAP");
		return -1;
	}
	/* Our own frames to the guest are not the guest's; a burst of the
	 * guest's must not overflow the socket while we are sending. Straight
	 * to the TAP's transmit, as a sender on the wire would be. */
	if (setsockopt(sock, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) < 0 ||
	    (setsockopt(sock, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0 &&
	     setsockopt(sock, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)) < 0) ||
	    setsockopt(sock, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) < 0) {
		perror("bench_net: setsockopt");
		return -1;
	}
	dst = sll;
	dst.sll_halen = 6;
	memset(dst.sll_addr, 0xff, 6);
	return 0;
}

static bool flooding(uint32_t *p)
{
	for (uint32_t i = 0; i < MAX_PHASES; i++)
		if (ph[i].flooding) {
			*p = i;
			return true;
		}
	return false;
}

static int verdict(int child)
{
	unsigned int ntx = 0, nrx = 0;

	for (int p = 0; p < MAX_PHASES; p++) {
		ntx += ph[p].tx_done;
		nrx += ph[p].rx_done;
	}
	say("guest frames not of the protocol: %llu", (unsigned long long)foreign);
	if (!checking)
		return child;
	if (!hello || !bye)
		failed("the guest never said hello or goodbye");
	else if (bye_status)
		failed("the guest's own checks failed");
	else if (ntx < 2 || nrx != 2)
		failed("phases missing");
	if (fail_reason)
		say("verdict FAILED: %s", fail_reason);
	else
		say("verdict ok tx_phases=%u rx_phases=%u", ntx, nrx);
	return child ? child : fail_reason ? 1 : 0;
}

static int serve(const char *tap, char **argv)
{
	struct pollfd pfd[2];
	int status, pidfd;
	pid_t pid;

	if (open_socket(tap))
		return 1;
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("bench_net: fork");
		return 1;
	}
	if (pid == 0) {
		close(sock);
		execvp(argv[0], argv);
		perror("bench_net: exec");
		_exit(127);
	}
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0) {
		perror("bench_net: pidfd_open");
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
		return 1;
	}
	pfd[0] = (struct pollfd){.fd = sock, .events = POLLIN};
	pfd[1] = (struct pollfd){.fd = pidfd, .events = POLLIN};
	for (;;) {
		uint32_t p;
		bool flood = flooding(&p);

		if (poll(pfd, 2, flood ? 0 : -1) < 0 && errno != EINTR) {
			perror("bench_net: poll");
			break;
		}
		if (pfd[0].revents & POLLIN)
			receive();
		if (pfd[1].revents & POLLIN)
			break;
		if (flood && flooding(&p))
			send_flood(p);
	}
	/* What the guest sent before it ended is on the socket already. */
	receive();
	waitpid(pid, &status, 0);
	status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	say("command exit status %d", status);
	status = verdict(status);
	report_flush();
	return status;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "tap"))
		return make_tap(argv[2]);
	if (argc >= 5 && (!strcmp(argv[1], "check") || !strcmp(argv[1], "bench")) &&
	    !strcmp(argv[3], "--")) {
		checking = !strcmp(argv[1], "check");
		return serve(argv[2], argv + 4);
	}
	fprintf(stderr, "usage: bench_net tap NAME | bench_net check|bench NAME -- COMMAND...\n");
	return 2;
}
