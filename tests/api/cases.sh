# shellcheck shell=sh
# The api tier's cases, sourced after tests/boot/cases.sh (run_cases, fail)
# by tests/api/run.sh: directly on a host with /dev/kvm, or in the boot
# harness's middle layer without one. Each runs one case of
# tests/api/api_test.c ($API_TEST CASE $TESTGUEST $WORK), which prints
# "ok DETAIL" or "FAIL REASON"; the detail goes to the log as MINIVMM-API.
# metrics_file checks what the CLI ($MINIVMM --metrics) wrote; socket_cli
# runs the CLI with a control socket.
API_CASES="two_vms eight_vms cycles pause_resume pause_hung_device slow_backend slow_backend_threads exit_fd
	shutdown_ignored stats stats_rng metrics_file metrics_refused socket socket_umask socket_idle socket_taken_over socket_cli
	kick_signal console_off null_exit console_stuck_reader"

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
case_slow_backend_threads() { api_case slow_backend_threads; }
case_exit_fd() { api_case exit_fd; }
case_shutdown_ignored() { api_case shutdown_ignored; }
case_stats() { api_case stats; }
case_stats_rng() { api_case stats_rng; }
case_socket() { api_case socket; }
case_socket_umask() { api_case socket_umask; }
case_socket_idle() { api_case socket_idle; }
case_socket_taken_over() { api_case socket_taken_over; }
case_kick_signal() { api_case kick_signal; }
case_console_off() { api_case console_off; }
case_null_exit() { api_case null_exit; }
case_console_stuck_reader() { api_case console_stuck_reader; }
case_metrics_file() {
	dd if=/dev/zero of="$WORK/metrics.img" bs=1M count=64 2>/dev/null
	rm -f "$WORK/metrics.jsonl"
	# The test guest's timed workloads: 3 s here (tests/guest/cases.sh
	# bounds them the same way). A umask that would let a file be 0644:
	# minivmm makes it 0600 itself.
	(umask 022
	 exec timeout -s KILL $((55 * API_SCALE)) "$MINIVMM" --kernel "$TESTGUEST" \
		--disk "$WORK/metrics.img" --timeout $((45 * API_SCALE)) \
		--append "testguest.bench=1 testguest.ops=2000" \
		--metrics "$WORK/metrics.jsonl" --metrics-interval 0.1 \
		</dev/null >"$WORK/metrics.console" 2>"$WORK/metrics_file.cli") || {
		rc=$?
		log=$WORK/metrics_file.cli
		case $rc in
		137) fail "minivmm --metrics hung: SIGKILLed after $((55 * API_SCALE)) s" ;;
		*) fail "minivmm --metrics: exit status $rc" ;;
		esac
		return 1
	}
	mode=$(stat -c %a "$WORK/metrics.jsonl")
	[ "$mode" = 600 ] || { fail "--metrics file created with mode $mode, want 600"; return 1; }
	api_case metrics_file
}

# The CLI with its default filters and a control socket, to a normal end:
# minivmm_destroy removes the socket file on the thread minivmm_run()
# filtered (the server thread itself may not unlink). The echo guest waits
# for a line on its console, which comes once the socket is there.
case_socket_cli() {
	log=$WORK/socket_cli.log
	sock=$WORK/cli.sock
	rm -f "$sock" "$WORK/cli.in"
	mkfifo "$WORK/cli.in" || { fail "mkfifo $WORK/cli.in"; return 1; }
	"$MINIVMM" --kernel "$TESTGUEST" --timeout 60 --append testguest.echo=1 \
		--api-socket "$sock" <"$WORK/cli.in" >"$WORK/socket_cli.console" 2>"$log" &
	pid=$!
	exec 3>"$WORK/cli.in"
	tries=0
	until [ -S "$sock" ] || [ "$tries" -ge 600 ]; do
		sleep 0.05
		tries=$((tries + 1))
	done
	[ -S "$sock" ] && seen=1 || seen=0
	echo hello >&3
	exec 3>&-
	wait "$pid"
	rc=$?
	[ "$seen" = 1 ] || { fail "no control socket at $sock within 30 s"; return 1; }
	expect_rc 0 || return 1
	[ ! -e "$sock" ] || { fail "the socket file outlived minivmm"; return 1; }
	echo "MINIVMM-API: socket_cli: seccomp on, exit 0, socket file removed"
}

# --metrics refuses what is not a regular file, with status 125 and a line
# that says what it is: a symbolic link (even to a regular file, which is
# left as it was) and a FIFO (without waiting for a reader: timeout would
# end a wait with 124). Without a disk the test guest ends at once (status
# 2), so a minivmm that took the path would end and write its last line.
metrics_refused_one() {
	timeout -k 5 60 "$MINIVMM" --kernel "$TESTGUEST" --timeout 30 --metrics "$1" \
		</dev/null >"$WORK/metrics_refused.console" 2>"$log"
	rc=$?
	expect_rc 125 || return 1
	grep -q "^minivmm: --metrics file '$1' is $2, not a regular file$" "$log" ||
		{ fail "no line saying '$1' is $2"; return 1; }
}

case_metrics_refused() {
	log=$WORK/metrics_refused.log
	rm -f "$WORK/metrics.link" "$WORK/metrics.fifo"
	: >"$WORK/metrics.target"
	ln -s metrics.target "$WORK/metrics.link"
	metrics_refused_one "$WORK/metrics.link" "a symbolic link" || return 1
	[ ! -s "$WORK/metrics.target" ] ||
		{ fail "metrics written through the symbolic link"; return 1; }
	mkfifo "$WORK/metrics.fifo" || { fail "mkfifo $WORK/metrics.fifo"; return 1; }
	metrics_refused_one "$WORK/metrics.fifo" "a FIFO" || return 1
	echo "MINIVMM-API: metrics_refused: a symbolic link and a FIFO refused (125)"
}
