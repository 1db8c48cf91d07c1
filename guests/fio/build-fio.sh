#!/bin/sh
# A static fio for the Linux test guest, built from the source of Debian's
# own fio package for this machine's release, cached outside the checkout.
# Why not Debian's binary: it pulls 84 MB of libraries (rados, rbd, gluster,
# rdma, pmem) into an initramfs that boots under two levels of
# virtualisation; the static build is 2.8 MB. The guest kernel has
# CONFIG_SYSVIPC, so fio's shared memory is left on.
# Usage: build-fio.sh  -> prints the path of the fio binary
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cache=${MINIVMM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/minivmm}
mkdir -p "$cache"
. "$here/../debian-apt.sh"
. /etc/os-release
private_apt "$cache/apt-$VERSION_CODENAME-src" "deb-src @URI@ $VERSION_CODENAME main"
# shellcheck disable=SC2086
ver=$(apt-cache $apt_opts showsrc fio | awk '/^Version:/ { print $2 }' | sort -V | tail -n 1)
[ -n "$ver" ] || { echo "build-fio: no fio source in $VERSION_CODENAME" >&2; exit 1; }
# Engines that need libraries are off; io_uring and psync are built in.
conf="--build-static --disable-native --disable-numa --disable-rdma --disable-rados
 --disable-rbd --disable-http --disable-gfapi --disable-libnfs --disable-pmem
 --disable-xnvme --disable-libzbc --disable-tcmalloc --disable-dfs --disable-lex"
key=$( (echo "$ver $conf"; cat "$here/build-fio.sh") | sha256sum | cut -c1-16)
out=$cache/fio-$ver-$key
echo "guest fio: $ver (cache $out)" >&2
if [ -x "$out/fio" ]; then
	echo "$out/fio"
	exit 0
fi
work=$cache/fio-build-$key
rm -rf "$work"
mkdir -p "$work"
# shellcheck disable=SC2086
(cd "$work" && apt-get -q $apt_opts source --download-only "fio=$ver" >&2)
tarball=$(ls "$work"/fio_*.orig.tar.* | head -n 1)
tar -x -C "$work" -f "$tarball"
src=$(find "$work" -mindepth 1 -maxdepth 1 -type d -name 'fio-*' | head -n 1)
# shellcheck disable=SC2086
(cd "$src" && ./configure $conf >&2 && make -s -j"$(nproc)" fio >&2)
mkdir -p "$out.tmp"
strip -o "$out.tmp/fio" "$src/fio"
echo "$ver" >"$out.tmp/version"
rm -rf "$out"
mv "$out.tmp" "$out"
rm -rf "$work"
echo "$out/fio"
