/* SPDX-License-Identifier: MIT */
/*
 * The seam between virtio-net and whatever carries its frames on the host.
 * The device checks what the guest transmits, places received frames in
 * the guest's buffers, holds transmit completions and answers resets; a
 * backend only sends frames, queues the frames it receives, and says which
 * offloads it can take. One backend today:
 *
 * - tap (devices/net_backend_tap.c): a TAP with a virtio-net header on
 *   every frame; its reads and writes are SQEs on the device thread's own
 *   sealed io_uring, which reaches the TAP and nothing else.
 *
 * - user (devices/net_backend_slirp.c): user-mode networking, libslirp in
 *   minivmm's process: a virtual network with a gateway, DHCP and DNS,
 *   whose guest connections become the host's own sockets.
 *
 * A backend that is not a file to read and write (user-mode networking,
 * whose library hands over frames through a callback and wants its own
 * sockets and timers serviced) runs that on a thread of its own, started
 * by start(), and wakes the device thread through an eventfd it registers
 * as ring_file and keeps a read armed for in prepare(), as the block
 * engine's thread pool does (devices/blk_engine.h).
 *
 * The virtio-net header (VERSION_1, VNET_HDR_LEN bytes) is the device's in
 * both directions:
 *
 * - transmit: iov[0] is always that header, as the device checked it
 *   (vnet_tx_check) and encoded it in its own memory; the frame follows in
 *   the guest's segments. A backend without headers skips iov[0]: since it
 *   offered no offload, the device refused every frame that asked for one;
 * - receive: a frame starts with a header the backend wrote (a backend
 *   without headers writes VNET_HDR_LEN zero bytes ahead of the frame),
 *   asking only for the offloads set_offload() enabled; the device fills
 *   in num_buffers.
 *
 * Everything but create, start and destroy runs on the device thread.
 */
#ifndef DEVICES_NET_BACKEND_H
#define DEVICES_NET_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "devices/net_rx.h"

struct dev_thread;

/* Ring tags below this are the device's transmit tags; from it up to
 * 1 << 62 (the shell's kicks) the backend's own. */
#define NET_BACKEND_TAG_OWN (1ULL << 57)

/* What tx() returns when the frame's result comes later, through done. */
#define NET_TX_QUEUED 0

/* A transmit the backend ended: its tag, and the bytes of iov it took
 * (all of them, header included, when the frame went out whole) or a
 * negative errno. */
typedef void net_tx_done_fn(void *dev, uint64_t tag, int res);

struct net_backend;

struct net_backend_ops {
	const char *name; /* "tap" */
	/* Owner, before the device thread starts: any thread of the backend's,
	 * prologue (if not NULL) first on each. Optional. */
	int (*start)(struct net_backend *be, int (*prologue)(void *arg), void *arg);

	/*
	 * Sends one frame: iov[0] the header, then the frame (n >= 2). iov and
	 * what it points to stay valid until the result. Returns NET_TX_QUEUED
	 * (the result comes from event(), to done), or the result itself.
	 */
	int (*tx)(struct net_backend *be, uint64_t tag, const struct iovec *iov, unsigned int n);
	/* A reset's drain: end a queued transmit early; its result still comes. */
	void (*tx_cancel)(struct net_backend *be, uint64_t tag);

	/* Received frames, oldest first (the vnet_rx_source of devices/net_rx.h):
	 * NULL when none waits. The frame stays the backend's until consumed. */
	struct vnet_rx_frame *(*rx_peek)(struct net_backend *be);
	void (*rx_consume)(struct net_backend *be);
	/* The guest kicked: receiving that paused after an error may go on. */
	void (*rx_kick)(struct net_backend *be);

	/* Before the device thread sleeps, while the device runs: post what
	 * must be on the ring (reads, an eventfd's read). Optional. */
	void (*prepare)(struct net_backend *be);
	/* A CQE of the device's ring that is the backend's: its own tag, or a
	 * transmit tag whose result goes to done(dev, tag, res). */
	void (*event)(struct net_backend *be, uint64_t tag, int res, net_tx_done_fn *done,
		      void *dev);

	/* A reset, in the order the device calls them: cancel what the backend
	 * has in flight of its own (transmits get tx_cancel); reap each CQE of
	 * the drain (a transmit's to done, without side effects) while busy;
	 * then reset: queued frames dropped, offloads cleared. */
	void (*cancel)(struct net_backend *be);
	void (*reap)(struct net_backend *be, uint64_t tag, int res, net_tx_done_fn *done,
		     void *dev);
	bool (*busy)(const struct net_backend *be);
	void (*reset)(struct net_backend *be);

	/* DRIVER_OK: the offloads the guest accepted on receive (negotiated
	 * VIRTIO_NET_F_* bits; 0: none). 0 or a negative errno. */
	int (*set_offload)(struct net_backend *be, uint64_t features);

	/* Owner, with the device thread stopped: close, join and free. */
	void (*destroy)(struct net_backend *be);
};

/* Counted by the backend, read by the device's counters (devices/dev_stats.h). */
struct net_backend_stats {
	uint64_t rx_drop_too_big; /* a frame larger than a receive buffer */
	uint64_t rx_read_errors;  /* receives that failed */
	uint64_t rx_pool_hwm;	  /* most received frames waiting at once */
};

/* Common to every backend; a backend's own struct embeds it first. */
struct net_backend {
	const struct net_backend_ops *ops;
	struct dev_thread *dt; /* set by the device before its thread starts */
	/*
	 * VIRTIO_NET_F_* the backend can serve: CSUM and HOST_TSO4/6 (it takes
	 * frames that ask for those offloads), GUEST_CSUM and GUEST_TSO4/6 (it
	 * may hand over such frames once set_offload() allows). The device
	 * offers the guest no offload outside this set.
	 */
	uint64_t features;
	/* What the device's sealed ring must allow for the backend: these
	 * opcodes, ring_file registered (-1: none), and ring_entries SQEs of
	 * its own in flight at most (reads, timers, and their cancels). */
	const uint8_t *uring_ops;
	unsigned int n_uring_ops;
	int ring_file;
	unsigned int ring_entries;
	char label[48]; /* in the device's counters line: "tap=tap0" */
	struct net_backend_stats st;
};

/*
 * Attaches to the existing TAP name (devices/tap.h). 0 and *out, or a
 * negative errno with one line in err.
 */
int net_backend_tap_create(const char *name, struct net_backend **out, char *err, size_t err_len);

/* A host TCP port whose connections go to a port of the guest. */
struct net_user_fwd {
	uint32_t host_addr; /* IPv4, host byte order: where to listen */
	uint16_t host_port, guest_port;
};

struct net_user_options {
	/* The guest's network (host byte order) and its prefix length: the
	 * gateway is its .2, the DNS forwarder .3, DHCP hands out from .15. */
	uint32_t net;
	unsigned int prefix;
	const struct net_user_fwd *fwd;
	unsigned int n_fwd;
};

/*
 * A user-mode network (libslirp): every forwarded host port is listening
 * on return. 0 and *out, or a negative errno with one line in err (a host
 * port in use: -EADDRINUSE; minivmm built without libslirp: -ENOTSUP).
 */
int net_backend_slirp_create(const struct net_user_options *o, struct net_backend **out, char *err,
			     size_t err_len);

#endif
