#!/bin/sh
echo
echo "Hello from a Linux guest of minivmm."
echo "  kernel:  $(uname -srm)"
echo "  cpus:    $(cat /sys/devices/system/cpu/online) online"
echo "  memory:  $(awk '/MemTotal/ { print $2 " kB" }' /proc/meminfo)"
echo "  cmdline: $(cat /proc/cmdline)"
echo
