#!/bin/sh
# Block benchmark with a real client (issue 17): fio in a Linux guest, 4 KiB
# random read/write at depth 32 and 128 KiB sequential reads, minivmm (with
# and without --in-order) beside QEMU microvm's virtio-blk on the same guest
# kernel, initrd and image size, ROUNDS rounds alternating (tests/bench/fio-cases).
# On hosts without hardware virtualization (these) it runs one level down,
# in the boot tests' middle layer; the table says so.
# Settings: ROUNDS (5), FIO_SECS (10 s per job), FIO_MB (256 MiB image),
# QEMU, FIOBENCH_VMMS (see fio-cases; add qemu-uring for QEMU's aio=io_uring),
# BENCH_BASE (another static minivmm, measured as base and base-inorder).
# Output: table on stdout and build/bench/fio.txt, raw lines build/bench/fio.raw.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$root/build
out=$build/bench
work=$out/fio-work
here=$root/tests/bench
ROUNDS=${ROUNDS:-5}
FIO_SECS=${FIO_SECS:-10}
FIO_MB=${FIO_MB:-256}
QEMU=$(command -v "${QEMU:-qemu-system-x86_64}") || { echo "fio bench: QEMU missing (make deps)" >&2; exit 1; }
case $ROUNDS$FIO_SECS$FIO_MB in '' | *[!0-9]*) echo "fio bench: ROUNDS, FIO_SECS and FIO_MB must be numbers" >&2; exit 2 ;; esac
[ "$ROUNDS" -gt 0 ] || { echo "fio bench: ROUNDS must be positive" >&2; exit 2; }
[ -x "$build/minivmm-static" ] || { echo "fio bench: $build/minivmm-static missing (make bench)" >&2; exit 1; }

rm -rf "$work"
mkdir -p "$out" "$work"
guest=$work/guest
. "$root/tests/boot/layer.sh"
guest_prepare
kver=$(cat "$kdir/version")
qver=$("$QEMU" --version | head -n 1 | sed 's/^QEMU emulator version //')
cat "$root/tests/boot/cases.sh" "$here/fio-cases" >"$work/cases.sh"
conf="FIOBENCH_ROUNDS=$ROUNDS FIOBENCH_SECS=$FIO_SECS FIOBENCH_MB=$FIO_MB FIOBENCH_QEMU=$QEMU ${FIOBENCH_VMMS:+FIOBENCH_VMMS=\"$FIOBENCH_VMMS\"}"
. "$here/layer-run"
bench_run fio "$work/cases.sh" fiobench "$conf" $((300 + (60 + 2 * FIO_SECS) * 4 * ROUNDS))
tr -d '\r' <"$log" | grep -a '^FIOBENCH ' >"$out/fio.raw" || true
[ -s "$out/fio.raw" ] || { echo "fio bench: no results; see $log" >&2; exit 1; }
tr -d '\r' <"$log" | grep -a -A15 '^FIOBENCH .* ok=0' || true

awk -v where="$where" -v rounds="$ROUNDS" -v kver="$kver" -v qver="$qver" -v secs="$FIO_SECS" -v mb="$FIO_MB" \
	"$(cat "$here/rounds.awk")"'
{
	fields()
	v = f["vmm"]; runs[v]++
	if (f["ok"] != 1) { bad[v]++; next }
	k = v SUBSEP 1; val[k, ++cnt[k]] = f["rr_r"] + f["rr_w"]
	k = v SUBSEP 2; val[k, ++cnt[k]] = f["seq_r"] * 128 / 1024
	# Per request: guest interrupts (each job), and over the whole
	# boot the layer context switches and minivmm counters.
	r = f["rr_reqs"] + f["seq_reqs"]
	if (f["rr_reqs"] > 0) { k = v SUBSEP 3; val[k, ++cnt[k]] = f["rr_irqs"] / f["rr_reqs"] }
	if (f["seq_reqs"] > 0) { k = v SUBSEP 4; val[k, ++cnt[k]] = f["seq_irqs"] / f["seq_reqs"] }
	if (r <= 0) next
	if (f["ctxt"] != "") { k = v SUBSEP 5; val[k, ++cnt[k]] = f["ctxt"] / r }
	if (f["kicks"] ~ /^[0-9]+$/) { k = v SUBSEP 6; val[k, ++cnt[k]] = f["kicks"] / r }
	if (f["waits"] ~ /^[0-9]+$/) { k = v SUBSEP 7; val[k, ++cnt[k]] = f["waits"] / r }
	if (f["exits_mmio"] ~ /^[0-9]+$/) { k = v SUBSEP 8; val[k, ++cnt[k]] = f["exits_mmio"] / r }
}
function perreq(k, fmt) { return cnt[k] ? sprintf(fmt, median(k)) : "-" }
END {
	printf "minivmm block benchmark with fio (issue 17): %s\n", where
	printf "guest: %s, fio 3.33 (static, io_uring, O_DIRECT), %d s per job on a %d MiB image; 2 vCPUs, 512 MiB; %d rounds, medians\n", kver, secs, mb, rounds
	printf "QEMU %s: -M microvm -accel kvm, -device virtio-blk-device, raw file, cache=writeback\n\n", qver
	printf "%-22s %26s %26s %6s\n", "", "4k randrw qd32 IOPS", "128k seq read qd8 MB/s", ""
	printf "%-22s %8s %8s %8s %8s %8s %8s %6s\n", "VMM", "median", "min", "max", "median", "min", "max", "runs ok"
	nv = split("minivmm-inorder minivmm base-inorder base qemu qemu-uring", order, " ")
	name["minivmm-inorder"] = "minivmm --in-order"; name["minivmm"] = "minivmm"
	name["base-inorder"] = "base --in-order"; name["base"] = "base (BENCH_BASE)"
	name["qemu"] = "QEMU (aio=threads)"; name["qemu-uring"] = "QEMU (aio=io_uring)"
	for (i = 1; i <= nv; i++) {
		v = order[i]
		if (!runs[v]) continue
		a = median(v SUBSEP 1); b = median(v SUBSEP 2); med[v, 1] = a; med[v, 2] = b
		printf "%-22s %8.0f %8.0f %8.0f %8.1f %8.1f %8.1f %3d/%d\n", name[v], a, lo(v SUBSEP 1), hi(v SUBSEP 1), b, lo(v SUBSEP 2), hi(v SUBSEP 2), runs[v] - bad[v], runs[v]
	}
	printf "\nratios of medians to QEMU (aio=threads):   randrw   seq read\n"
	for (i = 1; i <= nv; i++) {
		v = order[i]
		if (!runs[v] || v == "qemu" || med["qemu", 1] <= 0) continue
		printf "  %-38s %6.2f %9.2f\n", name[v], med[v, 1] / med["qemu", 1], med[v, 2] / med["qemu", 2]
	}
	printf "\nper request, medians: guest interrupts (randrw, seq jobs); over the whole boot the\n"
	printf "context switches beside the VMM, and minivmm: kicks (guest notifications), device-thread\n"
	printf "waits and MMIO exits to user space (InterruptStatus reads and ACKs)\n"
	printf "%-22s %8s %8s %8s %8s %8s %8s\n", "VMM", "irq rr", "irq seq", "ctxt", "kicks", "waits", "mmio"
	for (i = 1; i <= nv; i++) {
		v = order[i]
		if (!runs[v]) continue
		printf "%-22s %8s %8s %8s %8s %8s %8s\n", name[v], perreq(v SUBSEP 3, "%.3f"), perreq(v SUBSEP 4, "%.3f"),
			perreq(v SUBSEP 5, "%.2f"), perreq(v SUBSEP 6, "%.3f"), perreq(v SUBSEP 7, "%.3f"), perreq(v SUBSEP 8, "%.3f")
	}
}' "$out/fio.raw" | tee "$out/fio.txt"
