#!/bin/sh
# TCP both ways with the host side of the TAP (minivmm.peer=): sends
# minivmm.mb= MiB of random data to port 5000, receives a file from port
# 5001, and prints the md5 and the time of each for the host to check.
peer=$(minivmm-arg peer)
mb=$(minivmm-arg mb 8)
minivmm-net-up || exit 1
ping -c 1 -W 10 "$peer" >/dev/null 2>&1 || { echo "MINIVMM-GUEST: no answer from $peer"; exit 1; }
up() { cut -d' ' -f1 /proc/uptime; }
# Interrupts of the virtio devices, frames sent, frames received: what each
# direction cost, for the network benchmark to compare VMMs by.
costs() {
	echo "$(awk '/virtio/ { for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i } END { print s + 0 }' /proc/interrupts)" \
		"$(cat /sys/class/net/eth0/statistics/tx_packets)" "$(cat /sys/class/net/eth0/statistics/rx_packets)"
}
dd if=/dev/urandom of=/tmp/out bs=1M count="$mb" 2>/dev/null
c0=$(costs)
t0=$(up)
nc "$peer" 5000 </tmp/out || { echo "MINIVMM-GUEST: send failed"; exit 1; }
t1=$(up)
c1=$(costs)
nc "$peer" 5001 </dev/null >/tmp/in || { echo "MINIVMM-GUEST: receive failed"; exit 1; }
t2=$(up)
c2=$(costs)
# "irqs frames_out frames_in" during each direction
echo "MINIVMM-GUEST: tx costs $(echo "$c0 $c1" | awk '{ print $4 - $1, $5 - $2, $6 - $3 }')"
echo "MINIVMM-GUEST: rx costs $(echo "$c1 $c2" | awk '{ print $4 - $1, $5 - $2, $6 - $3 }')"
echo "MINIVMM-GUEST: tx md5 $(md5sum </tmp/out | cut -d' ' -f1)"
echo "MINIVMM-GUEST: rx md5 $(md5sum </tmp/in | cut -d' ' -f1)"
echo "MINIVMM-GUEST: rx bytes $(wc -c </tmp/in)"
echo "MINIVMM-GUEST: tx seconds $(awk "BEGIN { print $t1 - $t0 }")"
echo "MINIVMM-GUEST: rx seconds $(awk "BEGIN { print $t2 - $t1 }")"
