#!/bin/sh
# On a read-only disk the kernel must see ro=1 and writes must fail.
dev=/dev/$(minivmm-arg dev vda)
echo "MINIVMM-GUEST: $dev ro flag $(cat /sys/block/${dev#/dev/}/ro)"
# GET_ID: the serial minivmm answers, all of its up to 20 bytes.
echo "MINIVMM-GUEST: $dev serial '$(cat /sys/block/${dev#/dev/}/serial)'"
if dd if=/dev/zero of="$dev" bs=4k count=1 conv=fsync 2>/dev/null; then
	echo "MINIVMM-GUEST: ro write succeeded"
else
	echo "MINIVMM-GUEST: ro write refused"
fi
echo "MINIVMM-GUEST: $dev read md5 $(md5sum <"$dev" | cut -d' ' -f1)"
