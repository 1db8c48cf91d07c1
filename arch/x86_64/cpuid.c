// SPDX-License-Identifier: MIT
#include "arch/x86_64/cpuid.h"

#define CPUID_1_ECX_HYPERVISOR (1u << 31)
#define CPUID_1_EDX_HTT	       (1u << 28)
#define TOPO_LEVEL_SMT	       1
#define TOPO_LEVEL_CORE	       2

static unsigned int order(unsigned int n)
{
	unsigned int s = 0;

	while ((1u << s) < n)
		s++;
	return s;
}

/* Leaves 0xB and 0x1F: level 0 is SMT (1 thread), level 1 the cores. */
static void topology_leaf(struct kvm_cpuid_entry2 *e, unsigned int apic_id, unsigned int ncpus)
{
	unsigned int level = e->index;

	e->edx = apic_id;
	if (level == 0) {
		e->eax = 0;
		e->ebx = 1;
		e->ecx = level | TOPO_LEVEL_SMT << 8;
	} else if (level == 1) {
		e->eax = order(ncpus);
		e->ebx = ncpus;
		e->ecx = level | TOPO_LEVEL_CORE << 8;
	} else {
		e->eax = 0;
		e->ebx = 0;
		e->ecx = level;
	}
}

void cpuid_patch(struct kvm_cpuid_entry2 *e, unsigned int n, unsigned int apic_id,
		 unsigned int ncpus)
{
	for (unsigned int i = 0; i < n; i++, e++) {
		switch (e->function) {
		case 1:
			e->ebx = (e->ebx & 0xffffu) | (apic_id & 0xffu) << 24 |
				 ((1u << order(ncpus)) & 0xffu) << 16;
			e->ecx |= CPUID_1_ECX_HYPERVISOR;
			if (ncpus > 1)
				e->edx |= CPUID_1_EDX_HTT;
			else
				e->edx &= ~CPUID_1_EDX_HTT;
			break;
		case 4:
			/* Cores per package, and who shares each cache level. */
			if (!(e->eax & 0x1f))
				break;
			e->eax &= 0x3fffu;
			e->eax |= (ncpus - 1) << 26;
			if (((e->eax >> 5) & 7) >= 3)
				e->eax |= (ncpus - 1) << 14;
			break;
		case 0xb:
		case 0x1f:
			topology_leaf(e, apic_id, ncpus);
			break;
		case 0x80000008:
			/* AMD: number of cores minus one, and the APIC ID width. */
			e->ecx = (e->ecx & ~0xf0ffu) | (ncpus - 1) | order(ncpus) << 12;
			break;
		default:
			break;
		}
	}
}
