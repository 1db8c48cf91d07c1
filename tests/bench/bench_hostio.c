// SPDX-License-Identifier: MIT
/*
 * The physical limit for the device benchmark: the test guest's I/O pattern
 * (4 KiB random reads/writes and 128 KiB sequential reads at QD 1/16/64/256)
 * issued by the host itself through io_uring on the same file.
 * Usage: bench_hostio FILE [direct] | --tsc-hz | --tsc-now
 * Prints lines like the guest's: "HOSTIO: randread bs=4k qd=1 ops=N ns=T".
 */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAXQD 256

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t rng = 88172645463325252ULL;

static uint64_t xorshift(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int run(struct io_uring *ring, int fd, int write, int seq, size_t bs, int qd, int ops,
	       uint64_t blocks, uint8_t *bufs)
{
	int submitted = 0, done = 0, k = 0;
	uint64_t t0 = now_ns();

	while (done < ops) {
		while (submitted - done < qd && submitted < ops) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
			uint64_t blk = seq ? ((uint64_t)k * (bs / 4096)) % (blocks - 32)
					   : xorshift() % blocks;
			uint8_t *buf = bufs + (size_t)(submitted % qd) * bs;

			k++;
			if (write)
				io_uring_prep_write(sqe, fd, buf, (unsigned int)bs, blk * 4096);
			else
				io_uring_prep_read(sqe, fd, buf, (unsigned int)bs, blk * 4096);
			submitted++;
		}
		io_uring_submit_and_wait(ring, 1);
		for (;;) {
			struct io_uring_cqe *cqe;

			if (io_uring_peek_cqe(ring, &cqe))
				break;
			if (cqe->res != (int)bs) {
				fprintf(stderr, "bench_hostio: I/O failed: %d\n", cqe->res);
				return -1;
			}
			io_uring_cqe_seen(ring, cqe);
			done++;
		}
	}
	printf("HOSTIO: %s bs=%zuk qd=%d ops=%d ns=%llu\n",
	       seq     ? "seqread"
	       : write ? "randwrite"
		       : "randread",
	       bs / 1024, qd, ops, (unsigned long long)(now_ns() - t0));
	return 0;
}

int main(int argc, char **argv)
{
	static const int depths[] = {1, 16, 64, 256};
	struct io_uring ring;
	struct stat st;
	uint8_t *bufs;
	int fd;

	if (argc == 2 && !strcmp(argv[1], "--tsc-now")) {
		uint32_t lo, hi;

		__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
		printf("%llu\n", (unsigned long long)hi << 32 | lo);
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "--tsc-hz")) {
		uint64_t c0, c1, t0 = now_ns(), t1;
		uint32_t lo, hi;

		__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
		c0 = (uint64_t)hi << 32 | lo;
		do
			t1 = now_ns();
		while (t1 - t0 < 200000000ULL);
		__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
		c1 = (uint64_t)hi << 32 | lo;
		printf("%.0f\n", (double)(c1 - c0) * 1e9 / (double)(t1 - t0));
		return 0;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: bench_hostio FILE [direct] | --tsc-hz\n");
		return 2;
	}
	fd = open(argv[1], O_RDWR | (argc > 2 && !strcmp(argv[2], "direct") ? O_DIRECT : 0));
	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "bench_hostio: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (io_uring_queue_init(MAXQD, &ring, 0) < 0 ||
	    posix_memalign((void **)&bufs, 4096, MAXQD * 128 * 1024)) {
		fprintf(stderr, "bench_hostio: setup failed\n");
		return 1;
	}
	memset(bufs, 0x5a, MAXQD * 128 * 1024);
	for (unsigned int i = 0; i < 4; i++)
		for (int w = 0; w <= 1; w++)
			if (run(&ring, fd, w, 0, 4096, depths[i], 20000,
				(uint64_t)st.st_size / 4096, bufs))
				return 1;
	for (unsigned int i = 0; i < 4; i++)
		if (run(&ring, fd, 0, 1, 128 * 1024, depths[i], 2000, (uint64_t)st.st_size / 4096,
			bufs))
			return 1;
	return 0;
}
