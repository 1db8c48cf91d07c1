/* SPDX-License-Identifier: MIT */
/*
 * The command line's options for the virtio devices (--disk, --net, --rng): how
 * each is spelled, its lines in --help and its parser. The CLI builds its
 * getopt tables and usage from this list and names no device; the VMM's
 * own table of kinds (vmm/core/virtio_table.c) says how each is built.
 */
#ifndef VMM_CLI_VIRTIO_OPTS_H
#define VMM_CLI_VIRTIO_OPTS_H

#include <stddef.h>

#include "vmm/api/minivmm.h"

struct cli_virtio_opt {
	const char *option; /* the long option, "disk" for --disk */
	int short_opt;	    /* and its short one, 'd' */
	const char *help;   /* its lines in --help */
	int takes_value;    /* --disk PATH; 0: a bare --rng (spec is then NULL) */
	/* The option's value into the next slot of cfg; -1 with one line in err. */
	int (*parse)(char *spec, struct minivmm_config *cfg, char *err, size_t err_len);
};

extern const struct cli_virtio_opt cli_virtio_opts[];
extern const unsigned int cli_n_virtio_opts;

#endif
