#!/bin/sh
# Builds the test guest's root filesystem from Debian's busybox-static, as an
# initramfs (cpio.gz) and as an ext4 image (mke2fs -d: no root, no loop).
# Usage: build-rootfs.sh OUTDIR   -> OUTDIR/initrd.cpio.gz, OUTDIR/rootfs.ext4,
# OUTDIR/netpat, OUTDIR/initrd-iperf3.cpio.gz when iperf3 is installed, and
# OUTDIR/initrd-fio.cpio.gz when $FIO names a static fio (guests/fio/build-fio.sh)
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
# netpat: sender and checker of the long TCP stream tests, static; the boot
# tests' middle layer takes the same binary (OUTDIR/netpat).
cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -static -o "$stage/bin/netpat" "$here/netpat.c"
mkdir -p "$out"
cp "$stage/bin/netpat" "$out/netpat.tmp" && mv "$out/netpat.tmp" "$out/netpat"
cp "$here/minivmm-exit" "$here/minivmm-arg" "$here/minivmm-net-up" "$stage/bin/"
cp "$here"/tests/*.sh "$stage/tests/"
cc -std=c11 -D_GNU_SOURCE -O2 -s -static -o "$stage/bin/durable" "$here/durable.c"
ln -s /init "$stage/sbin/init"
mkdir -p "$out"
(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -9 >"$out/initrd.cpio.gz.tmp"
mv "$out/initrd.cpio.gz.tmp" "$out/initrd.cpio.gz"
# iperf3 (Debian's, from make deps) with the libraries ldd lists, for the
# net_iperf test: an archive of its own, appended to the initramfs as
# initrd-iperf3.cpio.gz (the kernel unpacks concatenated archives), so the
# other tests keep booting the small one.
rm -f "$out/initrd-iperf3.cpio.gz"
if [ -x /usr/bin/iperf3 ]; then
	istage=$(mktemp -d)
	trap 'rm -rf "$stage" "$istage"' EXIT
	for f in /usr/bin/iperf3 $(ldd /usr/bin/iperf3 |
		awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
		mkdir -p "$istage$(dirname "$f")"
		cp -L "$f" "$istage$f"
	done
	(cd "$istage" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -9 |
		cat "$out/initrd.cpio.gz" - >"$out/initrd-iperf3.cpio.gz.tmp"
	mv "$out/initrd-iperf3.cpio.gz.tmp" "$out/initrd-iperf3.cpio.gz"
fi
# fio the same way, for the fio cases; static, so no libraries.
rm -f "$out/initrd-fio.cpio.gz"
if [ -n "${FIO:-}" ]; then
	fstage=$(mktemp -d)
	trap 'rm -rf "$stage" "${istage:-}" "$fstage"' EXIT
	mkdir -p "$fstage/usr/bin"
	cp "$FIO" "$fstage/usr/bin/fio"
	(cd "$fstage" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -9 |
		cat "$out/initrd.cpio.gz" - >"$out/initrd-fio.cpio.gz.tmp"
	mv "$out/initrd-fio.cpio.gz.tmp" "$out/initrd-fio.cpio.gz"
fi
rm -f "$out/rootfs.ext4"
mke2fs -q -t ext4 -E root_owner=0:0 -L minivmm-root -d "$stage" "$out/rootfs.ext4" 64M
echo "$out"
