#!/bin/sh
# Resolve and download the newest linux-source-7.* from Debian unstable
# through a private apt configuration, so the machine's own apt sources are
# never touched. The mirror URI is read from the machine's apt sources.
# Usage: fetch-source.sh CACHE_DIR   -> prints "VERSION PATH_TO_DEB"
set -eu
cache=$1
mkdir -p "$cache/debs"
. "$(cd "$(dirname "$0")/.." && pwd)/debian-apt.sh"
private_apt "$cache/apt" "deb @URI@ unstable main"
opts=$apt_opts

# shellcheck disable=SC2086
pkg=$(apt-cache $opts pkgnames linux-source-7 | sort -V | tail -n 1)
[ -n "$pkg" ] || { echo "fetch-source: no linux-source-7.* in unstable" >&2; exit 1; }
# shellcheck disable=SC2086
ver=$(apt-cache $opts show "$pkg" | awk '/^Version:/ { print $2 }' | sort -V | tail -n 1)
deb=$cache/debs/${pkg}_${ver}_all.deb
if [ ! -s "$deb" ]; then
	# shellcheck disable=SC2086
	(cd "$cache/debs" && apt-get -q $opts download "$pkg=$ver" >&2)
	got=$(ls "$cache/debs/${pkg}_"*"${ver#*:}"*_all.deb 2>/dev/null | head -n 1)
	[ -n "$got" ] && [ "$got" != "$deb" ] && mv "$got" "$deb"
fi
[ -s "$deb" ] || { echo "fetch-source: download of $pkg $ver failed" >&2; exit 1; }
echo "$pkg $ver $deb"
