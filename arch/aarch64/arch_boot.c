// SPDX-License-Identifier: MIT
/*
 * arch/arch.h, the machine on aarch64: RAM layout, device places, and
 * booting an arm64 Image: the kernel per its header, the initrd at the top
 * of RAM, the device tree at the start (layout.h).
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/aarch64/fdt.h"
#include "arch/aarch64/load.h"
#include "arch/aarch64/kvm.h"
#include "arch/aarch64/layout.h"
#include "arch/arch.h"

#define A64_CMDLINE_DEFAULT "console=ttyS0 panic=1"
#define A64_CMDLINE_MAX	    2048 /* arm64's COMMAND_LINE_SIZE, with the NUL */

/* One piece: RAM from 2 GiB up (arch_boot refuses more than the IPA space holds). */
unsigned int arch_ram_regions(uint64_t mem, struct arch_ram_region r[ARCH_RAM_REGIONS_MAX])
{
	r[0] = (struct arch_ram_region){A64_RAM_BASE, mem, 0};
	return 1;
}

int arch_virtio_slot(unsigned int i, struct arch_mmio_slot *s)
{
	return a64_virtio_slot(i, s);
}

/* No port bus on arm64. */
bool arch_pc_ports(struct arch_pc_ports *p)
{
	(void)p;
	return false;
}

bool arch_mmio_console(struct arch_mmio_console *c)
{
	*c = (struct arch_mmio_console){
		.uart_base = A64_UART_BASE,
		.uart_size = A64_UART_SIZE,
		/* KVM_IRQ_LINE on arm64 takes the type, vCPU and INTID in one word. */
		.uart_irq = KVM_ARM_IRQ_TYPE_SPI << KVM_ARM_IRQ_TYPE_SHIFT | (A64_UART_SPI + 32),
		.exit_base = A64_EXIT_BASE,
		.exit_size = A64_EXIT_SIZE,
	};
	return true;
}

unsigned int arch_max_cpus(void)
{
	return A64_MAX_CPUS; /* what the redistributor window has room for */
}

static int build_cmdline(const struct arch_boot *b, char *out, size_t len, char *err,
			 size_t err_len)
{
	int n = snprintf(out, len, "%s%s%s%s", b->cmdline ? b->cmdline : A64_CMDLINE_DEFAULT,
			 !b->cmdline && b->root_on_disk ? " root=/dev/vda rw" : "",
			 b->append ? " " : "", b->append ? b->append : "");

	if (n < 0 || (size_t)n >= len || n >= A64_CMDLINE_MAX) {
		snprintf(err, err_len, "the kernel command line is longer than %d bytes",
			 A64_CMDLINE_MAX - 1);
		return -E2BIG;
	}
	return 0;
}

int arch_boot(const struct arch_boot *b, struct arch_boot_result *r, char *err, size_t err_len)
{
	struct a64_fdt_config fc;
	uint64_t kernel_off, kernel_end, initrd_off = 0;
	int rc;

	if (b->mem_size > A64_RAM_MAX) {
		snprintf(err, err_len,
			 "at most %llu GiB of RAM on aarch64 (40-bit guest addresses)",
			 (unsigned long long)(A64_RAM_MAX >> 30));
		return -EINVAL;
	}
	rc = a64_load_kernel(b->ram, b->mem_size, b->kernel, b->kernel_len, &kernel_off,
			     &kernel_end, err, err_len);
	if (rc) {
		char msg[256];

		snprintf(msg, sizeof(msg), "%s", err);
		snprintf(err, err_len, "kernel '%s': %s",
			 b->kernel_name ? b->kernel_name : "(memory)", msg);
		return rc;
	}
	if (b->initrd) {
		rc = a64_load_initrd(b->ram, b->mem_size, kernel_end, b->initrd, b->initrd_len,
				     &initrd_off, err, err_len);
		if (rc)
			return rc;
	}
	rc = build_cmdline(b, r->cmdline, sizeof(r->cmdline), err, err_len);
	if (rc)
		return rc;
	fc = (struct a64_fdt_config){
		.ncpus = b->ncpus,
		.gic_version = a64_gic_version(),
		.mem_size = b->mem_size,
		.bootargs = r->cmdline,
		.initrd_start = b->initrd ? A64_RAM_BASE + initrd_off : 0,
		.initrd_end = b->initrd ? A64_RAM_BASE + initrd_off + b->initrd_len : 0,
		.virtio = b->virtio,
		.n_virtio = b->n_virtio,
	};
	/* RAM holds the DTB's 2 MiB: the kernel fitted above them. */
	rc = a64_fdt_build(&fc, b->ram + (A64_DTB_ADDR - A64_RAM_BASE), A64_DTB_MAX, err, err_len);
	if (rc)
		return rc;
	r->entry = A64_RAM_BASE + kernel_off;
	r->linux_guest = true;	    /* only Linux writes this header */
	r->shutdown_resets = false; /* PSCI resets; there is no triple fault */
	return 0;
}
