#!/bin/sh
# Every test of minivmm, in tiers: unit (and ASan/UBSan), fuzz smoke, CLI,
# library packaging, Linux boot. Ends with "N passed, N failed"; non-zero on any failure.
# Called by `make check` after the binaries are built. Log: build/test.log.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
MINIVMM_RESULTS=$(mktemp)
export MINIVMM_RESULTS
trap 'rm -f "$MINIVMM_RESULTS"' EXIT
start=$(date +%s)
{
	echo "== minivmm test run $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -r)"
	echo "== host KVM: $(tests/host-kvm-kind.sh)"
	echo "== unit tests"
	tests/run-unit.sh unit build/unit/test_*
	echo "== unit tests under ASan/UBSan"
	tests/run-unit.sh asan build/unit-asan/test_*
	echo "== fuzz smoke (${FUZZ_SECONDS:-30} s each)"
	tests/run-fuzz.sh "${FUZZ_SECONDS:-30}" build/fuzzers/*
	echo "== command line"
	tests/cli/run.sh
	echo "== library packaging (make install, pkg-config, exported symbols)"
	tests/lib/run.sh
	echo "== test guest (freestanding, drives virtio-blk from CPL3)"
	tests/guest/run.sh
	echo "== Linux boot"
	tests/boot/run.sh
	passed=$(awk '{ s += $1 } END { print s + 0 }' "$MINIVMM_RESULTS")
	failed=$(awk '{ s += $2 } END { print s + 0 }' "$MINIVMM_RESULTS")
	echo "== $(($(date +%s) - start)) s"
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
} 2>&1 | tee build/test.log
# The pipeline's status is tee's; read the verdict back from the log.
tail -n 1 build/test.log | grep -q ' passed, 0 failed$'
