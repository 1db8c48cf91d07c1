/* SPDX-License-Identifier: MIT */
/* What arch_boot.c asks of the KVM side (arch_vm.c). */
#ifndef ARCH_AARCH64_KVM_H
#define ARCH_AARCH64_KVM_H

/*
 * 3 when KVM offers an in-kernel GICv3, else 2 when it offers a GICv2, else
 * 3 (no KVM here: creating the VM will fail with its own message). The
 * device tree is written before the VM exists, so this asks a throwaway
 * VM (KVM_CREATE_DEVICE_TEST); arch_vcpus_ready makes the same choice.
 */
unsigned int a64_gic_version(void);

#endif
