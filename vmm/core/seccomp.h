/* SPDX-License-Identifier: MIT */
/*
 * seccomp filters for minivmm's threads, built with libseccomp from the
 * allow-lists in vmm/core/seccomp_policy.c. Each thread installs its own before
 * the guest runs its first instruction (vCPUs wait for the thread that
 * runs the VM to install its filter). A forbidden call traps: the thread
 * is named on stderr, then the handler makes the one call whose rule is
 * SCMP_ACT_KILL_PROCESS, so the process dies with SIGSYS (nothing else is
 * signalled).
 */
#ifndef VMM_SECCOMP_H
#define VMM_SECCOMP_H

#include <seccomp.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmm/api/minivmm.h"

enum seccomp_thread_kind {
	SECCOMP_THREAD_VCPU,
	SECCOMP_THREAD_DEVICE,
	SECCOMP_THREAD_CONSOLE,
	SECCOMP_THREAD_CONTROL,	    /* the thread in minivmm_run(), and embedders' helpers */
	SECCOMP_THREAD_API,	    /* the control socket's server (vmm/control/api_socket.c) */
	SECCOMP_THREAD_BLKIO,	    /* a disk's I/O worker (devices/blk_engine_threads.c) */
	SECCOMP_THREAD_DEVICE_POLL, /* a device thread without io_uring (devices/dev_loop_poll.c) */
	SECCOMP_THREAD_SLIRP,	    /* a user-mode network's thread (devices/net_backend_slirp.c) */
	SECCOMP_THREAD_KINDS,
};

struct seccomp_rule {
	int nr; /* SCMP_SYS(...) */
	/* 0: any arguments; N: only when argument N - 1 equals value;
	 * -N: only when argument N - 1 has none of value's bits set. */
	int arg;
	uint64_t value;
	const char *why; /* NULL ends a list */
};

/* A rule's value that stands for minivmm's own process id, filled in at install. */
#define SECCOMP_OWN_PID UINT64_MAX

/* Per kind: the common list and the kind's own (and, for some, one more; else NULL). */
#define SECCOMP_LISTS 3
extern const struct seccomp_rule *const seccomp_policy[SECCOMP_THREAD_KINDS][SECCOMP_LISTS];

/*
 * Installs the filter of kind on the calling thread, which stderr messages
 * call name (kept by pointer: a string that lives as long as the thread).
 * MINIVMM_SECCOMP_OFF does nothing. 0 or a negative errno.
 */
int seccomp_install(enum minivmm_seccomp mode, enum seccomp_thread_kind kind, const char *name);

/* True if this kernel takes seccomp filters (CONFIG_SECCOMP_FILTER). */
bool seccomp_supported(void);

/* The number of calls a kind's filter allows (for the closing counts and tests). */
unsigned int seccomp_allowed_count(enum seccomp_thread_kind kind);

/*
 * Test-only: when MINIVMM_TEST_SECCOMP_VIOLATE names this thread's kind
 * (vcpu, device, console, control, api, blkio, device-poll), make a call no
 * list allows.
 */
void seccomp_test_violate(enum seccomp_thread_kind kind);

#endif
