#!/bin/sh
# Not a test: how often the middle layer hangs. Boots the layer N times
# (default 10), each running the Linux boot cases in HANG_CASES (default an
# iperf3 and a fio case, the workload the hangs were seen under), and
# prints one line per boot and the tally. LAYER_TCG_THREAD=single|multi
# picks TCG's threading (tests/boot/layer.sh); LAYER_STALL_S (default 150
# here: the layer's heartbeat comes once a minute) how long a silent layer
# may stay before it counts as hung. A hung boot is not retried here.
# usage: tests/boot/layer-hang-rate.sh [N]
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
n=${1:-10}
cases=${HANG_CASES:-net_iperf_in_order fio_in_order}
LAYER_STALL_S=${LAYER_STALL_S:-150}
export LAYER_STALL_S
hung=0 failed=0
for i in $(seq 1 "$n"); do
	out=$(BOOT_CASES="$cases" MINIVMM_TIERS=boot MINIVMM_LAYER_TRIES=1 \
		"$root/tests/run-all.sh" 2>&1)
	line=$(printf '%s\n' "$out" | sed -n 's/^== middle layer boots: //p' | tail -n 1)
	case $line in
	*"hung and retried: 0,"*) ;;
	*) hung=$((hung + 1)) ;;
	esac
	# A failure that is no watchdog hang: the cases' own verdicts, to read.
	case $(printf '%s\n' "$out" | tail -n 1) in
	*" 0 failed") ;;
	*) failed=$((failed + 1)) ;;
	esac
	echo "layer-hang-rate: boot $i (threading ${LAYER_TCG_THREAD:-default}): $line;" \
		"$(printf '%s\n' "$out" | tail -n 1)"
	printf '%s\n' "$out" | grep '^middle layer:   layer CPU' || :
done
echo "layer-hang-rate: threading ${LAYER_TCG_THREAD:-default}: $hung of $n boots hung;" \
	"$failed of $n had failed cases"
