/* SPDX-License-Identifier: MIT */
/*
 * The signals of the library's threads (vmm/core/signals.c): which ones they
 * block, and the kick signal that interrupts a vCPU's KVM_RUN or the
 * console output thread's write.
 */
#ifndef VMM_SIGNALS_H
#define VMM_SIGNALS_H

#include <signal.h>

/*
 * Blocks every asynchronous signal on the calling thread, the old mask into
 * *old: around pthread_create, so that the library's threads never take a
 * signal sent to the process (vCPU threads then unblock their kick signal).
 */
void vm_block_signals(sigset_t *old);

/* Sets the kick signal's handler (does nothing but interrupt); 0 or -errno. */
int vm_kick_handler_install(int sig);

#endif
