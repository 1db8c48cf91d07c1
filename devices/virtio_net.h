/* SPDX-License-Identifier: MIT */
/*
 * virtio-net on virtio-mmio with a TAP backend, served by a thread of its
 * own over one io_uring, like virtio-blk: queue 0 receives (frames read
 * from the TAP into a bounded pool of bounce buffers, then copied into
 * guest buffers, mergeable when negotiated), queue 1 transmits (each chain
 * written to the TAP with writev, many in flight). Guest kicks arrive on
 * one eventfd per queue (KVM_IOEVENTFD with the queue index as datamatch);
 * interrupts leave through another (KVM_IRQFD).
 */
#ifndef DEVICES_VIRTIO_NET_H
#define DEVICES_VIRTIO_NET_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "devices/net_hdr.h"

#define VIRTIO_ID_NET	1
#define VNET_QUEUE_SIZE 256
#define VNET_RXQ	0
#define VNET_TXQ	1

struct vnet_options {
	const char *tap;
	uint8_t mac[6];
	unsigned int mtu;     /* 0: VIRTIO_NET_F_MTU not offered */
	bool in_order;	      /* offer VIRTIO_F_IN_ORDER */
	bool guest_tso;	      /* offer GUEST_TSO4/6 if the TAP can hand us TSO frames */
	unsigned int poll_us; /* busy-poll the transmit ring after sending; 0: never */
};

struct vnet_stats {
	/* Receive placement counts its own (struct vnet_rx_stats). */
	uint64_t tx_packets, tx_bytes;
	uint64_t tx_drops[VNET_TX_DROP_COUNT]; /* by reason; [VNET_TX_OK] unused */
	uint64_t rx_drop_too_big;	       /* a TAP read filled the whole bounce buffer */
	uint64_t rx_read_errors;	       /* TAP reads that failed */
	uint64_t rx_pool_hwm;		       /* most bounce buffers holding frames at once */
	uint64_t tx_max_inflight;
};

struct virtio_dev;
struct virtio_dev_env;

/*
 * Attaches to the TAP and builds the device on the virtio shell
 * (env->kick_fds[VNET_RXQ/TXQ]). Returns 0 or a negative errno with one
 * line in err.
 */
int vnet_create(const struct vnet_options *o, const struct virtio_dev_env *env,
		struct virtio_dev **out, char *err, size_t err_len);

#endif
