# The arm64 middle layer: the arm64 guest kernel under qemu-system-aarch64
# with an emulated EL2, whose KVM runs the cross-built minivmm's guests.
# Sourced by tests/arm64/run.sh and tests/bench/boot-arm64.sh; needs $root.

# a64_layer_build STAGE OUT.cpio.gz CASES_FILE GUEST_DIR KDIR [EXTRA_DIR]:
# an initramfs of the arm64 busybox (GUEST_DIR/busybox, from
# build-rootfs-arm64.sh), the arm64 minivmm, the guest (Image, initrd,
# rootfs) and CASES_FILE as /tests/cases.sh; EXTRA_DIR is copied over it.
a64_layer_build() {
	_st=$1 _out=$2 _cases=$3 _g=$4 _k=$5 _x=${6:-}
	rm -rf "$_st"
	mkdir -p "$_st/bin" "$_st/guest" "$_st/tests" "$_st/dev" "$_st/proc" "$_st/sys" "$_st/tmp"
	cp "$_g/busybox" "$_st/bin/busybox"
	# The shell for /init; layer-init links the other applets itself.
	ln -s busybox "$_st/bin/sh"
	cp "$root/build-aarch64/minivmm" "$_st/bin/minivmm"
	cp "$_k/Image" "$_g/initrd.cpio.gz" "$_g/rootfs.ext4" "$_st/guest/"
	cp "$_cases" "$_st/tests/cases.sh"
	cp "$root/tests/arm64/layer-init" "$_st/init"
	[ -n "$_x" ] && cp -a "$_x/." "$_st/"
	(cd "$_st" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -1 >"$_out"
}

# a64_layer_run IMAGE INITRAMFS TIMEOUT_S CMDLINE_EXTRA: console on stdout.
# pauth-impdef=on: QEMU's default (architected) pointer authentication is
# emulated slowly; the implementation-defined one made boots about 4x faster.
a64_layer_run() {
	timeout -k 5 "$3" qemu-system-aarch64 -M virt,virtualization=on,gic-version=3 \
		-cpu max,pauth-impdef=on -accel tcg -smp 2 -m 2048 -nodefaults -no-user-config \
		-display none -serial stdio -no-reboot -kernel "$1" -initrd "$2" \
		-append "console=ttyAMA0 panic=-1 quiet $4" </dev/null
}
