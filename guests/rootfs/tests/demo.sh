#!/bin/sh
echo
echo "Hello from a Linux guest of minivmm."
echo "  kernel:  $(uname -srm)"
echo "  cpus:    $(cat /sys/devices/system/cpu/online) online"
echo "  memory:  $(awk '/MemTotal/ { print $2 " kB" }' /proc/meminfo)"
echo "  cmdline: $(cat /proc/cmdline)"
echo "  root:    $(awk '$2 == "/" { print $1 " (" $3 ")" }' /proc/mounts | tail -n 1) on virtio-blk, VIRTIO_F_IN_ORDER $(cut -c36 /sys/bus/virtio/devices/virtio0/features | sed 's/1/negotiated/;s/0/off/')"
ip=$(minivmm-arg ip)
peer=$(minivmm-arg peer)
if [ -n "$ip" ] && [ -e /sys/class/net/eth0 ]; then
	ip link set lo up
	ip link set eth0 up && ip addr add "$ip" dev eth0
	if ping -c 1 -W 10 "$peer" >/tmp/ping.out 2>&1; then
		echo "  network: eth0 $ip on virtio-net, ping $peer ok ($(sed -n 's/.*time=//p' /tmp/ping.out | head -n 1))"
	else
		echo "  network: eth0 $ip on virtio-net, ping $peer failed"
	fi
fi
echo
