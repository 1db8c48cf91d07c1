// SPDX-License-Identifier: MIT
/*
 * The configuration object (vmm/api/config.h) and its setters: each checks its
 * value and leaves the config as it was when it refuses one. The vCPU
 * count's setter is in vmm/core/vm.c, beside the machine it is checked against.
 */
#include "vmm/api/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A string longer than this is no path or command line, whatever it is. */
#define MAX_STRING 65536
/* The virtio-blk ID: 20 bytes, not NUL-terminated when full. */
#define MAX_SERIAL 20

int config_error(char *err, size_t err_len, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err && err_len) {
		va_start(ap, fmt);
		vsnprintf(err, err_len, fmt, ap);
		va_end(ap);
		/* The message quotes what it refuses: one line, whatever that held. */
		for (char *p = err; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = '?';
	}
	return rc;
}

void config_defaults(struct minivmm_config *c)
{
	memset(c, 0, sizeof(*c));
	c->mem_size = MINIVMM_MEM_DEFAULT;
	c->cpus = 1;
	c->console_in = -1;
	c->console_out = -1;
	c->seccomp = MINIVMM_SECCOMP_OFF;
}

static void free_disk(struct config_disk *d)
{
	free(d->path);
	free(d->serial);
	memset(d, 0, sizeof(*d));
}

static void free_net(struct config_net *n)
{
	free(n->tap);
	memset(n, 0, sizeof(*n));
}

void config_release(struct minivmm_config *c)
{
	free(c->kernel);
	free(c->initrd);
	free(c->cmdline);
	free(c->append);
	free(c->kvm_path);
	free(c->symbols);
	for (unsigned int i = 0; i < c->n_disks; i++)
		free_disk(&c->disks[i]);
	for (unsigned int i = 0; i < c->n_nets; i++)
		free_net(&c->nets[i]);
	c->kernel = c->initrd = c->cmdline = c->append = c->kvm_path = c->symbols = NULL;
	c->n_disks = c->n_nets = 0;
}

/* *to = a copy of from (NULL stays NULL); false when out of memory. */
static bool dup_str(char **to, const char *from)
{
	*to = from ? strdup(from) : NULL;
	return !from || *to;
}

int config_copy(struct minivmm_config *dst, const struct minivmm_config *src)
{
	bool ok;

	*dst = *src;
	/* Nothing of src's is dst's yet: a failure below frees only copies. */
	dst->kernel = dst->initrd = dst->cmdline = dst->append = dst->kvm_path = dst->symbols =
		NULL;
	dst->n_disks = dst->n_nets = 0;
	ok = dup_str(&dst->kernel, src->kernel) && dup_str(&dst->initrd, src->initrd) &&
	     dup_str(&dst->cmdline, src->cmdline) && dup_str(&dst->append, src->append) &&
	     dup_str(&dst->kvm_path, src->kvm_path) && dup_str(&dst->symbols, src->symbols);
	for (unsigned int i = 0; ok && i < src->n_disks; i++) {
		dst->disks[i] = src->disks[i];
		dst->disks[i].path = dst->disks[i].serial = NULL;
		dst->n_disks++;
		ok = dup_str(&dst->disks[i].path, src->disks[i].path) &&
		     dup_str(&dst->disks[i].serial, src->disks[i].serial);
	}
	for (unsigned int i = 0; ok && i < src->n_nets; i++) {
		dst->nets[i] = src->nets[i];
		dst->nets[i].tap = NULL;
		dst->n_nets++;
		ok = dup_str(&dst->nets[i].tap, src->nets[i].tap);
	}
	if (ok)
		return 0;
	config_release(dst);
	return -ENOMEM;
}

void config_drop_last_disk(struct minivmm_config *c)
{
	if (c->n_disks)
		free_disk(&c->disks[--c->n_disks]);
}

void config_drop_last_net(struct minivmm_config *c)
{
	if (c->n_nets)
		free_net(&c->nets[--c->n_nets]);
}

struct minivmm_config *minivmm_config_new(void)
{
	struct minivmm_config *c = malloc(sizeof(*c));

	if (c)
		config_defaults(c);
	return c;
}

void minivmm_config_free(struct minivmm_config *cfg)
{
	if (!cfg)
		return;
	config_release(cfg);
	free(cfg);
}

/*
 * Replaces *slot with a copy of s. what names the value in a message;
 * optional: NULL (and "") clear it, else both are refused.
 */
static int set_string(struct minivmm_config *cfg, char **slot, const char *s, const char *what,
		      bool optional, char *err, size_t err_len)
{
	char *copy = NULL;

	if (!cfg)
		return config_error(err, err_len, -EINVAL, "no config given");
	if (!s || !*s) {
		if (!optional)
			return config_error(err, err_len, -EINVAL, "no %s given", what);
	} else if (strnlen(s, MAX_STRING + 1) > MAX_STRING) {
		return config_error(err, err_len, -ENAMETOOLONG, "%s is longer than %d bytes", what,
				    MAX_STRING);
	} else if (!(copy = strdup(s))) {
		return config_error(err, err_len, -ENOMEM, "out of memory");
	}
	free(*slot);
	*slot = copy;
	return 0;
}

int minivmm_config_set_kernel(struct minivmm_config *cfg, const char *path, char *err,
			      size_t err_len)
{
	return set_string(cfg, cfg ? &cfg->kernel : NULL, path, "kernel", false, err, err_len);
}

int minivmm_config_set_initrd(struct minivmm_config *cfg, const char *path, char *err,
			      size_t err_len)
{
	return set_string(cfg, cfg ? &cfg->initrd : NULL, path, "initrd", true, err, err_len);
}

int minivmm_config_set_cmdline(struct minivmm_config *cfg, const char *cmdline, char *err,
			       size_t err_len)
{
	return set_string(cfg, cfg ? &cfg->cmdline : NULL, cmdline, "kernel command line", true,
			  err, err_len);
}

int minivmm_config_set_append(struct minivmm_config *cfg, const char *text, char *err,
			      size_t err_len)
{
	return set_string(cfg, cfg ? &cfg->append : NULL, text, "appended command line", true, err,
			  err_len);
}

int minivmm_config_set_kvm_path(struct minivmm_config *cfg, const char *path, char *err,
				size_t err_len)
{
	return set_string(cfg, cfg ? &cfg->kvm_path : NULL, path, "KVM device path", true, err,
			  err_len);
}

int minivmm_config_set_symbols(struct minivmm_config *cfg, const char *path, char *err,
			       size_t err_len)
{
	return set_string(cfg, cfg ? &cfg->symbols : NULL, path, "symbols file", true, err,
			  err_len);
}

/* "1 byte", "4097 bytes", "1536 KiB", "16 MiB": exact, in the largest unit that is. */
static void format_size(uint64_t v, char *buf, size_t len)
{
	static const char *const units[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
	unsigned int u = 0;

	if (v == 1) {
		snprintf(buf, len, "1 byte");
		return;
	}
	while (v && !(v & 1023) && u < 4) {
		v >>= 10;
		u++;
	}
	snprintf(buf, len, "%llu %s", (unsigned long long)v, units[u]);
}

int minivmm_config_set_mem(struct minivmm_config *cfg, uint64_t bytes, char *err, size_t err_len)
{
	char size[32];

	if (!cfg)
		return config_error(err, err_len, -EINVAL, "no config given");
	if (bytes < MINIVMM_MEM_MIN || bytes > MINIVMM_MEM_MAX) {
		format_size(bytes, size, sizeof(size));
		return config_error(err, err_len, -ERANGE,
				    "memory size %s is out of range (%llu MiB to %llu TiB)", size,
				    MINIVMM_MEM_MIN >> 20, MINIVMM_MEM_MAX >> 40);
	}
	if (bytes & 0xfff)
		return config_error(err, err_len, -EINVAL,
				    "memory size must be a multiple of 4 KiB");
	cfg->mem_size = bytes;
	return 0;
}

int minivmm_config_set_timeout(struct minivmm_config *cfg, unsigned int ms, char *err,
			       size_t err_len)
{
	if (!cfg)
		return config_error(err, err_len, -EINVAL, "no config given");
	cfg->timeout_ms = ms;
	return 0;
}

/* fd is -1, or open with access other than the one it must not have. */
static int check_fd(int fd, int forbidden_mode, const char *what, char *err, size_t err_len)
{
	int fl;

	if (fd == -1)
		return 0;
	if (fd < 0)
		return config_error(err, err_len, -EBADF, "console %s fd %d: give -1 for none",
				    what, fd);
	fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		return config_error(err, err_len, -EBADF, "console %s fd %d is not open", what, fd);
	if ((fl & O_ACCMODE) == forbidden_mode)
		return config_error(err, err_len, -EBADF, "console %s fd %d is open %s only", what,
				    fd, forbidden_mode == O_WRONLY ? "for writing" : "for reading");
	return 0;
}

int minivmm_config_set_console_fds(struct minivmm_config *cfg, int in_fd, int out_fd, char *err,
				   size_t err_len)
{
	int rc;

	if (!cfg)
		return config_error(err, err_len, -EINVAL, "no config given");
	rc = check_fd(in_fd, O_WRONLY, "input", err, err_len);
	if (!rc)
		rc = check_fd(out_fd, O_RDONLY, "output", err, err_len);
	if (rc)
		return rc;
	cfg->console_in = in_fd;
	cfg->console_out = out_fd;
	return 0;
}

int minivmm_config_set_in_order(struct minivmm_config *cfg, int on, char *err, size_t err_len)
{
	if (!cfg)
		return config_error(err, err_len, -EINVAL, "no config given");
	cfg->in_order = !!on;
	return 0;
}

int minivmm_config_set_packed(struct minivmm_config *cfg, int on, char *err, size_t err_len)
{
	if (!cfg)
		return config_error(err, err_len, -EINVAL, "no config given");
	cfg->packed = !!on;
	return 0;
}

int minivmm_config_set_seccomp(struct minivmm_config *cfg, int mode, char *err, size_t err_len)
{
	if (!cfg)
		return config_error(err, err_len, -EINVAL, "no config given");
	if (mode != MINIVMM_SECCOMP_OFF && mode != MINIVMM_SECCOMP_ON &&
	    mode != MINIVMM_SECCOMP_LOG)
		return config_error(err, err_len, -EINVAL,
				    "seccomp mode %d is none of MINIVMM_SECCOMP_OFF, _ON, _LOG",
				    mode);
	cfg->seccomp = mode;
	return 0;
}

int minivmm_config_set_kick_signal(struct minivmm_config *cfg, int sig, char *err, size_t err_len)
{
	if (!cfg)
		return config_error(err, err_len, -EINVAL, "no config given");
	if (sig != SIGUSR1 && sig != SIGUSR2 && (sig < SIGRTMIN || sig > SIGRTMAX))
		return config_error(err, err_len, -EINVAL,
				    "kick signal %d is not SIGUSR1, SIGUSR2 or SIGRTMIN..SIGRTMAX "
				    "(%d..%d)",
				    sig, SIGRTMIN, SIGRTMAX);
	cfg->kick_signal = sig;
	return 0;
}

/* poll_us as minivmm.h has it: 0 the default, negative never, else at most the maximum. */
static int check_poll(int poll_us, const char *what, char *err, size_t err_len)
{
	if (poll_us > MINIVMM_POLL_US_MAX)
		return config_error(err, err_len, -ERANGE,
				    "%s poll time %d us is out of range (at most %d)", what,
				    poll_us, MINIVMM_POLL_US_MAX);
	return 0;
}

int minivmm_config_add_disk(struct minivmm_config *cfg, const char *path, unsigned int flags,
			    char *err, size_t err_len)
{
	struct config_disk *d;
	char *copy = NULL;
	int rc;

	if (!cfg)
		return config_error(err, err_len, -EINVAL, "no config given");
	if (cfg->n_disks >= MINIVMM_MAX_DISKS)
		return config_error(err, err_len, -ENOSPC, "at most %d disks", MINIVMM_MAX_DISKS);
	if (flags & ~(unsigned int)(MINIVMM_DISK_READ_ONLY | MINIVMM_DISK_DIRECT))
		return config_error(err, err_len, -EINVAL, "unknown disk flags 0x%x", flags);
	rc = set_string(cfg, &copy, path, "disk path", false, err, err_len);
	if (rc)
		return rc;
	d = &cfg->disks[cfg->n_disks];
	memset(d, 0, sizeof(*d));
	d->path = copy;
	d->read_only = !!(flags & MINIVMM_DISK_READ_ONLY);
	d->direct = !!(flags & MINIVMM_DISK_DIRECT);
	return (int)cfg->n_disks++;
}

static struct config_disk *disk_at(struct minivmm_config *cfg, unsigned int disk, char *err,
				   size_t err_len)
{
	if (!cfg) {
		config_error(err, err_len, -EINVAL, "no config given");
		return NULL;
	}
	if (disk >= cfg->n_disks) {
		config_error(err, err_len, -ENOENT, "no disk %u (%u added)", disk, cfg->n_disks);
		return NULL;
	}
	return &cfg->disks[disk];
}

int minivmm_config_set_disk_serial(struct minivmm_config *cfg, unsigned int disk,
				   const char *serial, char *err, size_t err_len)
{
	struct config_disk *d = disk_at(cfg, disk, err, err_len);

	if (!d)
		return cfg ? -ENOENT : -EINVAL;
	if (serial && strlen(serial) > MAX_SERIAL)
		return config_error(err, err_len, -EINVAL,
				    "disk serial '%.32s' is longer than %d bytes", serial,
				    MAX_SERIAL);
	return set_string(cfg, &d->serial, serial, "disk serial", true, err, err_len);
}

int minivmm_config_set_disk_engine(struct minivmm_config *cfg, unsigned int disk, int engine,
				   char *err, size_t err_len)
{
	struct config_disk *d = disk_at(cfg, disk, err, err_len);

	if (!d)
		return cfg ? -ENOENT : -EINVAL;
	if (engine != MINIVMM_DISK_ENGINE_URING && engine != MINIVMM_DISK_ENGINE_THREADS)
		return config_error(
			err, err_len, -EINVAL,
			"unknown disk engine %d (MINIVMM_DISK_ENGINE_URING or _THREADS)", engine);
	d->engine = engine;
	return 0;
}

int minivmm_config_set_disk_poll(struct minivmm_config *cfg, unsigned int disk, int poll_us,
				 char *err, size_t err_len)
{
	struct config_disk *d = disk_at(cfg, disk, err, err_len);
	int rc;

	if (!d)
		return cfg ? -ENOENT : -EINVAL;
	rc = check_poll(poll_us, "disk", err, err_len);
	if (!rc)
		d->poll_us = poll_us;
	return rc;
}

int minivmm_config_add_net(struct minivmm_config *cfg, const char *tap, char *err, size_t err_len)
{
	struct config_net *n;
	char *copy = NULL;
	int rc;

	if (!cfg)
		return config_error(err, err_len, -EINVAL, "no config given");
	if (cfg->n_nets >= MINIVMM_MAX_NETS)
		return config_error(err, err_len, -ENOSPC, "at most %d network cards",
				    MINIVMM_MAX_NETS);
	/* IFNAMSIZ - 1: what a TAP's name can be. */
	if (tap && strlen(tap) > 15)
		return config_error(err, err_len, -EINVAL,
				    "TAP name '%.32s' is longer than 15 bytes", tap);
	rc = set_string(cfg, &copy, tap, "TAP interface name", false, err, err_len);
	if (rc)
		return rc;
	n = &cfg->nets[cfg->n_nets];
	memset(n, 0, sizeof(*n));
	n->tap = copy;
	return (int)cfg->n_nets++;
}

/* "A.B.C.D" into *out (host byte order); -1 if it is not one. */
static int parse_ipv4(const char *s, uint32_t *out)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -1;
	*out = ntohl(a.s_addr);
	return 0;
}

/* "A.B.C.D/N" with N from 8 to 28: room for the gateway, DNS and DHCP's .15 up. */
static int parse_cidr(const char *s, uint32_t *net, unsigned int *prefix)
{
	const char *slash = strchr(s, '/');
	char addr[INET_ADDRSTRLEN];
	char *end;
	unsigned long n;

	if (!slash || (size_t)(slash - s) >= sizeof(addr) || !slash[1])
		return -1;
	memcpy(addr, s, (size_t)(slash - s));
	addr[slash - s] = '\0';
	errno = 0;
	n = strtoul(slash + 1, &end, 10);
	if (errno || *end || slash[1] < '0' || slash[1] > '9' || n < 8 || n > 28 ||
	    parse_ipv4(addr, net))
		return -1;
	*prefix = (unsigned int)n;
	*net &= ~0u << (32 - n);
	return 0;
}

int minivmm_config_add_net_user(struct minivmm_config *cfg, const char *net, char *err,
				size_t err_len)
{
	uint32_t addr = 0x0a000200; /* 10.0.2.0/24, as QEMU's user network */
	unsigned int prefix = 24;
	struct config_net *n;

	if (!cfg)
		return config_error(err, err_len, -EINVAL, "no config given");
	if (cfg->n_nets >= MINIVMM_MAX_NETS)
		return config_error(err, err_len, -ENOSPC, "at most %d network cards",
				    MINIVMM_MAX_NETS);
	if (net && parse_cidr(net, &addr, &prefix))
		return config_error(err, err_len, -EINVAL,
				    "bad user network '%.40s': give A.B.C.D/N with N from 8 to 28",
				    net);
	n = &cfg->nets[cfg->n_nets];
	memset(n, 0, sizeof(*n));
	n->user = 1;
	n->user_net = addr;
	n->user_prefix = prefix;
	return (int)cfg->n_nets++;
}

static struct config_net *net_at(struct minivmm_config *cfg, unsigned int net, char *err,
				 size_t err_len);

int minivmm_config_add_net_hostfwd(struct minivmm_config *cfg, unsigned int net,
				   const char *host_addr, unsigned int host_port,
				   unsigned int guest_port, char *err, size_t err_len)
{
	struct config_net *n = net_at(cfg, net, err, err_len);
	uint32_t addr = 0x7f000001; /* only this host, unless asked */

	if (!n)
		return cfg ? -ENOENT : -EINVAL;
	if (!n->user)
		return config_error(
			err, err_len, -EINVAL,
			"network card %u is on a TAP: only a user-mode card forwards ports", net);
	if (n->n_fwd >= MINIVMM_MAX_NET_FWDS)
		return config_error(err, err_len, -ENOSPC, "at most %d forwarded ports a card",
				    MINIVMM_MAX_NET_FWDS);
	if (host_addr && parse_ipv4(host_addr, &addr))
		return config_error(err, err_len, -EINVAL, "bad host address '%.40s': give A.B.C.D",
				    host_addr);
	if (!host_port || host_port > 65535 || !guest_port || guest_port > 65535)
		return config_error(err, err_len, -ERANGE,
				    "forwarded port %u to %u: ports are 1 to 65535", host_port,
				    guest_port);
	for (unsigned int i = 0; i < cfg->n_nets; i++)
		for (unsigned int k = 0; k < cfg->nets[i].n_fwd; k++)
			if (cfg->nets[i].fwd[k].host_port == host_port)
				return config_error(err, err_len, -EADDRINUSE,
						    "host port %u is forwarded twice", host_port);
	n->fwd[n->n_fwd++] = (struct config_net_fwd){.host_addr = addr,
						     .host_port = (uint16_t)host_port,
						     .guest_port = (uint16_t)guest_port};
	return 0;
}

static struct config_net *net_at(struct minivmm_config *cfg, unsigned int net, char *err,
				 size_t err_len)
{
	if (!cfg) {
		config_error(err, err_len, -EINVAL, "no config given");
		return NULL;
	}
	if (net >= cfg->n_nets) {
		config_error(err, err_len, -ENOENT, "no network card %u (%u added)", net,
			     cfg->n_nets);
		return NULL;
	}
	return &cfg->nets[net];
}

int minivmm_config_set_net_mac(struct minivmm_config *cfg, unsigned int net, const uint8_t mac[6],
			       char *err, size_t err_len)
{
	struct config_net *n = net_at(cfg, net, err, err_len);

	if (!n)
		return cfg ? -ENOENT : -EINVAL;
	if (!mac) {
		n->has_mac = 0;
		return 0;
	}
	/* The guest's driver refuses a multicast address. */
	if (mac[0] & 1)
		return config_error(err, err_len, -EINVAL,
				    "MAC %02x:%02x:%02x:%02x:%02x:%02x is not a unicast address",
				    mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	memcpy(n->mac, mac, 6);
	n->has_mac = 1;
	return 0;
}

int minivmm_config_set_net_mtu(struct minivmm_config *cfg, unsigned int net, unsigned int mtu,
			       char *err, size_t err_len)
{
	struct config_net *n = net_at(cfg, net, err, err_len);

	if (!n)
		return cfg ? -ENOENT : -EINVAL;
	if (mtu && (mtu < 68 || mtu > 65535))
		return config_error(err, err_len, -ERANGE, "MTU %u is out of range (68 to 65535)",
				    mtu);
	n->mtu = mtu;
	return 0;
}

int minivmm_config_set_net_guest_tso(struct minivmm_config *cfg, unsigned int net, int on,
				     char *err, size_t err_len)
{
	struct config_net *n = net_at(cfg, net, err, err_len);

	if (!n)
		return cfg ? -ENOENT : -EINVAL;
	n->no_guest_tso = !on;
	return 0;
}

int minivmm_config_set_net_poll(struct minivmm_config *cfg, unsigned int net, int poll_us,
				char *err, size_t err_len)
{
	struct config_net *n = net_at(cfg, net, err, err_len);
	int rc;

	if (!n)
		return cfg ? -ENOENT : -EINVAL;
	rc = check_poll(poll_us, "network", err, err_len);
	if (!rc)
		n->poll_us = poll_us;
	return rc;
}

int minivmm_config_add_rng(struct minivmm_config *cfg, char *err, size_t err_len)
{
	if (!cfg)
		return config_error(err, err_len, -EINVAL, "no config given");
	if (cfg->n_rngs >= MINIVMM_MAX_RNGS)
		return config_error(err, err_len, -ENOSPC, "at most %d virtio-rng device",
				    MINIVMM_MAX_RNGS);
	return (int)cfg->n_rngs++;
}
