// SPDX-License-Identifier: MIT
/*
 * A stand-in for the aarch64 machine: every arch/arch.h function, none of
 * them able to build a VM yet. It exists so that the boundary is checked:
 * `make check` compiles it, and everything outside arch/x86_64/, for
 * aarch64 (tests/cross/run.sh). A real port replaces it (docs/design.md,
 * "How to add an architecture"): RAM from 2 GiB, a vGIC and the arch timer
 * in arch_vm_setup, PSCI for the secondary vCPUs, an Image loader and a
 * device tree in arch_boot.
 */
#include <errno.h>
#include <stdio.h>

#include "arch/arch.h"

#define NOT_YET "the aarch64 machine is not built yet"

unsigned int arch_ram_regions(uint64_t mem, struct arch_ram_region r[ARCH_RAM_REGIONS_MAX])
{
	r[0] = (struct arch_ram_region){0x80000000ULL, mem, 0}; /* -M virt: RAM from 2 GiB */
	return 1;
}

void arch_virtio_slot(unsigned int i, struct arch_mmio_slot *s)
{
	s->base = 0x0a000000ULL + i * 0x200ULL; /* -M virt's virtio-mmio window */
	s->size = 0x200;
	s->irq = 48 + i;
}

/* No port bus: the console will be a PL011 on the MMIO bus. */
bool arch_pc_ports(struct arch_pc_ports *p)
{
	(void)p;
	return false;
}

unsigned int arch_max_cpus(void)
{
	return 1;
}

int arch_vm_setup(int vm_fd, char *err, size_t err_len)
{
	(void)vm_fd;
	snprintf(err, err_len, NOT_YET);
	return -ENOSYS;
}

int arch_vcpus_init(int kvm_fd, struct arch_vcpus **out, char *err, size_t err_len)
{
	(void)kvm_fd;
	*out = NULL;
	snprintf(err, err_len, NOT_YET);
	return -ENOSYS;
}

int arch_vcpu_setup(const struct arch_vcpus *a, int vcpu_fd, unsigned int id, unsigned int ncpus,
		    uint64_t entry, char *err, size_t err_len)
{
	(void)a;
	(void)vcpu_fd;
	(void)id;
	(void)ncpus;
	(void)entry;
	snprintf(err, err_len, NOT_YET);
	return -ENOSYS;
}

void arch_vcpus_free(struct arch_vcpus *a)
{
	(void)a;
}

const struct arch_reg_names arch_reg_names = {
	.pc = "PC", .sp = "SP", .flags = "PSTATE", .pt_root = "TTBR0", .priv = "EL"};

void arch_vcpu_regs(int vcpu_fd, struct arch_regs *r)
{
	(void)vcpu_fd;
	(void)r;
}

/* aarch64 has no port I/O: every device is on the MMIO bus. */
bool arch_handle_pio(struct kvm_run *run, arch_pio_fn *pio, void *ctx)
{
	(void)run;
	(void)pio;
	(void)ctx;
	return false;
}

int arch_boot(const struct arch_boot *b, struct arch_boot_result *r, char *err, size_t err_len)
{
	(void)b;
	(void)r;
	snprintf(err, err_len, NOT_YET);
	return -ENOSYS;
}
