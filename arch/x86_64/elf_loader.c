// SPDX-License-Identifier: MIT
#include "arch/x86_64/elf_loader.h"

#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

int elf_probe(const uint8_t *img, size_t len)
{
	return len >= SELFMAG && memcmp(img, ELFMAG, SELFMAG) == 0;
}

static int check_header(const uint8_t *img, size_t len, Elf64_Ehdr *eh, char *err, size_t err_len)
{
	if (len < sizeof(*eh) || !elf_probe(img, len)) {
		snprintf(err, err_len, "not an ELF file");
		return -ENOEXEC;
	}
	memcpy(eh, img, sizeof(*eh));
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh->e_machine != EM_X86_64) {
		snprintf(err, err_len, "ELF file is not little-endian 64-bit x86_64");
		return -ENOEXEC;
	}
	if (eh->e_type != ET_EXEC) {
		snprintf(err, err_len, "ELF file is not an executable (type %u)", eh->e_type);
		return -ENOEXEC;
	}
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0 || eh->e_phoff > len ||
	    (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > len - eh->e_phoff) {
		snprintf(err, err_len, "ELF program headers lie outside the file");
		return -EINVAL;
	}
	return 0;
}

static int check_segment(const Elf64_Phdr *ph, size_t len, const struct x86_ram *ram, char *err,
			 size_t err_len)
{
	if (ph->p_offset > len || ph->p_filesz > len - ph->p_offset) {
		snprintf(err, err_len, "ELF segment at offset 0x%llx lies outside the file",
			 (unsigned long long)ph->p_offset);
		return -EINVAL;
	}
	if (ph->p_filesz > ph->p_memsz) {
		snprintf(err, err_len, "ELF segment has filesz > memsz");
		return -EINVAL;
	}
	if (!x86_ram_ptr(ram, ph->p_paddr, ph->p_memsz)) {
		snprintf(err, err_len,
			 "ELF segment [0x%llx, +0x%llx) does not fit in %llu MiB of low guest RAM",
			 (unsigned long long)ph->p_paddr, (unsigned long long)ph->p_memsz,
			 (unsigned long long)ram->size >> 20);
		return -ENOMEM;
	}
	return 0;
}

int elf_load(const uint8_t *img, size_t len, const struct x86_ram *ram, struct elf_info *info,
	     char *err, size_t err_len)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	int loads = 0, entry_ok = 0, rc;

	rc = check_header(img, len, &eh, err, err_len);
	if (rc)
		return rc;
	info->kernel_end = 0;
	/* First pass validates everything so a bad file leaves RAM untouched. */
	for (unsigned int i = 0; i < eh.e_phnum; i++) {
		memcpy(&ph, img + eh.e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD)
			continue;
		rc = check_segment(&ph, len, ram, err, err_len);
		if (rc)
			return rc;
		loads++;
		if (ph.p_paddr + ph.p_memsz > info->kernel_end)
			info->kernel_end = ph.p_paddr + ph.p_memsz;
		if (eh.e_entry >= ph.p_paddr && eh.e_entry - ph.p_paddr < ph.p_memsz)
			entry_ok = 1;
	}
	if (!loads) {
		snprintf(err, err_len, "ELF file has no PT_LOAD segment");
		return -EINVAL;
	}
	if (!entry_ok) {
		snprintf(err, err_len, "ELF entry point 0x%llx is not in a loaded segment",
			 (unsigned long long)eh.e_entry);
		return -EINVAL;
	}
	for (unsigned int i = 0; i < eh.e_phnum; i++) {
		uint8_t *dst;

		memcpy(&ph, img + eh.e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD)
			continue;
		dst = x86_ram_ptr(ram, ph.p_paddr, ph.p_memsz);
		memcpy(dst, img + ph.p_offset, ph.p_filesz);
		memset(dst + ph.p_filesz, 0, ph.p_memsz - ph.p_filesz);
	}
	info->entry = eh.e_entry;
	return 0;
}
