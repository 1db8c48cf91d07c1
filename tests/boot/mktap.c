// SPDX-License-Identifier: MIT
/*
 * Boot-test helper for the middle layer, whose busybox `ip` has no tuntap:
 *   mktap NAME                  create a persistent TAP (IFF_VNET_HDR) that
 *                               minivmm --net tap=NAME can attach to
 *   mktap flood NAME COUNT LEN  send COUNT broadcast frames of LEN bytes out
 *                               of NAME (towards the guest), as fast as it can
 * Built static by tests/boot/run.sh and copied into the layer's initramfs.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static int create(const char *name)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR);

	if (fd < 0) {
		perror("mktap: /dev/net/tun");
		return 1;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0 || ioctl(fd, TUNSETPERSIST, 1) < 0) {
		perror("mktap: TUNSETIFF/TUNSETPERSIST");
		return 1;
	}
	close(fd);
	return 0;
}

static int flood(const char *name, long count, int len)
{
	static unsigned char frame[9000];
	struct sockaddr_ll sll;
	int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	long sent = 0, failed = 0;

	if (fd < 0 || len < 60 || len > (int)sizeof(frame)) {
		perror("mktap: flood");
		return 1;
	}
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = (int)if_nametoindex(name);
	sll.sll_halen = 6;
	memset(sll.sll_addr, 0xff, 6);
	memset(frame, 0xff, 6);			  /* broadcast destination */
	memcpy(frame + 6, "\x02\0\0\0\0\x01", 6); /* locally administered source */
	frame[12] = 0x88;			  /* local experimental EtherType 0x88b5 */
	frame[13] = 0xb5;
	for (long i = 0; i < count; i++) {
		memcpy(frame + 14, &i, sizeof(i));
		if (sendto(fd, frame, (size_t)len, 0, (struct sockaddr *)&sll, sizeof(sll)) < 0)
			failed++;
		else
			sent++;
	}
	printf("mktap: flood sent %ld failed %ld\n", sent, failed);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2)
		return create(argv[1]);
	if (argc == 5 && !strcmp(argv[1], "flood"))
		return flood(argv[2], atol(argv[3]), atoi(argv[4]));
	fprintf(stderr, "usage: mktap NAME | mktap flood NAME COUNT LEN\n");
	return 2;
}
