#!/bin/sh
echo
echo "Hello from a Linux guest of minivmm."
echo "  kernel:  $(uname -srm)"
echo "  cpus:    $(cat /sys/devices/system/cpu/online) online"
echo "  memory:  $(awk '/MemTotal/ { print $2 " kB" }' /proc/meminfo)"
echo "  cmdline: $(cat /proc/cmdline)"
echo "  root:    $(awk '$2 == "/" { print $1 " (" $3 ")" }' /proc/mounts | tail -n 1) on virtio-blk, VIRTIO_F_IN_ORDER $(cut -c36 /sys/bus/virtio/devices/virtio0/features | sed 's/1/negotiated/;s/0/off/')"
echo
