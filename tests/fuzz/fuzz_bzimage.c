// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the bzImage loader: the input is the kernel file.
 * Whatever bzimage_parse() accepts must describe a payload inside the file
 * (syssize paragraphs after the setup sectors, room for the 64-bit entry),
 * with init_size covering it and the extraction area above 1 MiB; loading
 * it must copy exactly that payload to 1 MiB and the setup header into the
 * zero page, or refuse for lack of RAM, never write outside guest RAM
 * (ASan watches the allocation's edges).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/le.h"
#include "arch/x86_64/bzimage.h"
#include "arch/x86_64/layout.h"
#include "tests/fuzz/fuzz_input.h"

#define RAM_SIZE (24u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static uint8_t *ram_buf;
	static uint8_t zp[BP_SIZE];
	struct x86_ram ram;
	struct bzimage_info bz;
	char err[256];
	uint64_t payload;

	if (!ram_buf)
		ram_buf = malloc(RAM_SIZE);
	require(ram_buf);
	err[0] = '\0';
	if (bzimage_parse(data, len, &bz, err, sizeof(err))) {
		require(err[0] != '\0');
		return 0;
	}
	payload = (uint64_t)get_le32(data + BP_SYSSIZE) * 16;
	require(bz.setup_size < len && bz.pm == data + bz.setup_size);
	require(bz.pm_size == len - bz.setup_size);
	require(payload > 0x200 && payload <= bz.pm_size);
	require(bz.hdr_end <= bz.setup_size);
	require(bz.entry == X86_KERNEL_LOAD + 0x200);
	require(get_le32(data + BP_INIT_SIZE) >= payload);
	require(bz.mem_needed >= X86_KERNEL_LOAD + payload);
	require(bz.cmdline_size > 0 && bz.cmdline_size < X86_CMDLINE_MAX);
	require(get_le16(data + BP_XLOADFLAGS) & XLF_KERNEL_64);

	ram = (struct x86_ram){.host = ram_buf, .size = RAM_SIZE};
	if (bzimage_load(&bz, data, &ram, zp, err, sizeof(err))) {
		require(err[0] != '\0');
		require(bz.mem_needed > RAM_SIZE || X86_KERNEL_LOAD + bz.pm_size > RAM_SIZE);
		return 0;
	}
	require(memcmp(ram_buf + X86_KERNEL_LOAD, bz.pm, bz.pm_size) == 0);
	require(memcmp(zp + BP_HEADER, "HdrS", 4) == 0);
	require(zp[BP_TYPE_OF_LOADER] == 0xff);
	return 0;
}
