/* SPDX-License-Identifier: MIT */
/* Console input (vmm/core/console.c): a thread that feeds the UART. */
#ifndef VMM_CORE_CONSOLE_H
#define VMM_CORE_CONSOLE_H

struct minivmm;

int console_start(struct minivmm *vm);
void console_stop(struct minivmm *vm);

#endif
