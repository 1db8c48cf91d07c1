#!/bin/sh
# Prints the host's KVM kind: none (no /dev/kvm), paravirtual (/dev/kvm but no
# vmx/svm: ring-0 guest code is emulated), or hardware.
# MINIVMM_KVM_KIND overrides the probe (to exercise another tier's path).
if [ -n "${MINIVMM_KVM_KIND:-}" ]; then
	echo "$MINIVMM_KVM_KIND"
elif [ ! -e /dev/kvm ]; then
	echo none
elif grep -qwE 'vmx|svm' /proc/cpuinfo; then
	echo hardware
else
	echo paravirtual
fi
