#!/bin/sh
# User-mode networking (--net user, libslirp): takes a DHCP lease from
# slirp's server (its hook sets the address and the default route and says
# what it got), then fetches a file from the host's port minivmm.port=
# through the gateway, which slirp maps to the host's own 127.0.0.1, and
# prints its md5 for the host to check.
port=$(minivmm-arg port 5002)
ip link set lo up
ip link set eth0 up || { echo "MINIVMM-GUEST: eth0 setup failed"; exit 1; }
cat >/tmp/udhcpc.sh <<'HOOK'
#!/bin/sh
# udhcpc's hook: the lease's address (mask: its prefix length) and route.
case $1 in
bound | renew)
	ip addr flush dev "$interface"
	ip addr add "$ip/${mask:-24}" dev "$interface"
	[ -n "$router" ] && ip route add default via "${router%% *}" dev "$interface"
	echo "MINIVMM-GUEST: dhcp $ip router ${router%% *}"
	;;
esac
exit 0
HOOK
chmod +x /tmp/udhcpc.sh
udhcpc -i eth0 -n -q -t 5 -T 2 -s /tmp/udhcpc.sh || { echo "MINIVMM-GUEST: no DHCP lease"; exit 1; }
gw=$(ip route | awk '/^default/ { print $3; exit }')
[ -n "$gw" ] || { echo "MINIVMM-GUEST: no default route"; exit 1; }
nc "$gw" "$port" </dev/null >/tmp/in || { echo "MINIVMM-GUEST: fetch from $gw:$port failed"; exit 1; }
echo "MINIVMM-GUEST: fetched bytes $(wc -c </tmp/in)"
echo "MINIVMM-GUEST: fetched md5 $(md5sum </tmp/in | cut -d' ' -f1)"
