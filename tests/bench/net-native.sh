#!/bin/sh
# Native network benchmark (issue 15): the freestanding test guest's
# virtio-net program (guests/testguest/net_main.c, at CPL3 directly on this
# host's /dev/kvm, which the paravirtual KVM of these machines runs
# natively where Linux cannot boot) against its host peer
# tests/bench/bench_net on the same TAP, under minivmm with and without
# --in-order and QEMU microvm's virtio-net, alternating, ROUNDS rounds:
#   tx  the guest sends FRAMES frames of 64 and of 1500 bytes and FRAMES/8
#       of 64 KiB with HOST_TSO4 (the TAP segments them) as fast as it can;
#       the peer counts them off the TAP with recvmmsg;
#   rx  the peer sends 64- and 1500-byte frames with sendmmsg batches as fast
#       as it can until the guest has FRAMES of them.
# Rates are the guest's (TSC at CPL3, first frame to last completion or
# arrival): packets/s and MB/s of Ethernet frames. QEMU runs with vhost=off:
# this host has no /dev/vhost-net (the table says whether it has). Each run
# has a network namespace of its own (unshare), so the TAP, always mvnet0,
# cannot collide with another's and goes away with the run.
# Output: table on stdout and build/bench/net-native.txt, plot
# build/bench/net-native.png. Without /dev/kvm there is nothing native to
# measure: it says so and leaves the network to tests/bench/net.sh.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$root/build
out=$build/bench
mkdir -p "$out"
ROUNDS=${ROUNDS:-5}
FRAMES=${FRAMES:-50000}
QEMU=${QEMU:-qemu-system-x86_64}
tg=$build/testguest/testguest.elf
peer=$build/bench-bin/bench_net
hostio=$build/bench-bin/bench_hostio
for f in "$tg" "$peer" "$hostio"; do
	[ -x "$f" ] || [ -f "$f" ] || { echo "net-native bench: run 'make bench' (needs $f)" >&2; exit 1; }
done
kind=$("$root/tests/host-kvm-kind.sh")
if [ "$kind" = none ]; then
	echo "net-native bench: host KVM: none; no native figures here (tests/bench/net.sh measures one level down)"
	exit 0
fi
echo "net-native bench: host KVM: $kind; running directly"
hz=$("$hostio" --tsc-hz)
qemu_path=$(command -v "$QEMU")
vhost=$([ -e /dev/vhost-net ] && echo "present (not used)" || echo "absent")
qver=$("$qemu_path" --version | awk 'NR == 1 { print $4 }')
raw=$out/net-native.raw
: >"$raw"
guest_args="testguest.net=2 testguest.frames=$FRAMES"

# run LABEL: one boot, its results appended to $raw.
run() {
	label=$1
	log=$out/net-native-$label.log
	case $label in
	minivmm-inorder) set -- "$build/minivmm" --kernel "$tg" --net tap=mvnet0 --in-order -v \
		--timeout 600 --append "$guest_args" ;;
	minivmm) set -- "$build/minivmm" --kernel "$tg" --net tap=mvnet0 -v \
		--timeout 600 --append "$guest_args" ;;
	qemu) set -- timeout 600 "$qemu_path" -M microvm,acpi=off -enable-kvm \
		-cpu host,-arch-capabilities -m 256 -nodefaults -no-user-config -display none \
		-serial stdio -no-reboot -kernel "$tg" -append "console=ttyS0 $guest_args" \
		-global virtio-mmio.force-legacy=false \
		-netdev tap,id=n0,ifname=mvnet0,script=no,downscript=no,vhost=off \
		-device virtio-net-device,netdev=n0 -device isa-debug-exit,iobase=0x501,iosize=1 ;;
	esac
	unshare --net sh -c '"$1" tap mvnet0 || exit 97; shift; exec "$@"' sh "$peer" \
		"$peer" bench mvnet0 -- "$@" </dev/null >"$log" 2>&1 || true
	grep -q "^TESTGUEST-NET: ok" "$log" ||
		echo "net-native bench: $label: the guest did not finish its phases (see $log)" >&2
	tr -d '\r' <"$log" | awk -v l="$label" -v hz="$hz" '
		/^TESTGUEST-NET: (tx|rx) phase=/ {
			for (i = 3; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
			w = $2 "-" (v["frame"] == 65536 ? "64k-tso" : v["frame"])
			s = v["cycles"] / hz
			if (s > 0) printf "RES %s %s %.0f %.1f\n", l, w, v["frames"] / s, v["frames"] * v["frame"] / s / 1e6
		}
		/^NETPEER: rx phase=/ { for (i = 3; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
			printf "SENT %s rx-%s %s %s\n", l, v["frame"], v["sent"], v["guest_received"] }
		/^eth0: (tx|rx) queue / { q = $2; sub(/^eth0: (tx|rx) queue /, ""); printf "COUNTERS %s %s %s\n", l, q, $0 }' >>"$raw"
}

r=1
while [ $r -le "$ROUNDS" ]; do
	# Each round starts with a different VMM, so no column always runs first.
	case $((r % 3)) in
	1) order="minivmm-inorder minivmm qemu" ;;
	2) order="minivmm qemu minivmm-inorder" ;;
	*) order="qemu minivmm-inorder minivmm" ;;
	esac
	for label in $order; do
		run $label
	done
	r=$((r + 1))
done

awk -v rounds="$ROUNDS" -v hz="$hz" -v kind="$kind" -v vhost="$vhost" -v frames="$FRAMES" -v qver="$qver" '
function sorted(key, v,   n, i, j, t) {
	n = cnt[key]
	for (i = 1; i <= n; i++) v[i] = val[key, i]
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
	return n
}
function median(key,   n, v) {
	n = sorted(key, v); if (!n) return -1
	return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}
function spread(key,   n, v) {
	n = sorted(key, v); if (!n) return "-"
	return sprintf("%.0f-%.0f", v[1] / 1000, v[n] / 1000)
}
$1 == "RES" { k = $2 SUBSEP $3; cnt[k]++; val[k, cnt[k]] = $4; k = k SUBSEP "mb"; cnt[k]++; val[k, cnt[k]] = $5 }
$1 == "SENT" { k = $2 SUBSEP $3 SUBSEP "sent"; sent[k] += $4; got[k] += $5 }
$1 == "COUNTERS" { c = $0; sub(/^COUNTERS [^ ]+ [^ ]+ /, "", c); counters[$2 " " $3] = c }
END {
	printf "minivmm native network benchmark: the test guest at CPL3 directly on this host'"'"'s /dev/kvm (%s); %d rounds, medians (spread min-max)\n", kind, rounds
	printf "TSC %.0f MHz; %d frames per phase (TSO: %d); QEMU %s microvm virtio-net-device, vhost=off (/dev/vhost-net: %s)%s\n\n", hz / 1e6, frames, frames / 8, qver, vhost,
		qver ~ /^[0-8]\./ || qver ~ /^9\.0/ ? ", no in_order property (that came with 9.1)" : ""
	split("tx-64 tx-1500 tx-64k-tso rx-64 rx-1500", order, " ")
	printf "%-11s %11s %11s %11s %14s %14s %14s %7s %7s %7s\n", "workload", "IO kpps", "mvm kpps", "QEMU kpps", "IO spread", "mvm spread", "QEMU spread", "IO/Q", "mvm/Q", "IO/mvm"
	for (i = 1; i <= 5; i++) {
		x = order[i]; a = median("minivmm-inorder" SUBSEP x); m = median("minivmm" SUBSEP x); q = median("qemu" SUBSEP x)
		if (a < 0 && m < 0 && q < 0) continue
		printf "%-11s %11.1f %11.1f %11.1f %14s %14s %14s %7.2f %7.2f %7.2f\n", x, a / 1000, m / 1000, q / 1000,
			spread("minivmm-inorder" SUBSEP x), spread("minivmm" SUBSEP x), spread("qemu" SUBSEP x),
			(q > 0 ? a / q : 0), (q > 0 ? m / q : 0), (m > 0 ? a / m : 0)
		printf "%s %f %f %f\n", x, a, m, q > "/dev/stderr"
	}
	printf "\n%-11s %11s %11s %11s\n", "MB/s", "IO", "mvm", "QEMU"
	for (i = 1; i <= 5; i++) {
		x = order[i]; a = median("minivmm-inorder" SUBSEP x SUBSEP "mb"); m = median("minivmm" SUBSEP x SUBSEP "mb"); q = median("qemu" SUBSEP x SUBSEP "mb")
		if (a < 0 && m < 0 && q < 0) continue
		printf "%-11s %11.1f %11.1f %11.1f\n", x, a, m, q
	}
	printf "\nIO = minivmm --in-order (VIRTIO_F_IN_ORDER negotiated); mvm = minivmm without it; Q = QEMU.\n"
	printf "rx: frames the peer sent / the guest counted, all rounds (the rest were dropped at the TAP or arrived after the phase):\n"
	for (i = 4; i <= 5; i++) {
		x = order[i]; printf "  %-8s", x
		split("minivmm-inorder minivmm qemu", ls, " ")
		for (j = 1; j <= 3; j++) { k = ls[j] SUBSEP x SUBSEP "sent"; printf "  %s %d/%d", ls[j], sent[k], got[k] }
		printf "\n"
	}
	printf "queue counters of the last run (all phases of one boot):\n"
	printf "  minivmm --in-order: tx %s\n", counters["minivmm-inorder tx"]
	printf "                      rx %s\n", counters["minivmm-inorder rx"]
	printf "  minivmm:            tx %s\n", counters["minivmm tx"]
	printf "                      rx %s\n", counters["minivmm rx"]
}' "$raw" 2>"$out/net-native.dat" | tee "$out/net-native.txt"

gnuplot <<EOG 2>/dev/null || echo "net-native bench: gnuplot failed; table only"
set terminal png size 900,480 noenhanced
set output "$out/net-native.png"
set title "virtio-net from the test guest at CPL3 (packets/s, higher is better)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set logscale y
set key top right
plot "$out/net-native.dat" using 2:xtic(1) title "minivmm --in-order", '' using 3 title "minivmm", '' using 4 title "QEMU microvm (vhost=off)"
EOG
echo "net-native bench: table $out/net-native.txt, plot $out/net-native.png"
