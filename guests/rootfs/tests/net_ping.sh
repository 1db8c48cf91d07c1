#!/bin/sh
# Brings eth0 up with minivmm.ip= (e.g. 10.0.0.2/24), pings minivmm.peer=,
# and prints whether VIRTIO_F_IN_ORDER (bit 35) was negotiated.
peer=$(minivmm-arg peer)
minivmm-net-up || exit 1
echo "MINIVMM-GUEST: eth0 mac $(cat /sys/class/net/eth0/address) mtu $(cat /sys/class/net/eth0/mtu)"
if ping -c 3 -W 10 "$peer" >/tmp/ping.out 2>&1; then
	echo "MINIVMM-GUEST: ping $peer ok"
else
	cat /tmp/ping.out
	echo "MINIVMM-GUEST: ping $peer failed"
	exit 1
fi
