// SPDX-License-Identifier: MIT
/* The signals of the library's threads (vmm/core/signals.h). */
#include "vmm/core/signals.h"

#include <errno.h>
#include <pthread.h>

void vm_block_signals(sigset_t *old)
{
	/* Those a fault raises on the thread itself stay as they are. */
	static const int sync_signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS};
	sigset_t all;

	sigfillset(&all);
	for (unsigned int i = 0; i < sizeof(sync_signals) / sizeof(sync_signals[0]); i++)
		sigdelset(&all, sync_signals[i]);
	pthread_sigmask(SIG_BLOCK, &all, old);
}

/*
 * The kick signal (minivmm_config_set_kick_signal) only has to interrupt
 * KVM_RUN (and the console output thread's write) with EINTR: its handler
 * does nothing. vcpus_start() and console_out_start() install it
 * process-wide, the one disposition the library sets (minivmm.h).
 */
static void kick_handler(int sig)
{
	(void)sig;
}

int vm_kick_handler_install(int sig)
{
	struct sigaction sa = {.sa_handler = kick_handler};

	/* Each start sets it again: idempotent, and never undone, since another VM may use it. */
	sigemptyset(&sa.sa_mask);
	return sigaction(sig, &sa, NULL) < 0 ? -errno : 0;
}
