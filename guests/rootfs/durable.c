// SPDX-License-Identifier: MIT
/*
 * "Acknowledged writes survive a kill" (tests/boot/cases.sh, blk_durable*).
 * One static binary for both sides of the test:
 *
 *   durable write DEV NONCE
 *	(guest) writes record 0, 1, 2, ... to DEV, one per 4 KiB block, each
 *	with O_DIRECT and then fdatasync, and prints "MINIVMM-DURABLE ack SEQ
 *	TAG" on stdout only after that fdatasync has returned.
 *   durable run NONCE N LOG ACKS -- CMD...
 *	(host) runs CMD (minivmm) with stdout and stderr on a pipe, copies what
 *	it prints to LOG, and SIGKILLs it once N well-formed ack lines have come
 *	by. It reads on to EOF (lines the guest printed before the kill are
 *	acknowledged too), then writes every acknowledged SEQ to ACKS.
 *   durable check IMG DEV|- NONCE ACKS
 *	(host) checks that every record in ACKS is intact at its block of IMG,
 *	read through the file (what minivmm had handed to the host kernel) and,
 *	unless DEV is "-", read from the device under IMG's filesystem with
 *	O_DIRECT at the blocks FIEMAP maps IMG to (what had reached the disk).
 *
 * A record is self-describing: magic, sequence number, the trial's nonce,
 * a payload drawn from a generator seeded by both, and an FNV-1a checksum;
 * record SEQ lives at byte SEQ * 4096. An ack line carries a tag derived from
 * SEQ and the nonce, so a line garbled by a kernel message in the middle is
 * not taken for an acknowledgement.
 * Built static by guests/rootfs/build-rootfs.sh (guest) and tests/boot/run.sh
 * (middle layer).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define REC_SIZE 4096
#define MAGIC	 "MVDURREC"
#define ACK	 "MINIVMM-DURABLE ack "

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint32_t tag(uint32_t seq, uint32_t nonce)
{
	return (uint32_t)mix(((uint64_t)nonce << 32 | seq) ^ 0x61636b00ULL);
}

static uint64_t fnv1a(const unsigned char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (n--) {
		h ^= *p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static void put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* The only correct content of block SEQ in a trial with NONCE. */
static void record(unsigned char *b, uint32_t seq, uint32_t nonce)
{
	uint64_t s = (uint64_t)nonce << 32 | seq;

	memcpy(b, MAGIC, 8);
	put64(b + 8, (uint64_t)nonce << 32 | seq);
	for (size_t i = 16; i < REC_SIZE - 8; i += 8) {
		s = mix(s);
		put64(b + i, s);
	}
	put64(b + REC_SIZE - 8, fnv1a(b, REC_SIZE - 8));
}

static uint32_t parse_u32(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end || end == s || v > UINT32_MAX) {
		fprintf(stderr, "durable: bad number '%s'\n", s);
		exit(2);
	}
	return (uint32_t)v;
}

static int do_write(const char *dev, uint32_t nonce)
{
	unsigned char *b;
	char line[64];
	int fd = open(dev, O_RDWR | O_DIRECT);
	struct stat st;
	uint64_t size;

	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		size = (uint64_t)st.st_size; /* a file: for trying it out on a host */
	else if (fd < 0 || ioctl(fd, BLKGETSIZE64, &size) < 0) {
		fprintf(stderr, "durable: %s: %s\n", dev, strerror(errno));
		return 1;
	}
	if (posix_memalign((void **)&b, REC_SIZE, REC_SIZE))
		return 1;
	for (uint32_t seq = 0; (uint64_t)(seq + 1) * REC_SIZE <= size; seq++) {
		int n;

		record(b, seq, nonce);
		if (pwrite(fd, b, REC_SIZE, (off_t)seq * REC_SIZE) != REC_SIZE) {
			fprintf(stderr, "durable: write of record %u: %s\n", seq, strerror(errno));
			return 1;
		}
		if (fdatasync(fd) < 0) {
			fprintf(stderr, "durable: fdatasync after record %u: %s\n", seq,
				strerror(errno));
			return 1;
		}
		/* Acknowledged: only now does the host learn of this record. */
		n = snprintf(line, sizeof(line), ACK "%u %08x\n", seq, tag(seq, nonce));
		if (write(1, line, (size_t)n) != n)
			return 1;
	}
	printf("MINIVMM-DURABLE full after %" PRIu64 " records\n", size / REC_SIZE);
	return 0;
}

/* A complete console line; returns the acknowledged SEQ or -1. */
static long ack_of(char *line, uint32_t nonce)
{
	char *p = line + strlen(ACK), *end;
	unsigned long seq, t;

	if (strncmp(line, ACK, strlen(ACK)) != 0)
		return -1;
	seq = strtoul(p, &end, 10);
	if (end == p || *end != ' ' || seq > UINT32_MAX)
		return -1;
	p = end + 1;
	t = strtoul(p, &end, 16);
	if (end - p != 8 || (*end && strcmp(end, "\r") != 0))
		return -1;
	return t == tag((uint32_t)seq, nonce) ? (long)seq : -1;
}

static int do_run(uint32_t nonce, uint32_t kill_at, const char *logp, const char *ackp, char **cmd)
{
	FILE *log = fopen(logp, "w"), *acks = fopen(ackp, "w"), *in;
	char line[4096];
	uint32_t nacks = 0, garbled = 0;
	int p[2], status;
	size_t len = 0;
	bool killed = false;
	pid_t pid;
	int c;

	if (!log || !acks || pipe(p) < 0) {
		perror("durable run");
		return 2;
	}
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		dup2(p[1], 2);
		close(p[0]);
		close(p[1]);
		execvp(cmd[0], cmd);
		perror(cmd[0]);
		_exit(127);
	}
	close(p[1]);
	in = fdopen(p[0], "r");
	while ((c = getc(in)) != EOF) {
		long seq;

		fputc(c, log);
		if (c != '\n') {
			if (len < sizeof(line) - 1)
				line[len++] = (char)c;
			continue;
		}
		line[len] = 0;
		len = 0;
		seq = ack_of(line, nonce);
		if (seq < 0) {
			garbled += strstr(line, ACK) != NULL;
			continue;
		}
		fprintf(acks, "%ld\n", seq);
		if (++nacks == kill_at && !killed) {
			kill(pid, SIGKILL);
			killed = true;
			fprintf(log, "\n[durable: SIGKILL after ack %ld, the %u-th]\n", seq, nacks);
		}
	}
	waitpid(pid, &status, 0);
	fclose(log);
	fclose(acks);
	printf("run: acknowledged %u, garbled %u, ", nacks, garbled);
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL && killed) {
		printf("killed after %u\n", kill_at);
		return 0;
	}
	printf("not killed: %s %d\n", WIFSIGNALED(status) ? "signal" : "exit status",
	       WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	return 1;
}

/* Where IMG's block SEQ is on its device, or -1 (hole, delalloc, unknown). */
static long long dev_offset(int fd, uint64_t off)
{
	struct {
		struct fiemap fm;
		struct fiemap_extent ext[1];
	} q;
	struct fiemap_extent *e = &q.fm.fm_extents[0];

	memset(&q, 0, sizeof(q));
	q.fm.fm_start = off;
	q.fm.fm_length = REC_SIZE;
	/* No FIEMAP_FLAG_SYNC: that would write the file back and prove nothing. */
	q.fm.fm_flags = 0;
	q.fm.fm_extent_count = 1;
	if (ioctl(fd, FS_IOC_FIEMAP, &q.fm) < 0 || q.fm.fm_mapped_extents != 1 ||
	    e->fe_logical > off || e->fe_logical + e->fe_length < off + REC_SIZE ||
	    (e->fe_flags &
	     (FIEMAP_EXTENT_UNKNOWN | FIEMAP_EXTENT_DELALLOC | FIEMAP_EXTENT_ENCODED |
	      FIEMAP_EXTENT_NOT_ALIGNED | FIEMAP_EXTENT_DATA_INLINE | FIEMAP_EXTENT_UNWRITTEN)))
		return -1;
	return (long long)(e->fe_physical + (off - e->fe_logical));
}

static const char *verdict(const unsigned char *got, uint32_t seq, uint32_t nonce)
{
	unsigned char want[REC_SIZE];

	if (memcmp(got, MAGIC, 8) != 0)
		return "no record";
	record(want, seq, nonce);
	if (memcmp(got + 8, want + 8, 8) != 0)
		return "another record (seq or nonce)";
	if (fnv1a(got, REC_SIZE - 8) != get64(got + REC_SIZE - 8))
		return "checksum mismatch";
	return memcmp(got, want, REC_SIZE) ? "payload mismatch" : NULL;
}

static int do_check(const char *imgp, const char *devp, uint32_t nonce, const char *ackp)
{
	FILE *acks = fopen(ackp, "r");
	int img = open(imgp, O_RDONLY), dev = -1;
	uint32_t nacks = 0, file_ok = 0, dev_ok = 0, bad = 0;
	unsigned char *b;
	unsigned long seq;

	if (!acks || img < 0 || posix_memalign((void **)&b, REC_SIZE, REC_SIZE)) {
		perror("durable check");
		return 2;
	}
	if (strcmp(devp, "-") != 0) {
		dev = open(devp, O_RDONLY | O_DIRECT);
		if (dev < 0) {
			perror(devp);
			return 2;
		}
	}
	while (fscanf(acks, "%lu", &seq) == 1) {
		off_t off = (off_t)seq * REC_SIZE;
		const char *why;

		nacks++;
		if (pread(img, b, REC_SIZE, off) != REC_SIZE)
			why = "short read";
		else
			why = verdict(b, (uint32_t)seq, nonce);
		if (why) {
			printf("record %lu in the file: %s\n", seq, why);
			bad++;
			continue;
		}
		file_ok++;
		if (dev < 0)
			continue;
		long long at = dev_offset(img, (uint64_t)off);

		if (at < 0)
			why = "not mapped to the device (FIEMAP)";
		else if (pread(dev, b, REC_SIZE, at) != REC_SIZE)
			why = "short read";
		else
			why = verdict(b, (uint32_t)seq, nonce);
		if (why) {
			printf("record %lu on the device: %s\n", seq, why);
			bad++;
			continue;
		}
		dev_ok++;
	}
	printf("check: acknowledged %u, intact in the file %u, intact on the device %s%u, bad %u\n",
	       nacks, file_ok, dev < 0 ? "(not checked) " : "", dev_ok, bad);
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "write"))
		return do_write(argv[2], parse_u32(argv[3]));
	if (argc > 7 && !strcmp(argv[1], "run") && !strcmp(argv[6], "--"))
		return do_run(parse_u32(argv[2]), parse_u32(argv[3]), argv[4], argv[5], argv + 7);
	if (argc == 6 && !strcmp(argv[1], "check"))
		return do_check(argv[2], argv[3], parse_u32(argv[4]), argv[5]);
	fprintf(stderr, "usage: durable write DEV NONCE\n"
			"       durable run NONCE N LOG ACKS -- CMD...\n"
			"       durable check IMG DEV|- NONCE ACKS\n");
	return 2;
}
