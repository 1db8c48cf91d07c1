#!/bin/sh
# Install the Debian packages minivmm needs. As root it installs what is
# missing; otherwise it prints the apt-get line to run.
# Usage: deps.sh [--list] [demo|check]
#   demo   what `make demo` needs: build minivmm, build the guest kernel and
#          rootfs, boot the demo guest (directly or one level down)
#   check  (the default) everything: the demo's packages and every test's,
#          for `make check` and `make deps`
#   --list print the mode's packages, one a line, and install nothing
# The arm64 libraries for the cross build are scripts/deps-aarch64.sh's
# (make aarch64, make check), not installed here: they add dpkg's arm64
# architecture, which makes every later apt-get update fetch arm64 lists too.
set -eu
list=
[ "${1:-}" = --list ] && { list=1; shift; }
mode=${1:-check}
case $mode in
demo | check) ;;
*)
	echo "usage: deps.sh [--list] [demo|check]" >&2
	exit 2
	;;
esac
pkgs=""
# need FROM PACKAGE: PACKAGE is needed from mode FROM up (demo < check).
need() {
	[ "$1" = demo ] || [ "$mode" = check ] && pkgs="$pkgs $2"
	return 0
}

# --- make demo (and everything else) ---
# gcc, make, binutils and the static libc: minivmm, the test guest, the
# guest kernel, the rootfs's static helpers and the guest's fio.
need demo build-essential
# The KVM, virtio and io_uring headers minivmm compiles against.
need demo linux-libc-dev
# The libraries minivmm links (vmm/api/stats.c says why json-c rather than
# jansson: minivmm_stats_json and the CLI's --metrics).
need demo liburing-dev
need demo libseccomp-dev
need demo libjson-c-dev
# --net user (devices/net_backend_slirp.c): user-mode networking for users
# without root, the demo's included; minivmm links Debian's shared libslirp.
need demo libslirp-dev
# The guest kernel's build (guests/linux/build-kernel.sh): its source is a
# .tar.xz inside Debian's linux-source package.
need demo flex
need demo bison
need demo bc
need demo libelf-dev
need demo libssl-dev
need demo xz-utils
# The guest's root filesystem (guests/rootfs/build-rootfs.sh): busybox as
# its userland, an initramfs and an ext4 image (mke2fs -d); the boot
# harness's middle layer is an initramfs too.
need demo busybox-static
need demo cpio
need demo e2fsprogs
# The middle layer, when the host's KVM cannot run ring-0 guest code
# natively (tests/boot/layer.sh): the guest kernel under QEMU TCG.
need demo qemu-system-x86
# The demo guest's network on a host with hardware virtualization: ip
# addresses the TAP in the run's network namespace (tests/boot/cases.sh).
need demo iproute2
# pkill, with which tests/boot/layer.sh ends a middle layer that hung.
need demo procps

# --- make check (make deps, make bench, ...) ---
# pkg-config: the Makefile asks it for Check's flags, and the lib tier
# builds the examples against the staged install through it.
need check pkg-config
# clang: the libFuzzer targets (tests/fuzz/).
need check clang
# check: the unit tests (tests/unit/).
need check check
# libfdt-dev: the aarch64 machine's device tree (arch/aarch64/fdt.c), whose
# builder is unit-tested and fuzzed on this host too; device-tree-compiler:
# that test prints the tree with dtc and compares it with a golden file.
need check libfdt-dev
need check device-tree-compiler
# groff-base: tests/cli renders the man page (docs/minivmm.1) to check it.
need check groff-base
# iperf3: the boot tier's net_iperf cases, on both sides of the TAP.
need check iperf3
# gnuplot-nox: make bench's plots (tests/bench/).
need check gnuplot-nox
# gcc-aarch64-linux-gnu with the arm64 libc and kernel headers: make check
# compiles everything outside arch/x86_64/ for aarch64 (tests/cross/run.sh),
# so vmm/ stays free of x86.
need check gcc-aarch64-linux-gnu
need check libc6-dev-arm64-cross
need check linux-libc-dev-arm64-cross
# qemu-system-arm: the arm64 boot tier's middle layer (tests/arm64/run.sh).
need check qemu-system-arm
# qemu-user-static: the arm64 unit tests under user emulation (tests/cross/run.sh).
need check qemu-user-static

if [ -n "$list" ]; then
	printf '%s\n' $pkgs
	exit 0
fi
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
