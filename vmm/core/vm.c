// SPDX-License-Identifier: MIT
/* The VM: built from a config, run by a supervisor thread, paused, torn down. */
#include <errno.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "arch/arch.h"
#include "common/timespec.h"
#include "vmm/core/hostinfo.h"
#include "vmm/core/seccomp.h"
#include "vmm/core/signals.h"
#include "vmm/core/vm.h"
#include "vmm/core/vm_exit.h"
#include "vmm/core/console.h"
#include "vmm/core/console_out.h"
#include "vmm/core/file.h"
#include "vmm/core/kvm_vm.h"
#include "vmm/core/vcpu.h"
#include "vmm/core/virtio_devices.h"

#define MAX_KERNEL_SIZE (256u << 20)
#define MAX_INITRD_SIZE (1u << 30)

/* Here, not in vmm/api/config.c: the limit is the machine's (arch). */
int minivmm_config_set_vcpus(struct minivmm_config *cfg, unsigned int n, char *err, size_t err_len)
{
	if (!cfg)
		return config_error(err, err_len, -EINVAL, "no config given");
	if (n < 1 || n > arch_max_cpus())
		return config_error(err, err_len, -ERANGE, "%u CPUs is out of range (1 to %u)", n,
				    arch_max_cpus());
	cfg->cpus = n;
	return 0;
}

static void set_irq(void *ctx, unsigned int irq, int level)
{
	struct minivmm *vm = ctx;
	struct kvm_irq_level l = {.irq = irq, .level = level};

	ioctl(vm->vm_fd, KVM_IRQ_LINE, &l);
}

static void port_reset(void *ctx)
{
	vm_request_exit(ctx, MINIVMM_EXIT_RESET, 0, "guest reset (i8042)");
}

static void port_exit_status(void *ctx, int status)
{
	vm_request_exit(ctx, MINIVMM_EXIT_STATUS_PORT, status, "guest wrote %d to the exit port",
			status);
}

static void console_byte(void *ctx, uint8_t c)
{
	struct minivmm *vm = ctx;

	if (panic_scan_byte(&vm->panic, c))
		atomic_store(&vm->panicked, 1);
}

static int console_init(struct minivmm *vm, unsigned int irq, char *err, size_t err_len)
{
	int rc = 0;

	/* The UART queues output for the console output thread: a vCPU never waits for the fd. */
	if (vm->cfg.console_out >= 0)
		rc = console_out_create(&vm->console_out, vm->cfg.console_out, vm->cfg.kick_signal,
					vm->cfg.seccomp);
	if (rc) {
		snprintf(err, err_len, "cannot set up console output: %s", strerror(-rc));
		return rc;
	}
	serial_init(&vm->serial, console_out_ring(vm->console_out),
		    (struct irq_line){set_irq, vm, irq});
	serial_set_tx_hook(&vm->serial, console_byte, vm);
	vm->ports = (struct sysctl_ports){
		.reset = port_reset,
		.exit_status = port_exit_status,
		.ctx = vm,
	};
	pthread_mutex_init(&vm->ports.lock, NULL);
	vm->ports_init = true;
	return 0;
}

/*
 * A machine without a port bus (aarch64): the same UART model and exit
 * register on the MMIO bus, where arch puts them; no i8042.
 */
static int add_mmio_console(struct minivmm *vm, const struct arch_mmio_console *at, char *err,
			    size_t err_len)
{
	int rc = console_init(vm, at->uart_irq, err, err_len);

	if (rc)
		return rc;
	rc = bus_add(&vm->mmio, at->uart_base, at->uart_size, &vm->serial, serial_read,
		     serial_write);
	if (!rc)
		rc = bus_add(&vm->mmio, at->exit_base, at->exit_size, &vm->ports, NULL,
			     exit_port_write);
	if (rc)
		snprintf(err, err_len, "cannot register the console devices: %s", strerror(-rc));
	return rc;
}

/* The console UART, the i8042 and the exit port, where arch puts the first two. */
static int add_legacy_devices(struct minivmm *vm, char *err, size_t err_len)
{
	struct arch_mmio_console mc;
	struct arch_pc_ports at;
	int rc;

	if (!arch_pc_ports(&at)) {
		if (arch_mmio_console(&mc))
			return add_mmio_console(vm, &mc, err, err_len);
		snprintf(err, err_len, "this machine has no console UART");
		return -ENOTSUP;
	}
	rc = console_init(vm, at.uart_irq, err, err_len);
	if (rc)
		return rc;
	vm->ports.kbd_irq = (struct irq_line){set_irq, vm, at.i8042_kbd_irq};
	rc = bus_add(&vm->pio, at.uart_base, SERIAL_NREGS, &vm->serial, serial_read, serial_write);
	if (!rc)
		rc = bus_add(&vm->pio, at.i8042_data, 1, &vm->ports, i8042_data_read,
			     i8042_data_write);
	if (!rc)
		rc = bus_add(&vm->pio, at.i8042_command, 1, &vm->ports, i8042_status_read,
			     i8042_command_write);
	if (!rc)
		rc = bus_add(&vm->pio, MINIVMM_EXIT_PORT, 1, &vm->ports, NULL, exit_port_write);
	if (rc)
		snprintf(err, err_len, "cannot register legacy devices: %s", strerror(-rc));
	return rc;
}

/* The same image twice, once writable, would be two devices writing one
 * file, and the second flock would blame "another process". */
static int check_disks_distinct(const struct minivmm_config *cfg, char *err, size_t err_len)
{
	struct stat st[MINIVMM_MAX_DISKS];
	int ok[MINIVMM_MAX_DISKS];

	for (unsigned int i = 0; i < cfg->n_disks; i++) {
		ok[i] = cfg->disks[i].path && stat(cfg->disks[i].path, &st[i]) == 0;
		for (unsigned int j = 0; ok[i] && j < i; j++) {
			if (!ok[j] || st[j].st_dev != st[i].st_dev || st[j].st_ino != st[i].st_ino)
				continue;
			/* Two read-only views of one image harm nobody. */
			if (cfg->disks[i].read_only && cfg->disks[j].read_only)
				continue;
			snprintf(err, err_len,
				 "disk '%s' is given twice (vd%c and vd%c): give each image once",
				 cfg->disks[i].path, 'a' + j, 'a' + i);
			return -EINVAL;
		}
	}
	return 0;
}

/*
 * The setters checked every value as it was given; what is left needs the
 * whole config, or the files.
 */
static int check_config(const struct minivmm_config *cfg, char *err, size_t err_len)
{
	if (!cfg) {
		snprintf(err, err_len, "no config given");
		return -EINVAL;
	}
	if (!cfg->kernel) {
		snprintf(err, err_len, "no kernel given");
		return -EINVAL;
	}
	return check_disks_distinct(cfg, err, err_len);
}

static int load_guest(struct minivmm *vm, char *err, size_t err_len)
{
	struct arch_mmio_slot virtio[MINIVMM_MAX_VIRTIO];
	struct arch_boot_result *res;
	uint8_t *kernel = NULL, *initrd = NULL;
	size_t kernel_len = 0, initrd_len = 0;
	int rc;

	for (unsigned int i = 0; i < vm->n_virtio; i++)
		if (arch_virtio_slot(i, &virtio[i])) { /* virtio_devices_create checked */
			snprintf(err, err_len, "no interrupt line for virtio device %u", i + 1);
			return -ENOSPC;
		}
	rc = read_whole_file(vm->cfg.kernel, "kernel", MAX_KERNEL_SIZE, &kernel, &kernel_len, err,
			     err_len);
	if (!rc && vm->cfg.initrd)
		rc = read_whole_file(vm->cfg.initrd, "initrd", MAX_INITRD_SIZE, &initrd,
				     &initrd_len, err, err_len);
	res = calloc(1, sizeof(*res));
	if (!rc && !res) {
		snprintf(err, err_len, "out of memory");
		rc = -ENOMEM;
	}
	if (!rc)
		rc = arch_boot(
			&(struct arch_boot){
				.ram = vm->ram,
				.mem_size = vm->mem_size,
				.ncpus = vm->ncpus,
				.kernel = kernel,
				.kernel_len = kernel_len,
				.kernel_name = vm->cfg.kernel,
				.initrd = initrd,
				.initrd_len = initrd_len,
				.cmdline = vm->cfg.cmdline,
				.append = vm->cfg.append,
				.root_on_disk = vm->cfg.n_disks > 0 && !vm->cfg.initrd,
				.virtio = virtio,
				.n_virtio = vm->n_virtio,
			},
			res, err, err_len);
	/* An ELF vmlinux carries its own symbols: a hung vCPU can be named without --symbols. */
	if (!rc && !vm->cfg.symbols && kernel_len >= 4 && !memcmp(kernel, "\177ELF", 4))
		symbols_from_elf(&vm->syms, kernel, kernel_len);
	if (!rc && vm->cfg.symbols)
		rc = symbols_load(&vm->syms, vm->cfg.symbols, err, err_len);
	if (!rc) {
		vm->linux_guest = res->linux_guest;
		vm->entry = res->entry;
		snprintf(vm->cmdline, sizeof(vm->cmdline), "%s", res->cmdline);
		vm->shutdown_resets = res->shutdown_resets;
	}
	free(res);
	free(kernel);
	free(initrd);
	return rc;
}

int minivmm_create(const struct minivmm_config *cfg, struct minivmm **out, char *err,
		   size_t err_len)
{
	struct minivmm *vm;
	int rc;

	*out = NULL;
	rc = check_config(cfg, err, err_len);
	if (rc)
		return rc;
	vm = calloc(1, sizeof(*vm));
	if (!vm) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	if (config_copy(&vm->cfg, cfg)) {
		snprintf(err, err_len, "out of memory");
		free(vm);
		return -ENOMEM;
	}
	if (!vm->cfg.kick_signal)
		vm->cfg.kick_signal = SIGRTMIN;
	vm->kvm_fd = vm->vm_fd = -1;
	vm->exit_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->exit_fd < 0) {
		rc = -errno;
		snprintf(err, err_len, "cannot create the exit eventfd: %s", strerror(errno));
		config_release(&vm->cfg);
		free(vm);
		return rc;
	}
	pthread_mutex_init(&vm->life_lock, NULL);
	pthread_mutex_init(&vm->pause_lock, NULL);
	pthread_condattr_t pca;
	pthread_condattr_init(&pca);
	pthread_condattr_setclock(&pca, CLOCK_MONOTONIC); /* minivmm_pause's deadline */
	pthread_cond_init(&vm->pause_cond, &pca);
	pthread_condattr_destroy(&pca);
	vm->mem_size = cfg->mem_size;
	vm->ncpus = cfg->cpus;
	pthread_mutex_init(&vm->exit_lock, NULL);
	pthread_mutex_init(&vm->dump_lock, NULL);
	pthread_cond_init(&vm->dump_cond, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&vm->exit_cond, &ca);
	pthread_condattr_destroy(&ca);

	if (cfg->seccomp != MINIVMM_SECCOMP_OFF && !seccomp_supported()) {
		snprintf(err, err_len,
			 "this kernel takes no seccomp filters (CONFIG_SECCOMP_FILTER): run "
			 "without them with --no-seccomp");
		minivmm_destroy(vm);
		return -ENOSYS;
	}
	/* Load before touching KVM, so bad input is reported the same on any host. */
	rc = vm_alloc_ram(vm, err, err_len);
	if (!rc)
		rc = virtio_devices_create(vm, err, err_len);
	if (!rc)
		rc = load_guest(vm, err, err_len);
	if (!rc)
		rc = kvm_vm_open(vm, err, err_len);
	if (!rc)
		rc = kvm_vm_map_ram(vm, err, err_len);
	if (!rc)
		rc = add_legacy_devices(vm, err, err_len);
	/* Interrupt routes last: KVM_IRQFD needs an initialised in-kernel
	 * interrupt controller (EAGAIN before), and arm64's vGIC can only be
	 * initialised once every vCPU exists (arch_vcpus_ready). */
	if (!rc)
		rc = vcpus_create(vm, err, err_len);
	if (!rc)
		rc = virtio_devices_wire(vm, err, err_len);
	if (rc) {
		minivmm_destroy(vm);
		return rc;
	}
	*out = vm;
	return 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static struct timespec ms_to_timespec(uint64_t ms)
{
	return (struct timespec){.tv_sec = (time_t)(ms / 1000),
				 .tv_nsec = (long)(ms % 1000) * 1000000};
}

/*
 * On the supervisor thread: sleeps until the first exit request, ending the
 * VM itself when config.timeout_ms or a request_shutdown() grace runs out.
 */
static void supervise_until_exit(struct minivmm *vm)
{
	pthread_mutex_lock(&vm->exit_lock);
	while (vm->exit.reason == MINIVMM_EXIT_NONE) {
		uint64_t timeout = vm->cfg.timeout_ms ? vm->start_ms + vm->cfg.timeout_ms : 0;
		uint64_t grace = vm->shutdown_deadline, next = timeout;
		struct timespec ts;

		if (grace && (!next || grace < next))
			next = grace;
		if (!next) {
			pthread_cond_wait(&vm->exit_cond, &vm->exit_lock);
			continue;
		}
		if (now_ms() < next) {
			ts = ms_to_timespec(next);
			pthread_cond_timedwait(&vm->exit_cond, &vm->exit_lock, &ts);
			continue;
		}
		pthread_mutex_unlock(&vm->exit_lock);
		if (next == timeout)
			vm_request_exit(vm, MINIVMM_EXIT_TIMEOUT, MINIVMM_STATUS_TIMEOUT,
					"guest still running after the %u ms timeout",
					vm->cfg.timeout_ms);
		else
			vm_request_exit(vm, MINIVMM_EXIT_STOPPED, MINIVMM_STATUS_STOPPED,
					"guest did not shut down within %u ms of the request; "
					"stopped it",
					vm->shutdown_grace_ms);
		pthread_mutex_lock(&vm->exit_lock);
	}
	pthread_mutex_unlock(&vm->exit_lock);
}

/* CLOCK_MONOTONIC, ms from now. */
static void deadline_in(struct timespec *d, unsigned int ms)
{
	clock_gettime(CLOCK_MONOTONIC, d);
	timespec_add_ms(d, ms);
}

/*
 * The thread that runs the VM: lets the vCPUs into the guest once every
 * filter is on, waits for the end, then stops everything in order and
 * says so through exit_fd.
 */
static void *supervisor(void *arg)
{
	struct minivmm *vm = arg;
	struct minivmm_exit *exit = &vm->final_exit;
	struct timespec deadline;
	int rc;

	pthread_setname_np(pthread_self(), "minivmm-vm");
	rc = seccomp_install(vm->cfg.seccomp, SECCOMP_THREAD_CONTROL, "minivmm-vm");
	if (rc)
		vm_request_exit(vm, MINIVMM_EXIT_FAILED, MINIVMM_STATUS_ERROR,
				"cannot install the seccomp filter: %s", strerror(-rc));
	else if (!vm->filter_caller)
		seccomp_test_violate(SECCOMP_THREAD_CONTROL);
	pthread_mutex_lock(&vm->exit_lock);
	while (!vm->launched)
		pthread_cond_wait(&vm->exit_cond, &vm->exit_lock);
	pthread_mutex_unlock(&vm->exit_lock);
	vcpus_go(vm);
	supervise_until_exit(vm);

	/*
	 * Stopping is bounded whatever a thread does: vCPUs no longer wait for
	 * device threads, and a device thread that does not answer by the
	 * deadline is named and left behind.
	 */
	pthread_mutex_lock(&vm->exit_lock);
	*exit = vm->exit;
	exit->runtime_ms = now_ms() - vm->start_ms;
	vm->runtime_fixed = true;
	pthread_mutex_unlock(&vm->exit_lock);
	virtio_devices_abandon(vm);
	deadline_in(&deadline, MINIVMM_STOP_GRACE_MS);
	vcpus_stop(vm, &deadline, exit->stuck, sizeof(exit->stuck));
	/* In-flight I/O is drained before the disks are closed. */
	if (!exit->stuck[0])
		virtio_devices_stop(vm, &deadline, exit->stuck, sizeof(exit->stuck));
	console_stop(vm);
	/* What the guest printed last reaches the reader, unless it stopped reading. */
	if (!console_out_stop(vm->console_out, &deadline)) {
		size_t l = strlen(exit->stuck);

		snprintf(exit->stuck + l, sizeof(exit->stuck) - l, "%sconsole output thread",
			 l ? ", " : "");
	}

	pthread_mutex_lock(&vm->exit_lock);
	vm->ended = true;
	pthread_cond_broadcast(&vm->exit_cond);
	pthread_mutex_unlock(&vm->exit_lock);
	eventfd_write(vm->exit_fd, 1);
	return NULL;
}

static int vm_start(struct minivmm *vm, bool filter_caller)
{
	char err[MINIVMM_ERR_LEN];
	sigset_t caller_mask;
	int rc;

	pthread_mutex_lock(&vm->life_lock);
	if (vm->supervisor_started) {
		pthread_mutex_unlock(&vm->life_lock);
		return -EALREADY;
	}
	/* Every thread started here inherits the block; the caller gets its mask back below. */
	vm_block_signals(&caller_mask);
	vm->start_ms = now_ms();
	vm->filter_caller = filter_caller;
	rc = console_start(vm);
	if (rc)
		vm_request_exit(vm, MINIVMM_EXIT_FAILED, MINIVMM_STATUS_ERROR,
				"cannot start console input: %s", strerror(-rc));
	rc = console_out_start(vm->console_out);
	if (rc)
		vm_request_exit(vm, MINIVMM_EXIT_FAILED, MINIVMM_STATUS_ERROR,
				"cannot start console output: %s", strerror(-rc));
	rc = virtio_devices_start(vm, err, sizeof(err));
	if (!rc)
		rc = vcpus_start(vm, err, sizeof(err));
	if (rc)
		vm_request_exit(vm, MINIVMM_EXIT_FAILED, MINIVMM_STATUS_ERROR, "%s", err);
	__atomic_store_n(&vm->supervisor_started, true, __ATOMIC_RELEASE);
	rc = pthread_create(&vm->supervisor, NULL, supervisor, vm);
	pthread_sigmask(SIG_SETMASK, &caller_mask, NULL);
	if (rc) {
		/* Nobody to run it: end it here, on the caller's thread, unfiltered. */
		vm_request_exit(vm, MINIVMM_EXIT_FAILED, MINIVMM_STATUS_ERROR,
				"cannot start the VM's thread: %s", strerror(rc));
		vm->supervisor_joined = true;
		vm->cfg.seccomp = MINIVMM_SECCOMP_OFF;
		vm->launched = true;
		supervisor(vm);
		pthread_mutex_unlock(&vm->life_lock);
		return 0;
	}
	pthread_mutex_unlock(&vm->life_lock);
	if (filter_caller) {
		rc = seccomp_install(vm->cfg.seccomp, SECCOMP_THREAD_CONTROL, "minivmm_run");
		if (rc)
			vm_request_exit(vm, MINIVMM_EXIT_FAILED, MINIVMM_STATUS_ERROR,
					"cannot install the seccomp filter: %s", strerror(-rc));
		else
			seccomp_test_violate(SECCOMP_THREAD_CONTROL);
	}
	pthread_mutex_lock(&vm->exit_lock);
	vm->launched = true;
	pthread_cond_broadcast(&vm->exit_cond);
	pthread_mutex_unlock(&vm->exit_lock);
	return 0;
}

int minivmm_start(struct minivmm *vm)
{
	return vm_start(vm, false);
}

int minivmm_wait(struct minivmm *vm, struct minivmm_exit *exit)
{
	pthread_mutex_lock(&vm->life_lock);
	if (!vm->supervisor_started) {
		pthread_mutex_unlock(&vm->life_lock);
		return -EINVAL;
	}
	pthread_mutex_unlock(&vm->life_lock);
	pthread_mutex_lock(&vm->exit_lock);
	while (!vm->ended)
		pthread_cond_wait(&vm->exit_cond, &vm->exit_lock);
	pthread_mutex_unlock(&vm->exit_lock);
	pthread_mutex_lock(&vm->life_lock);
	if (!vm->supervisor_joined) {
		pthread_join(vm->supervisor, NULL);
		vm->supervisor_joined = true;
	}
	pthread_mutex_unlock(&vm->life_lock);
	if (exit)
		*exit = vm->final_exit;
	return 0;
}

int minivmm_run(struct minivmm *vm, struct minivmm_exit *exit)
{
	int rc = vm_start(vm, true);

	return rc ? rc : minivmm_wait(vm, exit);
}

int minivmm_request_shutdown(struct minivmm *vm, unsigned int grace_ms)
{
	int rc = 0;

	pthread_mutex_lock(&vm->life_lock);
	pthread_mutex_lock(&vm->exit_lock);
	if (!vm->supervisor_started) {
		rc = -EINVAL;
	} else if (vm->exit.reason != MINIVMM_EXIT_NONE) {
		rc = -ESHUTDOWN;
	} else if (grace_ms) {
		uint64_t deadline = now_ms() + grace_ms;

		/* A later request does not extend an earlier one's grace. */
		if (!vm->shutdown_deadline || deadline < vm->shutdown_deadline) {
			vm->shutdown_deadline = deadline;
			vm->shutdown_grace_ms = grace_ms;
			pthread_cond_broadcast(&vm->exit_cond);
		}
	}
	pthread_mutex_unlock(&vm->exit_lock);
	if (!rc)
		rc = i8042_ctrl_alt_del(&vm->ports);
	pthread_mutex_unlock(&vm->life_lock);
	return rc;
}

int minivmm_exit_fd(const struct minivmm *vm)
{
	return vm->exit_fd;
}

int minivmm_pause(struct minivmm *vm)
{
	int rc = 0;

	pthread_mutex_lock(&vm->life_lock);
	if (!vm->supervisor_started) {
		rc = -EINVAL;
	} else if (atomic_load(&vm->stopping)) {
		rc = -ESHUTDOWN;
	} else if (!vm->paused) {
		struct timespec deadline;

		/* Bounded: a thread stuck in the host kernel must not hang the caller. */
		deadline_in(&deadline, MINIVMM_PAUSE_TIMEOUT_MS);
		/* vCPUs first: one may be waiting for a device thread to answer. */
		rc = vcpus_pause(vm, &deadline);
		if (!rc)
			rc = virtio_devices_pause(vm, &deadline);
		if (rc) {
			virtio_devices_resume(vm);
			vcpus_resume(vm);
		} else {
			/* Console input waits too: the UART stays as the guest left it. */
			serial_hold_input(&vm->serial, 1);
			__atomic_store_n(&vm->paused, true, __ATOMIC_RELEASE);
		}
	}
	pthread_mutex_unlock(&vm->life_lock);
	return rc;
}

int minivmm_resume(struct minivmm *vm)
{
	int rc = 0;

	pthread_mutex_lock(&vm->life_lock);
	if (!vm->supervisor_started) {
		rc = -EINVAL;
	} else if (vm->paused) {
		serial_hold_input(&vm->serial, 0);
		virtio_devices_resume(vm);
		vcpus_resume(vm);
		__atomic_store_n(&vm->paused, false, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&vm->life_lock);
	return rc;
}

void minivmm_stop(struct minivmm *vm)
{
	vm_request_exit(vm, MINIVMM_EXIT_STOPPED, MINIVMM_STATUS_STOPPED, "stopped by the host");
}

/*
 * minivmm_destroy() after a stop that left a thread running. A device
 * thread may still use its own device, its eventfds and, through its
 * io_uring, guest RAM, and it lives in vm->virtio[]: those and the VM's
 * struct stay. A vCPU thread may still be in any exit handler: every
 * device model (their threads are stopped), the buses, the UART and its
 * ring, KVM and guest RAM stay. Everything else goes: with vCPUs joined,
 * KVM and the other devices (their disks and locks); always the console
 * threads, the control socket and the exit fd. docs/design.md has the
 * list.
 */
static void release_around_stuck(struct minivmm *vm)
{
	if (vm->threads_stuck) {
		struct timespec deadline;

		/* The supervisor did not stop them: their threads need no vCPU to end. */
		deadline_in(&deadline, MINIVMM_STOP_GRACE_MS);
		virtio_devices_stop(vm, &deadline, NULL, 0);
	} else {
		vcpus_destroy(vm);
		for (unsigned int i = 0; i < vm->n_virtio; i++)
			if (!vm->virtio[i].stuck)
				virtio_device_release(vm, i);
		/* Closing the VM detaches its irqfds: a stuck device's interrupts go nowhere. */
		kvm_vm_close_fds(vm);
		bus_free(&vm->pio);
		bus_free(&vm->mmio);
		console_out_free(vm->console_out);
		vm->console_out = NULL;
		symbols_free(&vm->syms);
	}
	close(vm->exit_fd);
	vm->exit_fd = -1;
}

void minivmm_destroy(struct minivmm *vm)
{
	if (!vm)
		return;
	/* No client may call into the VM from here on. */
	if (vm->frontend_stop)
		vm->frontend_stop(vm->frontend);
	vm->frontend_stop = NULL;
	vm->frontend = NULL;
	/* Started and not waited for: stop it and wait, as the header promises. */
	if (vm->supervisor_started && !vm->supervisor_joined) {
		struct minivmm_exit ex;

		minivmm_stop(vm);
		minivmm_wait(vm, &ex);
	}
	console_stop(vm);
	if (!console_out_stop(vm->console_out, &(struct timespec){0}))
		vm->console_out = NULL; /* left running: it keeps its own struct */
	/* A thread left running: free only what it cannot touch. */
	if (vm->threads_stuck || virtio_devices_stuck(vm)) {
		release_around_stuck(vm);
		return;
	}
	vcpus_stop(vm, NULL, NULL, 0);
	virtio_devices_destroy(vm);
	vcpus_destroy(vm);
	kvm_vm_close(vm);
	bus_free(&vm->pio);
	bus_free(&vm->mmio);
	serial_destroy(&vm->serial);
	console_out_free(vm->console_out);
	if (vm->ports_init)
		sysctl_ports_destroy(&vm->ports);
	symbols_free(&vm->syms);
	pthread_cond_destroy(&vm->exit_cond);
	pthread_mutex_destroy(&vm->exit_lock);
	pthread_mutex_destroy(&vm->dump_lock);
	pthread_cond_destroy(&vm->dump_cond);
	pthread_mutex_destroy(&vm->life_lock);
	pthread_mutex_destroy(&vm->pause_lock);
	pthread_cond_destroy(&vm->pause_cond);
	close(vm->exit_fd);
	config_release(&vm->cfg);
	free(vm);
}
