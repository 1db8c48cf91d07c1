#!/bin/sh
# Runs each libFuzzer binary for SECONDS with a corpus kept under build/
# (also reading the seeds in tests/fuzz/corpus/<target>/ if there are any),
# prints its exec count and records pass/fail for run-all.sh.
# Usage: run-fuzz.sh SECONDS BIN...
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/tests/lib.sh"
secs=$1
shift
status=0
for bin in "$@"; do
	name=$(basename "$bin")
	corpus=$root/build/fuzz-corpus/$name
	seeds=$root/tests/fuzz/corpus/$name
	[ -d "$seeds" ] || seeds=
	mkdir -p "$corpus"
	# shellcheck disable=SC2086 # no seeds: no argument
	out=$("$bin" -max_total_time="$secs" -print_final_stats=1 "$corpus" $seeds 2>&1)
	rc=$?
	execs=$(printf '%s\n' "$out" | sed -n 's/^stat::number_of_executed_units: *//p' | tail -n 1)
	if [ "$rc" -eq 0 ]; then
		record PASS "fuzz/$name" "${execs:-?} execs in ${secs}s"
	else
		printf '%s\n' "$out" | tail -n 40
		record FAIL "fuzz/$name" "exit $rc after ${execs:-?} execs"
		status=1
	fi
done
exit $status
