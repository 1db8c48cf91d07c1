/* SPDX-License-Identifier: MIT */
/*
 * The kinds of virtio device minivmm has, in the order their devices take
 * MMIO slots (disks first, then network cards). Each entry says how many
 * devices the config asks for and how the VMM builds the i-th one from the
 * config. Adding a device is its file in devices/ plus one entry here (and
 * its config array in vmm/api/config.h, with setters in minivmm.h and
 * vmm/api/config.c, and its command-line option in vmm/cli/virtio_opts.c);
 * vmm/core/virtio_devices.c walks this table and names no device.
 */
#ifndef VMM_CORE_VIRTIO_TABLE_H
#define VMM_CORE_VIRTIO_TABLE_H

#include <stddef.h>

#include "vmm/api/minivmm.h"
#include "vmm/core/seccomp.h"

struct virtio_dev;
struct virtio_dev_env;

struct virtio_kind {
	unsigned int n_queues;
	unsigned int (*count)(const struct minivmm_config *cfg);
	/* Builds device i of this kind and names it (vda, eth0, ...). */
	int (*create)(const struct minivmm_config *cfg, unsigned int i,
		      const struct virtio_dev_env *env, struct virtio_dev **out, char *name,
		      size_t name_len, char *err, size_t err_len);
	/* The filter of the device's helper threads (a disk's I/O workers, a
	 * user-mode network's slirp thread); SECCOMP_THREAD_KINDS: it has none. */
	enum seccomp_thread_kind helper;
};

extern const struct virtio_kind virtio_kinds[];
extern const unsigned int virtio_n_kinds;

#endif
