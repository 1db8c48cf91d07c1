# Sourced by guests/linux/fetch-source.sh and guests/fio/build-fio.sh: a
# private apt configuration under a cache directory, so the machine's own
# apt sources are never changed. The mirror URI comes from the machine's own
# apt sources; nothing here names a mirror.
# private_apt DIR LINE: writes DIR/sources.list with LINE ("deb URI SUITE
# main", URI given as @URI@) and sets $apt_opts for apt-get/apt-cache.
# Holds a lock on DIR (file descriptor 8) until the calling script exits.
private_apt() {
	_dir=$1
	mkdir -p "$_dir/lists/partial" "$_dir/archives/partial"
	# One user of DIR at a time, until the caller exits: the x86 and arm64
	# kernel builds start together, and an update rewriting the lists under
	# the other's query left it finding no linux-source at all.
	exec 8>"$_dir/lock"
	flock 8
	_uri=""
	if [ -r /etc/apt/sources.list.d/debian.sources ]; then
		_uri=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' \
			/etc/apt/sources.list.d/debian.sources)
	fi
	if [ -z "$_uri" ] && [ -r /etc/apt/sources.list ]; then
		_uri=$(awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^(https?|ftp|file):/) { print $i; exit } }' \
			/etc/apt/sources.list)
	fi
	[ -n "$_uri" ] || { echo "private_apt: no Debian mirror URI in the machine's apt sources" >&2; return 1; }
	_keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	echo "$2" | sed "s|@URI@|[signed-by=$_keyring] $_uri|" >"$_dir/sources.list"
	apt_opts="-o Dir::Etc::SourceList=$_dir/sources.list -o Dir::Etc::SourceParts=/dev/null
 -o Dir::State::Lists=$_dir/lists -o Dir::Cache=$_dir -o Dir::Cache::archives=$_dir/archives
 -o Debug::NoLocking=1 -o APT::Sandbox::User=root -o APT::Get::List-Cleanup=0"
	# Refresh the index at most once an hour: it is a 10+ MB download.
	if [ ! -f "$_dir/updated" ] || [ -n "$(find "$_dir/updated" -mmin +60)" ]; then
		# shellcheck disable=SC2086
		apt-get -qq $apt_opts update >&2 && touch "$_dir/updated"
	fi
}
