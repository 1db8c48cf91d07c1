/* SPDX-License-Identifier: MIT */
/*
 * The loaders' view of guest RAM below the MMIO hole, where every boot
 * structure, the kernel and the initrd go. Every access is bounds-checked.
 */
#ifndef ARCH_X86_64_RAM_H
#define ARCH_X86_64_RAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct x86_ram {
	uint8_t *host;
	uint64_t size; /* bytes of RAM at guest-physical 0 */
	/*
	 * Every byte is still 0 (a fresh anonymous mapping), so a loader need
	 * not store zeros: a kernel's bss is then left to the guest's first
	 * touch, not faulted in (and, with huge pages, cleared) at start-up.
	 */
	bool zeroed;
};

/* Host pointer for [gpa, gpa + len), or NULL when it leaves low RAM. */
static inline void *x86_ram_ptr(const struct x86_ram *ram, uint64_t gpa, uint64_t len)
{
	if (gpa > ram->size || len > ram->size - gpa)
		return NULL;
	return ram->host + gpa;
}

#endif
