/* SPDX-License-Identifier: MIT */
/* The freestanding test guest: shared declarations. No libc. */
#ifndef GUESTS_TESTGUEST_TG_H
#define GUESTS_TESTGUEST_TG_H

#include <stdint.h>

#define TG_SERIAL    0x3f8
#define TG_EXIT_PORT 0x501

static inline void tg_outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port));
}

static inline uint8_t tg_inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint64_t tg_rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

void tg_puts(const char *s);
void tg_putu(uint64_t v);
void tg_putx(uint64_t v);
__attribute__((noreturn)) void tg_exit(int status);

/* The value of KEY= (e.g. "testguest.ops=") on the command line, or dflt. */
int tg_opt(const char *cmdline, const char *key, int dflt);
/* The n-th virtio_mmio.device=SIZE@0xADDR:IRQ entry's address, or 0. */
uint64_t tg_device_base(const char *cmdline, int n);
__attribute__((noreturn)) void net_main(const char *cmdline, int mode);

void exception(int vec, const uint64_t *frame);
void ring0_main(int kind, uint64_t info);
void user_entry(void);
__attribute__((noreturn)) void user_main(int kind, uint64_t info);

#endif
