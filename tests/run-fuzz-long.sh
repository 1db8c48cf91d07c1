#!/bin/sh
# A fuzzing campaign (`make fuzz-long`): runs each libFuzzer binary in turn,
# one process at a time, for FUZZ_EXECS executions (default 10000000) or,
# when FUZZ_MINUTES is set, for that many minutes. The corpus is kept under
# build/fuzz-corpus/<target>/ (seeded from tests/fuzz/corpus/<target>/ when
# that exists) and minimised after the run: -merge=1 into a fresh directory,
# which then replaces the old one. Per target it prints executions, exec/s,
# coverage (cov: and ft: of the last status line), corpus size and any crash
# with its file under build/fuzz-artifacts/<target>/; a crash, timeout or
# leak fails the target, the others still run, and the exit status is 1.
# Full libFuzzer output: build/fuzz-long/<target>.log. Ends with a table.
# FUZZ_TIMEOUT: seconds one input may take before it counts as a hang (30).
# FUZZ_FLAGS: more libFuzzer flags for every target (e.g. -max_len=4096).
# Usage: run-fuzz-long.sh BIN...
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/tests/lib.sh"
execs=${FUZZ_EXECS:-10000000}
minutes=${FUZZ_MINUTES:-}
timeout=${FUZZ_TIMEOUT:-30}
if [ -n "$minutes" ]; then
	limit="-max_total_time=$((minutes * 60))"
	what="$minutes min"
else
	limit="-runs=$execs"
	what="$execs execs"
fi
logs=$root/build/fuzz-long
mkdir -p "$logs"
table=$(mktemp)
trap 'rm -f "$table"' EXIT
status=0

# final_stat NAME LOG: a -print_final_stats=1 value from LOG, "?" if absent.
final_stat() {
	_v=$(sed -n "s/^stat::$1: *//p" "$2" | tail -n 1)
	echo "${_v:-?}"
}

# cov_ft LOG: "cov ft" of libFuzzer's last status line ("#N ... cov: X ft: Y").
cov_ft() {
	grep -a '^#[0-9].* cov: [0-9]* ft: [0-9]*' "$1" | tail -n 1 |
		sed 's/.* cov: \([0-9]*\) ft: \([0-9]*\).*/\1 \2/'
}

# corpus_size DIR: "files bytes".
corpus_size() {
	echo "$(find "$1" -type f | wc -l) $(find "$1" -type f -exec cat {} + | wc -c)"
}

echo "== fuzz-long: $what per target, one at a time"
for bin in "$@"; do
	name=$(basename "$bin")
	corpus=$root/build/fuzz-corpus/$name
	seeds=$root/tests/fuzz/corpus/$name
	artifacts=$root/build/fuzz-artifacts/$name
	log=$logs/$name.log
	mkdir -p "$corpus" "$artifacts"
	[ -d "$seeds" ] || seeds=
	echo "-- $name: $(corpus_size "$corpus" | awk '{ print $1 }') corpus files${seeds:+, seeds from tests/fuzz/corpus/$name}"
	start=$(date +%s%N)
	# New inputs go to the first directory only; the seeds are just read.
	# shellcheck disable=SC2086 # $limit and $FUZZ_FLAGS are flag lists
	"$bin" $limit -timeout="$timeout" -print_final_stats=1 \
		-artifact_prefix="$artifacts/" ${FUZZ_FLAGS:-} "$corpus" $seeds >"$log" 2>&1
	rc=$?
	ms=$((($(date +%s%N) - start) / 1000000))
	secs=$((ms / 1000))
	n=$(final_stat number_of_executed_units "$log")
	rate=$(final_stat average_exec_per_sec "$log")
	# libFuzzer divides by whole seconds: 0 for a run under one second.
	[ "$rate" = 0 ] && [ "$n" != "?" ] && rate=$((n * 1000 / (ms ? ms : 1)))
	cf=$(cov_ft "$log")
	cov=${cf% *}
	ft=${cf#* }
	crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
	crash=${crash#"$root"/}
	before=$(corpus_size "$corpus" | awk '{ print $1 }')
	# Minimise: the smallest set of inputs with the same features.
	rm -rf "$corpus.new" "$corpus.old"
	mkdir -p "$corpus.new"
	if "$bin" -merge=1 -timeout="$timeout" -artifact_prefix="$artifacts/" \
		"$corpus.new" "$corpus" >"$logs/$name.merge.log" 2>&1; then
		mv "$corpus" "$corpus.old" && mv "$corpus.new" "$corpus" && rm -rf "$corpus.old"
		merged=yes
	else
		rm -rf "$corpus.new"
		merged=no
	fi
	size=$(corpus_size "$corpus")
	files=${size% *}
	bytes=${size#* }
	echo "   ${n} execs in ${secs} s, ${rate} exec/s, cov ${cov:-?} ft ${ft:-?}"
	if [ "$merged" = yes ]; then
		echo "   corpus $before -> $files files ($bytes bytes) after -merge=1"
	else
		echo "   corpus $before files, not minimised: -merge=1 failed (see $logs/$name.merge.log)"
	fi
	if [ "$rc" -eq 0 ]; then
		record PASS "fuzz-long/$name" "$n execs, $rate exec/s, cov ${cov:-?} ft ${ft:-?}"
		result=ok
	else
		grep -a -m 1 -E '^==[0-9]+==ERROR|^SUMMARY|invariant failed|ALARM|out-of-memory' "$log" |
			sed 's/^/   /'
		record FAIL "fuzz-long/$name" "exit $rc after $n execs${crash:+, crash file $crash} (log $log)"
		result=${crash:-"exit $rc"}
		status=1
	fi
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$n" "$secs" "$rate" "${cov:-?}" \
		"${ft:-?}" "$files/$bytes" "$result" >>"$table"
done

echo "== fuzz-long summary ($what per target)"
awk -F '\t' 'BEGIN { f = "%-16s %10s %6s %8s %6s %7s %15s  %s\n"
	printf f, "target", "execs", "secs", "exec/s", "cov", "ft", "corpus files/B", "result" }
	{ printf f, $1, $2, $3, $4, $5, $6, $7, $8 }' "$table"
exit $status
