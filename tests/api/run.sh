#!/bin/sh
# The lifecycle API, as an embedder uses it (tests/api/api_test.c, linked
# against build/libminivmm.so): several VMs in one process, 200
# create/start/stop/destroy cycles, pause/resume under load, the exit fd,
# a shutdown request the guest ignores, the control socket. Runs the test guest directly on
# this host's /dev/kvm; without one it says SKIP.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/tests/lib.sh"
run_dir
work=$MINIVMM_RUN_DIR/api
mkdir -p "$work"
bin=$root/build/api/api_test
tg=$root/build/testguest/testguest.elf
cases=${API_TEST_CASES:-"two_vms eight_vms cycles pause_resume exit_fd shutdown_ignored stats metrics_file socket"}
st=0
if [ "$("$root/tests/host-kvm-kind.sh")" = none ]; then
	echo "SKIP api: no /dev/kvm on this host (the API tests run the test guest directly)"
	exit 0
fi
# metrics_file checks what the CLI's --metrics wrote: run it first.
metrics_cli() {
	dd if=/dev/zero of="$work/metrics.img" bs=1M count=64 2>/dev/null
	rm -f "$work/metrics.jsonl"
	"$root/build/minivmm" --kernel "$tg" --disk "$work/metrics.img" --timeout 120 \
		--append "testguest.bench=1 testguest.ops=2000" \
		--metrics "$work/metrics.jsonl" --metrics-interval 0.1 \
		</dev/null >"$work/metrics.console" 2>"$work/metrics_file.err"
}
for c in $cases; do
	[ "$c" = metrics_file ] && { metrics_cli || echo "minivmm exit status $?" >>"$work/metrics_file.err"; }
	start=$(date +%s)
	out=$("$bin" "$c" "$tg" "$work" 2>"$work/$c.err")
	rc=$?
	secs=$(($(date +%s) - start))
	case $rc:$out in
	"0:ok "*) record PASS "api/$c" "${out#ok } ; ${secs} s" ;;
	*)
		record FAIL "api/$c" "${out#FAIL } (exit $rc)"
		sed 's/^/  > /' "$work/$c.err" | tail -n 20
		st=1
		;;
	esac
done
run_dir_done $st
