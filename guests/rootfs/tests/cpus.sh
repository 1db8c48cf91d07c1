#!/bin/sh
echo "MINIVMM-GUEST: cpus online $(cat /sys/devices/system/cpu/online)"
