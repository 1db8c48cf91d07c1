// SPDX-License-Identifier: MIT
/* arch/arch.h, the machine on x86_64: RAM layout, virtio-mmio slots, booting a kernel. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/arch.h"
#include "arch/x86_64/boot.h"
#include "arch/x86_64/elf_loader.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/mptable.h"

/* Low RAM at 0 up to the 3 GiB MMIO hole, the rest from 4 GiB. */
unsigned int arch_ram_regions(uint64_t mem, struct arch_ram_region r[ARCH_RAM_REGIONS_MAX])
{
	uint64_t low = x86_low_ram_size(mem), high = x86_high_ram_size(mem);

	r[0] = (struct arch_ram_region){0, low, 0};
	if (!high)
		return 1;
	r[1] = (struct arch_ram_region){X86_4G, high, low};
	return 2;
}

/* Slot i raises IOAPIC pin 5 + i: the IOAPIC has X86_IOAPIC_PINS of them. */
int arch_virtio_slot(unsigned int i, struct arch_mmio_slot *s)
{
	if (i >= X86_IOAPIC_PINS - X86_VIRTIO_IRQ_BASE)
		return -ENOSPC;
	s->base = X86_VIRTIO_MMIO_BASE + i * X86_VIRTIO_MMIO_SIZE;
	s->size = X86_VIRTIO_MMIO_SIZE;
	s->irq = X86_VIRTIO_IRQ_BASE + i;
	return 0;
}

bool arch_pc_ports(struct arch_pc_ports *p)
{
	*p = (struct arch_pc_ports){X86_COM1_BASE, X86_COM1_IRQ, X86_I8042_DATA, X86_I8042_COMMAND,
				    X86_I8042_KBD_IRQ};
	return true;
}

/* The console and the exit port are on the port bus (arch_pc_ports). */
bool arch_mmio_console(struct arch_mmio_console *c)
{
	(void)c;
	return false;
}

unsigned int arch_max_cpus(void)
{
	return MPTABLE_MAX_CPUS; /* what the MP table in the EBDA has room for */
}

int arch_boot(const struct arch_boot *b, struct arch_boot_result *r, char *err, size_t err_len)
{
	struct cmdline_mmio_dev mmio[32];
	const struct x86_ram low = {
		.host = b->ram, .size = x86_low_ram_size(b->mem_size), .zeroed = true};
	struct x86_boot_config bc = {
		.kernel = b->kernel,
		.kernel_len = b->kernel_len,
		.kernel_name = b->kernel_name,
		.initrd = b->initrd,
		.initrd_len = b->initrd_len,
		.cmdline = {.base = b->cmdline,
			    .append = b->append,
			    .root_on_disk = b->root_on_disk,
			    .mmio = mmio,
			    .n_mmio = b->n_virtio},
		.mem_size = b->mem_size,
		.ncpus = b->ncpus,
	};
	struct x86_boot_info *info;
	int rc;

	if (b->n_virtio > sizeof(mmio) / sizeof(mmio[0])) {
		snprintf(err, err_len, "too many virtio devices (%u)", b->n_virtio);
		return -EINVAL;
	}
	for (unsigned int i = 0; i < b->n_virtio; i++)
		mmio[i] = (struct cmdline_mmio_dev){b->virtio[i].base, (uint32_t)b->virtio[i].size,
						    b->virtio[i].irq};
	info = calloc(1, sizeof(*info)); /* 4 KiB of command line: not on the stack */
	if (!info) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	rc = x86_boot_setup(&bc, &low, info, err, err_len);
	if (!rc) {
		r->entry = info->entry;
		snprintf(r->cmdline, sizeof(r->cmdline), "%s", info->cmdline);
		r->linux_guest = info->is_bzimage || elf_is_linux(b->kernel, b->kernel_len);
		r->shutdown_resets = cmdline_reboot_triple(info->cmdline);
	}
	free(info);
	return rc;
}
