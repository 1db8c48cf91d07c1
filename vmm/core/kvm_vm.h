/* SPDX-License-Identifier: MIT */
/* The KVM VM and its RAM (vmm/core/kvm_vm.c). */
#ifndef VMM_CORE_KVM_VM_H
#define VMM_CORE_KVM_VM_H

#include <stddef.h>

struct minivmm;

int kvm_vm_open(struct minivmm *vm, char *err, size_t err_len);
int vm_alloc_ram(struct minivmm *vm, char *err, size_t err_len);
int kvm_vm_map_ram(struct minivmm *vm, char *err, size_t err_len);
void kvm_vm_close(struct minivmm *vm);
/* The KVM fds only; guest RAM stays mapped (a stuck device thread's I/O may still land in it). */
void kvm_vm_close_fds(struct minivmm *vm);

#endif
