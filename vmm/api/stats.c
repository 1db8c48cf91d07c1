// SPDX-License-Identifier: MIT
/*
 * Live counters for embedders (minivmm_get_stats) and their JSON form,
 * built with json-c: Debian's libjson-c-dev, the JSON library systemd,
 * NetworkManager and rsyslog build on, so it is on every Debian system
 * already; jansson would do as well, but is one more library for a CI
 * image to carry.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vmm/api/stats_json.h"
#include "vmm/core/vm.h"
#include "vmm/core/console_out.h"
#include "vmm/core/vcpu.h"
#include "vmm/core/virtio_devices.h"

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int minivmm_get_stats(struct minivmm *vm, struct minivmm_stats *s)
{
	struct minivmm_stats *all;
	size_t n;
	bool started;

	if (s->size < sizeof(s->size))
		return -EINVAL;
	all = calloc(1, sizeof(*all));
	if (!all)
		return -ENOMEM;
	/*
	 * Not under life_lock: a pause holds it up to MINIVMM_PAUSE_TIMEOUT_MS
	 * while it waits for a stuck thread, and stats must answer meanwhile.
	 */
	started = __atomic_load_n(&vm->supervisor_started, __ATOMIC_ACQUIRE);
	if (!started)
		all->state = MINIVMM_STATE_CREATED;
	else if (__atomic_load_n(&vm->paused, __ATOMIC_ACQUIRE))
		all->state = MINIVMM_STATE_PAUSED;
	else
		all->state = MINIVMM_STATE_RUNNING;
	/*
	 * Read under the lock that fixes the run time: a snapshot taken while
	 * the VM is stopping never shows more uptime than the final one.
	 */
	pthread_mutex_lock(&vm->exit_lock);
	if (vm->runtime_fixed)
		all->uptime_ms = vm->final_exit.runtime_ms;
	else if (started)
		all->uptime_ms = mono_ms() - vm->start_ms;
	if (vm->ended)
		all->state = MINIVMM_STATE_ENDED;
	pthread_mutex_unlock(&vm->exit_lock);
	virtio_devices_stats(vm, all);
	vcpus_stats(vm, all);
	all->console_bytes = minivmm_console_bytes(vm);
	all->console_dropped = console_out_dropped(vm->console_out);
	n = s->size < sizeof(*all) ? s->size : sizeof(*all);
	all->size = n;
	/* The devices are last: count only the entries the caller has room for. */
	if (n < sizeof(*all)) {
		size_t room = n > offsetof(struct minivmm_stats, devices)
				      ? (n - offsetof(struct minivmm_stats, devices)) /
						sizeof(all->devices[0])
				      : 0;

		if (all->n_devices > room)
			all->n_devices = (unsigned int)room;
	}
	memcpy(s, all, n);
	free(all);
	return 0;
}

const char *stats_state_name(int state)
{
	switch (state) {
	case MINIVMM_STATE_CREATED:
		return "created";
	case MINIVMM_STATE_RUNNING:
		return "running";
	case MINIVMM_STATE_PAUSED:
		return "paused";
	case MINIVMM_STATE_ENDED:
		return "ended";
	default:
		return "unknown";
	}
}

int json_put(struct json_object *o, const char *key, struct json_object *v)
{
	if (!v)
		return -1;
	if (json_object_object_add(o, key, v)) {
		json_object_put(v);
		return -1;
	}
	return 0;
}

static int add_u64(struct json_object *o, const char *key, uint64_t v)
{
	return json_put(o, key, json_object_new_uint64(v));
}

#define U64(o, s, f) (add_u64((o), #f, (s)->f))

static struct json_object *queue_json(const struct minivmm_queue_stats *q)
{
	struct json_object *o = json_object_new_object(), *h = json_object_new_array();
	int err = !o || !h;

	for (unsigned int i = 0; !err && i < MINIVMM_STATS_BATCH_HIST; i++)
		err = json_object_array_add(h, json_object_new_uint64(q->batch_hist[i]));
	if (!err)
		err = json_put(o, "name", json_object_new_string(q->name)) | U64(o, q, popped) |
		      U64(o, q, completed) | U64(o, q, in_order_waits) | U64(o, q, heap_hwm) |
		      U64(o, q, used_entries) | U64(o, q, batches) | U64(o, q, batch_bufs) |
		      json_put(o, "batch_hist", h) | U64(o, q, notifications) |
		      U64(o, q, chain_errors) | U64(o, q, unpopped);
	else
		json_object_put(h);
	if (err) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static struct json_object *device_json(const struct minivmm_device_stats *d)
{
	struct json_object *o = json_object_new_object(), *qs = json_object_new_array();
	int err = !o || !qs;

	for (unsigned int q = 0; !err && q < d->n_queues && q < MINIVMM_STATS_QUEUES; q++) {
		struct json_object *j = queue_json(&d->queues[q]);

		err = !j || json_object_array_add(qs, j);
	}
	if (!err)
		err = json_put(o, "name", json_object_new_string(d->name)) |
		      json_put(o, "kind", json_object_new_string(d->kind)) |
		      json_put(o, "in_order", json_object_new_boolean(d->in_order)) |
		      U64(o, d, requests) | U64(o, d, errors);
	/* The kind's own counters, each a key of its own (names are the device's). */
	for (unsigned int c = 0; !err && c < d->n_counters && c < MINIVMM_STATS_COUNTERS; c++) {
		char name[sizeof(d->counters[c].name) + 1];

		snprintf(name, sizeof(name), "%.*s", (int)sizeof(d->counters[c].name),
			 d->counters[c].name);
		err = add_u64(o, name, d->counters[c].value);
	}
	if (!err)
		err = json_put(o, "queues", qs);
	else
		json_object_put(qs);
	if (err) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

int minivmm_device_counter(const struct minivmm_device_stats *d, const char *name, uint64_t *value)
{
	for (unsigned int c = 0; c < d->n_counters && c < MINIVMM_STATS_COUNTERS; c++) {
		if (strnlen(name, sizeof(d->counters[c].name)) < sizeof(d->counters[c].name) &&
		    !strncmp(d->counters[c].name, name, sizeof(d->counters[c].name))) {
			*value = d->counters[c].value;
			return 0;
		}
	}
	return -ENOENT;
}

static struct json_object *vcpu_json(unsigned int id, const struct minivmm_vcpu_stats *v)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	if (add_u64(o, "id", id) | U64(o, v, exits) | U64(o, v, exits_io) | U64(o, v, exits_mmio) |
	    U64(o, v, exits_hlt) | U64(o, v, exits_shutdown) | U64(o, v, exits_system_event) |
	    U64(o, v, exits_intr) | U64(o, v, exits_other)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

struct json_object *stats_json_object(const struct minivmm_stats *s)
{
	struct json_object *o = json_object_new_object(), *devs = json_object_new_array(),
			   *cpus = json_object_new_array();
	int err = !o || !devs || !cpus;

	for (unsigned int i = 0; !err && i < s->n_devices && i < MINIVMM_STATS_DEVICES; i++) {
		struct json_object *j = device_json(&s->devices[i]);

		err = !j || json_object_array_add(devs, j);
	}
	for (unsigned int i = 0; !err && i < s->n_vcpus && i < MINIVMM_STATS_VCPUS; i++) {
		struct json_object *j = vcpu_json(i, &s->vcpus[i]);

		err = !j || json_object_array_add(cpus, j);
	}
	if (!err) {
		err = json_put(o, "state", json_object_new_string(stats_state_name(s->state))) |
		      U64(o, s, uptime_ms) | U64(o, s, console_bytes) | U64(o, s, console_dropped);
		err |= json_put(o, "devices", devs);
		devs = NULL;
		err |= json_put(o, "vcpus", cpus);
		cpus = NULL;
	}
	json_object_put(devs);
	json_object_put(cpus);
	if (err) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

char *minivmm_stats_json(const struct minivmm_stats *s)
{
	struct json_object *o = stats_json_object(s);
	const char *t = o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN) : NULL;
	char *text = t ? strdup(t) : NULL;

	json_object_put(o);
	return text;
}
