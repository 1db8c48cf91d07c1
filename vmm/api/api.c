// SPDX-License-Identifier: MIT
/*
 * The library's small entry points: its version, names, and queries over a
 * VM that ask the core (vmm/core/) one thing each. Building, running and
 * tearing down a VM is vmm/core/vm.c; the config vmm/api/config.c.
 */
#include <stdint.h>
#include <stdio.h>

#include "vmm/api/minivmm.h"
#include "vmm/core/hostinfo.h"
#include "vmm/core/seccomp.h"
#include "vmm/core/vcpu.h"
#include "vmm/core/vm.h"

#define STR_(x) #x
#define STR(x)	STR_(x)

const char *minivmm_version(void)
{
	return STR(MINIVMM_VERSION_MAJOR) "." STR(MINIVMM_VERSION_MINOR) "." STR(
		MINIVMM_VERSION_PATCH);
}

const char *minivmm_exit_reason_name(enum minivmm_exit_reason r)
{
	static const char *const names[] = {
		[MINIVMM_EXIT_NONE] = "none",
		[MINIVMM_EXIT_RESET] = "reset",
		[MINIVMM_EXIT_POWEROFF] = "poweroff",
		[MINIVMM_EXIT_STATUS_PORT] = "exit-port",
		[MINIVMM_EXIT_TIMEOUT] = "timeout",
		[MINIVMM_EXIT_STOPPED] = "stopped",
		[MINIVMM_EXIT_FAILED] = "failed",
		[MINIVMM_EXIT_GUEST_PANIC] = "panic",
		[MINIVMM_EXIT_TRIPLE_FAULT] = "triple-fault",
	};

	return (unsigned int)r < sizeof(names) / sizeof(names[0]) ? names[r] : "unknown";
}

const char *minivmm_host_warning(const struct minivmm *vm)
{
	if (vm->linux_guest && host_kvm_kind() == HOST_KVM_PARAVIRT)
		return "this host's KVM has no hardware virtualization (no VMX/SVM) and emulates "
		       "ring-0 guest code, so a Linux kernel will not boot on it directly (it "
		       "stalls or fails with an emulation error): run minivmm one level down, "
		       "inside a Linux with KVM, as make demo does, or on a host with VMX or SVM";
	return NULL;
}

uint64_t minivmm_console_bytes(struct minivmm *vm)
{
	/* Without the UART's lock: a reader never waits for a vCPU. */
	return serial_tx_bytes(&vm->serial);
}

void minivmm_dump_vcpus(struct minivmm *vm, FILE *f)
{
	vcpus_dump(vm, f);
}

int minivmm_seccomp_thread(int mode, const char *name)
{
	return seccomp_install(mode, SECCOMP_THREAD_CONTROL, name);
}

const char *minivmm_cmdline(const struct minivmm *vm)
{
	return vm->cmdline;
}
