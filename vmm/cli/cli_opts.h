/* SPDX-License-Identifier: MIT */
/*
 * The CLI's --disk and --net option strings, parsed into the API's config.
 * Kept apart from main() so unit tests and a fuzzer can drive them; nothing
 * here prints: a bad option comes back as -1 with one line in err.
 */
#ifndef VMM_CLI_OPTS_H
#define VMM_CLI_OPTS_H

#include <stddef.h>

#include "vmm/api/minivmm.h"

/*
 * s for quoting in a one-line message: at most out_len - 1 bytes, control
 * characters as '?'. Returns out.
 */
const char *cli_printable(const char *s, char *out, size_t out_len);

/* A decimal number from 0 to max, nothing after it. Returns 0 or -1. */
int cli_parse_uint(const char *s, unsigned long max, unsigned long *out);

/*
 * The next comma-separated field of *cursor, with ",," turned into a
 * literal ',' (QEMU's escape, so a path may hold commas). Modifies the
 * string in place; *cursor becomes NULL after the last field.
 */
char *cli_next_field(char **cursor);

/* PATH[,ro][,direct][,serial=ID][,poll=US][,engine=uring|threads]: one more disk in cfg
 * (minivmm_config_add_disk); spec is modified. A refusal leaves cfg as it was. */
int cli_parse_disk(char *spec, struct minivmm_config *cfg, char *err, size_t err_len);

/* tap=NAME[,mac=MAC][,mtu=N][,guest_tso=on|off][,poll=US]: one more network card in
 * cfg (minivmm_config_add_net); spec is modified. A refusal leaves cfg as it was. */
int cli_parse_net(char *spec, struct minivmm_config *cfg, char *err, size_t err_len);

#endif
