/* SPDX-License-Identifier: MIT */
/*
 * The arm64 Linux `Image` header (Documentation/arch/arm64/booting.rst):
 * 64 bytes at the start of the file, little-endian. Pure parsing, no KVM,
 * so it is unit-tested on any host.
 */
#ifndef ARCH_AARCH64_IMAGE_H
#define ARCH_AARCH64_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#define A64_IMAGE_HDR_SIZE	64
#define A64_IMAGE_MAGIC		0x644d5241u /* "ARM\x64" */
#define A64_IMAGE_MAGIC_OFF	56
#define A64_IMAGE_FLAG_BE	0x1ULL	    /* bit 0: the kernel is big-endian */
#define A64_IMAGE_FLAG_ANYWHERE 0x8ULL	    /* bit 3: the base may be anywhere in RAM */
#define A64_IMAGE_ALIGN		0x200000ULL /* the image's base: 2 MiB aligned */

struct a64_image {
	uint64_t text_offset; /* from the 2 MiB-aligned base to where the file goes */
	uint64_t image_size;  /* bytes the kernel occupies from there, BSS included */
	uint64_t flags;
};

/*
 * Checks the header of a len-byte file and fills img. Errors (-ENOEXEC
 * with one line in err naming the field): shorter than the header, no
 * magic (a gzip'd Image.gz is named as such), big-endian, text_offset not
 * 4 KiB aligned or not below 2 MiB, image_size 0 (kernels before 3.17) or
 * smaller than the file.
 */
int a64_image_parse(const uint8_t *buf, size_t len, struct a64_image *img, char *err,
		    size_t err_len);

#endif
