/* SPDX-License-Identifier: MIT */
/* The VM object behind the public API; shared by vmm/core/ and vmm/api/. */
#ifndef VMM_VM_H
#define VMM_VM_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include "arch/arch.h"
#include "devices/serial.h"
#include "devices/sysctl_ports.h"
#include "virtio/guest_mem.h"
#include "vmm/core/bus.h"
#include "vmm/api/config.h"
#include "vmm/api/minivmm.h"
#include "vmm/core/panic_scan.h"
#include "vmm/core/symbols.h"

struct console_out;
struct kvm_run;
struct virtio_dev;

#define VIRTIO_SLOT_MAX_QUEUES 2

/* One virtio-mmio device, of any kind in vmm/core/virtio_table.c. */
struct virtio_slot {
	struct virtio_dev *dev;
	int kick_fd[VIRTIO_SLOT_MAX_QUEUES]; /* one per queue, KVM_IOEVENTFD datamatch = index */
	unsigned int n_queues;
	int irq_fd;
	uint64_t base, size; /* where arch_virtio_slot() put it */
	unsigned int irq;
	char name[16]; /* vda, eth0, ...: what the guest and the user call it */
	bool stuck;    /* its thread did not stop: leave it allocated */
	int seccomp;   /* enum minivmm_seccomp, for its thread's filter */
	int helper;    /* enum seccomp_thread_kind of its helper threads (virtio_kind) */
};

#define VCPU_EXIT_REASONS 64 /* KVM_EXIT_* below this are counted one by one */
#define VCPU_RECENT	  8  /* the last exits kept for a dump */

struct vcpu_exit_rec {
	uint32_t reason;
	uint64_t addr; /* port or MMIO address */
	uint8_t write;
};

/* What a dump shows of a vCPU, taken by the vCPU thread itself. */
struct vcpu_snapshot {
	bool valid;
	struct arch_regs regs;
	uint64_t exits[VCPU_EXIT_REASONS + 1]; /* the last one: every other reason */
	uint64_t total;
	struct vcpu_exit_rec recent[VCPU_RECENT]; /* oldest first */
	unsigned int nrecent;
};

struct vcpu {
	struct minivmm *vm;
	unsigned int id;
	int fd;
	struct kvm_run *run;
	size_t run_size;
	pthread_t thread;
	int started;
	char name[16]; /* vcpuN: the thread's name, and a seccomp violation's */
	bool parked;   /* under vm->pause_lock: held by a pause, out of KVM_RUN */

	/* vCPU thread only. */
	uint64_t exits[VCPU_EXIT_REASONS + 1];
	uint64_t total_exits;
	struct vcpu_exit_rec recent[VCPU_RECENT]; /* a ring: total_exits % VCPU_RECENT next */

	/* A dump asks (snap_req, written under vm->dump_lock, read atomically), the vCPU answers.
	 */
	bool snap_req;
	struct vcpu_snapshot snap;
};

struct minivmm {
	struct minivmm_config cfg; /* create()'s own copy, freed by destroy */
	int kvm_fd, vm_fd;
	uint8_t *ram;
	uint64_t mem_size;
	struct arch_ram_region ram_regions[ARCH_RAM_REGIONS_MAX]; /* of ram, as arch lays it out */
	unsigned int n_ram;
	struct guest_mem gm;
	struct virtio_slot virtio[MINIVMM_MAX_VIRTIO];
	unsigned int n_virtio;
	struct arch_vcpus *arch; /* what every vCPU's setup shares */
	struct vcpu *vcpus;
	unsigned int ncpus;
	struct bus pio, mmio;
	struct serial serial;
	struct panic_scan panic; /* vCPU threads, under the UART's lock */
	atomic_int panicked;
	struct sysctl_ports ports;
	bool ports_init; /* ports.lock is initialised */
	char cmdline[4096];
	uint64_t entry;
	bool shutdown_resets; /* KVM_EXIT_SHUTDOWN is a reset (x86: the command line says reboot=t)
			       */

	/* The first exit request wins; run() waits for it. */
	pthread_mutex_t exit_lock;
	pthread_cond_t exit_cond;
	struct minivmm_exit exit;
	atomic_int stopping;
	bool go; /* under exit_lock: every filter is on, vCPUs may enter the guest */
	pthread_mutex_t dump_lock; /* vCPU snapshots for a dump */
	pthread_cond_t dump_cond;
	struct symbols syms; /* guest kernel symbols for a dump; empty when none */
	int console_ready;   /* under exit_lock: 0 starting, 1 running, < 0 its filter failed */
	bool threads_stuck;  /* a vCPU did not stop: the VM is never freed */
	bool linux_guest;    /* the kernel is Linux (bzImage, or an ELF with a Linux note) */

	/* Lifecycle (vmm/core/vm.c): start() -> the supervisor thread -> ended. */
	/* A frontend served from the library (the control socket): destroy stops it first. */
	void *frontend;
	void (*frontend_stop)(void *frontend); /* NULL when none */
	pthread_mutex_t life_lock;	       /* serialises start, pause, resume and the join */
	bool supervisor_started; /* written under life_lock; stats read it atomically */
	bool supervisor_joined;	 /* under life_lock */
	bool paused;		 /* written under life_lock; stats read it atomically */
	bool filter_caller;	 /* run(): the caller takes the control filter */
	bool launched;		 /* under exit_lock: the supervisor may let the vCPUs go */
	bool ended;		 /* under exit_lock: torn down, final_exit is complete */
	pthread_t supervisor;
	uint64_t start_ms;		/* CLOCK_MONOTONIC, at start() */
	uint64_t shutdown_deadline;	/* under exit_lock: ms, 0 = none (request_shutdown) */
	unsigned int shutdown_grace_ms; /* under exit_lock: the grace that deadline ends */
	struct minivmm_exit final_exit;
	/* Under exit_lock: final_exit.runtime_ms is set (uptime stops there). */
	bool runtime_fixed;
	int exit_fd; /* eventfd, written once the VM has ended */

	/* Pause of the vCPUs (vmm/core/vcpu.c). */
	pthread_mutex_t pause_lock;
	pthread_cond_t pause_cond;
	atomic_bool pause_req;
	unsigned int vcpus_parked; /* under pause_lock */

	pthread_t console_thread;
	int console_started;
	int console_wake[2];		 /* pipe that interrupts the console thread's poll */
	struct console_out *console_out; /* NULL without an output fd */
};

#endif
