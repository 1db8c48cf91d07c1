/* SPDX-License-Identifier: MIT */
/* Console output (vmm/core/console_out.c). */
#ifndef VMM_CORE_CONSOLE_OUT_H
#define VMM_CORE_CONSOLE_OUT_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct console_out;
struct tx_ring;

/*
 * A ring the UART fills, written to fd
 * by a thread of its own. All of these take NULL (no output) too.
 */
int console_out_create(struct console_out **co, int fd, int kick_signal, int seccomp);
struct tx_ring *console_out_ring(struct console_out *co);
/* Starts the thread; returns once its filter is on (0) or failed. */
int console_out_start(struct console_out *co);
/* Bytes the guest wrote that never reached the fd (thread-safe, no lock). */
uint64_t console_out_dropped(const struct console_out *co);
/*
 * Writes what is queued until deadline (CLOCK_MONOTONIC), then drops the
 * rest and ends the thread (a write that blocks is interrupted by the kick
 * signal). false if the thread could not be ended within a further second:
 * it is left running and console_out_free() keeps what it uses.
 */
bool console_out_stop(struct console_out *co, const struct timespec *deadline);
void console_out_free(struct console_out *co);

#endif
