/* SPDX-License-Identifier: MIT */
/*
 * The stats' JSON form inside vmm/ (vmm/stats.c): minivmm_stats_json and
 * the control socket (vmm/api_socket.c) build their replies from it.
 */
#ifndef VMM_STATS_JSON_H
#define VMM_STATS_JSON_H

#include <json-c/json.h>

#include "vmm/minivmm.h"

/*
 * Adds v to o under key. json-c takes v either way; a NULL v (a failed
 * allocation) fails the add. 0 or -1.
 */
int json_put(struct json_object *o, const char *key, struct json_object *v);

/* s as a json-c object (the caller puts it), or NULL when out of memory. */
struct json_object *stats_json_object(const struct minivmm_stats *s);

/*
 * Makes json-c pick the seed of its key hash now. It does that once, on the
 * first key it hashes: RDRAND, else getrandom(GRND_NONBLOCK), else opening
 * /dev/urandom. Early in a boot, before the kernel's random pool is ready,
 * getrandom fails with EAGAIN, and the open on a filtered thread ended
 * minivmm with SIGSYS just before --metrics' last object and -v's counters;
 * so this runs before any seccomp filter goes on (seccomp_install).
 */
void stats_json_seed(void);

/* "created", "running", "paused", "ended" (enum minivmm_state). */
const char *stats_state_name(int state);

#endif
