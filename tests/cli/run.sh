#!/bin/sh
# Command-line error handling: every bad input gives one clear line on
# stderr and exit status 125, never a crash. Runs on any host: minivmm loads
# and checks its input before it opens /dev/kvm.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/tests/lib.sh"
bin=$root/build/minivmm
run_dir
work=$MINIVMM_RUN_DIR/cli
mkdir -p "$work"
kdir=$("$root/guests/linux/build-kernel.sh" 2>/dev/null) || {
	record FAIL cli/guest-kernel "kernel build failed"
	exit 1
}
bz=$kdir/bzImage
status=0

# check NAME EXPECTED_STATUS PATTERN ARGS...
check() {
	name=$1 want=$2 pat=$3
	shift 3
	"$bin" "$@" </dev/null >"$work/out" 2>"$work/err"
	rc=$?
	if [ "$rc" -ne "$want" ]; then
		record FAIL "cli/$name" "exit $rc, expected $want; stderr: $(head -c 300 "$work/err")"
		status=1
	elif ! cat "$work/out" "$work/err" | grep -q -- "$pat"; then
		record FAIL "cli/$name" "output lacks '$pat': $(head -c 300 "$work/err")"
		status=1
	elif [ "$want" -eq 125 ] && [ "$(wc -l <"$work/err")" -ne 1 ]; then
		record FAIL "cli/$name" "expected one line on stderr, got: $(cat "$work/err")"
		status=1
	else
		record PASS "cli/$name"
	fi
}

head -c 4096 /dev/urandom >"$work/random.bin"
head -c 3000 "$bz" >"$work/truncated.bzImage"
head -c $((15 << 20)) /dev/zero >"$work/big.initrd"
long=$(head -c 3000 /dev/zero | tr '\0' x)

check help 0 "Exit status" --help
check version 0 "minivmm [0-9]" --version
check no-kernel 125 "no kernel given"
check unknown-option 125 "unknown option '--frobnicate'" --kernel "$bz" --frobnicate
check missing-value 125 "needs a value" --kernel "$bz" --mem
check missing-kernel 125 "cannot open kernel '$work/nope'" --kernel "$work/nope"
check kernel-is-dir 125 "is not a regular file" --kernel "$work"
check not-a-kernel 125 "not a bzImage or ELF kernel" --kernel "$work/random.bin"
check truncated-bzimage 125 "truncated" --kernel "$work/truncated.bzImage"
check bad-mem 125 "bad --mem 'lots'" --kernel "$bz" --mem lots
check mem-too-small 125 "out of range" --kernel "$bz" --mem 1M
check mem-too-big 125 "out of range" --kernel "$bz" --mem 4T
check bad-cpus-zero 125 "bad --cpus '0'" --kernel "$bz" --cpus 0
check bad-cpus-text 125 "bad --cpus 'two'" --kernel "$bz" --cpus two
check too-many-cpus 125 "out of range" --kernel "$bz" --cpus 33
check bad-timeout 125 "bad --timeout" --kernel "$bz" --timeout soon
check cmdline-too-long 125 "kernel command line is" --kernel "$bz" --append "$long"
check kernel-needs-mem 125 "kernel needs" --kernel "$bz" --mem 16M
check initrd-missing 125 "cannot open initrd" --kernel "$bz" --initrd "$work/nope"
check initrd-too-big 125 "initrd of" --kernel "$bz" --mem 40M --initrd "$work/big.initrd"
check extra-argument 125 "unexpected argument" --kernel "$bz" stray
: >"$work/empty.img"
head -c 1048576 /dev/zero >"$work/disk.img"
check disk-missing 125 "cannot open disk '$work/nope'" --kernel "$bz" --disk "$work/nope"
check disk-is-dir 125 "not a regular file or block device" --kernel "$bz" --disk /dev/null
check disk-empty 125 "smaller than one 512-byte sector" --kernel "$bz" --disk "$work/empty.img"
check disk-bad-option 125 "bad --disk option 'fast'" --kernel "$bz" --disk "$work/disk.img,fast"
check disk-no-path 125 "bad --disk" --kernel "$bz" --disk ,ro
check disk-bad-poll 125 "bad --disk poll '2000'" --kernel "$bz" --disk "$work/disk.img,poll=2000"
check net-missing-tap 125 "TAP device 'nope' does not exist" --kernel "$bz" --net tap=nope
check net-not-a-tap 125 "is not a TAP device" --kernel "$bz" --net tap=lo
check net-no-tap 125 "bad --net: give tap=NAME" --kernel "$bz" --net mtu=1500
check net-bad-mac 125 "bad --net mac '01:00:00:00:00:01'" --kernel "$bz" --net tap=t,mac=01:00:00:00:00:01
check net-bad-mtu 125 "bad --net mtu '20'" --kernel "$bz" --net tap=t,mtu=20
check net-bad-option 125 "bad --net option 'fast'" --kernel "$bz" --net tap=t,fast
check net-bad-poll 125 "bad --net poll 'x'" --kernel "$bz" --net tap=t,poll=x
check net-bad-guest-tso 125 "bad --net guest_tso 'no'" --kernel "$bz" --net tap=t,guest_tso=no
# Another process holds the image's lock for as long as this minivmm runs.
if flock -x "$work/disk.img" "$bin" --kernel "$bz" --disk "$work/disk.img" \
	</dev/null >"$work/out" 2>"$work/err"; then
	record FAIL cli/disk-locked "started although another process holds the lock"
	status=1
elif grep -q "is in use by another process" "$work/err"; then
	record PASS cli/disk-locked
else
	record FAIL cli/disk-locked "$(cat "$work/err")"
	status=1
fi
run_dir_done $status
