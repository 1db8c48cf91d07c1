/* SPDX-License-Identifier: MIT */
/*
 * How a VM comes to end (vmm/core/vm_exit.c): the first reason wins, and every
 * waiter (run(), a held vCPU) hears of it. Called from the vCPU threads,
 * the supervisor, the UART's ports and the API alike.
 */
#ifndef VMM_VM_EXIT_H
#define VMM_VM_EXIT_H

#include "vmm/api/minivmm.h"

/* Records why the VM ends (first caller wins) and wakes run(). */
void vm_request_exit(struct minivmm *vm, enum minivmm_exit_reason reason, int status,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Wakes held vCPUs to look again (the VM is stopping, or a dump asks). */
void vm_wake_parked(struct minivmm *vm);

#endif
