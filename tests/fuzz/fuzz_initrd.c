// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for initrd placement on both machines: x86's
 * x86_place_initrd() (top of low RAM, below initrd_addr_max + 1, with the
 * zero page's ramdisk fields) and aarch64's a64_load_initrd() (top of
 * RAM), with fuzzer-chosen sizes: 3 bytes of RAM size, a flags byte (bit
 * 0: kernel_end counts down from 2^64; bit 1: the length from SIZE_MAX;
 * bit 2: no addr_max), 4 bytes of kernel_end, 4 of length, 4 of
 * initrd_addr_max. The RAM is the last bytes of one allocation, so ASan
 * stops any write past its end. A placed initrd must be page aligned, at
 * or above kernel_end, below the limit with no whole page free above it,
 * and hold the initrd's bytes; a refused one must have had no such place,
 * and leave RAM and the zero page as they were.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arch/aarch64/load.h"
#include "arch/x86_64/boot.h"
#include "arch/x86_64/bzimage.h"
#include "common/le.h"
#include "tests/fuzz/fuzz_input.h"

#define RAM_MAX (4u << 20)
#define FILL	0xa5

typedef unsigned __int128 u128; /* sums that cannot wrap */

static uint8_t *buf;	/* RAM_MAX bytes, FILL wherever nothing is placed */
static uint8_t *initrd; /* RAM_MAX bytes of pattern */
static uint8_t *zp;	/* BP_SIZE bytes, zero */

static int filled(const uint8_t *p, uint64_t n, uint8_t v)
{
	for (uint64_t i = 0; i < n; i++)
		if (p[i] != v)
			return 0;
	return 1;
}

/*
 * Checks one machine's outcome for an initrd of len bytes that had to go
 * page aligned into [kernel_end, top) of a RAM of size bytes at ram, and
 * puts RAM back.
 */
static void check(int rc, const char *err, uint8_t *ram, uint64_t size, uint64_t top,
		  uint64_t kernel_end, size_t len, uint64_t addr)
{
	int fits = (u128)kernel_end + len <= top && ((top - len) & ~0xfffULL) >= kernel_end;

	if (rc) {
		require(rc == -ENOMEM && err[0]);
		require(!fits);
		/* Nothing where the top-of-RAM placement would have put it. */
		if (len <= size)
			require(filled(ram + ((size - len) & ~0xfffULL), len < 4096 ? len : 4096,
				       FILL));
		return;
	}
	require(fits);
	require(addr % 4096 == 0 && addr >= kernel_end);
	require((u128)addr + len <= top && (u128)addr + len + 4096 > top);
	require(memcmp(ram + addr, initrd, len) == 0);
	memset(ram + addr, FILL, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	struct input in = {data, n};
	uint64_t size, kernel_end, top, addr = 0;
	uint32_t addr_max;
	unsigned int flags;
	struct x86_ram ram;
	size_t len;
	char err[256];
	int rc;

	if (!buf) {
		buf = malloc(RAM_MAX);
		initrd = malloc(RAM_MAX);
		zp = calloc(1, BP_SIZE);
		require(buf && initrd && zp);
		memset(buf, FILL, RAM_MAX);
		for (size_t i = 0; i < RAM_MAX; i++)
			initrd[i] = (uint8_t)(i * 13 + 5);
	}
	size = take(&in, 3) % (RAM_MAX + 1);
	flags = take(&in, 1);
	kernel_end = take(&in, 4);
	if (flags & 1)
		kernel_end = UINT64_MAX - kernel_end;
	len = take(&in, 4);
	if (flags & 2)
		len = SIZE_MAX - len;
	addr_max = flags & 4 ? 0 : take(&in, 4);

	/* x86: low RAM, below initrd_addr_max + 1 as well. */
	ram = (struct x86_ram){.host = buf + RAM_MAX - size, .size = size};
	top = addr_max && (uint64_t)addr_max + 1 < size ? (uint64_t)addr_max + 1 : size;
	err[0] = '\0';
	rc = x86_place_initrd(&ram, initrd, len, addr_max, kernel_end, zp, err, sizeof(err));
	if (rc) {
		require(filled(zp, BP_SIZE, 0));
	} else {
		addr = get_le32(zp + BP_RAMDISK_IMAGE) |
		       (uint64_t)get_le32(zp + BP_EXT_RAMDISK_IMAGE) << 32;
		require((get_le32(zp + BP_RAMDISK_SIZE) |
			 (uint64_t)get_le32(zp + BP_EXT_RAMDISK_SIZE) << 32) == len);
		memset(zp, 0, BP_SIZE);
	}
	check(rc, err, ram.host, size, top, kernel_end, len, addr);

	/* aarch64: all of RAM. */
	err[0] = '\0';
	addr = 0;
	rc = a64_load_initrd(ram.host, size, kernel_end, initrd, len, &addr, err, sizeof(err));
	check(rc, err, ram.host, size, size, kernel_end, len, addr);
	return 0;
}
