#!/bin/sh
# TCP both ways with the host side of the TAP (minivmm.peer=): sends
# minivmm.mb= MiB of random data to port 5000, receives a file from port
# 5001, and prints the md5 and the time of each for the host to check.
peer=$(minivmm-arg peer)
mb=$(minivmm-arg mb 8)
minivmm-net-up || exit 1
ping -c 1 -W 10 "$peer" >/dev/null 2>&1 || { echo "MINIVMM-GUEST: no answer from $peer"; exit 1; }
up() { cut -d' ' -f1 /proc/uptime; }
dd if=/dev/urandom of=/tmp/out bs=1M count="$mb" 2>/dev/null
t0=$(up)
nc "$peer" 5000 </tmp/out || { echo "MINIVMM-GUEST: send failed"; exit 1; }
t1=$(up)
nc "$peer" 5001 </dev/null >/tmp/in || { echo "MINIVMM-GUEST: receive failed"; exit 1; }
t2=$(up)
echo "MINIVMM-GUEST: tx md5 $(md5sum </tmp/out | cut -d' ' -f1)"
echo "MINIVMM-GUEST: rx md5 $(md5sum </tmp/in | cut -d' ' -f1)"
echo "MINIVMM-GUEST: rx bytes $(wc -c </tmp/in)"
echo "MINIVMM-GUEST: tx seconds $(awk "BEGIN { print $t1 - $t0 }")"
echo "MINIVMM-GUEST: rx seconds $(awk "BEGIN { print $t2 - $t1 }")"
