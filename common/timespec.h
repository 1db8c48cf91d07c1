/* SPDX-License-Identifier: MIT */
/*
 * Deadlines for pthread_cond_timedwait and friends: a timespec moved on by
 * some milliseconds. The one copy for the library, the CLI and the tests.
 */
#ifndef COMMON_TIMESPEC_H
#define COMMON_TIMESPEC_H

#include <stdint.h>
#include <time.h>

static inline void timespec_add_ms(struct timespec *t, unsigned int ms)
{
	t->tv_sec += ms / 1000;
	t->tv_nsec += (long)(ms % 1000) * 1000000;
	if (t->tv_nsec >= 1000000000) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000;
	}
}

/* Nanoseconds from now (CLOCK_MONOTONIC) to t: zero or less once it passed. */
static inline int64_t timespec_left_ns(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)(t->tv_sec - now.tv_sec) * 1000000000 + (t->tv_nsec - now.tv_nsec);
}

#endif
