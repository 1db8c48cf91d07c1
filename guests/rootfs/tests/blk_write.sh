#!/bin/sh
# Fills the data disk (minivmm.dev=, default vda) with random bytes, syncs,
# and prints the device's md5 for the host to compare with the image.
# Each virtio device and the ring features it negotiated, as features.sh.
for d in /sys/bus/virtio/devices/*; do
	echo "MINIVMM-GUEST: virtio $(basename "$d") device $(cat "$d/device") bit35 $(cut -c36 "$d/features") bit34 $(cut -c35 "$d/features")"
done
dev=/dev/$(minivmm-arg dev vda)
size=$(($(cat /sys/block/${dev#/dev/}/size) * 512))
dd if=/dev/urandom of=/tmp/pattern bs=4096 count=$((size / 4096)) 2>/dev/null
dd if=/tmp/pattern of="$dev" bs=64k conv=fsync 2>/dev/null || { echo "MINIVMM-GUEST: write failed"; exit 1; }
sync
echo "MINIVMM-GUEST: $dev md5 $(md5sum </tmp/pattern | cut -d' ' -f1)"
