/* SPDX-License-Identifier: MIT */
/*
 * The aarch64 machine described as a flattened device tree, built with
 * libfdt's sequential-write API. It only fills a buffer (no KVM), so it
 * runs and is unit-tested on any host.
 */
#ifndef ARCH_AARCH64_FDT_H
#define ARCH_AARCH64_FDT_H

#include <stddef.h>
#include <stdint.h>

#include "arch/arch.h"

struct a64_fdt_config {
	unsigned int ncpus;	  /* 1 to A64_MAX_CPUS (A64_GICV2_MAX_CPUS with a GICv2) */
	unsigned int gic_version; /* 2 or 3 */
	uint64_t mem_size;	  /* RAM from A64_RAM_BASE */
	const char *bootargs;
	uint64_t initrd_start, initrd_end;   /* guest-physical, [start, end); both 0: none */
	const struct arch_mmio_slot *virtio; /* irq: the SPI number */
	unsigned int n_virtio;
};

/* The MPIDR KVM gives vCPU id (its Aff0/Aff1 split), which cpu@N's reg must match. */
uint64_t a64_vcpu_mpidr(unsigned int id);

/*
 * Writes the tree into buf (size bytes); its length is then
 * fdt_totalsize(buf). Returns 0, or -EINVAL (bad config) / -ENOSPC (buf
 * too small) with one line in err.
 */
int a64_fdt_build(const struct a64_fdt_config *c, void *buf, size_t size, char *err,
		  size_t err_len);

#endif
