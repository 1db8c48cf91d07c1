// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the --disk and --net option parsers: the first byte
 * picks which, the rest is the option string. A refusal is one line of
 * text and leaves the config alone; an accepted --disk has a non-empty
 * path and, written back with its commas doubled and ",ro" added, parses
 * to the same path read-only (the ',,' escape round-trips); every value
 * is inside its documented range.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz_input.h"
#include "vmm/cli/cli_opts.h"
#include "vmm/api/config.h"

#define MAX_SPEC 4096

static void check_refusal(const char *err)
{
	require(err[0] != '\0' && !strchr(err, '\n'));
}

static void disk(char *spec)
{
	static char again[2 * MAX_SPEC + 8];
	struct minivmm_config *cfg = minivmm_config_new(), *cfg2 = minivmm_config_new();
	char err[MINIVMM_ERR_LEN] = "";
	const struct config_disk *d;
	size_t o = 0;

	require(cfg && cfg2);
	d = &cfg->disks[0];
	if (cli_parse_disk(spec, cfg, err, sizeof(err))) {
		check_refusal(err);
		require(cfg->n_disks == 0);
		goto out;
	}
	require(cfg->n_disks == 1 && d->path && d->path[0]);
	require(!d->serial || strlen(d->serial) <= 20);
	require(d->poll_us == -1 || (d->poll_us >= 0 && d->poll_us <= MINIVMM_POLL_US_MAX));
	for (const char *p = d->path; *p; p++) {
		again[o++] = *p;
		if (*p == ',')
			again[o++] = ',';
	}
	memcpy(again + o, ",ro", 4);
	require(cli_parse_disk(again, cfg2, err, sizeof(err)) == 0);
	require(strcmp(cfg2->disks[0].path, d->path) == 0 && cfg2->disks[0].read_only);
out:
	minivmm_config_free(cfg);
	minivmm_config_free(cfg2);
}

static void net(char *spec)
{
	struct minivmm_config *cfg = minivmm_config_new();
	char err[MINIVMM_ERR_LEN] = "";
	const struct config_net *n;

	require(cfg != NULL);
	n = &cfg->nets[0];
	if (cli_parse_net(spec, cfg, err, sizeof(err))) {
		check_refusal(err);
		require(cfg->n_nets == 0);
		minivmm_config_free(cfg);
		return;
	}
	/* A card is on a TAP with a name, or on user-mode networking: never both, never neither. */
	require(cfg->n_nets == 1);
	require(n->user ? !n->tap && n->user_prefix <= 32 : n->tap && n->tap[0] && !n->n_fwd);
	require(n->mtu == 0 || (n->mtu >= 68 && n->mtu <= 65535));
	require(!n->has_mac || !(n->mac[0] & 1));
	require(n->poll_us == -1 || (n->poll_us >= 0 && n->poll_us <= MINIVMM_POLL_US_MAX));
	minivmm_config_free(cfg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static char spec[MAX_SPEC + 1];

	if (len < 1 || len - 1 > MAX_SPEC)
		return 0;
	memcpy(spec, data + 1, len - 1);
	spec[len - 1] = '\0'; /* like argv: the string ends at its first NUL */
	if (data[0] & 1)
		net(spec);
	else
		disk(spec);
	return 0;
}
