// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the virtio-mmio transport: the input is a guest
 * driver gone wrong, a script of register reads and writes of any width at
 * any offset of the 4 KiB window, in any device state, with the device
 * thread's events (needs-reset, used buffers) in between. The device behind
 * it is a fake with two real virtqueues over fuzzed RAM. Invariants: the
 * identity registers never change; config accesses reach the device only
 * inside its config space; DRIVER_OK reaches it only after FEATURES_OK with
 * features that were offered and include VERSION_1; a Status write of 0
 * resets the device and every queue reads not ready; a queue is enabled
 * only after FEATURES_OK with offered features, never twice without a reset.
 */
#include <stdint.h>
#include <string.h>

#include "tests/fuzz/fuzz_input.h"
#include "virtio/mmio.h"

#define RAM_GPA	    0x10000ULL
#define RAM_SIZE    0x4000ULL
#define CONFIG_SIZE 12
#define NQ	    2
#define OFFERED                                                                     \
	(1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_RING_F_EVENT_IDX | 1ULL << 5 | \
	 1ULL << VIRTIO_F_IN_ORDER)

static uint8_t ram[RAM_SIZE] __attribute__((aligned(4096)));

struct fake {
	struct vmmio mmio;
	struct virtqueue vqs[NQ];
	struct guest_mem gm;
	uint8_t config[CONFIG_SIZE];
	bool enabled[NQ];
	bool driver_ok;
	unsigned int resets;
};

static int fake_queue_enable(void *dev, unsigned int q, uint64_t features)
{
	struct fake *f = dev;

	/* After DRIVER_OK too: a queue not set up yet may still be (it runs on
	 * the device thread like any enable), but never one that is ready. */
	require(q < NQ && !f->enabled[q]);
	require((features & ~OFFERED) == 0 && (features >> VIRTIO_F_VERSION_1) & 1);
	if (vq_enable(&f->vqs[q], &f->gm, features) != VQ_OK)
		return -1;
	f->enabled[q] = true;
	return 0;
}

static void fake_reset(void *dev)
{
	struct fake *f = dev;

	for (unsigned int q = 0; q < NQ; q++) {
		vq_reset(&f->vqs[q]);
		f->enabled[q] = false;
	}
	f->driver_ok = false;
	f->resets++;
}

static void fake_driver_ok(void *dev, uint64_t features)
{
	struct fake *f = dev;

	require(!f->driver_ok);
	require((features & ~OFFERED) == 0 && (features >> VIRTIO_F_VERSION_1) & 1);
	f->driver_ok = true;
}

static void fake_notify(void *dev, unsigned int q)
{
	struct fake *f = dev;

	require(q < NQ && f->enabled[q]);
}

static void fake_config_read(void *dev, uint32_t off, uint8_t *data, unsigned int size)
{
	struct fake *f = dev;

	require(off < CONFIG_SIZE && size <= CONFIG_SIZE - off);
	memcpy(data, f->config + off, size);
}

static void fake_config_write(void *dev, uint32_t off, const uint8_t *data, unsigned int size)
{
	struct fake *f = dev;

	require(off < CONFIG_SIZE && size <= CONFIG_SIZE - off);
	memcpy(f->config + off, data, size);
}

static void fake_interrupt(void *dev)
{
	(void)dev;
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

static uint32_t rd32(struct fake *f, uint64_t off)
{
	uint8_t b[4];

	vmmio_read(&f->mmio, off, b, 4);
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static void wr32(struct fake *f, uint64_t off, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};

	vmmio_write(&f->mmio, off, b, 4);
}

/* Registers a driver uses, so that short inputs reach the interesting states. */
static const uint16_t regs[] = {
	VMMIO_DEVICE_FEATURES_SEL, VMMIO_DRIVER_FEATURES,  VMMIO_DRIVER_FEATURES_SEL,
	VMMIO_QUEUE_SEL,	   VMMIO_QUEUE_NUM,	   VMMIO_QUEUE_READY,
	VMMIO_QUEUE_NOTIFY,	   VMMIO_INTERRUPT_ACK,	   VMMIO_STATUS,
	VMMIO_QUEUE_DESC_LOW,	   VMMIO_QUEUE_DRIVER_LOW, VMMIO_QUEUE_DEVICE_LOW,
	VMMIO_QUEUE_DESC_HIGH,	   VMMIO_CONFIG,	   VMMIO_CONFIG + 8,
};

static void check_identity(struct fake *f)
{
	require(rd32(f, VMMIO_MAGIC_VALUE) == VMMIO_MAGIC);
	require(rd32(f, VMMIO_VERSION_REG) == VMMIO_VERSION);
	require(rd32(f, VMMIO_VENDOR_ID) == VMMIO_VENDOR);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned int widths[4] = {1, 2, 4, 8};
	struct input in = {data, size};
	struct fake *f = calloc(1, sizeof(*f));
	unsigned int steps = 0;

	require(f);
	memset(ram, 0, sizeof(ram));
	gm_init(&f->gm);
	gm_add_region(&f->gm, RAM_GPA, RAM_SIZE, ram);
	for (unsigned int q = 0; q < NQ; q++)
		vq_init(&f->vqs[q], 16);
	require(vmmio_init(&f->mmio, &fake_ops, f, 1, OFFERED, CONFIG_SIZE, f->vqs, NQ) == 0);
	while (in.n && steps++ < 2048) {
		uint32_t op = take(&in, 1), v;
		uint64_t off;
		uint8_t buf[8];
		unsigned int w;

		switch (op % 8) {
		case 0:
		case 1: /* a driver-like 32-bit write to a known register */
			off = regs[take(&in, 1) % (sizeof(regs) / sizeof(regs[0]))];
			v = take(&in, 1) & 1 ? take(&in, 4) : take(&in, 1);
			if (off == VMMIO_QUEUE_DESC_LOW || off == VMMIO_QUEUE_DRIVER_LOW ||
			    off == VMMIO_QUEUE_DEVICE_LOW)
				v = (uint32_t)RAM_GPA + (v % (uint32_t)RAM_SIZE);
			wr32(f, off, v);
			if (off == VMMIO_STATUS && v == 0) {
				require(rd32(f, VMMIO_STATUS) == 0 && !f->driver_ok);
				for (unsigned int q = 0; q < NQ; q++) {
					wr32(f, VMMIO_QUEUE_SEL, q);
					require(rd32(f, VMMIO_QUEUE_READY) == 0 && !f->enabled[q]);
				}
			}
			break;
		case 2: /* any access at any offset in the window */
		case 3:
			off = take(&in, 2) % VMMIO_SIZE;
			w = widths[take(&in, 1) % 4];
			for (unsigned int i = 0; i < w; i++)
				buf[i] = (uint8_t)take(&in, 1);
			if (op & 1)
				vmmio_write(&f->mmio, off, buf, w);
			else
				vmmio_read(&f->mmio, off, buf, w);
			break;
		case 4: { /* what the driver sees */
			uint32_t st = rd32(f, VMMIO_STATUS);

			if (st & VIRTIO_STATUS_DRIVER_OK)
				require(f->driver_ok && (st & VIRTIO_STATUS_FEATURES_OK));
			if (f->driver_ok)
				require(st & VIRTIO_STATUS_DRIVER_OK);
			require((vmmio_negotiated(&f->mmio, false) & ~OFFERED) == 0);
			break;
		}
		case 5: /* the device thread's side */
			if (take(&in, 1) & 1)
				vmmio_set_needs_reset(&f->mmio);
			else
				vmmio_signal_used(&f->mmio);
			break;
		case 6: /* the guest scribbles over its RAM, rings included */
			ram[take(&in, 2) % RAM_SIZE] = (uint8_t)take(&in, 1);
			break;
		case 7:
			check_identity(f);
			break;
		}
	}
	check_identity(f);
	wr32(f, VMMIO_STATUS, 0);
	require(rd32(f, VMMIO_STATUS) == 0);
	vmmio_destroy(&f->mmio);
	for (unsigned int q = 0; q < NQ; q++)
		vq_destroy(&f->vqs[q]);
	free(f);
	return 0;
}
