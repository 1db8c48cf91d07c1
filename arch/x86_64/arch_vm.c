// SPDX-License-Identifier: MIT
/* arch/arch.h, the KVM side on x86_64: VM setup, vCPU state, port I/O exits. */
#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "arch/arch.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/vcpu_setup.h"

static int vm_ioctl(int vm_fd, unsigned long req, unsigned long arg, const char *what, char *err,
		    size_t err_len)
{
	if (ioctl(vm_fd, req, arg) < 0) {
		int e = errno;

		snprintf(err, err_len, "%s failed: %s", what, strerror(e));
		return -e;
	}
	return 0;
}

/* KVM on Intel needs the TSS and identity-map pages placed before the first
 * vCPU runs; the PIC, IOAPIC, LAPICs and the PIT live in the kernel. */
int arch_vm_setup(int vm_fd, char *err, size_t err_len)
{
	struct kvm_pit_config pit = {.flags = KVM_PIT_SPEAKER_DUMMY};
	uint64_t ident = X86_IDENTITY_MAP;
	int rc;

	rc = vm_ioctl(vm_fd, KVM_SET_TSS_ADDR, X86_TSS_ADDR, "KVM_SET_TSS_ADDR", err, err_len);
	if (!rc)
		rc = vm_ioctl(vm_fd, KVM_SET_IDENTITY_MAP_ADDR, (unsigned long)&ident,
			      "KVM_SET_IDENTITY_MAP_ADDR", err, err_len);
	if (!rc)
		rc = vm_ioctl(vm_fd, KVM_CREATE_IRQCHIP, 0, "KVM_CREATE_IRQCHIP", err, err_len);
	if (!rc)
		rc = vm_ioctl(vm_fd, KVM_CREATE_PIT2, (unsigned long)&pit, "KVM_CREATE_PIT2", err,
			      err_len);
	return rc;
}

/* On x86 what the vCPUs share is KVM's supported CPUID, patched per vCPU. */
struct arch_vcpus {
	struct kvm_cpuid2 *cpuid;
};

int arch_vcpus_init(int kvm_fd, int vm_fd, struct arch_vcpus **out, char *err, size_t err_len)
{
	struct arch_vcpus *a = calloc(1, sizeof(*a));

	(void)vm_fd;
	*out = NULL;
	if (!a) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	a->cpuid = x86_supported_cpuid(kvm_fd);
	if (!a->cpuid) {
		snprintf(err, err_len, "KVM_GET_SUPPORTED_CPUID failed: %s", strerror(errno));
		free(a);
		return -EINVAL;
	}
	*out = a;
	return 0;
}

int arch_vcpu_setup(const struct arch_vcpus *a, int vcpu_fd, unsigned int id, unsigned int ncpus,
		    uint64_t entry, char *err, size_t err_len)
{
	return x86_vcpu_setup(vcpu_fd, a->cpuid, id, ncpus, entry, err, err_len);
}

/* The in-kernel irqchip went in with the VM (arch_vm_setup). */
int arch_vcpus_ready(const struct arch_vcpus *a, int vm_fd, unsigned int ncpus, char *err,
		     size_t err_len)
{
	(void)a;
	(void)vm_fd;
	(void)ncpus;
	(void)err;
	(void)err_len;
	return 0;
}

void arch_vcpus_free(struct arch_vcpus *a)
{
	if (!a)
		return;
	free(a->cpuid);
	free(a);
}

const struct arch_reg_names arch_reg_names = {
	.pc = "RIP", .sp = "RSP", .flags = "RFLAGS", .pt_root = "CR3", .priv = "CPL"};

const unsigned long arch_vcpu_regs_ioctls[] = {KVM_GET_REGS, KVM_GET_SREGS, 0};

void arch_vcpu_regs(int vcpu_fd, struct arch_regs *r)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;

	if (ioctl(vcpu_fd, KVM_GET_REGS, &regs) == 0) {
		r->pc = regs.rip;
		r->sp = regs.rsp;
		r->flags = regs.rflags;
	}
	if (ioctl(vcpu_fd, KVM_GET_SREGS, &sregs) == 0) {
		r->pt_root = sregs.cr3;
		r->priv = sregs.cs.dpl;
	}
}

bool arch_handle_pio(struct kvm_run *r, arch_pio_fn *pio, void *ctx)
{
	uint8_t *data = (uint8_t *)r + r->io.data_offset;

	if (r->exit_reason != KVM_EXIT_IO)
		return false;
	/* A string instruction (rep outsb, ...) brings count accesses at once. */
	for (uint32_t i = 0; i < r->io.count; i++, data += r->io.size)
		pio(ctx, r->io.port, data, r->io.size, r->io.direction == KVM_EXIT_IO_OUT);
	return true;
}
