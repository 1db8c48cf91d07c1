#!/bin/sh
# Cross-build the arm64 guest (and middle-layer) kernel from the same
# Debian linux-source-7.* as the x86 one (guests/linux/fetch-source.sh),
# cached outside the checkout, keyed by source version, config fragment and
# this script. Needs gcc-aarch64-linux-gnu (make deps).
# Usage: build-kernel-arm64.sh  -> prints the cache directory holding Image,
# .config and version.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cache=${MINIVMM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/minivmm}
mkdir -p "$cache"

set -- $("$here/fetch-source.sh" "$cache")
pkg=$1 ver=$2 deb=$3
key=$( (echo "$ver"; cat "$here/minivmm-arm64.config" "$here/build-kernel-arm64.sh") | sha256sum | cut -c1-16)
out=$cache/kernel-arm64-$ver-$key
echo "arm64 guest kernel: $pkg $ver (cache $out)" >&2
if [ -s "$out/Image" ]; then
	echo "$out"
	exit 0
fi

# One build at a time per key: a second caller waits, then finds it cached.
exec 9>"$cache/kernel-arm64.lock"
flock 9
if [ -s "$out/Image" ]; then
	echo "$out"
	exit 0
fi
work=$cache/build-arm64-$key
rm -rf "$work"
mkdir -p "$work"
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$work" --wildcards '*/linux-source-*.tar.*'
tarball=$(find "$work" -name 'linux-source-*.tar.*' | head -n 1)
tar -x -C "$work" -f "$tarball"
rm -f "$tarball"
src=$(find "$work" -maxdepth 1 -type d -name 'linux-source-*' | head -n 1)

kmake() {
	make -s -C "$src" ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- "$@"
}
kmake tinyconfig >&2
ARCH=arm64 "$src/scripts/kconfig/merge_config.sh" -m -O "$src" "$src/.config" \
	"$here/minivmm-arm64.config" >/dev/null
kmake olddefconfig >&2
# A fragment option that Kconfig silently dropped is a build bug: say so.
missing=$(grep '^CONFIG_' "$here/minivmm-arm64.config" | while read -r line; do
	grep -qx "$line" "$src/.config" || echo "$line"
done)
if [ -n "$missing" ]; then
	echo "build-kernel-arm64: options not satisfied by Kconfig:" $missing >&2
	exit 1
fi
kmake -j"$(nproc)" Image >&2

mkdir -p "$out.tmp"
cp "$src/arch/arm64/boot/Image" "$src/.config" "$out.tmp/"
echo "$pkg $ver" >"$out.tmp/version"
rm -rf "$out"
mv "$out.tmp" "$out"
rm -rf "$work"
echo "$out"
