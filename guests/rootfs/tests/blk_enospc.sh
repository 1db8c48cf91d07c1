#!/bin/sh
# The host backs this disk with a file on a full filesystem: writes must
# fail with I/O errors in the guest, and the VM must keep running.
dev=/dev/$(minivmm-arg dev vda)
if dd if=/dev/urandom of="$dev" bs=64k count=256 conv=fsync 2>/dev/null; then
	echo "MINIVMM-GUEST: enospc write succeeded"
else
	echo "MINIVMM-GUEST: enospc write failed"
fi
echo "MINIVMM-GUEST: io errors in dmesg $(dmesg | grep -c 'I/O error')"
echo "MINIVMM-GUEST: still alive"
