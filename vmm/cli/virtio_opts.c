// SPDX-License-Identifier: MIT
/* The virtio devices' options (vmm/cli/virtio_opts.h). */
#include "vmm/cli/virtio_opts.h"

#include <stdio.h>

#include "vmm/cli/cli_opts.h"

/* --rng: nothing to say but that there is one. */
static int parse_rng(char *spec, struct minivmm_config *cfg, char *err, size_t err_len)
{
	(void)spec;
	return minivmm_config_add_rng(cfg, err, err_len) < 0 ? -1 : 0;
}

const struct cli_virtio_opt cli_virtio_opts[] = {
	{"disk", 'd',
	 "  -d, --disk PATH[,ro][,direct][,serial=ID][,poll=US][,engine=uring|threads]\n"
	 "                        virtio-blk disk (repeatable: vda, vdb, ...); a ',' in\n"
	 "                        PATH is written ',,'; engine=threads does its I/O on\n"
	 "                        worker threads instead of io_uring\n",
	 1, cli_parse_disk},
	{"net", 'n',
	 "  -n, --net tap=NAME[,mac=52:54:00:12:34:56][,mtu=N][,guest_tso=off][,poll=US]\n"
	 "                        virtio-net on an existing TAP interface (repeatable:\n"
	 "                        eth0, eth1, ...); create one with\n"
	 "                        'ip tuntap add dev NAME mode tap user USER'\n"
	 "  -n, --net user[,hostfwd=tcp:[HOSTADDR]:HOSTPORT-:GUESTPORT][,net=CIDR]\n"
	 "                        virtio-net on a user-mode network (libslirp), no root\n"
	 "                        needed: DHCP, DNS and the guest's TCP/UDP through\n"
	 "                        minivmm's sockets (net: 10.0.2.0/24, gateway .2, DNS .3,\n"
	 "                        guest .15); hostfwd (repeatable) forwards a host TCP\n"
	 "                        port (HOSTADDR: 127.0.0.1) to the guest's GUESTPORT\n",
	 1, cli_parse_net},
	{"rng", 'r',
	 "  -r, --rng             virtio-rng: the guest's hwrng (/dev/hwrng) filled from\n"
	 "                        the host's getrandom(2)\n",
	 0, parse_rng},
};

const unsigned int cli_n_virtio_opts = sizeof(cli_virtio_opts) / sizeof(cli_virtio_opts[0]);
