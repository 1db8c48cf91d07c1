// SPDX-License-Identifier: MIT
/* The virtio devices' options (vmm/cli/virtio_opts.h). */
#include "vmm/cli/virtio_opts.h"

#include "vmm/cli/cli_opts.h"

const struct cli_virtio_opt cli_virtio_opts[] = {
	{"disk", 'd',
	 "  -d, --disk PATH[,ro][,direct][,serial=ID][,poll=US][,engine=uring|threads]\n"
	 "                        virtio-blk disk (repeatable: vda, vdb, ...); a ',' in\n"
	 "                        PATH is written ',,'; engine=threads does its I/O on\n"
	 "                        worker threads instead of io_uring\n",
	 cli_parse_disk},
	{"net", 'n',
	 "  -n, --net tap=NAME[,mac=52:54:00:12:34:56][,mtu=N][,guest_tso=off][,poll=US]\n"
	 "                        virtio-net on an existing TAP interface (repeatable:\n"
	 "                        eth0, eth1, ...); create one with\n"
	 "                        'ip tuntap add dev NAME mode tap user USER'\n",
	 cli_parse_net},
};

const unsigned int cli_n_virtio_opts = sizeof(cli_virtio_opts) / sizeof(cli_virtio_opts[0]);
