// SPDX-License-Identifier: MIT
/* The arm64 Image and initrd placement (load.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "arch/aarch64/image.h"
#include "arch/aarch64/layout.h"
#include "arch/aarch64/load.h"

/* The error for an image_size that does not fit above kernel_off. */
static void too_big(uint64_t image_size, uint64_t kernel_off, char *err, size_t err_len)
{
	uint64_t mib;

	if (image_size > A64_RAM_MAX - kernel_off) {
		snprintf(err, err_len, "image_size %llu does not fit in any guest's RAM (%llu GiB)",
			 (unsigned long long)image_size, (unsigned long long)(A64_RAM_MAX >> 30));
		return;
	}
	mib = (kernel_off + image_size + (1 << 20) - 1) >> 20; /* below 2^40: no wrap */
	snprintf(err, err_len, "image_size %llu needs %llu MiB of RAM from 2 GiB: give more --mem",
		 (unsigned long long)image_size, (unsigned long long)mib);
}

int a64_load_kernel(uint8_t *ram, uint64_t mem_size, const uint8_t *kernel, size_t len,
		    uint64_t *off, uint64_t *end, char *err, size_t err_len)
{
	struct a64_image img;
	uint64_t kernel_off, kernel_end;
	int rc;

	rc = a64_image_parse(kernel, len, &img, err, err_len);
	if (rc)
		return rc;
	/* The DTB owns the first 2 MiB; the image's 2 MiB-aligned base is right after. */
	kernel_off = A64_KERNEL_BASE - A64_RAM_BASE + img.text_offset;
	/*
	 * image_size comes from the file: kernel_off + image_size can wrap
	 * past 2^64 to below mem_size (and the file then be copied past
	 * RAM), so compare without adding it. The file itself is no longer
	 * than image_size (a64_image_parse).
	 */
	if (kernel_off > mem_size || img.image_size > mem_size - kernel_off) {
		too_big(img.image_size, kernel_off, err, err_len);
		return -ENOMEM;
	}
	kernel_end = kernel_off + img.image_size;
	memcpy(ram + kernel_off, kernel, len);
	*off = kernel_off;
	*end = kernel_end;
	return 0;
}

int a64_load_initrd(uint8_t *ram, uint64_t mem_size, uint64_t kernel_end, const uint8_t *initrd,
		    size_t len, uint64_t *off, char *err, size_t err_len)
{
	/* At the top, page aligned, clear of the kernel's BSS; nothing here may wrap. */
	if (kernel_end > mem_size || len > mem_size - kernel_end ||
	    ((mem_size - len) & ~0xfffULL) < kernel_end) {
		snprintf(err, err_len,
			 "initrd of %zu bytes does not fit in RAM above the kernel: give more "
			 "--mem",
			 len);
		return -ENOMEM;
	}
	*off = (mem_size - len) & ~0xfffULL;
	memcpy(ram + *off, initrd, len);
	return 0;
}
