#!/bin/sh
# Device benchmark (issue 6): the freestanding test guest's timed virtio-blk
# workloads (4 KiB random read/write and 128 KiB sequential read at QD 1, 16,
# 64 and the queue size, 256), under minivmm (with and without --in-order) and QEMU microvm, side by
# side on the same image file, alternating, ROUNDS rounds; plus the host's
# own io_uring on that file with the same pattern (the physical limit).
# Backing files in tmpfs (/dev/shm) and on disk (build/). Both VMMs use the
# host page cache (minivmm without ,direct; QEMU cache=writeback,aio=io_uring).
# Also: RSS outside guest RAM while the guest runs, and the time from process
# start to the guest's first instruction at CPL3 (TSC, same host).
#
# The test guest's work runs at CPL3, so it runs directly on this host's
# paravirtual /dev/kvm at native speed. Without /dev/kvm this benchmark says
# so and stops (the comparison one level down is boot.sh's).
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
if [ ! -e /dev/kvm ]; then
	echo "device bench: SKIP: no /dev/kvm on this host; see boot.sh for the nested comparison"
	exit 0
fi
hz=$("$hostio" --tsc-hz)
raw=$out/device.raw
: >"$raw"

# run_vmm LABEL BACKING IMAGE: one bench boot, its lines appended to $raw.
run_vmm() {
	label=$1 backing=$2 img=$3
	log=$out/device-$label.log
	t0=$("$hostio" --tsc-now)
	case $label in
	minivmm-inorder) "$build/minivmm" --kernel "$tg" --disk "$img" --in-order -v \
		--append "testguest.bench=1" --timeout 300 </dev/null >"$log" 2>&1 || true ;;
	minivmm) "$build/minivmm" --kernel "$tg" --disk "$img" -v \
		--append "testguest.bench=1" --timeout 300 </dev/null >"$log" 2>&1 || true ;;
	qemu) timeout 300 "$QEMU" -M microvm,acpi=off -enable-kvm -cpu host,-arch-capabilities \
		-m 256 -nodefaults -no-user-config -display none -serial stdio -no-reboot \
		-kernel "$tg" -append "console=ttyS0 testguest.bench=1" \
		-global virtio-mmio.force-legacy=false \
		-drive file="$img",if=none,id=d0,format=raw,cache=writeback,aio=io_uring \
		-device virtio-blk-device,drive=d0 -device isa-debug-exit,iobase=0x501,iosize=1 \
		</dev/null >"$log" 2>&1 || true ;;
	esac
	tr -d '\r' <"$log" | awk -v l="$label" -v b="$backing" -v hz="$hz" -v t0="$t0" '
		/TESTGUEST: running at CPL3 tsc=/ { split($0, a, "tsc="); printf "START %s %s %.3f\n", l, b, (a[2] - t0) / hz * 1000 }
		/TESTGUEST-BENCH: .* cycles=/ {
			w = $2; bs = $3; qd = $4; ops = $5; cyc = $6; sub("ops=", "", ops); sub("cycles=", "", cyc)
			s = cyc / hz; printf "RES %s %s %s-%s-%s %.0f %.1f\n", l, b, w, bs, qd, ops / s, ops * (bs == "bs=4k" ? 4096 : 131072) / s / 1e6
		}' >>"$raw"
	tr -d '\r' <"$log" | sed -n "s/^vda: queue /COUNTERS $label $backing /p" >>"$raw"
	grep -q "TESTGUEST: correctness ok" "$log" || echo "device bench: $label on $backing: guest did not pass its checks (see $log)" >&2
}

for backing in tmpfs disk; do
	if [ $backing = tmpfs ]; then dir=/dev/shm; else dir=$build; fi
	img=$dir/minivmm-bench.img
	dd if=/dev/urandom of="$img" bs=1M count=256 2>/dev/null
	r=1
	while [ $r -le "$ROUNDS" ]; do
		for label in minivmm-inorder minivmm qemu; do
			run_vmm $label $backing "$img"
		done
		"$hostio" "$img" | awk -v b=$backing '{ w = $2; bs = $3; qd = $4; ops = $5; ns = $6; sub("ops=", "", ops); sub("ns=", "", ns); s = ns / 1e9
			printf "RES host %s %s-%s-%s %.0f %.1f\n", b, w, bs, qd, ops / s, ops * (bs == "bs=4k" ? 4096 : 131072) / s / 1e6 }' >>"$raw"
		r=$((r + 1))
	done
	rm -f "$img"
done

# Footprint: RSS outside the 256 MiB guest RAM mapping, sampled mid-run.
rss_outside() {
	pid=$1
	awk '/^Size:/ { big = ($2 == 262144) } /^Rss:/ && !big { s += $2 }
	     END { printf "%.1f", s / 1024 }' "/proc/$pid/smaps"
}
img=/dev/shm/minivmm-bench.img
dd if=/dev/zero of="$img" bs=1M count=256 2>/dev/null
for label in minivmm qemu; do
	log=$out/device-rss-$label.log
	if [ $label = minivmm ]; then
		"$build/minivmm" --kernel "$tg" --disk "$img" --append "testguest.bench=1" \
			</dev/null >"$log" 2>&1 &
	else
		"$QEMU" -M microvm,acpi=off -enable-kvm -cpu host,-arch-capabilities -m 256 \
			-nodefaults -no-user-config -display none -serial stdio -no-reboot \
			-kernel "$tg" -append "console=ttyS0 testguest.bench=1" \
			-global virtio-mmio.force-legacy=false \
			-drive file="$img",if=none,id=d0,format=raw,cache=writeback,aio=io_uring \
			-device virtio-blk-device,drive=d0 -device isa-debug-exit,iobase=0x501,iosize=1 \
			</dev/null >"$log" 2>&1 &
	fi
	pid=$!
	# A benchmark may poll: wait until the guest is in its timed loops.
	n=0
	while ! grep -q "TESTGUEST-BENCH: cycles" "$log" 2>/dev/null && [ $n -lt 200 ]; do
		sleep 0.05
		n=$((n + 1))
	done
	echo "RSS $label $(rss_outside $pid)" >>"$raw"
	wait $pid || true
done
rm -f "$img"

awk -v rounds="$ROUNDS" -v hz="$hz" '
function median(key,   n, i, j, t, v) {
	n = cnt[key]; if (!n) return -1
	for (i = 1; i <= n; i++) v[i] = val[key, i]
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
	return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}
$1 == "RES" { k = $2 SUBSEP $3 SUBSEP $4; cnt[k]++; val[k, cnt[k]] = $5; k2 = k SUBSEP "mb"; cnt[k2]++; val[k2, cnt[k2]] = $6; w[$4] = 1 }
$1 == "START" { k = "start" SUBSEP $2; cnt[k]++; val[k, cnt[k]] = $4 }
$1 == "RSS" { rss[$2] = $3 }
$1 == "COUNTERS" { c = $0; sub(/^COUNTERS [^ ]+ [^ ]+ /, "", c); counters[$2 " " $3] = c }
END {
	printf "minivmm device benchmark (issue 6): test guest at CPL3 on this host'"'"'s /dev/kvm, %d rounds, medians\n", rounds
	printf "TSC %.0f MHz; both VMMs use the host page cache; QEMU microvm (Debian 7.2) has no in_order property for virtio-blk\n\n", hz / 1e6
	split("randread-bs=4k-qd=1 randread-bs=4k-qd=16 randread-bs=4k-qd=64 randread-bs=4k-qd=256 randwrite-bs=4k-qd=1 randwrite-bs=4k-qd=16 randwrite-bs=4k-qd=64 randwrite-bs=4k-qd=256 seqread-bs=128k-qd=1 seqread-bs=128k-qd=16 seqread-bs=128k-qd=64 seqread-bs=128k-qd=256", order, " ")
	for (bi = 1; bi <= 2; bi++) {
		b = bi == 1 ? "tmpfs" : "disk"
		printf "backing: %s\n", b
		printf "%-22s %12s %12s %12s %12s %9s %9s %9s\n", "workload", "minivmm+IO", "minivmm", "QEMU", "host", "IO/QEMU", "mvm/QEMU", "IO/host"
		for (i = 1; i <= 12; i++) {
			x = order[i]; a = median("minivmm-inorder" SUBSEP b SUBSEP x); m = median("minivmm" SUBSEP b SUBSEP x)
			q = median("qemu" SUBSEP b SUBSEP x); h = median("host" SUBSEP b SUBSEP x)
			unit = x ~ /seqread/ ? "MB/s" : "IOPS"
			if (unit == "MB/s") { a = median("minivmm-inorder" SUBSEP b SUBSEP x SUBSEP "mb"); m = median("minivmm" SUBSEP b SUBSEP x SUBSEP "mb"); q = median("qemu" SUBSEP b SUBSEP x SUBSEP "mb"); h = median("host" SUBSEP b SUBSEP x SUBSEP "mb") }
			printf "%-22s %12.0f %12.0f %12.0f %12.0f %9.2f %9.2f %9.2f  %s\n", x, a, m, q, h, (q > 0 ? a / q : 0), (q > 0 ? m / q : 0), (h > 0 ? a / h : 0), unit
			if (b == "tmpfs") printf "%s %f %f %f %f\n", x, a, m, q, h > "/dev/stderr"
		}
		printf "\n"
	}
	printf "start-up, process start to the guest'"'"'s first CPL3 instruction (ms, median): minivmm %.1f (with --in-order %.1f), QEMU %.1f\n", median("start" SUBSEP "minivmm"), median("start" SUBSEP "minivmm-inorder"), median("start" SUBSEP "qemu")
	printf "RSS outside the 256 MiB guest RAM while the guest runs (MiB): minivmm %s, QEMU %s\n", rss["minivmm"], rss["qemu"]
	printf "IO = --in-order (VIRTIO_F_IN_ORDER negotiated); minivmm = without it.\n"
	printf "queue counters of the last run (all workloads of one boot):\n"
	printf "  minivmm --in-order, tmpfs: %s\n", counters["minivmm-inorder tmpfs"]
	printf "  minivmm,            tmpfs: %s\n", counters["minivmm tmpfs"]
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
plot "$out/device.dat" using 2:xtic(1) title "minivmm --in-order", '' using 3 title "minivmm", '' using 4 title "QEMU microvm", '' using 5 title "host io_uring"
EOG
echo "device bench: table $out/device.txt, plot $out/device.png"
