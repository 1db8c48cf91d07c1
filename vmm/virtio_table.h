/* SPDX-License-Identifier: MIT */
/*
 * The kinds of virtio device minivmm has, in the order their devices take
 * MMIO slots (disks first, then network cards). Each entry says how the
 * CLI's option for that kind is spelled and parsed, how many devices the
 * config asks for, and how the VMM builds the i-th one from the config.
 * Adding a device is its file in devices/ plus one entry here (and its
 * config array in vmm/config.h, with setters in minivmm.h and
 * vmm/config.c); vmm/virtio_devices.c and the CLI walk this
 * table and name no device.
 */
#ifndef VMM_VIRTIO_TABLE_H
#define VMM_VIRTIO_TABLE_H

#include <stddef.h>

#include "vmm/minivmm.h"

struct virtio_dev;
struct virtio_dev_env;

struct virtio_kind {
	const char *option; /* the CLI's long option, "disk" for --disk */
	int short_opt;	    /* and its short one, 'd' */
	const char *help;   /* its lines in --help */
	unsigned int n_queues;
	/* The option's value into the next slot of cfg; -1 with one line in err. */
	int (*parse)(char *spec, struct minivmm_config *cfg, char *err, size_t err_len);
	unsigned int (*count)(const struct minivmm_config *cfg);
	/* Builds device i of this kind and names it (vda, eth0, ...). */
	int (*create)(const struct minivmm_config *cfg, unsigned int i,
		      const struct virtio_dev_env *env, struct virtio_dev **out, char *name,
		      size_t name_len, char *err, size_t err_len);
};

extern const struct virtio_kind virtio_kinds[];
extern const unsigned int virtio_n_kinds;

#endif
