#!/bin/sh
# Stays off the network (eth0 down: no receive buffers are consumed) while
# the host floods the TAP, until the host writes a line to the console;
# then brings eth0 up and pings minivmm.peer= to show the card recovered.
ip=$(minivmm-arg ip)
peer=$(minivmm-arg peer)
echo "MINIVMM-GUEST: flood ready"
read -t 300 line || echo "MINIVMM-GUEST: no word from the host"
ip link set lo up
ip link set eth0 up && ip addr add "$ip" dev eth0 || { echo "MINIVMM-GUEST: eth0 setup failed"; exit 1; }
if ping -c 3 -W 10 "$peer" >/tmp/ping.out 2>&1; then
	echo "MINIVMM-GUEST: ping after flood ok"
else
	cat /tmp/ping.out
	exit 1
fi
