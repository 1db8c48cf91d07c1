/* SPDX-License-Identifier: MIT */
/*
 * Spots a Linux kernel panic in the guest's console output. A panicking
 * kernel reboots (panic=1 in the default command line) exactly as a clean
 * one does, and without ACPI there is no pvpanic device to tell the two
 * apart; but it always prints "Kernel panic - not syncing" first. Fed the
 * console byte by byte, in any chunks.
 */
#ifndef VMM_PANIC_SCAN_H
#define VMM_PANIC_SCAN_H

#include <stdbool.h>
#include <stdint.h>

#define PANIC_SCAN_TEXT "Kernel panic - not syncing"

struct panic_scan {
	unsigned int matched; /* bytes of PANIC_SCAN_TEXT matched so far */
	bool seen;
};

/* True for the byte that completes the first match. */
bool panic_scan_byte(struct panic_scan *p, uint8_t c);

#endif
