/* SPDX-License-Identifier: MIT */
/*
 * virtio-net on virtio-mmio, served by a thread of its own over one
 * io_uring, like virtio-blk: queue 0 receives (frames the backend queued,
 * copied into guest buffers, mergeable when negotiated), queue 1 transmits
 * (each checked chain handed to the backend, many in flight). The frames
 * go through a backend (devices/net_backend.h): a TAP. Guest kicks arrive on
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
	uint64_t tx_max_inflight;
	/* The backend counts what it receives (struct net_backend_stats). */
};

struct virtio_dev;
struct virtio_dev_env;
struct net_backend;

/*
 * Attaches to the TAP and builds the device on the virtio shell
 * (env->kick_fds[VNET_RXQ/TXQ]). Returns 0 or a negative errno with one
 * line in err.
 */
int vnet_create(const struct vnet_options *o, const struct virtio_dev_env *env,
		struct virtio_dev **out, char *err, size_t err_len);
/*
 * The same on a backend already open (o->tap unused), which the device
 * owns from then on, failed or not: it is destroyed with the device.
 */
int vnet_create_on(const struct vnet_options *o, struct net_backend *be,
		   const struct virtio_dev_env *env, struct virtio_dev **out, char *err,
		   size_t err_len);

#endif
