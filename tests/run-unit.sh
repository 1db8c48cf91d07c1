#!/bin/sh
# Run Check unit-test binaries; print each program's Check summary and record
# per-check pass/fail counts in $MINIVMM_RESULTS (when set) for run-all.sh.
# Usage: run-unit.sh LABEL BIN...
# UNIT_RUNNER, when set, runs each BIN (tests/cross/run.sh: qemu-aarch64-static).
set -u
label=$1
shift
status=0
# Check's per-test timeout is a guard against a hang, not a speed limit: its
# default of 4 s failed tests under ASan or qemu-user on a busy machine.
CK_DEFAULT_TIMEOUT=${CK_DEFAULT_TIMEOUT:-120}
export CK_DEFAULT_TIMEOUT
for bin in "$@"; do
	out=$(CK_FORK=yes ${UNIT_RUNNER:-} "$bin" 2>&1)
	rc=$?
	line=$(printf '%s\n' "$out" | grep -E '^[0-9]+%: Checks: ' | tail -n 1)
	name=$(basename "$bin")
	if [ -z "$line" ]; then
		printf '%s\n' "$out"
		echo "FAIL $label/$name: no Check summary (exit $rc)"
		[ -n "${MINIVMM_RESULTS:-}" ] && echo "0 1 $label/$name" >>"$MINIVMM_RESULTS"
		status=1
		continue
	fi
	n=$(echo "$line" | sed -E 's/.*Checks: ([0-9]+).*/\1/')
	f=$(echo "$line" | sed -E 's/.*Failures: ([0-9]+).*/\1/')
	e=$(echo "$line" | sed -E 's/.*Errors: ([0-9]+).*/\1/')
	bad=$((f + e))
	# A sanitizer report fails the program even where its exit status does
	# not show it: a child that ends by exit_group skips TSan's exit hook.
	if printf '%s\n' "$out" | grep -q '^WARNING: ThreadSanitizer:'; then
		echo "$label/$name: ThreadSanitizer reported a race (its report below)"
		[ "$bad" -gt 0 ] || bad=1
	fi
	if [ "$rc" -ne 0 ] || [ "$bad" -ne 0 ]; then
		printf '%s\n' "$out" | grep -vE ':P:' | head -n 60
		status=1
	fi
	echo "$label/$name: $line"
	[ -n "${MINIVMM_RESULTS:-}" ] && echo "$((n - bad)) $bad $label/$name" >>"$MINIVMM_RESULTS"
done
exit $status
