#!/bin/sh
# Prints the md5 of the data disk as read from the device (caches dropped).
dev=/dev/vda
for a in $(cat /proc/cmdline); do case $a in minivmm.dev=*) dev=/dev/${a#*=} ;; esac; done
echo 3 >/proc/sys/vm/drop_caches
echo "MINIVMM-GUEST: $dev read md5 $(md5sum <"$dev" | cut -d' ' -f1)"
