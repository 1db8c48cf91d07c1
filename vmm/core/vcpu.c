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
#include <time.h>
#include <unistd.h>

#include "arch/arch.h"
#include "common/join.h"
#include "common/timespec.h"
#include "vmm/core/hostinfo.h"
#include "vmm/core/seccomp.h"
#include "vmm/core/signals.h"
#include "vmm/core/vm.h"
#include "vmm/core/vm_exit.h"
#include "vmm/core/vcpu.h"

int vcpus_create(struct minivmm *vm, char *err, size_t err_len)
{
	int run_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);

	if (run_size < (int)sizeof(struct kvm_run)) {
		snprintf(err, err_len, "KVM_GET_VCPU_MMAP_SIZE failed: %s", strerror(errno));
		return -EINVAL;
	}
	if (arch_vcpus_init(vm->kvm_fd, vm->vm_fd, &vm->arch, err, err_len))
		return -EINVAL;
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
		rc = arch_vcpu_setup(vm->arch, v->fd, i, vm->ncpus, vm->entry, err, err_len);
		if (rc)
			return rc;
	}
	return arch_vcpus_ready(vm->arch, vm->vm_fd, vm->ncpus, err, err_len);
}

static void record_exit(struct vcpu *v)
{
	struct kvm_run *r = v->run;
	struct vcpu_exit_rec *e = &v->recent[v->total_exits % VCPU_RECENT];
	uint64_t *c =
		&v->exits[r->exit_reason < VCPU_EXIT_REASONS ? r->exit_reason : VCPU_EXIT_REASONS];

	/* One writer, read live by minivmm_get_stats: relaxed atomic stores. */
	__atomic_store_n(c, *c + 1, __ATOMIC_RELAXED);
	v->total_exits++;
	*e = (struct vcpu_exit_rec){.reason = r->exit_reason};
	if (r->exit_reason == KVM_EXIT_IO)
		*e = (struct vcpu_exit_rec){r->exit_reason, r->io.port,
					    r->io.direction == KVM_EXIT_IO_OUT};
	else if (r->exit_reason == KVM_EXIT_MMIO)
		*e = (struct vcpu_exit_rec){r->exit_reason, r->mmio.phys_addr, r->mmio.is_write};
}

/* On the vCPU thread: KVM_RUN is not running, so its registers can be read. */
static void take_snapshot(struct vcpu *v)
{
	struct vcpu_snapshot s = {.valid = true, .regs.priv = -1};

	arch_vcpu_regs(v->fd, &s.regs);
	memcpy(s.exits, v->exits, sizeof(s.exits));
	s.total = v->total_exits;
	s.nrecent = v->total_exits < VCPU_RECENT ? (unsigned int)v->total_exits : VCPU_RECENT;
	for (unsigned int i = 0; i < s.nrecent; i++)
		s.recent[i] = v->recent[(v->total_exits - s.nrecent + i) % VCPU_RECENT];
	pthread_mutex_lock(&v->vm->dump_lock);
	v->snap = s;
	__atomic_store_n(&v->snap_req, false, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&v->vm->dump_cond);
	pthread_mutex_unlock(&v->vm->dump_lock);
}

/* On every trip into the guest: a plain atomic read, no lock, unless a dump asks. */
static bool snapshot_wanted(struct vcpu *v)
{
	return __atomic_load_n(&v->snap_req, __ATOMIC_ACQUIRE);
}

/*
 * Held by a pause, out of KVM_RUN, until resume or the end of the VM. A
 * dump while held gets the snapshot taken here.
 */
static void park(struct vcpu *v)
{
	struct minivmm *vm = v->vm;

	take_snapshot(v);
	pthread_mutex_lock(&vm->pause_lock);
	v->parked = true;
	vm->vcpus_parked++;
	pthread_cond_broadcast(&vm->pause_cond);
	while (atomic_load(&vm->pause_req) && !atomic_load(&vm->stopping)) {
		pthread_cond_wait(&vm->pause_cond, &vm->pause_lock);
		if (snapshot_wanted(v)) {
			pthread_mutex_unlock(&vm->pause_lock);
			take_snapshot(v);
			pthread_mutex_lock(&vm->pause_lock);
		}
	}
	vm->vcpus_parked--;
	v->parked = false;
	pthread_mutex_unlock(&vm->pause_lock);
}

/* A port access the architecture decoded (arch_handle_pio). */
static void pio_access(void *ctx, uint64_t port, uint8_t *data, unsigned int size, bool write)
{
	struct vcpu *v = ctx;

	bus_access(&v->vm->pio, port, data, size, write);
}

static void handle_mmio(struct vcpu *v)
{
	struct kvm_run *r = v->run;
	unsigned int len = r->mmio.len <= 8 ? r->mmio.len : 8;

	bus_access(&v->vm->mmio, r->mmio.phys_addr, r->mmio.data, len, r->mmio.is_write);
}

static void report_failure(struct vcpu *v, const char *what, unsigned long long code)
{
	struct arch_regs regs = {.priv = -1};

	arch_vcpu_regs(v->fd, &regs);
	vm_request_exit(v->vm, MINIVMM_EXIT_FAILED, MINIVMM_STATUS_VM_FAILED,
			"vCPU %u: %s (code %llu) at guest %s 0x%llx, %s %d%s", v->id, what, code,
			arch_reg_names.pc, (unsigned long long)regs.pc, arch_reg_names.priv,
			regs.priv,
			host_kvm_kind() == HOST_KVM_PARAVIRT && regs.priv == 0
				? "; this host's KVM has no hardware virtualization and "
				  "emulates ring-0 guest code, so a Linux kernel cannot boot on "
				  "it directly: run it one level down (docs/testing.md, \"How the "
				  "tests run\")"
				: "");
}

/* Returns 0 to keep running, 1 when the VM ends. */
static int handle_exit(struct vcpu *v)
{
	struct kvm_run *r = v->run;

	if (arch_handle_pio(r, pio_access, v))
		return 0;
	switch (r->exit_reason) {
	case KVM_EXIT_MMIO:
		handle_mmio(v);
		return 0;
	case KVM_EXIT_HLT:
		return 0; /* with the in-kernel LAPIC only a stray HLT gets here */
	case KVM_EXIT_SHUTDOWN:
		/* A triple fault is how reboot=t resets a PC; with any other
		 * reboot method a guest only triple-faults when it crashed. KVM
		 * has already reset the registers, so only the vCPU is known. */
		if (v->vm->shutdown_resets)
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
	sigset_t kick;
	int rc;

	snprintf(v->name, sizeof(v->name), "vcpu%u", v->id);
	pthread_setname_np(pthread_self(), v->name);
	/* Every other signal stays blocked, as on each thread of the library (vm_block_signals). */
	sigemptyset(&kick);
	sigaddset(&kick, vm->cfg.kick_signal);
	pthread_sigmask(SIG_UNBLOCK, &kick, NULL);
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
		/* A pause's kick may land before KVM_RUN, like a dump's: look first. */
		if (atomic_load(&vm->pause_req))
			park(v);
		if (atomic_load(&vm->stopping))
			break;
		/* A dump's kick may land before KVM_RUN: look for its request first. */
		if (snapshot_wanted(v))
			take_snapshot(v);
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				/*
				 * Kicked out: counted as exits_intr. A kick that came
				 * before KVM_RUN (immediate_exit) leaves the last exit's
				 * reason in place, so the reason is set here.
				 */
				if (errno == EINTR) {
					v->run->exit_reason = KVM_EXIT_INTR;
					record_exit(v);
				}
				/* A dump's kick, not the stop's: go back into the guest. */
				if (!atomic_load(&vm->stopping))
					__atomic_store_n(&v->run->immediate_exit, 0,
							 __ATOMIC_SEQ_CST);
				continue;
			}
			vm_request_exit(vm, MINIVMM_EXIT_FAILED, MINIVMM_STATUS_VM_FAILED,
					"vCPU %u: KVM_RUN failed: %s", v->id, strerror(errno));
			break;
		}
		record_exit(v);
		if (handle_exit(v))
			break;
	}
	/* Where it was when the VM ended: what a dump after a timeout shows. */
	take_snapshot(v);
	return NULL;
}

int vcpus_start(struct minivmm *vm, char *err, size_t err_len)
{
	int r = vm_kick_handler_install(vm->cfg.kick_signal);

	if (r) {
		snprintf(err, err_len, "cannot set the kick signal's handler: %s", strerror(-r));
		return r;
	}
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

static void kick(struct vcpu *v)
{
	/* immediate_exit covers a thread that is just about to enter KVM_RUN. */
	__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	pthread_kill(v->thread, v->vm->cfg.kick_signal);
}

static const char *exit_name(uint32_t r)
{
	static const char *const names[] = {
		[KVM_EXIT_IO] = "io",
		[KVM_EXIT_MMIO] = "mmio",
		[KVM_EXIT_HLT] = "hlt",
		[KVM_EXIT_SHUTDOWN] = "shutdown",
		[KVM_EXIT_INTR] = "intr",
		[KVM_EXIT_FAIL_ENTRY] = "fail_entry",
		[KVM_EXIT_INTERNAL_ERROR] = "internal_error",
		[KVM_EXIT_SYSTEM_EVENT] = "system_event",
		[KVM_EXIT_IRQ_WINDOW_OPEN] = "irq_window",
		[KVM_EXIT_DEBUG] = "debug",
		[KVM_EXIT_EXCEPTION] = "exception",
	};

	return r < sizeof(names) / sizeof(names[0]) && names[r] ? names[r] : NULL;
}

static void print_snapshot(struct minivmm *vm, const struct vcpu *v, FILE *f)
{
	const struct vcpu_snapshot *s = &v->snap;
	const struct arch_reg_names *n = &arch_reg_names;
	const char *fn;
	uint64_t off;

	fprintf(f, "minivmm: vCPU %u: %s 0x%016llx", v->id, n->pc, (unsigned long long)s->regs.pc);
	fn = symbols_lookup(&vm->syms, s->regs.pc, &off);
	if (fn)
		fprintf(f, " (%s+0x%llx)", fn, (unsigned long long)off);
	fprintf(f, " %s 0x%016llx %s 0x%llx %s %d %s 0x%llx\n", n->sp,
		(unsigned long long)s->regs.sp, n->pt_root, (unsigned long long)s->regs.pt_root,
		n->priv, s->regs.priv, n->flags, (unsigned long long)s->regs.flags);
	fprintf(f, "minivmm: vCPU %u: %llu exits to minivmm", v->id, (unsigned long long)s->total);
	for (unsigned int r = 0; r <= VCPU_EXIT_REASONS; r++) {
		const char *name = r < VCPU_EXIT_REASONS ? exit_name(r) : "other";

		if (!s->exits[r])
			continue;
		if (name)
			fprintf(f, " %s=%llu", name, (unsigned long long)s->exits[r]);
		else
			fprintf(f, " exit%u=%llu", r, (unsigned long long)s->exits[r]);
	}
	fputc('\n', f);
	if (!s->nrecent)
		return;
	fprintf(f, "minivmm: vCPU %u: last exits:", v->id);
	for (unsigned int i = 0; i < s->nrecent; i++) {
		const struct vcpu_exit_rec *e = &s->recent[i];
		const char *name = exit_name(e->reason);

		if (e->reason == KVM_EXIT_IO || e->reason == KVM_EXIT_MMIO)
			fprintf(f, " %s %s 0x%llx", name, e->write ? "write" : "read",
				(unsigned long long)e->addr);
		else if (name)
			fprintf(f, " %s", name);
		else
			fprintf(f, " exit%u", e->reason);
		fputc(i + 1 < s->nrecent ? ',' : '\n', f);
	}
}

void vcpus_dump(struct minivmm *vm, FILE *f)
{
	struct timespec deadline;

	if (!vm->vcpus)
		return;
	/* Running vCPUs take a fresh snapshot; stopped ones left theirs. */
	pthread_mutex_lock(&vm->dump_lock);
	for (unsigned int i = 0; i < vm->ncpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		if (v->started && !atomic_load(&vm->stopping)) {
			__atomic_store_n(&v->snap_req, true, __ATOMIC_RELEASE);
			kick(v);
		}
	}
	vm_wake_parked(vm); /* held ones answer from where they wait */
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 1;
	for (unsigned int i = 0; i < vm->ncpus; i++)
		while (vm->vcpus[i].snap_req &&
		       pthread_cond_timedwait(&vm->dump_cond, &vm->dump_lock, &deadline) == 0)
			;
	for (unsigned int i = 0; i < vm->ncpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		if (v->snap_req)
			fprintf(f, "minivmm: vCPU %u: did not answer within 1 s\n", v->id);
		else if (v->snap.valid)
			print_snapshot(vm, v, f);
		else
			fprintf(f, "minivmm: vCPU %u: never ran\n", v->id);
		__atomic_store_n(&v->snap_req, false, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&vm->dump_lock);
}

void vcpus_go(struct minivmm *vm)
{
	pthread_mutex_lock(&vm->exit_lock);
	vm->go = true;
	pthread_cond_broadcast(&vm->exit_cond);
	pthread_mutex_unlock(&vm->exit_lock);
}

int vcpus_pause(struct minivmm *vm, const struct timespec *deadline)
{
	int rc = 0;

	atomic_store(&vm->pause_req, true);
	for (unsigned int i = 0; i < vm->ncpus; i++)
		if (vm->vcpus[i].started)
			kick(&vm->vcpus[i]);
	pthread_mutex_lock(&vm->pause_lock);
	while (vm->vcpus_parked < vm->ncpus && !atomic_load(&vm->stopping) && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&vm->pause_cond, &vm->pause_lock, deadline);
	if (vm->vcpus_parked == vm->ncpus)
		rc = 0;
	else
		rc = atomic_load(&vm->stopping) || rc != ETIMEDOUT ? -ESHUTDOWN : -ETIMEDOUT;
	pthread_mutex_unlock(&vm->pause_lock);
	return rc;
}

void vcpus_resume(struct minivmm *vm)
{
	pthread_mutex_lock(&vm->pause_lock);
	atomic_store(&vm->pause_req, false);
	pthread_cond_broadcast(&vm->pause_cond);
	pthread_mutex_unlock(&vm->pause_lock);
}

void vcpus_stop(struct minivmm *vm, const struct timespec *deadline, char *why, size_t why_len)
{
	size_t l = 0;

	atomic_store(&vm->stopping, 1);
	if (!vm->vcpus)
		return;
	vm_wake_parked(vm);
	for (unsigned int i = 0; i < vm->ncpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		if (!v->started)
			continue;
		kick(v);
	}
	for (unsigned int i = 0; i < vm->ncpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		if (!v->started)
			continue;
		if (thread_join_by(v->thread, deadline)) {
			vm->threads_stuck = true;
			if (l < why_len)
				l += (size_t)snprintf(why + l, why_len - l, "%svCPU %u thread",
						      l ? ", " : "", v->id);
			continue;
		}
		v->started = 0;
	}
}

void vcpus_stats(struct minivmm *vm, struct minivmm_stats *s)
{
	s->n_vcpus =
		vm->vcpus ? (vm->ncpus < MINIVMM_STATS_VCPUS ? vm->ncpus : MINIVMM_STATS_VCPUS) : 0;
	for (unsigned int i = 0; i < s->n_vcpus; i++) {
		const uint64_t *x = vm->vcpus[i].exits;
		struct minivmm_vcpu_stats *o = &s->vcpus[i];
		uint64_t known;

		for (unsigned int r = 0; r <= VCPU_EXIT_REASONS; r++)
			o->exits += __atomic_load_n(&x[r], __ATOMIC_RELAXED);
		o->exits_io = __atomic_load_n(&x[KVM_EXIT_IO], __ATOMIC_RELAXED);
		o->exits_mmio = __atomic_load_n(&x[KVM_EXIT_MMIO], __ATOMIC_RELAXED);
		o->exits_hlt = __atomic_load_n(&x[KVM_EXIT_HLT], __ATOMIC_RELAXED);
		o->exits_shutdown = __atomic_load_n(&x[KVM_EXIT_SHUTDOWN], __ATOMIC_RELAXED);
		o->exits_system_event =
			__atomic_load_n(&x[KVM_EXIT_SYSTEM_EVENT], __ATOMIC_RELAXED);
		o->exits_intr = __atomic_load_n(&x[KVM_EXIT_INTR], __ATOMIC_RELAXED);
		known = o->exits_io + o->exits_mmio + o->exits_hlt + o->exits_shutdown +
			o->exits_system_event + o->exits_intr;
		o->exits_other = o->exits > known ? o->exits - known : 0;
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
	arch_vcpus_free(vm->arch);
	vm->arch = NULL;
}
