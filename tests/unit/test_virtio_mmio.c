// SPDX-License-Identifier: MIT
/*
 * virtio-mmio transport: the register file, the device-status state machine,
 * queue setup through the real vq_enable() on guest RAM in a malloc'ed
 * buffer, interrupts, config space and every malformed access a guest can
 * make. The device is a fake whose vmmio_ops record what they were asked.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/check_run.h"
#include "tests/unit/mock_packed.h"
#include "virtio/guest_mem.h"
#include "virtio/mmio.h"
#include "virtio/packed_ring.h"
#include "virtio/split_ring.h"
#include "virtio/virtqueue.h"
#include "virtio/vring.h"

#define RAM_GPA	 0x100000ULL
#define RAM_SIZE 0x10000ULL
#define NQ	 2
#define CFG_SIZE 64
#define DEV_ID	 2

#define F_V1	 (1ULL << VIRTIO_F_VERSION_1)
#define F_INORD	 (1ULL << VIRTIO_F_IN_ORDER)
#define F_EVENT	 (1ULL << VIRTIO_RING_F_EVENT_IDX)
#define F_B1	 (1ULL << 1)
#define F_PACKED (1ULL << VIRTIO_F_RING_PACKED)
/* Offered: bits 1, 29 (low word 0x20000002), 32 and 35 (high word 0x9). */
#define DEV_FEATS (F_V1 | F_INORD | F_EVENT | F_B1)

/* Ring layout of queue 0 (size 16) inside RAM. */
#define DESC_GPA  (RAM_GPA + 0x0000)
#define AVAIL_GPA (RAM_GPA + 0x1000)
#define USED_GPA  (RAM_GPA + 0x2000)
/* Queue 1 (size 8). */
#define DESC1_GPA  (RAM_GPA + 0x4000)
#define AVAIL1_GPA (RAM_GPA + 0x5000)
#define USED1_GPA  (RAM_GPA + 0x6000)

struct fake {
	struct vmmio m;
	struct virtqueue vqs[NQ];
	struct guest_mem gm;
	const struct guest_mem *queue_gm; /* NULL: gm; else a mock driver's RAM */
	uint8_t *ram;
	uint8_t cfg[CFG_SIZE];

	int n_enable, n_reset, n_driver_ok, n_notify, n_cfg_read, n_cfg_write, n_irq;
	unsigned int enable_q, notify_q;
	uint64_t enable_features, driver_ok_features;
	int enable_rc;			 /* last vq_enable() result */
	uint32_t isr_at_irq, gen_at_irq; /* InterruptStatus / generation seen by interrupt() */
	uint32_t cfg_off;
	unsigned int cfg_size;
	bool reset_later; /* the next reset finishes later (vmmio_reset_later) */
};

static struct fake F;

static int fake_queue_enable(void *dev, unsigned int q, uint64_t features)
{
	struct fake *f = dev;

	f->n_enable++;
	f->enable_q = q;
	f->enable_features = features;
	f->enable_rc = vq_enable(&f->vqs[q], f->queue_gm ? f->queue_gm : &f->gm, features);
	return f->enable_rc;
}

static void fake_reset(void *dev)
{
	struct fake *f = dev;

	f->n_reset++;
	if (f->reset_later) {
		vmmio_reset_later(&f->m);
		return;
	}
	for (unsigned int i = 0; i < NQ; i++)
		vq_reset(&f->vqs[i]);
}

static void fake_driver_ok(void *dev, uint64_t features)
{
	struct fake *f = dev;

	f->n_driver_ok++;
	f->driver_ok_features = features;
}

static void fake_notify(void *dev, unsigned int q)
{
	struct fake *f = dev;

	f->n_notify++;
	f->notify_q = q;
}

static void fake_config_read(void *dev, uint32_t offset, uint8_t *data, unsigned int size)
{
	struct fake *f = dev;

	f->n_cfg_read++;
	f->cfg_off = offset;
	f->cfg_size = size;
	ck_assert_uint_le((uint64_t)offset + size, CFG_SIZE);
	memcpy(data, f->cfg + offset, size);
}

static void fake_config_write(void *dev, uint32_t offset, const uint8_t *data, unsigned int size)
{
	struct fake *f = dev;

	f->n_cfg_write++;
	f->cfg_off = offset;
	f->cfg_size = size;
	ck_assert_uint_le((uint64_t)offset + size, CFG_SIZE);
	memcpy(f->cfg + offset, data, size);
}

static void fake_interrupt(void *dev)
{
	struct fake *f = dev;

	/* Called with the transport lock held on some paths: read atomics only. */
	f->n_irq++;
	f->isr_at_irq = (uint32_t)atomic_load(&f->m.isr);
	f->gen_at_irq = (uint32_t)atomic_load(&f->m.config_generation);
}

static const struct vmmio_ops fake_ops = {
	.queue_enable = fake_queue_enable,
	.reset = fake_reset,
	.driver_ok = fake_driver_ok,
	.notify = fake_notify,
	.config_read = fake_config_read,
	.config_write = fake_config_write,
	.interrupt = fake_interrupt,
};

static void setup(void)
{
	memset(&F, 0, sizeof(F));
	F.ram = aligned_alloc(4096, RAM_SIZE);
	ck_assert_ptr_nonnull(F.ram);
	memset(F.ram, 0, RAM_SIZE);
	gm_init(&F.gm);
	ck_assert_int_eq(gm_add_region(&F.gm, RAM_GPA, RAM_SIZE, F.ram), 0);
	vq_init(&F.vqs[0], 16);
	vq_init(&F.vqs[1], 8);
	for (unsigned int i = 0; i < CFG_SIZE; i++)
		F.cfg[i] = (uint8_t)(0xa0 + i);
	ck_assert_int_eq(vmmio_init(&F.m, &fake_ops, &F, DEV_ID, DEV_FEATS, CFG_SIZE, F.vqs, NQ),
			 0);
}

static void teardown(void)
{
	for (unsigned int i = 0; i < NQ; i++)
		vq_destroy(&F.vqs[i]);
	vmmio_destroy(&F.m);
	free(F.ram);
}

static uint32_t rd(uint64_t off)
{
	uint8_t b[4] = {0xff, 0xff, 0xff, 0xff};

	vmmio_read(&F.m, off, b, 4);
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static void wr(uint64_t off, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};

	vmmio_write(&F.m, off, b, 4);
}

static void wr_features(uint64_t f)
{
	wr(VMMIO_DRIVER_FEATURES_SEL, 0);
	wr(VMMIO_DRIVER_FEATURES, (uint32_t)f);
	wr(VMMIO_DRIVER_FEATURES_SEL, 1);
	wr(VMMIO_DRIVER_FEATURES, (uint32_t)(f >> 32));
}

/* ACKNOWLEDGE, DRIVER, features, FEATURES_OK: as a Linux driver does. */
static void negotiate(uint64_t f)
{
	wr(VMMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	wr(VMMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr_features(f);
	wr(VMMIO_STATUS,
	   VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	ck_assert_uint_eq(rd(VMMIO_STATUS), VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
						    VIRTIO_STATUS_FEATURES_OK);
}

static void layout_queue(unsigned int q, uint32_t num, uint64_t desc, uint64_t avail, uint64_t used)
{
	wr(VMMIO_QUEUE_SEL, q);
	wr(VMMIO_QUEUE_NUM, num);
	wr(VMMIO_QUEUE_DESC_LOW, (uint32_t)desc);
	wr(VMMIO_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
	wr(VMMIO_QUEUE_DRIVER_LOW, (uint32_t)avail);
	wr(VMMIO_QUEUE_DRIVER_HIGH, (uint32_t)(avail >> 32));
	wr(VMMIO_QUEUE_DEVICE_LOW, (uint32_t)used);
	wr(VMMIO_QUEUE_DEVICE_HIGH, (uint32_t)(used >> 32));
}

static void enable_queue0(void)
{
	layout_queue(0, 16, DESC_GPA, AVAIL_GPA, USED_GPA);
	wr(VMMIO_QUEUE_READY, 1);
	ck_assert_uint_eq(rd(VMMIO_QUEUE_READY), 1);
}

/* A device whose config space changed: generation bump, then the interrupt
 * (no device changes its config space yet; the register file's side of it
 * is tested here). */
static void vmmio_signal_config(struct vmmio *m)
{
	atomic_fetch_add(&m->config_generation, 1);
	atomic_fetch_or(&m->isr, VMMIO_INT_CONFIG);
	m->ops->interrupt(m->dev);
}

START_TEST(init_validates)
{
	struct vmmio m;

	ck_assert_int_eq(vmmio_init(&m, &fake_ops, &F, DEV_ID, F_B1, 0, F.vqs, NQ), -EINVAL);
	ck_assert_int_eq(vmmio_init(&m, &fake_ops, &F, DEV_ID, F_V1, 0, F.vqs, 0), -EINVAL);
	ck_assert_int_eq(
		vmmio_init(&m, &fake_ops, &F, DEV_ID, F_V1, 0, F.vqs, VMMIO_MAX_QUEUES + 1),
		-EINVAL);
	ck_assert_int_eq(vmmio_init(&m, &fake_ops, &F, DEV_ID, F_V1, VMMIO_SIZE - VMMIO_CONFIG + 1,
				    F.vqs, NQ),
			 -EINVAL);
	ck_assert_int_eq(
		vmmio_init(&m, &fake_ops, &F, DEV_ID, F_V1, VMMIO_SIZE - VMMIO_CONFIG, F.vqs, NQ),
		0);
	vmmio_destroy(&m);
}
END_TEST

START_TEST(identity_registers)
{
	ck_assert_uint_eq(rd(VMMIO_MAGIC_VALUE), 0x74726976);
	ck_assert_uint_eq(rd(VMMIO_VERSION_REG), 2);
	ck_assert_uint_eq(rd(VMMIO_DEVICE_ID), DEV_ID);
	ck_assert_uint_eq(rd(VMMIO_VENDOR_ID), VMMIO_VENDOR);
	ck_assert_uint_eq(rd(VMMIO_STATUS), 0);
	ck_assert_uint_eq(rd(VMMIO_INTERRUPT_STATUS), 0);
	ck_assert_uint_eq(rd(VMMIO_CONFIG_GENERATION), 0);
	/* No shared memory regions: length -1. */
	ck_assert_uint_eq(rd(VMMIO_SHM_LEN_LOW), 0xffffffff);
	ck_assert_uint_eq(rd(VMMIO_SHM_LEN_HIGH), 0xffffffff);
	ck_assert_uint_eq(F.m.counters.bad_access, 0);
}
END_TEST

START_TEST(device_features_selector)
{
	ck_assert_uint_eq(rd(VMMIO_DEVICE_FEATURES), 0x20000002); /* selector 0 after init */
	wr(VMMIO_DEVICE_FEATURES_SEL, 1);
	ck_assert_uint_eq(rd(VMMIO_DEVICE_FEATURES), 0x9);
	wr(VMMIO_DEVICE_FEATURES_SEL, 2);
	ck_assert_uint_eq(rd(VMMIO_DEVICE_FEATURES), 0);
	wr(VMMIO_DEVICE_FEATURES_SEL, 0xffffffff);
	ck_assert_uint_eq(rd(VMMIO_DEVICE_FEATURES), 0);
	wr(VMMIO_DEVICE_FEATURES_SEL, 0);
	ck_assert_uint_eq(rd(VMMIO_DEVICE_FEATURES), 0x20000002);
	/* The selector does not depend on the status. */
	negotiate(F_V1);
	wr(VMMIO_DEVICE_FEATURES_SEL, 1);
	ck_assert_uint_eq(rd(VMMIO_DEVICE_FEATURES), 0x9);
	ck_assert_uint_eq(F.m.counters.bad_access, 0);
	ck_assert_uint_eq(F.m.counters.bad_state, 0);
}
END_TEST

START_TEST(driver_features_gated_by_status)
{
	/* Before DRIVER: ignored and counted. */
	wr(VMMIO_DRIVER_FEATURES_SEL, 0);
	wr(VMMIO_DRIVER_FEATURES, (uint32_t)F_B1);
	ck_assert_uint_eq(F.m.counters.bad_state, 1);
	wr(VMMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	wr(VMMIO_DRIVER_FEATURES, (uint32_t)F_B1);
	ck_assert_uint_eq(F.m.counters.bad_state, 2);
	ck_assert_uint_eq(F.m.driver_features, 0);
	wr(VMMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	/* Only the high word now: bit 1 written earlier must not have stuck. */
	wr(VMMIO_DRIVER_FEATURES_SEL, 1);
	wr(VMMIO_DRIVER_FEATURES, (uint32_t)(F_V1 >> 32));
	/* Selector 2 and beyond: no such word, ignored. */
	wr(VMMIO_DRIVER_FEATURES_SEL, 2);
	wr(VMMIO_DRIVER_FEATURES, 0xffffffff);
	ck_assert_uint_eq(F.m.counters.bad_state, 3);
	ck_assert_uint_eq(F.m.driver_features, F_V1);
	wr(VMMIO_STATUS,
	   VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	ck_assert_uint_eq(rd(VMMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK, VIRTIO_STATUS_FEATURES_OK);
	ck_assert_uint_eq(vmmio_negotiated(&F.m, false), F_V1);
	/* After FEATURES_OK: ignored, the latched set unchanged. */
	wr(VMMIO_DRIVER_FEATURES_SEL, 0);
	wr(VMMIO_DRIVER_FEATURES, (uint32_t)(F_B1 | F_EVENT));
	ck_assert_uint_eq(F.m.counters.bad_state, 4);
	ck_assert_uint_eq(F.m.driver_features, F_V1);
	ck_assert_uint_eq(vmmio_negotiated(&F.m, false), F_V1);
	/* DriverFeatures is write-only. */
	ck_assert_uint_eq(rd(VMMIO_DRIVER_FEATURES), 0);
	ck_assert_uint_eq(F.m.counters.bad_access, 1);
}
END_TEST

START_TEST(driver_features_low_high_independent)
{
	wr(VMMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr_features(F_V1 | F_INORD | F_B1);
	ck_assert_uint_eq(F.m.driver_features, F_V1 | F_INORD | F_B1);
	/* Rewriting the low word keeps the high one and vice versa. */
	wr(VMMIO_DRIVER_FEATURES_SEL, 0);
	wr(VMMIO_DRIVER_FEATURES, (uint32_t)F_EVENT);
	ck_assert_uint_eq(F.m.driver_features, F_V1 | F_INORD | F_EVENT);
	wr(VMMIO_DRIVER_FEATURES_SEL, 1);
	wr(VMMIO_DRIVER_FEATURES, (uint32_t)(F_V1 >> 32));
	ck_assert_uint_eq(F.m.driver_features, F_V1 | F_EVENT);
}
END_TEST

START_TEST(features_ok_refused_unoffered_bit)
{
	wr(VMMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr_features(F_V1 | (1ULL << 3)); /* bit 3 never offered */
	wr(VMMIO_STATUS,
	   VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	ck_assert_uint_eq(rd(VMMIO_STATUS), VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	ck_assert_uint_eq(F.m.counters.features_refused, 1);
	ck_assert_uint_eq(vmmio_negotiated(&F.m, false), 0);
	ck_assert_uint_eq(vmmio_negotiated(&F.m, true), 0);
	/* An unoffered bit in the high word is refused too. */
	wr_features(F_V1 | (1ULL << 40));
	wr(VMMIO_STATUS,
	   VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	ck_assert_uint_eq(rd(VMMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK, 0);
	ck_assert_uint_eq(F.m.counters.features_refused, 2);
	/* DRIVER_OK cannot follow a refused FEATURES_OK. */
	wr(VMMIO_STATUS,
	   VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_DRIVER_OK);
	ck_assert_uint_eq(rd(VMMIO_STATUS), VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	ck_assert_int_eq(F.n_driver_ok, 0);
	/* The driver may fix its set and try again. */
	wr_features(F_V1 | F_INORD);
	wr(VMMIO_STATUS,
	   VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	ck_assert_uint_eq(rd(VMMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK, VIRTIO_STATUS_FEATURES_OK);
	ck_assert_uint_eq(vmmio_negotiated(&F.m, false), F_V1 | F_INORD);
	ck_assert_uint_eq(F.m.counters.features_refused, 2);
}
END_TEST

START_TEST(features_ok_refused_without_version_1)
{
	wr(VMMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr_features(F_B1 | F_EVENT); /* offered, but a legacy driver's set */
	wr(VMMIO_STATUS,
	   VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	ck_assert_uint_eq(rd(VMMIO_STATUS), VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	ck_assert_uint_eq(F.m.counters.features_refused, 1);
	ck_assert_uint_eq(vmmio_negotiated(&F.m, false), 0);
}
END_TEST

START_TEST(features_ok_refused_without_driver)
{
	/* FEATURES_OK without DRIVER: refused even with an empty, offered set. */
	wr(VMMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_FEATURES_OK);
	ck_assert_uint_eq(rd(VMMIO_STATUS), VIRTIO_STATUS_ACKNOWLEDGE);
	ck_assert_uint_eq(F.m.counters.features_refused, 1);
}
END_TEST

START_TEST(features_latched_at_features_ok)
{
	negotiate(F_V1 | F_EVENT | F_B1);
	ck_assert_uint_eq(vmmio_negotiated(&F.m, false), F_V1 | F_EVENT | F_B1);
	ck_assert_uint_eq(vmmio_negotiated(&F.m, true), F_V1 | F_EVENT | F_B1);
	/* The device gets the latched set at QueueReady and DRIVER_OK. */
	enable_queue0();
	ck_assert_uint_eq(F.enable_features, F_V1 | F_EVENT | F_B1);
	ck_assert(F.vqs[0].event_idx);
	wr(VMMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
				 VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
	ck_assert_int_eq(F.n_driver_ok, 1);
	ck_assert_uint_eq(F.driver_ok_features, F_V1 | F_EVENT | F_B1);
	ck_assert_uint_eq(rd(VMMIO_STATUS), 0xf);
	/* Setting DRIVER_OK again does not call driver_ok twice. */
	wr(VMMIO_STATUS, 0xf);
	ck_assert_int_eq(F.n_driver_ok, 1);
	/* A reset forgets the set; the "last" view keeps it. */
	wr(VMMIO_STATUS, 0);
	ck_assert_uint_eq(vmmio_negotiated(&F.m, false), 0);
	ck_assert_uint_eq(vmmio_negotiated(&F.m, true), F_V1 | F_EVENT | F_B1);
}
END_TEST

START_TEST(driver_ok_requires_features_ok)
{
	wr(VMMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr_features(F_V1);
	wr(VMMIO_STATUS,
	   VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_DRIVER_OK);
	ck_assert_uint_eq(rd(VMMIO_STATUS), VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	ck_assert_uint_eq(F.m.counters.bad_state, 1);
	ck_assert_int_eq(F.n_driver_ok, 0);
	/* FEATURES_OK and DRIVER_OK in one write: both accepted, in order. */
	wr(VMMIO_STATUS, 0xf);
	ck_assert_uint_eq(rd(VMMIO_STATUS), 0xf);
	ck_assert_int_eq(F.n_driver_ok, 1);
	ck_assert_uint_eq(F.driver_ok_features, F_V1);
}
END_TEST

START_TEST(clearing_status_bits_refused)
{
	negotiate(F_V1);
	wr(VMMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	ck_assert_uint_eq(rd(VMMIO_STATUS), VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
						    VIRTIO_STATUS_FEATURES_OK);
	ck_assert_uint_eq(F.m.counters.bad_state, 1);
	/* Clearing one bit while setting another: refused as a whole. */
	wr(VMMIO_STATUS,
	   VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
	ck_assert_uint_eq(rd(VMMIO_STATUS), VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
						    VIRTIO_STATUS_FEATURES_OK);
	ck_assert_uint_eq(F.m.counters.bad_state, 2);
	ck_assert_int_eq(F.n_driver_ok, 0);
	ck_assert_int_eq(F.n_reset, 0);
	/* FAILED may be added. */
	wr(VMMIO_STATUS, rd(VMMIO_STATUS) | VIRTIO_STATUS_FAILED);
	ck_assert_uint_eq(rd(VMMIO_STATUS) & VIRTIO_STATUS_FAILED, VIRTIO_STATUS_FAILED);
}
END_TEST

START_TEST(driver_cannot_set_needs_reset)
{
	wr(VMMIO_STATUS, VIRTIO_STATUS_NEEDS_RESET);
	ck_assert_uint_eq(rd(VMMIO_STATUS), 0);
	wr(VMMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_NEEDS_RESET);
	ck_assert_uint_eq(rd(VMMIO_STATUS), VIRTIO_STATUS_ACKNOWLEDGE);
	ck_assert(!atomic_load(&F.m.needs_reset));
	ck_assert_int_eq(F.n_reset, 0);
}
END_TEST

/* Bits the spec does not define (0x10, 0x20) never read back. */
START_TEST(undefined_status_bits_dropped)
{
	wr(VMMIO_STATUS, 0xff);
	ck_assert_uint_eq(rd(VMMIO_STATUS) & 0x30, 0);
	wr(VMMIO_STATUS, 0);
	wr(VMMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | 0x30);
	ck_assert_uint_eq(rd(VMMIO_STATUS), VIRTIO_STATUS_ACKNOWLEDGE);
}
END_TEST

START_TEST(status_zero_resets)
{
	negotiate(F_V1 | F_B1);
	enable_queue0();
	wr(VMMIO_STATUS, 0xf);
	vmmio_signal_used(&F.m);
	vmmio_signal_config(&F.m);
	vmmio_set_needs_reset(&F.m);
	wr(VMMIO_QUEUE_SEL, 1);
	wr(VMMIO_DEVICE_FEATURES_SEL, 1);
	ck_assert_uint_eq(rd(VMMIO_INTERRUPT_STATUS), 3);
	ck_assert_uint_eq(rd(VMMIO_STATUS), 0xf | VIRTIO_STATUS_NEEDS_RESET);

	wr(VMMIO_STATUS, 0);
	ck_assert_int_eq(F.n_reset, 1);
	ck_assert_uint_eq(rd(VMMIO_STATUS), 0);
	ck_assert_uint_eq(rd(VMMIO_INTERRUPT_STATUS), 0);
	ck_assert_uint_eq(F.m.driver_features, 0);
	ck_assert_uint_eq(vmmio_negotiated(&F.m, false), 0);
	/* Selectors back to 0: queue 0 (num max 16), feature word 0. */
	ck_assert_uint_eq(rd(VMMIO_QUEUE_NUM_MAX), 16);
	ck_assert_uint_eq(rd(VMMIO_DEVICE_FEATURES), 0x20000002);
	ck_assert_uint_eq(rd(VMMIO_QUEUE_READY), 0);
	ck_assert(!F.vqs[0].ready);
	/* The device's reset cleared the layout; it reads back as such. */
	ck_assert_uint_eq(rd(VMMIO_QUEUE_NUM), 0);
	ck_assert_uint_eq(rd(VMMIO_QUEUE_DESC_LOW), 0);
	/* The generation is not a status: it keeps counting. */
	ck_assert_uint_eq(rd(VMMIO_CONFIG_GENERATION), 1);

	/* A second life: features writable only after DRIVER again, queue re-enabled. */
	wr(VMMIO_DRIVER_FEATURES, 1);
	ck_assert_uint_eq(F.m.driver_features, 0);
	negotiate(F_V1);
	enable_queue0();
	ck_assert_int_eq(F.n_enable, 2);
	ck_assert(F.vqs[0].ready);
	/* Reset while already reset still asks the device. */
	wr(VMMIO_STATUS, 0);
	wr(VMMIO_STATUS, 0);
	ck_assert_int_eq(F.n_reset, 3);
}
END_TEST

START_TEST(queue_num_max_and_selector)
{
	wr(VMMIO_QUEUE_SEL, 0);
	ck_assert_uint_eq(rd(VMMIO_QUEUE_NUM_MAX), 16);
	wr(VMMIO_QUEUE_SEL, 1);
	ck_assert_uint_eq(rd(VMMIO_QUEUE_NUM_MAX), 8);
	const uint32_t absent[] = {2, VMMIO_MAX_QUEUES - 1, VMMIO_MAX_QUEUES, 0x10000, 0xffffffff};
	for (unsigned int i = 0; i < sizeof(absent) / sizeof(absent[0]); i++) {
		wr(VMMIO_QUEUE_SEL, absent[i]);
		ck_assert_uint_eq(rd(VMMIO_QUEUE_NUM_MAX), 0);
		ck_assert_uint_eq(rd(VMMIO_QUEUE_READY), 0);
		ck_assert_uint_eq(rd(VMMIO_QUEUE_NUM), 0);
		ck_assert_uint_eq(rd(VMMIO_QUEUE_DESC_LOW), 0);
		ck_assert_uint_eq(rd(VMMIO_QUEUE_DEVICE_HIGH), 0);
	}
	ck_assert_uint_eq(F.m.counters.bad_access, 0);
	/* Writes to an absent queue: counted, nothing enabled. */
	negotiate(F_V1);
	wr(VMMIO_QUEUE_SEL, 2);
	wr(VMMIO_QUEUE_NUM, 8);
	wr(VMMIO_QUEUE_DESC_LOW, 0x1000);
	wr(VMMIO_QUEUE_READY, 1);
	ck_assert_uint_eq(F.m.counters.bad_state, 3);
	ck_assert_int_eq(F.n_enable, 0);
	ck_assert_uint_eq(rd(VMMIO_QUEUE_READY), 0);
	/* QueueSel is write-only. */
	ck_assert_uint_eq(rd(VMMIO_QUEUE_SEL), 0);
	ck_assert_uint_eq(F.m.counters.bad_access, 1);
}
END_TEST

START_TEST(queue_layout_registers_land_in_virtqueue)
{
	negotiate(F_V1);
	layout_queue(1, 8, 0x123456789abcdef0ULL, 0x0fedcba987654320ULL, 0x1111222233334444ULL);
	ck_assert_uint_eq(F.vqs[1].size, 8);
	ck_assert_uint_eq(F.vqs[1].desc_gpa, 0x123456789abcdef0ULL);
	ck_assert_uint_eq(F.vqs[1].avail_gpa, 0x0fedcba987654320ULL);
	ck_assert_uint_eq(F.vqs[1].used_gpa, 0x1111222233334444ULL);
	ck_assert_uint_eq(rd(VMMIO_QUEUE_NUM), 8);
	ck_assert_uint_eq(rd(VMMIO_QUEUE_DESC_LOW), 0x9abcdef0);
	ck_assert_uint_eq(rd(VMMIO_QUEUE_DESC_HIGH), 0x12345678);
	ck_assert_uint_eq(rd(VMMIO_QUEUE_DRIVER_LOW), 0x87654320);
	ck_assert_uint_eq(rd(VMMIO_QUEUE_DRIVER_HIGH), 0x0fedcba9);
	ck_assert_uint_eq(rd(VMMIO_QUEUE_DEVICE_LOW), 0x33334444);
	ck_assert_uint_eq(rd(VMMIO_QUEUE_DEVICE_HIGH), 0x11112222);
	/* Queue 0 untouched. */
	ck_assert_uint_eq(F.vqs[0].size, 0);
	ck_assert_uint_eq(F.vqs[0].desc_gpa, 0);
	/* Low and high halves are independent. */
	wr(VMMIO_QUEUE_DESC_LOW, 0x1000);
	ck_assert_uint_eq(F.vqs[1].desc_gpa, 0x1234567800001000ULL);
	wr(VMMIO_QUEUE_DESC_HIGH, 0);
	ck_assert_uint_eq(F.vqs[1].desc_gpa, 0x1000);
	wr(VMMIO_QUEUE_DRIVER_HIGH, 0);
	ck_assert_uint_eq(F.vqs[1].avail_gpa, 0x87654320);
	wr(VMMIO_QUEUE_DEVICE_LOW, 0);
	ck_assert_uint_eq(F.vqs[1].used_gpa, 0x1111222200000000ULL);
	/* QueueNum beyond 16 bits cannot alias a valid size. */
	wr(VMMIO_QUEUE_NUM, 0x10008);
	ck_assert_uint_eq(rd(VMMIO_QUEUE_NUM), 0);
	ck_assert_uint_eq(F.m.counters.bad_state, 0);
	ck_assert_uint_eq(F.m.counters.bad_access, 0);
}
END_TEST

START_TEST(queue_layout_frozen_before_features_ok)
{
	wr(VMMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	layout_queue(0, 16, DESC_GPA, AVAIL_GPA, USED_GPA);
	ck_assert_uint_eq(F.m.counters.bad_state, 7);
	ck_assert_uint_eq(F.vqs[0].size, 0);
	ck_assert_uint_eq(F.vqs[0].desc_gpa, 0);
	ck_assert_uint_eq(F.vqs[0].avail_gpa, 0);
	ck_assert_uint_eq(F.vqs[0].used_gpa, 0);
	wr(VMMIO_QUEUE_READY, 1);
	ck_assert_int_eq(F.n_enable, 0);
	ck_assert_uint_eq(rd(VMMIO_QUEUE_READY), 0);
	ck_assert_uint_eq(F.m.counters.bad_state, 8);
}
END_TEST

START_TEST(queue_ready_enables)
{
	negotiate(F_V1);
	layout_queue(0, 16, DESC_GPA, AVAIL_GPA, USED_GPA);
	ck_assert_int_eq(F.n_enable, 0);
	wr(VMMIO_QUEUE_READY, 1);
	ck_assert_int_eq(F.n_enable, 1);
	ck_assert_uint_eq(F.enable_q, 0);
	ck_assert_uint_eq(F.enable_features, F_V1);
	ck_assert_int_eq(F.enable_rc, VQ_OK);
	ck_assert_uint_eq(rd(VMMIO_QUEUE_READY), 1);
	ck_assert(F.vqs[0].ready);
	/* The real queue sees the rings where the driver put them. */
	ck_assert_ptr_eq(F.vqs[0].split.desc, F.ram + (DESC_GPA - RAM_GPA));
	ck_assert_ptr_eq(F.vqs[0].split.avail, F.ram + (AVAIL_GPA - RAM_GPA));
	ck_assert_ptr_eq(F.vqs[0].split.used, F.ram + (USED_GPA - RAM_GPA));
	/* Queue 1 still not ready; then enable it too. */
	wr(VMMIO_QUEUE_SEL, 1);
	ck_assert_uint_eq(rd(VMMIO_QUEUE_READY), 0);
	/* QueueReady = 0 on a queue that is not ready: a silent no-op. */
	wr(VMMIO_QUEUE_READY, 0);
	ck_assert_int_eq(F.n_enable, 1);
	ck_assert_uint_eq(rd(VMMIO_QUEUE_READY), 0);
	layout_queue(1, 8, DESC1_GPA, AVAIL1_GPA, USED1_GPA);
	wr(VMMIO_QUEUE_READY, 1);
	ck_assert_int_eq(F.n_enable, 2);
	ck_assert_uint_eq(F.enable_q, 1);
	ck_assert_uint_eq(rd(VMMIO_QUEUE_READY), 1);
	wr(VMMIO_QUEUE_SEL, 0);
	ck_assert_uint_eq(rd(VMMIO_QUEUE_READY), 1);
	ck_assert_uint_eq(F.m.counters.bad_state, 0);
	ck_assert_uint_eq(F.m.counters.queue_refused, 0);
	ck_assert_uint_eq(rd(VMMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET, 0);
	ck_assert_int_eq(F.n_irq, 0);
}
END_TEST

START_TEST(queue_frozen_once_ready)
{
	negotiate(F_V1);
	enable_queue0();
	uint64_t bad = F.m.counters.bad_state;

	layout_queue(0, 8, 0x5000, 0x6000, 0x7000);
	ck_assert_uint_eq(F.m.counters.bad_state, bad + 7);
	ck_assert_uint_eq(F.vqs[0].size, 16);
	ck_assert_uint_eq(F.vqs[0].desc_gpa, DESC_GPA);
	ck_assert_uint_eq(F.vqs[0].avail_gpa, AVAIL_GPA);
	ck_assert_uint_eq(F.vqs[0].used_gpa, USED_GPA);
	ck_assert_uint_eq(rd(VMMIO_QUEUE_NUM), 16);
	ck_assert_uint_eq(rd(VMMIO_QUEUE_DESC_LOW), (uint32_t)DESC_GPA);
	/* No second enable, and no disabling without RING_RESET. */
	wr(VMMIO_QUEUE_READY, 1);
	ck_assert_int_eq(F.n_enable, 1);
	ck_assert_uint_eq(F.m.counters.bad_state, bad + 8);
	wr(VMMIO_QUEUE_READY, 0);
	ck_assert_uint_eq(rd(VMMIO_QUEUE_READY), 1);
	ck_assert(F.vqs[0].ready);
	ck_assert_uint_eq(F.m.counters.bad_state, bad + 9);
	ck_assert_int_eq(F.n_reset, 0);
}
END_TEST

START_TEST(queue_enable_failure_needs_reset)
{
	negotiate(F_V1);
	layout_queue(0, 12, DESC_GPA, AVAIL_GPA, USED_GPA); /* not a power of two */
	wr(VMMIO_QUEUE_READY, 1);
	ck_assert_int_eq(F.n_enable, 1);
	ck_assert_int_eq(F.enable_rc, VQ_E_SIZE);
	ck_assert_uint_eq(rd(VMMIO_QUEUE_READY), 0);
	ck_assert_uint_eq(F.m.counters.queue_refused, 1);
	ck_assert_uint_eq(rd(VMMIO_STATUS), VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
						    VIRTIO_STATUS_FEATURES_OK |
						    VIRTIO_STATUS_NEEDS_RESET);
	/* The config interrupt, with InterruptStatus bit 1 set before it. */
	ck_assert_int_eq(F.n_irq, 1);
	ck_assert_uint_eq(F.isr_at_irq & VMMIO_INT_CONFIG, VMMIO_INT_CONFIG);
	ck_assert_uint_eq(rd(VMMIO_INTERRUPT_STATUS), VMMIO_INT_CONFIG);
	/* Until reset, the queue can be neither fixed nor enabled. */
	wr(VMMIO_QUEUE_NUM, 16);
	ck_assert_uint_eq(F.vqs[0].size, 12);
	wr(VMMIO_QUEUE_READY, 1);
	ck_assert_int_eq(F.n_enable, 1);
	/* The driver writing Status back (NEEDS_RESET included) is no bit clearing. */
	wr(VMMIO_STATUS, rd(VMMIO_STATUS) | VIRTIO_STATUS_FAILED);
	ck_assert_uint_eq(rd(VMMIO_STATUS) & VIRTIO_STATUS_FAILED, VIRTIO_STATUS_FAILED);
	/* Reset clears it; the fixed layout then enables. */
	wr(VMMIO_STATUS, 0);
	ck_assert_uint_eq(rd(VMMIO_STATUS), 0);
	negotiate(F_V1);
	enable_queue0();
	ck_assert_int_eq(F.n_enable, 2);
}
END_TEST

START_TEST(queue_enable_failure_misaligned_ring)
{
	negotiate(F_V1);
	layout_queue(0, 16, DESC_GPA + 8, AVAIL_GPA, USED_GPA);
	wr(VMMIO_QUEUE_READY, 1);
	ck_assert_int_eq(F.enable_rc, VQ_E_ALIGN);
	ck_assert_uint_eq(rd(VMMIO_QUEUE_READY), 0);
	ck_assert_uint_eq(rd(VMMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET, VIRTIO_STATUS_NEEDS_RESET);
	/* Outside RAM. */
	wr(VMMIO_STATUS, 0);
	negotiate(F_V1);
	layout_queue(0, 16, RAM_GPA + RAM_SIZE, AVAIL_GPA, USED_GPA);
	wr(VMMIO_QUEUE_READY, 1);
	ck_assert_int_eq(F.enable_rc, VQ_E_RING_ADDR);
	ck_assert_uint_eq(rd(VMMIO_QUEUE_READY), 0);
	ck_assert_uint_eq(F.m.counters.queue_refused, 2);
}
END_TEST

START_TEST(queue_notify)
{
	negotiate(F_V1);
	wr(VMMIO_QUEUE_NOTIFY, 0); /* not ready yet */
	ck_assert_int_eq(F.n_notify, 0);
	enable_queue0();
	wr(VMMIO_QUEUE_NOTIFY, 0);
	ck_assert_int_eq(F.n_notify, 1);
	ck_assert_uint_eq(F.notify_q, 0);
	wr(VMMIO_QUEUE_NOTIFY, 1); /* exists, not ready */
	wr(VMMIO_QUEUE_NOTIFY, 2); /* does not exist */
	wr(VMMIO_QUEUE_NOTIFY, VMMIO_MAX_QUEUES);
	wr(VMMIO_QUEUE_NOTIFY, 0xffffffff);
	wr(VMMIO_QUEUE_NOTIFY, 0x10000); /* a notification-data layout: not negotiated */
	ck_assert_int_eq(F.n_notify, 1);
	/* The notify target is the written value, not QueueSel. */
	layout_queue(1, 8, DESC1_GPA, AVAIL1_GPA, USED1_GPA);
	wr(VMMIO_QUEUE_READY, 1);
	wr(VMMIO_QUEUE_SEL, 0);
	wr(VMMIO_QUEUE_NOTIFY, 1);
	ck_assert_int_eq(F.n_notify, 2);
	ck_assert_uint_eq(F.notify_q, 1);
	/* QueueNotify is write-only. */
	ck_assert_uint_eq(rd(VMMIO_QUEUE_NOTIFY), 0);
	ck_assert_uint_eq(F.m.counters.bad_access, 1);
}
END_TEST

START_TEST(interrupt_status_and_ack)
{
	ck_assert_uint_eq(rd(VMMIO_INTERRUPT_STATUS), 0);
	vmmio_signal_used(&F.m);
	ck_assert_uint_eq(rd(VMMIO_INTERRUPT_STATUS), VMMIO_INT_VRING);
	vmmio_signal_config(&F.m);
	ck_assert_uint_eq(rd(VMMIO_INTERRUPT_STATUS), VMMIO_INT_VRING | VMMIO_INT_CONFIG);
	wr(VMMIO_INTERRUPT_ACK, VMMIO_INT_VRING);
	ck_assert_uint_eq(rd(VMMIO_INTERRUPT_STATUS), VMMIO_INT_CONFIG);
	wr(VMMIO_INTERRUPT_ACK, VMMIO_INT_VRING); /* already clear */
	ck_assert_uint_eq(rd(VMMIO_INTERRUPT_STATUS), VMMIO_INT_CONFIG);
	wr(VMMIO_INTERRUPT_ACK, VMMIO_INT_CONFIG);
	ck_assert_uint_eq(rd(VMMIO_INTERRUPT_STATUS), 0);
	vmmio_signal_used(&F.m);
	vmmio_signal_config(&F.m);
	wr(VMMIO_INTERRUPT_ACK, VMMIO_INT_VRING | VMMIO_INT_CONFIG);
	ck_assert_uint_eq(rd(VMMIO_INTERRUPT_STATUS), 0);
	/* Writing InterruptStatus does not acknowledge anything. */
	vmmio_signal_used(&F.m);
	wr(VMMIO_INTERRUPT_STATUS, 0);
	ck_assert_uint_eq(rd(VMMIO_INTERRUPT_STATUS), VMMIO_INT_VRING);
	ck_assert_uint_eq(F.m.counters.bad_access, 1);
	/* InterruptACK is write-only. */
	ck_assert_uint_eq(rd(VMMIO_INTERRUPT_ACK), 0);
	ck_assert_uint_eq(F.m.counters.bad_access, 2);
}
END_TEST

START_TEST(signal_used_sets_isr_before_interrupt)
{
	vmmio_signal_used(&F.m);
	ck_assert_int_eq(F.n_irq, 1);
	ck_assert_uint_eq(F.isr_at_irq, VMMIO_INT_VRING);
	vmmio_signal_used(&F.m);
	ck_assert_int_eq(F.n_irq, 2);
	ck_assert_uint_eq(rd(VMMIO_INTERRUPT_STATUS), VMMIO_INT_VRING);
	/* Used signals do not touch the config generation. */
	ck_assert_uint_eq(rd(VMMIO_CONFIG_GENERATION), 0);
}
END_TEST

START_TEST(signal_config_bumps_generation)
{
	ck_assert_uint_eq(rd(VMMIO_CONFIG_GENERATION), 0);
	vmmio_signal_config(&F.m);
	ck_assert_int_eq(F.n_irq, 1);
	ck_assert_uint_eq(F.isr_at_irq, VMMIO_INT_CONFIG);
	ck_assert_uint_eq(F.gen_at_irq, 1); /* bumped before the interrupt */
	ck_assert_uint_eq(rd(VMMIO_CONFIG_GENERATION), 1);
	vmmio_signal_config(&F.m);
	ck_assert_uint_eq(rd(VMMIO_CONFIG_GENERATION), 2);
	ck_assert_int_eq(F.n_irq, 2);
	ck_assert_uint_eq(rd(VMMIO_INTERRUPT_STATUS), VMMIO_INT_CONFIG);
	/* ConfigGeneration is read-only. */
	wr(VMMIO_CONFIG_GENERATION, 0);
	ck_assert_uint_eq(rd(VMMIO_CONFIG_GENERATION), 2);
	ck_assert_uint_eq(F.m.counters.bad_access, 1);
}
END_TEST

START_TEST(set_needs_reset_until_reset)
{
	negotiate(F_V1);
	enable_queue0();
	wr(VMMIO_STATUS, 0xf);
	vmmio_set_needs_reset(&F.m);
	ck_assert_uint_eq(rd(VMMIO_STATUS), 0xf | VIRTIO_STATUS_NEEDS_RESET);
	ck_assert_int_eq(F.n_irq, 1);
	ck_assert_uint_eq(F.isr_at_irq, VMMIO_INT_CONFIG);
	/* Once is enough: a second call does not interrupt again. */
	vmmio_set_needs_reset(&F.m);
	ck_assert_int_eq(F.n_irq, 1);
	/* Queue 1 cannot be set up meanwhile. */
	wr(VMMIO_QUEUE_SEL, 1);
	wr(VMMIO_QUEUE_NUM, 8);
	ck_assert_uint_eq(F.vqs[1].size, 0);
	/* Writing Status back with the bit is not refused as clearing. */
	uint64_t bad = F.m.counters.bad_state;

	wr(VMMIO_STATUS, rd(VMMIO_STATUS));
	ck_assert_uint_eq(F.m.counters.bad_state, bad);
	ck_assert_uint_eq(rd(VMMIO_STATUS), 0xf | VIRTIO_STATUS_NEEDS_RESET);
	wr(VMMIO_STATUS, 0);
	ck_assert_uint_eq(rd(VMMIO_STATUS), 0);
	/* After reset, a new break interrupts again. */
	vmmio_set_needs_reset(&F.m);
	ck_assert_int_eq(F.n_irq, 2);
	ck_assert_uint_eq(rd(VMMIO_STATUS), VIRTIO_STATUS_NEEDS_RESET);
}
END_TEST

START_TEST(wrong_width_register_access)
{
	static const unsigned int widths[] = {1, 2, 8};
	uint64_t bad = 0;

	negotiate(F_V1);
	for (unsigned int i = 0; i < 3; i++) {
		uint8_t b[8];

		memset(b, 0xff, sizeof(b));
		vmmio_read(&F.m, VMMIO_MAGIC_VALUE, b, widths[i]);
		for (unsigned int k = 0; k < widths[i]; k++)
			ck_assert_uint_eq(b[k], 0);
		ck_assert_uint_eq(F.m.counters.bad_access, ++bad);
		memset(b, 0xff, sizeof(b));
		vmmio_read(&F.m, VMMIO_STATUS, b, widths[i]);
		for (unsigned int k = 0; k < widths[i]; k++)
			ck_assert_uint_eq(b[k], 0);
		ck_assert_uint_eq(F.m.counters.bad_access, ++bad);

		/* Writes of the wrong width change nothing. */
		memset(b, 0, sizeof(b));
		b[0] = 0xf;
		vmmio_write(&F.m, VMMIO_STATUS, b, widths[i]);
		ck_assert_uint_eq(F.m.counters.bad_access, ++bad);
		memset(b, 0, sizeof(b)); /* Status 0 would reset */
		vmmio_write(&F.m, VMMIO_STATUS, b, widths[i]);
		ck_assert_uint_eq(F.m.counters.bad_access, ++bad);
		b[0] = 1;
		vmmio_write(&F.m, VMMIO_QUEUE_SEL, b, widths[i]);
		ck_assert_uint_eq(F.m.counters.bad_access, ++bad);
		b[0] = 16;
		vmmio_write(&F.m, VMMIO_QUEUE_NUM, b, widths[i]);
		ck_assert_uint_eq(F.m.counters.bad_access, ++bad);
		b[0] = 1;
		vmmio_write(&F.m, VMMIO_INTERRUPT_ACK, b, widths[i]);
		ck_assert_uint_eq(F.m.counters.bad_access, ++bad);
	}
	ck_assert_int_eq(F.n_reset, 0);
	ck_assert_int_eq(F.n_driver_ok, 0);
	ck_assert_uint_eq(F.m.queue_sel, 0);
	ck_assert_uint_eq(F.vqs[0].size, 0);
	ck_assert_uint_eq(rd(VMMIO_STATUS), VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
						    VIRTIO_STATUS_FEATURES_OK);

	/* Misaligned 32-bit accesses. */
	static const uint64_t mis[] = {0x001, 0x002, 0x003, 0x071, 0x072,
				       0x073, 0x0fd, 0x0fe, 0x0ff};
	for (unsigned int i = 0; i < sizeof(mis) / sizeof(mis[0]); i++) {
		ck_assert_uint_eq(rd(mis[i]), 0);
		ck_assert_uint_eq(F.m.counters.bad_access, ++bad);
		wr(mis[i], 0);
		ck_assert_uint_eq(F.m.counters.bad_access, ++bad);
	}
	ck_assert_int_eq(F.n_reset, 0);
	ck_assert_uint_eq(rd(VMMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK, VIRTIO_STATUS_FEATURES_OK);
	/* An 8-byte access ending exactly at the config space start. */
	uint8_t b8[8];

	memset(b8, 0xff, sizeof(b8));
	vmmio_read(&F.m, VMMIO_CONFIG - 8, b8, 8);
	for (unsigned int k = 0; k < 8; k++)
		ck_assert_uint_eq(b8[k], 0);
	ck_assert_uint_eq(F.m.counters.bad_access, ++bad);
	ck_assert_int_eq(F.n_cfg_read, 0);
}
END_TEST

START_TEST(config_space_every_width)
{
	static const unsigned int widths[] = {1, 2, 4, 8};

	for (unsigned int w = 0; w < 4; w++) {
		unsigned int size = widths[w];
		const uint32_t offs[] = {0, 1, 3, size, CFG_SIZE / 2, CFG_SIZE - size};

		for (unsigned int o = 0; o < sizeof(offs) / sizeof(offs[0]); o++) {
			uint8_t b[8];
			int n = F.n_cfg_read;

			memset(b, 0x55, sizeof(b));
			vmmio_read(&F.m, VMMIO_CONFIG + offs[o], b, size);
			ck_assert_int_eq(F.n_cfg_read, n + 1);
			ck_assert_uint_eq(F.cfg_off, offs[o]);
			ck_assert_uint_eq(F.cfg_size, size);
			ck_assert_mem_eq(b, F.cfg + offs[o], size);
			ck_assert_uint_eq(b[size - 1], 0xa0 + offs[o] + size - 1);
		}
	}
	/* Writes at every width reach the device. */
	for (unsigned int w = 0; w < 4; w++) {
		uint8_t b[8] = {1, 2, 3, 4, 5, 6, 7, 8};
		uint32_t off = 8 * w + 1;

		vmmio_write(&F.m, VMMIO_CONFIG + off, b, widths[w]);
		ck_assert_int_eq(F.n_cfg_write, (int)w + 1);
		ck_assert_uint_eq(F.cfg_off, off);
		ck_assert_uint_eq(F.cfg_size, widths[w]);
		ck_assert_mem_eq(F.cfg + off, b, widths[w]);
	}
	ck_assert_uint_eq(F.m.counters.bad_access, 0);
}
END_TEST

START_TEST(config_space_out_of_range)
{
	struct {
		uint64_t off;
		unsigned int size;
	} cases[] = {
		{VMMIO_CONFIG + CFG_SIZE, 1},
		{VMMIO_CONFIG + CFG_SIZE - 1, 2},
		{VMMIO_CONFIG + CFG_SIZE - 3, 4},
		{VMMIO_CONFIG + CFG_SIZE - 4, 8},
		{VMMIO_CONFIG + CFG_SIZE - 1, 8},
		{0xfff, 1},
		{0xfff, 4},
		{0xffc, 4},
		{0xff8, 8},
		{VMMIO_SIZE, 4},
		{UINT64_MAX, 1},
		{UINT64_MAX - 3, 4},
	};
	uint64_t bad = 0;

	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t b[8];

		memset(b, 0xff, sizeof(b));
		vmmio_read(&F.m, cases[i].off, b, cases[i].size);
		for (unsigned int k = 0; k < cases[i].size; k++)
			ck_assert_uint_eq(b[k], 0);
		ck_assert_uint_eq(F.m.counters.bad_access, ++bad);
		memset(b, 0xee, sizeof(b));
		vmmio_write(&F.m, cases[i].off, b, cases[i].size);
		ck_assert_uint_eq(F.m.counters.bad_access, ++bad);
	}
	ck_assert_int_eq(F.n_cfg_read, 0);
	ck_assert_int_eq(F.n_cfg_write, 0);
	for (unsigned int i = 0; i < CFG_SIZE; i++)
		ck_assert_uint_eq(F.cfg[i], 0xa0 + i);
}
END_TEST

START_TEST(config_space_absent)
{
	/* A device without config space: every config access is refused. */
	struct vmmio m;
	uint8_t b[4] = {0xff, 0xff, 0xff, 0xff};

	ck_assert_int_eq(vmmio_init(&m, &fake_ops, &F, DEV_ID, DEV_FEATS, 0, F.vqs, NQ), 0);
	vmmio_read(&m, VMMIO_CONFIG, b, 1);
	ck_assert_uint_eq(b[0], 0);
	vmmio_write(&m, VMMIO_CONFIG, b, 1);
	ck_assert_uint_eq(m.counters.bad_access, 2);
	ck_assert_int_eq(F.n_cfg_read, 0);
	ck_assert_int_eq(F.n_cfg_write, 0);
	vmmio_destroy(&m);
	/* Config space without the callbacks: refused, not a NULL call. */
	static const struct vmmio_ops no_cfg = {
		.queue_enable = fake_queue_enable,
		.reset = fake_reset,
		.driver_ok = fake_driver_ok,
		.interrupt = fake_interrupt,
	};

	ck_assert_int_eq(vmmio_init(&m, &no_cfg, &F, DEV_ID, DEV_FEATS, 8, F.vqs, NQ), 0);
	b[0] = 0xff;
	vmmio_read(&m, VMMIO_CONFIG, b, 1);
	ck_assert_uint_eq(b[0], 0);
	vmmio_write(&m, VMMIO_CONFIG, b, 1);
	ck_assert_uint_eq(m.counters.bad_access, 2);
	vmmio_destroy(&m);
}
END_TEST

START_TEST(unknown_and_write_only_registers)
{
	static const uint64_t unknown[] = {0x018, 0x01c, 0x028, 0x02c, 0x03c, 0x040,
					   0x048, 0x04c, 0x054, 0x05c, 0x068, 0x074,
					   0x088, 0x098, 0x0a8, 0x0c0, 0x0c4, 0x0f8};
	uint64_t bad = 0;

	for (unsigned int i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		ck_assert_uint_eq(rd(unknown[i]), 0);
		ck_assert_uint_eq(F.m.counters.bad_access, ++bad);
		wr(unknown[i], 0xffffffff);
		ck_assert_uint_eq(F.m.counters.bad_access, ++bad);
	}
	/* Reads of write-only registers. */
	static const uint64_t wo[] = {VMMIO_DEVICE_FEATURES_SEL,
				      VMMIO_DRIVER_FEATURES,
				      VMMIO_DRIVER_FEATURES_SEL,
				      VMMIO_QUEUE_SEL,
				      VMMIO_QUEUE_NOTIFY,
				      VMMIO_INTERRUPT_ACK,
				      VMMIO_SHM_SEL};
	wr(VMMIO_DEVICE_FEATURES_SEL, 1);
	wr(VMMIO_QUEUE_SEL, 1);
	for (unsigned int i = 0; i < sizeof(wo) / sizeof(wo[0]); i++) {
		ck_assert_uint_eq(rd(wo[i]), 0);
		ck_assert_uint_eq(F.m.counters.bad_access, ++bad);
	}
	/* Nothing changed state. */
	ck_assert_uint_eq(rd(VMMIO_STATUS), 0);
	ck_assert_int_eq(F.n_reset + F.n_enable + F.n_notify + F.n_irq, 0);
	ck_assert_uint_eq(F.m.counters.bad_state, 0);
	/* SHMSel accepts writes silently; base of the absent region reads 0. */
	wr(VMMIO_SHM_SEL, 3);
	ck_assert_uint_eq(F.m.counters.bad_access, bad);
	ck_assert_uint_eq(rd(VMMIO_SHM_LEN_LOW), 0xffffffff);
	ck_assert_uint_eq(rd(VMMIO_SHM_BASE_LOW), 0);
}
END_TEST

START_TEST(read_only_register_writes_ignored)
{
	static const uint64_t ro[] = {
		VMMIO_MAGIC_VALUE,	VMMIO_VERSION_REG,	 VMMIO_DEVICE_ID,
		VMMIO_VENDOR_ID,	VMMIO_DEVICE_FEATURES,	 VMMIO_QUEUE_NUM_MAX,
		VMMIO_INTERRUPT_STATUS, VMMIO_CONFIG_GENERATION, VMMIO_SHM_LEN_LOW,
		VMMIO_SHM_LEN_HIGH,	VMMIO_SHM_BASE_LOW,	 VMMIO_SHM_BASE_HIGH};
	uint64_t bad = 0;

	vmmio_signal_used(&F.m);
	vmmio_signal_config(&F.m);
	for (unsigned int i = 0; i < sizeof(ro) / sizeof(ro[0]); i++) {
		wr(ro[i], 0);
		ck_assert_uint_eq(F.m.counters.bad_access, ++bad);
		wr(ro[i], 0x12345678);
		ck_assert_uint_eq(F.m.counters.bad_access, ++bad);
	}
	ck_assert_uint_eq(rd(VMMIO_MAGIC_VALUE), VMMIO_MAGIC);
	ck_assert_uint_eq(rd(VMMIO_VERSION_REG), 2);
	ck_assert_uint_eq(rd(VMMIO_DEVICE_ID), DEV_ID);
	ck_assert_uint_eq(rd(VMMIO_VENDOR_ID), VMMIO_VENDOR);
	ck_assert_uint_eq(rd(VMMIO_DEVICE_FEATURES), 0x20000002);
	ck_assert_uint_eq(rd(VMMIO_QUEUE_NUM_MAX), 16);
	ck_assert_uint_eq(F.vqs[0].num_max, 16);
	ck_assert_uint_eq(rd(VMMIO_INTERRUPT_STATUS), VMMIO_INT_VRING | VMMIO_INT_CONFIG);
	ck_assert_uint_eq(rd(VMMIO_CONFIG_GENERATION), 1);
	ck_assert_uint_eq(rd(VMMIO_SHM_LEN_LOW), 0xffffffff);
	ck_assert_uint_eq(F.m.counters.bad_state, 0);
}
END_TEST

/*
 * A reset the device finishes later (its I/O could not be cancelled):
 * Status reads DEVICE_NEEDS_RESET, not 0, so a driver keeps waiting as the
 * spec has it; every write meanwhile is refused and counted, a second
 * reset included; once the device says it is done, Status reads 0, the
 * negotiated features are gone and the driver can start over. The last
 * negotiation stays readable throughout.
 */
START_TEST(reset_finished_later)
{
	uint64_t bad;

	negotiate(F_V1 | F_INORD);
	enable_queue0();
	wr(VMMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
				 VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
	F.reset_later = true;
	wr(VMMIO_STATUS, 0);
	ck_assert_int_eq(F.n_reset, 1);
	ck_assert_uint_eq(rd(VMMIO_STATUS), VIRTIO_STATUS_NEEDS_RESET);
	ck_assert_uint_eq(vmmio_negotiated(&F.m, true), F_V1 | F_INORD);
	bad = F.m.counters.bad_state;
	wr(VMMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	wr(VMMIO_STATUS, 0);
	wr(VMMIO_QUEUE_SEL, 1);
	ck_assert_uint_eq(F.m.counters.bad_state, bad + 3);
	ck_assert_int_eq(F.n_reset, 1);
	ck_assert_uint_eq(rd(VMMIO_STATUS), VIRTIO_STATUS_NEEDS_RESET);
	ck_assert_uint_eq(rd(VMMIO_QUEUE_READY), 0);

	F.reset_later = false;
	vmmio_reset_done(&F.m);
	ck_assert_uint_eq(rd(VMMIO_STATUS), 0);
	ck_assert_uint_eq(vmmio_negotiated(&F.m, false), 0);
	ck_assert_uint_eq(vmmio_negotiated(&F.m, true), F_V1 | F_INORD);
	negotiate(F_V1);
	ck_assert_uint_eq(vmmio_negotiated(&F.m, true), F_V1);
}
END_TEST

/* The register file offering RING_PACKED too (a device made with --packed). */
static void offer_packed(void)
{
	vmmio_destroy(&F.m);
	ck_assert_int_eq(
		vmmio_init(&F.m, &fake_ops, &F, DEV_ID, DEV_FEATS | F_PACKED, CFG_SIZE, F.vqs, NQ),
		0);
}

/* RING_PACKED is bit 34: bit 2 of the high word, and only when offered. */
START_TEST(packed_offered_in_high_word)
{
	wr(VMMIO_DEVICE_FEATURES_SEL, 1);
	ck_assert_uint_eq(rd(VMMIO_DEVICE_FEATURES) & (1u << (VIRTIO_F_RING_PACKED - 32)), 0);
	offer_packed();
	wr(VMMIO_DEVICE_FEATURES_SEL, 1);
	ck_assert_uint_eq(rd(VMMIO_DEVICE_FEATURES), (uint32_t)((DEV_FEATS | F_PACKED) >> 32));
	ck_assert_uint_eq(rd(VMMIO_DEVICE_FEATURES) & (1u << (VIRTIO_F_RING_PACKED - 32)),
			  1u << (VIRTIO_F_RING_PACKED - 32));
	wr(VMMIO_DEVICE_FEATURES_SEL, 0);
	ck_assert_uint_eq(rd(VMMIO_DEVICE_FEATURES), (uint32_t)DEV_FEATS);
}
END_TEST

/* A driver that takes RING_PACKED from a device that did not offer it gets no FEATURES_OK. */
START_TEST(packed_refused_when_not_offered)
{
	wr(VMMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr_features(F_V1 | F_PACKED);
	wr(VMMIO_STATUS,
	   VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	ck_assert_uint_eq(rd(VMMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK, 0);
	ck_assert_uint_eq(F.m.counters.features_refused, 1);
	ck_assert_uint_eq(vmmio_negotiated(&F.m, false), 0);
}
END_TEST

/* Offering packed takes nothing away: a driver that declines it keeps the split ring. */
START_TEST(packed_offered_split_driver_keeps_split)
{
	offer_packed();
	negotiate(F_V1 | F_INORD | F_EVENT);
	enable_queue0();
	ck_assert_uint_eq(F.enable_features, F_V1 | F_INORD | F_EVENT);
	ck_assert_ptr_eq(F.vqs[0].ops, &vq_split_ops);
	ck_assert_ptr_eq(F.vqs[0].split.desc, F.ram + (DESC_GPA - RAM_GPA));
	ck_assert_uint_eq(F.m.counters.features_refused, 0);
	ck_assert_uint_eq(F.m.counters.queue_refused, 0);
}
END_TEST

/*
 * A driver that negotiates RING_PACKED (with IN_ORDER and EVENT_IDX as the
 * loop says) lays out queue 0 through the registers: QueueDesc is the
 * descriptor ring, QueueDriver the driver's event suppression area,
 * QueueDevice the device's. The queue comes up in the packed format on
 * those very areas, and 40 buffers (2.5 laps of 16) go round through the
 * mock packed driver: a split queue, or areas swapped, would lose them.
 */
START_TEST(packed_negotiated_round_trip)
{
	static const uint64_t extra[] = {0, F_INORD, F_EVENT, F_INORD | F_EVENT};
	uint64_t feats = F_V1 | F_PACKED | extra[_i];
	struct iovec iov[MOCK_MAX_SEGS * 2];
	struct virtqueue *vq = &F.vqs[0];
	struct mock_packed mp;
	struct vq_chain c;

	ck_assert_int_eq(mpk_init(&mp, 16, feats, RAM_GPA, 7), 0);
	F.queue_gm = &mp.gm;
	offer_packed();
	negotiate(feats);
	layout_queue(0, 16, mp.desc_gpa, mp.driver_gpa, mp.device_gpa);
	ck_assert_uint_eq(rd(VMMIO_QUEUE_DRIVER_LOW), (uint32_t)mp.driver_gpa);
	ck_assert_uint_eq(rd(VMMIO_QUEUE_DEVICE_LOW), (uint32_t)mp.device_gpa);
	wr(VMMIO_QUEUE_READY, 1);
	ck_assert_int_eq(F.enable_rc, VQ_OK);
	ck_assert_uint_eq(F.enable_features, feats);
	ck_assert_uint_eq(rd(VMMIO_QUEUE_READY), 1);
	ck_assert_ptr_eq(vq->ops, &vq_packed_ops);
	ck_assert_ptr_eq(vq->packed.desc, mp.desc);
	ck_assert_ptr_eq(vq->packed.driver, mp.driver);
	ck_assert_ptr_eq(vq->packed.device, mp.device);
	for (unsigned int i = 0; i < 40; i++) {
		uint64_t cookie;
		uint32_t len;
		int id = mpk_add_simple(&mp, 16, 64 + i, false, 1000 + i);

		ck_assert_int_ge(id, 0);
		vq_chain_init(&c, iov, MOCK_MAX_SEGS * 2);
		ck_assert_int_eq(vq_pop(vq, &c), VQ_OK);
		ck_assert_uint_eq(c.t.head, (uint16_t)id);
		ck_assert_uint_eq(c.out_len, 16);
		ck_assert_uint_eq(c.in_len, 64 + i);
		ck_assert_int_eq(vq_pop(vq, &c), VQ_EMPTY);
		ck_assert_int_eq(vq_complete(vq, &c.t, i), VQ_OK);
		vq_flush(vq);
		ck_assert_msg(mpk_get(&mp, &cookie, &len) == 1, "buffer %u: %s", i, mp.why);
		ck_assert_uint_eq(cookie, 1000 + i);
		ck_assert_uint_eq(len, i);
	}
	ck_assert_uint_eq(F.m.counters.bad_state, 0);
	ck_assert_uint_eq(F.m.counters.queue_refused, 0);
	vq_destroy(vq);
	F.queue_gm = NULL;
	mpk_free(&mp);
}
END_TEST

/*
 * The spec lets a packed queue have any size up to 32768; this device's
 * packed ring, like its split one, takes only powers of two (its positions
 * count laps with pos & size), so QueueNum 12 is refused with NEEDS_RESET
 * rather than run wrong. Linux takes QueueNumMax, a power of two.
 */
START_TEST(packed_queue_size_power_of_two)
{
	struct mock_packed mp;

	ck_assert_int_eq(mpk_init(&mp, 16, F_V1 | F_PACKED, RAM_GPA, 0), 0);
	F.queue_gm = &mp.gm;
	offer_packed();
	negotiate(F_V1 | F_PACKED);
	layout_queue(0, 12, mp.desc_gpa, mp.driver_gpa, mp.device_gpa);
	wr(VMMIO_QUEUE_READY, 1);
	ck_assert_int_eq(F.enable_rc, VQ_E_SIZE);
	ck_assert_uint_eq(rd(VMMIO_QUEUE_READY), 0);
	ck_assert_uint_eq(rd(VMMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET, VIRTIO_STATUS_NEEDS_RESET);
	wr(VMMIO_STATUS, 0);
	negotiate(F_V1 | F_PACKED);
	layout_queue(0, 16, mp.desc_gpa, mp.driver_gpa, mp.device_gpa);
	wr(VMMIO_QUEUE_READY, 1);
	ck_assert_int_eq(F.enable_rc, VQ_OK);
	ck_assert_ptr_eq(F.vqs[0].ops, &vq_packed_ops);
	vq_destroy(&F.vqs[0]);
	F.queue_gm = NULL;
	mpk_free(&mp);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("virtio_mmio");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, init_validates);
	tcase_add_test(tc, identity_registers);
	tcase_add_test(tc, device_features_selector);
	tcase_add_test(tc, driver_features_gated_by_status);
	tcase_add_test(tc, driver_features_low_high_independent);
	tcase_add_test(tc, features_ok_refused_unoffered_bit);
	tcase_add_test(tc, features_ok_refused_without_version_1);
	tcase_add_test(tc, features_ok_refused_without_driver);
	tcase_add_test(tc, features_latched_at_features_ok);
	tcase_add_test(tc, driver_ok_requires_features_ok);
	tcase_add_test(tc, clearing_status_bits_refused);
	tcase_add_test(tc, driver_cannot_set_needs_reset);
	tcase_add_test(tc, undefined_status_bits_dropped);
	tcase_add_test(tc, status_zero_resets);
	tcase_add_test(tc, queue_num_max_and_selector);
	tcase_add_test(tc, queue_layout_registers_land_in_virtqueue);
	tcase_add_test(tc, queue_layout_frozen_before_features_ok);
	tcase_add_test(tc, queue_ready_enables);
	tcase_add_test(tc, queue_frozen_once_ready);
	tcase_add_test(tc, queue_enable_failure_needs_reset);
	tcase_add_test(tc, queue_enable_failure_misaligned_ring);
	tcase_add_test(tc, queue_notify);
	tcase_add_test(tc, interrupt_status_and_ack);
	tcase_add_test(tc, signal_used_sets_isr_before_interrupt);
	tcase_add_test(tc, signal_config_bumps_generation);
	tcase_add_test(tc, set_needs_reset_until_reset);
	tcase_add_test(tc, wrong_width_register_access);
	tcase_add_test(tc, config_space_every_width);
	tcase_add_test(tc, config_space_out_of_range);
	tcase_add_test(tc, config_space_absent);
	tcase_add_test(tc, unknown_and_write_only_registers);
	tcase_add_test(tc, read_only_register_writes_ignored);
	tcase_add_test(tc, reset_finished_later);
	tcase_add_test(tc, packed_offered_in_high_word);
	tcase_add_test(tc, packed_refused_when_not_offered);
	tcase_add_test(tc, packed_offered_split_driver_keeps_split);
	tcase_add_loop_test(tc, packed_negotiated_round_trip, 0, 4);
	tcase_add_test(tc, packed_queue_size_power_of_two);
	suite_add_tcase(s, tc);
	return check_run(s);
}
