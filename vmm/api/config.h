/* SPDX-License-Identifier: MIT */
/*
 * The configuration object behind minivmm_config_*() (vmm/api/minivmm.h): the
 * public header only names struct minivmm_config, so its layout is the
 * library's to change. Its setters (vmm/api/config.c; the vCPU count's in
 * vmm/core/vm.c, which knows the machine) check every value; the object owns a
 * copy of every string. minivmm_create() takes a deep copy (config_copy),
 * so the caller may free or change its config as soon as create returns.
 */
#ifndef VMM_CONFIG_H
#define VMM_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/api/minivmm.h"

struct config_disk {
	char *path;
	int read_only; /* VIRTIO_BLK_F_RO; the file is opened read-only */
	int direct;    /* O_DIRECT */
	char *serial;  /* GET_ID answer; NULL: the file's base name */
	int poll_us;   /* 0: MINIVMM_POLL_US; negative: never; else the budget */
	int engine;    /* enum minivmm_disk_engine */
};

/* A forwarded host TCP port (host byte order). */
struct config_net_fwd {
	uint32_t host_addr;
	uint16_t host_port, guest_port;
};

struct config_net {
	char *tap;	   /* NULL: a user-mode network (user) */
	int user;	   /* user-mode networking (libslirp) instead of a TAP */
	uint32_t user_net; /* its network (host byte order) and prefix length */
	unsigned int user_prefix;
	struct config_net_fwd fwd[MINIVMM_MAX_NET_FWDS];
	unsigned int n_fwd;
	uint8_t mac[6];
	int has_mac;	  /* 0: 52:54:00:12:34:56 + the card's index */
	unsigned int mtu; /* 0: VIRTIO_NET_F_MTU not offered */
	int no_guest_tso; /* GUEST_TSO4/6 not offered */
	int poll_us;	  /* as config_disk.poll_us, for the transmit ring */
};

struct minivmm_config {
	char *kernel;
	char *initrd;
	char *cmdline; /* replaces the default command line when set */
	char *append;  /* appended to the (default or given) command line */
	uint64_t mem_size;
	unsigned int cpus;
	unsigned int timeout_ms; /* 0: none */
	int console_in;		 /* -1: none (the default) */
	int console_out;	 /* -1: none (the default) */
	char *kvm_path;		 /* NULL: /dev/kvm */
	char *symbols;
	struct config_disk disks[MINIVMM_MAX_DISKS];
	unsigned int n_disks;
	struct config_net nets[MINIVMM_MAX_NETS];
	unsigned int n_nets;
	unsigned int n_rngs; /* virtio-rng devices: nothing to configure but how many */
	int in_order;
	int packed;	 /* offer VIRTIO_F_RING_PACKED */
	int seccomp;	 /* enum minivmm_seccomp */
	int kick_signal; /* 0: SIGRTMIN (resolved when the VM is created) */
};

/* Writes one line into err (when err is not NULL) and returns rc: a setter's refusal. */
int config_error(char *err, size_t err_len, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* A config's defaults into *c, which owns no string yet. */
void config_defaults(struct minivmm_config *c);

/* *dst becomes a deep copy of *src (its strings its own). 0 or -ENOMEM (dst then empty). */
int config_copy(struct minivmm_config *dst, const struct minivmm_config *src);

/* Frees the strings *c owns (not c itself). */
void config_release(struct minivmm_config *c);

/* Takes back the last disk or card added (a CLI option that failed halfway). */
void config_drop_last_disk(struct minivmm_config *c);
void config_drop_last_net(struct minivmm_config *c);

#endif
