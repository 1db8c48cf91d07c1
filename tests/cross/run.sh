#!/bin/sh
# The architecture boundary (arch/arch.h): everything outside arch/x86_64/
# (virtio/, devices/, vmm/ and arch/aarch64/) must compile for
# aarch64, so no x86 code creeps back into vmm/. A syntax check with
# aarch64-linux-gnu-gcc -fsyntax-only -Werror: nothing is linked, so the
# libraries' aarch64 builds are not needed, only their headers.
#
# Headers: libc and the Linux UAPI (linux/kvm.h for arm64, ...) come from
# the cross toolchain's own sysroot (libc6-dev-arm64-cross,
# linux-libc-dev-arm64-cross). liburing, libseccomp and libfdt have no
# arm64 -dev packages installed, and their headers are architecture-neutral
# declarations, so the host's are used, and only those: Debian's cross gcc
# would otherwise fall back to all of /usr/include, where an x86-only header
# could hide a missing arm64 one. Hence -nostdinc and explicit directories.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/tests/lib.sh"
run_dir
work=$MINIVMM_RUN_DIR/cross
CROSS_CC=${CROSS_CC:-aarch64-linux-gnu-gcc}
status=0

if ! command -v "$CROSS_CC" >/dev/null 2>&1; then
	record FAIL cross/toolchain "no $CROSS_CC: run make deps (gcc-aarch64-linux-gnu)"
	exit 1
fi
sysroot=/usr/aarch64-linux-gnu/include
if [ ! -f "$sysroot/stdio.h" ] || [ ! -f "$sysroot/linux/kvm.h" ]; then
	record FAIL cross/toolchain "no aarch64 libc or kernel headers in $sysroot: run make deps"
	exit 1
fi
rm -rf "$work"
mkdir -p "$work/include"
for h in liburing.h liburing seccomp.h seccomp-syscalls.h libfdt.h libfdt_env.h fdt.h json-c; do
	[ -e "/usr/include/$h" ] && ln -s "/usr/include/$h" "$work/include/$h"
done
flags="-std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -fsyntax-only -nostdinc
 -isystem $($CROSS_CC -print-file-name=include) -isystem $sysroot -isystem $work/include -I$root"

for dir in virtio devices vmm/core vmm/api vmm/control vmm/cli arch/aarch64; do
	bad=""
	n=0
	for f in "$root/$dir"/*.c; do
		n=$((n + 1))
		# shellcheck disable=SC2086
		if ! $CROSS_CC $flags "$f" >"$work/log" 2>&1; then
			bad="$bad ${f#"$root"/}"
			sed 's/^/  | /' "$work/log" | head -n 20
		fi
	done
	if [ -z "$bad" ]; then
		record PASS "cross/aarch64-$dir" "$n files"
	else
		record FAIL "cross/aarch64-$dir" "does not compile for aarch64:$bad"
		status=1
	fi
done

# The arch-neutral unit tests, built for arm64 (make check builds them with
# make ARCH=aarch64 unit-bins), run under qemu-aarch64 user emulation: the
# virtqueue layer, in-order publisher, virtio-mmio, blk and net parsing,
# the device tree and the Image loader (crafted headers into a small RAM:
# the code fuzz_a64_image drives, which libFuzzer cannot cross-build), as
# arm64 code. Left out (Makefile): x86's loaders, and test_dev_thread and
# test_blk_short, whose io_uring qemu-user does not emulate (ENOSYS).
if ! command -v qemu-aarch64-static >/dev/null 2>&1; then
	record FAIL cross/qemu-user "no qemu-aarch64-static: run make deps (qemu-user-static)"
	status=1
else
	set -- "$root"/build-aarch64/unit/test_*
	if [ -x "$1" ]; then
		UNIT_RUNNER=qemu-aarch64-static "$root/tests/run-unit.sh" unit-aarch64 "$@" || status=1
	else
		record FAIL cross/unit-aarch64 "no arm64 unit tests in build-aarch64/unit/ (make check builds them)"
		status=1
	fi
fi

# No way around the boundary: vmm/ names no x86 header and tests no host architecture.
hits=$(grep -n -e 'arch/x86_64/' -e '__x86_64__' -e '__i386__' "$root"/vmm/*/*.c "$root"/vmm/*/*.h)
if [ -z "$hits" ]; then
	record PASS cross/vmm-arch-neutral
else
	record FAIL cross/vmm-arch-neutral "x86 in vmm/: $(echo "$hits" | head -n 3 | tr '\n' ' ')"
	status=1
fi
exit $status
