/* SPDX-License-Identifier: MIT */
/*
 * The aarch64 machine's guest-physical memory map. Plain constants, no KVM,
 * so the device tree builder and its unit tests use them on any host.
 *
 *   0x08000000  GIC distributor          64 KiB (v2: 4 KiB)
 *   0x08010000  GICv2 CPU interface       8 KiB (v2 only)
 *   0x080a0000  GICv3 redistributors    128 KiB per vCPU, room for 32
 *   0x09000000  8250 UART (ns16550a)      4 KiB, SPI 1
 *   0x09010000  exit-status device        4 KiB
 *   0x0a000000  virtio-mmio slots       512 bytes each, 32 of them, SPI 16 + i
 *   0x80000000  RAM: DTB (<= 2 MiB), the kernel from +2 MiB, initrd at the top
 *
 * Why these numbers: they are QEMU's `-M virt` places for the same kinds of
 * device (GIC, first UART, virtio-mmio window, RAM at 2 GiB), so a guest
 * kernel configured or debugged under QEMU finds things where it expects
 * them, and the device window stays far below RAM whatever --mem says.
 * Everything below 2 GiB fits 32-bit addresses; RAM above it is limited by
 * the default 40-bit IPA space of KVM_CREATE_VM (type 0), hence
 * A64_RAM_MAX. The DTB sits at the start of RAM at a fixed address, so the
 * boot vCPU's x0 needs nothing but this file; the kernel's 2 MiB-aligned
 * base follows it (arm64 booting.txt: the DTB must not overlap the image and
 * at most 2 MiB), and the initrd goes to the top, out of the kernel's way
 * however large its BSS grows.
 */
#ifndef ARCH_AARCH64_LAYOUT_H
#define ARCH_AARCH64_LAYOUT_H

#include <errno.h>

#include "arch/arch.h"

#define A64_GIC_DIST_BASE     0x08000000ULL
#define A64_GIC_DIST_SIZE     0x10000ULL /* GICv3 GICD: 64 KiB */
#define A64_GICV2_DIST_SIZE   0x1000ULL	 /* KVM_VGIC_V2_DIST_SIZE */
#define A64_GICV2_CPU_BASE    0x08010000ULL
#define A64_GICV2_CPU_SIZE    0x2000ULL /* KVM_VGIC_V2_CPU_SIZE */
#define A64_GIC_REDIST_BASE   0x080a0000ULL
#define A64_GIC_REDIST_STRIDE 0x20000ULL /* RD_base + SGI_base frames per vCPU */
#define A64_MAX_CPUS	      32	 /* what the redistributor window holds */
#define A64_GICV2_MAX_CPUS    8		 /* the GICv2 architecture's limit */

/* Interrupts: SPI numbers (INTID - 32), which are also KVM's irqfd GSIs. */
#define A64_GIC_NR_IRQS	    128 /* SGIs, PPIs and 96 SPIs: enough for every slot */
#define A64_UART_BASE	    0x09000000ULL
#define A64_UART_SIZE	    0x1000ULL
#define A64_UART_SPI	    1
#define A64_UART_CLOCK	    1843200 /* the 8250's classic crystal: 115200 baud at divisor 1 */
#define A64_EXIT_BASE	    0x09010000ULL
#define A64_EXIT_SIZE	    0x1000ULL
#define A64_VIRTIO_BASE	    0x0a000000ULL
#define A64_VIRTIO_SIZE	    0x200ULL
#define A64_VIRTIO_SLOTS    32
#define A64_VIRTIO_SPI_BASE 16

/* Arch timer PPIs (INTID - 16), as the architecture assigns them. */
#define A64_TIMER_PPI_SEC  13 /* secure physical */
#define A64_TIMER_PPI_PHYS 14 /* non-secure physical */
#define A64_TIMER_PPI_VIRT 11
#define A64_TIMER_PPI_HYP  10

#define A64_RAM_BASE	0x80000000ULL
#define A64_RAM_MAX	((1ULL << 40) - A64_RAM_BASE) /* 40-bit IPA space */
#define A64_DTB_ADDR	A64_RAM_BASE
#define A64_DTB_MAX	0x200000ULL		     /* booting.txt: at most 2 MiB */
#define A64_KERNEL_BASE (A64_RAM_BASE + 0x200000ULL) /* 2 MiB aligned, after the DTB */

/*
 * Virtio-mmio slot i: 0, or -ENOSPC past the window's A64_VIRTIO_SLOTS or
 * when SPI 16 + i is not one of the vGIC's (A64_GIC_NR_IRQS less the 32
 * SGIs and PPIs): a device there would raise an interrupt that does not
 * exist.
 */
static inline int a64_virtio_slot(unsigned int i, struct arch_mmio_slot *s)
{
	if (i >= A64_VIRTIO_SLOTS || A64_VIRTIO_SPI_BASE + i >= A64_GIC_NR_IRQS - 32)
		return -ENOSPC;
	s->base = A64_VIRTIO_BASE + i * A64_VIRTIO_SIZE;
	s->size = A64_VIRTIO_SIZE;
	s->irq = A64_VIRTIO_SPI_BASE + i; /* the SPI, which is also the irqfd GSI */
	return 0;
}

#endif
