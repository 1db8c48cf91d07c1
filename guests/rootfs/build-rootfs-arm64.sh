#!/bin/sh
# The arm64 test guest's root filesystem: the x86 guest's init and test
# scripts (guests/rootfs/, architecture-neutral shell) around Debian's
# busybox-static for arm64, as an initramfs and as an ext4 image.
# Usage: build-rootfs-arm64.sh OUTDIR -> OUTDIR/initrd.cpio.gz, OUTDIR/rootfs.ext4
# and OUTDIR/busybox (the arm64 busybox, for the middle layer too).
# busybox-static:arm64 comes with apt-get download (dpkg's arm64
# architecture, which make deps-aarch64 adds), cached by version.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=$1
cache=${MINIVMM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/minivmm}
mkdir -p "$cache/debs" "$out"

ver=$(apt-cache show busybox-static:arm64 2>/dev/null | awk '/^Version:/ { print $2; exit }')
[ -n "$ver" ] || { echo "build-rootfs-arm64: no busybox-static:arm64 in apt's lists (make deps-aarch64)" >&2; exit 1; }
deb=$cache/debs/busybox-static_${ver#*:}_arm64.deb
if [ ! -s "$deb" ]; then
	dl=$(mktemp -d)
	chmod 755 "$dl" # apt-get download hands the file to its _apt user
	(cd "$dl" && apt-get download -qq -o APT::Sandbox::User=root "busybox-static:arm64=$ver" >&2) &&
		mv "$dl"/busybox-static_*_arm64.deb "$deb.tmp" && mv "$deb.tmp" "$deb"
	rm -rf "$dl"
fi
[ -s "$deb" ] || { echo "build-rootfs-arm64: download of busybox-static:arm64 $ver failed" >&2; exit 1; }
echo "arm64 guest busybox: busybox-static $ver" >&2

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
dpkg-deb -x "$deb" "$stage/deb"
mkdir -p "$stage/root/bin" "$stage/root/sbin" "$stage/root/dev" "$stage/root/proc" \
	"$stage/root/sys" "$stage/root/tmp" "$stage/root/mnt" "$stage/root/tests" "$stage/root/etc"
cp "$stage/deb/bin/busybox" "$stage/root/bin/busybox"
cp "$stage/deb/bin/busybox" "$out/busybox.tmp" && mv "$out/busybox.tmp" "$out/busybox"
# The arm64 binary cannot run here to list its applets; the host's
# busybox-static is the same Debian source and configuration.
for applet in $(/bin/busybox --list); do
	[ -e "$stage/root/bin/$applet" ] || ln -s busybox "$stage/root/bin/$applet"
done
cp "$here/init" "$stage/root/init"
cp "$here/minivmm-exit" "$here/minivmm-arg" "$here/minivmm-net-up" "$stage/root/bin/"
cp "$here"/tests/*.sh "$stage/root/tests/"
ln -s /init "$stage/root/sbin/init"
(cd "$stage/root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -9 >"$out/initrd.cpio.gz.tmp"
mv "$out/initrd.cpio.gz.tmp" "$out/initrd.cpio.gz"
rm -f "$out/rootfs.ext4"
mke2fs -q -t ext4 -E root_owner=0:0 -L minivmm-root -d "$stage/root" "$out/rootfs.ext4" 64M
echo "$out"
