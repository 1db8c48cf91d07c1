// SPDX-License-Identifier: MIT
#include "arch/x86_64/bzimage.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/le.h"
#include "arch/x86_64/layout.h"

/* Protocol 2.10 added init_size, the last field read here. */
#define BZ_MIN_HDR (BP_INIT_SIZE + 4)
/* Offset of the 64-bit entry point in the protected-mode payload. */
#define BZ_ENTRY_64 0x200

int bzimage_probe(const uint8_t *img, size_t len)
{
	return len >= BP_HEADER + 4 && get_le16(img + BP_BOOT_FLAG) == 0xaa55 &&
	       memcmp(img + BP_HEADER, "HdrS", 4) == 0;
}

/*
 * The payload's fields, checked against the file and each other: a cut or
 * corrupted image must be refused here, since once it runs the guest just
 * triple-faults somewhere in the decompressor.
 */
static int check_payload(const uint8_t *img, struct bzimage_info *info, char *err, size_t err_len)
{
	uint32_t syssize = get_le32(img + BP_SYSSIZE);
	uint32_t align = get_le32(img + BP_KERNEL_ALIGN);
	uint32_t init_size = get_le32(img + BP_INIT_SIZE);
	uint64_t pref = get_le64(img + BP_PREF_ADDRESS);
	uint64_t payload = (uint64_t)syssize * 16;

	if (syssize == 0) {
		snprintf(err, err_len, "syssize is 0: the header describes no payload");
		return -EINVAL;
	}
	/* The build pads the payload to exactly syssize paragraphs; more
	 * (an appended signature) is harmless, less is a cut file. */
	if (payload > info->pm_size) {
		snprintf(err, err_len,
			 "image truncated: syssize says %llu bytes of payload after the %zu "
			 "bytes of setup (setup_sects), the file holds %zu",
			 (unsigned long long)payload, info->setup_size, info->pm_size);
		return -EINVAL;
	}
	/* The 64-bit entry point is 0x200 bytes into the payload. */
	if (payload <= BZ_ENTRY_64) {
		snprintf(err, err_len,
			 "syssize %u (%llu bytes) leaves no room for the 64-bit entry at "
			 "offset 0x%x",
			 syssize, (unsigned long long)payload, BZ_ENTRY_64);
		return -EINVAL;
	}
	/* init_size covers the decompressor, which includes the payload. */
	if (init_size < payload) {
		snprintf(err, err_len, "init_size 0x%x is smaller than the payload (%llu bytes)",
			 init_size, (unsigned long long)payload);
		return -EINVAL;
	}
	if (img[BP_RELOCATABLE] && (align == 0 || (align & (align - 1)))) {
		snprintf(err, err_len, "kernel_alignment 0x%x is not a power of two", align);
		return -EINVAL;
	}
	/* pref_address is the kernel's LOAD_PHYSICAL_ADDR: at least 1 MiB and
	 * aligned; the decompressor extracts there (a relocatable one loaded
	 * at 1 MiB picks max(ALIGN(1 MiB, kernel_alignment), pref_address)). */
	if (pref < X86_KERNEL_LOAD || pref >= X86_MMIO_HOLE ||
	    (img[BP_RELOCATABLE] && (pref & (align - 1)))) {
		snprintf(err, err_len,
			 "pref_address 0x%llx is not an address the kernel can be built for "
			 "(1 MiB to 3 GiB, a multiple of kernel_alignment 0x%x)",
			 (unsigned long long)pref, align);
		return -EINVAL;
	}
	info->cmdline_size = get_le32(img + BP_CMDLINE_SIZE);
	if (info->cmdline_size == 0 || info->cmdline_size >= X86_CMDLINE_MAX) {
		snprintf(err, err_len, "cmdline_size %u is out of range (1 to %llu)",
			 info->cmdline_size, X86_CMDLINE_MAX - 1);
		return -EINVAL;
	}
	info->load_addr = X86_KERNEL_LOAD;
	info->entry = info->load_addr + BZ_ENTRY_64;
	/* init_size bytes from the extraction address must be RAM. */
	info->mem_needed = pref + init_size;
	return 0;
}

int bzimage_parse(const uint8_t *img, size_t len, struct bzimage_info *info, char *err,
		  size_t err_len)
{
	unsigned int sects;

	memset(info, 0, sizeof(*info));
	if (len < BP_HEADER + 8) {
		snprintf(err, err_len, "file is too short to be a bzImage (%zu bytes)", len);
		return -EINVAL;
	}
	if (!bzimage_probe(img, len)) {
		snprintf(err, err_len, "no bzImage boot signature (0xAA55/HdrS)");
		return -EINVAL;
	}
	info->version = get_le16(img + BP_VERSION);
	if (info->version < 0x206) {
		snprintf(err, err_len, "boot protocol %u.%02u is too old (need 2.06 or later)",
			 info->version >> 8, info->version & 0xff);
		return -ENOEXEC;
	}
	if (info->version < 0x20c || len < BZ_MIN_HDR) {
		snprintf(err, err_len,
			 "boot protocol %u.%02u has no 64-bit entry point (need 2.12)",
			 info->version >> 8, info->version & 0xff);
		return -ENOEXEC;
	}
	if (!(get_le16(img + BP_XLOADFLAGS) & XLF_KERNEL_64)) {
		snprintf(err, err_len, "xloadflags 0x%x lacks XLF_KERNEL_64: no 64-bit entry point",
			 get_le16(img + BP_XLOADFLAGS));
		return -ENOEXEC;
	}
	if (!(img[BP_LOADFLAGS] & LOADFLAGS_LOADED_HIGH)) {
		snprintf(err, err_len, "zImage kernels that load below 1 MiB are not supported");
		return -ENOEXEC;
	}
	sects = img[BP_SETUP_SECTS] ? img[BP_SETUP_SECTS] : 4;
	info->setup_size = (size_t)(sects + 1) * 512;
	info->hdr_end = BP_HEADER + img[BP_JUMP + 1];
	if (info->hdr_end < BZ_MIN_HDR || info->hdr_end > info->setup_size) {
		snprintf(err, err_len, "setup header length %zu is out of range", info->hdr_end);
		return -EINVAL;
	}
	if (info->setup_size >= len) {
		snprintf(err, err_len,
			 "image truncated: setup_sects %u means %zu bytes of setup, the file "
			 "has %zu",
			 img[BP_SETUP_SECTS], info->setup_size, len);
		return -EINVAL;
	}
	info->pm = img + info->setup_size;
	info->pm_size = len - info->setup_size;
	info->initrd_addr_max = get_le32(img + BP_INITRD_ADDR_MAX);
	return check_payload(img, info, err, err_len);
}

int bzimage_load(const struct bzimage_info *info, const uint8_t *img, const struct x86_ram *ram,
		 uint8_t *zp, char *err, size_t err_len)
{
	uint8_t *dst;

	if (info->mem_needed > ram->size) {
		snprintf(err, err_len,
			 "kernel needs %llu MiB of low RAM to boot, guest has %llu MiB",
			 (unsigned long long)(info->mem_needed + (1 << 20) - 1) >> 20,
			 (unsigned long long)ram->size >> 20);
		return -ENOMEM;
	}
	dst = x86_ram_ptr(ram, info->load_addr, info->pm_size);
	if (!dst) {
		snprintf(err, err_len, "kernel does not fit in guest RAM");
		return -ENOMEM;
	}
	memcpy(dst, info->pm, info->pm_size);
	memset(zp, 0, BP_SIZE);
	memcpy(zp + BP_SETUP_HDR, img + BP_SETUP_HDR, info->hdr_end - BP_SETUP_HDR);
	zp[BP_TYPE_OF_LOADER] = 0xff;
	zp[BP_LOADFLAGS] |= LOADFLAGS_CAN_USE_HEAP;
	put_le16(zp + BP_HEAP_END_PTR, 0xfe00);
	put_le32(zp + BP_CODE32_START, (uint32_t)info->load_addr);
	return 0;
}
