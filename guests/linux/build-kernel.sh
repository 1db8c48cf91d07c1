#!/bin/sh
# Build a guest (and middle-layer) kernel from Debian's linux-source-7.*,
# cached outside the checkout, keyed by source version, architecture, config
# fragment and this script.
# Usage: build-kernel.sh [x86_64|arm64]  -> prints the cache directory
# holding .config, version and the kernel: bzImage and vmlinux for x86_64
# (the default), Image for arm64 (cross-built: gcc-aarch64-linux-gnu, which
# make deps installs).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cache=${MINIVMM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/minivmm}
arch=${1:-x86_64}
case $arch in
x86_64)
	config=$here/minivmm.config name=kernel
	kmake_args= target=bzImage products="arch/x86/boot/bzImage vmlinux"
	;;
arm64)
	config=$here/minivmm-arm64.config name=kernel-arm64
	kmake_args="ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-"
	target=Image products=arch/arm64/boot/Image
	;;
*)
	echo "build-kernel: unknown architecture '$arch' (x86_64 or arm64)" >&2
	exit 2
	;;
esac
mkdir -p "$cache"

set -- $("$here/fetch-source.sh" "$cache")
pkg=$1 ver=$2 deb=$3
key=$( (echo "$ver $arch"; cat "$config" "$here/build-kernel.sh") | sha256sum | cut -c1-16)
out=$cache/$name-$ver-$key
echo "$arch guest kernel: $pkg $ver (cache $out)" >&2

built() {
	for p in $products; do
		[ -s "$out/$(basename "$p")" ] || return 1
	done
}
if built; then
	echo "$out"
	exit 0
fi
# One build at a time per architecture: a second caller waits, then finds
# it cached.
exec 9>"$cache/$name.lock"
flock 9
if built; then
	echo "$out"
	exit 0
fi

work=$cache/build-$arch-$key
rm -rf "$work"
mkdir -p "$work"
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$work" --wildcards '*/linux-source-*.tar.*'
tarball=$(find "$work" -name 'linux-source-*.tar.*' | head -n 1)
tar -x -C "$work" -f "$tarball"
rm -f "$tarball"
src=$(find "$work" -maxdepth 1 -type d -name 'linux-source-*' | head -n 1)

kmake() {
	# shellcheck disable=SC2086
	make -s -C "$src" $kmake_args "$@"
}
kmake tinyconfig >&2
# shellcheck disable=SC2086
env $kmake_args "$src/scripts/kconfig/merge_config.sh" -m -O "$src" "$src/.config" "$config" >/dev/null
kmake olddefconfig >&2
# A fragment option that Kconfig silently dropped is a build bug: say so.
missing=$(grep '^CONFIG_' "$config" | while read -r line; do
	grep -qx "$line" "$src/.config" || echo "$line"
done)
if [ -n "$missing" ]; then
	echo "build-kernel: $arch options not satisfied by Kconfig:" $missing >&2
	exit 1
fi
kmake -j"$(nproc)" "$target" >&2

mkdir -p "$out.tmp"
for p in $products .config; do
	cp "$src/$p" "$out.tmp/"
done
echo "$pkg $ver" >"$out.tmp/version"
rm -rf "$out"
mv "$out.tmp" "$out"
rm -rf "$work"
echo "$out"
