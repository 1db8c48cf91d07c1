/* SPDX-License-Identifier: MIT */
/*
 * virtio-rng (entropy source, virtio device ID 4) on virtio-mmio: one
 * request queue; each chain's device-writable buffers are filled from
 * getrandom(2) on the device thread and handed back with the bytes written.
 * No backend file, no io_uring work: the ring takes only the kick reads
 * every device has.
 */
#ifndef DEVICES_VIRTIO_RNG_H
#define DEVICES_VIRTIO_RNG_H

#include <stdbool.h>
#include <stddef.h>

#define VIRTIO_ID_RNG	4
#define VRNG_QUEUE_SIZE 64
/* Bytes one request gets at most: a larger buffer is filled this far. */
#define VRNG_MAX_REQUEST (64u << 10)

struct virtio_dev;
struct virtio_dev_env;

struct vrng_options {
	bool in_order; /* offer VIRTIO_F_IN_ORDER */
};

/* Builds the device on the virtio shell (one queue: env->kick_fds[0]). 0 or a negative errno
 * with one line in err. */
int vrng_create(const struct vrng_options *o, const struct virtio_dev_env *env,
		struct virtio_dev **out, char *err, size_t err_len);

#endif
