#!/bin/sh
# A long host->guest TCP stream (issue 17): netpat reads everything the host
# side of the TAP (minivmm.peer=) sends on port minivmm.port= (5002) and
# checks every byte against the pattern of minivmm.seed=, storing nothing;
# prints the byte count and the first bad offset for the host to compare.
ip=$(minivmm-arg ip)
peer=$(minivmm-arg peer)
port=$(minivmm-arg port 5002)
seed=$(minivmm-arg seed 1)
for d in /sys/bus/virtio/devices/*; do
	echo "MINIVMM-GUEST: virtio $(basename "$d") device $(cat "$d/device") bit35 $(cut -c36 "$d/features")"
done
ip link set lo up
ip link set eth0 up && ip addr add "$ip" dev eth0 || { echo "MINIVMM-GUEST: eth0 setup failed"; exit 1; }
ping -c 1 -W 10 "$peer" >/dev/null 2>&1 || { echo "MINIVMM-GUEST: no answer from $peer"; exit 1; }
up() { cut -d' ' -f1 /proc/uptime; }
t0=$(up)
netpat recv "$peer" "$port" "$seed" >/tmp/recv.out
st=$?
t1=$(up)
sed 's/^netpat: /MINIVMM-GUEST: stream /' /tmp/recv.out
echo "MINIVMM-GUEST: stream seconds $(awk "BEGIN { print $t1 - $t0 }")"
exit $st
