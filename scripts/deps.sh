#!/bin/sh
# Install the Debian packages minivmm needs to build and test. As root it
# installs what is missing; otherwise it prints the apt-get line to run.
set -eu
# libfdt-dev: the aarch64 machine's device tree (arch/aarch64/fdt.c), whose
# builder is unit-tested on this host too; device-tree-compiler: that test
# prints the tree with dtc and compares it with a golden file. The arm64
# libraries for the cross build are scripts/deps-aarch64.sh's (make
# aarch64), not installed here: they add dpkg's arm64 architecture, which
# makes every later apt-get update fetch arm64 lists too. groff-base:
# tests/cli renders the man page (docs/minivmm.1) to check it. gcc-aarch64-linux-gnu with the arm64
# libc and kernel headers: make check compiles everything outside
# arch/x86_64/ for aarch64 (tests/cross/run.sh), so vmm/ stays free of x86.
# qemu-system-arm: the arm64 boot tier's middle layer (tests/arm64/run.sh);
# qemu-user-static: the arm64 unit tests under user emulation (tests/cross/run.sh).
# procps: pkill, with which tests/boot/layer.sh ends a middle layer that hung.
# libjson-c-dev: minivmm_stats_json and the CLI's --metrics (vmm/api/stats.c
# says why json-c rather than jansson).
pkgs="build-essential pkg-config clang liburing-dev libfdt-dev check
 linux-libc-dev qemu-system-x86 busybox-static e2fsprogs cpio xz-utils
 flex bison bc libelf-dev libssl-dev gnuplot-nox iproute2 groff-base
 libseccomp-dev libjson-c-dev iperf3 device-tree-compiler gcc-aarch64-linux-gnu
 libc6-dev-arm64-cross linux-libc-dev-arm64-cross qemu-system-arm qemu-user-static procps"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "minivmm: missing packages; run as root:" >&2
	echo "  apt-get install -y$missing" >&2
	exit 1
fi
echo "minivmm: installing$missing" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >&2
