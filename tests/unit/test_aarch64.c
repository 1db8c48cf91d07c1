// SPDX-License-Identifier: MIT
/*
 * The aarch64 machine's pure parts, on any host: the arm64 Image header
 * checks, the kernel's and initrd's placement in a small RAM, and the
 * device tree, parsed back with libfdt (every node and
 * every property accounted for) and printed by dtc against a golden file.
 */
#include <check.h>
#include <errno.h>
#include <libfdt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arch/aarch64/fdt.h"
#include "arch/aarch64/image.h"
#include "arch/aarch64/layout.h"
#include "arch/aarch64/load.h"
#include "common/le.h"
#include "tests/unit/check_run.h"

#define MiB	(1ULL << 20)
#define FDT_BUF 65536
#define GOLDEN	"tests/unit/golden/aarch64-2cpu-disk-net.dts"

static char err[512];

/* ------------------------------------------------------------------ */
/* Image header                                                         */
/* ------------------------------------------------------------------ */

static void make_header(uint8_t *h, uint64_t text_offset, uint64_t image_size, uint64_t flags)
{
	memset(h, 0, A64_IMAGE_HDR_SIZE);
	put_le32(h, 0x91005a4d); /* code0 of an EFI-stub kernel: "MZ" + add */
	put_le64(h + 8, text_offset);
	put_le64(h + 16, image_size);
	put_le64(h + 24, flags);
	put_le32(h + A64_IMAGE_MAGIC_OFF, A64_IMAGE_MAGIC);
}

static int parse(const uint8_t *h, size_t len, struct a64_image *img)
{
	err[0] = 0;
	return a64_image_parse(h, len, img, err, sizeof(err));
}

START_TEST(image_good)
{
	uint8_t h[4096];
	struct a64_image img;

	make_header(h, 0, 8 * MiB, 0xa);
	ck_assert_int_eq(parse(h, sizeof(h), &img), 0);
	ck_assert_uint_eq(img.text_offset, 0);
	ck_assert_uint_eq(img.image_size, 8 * MiB);
	ck_assert_uint_eq(img.flags, 0xa);
	/* The pre-5.8 TEXT_OFFSET, and a file exactly image_size long. */
	make_header(h, 0x80000, sizeof(h), 0);
	ck_assert_int_eq(parse(h, sizeof(h), &img), 0);
	ck_assert_uint_eq(img.text_offset, 0x80000);
}
END_TEST

START_TEST(image_truncated)
{
	uint8_t h[A64_IMAGE_HDR_SIZE];
	struct a64_image img;

	make_header(h, 0, 8 * MiB, 0xa);
	for (size_t len = 0; len < A64_IMAGE_HDR_SIZE; len++) {
		ck_assert_int_eq(parse(h, len, &img), -ENOEXEC);
		ck_assert_ptr_nonnull(strstr(err, "too short"));
	}
	ck_assert_int_eq(parse(h, A64_IMAGE_HDR_SIZE, &img), 0);
}
END_TEST

START_TEST(image_bad_magic)
{
	uint8_t h[256];
	struct a64_image img;

	make_header(h, 0, 8 * MiB, 0xa);
	h[A64_IMAGE_MAGIC_OFF + 3] = 0x65;
	ck_assert_int_eq(parse(h, sizeof(h), &img), -ENOEXEC);
	ck_assert_ptr_nonnull(strstr(err, "magic"));
	/* An Image.gz is named as such. */
	memset(h, 0, sizeof(h));
	h[0] = 0x1f;
	h[1] = 0x8b;
	h[2] = 8;
	ck_assert_int_eq(parse(h, sizeof(h), &img), -ENOEXEC);
	ck_assert_ptr_nonnull(strstr(err, "gzip"));
}
END_TEST

START_TEST(image_big_endian)
{
	uint8_t h[256];
	struct a64_image img;

	make_header(h, 0, 8 * MiB, 0xb);
	ck_assert_int_eq(parse(h, sizeof(h), &img), -ENOEXEC);
	ck_assert_ptr_nonnull(strstr(err, "big-endian"));
}
END_TEST

START_TEST(image_bad_text_offset)
{
	const uint64_t bad[] = {0x80001, 0x800, A64_IMAGE_ALIGN, A64_IMAGE_ALIGN + 0x1000, ~0ULL};
	uint8_t h[256];
	struct a64_image img;

	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		make_header(h, bad[i], 8 * MiB, 0xa);
		ck_assert_int_eq(parse(h, sizeof(h), &img), -ENOEXEC);
		ck_assert_ptr_nonnull(strstr(err, "text_offset"));
	}
	make_header(h, A64_IMAGE_ALIGN - 0x1000, 8 * MiB, 0xa); /* the last one allowed */
	ck_assert_int_eq(parse(h, sizeof(h), &img), 0);
}
END_TEST

START_TEST(image_bad_size)
{
	uint8_t h[4096];
	struct a64_image img;

	make_header(h, 0, 0, 0xa);
	ck_assert_int_eq(parse(h, sizeof(h), &img), -ENOEXEC);
	ck_assert_ptr_nonnull(strstr(err, "image_size is 0"));
	make_header(h, 0, sizeof(h) - 1, 0xa);
	ck_assert_int_eq(parse(h, sizeof(h), &img), -ENOEXEC);
	ck_assert_ptr_nonnull(strstr(err, "smaller than the file"));
}
END_TEST

/* ------------------------------------------------------------------ */
/* Loading into a small RAM                                             */
/* ------------------------------------------------------------------ */

/* The DTB's 2 MiB and 64 KiB for the kernel, then GUARD bytes that are not RAM. */
#define SMALL_RAM (2 * MiB + 64 * 1024)
#define GUARD	  (256 * 1024)
#define FILL	  0xa5
#define KBASE	  (A64_KERNEL_BASE - A64_RAM_BASE) /* the kernel's base, from RAM's start */

static uint8_t *ram; /* SMALL_RAM + GUARD bytes, all FILL */

static void ram_reset(void)
{
	if (!ram)
		ram = malloc(SMALL_RAM + GUARD);
	ck_assert_ptr_nonnull(ram);
	memset(ram, FILL, SMALL_RAM + GUARD);
}

/* Whether ram[from, to) still holds FILL. */
static int untouched(uint64_t from, uint64_t to)
{
	for (uint64_t i = from; i < to; i++)
		if (ram[i] != FILL)
			return 0;
	return 1;
}

/* A len-byte Image file: the header, then bytes that tell their offset. */
static uint8_t *make_kernel(size_t len, uint64_t text_offset, uint64_t image_size)
{
	uint8_t *k = malloc(len);

	ck_assert_ptr_nonnull(k);
	for (size_t i = 0; i < len; i++)
		k[i] = (uint8_t)(i * 7 + 1);
	make_header(k, text_offset, image_size, 0xa);
	return k;
}

static int load_kernel(const uint8_t *k, size_t len, uint64_t mem, uint64_t *off, uint64_t *end)
{
	err[0] = 0;
	return a64_load_kernel(ram, mem, k, len, off, end, err, sizeof(err));
}

START_TEST(load_kernel_placed)
{
	uint8_t *k = make_kernel(4096, 0x1000, 32 * 1024);
	uint64_t off = 0, end = 0;

	ram_reset();
	ck_assert_int_eq(load_kernel(k, 4096, SMALL_RAM, &off, &end), 0);
	ck_assert_uint_eq(off, KBASE + 0x1000);
	ck_assert_uint_eq(end, off + 32 * 1024);
	ck_assert_mem_eq(ram + off, k, 4096);
	ck_assert(untouched(0, off));
	ck_assert(untouched(off + 4096, SMALL_RAM + GUARD));
	free(k);

	/* image_size reaching exactly the end of RAM fits; one byte more does not. */
	k = make_kernel(4096, 0, SMALL_RAM - KBASE);
	ram_reset();
	ck_assert_int_eq(load_kernel(k, 4096, SMALL_RAM, &off, &end), 0);
	ck_assert_uint_eq(end, SMALL_RAM);
	make_header(k, 0, SMALL_RAM - KBASE + 1, 0xa);
	ram_reset();
	ck_assert_int_eq(load_kernel(k, 4096, SMALL_RAM, &off, &end), -ENOMEM);
	ck_assert_ptr_nonnull(strstr(err, "needs 3 MiB of RAM"));
	ck_assert(untouched(0, SMALL_RAM + GUARD));
	/* RAM smaller than the DTB's 2 MiB holds no kernel at all. */
	ck_assert_int_eq(load_kernel(k, 4096, MiB, &off, &end), -ENOMEM);
	ck_assert(untouched(0, SMALL_RAM + GUARD));
	free(k);
}
END_TEST

/*
 * A crafted header whose image_size is near 2^64: kernel_off + image_size
 * wraps below the RAM size, and a check made with that sum let the file
 * (longer than the RAM above the kernel's base) be copied past the end of
 * RAM. It must be refused, with nothing written anywhere.
 */
START_TEST(load_kernel_image_size_wraps)
{
	const size_t len = 128 * 1024; /* twice the RAM above the kernel's base */
	const uint64_t text_offsets[] = {0, A64_IMAGE_ALIGN - 0x1000};

	for (unsigned int t = 0; t < 2; t++) {
		const uint64_t off = KBASE + text_offsets[t];
		/* off + image_size wrapping to below RAM's end, and huge without a wrap. */
		const uint64_t sizes[] = {~0ULL, 0 - off, 0 - off + 4096, (1ULL << 63) + off,
					  A64_RAM_MAX};

		for (unsigned int i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			uint8_t *k = make_kernel(len, text_offsets[t], sizes[i]);
			uint64_t got_off, got_end;
			int rc;

			ram_reset();
			rc = load_kernel(k, len, SMALL_RAM, &got_off, &got_end);

			ck_assert_msg(rc == -ENOMEM, "text_offset 0x%llx image_size 0x%llx: %d",
				      (unsigned long long)text_offsets[t],
				      (unsigned long long)sizes[i], rc);
			ck_assert_ptr_nonnull(strstr(err, "image_size"));
			ck_assert(untouched(0, SMALL_RAM + GUARD));
			free(k);
		}
	}
}
END_TEST

static int load_initrd(const uint8_t *d, size_t len, uint64_t kernel_end, uint64_t *off)
{
	err[0] = 0;
	return a64_load_initrd(ram, SMALL_RAM, kernel_end, d, len, off, err, sizeof(err));
}

START_TEST(load_initrd_placed)
{
	const uint64_t kernel_end = KBASE + 8192;
	const size_t room = SMALL_RAM - kernel_end;
	uint8_t *d = malloc(room + 1);
	uint64_t off = 0;

	ck_assert_ptr_nonnull(d);
	for (size_t i = 0; i < room + 1; i++)
		d[i] = (uint8_t)(i * 13 + 5);
	ram_reset();
	ck_assert_int_eq(load_initrd(d, 5000, kernel_end, &off), 0);
	ck_assert_uint_eq(off, (SMALL_RAM - 5000) & ~0xfffULL); /* the top, page aligned */
	ck_assert_mem_eq(ram + off, d, 5000);
	ck_assert(untouched(0, off));
	ck_assert(untouched(off + 5000, SMALL_RAM + GUARD));

	/* All the room above the kernel, then one byte more. */
	ram_reset();
	ck_assert_int_eq(load_initrd(d, room, kernel_end, &off), 0);
	ck_assert_uint_eq(off, kernel_end);
	ck_assert_mem_eq(ram + off, d, room);
	ram_reset();
	ck_assert_int_eq(load_initrd(d, room + 1, kernel_end, &off), -ENOMEM);
	ck_assert_ptr_nonnull(strstr(err, "does not fit"));
	ck_assert(untouched(0, SMALL_RAM + GUARD));
	free(d);
}
END_TEST

/* A kernel_end past RAM (no caller passes one, but nothing then wraps) and huge sizes. */
START_TEST(load_initrd_refused)
{
	const struct {
		uint64_t kernel_end;
		size_t len;
	} cases[] = {
		{SMALL_RAM + 4096, SMALL_RAM + 8192},
		{SMALL_RAM + 4096, 1},
		{SMALL_RAM, 1},
		{KBASE, SIZE_MAX},
		{KBASE, SMALL_RAM + 1},
		{0, SIZE_MAX - 4095},
	};
	uint8_t *d = calloc(1, SMALL_RAM + 8192);
	uint64_t off;

	ck_assert_ptr_nonnull(d);
	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ram_reset();
		ck_assert_msg(load_initrd(d, cases[i].len, cases[i].kernel_end, &off) == -ENOMEM,
			      "kernel_end 0x%llx, initrd of %zu bytes accepted",
			      (unsigned long long)cases[i].kernel_end, cases[i].len);
		ck_assert(untouched(0, SMALL_RAM + GUARD));
	}
	free(d);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Device tree                                                          */
/* ------------------------------------------------------------------ */

/*
 * Virtio slots: 32 in the MMIO window, slot i on SPI 16 + i, all among the
 * vGIC's 96 SPIs; slot 32 is refused, not placed past the window.
 * (arch_virtio_slot is this function on arm64.)
 */
START_TEST(virtio_slot_spis)
{
	struct arch_mmio_slot s;
	unsigned int i;

	for (i = 0; i < A64_VIRTIO_SLOTS; i++) {
		ck_assert_int_eq(a64_virtio_slot(i, &s), 0);
		ck_assert_uint_eq(s.irq, A64_VIRTIO_SPI_BASE + i);
		ck_assert_uint_lt(s.irq, A64_GIC_NR_IRQS - 32);
		ck_assert_uint_eq(s.base, A64_VIRTIO_BASE + i * A64_VIRTIO_SIZE);
	}
	s = (struct arch_mmio_slot){0, 0, 0};
	ck_assert_int_eq(a64_virtio_slot(i, &s), -ENOSPC);
	ck_assert_uint_eq(s.irq, 0);
	ck_assert_int_eq(a64_virtio_slot(~0u, &s), -ENOSPC);
}
END_TEST

static struct arch_mmio_slot slots[4];
static void *fdt;

/* The machine of the golden file: 2 vCPUs, 256 MiB, an initrd, a disk and a NIC. */
static struct a64_fdt_config base_config(void)
{
	for (unsigned int i = 0; i < 4; i++)
		slots[i] = (struct arch_mmio_slot){A64_VIRTIO_BASE + i * A64_VIRTIO_SIZE,
						   A64_VIRTIO_SIZE, A64_VIRTIO_SPI_BASE + i};
	return (struct a64_fdt_config){
		.ncpus = 2,
		.gic_version = 3,
		.mem_size = 256 * MiB,
		.bootargs = "console=ttyS0 panic=1",
		.initrd_start = A64_RAM_BASE + 0xf000000,
		.initrd_end = A64_RAM_BASE + 0xf123456,
		.virtio = slots,
		.n_virtio = 2,
	};
}

static void build(const struct a64_fdt_config *c)
{
	free(fdt);
	fdt = calloc(1, FDT_BUF);
	ck_assert_ptr_nonnull(fdt);
	ck_assert_msg(a64_fdt_build(c, fdt, FDT_BUF, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(fdt_check_header(fdt), 0);
	ck_assert_uint_le(fdt_totalsize(fdt), FDT_BUF);
}

static int node(const char *path)
{
	int off = fdt_path_offset(fdt, path);

	ck_assert_msg(off >= 0, "no node %s: %s", path, fdt_strerror(off));
	return off;
}

static const void *getprop(const char *path, const char *name, int *len)
{
	const void *p = fdt_getprop(fdt, node(path), name, len);

	ck_assert_msg(p, "no property %s in %s", name, path);
	return p;
}

static void assert_str(const char *path, const char *name, const char *want)
{
	int len;
	const char *s = getprop(path, name, &len);

	ck_assert_int_eq(len, (int)strlen(want) + 1);
	ck_assert_str_eq(s, want);
}

static void assert_empty(const char *path, const char *name)
{
	int len;

	getprop(path, name, &len);
	ck_assert_int_eq(len, 0);
}

/* A property of n 32-bit cells. */
static void assert_cells(const char *path, const char *name, const uint32_t *want, int n)
{
	int len;
	const fdt32_t *c = getprop(path, name, &len);

	ck_assert_int_eq(len, n * 4);
	for (int i = 0; i < n; i++)
		ck_assert_msg(fdt32_to_cpu(c[i]) == want[i], "%s %s cell %d: 0x%x, want 0x%x", path,
			      name, i, fdt32_to_cpu(c[i]), want[i]);
}

static void assert_u32(const char *path, const char *name, uint32_t v)
{
	assert_cells(path, name, &v, 1);
}

static void assert_u64(const char *path, const char *name, uint64_t v)
{
	const uint32_t c[] = {(uint32_t)(v >> 32), (uint32_t)v};

	assert_cells(path, name, c, 2);
}

/* reg = <addr size> pairs, two cells each. */
static void assert_reg(const char *path, const uint64_t *v, int pairs)
{
	uint32_t c[8];

	for (int i = 0; i < 2 * pairs; i++) {
		c[2 * i] = (uint32_t)(v[i] >> 32);
		c[2 * i + 1] = (uint32_t)v[i];
	}
	assert_cells(path, "reg", c, 4 * pairs);
}

/*
 * Every node and property of the tree, as "path:property": the tree must
 * hold these and nothing else, so a property added, lost or misnamed fails
 * here even if no other test looks at it.
 */
static const char *const expected_props[] = {
	"/:compatible",
	"/:model",
	"/:#address-cells",
	"/:#size-cells",
	"/:interrupt-parent",
	"/chosen:bootargs",
	"/chosen:stdout-path",
	"/chosen:linux,initrd-start",
	"/chosen:linux,initrd-end",
	"/memory@80000000:device_type",
	"/memory@80000000:reg",
	"/cpus:#address-cells",
	"/cpus:#size-cells",
	"/cpus/cpu@0:device_type",
	"/cpus/cpu@0:compatible",
	"/cpus/cpu@0:enable-method",
	"/cpus/cpu@0:reg",
	"/cpus/cpu@1:device_type",
	"/cpus/cpu@1:compatible",
	"/cpus/cpu@1:enable-method",
	"/cpus/cpu@1:reg",
	"/psci:compatible",
	"/psci:method",
	"/intc@8000000:compatible",
	"/intc@8000000:reg",
	"/intc@8000000:#interrupt-cells",
	"/intc@8000000:#address-cells",
	"/intc@8000000:interrupt-controller",
	"/intc@8000000:phandle",
	"/timer:compatible",
	"/timer:interrupts",
	"/uart@9000000:compatible",
	"/uart@9000000:reg",
	"/uart@9000000:interrupts",
	"/uart@9000000:clock-frequency",
	"/exit@9010000:compatible",
	"/exit@9010000:reg",
	"/virtio_mmio@a000000:compatible",
	"/virtio_mmio@a000000:reg",
	"/virtio_mmio@a000000:interrupts",
	"/virtio_mmio@a000000:dma-coherent",
	"/virtio_mmio@a000200:compatible",
	"/virtio_mmio@a000200:reg",
	"/virtio_mmio@a000200:interrupts",
	"/virtio_mmio@a000200:dma-coherent",
};
#define N_EXPECTED (sizeof(expected_props) / sizeof(expected_props[0]))

START_TEST(fdt_every_property)
{
	struct a64_fdt_config c = base_config();
	bool seen[N_EXPECTED] = {false};
	unsigned int n = 0, nodes = 0;
	char path[256], key[320];
	int off, prop;

	build(&c);
	for (off = 0; off >= 0; off = fdt_next_node(fdt, off, NULL)) {
		nodes++;
		ck_assert_int_eq(fdt_get_path(fdt, off, path, sizeof(path)), 0);
		fdt_for_each_property_offset(prop, fdt, off)
		{
			const char *name;
			unsigned int i;

			ck_assert_ptr_nonnull(fdt_getprop_by_offset(fdt, prop, &name, NULL));
			snprintf(key, sizeof(key), "%s:%s", path, name);
			for (i = 0; i < N_EXPECTED && strcmp(expected_props[i], key); i++)
				;
			ck_assert_msg(i < N_EXPECTED, "unexpected property %s", key);
			ck_assert_msg(!seen[i], "property %s twice", key);
			seen[i] = true;
			n++;
		}
	}
	ck_assert_uint_eq(n, N_EXPECTED);
	/* /, chosen, memory, cpus, 2 cpu, psci, intc, timer, uart, exit, 2 virtio */
	ck_assert_uint_eq(nodes, 13);
	/* Nothing reserved: Linux reserves the DTB itself. */
	ck_assert_int_eq(fdt_num_mem_rsv(fdt), 0);
}
END_TEST

START_TEST(fdt_root_chosen_memory)
{
	struct a64_fdt_config c = base_config();
	const uint64_t mem[] = {A64_RAM_BASE, 256 * MiB};
	int len;

	build(&c);
	assert_str("/", "compatible", "linux,dummy-virt");
	assert_str("/", "model", "minivmm");
	assert_u32("/", "#address-cells", 2);
	assert_u32("/", "#size-cells", 2);
	assert_u32("/", "interrupt-parent", 1);
	assert_str("/chosen", "bootargs", "console=ttyS0 panic=1");
	assert_str("/chosen", "stdout-path", "/uart@9000000");
	/* stdout-path names a node that exists, and it is the ns16550a. */
	ck_assert_int_eq(fdt_node_offset_by_compatible(fdt, -1, "ns16550a"),
			 node(getprop("/chosen", "stdout-path", &len)));
	assert_u64("/chosen", "linux,initrd-start", 0x8f000000);
	assert_u64("/chosen", "linux,initrd-end", 0x8f123456);
	assert_str("/memory@80000000", "device_type", "memory");
	assert_reg("/memory@80000000", mem, 1);

	/* Without an initrd, /chosen says nothing about one. */
	c.initrd_start = c.initrd_end = 0;
	build(&c);
	ck_assert_ptr_null(fdt_getprop(fdt, node("/chosen"), "linux,initrd-start", NULL));
	ck_assert_ptr_null(fdt_getprop(fdt, node("/chosen"), "linux,initrd-end", NULL));
}
END_TEST

START_TEST(fdt_cpus_psci)
{
	struct a64_fdt_config c = base_config();
	char path[64];

	c.ncpus = 17;
	build(&c);
	assert_u32("/cpus", "#address-cells", 1);
	assert_u32("/cpus", "#size-cells", 0);
	for (unsigned int i = 0; i < 17; i++) {
		/* KVM's MPIDR: vCPU 16 is Aff1 = 1, Aff0 = 0. */
		uint32_t mpidr = i < 16 ? i : 0x100 + (i - 16);

		ck_assert_uint_eq(a64_vcpu_mpidr(i), mpidr);
		snprintf(path, sizeof(path), "/cpus/cpu@%x", mpidr);
		assert_str(path, "device_type", "cpu");
		assert_str(path, "compatible", "arm,arm-v8");
		assert_str(path, "enable-method", "psci");
		assert_u32(path, "reg", mpidr);
	}
	ck_assert_int_lt(fdt_path_offset(fdt, "/cpus/cpu@11"), 0);
	assert_str("/psci", "compatible", "arm,psci-0.2");
	assert_str("/psci", "method", "hvc");
}
END_TEST

START_TEST(fdt_gic_timer)
{
	struct a64_fdt_config c = base_config();
	const uint64_t v3[] = {0x08000000, 0x10000, 0x080a0000, 3 * 0x20000};
	const uint64_t v2[] = {0x08000000, 0x1000, 0x08010000, 0x2000};
	const uint32_t t3[] = {1, 13, 4, 1, 14, 4, 1, 11, 4, 1, 10, 4};
	const uint32_t t2[] = {1, 13, 0x704, 1, 14, 0x704, 1, 11, 0x704, 1, 10, 0x704};

	c.ncpus = 3;
	build(&c);
	assert_str("/intc@8000000", "compatible", "arm,gic-v3");
	/* One redistributor per vCPU. */
	assert_reg("/intc@8000000", v3, 2);
	assert_u32("/intc@8000000", "#interrupt-cells", 3);
	assert_u32("/intc@8000000", "#address-cells", 0);
	assert_empty("/intc@8000000", "interrupt-controller");
	assert_u32("/intc@8000000", "phandle", 1);
	ck_assert_int_eq(fdt_node_offset_by_phandle(fdt, 1), node("/intc@8000000"));
	assert_str("/timer", "compatible", "arm,armv8-timer");
	assert_cells("/timer", "interrupts", t3, 12);

	c.gic_version = 2;
	build(&c);
	assert_str("/intc@8000000", "compatible", "arm,cortex-a15-gic");
	assert_reg("/intc@8000000", v2, 2);
	/* GICv2 PPIs name their CPUs: 3 vCPUs, mask 0x7. */
	assert_cells("/timer", "interrupts", t2, 12);
}
END_TEST

START_TEST(fdt_devices)
{
	struct a64_fdt_config c = base_config();
	const uint64_t uart[] = {0x09000000, 0x1000}, exitdev[] = {0x09010000, 0x1000};
	const uint32_t uart_irq[] = {0, 1, 4};
	char path[64];

	c.n_virtio = 4;
	build(&c);
	assert_str("/uart@9000000", "compatible", "ns16550a");
	assert_reg("/uart@9000000", uart, 1);
	assert_cells("/uart@9000000", "interrupts", uart_irq, 3);
	assert_u32("/uart@9000000", "clock-frequency", 1843200);
	assert_str("/exit@9010000", "compatible", "minivmm,exit-status");
	assert_reg("/exit@9010000", exitdev, 1);
	ck_assert_ptr_null(fdt_getprop(fdt, node("/exit@9010000"), "interrupts", NULL));
	for (unsigned int i = 0; i < 4; i++) {
		const uint64_t reg[] = {0x0a000000 + i * 0x200, 0x200};
		const uint32_t irq[] = {0, 16 + i, 1};

		snprintf(path, sizeof(path), "/virtio_mmio@%llx", (unsigned long long)reg[0]);
		assert_str(path, "compatible", "virtio,mmio");
		assert_reg(path, reg, 1);
		assert_cells(path, "interrupts", irq, 3);
		assert_empty(path, "dma-coherent");
	}
	ck_assert_int_lt(fdt_path_offset(fdt, "/virtio_mmio@a000800"), 0);

	c.n_virtio = 0;
	build(&c);
	ck_assert_int_lt(fdt_node_offset_by_compatible(fdt, -1, "virtio,mmio"), 0);
}
END_TEST

START_TEST(fdt_errors)
{
	struct a64_fdt_config c = base_config();
	static uint8_t buf[FDT_BUF];

	ck_assert_int_eq(a64_fdt_build(&c, buf, 256, err, sizeof(err)), -ENOSPC);
	ck_assert_ptr_nonnull(strstr(err, "does not fit"));
	c.gic_version = 4;
	ck_assert_int_eq(a64_fdt_build(&c, buf, sizeof(buf), err, sizeof(err)), -EINVAL);
	c.gic_version = 3;
	c.ncpus = 0;
	ck_assert_int_eq(a64_fdt_build(&c, buf, sizeof(buf), err, sizeof(err)), -EINVAL);
	c.ncpus = A64_MAX_CPUS + 1;
	ck_assert_int_eq(a64_fdt_build(&c, buf, sizeof(buf), err, sizeof(err)), -EINVAL);
	c.ncpus = A64_MAX_CPUS;
	ck_assert_int_eq(a64_fdt_build(&c, buf, sizeof(buf), err, sizeof(err)), 0);
	/* A GICv2 reaches 8 CPUs at most. */
	c.gic_version = 2;
	c.ncpus = 9;
	ck_assert_int_eq(a64_fdt_build(&c, buf, sizeof(buf), err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "GICv2"));
}
END_TEST

/* The same config, the same bytes: the golden file depends on it. */
START_TEST(fdt_deterministic)
{
	struct a64_fdt_config c = base_config();
	static uint8_t a[FDT_BUF], b[FDT_BUF];

	memset(b, 0x5a, sizeof(b));
	ck_assert_int_eq(a64_fdt_build(&c, a, sizeof(a), err, sizeof(err)), 0);
	ck_assert_int_eq(a64_fdt_build(&c, b, sizeof(b), err, sizeof(err)), 0);
	ck_assert_mem_eq(a, b, fdt_totalsize(a));
}
END_TEST

static char *slurp(FILE *f, size_t *len)
{
	size_t cap = 1 << 16;
	char *s = malloc(cap);

	ck_assert_ptr_nonnull(s);
	*len = fread(s, 1, cap - 1, f);
	s[*len] = 0;
	return s;
}

/* What dtc makes of the blob, against the file a person read line by line. */
START_TEST(fdt_golden_dts)
{
	struct a64_fdt_config c = base_config();
	char blob[] = "/tmp/minivmm-fdt-XXXXXX", cmd[128];
	const char *regen = getenv("MINIVMM_REGEN_GOLDEN");
	size_t got_len, want_len;
	char *got, *want;
	FILE *f;
	int fd;

	c.bootargs = "console=ttyS0 panic=1 root=/dev/vda rw";
	build(&c);
	fd = mkstemp(blob);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, fdt, fdt_totalsize(fdt)), (int)fdt_totalsize(fdt));
	close(fd);
	snprintf(cmd, sizeof(cmd), "dtc -q -I dtb -O dts %s", blob);
	f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	got = slurp(f, &got_len);
	ck_assert_msg(pclose(f) == 0, "%s failed (dtc from device-tree-compiler: make deps)", cmd);
	unlink(blob);
	if (regen && *regen) { /* MINIVMM_REGEN_GOLDEN=1: rewrite it, then read the diff */
		f = fopen(GOLDEN, "w");
		ck_assert_ptr_nonnull(f);
		fwrite(got, 1, got_len, f);
		fclose(f);
	}
	f = fopen(GOLDEN, "r");
	ck_assert_msg(f, "cannot open %s (run from the top of the tree)", GOLDEN);
	want = slurp(f, &want_len);
	fclose(f);
	ck_assert_str_eq(got, want);
	free(got);
	free(want);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("aarch64");
	TCase *img = tcase_create("image");
	TCase *dt = tcase_create("fdt");

	tcase_add_test(img, image_good);
	tcase_add_test(img, image_truncated);
	tcase_add_test(img, image_bad_magic);
	tcase_add_test(img, image_big_endian);
	tcase_add_test(img, image_bad_text_offset);
	tcase_add_test(img, image_bad_size);
	tcase_add_test(img, load_kernel_placed);
	tcase_add_test(img, load_kernel_image_size_wraps);
	tcase_add_test(img, load_initrd_placed);
	tcase_add_test(img, load_initrd_refused);
	suite_add_tcase(s, img);
	tcase_add_test(dt, virtio_slot_spis);
	tcase_add_test(dt, fdt_every_property);
	tcase_add_test(dt, fdt_root_chosen_memory);
	tcase_add_test(dt, fdt_cpus_psci);
	tcase_add_test(dt, fdt_gic_timer);
	tcase_add_test(dt, fdt_devices);
	tcase_add_test(dt, fdt_errors);
	tcase_add_test(dt, fdt_deterministic);
	tcase_add_test(dt, fdt_golden_dts);
	suite_add_tcase(s, dt);
	return check_run(s);
}
