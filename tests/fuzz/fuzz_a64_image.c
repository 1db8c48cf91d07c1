// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the arm64 loader: a64_load_kernel() and
 * a64_load_initrd(), the code arch_boot() loads a guest with, into a RAM
 * of at most RAM_MAX bytes. The input is 3 bytes of RAM size, a flags
 * byte (bit 0: an initrd; bit 1: its length counts down from SIZE_MAX),
 * 4 bytes of initrd length, then the Image file. The RAM is the last
 * bytes of one allocation, so ASan stops any write past its end. What is
 * loaded must sit where the header says, inside RAM, the initrd page
 * aligned above the kernel's image_size; what is refused must not have
 * fitted, with nothing written where it would have gone.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arch/aarch64/image.h"
#include "arch/aarch64/layout.h"
#include "arch/aarch64/load.h"
#include "tests/fuzz/fuzz_input.h"

/* Room for the DTB's 2 MiB, the largest text_offset and a little kernel. */
#define RAM_MAX (A64_KERNEL_BASE - A64_RAM_BASE + A64_IMAGE_ALIGN + (256u << 10))
#define KBASE	(A64_KERNEL_BASE - A64_RAM_BASE)
#define FILL	0xa5

typedef unsigned __int128 u128; /* sums of header fields that cannot wrap */

static uint8_t *buf;	/* RAM_MAX bytes, FILL wherever nothing is loaded */
static uint8_t *initrd; /* RAM_MAX bytes of pattern */

/* Whether p[0, n) is all FILL. */
static int filled(const uint8_t *p, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		if (p[i] != FILL)
			return 0;
	return 1;
}

static uint64_t min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* The initrd on top of a loaded kernel ending at end; leaves RAM as it found it. */
static void load_initrd(uint8_t *ram, uint64_t mem, uint64_t end, size_t ilen)
{
	char err[256] = "";
	uint64_t ioff = 0;
	int rc = a64_load_initrd(ram, mem, end, initrd, ilen, &ioff, err, sizeof(err));

	if (rc) {
		require(rc == -ENOMEM && err[0]);
		/* No page-aligned place from end up holds ilen bytes below mem. */
		require((u128)end + ilen > mem || ((mem - ilen) & ~0xfffULL) < end);
		/* Nothing where the top-of-RAM placement would have put it (the
		 * part of that above the kernel: below, the kernel may be). */
		if (ilen <= mem) {
			uint64_t at = (mem - ilen) & ~0xfffULL, stop = at + min64(ilen, 4096);

			if (at < end)
				at = end;
			if (at < stop)
				require(filled(ram + at, stop - at));
		}
		return;
	}
	require(ioff % 4096 == 0 && ioff >= end);
	require((u128)ioff + ilen <= mem);
	/* As high as it goes: no whole page free above it. */
	require((u128)ioff + ilen + 4096 > mem);
	require(memcmp(ram + ioff, initrd, ilen) == 0);
	memset(ram + ioff, FILL, ilen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct input in = {data, len};
	struct a64_image img;
	uint64_t mem, off = 0, end = 0, koff;
	unsigned int flags;
	size_t ilen;
	uint8_t *ram;
	char err[256] = "", perr[256];
	int rc, parsed;

	if (!buf) {
		buf = malloc(RAM_MAX);
		initrd = malloc(RAM_MAX);
		require(buf && initrd);
		memset(buf, FILL, RAM_MAX);
		for (size_t i = 0; i < RAM_MAX; i++)
			initrd[i] = (uint8_t)(i * 13 + 5);
	}
	mem = take(&in, 3) % (RAM_MAX + 1);
	flags = take(&in, 1);
	ilen = take(&in, 4);
	if (flags & 2)
		ilen = SIZE_MAX - ilen;
	ram = buf + RAM_MAX - mem;

	parsed = a64_image_parse(in.p, in.n, &img, perr, sizeof(perr)) == 0;
	rc = a64_load_kernel(ram, mem, in.p, in.n, &off, &end, err, sizeof(err));
	if (rc) {
		require(err[0]);
		require(rc == (parsed ? -ENOMEM : -ENOEXEC));
		if (!parsed)
			return 0;
		koff = KBASE + img.text_offset;
		/* It did not fit: the sum, taken without wrapping, is past RAM. */
		require((u128)koff + img.image_size > mem);
		/* Nothing where the file would have gone. */
		if (koff < mem)
			require(filled(ram + koff, min64(in.n, mem - koff)));
		return 0;
	}
	require(parsed);
	require(off == KBASE + img.text_offset);
	require(end == off + img.image_size && (u128)off + img.image_size <= mem);
	require(memcmp(ram + off, in.p, in.n) == 0);
	require(filled(ram + off - 4096, 4096)); /* the page below the kernel */
	if (flags & 1)
		load_initrd(ram, mem, end, ilen);
	require(memcmp(ram + off, in.p, in.n) == 0); /* the initrd left the kernel alone */
	memset(ram + off, FILL, in.n);
	return 0;
}
