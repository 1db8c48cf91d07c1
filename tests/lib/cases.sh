# shellcheck shell=sh
# The lib tier's example runs, sourced after tests/boot/cases.sh (run_cases,
# fail, expect_rc, expect_line) by tests/lib/run.sh: directly on a host with
# /dev/kvm, or in the boot harness's middle layer without one (busybox sh).
# The examples run as a third party runs them, against the staged install:
# EXAMPLE_EMBED is examples/embed.c built through pkg-config against the
# installed libminivmm.so (found through LD_LIBRARY_PATH=$STAGE_LIB),
# EXAMPLE_CTL is examples/ctl.sh with the installed minivmm and minivmm-ctl
# ($STAGE_BIN) first on PATH. Both boot TESTGUEST (the test guest) on a
# 64 MiB disk in WORK, busy until it is stopped. A passing case prints what
# it saw as a MINIVMM-LIB line.
LIB_CASES="example_embed example_ctl"
# Each example ends in under a second directly, seconds one level down; one
# that hangs (a stop that never returns) is SIGKILLed after LIB_BOUND and
# fails as hung (expect_rc: status 137) instead of holding up the tier.
LIB_BOUND=${LIB_BOUND:-60}
EXAMPLE_APPEND="testguest.bench=1 testguest.ops=1000000"

case_example_embed() {
	log=$WORK/$case_name.log
	truncate -s 64M "$WORK/example-embed.img"
	LD_LIBRARY_PATH=$STAGE_LIB timeout -s KILL "$LIB_BOUND" "$EXAMPLE_EMBED" "$TESTGUEST" \
		"$WORK/example-embed.img" \
		"$EXAMPLE_APPEND" </dev/null >"$log" 2>&1
	rc=$?
	# Live counters that moved, a pause that held, and the ignored request's end.
	expect_rc 0 &&
		expect_line '^live: running, .* vda: [1-9][0-9]* requests' &&
		expect_line '^held: paused, ' &&
		expect_line '^resumed$' &&
		expect_line '^exit: stopped, status 121, .*did not shut down within 500 ms' || return 1
	echo "MINIVMM-LIB: $case_name: $(grep '^exit:' "$log")"
}

case_example_ctl() {
	log=$WORK/$case_name.log
	# The installed programs are the ones ctl.sh finds (in the middle layer
	# a static minivmm is on PATH too, as /bin/minivmm).
	for _p in minivmm minivmm-ctl; do
		_found=$(PATH=$STAGE_BIN:$PATH && command -v "$_p")
		[ "$_found" = "$STAGE_BIN/$_p" ] ||
			{ fail "PATH finds $_p at '$_found', not the installed $STAGE_BIN/$_p"; return 1; }
	done
	truncate -s 64M "$WORK/example-ctl.img"
	PATH=$STAGE_BIN:$PATH timeout -s KILL "$LIB_BOUND" "$EXAMPLE_CTL" "$TESTGUEST" \
		"$WORK/example-ctl.img" \
		"$EXAMPLE_APPEND" </dev/null >"$log" 2>&1
	rc=$?
	expect_rc 0 && expect_line '^{"ok":true,"op":"pause"}$' || return 1
	echo "MINIVMM-LIB: $case_name: info, stats, pause, resume, stop through the installed minivmm-ctl"
}
