#!/bin/sh
# Resolve and download the newest linux-source-7.* from Debian unstable
# through a private apt configuration, so the machine's own apt sources are
# never touched. The mirror URI is read from the machine's apt sources.
# Usage: fetch-source.sh CACHE_DIR   -> prints "VERSION PATH_TO_DEB"
set -eu
cache=$1
apt_dir=$cache/apt
mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial" "$cache/debs"

uri=""
if [ -r /etc/apt/sources.list.d/debian.sources ]; then
	uri=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' \
		/etc/apt/sources.list.d/debian.sources)
fi
if [ -z "$uri" ] && [ -r /etc/apt/sources.list ]; then
	uri=$(awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^(https?|ftp|file):/) { print $i; exit } }' \
		/etc/apt/sources.list)
fi
[ -n "$uri" ] || { echo "fetch-source: no Debian mirror URI in the machine's apt sources" >&2; exit 1; }

keyring=/usr/share/keyrings/debian-archive-keyring.gpg
echo "deb [signed-by=$keyring] $uri unstable main" > "$apt_dir/sources.list"
opts="-o Dir::Etc::SourceList=$apt_dir/sources.list -o Dir::Etc::SourceParts=/dev/null
 -o Dir::State::Lists=$apt_dir/lists -o Dir::Cache=$apt_dir -o Dir::Cache::archives=$apt_dir/archives
 -o Debug::NoLocking=1 -o APT::Sandbox::User=root -o APT::Get::List-Cleanup=0"

# Refresh the index at most once an hour: it is a 10+ MB download.
stamp=$apt_dir/updated
if [ ! -f "$stamp" ] || [ -n "$(find "$stamp" -mmin +60)" ]; then
	# shellcheck disable=SC2086
	apt-get -q $opts update >&2 && touch "$stamp"
fi

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
