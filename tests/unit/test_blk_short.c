// SPDX-License-Identifier: MIT
/*
 * A read or write that the host finishes short is a failed request: the
 * real virtio-blk device (vblk_create on a malloc'ed guest RAM, its own
 * thread on a real io_uring, driven through its virtio-mmio registers, an
 * eventfd kick and its irqfd) answers it with VIRTIO_BLK_S_IOERR and a used
 * length of 1 (the status byte only), and counts it as short. The host is
 * made to come back short for real: reads that span the end of an image
 * cut after the device sized it, and writes past RLIMIT_FSIZE (SIGXFSZ
 * ignored: the write returns short, or EFBIG when it starts at the limit).
 * A merged read or write that ends short completes the members it covered
 * in full and resubmits the others on their own, each with its own result.
 * Every case runs once per I/O engine (devices/blk_engine.h), its loop
 * index: 0 io_uring, 1 the thread pool.
 */
#include <check.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common/le.h"
#include "devices/blk_req.h"
#include "devices/dev_stats.h"
#include "devices/virtio_blk.h"
#include "devices/virtio_dev.h"
#include "tests/unit/check_run.h"
#include "tests/unit/mock_driver.h"
#include "tests/unit/mock_mmio.h"
#include "virtio/mmio.h"
#include "virtio/vring.h"

#define SECTORS	 64 /* the image as the device sizes it */
#define QSIZE	 16
#define RAM_GPA	 0x100000
#define MAX_REQS 8
/* Where the image is cut, or writes are capped: half-way into sector 8. */
#define CUT_BYTES (8 * VIRTIO_BLK_SECTOR + VIRTIO_BLK_SECTOR / 2)
/* A bound for a device that never answers, not a time anything must keep. */
#define IRQ_WAIT_MS 30000

struct req {
	uint32_t type;
	uint64_t sector;
	int head;
	bool done;
	uint32_t len; /* used length */
};

struct rig {
	struct mock_driver md;
	struct virtio_dev *dev;
	int kick_fd, irq_fd;
	char path[64];
	struct req reqs[MAX_REQS];
	unsigned int nreqs;
};

/* Sector s of the image holds bytes (s * 7 + i) & 0xff; a write carries ~that. */
static uint8_t pattern(uint64_t sector, unsigned int i, bool written)
{
	uint8_t v = (uint8_t)(sector * 7 + i);

	return written ? (uint8_t)~v : v;
}

static uint8_t *host(struct rig *r, uint64_t gpa)
{
	return r->md.ram + (gpa - r->md.ram_gpa);
}

static const enum blk_engine_kind engines[] = {BLK_ENGINE_URING, BLK_ENGINE_THREADS};
#define N_ENGINES ((int)(sizeof(engines) / sizeof(engines[0])))

/* An image of SECTORS sectors of pattern() and the device over it on engine, started. */
static void rig_create(struct rig *r, int engine)
{
	char err[160] = "";
	struct virtio_dev_env env;
	uint8_t sec[VIRTIO_BLK_SECTOR];
	const char *dir = getenv("TMPDIR");
	int fd;

	memset(r, 0, sizeof(*r));
	snprintf(r->path, sizeof(r->path), "%s/blk_short.XXXXXX", dir && *dir ? dir : "/tmp");
	fd = mkstemp(r->path);
	ck_assert_int_ge(fd, 0);
	for (uint64_t s = 0; s < SECTORS; s++) {
		for (unsigned int i = 0; i < sizeof(sec); i++)
			sec[i] = pattern(s, i, false);
		ck_assert_int_eq(write(fd, sec, sizeof(sec)), sizeof(sec));
	}
	close(fd);
	ck_assert_int_eq(mock_init(&r->md, QSIZE, 1ULL << VIRTIO_F_VERSION_1, RAM_GPA), 0);
	r->kick_fd = eventfd(0, EFD_CLOEXEC);
	r->irq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ck_assert_int_ge(r->kick_fd, 0);
	ck_assert_int_ge(r->irq_fd, 0);
	env = (struct virtio_dev_env){
		.gm = &r->md.gm, .kick_fds = &r->kick_fd, .irq_fd = r->irq_fd};
	ck_assert_msg(vblk_create(&(struct vblk_options){.path = r->path,
							 .serial = "short",
							 .engine = engines[engine]},
				  &env, &r->dev, err, sizeof(err)) == 0,
		      "vblk_create: %s", err);
	ck_assert_int_eq(virtio_dev_start(r->dev), 0);
}

static void rig_destroy(struct rig *r)
{
	virtio_dev_destroy(r->dev);
	close(r->kick_fd);
	close(r->irq_fd);
	mock_free(&r->md);
	unlink(r->path);
}

/* One sector read (IN) or written (OUT) at sector; made available at once. */
static void add_req(struct rig *r, uint32_t type, uint64_t sector)
{
	struct req *q = &r->reqs[r->nreqs];
	uint32_t hdr = BLK_HDR_SIZE, data = VIRTIO_BLK_SECTOR, status = 1;
	uint32_t out[2] = {hdr, data}, in[2] = {data, status};
	uint8_t *h, *d;

	ck_assert_uint_lt(r->nreqs, MAX_REQS);
	*q = (struct req){.type = type, .sector = sector};
	if (type == VIRTIO_BLK_T_IN)
		q->head = mock_add(&r->md, out, 1, in, 2, false, r->nreqs);
	else
		q->head = mock_add(&r->md, out, 2, in + 1, 1, false, r->nreqs);
	ck_assert_int_ge(q->head, 0);
	h = host(r, mock_seg_gpa(&r->md, (uint16_t)q->head, 0));
	put_le32(h, type);
	put_le32(h + 4, 0);
	put_le64(h + 8, sector);
	d = host(r, mock_seg_gpa(&r->md, (uint16_t)q->head, 1));
	for (unsigned int i = 0; i < VIRTIO_BLK_SECTOR; i++)
		d[i] = type == VIRTIO_BLK_T_OUT ? pattern(sector, i, true) : 0xee;
	*host(r, mock_seg_gpa(&r->md, (uint16_t)q->head, 2)) = 0xff; /* no status yet */
	r->nreqs++;
}

/*
 * The driver's side of probing: features (VERSION_1 only), the queue, and
 * DRIVER_OK. Requests added before it are all in the ring when the device
 * first looks (DRIVER_OK), so a run of adjacent ones is merged for sure.
 */
static void rig_go(struct rig *r)
{
	struct vmmio *m = virtio_dev_mmio(r->dev);

	ck_assert(mock_mmio_negotiate(m, 1ULL << VIRTIO_F_VERSION_1));
	ck_assert(mock_mmio_queue(m, 0, QSIZE, r->md.desc_gpa, r->md.avail_gpa, r->md.used_gpa));
	ck_assert(mock_mmio_driver_ok(m));
}

/* Takes back every request from the used ring, waiting on the irqfd. */
static void rig_reap(struct rig *r)
{
	unsigned int got = 0;

	while (got < r->nreqs) {
		struct pollfd p = {.fd = r->irq_fd, .events = POLLIN};
		uint64_t cookie, n;
		uint32_t len;
		int k = mock_get(&r->md, &cookie, &len);

		ck_assert_msg(k >= 0, "driver: %s", r->md.why);
		if (k == 1) {
			ck_assert_uint_lt(cookie, r->nreqs);
			ck_assert(!r->reqs[cookie].done);
			r->reqs[cookie].done = true;
			r->reqs[cookie].len = len;
			got++;
			continue;
		}
		ck_assert_msg(poll(&p, 1, IRQ_WAIT_MS) == 1,
			      "no interrupt in %d ms with %u of %u requests back", IRQ_WAIT_MS, got,
			      r->nreqs);
		ck_assert_int_eq(read(r->irq_fd, &n, sizeof(n)), sizeof(n));
	}
}

/* Segment 0 is the header, 1 the sector, 2 the status byte (in either direction). */
static uint8_t status_of(struct rig *r, unsigned int i)
{
	return *host(r, mock_seg_gpa(&r->md, (uint16_t)r->reqs[i].head, 2));
}

/* Request i succeeded: status OK, and for a read the sector's bytes and len 513. */
static void expect_ok(struct rig *r, unsigned int i)
{
	const struct req *q = &r->reqs[i];

	ck_assert_msg(status_of(r, i) == VIRTIO_BLK_S_OK, "request %u (sector %llu): status %u", i,
		      (unsigned long long)q->sector, status_of(r, i));
	if (q->type == VIRTIO_BLK_T_IN) {
		const uint8_t *d = host(r, mock_seg_gpa(&r->md, (uint16_t)q->head, 1));

		ck_assert_uint_eq(q->len, VIRTIO_BLK_SECTOR + 1);
		for (unsigned int b = 0; b < VIRTIO_BLK_SECTOR; b++)
			ck_assert_uint_eq(d[b], pattern(q->sector, b, false));
	} else {
		ck_assert_uint_eq(q->len, 1);
	}
}

/* Request i failed: IOERR, and the used length counts the status byte only. */
static void expect_ioerr(struct rig *r, unsigned int i)
{
	ck_assert_msg(status_of(r, i) == VIRTIO_BLK_S_IOERR, "request %u (sector %llu): status %u",
		      i, (unsigned long long)r->reqs[i].sector, status_of(r, i));
	ck_assert_uint_eq(r->reqs[i].len, 1);
}

static struct dev_counters counters(struct rig *r)
{
	struct dev_counters c;

	r->dev->ops->counters(r->dev, &c);
	return c;
}

/* The device's counters line holds text (merged=, resubmitted=). */
static void expect_stats(struct rig *r, const char *text)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);

	ck_assert_ptr_nonnull(f);
	virtio_dev_print_stats(r->dev, "vda", f);
	fclose(f);
	ck_assert_msg(strstr(buf, text), "stats lack '%s': %s", text, buf);
	free(buf);
}

/* The image file's sector s holds what a write of it carried. */
static void expect_written(struct rig *r, uint64_t s)
{
	uint8_t sec[VIRTIO_BLK_SECTOR];
	int fd = open(r->path, O_RDONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, sec, sizeof(sec), (off_t)(s * VIRTIO_BLK_SECTOR)), sizeof(sec));
	close(fd);
	for (unsigned int i = 0; i < sizeof(sec); i++)
		ck_assert_uint_eq(sec[i], pattern(s, i, true));
}

static void cut_image(struct rig *r)
{
	ck_assert_int_eq(truncate(r->path, CUT_BYTES), 0);
}

/*
 * Writes may not reach past CUT_BYTES, or they fail with EFBIG when they
 * start there. Only while the device writes: Check's own results file, of
 * this process too, must not meet the cap.
 */
static void cap_writes(struct rlimit *saved)
{
	struct rlimit rl;

	ck_assert_ptr_ne(signal(SIGXFSZ, SIG_IGN), SIG_ERR);
	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, saved), 0);
	rl = *saved;
	rl.rlim_cur = CUT_BYTES;
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
}

static void uncap_writes(const struct rlimit *saved)
{
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, saved), 0);
}

START_TEST(read_short_alone)
{
	struct rig r;
	struct dev_counters c;

	rig_create(&r, _i);
	cut_image(&r);			  /* after the device sized the image at SECTORS */
	add_req(&r, VIRTIO_BLK_T_IN, 2);  /* inside what is left: whole */
	add_req(&r, VIRTIO_BLK_T_IN, 8);  /* spans the cut: half of it */
	add_req(&r, VIRTIO_BLK_T_IN, 20); /* past the cut: 0 bytes */
	rig_go(&r);
	rig_reap(&r);
	expect_ok(&r, 0);
	expect_ioerr(&r, 1);
	expect_ioerr(&r, 2);
	c = counters(&r);
	ck_assert_uint_eq(c.reads, 3);
	ck_assert_uint_eq(c.io_errors, 2);
	ck_assert_uint_eq(c.err_short, 2);
	ck_assert_uint_eq(c.err_eio + c.err_enospc + c.err_other, 0);
	ck_assert_uint_eq(c.read_bytes, VIRTIO_BLK_SECTOR);
	ck_assert_uint_eq(c.merged_ios, 0);
	rig_destroy(&r);
}
END_TEST

START_TEST(read_short_merged)
{
	struct rig r;
	struct dev_counters c;

	rig_create(&r, _i);
	cut_image(&r);
	/* Sectors 6-9 as one readv that ends half-way into 8: 6 and 7 were
	 * read in full; 8 and 9 go again alone and each comes back short. */
	for (uint64_t s = 6; s < 10; s++)
		add_req(&r, VIRTIO_BLK_T_IN, s);
	rig_go(&r);
	rig_reap(&r);
	expect_ok(&r, 0);
	expect_ok(&r, 1);
	expect_ioerr(&r, 2);
	expect_ioerr(&r, 3);
	c = counters(&r);
	ck_assert_uint_eq(c.merged_ios, 1);
	ck_assert_uint_eq(c.merged_reqs, 4);
	ck_assert_uint_eq(c.io_errors, 2);
	ck_assert_uint_eq(c.err_short, 2);
	ck_assert_uint_eq(c.read_bytes, 2 * VIRTIO_BLK_SECTOR);
	expect_stats(&r, " resubmitted=2 ");
	rig_destroy(&r);
}
END_TEST

START_TEST(write_short_alone)
{
	struct rig r;
	struct dev_counters c;
	struct rlimit saved;

	rig_create(&r, _i);
	add_req(&r, VIRTIO_BLK_T_OUT, 2); /* below the cap: whole */
	add_req(&r, VIRTIO_BLK_T_OUT, 8); /* meets the cap half-way: short */
	cap_writes(&saved);
	rig_go(&r);
	rig_reap(&r);
	uncap_writes(&saved);
	expect_ok(&r, 0);
	expect_ioerr(&r, 1);
	expect_written(&r, 2);
	c = counters(&r);
	ck_assert_uint_eq(c.writes, 2);
	ck_assert_uint_eq(c.io_errors, 1);
	ck_assert_uint_eq(c.err_short, 1);
	ck_assert_uint_eq(c.err_eio + c.err_enospc + c.err_other, 0);
	ck_assert_uint_eq(c.written_bytes, VIRTIO_BLK_SECTOR);
	rig_destroy(&r);
}
END_TEST

START_TEST(write_short_merged)
{
	struct rig r;
	struct dev_counters c;
	struct rlimit saved;

	rig_create(&r, _i);
	/* Sectors 6-9 as one writev cut short half-way into 8: 6 and 7 are on
	 * the disk and succeed; 8 alone is short again, 9 alone starts at the
	 * cap and fails with EFBIG. */
	for (uint64_t s = 6; s < 10; s++)
		add_req(&r, VIRTIO_BLK_T_OUT, s);
	cap_writes(&saved);
	rig_go(&r);
	rig_reap(&r);
	uncap_writes(&saved);
	expect_ok(&r, 0);
	expect_ok(&r, 1);
	expect_ioerr(&r, 2);
	expect_ioerr(&r, 3);
	expect_written(&r, 6);
	expect_written(&r, 7);
	c = counters(&r);
	ck_assert_uint_eq(c.merged_ios, 1);
	ck_assert_uint_eq(c.merged_reqs, 4);
	ck_assert_uint_eq(c.io_errors, 2);
	ck_assert_uint_eq(c.err_short, 1);
	ck_assert_uint_eq(c.err_other, 1);
	ck_assert_uint_eq(c.written_bytes, 2 * VIRTIO_BLK_SECTOR);
	expect_stats(&r, " resubmitted=2 ");
	rig_destroy(&r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("blk_short");
	TCase *tc = tcase_create("short");

	/* Above IRQ_WAIT_MS, so that a device that never answers fails by name. */
	tcase_set_timeout(tc, 60);

	tcase_add_loop_test(tc, read_short_alone, 0, N_ENGINES);
	tcase_add_loop_test(tc, read_short_merged, 0, N_ENGINES);
	tcase_add_loop_test(tc, write_short_alone, 0, N_ENGINES);
	tcase_add_loop_test(tc, write_short_merged, 0, N_ENGINES);
	suite_add_tcase(s, tc);
	return check_run(s);
}
