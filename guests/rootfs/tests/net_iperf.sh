#!/bin/sh
# iperf3 client (initrd-iperf3.cpio.gz) against the server on the host side
# of the TAP (minivmm.peer=): minivmm.secs= (3) seconds guest->host, then the
# same host->guest (-R). For each, prints the bytes the receiver got and
# whether iperf3 reported an error (its JSON output, -J).
peer=$(minivmm-arg peer)
secs=$(minivmm-arg secs 3)
[ -x /usr/bin/iperf3 ] || { echo "MINIVMM-GUEST: no iperf3 in this initramfs"; exit 1; }
minivmm-net-up || exit 1
ping -c 1 -W 10 "$peer" >/dev/null 2>&1 || { echo "MINIVMM-GUEST: no answer from $peer"; exit 1; }
status=0
for dir in fwd rev; do
	flag=
	[ $dir = rev ] && flag=-R
	/usr/bin/iperf3 -c "$peer" -t "$secs" $flag -J >/tmp/$dir.json 2>/tmp/$dir.err
	st=$?
	# end.sum_received.bytes: the "bytes" member that follows "sum_received".
	bytes=$(awk '/"sum_received"/ { f = 1 } f && /"bytes"/ { gsub(/[^0-9]/, ""); print; exit }' /tmp/$dir.json)
	err=$(sed -n 's/^[[:space:]]*"error":[[:space:]]*"\(.*\)".*/\1/p' /tmp/$dir.json | head -n 1)
	echo "MINIVMM-GUEST: iperf3 $dir status $st bytes ${bytes:-none} error ${err:-none}"
	# iperf3 3.12 exits 0 even when it reports an error in its JSON.
	[ $st -eq 0 ] && [ -z "$err" ] && [ "${bytes:-0}" -gt 0 ] || { cat /tmp/$dir.err; status=1; }
done
exit $status
