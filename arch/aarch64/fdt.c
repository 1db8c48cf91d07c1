// SPDX-License-Identifier: MIT
/*
 * The device tree of the aarch64 machine (fdt.h).
 *
 * Why libfdt's sequential-write API (fdt_create, fdt_begin_node,
 * fdt_property, fdt_end_node, fdt_finish) rather than fdt_open_into and
 * fdt_setprop on an empty tree: the whole tree is known up front and
 * written once, top to bottom, so nothing is ever moved or re-searched, the
 * output is byte-for-byte the same for the same config (the golden-file
 * test relies on that), and a too-small buffer is one error at the end
 * instead of a resize loop. Errors are sticky in struct fdt_w, so the
 * builder reads as the tree it writes.
 */
#include <errno.h>
#include <libfdt.h>
#include <stdio.h>

#include "arch/aarch64/fdt.h"
#include "arch/aarch64/layout.h"

#define GIC_PHANDLE 1

/* interrupts = <type number flags>: the GIC binding's three cells. */
#define GIC_SPI		0
#define GIC_PPI		1
#define IRQ_EDGE_RISING 1
#define IRQ_LEVEL_HIGH	4

struct fdt_w {
	void *fdt;
	int rc; /* the first libfdt error; later calls do nothing */
};

static void begin(struct fdt_w *w, const char *name)
{
	if (!w->rc)
		w->rc = fdt_begin_node(w->fdt, name);
}

static void end(struct fdt_w *w)
{
	if (!w->rc)
		w->rc = fdt_end_node(w->fdt);
}

static void prop(struct fdt_w *w, const char *name, const void *val, int len)
{
	if (!w->rc)
		w->rc = fdt_property(w->fdt, name, val, len);
}

static void prop_str(struct fdt_w *w, const char *name, const char *s)
{
	if (!w->rc)
		w->rc = fdt_property_string(w->fdt, name, s);
}

static void prop_u32(struct fdt_w *w, const char *name, uint32_t v)
{
	if (!w->rc)
		w->rc = fdt_property_u32(w->fdt, name, v);
}

static void prop_u64(struct fdt_w *w, const char *name, uint64_t v)
{
	if (!w->rc)
		w->rc = fdt_property_u64(w->fdt, name, v);
}

/* n cells, each a u32 value, converted to the tree's big-endian. */
static void prop_cells(struct fdt_w *w, const char *name, const uint32_t *v, unsigned int n)
{
	fdt32_t cells[24];

	for (unsigned int i = 0; i < n; i++)
		cells[i] = cpu_to_fdt32(v[i]);
	prop(w, name, cells, (int)(n * sizeof(cells[0])));
}

/* reg = <addr size>, pairs of them, each number two cells (the root's
 * #address-cells = #size-cells = 2). */
static void prop_reg(struct fdt_w *w, const uint64_t *v, unsigned int pairs)
{
	uint32_t cells[8];

	for (unsigned int i = 0; i < 2 * pairs; i++) {
		cells[2 * i] = (uint32_t)(v[i] >> 32);
		cells[2 * i + 1] = (uint32_t)v[i];
	}
	prop_cells(w, "reg", cells, 4 * pairs);
}

static void node_name(char *buf, size_t len, const char *base, uint64_t unit)
{
	snprintf(buf, len, "%s@%llx", base, (unsigned long long)unit);
}

uint64_t a64_vcpu_mpidr(unsigned int id)
{
	/* KVM's reset value: 16 vCPUs per Aff0 cluster, then Aff1, Aff2. */
	return (id & 0xfu) | (uint64_t)((id >> 4) & 0xffu) << 8 |
	       (uint64_t)((id >> 12) & 0xffu) << 16;
}

static void cpus(struct fdt_w *w, unsigned int ncpus)
{
	char name[32];

	begin(w, "cpus");
	prop_u32(w, "#address-cells", 1);
	prop_u32(w, "#size-cells", 0);
	for (unsigned int i = 0; i < ncpus; i++) {
		uint64_t mpidr = a64_vcpu_mpidr(i);

		node_name(name, sizeof(name), "cpu", mpidr);
		begin(w, name);
		prop_str(w, "device_type", "cpu");
		prop_str(w, "compatible", "arm,arm-v8");
		/* Secondaries stay off until the boot vCPU's PSCI CPU_ON, which
		 * KVM handles in the kernel (KVM_ARM_VCPU_PSCI_0_2). */
		prop_str(w, "enable-method", "psci");
		prop_u32(w, "reg", (uint32_t)mpidr);
		end(w);
	}
	end(w);
}

static void gic(struct fdt_w *w, const struct a64_fdt_config *c)
{
	char name[32];

	node_name(name, sizeof(name), "intc", A64_GIC_DIST_BASE);
	begin(w, name);
	if (c->gic_version == 3) {
		/* One redistributor (RD_base and SGI_base frames) per vCPU. */
		const uint64_t reg[] = {A64_GIC_DIST_BASE, A64_GIC_DIST_SIZE, A64_GIC_REDIST_BASE,
					A64_GIC_REDIST_STRIDE * c->ncpus};

		prop_str(w, "compatible", "arm,gic-v3");
		prop_reg(w, reg, 2);
	} else {
		const uint64_t reg[] = {A64_GIC_DIST_BASE, A64_GICV2_DIST_SIZE, A64_GICV2_CPU_BASE,
					A64_GICV2_CPU_SIZE};

		prop_str(w, "compatible", "arm,cortex-a15-gic");
		prop_reg(w, reg, 2);
	}
	prop_u32(w, "#interrupt-cells", 3);
	/* No children (no ITS), and interrupt-map parsing (and dtc's check) wants it said. */
	prop_u32(w, "#address-cells", 0);
	prop(w, "interrupt-controller", NULL, 0);
	prop_u32(w, "phandle", GIC_PHANDLE);
	end(w);
}

static void timer(struct fdt_w *w, const struct a64_fdt_config *c)
{
	/* A GICv2 PPI's flags carry the CPUs it goes to (bits 8-15); v3 has no such field. */
	uint32_t flags = IRQ_LEVEL_HIGH;
	uint32_t irqs[12];
	const uint32_t ppis[] = {A64_TIMER_PPI_SEC, A64_TIMER_PPI_PHYS, A64_TIMER_PPI_VIRT,
				 A64_TIMER_PPI_HYP};

	if (c->gic_version == 2)
		flags |= ((1u << c->ncpus) - 1) << 8;
	for (unsigned int i = 0; i < 4; i++) {
		irqs[3 * i] = GIC_PPI;
		irqs[3 * i + 1] = ppis[i];
		irqs[3 * i + 2] = flags;
	}
	begin(w, "timer");
	prop_str(w, "compatible", "arm,armv8-timer");
	prop_cells(w, "interrupts", irqs, 12);
	end(w);
}

static void mmio_dev(struct fdt_w *w, const char *base_name, const char *compatible, uint64_t base,
		     uint64_t size, int spi, uint32_t irq_flags)
{
	const uint64_t reg[] = {base, size};
	char name[48];

	node_name(name, sizeof(name), base_name, base);
	begin(w, name);
	prop_str(w, "compatible", compatible);
	prop_reg(w, reg, 1);
	if (spi >= 0)
		prop_cells(w, "interrupts", (const uint32_t[]){GIC_SPI, (uint32_t)spi, irq_flags},
			   3);
}

int a64_fdt_build(const struct a64_fdt_config *c, void *buf, size_t size, char *err, size_t err_len)
{
	const uint64_t mem_reg[] = {A64_RAM_BASE, c->mem_size};
	unsigned int max_cpus = c->gic_version == 2 ? A64_GICV2_MAX_CPUS : A64_MAX_CPUS;
	struct fdt_w w = {buf, 0};
	char name[48];

	if (c->gic_version != 2 && c->gic_version != 3) {
		snprintf(err, err_len, "GIC version %u: only 2 and 3 are described",
			 c->gic_version);
		return -EINVAL;
	}
	if (!c->ncpus || c->ncpus > max_cpus) {
		snprintf(err, err_len, "%u vCPUs: a GICv%u machine has 1 to %u", c->ncpus,
			 c->gic_version, max_cpus);
		return -EINVAL;
	}
	if (size > INT32_MAX) /* libfdt sizes are ints */
		size = INT32_MAX;
	w.rc = fdt_create(buf, (int)size);
	if (!w.rc)
		w.rc = fdt_finish_reservemap(w.fdt); /* the DTB reserves itself in Linux */
	begin(&w, "");
	prop_str(&w, "compatible", "linux,dummy-virt");
	prop_str(&w, "model", "minivmm");
	prop_u32(&w, "#address-cells", 2);
	prop_u32(&w, "#size-cells", 2);
	prop_u32(&w, "interrupt-parent", GIC_PHANDLE);

	begin(&w, "chosen");
	prop_str(&w, "bootargs", c->bootargs ? c->bootargs : "");
	node_name(name, sizeof(name), "/uart", A64_UART_BASE);
	/* earlycon without arguments, and the console without console=, find the UART here. */
	prop_str(&w, "stdout-path", name);
	if (c->initrd_end > c->initrd_start) {
		prop_u64(&w, "linux,initrd-start", c->initrd_start);
		prop_u64(&w, "linux,initrd-end", c->initrd_end);
	}
	end(&w);

	node_name(name, sizeof(name), "memory", A64_RAM_BASE);
	begin(&w, name);
	prop_str(&w, "device_type", "memory");
	prop_reg(&w, mem_reg, 1);
	end(&w);

	cpus(&w, c->ncpus);

	/* PSCI 0.2 through HVC: KVM implements it (CPU_ON, SYSTEM_OFF, SYSTEM_RESET). */
	begin(&w, "psci");
	prop_str(&w, "compatible", "arm,psci-0.2");
	prop_str(&w, "method", "hvc");
	end(&w);

	gic(&w, c);
	timer(&w, c);

	/* The 8250 model minivmm has on x86, on the MMIO bus: 1-byte registers, 1 byte apart. */
	mmio_dev(&w, "uart", "ns16550a", A64_UART_BASE, A64_UART_SIZE, A64_UART_SPI,
		 IRQ_LEVEL_HIGH);
	prop_u32(&w, "clock-frequency", A64_UART_CLOCK);
	end(&w);

	/* A byte written here ends minivmm with that status (port 0x501 on x86). */
	mmio_dev(&w, "exit", "minivmm,exit-status", A64_EXIT_BASE, A64_EXIT_SIZE, -1, 0);
	end(&w);

	for (unsigned int i = 0; i < c->n_virtio; i++) {
		/* irqfd pulses the line: edge-triggered. */
		mmio_dev(&w, "virtio_mmio", "virtio,mmio", c->virtio[i].base, c->virtio[i].size,
			 (int)c->virtio[i].irq, IRQ_EDGE_RISING);
		prop(&w, "dma-coherent", NULL, 0);
		end(&w);
	}

	end(&w); /* / */
	if (!w.rc)
		w.rc = fdt_finish(w.fdt);
	if (w.rc == -FDT_ERR_NOSPACE) {
		snprintf(err, err_len, "the device tree does not fit in %zu bytes", size);
		return -ENOSPC;
	}
	if (w.rc) {
		snprintf(err, err_len, "building the device tree: %s", fdt_strerror(w.rc));
		return -EINVAL;
	}
	return 0;
}
