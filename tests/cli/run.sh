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
tg=$root/build/testguest/testguest.elf
status=0

# A small well-formed bzImage header (protocol 2.15, 4 setup sectors,
# a 64 KiB payload that is never run): the loader checks run on any host,
# with or without a built kernel.
syn=$work/synthetic.bzImage
head -c $((5 * 512 + 65536)) /dev/zero >"$syn"
put_le "$syn" $((0x1f1)) 1 4          # setup_sects
put_le "$syn" $((0x1f4)) 4 4096       # syssize: 64 KiB in paragraphs
put_le "$syn" $((0x1fe)) 2 $((0xaa55)) # boot_flag
put_le "$syn" $((0x200)) 2 $((0x6aeb)) # jump: header ends at 0x26c
printf HdrS | dd of="$syn" bs=1 seek=$((0x202)) conv=notrunc 2>/dev/null
put_le "$syn" $((0x206)) 2 $((0x20f))  # version
put_le "$syn" $((0x211)) 1 1           # loadflags: LOADED_HIGH
put_le "$syn" $((0x22c)) 4 $((0x7fffffff)) # initrd_addr_max
put_le "$syn" $((0x230)) 4 $((2 << 20)) # kernel_alignment
put_le "$syn" $((0x234)) 1 1           # relocatable_kernel
put_le "$syn" $((0x236)) 2 1           # xloadflags: XLF_KERNEL_64
put_le "$syn" $((0x238)) 4 2047        # cmdline_size
put_le "$syn" $((0x258)) 8 $((16 << 20)) # pref_address
put_le "$syn" $((0x260)) 4 $((16 << 20)) # init_size

# The guest kernel, cut and patched below as a download or copy might
# leave it. On a cold cache this waits for its build (the boot tier's too:
# build-kernel.sh lets one caller build while the others wait), so a fresh
# machine runs the same checks as a warm one.
real=
if kdir=$("$root/guests/linux/build-kernel.sh"); then
	real=$kdir/bzImage
else
	record FAIL cli/real-kernel "guest kernel build failed"
	status=1
fi
bz=${real:-$syn}

# Every minivmm started here runs under an outer SIGKILL bound (status 137),
# so that a loader that loops or a --timeout that never fires fails its case
# by name instead of stalling the tier. A check ends in well under a second
# (it stops before the guest would start); 10 s is far above that on a busy
# machine and far below a hang.
CHECK_BOUND=10
hung() { [ "$1" -eq 137 ]; }

# check NAME EXPECTED_STATUS PATTERN ARGS...
check() {
	name=$1 want=$2 pat=$3
	shift 3
	timeout -s KILL "$CHECK_BOUND" ${run_as:-} "$bin" "$@" </dev/null >"$work/out" 2>"$work/err"
	rc=$?
	if hung "$rc"; then
		record FAIL "cli/$name" "hung: still running after ${CHECK_BOUND} s, killed (expected exit $want at once)"
		status=1
	elif [ "$rc" -ne "$want" ]; then
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
check mem-too-small 125 "bad --mem '1M': the minimum is 16M$" --kernel "$bz" --mem 1M
check mem-bytes 125 "bad --mem '1': the minimum is 16M (a number without K, M, G or T counts bytes)" \
	--kernel "$bz" --mem 1
check mem-too-big 125 "bad --mem '4T': the maximum is 1T$" --kernel "$bz" --mem 4T
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
# The user's text is quoted on the one line, control characters as '?'.
check disk-option-newline 125 "bad --disk option 'fa?st'" --kernel "$bz" --disk "$(printf 'x.img,fa\nst')"
check mem-newline 125 "bad --mem '1?G'" --kernel "$bz" --mem "$(printf '1\nG')"
check disk-bad-poll 125 "bad --disk poll '2000'" --kernel "$bz" --disk "$work/disk.img,poll=2000"
check disk-bad-engine 125 "bad --disk engine 'aio': give uring or threads" --kernel "$bz" \
	--disk "$work/disk.img,engine=aio"
# The same image twice (also through another name) is named as such.
ln -sf disk.img "$work/disk-link.img"
check disk-twice 125 "disk '$work/disk-link.img' is given twice (vda and vdb)" \
	--kernel "$bz" --disk "$work/disk.img" --disk "$work/disk-link.img"
check disk-twice-ro 125 "is given twice (vda and vdb)" \
	--kernel "$bz" --disk "$work/disk.img,ro" --disk "$work/disk.img"
# ",," is a comma in the path (QEMU's escape); options still follow.
cp "$work/disk.img" "$work/a,b.img"
check disk-comma-path 125 "disk '$work/a,b.img' is given twice" \
	--kernel "$bz" --disk "$work/a,,b.img,ro,serial=x" --disk "$work/a,,b.img"
check disk-comma-missing 125 "cannot open disk '$work/no,pe.img'" \
	--kernel "$bz" --disk "$work/no,,pe.img,direct"
check disk-comma-unescaped 125 "bad --disk option 'b.img'" --kernel "$bz" --disk "$work/a,b.img"
# A file minivmm may only read: the message says how to use it anyway.
chmod 444 "$work/a,b.img"
if [ "$(id -u)" -ne 0 ]; then
	as_user=
elif command -v setpriv >/dev/null && setpriv --reuid=65534 --regid=65534 --clear-groups true; then
	as_user="setpriv --reuid=65534 --regid=65534 --clear-groups"
else
	as_user=none
fi
if [ "$as_user" = none ]; then
	echo "SKIP cli/disk-read-only-hint (root without setpriv: every file is writable)"
else
	run_as=$as_user check disk-read-only-hint 125 \
		"Permission denied; to use it read-only give --disk '$work/a,,b.img,ro' (',' in a path as ',,')" \
		--kernel "$syn" --disk "$work/a,,b.img"
	run_as=
fi
check net-missing-tap 125 "TAP device 'nope' does not exist" --kernel "$bz" --net tap=nope
check net-not-a-tap 125 "is not a TAP device" --kernel "$bz" --net tap=lo
check net-no-tap 125 "bad --net: give tap=NAME" --kernel "$bz" --net mtu=1500
check net-bad-mac 125 "bad --net mac '01:00:00:00:00:01'" --kernel "$bz" --net tap=t,mac=01:00:00:00:00:01
check net-bad-mtu 125 "bad --net mtu '20'" --kernel "$bz" --net tap=t,mtu=20
check net-bad-option 125 "bad --net option 'fast'" --kernel "$bz" --net tap=t,fast
check net-bad-poll 125 "bad --net poll 'x'" --kernel "$bz" --net tap=t,poll=x
check net-bad-guest-tso 125 "bad --net guest_tso 'no'" --kernel "$bz" --net tap=t,guest_tso=no
check net-user-bad-cidr 125 "bad user network '10.0.2.0/30'" --kernel "$bz" --net user,net=10.0.2.0/30
check net-user-bad-addr 125 "bad user network '10.0.2/24'" --kernel "$bz" --net user,net=10.0.2/24
check net-user-bad-hostfwd 125 "bad --net hostfwd 'tcp::0-:22'" --kernel "$bz" --net user,hostfwd=tcp::0-:22
check net-user-udp-hostfwd 125 "bad --net hostfwd 'udp::2222-:22'" --kernel "$bz" --net user,hostfwd=udp::2222-:22
check net-user-hostfwd-twice 125 "host port 2222 is forwarded twice" --kernel "$bz" \
	--net user,hostfwd=tcp::2222-:22,hostfwd=tcp::2222-:23
check net-user-hostfwd-addr 125 "bad host address '1.2.3'" --kernel "$bz" --net user,hostfwd=tcp:1.2.3:2222-:22
check net-tap-and-user 125 "bad --net: give tap=NAME" --kernel "$bz" --net user,tap=t
check net-tap-hostfwd 125 "hostfwd= and net= are for user" --kernel "$bz" --net tap=t,hostfwd=tcp::2222-:22
# A forwarded host port already taken: the VM is not created. python3 holds
# the port (bound to port 0, the kernel picks a free one) until it reads EOF.
if command -v python3 >/dev/null 2>&1; then
	mkfifo "$work/hold"
	python3 -c 'import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
print(s.getsockname()[1], flush=True); sys.stdin.read()' <"$work/hold" >"$work/port" &
	holder=$!
	exec 9>"$work/hold"
	for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.1; done
	port=$(cat "$work/port")
	check net-user-port-in-use 125 "cannot forward host port 127.0.0.1:$port: Address already in use" \
		--kernel "$bz" --net "user,hostfwd=tcp::$port-:22"
	exec 9>&-
	wait "$holder"
else
	echo "SKIP cli/net-user-port-in-use (no python3 to hold a port)"
fi

# Loaders: a cut or corrupted kernel is refused with one line naming the
# file and the field, never booted into a triple fault.
# bad_kernel NAME SRC PATTERN [OFFSET BYTES VALUE]: copies SRC, patches it.
bad_kernel() {
	f=$work/$1.kernel
	cp "$2" "$f"
	[ $# -gt 3 ] && put_le "$f" "$4" "$5" "$6"
	check "$1" 125 "kernel '$f': .*$3" --kernel "$f"
}
# cut_kernel NAME SRC BYTES PATTERN: the first BYTES of SRC.
cut_kernel() {
	head -c "$3" "$2" >"$work/$1.kernel"
	check "$1" 125 "kernel '$work/$1.kernel': .*$4" --kernel "$work/$1.kernel"
}
# The synthetic image itself gets as far as the RAM check.
check bz-synthetic-parses 125 "kernel needs 32 MiB" --kernel "$syn" --mem 16M
syn_len=$(wc -c <"$syn")
cut_kernel bz-cut-in-setup "$syn" 1000 "truncated: setup_sects 4"
cut_kernel bz-cut-after-setup "$syn" 2561 "truncated: syssize"
cut_kernel bz-cut-in-payload "$syn" 30000 "truncated: syssize"
cut_kernel bz-one-byte-short "$syn" $((syn_len - 1)) "truncated: syssize"
bad_kernel bz-syssize-zero "$syn" "syssize is 0" $((0x1f4)) 4 0
bad_kernel bz-syssize-big "$syn" "truncated: syssize" $((0x1f4)) 4 4097
bad_kernel bz-syssize-tiny "$syn" "syssize 16 .*64-bit entry" $((0x1f4)) 4 16
bad_kernel bz-setup-sects "$syn" "truncated: syssize" $((0x1f1)) 1 8
bad_kernel bz-init-size "$syn" "init_size 0x400 is smaller" $((0x260)) 4 1024
bad_kernel bz-alignment "$syn" "kernel_alignment 0x300000" $((0x230)) 4 $((0x300000))
bad_kernel bz-pref-address "$syn" "pref_address 0x1234" $((0x258)) 8 $((0x1234))
bad_kernel bz-cmdline-size "$syn" "cmdline_size 0" $((0x238)) 4 0
bad_kernel bz-xloadflags "$syn" "xloadflags 0x0 lacks XLF_KERNEL_64" $((0x236)) 2 0
if [ -n "$real" ]; then
	# A real kernel cut where a download or copy might stop.
	real_len=$(wc -c <"$real")
	cut_kernel real-cut-in-setup "$real" 4000 "truncated"
	cut_kernel real-cut-100k "$real" 102400 "truncated: syssize"
	cut_kernel real-cut-2m "$real" $((2 << 20)) "truncated: syssize"
	cut_kernel real-one-byte-short "$real" $((real_len - 1)) "truncated: syssize"
	bad_kernel real-setup-sects "$real" "truncated: syssize" $((0x1f1)) 1 200
	bad_kernel real-init-size "$real" "init_size" $((0x260)) 4 4096
fi
if [ -s "$tg" ]; then
	# The test guest: one PT_LOAD at 1 MiB from offset 0x1000, then a
	# PT_NOTE; program headers at 0x40, 56 bytes each.
	cut_kernel elf-cut-in-phdrs "$tg" 100 "program headers .*outside the file"
	cut_kernel elf-cut-in-segment "$tg" $((0x2000)) "program header 0: p_offset 0x1000 .*outside the file"
	bad_kernel elf-filesz "$tg" "p_filesz 0x[0-9a-f]* > p_memsz 0x100" $((0x40 + 0x28)) 8 $((0x100))
	bad_kernel elf-low-paddr "$tg" "p_paddr 0x7000 is below 1 MiB" $((0x40 + 0x18)) 8 $((0x7000))
	bad_kernel elf-huge-paddr "$tg" "p_paddr .*does not fit" $((0x40 + 0x18)) 8 $((0x7ff0000000000000))
	bad_kernel elf-offset-wraps "$tg" "p_offset 0xfffffffffffffff0" $((0x40 + 0x8)) 8 -16
	bad_kernel elf-entry "$tg" "e_entry 0x50000000 is not in a loaded segment" $((0x18)) 8 $((0x50000000))
	bad_kernel elf-overlap "$tg" "program headers 0 and 1 overlap" $((0x40 + 56)) 4 1
	bad_kernel elf-phnum "$tg" "e_phnum 0" $((0x38)) 2 0
else
	echo "SKIP cli/elf-* (no test guest at $tg: run 'make all' first)"
fi
# Another process holds the image's lock for as long as this minivmm runs.
flock -x "$work/disk.img" timeout -s KILL "$CHECK_BOUND" "$bin" --kernel "$bz" \
	--disk "$work/disk.img" </dev/null >"$work/out" 2>"$work/err"
rc=$?
if hung "$rc"; then
	record FAIL cli/disk-locked "hung: still running after ${CHECK_BOUND} s, killed"
	status=1
elif [ "$rc" -eq 0 ]; then
	record FAIL cli/disk-locked "started although another process holds the lock"
	status=1
elif grep -q "is in use by another process" "$work/err"; then
	record PASS cli/disk-locked
else
	record FAIL cli/disk-locked "$(cat "$work/err")"
	status=1
fi
# The man page (installed by make install) renders without a groff warning.
if command -v groff >/dev/null 2>&1; then
	if groff -man -ww -z "$root/docs/minivmm.1" >"$work/man.err" 2>&1 && [ ! -s "$work/man.err" ]; then
		record PASS cli/man-page
	else
		record FAIL cli/man-page "$(head -c 300 "$work/man.err")"
		status=1
	fi
else
	echo "SKIP cli/man-page: groff is not installed, cannot check docs/minivmm.1"
fi
# The rooms of vmm/: who includes whom, the CLI outside the library, no
# call circle between files (tests/cli/rooms.sh says which rules).
"$root/tests/cli/rooms.sh" || status=1
# used.idx is published with a release store and nothing writes the used
# ring with a plain store (tests/cli/ring_stores.sh reads the compiler's view:
# no run on x86 or under TCG could tell).
"$root/tests/cli/ring_stores.sh" "$work/ring-stores" >"$work/ring-stores.out" 2>&1
case $? in
0) record PASS cli/ring-release-stores "$(tail -n 1 "$work/ring-stores.out")" ;;
77) echo "SKIP cli/ring-release-stores: $(tail -n 1 "$work/ring-stores.out")" ;;
*)
	record FAIL cli/ring-release-stores "$(grep -m 3 FAIL "$work/ring-stores.out" | tr '\n' ' ')"
	status=1
	;;
esac
# The middle layer's watchdog ends a layer one of whose CPUs is stuck while
# another still beats (tests/cli/layer_watch.sh); 60 s bound a watchdog that
# would otherwise leave its fake layer waiting.
timeout 60 "$root/tests/cli/layer_watch.sh" "$work/layer-watch" >"$work/layer-watch.out" 2>&1
lw=$?
if [ "$lw" -eq 0 ]; then
	record PASS cli/layer-watchdog "$(tail -n 1 "$work/layer-watch.out")"
else
	record FAIL cli/layer-watchdog "exit $lw (124: still waiting at 60 s): $(grep -m 3 FAIL "$work/layer-watch.out" | tr '\n' ' ')"
	status=1
fi
# A Linux kernel on a KVM that emulates ring 0 cannot boot directly: minivmm
# says so before the guest starts, and only then. Which host this is
# decides what must be seen; each kind asserts its own.
# The host's real kind: what minivmm sees, even when MINIVMM_KVM_KIND makes
# the other tiers take the path of another kind.
kind=$(MINIVMM_KVM_KIND= "$root/tests/host-kvm-kind.sh")
warn="minivmm: warning: this host's KVM has no hardware virtualization"
# 14 s: a guest silent for 10 s there gets a second line saying why (a Linux
# kernel emulated at CPL0 needs minutes to its first console byte); the 4 s
# beyond it are for a busy machine, where the line can come late.
# Each run is bounded at its --timeout and CHECK_BOUND more: a --timeout
# that does not fire fails the case by name.
hw_hung=
timeout -s KILL $((14 + CHECK_BOUND)) "$bin" --kernel "$bz" --timeout 14 --mem 64M \
	</dev/null >"$work/out" 2>"$work/err"
hung $? && hw_hung="$hw_hung bzImage"
grep -q "$warn" "$work/err" && bz_warned=1 || bz_warned=0
grep -q "^minivmm: no console output from the guest in 10 s: this host's KVM" "$work/err" &&
	bz_quiet=1 || bz_quiet=0
timeout -s KILL $((1 + CHECK_BOUND)) "$bin" --kernel "$tg" --timeout 1 --mem 64M \
	</dev/null >"$work/out" 2>"$work/err"
hung $? && hw_hung="$hw_hung test-guest"
grep -q "$warn" "$work/err" && tg_warned=1 || tg_warned=0
case $kind in
paravirtual) want_bz=1 ;;
*) want_bz=0 ;;
esac
# An ELF vmlinux is a Linux kernel too (its "Linux" ELF note says so).
vml_warned=$want_bz
if [ -n "$real" ] && [ -s "$(dirname "$real")/vmlinux" ]; then
	timeout -s KILL $((1 + CHECK_BOUND)) "$bin" --kernel "$(dirname "$real")/vmlinux" \
		--timeout 1 --mem 64M </dev/null >"$work/out" 2>"$work/err"
	hung $? && hw_hung="$hw_hung vmlinux"
	grep -q "$warn" "$work/err" && vml_warned=1 || vml_warned=0
fi
if [ -n "$hw_hung" ]; then
	record FAIL cli/host-warning "hung: ran past --timeout and ${CHECK_BOUND} s more, killed:$hw_hung"
	status=1
elif [ "$bz_warned" = "$want_bz" ] && [ "$bz_quiet" = "$want_bz" ] && [ "$vml_warned" = "$want_bz" ] &&
	[ "$tg_warned" = 0 ]; then
	record PASS cli/host-warning "$kind: Linux kernel warned=$bz_warned, test guest warned=0"
else
	record FAIL cli/host-warning "$kind: bzImage warned=$bz_warned quiet-line=$bz_quiet, vmlinux $vml_warned (want $want_bz), test guest $tg_warned (want 0)"
	status=1
fi
run_dir_done $status
