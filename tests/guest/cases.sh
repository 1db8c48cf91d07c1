# Test-guest cases (tier 2): the freestanding test guest drives the real
# minivmm through virtio-mmio, ioeventfd, irqfd and io_uring and checks the
# data it wrote. Sourced after tests/boot/cases.sh, whose helpers it uses.
# Needs MINIVMM, WORK, TESTGUEST (the ELF) and NETPEER (tests/bench/bench_net),
# and tests/lib.sh's helpers.

GUEST_CASES="testguest_in_order testguest_no_in_order testguest_in_order_refused testguest_packed_declined
 testguest_packed_in_order testguest_packed_no_in_order testguest_packed_direct_chains testguest_packed_poll
 testguest_packed_reused_id
 testguest_no_event_idx testguest_direct_chains testguest_size_cap testguest_console_input
 testguest_poll testguest_poll_no_event_idx testguest_no_poll testguest_hung_device_stops
 testguest_net_in_order testguest_net_no_in_order testguest_net_in_order_refused
 testguest_net_packed_in_order testguest_net_packed_no_in_order
 uring_sealed_blk uring_sealed_net no_uring_blk no_uring_net seccomp_vcpu seccomp_device seccomp_console seccomp_control seccomp_api seccomp_blkio seccomp_log seccomp_off
 triple_fault_crash triple_fault_reboot_t console_reader_gone std_fds_closed
 verbose_verdict vcpu_dump_on_timeout vcpu_dump_on_sigusr1"

# The disk cases, run again with each I/O engine but the default (uring):
# run_engine_cases names their results CASE[ENGINE].
GUEST_ENGINES="threads"
GUEST_ENGINE_CASES="testguest_in_order testguest_no_in_order testguest_in_order_refused
 testguest_packed_in_order testguest_packed_no_in_order testguest_packed_reused_id
 testguest_no_event_idx testguest_direct_chains testguest_size_cap testguest_poll
 testguest_poll_no_event_idx testguest_no_poll testguest_hung_device_stops uring_sealed_blk
 no_uring_blk"

# run_engine_cases ENGINE CASE...: run_cases with --disk ...,engine=ENGINE
# (TG_ENGINE, which tg and the cases with a disk of their own add).
run_engine_cases() {
	_engine=$1
	shift
	for _c in "$@"; do
		case_name="$_c[$_engine]"
		t0=$(now)
		log=
		if TG_ENGINE=$_engine "case_$_c"; then
			echo "MINIVMM-RESULT PASS $case_name $(awk "BEGIN { print $(now) - $t0 }")"
		fi
	done
}

# How long a test-guest run may take. Directly on /dev/kvm the cases take
# 0.1-3 s each, the timed workloads (TG_BENCH) up to 4 s, on a 2-CPU
# machine busy with other builds; --timeout is about 10x that, and the outer
# SIGKILL bound (bounded, watchdog) VM_BOUND_GRACE more. A ring that stops
# publishing thus fails its case in 30 s, not 120. One level down (run.sh
# sets TG_SCALE=4 there) the layer's emulated CPU is many times slower, so
# there the bounds are 4 times as long, 120 s as before.
TG_SCALE=${TG_SCALE:-1}
VM_TIMEOUT=$((30 * TG_SCALE))
TG_BENCH_TIMEOUT=$((45 * TG_SCALE))
VM_BOUND_GRACE=$((10 * TG_SCALE))

# tg ARGS...: runs the test guest on a fresh 64 MiB disk (with the --disk
# options in $TG_DISK_OPTS, and minivmm's file-size limit, ulimit -f's
# 512-byte units, in $TG_FSIZE; its --timeout in $TG_TIMEOUT, else
# VM_TIMEOUT); sets $rc and $log.
tg() {
	log=$WORK/$case_name.log
	dd if=/dev/zero of="$WORK/tg.img" bs=1M count=64 2>/dev/null
	(
		[ -z "${TG_FSIZE:-}" ] || ulimit -f "$TG_FSIZE" || exit 125
		t=${TG_TIMEOUT:-$VM_TIMEOUT}
		exec timeout -s KILL $((t + VM_BOUND_GRACE)) "$MINIVMM" --kernel "$TESTGUEST" \
			--disk "$WORK/tg.img${TG_DISK_OPTS:-}${TG_ENGINE:+,engine=$TG_ENGINE}" \
			--timeout "$t" -v "$@"
	) </dev/null >"$log" 2>&1
	rc=$?
}

tg_ok() {
	expect_rc 0 && expect_line "TESTGUEST: running at CPL3 tsc=" &&
		expect_line "TESTGUEST: correctness ok writes=256 reads=256 errors=0 bad_ids=0" &&
		{ [ -z "${TG_ENGINE:-}" ] || expect_line "^vda: virtio-blk .* engine=$TG_ENGINE$"; }
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
	# Offered but not accepted: completions go out as they come, one used
	# entry each (T12 in docs/design.md, "Test cases").
	tg --in-order --append "testguest.in_order=0"
	tg_ok && expect_line "in_order=0 event_idx=1" && expect_line "vda: virtio-blk in_order=off" &&
		expect_line "completed=\([0-9]*\) waited=0 heap_hwm=0 used_entries=\1 batches=0"
}

case_testguest_packed_declined() {
	# --packed offers VIRTIO_F_RING_PACKED; the test guest's driver knows
	# only split rings and does not take it: its FEATURES_OK must still be
	# accepted and every check pass over split rings, IN_ORDER included.
	tg --packed --in-order
	tg_ok && expect_line "in_order=1 event_idx=1 indirect=1" &&
		expect_line "vda: virtio-blk in_order=negotiated"
}

# The test guest's own packed-ring driver (testguest.packed=1,
# guests/testguest/vblk_packed.c) takes VIRTIO_F_RING_PACKED: its
# FEATURES_OK must stick (the guest stops otherwise), it says ring=packed,
# and every data check passes over the packed ring. It polls with its
# driver area at DISABLE, so the device must never interrupt it.
# tg_packed_ok IN_ORDER INDIRECT NEGOTIATED: that, for these settings.
tg_packed_ok() {
	tg_ok && expect_line "in_order=$1 event_idx=1 indirect=$2 ring=packed$" &&
		expect_line "vda: virtio-blk in_order=$3" &&
		expect_eq "$(counter 'vda: queue ' notifies)" 0 "interrupts with the driver area at DISABLE"
}

# tg_batched [PREFIX]: under IN_ORDER, some used descriptor stood for a
# batch of buffers (the disk's merged writes complete together), which the
# guest had to credit whole. PREFIX names the queue's counter line.
tg_batched() {
	_done=$(counter "${1:-vda: queue }" completed)
	_used=$(counter "${1:-vda: queue }" used_entries)
	expect_le "$_used" "$_done" "used descriptors vs requests" &&
		{ [ "$_used" -lt "$_done" ] || fail "no used descriptor stood for a batch ($_used for $_done)"; }
}

case_testguest_packed_in_order() {
	tg --packed --in-order --append "testguest.packed=1"
	tg_packed_ok 1 1 negotiated && tg_batched
}

case_testguest_packed_no_in_order() {
	# One used descriptor per request, in the order they complete.
	tg --packed --append "testguest.packed=1"
	tg_packed_ok 0 1 off &&
		expect_line "completed=\([0-9]*\) waited=0 heap_hwm=0 used_entries=\1 batches=0"
}

case_testguest_packed_direct_chains() {
	# Chains of two and three descriptors in the ring itself: they wrap the
	# ring's end (256 slots), and a batch's used descriptor skips slots of
	# chains of both lengths.
	tg --packed --in-order --append "testguest.packed=1 testguest.indirect=0"
	tg_packed_ok 1 0 negotiated && tg_batched
}

case_testguest_packed_reused_id() {
	# A hostile driver: two writes under one buffer id, the first still in
	# flight when the device reads the second. The device must stop the
	# queue with DEVICE_NEEDS_RESET, which the guest waits for (a device
	# that never sets it runs into --timeout); after the guest's reset its
	# fresh packed ring must pass every data check.
	tg --packed --in-order --append "testguest.packed=1 testguest.reuse_id=1"
	tg_packed_ok 1 1 negotiated &&
		expect_line "^TESTGUEST: buffer id 7 reused: DEVICE_NEEDS_RESET after [0-9]* status reads$"
}

case_testguest_size_cap() {
	# The image may not grow past the middle of block 100, and the guest
	# writes blocks 0-255 in a row, which the device merges: a merged write
	# that ends short at the cap still did the requests it covered, so each
	# block must get its own status, OK before block 100 and IOERR from it on
	# (devices/virtio_blk.c, merge_done).
	TG_FSIZE=$((100 * 8 + 4)) tg --in-order --append "testguest.limit_block=100"
	expect_rc 0 && expect_line "TESTGUEST: size cap ok wrong_status=0" &&
		expect_line "merged=[1-9][0-9]*/[1-9]"
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
	printf 'typed-at-the-console\n' | bounded "$VM_TIMEOUT" "$MINIVMM" --kernel "$TESTGUEST" \
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
	TG_TIMEOUT=$TG_BENCH_TIMEOUT tg --in-order --append "$TG_BENCH"
	tg_ok && tg_bench_ok
}

case_testguest_poll_no_event_idx() {
	TG_TIMEOUT=$TG_BENCH_TIMEOUT tg --in-order --append "$TG_BENCH testguest.event_idx=0"
	tg_ok && expect_line "in_order=1 event_idx=0" && tg_bench_ok
}

case_testguest_packed_poll() {
	# The timed workloads over the packed ring, up to a queue-deep 256
	# requests: every descriptor slot and buffer id in use at once.
	TG_TIMEOUT=$TG_BENCH_TIMEOUT tg --packed --in-order --append "$TG_BENCH testguest.packed=1"
	tg_packed_ok 1 1 negotiated && tg_bench_ok &&
		expect_line "TESTGUEST-BENCH: randwrite bs=4k qd=256 ops=2000 cycles=[0-9]* errors=0"
}

case_testguest_no_poll() {
	TG_DISK_OPTS=,poll=0 TG_TIMEOUT=$TG_BENCH_TIMEOUT tg --in-order --append "$TG_BENCH"
	tg_ok && tg_bench_ok && expect_line "max_inflight=[0-9]* poll_hits=0 "
}

# A device thread that never answers (a test-only hook hangs it in the
# guest's first reset) must not keep minivmm from ending: --timeout still
# ends it with its own status, naming the thread it left behind. The outer
# SIGKILL bound only turns a hang into a failure (status 137, not 124): it
# allows the 3 s and the 2 s minivmm waits for the thread.
case_testguest_hung_device_stops() {
	log=$WORK/$case_name.log
	dd if=/dev/zero of="$WORK/tg.img" bs=1M count=64 2>/dev/null
	bounded 5 env MINIVMM_TEST_HANG_THREAD=vda "$MINIVMM" --kernel "$TESTGUEST" \
		--disk "$WORK/tg.img${TG_ENGINE:+,engine=$TG_ENGINE}" --timeout 3 </dev/null >"$log" 2>&1
	rc=$?
	expect_rc 124 && expect_line "minivmm: timeout: guest still running after" &&
		expect_line "minivmm: virtio-blk thread (vda) did not stop within 2.0 s; left it running"
}

# ---- virtio-net ----
# The test guest's virtio-net program (guests/testguest/net_main.c) against
# its host peer on the TAP (tests/bench/bench_net), in a network namespace
# of the case's own: nobody else sees it, so the TAP's name cannot collide
# with another run's, and the namespace, the TAP with it, goes away when
# the case's processes end, however they end. A short exchange both ways:
# the guest sends 256 frames of 64 and of 1500 bytes and 32 TSO frames of
# 64 KiB, the peer 256 of 64 and of 1500 bytes; each side rebuilds and
# compares every byte of every frame (sequence number and checksum in the
# payload), the guest also their order, the peer that each arrived once.
# What must hold: every count exact, nothing corrupted, lost, duplicated or
# dropped, and the device saw exactly the frames both sides counted (553
# sent: 544 data and 9 control frames; 512 received).
# tg_net [--in-order] [GUEST-ARGS]: sets $rc and $log.
tg_net() {
	log=$WORK/$case_name.log
	bounded "$VM_TIMEOUT" unshare --net sh -c '"$1" tap mvnet0 || exit 97; shift; exec "$@"' sh "$NETPEER" \
		"$NETPEER" check mvnet0 -- "$MINIVMM" --kernel "$TESTGUEST" --net tap=mvnet0 \
		--timeout "$VM_TIMEOUT" -v $1 --append "testguest.net=1 ${2:-}" </dev/null >"$log" 2>&1
	rc=$?
	[ $rc -ne 97 ] || fail "cannot create a TAP in a network namespace of our own (see $log)"
}

# tg_net_ok IN_ORDER NEGOTIATED [RING]: the exchange was exact; the guest's
# driver said ring=RING (packed) if given.
tg_net_ok() {
	expect_rc 0 && expect_line "TESTGUEST: virtio-net at 0x[0-9a-f]* in_order=$1 event_idx=1 tso=1${3:+ ring=$3} checking" &&
		expect_line "^NETPEER: tx phase=1 frame=64 sent=256 received=256 bad=0 dup=0 " &&
		expect_line "^NETPEER: tx phase=2 frame=1500 sent=256 received=256 bad=0 dup=0 " &&
		expect_line "^NETPEER: tx phase=3 frame=65536 sent=32 received=32 bad=0 dup=0 " &&
		expect_line "^NETPEER: rx phase=4 frame=64 sent=256 guest_received=256$" &&
		expect_line "^NETPEER: rx phase=5 frame=1500 sent=256 guest_received=256$" &&
		expect_line "^TESTGUEST-NET: rx phase=4 frame=64 frames=256 cycles=[0-9]* lost=0 others=0$" &&
		expect_line "^TESTGUEST-NET: rx phase=5 frame=1500 frames=256 cycles=[0-9]* lost=0 others=0$" &&
		expect_line "^TESTGUEST-NET: ok bad=0 bad_ids=0$" &&
		expect_line "^NETPEER: verdict ok tx_phases=3 rx_phases=2$" &&
		expect_line "^NETPEER: guest frames not of the protocol: 0$" &&
		expect_line "^eth0: virtio-net tap=mvnet0 in_order=$2 " &&
		expect_eq "$(counter 'eth0: virtio-net ' tx_packets)" 553 "frames the device sent" &&
		expect_eq "$(counter 'eth0: virtio-net ' rx_packets)" 512 "frames the device received" &&
		expect_eq "$(counter 'eth0: virtio-net ' tx_drops)" 0 "transmit drops" &&
		expect_eq "$(counter 'eth0: virtio-net ' rx_drops)" 0 "receive drops"
}

case_testguest_net_in_order() {
	tg_net --in-order
	tg_net_ok 1 negotiated
}

case_testguest_net_no_in_order() {
	tg_net ""
	tg_net_ok 0 off
}

case_testguest_net_in_order_refused() {
	# Offered but not accepted: one used entry per buffer, as they come.
	tg_net --in-order testguest.in_order=0
	tg_net_ok 0 off && expect_line "^eth0: tx queue completed=553 .* used_entries=553 batches=0 "
}

# The same exchange over the test guest's own packed rings (testguest.packed=1,
# guests/testguest/vnet_packed.c), both queues: ring=packed from the guest,
# every count exact, and no interrupt on either queue while the driver
# areas say DISABLE. Under IN_ORDER the device's used descriptors stood for
# batches of buffers the guest credited whole.
tg_net_packed_ok() {
	tg_net_ok "$1" "$2" packed &&
		expect_eq "$(counter 'eth0: rx queue ' notifies)" 0 "receive interrupts with DISABLE" &&
		expect_eq "$(counter 'eth0: tx queue ' notifies)" 0 "transmit interrupts with DISABLE"
}

case_testguest_net_packed_in_order() {
	tg_net "--in-order --packed" testguest.packed=1
	tg_net_packed_ok 1 negotiated && tg_batched "eth0: tx queue "
}

case_testguest_net_packed_no_in_order() {
	tg_net --packed testguest.packed=1
	tg_net_packed_ok 0 off
}

# Each device's io_uring is sealed before its thread starts: a test-only
# hook makes every device thread, right after its seccomp filter went on,
# submit an openat and a socket through its own ring, as code that took the
# thread over would. Both must be refused (-13, EACCES), and the device
# must still do all its work through the same ring.
case_uring_sealed_blk() {
	export MINIVMM_TEST_URING_ESCAPE=1
	tg --in-order
	unset MINIVMM_TEST_URING_ESCAPE
	expect_line "^minivmm: test: vda ring: openat=-13 socket=-13$" && tg_ok
}

case_uring_sealed_net() {
	export MINIVMM_TEST_URING_ESCAPE=1
	tg_net --in-order
	unset MINIVMM_TEST_URING_ESCAPE
	expect_line "^minivmm: test: eth0 ring: openat=-13 socket=-13$" && tg_net_ok 1 negotiated
}

# Where io_uring cannot be set up (kernel.io_uring_disabled, ENOSYS, a
# container's seccomp), a test-only hook standing in for it: the device
# threads wait with ppoll, the disk's I/O goes to the threads engine
# whichever was asked for, the guest's data checks all pass under the
# default seccomp filters, and the CLI says so once, naming the errno.
case_no_uring_blk() {
	export MINIVMM_TEST_NO_URING=1
	tg --in-order
	unset MINIVMM_TEST_NO_URING
	TG_ENGINE=threads tg_ok &&
		expect_line "^minivmm: io_uring is unavailable (Operation not permitted): device threads wait with ppoll, disks use engine=threads$" &&
		expect_eq "$(grep -c "io_uring is unavailable" "$log")" 1 "lines saying so"
}

# virtio-net moves frames through its ring only: without one, minivmm
# refuses the card with a line that says why, and no guest runs.
case_no_uring_net() {
	log=$WORK/$case_name.log
	bounded "$VM_TIMEOUT" unshare --net sh -c '"$1" tap mvnet0 || exit 97; shift; exec "$@"' sh "$NETPEER" \
		env MINIVMM_TEST_NO_URING=38 "$MINIVMM" --kernel "$TESTGUEST" --net tap=mvnet0 \
		--timeout "$VM_TIMEOUT" </dev/null >"$log" 2>&1
	rc=$?
	[ $rc -ne 97 ] || fail "cannot create a TAP in a network namespace of our own (see $log)"
	expect_rc 125 &&
		expect_line "virtio-net: io_uring is unavailable on this host (Function not implemented), and virtio-net has no other I/O path yet" &&
		{ ! grep -q "^TESTGUEST" "$log" || fail "a guest ran without its network card"; }
}

# seccomp is on by default. A test-only hook makes one kind of thread make a
# system call no list allows, right after its filter went on: minivmm dies
# with SIGSYS (status 159) and names the thread. With --seccomp=log or
# --no-seccomp the same call is let through and the guest runs to its end.
sc() {
	log=$WORK/$case_name.log
	dd if=/dev/zero of="$WORK/tg.img" bs=1M count=64 2>/dev/null
	bounded "$VM_TIMEOUT" env MINIVMM_TEST_SECCOMP_VIOLATE="$1" "$MINIVMM" --kernel "$TESTGUEST" \
		--disk "$WORK/tg.img" --timeout "$VM_TIMEOUT" ${2:-} </dev/null >"$log" 2>&1
	rc=$?
}

sc_dies() {
	sc "$1" "${3:-}"
	expect_rc 159 &&
		expect_line "minivmm: seccomp: thread $2 made forbidden system call [0-9]*; ending with SIGSYS"
}

case_seccomp_vcpu() { sc_dies vcpu vcpu0; }
case_seccomp_device() { sc_dies device vda; }
case_seccomp_console() { sc_dies console console; }
case_seccomp_control() { sc_dies control minivmm_run; }
case_seccomp_api() { sc_dies api api-socket "--api-socket $WORK/api.sock"; }

# A disk's I/O workers (engine=threads) install a filter of their own kind
# before they take a request: the hook makes them break it, and minivmm
# dies naming the disk. The io_uring engine has no workers: the same hook
# finds no thread of that kind, and the guest runs to its end.
case_seccomp_blkio() {
	sc_blkio ,engine=threads
	expect_rc 159 &&
		expect_line "minivmm: seccomp: thread vda made forbidden system call [0-9]*; ending with SIGSYS" ||
		return 1
	sc_blkio ""
	tg_ok
}

# sc_blkio DISK-OPTS: the test guest with the blkio kind's violation hook on.
sc_blkio() {
	log=$WORK/$case_name.log
	dd if=/dev/zero of="$WORK/tg.img" bs=1M count=64 2>/dev/null
	bounded "$VM_TIMEOUT" env MINIVMM_TEST_SECCOMP_VIOLATE=blkio "$MINIVMM" --kernel "$TESTGUEST" \
		--disk "$WORK/tg.img$1" --timeout "$VM_TIMEOUT" </dev/null >"$log" 2>&1
	rc=$?
}

case_seccomp_log() {
	sc vcpu --seccomp=log
	tg_ok
}

case_seccomp_off() {
	sc device --no-seccomp
	tg_ok
}

# A triple fault is a crash (status 122) unless the command line asks for
# reboot=t, where it is how the guest resets (status 0). The guest is
# crash_elf's few bytes, which triple-fault at their first instruction.
case_triple_fault_crash() {
	log=$WORK/$case_name.log
	crash_elf "$WORK/crash.elf"
	bounded "$VM_TIMEOUT" "$MINIVMM" --kernel "$WORK/crash.elf" --timeout "$VM_TIMEOUT" \
		</dev/null >"$log" 2>&1
	rc=$?
	expect_rc 122 && expect_line "guest crashed: triple fault on vCPU 0"
}

case_triple_fault_reboot_t() {
	log=$WORK/$case_name.log
	crash_elf "$WORK/crash.elf"
	# The last reboot= wins, as in Linux: reboot=k comes first by default.
	bounded "$VM_TIMEOUT" "$MINIVMM" --kernel "$WORK/crash.elf" --timeout "$VM_TIMEOUT" -v \
		--append "reboot=w,t" \
		</dev/null >"$log" 2>&1
	rc=$?
	expect_rc 0 && expect_line "guest reset (triple fault on vCPU 0, reboot=t)"
}

# minivmm ... | head -1: once the console's reader is gone the guest keeps
# running and its output is dropped (no SIGPIPE death, status 141). The
# guest prints a line, head takes it and exits, and only then is the line
# the guest waits for typed, so its answer is written to a pipe with no
# reader; the guest must still reach its exit port with status 0.
case_console_reader_gone() {
	log=$WORK/$case_name.log
	rm -f "$WORK/in.fifo" "$WORK/rc" "$WORK/first"
	mkfifo "$WORK/in.fifo"
	# <> opens the FIFO without waiting for a writer (and, below, for a
	# reader: a minivmm that died early must not leave the printf blocked).
	{
		bounded "$VM_TIMEOUT" "$MINIVMM" --kernel "$TESTGUEST" --append "testguest.echo=1" -v \
			--timeout "$VM_TIMEOUT" <>"$WORK/in.fifo" 2>"$log"
		echo $? >"$WORK/rc"
	} | {
		head -n 1 >"$WORK/first"
		exec 0<&-
		printf 'typed-after-head\n' 1<>"$WORK/in.fifo"
	}
	rc=$(cat "$WORK/rc")
	expect_rc 0 && expect_line "guest wrote 0 to the exit port" &&
		{ grep -q "^TESTGUEST: running at CPL3" "$WORK/first" ||
			fail "head saw: $(cat "$WORK/first")"; }
}

# Started with stdin, stdout and stderr closed, minivmm's eventfds must not
# take fds 0-2 (the console thread would read a disk's kicks as input and
# the disk never see them): the test guest's disk checks pass.
case_std_fds_closed() {
	log=$WORK/$case_name.log
	dd if=/dev/zero of="$WORK/tg.img" bs=1M count=64 2>/dev/null
	bounded "$VM_TIMEOUT" "$MINIVMM" --kernel "$TESTGUEST" --disk "$WORK/tg.img" \
		--timeout "$VM_TIMEOUT" <&- >&- 2>&-
	rc=$?
	echo "minivmm exit status $rc" >"$log"
	expect_rc 0
}

# -v's last line says how the VM ended and the status once, not twice.
case_verbose_verdict() {
	log=$WORK/$case_name.log
	printf 'line\n' | bounded "$VM_TIMEOUT" "$MINIVMM" --kernel "$TESTGUEST" --append "testguest.echo=1" -v \
		--timeout "$VM_TIMEOUT" >/dev/null 2>"$log"
	rc=$?
	last=$(tail -n 1 "$log")
	expect_rc 0 &&
		expect_line "^minivmm: guest wrote 0 to the exit port after [0-9.]* s (exit-port), exit status 0$" &&
		{ [ "$(echo "$last" | grep -o "exit status" | wc -l)" -eq 1 ] ||
			fail "last line: $last"; }
}

# A guest that hangs (hang_elf spins at 0x100078, named hang_here by a
# System.map): --timeout says where every vCPU was, by name with --symbols.
# A --timeout that never fires is SIGKILLed by the outer bound: status 137.
case_vcpu_dump_on_timeout() {
	log=$WORK/$case_name.log
	hang_elf "$WORK/hang.elf"
	printf '0000000000100000 T _start\n0000000000100078 T hang_here\n' >"$WORK/hang.map"
	bounded 2 "$MINIVMM" --kernel "$WORK/hang.elf" --symbols "$WORK/hang.map" --cpus 2 --timeout 2 \
		</dev/null >"$log" 2>&1
	rc=$?
	expect_rc 124 && expect_line "minivmm: timeout: guest still running after" &&
		expect_line "minivmm: vCPU 0: RIP 0x0000000000100078 (hang_here+0x0) RSP 0x[0-9a-f]* CR3 0x[0-9a-f]* CPL 0 RFLAGS 0x" &&
		expect_line "minivmm: vCPU 0: [0-9]* exits to minivmm" &&
		expect_line "minivmm: vCPU 1: "
}

# SIGUSR1 prints the same while the guest goes on; SIGTERM then ends it.
# It is sent once minivmm blocks it (before, it would kill the process), and
# again until the dump shows (the VM may not be built yet). The watchdog
# bounds a minivmm that neither SIGTERM nor its --timeout ends.
case_vcpu_dump_on_sigusr1() {
	log=$WORK/$case_name.log
	hang_elf "$WORK/hang.elf"
	printf '0000000000100078 T hang_here\n' >"$WORK/hang.map"
	"$MINIVMM" --kernel "$WORK/hang.elf" --symbols "$WORK/hang.map" --timeout "$VM_TIMEOUT" \
		</dev/null >"$log" 2>&1 &
	pid=$!
	watchdog "$pid" "$VM_TIMEOUT"
	tries=0
	while [ $tries -lt 300 ]; do
		blk=$(sed -n 's/^SigBlk:[[:space:]]*//p' /proc/$pid/status 2>/dev/null)
		[ -n "$blk" ] && [ $((0x$blk & 0x200)) -ne 0 ] && break
		sleep 0.1
		tries=$((tries + 1))
	done
	tries=0
	while ! grep -q "(hang_here+0x0)" "$log" && [ $tries -lt 300 ]; do
		kill -USR1 $pid 2>/dev/null
		sleep 0.1
		tries=$((tries + 1))
	done
	kill -TERM $pid
	wait $pid
	rc=$?
	watchdog_done
	expect_rc 143 && expect_line "minivmm: vCPU 0: RIP 0x0000000000100078 (hang_here+0x0)" &&
		{ ! grep -q "minivmm: timeout" "$log" || fail "SIGUSR1 stopped the guest"; }
}
