// SPDX-License-Identifier: MIT
#include "vmm/cli/cli_opts.h"

#include "vmm/api/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How much of the user's text a message quotes. */
#define QUOTE_LEN 65

const char *cli_printable(const char *s, char *out, size_t out_len)
{
	size_t i = 0;

	if (!out_len)
		return out;
	for (; s && s[i] && i + 1 < out_len; i++)
		out[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
	out[i] = '\0';
	return out;
}

int cli_parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return (errno || *end || *out > max) ? -1 : 0;
}

char *cli_next_field(char **cursor)
{
	char *start = *cursor, *r, *w;

	if (!start)
		return NULL;
	for (r = w = start; *r; *w++ = *r++) {
		if (*r != ',')
			continue;
		if (r[1] != ',')
			break;
		r++; /* ",," is one literal comma */
	}
	*cursor = *r == ',' ? r + 1 : NULL;
	*w = '\0';
	return start;
}

/* poll=US of --disk and --net: 0 means never (the API's negative value). */
static int parse_poll(const char *s, const char *what, int *poll_us, char *err, size_t err_len)
{
	char q[QUOTE_LEN];
	unsigned long v;

	if (cli_parse_uint(s, MINIVMM_POLL_US_MAX, &v)) {
		snprintf(err, err_len, "bad %s poll '%s': give 0 to %d (microseconds)", what,
			 cli_printable(s, q, sizeof(q)), MINIVMM_POLL_US_MAX);
		return -1;
	}
	*poll_us = v ? (int)v : -1;
	return 0;
}

int cli_parse_disk(char *spec, struct minivmm_config *cfg, char *err, size_t err_len)
{
	char *path, *serial = NULL, *opt, *cursor = spec, q[QUOTE_LEN];
	unsigned int flags = 0;
	int poll_us = 0, engine = MINIVMM_DISK_ENGINE_URING, idx;

	if (cfg->n_disks >= MINIVMM_MAX_DISKS) {
		snprintf(err, err_len, "too many --disk options (at most %d)", MINIVMM_MAX_DISKS);
		return -1;
	}
	path = cli_next_field(&cursor);
	if (!path || !*path) {
		snprintf(err, err_len,
			 "bad --disk: give PATH[,ro][,direct][,serial=ID][,poll=US]"
			 "[,engine=uring|threads] (a ',' in PATH as ',,')");
		return -1;
	}
	while ((opt = cli_next_field(&cursor))) {
		if (!*opt)
			continue; /* a trailing comma */
		if (!strcmp(opt, "ro")) {
			flags |= MINIVMM_DISK_READ_ONLY;
		} else if (!strcmp(opt, "direct")) {
			flags |= MINIVMM_DISK_DIRECT;
		} else if (!strncmp(opt, "serial=", 7) && strlen(opt + 7) <= 20) {
			serial = opt + 7;
		} else if (!strncmp(opt, "poll=", 5)) {
			if (parse_poll(opt + 5, "--disk", &poll_us, err, err_len))
				return -1;
		} else if (!strcmp(opt, "engine=uring")) {
			engine = MINIVMM_DISK_ENGINE_URING;
		} else if (!strcmp(opt, "engine=threads")) {
			engine = MINIVMM_DISK_ENGINE_THREADS;
		} else if (!strncmp(opt, "engine=", 7)) {
			snprintf(err, err_len, "bad --disk engine '%s': give uring or threads",
				 cli_printable(opt + 7, q, sizeof(q)));
			return -1;
		} else {
			snprintf(err, err_len,
				 "bad --disk option '%s': use ro, direct, serial=ID (<= 20 chars), "
				 "poll=US or engine=uring|threads",
				 cli_printable(opt, q, sizeof(q)));
			return -1;
		}
	}
	/* Every field was checked above: only memory can fail now. */
	idx = minivmm_config_add_disk(cfg, path, flags, err, err_len);
	if (idx < 0)
		return -1;
	if (minivmm_config_set_disk_serial(cfg, (unsigned int)idx, serial, err, err_len) ||
	    minivmm_config_set_disk_poll(cfg, (unsigned int)idx, poll_us, err, err_len) ||
	    minivmm_config_set_disk_engine(cfg, (unsigned int)idx, engine, err, err_len)) {
		config_drop_last_disk(cfg);
		return -1;
	}
	return 0;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	char tail;

	if (strlen(s) != 17 || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
				      &b[4], &b[5], &tail) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	/* A unicast address: the guest's driver refuses a multicast one. */
	return (mac[0] & 1) ? -1 : 0;
}

/*
 * hostfwd=tcp:[HOSTADDR]:HOSTPORT-:GUESTPORT (QEMU's spelling; the guest's
 * address is its own, so none may be given) into the API's call.
 */
static int add_hostfwd(struct minivmm_config *cfg, unsigned int idx, char *f, char *err,
		       size_t err_len)
{
	char *addr, *hport, *gport, q[QUOTE_LEN];
	unsigned long hp, gp;

	/* Quoted now: the parse below cuts f into pieces. */
	cli_printable(f, q, sizeof(q));
	if (strncmp(f, "tcp:", 4))
		goto bad;
	addr = f + 4;
	hport = strchr(addr, ':');
	if (!hport)
		goto bad;
	*hport++ = '\0';
	gport = strchr(hport, '-');
	if (!gport || gport[1] != ':')
		goto bad;
	*gport = '\0';
	gport += 2;
	if (cli_parse_uint(hport, 65535, &hp) || cli_parse_uint(gport, 65535, &gp) || !hp || !gp)
		goto bad;
	return minivmm_config_add_net_hostfwd(cfg, idx, *addr ? addr : NULL, (unsigned int)hp,
					      (unsigned int)gp, err, err_len);
bad:
	snprintf(err, err_len,
		 "bad --net hostfwd '%s': give tcp:[HOSTADDR]:HOSTPORT-:GUESTPORT, ports 1 to "
		 "65535",
		 q);
	return -1;
}

int cli_parse_net(char *spec, struct minivmm_config *cfg, char *err, size_t err_len)
{
	char *tap = NULL, *opt, *cursor = spec, q[QUOTE_LEN];
	char *fwd[MINIVMM_MAX_NET_FWDS], *user_net = NULL;
	unsigned int mtu = 0, n_fwd = 0;
	int has_mac = 0, no_guest_tso = 0, poll_us = 0, user = 0, idx;
	uint8_t mac[6];
	unsigned long v;

	if (cfg->n_nets >= MINIVMM_MAX_NETS) {
		snprintf(err, err_len, "too many --net options (at most %d)", MINIVMM_MAX_NETS);
		return -1;
	}
	while ((opt = cli_next_field(&cursor))) {
		if (!*opt)
			continue;
		if (!strncmp(opt, "tap=", 4) && opt[4]) {
			tap = opt + 4;
		} else if (!strcmp(opt, "user")) {
			user = 1;
		} else if (!strncmp(opt, "net=", 4)) {
			user_net = opt + 4;
		} else if (!strncmp(opt, "hostfwd=", 8)) {
			if (n_fwd == MINIVMM_MAX_NET_FWDS) {
				snprintf(err, err_len, "too many --net hostfwd (at most %d a card)",
					 MINIVMM_MAX_NET_FWDS);
				return -1;
			}
			fwd[n_fwd++] = opt + 8;
		} else if (!strncmp(opt, "mac=", 4)) {
			if (parse_mac(opt + 4, mac)) {
				snprintf(err, err_len,
					 "bad --net mac '%s': give a unicast XX:XX:XX:XX:XX:XX",
					 cli_printable(opt + 4, q, sizeof(q)));
				return -1;
			}
			has_mac = 1;
		} else if (!strncmp(opt, "mtu=", 4)) {
			if (cli_parse_uint(opt + 4, 65535, &v) || v < 68) {
				snprintf(err, err_len, "bad --net mtu '%s': give 68 to 65535",
					 cli_printable(opt + 4, q, sizeof(q)));
				return -1;
			}
			mtu = (unsigned int)v;
		} else if (!strcmp(opt, "guest_tso=on") || !strcmp(opt, "guest_tso=off")) {
			no_guest_tso = !strcmp(opt, "guest_tso=off");
		} else if (!strncmp(opt, "guest_tso=", 10)) {
			snprintf(err, err_len, "bad --net guest_tso '%s': give on or off",
				 cli_printable(opt + 10, q, sizeof(q)));
			return -1;
		} else if (!strncmp(opt, "poll=", 5)) {
			if (parse_poll(opt + 5, "--net", &poll_us, err, err_len))
				return -1;
		} else {
			snprintf(err, err_len,
				 "bad --net option '%s': use tap=NAME or user, mac=MAC, mtu=N, "
				 "guest_tso=on|off, poll=US, hostfwd=... or net=CIDR (user)",
				 cli_printable(opt, q, sizeof(q)));
			return -1;
		}
	}
	if (!tap == !user) {
		snprintf(err, err_len,
			 "bad --net: give tap=NAME[,mac=MAC][,mtu=N] or "
			 "user[,hostfwd=tcp:[HOSTADDR]:HOSTPORT-:GUESTPORT][,net=CIDR]");
		return -1;
	}
	if (!user && (user_net || n_fwd)) {
		snprintf(err, err_len, "bad --net: hostfwd= and net= are for user, not tap=");
		return -1;
	}
	/* The API's own checks (the TAP name's length, the CIDR) give their own line. */
	idx = user ? minivmm_config_add_net_user(cfg, user_net, err, err_len)
		   : minivmm_config_add_net(cfg, tap, err, err_len);
	if (idx < 0)
		return -1;
	for (unsigned int i = 0; i < n_fwd; i++) {
		if (add_hostfwd(cfg, (unsigned int)idx, fwd[i], err, err_len)) {
			config_drop_last_net(cfg);
			return -1;
		}
	}
	if (minivmm_config_set_net_mac(cfg, (unsigned int)idx, has_mac ? mac : NULL, err,
				       err_len) ||
	    minivmm_config_set_net_mtu(cfg, (unsigned int)idx, mtu, err, err_len) ||
	    minivmm_config_set_net_guest_tso(cfg, (unsigned int)idx, !no_guest_tso, err, err_len) ||
	    minivmm_config_set_net_poll(cfg, (unsigned int)idx, poll_us, err, err_len)) {
		config_drop_last_net(cfg);
		return -1;
	}
	return 0;
}
