#!/bin/sh
# arm64 boot benchmark (issue 14): the cross-built minivmm against Debian's
# QEMU for arm64 (-M virt -accel kvm), both inside the same arm64 middle
# layer (tests/arm64/layer.sh: the arm64 guest kernel under
# qemu-system-aarch64 TCG with an emulated EL2) on its KVM, booting the same
# Image and initrd, one boot of each per round, alternating
# (tests/bench/boot-cases times them: process start to "MINIVMM-GUEST: init
# reached", and to the VMM's exit after the guest resets).
# These hosts have no arm64 KVM, so it always runs one level down: only
# the minivmm/QEMU ratio means much.
# QEMU for arm64 (qemu-system-arm:arm64) and the libraries it needs are
# downloaded with apt-get download (dpkg's arm64 architecture: make
# deps-aarch64) and cached; only the libraries its ELF headers name go in.
# Output: table on stdout and build/bench/boot-arm64.txt, raw BOOTBENCH
# lines in build/bench/boot-arm64.raw. Env: ROUNDS (7), BENCH_TIMEOUT (s
# per boot, 60), LAYER_TIMEOUT.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
here=$root/tests/bench
out=$root/build/bench
work=$out/boot-arm64-work
guest=$work/guest
ROUNDS=${ROUNDS:-7}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-60}
cache=${MINIVMM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/minivmm}
case $ROUNDS in '' | *[!0-9]* | 0) echo "arm64 boot bench: ROUNDS must be a positive number" >&2; exit 2 ;; esac
[ -x "$root/build-aarch64/minivmm" ] || { echo "arm64 boot bench: build-aarch64/minivmm missing (make aarch64)" >&2; exit 1; }
rm -rf "$work"
mkdir -p "$out" "$guest"

kdir=$("$root/guests/linux/build-kernel.sh" arm64)
"$root/guests/rootfs/build-rootfs-arm64.sh" "$guest" >/dev/null

# QEMU for arm64 with its libraries, under the same paths in $1.
stage_qemu_arm64() {
	qver=$(apt-cache show qemu-system-arm:arm64 | awk '/^Version:/ { print $2; exit }')
	debs=$cache/debs/qemu-system-arm64-${qver#*:}
	if [ ! -f "$debs/.complete" ]; then
		rm -rf "$debs"
		mkdir -p "$debs"
		chmod 755 "$debs"
		# Every arm64 library in its dependency closure (more than it
		# loads; the ELF walk below picks), and zlib.
		pkgs=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
			--no-breaks --no-replaces --no-enhances qemu-system-arm:arm64 |
			grep -E '^(lib[^ ]*|zlib1g):arm64$' | sort -u)
		(cd "$debs" && apt-get download -qq -o APT::Sandbox::User=root \
			"qemu-system-arm:arm64=$qver" $pkgs) >&2
		touch "$debs/.complete"
	fi
	unpacked=$work/qemu-debs
	rm -rf "$unpacked"
	mkdir -p "$unpacked"
	for d in "$debs"/*.deb; do dpkg-deb -x "$d" "$unpacked"; done
	dest=$1 todo=/usr/bin/qemu-system-aarch64 seen=
	mkdir -p "$dest/usr/bin" "$dest/lib"
	cp "$unpacked/usr/bin/qemu-system-aarch64" "$dest/usr/bin/"
	cp -L "$unpacked/lib/ld-linux-aarch64.so.1" "$dest/lib/"
	while [ -n "$todo" ]; do
		f=${todo%% *}
		case $todo in *" "*) todo=${todo#* } ;; *) todo= ;; esac
		for n in $(aarch64-linux-gnu-readelf -d "$unpacked$f" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'); do
			case " $seen " in *" $n "*) continue ;; esac
			seen="$seen $n"
			p=$(cd "$unpacked" && find lib usr/lib -name "$n" | head -n 1)
			[ -n "$p" ] || { echo "arm64 boot bench: no $n in QEMU's arm64 dependencies" >&2; return 1; }
			mkdir -p "$dest/$(dirname "$p")"
			cp -L "$unpacked/$p" "$dest/$p"
			todo="${todo:+$todo }/$p"
		done
	done
	echo "$qver"
}
extra=$work/extra
mkdir -p "$extra/tests"
qver=$(stage_qemu_arm64 "$extra")
qver_short=$(echo "$qver" | sed 's/^[0-9]*://; s/+dfsg.*//')
printf 'BENCH_ROUNDS=%s\nBENCH_QEMU=/usr/bin/qemu-system-aarch64\nBENCH_TIMEOUT=%s\n' \
	"$ROUNDS" "$BENCH_TIMEOUT" >"$extra/tests/bootbench.conf"

# The x86 benchmark's timing, with arm64's two command lines. QEMU's
# virt machine has a PL011 (ttyAMA0) where minivmm has an 8250 (ttyS0);
# both reset through PSCI, which -no-reboot makes QEMU's exit.
cat "$here/boot-cases" - >"$work/cases.sh" <<'EOC'
bootbench_minivmm() {
	bench_boot minivmm "$1" "$MINIVMM" --kernel "$GUEST/Image" --mem 256M \
		--initrd "$GUEST/initrd.cpio.gz" --append "$BENCH_APPEND"
}

bootbench_qemu() {
	bench_boot qemu "$1" "$BENCH_QEMU" -M virt,gic-version=3 -accel kvm -cpu host \
		-m 256 -smp 1 -nodefaults -no-user-config -display none -serial stdio \
		-kernel "$GUEST/Image" -initrd "$GUEST/initrd.cpio.gz" \
		-append "console=ttyAMA0 panic=1 $BENCH_APPEND" -no-reboot
}
EOC
. "$root/tests/arm64/layer.sh"
a64_layer_build "$work/layer" "$work/layer.cpio.gz" "$work/cases.sh" "$guest" "$kdir" "$extra"
echo "arm64 boot bench: middle layer initramfs $(($(wc -c <"$work/layer.cpio.gz") / 1024)) KiB"
log=$work/console.log
t0=$(date +%s)
a64_layer_run "$kdir/Image" "$work/layer.cpio.gz" "${LAYER_TIMEOUT:-$((180 + 2 * BENCH_TIMEOUT * ROUNDS))}" \
	"minivmm.cases=bootbench" >"$log" 2>&1 || echo "arm64 boot bench: middle layer exit $?"
echo "arm64 boot bench: ran $(($(date +%s) - t0)) s; console log $log"
tr -d '\r' <"$log" >"$work/console.txt"
raw=$out/boot-arm64.raw
grep -a '^BOOTBENCH ' "$work/console.txt" >"$raw" || true
if grep -aqE '^BOOTBENCH-(FAIL|ABORT|WEDGED)' "$work/console.txt"; then
	awk '/^BOOTBENCH-(FAIL|ABORT|WEDGED)/ { p = 1; print; next } p && /^  \|/ { print; next } { p = 0 }' \
		"$work/console.txt"
fi

. "$here/boot-stats"
set -- $(boot_stats "$raw" minivmm init_ms); m_init=$1 m_init_min=$2 m_init_max=$3 m_n=$4
set -- $(boot_stats "$raw" minivmm exit_ms); m_exit=$1 m_exit_min=$2 m_exit_max=$3
set -- $(boot_stats "$raw" qemu init_ms); q_init=$1 q_init_min=$2 q_init_max=$3 q_n=$4
set -- $(boot_stats "$raw" qemu exit_ms); q_exit=$1 q_exit_min=$2 q_exit_max=$3
{
	echo "minivmm arm64 boot benchmark (issue 14), $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) host CPUs"
	echo "level:  one level down: both VMMs inside an arm64 Linux $(cat "$kdir/version") with KVM (VHE),"
	echo "        under qemu-system-aarch64 $(qemu-system-aarch64 --version | head -n 1 | awk '{ print $4 }') TCG (-M virt,virtualization=on -cpu max,pauth-impdef=on -smp 2)."
	echo "        Absolute times are those of software emulation (slow); only the minivmm/QEMU ratio means much."
	echo "guest:  the same arm64 Image + busybox initrd.cpio.gz, 1 vCPU, 256 MiB; init reboots at once"
	echo "VMMs:   minivmm (static arm64 build) --kernel --mem 256M --initrd --append minivmm.exit=reboot"
	echo "        QEMU $qver_short (Debian's qemu-system-arm:arm64 $qver): -M virt,gic-version=3 -accel kvm -cpu host"
	echo "          -m 256 -smp 1 -nodefaults -no-user-config -display none -serial stdio -kernel -initrd -append -no-reboot"
	echo "rounds: $ROUNDS, alternating; boots that reached init and exited 0: minivmm $m_n, QEMU $q_n"
	echo
	printf '%-19s %28s   %28s\n' "" "process start -> init (ms)" "process start -> exit (ms)"
	row VMM median min max median min max
	row minivmm "$m_init" "$m_init_min" "$m_init_max" "$m_exit" "$m_exit_min" "$m_exit_max"
	row "QEMU virt" "$q_init" "$q_init_min" "$q_init_max" "$q_exit" "$q_exit_min" "$q_exit_max"
	row "ratio minivmm/QEMU" "$(ratio "$m_init" "$q_init")" "" "" "$(ratio "$m_exit" "$q_exit")" "" ""
	echo
	echo "Per boot (ms from process start):"
	awk '{ printf "  %s\n", substr($0, 11) }' "$raw"
} >"$out/boot-arm64.txt"
cat "$out/boot-arm64.txt"
[ "$m_n" -gt 0 ] && [ "$q_n" -gt 0 ]
