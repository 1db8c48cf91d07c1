#!/bin/sh
# Builds the guest kernel and rootfs and boots the demo guest under minivmm:
# directly on a host whose KVM runs ring-0 code natively, otherwise one
# level down in the boot harness's middle layer (and says so).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out=$(BOOT_CASES=demo "$root/tests/boot/run.sh") && rc=0 || rc=$?
printf '%s\n' "$out" | grep -E '^boot tests:'
sed -n '/^MINIVMM-DEMO-BEGIN/,/^MINIVMM-DEMO-END/p' "$root/build/boottest/console.log" |
	sed '1d;$d'
printf '%s\n' "$out" | grep -E '^(PASS|FAIL)' | sed 's/boot\/demo/demo/'
exit $rc
