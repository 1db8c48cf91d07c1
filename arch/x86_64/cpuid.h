/* SPDX-License-Identifier: MIT */
/* Per-vCPU CPUID: KVM's supported table with APIC IDs and topology set. */
#ifndef ARCH_X86_64_CPUID_H
#define ARCH_X86_64_CPUID_H

#include <linux/kvm.h>

/*
 * Rewrites the entries (as KVM_GET_SUPPORTED_CPUID returned them) for vCPU
 * apic_id of ncpus: one package, one core per vCPU, no SMT. Pure function.
 */
void cpuid_patch(struct kvm_cpuid_entry2 *e, unsigned int n, unsigned int apic_id,
		 unsigned int ncpus);

#endif
