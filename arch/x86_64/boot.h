/* SPDX-License-Identifier: MIT */
/*
 * Puts everything a 64-bit Linux entry needs into guest RAM: the kernel
 * (bzImage or ELF vmlinux), initrd, command line, zero page with e820, MP
 * table, GDT and identity page tables. Pure memory work, no KVM.
 */
#ifndef ARCH_X86_64_BOOT_H
#define ARCH_X86_64_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/cmdline.h"
#include "arch/x86_64/ram.h"

#define X86_CMDLINE_LIMIT 4096 /* our buffer; the kernel's own limit is lower */

struct x86_boot_config {
	const uint8_t *kernel;
	size_t kernel_len;
	const char *kernel_name; /* for messages */
	const uint8_t *initrd;	 /* NULL for none */
	size_t initrd_len;
	struct cmdline_params cmdline;
	uint64_t mem_size;
	unsigned int ncpus;
};

struct x86_boot_info {
	int is_bzimage;
	uint64_t entry;
	uint64_t kernel_end;
	char cmdline[X86_CMDLINE_LIMIT];
};

int x86_boot_setup(const struct x86_boot_config *cfg, const struct x86_ram *ram,
		   struct x86_boot_info *info, char *err, size_t err_len);

/*
 * Copies the len-byte initrd to the top of low RAM, or below addr_max + 1
 * if that is lower (0: no limit), page aligned and not below kernel_end,
 * and records it in the zero page zp. Returns 0, or -ENOMEM with one line
 * in err when it does not fit; nothing is written then.
 */
int x86_place_initrd(const struct x86_ram *ram, const uint8_t *initrd, size_t len,
		     uint32_t addr_max, uint64_t kernel_end, uint8_t *zp, char *err,
		     size_t err_len);

/* Writes the GDT and the page tables that identity-map the first 4 GiB. */
void x86_write_boot_tables(const struct x86_ram *ram);

#endif
