/* SPDX-License-Identifier: MIT */
/* ELF64 vmlinux loading: PT_LOAD segments at their physical addresses. */
#ifndef ARCH_X86_64_ELF_LOADER_H
#define ARCH_X86_64_ELF_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/ram.h"

struct elf_info {
	uint64_t entry;
	uint64_t kernel_end; /* highest byte any PT_LOAD segment occupies */
};

int elf_probe(const uint8_t *img, size_t len);

/* True if img carries an ELF note named "Linux" (a vmlinux does; the test guest does not). */
int elf_is_linux(const uint8_t *img, size_t len);

/*
 * Checks the header and every PT_LOAD segment (inside the file, filesz <=
 * memsz, inside guest RAM above the boot data at 1 MiB, no two overlapping,
 * the entry point in one of them) before writing anything, then loads.
 * Returns 0, -ENOEXEC (not a loadable x86_64 ELF), -EINVAL (malformed) or
 * -ENOMEM (does not fit), with err filled; the message names the field.
 */
int elf_load(const uint8_t *img, size_t len, const struct x86_ram *ram, struct elf_info *info,
	     char *err, size_t err_len);

#endif
