#!/bin/sh
# arm64 boot tests: the cross-built minivmm (make aarch64) boots the arm64
# Linux guest on the KVM of an arm64 Linux that qemu-system-aarch64 runs
# under TCG with an emulated EL2 (-M virt,virtualization=on): one level
# down, on any x86_64 machine, /dev/kvm or not. The same kernel is layer
# and guest (guests/linux/build-kernel.sh arm64, cached like the x86 one).
# Records each case in $MINIVMM_RESULTS; fails on any failure.
# Env: ARM64_CASES="a b" for a subset; LAYER_TIMEOUT (s) for the layer.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/tests/lib.sh"
run_dir
guest=$MINIVMM_RUN_DIR/arm64-guest
work=$MINIVMM_RUN_DIR/arm64
mkdir -p "$guest" "$work"
bin=$root/build-aarch64/minivmm
echo "arm64 boot tests: one level down (arm64 Linux with KVM under qemu-system-aarch64 TCG, emulated EL2)"

[ -x "$bin" ] || {
	record FAIL arm64/minivmm "no $bin: make check builds it (make aarch64)"
	exit 1
}
kdir=$("$root/guests/linux/build-kernel.sh" arm64) || {
	record FAIL arm64/kernel "arm64 guest kernel build failed"
	exit 1
}
echo "arm64 boot tests: guest kernel $(cat "$kdir/version") from $kdir"
"$root/guests/rootfs/build-rootfs-arm64.sh" "$guest" >/dev/null || {
	record FAIL arm64/rootfs "arm64 guest rootfs build failed"
	exit 1
}
mktap=$work/mktap
aarch64-linux-gnu-gcc -std=c11 -D_GNU_SOURCE -O2 -static -o "$mktap" "$root/tests/boot/mktap.c" || {
	record FAIL arm64/mktap "cannot cross-build tests/boot/mktap.c"
	exit 1
}

cases=${ARM64_CASES:-$(sh -c ". '$root/tests/boot/cases.sh'; . '$root/tests/arm64/cases.sh'; echo \$ARM64_CASES")}
. "$root/tests/arm64/layer.sh"
. "$root/tests/boot/layer.sh" # layer_run_tries
cases_file=$work/cases.sh
cat "$root/tests/boot/cases.sh" "$root/tests/arm64/cases.sh" >"$cases_file"
extra=$work/extra
mkdir -p "$extra/bin"
cp "$mktap" "$extra/bin/mktap"
a64_layer_build "$work/layer" "$work/layer.cpio.gz" "$cases_file" "$guest" "$kdir" "$extra"

log=$work/console.log
limit=${LAYER_TIMEOUT:-$((240 + 90 * $(echo $cases | wc -w)))}
t0=$(date +%s)
# A layer that hangs (its heartbeat stops) is booted again, as the x86 one is.
layer_run_tries "$kdir/Image" "$work/layer.cpio.gz" "$limit" \
	"minivmm.cases=$(echo $cases | tr ' ' ,)" "$log" a64_layer_run
qrc=$?
echo "arm64 boot tests: middle layer ran $(($(date +%s) - t0)) s (qemu exit $qrc)"
[ "$qrc" -eq 124 ] && echo "arm64 boot tests: middle layer hit its ${limit}s timeout"
grep -aE '^MINIVMM-LAYER' "$log" | tr -d '\r'
record_results arm64 "$log" $cases
run_dir_done $?
