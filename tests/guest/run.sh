#!/bin/sh
# Tier 2: the freestanding test guest under minivmm. Its ring-0 part is a
# handful of instructions and its work runs at CPL3, so it runs directly on
# any /dev/kvm here, including the paravirtual one that emulates ring 0;
# without /dev/kvm it runs one level down in the boot harness's middle layer.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/tests/lib.sh"
build=$root/build
work=$build/guesttest
mkdir -p "$work"
kind=$("$root/tests/host-kvm-kind.sh")
cases=${GUEST_TEST_CASES:-$(sh -c ". '$root/tests/guest/cases.sh'; echo \$GUEST_CASES")}
log=$work/console.log
if [ "$kind" != none ]; then
	echo "test guest: host KVM: $kind; level: direct"
	(MINIVMM=$build/minivmm TESTGUEST=$build/testguest/testguest.elf WORK=$work
	 export MINIVMM TESTGUEST WORK
	 . "$root/tests/boot/cases.sh"
	 . "$root/tests/guest/cases.sh"
	 run_cases $cases) >"$log" 2>&1
else
	echo "test guest: host KVM: none; level: nested (Linux with KVM under QEMU TCG)"
	kdir=$("$root/guests/linux/build-kernel.sh") || {
		record FAIL guest/kernel "guest kernel build failed"
		exit 1
	}
	guest=$build/guest
	mkdir -p "$guest" "$work/extra/guest" "$work/extra/tests"
	"$root/guests/rootfs/build-rootfs.sh" "$guest" >/dev/null
	cp "$kdir/bzImage" "$guest/bzImage"
	strip -o "$guest/vmlinux" "$kdir/vmlinux"
	cp "$build/testguest/testguest.elf" "$work/extra/guest/"
	cat "$root/tests/boot/cases.sh" "$root/tests/guest/cases.sh" >"$work/cases.sh"
	printf 'TESTGUEST=/guest/testguest.elf\nexport TESTGUEST\n' >>"$work/cases.sh"
	. "$root/tests/boot/layer.sh"
	layer_build "$work/layer" "$work/layer.cpio.gz" "$work/cases.sh" "$work/extra"
	layer_run_tries "$kdir/bzImage" "$work/layer.cpio.gz" 600 \
		"minivmm.cases=$(echo $cases | tr ' ' ,)" "$log"
fi
status=0
for c in $cases; do
	line=$(grep -a "^MINIVMM-RESULT [A-Z]* $c\b" "$log" | head -n 1 | tr -d '\r')
	case $line in
	"MINIVMM-RESULT PASS "*) record PASS "guest/$c" "$(echo "$line" | awk '{ print $4 }') s" ;;
	"MINIVMM-RESULT FAIL "*)
		record FAIL "guest/$c" "${line#MINIVMM-RESULT FAIL $c }"
		awk -v c="$c" '$0 ~ "^MINIVMM-RESULT FAIL " c {p=1; next} p && /^  \|/ {print; next} {p=0}' "$log"
		status=1
		;;
	*)
		record FAIL "guest/$c" "no result (crash or hang); log tail:"
		tail -n 20 "$log" | sed 's/^/  > /'
		status=1
		;;
	esac
done
exit $status
