// SPDX-License-Identifier: MIT
/*
 * Embedding minivmm: boot a guest with a disk, watch its counters while it
 * runs, pause and resume it, ask it to shut down, print how it ended.
 *
 *   cc -o embed embed.c $(pkg-config --cflags --libs minivmm)
 *   ./embed KERNEL DISK [APPEND]
 *
 * With minivmm's test guest (build/testguest/testguest.elf) and APPEND
 * "testguest.bench=1 testguest.ops=1000000" the guest keeps its disk busy;
 * it has no keyboard, so it ignores the shutdown request and is stopped
 * when the grace runs out. A Linux guest reboots cleanly instead.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <minivmm.h>

#define GRACE_MS 500

static const char *const state_names[] = {"created", "running", "paused", "ended"};

/* Prints vda's counters; returns its requests so far. */
static uint64_t show_stats(struct minivmm *vm, const char *when)
{
	struct minivmm_stats *s = calloc(1, sizeof(*s));
	uint64_t requests = 0, read = 0, written = 0;

	if (!s)
		return 0;
	s->size = sizeof(*s); /* the version of the struct this program knows */
	if (minivmm_get_stats(vm, s) == 0 && s->n_devices > 0) {
		requests = s->devices[0].requests;
		/* A disk's own counters, by name. */
		minivmm_device_counter(&s->devices[0], "read_bytes", &read);
		minivmm_device_counter(&s->devices[0], "written_bytes", &written);
		printf("%s: %s, up %" PRIu64 " ms, %s: %" PRIu64 " requests, %" PRIu64
		       " bytes read, %" PRIu64 " written; vCPU 0: %" PRIu64 " exits\n",
		       when, state_names[s->state & 3], s->uptime_ms, s->devices[0].name, requests,
		       read, written, s->vcpus[0].exits);
	}
	free(s);
	return requests;
}

int main(int argc, char **argv)
{
	struct minivmm_config *cfg = minivmm_config_new();
	struct pollfd ended = {.events = POLLIN};
	struct minivmm_exit ex;
	struct minivmm *vm;
	char err[MINIVMM_ERR_LEN];
	int rc;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: %s KERNEL DISK [APPEND]\n", argv[0]);
		return 2;
	}
	printf("libminivmm %s\n", minivmm_version());
	/* Each setter checks its value; the console stays off (no fds given). */
	if (!cfg || minivmm_config_set_kernel(cfg, argv[1], err, sizeof(err)) ||
	    minivmm_config_set_mem(cfg, 64 << 20, err, sizeof(err)) ||
	    minivmm_config_add_disk(cfg, argv[2], 0, err, sizeof(err)) < 0 ||
	    minivmm_config_set_append(cfg, argc > 3 ? argv[3] : NULL, err, sizeof(err)) ||
	    minivmm_config_set_timeout(cfg, 120000, err, sizeof(err))) {
		fprintf(stderr, "config: %s\n", cfg ? err : "out of memory");
		return 1;
	}
	rc = minivmm_create(cfg, &vm, err, sizeof(err));
	minivmm_config_free(cfg); /* the VM has its own copy */
	if (rc < 0) {
		fprintf(stderr, "create: %s\n", err);
		return 1;
	}
	minivmm_start(vm); /* returns at once: the VM runs on its own threads */

	/* Live counters until the guest has done some I/O (or has ended). */
	ended.fd = minivmm_exit_fd(vm);
	while (show_stats(vm, "live") < 1000 && poll(&ended, 1, 100) == 0)
		;
	if (minivmm_pause(vm) == 0) {
		show_stats(vm, "held");
		minivmm_resume(vm);
		printf("resumed\n");
	}
	/* Ctrl-Alt-Del; a guest still running GRACE_MS later is stopped. */
	rc = minivmm_request_shutdown(vm, GRACE_MS);
	if (rc && rc != -EBUSY && rc != -ESHUTDOWN)
		fprintf(stderr, "request_shutdown: %s\n", strerror(-rc));

	minivmm_wait(vm, &ex);
	show_stats(vm, "final");
	printf("exit: %s, status %d, after %" PRIu64 " ms: %s\n",
	       minivmm_exit_reason_name(ex.reason), ex.status, ex.runtime_ms, ex.message);
	minivmm_destroy(vm);
	return ex.reason == MINIVMM_EXIT_FAILED ? 1 : 0;
}
