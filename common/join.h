/* SPDX-License-Identifier: MIT */
/*
 * Joining a thread by a deadline, for the library's threads (vCPUs, the
 * console output thread). One copy, so that the ThreadSanitizer build sees
 * every such join.
 */
#ifndef COMMON_JOIN_H
#define COMMON_JOIN_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "common/timespec.h"

/*
 * Joins thread by deadline (CLOCK_MONOTONIC; NULL: as long as it takes):
 * 0, or ETIMEDOUT with the thread still running. gcc 12's ThreadSanitizer
 * does not intercept pthread_clockjoin_np: it would not see the join, and
 * would report the thread's last accesses as racing with the frees after
 * it. Its build joins through pthread_timedjoin_np, which it sees, as far
 * ahead on CLOCK_REALTIME.
 */
static inline int thread_join_by(pthread_t thread, const struct timespec *deadline)
{
	if (!deadline)
		return pthread_join(thread, NULL);
#ifdef __SANITIZE_THREAD__
	int64_t left = timespec_left_ns(deadline);
	struct timespec rt;

	clock_gettime(CLOCK_REALTIME, &rt);
	if (left > 0) {
		rt.tv_sec += left / 1000000000;
		rt.tv_nsec += left % 1000000000;
		if (rt.tv_nsec >= 1000000000) {
			rt.tv_sec++;
			rt.tv_nsec -= 1000000000;
		}
	}
	return pthread_timedjoin_np(thread, NULL, &rt);
#else
	return pthread_clockjoin_np(thread, NULL, CLOCK_MONOTONIC, deadline);
#endif
}

#endif
