// SPDX-License-Identifier: MIT
#include "arch/x86_64/elf_loader.h"

#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "arch/x86_64/layout.h"

int elf_probe(const uint8_t *img, size_t len)
{
	return len >= SELFMAG && memcmp(img, ELFMAG, SELFMAG) == 0;
}

/* Walks the notes of every PT_NOTE segment; every offset is checked against the file. */
int elf_is_linux(const uint8_t *img, size_t len)
{
	const Elf64_Ehdr *eh = (const void *)img;

	if (len < sizeof(*eh) || !elf_probe(img, len) || eh->e_phentsize != sizeof(Elf64_Phdr) ||
	    eh->e_phoff > len || (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > len - eh->e_phoff)
		return 0;
	for (unsigned int i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr ph;
		uint64_t off, end;

		memcpy(&ph, img + eh->e_phoff + (size_t)i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_NOTE || ph.p_offset > len || ph.p_filesz > len - ph.p_offset)
			continue;
		for (off = ph.p_offset, end = ph.p_offset + ph.p_filesz; end - off >= 12;) {
			uint32_t namesz, descsz;

			memcpy(&namesz, img + off, 4);
			memcpy(&descsz, img + off + 4, 4);
			if (namesz == 6 && end - off - 12 >= 6 &&
			    !memcmp(img + off + 12, "Linux", 6))
				return 1;
			/* Name and descriptor are each padded to 4 bytes. */
			uint64_t step = 12 + (((uint64_t)namesz + 3) & ~3ULL) +
					(((uint64_t)descsz + 3) & ~3ULL);

			if (step > end - off)
				break;
			off += step;
		}
	}
	return 0;
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
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0) {
		snprintf(err, err_len,
			 "ELF e_phentsize %u / e_phnum %u: need %zu-byte headers, "
			 "at least one",
			 eh->e_phentsize, eh->e_phnum, sizeof(Elf64_Phdr));
		return -EINVAL;
	}
	if (eh->e_phoff > len || (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > len - eh->e_phoff) {
		snprintf(err, err_len,
			 "ELF program headers (e_phoff 0x%llx, e_phnum %u) lie outside the file "
			 "(%zu bytes)",
			 (unsigned long long)eh->e_phoff, eh->e_phnum, len);
		return -EINVAL;
	}
	return 0;
}

/* A vmlinux has a handful; the cap keeps the overlap check cheap. */
#define ELF_MAX_LOADS 64

struct seg {
	uint64_t start, end; /* guest-physical [start, end) */
	unsigned int index;  /* program header number, for messages */
};

static int check_segment(const Elf64_Phdr *ph, unsigned int i, size_t len,
			 const struct x86_ram *ram, char *err, size_t err_len)
{
	if (ph->p_offset > len || ph->p_filesz > len - ph->p_offset) {
		snprintf(err, err_len,
			 "ELF program header %u: p_offset 0x%llx + p_filesz 0x%llx lies outside "
			 "the file (%zu bytes): truncated?",
			 i, (unsigned long long)ph->p_offset, (unsigned long long)ph->p_filesz,
			 len);
		return -EINVAL;
	}
	if (ph->p_filesz > ph->p_memsz) {
		snprintf(err, err_len, "ELF program header %u: p_filesz 0x%llx > p_memsz 0x%llx", i,
			 (unsigned long long)ph->p_filesz, (unsigned long long)ph->p_memsz);
		return -EINVAL;
	}
	if (!x86_ram_ptr(ram, ph->p_paddr, ph->p_memsz)) {
		snprintf(err, err_len,
			 "ELF program header %u: p_paddr [0x%llx, +0x%llx) does not fit in %llu "
			 "MiB of low guest RAM",
			 i, (unsigned long long)ph->p_paddr, (unsigned long long)ph->p_memsz,
			 (unsigned long long)ram->size >> 20);
		return -ENOMEM;
	}
	/* minivmm writes its GDT, zero page, page tables, command line and MP
	 * table below 1 MiB after loading; a segment there would be clobbered. */
	if (ph->p_memsz && ph->p_paddr < X86_HIMEM_START) {
		snprintf(err, err_len,
			 "ELF program header %u: p_paddr 0x%llx is below 1 MiB, where the boot "
			 "data goes",
			 i, (unsigned long long)ph->p_paddr);
		return -EINVAL;
	}
	return 0;
}

/* Overlapping segments would load one over the other: a broken link. */
static int check_overlaps(const struct seg *segs, unsigned int n, char *err, size_t err_len)
{
	for (unsigned int a = 0; a < n; a++)
		for (unsigned int b = a + 1; b < n; b++)
			if (segs[a].start < segs[b].end && segs[b].start < segs[a].end) {
				snprintf(err, err_len,
					 "ELF program headers %u and %u overlap: p_paddr "
					 "[0x%llx, 0x%llx) and [0x%llx, 0x%llx)",
					 segs[a].index, segs[b].index,
					 (unsigned long long)segs[a].start,
					 (unsigned long long)segs[a].end,
					 (unsigned long long)segs[b].start,
					 (unsigned long long)segs[b].end);
				return -EINVAL;
			}
	return 0;
}

int elf_load(const uint8_t *img, size_t len, const struct x86_ram *ram, struct elf_info *info,
	     char *err, size_t err_len)
{
	struct seg segs[ELF_MAX_LOADS];
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	unsigned int loads = 0, nsegs = 0;
	int entry_ok = 0, rc;

	rc = check_header(img, len, &eh, err, err_len);
	if (rc)
		return rc;
	info->kernel_end = 0;
	/* First pass validates everything so a bad file leaves RAM untouched. */
	for (unsigned int i = 0; i < eh.e_phnum; i++) {
		memcpy(&ph, img + eh.e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD)
			continue;
		rc = check_segment(&ph, i, len, ram, err, err_len);
		if (rc)
			return rc;
		if (++loads > ELF_MAX_LOADS) {
			snprintf(err, err_len, "ELF file has more than %d PT_LOAD segments",
				 ELF_MAX_LOADS);
			return -EINVAL;
		}
		if (ph.p_memsz)
			segs[nsegs++] = (struct seg){ph.p_paddr, ph.p_paddr + ph.p_memsz, i};
		if (ph.p_paddr + ph.p_memsz > info->kernel_end)
			info->kernel_end = ph.p_paddr + ph.p_memsz;
		if (eh.e_entry >= ph.p_paddr && eh.e_entry - ph.p_paddr < ph.p_memsz)
			entry_ok = 1;
	}
	if (!loads) {
		snprintf(err, err_len, "ELF file has no PT_LOAD segment");
		return -EINVAL;
	}
	rc = check_overlaps(segs, nsegs, err, err_len);
	if (rc)
		return rc;
	if (!entry_ok) {
		snprintf(err, err_len, "ELF e_entry 0x%llx is not in a loaded segment",
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
		if (!ram->zeroed)
			memset(dst + ph.p_filesz, 0, ph.p_memsz - ph.p_filesz);
	}
	info->entry = eh.e_entry;
	return 0;
}
