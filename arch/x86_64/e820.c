// SPDX-License-Identifier: MIT
#include "arch/x86_64/e820.h"

#include <errno.h>

#include "arch/x86_64/layout.h"

static int add(struct e820_entry *tab, int n, int max, uint64_t addr, uint64_t size, uint32_t type)
{
	if (n >= max)
		return -ENOSPC;
	tab[n].addr = addr;
	tab[n].size = size;
	tab[n].type = type;
	return n + 1;
}

int e820_build(uint64_t mem, struct e820_entry *tab, int max)
{
	uint64_t low = x86_low_ram_size(mem);
	uint64_t high = x86_high_ram_size(mem);
	int n = 0;

	/* The kernel must be loadable at 1 MiB, so less than 2 MiB is useless. */
	if (mem < 2 * X86_HIMEM_START)
		return -EINVAL;
	n = add(tab, n, max, 0, X86_EBDA_START, E820_RAM);
	if (n >= 0)
		n = add(tab, n, max, X86_EBDA_START, X86_LOW_MEM_END - X86_EBDA_START,
			E820_RESERVED);
	if (n >= 0)
		n = add(tab, n, max, X86_HIMEM_START, low - X86_HIMEM_START, E820_RAM);
	if (n >= 0 && high)
		n = add(tab, n, max, X86_4G, high, E820_RAM);
	return n;
}
