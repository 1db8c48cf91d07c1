# The boot harness's middle layer: the guest kernel booted under QEMU TCG
# (whose emulated CPU has SVM, so no host /dev/kvm is needed), with an
# initramfs holding busybox, a static minivmm, the guest and test scripts.
# Sourced; needs $root (checkout) and $guest (bzImage, vmlinux, initrd);
# layer_build takes $MKTAP (the TAP helper) along when it is set.

# layer_build STAGE OUT.cpio.gz CASES_FILE [EXTRA_DIR]
# EXTRA_DIR, when given, is copied over the stage (e.g. a QEMU for benchmarks).
layer_build() {
	_stage=$1 _out=$2 _cases=$3 _extra=${4:-}
	rm -rf "$_stage"
	mkdir -p "$_stage/bin" "$_stage/guest" "$_stage/tests" "$_stage/dev" "$_stage/proc" \
		"$_stage/sys" "$_stage/tmp"
	cp /bin/busybox "$_stage/bin/busybox"
	for _a in $(/bin/busybox --list); do
		[ -e "$_stage/bin/$_a" ] || ln -s busybox "$_stage/bin/$_a"
	done
	cp "$root/build/minivmm-static" "$_stage/bin/minivmm"
	cp "$guest/bzImage" "$guest/vmlinux" "$guest/initrd.cpio.gz" "$guest/rootfs.ext4" \
		"$guest/System.map" "$_stage/guest/"
	# iperf3 (make deps) on both sides of the TAP, for the net_iperf cases.
	if [ -x /usr/bin/iperf3 ] && [ -s "$guest/initrd-iperf3.cpio.gz" ]; then
		cp "$guest/initrd-iperf3.cpio.gz" "$_stage/guest/"
		layer_stage_bin "$_stage" /usr/bin/iperf3
	fi
	[ -s "$guest/initrd-fio.cpio.gz" ] && cp "$guest/initrd-fio.cpio.gz" "$_stage/guest/"
	cp "$_cases" "$_stage/tests/cases.sh"
	cp "$root/tests/boot/layer-init" "$_stage/init"
	[ -n "${MKTAP:-}" ] && [ -x "$MKTAP" ] && cp "$MKTAP" "$_stage/bin/mktap"
	[ -x "$guest/netpat" ] && cp "$guest/netpat" "$_stage/bin/netpat"
	[ -n "${DURABLE:-}" ] && [ -x "$DURABLE" ] && cp "$DURABLE" "$_stage/bin/durable"
	[ -n "$_extra" ] && cp -a "$_extra/." "$_stage/"
	(cd "$_stage" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
		gzip -1 >"$_out"
}

# layer_stage_bin DIR BINARY: BINARY and every library ldd lists (the dynamic
# loader included) under the same paths in DIR.
layer_stage_bin() {
	for _f in "$2" $(ldd "$2" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
		mkdir -p "$1$(dirname "$_f")"
		cp -L "$_f" "$1$_f"
	done
}

# layer_stage_qemu EXTRA_DIR QEMU_PATH: QEMU for the middle layer, under the
# same paths in EXTRA_DIR: the binary, every library ldd lists (the dynamic
# loader included) and the firmware microvm loads for -kernel (qboot as
# bios-microvm.bin, linuxboot_dma.bin; found by strace).
layer_stage_qemu() {
	layer_stage_bin "$1" "$2"
	for _f in bios-microvm.bin qboot.rom linuxboot_dma.bin; do
		[ -e "/usr/share/qemu/$_f" ] || continue
		mkdir -p "$1/usr/share/qemu"
		cp -L "/usr/share/qemu/$_f" "$1/usr/share/qemu/$_f"
	done
}

# layer_run BZIMAGE INITRAMFS TIMEOUT_S EXTRA_CMDLINE: console on stdout.
# reboot=t: microvm has no keyboard controller, and reboot=k would make it
# reset and boot again instead of exiting under -no-reboot.
# $LAYER_DISK, when set, is the layer's virtio-blk disk /dev/vda (a scratch
# disk for the kill trials of tests/boot/cases.sh; cache=unsafe: the layer's
# view of it is all they read, so the host need not flush it).
# kvm_amd.npt (layer_qemu): with Bookworm's QEMU 7.2, 0: the layer's KVM
# runs inner guests on shadow page tables. With nested paging (7.2
# emulating NPT under TCG) an inner Linux that sends hard over the network
# now and then took a triple fault: the emulated CPU failed to read the
# guest's IDT while the guest's page tables in memory were intact. That hit
# minivmm's guests and QEMU's own (1 boot in 12) alike, up to 3 TCP tests
# in 4 in a bad layer boot; with npt=0, none in 16. Unstable's QEMU (11.1
# when this was written, LAYER_QEMU=unstable) is no way out: npt=0 stops
# every inner guest before its first console byte, and with npt=1 two inner
# Linux boots of 30 triple-faulted early (docs/design.md).
#
# LAYER_TCG_THREAD=single|multi: TCG's threading (QEMU's default for an
# x86 layer on an x86 host is multi, a host thread per layer CPU), to
# measure the layer's hang rate under each (the two hung CPUs of its dumps
# spin in queued_spin_lock_slowpath).
#
# LAYER_QEMU (another emulator, layer_qemu), LAYER_CPU
# (a -cpu model instead of the one below) and LAYER_APPEND (more of the
# layer's kernel command line, after ours, so it can override): for trying
# other layer configurations against the hang (docs/design.md).
#
# tsc_early_khz, tsc=reliable: TCG gives the layer the host's TSC. Left to
# calibrate it against the emulated PIT, the layer's kernel failed whenever
# the host was busy ("tsc: Unable to calibrate against PIT ... Marking TSC
# unstable due to could not calculate TSC khz"): its tsc_khz stayed 0, and
# its KVM then never enters an inner guest at all (kvm_guest_time_update
# finds no TSC frequency and queues another clock update, forever). That
# is the "unusable nested KVM" the canary catches: minivmm's vCPU dump of
# such a canary shows RIP still at the bzImage's entry (0x100200) with 0
# exits after 60 s. The host measures the frequency once
# (tests/boot/tsc-khz.c) and tells the layer.
#
# no_timer_check: at boot the layer's kernel checks that the PIT's ticks
# reach it through the IO-APIC by counting them during a 10-tick busy wait
# timed by that TSC. When the host is busy, QEMU's vCPU thread loses the
# CPU for much of those 10 ms and the ticks that fell due meanwhile arrive
# as one: too few counted, and the kernel panics "IO-APIC + timer doesn't
# work!" (seen at load 6 on two CPUs) although the timer works. Virtual
# machines skip the check for this reason; the layer does too.
# layer_qemu: sets $_layer_qemu, the emulator: Bookworm's
# qemu-system-x86_64, or LAYER_QEMU (a path, or "unstable" for Debian
# unstable's, unpacked by tests/boot/layer-qemu.sh), and $_layer_npt,
# whether the layer's KVM uses nested paging: no on 7.2 (see kvm_amd.npt
# above), yes on QEMU 8 and later, whose shadow-paging path stops every
# inner guest at its first instructions. Returns 1, having said why, if
# there is no emulator.
layer_qemu() {
	[ -n "${_layer_qemu:-}" ] && return 0
	case ${LAYER_QEMU:-} in
	"") _layer_qemu=qemu-system-x86_64 ;;
	unstable)
		_layer_qemu=$("$root/tests/boot/layer-qemu.sh") || {
			_layer_qemu=
			echo "middle layer: no emulator: tests/boot/layer-qemu.sh failed" >&2
			return 1
		}
		;;
	*) _layer_qemu=$LAYER_QEMU ;;
	esac
	_v=$("$_layer_qemu" --version 2>/dev/null | sed -n '1s/^QEMU emulator version \([0-9]*\).*/\1/p')
	_layer_npt=1
	[ -n "$_v" ] && [ "$_v" -lt 8 ] && _layer_npt=0
	return 0
}

# layer_qemu_version: one line for the test log, the emulator that runs the
# layer and its version.
layer_qemu_version() {
	layer_qemu || return 1
	echo "$("$_layer_qemu" --version | head -n 1) ($_layer_qemu, kvm_amd.npt=$_layer_npt)"
}

layer_run() {
	layer_qemu || return 1
	# LAYER_TSC=calibrate: the old way, to measure what this fixes (layer-canary.sh).
	if [ -z "${_layer_tsc:-}" ]; then
		_tk=${MINIVMM_RUN_DIR:-$root/build}/tsc-khz
		# Built under a name of its own and renamed: tiers run at once.
		[ -x "$_tk" ] || { cc -O2 -o "$_tk.$$" "$root/tests/boot/tsc-khz.c" && mv -f "$_tk.$$" "$_tk"; }
		_layer_tsc=$("$_tk")
	fi
	_tsc="tsc_early_khz=${_layer_tsc:-0} tsc=reliable"
	[ "${LAYER_TSC:-}" = calibrate ] && _tsc=
	# A monitor socket, so that a layer that stops making progress can be
	# looked into while it hangs (socat - UNIX-CONNECT:PATH, "info registers
	# -a", "info lapic"); its path is the first line of the console log.
	_mon=/tmp/minivmm-layer-$$.monitor
	echo "middle layer: QEMU monitor at $_mon"
	timeout -k 5 "$3" "$_layer_qemu" -M microvm,acpi=off \
		-accel "tcg${LAYER_TCG_THREAD:+,thread=$LAYER_TCG_THREAD}" \
		-monitor "unix:$_mon,server=on,wait=off" \
		-cpu "${LAYER_CPU:-qemu64,+svm,+npt,+lahf-lm,+popcnt,+sse4.1,+sse4.2,+ssse3}" \
		-m 3072 -smp 2 -nodefaults -no-user-config -display none -serial stdio \
		${LAYER_DISK:+-drive file=$LAYER_DISK,if=none,id=scratch,format=raw,cache=unsafe} \
		${LAYER_DISK:+-device virtio-blk-device,drive=scratch} \
		-kernel "$1" -initrd "$2" -no-reboot \
		-append "console=ttyS0 reboot=t panic=-1 quiet kvm_amd.npt=$_layer_npt no_timer_check $_tsc $4 ${LAYER_APPEND:-}" </dev/null
	_qrc=$?
	rm -f "$_mon"
	return $_qrc
}

# layer_dump LOG: appends what a hung layer's CPUs are doing to LOG.hung,
# asked of its QEMU monitor (LOG's first line names the socket; the arm64
# layer has none): each CPU's registers, the top of its stack and its local
# APIC. Perl, because it is on every Debian machine and socat is not.
layer_dump() {
	_m=$(sed -n '1s/^middle layer: QEMU monitor at //p' "$1")
	[ -S "$_m" ] || return 0
	perl -MIO::Socket::UNIX -MIO::Select -e '
		$| = 1;
		my $s = IO::Socket::UNIX->new(Peer => $ARGV[0]) or exit 1;
		my $sel = IO::Select->new($s);
		# One command at a time, its output read until the monitor is quiet.
		sub ask {
			my ($title, $cmd) = @_;
			# After the prompt, which ends without a newline.
			print "\n$title\n" if $title;
			syswrite $s, $cmd;
			my $buf;
			while ($sel->can_read(1.5)) {
				last unless sysread($s, $buf, 65536);
				print $buf;
			}
		}
		ask("", "info registers -a\n");
		ask("STACK CPU#$_", "cpu $_\nx/64gx \$esp\n") for (0, 1);
		ask("", "info lapic\n");
	' "$_m" 2>&1 | tr -d '\r' | grep -v '^(qemu)' >>"$1.hung"
}

# layer_rips LOG KERNEL: where each CPU of the dump in LOG.hung is, as
# symbols of the vmlinux beside KERNEL (when there): its RIP, then the
# kernel text addresses on the top of its stack, innermost first (return
# addresses, and some stale words: a rough backtrace).
layer_rips() {
	_vml=$(dirname "$2")/vmlinux
	[ -s "$_vml" ] || return 0
	nm -n "$_vml" 2>/dev/null | awk '
	# Kernel text is at ffffffff8xxxxxxx: the low 32 bits are exact in
	# awk doubles, whole addresses are not.
	function hex(h,  i, v) { v = 0; h = tolower(substr(h, length(h) - 7))
		for (i = 1; i <= length(h); i++) v = v * 16 + index("0123456789abcdef", substr(h, i, 1)) - 1
		return v }
	function sym(a,  lo, hi, mid) {
		if (a !~ /^(0x)?ffffffff8/) return ""
		a = hex(a); if (a < ts || a >= te) return ""
		lo = 1; hi = n
		while (lo < hi) { mid = int((lo + hi + 1) / 2); if (addr[mid] <= a) lo = mid; else hi = mid - 1 }
		return sprintf("%s+0x%x", name[lo], a - addr[lo]) }
	FILENAME == "-" { if ($1 !~ /^ffffffff8/ || $2 !~ /^[tTwW]$/) next
		n++; addr[n] = hex($1); name[n] = $3
		if ($3 == "_stext") ts = addr[n]; if ($3 == "_etext") te = addr[n]; next }
	/^CPU#/ { cpu = $1 }
	/^RIP=/ { r = substr($1, 5); printf "%s RIP %s %s\n", cpu, r, sym(r) }
	/^STACK CPU#/ { if (stack != "") print cpu " stack:" stack; cpu = $2; stack = "" }
	/^[0-9a-f]+: 0x/ { for (i = 2; i <= NF; i++) if ((s = sym($i)) != "") stack = stack " " s }
	END { if (stack != "") print cpu " stack:" stack }
	' - "$1.hung"
}

# layer_watch PID LOG: waits for the layer run PID; kills it if the heartbeat
# that the layer's init prints once a minute ("minivmm-layer: alive at")
# has been missing from LOG for LAYER_STALL_S (240) seconds, counted from
# the layer's start until its first beat (a layer that hangs before it, a
# few seconds after its first inner VM started, once sat out its whole time
# limit), and then leaves LOG.hung. A layer whose emulated CPU spins in the kernel (seen:
# one CPU looping in the general-protection handler with interrupts off,
# the other waiting forever for it to answer an IPI) would otherwise sit
# out its whole time limit, an hour for the boot tier.
layer_watch() {
	_seen=0 _since=$(date +%s)
	rm -f "$2.hung"
	while kill -0 "$1" 2>/dev/null; do
		sleep 1
		_beats=$(grep -c '^minivmm-layer: alive at' "$2" 2>/dev/null) || _beats=0
		if [ "$_beats" != "$_seen" ]; then
			_seen=$_beats _since=$(date +%s)
			continue
		fi
		_quiet=$(($(date +%s) - _since))
		_why=""
		if [ "$_quiet" -ge "${LAYER_STALL_S:-240}" ]; then
			_why="no heartbeat for $_quiet s after $_seen"
		else
			_why=$(layer_rcu_stuck "$2")
		fi
		if [ -n "$_why" ]; then
			echo "$_why" >"$2.hung"
			layer_dump "$2"
			# layer_run's child is timeout, which passes the signal to QEMU.
			pkill -TERM -P "$1"
			return
		fi
	done
}

# layer_rcu_stuck LOG: prints why, if the layer's kernel has reported the
# same RCU grace period stalled three times (about two and a half minutes
# of one CPU that never passes a quiescent state). The heartbeat cannot
# see that: it comes from whichever CPU still runs. Seen in the arm64
# layer on a loaded host: CPU 0 stuck for 20 minutes while CPU 1 kept
# beating, until the layer's time limit failed all its remaining cases.
layer_rcu_stuck() {
	_gps=$(grep -a 'rcu: .*(detected by .* g=' "$1" 2>/dev/null |
		sed -n 's/.* g=\(-\{0,1\}[0-9]*\),.*/\1/p' | tail -n 3)
	[ "$(printf '%s\n' "$_gps" | grep -c .)" -ge 3 ] || return 0
	[ "$(printf '%s\n' "$_gps" | uniq | wc -l)" -eq 1 ] || return 0
	echo "RCU grace period $(printf '%s\n' "$_gps" | head -n 1) stalled in 3 reports"
}

# layer_tally ok|hung|unusable: one line per layer boot in the run's
# layer-boots file, which tests/run-all.sh sums up in its summary, so that
# a rising rate of hung layers shows in every run's last lines.
layer_tally() {
	[ -n "${MINIVMM_RUN_DIR:-}" ] && echo "$1" >>"$MINIVMM_RUN_DIR/layer-boots"
	return 0
}

# layer_run_tries KERNEL INITRAMFS TIMEOUT_S EXTRA_CMDLINE LOG [RUN]: RUN
# (layer_run; the arm64 tier passes a64_layer_run, which takes the same
# arguments), booting the layer again (at most MINIVMM_LAYER_TRIES times, 5:
# QEMU 7.2's emulated CPU hung 2 layer boots of 4 in one full run here, see
# docs/design.md; tests/boot/layer-hang-rate.sh counts without retries) when its canary
# found the nested KVM unusable or the layer hung (layer_watch). A minivmm
# that cannot boot Linux fails the canary every time and so still fails the
# run. Returns RUN's status.
layer_run_tries() {
	_try=1
	while :; do
		"${6:-layer_run}" "$1" "$2" "$3" "$4" >"$5" 2>&1 &
		_lpid=$!
		layer_watch "$_lpid" "$5"
		wait "$_lpid"
		_rc=$?
		if [ -f "$5.hung" ]; then
			_why="hung, $(cat "$5.hung")"
			_keep=$5.hung$_try
			layer_tally hung
		elif grep -q "^MINIVMM-LAYER: nested KVM unusable" "$5"; then
			_why="had an unusable nested KVM"
			_keep=$5.unusable$_try
			layer_tally unusable
		else
			layer_tally ok
			return $_rc
		fi
		# One line per retry, counted by make check-stress.
		echo "middle layer: layer retry $_try: boot $_try $_why" >&2
		# Kept, with where the canary's vCPU was, for finding the cause.
		cp "$5" "$_keep"
		[ -f "$5.hung" ] && cat "$5.hung" >>"$_keep"
		grep -E '^minivmm: vCPU|clocksource|tsc' "$5" | sed 's/^/middle layer:   /' >&2
		[ -f "$5.hung" ] && layer_rips "$5" "$1" | sed 's/^/middle layer:   layer /' >&2
		[ "$_try" -ge "${MINIVMM_LAYER_TRIES:-5}" ] && return $_rc
		_try=$((_try + 1))
	done
}

# layer_cases GROUP CASES_FILE EXTRA_DIR SECS_PER_CASE LOG CASE...: a tier's
# cases one level down (tests/guest, tests/api): the guest kernel as the
# middle layer, CASES_FILE as its /tests/cases.sh and EXTRA_DIR over its
# initramfs; the console goes to LOG. The layer's time limit is a bound for
# a hung layer (LAYER_TIMEOUT, else 240 s and SECS_PER_CASE a case), not a
# time the cases must keep. Needs $root and $guest. 1 only if the kernel
# could not be built: what the layer ran, the caller reads from LOG.
layer_cases() {
	_g=$1 _cf=$2 _x=$3 _per=$4 _lg=$5
	shift 5
	guest_prepare || {
		record FAIL "$_g/kernel" "guest kernel or rootfs build failed"
		return 1
	}
	layer_build "$_x.layer" "$_x.layer.cpio.gz" "$_cf" "$_x"
	_qv=$(layer_qemu_version) || {
		record FAIL "$_g/layer-qemu" "no emulator for the middle layer (tests/boot/layer-qemu.sh)"
		return 1
	}
	echo "$_g tests: middle layer emulator $_qv"
	layer_run_tries "$kdir/bzImage" "$_x.layer.cpio.gz" "${LAYER_TIMEOUT:-$((240 + _per * $#))}" \
		"minivmm.cases=$(echo "$@" | tr ' ' ,)" "$_lg"
	return 0
}

# guest_prepare: the guest kernel (cached build; sets $kdir) and rootfs in
# $guest: bzImage, stripped vmlinux, initrd.cpio.gz, rootfs.ext4.
# Tiers of one test run may call it at once (tests/run-all.sh runs the boot
# tier beside the others) and so may two runs: a lock in the cache makes
# one build the kernel and fio while the other waits and then finds them
# cached, and the tiers of one run (one $MINIVMM_RUN_DIR) fill $guest once.
guest_prepare() {
	_gp_cache=${MINIVMM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/minivmm}
	_gp_token=${MINIVMM_RUN_DIR:-pid$$}
	mkdir -p "$_gp_cache" "$guest" || return 1
	(
		flock 8 || exit 1
		[ "$(head -n 1 "$guest/.prepared" 2>/dev/null)" = "$_gp_token" ] && exit 0
		rm -f "$guest/.prepared"
		kdir=$("$root/guests/linux/build-kernel.sh") || {
			echo "guest kernel build failed" >&2
			exit 1
		}
		FIO=$("$root/guests/fio/build-fio.sh") || {
			echo "fio build failed" >&2
			exit 1
		}
		FIO=$FIO "$root/guests/rootfs/build-rootfs.sh" "$guest" >/dev/null || {
			echo "rootfs build failed" >&2
			exit 1
		}
		cp "$kdir/bzImage" "$guest/bzImage" &&
			strip -o "$guest/vmlinux" "$kdir/vmlinux" || exit 1
		# For minivmm --symbols: a hung guest's vCPUs are named by function.
		nm -n "$kdir/vmlinux" | grep -i ' [tw] ' >"$guest/System.map" || exit 1
		printf '%s\n%s\n' "$_gp_token" "$kdir" >"$guest/.prepared"
	) 8>"$_gp_cache/guest-prepare.lock" || return 1
	kdir=$(sed -n 2p "$guest/.prepared")
}
