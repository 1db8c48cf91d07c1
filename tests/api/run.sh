#!/bin/sh
# The lifecycle API, as an embedder uses it (tests/api/api_test.c): several
# VMs in one process, 200 create/start/stop/destroy cycles, pause/resume
# under load, the exit fd, a shutdown request the guest ignores, live stats,
# the --metrics file, the control socket (cases in tests/api/cases.sh). The
# guest is the test guest: directly on any /dev/kvm here (against
# build/libminivmm.so); without one, one level down in the boot harness's
# middle layer (a static build against libminivmm.a).
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/tests/lib.sh"
build=$root/build
run_dir
work=$MINIVMM_RUN_DIR/api
mkdir -p "$work"
kind=$("$root/tests/host-kvm-kind.sh")
cases=${API_TEST_CASES:-$(sh -c ". '$root/tests/api/cases.sh'; echo \$API_CASES")}
log=$work/console.log
if [ "$kind" != none ]; then
	echo "api: host KVM: $kind; level: direct"
	(MINIVMM=$build/minivmm API_TEST=$build/api/api_test WORK=$work
	 TESTGUEST=$build/testguest/testguest.elf
	 export MINIVMM API_TEST WORK TESTGUEST
	 . "$root/tests/boot/cases.sh"
	 . "$root/tests/api/cases.sh"
	 run_cases $cases) >"$log" 2>&1
else
	echo "api: host KVM: none; level: nested (Linux with KVM under QEMU TCG)"
	guest=$MINIVMM_RUN_DIR/guest
	. "$root/tests/boot/layer.sh"
	mkdir -p "$work/extra/guest" "$work/extra/bin"
	cp "$build/testguest/testguest.elf" "$work/extra/guest/"
	cp "$build/api/api_test-static" "$work/extra/bin/api_test"
	# API_SCALE: the cases' bounds, 4 times as long one level down.
	{ cat "$root/tests/boot/cases.sh"
	  echo 'API_SCALE=${API_SCALE:-4}'
	  cat "$root/tests/api/cases.sh"
	  printf 'API_TEST=/bin/api_test TESTGUEST=/guest/testguest.elf\n'
	  printf 'export API_TEST TESTGUEST\n'; } >"$work/cases.sh"
	layer_cases api "$work/cases.sh" "$work/extra" 150 "$log" $cases || exit 1
fi
tr -d '\r' <"$log" | grep -a '^MINIVMM-API: '
record_results api "$log" $cases
run_dir_done $?
