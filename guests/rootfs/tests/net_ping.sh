#!/bin/sh
# Brings eth0 up with minivmm.ip= (e.g. 10.0.0.2/24), pings minivmm.peer=,
# and prints whether VIRTIO_F_IN_ORDER (bit 35) was negotiated.
ip=$(minivmm-arg ip)
peer=$(minivmm-arg peer)
for d in /sys/bus/virtio/devices/*; do
	echo "MINIVMM-GUEST: virtio $(basename "$d") device $(cat "$d/device") bit35 $(cut -c36 "$d/features")"
done
ip link set lo up
ip link set eth0 up && ip addr add "$ip" dev eth0 || { echo "MINIVMM-GUEST: eth0 setup failed"; exit 1; }
echo "MINIVMM-GUEST: eth0 mac $(cat /sys/class/net/eth0/address) mtu $(cat /sys/class/net/eth0/mtu)"
if ping -c 3 -W 10 "$peer" >/tmp/ping.out 2>&1; then
	echo "MINIVMM-GUEST: ping $peer ok"
else
	cat /tmp/ping.out
	echo "MINIVMM-GUEST: ping $peer failed"
	exit 1
fi
