#!/bin/sh
# Device benchmark (issue 6): the freestanding test guest's timed virtio-blk
# workloads (4 KiB random read/write and 128 KiB sequential read at QD 1, 16,
# 64 and the queue size, 256), under minivmm (with and without --in-order) and QEMU microvm, side by
# side on the same image file, alternating in a rotating order, ROUNDS rounds; plus the host's
# own io_uring on that file with the same pattern (the physical limit).
# Backing files in tmpfs (/dev/shm) and on disk (build/). Both VMMs use the
# host page cache (minivmm without ,direct; QEMU cache=writeback,aio=io_uring),
# except on the third backing, direct: the same disk with O_DIRECT (minivmm
# ,direct; QEMU cache=none; the host's io_uring with O_DIRECT), where the
# disk completes requests out of order, so --in-order's heap has real
# reordering to do (its counters, waited and heap_hwm, are printed).
# Also: the peak RSS outside guest RAM over a run (dynamic and static
# builds), and the time from process start to the guest's first instruction
# at CPL3 (TSC, same host).
#
# The test guest's work runs at CPL3, so it runs directly on any /dev/kvm
# here, the paravirtual one included, at native speed. Without /dev/kvm the
# whole comparison runs one level down in the boot harness's middle layer
# (tmpfs backing, fewer requests: OPS, default 2000) and the table says so.
# Output: table on stdout and build/bench/device.txt, plot build/bench/device.png.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$root/build
out=$build/bench
mkdir -p "$out"
ROUNDS=${ROUNDS:-3}
QEMU=${QEMU:-qemu-system-x86_64}
tg=$build/testguest/testguest.elf
hostio=$build/bench-bin/bench_hostio
[ -x "$hostio" ] && [ -f "$tg" ] || { echo "device bench: run 'make bench' (needs $tg and $hostio)" >&2; exit 1; }
raw=$out/device.raw
: >"$raw"
kind=$("$root/tests/host-kvm-kind.sh")
if [ "$kind" != none ]; then
	where="the test guest at CPL3 directly on this host's /dev/kvm ($kind), native speed"
	echo "device bench: host KVM: $kind; running directly"
	hz=$("$hostio" --tsc-hz)
	MINIVMM=$build/minivmm MINIVMM_STATIC=$build/minivmm-static QEMU=$(command -v "$QEMU") TG=$tg HOSTIO=$hostio OUT=$out
	QEMU_CPU=host,-arch-capabilities BACKINGS="tmpfs:/dev/shm disk:$build direct:$build" IMG_MB=256
	OPS=${OPS:-20000}
	. "$root/tests/bench/device-rounds"
	device_rounds
else
	# No /dev/kvm: the same comparison one level down, both VMMs and the host
	# io_uring baseline inside the boot harness's middle layer (tmpfs only).
	where="ONE LEVEL DOWN: both VMMs and host io_uring inside a Linux with KVM under QEMU TCG (no /dev/kvm here); relative figures only"
	echo "device bench: host KVM: none; running one level down (middle layer under QEMU TCG)"
	work=$out/device-work
	extra=$work/extra
	rm -rf "$work"
	mkdir -p "$extra/guest" "$extra/bin" "$extra/tests"
	qemu_path=$(command -v "$QEMU")
	guest=$work/guest
	. "$root/tests/boot/layer.sh"
	layer_stage_qemu "$extra" "$qemu_path"
	cp "$tg" "$extra/guest/testguest.elf"
	cc -std=c11 -D_GNU_SOURCE -O2 -static -o "$extra/bin/bench_hostio" "$root/tests/bench/bench_hostio.c" -luring
	cp "$root/tests/bench/device-rounds" "$extra/tests/"
	cat "$root/tests/boot/cases.sh" - >"$work/cases.sh" <<EOC
case_devbench() {
	MINIVMM=/bin/minivmm QEMU=$qemu_path QEMU_CPU=host TG=/guest/testguest.elf
	HOSTIO=/bin/bench_hostio OUT=/tmp/devbench ROUNDS=$ROUNDS BACKINGS="tmpfs:/tmp"
	IMG_MB=64 OPS=${OPS:-2000}
	mkdir -p "\$OUT"
	raw=\$OUT/raw
	: >"\$raw"
	. /tests/device-rounds
	device_rounds
	echo "DEVBENCH HZ \$hz"
	sed 's/^/DEVBENCH /' "\$raw"
}
EOC
	guest_prepare
	layer_build "$work/layer" "$work/layer.cpio.gz" "$work/cases.sh" "$extra"
	layer_run_tries "$kdir/bzImage" "$work/layer.cpio.gz" 3000 "minivmm.cases=devbench" \
		"$work/console.log"
	tr -d '\r' <"$work/console.log" | sed -n 's/^DEVBENCH //p' | grep -v '^HZ ' >"$raw"
	hz=$(tr -d '\r' <"$work/console.log" | sed -n 's/^DEVBENCH HZ //p' | head -n 1)
	[ -s "$raw" ] || { echo "device bench: the middle layer produced no results; see $work/console.log" >&2; exit 1; }
fi

awk -v rounds="$ROUNDS" -v hz="$hz" -v where="$where" '
function median(key,   n, i, j, t, v) {
	n = cnt[key]; if (!n) return -1
	for (i = 1; i <= n; i++) v[i] = val[key, i]
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
	return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}
$1 == "RES" { seen[$3] = 1; k = $2 SUBSEP $3 SUBSEP $4; cnt[k]++; val[k, cnt[k]] = $5; k2 = k SUBSEP "mb"; cnt[k2]++; val[k2, cnt[k2]] = $6; w[$4] = 1 }
$1 == "START" { k = "start" SUBSEP $2; cnt[k]++; val[k, cnt[k]] = $4 }
$1 == "RSS" { rss[$2] = $3 }
$1 == "COUNTERS" { c = $0; sub(/^COUNTERS [^ ]+ [^ ]+ /, "", c); counters[$2 " " $3] = c }
END {
	printf "minivmm device benchmark (issue 6): %s; %d rounds, medians\n", where, rounds
	printf "TSC %.0f MHz; both VMMs use the host page cache, but for the direct backing (O_DIRECT, QEMU cache=none);\nQEMU microvm (Debian 7.2) has no in_order property for virtio-blk\n\n", hz / 1e6
	split("randread-bs=4k-qd=1 randread-bs=4k-qd=16 randread-bs=4k-qd=64 randread-bs=4k-qd=256 randwrite-bs=4k-qd=1 randwrite-bs=4k-qd=16 randwrite-bs=4k-qd=64 randwrite-bs=4k-qd=256 seqread-bs=128k-qd=1 seqread-bs=128k-qd=16 seqread-bs=128k-qd=64 seqread-bs=128k-qd=256", order, " ")
	split("tmpfs disk direct", backings, " ")
	for (bi = 1; bi <= 3; bi++) {
		b = backings[bi]
		if (!seen[b]) continue
		printf "backing: %s\n", b
		printf "%-22s %12s %12s %12s %12s %12s %9s %9s %9s\n", "workload", "minivmm+IO", "minivmm", "IO+threads", "QEMU", "host", "IO/QEMU", "mvm/QEMU", "IO/host"
		for (i = 1; i <= 12; i++) {
			x = order[i]; a = median("minivmm-inorder" SUBSEP b SUBSEP x); m = median("minivmm" SUBSEP b SUBSEP x)
			q = median("qemu" SUBSEP b SUBSEP x); h = median("host" SUBSEP b SUBSEP x); t = median("minivmm-threads" SUBSEP b SUBSEP x)
			unit = x ~ /seqread/ ? "MB/s" : "IOPS"
			if (unit == "MB/s") { a = median("minivmm-inorder" SUBSEP b SUBSEP x SUBSEP "mb"); m = median("minivmm" SUBSEP b SUBSEP x SUBSEP "mb"); q = median("qemu" SUBSEP b SUBSEP x SUBSEP "mb"); h = median("host" SUBSEP b SUBSEP x SUBSEP "mb"); t = median("minivmm-threads" SUBSEP b SUBSEP x SUBSEP "mb") }
			printf "%-22s %12.0f %12.0f %12.0f %12.0f %12.0f %9.2f %9.2f %9.2f  %s\n", x, a, m, t, q, h, (q > 0 ? a / q : 0), (q > 0 ? m / q : 0), (h > 0 ? a / h : 0), unit
			if (b == "tmpfs") printf "%s %f %f %f %f %f\n", x, a, m, q, h, t > "/dev/stderr"
		}
		printf "\n"
	}
	a = median("start" SUBSEP "minivmm"); b = median("start" SUBSEP "minivmm-inorder"); q = median("start" SUBSEP "qemu")
	if (a < 0 || b < 0 || q < 0)
		printf "start-up: n/a here (the guest'"'"'s TSC is not the host'"'"'s one level down)\n"
	else
		printf "start-up, process start to the guest'"'"'s first CPL3 instruction (ms, median): minivmm %.1f (with --in-order %.1f), QEMU %.1f\n", a, b, q
	printf "RSS outside the 256 MiB guest RAM, peak over a whole run (MiB): minivmm %s (static build %s), QEMU %s\n", rss["minivmm"], (rss["minivmm-static"] == "" ? "n/a" : rss["minivmm-static"]), rss["qemu"]
	printf "IO = --in-order (VIRTIO_F_IN_ORDER negotiated); minivmm = without it; IO+threads = --in-order\nwith --disk ...,engine=threads (worker threads make the I/O calls, not io_uring).\n"
	printf "queue counters of the last run (all workloads of one boot; waited and heap_hwm: the\nreordering done by the in-order heap):\n"
	for (bi = 1; bi <= 3; bi++) {
		b = backings[bi]
		if (!seen[b]) continue
		printf "  minivmm --in-order, %-6s: %s\n", b, counters["minivmm-inorder " b]
		printf "  minivmm,            %-6s: %s\n", b, counters["minivmm " b]
		printf "  minivmm IO+threads, %-6s: %s\n", b, counters["minivmm-threads " b]
	}
}' "$raw" 2>"$out/device.dat" | tee "$out/device.txt"

gnuplot <<EOG 2>/dev/null || echo "device bench: gnuplot failed; table only"
set terminal png size 1100,520 noenhanced
set output "$out/device.png"
set title "virtio-blk from the test guest, tmpfs backing (IOPS or MB/s, higher is better)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set xtics rotate by -30
set logscale y
set key top right
plot "$out/device.dat" using 2:xtic(1) title "minivmm --in-order", '' using 3 title "minivmm", '' using 4 title "QEMU microvm", '' using 5 title "host io_uring", '' using 6 title "minivmm --in-order, engine=threads"
EOG
echo "device bench: table $out/device.txt, plot $out/device.png"
