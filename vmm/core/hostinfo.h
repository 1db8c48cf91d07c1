/* SPDX-License-Identifier: MIT */
/* What kind of KVM this host offers (docs/design.md, "Why the KVM tests run one level down"). */
#ifndef VMM_HOSTINFO_H
#define VMM_HOSTINFO_H

enum host_kvm_kind {
	HOST_KVM_NONE,	   /* no /dev/kvm */
	HOST_KVM_PARAVIRT, /* /dev/kvm, but the CPU has no vmx/svm: ring 0 is emulated */
	HOST_KVM_HARDWARE, /* /dev/kvm on a CPU with vmx or svm */
};

enum host_kvm_kind host_kvm_kind(void);
const char *host_kvm_kind_name(enum host_kvm_kind k);

#endif
