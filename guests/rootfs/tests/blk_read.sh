#!/bin/sh
# Prints the md5 of the data disk as read from the device (caches dropped).
dev=/dev/$(minivmm-arg dev vda)
echo 3 >/proc/sys/vm/drop_caches
echo "MINIVMM-GUEST: $dev read md5 $(md5sum <"$dev" | cut -d' ' -f1)"
