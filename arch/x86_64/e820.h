/* SPDX-License-Identifier: MIT */
#ifndef ARCH_X86_64_E820_H
#define ARCH_X86_64_E820_H

#include <stdint.h>

#define E820_RAM	 1
#define E820_RESERVED	 2
#define E820_MAX_ENTRIES 128 /* what boot_params has room for */

struct e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
} __attribute__((packed));

/* Fills tab with the memory map for mem bytes of RAM; returns the count, or
 * -EINVAL when mem is too small to hold the low-memory boot structures. */
int e820_build(uint64_t mem, struct e820_entry *tab, int max);

#endif
