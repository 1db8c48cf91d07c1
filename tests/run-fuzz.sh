#!/bin/sh
# Runs each libFuzzer binary for SECONDS with a corpus kept under build/
# (and the seeds in tests/fuzz/corpus/NAME when there are some),
# prints its exec count and records pass/fail for run-all.sh.
# The kept corpus is only read; the inputs a run finds go to its own
# scratch directory (with any crash artifact) and are moved into the kept
# corpus afterwards by rename (files are named by their content), so runs
# at the same time never see half a file.
# Usage: run-fuzz.sh SECONDS BIN...
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/tests/lib.sh"
run_dir
secs=$1
shift
status=0
for bin in "$@"; do
	name=$(basename "$bin")
	corpus=$root/build/fuzz-corpus/$name
	new=$MINIVMM_RUN_DIR/fuzz/$name
	mkdir -p "$corpus" "$new/corpus"
	# Seeds committed under tests/fuzz/corpus/NAME are read, never written.
	seeds=$root/tests/fuzz/corpus/$name
	[ -d "$seeds" ] || seeds=
	out=$("$bin" -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$new/" \
		"$new/corpus/" "$corpus" ${seeds:+"$seeds"} 2>&1)
	rc=$?
	for f in "$new"/corpus/*; do
		[ -f "$f" ] && mv -f "$f" "$corpus/"
	done
	execs=$(printf '%s\n' "$out" | sed -n 's/^stat::number_of_executed_units: *//p' | tail -n 1)
	if [ "$rc" -eq 0 ]; then
		record PASS "fuzz/$name" "${execs:-?} execs in ${secs}s"
	else
		printf '%s\n' "$out" | tail -n 40
		record FAIL "fuzz/$name" "exit $rc after ${execs:-?} execs"
		status=1
	fi
done
run_dir_done $status
