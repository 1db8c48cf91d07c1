#!/bin/sh
# Prints each virtio device's type and whether VIRTIO_F_IN_ORDER (bit 35)
# and VIRTIO_F_RING_PACKED (bit 34) were negotiated.
for d in /sys/bus/virtio/devices/*; do
	echo "MINIVMM-GUEST: virtio $(basename "$d") device $(cat "$d/device") bit35 $(cut -c36 "$d/features") bit34 $(cut -c35 "$d/features")"
done
echo "MINIVMM-GUEST: root is $(awk '$2 == "/" { print $1 " " $3 }' /proc/mounts | tail -n 1)"
