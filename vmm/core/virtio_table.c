// SPDX-License-Identifier: MIT
/* The virtio device kinds (vmm/core/virtio_table.h): the config-to-device glue of each. */
#include "vmm/core/virtio_table.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/net_backend.h"
#include "devices/virtio_blk.h"
#include "devices/virtio_dev.h"
#include "devices/virtio_net.h"
#include "devices/virtio_rng.h"
#include "vmm/api/config.h"

/* The API's poll_us: 0 the default, negative never, else the budget. */
static unsigned int poll_budget_us(int configured)
{
	if (configured < 0)
		return 0;
	return configured ? (unsigned int)configured : MINIVMM_POLL_US;
}

/* PATH as --disk takes it: each ',' doubled (truncated to fit). */
static void escape_commas(const char *path, char *out, size_t len)
{
	size_t o = 0;

	for (; *path && o + 3 <= len; path++) {
		out[o++] = *path;
		if (*path == ',')
			out[o++] = ',';
	}
	out[o] = '\0';
}

static unsigned int disk_count(const struct minivmm_config *cfg)
{
	return cfg->n_disks;
}

static int disk_create(const struct minivmm_config *cfg, unsigned int i,
		       const struct virtio_dev_env *env, struct virtio_dev **out, char *name,
		       size_t name_len, char *err, size_t err_len)
{
	const struct config_disk *d = &cfg->disks[i];
	/* Test-only: "vda:MS" holds vda's first write MS ms (devices/virtio_blk.c). */
	const char *hold = getenv("MINIVMM_TEST_HOLD_WRITE");
	struct vblk_options o = {
		.path = d->path,
		.read_only = d->read_only,
		.direct = d->direct,
		.in_order = cfg->in_order,
		.serial = d->serial,
		.poll_us = poll_budget_us(d->poll_us),
		.engine = d->engine == MINIVMM_DISK_ENGINE_THREADS ? BLK_ENGINE_THREADS
								   : BLK_ENGINE_URING,
	};
	int rc;

	snprintf(name, name_len, "vd%c", 'a' + i);
	if (hold && !strncmp(hold, name, strlen(name)) && hold[strlen(name)] == ':')
		o.test_hold_ms = (unsigned int)strtoul(hold + strlen(name) + 1, NULL, 10);
	rc = vblk_create(&o, env, out, err, err_len);
	/* A file that may only be read names its problem but not the fix. */
	if ((rc == -EACCES || rc == -EPERM || rc == -EROFS) && !d->read_only) {
		size_t l = strlen(err);
		char esc[512];

		escape_commas(d->path, esc, sizeof(esc));
		snprintf(err + l, err_len - l,
			 "; to use it read-only give --disk '%s,ro' (',' in a path as ',,')", esc);
	}
	return rc;
}

static unsigned int net_count(const struct minivmm_config *cfg)
{
	return cfg->n_nets;
}

static int net_create(const struct minivmm_config *cfg, unsigned int i,
		      const struct virtio_dev_env *env, struct virtio_dev **out, char *name,
		      size_t name_len, char *err, size_t err_len)
{
	const struct config_net *c = &cfg->nets[i];
	struct vnet_options o = {
		.tap = c->tap,
		.mac = {0x52, 0x54, 0x00, 0x12, 0x34, (uint8_t)(0x56 + i)},
		.mtu = c->mtu,
		.in_order = cfg->in_order,
		.guest_tso = !c->no_guest_tso,
		.poll_us = poll_budget_us(c->poll_us),
	};

	if (c->has_mac)
		memcpy(o.mac, c->mac, 6);
	snprintf(name, name_len, "eth%u", i);
	if (c->user) {
		struct net_user_fwd fwd[MINIVMM_MAX_NET_FWDS];
		struct net_user_options u = {.net = c->user_net,
					     .prefix = c->user_prefix,
					     .fwd = fwd,
					     .n_fwd = c->n_fwd};
		struct net_backend *be;
		int rc;

		for (unsigned int k = 0; k < c->n_fwd; k++)
			fwd[k] = (struct net_user_fwd){.host_addr = c->fwd[k].host_addr,
						       .host_port = c->fwd[k].host_port,
						       .guest_port = c->fwd[k].guest_port};
		rc = net_backend_slirp_create(&u, &be, err, err_len);
		if (rc)
			return rc;
		return vnet_create_on(&o, be, env, out, err, err_len);
	}
	return vnet_create(&o, env, out, err, err_len);
}

static unsigned int rng_count(const struct minivmm_config *cfg)
{
	return cfg->n_rngs;
}

static int rng_create(const struct minivmm_config *cfg, unsigned int i,
		      const struct virtio_dev_env *env, struct virtio_dev **out, char *name,
		      size_t name_len, char *err, size_t err_len)
{
	snprintf(name, name_len, "rng%u", i);
	return vrng_create(&(struct vrng_options){.in_order = cfg->in_order}, env, out, err,
			   err_len);
}

const struct virtio_kind virtio_kinds[] = {
	{1, disk_count, disk_create, SECCOMP_THREAD_BLKIO},
	{2, net_count, net_create, SECCOMP_THREAD_SLIRP},
	{1, rng_count, rng_create, SECCOMP_THREAD_KINDS},
};

const unsigned int virtio_n_kinds = sizeof(virtio_kinds) / sizeof(virtio_kinds[0]);
