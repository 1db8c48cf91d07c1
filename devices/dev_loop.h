/* SPDX-License-Identifier: MIT */
/*
 * How a device thread waits (private to devices/dev_thread.c and
 * devices/dev_loop_poll.c). Its contract: each armed eventfd read ends in
 * one completion (its tag, the read's result: 8, with the counter in the
 * event's buf) once the counter is non-zero, and so do the requests a ring
 * carries; a wait returns once one is ready. Two ways, chosen once by
 * dev_thread_init():
 *
 * - the sealed io_uring (devices/dev_thread.c): reads and requests are
 *   SQEs, completions CQEs;
 * - ppoll(2) on the armed eventfds (devices/dev_loop_poll.c), for a host
 *   where no ring can be set up: a ready eventfd is read with read(2) and
 *   its completion queued. There are no requests: what a ring would do in
 *   the kernel, a helper thread does and reports through an eventfd (a
 *   disk's threads engine).
 */
#ifndef DEVICES_DEV_LOOP_H
#define DEVICES_DEV_LOOP_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct dev_thread;
struct dev_event;

struct dev_loop_ops {
	const char *name; /* "io_uring", "ppoll" */
	/* Starts ev's read (not armed yet); a loop that cannot take it
	 * sets t->sq_failed, which fails the next wait. */
	void (*arm)(struct dev_thread *t, struct dev_event *ev);
	/* Hands what is queued to the kernel, without waiting: < 0 on failure. */
	int (*submit)(struct dev_thread *t);
	/* Submits, then waits for a completion until deadline (CLOCK_MONOTONIC;
	 * NULL: as long as it takes). 0 (maybe none, after a signal), -ETIME,
	 * or another negative errno: the loop is broken. */
	int (*wait)(struct dev_thread *t, const struct timespec *deadline);
	/* A completion is ready: next() has one. */
	bool (*ready)(struct dev_thread *t);
	bool (*next)(struct dev_thread *t, uint64_t *tag, int *res);
	void (*fini)(struct dev_thread *t);
};

extern const struct dev_loop_ops dev_loop_poll;

#endif
