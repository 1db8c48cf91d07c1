#!/bin/sh
# arm64 boot tests: the cross-built minivmm (make aarch64) boots the arm64
# Linux guest on the KVM of an arm64 Linux that qemu-system-aarch64 runs
# under TCG with an emulated EL2 (-M virt,virtualization=on): one level
# down, on any x86_64 machine, /dev/kvm or not. The same kernel is layer
# and guest (guests/linux/build-kernel-arm64.sh, cached like the x86 one).
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
kdir=$("$root/guests/linux/build-kernel-arm64.sh") || {
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
stage=$work/layer
rm -rf "$stage"
mkdir -p "$stage/bin" "$stage/guest" "$stage/tests" "$stage/dev" "$stage/proc" "$stage/sys" "$stage/tmp"
cp "$guest/busybox" "$stage/bin/busybox"
# The arm64 busybox cannot run here to list its applets; the host's
# busybox-static is the same Debian source and configuration.
for a in $(/bin/busybox --list); do
	[ -e "$stage/bin/$a" ] || ln -s busybox "$stage/bin/$a"
done
cp "$bin" "$stage/bin/minivmm"
cp "$mktap" "$stage/bin/mktap"
cp "$kdir/Image" "$guest/initrd.cpio.gz" "$guest/rootfs.ext4" "$stage/guest/"
cat "$root/tests/boot/cases.sh" "$root/tests/arm64/cases.sh" >"$stage/tests/cases.sh"
cp "$root/tests/arm64/layer-init" "$stage/init"
(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -1 >"$work/layer.cpio.gz"

log=$work/console.log
limit=${LAYER_TIMEOUT:-$((240 + 90 * $(echo $cases | wc -w)))}
t0=$(date +%s)
# pauth-impdef=on: QEMU's default (architected) pointer authentication is
# emulated slowly; the implementation-defined one made boots about 4x faster.
timeout -k 5 "$limit" qemu-system-aarch64 -M virt,virtualization=on,gic-version=3 \
	-cpu max,pauth-impdef=on -accel tcg -smp 2 -m 2048 -nodefaults -no-user-config \
	-display none -serial stdio -no-reboot -kernel "$kdir/Image" -initrd "$work/layer.cpio.gz" \
	-append "console=ttyAMA0 panic=-1 quiet minivmm.cases=$(echo $cases | tr ' ' ,)" \
	</dev/null >"$log" 2>&1
qrc=$?
echo "arm64 boot tests: middle layer ran $(($(date +%s) - t0)) s (qemu exit $qrc)"
[ "$qrc" -eq 124 ] && echo "arm64 boot tests: middle layer hit its ${limit}s timeout"
grep -aE '^MINIVMM-LAYER' "$log" | tr -d '\r'
record_results arm64 "$log" $cases
run_dir_done $?
