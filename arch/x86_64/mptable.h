/* SPDX-License-Identifier: MIT */
/* Intel MultiProcessor table: how Linux finds the CPUs and the IOAPIC. */
#ifndef ARCH_X86_64_MPTABLE_H
#define ARCH_X86_64_MPTABLE_H

#include <stddef.h>
#include <stdint.h>

/* What fits into the 1 KiB EBDA slot the table lives in. */
#define MPTABLE_MAX_CPUS 32

/*
 * Writes the floating pointer and configuration table for ncpus CPUs (APIC
 * IDs 0..ncpus-1, IOAPIC ID ncpus) into buf, which will sit at guest-physical
 * base. Returns the bytes used, or -EINVAL/-ENOSPC.
 */
int mptable_build(uint8_t *buf, size_t len, uint32_t base, unsigned int ncpus);

#endif
