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
dev=/dev/$(minivmm-arg dev vda)
mb=$(minivmm-arg fio_mb 16)
secs=$(minivmm-arg fio_secs)
check="--verify=crc32c --do_verify=1 --verify_fatal=1"
[ -n "$secs" ] && check="--time_based --runtime=$secs --ramp_time=1"
[ -x /usr/bin/fio ] || { echo "MINIVMM-GUEST: no fio in this initramfs"; exit 1; }
status=0
for job in randrw:4k:32 seq:128k:8; do
	name=${job%%:*} rest=${job#*:}
	bs=${rest%%:*} depth=${rest#*:}
	rw=randrw
	[ "$name" = seq ] && rw=write
	[ "$name" = seq ] && [ -n "$secs" ] && rw=read
	/usr/bin/fio --name="$name" --filename="$dev" --ioengine=io_uring --direct=1 \
		--rw=$rw --bs="$bs" --iodepth="$depth" --size="${mb}M" \
		$check \
		--output-format=terse --terse-version=3 >/tmp/fio.$name 2>/tmp/fio.$name.err
	st=$?
	set -- $(tr ';' ' ' </tmp/fio.$name | awk '{ print $5, $8, $49 }')
	echo "MINIVMM-GUEST: fio $name status $st error ${1:-none} read_iops ${2:-none} write_iops ${3:-none}"
	[ $st -eq 0 ] && [ "${1:-x}" = 0 ] || { head -n 20 /tmp/fio.$name.err; status=1; }
done
exit $status
