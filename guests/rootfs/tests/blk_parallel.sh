#!/bin/sh
# Eight writers in parallel, each its own 1 MiB region of the data disk, then
# eight readers in parallel after dropping caches: many requests in flight at
# once, completed out of order by io_uring. Every region must read back intact.
dev=/dev/$(minivmm-arg dev vda)
n=8
i=0
while [ $i -lt $n ]; do
	dd if=/dev/urandom of=/tmp/chunk$i bs=64k count=16 2>/dev/null
	i=$((i + 1))
done
i=0
while [ $i -lt $n ]; do
	dd if=/tmp/chunk$i of="$dev" bs=4k seek=$((i * 256)) conv=notrunc 2>/dev/null &
	i=$((i + 1))
done
wait
sync
echo 3 >/proc/sys/vm/drop_caches
i=0
while [ $i -lt $n ]; do
	dd if="$dev" of=/tmp/back$i bs=4k skip=$((i * 256)) count=256 2>/dev/null &
	i=$((i + 1))
done
wait
bad=0
i=0
while [ $i -lt $n ]; do
	cmp -s /tmp/chunk$i /tmp/back$i || bad=$((bad + 1))
	i=$((i + 1))
done
echo "MINIVMM-GUEST: parallel regions bad $bad of $n"
[ $bad -eq 0 ]
