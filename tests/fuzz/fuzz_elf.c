// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the ELF loader: the input is the kernel file. What
 * elf_load() accepts must have its entry point in a PT_LOAD segment and end
 * inside guest RAM; since no two segments may overlap, every segment must
 * read back from RAM exactly as the file has it, with its bss zeroed. A
 * refused file must leave RAM untouched. ASan watches RAM's edges.
 */
#include <elf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86_64/elf_loader.h"
#include "tests/fuzz/fuzz_input.h"

/* Segments go at or above 1 MiB; a second MiB gives them room. */
#define RAM_SIZE (2u << 20)
#define FILL	 0xa5

static uint8_t fill[RAM_SIZE], zeros[RAM_SIZE];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static uint8_t *ram_buf;
	struct x86_ram ram;
	struct elf_info info;
	Elf64_Ehdr eh;
	char err[256];
	int entry_in = 0;

	if (!ram_buf) {
		ram_buf = malloc(RAM_SIZE);
		memset(fill, FILL, RAM_SIZE);
	}
	require(ram_buf);
	memset(ram_buf, FILL, RAM_SIZE);
	ram = (struct x86_ram){.host = ram_buf, .size = RAM_SIZE};
	err[0] = '\0';
	/* Reads notes of any ELF, loadable or not, within its bytes (ASan watches). */
	(void)elf_is_linux(data, len);
	if (elf_load(data, len, &ram, &info, err, sizeof(err))) {
		require(err[0] != '\0');
		require(memcmp(ram_buf, fill, RAM_SIZE) == 0);
		return 0;
	}
	require(info.kernel_end <= RAM_SIZE);
	memcpy(&eh, data, sizeof(eh));
	require(info.entry == eh.e_entry);
	for (unsigned int i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;

		memcpy(&ph, data + eh.e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD)
			continue;
		require(ph.p_paddr >= 0x100000 || ph.p_memsz == 0);
		require(ph.p_offset + ph.p_filesz <= len && ph.p_filesz <= ph.p_memsz);
		require(memcmp(ram_buf + ph.p_paddr, data + ph.p_offset, ph.p_filesz) == 0);
		require(memcmp(ram_buf + ph.p_paddr + ph.p_filesz, zeros,
			       ph.p_memsz - ph.p_filesz) == 0);
		if (eh.e_entry >= ph.p_paddr && eh.e_entry - ph.p_paddr < ph.p_memsz)
			entry_in = 1;
	}
	require(entry_in);
	return 0;
}
