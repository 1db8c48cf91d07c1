/* SPDX-License-Identifier: MIT */
/*
 * The stats' JSON form inside the library (vmm/api/stats.c): minivmm_stats_json and
 * the control socket (vmm/control/api_socket.c) build their replies from it.
 */
#ifndef VMM_STATS_JSON_H
#define VMM_STATS_JSON_H

#include <json-c/json.h>

#include "vmm/api/minivmm.h"

/*
 * Adds v to o under key. json-c takes v either way; a NULL v (a failed
 * allocation) fails the add. 0 or -1.
 */
int json_put(struct json_object *o, const char *key, struct json_object *v);

/* s as a json-c object (the caller puts it), or NULL when out of memory. */
struct json_object *stats_json_object(const struct minivmm_stats *s);

/* "created", "running", "paused", "ended" (enum minivmm_state). */
const char *stats_state_name(int state);

#endif
