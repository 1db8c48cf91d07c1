#!/bin/sh
# Boots the middle layer N times with no test cases, only its canary (an
# inner Linux under minivmm that must reach init), and counts the boots
# whose nested KVM was unusable. A measurement, not a test: it asserts
# nothing. LAYER_TSC=calibrate boots the layer as before the TSC fix.
# Usage: layer-canary.sh [N]   (default 20)
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
n=${1:-20}
work=$root/build/layer-canary.$$
guest=$work/guest # its own, as every test run has (tests/lib.sh, run_dir)
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
. "$root/tests/boot/layer.sh"
guest_prepare >/dev/null || exit 1
printf 'ALL_CASES=""\nrun_cases() { :; }\n' >"$work/cases.sh"
layer_build "$work/stage" "$work/layer.cpio.gz" "$work/cases.sh"
bad=0 good=0 other=0
i=0
while [ $i -lt "$n" ]; do
	i=$((i + 1))
	t0=$(date +%s)
	layer_run "$kdir/bzImage" "$work/layer.cpio.gz" 300 "" >"$work/boot.log" 2>&1
	if grep -q "^MINIVMM-LAYER: nested KVM unusable" "$work/boot.log"; then
		bad=$((bad + 1))
		verdict=unusable
		cp "$work/boot.log" "$root/build/layer-canary-unusable-$$-$i.log"
	elif grep -q "^MINIVMM-LAYER: done" "$work/boot.log"; then
		good=$((good + 1))
		verdict=usable
	else
		other=$((other + 1))
		verdict="no verdict"
	fi
	echo "layer boot $i: $verdict ($(($(date +%s) - t0)) s, load $(cut -d' ' -f1 /proc/loadavg))"
done
echo "layer-canary: $n boots, $good usable, $bad unusable, $other without a verdict (LAYER_TSC=${LAYER_TSC:-measured})"
