# Test-guest cases (tier 2): the freestanding test guest drives the real
# minivmm through virtio-mmio, ioeventfd, irqfd and io_uring and checks the
# data it wrote. Sourced after tests/boot/cases.sh, whose helpers it uses.
# Needs MINIVMM, WORK and TESTGUEST (the ELF).

GUEST_CASES="testguest_in_order testguest_no_in_order testguest_in_order_refused
 testguest_no_event_idx testguest_direct_chains testguest_console_input
 testguest_poll testguest_poll_no_event_idx testguest_no_poll"

# tg ARGS...: runs the test guest on a fresh 64 MiB disk (with the --disk
# options in $TG_DISK_OPTS); sets $rc and $log.
tg() {
	log=$WORK/$case_name.log
	dd if=/dev/zero of="$WORK/tg.img" bs=1M count=64 2>/dev/null
	"$MINIVMM" --kernel "$TESTGUEST" --disk "$WORK/tg.img${TG_DISK_OPTS:-}" \
		--timeout "$VM_TIMEOUT" -v "$@" \
		</dev/null >"$log" 2>&1
	rc=$?
}

tg_ok() {
	expect_rc 0 && expect_line "TESTGUEST: running at CPL3 tsc=" &&
		expect_line "TESTGUEST: correctness ok writes=256 reads=256 errors=0 bad_ids=0"
}

case_testguest_in_order() {
	tg --in-order
	# Out-of-order completions waited and were published in batches; the
	# blocks written and read in a row went out merged, data checked.
	tg_ok && expect_line "in_order=1 event_idx=1 indirect=1" &&
		expect_line "vda: virtio-blk in_order=negotiated" &&
		expect_line "merged=[1-9][0-9]*/[1-9]"
}

case_testguest_no_in_order() {
	tg
	tg_ok && expect_line "in_order=0 event_idx=1" && expect_line "vda: virtio-blk in_order=off" &&
		expect_line "waited=0 heap_hwm=0"
}

case_testguest_in_order_refused() {
	# Offered but not accepted: completions go out as they come (T12).
	tg --in-order --append "testguest.in_order=0"
	tg_ok && expect_line "in_order=0 event_idx=1" && expect_line "vda: virtio-blk in_order=off" &&
		expect_line "waited=0 heap_hwm=0 used_entries=1283 batches=0"
}

case_testguest_no_event_idx() {
	tg --in-order --append "testguest.event_idx=0"
	tg_ok && expect_line "in_order=1 event_idx=0"
}

case_testguest_direct_chains() {
	# Three-descriptor chains in the ring instead of indirect tables.
	tg --in-order --append "testguest.indirect=0"
	tg_ok && expect_line "in_order=1 event_idx=1 indirect=0"
}

case_testguest_console_input() {
	# minivmm's stdin reaches the guest's UART receiver (the guest polls LSR).
	log=$WORK/$case_name.log
	printf 'typed-at-the-console\n' | "$MINIVMM" --kernel "$TESTGUEST" \
		--append "testguest.echo=1" --timeout "$VM_TIMEOUT" >"$log" 2>&1
	rc=$?
	expect_rc 0 && expect_line "TESTGUEST: got 'typed-at-the-console'"
}

# The timed workloads send one request at a time (QD1) and then batches.
# Between QD1 requests the device thread polls the avail ring with kicks
# off (kicks back on after the poll); every request still completes and the
# data checks pass, with and without EVENT_IDX, and poll=0 turns it off.
# How many polls find the next request (poll_hits) depends on when the
# device thread gets a CPU, so that figure belongs to the device benchmark
# (tests/bench/device.sh prints it); what is certain is that each hit takes
# at least one request off the ring, which then completes.
TG_BENCH="testguest.bench=1 testguest.ops=2000"

# All timed workloads ran without errors, and poll_hits <= completed.
tg_bench_ok() {
	expect_line "TESTGUEST-BENCH: randread bs=4k qd=1 ops=2000 cycles=[0-9]* errors=0" &&
		{ ! tr -d '\r' <"$log" | grep "^TESTGUEST-BENCH: .* errors=" | grep -qv " errors=0$" ||
		  fail "a timed workload had errors"; } &&
		expect_line "max_inflight=[0-9]* poll_hits=[0-9]" &&
		expect_le "$(counter 'vda: virtio-blk ' poll_hits)" "$(counter 'vda: queue ' completed)" \
			"poll_hits vs requests completed"
}

case_testguest_poll() {
	tg --in-order --append "$TG_BENCH"
	tg_ok && tg_bench_ok
}

case_testguest_poll_no_event_idx() {
	tg --in-order --append "$TG_BENCH testguest.event_idx=0"
	tg_ok && expect_line "in_order=1 event_idx=0" && tg_bench_ok
}

case_testguest_no_poll() {
	TG_DISK_OPTS=,poll=0 tg --in-order --append "$TG_BENCH"
	tg_ok && tg_bench_ok && expect_line "max_inflight=[0-9]* poll_hits=0 "
}
