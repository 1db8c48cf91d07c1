# Linux boot test cases. Sourced by the middle layer's init (busybox sh) or,
# on a host whose KVM runs ring-0 code natively, by run.sh directly.
# Needs: MINIVMM (binary), GUEST (dir with bzImage, vmlinux, initrd.cpio.gz),
# WORK (scratch dir). Each case prints one line:
#   MINIVMM-RESULT PASS name seconds   or   MINIVMM-RESULT FAIL name reason
# and on failure the guest console it asserted on, prefixed with "  | ".

ALL_CASES="boot_1cpu boot_2cpus boot_vmlinux reboot_exit0 exit_port_status timeout_stops_hang"
VM_TIMEOUT=${VM_TIMEOUT:-120}

now() { cut -d' ' -f1 /proc/uptime; }

# vm ARGS...: runs minivmm on the test initrd; sets $rc and $log.
vm() {
	log=$WORK/$case_name.log
	"$MINIVMM" --kernel "$GUEST/bzImage" --initrd "$GUEST/initrd.cpio.gz" \
		--timeout "$VM_TIMEOUT" "$@" </dev/null >"$log" 2>&1
	rc=$?
}

fail() {
	echo "MINIVMM-RESULT FAIL $case_name $*"
	[ -f "$log" ] && tail -n 40 "$log" | sed 's/^/  | /'
	return 1
}

expect_rc() { [ "$rc" -eq "$1" ] || fail "exit status $rc, expected $1"; }
# The serial console ends lines with CR LF.
expect_line() { tr -d '\r' <"$log" | grep -q -- "$1" || fail "console lacks '$1'"; }

case_boot_1cpu() {
	vm --cpus 1 --append "minivmm.test=cpus"
	expect_rc 0 && expect_line "MINIVMM-GUEST: init reached" &&
		expect_line "MINIVMM-GUEST: cpus online 0$"
}

case_boot_2cpus() {
	vm --cpus 2 --append "minivmm.test=cpus"
	expect_rc 0 && expect_line "MINIVMM-GUEST: cpus online 0-1$"
}

case_boot_vmlinux() {
	log=$WORK/$case_name.log
	"$MINIVMM" --kernel "$GUEST/vmlinux" --initrd "$GUEST/initrd.cpio.gz" \
		--timeout "$VM_TIMEOUT" --append "minivmm.test=cpus" </dev/null >"$log" 2>&1
	rc=$?
	expect_rc 0 && expect_line "MINIVMM-GUEST: cpus online 0$"
}

case_reboot_exit0() {
	vm --append "minivmm.exit=reboot" -v
	expect_rc 0 && expect_line "MINIVMM-GUEST: init reached" && expect_line "guest reset"
}

case_exit_port_status() {
	vm --append "minivmm.test=exit3 minivmm.exit=status"
	expect_rc 3 && expect_line "MINIVMM-GUEST: test exit3 status 3"
}

case_timeout_stops_hang() {
	log=$WORK/$case_name.log
	"$MINIVMM" --kernel "$GUEST/bzImage" --initrd "$GUEST/initrd.cpio.gz" \
		--timeout 10 --append "minivmm.exit=hang" </dev/null >"$log" 2>&1
	rc=$?
	expect_rc 124 && expect_line "MINIVMM-GUEST: init reached" &&
		expect_line "minivmm: timeout: guest still running after"
}

run_cases() {
	for case_name in "$@"; do
		t0=$(now)
		log=
		if "case_$case_name"; then
			echo "MINIVMM-RESULT PASS $case_name $(awk "BEGIN { print $(now) - $t0 }")"
		fi
	done
}

# Not a test: boots the demo guest and shows its whole console (make demo).
case_demo() {
	vm --cpus 2 --append "minivmm.test=demo" -v
	echo "MINIVMM-DEMO-BEGIN"
	tr -d '\r' <"$log"
	echo "MINIVMM-DEMO-END"
	expect_rc 0 && expect_line "Hello from a Linux guest of minivmm"
}
