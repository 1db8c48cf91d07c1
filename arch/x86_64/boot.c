// SPDX-License-Identifier: MIT
#include "arch/x86_64/boot.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/le.h"
#include "arch/x86_64/bzimage.h"
#include "arch/x86_64/e820.h"
#include "arch/x86_64/elf_loader.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/mptable.h"

#define ELF_CMDLINE_MAX	   2047 /* COMMAND_LINE_SIZE - 1 on x86 */
#define DEFAULT_INITRD_MAX 0x7fffffffu
#define PTE_PRESENT_RW	   0x3ULL
#define PDE_2M		   0x83ULL

void x86_write_boot_tables(const struct x86_ram *ram)
{
	/* Selectors 0x10 and 0x18, as the 64-bit boot protocol requires. */
	static const uint64_t gdt[] = {
		0,
		0,
		0x00af9b000000ffffULL, /* 64-bit code, DPL 0 */
		0x00cf93000000ffffULL, /* flat data */
		0x00808b0000000067ULL, /* 64-bit busy TSS at 0 (for VMX) */
		0,
	};
	uint8_t *p = x86_ram_ptr(ram, X86_GDT_ADDR, sizeof(gdt));
	uint8_t *pml4 = x86_ram_ptr(ram, X86_PML4_ADDR, 4096);
	uint8_t *pdpt = x86_ram_ptr(ram, X86_PDPT_ADDR, 4096);
	uint8_t *pd = x86_ram_ptr(ram, X86_PD_ADDR, 4 * 4096);

	for (unsigned int i = 0; i < sizeof(gdt) / sizeof(gdt[0]); i++)
		put_le64(p + 8 * i, gdt[i]);
	memset(x86_ram_ptr(ram, X86_IDT_ADDR, 8), 0, 8);
	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	put_le64(pml4, X86_PDPT_ADDR | PTE_PRESENT_RW);
	for (uint64_t i = 0; i < 4; i++)
		put_le64(pdpt + 8 * i, (X86_PD_ADDR + i * 4096) | PTE_PRESENT_RW);
	for (uint64_t i = 0; i < 4 * 512; i++)
		put_le64(pd + 8 * i, (i << 21) | PDE_2M);
}

int x86_place_initrd(const struct x86_ram *ram, const uint8_t *initrd, size_t len,
		     uint32_t addr_max, uint64_t kernel_end, uint8_t *zp, char *err, size_t err_len)
{
	uint64_t top = ram->size, addr;

	if (addr_max && (uint64_t)addr_max + 1 < top)
		top = (uint64_t)addr_max + 1;
	if (len > top || ((top - len) & ~0xfffULL) < kernel_end) {
		snprintf(err, err_len,
			 "initrd of %zu KiB does not fit between the kernel (ends at %llu MiB) "
			 "and %llu MiB; give the guest more --mem",
			 len >> 10, (unsigned long long)kernel_end >> 20,
			 (unsigned long long)top >> 20);
		return -ENOMEM;
	}
	addr = (top - len) & ~0xfffULL;
	memcpy(x86_ram_ptr(ram, addr, len), initrd, len);
	put_le32(zp + BP_RAMDISK_IMAGE, (uint32_t)addr);
	put_le32(zp + BP_RAMDISK_SIZE, (uint32_t)len);
	put_le32(zp + BP_EXT_RAMDISK_IMAGE, (uint32_t)(addr >> 32));
	put_le32(zp + BP_EXT_RAMDISK_SIZE, (uint32_t)((uint64_t)len >> 32));
	return 0;
}

static int load_kernel(const struct x86_boot_config *cfg, const struct x86_ram *ram, uint8_t *zp,
		       struct x86_boot_info *info, size_t *cmdline_max, uint32_t *initrd_max,
		       char *err, size_t err_len)
{
	int rc;

	if (bzimage_probe(cfg->kernel, cfg->kernel_len)) {
		struct bzimage_info bz;

		rc = bzimage_parse(cfg->kernel, cfg->kernel_len, &bz, err, err_len);
		if (!rc)
			rc = bzimage_load(&bz, cfg->kernel, ram, zp, err, err_len);
		if (rc)
			return rc;
		info->is_bzimage = 1;
		info->entry = bz.entry;
		info->kernel_end = bz.mem_needed;
		*cmdline_max = bz.cmdline_size;
		*initrd_max = bz.initrd_addr_max;
		return 0;
	}
	if (elf_probe(cfg->kernel, cfg->kernel_len)) {
		struct elf_info elf;

		rc = elf_load(cfg->kernel, cfg->kernel_len, ram, &elf, err, err_len);
		if (rc)
			return rc;
		memset(zp, 0, BP_SIZE);
		put_le16(zp + BP_BOOT_FLAG, 0xaa55);
		memcpy(zp + BP_HEADER, "HdrS", 4);
		zp[BP_TYPE_OF_LOADER] = 0xff;
		put_le32(zp + BP_KERNEL_ALIGN, 0x1000000);
		info->entry = elf.entry;
		info->kernel_end = elf.kernel_end;
		*cmdline_max = ELF_CMDLINE_MAX;
		*initrd_max = DEFAULT_INITRD_MAX;
		return 0;
	}
	snprintf(err, err_len, "not a bzImage or ELF kernel");
	return -ENOEXEC;
}

int x86_boot_setup(const struct x86_boot_config *cfg, const struct x86_ram *ram,
		   struct x86_boot_info *info, char *err, size_t err_len)
{
	uint8_t *zp = x86_ram_ptr(ram, X86_ZERO_PAGE, BP_SIZE);
	uint8_t *mpt = x86_ram_ptr(ram, X86_EBDA_START, X86_LOW_MEM_END - X86_EBDA_START);
	struct e820_entry e820[E820_MAX_ENTRIES];
	size_t cmdline_max = 0, len;
	uint32_t initrd_max = 0;
	int n, rc;

	memset(info, 0, sizeof(*info));
	if (!zp || !mpt || ram->size < 2 * X86_HIMEM_START) {
		snprintf(err, err_len, "guest RAM of %llu KiB is too small to boot from",
			 (unsigned long long)ram->size >> 10);
		return -ENOMEM;
	}
	rc = load_kernel(cfg, ram, zp, info, &cmdline_max, &initrd_max, err, err_len);
	if (rc) {
		char msg[256];

		snprintf(msg, sizeof(msg), "%s", err);
		snprintf(err, err_len, "kernel '%s': %s",
			 cfg->kernel_name ? cfg->kernel_name : "(memory)", msg);
		return rc;
	}
	if (cmdline_max == 0 || cmdline_max >= X86_CMDLINE_LIMIT)
		cmdline_max = X86_CMDLINE_LIMIT - 1;
	rc = cmdline_build(&cfg->cmdline, info->cmdline, sizeof(info->cmdline), cmdline_max, err,
			   err_len);
	if (rc)
		return rc;
	len = strlen(info->cmdline) + 1;
	memcpy(x86_ram_ptr(ram, X86_CMDLINE_ADDR, len), info->cmdline, len);
	put_le32(zp + BP_CMD_LINE_PTR, (uint32_t)X86_CMDLINE_ADDR);

	if (cfg->initrd) {
		rc = x86_place_initrd(ram, cfg->initrd, cfg->initrd_len, initrd_max,
				      info->kernel_end, zp, err, err_len);
		if (rc)
			return rc;
	}
	n = e820_build(cfg->mem_size, e820, E820_MAX_ENTRIES);
	if (n < 0) {
		snprintf(err, err_len, "cannot build a memory map for %llu bytes of RAM",
			 (unsigned long long)cfg->mem_size);
		return n;
	}
	zp[BP_E820_ENTRIES] = (uint8_t)n;
	memcpy(zp + BP_E820_TABLE, e820, (size_t)n * sizeof(e820[0]));

	rc = mptable_build(mpt, X86_LOW_MEM_END - X86_EBDA_START, (uint32_t)X86_EBDA_START,
			   cfg->ncpus);
	if (rc < 0) {
		snprintf(err, err_len, "cannot build an MP table for %u CPUs (at most %d)",
			 cfg->ncpus, MPTABLE_MAX_CPUS);
		return rc;
	}
	x86_write_boot_tables(ram);
	return 0;
}
