#!/bin/sh
# Boot benchmark (issue 2): minivmm against QEMU microvm on the same guest
# kernel and init, on the same KVM. For each VMM: time from process start to
# the guest's init ("MINIVMM-GUEST: init reached" on its console) and to the
# VMM's process exit after the guest reboots, median/min/max over ROUNDS
# boots, the two VMMs alternating boot by boot (tests/bench/boot-cases does
# the booting and timing).
#
# Where the host's /dev/kvm runs ring-0 guest code natively, it runs there.
# Otherwise (as on these machines) it runs one level down: both VMMs run
# inside the boot tests' middle layer (tests/boot/layer.sh: the guest kernel,
# with KVM, under QEMU TCG with an emulated SVM CPU), against its /dev/kvm;
# that middle layer's initramfs then also carries Debian's QEMU with its
# shared libraries and firmware.
#
# Output: a table on stdout and in build/bench/boot.txt, a bar chart in
# build/bench/boot.png (gnuplot), the raw BOOTBENCH lines in
# build/bench/boot.raw. Needs build/minivmm-static (make build/minivmm-static).
# Env: ROUNDS (default 7; at least 5 for the issue's numbers),
#      QEMU (default /usr/bin/qemu-system-x86_64), BENCH_TIMEOUT (s per boot),
#      LAYER_TIMEOUT (s for the whole middle layer), LAYER_ATTEMPTS (default 3:
#      boots of the middle layer when its KVM runs no guest at all).
# shellcheck disable=SC2046 # stats prints fields that set -- splits on purpose
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
here=$root/tests/bench
build=$root/build
out=$build/bench
work=$out/boot-work
# A guest directory of our own, as every test run has its own.
guest=$work/guest
ROUNDS=${ROUNDS:-7}
QEMU=${QEMU:-/usr/bin/qemu-system-x86_64}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-40}

case $ROUNDS in '' | *[!0-9]* | 0) echo "boot bench: ROUNDS must be a positive number" >&2; exit 2 ;; esac
[ "$ROUNDS" -lt 5 ] && echo "boot bench: note: ROUNDS=$ROUNDS, fewer than the 5 the issue asks for" >&2
[ -x "$build/minivmm-static" ] || { echo "boot bench: $build/minivmm-static missing (make build/minivmm-static)" >&2; exit 1; }
[ -x "$QEMU" ] || { echo "boot bench: $QEMU missing (make deps)" >&2; exit 1; }
command -v gnuplot >/dev/null || { echo "boot bench: gnuplot missing (apt-get install gnuplot-nox)" >&2; exit 1; }

rm -rf "$work"
mkdir -p "$out" "$guest"

kind=$("$root/tests/host-kvm-kind.sh")
kdir=$("$root/guests/linux/build-kernel.sh")
kver=$(cat "$kdir/version")
kver_short=$(awk '{ sub(/-[^-]*$/, "", $2); print $2 }' "$kdir/version")
"$root/guests/rootfs/build-rootfs.sh" "$guest" >/dev/null
cp "$kdir/bzImage" "$guest/bzImage"
# layer_build copies the guest directory's vmlinux and rootfs.ext4 into the
# middle layer; the benchmark boots only the bzImage and the initrd, so
# empty ones keep megabytes out of the layer's initramfs. The layer's canary
# boot (tests/boot/layer-init) loads System.map, so that one is real.
: >"$guest/vmlinux"
: >"$guest/rootfs.ext4"
nm -n "$kdir/vmlinux" | grep -i ' [tw] ' >"$guest/System.map"
qver=$("$QEMU" --version | head -n 1 | sed 's/^QEMU emulator version //')

conf="BENCH_ROUNDS=$ROUNDS
BENCH_QEMU=$QEMU
BENCH_TIMEOUT=$BENCH_TIMEOUT"
log=$work/console.log
t0=$(date +%s)
if [ "$kind" = hardware ]; then
	level="direct: both VMMs on the host's /dev/kvm (hardware virtualization)"
	where="direct on the host KVM (hardware virtualization)"
	echo "boot bench: host KVM: $kind; running directly, $ROUNDS rounds"
	(MINIVMM=$build/minivmm-static GUEST=$guest WORK=$work BENCH_TS="busybox ts"
	 export MINIVMM GUEST WORK BENCH_TS
	 eval "$conf"
	 . "$here/boot-cases"
	 run_cases bootbench) >"$log" 2>&1 || true
else
	. "$root/tests/boot/layer.sh"
	layer_qver=$(layer_qemu_version | sed 's/^QEMU emulator version //') || exit 1
	where="one level down (nested KVM under QEMU TCG)"
	level="one level down: both VMMs inside a Linux $kver_short with KVM (host KVM: $kind),
        which runs under QEMU $layer_qver TCG with an emulated SVM CPU."
	echo "boot bench: host KVM: $kind; running one level down (middle layer under QEMU TCG), $ROUNDS rounds"

	extra=$work/extra
	mkdir -p "$extra/tests"
	layer_stage_qemu "$extra" "$QEMU"
	echo "$conf" >"$extra/tests/bootbench.conf"

	layer_build "$work/layer" "$work/layer.cpio.gz" "$here/boot-cases" "$extra"
	echo "boot bench: middle layer initramfs $(($(wc -c <"$work/layer.cpio.gz") / 1024)) KiB" \
		"($(du -sk "$extra" | cut -f1) KiB of it QEMU, libraries and firmware, before gzip)"
	limit=${LAYER_TIMEOUT:-$((120 + 40 * ROUNDS))}
	# A layer whose KVM runs no guest at all (boot-cases: WEDGED) is
	# booted again, up to LAYER_ATTEMPTS times in all.
	attempt=1
	while :; do
		qrc=0
		layer_run "$kdir/bzImage" "$work/layer.cpio.gz" "$limit" "minivmm.cases=bootbench" \
			>"$log" 2>&1 || qrc=$?
		[ "$qrc" -eq 124 ] && echo "boot bench: middle layer hit its ${limit}s timeout"
		if ! grep -aq '^BOOTBENCH-WEDGED' "$log" || [ "$attempt" -ge "${LAYER_ATTEMPTS:-3}" ]; then
			break
		fi
		cp "$log" "$work/console-wedged-$attempt.log"
		echo "boot bench: layer boot $attempt: its KVM ran no guest" \
			"($(grep -a '^BOOTBENCH-WEDGED' "$log" | cut -d' ' -f2-)); booting the layer again"
		attempt=$((attempt + 1))
	done
fi
elapsed=$(($(date +%s) - t0))
echo "boot bench: ran $elapsed s; console log $log"

tr -d '\r' <"$log" >"$work/console.txt"
grep -a '^BOOTBENCH ' "$work/console.txt" >"$out/boot.raw" || true
for v in minivmm qemu; do
	sed -n "s/^BOOTBENCH-LOG vmm=$v //p" "$work/console.txt" >"$work/$v-round1.log"
done
grep -a '^MINIVMM-LAYER' "$work/console.txt" || true
# Failed boots and their console tails.
if grep -aqE '^BOOTBENCH-(FAIL|ABORT|WEDGED)' "$work/console.txt"; then
	awk '/^BOOTBENCH-(FAIL|ABORT|WEDGED)/ { p = 1; print; next } p && /^  \|/ { print; next } { p = 0 }' \
		"$work/console.txt"
fi

. "$here/boot-stats"
stats() { boot_stats "$out/boot.raw" "$@"; }
set -- $(stats minivmm init_ms); m_init=$1 m_init_min=$2 m_init_max=$3 m_n=$4
set -- $(stats minivmm exit_ms); m_exit=$1 m_exit_min=$2 m_exit_max=$3
set -- $(stats qemu init_ms); q_init=$1 q_init_min=$2 q_init_max=$3 q_n=$4
set -- $(stats qemu exit_ms); q_exit=$1 q_exit_min=$2 q_exit_max=$3
# Where the time goes, medians of the per-boot parts.
m_kern=$(stats minivmm kernel_ms | cut -d' ' -f1)
q_kern=$(stats qemu kernel_ms | cut -d' ' -f1)
m_boot=$(stats minivmm init_ms kernel_ms | cut -d' ' -f1)
q_boot=$(stats qemu init_ms kernel_ms | cut -d' ' -f1)
m_down=$(stats minivmm exit_ms init_ms | cut -d' ' -f1)
q_down=$(stats qemu exit_ms init_ms | cut -d' ' -f1)
m_up=$(stats minivmm guest_uptime_s | cut -d' ' -f1)
q_up=$(stats qemu guest_uptime_s | cut -d' ' -f1)

cmdline() { grep -a "^BOOTBENCH-CMDLINE vmm=$1 " "$work/console.txt" | head -n 1 | sed 's/^[^ ]* [^ ]* //'; }
row2() { printf '%-19s %13s %13s %13s %13s\n' "$@"; }

{
	echo "minivmm boot benchmark (issue 2), $(date -u '+%Y-%m-%d %H:%M UTC'), host $(uname -n), $(nproc) CPUs"
	echo "level:  $level"
	[ "$kind" = hardware ] ||
		echo "        Absolute times are those of software emulation (slow); only the minivmm/QEMU ratio means much."
	echo "guest:  Linux $kver_short (Debian $kver) bzImage + busybox initrd.cpio.gz, 1 vCPU, 256 MiB;"
	echo "        its init prints \"MINIVMM-GUEST: init reached\" and reboots at once"
	echo "VMMs:   minivmm $("$build/minivmm-static" --version 2>/dev/null | head -n 1 | awk '{ print $NF }') (static binary), --kernel --initrd --append minivmm.exit=reboot"
	echo "        QEMU $qver: $QEMU -M microvm,acpi=off -enable-kvm -cpu host"
	echo "          -m 256 -smp 1 -nodefaults -no-user-config -display none -serial stdio -kernel -initrd -append -no-reboot"
	echo "rounds: $ROUNDS, each one minivmm boot then one QEMU boot; boots that reached init and exited 0: minivmm $m_n, QEMU $q_n"
	[ "${attempt:-1}" -gt 1 ] &&
		echo "        (in middle-layer boot $attempt: the $((attempt - 1)) before ran no guest at all, see $work/console-wedged-*.log)"
	echo "clock:  busybox ts stamps each console line (gettimeofday, 1 us) as it arrives through a pipe;"
	echo "        0 = just before the VMM process is started, exit = its status collected by wait"
	echo
	printf '%-19s %28s   %28s\n' "" "process start -> init (ms)" "process start -> exit (ms)"
	row VMM median min max median min max
	row minivmm "$m_init" "$m_init_min" "$m_init_max" "$m_exit" "$m_exit_min" "$m_exit_max"
	row "QEMU microvm" "$q_init" "$q_init_min" "$q_init_max" "$q_exit" "$q_exit_min" "$q_exit_max"
	row "ratio minivmm/QEMU" "$(ratio "$m_init" "$q_init")" "" "" "$(ratio "$m_exit" "$q_exit")" "" ""
	echo
	echo "Where the time goes (medians of the per-boot parts):"
	row2 "" "start->banner" "banner->init" "init->exit" "guest uptime"
	row2 "" "(ms)" "(ms)" "(ms)" "at init (s)"
	row2 minivmm "$m_kern" "$m_boot" "$m_down" "$m_up"
	row2 "QEMU microvm" "$q_kern" "$q_boot" "$q_down" "$q_up"
	row2 "ratio minivmm/QEMU" "$(ratio "$m_kern" "$q_kern")" "$(ratio "$m_boot" "$q_boot")" \
		"$(ratio "$m_down" "$q_down")" "$(ratio "$m_up" "$q_up")"
	echo "  banner: the guest kernel's first console line (VMM setup, firmware, kernel decompression before it)."
	[ "$kind" = hardware ] ||
		echo "  guest uptime: the guest's own clock; one level down its TSC is marked unstable and it jumps, so trust wall time."
	echo
	echo "Guest kernel command lines, as the guest kernels printed them. They differ only in reboot=:"
	echo "minivmm's default has reboot=k (0xFE to its i8042 ends the VM); QEMU microvm has no i8042 and"
	echo "needs reboot=t (the triple fault ends it under -no-reboot)."
	echo "  minivmm: $(cmdline minivmm)"
	echo "  QEMU:    $(cmdline qemu)"
	echo
	echo "Per boot (ms from process start):"
	awk '{ printf "  %s\n", substr($0, 11) }' "$out/boot.raw"
	echo
	echo "Round 1's time-stamped guest consoles: $work/minivmm-round1.log, $work/qemu-round1.log"
} >"$out/boot.txt"
cat "$out/boot.txt"

if [ "$m_n" -gt 0 ] && [ "$q_n" -gt 0 ]; then
	{
		echo "# metric minivmm_median min max qemu_median min max"
		echo "\"start to init\" $m_init $m_init_min $m_init_max $q_init $q_init_min $q_init_max"
		echo "\"start to exit\" $m_exit $m_exit_min $m_exit_max $q_exit $q_exit_min $q_exit_max"
	} >"$work/boot.dat"
	gnuplot -e "datafile='$work/boot.dat'; outfile='$out/boot.png'" \
		-e "subtitle='$where; median of $m_n/$q_n boots, bars min..max'" \
		"$here/boot.gnuplot"
	echo "boot bench: wrote $out/boot.txt and $out/boot.png"
fi

if [ "$m_n" -lt "$ROUNDS" ] || [ "$q_n" -lt "$ROUNDS" ]; then
	echo "boot bench: FAILED: $m_n of $ROUNDS minivmm boots and $q_n of $ROUNDS QEMU boots succeeded"
	[ -s "$out/boot.raw" ] || { echo "console tail:"; tail -n 40 "$work/console.txt" | sed 's/^/  > /'; }
	exit 1
fi
