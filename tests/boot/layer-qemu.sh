#!/bin/sh
# A middle layer emulator to try (LAYER_QEMU=unstable, tests/boot/layer.sh):
# Debian unstable's qemu-system-x86_64, with
# the libraries and firmware it needs, unpacked into a cache directory and
# run with the loader that came with it, so nothing is installed on the
# machine and its own apt sources are never touched (guests/debian-apt.sh).
# What it did as the layer: docs/design.md, "Testing on these machines".
# Prints the path of a wrapper that runs it (arguments as for
# qemu-system-x86_64); its first line of --version names the version.
# Cached in $MINIVMM_CACHE (~/.cache/minivmm) by version.
# Usage: layer-qemu.sh
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
cache=${MINIVMM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/minivmm}
mkdir -p "$cache"
. "$root/guests/debian-apt.sh"
private_apt "$cache/apt" "deb @URI@ unstable main"
opts=$apt_opts

# shellcheck disable=SC2086
ver=$(apt-cache $opts show qemu-system-x86 2>/dev/null | awk '/^Version:/ { print $2 }' |
	sort -V | tail -n 1)
[ -n "$ver" ] || { echo "layer-qemu: no qemu-system-x86 in unstable" >&2; exit 1; }
dir=$cache/qemu-x86-$(echo "$ver" | tr ':~+' '-')
wrap=$dir/qemu-system-x86_64
if [ -x "$wrap" ] && [ -f "$dir/.done" ]; then
	echo "$wrap"
	exit 0
fi

# What qemu-system-x86 needs to run: its library closure, its firmware
# (seabios for microvm's BIOS, qemu-system-data for the option ROMs that
# -kernel uses). Left out: what only installs or runs services
# (systemd, PAM, debconf, passwd and the like), never loaded by QEMU; the
# check below proves the loader finds every library inside the directory.
# shellcheck disable=SC2086
pkgs=$(apt-cache $opts depends --recurse --no-recommends --no-suggests --no-conflicts \
	--no-breaks --no-replaces --no-enhances qemu-system-x86 2>/dev/null |
	grep -v '^[ <]' | grep -v ':' | sort -u |
	grep -E '^(lib|zlib1g$|qemu-system-(x86|data|common)$|seabios$)' |
	grep -vE '^lib(systemd-shared|pam|semanage|debian-installer|debconfclient|newt|slang|textwrap|asound2-data)')
rm -rf "$dir.tmp"
mkdir -p "$dir.tmp/debs" "$dir.tmp/root"
# shellcheck disable=SC2086
(cd "$dir.tmp/debs" && apt-get -qq $opts download $pkgs >&2) || {
	echo "layer-qemu: download of qemu-system-x86 $ver and its libraries failed" >&2
	exit 1
}
for d in "$dir.tmp"/debs/*.deb; do
	dpkg-deb -x "$d" "$dir.tmp/root"
done
rm -rf "$dir.tmp/debs"

ld=$dir/root/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
libs=$dir/root/usr/lib/x86_64-linux-gnu:$dir/root/lib/x86_64-linux-gnu
cat >"$dir.tmp/qemu-system-x86_64" <<EOF
#!/bin/sh
# Debian unstable's qemu-system-x86_64 $ver, run from $dir (tests/boot/layer-qemu.sh).
exec "$ld" --library-path "$libs" "$dir/root/usr/bin/qemu-system-x86_64" \\
	-L "$dir/root/usr/share/qemu" -L "$dir/root/usr/share/seabios" "\$@"
EOF
chmod +x "$dir.tmp/qemu-system-x86_64"
rm -rf "$dir"
mv "$dir.tmp" "$dir"
# Every library from inside: one from the host next to unstable's libc
# would fail in ways far from here.
outside=$("$ld" --library-path "$libs" --list "$dir/root/usr/bin/qemu-system-x86_64" |
	grep '=>' | grep -v "=> $dir/root/" || :)
if [ -n "$outside" ]; then
	echo "layer-qemu: libraries not unpacked: $outside" >&2
	exit 1
fi
"$wrap" --version | head -n 1 | grep -q "QEMU emulator version" || {
	echo "layer-qemu: $wrap does not run" >&2
	exit 1
}
touch "$dir/.done"
echo "$wrap"
