#!/bin/sh
# A long host->guest TCP stream (issue 17): netpat reads everything the host
# side of the TAP (minivmm.peer=) sends on port minivmm.port= (5002) and
# checks every byte against the pattern of minivmm.seed=, storing nothing;
# prints the byte count and the first bad offset for the host to compare.
peer=$(minivmm-arg peer)
port=$(minivmm-arg port 5002)
seed=$(minivmm-arg seed 1)
minivmm-net-up || exit 1
ping -c 1 -W 10 "$peer" >/dev/null 2>&1 || { echo "MINIVMM-GUEST: no answer from $peer"; exit 1; }
up() { cut -d' ' -f1 /proc/uptime; }
t0=$(up)
netpat recv "$peer" "$port" "$seed" >/tmp/recv.out
st=$?
t1=$(up)
sed 's/^netpat: /MINIVMM-GUEST: stream /' /tmp/recv.out
echo "MINIVMM-GUEST: stream seconds $(awk "BEGIN { print $t1 - $t0 }")"
exit $st
