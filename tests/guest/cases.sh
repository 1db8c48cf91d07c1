# Test-guest cases (tier 2): the freestanding test guest drives the real
# minivmm through virtio-mmio, ioeventfd, irqfd and io_uring and checks the
# data it wrote. Sourced after tests/boot/cases.sh, whose helpers it uses.
# Needs MINIVMM, WORK and TESTGUEST (the ELF).

GUEST_CASES="testguest_in_order testguest_no_in_order testguest_in_order_refused
 testguest_no_event_idx testguest_direct_chains testguest_console_input"

# tg ARGS...: runs the test guest on a fresh 64 MiB disk; sets $rc and $log.
tg() {
	log=$WORK/$case_name.log
	dd if=/dev/zero of="$WORK/tg.img" bs=1M count=64 2>/dev/null
	"$MINIVMM" --kernel "$TESTGUEST" --disk "$WORK/tg.img" --timeout "$VM_TIMEOUT" -v "$@" \
		</dev/null >"$log" 2>&1
	rc=$?
}

tg_ok() {
	expect_rc 0 && expect_line "TESTGUEST: running at CPL3 tsc=" &&
		expect_line "TESTGUEST: correctness ok writes=256 reads=256 errors=0 bad_ids=0"
}

case_testguest_in_order() {
	tg --in-order
	# Out-of-order completions waited and were published in batches.
	tg_ok && expect_line "in_order=1 event_idx=1 indirect=1" &&
		expect_line "vda: virtio-blk in_order=negotiated"
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
		expect_line "waited=0 heap_hwm=0 used_entries=514 batches=0"
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
