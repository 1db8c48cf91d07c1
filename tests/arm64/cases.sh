# The arm64 boot cases: appended to tests/boot/cases.sh, whose helpers
# (run_cases, fail, expect_*, net_up, image, guest_says) and many of whose
# cases they share; the guest is the arm64 Image with the same init and
# test scripts (guests/rootfs/build-rootfs-arm64.sh). Only what differs on
# arm64 is here: the kernel file (GUEST_KERNEL, which vm, vmd and vmn
# boot), and what reset and panic look like (PSCI SYSTEM_RESET, no i8042
# or triple fault).

ARM64_CASES="boot_1cpu boot_2cpus reboot_exit0 exit_port_status guest_panic_status
 blk_root_in_order blk_root_no_in_order blk_guest_writes blk_host_writes blk_parallel
 blk_two_disks blk_read_only net_ping net_tcp_in_order net_tcp_no_in_order
 blk_root_in_order_packed"

GUEST_KERNEL=$GUEST/Image

# Linux resets through PSCI SYSTEM_RESET: KVM_EXIT_SYSTEM_EVENT, status 0.
case_reboot_exit0() {
	vm --append "minivmm.exit=reboot" -v
	expect_rc 0 && expect_line "MINIVMM-GUEST: init reached" && expect_line "minivmm: guest reset"
}

# panic=1 reboots through PSCI as a clean reset does; minivmm tells them apart.
case_guest_panic_status() {
	vm --append "minivmm.exit=panic"
	expect_rc 123 && expect_line "Kernel panic - not syncing: Attempted to kill init" &&
		expect_line "after a guest kernel panic"
}
