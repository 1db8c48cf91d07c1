// SPDX-License-Identifier: MIT
/* vCPU threads: KVM_RUN and the exits that come back to user space. */
#include <errno.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "arch/x86_64/vcpu_setup.h"
#include "vmm/hostinfo.h"
#include "vmm/seccomp.h"
#include "vmm/vm.h"

static int kick_signal(void)
{
	return SIGRTMIN;
}

static void kick_handler(int sig)
{
	(void)sig; /* only there to interrupt KVM_RUN with EINTR */
}

int vcpus_create(struct minivmm *vm, char *err, size_t err_len)
{
	int run_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);

	if (run_size < (int)sizeof(struct kvm_run)) {
		snprintf(err, err_len, "KVM_GET_VCPU_MMAP_SIZE failed: %s", strerror(errno));
		return -EINVAL;
	}
	vm->cpuid = x86_supported_cpuid(vm->kvm_fd);
	if (!vm->cpuid) {
		snprintf(err, err_len, "KVM_GET_SUPPORTED_CPUID failed: %s", strerror(errno));
		return -EINVAL;
	}
	vm->vcpus = calloc(vm->ncpus, sizeof(*vm->vcpus));
	if (!vm->vcpus) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < vm->ncpus; i++)
		vm->vcpus[i].fd = -1;
	for (unsigned int i = 0; i < vm->ncpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		int rc;

		v->vm = vm;
		v->id = i;
		v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, i);
		if (v->fd < 0) {
			snprintf(err, err_len, "KVM_CREATE_VCPU %u failed: %s", i, strerror(errno));
			return -errno;
		}
		v->run_size = (size_t)run_size;
		v->run = mmap(NULL, v->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
		if (v->run == MAP_FAILED) {
			v->run = NULL;
			snprintf(err, err_len, "mmap of vCPU %u state failed: %s", i,
				 strerror(errno));
			return -ENOMEM;
		}
		rc = x86_vcpu_setup(v->fd, vm->cpuid, i, vm->ncpus, vm->entry, err, err_len);
		if (rc)
			return rc;
	}
	return 0;
}

static void handle_io(struct vcpu *v)
{
	struct kvm_run *r = v->run;
	uint8_t *data = (uint8_t *)r + r->io.data_offset;

	for (uint32_t i = 0; i < r->io.count; i++, data += r->io.size)
		bus_access(&v->vm->pio, r->io.port, data, r->io.size,
			   r->io.direction == KVM_EXIT_IO_OUT);
}

static void handle_mmio(struct vcpu *v)
{
	struct kvm_run *r = v->run;
	unsigned int len = r->mmio.len <= 8 ? r->mmio.len : 8;

	bus_access(&v->vm->mmio, r->mmio.phys_addr, r->mmio.data, len, r->mmio.is_write);
}

static void report_failure(struct vcpu *v, const char *what, unsigned long long code)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	unsigned long long rip = 0;
	int cpl = -1;

	if (ioctl(v->fd, KVM_GET_REGS, &regs) == 0)
		rip = regs.rip;
	if (ioctl(v->fd, KVM_GET_SREGS, &sregs) == 0)
		cpl = sregs.cs.dpl;
	vm_request_exit(v->vm, MINIVMM_EXIT_FAILED, MINIVMM_STATUS_VM_FAILED,
			"vCPU %u: %s (code %llu) at guest RIP 0x%llx, CPL %d%s", v->id, what, code,
			rip, cpl,
			host_kvm_kind() == HOST_KVM_PARAVIRT && cpl == 0
				? "; this host's KVM has no hardware virtualization and "
				  "emulates ring-0 guest code, so a Linux kernel cannot boot on "
				  "it directly: run it one level down (README, \"How the tests "
				  "run\")"
				: "");
}

/* Returns 0 to keep running, 1 when the VM ends. */
static int handle_exit(struct vcpu *v)
{
	struct kvm_run *r = v->run;

	switch (r->exit_reason) {
	case KVM_EXIT_IO:
		handle_io(v);
		return 0;
	case KVM_EXIT_MMIO:
		handle_mmio(v);
		return 0;
	case KVM_EXIT_HLT:
		return 0; /* with the in-kernel LAPIC only a stray HLT gets here */
	case KVM_EXIT_SHUTDOWN:
		/* A triple fault is how reboot=t resets a PC; with any other
		 * reboot method a guest only triple-faults when it crashed. KVM
		 * has already reset the registers, so only the vCPU is known. */
		if (v->vm->triple_fault_resets)
			vm_request_exit(v->vm, MINIVMM_EXIT_RESET, 0,
					"guest reset (triple fault on vCPU %u, reboot=t)", v->id);
		else
			vm_request_exit(v->vm, MINIVMM_EXIT_TRIPLE_FAULT,
					MINIVMM_STATUS_TRIPLE_FAULT,
					"guest crashed: triple fault on vCPU %u (a reset only "
					"with reboot=t on the kernel command line)",
					v->id);
		return 1;
	case KVM_EXIT_SYSTEM_EVENT:
		if (r->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN)
			vm_request_exit(v->vm, MINIVMM_EXIT_POWEROFF, 0, "guest powered off");
		else if (r->system_event.type == KVM_SYSTEM_EVENT_RESET)
			vm_request_exit(v->vm, MINIVMM_EXIT_RESET, 0, "guest reset");
		else
			report_failure(v, "guest crash system event", r->system_event.type);
		return 1;
	case KVM_EXIT_INTERNAL_ERROR:
		report_failure(v,
			       r->internal.suberror == KVM_INTERNAL_ERROR_EMULATION
				       ? "KVM emulation failure"
				       : "KVM internal error",
			       r->internal.suberror);
		return 1;
	case KVM_EXIT_FAIL_ENTRY:
		report_failure(v, "KVM entry failure", r->fail_entry.hardware_entry_failure_reason);
		return 1;
	default:
		report_failure(v, "unexpected KVM exit", r->exit_reason);
		return 1;
	}
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct minivmm *vm = v->vm;
	int rc;

	snprintf(v->name, sizeof(v->name), "vcpu%u", v->id);
	pthread_setname_np(pthread_self(), v->name);
	rc = seccomp_install(vm->cfg.seccomp, SECCOMP_THREAD_VCPU, v->name);
	if (rc) {
		vm_request_exit(vm, MINIVMM_EXIT_FAILED, MINIVMM_STATUS_ERROR,
				"vCPU %u: cannot install its seccomp filter: %s", v->id,
				strerror(-rc));
		return NULL;
	}
	seccomp_test_violate(SECCOMP_THREAD_VCPU);
	/* Not one guest instruction before every thread's filter is on. */
	pthread_mutex_lock(&vm->exit_lock);
	while (!vm->go && !atomic_load(&vm->stopping))
		pthread_cond_wait(&vm->exit_cond, &vm->exit_lock);
	pthread_mutex_unlock(&vm->exit_lock);
	while (!atomic_load(&vm->stopping)) {
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			vm_request_exit(vm, MINIVMM_EXIT_FAILED, MINIVMM_STATUS_VM_FAILED,
					"vCPU %u: KVM_RUN failed: %s", v->id, strerror(errno));
			break;
		}
		if (handle_exit(v))
			break;
	}
	return NULL;
}

int vcpus_start(struct minivmm *vm, char *err, size_t err_len)
{
	struct sigaction sa = {.sa_handler = kick_handler};
	sigset_t set;

	sigemptyset(&sa.sa_mask);
	sigaction(kick_signal(), &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, kick_signal());
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	for (unsigned int i = 0; i < vm->ncpus; i++) {
		int rc = pthread_create(&vm->vcpus[i].thread, NULL, vcpu_thread, &vm->vcpus[i]);

		if (rc) {
			snprintf(err, err_len, "cannot start vCPU thread %u: %s", i, strerror(rc));
			return -rc;
		}
		vm->vcpus[i].started = 1;
	}
	return 0;
}

void vcpus_go(struct minivmm *vm)
{
	pthread_mutex_lock(&vm->exit_lock);
	vm->go = true;
	pthread_cond_broadcast(&vm->exit_cond);
	pthread_mutex_unlock(&vm->exit_lock);
}

void vcpus_stop(struct minivmm *vm, const struct timespec *deadline, char *why, size_t why_len)
{
	size_t l = 0;

	atomic_store(&vm->stopping, 1);
	if (!vm->vcpus)
		return;
	for (unsigned int i = 0; i < vm->ncpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		if (!v->started)
			continue;
		/* immediate_exit covers a thread that is just about to enter KVM_RUN. */
		__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
		pthread_kill(v->thread, kick_signal());
	}
	for (unsigned int i = 0; i < vm->ncpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		if (!v->started)
			continue;
		if (deadline ? pthread_clockjoin_np(v->thread, NULL, CLOCK_MONOTONIC, deadline)
			     : pthread_join(v->thread, NULL)) {
			vm->threads_stuck = true;
			if (l < why_len)
				l += (size_t)snprintf(why + l, why_len - l, "%svCPU %u thread",
						      l ? ", " : "", v->id);
			continue;
		}
		v->started = 0;
	}
}

void vcpus_destroy(struct minivmm *vm)
{
	if (!vm->vcpus)
		return;
	for (unsigned int i = 0; i < vm->ncpus; i++) {
		if (vm->vcpus[i].run)
			munmap(vm->vcpus[i].run, vm->vcpus[i].run_size);
		if (vm->vcpus[i].fd >= 0)
			close(vm->vcpus[i].fd);
	}
	free(vm->vcpus);
	vm->vcpus = NULL;
	free(vm->cpuid);
	vm->cpuid = NULL;
}
