# Boot benchmark, the part that runs inside the middle layer (busybox sh).
# tests/bench/boot.sh passes this file to layer_build as its cases file; the
# layer's init sources it and calls run_cases with the names given in
# minivmm.cases= (here: bootbench).
#
# Each round boots the same inner guest (bzImage + initrd.cpio.gz, reboots at
# once from its init) first under minivmm, then under QEMU microvm, both on
# the layer's /dev/kvm, and prints one line per boot:
#   BOOTBENCH vmm=NAME round=N rc=S init_ms=T exit_ms=T kernel_ms=T guest_uptime_s=U
# init_ms: from just before the VMM process is started to the moment its
# console line "MINIVMM-GUEST: init reached" arrives; exit_ms: to the moment
# the VMM process has exited (its status collected by wait); kernel_ms: to the
# guest kernel's first console line (its banner); guest_uptime_s: the
# guest's own /proc/uptime as its init printed it. Times come from
# busybox ts, which stamps every console line with gettimeofday() (1 us) as
# it arrives through a pipe; the start and exit marks are lines of our own in
# the same stream. A boot that fails prints its console tail, "  | " prefixed.
#
# Settings (from /tests/bootbench.conf, written by boot.sh, else defaults):
#   BENCH_ROUNDS   rounds (one boot of each VMM per round)
#   BENCH_QEMU     QEMU binary inside the layer
#   BENCH_TIMEOUT  seconds before one boot is killed as hung
# and from the environment BENCH_TS (default ts: the layer's busybox applet).

BENCH_ROUNDS=7
BENCH_QEMU=/usr/bin/qemu-system-x86_64
BENCH_TIMEOUT=120
[ -f /tests/bootbench.conf ] && . /tests/bootbench.conf

# The kernel command lines. minivmm's is its default (console=ttyS0 reboot=k
# panic=1 pci=off i8042.noaux i8042.nomux i8042.nopnp i8042.dumbkbd) plus
# --append. QEMU's is the same text except reboot=t: microvm has no i8042, so
# the guest's reboot must triple-fault, which -no-reboot turns into an exit.
BENCH_APPEND="minivmm.exit=reboot"
BENCH_QEMU_CMDLINE="console=ttyS0 reboot=t panic=1 pci=off i8042.noaux i8042.nomux i8042.nopnp i8042.dumbkbd $BENCH_APPEND"

# bench_boot VMM ROUND COMMAND...: one timed boot; prints its BOOTBENCH line.
bench_boot() {
	_vmm=$1 _round=$2
	shift 2
	_log=$WORK/bootbench-$_vmm-$_round.log
	(
		echo "BOOTBENCH-MARK start"
		"$@" </dev/null 2>&1 &
		_pid=$!
		{ sleep "$BENCH_TIMEOUT"; kill -9 "$_pid"; } >/dev/null 2>&1 &
		_wd=$!
		wait "$_pid"
		echo "BOOTBENCH-MARK exit $?"
		kill "$_wd" 2>/dev/null
	) | ${BENCH_TS:-ts} "%.s" >"$_log"
	tr -d '\r' <"$_log" | awk -v vmm="$_vmm" -v round="$_round" '
		$2 == "BOOTBENCH-MARK" && $3 == "start" { t0 = $1 }
		$2 == "BOOTBENCH-MARK" && $3 == "exit" { te = $1; rc = $4 }
		tk == "" && /Linux version/ { tk = $1 }
		ti == "" && /MINIVMM-GUEST: init reached/ {
			ti = $1
			for (i = 1; i < NF; i++) if ($i == "uptime") up = $(i + 1)
		}
		END {
			init = (ti != "" && t0 != "") ? sprintf("%.1f", (ti - t0) * 1000) : "NA"
			ex = (te != "" && t0 != "") ? sprintf("%.1f", (te - t0) * 1000) : "NA"
			kern = (tk != "" && t0 != "") ? sprintf("%.1f", (tk - t0) * 1000) : "NA"
			printf "BOOTBENCH vmm=%s round=%s rc=%s init_ms=%s exit_ms=%s kernel_ms=%s guest_uptime_s=%s\n",
				vmm, round, (rc == "" ? "NA" : rc), init, ex, kern, (up == "" ? "NA" : up)
			exit !(rc == "0" && ti != "")
		}' || {
		echo "BOOTBENCH-FAIL vmm=$_vmm round=$_round: console tail:"
		tr -d '\r' <"$_log" | tail -n 25 | sed 's/^/  | /'
	}
}

case_bootbench() {
	echo "BOOTBENCH-INFO rounds=$BENCH_ROUNDS qemu=$BENCH_QEMU $("$BENCH_QEMU" --version | head -n 1)"
	echo "BOOTBENCH-INFO layer cpus=$(nproc) kernel=$(uname -r)"
	_r=1
	while [ "$_r" -le "$BENCH_ROUNDS" ]; do
		bench_boot minivmm "$_r" "$MINIVMM" --kernel "$GUEST/bzImage" \
			--initrd "$GUEST/initrd.cpio.gz" --append "$BENCH_APPEND"
		bench_boot qemu "$_r" "$BENCH_QEMU" -M microvm,acpi=off -enable-kvm -cpu host \
			-m 256 -smp 1 -nodefaults -no-user-config -display none -serial stdio \
			-kernel "$GUEST/bzImage" -initrd "$GUEST/initrd.cpio.gz" \
			-append "$BENCH_QEMU_CMDLINE" -no-reboot
		_r=$((_r + 1))
	done
	# The command lines the guests saw, as their kernels printed them, and
	# the first round's time-stamped consoles (boot.sh keeps them).
	for _v in minivmm qemu; do
		echo "BOOTBENCH-CMDLINE vmm=$_v $(tr -d '\r' <"$WORK/bootbench-$_v-1.log" |
			sed -n 's/.*Command line: //p' | head -n 1)"
		tr -d '\r' <"$WORK/bootbench-$_v-1.log" | sed "s/^/BOOTBENCH-LOG vmm=$_v /"
	done
}

run_cases() {
	for case_name in "$@"; do
		"case_$case_name"
	done
}
