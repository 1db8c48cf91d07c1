/* SPDX-License-Identifier: MIT */
/* Architectural vCPU state at Linux's 64-bit entry, set through KVM. */
#ifndef ARCH_X86_64_VCPU_SETUP_H
#define ARCH_X86_64_VCPU_SETUP_H

#include <stddef.h>
#include <stdint.h>

struct kvm_cpuid2;

/* KVM_GET_SUPPORTED_CPUID into a malloc'ed table; NULL on failure (errno set). */
struct kvm_cpuid2 *x86_supported_cpuid(int kvm_fd);

/*
 * CPUID, MSRs and LAPIC LINT pins for every vCPU; for the boot vCPU also the
 * registers for a 64-bit entry at entry with RSI pointing at the zero page.
 * Application processors wait for INIT/SIPI from the in-kernel LAPIC.
 * Returns 0 or a negative errno with err naming the step that failed.
 */
int x86_vcpu_setup(int vcpu_fd, const struct kvm_cpuid2 *supported, unsigned int id,
		   unsigned int ncpus, uint64_t entry, char *err, size_t err_len);

#endif
