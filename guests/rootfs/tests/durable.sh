#!/bin/sh
# Writes self-describing records to /dev/vda, each with O_DIRECT + fdatasync,
# acknowledging each on the console, until the host kills the VM
# (tests/boot/cases.sh, blk_durable*). Linux sends a FLUSH for fdatasync only
# when the disk says it has a volatile cache: the host checks "write back".
echo "MINIVMM-GUEST: vda write_cache $(cat /sys/block/vda/queue/write_cache)"
exec /bin/durable write /dev/vda "$(minivmm-arg nonce 0)"
