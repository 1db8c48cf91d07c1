/* SPDX-License-Identifier: MIT */
/*
 * Putting an arm64 Image and its initrd into guest RAM (layout.h): the
 * placement arithmetic and the copies, apart from arch_boot's KVM queries
 * so that the unit tests and fuzzers run the very code that loads a guest,
 * on any host. ram is the host mapping of mem_size bytes of guest RAM from
 * A64_RAM_BASE; offsets are from its start.
 */
#ifndef ARCH_AARCH64_LOAD_H
#define ARCH_AARCH64_LOAD_H

#include <stddef.h>
#include <stdint.h>

/*
 * Checks the len-byte kernel's Image header (a64_image_parse) and copies
 * the file text_offset above the 2 MiB-aligned base that follows the DTB.
 * *off is where it went, *end where its image_size (BSS included) ends.
 * Returns 0, or -ENOEXEC (the header) or -ENOMEM (RAM too small) with one
 * line in err; nothing is written then.
 */
int a64_load_kernel(uint8_t *ram, uint64_t mem_size, const uint8_t *kernel, size_t len,
		    uint64_t *off, uint64_t *end, char *err, size_t err_len);

/*
 * Copies the len-byte initrd to the top of RAM, page aligned, at or above
 * kernel_end; *off is where it went. Returns 0, or -ENOMEM with one line
 * in err when it does not fit; nothing is written then.
 */
int a64_load_initrd(uint8_t *ram, uint64_t mem_size, uint64_t kernel_end, const uint8_t *initrd,
		    size_t len, uint64_t *off, char *err, size_t err_len);

#endif
