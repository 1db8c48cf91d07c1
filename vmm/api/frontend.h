/* SPDX-License-Identifier: MIT */
/*
 * What a frontend served from inside the library (the control socket,
 * vmm/control/) may ask of a VM beyond minivmm.h: to be stopped by
 * minivmm_destroy, what the VM is made of, and a thread of its own that
 * blocks the process's signals and runs under its seccomp list. The
 * frontend includes this and minivmm.h, never the core's headers
 * (tests/cli/rooms.sh), so the core can change behind it.
 */
#ifndef VMM_API_FRONTEND_H
#define VMM_API_FRONTEND_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmm/api/minivmm.h"

/* What the VM was built with: its counts and its devices' names (vda, eth0, ...). */
struct frontend_info {
	unsigned int ncpus;
	uint64_t mem_size;
	unsigned int n_devices;
	const char *devices[MINIVMM_MAX_VIRTIO]; /* the VM's own strings */
};

void frontend_info(const struct minivmm *vm, struct frontend_info *info);

/* True while a frontend is attached: a VM serves one. */
bool frontend_attached(const struct minivmm *vm);
/* From now on minivmm_destroy() calls stop(frontend) before it tears anything down. */
void frontend_attach(struct minivmm *vm, void *frontend, void (*stop)(void *frontend));

/* The VM's seccomp mode (enum minivmm_seccomp), for the frontend's own thread. */
int frontend_seccomp_mode(const struct minivmm *vm);
/* The control socket's seccomp list on the calling thread; 0 or a negative errno. */
int frontend_filter_thread(int mode, const char *name);
/* Test-only: a system call outside that list when the tests ask for it. */
void frontend_test_violate(void);

/* Blocks every asynchronous signal on the calling thread (around pthread_create). */
void frontend_block_signals(sigset_t *old);

#endif
