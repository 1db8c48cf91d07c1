/* SPDX-License-Identifier: MIT */
/* Guest-physical memory map of the x86_64 machine (docs/design.md, "x86_64 machine"). */
#ifndef ARCH_X86_64_LAYOUT_H
#define ARCH_X86_64_LAYOUT_H

#include <stdint.h>

#define X86_GDT_ADDR	     0x500ULL
#define X86_IDT_ADDR	     0x530ULL /* after the 6-entry GDT */
#define X86_ZERO_PAGE	     0x7000ULL
#define X86_BOOT_STACK	     0x8ff0ULL
#define X86_PML4_ADDR	     0x9000ULL
#define X86_PDPT_ADDR	     0xa000ULL
#define X86_PD_ADDR	     0xb000ULL /* four pages: 2 MiB mappings of 4 GiB */
#define X86_CMDLINE_ADDR     0x20000ULL
#define X86_CMDLINE_MAX	     0x10000ULL
#define X86_EBDA_START	     0x9fc00ULL /* MP table lives here */
#define X86_LOW_MEM_END	     0xa0000ULL
#define X86_HIMEM_START	     0x100000ULL
#define X86_KERNEL_LOAD	     0x100000ULL
#define X86_MMIO_HOLE	     0xc0000000ULL /* RAM above 3 GiB moves to 4 GiB */
#define X86_4G		     0x100000000ULL
#define X86_VIRTIO_MMIO_BASE 0xd0000000ULL
#define X86_VIRTIO_MMIO_SIZE 0x1000ULL
#define X86_VIRTIO_IRQ_BASE  5
#define X86_IOAPIC_ADDR	     0xfec00000ULL
#define X86_LAPIC_ADDR	     0xfee00000ULL
#define X86_TSS_ADDR	     0xfffbd000ULL
#define X86_IDENTITY_MAP     0xfffbc000ULL
#define X86_IOAPIC_PINS	     24
#define X86_COM1_BASE	     0x3f8ULL /* the console UART, on ISA IRQ 4 */
#define X86_COM1_IRQ	     4
#define X86_I8042_DATA	     0x60ULL
#define X86_I8042_COMMAND    0x64ULL
#define X86_I8042_KBD_IRQ    1 /* the keyboard's ISA interrupt */

/* Where guest RAM of a given size lies. */
static inline uint64_t x86_low_ram_size(uint64_t mem)
{
	return mem < X86_MMIO_HOLE ? mem : X86_MMIO_HOLE;
}

static inline uint64_t x86_high_ram_size(uint64_t mem)
{
	return mem > X86_MMIO_HOLE ? mem - X86_MMIO_HOLE : 0;
}

#endif
