/* SPDX-License-Identifier: MIT */
/*
 * The TAP backend of virtio-net: attach to an existing TAP interface with
 * a virtio-net header on every frame, and set its offloads.
 *
 * A user creates the TAP beforehand, e.g.
 *   ip tuntap add dev tap0 mode tap user $USER vnet_hdr
 *   ip addr add 10.0.0.1/24 dev tap0 && ip link set tap0 up
 */
#ifndef DEVICES_TAP_H
#define DEVICES_TAP_H

#include <stddef.h>
#include <stdint.h>

/*
 * Opens /dev/net/tun and attaches to TAP name with IFF_TAP | IFF_NO_PI |
 * IFF_VNET_HDR and a header of hdr_len bytes. Refuses a name that is not an
 * existing TUN/TAP interface. Returns the fd, or a negative errno with one
 * line in err.
 */
int tap_open(const char *name, int hdr_len, char *err, size_t err_len);

/* TUN_F_* offloads the reader (the guest) accepts; 0 or a negative errno. */
int tap_set_offload(int fd, unsigned int tun_flags);

/* TUN_F_* flags for the negotiated virtio-net features. */
unsigned int tap_offload_for(uint64_t features);

#endif
