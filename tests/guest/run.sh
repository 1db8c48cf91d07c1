#!/bin/sh
# Tier 2: the freestanding test guest under minivmm. Its ring-0 part is a
# handful of instructions and its work runs at CPL3, so it runs directly on
# any /dev/kvm here, including the paravirtual one that emulates ring 0;
# without /dev/kvm it runs one level down in the boot harness's middle layer.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/tests/lib.sh"
build=$root/build
run_dir
work=$MINIVMM_RUN_DIR/guest-test
mkdir -p "$work"
kind=$("$root/tests/host-kvm-kind.sh")
cases=${GUEST_TEST_CASES:-$(sh -c ". '$root/tests/guest/cases.sh'; echo \$GUEST_CASES")}
# The disk cases once more per I/O engine: CASE[ENGINE] (GUEST_TEST_ENGINE_CASES= skips them).
engines=$(sh -c ". '$root/tests/guest/cases.sh'; echo \$GUEST_ENGINES")
engine_cases=${GUEST_TEST_ENGINE_CASES-$(sh -c ". '$root/tests/guest/cases.sh'; echo \$GUEST_ENGINE_CASES")}
engine_results=
for e in $engines; do
	for c in $engine_cases; do
		engine_results="$engine_results $c[$e]"
	done
done
log=$work/console.log
if [ "$kind" != none ]; then
	echo "test guest: host KVM: $kind; level: direct"
	(MINIVMM=$build/minivmm TESTGUEST=$build/testguest/testguest.elf WORK=$work
	 NETPEER=$build/bench-bin/bench_net
	 export MINIVMM TESTGUEST WORK NETPEER
	 . "$root/tests/boot/cases.sh"
	 . "$root/tests/guest/cases.sh"
	 run_cases $cases
	 for e in $engines; do
		run_engine_cases "$e" $engine_cases
	 done) >"$log" 2>&1
else
	echo "test guest: host KVM: none; level: nested (Linux with KVM under QEMU TCG)"
	# The layer runs cases by name only: the engine pass is for direct runs.
	engine_results=
	guest=$MINIVMM_RUN_DIR/guest
	. "$root/tests/boot/layer.sh"
	mkdir -p "$work/extra/guest" "$work/extra/tests" "$work/extra/bin"
	cp "$build/testguest/testguest.elf" "$work/extra/guest/"
	# The layer's initramfs has no shared libraries for the network peer.
	cc -std=c11 -D_GNU_SOURCE -O2 -I"$root" -static -o "$work/extra/bin/bench_net" \
		"$root/tests/bench/bench_net.c" || {
		record FAIL guest/net-peer "static build of tests/bench/bench_net.c failed"
		exit 1
	}
	# TG_SCALE: the test guest's bounds, 4 times as long one level down.
	{ cat "$root/tests/lib.sh" "$root/tests/boot/cases.sh"
	  echo 'TG_SCALE=${TG_SCALE:-4}'
	  cat "$root/tests/guest/cases.sh"; } >"$work/cases.sh"
	printf 'TESTGUEST=/guest/testguest.elf\nNETPEER=/bin/bench_net\nexport TESTGUEST NETPEER\n' \
		>>"$work/cases.sh"
	layer_cases guest "$work/cases.sh" "$work/extra" 90 "$log" $cases || exit 1
fi
record_results guest "$log" $cases $engine_results
run_dir_done $?
