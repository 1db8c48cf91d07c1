#!/bin/sh
# The tsan tier: ThreadSanitizer (gcc -fsanitize=thread) over the programs
# that run threads. Always: the threaded unit tests (build/unit-tsan: real
# device threads on io_uring, called from threads of their own). With
# /dev/kvm: the lifecycle API test (build/api/api_test-tsan) runs VMs with
# their vCPU, device, console, supervisor and control-socket threads, and
# stats read from yet another, in the cases of TSAN_API_CASES.
# Any report fails the program: halt_on_error makes it exit 66 at once.
# Suppressions (tests/tsan/suppressions.txt) say why each is there.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/tests/lib.sh"
build=$root/build
run_dir
work=$MINIVMM_RUN_DIR/tsan
mkdir -p "$work"
api_bin=$build/api/api_test-tsan
# Not here: cycles (the same lifecycle 200 times, for fd and RSS leaks,
# which TSan's shadow memory blurs) and metrics_file, metrics_refused and
# socket_cli (they run the CLI, which is not a TSan build).
cases=${TSAN_API_CASES:-two_vms eight_vms pause_resume pause_hung_device slow_backend exit_fd shutdown_ignored stats socket socket_umask socket_idle kick_signal console_off console_stuck_reader null_exit}
# suppress_equal_addresses=0: by default a race TSan reported, or was told
# to suppress, hides every later race on the same memory; a suppressed race
# on a queue's counters hid minivmm_print_stats' plain reads of them.
TSAN_OPTIONS="halt_on_error=1 suppress_equal_addresses=0 second_deadlock_stack=1 suppressions=$root/tests/tsan/suppressions.txt${TSAN_OPTIONS:+ $TSAN_OPTIONS}"
export TSAN_OPTIONS

# gcc 12's TSan maps its shadow at fixed addresses; on kernels that
# randomise mmap with more bits (vm.mmap_rnd_bits above 28, as some distros
# set) a program can die at start with "unexpected memory mapping". Then it
# runs with ASLR off (setarch -R), which that runtime does not re-exec into
# by itself. MINIVMM_TSAN_SETARCH=1 takes that path anyway.
tsan_starts() {
	# No arguments: the usage line and status 2, once the runtime is up.
	$1 "$api_bin" >"$work/probe.out" 2>&1
	[ $? -eq 2 ] && ! grep -q ThreadSanitizer "$work/probe.out"
}
runner=
if [ ! -x "$api_bin" ] || [ -z "$(ls "$build"/unit-tsan/test_* 2>/dev/null)" ]; then
	record FAIL tsan/build "no TSan programs in $build: run 'make tsan-bins' first"
	run_dir_done 1
	exit 1
fi
if [ "${MINIVMM_TSAN_SETARCH:-0}" = 1 ] || ! tsan_starts ""; then
	runner="setarch $(uname -m) -R"
	if ! tsan_starts "$runner"; then
		sed 's/^/  > /' "$work/probe.out"
		record FAIL tsan/runtime "the TSan runtime does not start, even with ASLR off (vm.mmap_rnd_bits $(cat /proc/sys/vm/mmap_rnd_bits 2>/dev/null))"
		run_dir_done 1
		exit 1
	fi
	echo "tsan: running with ASLR off ($runner): vm.mmap_rnd_bits is $(cat /proc/sys/vm/mmap_rnd_bits 2>/dev/null)"
fi

status=0
UNIT_RUNNER=$runner "$root/tests/run-unit.sh" tsan "$build"/unit-tsan/test_* || status=1

kind=$("$root/tests/host-kvm-kind.sh")
if [ "$kind" = none ]; then
	# The api tier runs one level down, in a QEMU layer whose initramfs has
	# no shared libraries, and TSan has no static runtime for gcc to link.
	echo "SKIP tsan/api: no /dev/kvm here, so no VM runs natively; the api tier runs its cases one level down, where a TSan program cannot run (the layer has no shared libraries, and TSan cannot be linked static)"
	run_dir_done $status
	exit
fi
echo "tsan: host KVM: $kind; api cases under TSan: $cases"
wrap=$work/api_test
printf '#!/bin/sh\nexec %s "%s" "$@"\n' "$runner" "$api_bin" >"$wrap"
chmod +x "$wrap"
log=$work/api.log
(API_TEST=$wrap WORK=$work TESTGUEST=$build/testguest/testguest.elf
 export API_TEST WORK TESTGUEST
 . "$root/tests/boot/cases.sh"
 . "$root/tests/api/cases.sh"
 run_cases $cases) >"$log" 2>&1
grep -a '^MINIVMM-API: ' "$log"
record_results tsan-api "$log" $cases || status=1
run_dir_done $status
