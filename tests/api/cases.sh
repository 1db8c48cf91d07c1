# shellcheck shell=sh
# The api tier's cases, sourced after tests/boot/cases.sh (run_cases, fail)
# by tests/api/run.sh: directly on a host with /dev/kvm, or in the boot
# harness's middle layer without one. Each runs one case of
# tests/api/api_test.c ($API_TEST CASE $TESTGUEST $WORK), which prints
# "ok DETAIL" or "FAIL REASON"; the detail goes to the log as MINIVMM-API.
# metrics_file checks what the CLI ($MINIVMM --metrics) wrote.
API_CASES="two_vms eight_vms cycles pause_resume pause_hung_device slow_backend exit_fd shutdown_ignored stats
	metrics_file socket kick_signal console_off"

# Each case's VMs have a --timeout of their own (api_test.c), and the whole
# case an outer SIGKILL bound: directly on /dev/kvm the cases take 0.1-12 s
# on a busy 2-CPU machine, so a case still running after API_BOUND (60 s)
# hangs (a wait that never returns, a VM whose timeout never fired) and
# fails by name. One level down (run.sh sets API_SCALE=4) everything is
# slower, and so are the bounds.
API_SCALE=${API_SCALE:-1}
API_BOUND=$((60 * API_SCALE))

api_case() {
	log=$WORK/$case_name.log
	out=$(timeout -s KILL "$API_BOUND" "$API_TEST" "$1" "$TESTGUEST" "$WORK" 2>"$log")
	rc=$?
	case $rc:$out in
	"0:ok "*)
		echo "MINIVMM-API: $1: ${out#ok }"
		return 0
		;;
	137:*)
		fail "hung: still running after $API_BOUND s, SIGKILLed (said so far: ${out:-nothing})"
		return 1
		;;
	esac
	fail "${out#FAIL } (exit $rc)"
}

case_two_vms() { api_case two_vms; }
case_eight_vms() { api_case eight_vms; }
case_cycles() { api_case cycles; }
case_pause_resume() { api_case pause_resume; }
case_pause_hung_device() { api_case pause_hung_device; }
case_slow_backend() { api_case slow_backend; }
case_exit_fd() { api_case exit_fd; }
case_shutdown_ignored() { api_case shutdown_ignored; }
case_stats() { api_case stats; }
case_socket() { api_case socket; }
case_kick_signal() { api_case kick_signal; }
case_console_off() { api_case console_off; }
case_metrics_file() {
	dd if=/dev/zero of="$WORK/metrics.img" bs=1M count=64 2>/dev/null
	rm -f "$WORK/metrics.jsonl"
	# The test guest's timed workloads: 3 s here (tests/guest/cases.sh
	# bounds them the same way).
	timeout -s KILL $((55 * API_SCALE)) "$MINIVMM" --kernel "$TESTGUEST" \
		--disk "$WORK/metrics.img" --timeout $((45 * API_SCALE)) \
		--append "testguest.bench=1 testguest.ops=2000" \
		--metrics "$WORK/metrics.jsonl" --metrics-interval 0.1 \
		</dev/null >"$WORK/metrics.console" 2>"$WORK/metrics_file.cli" || {
		rc=$?
		log=$WORK/metrics_file.cli
		case $rc in
		137) fail "minivmm --metrics hung: SIGKILLed after $((55 * API_SCALE)) s" ;;
		*) fail "minivmm --metrics: exit status $rc" ;;
		esac
		return 1
	}
	api_case metrics_file
}
