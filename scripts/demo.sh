#!/bin/sh
# Builds the guest kernel and rootfs and boots the demo guest under minivmm:
# directly on a host whose KVM runs ring-0 code natively, otherwise one
# level down in the boot harness's middle layer (and says so).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
# A scratch directory of the demo's own (as each test run has).
mkdir -p "$root/build"
MINIVMM_RUN_DIR=$(mktemp -d "$root/build/demo.XXXXXX")
export MINIVMM_RUN_DIR
trap 'rm -rf "$MINIVMM_RUN_DIR"' EXIT
out=$(BOOT_CASES=demo "$root/tests/boot/run.sh") && rc=0 || rc=$?
printf '%s\n' "$out" | grep -E '^boot tests:'
sed -n '/^MINIVMM-DEMO-BEGIN/,/^MINIVMM-DEMO-END/p' "$MINIVMM_RUN_DIR/boot/console.log" |
	sed '1d;$d'
printf '%s\n' "$out" | grep -E '^(PASS|FAIL)' | sed 's/boot\/demo/demo/'
exit $rc
