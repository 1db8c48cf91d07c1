// SPDX-License-Identifier: MIT
/* Serial output and the exit port; usable at CPL0 and, with IOPL 3, CPL3. */
#include "guests/testguest/tg.h"

void tg_puts(const char *s)
{
	for (; *s; s++) {
		if (*s == '\n')
			tg_outb(TG_SERIAL, '\r');
		tg_outb(TG_SERIAL, (uint8_t)*s);
	}
}

void tg_putu(uint64_t v)
{
	char buf[21];
	int i = 20;

	buf[i] = '\0';
	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	tg_puts(buf + i);
}

void tg_putx(uint64_t v)
{
	char buf[19];
	int i = 18;

	buf[i] = '\0';
	do {
		buf[--i] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	buf[--i] = 'x';
	buf[--i] = '0';
	tg_puts(buf + i);
}

void tg_exit(int status)
{
	tg_outb(TG_EXIT_PORT, (uint8_t)status);
	/* Under a VMM without the exit port, stop here. */
	for (;;)
		__asm__ volatile("pause");
}
