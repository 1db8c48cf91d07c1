#!/bin/sh
# fio (initrd-fio.cpio.gz, guests/fio/build-fio.sh) on the data disk, as a
# user would run it: 4 KiB random read/write at queue depth 32 through
# io_uring with O_DIRECT, then a 128 KiB sequential pass, both writing
# crc32c-checked blocks and reading every one back to verify it
# (verify_fatal: a bad block ends fio with an error). One line per job:
#   MINIVMM-GUEST: fio JOB status S error E read_iops R write_iops W
# (fio's terse output, version 3: field 5 is the job's error, 8 and 49 the
# read and write IOPS). minivmm.fio_mb= (16) sets the size of each job.
# minivmm.fio_secs=N (the benchmark, tests/bench/fio.sh): each job runs N
# seconds over the whole size without verifying, the sequential one reading.
# Then a second line per job gives what any VMM can be compared on:
#   MINIVMM-GUEST: fio JOB counts reqs N irqs N
# the disk's completed requests (/sys/block) and the virtio interrupts the
# guest took (/proc/interrupts) while the job ran.
# Each virtio device and the ring features it negotiated, as features.sh.
for d in /sys/bus/virtio/devices/*; do
	echo "MINIVMM-GUEST: virtio $(basename "$d") device $(cat "$d/device") bit35 $(cut -c36 "$d/features") bit34 $(cut -c35 "$d/features")"
done
dev=/dev/$(minivmm-arg dev vda)
mb=$(minivmm-arg fio_mb 16)
secs=$(minivmm-arg fio_secs)
check="--verify=crc32c --do_verify=1 --verify_fatal=1"
[ -n "$secs" ] && check="--time_based --runtime=$secs --ramp_time=1"
[ -x /usr/bin/fio ] || { echo "MINIVMM-GUEST: no fio in this initramfs"; exit 1; }
# Requests the disk completed (reads + writes), and virtio interrupts taken.
reqs() { awk '{ print $1 + $5 }' /sys/block/${dev#/dev/}/stat; }
irqs() {
	awk '/virtio/ { for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) n += $i } END { print n + 0 }' \
		/proc/interrupts
}
status=0
for job in randrw:4k:32 seq:128k:8; do
	name=${job%%:*} rest=${job#*:}
	bs=${rest%%:*} depth=${rest#*:}
	rw=randrw
	r0=$(reqs) i0=$(irqs)
	[ "$name" = seq ] && rw=write
	[ "$name" = seq ] && [ -n "$secs" ] && rw=read
	/usr/bin/fio --name="$name" --filename="$dev" --ioengine=io_uring --direct=1 \
		--rw=$rw --bs="$bs" --iodepth="$depth" --size="${mb}M" \
		$check \
		--output-format=terse --terse-version=3 >/tmp/fio.$name 2>/tmp/fio.$name.err
	st=$?
	r1=$(reqs) i1=$(irqs)
	set -- $(tr ';' ' ' </tmp/fio.$name | awk '{ print $5, $8, $49 }')
	echo "MINIVMM-GUEST: fio $name status $st error ${1:-none} read_iops ${2:-none} write_iops ${3:-none}"
	echo "MINIVMM-GUEST: fio $name counts reqs $((r1 - r0)) irqs $((i1 - i0))"
	[ $st -eq 0 ] && [ "${1:-x}" = 0 ] || { head -n 20 /tmp/fio.$name.err; status=1; }
done
exit $status
