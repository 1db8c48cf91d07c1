#!/bin/sh
# Network benchmark (issue 5): TCP throughput guest->host and host->guest
# over a TAP, minivmm (with and without --in-order) beside QEMU microvm's
# virtio-net (userspace, vhost=off), same guest kernel and initrd, same TAP
# in a network namespace of its own, ROUNDS rounds alternating. The guest
# is Linux, so on hosts without hardware virtualization (these) it all runs
# one level down, in the boot tests' middle layer; the table says so.
# Settings: ROUNDS (3), NET_MB (32 MiB each way), QEMU, NETBENCH_VMMS (the
# VMM variants, see net-cases; minivmm-inorder-nopoll shows what polling
# the transmit ring gives), BENCH_BASE (another static minivmm, measured as
# base and base-inorder when NETBENCH_VMMS names them).
# Output: table on stdout and build/bench/net.txt, plot build/bench/net.png.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$root/build
out=$build/bench
work=$out/net-work
here=$root/tests/bench
ROUNDS=${ROUNDS:-3}
NET_MB=${NET_MB:-32}
QEMU=$(command -v "${QEMU:-qemu-system-x86_64}") || { echo "net bench: QEMU missing (make deps)" >&2; exit 1; }
case $ROUNDS in '' | *[!0-9]* | 0) echo "net bench: ROUNDS must be a positive number" >&2; exit 2 ;; esac
[ -x "$build/minivmm-static" ] || { echo "net bench: $build/minivmm-static missing (make bench)" >&2; exit 1; }
command -v gnuplot >/dev/null || { echo "net bench: gnuplot missing (make deps)" >&2; exit 1; }

rm -rf "$work"
mkdir -p "$out" "$work"
# A guest directory of our own, as in boot.sh.
guest=$work/guest
. "$root/tests/boot/layer.sh"
guest_prepare
kver=$(cat "$kdir/version")  # e.g. "linux-source-7.2 7.2.13-1"
qver=$("$QEMU" --version | head -n 1 | sed 's/^QEMU emulator version //')
cat "$root/tests/boot/cases.sh" "$here/net-cases" >"$work/cases.sh"
conf="NETBENCH_ROUNDS=$ROUNDS NET_MB=$NET_MB NETBENCH_QEMU=$QEMU ${NETBENCH_VMMS:+NETBENCH_VMMS=\"$NETBENCH_VMMS\"}"
. "$here/layer-run"
bench_run net "$work/cases.sh" netbench "$conf" $((300 + 120 * ROUNDS))
tr -d '\r' <"$log" | grep -a '^NETBENCH ' >"$out/net.raw" || true
[ -s "$out/net.raw" ] || { echo "net bench: no results; see $log" >&2; exit 1; }
tr -d '\r' <"$log" | grep -a -A15 '^NETBENCH .* ok=0' || true

# MB/s medians per VMM and direction over the runs whose checksums matched.
awk -v mb="$NET_MB" -v where="$where" -v rounds="$ROUNDS" -v kver="$kver" -v qver="$qver" \
	-v plot="$work/net.dat" "$(cat "$here/rounds.awk")"'
{
	fields()
	runs[f["vmm"]]++
	if (f["ok"] != 1 || f["tx_s"] == "NA" || f["rx_s"] == "NA" || f["tx_s"] <= 0 || f["rx_s"] <= 0) { bad[f["vmm"]]++; next }
	for (d = 1; d <= 2; d++) {
		k = f["vmm"] SUBSEP d
		val[k, ++cnt[k]] = mb * 1.048576 / f[d == 1 ? "tx_s" : "rx_s"]
	}
	if (f["poll_hits"] != "" && f["poll_hits"] != "NA") { k = f["vmm"] SUBSEP 3; val[k, ++cnt[k]] = f["poll_hits"] }
	# What a MiB cost the guest each way: interrupts, frames out, frames in.
	nc = split("tx_irqs tx_out tx_in rx_irqs rx_out rx_in", cost, " ")
	for (c = 1; c <= nc; c++)
		if (f[cost[c]] != "" && f[cost[c]] != "NA") { k = f["vmm"] SUBSEP (3 + c); val[k, ++cnt[k]] = f[cost[c]] / mb }
}
END {
	printf "minivmm network benchmark (issue 5): %s\n", where
	printf "guest: %s, busybox nc, %d MiB each way over TCP through one TAP; 1 vCPU, 512 MiB; %d rounds, medians\n", kver, mb, rounds
	printf "QEMU %s: -M microvm -accel kvm, -device virtio-net-device on -netdev tap,vhost=off (no IN_ORDER in this version)\n\n", qver
	printf "%-18s %24s %24s %6s\n", "", "guest->host MB/s", "host->guest MB/s", ""
	printf "%-18s %8s %7s %7s %8s %7s %7s %6s\n", "VMM", "median", "min", "max", "median", "min", "max", "runs ok"
	nv = split("minivmm-inorder minivmm-inorder-nopoll minivmm base-inorder base qemu", order, " ")
	name["minivmm-inorder"] = "minivmm --in-order"; name["minivmm-inorder-nopoll"] = "--in-order poll=0"
	name["base-inorder"] = "base --in-order"; name["base"] = "base (BENCH_BASE)"
	name["minivmm"] = "minivmm"; name["qemu"] = "QEMU microvm"
	for (i = 1; i <= nv; i++) {
		v = order[i]
		if (!runs[v]) continue
		t = median(v SUBSEP 1); r = median(v SUBSEP 2)
		printf "%-18s %8.1f %7.1f %7.1f %8.1f %7.1f %7.1f %3d/%d\n", name[v], t, lo(v SUBSEP 1), hi(v SUBSEP 1), r, lo(v SUBSEP 2), hi(v SUBSEP 2), runs[v] - bad[v], runs[v]
		printf "\"%s\" %f %f %f %f %f %f\n", name[v], t, lo(v SUBSEP 1), hi(v SUBSEP 1), r, lo(v SUBSEP 2), hi(v SUBSEP 2) > plot
		med[v, 1] = t; med[v, 2] = r
	}
	printf "\ntransmit-ring polls that found the next frame (poll_hits, median per boot):"
	for (i = 1; i <= nv; i++) if (order[i] != "qemu" && cnt[order[i] SUBSEP 3]) printf " %s %d;", name[order[i]], median(order[i] SUBSEP 3)
	printf "\n"
	printf "\nper MiB, medians (virtio interrupts in the guest, frames it sent, frames it received):\n"
	printf "%-18s %8s %8s %8s   %8s %8s %8s\n", "", "tx: irqs", "out", "in", "rx: irqs", "out", "in"
	for (i = 1; i <= nv; i++) {
		v = order[i]
		if (!cnt[v SUBSEP 4]) continue
		printf "%-18s", name[v]
		for (c = 4; c <= 9; c++) printf " %8.1f%s", median(v SUBSEP c), c == 6 ? "  " : ""
		printf "\n"
	}
	printf "\nratios of medians to QEMU:     guest->host  host->guest\n"
	for (i = 1; i <= nv; i++) {
		v = order[i]
		if (!runs[v] || v == "qemu") continue
		printf "  %-28s %5.2f %12.2f\n", name[v], (med["qemu", 1] > 0 ? med[v, 1] / med["qemu", 1] : 0), \
			(med["qemu", 2] > 0 ? med[v, 2] / med["qemu", 2] : 0)
	}
}' "$out/net.raw" | tee "$out/net.txt"

gnuplot -e "bars=$(wc -l <"$work/net.dat"); datafile='$work/net.dat'; outfile='$out/net.png'; subtitle='$(date -u '+%Y-%m-%d'), $ROUNDS rounds, medians with min..max'" \
	"$here/net.gnuplot" && echo "plot: $out/net.png"
