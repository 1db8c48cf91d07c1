// SPDX-License-Identifier: MIT
/*
 * The test guest's ring-0 part, kept as short as possible: on hosts whose
 * KVM emulates ring 0 instruction by instruction, every instruction here is
 * slow. It installs a GDT with user segments and a TSS, an IDT that reports
 * exceptions, page tables that give ring 3 the RAM and the MMIO window, and
 * drops to ring 3 with IOPL 3 (so the serial port and the exit port work
 * there). Everything that is measured runs at CPL3, natively.
 */
#include "guests/testguest/tg.h"

struct tss {
	uint32_t reserved0;
	uint64_t rsp0, rsp1, rsp2;
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3, iomap;
	/* All ports open to ring 3 (plus the terminating all-ones byte): the
	 * serial and exit ports must work there even where IOPL from IRETQ
	 * does not stick (one paravirtual KVM's ring-0 emulator drops it). */
	uint8_t iobitmap[65536 / 8 + 1];
} __attribute__((packed));

static uint64_t gdt[7] __attribute__((aligned(16)));
static struct tss tss __attribute__((aligned(16)));
static uint64_t idt[2 * 32] __attribute__((aligned(16)));
static uint64_t pml4[512] __attribute__((aligned(4096)));
static uint64_t pdpt[512] __attribute__((aligned(4096)));
static uint64_t pd[4][512] __attribute__((aligned(4096)));
static uint8_t kstack[8192] __attribute__((aligned(16)));
static uint8_t ustack[65536] __attribute__((aligned(16)));

extern char exc_stubs[];

struct desc_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

#define PTE_P	0x1ULL
#define PTE_W	0x2ULL
#define PTE_U	0x4ULL
#define PTE_PWT 0x8ULL
#define PTE_PCD 0x10ULL
#define PTE_PS	0x80ULL

/* frame: [error code,] RIP, CS, RFLAGS, RSP, SS as the CPU pushed them. */
void exception(int vec, const uint64_t *frame)
{
	tg_puts("TESTGUEST: exception ");
	tg_putu((uint64_t)vec);
	tg_puts(" frame");
	for (int i = 0; i < 4; i++) {
		tg_puts(" ");
		tg_putx(frame[i]);
	}
	tg_puts("\n");
	tg_exit(99);
}

static void setup_tables(void)
{
	uint64_t t = (uint64_t)&tss;

	gdt[1] = 0x00af9a000000ffffULL; /* 0x08 kernel code */
	gdt[2] = 0x00cf92000000ffffULL; /* 0x10 kernel data */
	gdt[3] = 0x00cff2000000ffffULL; /* 0x18 user data (DPL 3) */
	gdt[4] = 0x00affa000000ffffULL; /* 0x20 user code (DPL 3) */
	gdt[5] = ((sizeof(tss) - 1) & 0xffff) | (t & 0xffffff) << 16 | 0x89ULL << 40 |
		 (uint64_t)((sizeof(tss) - 1) >> 16) << 48 | ((t >> 24) & 0xff) << 56;
	gdt[6] = t >> 32;
	tss.rsp0 = (uint64_t)(kstack + sizeof(kstack));
	tss.iomap = (uint16_t) __builtin_offsetof(struct tss, iobitmap);
	tss.iobitmap[sizeof(tss.iobitmap) - 1] = 0xff;

	for (int v = 0; v < 32; v++) {
		uint64_t h = (uint64_t)exc_stubs + 16 * (uint64_t)v;

		idt[2 * v] =
			(h & 0xffff) | 0x08ULL << 16 | 0x8eULL << 40 | ((h >> 16) & 0xffff) << 48;
		idt[2 * v + 1] = h >> 32;
	}

	/* 4 GiB identity map, all of it user-accessible; the MMIO hole uncached. */
	pml4[0] = (uint64_t)pdpt | PTE_P | PTE_W | PTE_U;
	for (uint64_t i = 0; i < 4; i++) {
		pdpt[i] = (uint64_t)pd[i] | PTE_P | PTE_W | PTE_U;
		for (uint64_t j = 0; j < 512; j++)
			pd[i][j] = ((i * 512 + j) << 21) | PTE_P | PTE_W | PTE_U | PTE_PS |
				   (i == 3 ? PTE_PCD | PTE_PWT : 0);
	}
}

void ring0_main(int kind, uint64_t info)
{
	struct desc_ptr g = {sizeof(gdt) - 1, (uint64_t)gdt};
	struct desc_ptr i = {sizeof(idt) - 1, (uint64_t)idt};

	setup_tables();
	__asm__ volatile("lgdt %0" ::"m"(g));
	__asm__ volatile("lidt %0" ::"m"(i));
	__asm__ volatile("mov %0, %%cr3" ::"r"((uint64_t)pml4) : "memory");
	__asm__ volatile("mov $0x28, %%ax; ltr %%ax" ::: "rax");
	/* iretq to user_main(kind, info) at CPL3 with IOPL 3, interrupts off. */
	__asm__ volatile("mov $0x1b, %%ax\n\t"
			 "mov %%ax, %%ds\n\t"
			 "mov %%ax, %%es\n\t"
			 "pushq $0x1b\n\t"
			 "pushq %[usp]\n\t"
			 "pushq $0x3002\n\t"
			 "pushq $0x23\n\t"
			 "pushq %[entry]\n\t"
			 "iretq" ::[usp] "r"((uint64_t)(ustack + sizeof(ustack))),
			 [entry] "r"((uint64_t)user_entry), "D"((uint64_t)kind), "S"(info)
			 : "rax", "memory");
	for (;;)
		;
}
