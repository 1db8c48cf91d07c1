#!/bin/sh
# The middle layer's watchdog (tests/boot/layer.sh layer_watch) against
# fake layers: a layer whose kernel keeps reporting one RCU grace period
# stalled while something else still prints is ended and marked hung; a
# layer whose stalls move on, or that ends by itself, is left alone.
# Prints one line per case and exits non-zero on the first wrong verdict.
# usage: layer_watch.sh WORK_DIR
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
work=${1:?usage: layer_watch.sh WORK_DIR}
mkdir -p "$work"
. "$root/tests/boot/layer.sh"

stall() { # one report as the layer's kernel prints it, grace period $1
	printf '[ 1.0] rcu: INFO: rcu_sched detected stalls on CPUs/tasks:\n'
	printf '[ 1.0] rcu: \t0-...0: (1 GPs behind) idle=0aec/1/0x4 softirq=354/354 fqs=1\n'
	printf '[ 1.0] rcu: \t(detected by 1, t=273096 jiffies, g=%s, q=470 ncpus=2)\n' "$1"
	printf 'minivmm-layer: alive at 1.0 s\n'
}

# A layer that prints one stall report per grace period given, then waits
# as a hung QEMU would; the watchdog's verdict: hung (and why) or ended.
fake() {
	_log=$work/fake.log
	: >"$_log"
	(
		for g in "$@"; do stall "$g" >>"$_log"; done
		# Its own child, as timeout is layer_run's: the watchdog signals
		# the children of the PID it watches.
		sleep 300 >/dev/null 2>&1 &
		wait
	) &
	_p=$!
	# LAYER_STALL_S high: only the RCU verdict may end this layer.
	LAYER_STALL_S=600 layer_watch "$_p" "$_log"
	wait "$_p"
	if [ -f "$_log.hung" ]; then echo "hung: $(cat "$_log.hung")"; else echo ended; fi
}

# The verdict on a log alone, for the layers that must be left running.
verdict() {
	_log=$work/verdict.log
	: >"$_log"
	for g in "$@"; do stall "$g" >>"$_log"; done
	_v=$(layer_rcu_stuck "$_log")
	echo "${_v:-not stuck}"
}

fail=0
expect() { # NAME WANT COMMAND...
	_name=$1 _want=$2
	shift 2
	_got=$("$@")
	if [ "$_got" = "$_want" ]; then
		echo "PASS $_name: $_got"
	else
		echo "FAIL $_name: got '$_got', expected '$_want'"
		fail=1
	fi
}
expect stuck-is-ended "hung: RCU grace period -315 stalled in 3 reports" fake -315 -315 -315
expect two-reports "not stuck" verdict -315 -315
expect moving-on "not stuck" verdict 7 8 9
expect moved-on-then-stuck "RCU grace period 9 stalled in 3 reports" verdict 7 8 9 9 9
[ "$fail" -eq 0 ] && echo "layer watchdog: 4 of 4 verdicts right"
exit "$fail"
