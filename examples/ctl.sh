#!/bin/sh
# Driving a minivmm VM from outside: start the CLI with a control socket,
# then query and steer it with minivmm-ctl (both found on PATH, as make
# install puts them).
#
#   examples/ctl.sh KERNEL DISK [APPEND]
#
# With minivmm's test guest (build/testguest/testguest.elf) and APPEND
# "testguest.bench=1 testguest.ops=1000000" the guest keeps its disk busy
# until it is stopped. Exits 0 when every step did what it should.
set -eu
[ $# -ge 2 ] || { echo "usage: $0 KERNEL DISK [APPEND]" >&2; exit 2; }
kernel=$1 disk=$2 append=${3:-}
dir=$(mktemp -d)
sock=$dir/vm.sock
trap 'rm -rf "$dir"' EXIT

step() { printf '$ minivmm-ctl SOCK %s\n' "$*"; }
die() { echo "ctl.sh: $*" >&2; exit 1; }

# The VM, in the background; its console goes to a file.
minivmm --kernel "$kernel" --disk "$disk" --mem 64M --timeout 120 \
	${append:+--append "$append"} --api-socket "$sock" \
	</dev/null >"$dir/console" 2>"$dir/stderr" &
pid=$!

# The socket is there before the guest's first instruction; wait for it
# (or for minivmm to have failed).
tries=0
until [ -S "$sock" ]; do
	kill -0 "$pid" 2>/dev/null || die "minivmm ended: $(cat "$dir/stderr")"
	tries=$((tries + 1))
	[ "$tries" -lt 200 ] || die "no control socket after 20 s"
	sleep 0.1
done

step info
minivmm-ctl "$sock" info
step stats
minivmm-ctl "$sock" stats >"$dir/stats"
head -c 200 "$dir/stats"
echo ...
step pause
minivmm-ctl "$sock" pause
# While paused the state says so.
minivmm-ctl "$sock" info | grep -q '"state":"paused"' || die "info does not say paused"
echo "(info: state paused)"
step resume
minivmm-ctl "$sock" resume
# An unknown op is an error reply (status 1), and the VM goes on.
if minivmm-ctl "$sock" frobnicate >"$dir/err"; then
	die "an unknown op was accepted"
fi
echo "(unknown op refused: $(cat "$dir/err"))"
step stop
minivmm-ctl "$sock" stop

# A host stop: minivmm's exit status 121.
status=0
wait "$pid" || status=$?
echo "minivmm exit status $status"
[ "$status" -eq 121 ] || die "expected 121 (stopped by the host): $(cat "$dir/stderr")"
