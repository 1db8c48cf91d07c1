#!/bin/sh
# Install the Debian packages minivmm needs to build and test. As root it
# installs what is missing; otherwise it prints the apt-get line to run.
set -eu
# libfdt-dev: nothing builds against it yet. It stays because the aarch64
# machine will describe itself to the guest in a device tree built with
# libfdt (docs/design.md, "Not yet built"), and a CI image made from this
# list should not change when that lands. groff-base: tests/cli renders the
# man page (docs/minivmm.1) to check it. gcc-aarch64-linux-gnu with the arm64
# libc and kernel headers: make check compiles everything outside
# arch/x86_64/ for aarch64 (tests/cross/run.sh), so vmm/ stays free of x86.
# libjson-c-dev: minivmm_stats_json and the CLI's --metrics (vmm/stats.c
# says why json-c rather than jansson).
pkgs="build-essential pkg-config clang liburing-dev libfdt-dev check
 linux-libc-dev qemu-system-x86 busybox-static e2fsprogs cpio xz-utils
 flex bison bc libelf-dev libssl-dev gnuplot-nox iproute2 groff-base
 libseccomp-dev libjson-c-dev iperf3 gcc-aarch64-linux-gnu libc6-dev-arm64-cross
 linux-libc-dev-arm64-cross"
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
