#!/bin/sh
# Build the guest (and middle-layer) kernel from Debian's linux-source-7.*,
# cached outside the checkout, keyed by source version and config fragment.
# Usage: build-kernel.sh  -> prints the cache directory holding bzImage,
# vmlinux, .config and version.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cache=${MINIVMM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/minivmm}
mkdir -p "$cache"

set -- $("$here/fetch-source.sh" "$cache")
pkg=$1 ver=$2 deb=$3
key=$( (echo "$ver"; cat "$here/minivmm.config" "$here/build-kernel.sh") | sha256sum | cut -c1-16)
out=$cache/kernel-$ver-$key
echo "guest kernel: $pkg $ver (cache $out)" >&2
if [ -s "$out/bzImage" ] && [ -s "$out/vmlinux" ]; then
	echo "$out"
	exit 0
fi

work=$cache/build-$key
rm -rf "$work"
mkdir -p "$work"
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$work" --wildcards '*/linux-source-*.tar.*'
tarball=$(find "$work" -name 'linux-source-*.tar.*' | head -n 1)
tar -x -C "$work" -f "$tarball"
rm -f "$tarball"
src=$(find "$work" -maxdepth 1 -type d -name 'linux-source-*' | head -n 1)

jobs=$(nproc)
make -s -C "$src" tinyconfig >&2
"$src/scripts/kconfig/merge_config.sh" -m -O "$src" "$src/.config" "$here/minivmm.config" >/dev/null
make -s -C "$src" olddefconfig >&2
# A fragment option that Kconfig silently dropped is a build bug: say so.
missing=$(grep '^CONFIG_' "$here/minivmm.config" | while read -r line; do
	grep -qx "$line" "$src/.config" || echo "$line"
done)
if [ -n "$missing" ]; then
	echo "build-kernel: options not satisfied by Kconfig:" $missing >&2
	exit 1
fi
make -s -C "$src" -j"$jobs" bzImage >&2

mkdir -p "$out.tmp"
cp "$src/arch/x86/boot/bzImage" "$src/vmlinux" "$src/.config" "$out.tmp/"
echo "$pkg $ver" >"$out.tmp/version"
rm -rf "$out"
mv "$out.tmp" "$out"
rm -rf "$work"
echo "$out"
