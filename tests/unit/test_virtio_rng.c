// SPDX-License-Identifier: MIT
/*
 * virtio-rng as a guest drives it: the real device (vrng_create on a
 * malloc'ed guest RAM, its own thread, sealed io_uring, driven through its
 * virtio-mmio registers, an eventfd kick and its irqfd) against the mock
 * Linux driver. A buffer comes back filled, with its whole length as the
 * used length; a chain the device would have to read (a read-only
 * descriptor), one outside guest RAM and one of 4 GiB are answered with
 * nothing written, counted, and the device goes on serving. The same
 * device offers and serves the packed ring when the VMM asks for it.
 */
#include <check.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "devices/dev_stats.h"
#include "devices/virtio_dev.h"
#include "devices/virtio_rng.h"
#include "tests/unit/check_run.h"
#include "tests/unit/mock_driver.h"
#include "tests/unit/mock_mmio.h"
#include "tests/unit/mock_packed.h"
#include "virtio/mmio.h"
#include "virtio/vring.h"

#define QSIZE	16
#define RAM_GPA 0x100000
/* A bound for a device that never answers, not a time anything must keep. */
#define IRQ_WAIT_MS 30000
#define FILL	    0xee /* what the driver leaves in a buffer before the device */

struct rig {
	struct mock_driver md;
	struct virtio_dev *dev;
	int kick_fd, irq_fd;
};

static uint8_t *host(struct rig *r, uint64_t gpa)
{
	return r->md.ram + (gpa - r->md.ram_gpa);
}

static void mmio_w(struct rig *r, uint64_t off, uint32_t v)
{
	mock_mmio_w(virtio_dev_mmio(r->dev), off, v);
}

static uint32_t mmio_r(struct rig *r, uint64_t off)
{
	return mock_mmio_r(virtio_dev_mmio(r->dev), off);
}

/* The device started and probed as Linux does: VERSION_1, the queue, DRIVER_OK. */
static void rig_create(struct rig *r)
{
	struct virtio_dev_env env;
	struct vmmio *m;
	char err[160] = "";

	memset(r, 0, sizeof(*r));
	ck_assert_int_eq(mock_init(&r->md, QSIZE, 1ULL << VIRTIO_F_VERSION_1, RAM_GPA), 0);
	memset(r->md.ram + (r->md.data_gpa - RAM_GPA), FILL,
	       (size_t)QSIZE * MOCK_MAX_SEGS * MOCK_SEG_BYTES);
	r->kick_fd = eventfd(0, EFD_CLOEXEC);
	r->irq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ck_assert_int_ge(r->kick_fd, 0);
	ck_assert_int_ge(r->irq_fd, 0);
	env = (struct virtio_dev_env){
		.gm = &r->md.gm, .kick_fds = &r->kick_fd, .irq_fd = r->irq_fd};
	ck_assert_msg(vrng_create(&(struct vrng_options){0}, &env, &r->dev, err, sizeof(err)) == 0,
		      "vrng_create: %s", err);
	ck_assert_int_eq(virtio_dev_start(r->dev), 0);
	m = virtio_dev_mmio(r->dev);
	ck_assert_uint_eq(mock_mmio_r(m, VMMIO_DEVICE_ID), VIRTIO_ID_RNG);
	ck_assert(mock_mmio_negotiate(m, 1ULL << VIRTIO_F_VERSION_1));
	ck_assert(mock_mmio_queue(m, 0, QSIZE, r->md.desc_gpa, r->md.avail_gpa, r->md.used_gpa));
	ck_assert(mock_mmio_driver_ok(m));
}

static void rig_destroy(struct rig *r)
{
	virtio_dev_destroy(r->dev);
	close(r->kick_fd);
	close(r->irq_fd);
	mock_free(&r->md);
}

/* Kicks, then takes back n buffers: lens[cookie] is each one's used length. */
static void kick_and_reap(struct rig *r, unsigned int n, uint32_t *lens)
{
	unsigned int got = 0;

	ck_assert_int_eq(eventfd_write(r->kick_fd, 1), 0);
	while (got < n) {
		struct pollfd p = {.fd = r->irq_fd, .events = POLLIN};
		uint64_t cookie, v;
		uint32_t len;
		int k = mock_get(&r->md, &cookie, &len);

		ck_assert_msg(k >= 0, "driver: %s", r->md.why);
		if (k == 1) {
			ck_assert_uint_lt(cookie, n);
			lens[cookie] = len;
			got++;
			continue;
		}
		ck_assert_msg(poll(&p, 1, IRQ_WAIT_MS) == 1,
			      "no interrupt in %d ms with %u of %u buffers back", IRQ_WAIT_MS, got,
			      n);
		ck_assert_int_eq(read(r->irq_fd, &v, sizeof(v)), sizeof(v));
	}
}

/* The device's named counter (its report, as minivmm_get_stats gets it). */
static uint64_t counter(struct rig *r, const char *name)
{
	struct dev_report rep;

	ck_assert(virtio_dev_report(r->dev, &rep));
	for (unsigned int i = 0; i < rep.n; i++)
		if (!strcmp(rep.c[i].name, name))
			return rep.c[i].value;
	ck_abort_msg("no counter %s", name);
	return 0;
}

/* Bytes of segment k of head's buffer that the device left as the driver wrote them. */
static unsigned int untouched(struct rig *r, int head, unsigned int k, uint32_t len)
{
	const uint8_t *b = host(r, mock_seg_gpa(&r->md, (uint16_t)head, k));
	unsigned int n = 0;

	for (uint32_t i = 0; i < len; i++)
		n += b[i] == FILL;
	return n;
}

/*
 * 4 KiB in one buffer of 8 writable segments, and a second buffer: each
 * comes back with its whole length used, filled with bytes that are
 * neither what the driver left nor the same in both.
 */
START_TEST(rng_fills_buffers)
{
	uint32_t seg[MOCK_MAX_SEGS], lens[2] = {~0u, ~0u};
	unsigned int left = 0, zeros = 0;
	struct rig r;
	int head[2];

	rig_create(&r);
	for (unsigned int k = 0; k < MOCK_MAX_SEGS; k++)
		seg[k] = MOCK_SEG_BYTES;
	head[0] = mock_add(&r.md, NULL, 0, seg, MOCK_MAX_SEGS, false, 0);
	head[1] = mock_add(&r.md, NULL, 0, seg, 1, false, 1);
	ck_assert_int_ge(head[0], 0);
	ck_assert_int_ge(head[1], 0);
	kick_and_reap(&r, 2, lens);
	ck_assert_uint_eq(lens[0], MOCK_MAX_SEGS * MOCK_SEG_BYTES);
	ck_assert_uint_eq(lens[1], MOCK_SEG_BYTES);
	for (unsigned int k = 0; k < MOCK_MAX_SEGS; k++) {
		const uint8_t *b = host(&r, mock_seg_gpa(&r.md, (uint16_t)head[0], k));

		left += untouched(&r, head[0], k, MOCK_SEG_BYTES);
		for (unsigned int i = 0; i < MOCK_SEG_BYTES; i++)
			zeros += !b[i];
	}
	/* Random bytes: about 16 of each value in 4 KiB; 128 is far beyond luck. */
	ck_assert_uint_lt(left, 128);
	ck_assert_uint_lt(zeros, 128);
	ck_assert_uint_lt(untouched(&r, head[1], 0, MOCK_SEG_BYTES), 32);
	ck_assert_int_ne(memcmp(host(&r, mock_seg_gpa(&r.md, (uint16_t)head[0], 0)),
				host(&r, mock_seg_gpa(&r.md, (uint16_t)head[1], 0)),
				MOCK_SEG_BYTES),
			 0);
	ck_assert_uint_eq(counter(&r, "bytes"), (MOCK_MAX_SEGS + 1) * MOCK_SEG_BYTES);
	ck_assert_uint_eq(counter(&r, "rejected"), 0);
	rig_destroy(&r);
}
END_TEST

/*
 * A read-only descriptor, alone or before a writable one, asks the device
 * to read: refused with used length 0, the writable part left as it was,
 * counted; the next good buffer is still served.
 */
START_TEST(rng_refuses_read_only)
{
	uint32_t out = 64, in = 256, lens[3] = {~0u, ~0u, ~0u};
	struct rig r;
	int mixed, good;

	rig_create(&r);
	ck_assert_int_ge(mock_add(&r.md, &out, 1, NULL, 0, false, 0), 0);
	mixed = mock_add(&r.md, &out, 1, &in, 1, false, 1);
	good = mock_add(&r.md, NULL, 0, &in, 1, false, 2);
	ck_assert_int_ge(mixed, 0);
	ck_assert_int_ge(good, 0);
	kick_and_reap(&r, 3, lens);
	ck_assert_uint_eq(lens[0], 0);
	ck_assert_uint_eq(lens[1], 0);
	ck_assert_uint_eq(untouched(&r, mixed, 0, out), out);
	ck_assert_uint_eq(untouched(&r, mixed, 1, in), in);
	ck_assert_uint_eq(lens[2], in);
	ck_assert_uint_lt(untouched(&r, good, 0, in), 16);
	ck_assert_uint_eq(counter(&r, "rejected"), 2);
	rig_destroy(&r);
}
END_TEST

/*
 * Writable descriptors the queue layer must refuse: one past the end of
 * guest RAM, one that starts inside and runs 4 GiB - 1 bytes, one at
 * address 0 (below the RAM at RAM_GPA). Each is answered with length 0,
 * nothing outside RAM is written (ASan would see a host write there), and
 * the device serves the buffer after them.
 */
START_TEST(rng_hostile_addresses)
{
	const struct {
		uint64_t addr;
		uint32_t len;
	} bad[] = {
		{RAM_GPA + (64ULL << 20), 512},
		{RAM_GPA + 4096, 0xffffffffu},
		{0, 512},
	};
	uint32_t in = 512, lens[4];
	struct rig r;
	int good;

	rig_create(&r);
	for (unsigned int i = 0; i < 3; i++) {
		int h = mock_add(&r.md, NULL, 0, &in, 1, false, i);

		ck_assert_int_ge(h, 0);
		/* The device looks only when kicked: the descriptor is rewritten first. */
		mock_write_desc(&r.md, (uint16_t)h, bad[i].addr, bad[i].len, VRING_DESC_F_WRITE, 0);
	}
	good = mock_add(&r.md, NULL, 0, &in, 1, false, 3);
	ck_assert_int_ge(good, 0);
	kick_and_reap(&r, 4, lens);
	for (unsigned int i = 0; i < 3; i++)
		ck_assert_msg(lens[i] == 0, "bad descriptor %u: used length %u", i, lens[i]);
	ck_assert_uint_eq(lens[3], in);
	ck_assert_uint_lt(untouched(&r, good, 0, in), 16);
	ck_assert_uint_eq(counter(&r, "chain_errors"), 3);
	rig_destroy(&r);
}
END_TEST

/*
 * The ring format is the VMM's choice (virtio_dev_env.packed): a device
 * made without it does not offer RING_PACKED (bit 34) and refuses a driver
 * that takes it; with it, the bit is offered beside the device's others.
 */
START_TEST(rng_packed_offered_only_when_asked)
{
	uint32_t ok = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK;
	uint32_t bit = 1u << (VIRTIO_F_RING_PACKED - 32);

	for (int packed = 0; packed < 2; packed++) {
		struct virtio_dev_env env;
		struct rig r;
		char err[160] = "";

		memset(&r, 0, sizeof(r));
		ck_assert_int_eq(mock_init(&r.md, QSIZE, 1ULL << VIRTIO_F_VERSION_1, RAM_GPA), 0);
		r.kick_fd = eventfd(0, EFD_CLOEXEC);
		r.irq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		env = (struct virtio_dev_env){.gm = &r.md.gm,
					      .kick_fds = &r.kick_fd,
					      .irq_fd = r.irq_fd,
					      .packed = packed};
		ck_assert_msg(
			vrng_create(&(struct vrng_options){0}, &env, &r.dev, err, sizeof(err)) == 0,
			"vrng_create: %s", err);
		mmio_w(&r, VMMIO_DEVICE_FEATURES_SEL, 1);
		ck_assert_uint_eq(mmio_r(&r, VMMIO_DEVICE_FEATURES) & bit, packed ? bit : 0);
		ck_assert_uint_ne(
			mmio_r(&r, VMMIO_DEVICE_FEATURES) & (1u << (VIRTIO_F_VERSION_1 - 32)), 0);
		mmio_w(&r, VMMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
		mmio_w(&r, VMMIO_DRIVER_FEATURES_SEL, 1);
		mmio_w(&r, VMMIO_DRIVER_FEATURES, (1u << (VIRTIO_F_VERSION_1 - 32)) | bit);
		mmio_w(&r, VMMIO_STATUS, ok);
		ck_assert_uint_eq(mmio_r(&r, VMMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK,
				  packed ? VIRTIO_STATUS_FEATURES_OK : 0);
		rig_destroy(&r);
	}
}
END_TEST

/* The device probed as Linux does with the packed ring (and IN_ORDER when asked). */
static void rig_packed_create(struct rig *r, struct mock_packed *mp, bool in_order)
{
	uint64_t feats = 1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_F_RING_PACKED |
			 (in_order ? 1ULL << VIRTIO_F_IN_ORDER : 0);
	struct virtio_dev_env env;
	struct vmmio *m;
	char err[160] = "";

	memset(r, 0, sizeof(*r));
	ck_assert_int_eq(mpk_init(mp, QSIZE, feats, RAM_GPA, 5), 0);
	memset(mp->ram + (mp->data_gpa - RAM_GPA), FILL,
	       (size_t)QSIZE * MOCK_MAX_SEGS * MOCK_SEG_BYTES);
	r->kick_fd = eventfd(0, EFD_CLOEXEC);
	r->irq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ck_assert_int_ge(r->kick_fd, 0);
	ck_assert_int_ge(r->irq_fd, 0);
	env = (struct virtio_dev_env){
		.gm = &mp->gm, .kick_fds = &r->kick_fd, .irq_fd = r->irq_fd, .packed = true};
	ck_assert_msg(vrng_create(&(struct vrng_options){.in_order = in_order}, &env, &r->dev, err,
				  sizeof(err)) == 0,
		      "vrng_create: %s", err);
	ck_assert_int_eq(virtio_dev_start(r->dev), 0);
	m = virtio_dev_mmio(r->dev);
	ck_assert(mock_mmio_negotiate(m, feats));
	ck_assert(mock_mmio_queue(m, 0, QSIZE, mp->desc_gpa, mp->driver_gpa, mp->device_gpa));
	ck_assert(mock_mmio_driver_ok(m));
	ck_assert(virtio_dev_negotiated(r->dev, VIRTIO_F_RING_PACKED));
}

/*
 * The whole path with the packed ring: the shell enables the queue in the
 * packed format on the areas the registers name, and the device thread
 * serves 5 rounds of 12 buffers (almost 4 laps of 16 slots, with the
 * ring's end crossed mid-round) from the mock packed driver, in order and
 * not: each comes back with its whole length, filled.
 */
START_TEST(rng_packed_round_trip)
{
	bool in_order = _i;
	struct mock_packed mp;
	struct rig r;

	rig_packed_create(&r, &mp, in_order);
	for (unsigned int round = 0; round < 5; round++) {
		uint32_t seg = 32 + round, lens[12];
		unsigned int got = 0, left = 0;
		int id[12];

		for (unsigned int i = 0; i < 12; i++) {
			id[i] = mpk_add(&mp, NULL, 0, &seg, 1, false, i);
			ck_assert_int_ge(id[i], 0);
			memset(mp.ram + (mpk_seg_gpa(&mp, (uint16_t)id[i], 0) - RAM_GPA), FILL,
			       seg);
			lens[i] = ~0u;
		}
		ck_assert_int_eq(eventfd_write(r.kick_fd, 1), 0);
		while (got < 12) {
			struct pollfd p = {.fd = r.irq_fd, .events = POLLIN};
			uint64_t cookie, v;
			uint32_t len;
			int k = mpk_get(&mp, &cookie, &len);

			ck_assert_msg(k >= 0, "driver: %s", mp.why);
			if (k == 1) {
				ck_assert_uint_lt(cookie, 12);
				lens[cookie] = len;
				got++;
				continue;
			}
			ck_assert_msg(poll(&p, 1, IRQ_WAIT_MS) == 1,
				      "no interrupt in %d ms with %u of 12 buffers back",
				      IRQ_WAIT_MS, got);
			ck_assert_int_eq(read(r.irq_fd, &v, sizeof(v)), sizeof(v));
		}
		for (unsigned int i = 0; i < 12; i++) {
			const uint8_t *b =
				mp.ram + (mpk_seg_gpa(&mp, (uint16_t)id[i], 0) - RAM_GPA);

			ck_assert_uint_eq(lens[i], seg);
			for (uint32_t j = 0; j < seg; j++)
				left += b[j] == FILL;
		}
		/* 12 * ~34 random bytes: about 2 of them FILL by chance. */
		ck_assert_uint_lt(left, 32);
	}
	ck_assert_uint_eq(counter(&r, "rejected"), 0);
	ck_assert_uint_eq(counter(&r, "chain_errors"), 0);
	virtio_dev_destroy(r.dev);
	close(r.kick_fd);
	close(r.irq_fd);
	mpk_free(&mp);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("virtio_rng");
	TCase *tc = tcase_create("rng");

	/* Above IRQ_WAIT_MS, so that a device that never answers fails by name. */
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, rng_fills_buffers);
	tcase_add_test(tc, rng_refuses_read_only);
	tcase_add_test(tc, rng_hostile_addresses);
	tcase_add_test(tc, rng_packed_offered_only_when_asked);
	tcase_add_loop_test(tc, rng_packed_round_trip, 0, 2);
	suite_add_tcase(s, tc);
	return check_run(s);
}
