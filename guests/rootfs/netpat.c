// SPDX-License-Identifier: MIT
/*
 * A TCP byte stream that both ends can compute, for the long transfer tests
 * (issue 17). busybox nc moves 1 KiB per read, far too slow for hundreds of
 * MiB one level down under TCG; this moves 256 KiB per call.
 *   netpat send PORT BYTES SEED  listen on PORT, send BYTES of the pattern to
 *                                the first connection, close; prints
 *                                "netpat: sent N"
 *   netpat recv HOST PORT SEED   connect to HOST:PORT, read to the end and
 *                                check every byte; prints "netpat: received N
 *                                bad_at OFFSET|none"
 * Byte o of the stream is byte o % 8 of splitmix64(SEED + o / 8) as x86
 * stores it (little-endian), so a lost, repeated, reordered or corrupted
 * piece shows at its offset, and the count shows a short stream.
 * Exit status: 0 when the whole stream went (came) through intact, else 1.
 * Static, built by guests/rootfs/build-rootfs.sh for the guest and the
 * boot tests' middle layer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CHUNK (256 * 1024)

static uint64_t seed;

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* The pattern's words first..first+n-1 into buf. */
static void fill(unsigned char *buf, uint64_t first, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t w = splitmix64(seed + first + i);

		memcpy(buf + 8 * i, &w, 8);
	}
}

static int send_stream(int port, uint64_t total)
{
	static unsigned char buf[CHUNK];
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int one = 1, ls, fd;
	uint64_t off = 0;

	ls = socket(AF_INET, SOCK_STREAM, 0);
	if (ls < 0 || setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(ls, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(ls, 1) < 0) {
		perror("netpat: listen");
		return 1;
	}
	fd = accept(ls, NULL, NULL);
	if (fd < 0) {
		perror("netpat: accept");
		return 1;
	}
	close(ls);
	while (off < total) {
		size_t n = total - off < CHUNK ? (size_t)(total - off) : CHUNK, done = 0;

		/* off is a multiple of CHUNK here, so of 8. */
		fill(buf, off / 8, (n + 7) / 8);
		while (done < n) {
			ssize_t w = write(fd, buf + done, n - done);

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				perror("netpat: write");
				printf("netpat: sent %llu\n", (unsigned long long)(off + done));
				return 1;
			}
			done += (size_t)w;
		}
		off += n;
	}
	if (close(fd) < 0) {
		perror("netpat: close");
		return 1;
	}
	printf("netpat: sent %llu\n", (unsigned long long)off);
	return 0;
}

static int recv_stream(const char *host, int port)
{
	static unsigned char buf[CHUNK], want[CHUNK + 16];
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	uint64_t off = 0, bad = UINT64_MAX;
	int fd;

	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
		fprintf(stderr, "netpat: bad address %s\n", host);
		return 1;
	}
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("netpat: connect");
		return 1;
	}
	for (;;) {
		ssize_t r = read(fd, buf, sizeof(buf));
		size_t skip = (size_t)(off % 8);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			perror("netpat: read");
			break;
		}
		if (r == 0)
			break;
		fill(want, off / 8, (skip + (size_t)r + 7) / 8);
		if (bad == UINT64_MAX && memcmp(buf, want + skip, (size_t)r)) {
			size_t i = 0;

			while (buf[i] == want[skip + i])
				i++;
			bad = off + i;
		}
		off += (uint64_t)r;
	}
	close(fd);
	if (bad == UINT64_MAX)
		printf("netpat: received %llu bad_at none\n", (unsigned long long)off);
	else
		printf("netpat: received %llu bad_at %llu\n", (unsigned long long)off,
		       (unsigned long long)bad);
	return bad != UINT64_MAX;
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "send")) {
		seed = strtoull(argv[4], NULL, 0);
		return send_stream(atoi(argv[2]), strtoull(argv[3], NULL, 0));
	}
	if (argc == 5 && !strcmp(argv[1], "recv")) {
		seed = strtoull(argv[4], NULL, 0);
		return recv_stream(argv[2], atoi(argv[3]));
	}
	fprintf(stderr, "usage: netpat send PORT BYTES SEED | netpat recv HOST PORT SEED\n");
	return 2;
}
