// SPDX-License-Identifier: MIT
#include "vmm/core/panic_scan.h"

bool panic_scan_byte(struct panic_scan *p, uint8_t c)
{
	static const char text[] = PANIC_SCAN_TEXT;

	if (p->seen)
		return false;
	/* 'K' occurs only first in the text, so on a mismatch a match can
	 * only restart at this byte. */
	if (c == (uint8_t)text[p->matched])
		p->matched++;
	else
		p->matched = c == (uint8_t)text[0];
	if (p->matched < sizeof(text) - 1)
		return false;
	p->seen = true;
	return true;
}
