# Linux boot test cases. Sourced by the middle layer's init (busybox sh) or,
# on a host whose KVM runs ring-0 code natively, by run.sh directly.
# Needs: MINIVMM (binary), GUEST (dir with bzImage, vmlinux, initrd.cpio.gz),
# WORK (scratch dir). Each case prints one line:
#   MINIVMM-RESULT PASS name seconds   or   MINIVMM-RESULT FAIL name reason
# and on failure the guest console it asserted on, prefixed with "  | ".

ALL_CASES="boot_1cpu boot_2cpus boot_vmlinux reboot_exit0 reboot_triple_exit0 exit_port_status guest_panic_status
 timeout_stops_hang shutdown_request
 blk_root_in_order blk_root_no_in_order blk_guest_writes blk_host_writes blk_parallel
 blk_two_disks blk_read_only blk_enospc blk_direct shell_from_disk blk_durable"
# Not in ALL_CASES (make stress): DURABLE_TRIALS kill trials each.
STRESS_CASES="durable_cache_in_order durable_cache durable_direct_in_order durable_direct"
ALL_CASES="$ALL_CASES net_ping net_tcp_in_order net_tcp_no_in_order net_flood"
# Two of the four long host->guest streams run in make check; make check-long
# runs all four (tests/boot/run.sh with LONG_CASES).
ALL_CASES="$ALL_CASES net_rx_stream_in_order net_rx_stream_no_in_order_poll0"
ALL_CASES="$ALL_CASES net_iperf_in_order net_iperf_no_in_order"
ALL_CASES="$ALL_CASES fio_in_order fio_no_in_order"
ALL_CASES="$ALL_CASES rng_hwrng"
LONG_CASES="net_rx_stream_in_order net_rx_stream_no_in_order_poll0
 net_rx_stream_in_order_poll0 net_rx_stream_no_in_order"
VM_TIMEOUT=${VM_TIMEOUT:-120}
# Options every minivmm a case starts gets: the packed matrix's --packed
# (packed_twin, at the end), else none.
RING_OPTS=
# Added to the disk of the cases that ENGINE_TWINS runs again (",engine=...").
DISK_OPTS=
# The kernel every case boots; tests/arm64/cases.sh names the arm64 Image.
GUEST_KERNEL=${GUEST_KERNEL:-${GUEST:-}/bzImage}

now() { cut -d' ' -f1 /proc/uptime; }

# case_budget NAME: seconds the middle layer allows for the case (run.sh
# adds them up for its timeout): its VM's --timeout and some.
case_budget() {
	case $1 in
	net_rx_stream_*) echo $((NET_STREAM_TIMEOUT + 120)) ;;
	net_iperf_*) echo $((NET_IPERF_TIMEOUT + 60)) ;;
	# A kill trial boots a guest: up to a minute each in the layer.
	blk_durable | blk_durable_threads) echo $((90 + 2 * 60)) ;;
	durable_*) echo $((90 + ${DURABLE_TRIALS:-50} * 60)) ;;
	*) echo 90 ;;
	esac
}

# vm ARGS...: runs minivmm on the test initrd; sets $rc and $log.
# A guest that hangs is dumped at its --timeout with function names (System.map).
vm() {
	log=$WORK/$case_name.log
	bounded "$VM_TIMEOUT" "$MINIVMM" --kernel "$GUEST_KERNEL" --initrd "$GUEST/initrd.cpio.gz" \
		${GUEST_SYMBOLS:+--symbols "$GUEST_SYMBOLS"} \
		--timeout "$VM_TIMEOUT" $RING_OPTS "$@" </dev/null >"$log" 2>&1
	rc=$?
}
if [ -s "${GUEST:-}/System.map" ]; then GUEST_SYMBOLS=$GUEST/System.map; fi

# One printf, so that a lane running beside it (run_lanes) cannot cut into
# the report.
fail() {
	_report="MINIVMM-RESULT FAIL $case_name $*"
	[ -f "$log" ] && _report="$_report
$(tail -n 40 "$log" | sed 's/^/  | /')"
	printf '%s\n' "$_report"
	return 1
}

# 137 is a minivmm the case's outer bound (bounded, watchdog) SIGKILLed;
# 124 is its own --timeout: both named, as a hang is what they say.
expect_rc() {
	[ "$rc" -eq "$1" ] && return 0
	case $rc in
	137) fail "exit status 137: hung, SIGKILLed by the case's outer bound (expected $1)" ;;
	124) fail "exit status 124: minivmm's --timeout ended a guest that had not finished (expected $1)" ;;
	*) fail "exit status $rc, expected $1" ;;
	esac
}

# Every minivmm a case starts has an outer bound a little above its own
# --timeout: one that ignores it (a broken timer, a thread that will not
# stop) is SIGKILLed there, status 137, and the case fails by name instead
# of holding up the run.
# bounded TIMEOUT CMD...: CMD (minivmm, or what runs it) under the bound for
# a --timeout of TIMEOUT seconds. Whether timeout(1) is GNU's (which kills
# its process group) or busybox's (which becomes CMD), CMD dies with it.
VM_BOUND_GRACE=${VM_BOUND_GRACE:-30}
bounded() {
	_t=$1
	shift
	timeout -s KILL $((_t + VM_BOUND_GRACE)) "$@"
}

# watchdog PID TIMEOUT: the same bound for a minivmm started in the
# background whose pid the case signals (timeout(1) would stand between):
# SIGKILLs PID once it has run TIMEOUT + VM_BOUND_GRACE seconds. It ends by
# itself within a second of PID; watchdog_done ends it at once.
watchdog() {
	(_i=0
	 while kill -0 "$1" 2>/dev/null; do
		[ $_i -ge $(($2 + VM_BOUND_GRACE)) ] && { kill -KILL "$1"; break; }
		sleep 1
		_i=$((_i + 1))
	 done) &
	wd_pid=$!
}
watchdog_done() {
	kill "$wd_pid" 2>/dev/null
	wait "$wd_pid" 2>/dev/null
}
# The serial console ends lines with CR LF.
expect_line() { tr -d '\r' <"$log" | grep -q -- "$1" || fail "console lacks '$1'"; }

case_boot_1cpu() {
	vm --cpus 1 --append "minivmm.test=cpus"
	expect_rc 0 && expect_line "MINIVMM-GUEST: init reached" &&
		expect_line "MINIVMM-GUEST: cpus online 0$"
}

case_boot_2cpus() {
	vm --cpus 2 --append "minivmm.test=cpus"
	expect_rc 0 && expect_line "MINIVMM-GUEST: cpus online 0-1$"
}

case_boot_vmlinux() {
	log=$WORK/$case_name.log
	bounded "$VM_TIMEOUT" "$MINIVMM" --kernel "$GUEST/vmlinux" --initrd "$GUEST/initrd.cpio.gz" \
		--timeout "$VM_TIMEOUT" --append "minivmm.test=cpus" </dev/null >"$log" 2>&1
	rc=$?
	expect_rc 0 && expect_line "MINIVMM-GUEST: cpus online 0$"
}

case_reboot_exit0() {
	vm --append "minivmm.exit=reboot" -v
	expect_rc 0 && expect_line "MINIVMM-GUEST: init reached" && expect_line "guest reset"
}

# With reboot=t Linux resets by triple fault: a clean reboot, status 0 (a
# triple fault without it is a crash, status 122: tests/guest/cases.sh).
case_reboot_triple_exit0() {
	vm --append "minivmm.exit=reboot reboot=t" -v
	expect_rc 0 && expect_line "MINIVMM-GUEST: init reached" &&
		expect_line "guest reset (triple fault on vCPU 0, reboot=t)"
}

case_exit_port_status() {
	vm --append "minivmm.test=exit3 minivmm.exit=status"
	expect_rc 3 && expect_line "MINIVMM-GUEST: test exit3 status 3"
}

# A panicking guest reboots like a clean one; minivmm tells them apart.
case_guest_panic_status() {
	vm --append "minivmm.exit=panic"
	expect_rc 123 && expect_line "Kernel panic - not syncing: Attempted to kill init" &&
		expect_line "minivmm: guest reset (i8042) after a guest kernel panic"
}

# The guest never ends on its own (minivmm.exit=hang); --timeout ends it,
# never before its time (the run time minivmm prints is at least 8 s). How
# far the guest boots in 8 s depends on the machine's load, so that is not
# asserted: a guest that failed instead of hanging would end with 123 or 0.
case_timeout_stops_hang() {
	log=$WORK/$case_name.log
	bounded 8 "$MINIVMM" --kernel "$GUEST_KERNEL" --initrd "$GUEST/initrd.cpio.gz" \
		--timeout 8 --append "minivmm.exit=hang" </dev/null >"$log" 2>&1
	rc=$?
	# Not anchored: the guest may be in the middle of a console line.
	ran=$(tr -d '\r' <"$log" | sed -n 's/.*minivmm: timeout: guest still running after \([0-9.]*\) s.*/\1/p')
	expect_rc 124 && expect_line "minivmm: timeout: guest still running after" &&
		{ awk -v t="${ran:-0}" 'BEGIN { exit !(t >= 8) }' || fail "stopped after ${ran:-?} s, before its 8 s"; }
}

# SIGPWR (minivmm_request_shutdown) presses Ctrl-Alt-Del on the i8042
# keyboard: Linux registers the keyboard, hands Ctrl-Alt-Del to init (which
# took it over, as a real init does) and init reboots cleanly: status 0.
case_shutdown_request() {
	log=$WORK/$case_name.log
	"$MINIVMM" --kernel "$GUEST_KERNEL" --initrd "$GUEST/initrd.cpio.gz" \
		--timeout "$VM_TIMEOUT" -v --append "minivmm.exit=cad" </dev/null >"$log" 2>&1 &
	pid=$!
	watchdog "$pid" "$VM_TIMEOUT"
	# Poll for the guest's readiness line (bounded by minivmm's own --timeout).
	while kill -0 "$pid" 2>/dev/null &&
		! tr -d '\r' <"$log" | grep -q "MINIVMM-GUEST: waiting for ctrl-alt-del"; do
		sleep 1
	done
	kill -PWR "$pid" 2>/dev/null
	wait "$pid"
	rc=$?
	watchdog_done
	expect_rc 0 && expect_line "MINIVMM-GUEST: keyboard: AT Raw Set 2 keyboard" &&
		expect_line "MINIVMM-GUEST: ctrl-alt-del: clean shutdown" &&
		expect_line "guest reset (i8042)"
}

# vmd ARGS...: minivmm with no initrd (root from a disk), verbose counters.
vmd() {
	log=$WORK/$case_name.log
	bounded "$VM_TIMEOUT" "$MINIVMM" --kernel "$GUEST_KERNEL" --timeout "$VM_TIMEOUT" -v $RING_OPTS "$@" \
		</dev/null >"$log" 2>&1
	rc=$?
}

# guest_says KEY: the rest of the guest's "MINIVMM-GUEST: KEY" line.
guest_says() { tr -d '\r' <"$log" | sed -n "s|^MINIVMM-GUEST: $1 ||p" | head -n 1; }
md5() { md5sum <"$1" | cut -d' ' -f1; }
image() { dd if="${3:-/dev/zero}" of="$WORK/$1" bs=1M count="$2" 2>/dev/null; }
expect_eq() { [ "$1" = "$2" ] || fail "$3: '$1' != '$2'"; }
# counter PREFIX KEY: KEY's value on the -v counter line starting PREFIX.
counter() {
	tr -d '\r' <"$log" | grep -- "^$1" | head -n 1 | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1
}
# expect_le A B WHAT: A and B are numbers and A <= B.
expect_le() {
	case $1$2 in '' | *[!0-9]*) fail "$3: '$1' or '$2' is not a number"; return 1 ;; esac
	[ "$1" -le "$2" ] || fail "$3: $1 > $2"
}

case_blk_root_in_order() {
	cp "$GUEST/rootfs.ext4" "$WORK/root.img"
	vmd --disk "$WORK/root.img${DISK_OPTS:-}" --in-order --append "minivmm.test=features"
	expect_rc 0 && expect_line "MINIVMM-GUEST: root is /dev/root ext4" &&
		expect_line "MINIVMM-GUEST: virtio virtio0 device 0x0002 bit35 1" &&
		expect_line "vda: virtio-blk in_order=negotiated"
}

case_blk_root_no_in_order() {
	cp "$GUEST/rootfs.ext4" "$WORK/root.img"
	vmd --disk "$WORK/root.img${DISK_OPTS:-}" --append "minivmm.test=features"
	expect_rc 0 && expect_line "MINIVMM-GUEST: root is /dev/root ext4" &&
		expect_line "MINIVMM-GUEST: virtio virtio0 device 0x0002 bit35 0" &&
		expect_line "vda: virtio-blk in_order=off"
}

# blk_guest_writes_case IN_ORDER_FLAG EXPECTED_BIT35
blk_guest_writes_case() {
	image data.img 8
	vm --disk "$WORK/data.img${DISK_OPTS:-}" $1 -v --append "minivmm.test=blk_write"
	expect_rc 0 && expect_eq "$(guest_says '/dev/vda md5')" "$(md5 "$WORK/data.img")" \
		"guest's md5 vs image" && expect_line "flushes=[1-9]" &&
		expect_line "MINIVMM-GUEST: virtio virtio0 device 0x0002 bit35 $2"
}
case_blk_guest_writes() { blk_guest_writes_case --in-order 1; }
# Not in ALL_CASES: the packed matrix's twin without IN_ORDER.
case_blk_guest_writes_no_in_order() { blk_guest_writes_case "" 0; }

case_blk_host_writes() {
	image data.img 8 /dev/urandom
	vm --disk "$WORK/data.img${DISK_OPTS:-}" --in-order -v --append "minivmm.test=blk_read"
	expect_rc 0 && expect_eq "$(guest_says '/dev/vda read md5')" "$(md5 "$WORK/data.img")" \
		"guest's md5 vs image"
}

case_blk_parallel() {
	image data.img 8
	vm --cpus 2 --disk "$WORK/data.img${DISK_OPTS:-}" --in-order -v --append "minivmm.test=blk_parallel"
	expect_rc 0 && expect_line "MINIVMM-GUEST: parallel regions bad 0 of 8" &&
		tr -d '\r' <"$log" | grep "^vda:"
}

case_blk_two_disks() {
	cp "$GUEST/rootfs.ext4" "$WORK/root.img"
	image data.img 4
	vmd --disk "$WORK/root.img${DISK_OPTS:-}" --disk "$WORK/data.img${DISK_OPTS:-}" \
		--append "minivmm.test=blk_write minivmm.dev=vdb"
	expect_rc 0 && expect_eq "$(guest_says '/dev/vdb md5')" "$(md5 "$WORK/data.img")" \
		"guest's md5 of vdb vs image"
}

case_blk_read_only() {
	image data.img 4 /dev/urandom
	before=$(md5 "$WORK/data.img")
	vm --disk "$WORK/data.img,ro,serial=ABCDEFGHIJKLMNOPQRST${DISK_OPTS:-}" -v --append "minivmm.test=blk_ro"
	expect_rc 0 && expect_line "MINIVMM-GUEST: /dev/vda ro flag 1" &&
		expect_line "MINIVMM-GUEST: /dev/vda serial 'ABCDEFGHIJKLMNOPQRST'" &&
		expect_line "MINIVMM-GUEST: ro write refused" &&
		expect_eq "$(guest_says '/dev/vda read md5')" "$before" "guest's md5" &&
		expect_eq "$(md5 "$WORK/data.img")" "$before" "image after the guest ran"
}

# --rng: Linux takes minivmm's virtio-rng as its hwrng, and /dev/hwrng
# gives 64 bytes, not all zero, that the device counted.
case_rng_hwrng() {
	vm --rng -v --append "minivmm.test=rng"
	expect_rc 0 && expect_line "MINIVMM-GUEST: rng_current virtio_rng.0$" &&
		expect_line "MINIVMM-GUEST: hwrng read 64 bytes$" &&
		expect_line "MINIVMM-GUEST: hwrng nonzero [1-9][0-9]* bytes$" &&
		expect_line "^rng0: virtio-rng .* bytes=[1-9]"
}

case_blk_enospc() {
	mkdir -p "$WORK/small"
	umount "$WORK/small" 2>/dev/null
	mount -t tmpfs -o size=2m small "$WORK/small" || { fail "cannot mount a small tmpfs"; return 1; }
	truncate -s 16M "$WORK/small/sparse.img"
	vm --disk "$WORK/small/sparse.img${DISK_OPTS:-}" -v --append "minivmm.test=blk_enospc"
	umount "$WORK/small"
	expect_rc 0 && expect_line "MINIVMM-GUEST: enospc write failed" &&
		expect_line "MINIVMM-GUEST: still alive" && expect_line "enospc=[1-9]"
}

case_blk_direct() {
	# O_DIRECT needs a filesystem that supports it; tmpfs does not.
	image data.img 8
	vm --disk "$WORK/data.img,direct${DISK_OPTS:-}" -v --append "minivmm.test=blk_write"
	if tr -d '\r' <"$log" | grep -q "Invalid argument\|cannot open disk"; then
		fail "O_DIRECT refused on $WORK"
		return 1
	fi
	expect_rc 0 && expect_eq "$(guest_says '/dev/vda md5')" "$(md5 "$WORK/data.img")" \
		"guest's md5 vs image" && expect_line "misaligned=0"
}

# The design card's command line: the guest boots from its disk to a shell
# on the serial console, which reads what minivmm's stdin sends it. Input
# goes in once the prompt is up: a UART drops what arrives before the guest
# opens the port, as a real one does.
case_shell_from_disk() {
	cp "$GUEST/rootfs.ext4" "$WORK/root.img"
	log=$WORK/$case_name.log
	rm -f "$WORK/console.in" "$WORK/rc"
	mkfifo "$WORK/console.in"
	: >"$log"
	(bounded "$VM_TIMEOUT" "$MINIVMM" --kernel "$GUEST_KERNEL" --disk "$WORK/root.img${DISK_OPTS:-}" --in-order \
		--timeout "$VM_TIMEOUT" <"$WORK/console.in" >"$log" 2>&1
	 echo $? >"$WORK/rc") &
	vm_pid=$!
	exec 3>"$WORK/console.in"
	# Poll the console for the prompt (at most VM_TIMEOUT seconds).
	n=0
	while ! grep -q '/ # ' "$log" && [ $n -lt $((VM_TIMEOUT * 5)) ]; do
		sleep 0.2
		n=$((n + 1))
	done
	printf 'echo shell-says-$((6 * 7))\nexit\n' >&3
	exec 3>&-
	# This VM only: the shell running the cases may have other children.
	wait "$vm_pid"
	rc=$(cat "$WORK/rc")
	expect_rc 0 && expect_line "MINIVMM-GUEST: shell on the console" &&
		expect_line "^shell-says-42"
}

# ---- fio, a real client (guests/rootfs/tests/fio.sh) ----
# 4 KiB random read/write at depth 32 and a 128 KiB sequential pass, each
# block verified by fio itself; then the image must hold what fio wrote last:
# the sequential job's blocks carry fio's verify header (magic 0xacca).
FIO_MB=${FIO_MB:-16}
fio_case() {
	[ -s "$GUEST/initrd-fio.cpio.gz" ] || { fail "the guest's initrd-fio.cpio.gz is missing"; return 1; }
	image data.img $((FIO_MB + 4))
	log=$WORK/$case_name.log
	bounded "$VM_TIMEOUT" "$MINIVMM" --kernel "$GUEST_KERNEL" --initrd "$GUEST/initrd-fio.cpio.gz" \
		${GUEST_SYMBOLS:+--symbols "$GUEST_SYMBOLS"} --timeout "$VM_TIMEOUT" \
		--cpus 2 --disk "$WORK/data.img${DISK_OPTS:-}" $1 $RING_OPTS -v \
		--append "minivmm.test=fio minivmm.fio_mb=$FIO_MB" </dev/null >"$log" 2>&1
	rc=$?
	tr -d '\r' <"$log" | grep "^MINIVMM-GUEST: fio "
	expect_rc 0 && expect_line "MINIVMM-GUEST: fio randrw status 0 error 0 " &&
		expect_line "MINIVMM-GUEST: fio seq status 0 error 0 " &&
		expect_line "vda: virtio-blk in_order=$2" &&
		expect_eq "$(od -An -tx2 -N2 "$WORK/data.img" | tr -d ' ')" acca \
			"fio's verify magic at the start of the image"
}
case_fio_in_order() { fio_case --in-order negotiated; }
case_fio_no_in_order() { fio_case "" off; }

# ---- Acknowledged writes survive a kill (issue 10) ----
# The guest writes record after record to its disk, each with O_DIRECT and
# fdatasync, and acknowledges each on the console only once fdatasync has
# returned (guests/rootfs/tests/durable.sh, guests/rootfs/durable.c). We
# SIGKILL minivmm after a random number (5..200) of acknowledgements, then
# check every acknowledged record at its block, through the image file and,
# with a scratch disk, on that disk.
#
# One level down, the image lives on the middle layer's own disk (an ext4
# without journal on a virtio-blk disk of QEMU, label minivmm-scratch; run.sh
# attaches it), with the layer's periodic writeback off. Then the only way a
# record reaches that disk before the kill is minivmm's fdatasync for the
# guest's FLUSH (or O_DIRECT, with ,direct), and reading the disk with
# O_DIRECT right after the kill shows what a power cut of the layer would
# have left. Without a scratch disk (a host that runs the cases directly)
# only the file is checked, which shows what the kill alone would lose.
DURABLE_TRIALS=${DURABLE_TRIALS:-50}
DURABLE_MB=4

durable_setup() {
	durable_dev=$(findfs LABEL=minivmm-scratch 2>/dev/null)
	if [ -z "$durable_dev" ]; then
		durable_dev=- durable_dir=$WORK
		return 0
	fi
	durable_dir=$WORK/scratch
	mkdir -p "$durable_dir"
	grep -q " $durable_dir " /proc/mounts ||
		mount -t ext4 "$durable_dev" "$durable_dir" || { fail "cannot mount $durable_dev"; return 1; }
	wb=$(cat /proc/sys/vm/dirty_writeback_centisecs) exp=$(cat /proc/sys/vm/dirty_expire_centisecs)
	echo 0 >/proc/sys/vm/dirty_writeback_centisecs
	echo 8640000 >/proc/sys/vm/dirty_expire_centisecs
}

durable_restore() {
	[ "$durable_dev" = - ] && return 0
	echo "$wb" >/proc/sys/vm/dirty_writeback_centisecs
	echo "$exp" >/proc/sys/vm/dirty_expire_centisecs
}

# durable_trial DISK_OPTS [--in-order]: one kill; adds to the counters.
durable_trial() {
	img=$durable_dir/durable.img
	nonce=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
	kill_at=$(shuf -i 5-200 -n 1)
	log=$WORK/$case_name.log
	rm -f "$img"
	# Blocks allocated and on the disk before the VM starts; none of it
	# passes for a record.
	dd if=/dev/zero of="$img" bs=1M count="$DURABLE_MB" 2>/dev/null && sync
	trials=$((trials + 1))
	# The helper reads minivmm's output to its end: if that end never comes
	# (minivmm neither killed nor ended by its own --timeout), the trial
	# fails as hung instead of holding up the run.
	run=$(timeout -s KILL $((VM_TIMEOUT + 60)) "${DURABLE:-durable}" run "$nonce" "$kill_at" \
		"$log" "$WORK/acks" -- \
		"$MINIVMM" --kernel "$GUEST_KERNEL" --initrd "$GUEST/initrd.cpio.gz" \
		--timeout "$VM_TIMEOUT" --disk "$img$1${DISK_OPTS:-}" $2 \
		--append "minivmm.test=durable minivmm.nonce=$nonce")
	st=$?
	if [ $st -eq 137 ]; then
		run="$run hung: no end of minivmm's output in $((VM_TIMEOUT + 60)) s; still there: $(ps -o pid,stat,args 2>/dev/null | grep '[m]inivmm' | tr '\n' ';')"
		# Where each of its threads sleeps, for the report: a thread stuck
		# in the kernel keeps the pipe open after a SIGKILL.
		for t in $(ps -o pid,args | awk -v n="minivmm.nonce=$nonce" 'index($0, n) && !/awk/ { print $1 }' | sed 's|.*|/proc/&/task/*|'); do
			run="$run; thread ${t##*/} $(cat "$t/comm" "$t/stat" 2>/dev/null | tr '\n' ' ' | cut -c1-60) wchan $(cat "$t/wchan" 2>/dev/null) stack $(tr '\n' ' ' <"$t/stack" 2>/dev/null)"
		done
	fi
	chk=$("${DURABLE:-durable}" check "$img" "$durable_dev" "$nonce" "$WORK/acks")
	cst=$?
	set -- $(echo "$chk" | tail -n 1 | tr -cs '0-9\n' ' ')
	acked=$((acked + ${1:-0})) in_file=$((in_file + ${2:-0})) on_dev=$((on_dev + ${3:-0}))
	echo "MINIVMM-DURABLE: $case_name trial $trials ($variant): kill after $kill_at; $run; $(echo "$chk" | tail -n 1)"
	# With "write through" Linux would send no FLUSH at all.
	tr -d '\r' <"$log" | grep -q "MINIVMM-GUEST: vda write_cache write back" ||
		chk="guest's vda is not write back
$chk" cst=1
	if [ $st -ne 0 ] || [ $cst -ne 0 ]; then
		failures=$((failures + 1))
		# The first failing trial is the one the verdict shows.
		[ -s "$bad" ] || {
			echo "trial $trials ($variant), kill after $kill_at: $run"
			echo "$chk" | head -n 12
			echo "its console, last lines:"
			tr -d '\r' <"$log" | tail -n 12
		} >"$bad"
	fi
}

# durable_trials N VARIANT...: N trials, taking the variants in turn
# (cache or direct, each with or without in_order).
durable_trials() {
	n=$1
	shift
	trials=0 acked=0 in_file=0 on_dev=0 failures=0 bad=$WORK/$case_name.bad
	rm -f "$bad"
	durable_setup || return 1
	i=0
	while [ $i -lt "$n" ]; do
		eval "variant=\${$((i % $# + 1))}"
		case $variant in
		cache*) opts= ;;
		*) opts=,direct ;;
		esac
		case $variant in
		*_in_order) durable_trial "$opts" --in-order ;;
		*) durable_trial "$opts" "" ;;
		esac
		i=$((i + 1))
	done
	durable_restore
	where="on the scratch disk $on_dev"
	[ "$durable_dev" = - ] && where="on a disk: not checked (no scratch disk)"
	echo "MINIVMM-DURABLE: $case_name: trials $trials, records acknowledged $acked, intact in the file $in_file, $where, failures $failures"
	log=$bad
	[ "$failures" -eq 0 ] || fail "$failures of $trials kill trials lost or damaged acknowledged records"
}

# make check's taste of make stress: both backings, in-order on and off.
case_blk_durable() { durable_trials 2 cache_in_order direct; }
case_durable_cache_in_order() { durable_trials "$DURABLE_TRIALS" cache_in_order; }
case_durable_cache() { durable_trials "$DURABLE_TRIALS" cache; }
case_durable_direct_in_order() { durable_trials "$DURABLE_TRIALS" direct_in_order; }
case_durable_direct() { durable_trials "$DURABLE_TRIALS" direct; }

run_cases() {
	for case_name in "$@"; do
		t0=$(now)
		log=
		if "case_$case_name"; then
			echo "MINIVMM-RESULT PASS $case_name $(awk "BEGIN { print $(now) - $t0 }")"
		fi
	done
}

# run_lanes CASE...: the cases in two lanes at once, each a run_cases with a
# WORK of its own, so its own images, network namespace, TAP and ports. For
# the middle layer: an inner guest keeps about one of its two vCPUs busy,
# and the host's second CPU would idle. The kill trials' scratch disk is
# one, so blk_durable goes with the network and fio cases to lane 1 (about
# half of the time); the rest is lane 2.
run_lanes() {
	_base=$WORK _lane1= _lane2=
	for _c in "$@"; do
		case $_c in
		net_* | *durable* | fio_*) _lane1="$_lane1 $_c" ;;
		*) _lane2="$_lane2 $_c" ;;
		esac
	done
	(WORK=$_base/lane1 NET_NS=$_base/lane1/minivmm-net.ns
	 mkdir -p "$WORK" && run_cases $_lane1
	 net_down) &
	_lane1_pid=$!
	WORK=$_base/lane2 NET_NS=$_base/lane2/minivmm-net.ns
	mkdir -p "$WORK" && run_cases $_lane2
	net_down
	wait "$_lane1_pid"
	WORK=$_base NET_NS=$_base/minivmm-net.ns
}

# Not a test: boots the demo guest and shows its whole console (make demo).
case_demo() {
	net_up || return 1
	cp "$GUEST/rootfs.ext4" "$WORK/root.img"
	log=$WORK/$case_name.log
	bounded "$VM_TIMEOUT" nsenter --net="$NET_NS" "$MINIVMM" --kernel "$GUEST_KERNEL" \
		--timeout "$VM_TIMEOUT" -v --cpus 2 \
		--disk "$WORK/root.img" --net "tap=$NET_TAP" --in-order \
		--append "minivmm.test=demo $NET_GUEST" </dev/null >"$log" 2>&1
	rc=$?
	echo "MINIVMM-DEMO-BEGIN"
	tr -d '\r' <"$log"
	echo "MINIVMM-DEMO-END"
	expect_rc 0 && expect_line "Hello from a Linux guest of minivmm" &&
		expect_line "network: eth0 .* ping 10.0.0.1 ok"
}

# ---- virtio-net (issue 5) ----
# The middle layer is the host side, in a network namespace of its own
# (bound to a file so every command can enter it): a persistent TAP made by
# mktap (busybox ip has no tuntap) with 10.0.0.1/24; the guest is 10.0.0.2.
# The namespace's file is in $WORK, which is the run's own (or the layer's
# /tmp), so the TAP's name, the addresses and the ports are the run's own
# too; net_down drops the namespace, and the TAP with it.
NET_TAP=mvtap0
# 16 MiB each way is thousands of full frames and TSO frames; the long
# stream (512 MiB) and iperf3 cases carry the volume.
NET_MB=${NET_MB:-16}
NET_GUEST="minivmm.ip=10.0.0.2/24 minivmm.peer=10.0.0.1"
NET_NS=$WORK/minivmm-net.ns

netns() { nsenter --net="$NET_NS" "$@"; }

net_up() {
	if ! netns true 2>/dev/null; then
		: >"$NET_NS"
		unshare --net="$NET_NS" true || { fail "cannot make a network namespace"; return 1; }
	fi
	if ! netns ip link show "$NET_TAP" >/dev/null 2>&1; then
		netns "${MKTAP:-mktap}" "$NET_TAP" || { fail "cannot create TAP $NET_TAP"; return 1; }
		netns ip addr add 10.0.0.1/24 dev "$NET_TAP" || { fail "cannot address $NET_TAP"; return 1; }
	fi
	netns ip link set lo up
	netns ip link set "$NET_TAP" up
}

net_down() {
	umount "$NET_NS" 2>/dev/null
	rm -f "$NET_NS"
}

# vmn ARGS...: vm, inside the namespace.
vmn() {
	log=$WORK/$case_name.log
	bounded "$VM_TIMEOUT" nsenter --net="$NET_NS" "$MINIVMM" --kernel "$GUEST_KERNEL" \
		--initrd "$GUEST/initrd.cpio.gz" --timeout "$VM_TIMEOUT" $RING_OPTS "$@" </dev/null >"$log" 2>&1
	rc=$?
}

case_net_ping() {
	net_up || return 1
	vmn --net "tap=$NET_TAP,mac=52:54:00:ab:cd:ef,mtu=1500" -v --append "minivmm.test=net_ping $NET_GUEST"
	expect_rc 0 && expect_line "MINIVMM-GUEST: ping 10.0.0.1 ok" &&
		expect_line "MINIVMM-GUEST: eth0 mac 52:54:00:ab:cd:ef mtu 1500" &&
		expect_line "eth0: virtio-net tap=$NET_TAP" &&
		{ ! ip link show "$NET_TAP" >/dev/null 2>&1 || fail "TAP visible outside its namespace"; }
}

# The host side of the guest's net_tcp test: port 5000 stores what the guest
# sends in net_recv, port 5001 sends it net_blob. net_listen starts both,
# net_unlisten stops them once the guest is done.
net_listen() {
	rm -f "$WORK/net_recv"
	netns nc -l -p 5000 -e sh -c "cat >'$WORK/net_recv'" </dev/null >/dev/null 2>&1 &
	recv_pid=$!
	netns nc -l -p 5001 -e cat "$WORK/net_blob" </dev/null >/dev/null 2>&1 &
	send_pid=$!
}

net_unlisten() {
	kill "$recv_pid" "$send_pid" 2>/dev/null
	wait "$recv_pid" "$send_pid" 2>/dev/null
	tx_s=$(guest_says 'tx seconds') rx_s=$(guest_says 'rx seconds')
}

# net_tcp IN_ORDER_FLAG EXPECTED_BIT35 NET_OPTIONS: NET_MB MiB each way,
# checksums compared.
net_tcp() {
	net_up || return 1
	dd if=/dev/urandom of="$WORK/net_blob" bs=1M count="$NET_MB" 2>/dev/null
	net_listen
	vmn --mem 512M --net "tap=$NET_TAP$3" $1 -v \
		--append "minivmm.test=net_tcp minivmm.mb=$NET_MB $NET_GUEST"
	net_unlisten
	rate=$(awk -v mb="$NET_MB" -v t="${tx_s:-0}" -v r="${rx_s:-0}" 'BEGIN {
		f = mb * 1.048576
		printf (t > 0 ? "%.2f" : "-"), (t > 0 ? f / t : 0)
		printf (r > 0 ? " / %.2f MB/s" : " / - MB/s"), (r > 0 ? f / r : 0) }')
	echo "MINIVMM-NET: $case_name $NET_MB MiB guest->host ${tx_s:-?} s, host->guest ${rx_s:-?} s ($rate)"
	tr -d '\r' <"$log" | grep "^eth0:" | sed 's/^/MINIVMM-NET:   /'
	expect_rc 0 && expect_line "MINIVMM-GUEST: virtio virtio0 device 0x0001 bit35 $2" &&
		expect_eq "$(guest_says 'tx md5')" "$(md5 "$WORK/net_recv")" "guest's sent md5 vs received" &&
		expect_eq "$(guest_says 'rx md5')" "$(md5 "$WORK/net_blob")" "host's sent md5 vs guest's"
}

# ---- user-mode networking (issue 31) ----
# --net user: no TAP, no root. The guest takes slirp's DHCP lease (10.0.2.15,
# gateway 10.0.2.2) and fetches NET_MB MiB from the host through the
# gateway, which slirp maps to the host's own 127.0.0.1. In the run's
# network namespace (only its lo is used), so the port is the run's own.
# Not in ALL_CASES yet: the middle layer runs the static minivmm, which has
# no libslirp (Debian ships no libslirp.a) and refuses --net user.
case_net_user() {
	net_up || return 1
	dd if=/dev/urandom of="$WORK/net_blob" bs=1M count="$NET_MB" 2>/dev/null
	netns nc -l -p 5002 -e cat "$WORK/net_blob" </dev/null >/dev/null 2>&1 &
	send_pid=$!
	vmn --mem 512M --net user -v --append "minivmm.test=net_user minivmm.port=5002"
	kill "$send_pid" 2>/dev/null
	wait "$send_pid" 2>/dev/null
	expect_rc 0 && expect_line "MINIVMM-GUEST: dhcp 10.0.2.15 router 10.0.2.2" &&
		expect_line "eth0: virtio-net user " &&
		expect_eq "$(guest_says 'fetched md5')" "$(md5 "$WORK/net_blob")" \
			"host's file vs what the guest fetched through slirp"
}

# Receive segmentation on (the default): the TAP hands over TSO frames of up
# to 64 KiB, each spread over several mergeable buffers, never batched under
# IN_ORDER (every buffer has its own length). A bulk sender's first segment
# already holds two MSS (tcp_min_tso_segs), more than one buffer of the
# ones Linux posts before any data came (about 1.5 KiB each).
# The transmit ring is polled; how often a poll finds the next frame depends
# on when the device thread gets a CPU (the net benchmark shows it), but
# each hit takes at least one frame off the ring, sent or dropped.
case_net_tcp_in_order() {
	net_tcp --in-order 1 "" &&
		expect_line "eth0: virtio-net tap=$NET_TAP in_order=negotiated mrg_rxbuf=on guest_tso=on poll_hits=[0-9]" &&
		expect_le "$(counter 'eth0: ' poll_hits)" \
			"$(($(counter 'eth0: ' tx_packets) + $(counter 'eth0: ' tx_drops)))" \
			"poll_hits vs frames taken (tx_packets + tx_drops)" &&
		{ n=$(tr -d '\r' <"$log" | sed -n 's/^eth0: .* rx_max_bufs=\([0-9]*\) .*/\1/p')
		  [ "${n:-0}" -ge 2 ] || fail "no frame spread over several buffers (rx_max_bufs=${n:-?})"; }
}

# And off (--net ...,guest_tso=off): the TAP segments for the guest; the
# transmit ring is not polled (poll=0), so every frame comes with a kick.
case_net_tcp_no_in_order() {
	net_tcp "" 0 ,guest_tso=off,poll=0 &&
		expect_line "eth0: virtio-net tap=$NET_TAP in_order=off mrg_rxbuf=on guest_tso=off poll_hits=0 " &&
		expect_line "rx_max_bufs=1 "
}

rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status" 2>/dev/null; }

# A flood from the host while the guest takes nothing: minivmm's memory stays
# bounded (the bounce pool fills, then the TAP queue drops), and the card
# works once the guest reads again. The guest waits for a console line.
case_net_flood() {
	net_up || return 1
	log=$WORK/$case_name.log
	: >"$log" # read below before the VM's redirection may have made it
	rm -f "$WORK/net_in"
	mkfifo "$WORK/net_in" && exec 3<>"$WORK/net_in" || { fail "cannot make a fifo"; return 1; }
	# exec: the background job's process becomes nsenter, which (entering
	# no PID namespace) execs minivmm, so $! is minivmm's own pid, not that
	# of whichever minivmm another run has going.
	(exec nsenter --net="$NET_NS" "$MINIVMM" --kernel "$GUEST_KERNEL" \
		--initrd "$GUEST/initrd.cpio.gz" --timeout "$VM_TIMEOUT" --net "tap=$NET_TAP" -v \
		--append "minivmm.test=net_flood $NET_GUEST") <&3 >"$log" 2>&1 &
	vm_pid=$!
	watchdog "$vm_pid" "$VM_TIMEOUT"
	# Waits for the guest's word (a bound for a hung guest, not a time).
	i=0
	until tr -d '\r' <"$log" | grep -q "MINIVMM-GUEST: flood ready" || [ $i -ge "$VM_TIMEOUT" ]; do
		sleep 1
		i=$((i + 1))
	done
	mv_pid=$vm_pid
	mv_comm=$(cat "/proc/$mv_pid/comm" 2>/dev/null)
	rss0=$(rss_kb "$mv_pid")
	netns "${MKTAP:-mktap}" flood "$NET_TAP" 20000 1514 >/dev/null
	rss1=$(rss_kb "$mv_pid")
	netns "${MKTAP:-mktap}" flood "$NET_TAP" 20000 1514 >/dev/null
	rss2=$(rss_kb "$mv_pid")
	echo go >&3
	wait $vm_pid
	rc=$?
	watchdog_done
	exec 3>&-
	echo "MINIVMM-NET: $case_name minivmm VmRSS kB: ${rss0:-?} before, ${rss1:-?} after 20000 frames, ${rss2:-?} after 40000"
	tr -d '\r' <"$log" | grep "^eth0:" | sed 's/^/MINIVMM-NET:   /'
	expect_rc 0 && expect_line "MINIVMM-GUEST: ping after flood ok" &&
		expect_line "rx_pool_hwm=32 " &&
		{ [ "$mv_comm" = minivmm ] || fail "pid $mv_pid is '$mv_comm', not minivmm"; } &&
		{ [ "${rss0:-0}" -gt 8192 ] || fail "no VmRSS of minivmm (pid '$mv_pid')"; } &&
		{ [ $((rss2 - rss0)) -lt 8192 ] ||
		fail "minivmm grew by $((rss2 - rss0)) kB during the flood"; }
}

# ---- a sustained host->guest stream (issue 17) ----
# 16 MiB (net_tcp) is over before a TSO frame of up to 64 KiB meets a
# receive ring that holds too few mergeable buffers for it, which froze the
# card under `iperf3 -R` in seconds. Here the host side of the TAP sends
# NET_STREAM_MB MiB (512) and 7 bytes over TCP, guest TSO and mergeable
# buffers on, with netpat (guests/rootfs/netpat.c): a pattern from a seed
# that the guest checks byte by byte as it reads, storing nothing. The
# sender reports what it wrote, the guest what it got and where the first
# wrong byte was. A stuck card shows as minivmm's own --timeout (124),
# reported as such; minivmm and the sender run under hard outer bounds too,
# so a hang never hangs the run.
NET_STREAM_MB=${NET_STREAM_MB:-512}
NET_STREAM_TIMEOUT=${NET_STREAM_TIMEOUT:-300}

# net_wait_listen PORT: until a socket listens on PORT in the namespace. The
# bound (60 s) is for a listener that never comes; one level down on a busy
# machine even a local listen can take seconds.
net_wait_listen() {
	i=0
	until netns netstat -ltn 2>/dev/null | grep -q ":$1 "; do
		[ $i -ge 600 ] && { fail "nothing listens on port $1 after 60 s"; return 1; }
		sleep 0.1
		i=$((i + 1))
	done
}

# net_stream IN_ORDER_FLAG EXPECTED_BIT35 NET_OPTIONS
net_stream() {
	net_up || return 1
	log=$WORK/$case_name.log
	bytes=$((NET_STREAM_MB * 1048576 + 7))
	seed=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
	rm -f "$WORK/stream.sent"
	# A session of its own, so that its whole process group can be killed;
	# timeout bounds it even if that went wrong.
	setsid nsenter --net="$NET_NS" timeout -s KILL $((NET_STREAM_TIMEOUT + 60)) \
		sh -c "exec ${NETPAT:-netpat} send 5002 $bytes $seed >'$WORK/stream.sent' 2>&1" \
		</dev/null >/dev/null 2>&1 &
	snd_pid=$!
	net_wait_listen 5002 || { kill -KILL -"$snd_pid"; wait "$snd_pid"; return 1; }
	timeout -s KILL $((NET_STREAM_TIMEOUT + 30)) nsenter --net="$NET_NS" "$MINIVMM" \
		--kernel "$GUEST_KERNEL" --initrd "$GUEST/initrd.cpio.gz" \
		--timeout "$NET_STREAM_TIMEOUT" --net "tap=$NET_TAP$3" $1 -v \
		--append "minivmm.test=net_rx_stream minivmm.port=5002 minivmm.seed=$seed $NET_GUEST" \
		</dev/null >"$log" 2>&1
	rc=$?
	kill -KILL -"$snd_pid" 2>/dev/null
	wait "$snd_pid" 2>/dev/null
	got=$(guest_says 'stream received')
	echo "MINIVMM-NET: $case_name $bytes bytes host->guest: guest got '${got:-nothing}' in $(guest_says 'stream seconds') s, minivmm status $rc"
	tr -d '\r' <"$log" | grep "^eth0:" | sed 's/^/MINIVMM-NET:   /'
	[ "$rc" -ne 137 ] || { fail "minivmm ignored its --timeout $NET_STREAM_TIMEOUT: SIGKILLed"; return 1; }
	[ "$rc" -ne 124 ] || {
		fail "the transfer hung: minivmm's --timeout $NET_STREAM_TIMEOUT s ended the VM" \
			"(the card had taken $(tr -d '\r' <"$log" |
			sed -n 's/^eth0: .* rx_bytes=\([0-9]*\) .*/\1/p') bytes from the TAP)"
		return 1
	}
	expect_rc 0 && expect_line "MINIVMM-GUEST: virtio virtio0 device 0x0001 bit35 $2" &&
		expect_line "eth0: virtio-net tap=$NET_TAP .*mrg_rxbuf=on guest_tso=on" &&
		expect_eq "$(cat "$WORK/stream.sent" 2>/dev/null)" "netpat: sent $bytes" "sender's report" &&
		expect_eq "$got" "$bytes bad_at none" "guest's count and first bad byte"
}

case_net_rx_stream_in_order() { net_stream --in-order 1 ""; }
case_net_rx_stream_no_in_order_poll0() { net_stream "" 0 ,poll=0; }
case_net_rx_stream_in_order_poll0() { net_stream --in-order 1 ,poll=0; }
case_net_rx_stream_no_in_order() { net_stream "" 0 ""; }

# ---- iperf3 (issue 17) ----
# Debian's iperf3 on both sides of the TAP: the server in the middle layer,
# the client in the guest (initrd-iperf3.cpio.gz), NET_IPERF_SECS (3) seconds
# guest->host, then host->guest (-R, the direction that froze the card),
# guest TSO on. Asserts that both runs completed (iperf3's JSON: bytes
# received, no error), never a rate.
NET_IPERF_SECS=${NET_IPERF_SECS:-3}
NET_IPERF_TIMEOUT=${NET_IPERF_TIMEOUT:-120}

net_iperf() {
	net_up || return 1
	[ -x /usr/bin/iperf3 ] && [ -s "$GUEST/initrd-iperf3.cpio.gz" ] ||
		{ fail "iperf3 or the guest's initrd-iperf3.cpio.gz missing (make deps)"; return 1; }
	log=$WORK/$case_name.log
	setsid nsenter --net="$NET_NS" timeout -s KILL $((NET_IPERF_TIMEOUT + 60)) \
		/usr/bin/iperf3 -s -p 5201 </dev/null >"$WORK/iperf3-server.log" 2>&1 &
	srv_pid=$!
	net_wait_listen 5201 || { kill -KILL -"$srv_pid"; wait "$srv_pid"; return 1; }
	timeout -s KILL $((NET_IPERF_TIMEOUT + 30)) nsenter --net="$NET_NS" "$MINIVMM" \
		--kernel "$GUEST_KERNEL" --initrd "$GUEST/initrd-iperf3.cpio.gz" \
		--timeout "$NET_IPERF_TIMEOUT" --net "tap=$NET_TAP$3" $1 $RING_OPTS -v \
		--append "minivmm.test=net_iperf minivmm.secs=$NET_IPERF_SECS $NET_GUEST" \
		</dev/null >"$log" 2>&1
	rc=$?
	kill -KILL -"$srv_pid" 2>/dev/null
	wait "$srv_pid" 2>/dev/null
	tr -d '\r' <"$log" | grep "^MINIVMM-GUEST: iperf3 " | sed "s/^MINIVMM-GUEST:/MINIVMM-NET: $case_name/"
	tr -d '\r' <"$log" | grep "^eth0:" | sed 's/^/MINIVMM-NET:   /'
	[ "$rc" -ne 137 ] || { fail "minivmm ignored its --timeout $NET_IPERF_TIMEOUT: SIGKILLed"; return 1; }
	[ "$rc" -ne 124 ] || {
		fail "iperf3 hung: minivmm's --timeout $NET_IPERF_TIMEOUT s ended the VM" \
			"($(tr -d '\r' <"$log" | grep -c '^MINIVMM-GUEST: iperf3 ') of 2 runs done)"
		return 1
	}
	expect_rc 0 && expect_line "MINIVMM-GUEST: virtio virtio0 device 0x0001 bit35 $2" &&
		expect_line "eth0: virtio-net tap=$NET_TAP .*mrg_rxbuf=on guest_tso=on" &&
		expect_line "^MINIVMM-GUEST: iperf3 fwd status 0 bytes [1-9][0-9]* error none$" &&
		expect_line "^MINIVMM-GUEST: iperf3 rev status 0 bytes [1-9][0-9]* error none$"
}

case_net_iperf_in_order() { net_iperf --in-order 1 ""; }
case_net_iperf_no_in_order() { net_iperf "" 0 ""; }

# ---- The packed ring (--packed): a matrix over split cases ----
# Each case of PACKED_TWINS runs again as NAME_packed, with --packed given
# to every minivmm it starts (RING_OPTS): the same guest work and the same
# checks, its IN_ORDER setting included, over packed rings. Then every
# virtio device the guest listed (guests/rootfs/tests/features.sh,
# minivmm-net-up, and the blk_write and fio tests print them from
# /sys/bus/virtio/devices/*/features, where character N is bit N) must have
# negotiated VIRTIO_F_RING_PACKED, bit 34. The names keep their twin's
# prefix, so case_budget and run_lanes treat a case as they treat its twin.
PACKED_TWINS="blk_root_in_order blk_root_no_in_order blk_guest_writes blk_guest_writes_no_in_order
 fio_in_order fio_no_in_order net_tcp_in_order net_tcp_no_in_order
 net_iperf_in_order net_iperf_no_in_order"

# expect_ring BIT: every virtio device the guest listed has bit 34 = BIT.
expect_ring() {
	_all=$(tr -d '\r' <"$log" | grep -c "^MINIVMM-GUEST: virtio virtio[0-9]* device ")
	_set=$(tr -d '\r' <"$log" | grep -c "^MINIVMM-GUEST: virtio virtio[0-9]* device .* bit34 $1\$")
	[ "$_all" -gt 0 ] || { fail "the guest listed no virtio device"; return 1; }
	[ "$_set" -eq "$_all" ] ||
		fail "VIRTIO_F_RING_PACKED (bit 34) is $1 on only $_set of $_all virtio devices"
}

# expect_host_ring FORMAT: every queue whose counters minivmm printed (-v)
# says it ran that ring format (none printed: nothing to check).
expect_host_ring() {
	_q=$(tr -d '\r' <"$log" | grep -c " queue completed=")
	_r=$(tr -d '\r' <"$log" | grep -c " queue completed=.* ring=$1\$")
	[ "$_q" -eq "$_r" ] || fail "minivmm says ring=$1 on only $_r of $_q queues"
}

# packed_twin TWIN: case TWIN with --packed, then the negotiation checks,
# the guest's and minivmm's.
packed_twin() {
	RING_OPTS=--packed
	"case_$1"
	_pt=$?
	RING_OPTS=
	[ "$_pt" -eq 0 ] && expect_ring 1 && expect_host_ring packed
}

PACKED_CASES=
for _twin in $PACKED_TWINS; do
	eval "case_${_twin}_packed() { packed_twin $_twin; }"
	PACKED_CASES="$PACKED_CASES ${_twin}_packed"
done
ALL_CASES="$ALL_CASES$PACKED_CASES"

# ---- The thread-pool block engine (engine=threads): a matrix over blk cases ----
# Each case of ENGINE_TWINS runs again as NAME_threads with ",engine=threads"
# on its disks (DISK_OPTS): every Linux disk case (root boots, writes both
# ways, parallel regions, two disks, read-only, ENOSPC, O_DIRECT, fio with
# verification) and the kill trials' durability, all through the worker
# threads' preadv2/pwritev2/fdatasync/fallocate instead of io_uring. Where
# the case prints the device's counters (-v), they must name the engine.
ENGINE_TWINS="blk_root_in_order blk_root_no_in_order blk_guest_writes blk_host_writes
 blk_parallel blk_two_disks blk_read_only blk_enospc blk_direct fio_in_order fio_no_in_order
 blk_durable"

engine_twin() {
	DISK_OPTS=,engine=threads
	"case_$1"
	_et=$?
	DISK_OPTS=
	[ "$_et" -eq 0 ] || return 1
	case $1 in
	blk_durable) return 0 ;; # no counters line: minivmm is killed
	esac
	expect_line "^vda: virtio-blk .* engine=threads\$"
}

ENGINE_CASES=
for _twin in $ENGINE_TWINS; do
	eval "case_${_twin}_threads() { engine_twin $_twin; }"
	ENGINE_CASES="$ENGINE_CASES ${_twin}_threads"
done
ALL_CASES="$ALL_CASES$ENGINE_CASES"
