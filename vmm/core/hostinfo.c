// SPDX-License-Identifier: MIT
#include "vmm/core/hostinfo.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int cpu_has_virt_flag(void)
{
	FILE *f = fopen("/proc/cpuinfo", "re");
	char line[4096];
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "flags", 5) != 0)
			continue;
		found = strstr(line, " vmx") || strstr(line, " svm");
		break;
	}
	fclose(f);
	return found;
}

enum host_kvm_kind host_kvm_kind(void)
{
	if (access("/dev/kvm", F_OK) != 0)
		return HOST_KVM_NONE;
	return cpu_has_virt_flag() ? HOST_KVM_HARDWARE : HOST_KVM_PARAVIRT;
}

const char *host_kvm_kind_name(enum host_kvm_kind k)
{
	switch (k) {
	case HOST_KVM_NONE:
		return "none";
	case HOST_KVM_PARAVIRT:
		return "paravirtual";
	default:
		return "hardware";
	}
}
