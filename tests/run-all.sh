#!/bin/sh
# Every test of minivmm, in tiers: unit (and ASan/UBSan, and ThreadSanitizer
# for the threaded ones: tests/tsan/run.sh), fuzz smoke, CLI,
# library packaging, the aarch64 cross-compile of the arch boundary, test
# guest, Linux boot, arm64 Linux boot. Ends with "N passed, N failed";
# non-zero on any failure. Called by `make check` after the binaries are built.
#
# Each run has a scratch directory of its own, build/run.XXXXXX (exported as
# MINIVMM_RUN_DIR): every tier keeps its files, guest copies, TAP helper and
# network namespace there, so runs at the same time in one checkout cannot
# see each other's. The run's log is its test.log, copied to build/test.log
# when the run ends (so that file holds the run that ended last). The
# directory is removed after a run without failures, kept and named after
# one with failures (or always with MINIVMM_KEEP=1).
# MINIVMM_TIERS: the tiers to run, default "unit asan tsan fuzz cli lib api cross guest boot arm64".
#
# The Linux boot tier runs beside the others: one level down it keeps one
# CPU busy for minutes with a single emulated vCPU's work, while the other
# tiers mostly need the second one. Its output is printed, whole, after
# theirs. The arm64 boot tier (also a layer under TCG) runs beside them the
# same way. MINIVMM_SERIAL=1 runs both after the others instead.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
. tests/lib.sh
all_tiers="unit asan tsan fuzz cli lib api cross guest boot arm64"
tiers=${MINIVMM_TIERS:-$all_tiers}
for t in $tiers; do
	case " $all_tiers " in
	*" $t "*) ;;
	*) echo "run-all: unknown tier '$t' in MINIVMM_TIERS (known: $all_tiers)" >&2; exit 2 ;;
	esac
done
tier() { case " $tiers " in *" $1 "*) return 0 ;; esac; return 1; }

# beside_start TIER TITLE SCRIPT: starts a layer tier beside the others,
# its output kept for beside_end; its pid goes to TIER_pid.
beside_start() {
	eval "${1}_pid="
	tier "$1" && [ "${MINIVMM_SERIAL:-0}" != 1 ] || return 0
	echo "== $2: started beside the other tiers, printed after them"
	"$3" >"$MINIVMM_RUN_DIR/$1.out" 2>&1 &
	eval "${1}_pid=$!"
}

# beside_end TIER TITLE SCRIPT: waits for it and prints its output, or
# runs it now when it was not started beside (MINIVMM_SERIAL=1).
beside_end() {
	eval "_pid=\$${1}_pid"
	if [ -n "$_pid" ]; then
		t_wait=$(date +%s)
		wait "$_pid"
		echo "== $2 (waited $(($(date +%s) - t_wait)) s for it after the other tiers)"
		cat "$MINIVMM_RUN_DIR/$1.out"
	elif tier "$1"; then
		echo "== $2"
		"$3"
	fi
}

MINIVMM_RUN_DIR=
run_dir 2>/dev/null
MINIVMM_RESULTS=$MINIVMM_RUN_DIR/results
: >"$MINIVMM_RESULTS"
export MINIVMM_RESULTS
log=$MINIVMM_RUN_DIR/test.log
start=$(date +%s)
{
	echo "== minivmm test run $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -r)"
	echo "== host KVM: $(tests/host-kvm-kind.sh)"
	echo "== scratch directory: $MINIVMM_RUN_DIR"
	[ "$tiers" = "$all_tiers" ] || echo "== tiers: $tiers (MINIVMM_TIERS)"
	beside_start boot "Linux boot" tests/boot/run.sh
	beside_start arm64 "arm64 Linux boot" tests/arm64/run.sh
	if tier unit; then
		echo "== unit tests"
		tests/run-unit.sh unit build/unit/test_*
	fi
	if tier asan; then
		echo "== unit tests under ASan/UBSan"
		tests/run-unit.sh asan build/unit-asan/test_*
	fi
	if tier tsan; then
		echo "== threaded unit tests and lifecycle API cases under ThreadSanitizer"
		tests/tsan/run.sh
	fi
	if tier fuzz; then
		echo "== fuzz smoke (${FUZZ_SECONDS:-10} s each)"
		tests/run-fuzz.sh "${FUZZ_SECONDS:-10}" build/fuzzers/*
	fi
	if tier cli; then
		echo "== command line"
		tests/cli/run.sh
	fi
	if tier lib; then
		echo "== library packaging (make install, pkg-config, exported symbols)"
		tests/lib/run.sh
	fi
	if tier api; then
		echo "== lifecycle API (several VMs, cycles, pause/resume, exit fd, shutdown)"
		tests/api/run.sh
	fi
	if tier cross; then
		echo "== arch boundary (everything outside arch/x86_64/ compiles for aarch64)"
		tests/cross/run.sh
	fi
	if tier guest; then
		echo "== test guest (freestanding, drives virtio-blk from CPL3)"
		tests/guest/run.sh
	fi
	beside_end boot "Linux boot" tests/boot/run.sh
	beside_end arm64 "arm64 Linux boot" tests/arm64/run.sh
	passed=$(awk '{ s += $1 } END { print s + 0 }' "$MINIVMM_RESULTS")
	failed=$(awk '{ s += $2 } END { print s + 0 }' "$MINIVMM_RESULTS")
	[ "$failed" -eq 0 ] ||
		echo "== failed: $(awk '$2 > 0 { printf "%s%s", s, $3; s = " " }' "$MINIVMM_RESULTS")"
	if [ -f "$MINIVMM_RUN_DIR/layer-boots" ]; then
		echo "== middle layer boots: $(wc -l <"$MINIVMM_RUN_DIR/layer-boots"), hung and" \
			"retried: $(grep -c '^hung$' "$MINIVMM_RUN_DIR/layer-boots"), unusable nested" \
			"KVM and retried: $(grep -c '^unusable$' "$MINIVMM_RUN_DIR/layer-boots")"
	fi
	echo "== $(($(date +%s) - start)) s"
	[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ] && [ "${MINIVMM_KEEP:-0}" != 1 ] ||
		echo "== scratch directory kept: $MINIVMM_RUN_DIR"
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
} 2>&1 | tee "$log"
# The pipeline's status is tee's; read the verdict back from the log.
tail -n 1 "$log" | grep -q ' passed, 0 failed$'
ok=$?
# A rename, so a reader of build/test.log never sees half of it.
cp "$log" "$root/build/test.log.$$" && mv -f "$root/build/test.log.$$" "$root/build/test.log"
if [ "$ok" -eq 0 ] && [ "${MINIVMM_KEEP:-0}" != 1 ]; then
	rm -rf "$MINIVMM_RUN_DIR" 2>/dev/null ||
		echo "run-all: could not remove all of $MINIVMM_RUN_DIR (a mount left behind?)" >&2
fi
exit "$ok"
