#!/bin/sh
# Builds the test guest's root filesystem from Debian's busybox-static, as an
# initramfs (cpio.gz) and as an ext4 image (mke2fs -d: no root, no loop).
# Usage: build-rootfs.sh OUTDIR   -> OUTDIR/initrd.cpio.gz, OUTDIR/rootfs.ext4
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=$1
busybox=/bin/busybox
[ -x "$busybox" ] && "$busybox" --list >/dev/null 2>&1 || { echo "build-rootfs: busybox-static missing (make deps)" >&2; exit 1; }
ldd "$busybox" >/dev/null 2>&1 && { echo "build-rootfs: $busybox is not statically linked" >&2; exit 1; }

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/sbin" "$stage/dev" "$stage/proc" "$stage/sys" "$stage/tmp" \
	"$stage/mnt" "$stage/tests" "$stage/etc"
cp "$busybox" "$stage/bin/busybox"
for applet in $("$busybox" --list); do
	[ -e "$stage/bin/$applet" ] || ln -s busybox "$stage/bin/$applet"
done
cp "$here/init" "$stage/init"
cp "$here/minivmm-exit" "$here/minivmm-arg" "$stage/bin/"
cp "$here"/tests/*.sh "$stage/tests/"
cc -std=c11 -D_GNU_SOURCE -O2 -s -static -o "$stage/bin/durable" "$here/durable.c"
ln -s /init "$stage/sbin/init"
mkdir -p "$out"
(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -9 >"$out/initrd.cpio.gz.tmp"
mv "$out/initrd.cpio.gz.tmp" "$out/initrd.cpio.gz"
rm -f "$out/rootfs.ext4"
mke2fs -q -t ext4 -E root_owner=0:0 -L minivmm-root -d "$stage" "$out/rootfs.ext4" 64M
echo "$out"
