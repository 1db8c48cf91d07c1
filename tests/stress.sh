#!/bin/sh
# make check-stress (not part of make check): the whole suite, tests/run-all.sh,
# CHECK_STRESS_N times (default 5) while two CPU hogs run beside it, then as
# many times on a quiet machine. A test that holds only when it gets the CPU
# at the right moment shows up here. Prints each run's result (its closing
# "N passed, N failed" line), the middle layer's retries for an unusable
# nested KVM ("middle layer: layer retry N" lines) and its wall time, then
# the tests that failed, by name, with how often in each phase.
# MINIVMM_TIERS (see run-all.sh) restricts every run to some tiers.
# Logs: build/stress.XXXXXX/{loaded,quiet}-I.log and summary.txt.
# Exits non-zero if any run failed or gave no result.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
n=${CHECK_STRESS_N:-5}
case $n in '' | *[!0-9]* | 0) echo "check-stress: CHECK_STRESS_N must be a positive number" >&2; exit 2 ;; esac
mkdir -p build
out=$(mktemp -d "$root/build/stress.XXXXXX") || exit 1

# The hogs are ours: killed by pid on any way out. A signal also stops the
# suite's run in progress: run-all.sh and every process under it, found by
# parent pid (QEMU under timeout(1) is in a process group of its own, so a
# group kill or Ctrl-C would miss it). The tree is stopped (SIGSTOP) while
# it is listed, so that nothing in it starts a process that is missed.
hogs= run_pid=
descendants() {
	for _c in $(pgrep -P "$1"); do
		echo "$_c"
		descendants "$_c"
	done
}
kill_tree() {
	kill -STOP "$1" 2>/dev/null
	_all=
	for _pass in 1 2 3; do
		_new=$(descendants "$1")
		kill -STOP $_new 2>/dev/null
		_all="$_all $_new"
	done
	kill -TERM "$1" $_all 2>/dev/null
	kill -CONT "$1" $_all 2>/dev/null
}
stop_hogs() {
	for p in $hogs; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	hogs=
}
stop_all() {
	stop_hogs
	[ -n "$run_pid" ] && kill_tree "$run_pid"
	echo "check-stress: stopped; logs in $out" >&2
}
trap stop_hogs EXIT
trap 'stop_all; exit 130' INT
trap 'stop_all; exit 143' TERM HUP

# parse_run LOG: "passed failed retries" of one run's log; passed and
# failed are "-" when the run has no closing line.
parse_run() {
	awk '/^[0-9]+ passed, [0-9]+ failed$/ { p = $1; f = $3 }
	     /^middle layer: layer retry [0-9]+/ { r++ }
	     END { printf "%s %s %d\n", (p == "" ? "-" : p), (f == "" ? "-" : f), r }' "$1"
}

# run_phase NAME: N runs of the suite; one line each, and a record per run
# in $out/runs ("phase i passed failed retries seconds") and
# $out/failures ("phase name" per failed test).
run_phase() {
	phase=$1
	i=1
	while [ "$i" -le "$n" ]; do
		log=$out/$phase-$i.log
		t0=$(date +%s)
		# In the background, so that a signal's trap runs at once.
		tests/run-all.sh >"$log" 2>&1 &
		run_pid=$!
		wait "$run_pid"
		rc=$?
		run_pid=
		secs=$(($(date +%s) - t0))
		read -r passed failed retries <<EOR
$(parse_run "$log")
EOR
		echo "$phase $i $passed $failed $retries $secs $rc" >>"$out/runs"
		sed -n 's/^== failed: //p' "$log" | tr ' ' '\n' | sed "/^\$/d; s/^/$phase /" >>"$out/failures"
		printf 'check-stress: %s run %d/%d: %s passed, %s failed, %d layer retries, %d s (exit %d; %s)\n' \
			"$phase" "$i" "$n" "$passed" "$failed" "$retries" "$secs" "$rc" "$log"
		i=$((i + 1))
	done
}

: >"$out/runs"
: >"$out/failures"
echo "check-stress: $n runs beside two CPU hogs, then $n quiet${MINIVMM_TIERS:+ (tiers: $MINIVMM_TIERS)}; logs in $out"
sh -c 'while :; do :; done' &
hogs="$hogs $!"
sh -c 'while :; do :; done' &
hogs="$hogs $!"
run_phase loaded
stop_hogs
run_phase quiet

{
	echo "check-stress summary ($n + $n runs${MINIVMM_TIERS:+, tiers: $MINIVMM_TIERS})"
	awk '{ k = $1; runs[k]++; if ($3 == "-") nores[k]++; else { pass[k] += $3; fail[k] += $4; if ($4 > 0) bad[k]++ }
	       retry[k] += $5; t[k, runs[k]] = $6; tot[k] += $6 }
	     END {
		for (pi = 1; pi <= 2; pi++) {
			k = pi == 1 ? "loaded" : "quiet"
			if (!runs[k]) continue
			lo = hi = t[k, 1]
			for (i = 2; i <= runs[k]; i++) { if (t[k, i] < lo) lo = t[k, i]; if (t[k, i] > hi) hi = t[k, i] }
			printf "%-6s runs %d: %d with failures, %d without a result; %d passed, %d failed in all; %d layer retries; wall %d s (min %d, max %d, mean %.0f)\n",
				k, runs[k], bad[k], nores[k], pass[k], fail[k], retry[k], tot[k], lo, hi, tot[k] / runs[k]
		}
	     }' "$out/runs"
	if [ -s "$out/failures" ]; then
		echo "failed tests (runs failed out of $n, loaded / quiet):"
		awk '{ c[$2, $1]++; names[$2] = 1 }
		     END { for (t in names) printf "  %-44s %d / %d\n", t, c[t, "loaded"], c[t, "quiet"] }' \
			"$out/failures" | sort
	else
		echo "failed tests: none"
	fi
} | tee "$out/summary.txt"
# Any failure, or a run that left no closing line, fails the target.
awk '$3 == "-" || $4 > 0 || $7 != 0 { bad = 1 } END { exit bad }' "$out/runs"
