/* SPDX-License-Identifier: MIT */
/* Linux bzImage parsing and loading through the 64-bit boot protocol. */
#ifndef ARCH_X86_64_BZIMAGE_H
#define ARCH_X86_64_BZIMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/ram.h"

/* Offsets into boot_params (Documentation/arch/x86/boot.rst). */
#define BP_SETUP_HDR	     0x1f1
#define BP_SETUP_SECTS	     0x1f1
#define BP_SYSSIZE	     0x1f4
#define BP_BOOT_FLAG	     0x1fe
#define BP_JUMP		     0x200
#define BP_HEADER	     0x202
#define BP_VERSION	     0x206
#define BP_TYPE_OF_LOADER    0x210
#define BP_LOADFLAGS	     0x211
#define BP_CODE32_START	     0x214
#define BP_RAMDISK_IMAGE     0x218
#define BP_RAMDISK_SIZE	     0x21c
#define BP_HEAP_END_PTR	     0x224
#define BP_CMD_LINE_PTR	     0x228
#define BP_INITRD_ADDR_MAX   0x22c
#define BP_KERNEL_ALIGN	     0x230
#define BP_RELOCATABLE	     0x234
#define BP_XLOADFLAGS	     0x236
#define BP_CMDLINE_SIZE	     0x238
#define BP_PREF_ADDRESS	     0x258
#define BP_INIT_SIZE	     0x260
#define BP_E820_ENTRIES	     0x1e8
#define BP_E820_TABLE	     0x2d0
#define BP_EXT_RAMDISK_IMAGE 0x0c0
#define BP_EXT_RAMDISK_SIZE  0x0c4
#define BP_EXT_CMD_LINE_PTR  0x0c8
#define BP_SIZE		     0x1000

#define LOADFLAGS_LOADED_HIGH  0x01
#define LOADFLAGS_CAN_USE_HEAP 0x80
#define XLF_KERNEL_64	       0x01

struct bzimage_info {
	uint16_t version;
	size_t setup_size; /* bytes of real-mode setup incl. boot sector */
	size_t hdr_end;	   /* end offset of the setup header in the image */
	const uint8_t *pm; /* protected-mode part of the image */
	size_t pm_size;
	uint64_t load_addr;  /* where the protected-mode part goes */
	uint64_t entry;	     /* 64-bit entry point */
	uint64_t mem_needed; /* highest address the kernel may use while booting */
	uint32_t initrd_addr_max;
	uint32_t cmdline_size; /* longest command line without the NUL */
};

/* Returns 1 when the image looks like a bzImage at all (boot flag and HdrS). */
int bzimage_probe(const uint8_t *img, size_t len);

/*
 * Validates the setup header against the file and itself (setup_sects,
 * syssize, init_size, kernel_alignment, pref_address, cmdline_size,
 * xloadflags): a cut or corrupted image is refused here rather than left to
 * crash the guest. On failure returns -EINVAL (or -ENOEXEC for an
 * unsupported protocol) and names the field in err.
 */
int bzimage_parse(const uint8_t *img, size_t len, struct bzimage_info *info, char *err,
		  size_t err_len);

/*
 * Copies the protected-mode part into RAM and the setup header into the
 * zero page at zp (BP_SIZE bytes). Returns 0 or -ENOMEM when it does not fit.
 */
int bzimage_load(const struct bzimage_info *info, const uint8_t *img, const struct x86_ram *ram,
		 uint8_t *zp, char *err, size_t err_len);

#endif
