// SPDX-License-Identifier: MIT
#include "devices/tap.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices/net_hdr.h"

int tap_open(const char *name, int hdr_len, char *err, size_t err_len)
{
	struct ifreq ifr;
	char path[64 + IFNAMSIZ];
	struct stat st;
	int fd, e;

	if (!name || !*name || strlen(name) >= IFNAMSIZ || strchr(name, '/')) {
		snprintf(err, err_len, "bad TAP device name '%s'", name ? name : "");
		return -EINVAL;
	}
	/*
	 * TUNSETIFF would create a missing TAP; only attach to an existing one.
	 * Asked of the kernel in our network namespace (sysfs may show another).
	 */
	if (if_nametoindex(name) == 0) {
		snprintf(
			err, err_len,
			"TAP device '%s' does not exist (create it: ip tuntap add dev %s mode tap)",
			name, name);
		return -ENODEV;
	}
	snprintf(path, sizeof(path), "/sys/class/net/%s", name);
	if (stat(path, &st) == 0) {
		snprintf(path, sizeof(path), "/sys/class/net/%s/tun_flags", name);
		if (stat(path, &st) < 0) {
			snprintf(err, err_len, "network device '%s' is not a TAP device", name);
			return -ENODEV;
		}
	}
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		snprintf(err, err_len, "cannot open /dev/net/tun for TAP '%s': %s", name,
			 strerror(e));
		return -e;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		e = errno;
		snprintf(err, err_len, "cannot attach to TAP device '%s': %s%s", name, strerror(e),
			 e == EPERM    ? " (needs CAP_NET_ADMIN or a TAP owned by this user)"
			 : e == EINVAL ? " (is it a TUN, or multi-queue?)"
				       : "");
		close(fd);
		return -e;
	}
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr_len) < 0) {
		e = errno;
		snprintf(err, err_len, "TAP '%s': cannot set the virtio-net header size: %s", name,
			 strerror(e));
		close(fd);
		return -e;
	}
	if (tap_set_offload(fd, 0) < 0) {
		e = errno;
		snprintf(err, err_len, "TAP '%s': cannot clear offloads: %s", name, strerror(e));
		close(fd);
		return -e;
	}
	return fd;
}

int tap_set_offload(int fd, unsigned int tun_flags)
{
	return ioctl(fd, TUNSETOFFLOAD, (unsigned long)tun_flags) < 0 ? -errno : 0;
}

unsigned int tap_offload_for(uint64_t features)
{
	unsigned int f = 0;

	if (!((features >> VIRTIO_NET_F_GUEST_CSUM) & 1))
		return 0; /* segmentation offloads need a partial checksum */
	f |= TUN_F_CSUM;
	if ((features >> VIRTIO_NET_F_GUEST_TSO4) & 1)
		f |= TUN_F_TSO4;
	if ((features >> VIRTIO_NET_F_GUEST_TSO6) & 1)
		f |= TUN_F_TSO6;
	return f;
}
