#!/bin/sh
# virtio-rng: the kernel's hwrng is minivmm's device, and reading it gives bytes.
echo "MINIVMM-GUEST: rng_current $(cat /sys/class/misc/hw_random/rng_current 2>/dev/null || echo none)"
dd if=/dev/hwrng of=/tmp/rng bs=64 count=1 2>/dev/null
echo "MINIVMM-GUEST: hwrng read $(wc -c </tmp/rng | tr -d ' ') bytes"
echo "MINIVMM-GUEST: hwrng nonzero $(tr -d '\000' </tmp/rng | wc -c | tr -d ' ') bytes"
