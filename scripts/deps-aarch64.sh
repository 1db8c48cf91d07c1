#!/bin/sh
# The arm64 half of the dependencies, for `make aarch64` (the static cross
# build of minivmm) and so for `make check`, whose arm64 tier boots that
# build: the arm64 builds of the libraries minivmm links
# (liburing, libseccomp, libjson-c, libfdt) and glibc's static libc for
# arm64. Usage: deps-aarch64.sh LIBFDT_DIR.
#
# libfdt is the odd one: Debian 12's libfdt-dev is not Multi-Arch: same, so
# installing libfdt-dev:arm64 removes the host's libfdt-dev, which the x86
# build and its unit tests need (measured: apt-get does exactly that). Its
# arm64 package is therefore only downloaded (apt-get download, as any
# user) and unpacked into LIBFDT_DIR, whose usr/lib/aarch64-linux-gnu has
# the libfdt.a the static link takes; the header is the host's, the same
# file. Kept apart from scripts/deps.sh because it adds dpkg's arm64
# foreign architecture, which makes every later `apt-get update` fetch the
# arm64 package lists too: an x86-only user of `make deps` should not pay
# for that. The Debian mirror lists are left alone (no edit under
# /etc/apt/); the machine's own mirror must carry arm64 (Debian's main ones do).
# As root it installs what is missing; otherwise it prints the commands.
set -eu
libfdt_dir=${1:?usage: deps-aarch64.sh LIBFDT_DIR}
pkgs="gcc-aarch64-linux-gnu libc6-dev-arm64-cross linux-libc-dev-arm64-cross
 libc6-dev:arm64 liburing-dev:arm64 libseccomp-dev:arm64 libjson-c-dev:arm64
 check:arm64 libsubunit-dev:arm64 libfdt-dev"

# Unpacks libfdt-dev:arm64 into $libfdt_dir (once).
fetch_libfdt() {
	[ -f "$libfdt_dir/usr/lib/aarch64-linux-gnu/libfdt.a" ] && return 0
	mkdir -p "$libfdt_dir"
	dl=$(mktemp -d)
	chmod 755 "$dl" # apt-get download hands the file to its _apt user
	(cd "$dl" && apt-get download -qq -o APT::Sandbox::User=root libfdt-dev:arm64) &&
		dpkg-deb -x "$dl"/libfdt-dev_*_arm64.deb "$libfdt_dir"
	rc=$?
	rm -rf "$dl"
	[ $rc -eq 0 ] || echo "minivmm: cannot fetch libfdt-dev:arm64 (apt-get download)" >&2
	return $rc
}
have_arch=false
dpkg --print-foreign-architectures | grep -qx arm64 && have_arch=true
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
if [ -z "$missing" ]; then
	fetch_libfdt
	exit
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "minivmm: missing arm64 packages; run as root:" >&2
	$have_arch || echo "  dpkg --add-architecture arm64 && apt-get update" >&2
	echo "  apt-get install -y$missing" >&2
	exit 1
fi
if ! $have_arch; then
	echo "minivmm: adding the arm64 foreign architecture (dpkg --add-architecture arm64)" >&2
	dpkg --add-architecture arm64
fi
echo "minivmm: installing$missing" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >&2
fetch_libfdt
