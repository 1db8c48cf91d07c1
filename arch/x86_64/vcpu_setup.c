// SPDX-License-Identifier: MIT
#include "arch/x86_64/vcpu_setup.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "arch/x86_64/cpuid.h"
#include "arch/x86_64/layout.h"

#define MAX_CPUID_ENTRIES 256

#define MSR_IA32_SYSENTER_CS	0x174
#define MSR_IA32_SYSENTER_ESP	0x175
#define MSR_IA32_SYSENTER_EIP	0x176
#define MSR_IA32_MISC_ENABLE	0x1a0
#define MSR_IA32_CR_PAT		0x277
#define MSR_MTRR_DEF_TYPE	0x2ff
#define MSR_STAR		0xc0000081
#define MSR_LSTAR		0xc0000082
#define MSR_CSTAR		0xc0000083
#define MSR_SYSCALL_MASK	0xc0000084
#define MSR_KERNEL_GS_BASE	0xc0000102
#define MISC_ENABLE_FAST_STRING 0x1
#define MTRR_ENABLE_WB		((1u << 11) | 6)
#define PAT_DEFAULT		0x0007040600070406ULL

#define CR0_PE	 0x1
#define CR0_MP	 0x2
#define CR0_ET	 0x10
#define CR0_NE	 0x20
#define CR0_WP	 0x10000
#define CR0_PG	 0x80000000
#define CR4_PAE	 0x20
#define EFER_LME 0x100
#define EFER_LMA 0x400

#define APIC_LVT0	 0x350
#define APIC_LVT1	 0x360
#define APIC_MODE_NMI	 0x4
#define APIC_MODE_EXTINT 0x7

struct kvm_cpuid2 *x86_supported_cpuid(int kvm_fd)
{
	struct kvm_cpuid2 *c =
		calloc(1, sizeof(*c) + MAX_CPUID_ENTRIES * sizeof(struct kvm_cpuid_entry2));

	if (!c)
		return NULL;
	c->nent = MAX_CPUID_ENTRIES;
	if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) < 0) {
		int e = errno;

		free(c);
		errno = e;
		return NULL;
	}
	return c;
}

static int set_cpuid(int fd, const struct kvm_cpuid2 *supported, unsigned int id,
		     unsigned int ncpus)
{
	size_t size = sizeof(*supported) + supported->nent * sizeof(supported->entries[0]);
	struct kvm_cpuid2 *c = malloc(size);
	int rc;

	if (!c)
		return -ENOMEM;
	memcpy(c, supported, size);
	cpuid_patch(c->entries, c->nent, id, ncpus);
	rc = ioctl(fd, KVM_SET_CPUID2, c) < 0 ? -errno : 0;
	free(c);
	return rc;
}

/* Returns 0, a negative errno, or the index of the first MSR KVM refused. */
static int set_msrs(int fd, uint32_t *refused)
{
	static const struct {
		uint32_t index;
		uint64_t data;
	} init[] = {
		{MSR_IA32_SYSENTER_CS, 0},
		{MSR_IA32_SYSENTER_ESP, 0},
		{MSR_IA32_SYSENTER_EIP, 0},
		{MSR_STAR, 0},
		{MSR_LSTAR, 0},
		{MSR_CSTAR, 0},
		{MSR_SYSCALL_MASK, 0},
		{MSR_KERNEL_GS_BASE, 0},
		{MSR_IA32_MISC_ENABLE, MISC_ENABLE_FAST_STRING},
		{MSR_MTRR_DEF_TYPE, MTRR_ENABLE_WB},
		{MSR_IA32_CR_PAT, PAT_DEFAULT},
	};
	unsigned int n = sizeof(init) / sizeof(init[0]);
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[sizeof(init) / sizeof(init[0])];
	} m;
	int rc;

	memset(&m, 0, sizeof(m));
	m.hdr.nmsrs = n;
	for (unsigned int i = 0; i < n; i++) {
		m.e[i].index = init[i].index;
		m.e[i].data = init[i].data;
	}
	rc = ioctl(fd, KVM_SET_MSRS, &m);
	if (rc < 0)
		return -errno;
	/* KVM stops at the first MSR it refuses and returns how many it set. */
	if (rc < (int)n) {
		*refused = init[rc].index;
		return -EPERM;
	}
	return 0;
}

static int set_lapic(int fd)
{
	struct kvm_lapic_state l;
	uint32_t v;

	if (ioctl(fd, KVM_GET_LAPIC, &l) < 0)
		return -errno;
	memcpy(&v, l.regs + APIC_LVT0, 4);
	v = (v & ~0x700u) | APIC_MODE_EXTINT << 8;
	memcpy(l.regs + APIC_LVT0, &v, 4);
	memcpy(&v, l.regs + APIC_LVT1, 4);
	v = (v & ~0x700u) | APIC_MODE_NMI << 8;
	memcpy(l.regs + APIC_LVT1, &v, 4);
	return ioctl(fd, KVM_SET_LAPIC, &l) < 0 ? -errno : 0;
}

static void flat_segment(struct kvm_segment *s, uint16_t sel, uint8_t type, int code)
{
	*s = (struct kvm_segment){
		.base = 0,
		.limit = 0xffffffff,
		.selector = sel,
		.type = type,
		.present = 1,
		.dpl = 0,
		.db = code ? 0 : 1,
		.s = 1,
		.l = code ? 1 : 0,
		.g = 1,
	};
}

static int set_boot_regs(int fd, uint64_t entry)
{
	struct kvm_sregs sr;
	struct kvm_regs r;

	if (ioctl(fd, KVM_GET_SREGS, &sr) < 0)
		return -errno;
	flat_segment(&sr.cs, 0x10, 0xb, 1);
	flat_segment(&sr.ds, 0x18, 0x3, 0);
	sr.es = sr.fs = sr.gs = sr.ss = sr.ds;
	sr.tr = (struct kvm_segment){.selector = 0x20, .limit = 0x67, .type = 0xb, .present = 1};
	sr.gdt.base = X86_GDT_ADDR;
	sr.gdt.limit = 6 * 8 - 1;
	sr.idt.base = X86_IDT_ADDR;
	sr.idt.limit = 7;
	sr.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
	sr.cr3 = X86_PML4_ADDR;
	sr.cr4 = CR4_PAE;
	sr.efer = EFER_LME | EFER_LMA;
	if (ioctl(fd, KVM_SET_SREGS, &sr) < 0)
		return -errno;

	memset(&r, 0, sizeof(r));
	r.rflags = 0x2;
	r.rip = entry;
	r.rsp = X86_BOOT_STACK;
	r.rbp = X86_BOOT_STACK;
	r.rsi = X86_ZERO_PAGE;
	return ioctl(fd, KVM_SET_REGS, &r) < 0 ? -errno : 0;
}

int x86_vcpu_setup(int fd, const struct kvm_cpuid2 *supported, unsigned int id, unsigned int ncpus,
		   uint64_t entry, char *err, size_t err_len)
{
	uint32_t refused = 0;
	int rc;

	rc = set_cpuid(fd, supported, id, ncpus);
	if (rc) {
		snprintf(err, err_len, "vCPU %u: KVM_SET_CPUID2 failed: %s", id, strerror(-rc));
		return rc;
	}
	rc = set_msrs(fd, &refused);
	if (rc == -EPERM) {
		snprintf(err, err_len, "vCPU %u: KVM refused to set MSR 0x%x", id, refused);
		return rc;
	}
	if (rc) {
		snprintf(err, err_len, "vCPU %u: KVM_SET_MSRS failed: %s", id, strerror(-rc));
		return rc;
	}
	rc = set_lapic(fd);
	if (rc) {
		snprintf(err, err_len, "vCPU %u: setting LAPIC LINT0/LINT1 failed: %s", id,
			 strerror(-rc));
		return rc;
	}
	if (id != 0)
		return 0;
	rc = set_boot_regs(fd, entry);
	if (rc)
		snprintf(err, err_len, "vCPU 0: setting entry registers failed: %s", strerror(-rc));
	return rc;
}
