#!/bin/sh
# Linux boot tests. Picks the level by probing the host: directly on a KVM
# that runs ring-0 guest code natively, otherwise one level down inside a
# Linux with KVM that QEMU runs under software emulation (TCG). Prints which,
# records each case in $MINIVMM_RESULTS, and fails on any failure.
# Env: BOOT_CASES="a b" to run a subset; LAYER_TIMEOUT (s) for the middle layer;
# NET_MB, NET_STREAM_*, NET_IPERF_* as in cases.sh.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/tests/lib.sh"
build=$root/build
run_dir
guest=$MINIVMM_RUN_DIR/guest
work=$MINIVMM_RUN_DIR/boot
mkdir -p "$guest" "$work"

kind=$("$root/tests/host-kvm-kind.sh")
case $kind in
hardware) level=direct ;;
*) level="nested (Linux with KVM under QEMU TCG)" ;;
esac
echo "boot tests: host KVM: $kind; level: $level"

. "$root/tests/boot/layer.sh"
guest_prepare || {
	record FAIL boot/guest "guest kernel or rootfs build failed"
	exit 1
}
echo "boot tests: guest kernel $(cat "$kdir/version") from $kdir"

# The TAP helper for the virtio-net cases (busybox ip has no tuntap);
# layer_build takes $MKTAP along.
MKTAP=$MINIVMM_RUN_DIR/mktap
cc -std=c11 -D_GNU_SOURCE -O2 -static -o "$MKTAP" "$root/tests/boot/mktap.c" || {
	record FAIL boot/mktap "cannot build tests/boot/mktap.c"
	exit 1
}

cases=${BOOT_CASES:-$(sh -c ". '$root/tests/boot/cases.sh'; echo \$ALL_CASES")}
# The kill trials' helper (guests/rootfs/durable.c), for this side of the
# test; the guest's copy is in its rootfs. A case that kills minivmm gets the
# layer a scratch disk of its own to keep its images on (tests/boot/cases.sh).
DURABLE=$MINIVMM_RUN_DIR/durable
cc -std=c11 -D_GNU_SOURCE -O2 -static -o "$DURABLE" "$root/guests/rootfs/durable.c" || {
	record FAIL boot/durable "cannot build guests/rootfs/durable.c"
	exit 1
}
extra=
case " $cases " in
*durable*)
	rm -f "$work/scratch.img"
	truncate -s 64M "$work/scratch.img"
	mke2fs -q -t ext4 -O ^has_journal -b 4096 -L minivmm-scratch \
		-E lazy_itable_init=0 "$work/scratch.img" || exit 1
	LAYER_DISK=$work/scratch.img
	export LAYER_DISK
	[ -n "${DURABLE_TRIALS:-}" ] && extra=" minivmm.trials=$DURABLE_TRIALS"
	;;
esac
log=$work/console.log

if [ "$level" = direct ]; then
	# The cases' network namespace lives in $work; net_down drops it.
	(MINIVMM=$build/minivmm GUEST=$guest WORK=$work NETPAT=$guest/netpat
	 export MINIVMM GUEST WORK MKTAP NETPAT DURABLE
	 . "$root/tests/boot/cases.sh"
	 run_cases $cases
	 net_down) >"$log" 2>&1
else
	# Settings given here reach the layer in front of the cases.
	{ for v in NET_MB NET_STREAM_MB NET_STREAM_TIMEOUT NET_IPERF_SECS NET_IPERF_TIMEOUT DURABLE_TRIALS; do
		eval "[ -n \"\${$v:-}\" ] && echo \"$v=\$$v\""
	  done
	  cat "$root/tests/boot/cases.sh"; } >"$work/cases-layer.sh"
	layer_build "$work/layer" "$work/layer.cpio.gz" "$work/cases-layer.sh"
	qv=$(layer_qemu_version) || {
		record FAIL boot/layer-qemu "no emulator for the middle layer (tests/boot/layer-qemu.sh)"
		exit 1
	}
	echo "boot tests: middle layer emulator $qv"
	budget=$(sh -c ". '$work/cases-layer.sh'; t=240
		for c in $cases; do t=\$((t + \$(case_budget \$c))); done; echo \$t")
	limit=${LAYER_TIMEOUT:-$budget}
	t0=$(date +%s)
	layer_run_tries "$kdir/bzImage" "$work/layer.cpio.gz" "$limit" \
		"minivmm.cases=$(echo $cases | tr ' ' ,) minivmm.lanes=2$extra" "$log"
	qrc=$?
	echo "boot tests: middle layer ran $(($(date +%s) - t0)) s (qemu exit $qrc)"
	[ "$qrc" -eq 124 ] && echo "boot tests: middle layer hit its ${limit}s timeout"
fi

grep -E '^MINIVMM-(LAYER|NET|DURABLE)' "$log" | tr -d '\r'
record_results boot "$log" $cases
run_dir_done $?
