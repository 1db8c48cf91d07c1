// SPDX-License-Identifier: MIT
/* The end of a VM (vmm/core/vm_exit.h). */
#include "vmm/core/vm_exit.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vmm/core/vm.h"

void vm_request_exit(struct minivmm *vm, enum minivmm_exit_reason reason, int status,
		     const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&vm->exit_lock);
	if (vm->exit.reason == MINIVMM_EXIT_NONE) {
		vm->exit.reason = reason;
		vm->exit.status = status;
		va_start(ap, fmt);
		vsnprintf(vm->exit.message, sizeof(vm->exit.message), fmt, ap);
		va_end(ap);
		/* A reset after a panic is no clean reboot: a CI verdict must see it. */
		if ((reason == MINIVMM_EXIT_RESET || reason == MINIVMM_EXIT_POWEROFF ||
		     reason == MINIVMM_EXIT_TRIPLE_FAULT) &&
		    atomic_load(&vm->panicked)) {
			size_t l = strlen(vm->exit.message);

			vm->exit.reason = MINIVMM_EXIT_GUEST_PANIC;
			vm->exit.status = MINIVMM_STATUS_GUEST_PANIC;
			snprintf(vm->exit.message + l, sizeof(vm->exit.message) - l,
				 " after a guest kernel panic (\"%s\" on the console)",
				 PANIC_SCAN_TEXT);
		}
		atomic_store(&vm->stopping, 1);
		pthread_cond_broadcast(&vm->exit_cond);
	}
	pthread_mutex_unlock(&vm->exit_lock);
	/* vCPUs held by a pause look again, see stopping and end. */
	vm_wake_parked(vm);
}

void vm_wake_parked(struct minivmm *vm)
{
	pthread_mutex_lock(&vm->pause_lock);
	pthread_cond_broadcast(&vm->pause_cond);
	pthread_mutex_unlock(&vm->pause_lock);
}
