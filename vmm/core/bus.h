/* SPDX-License-Identifier: MIT */
/*
 * An address space of device register ranges (one for port I/O, one for
 * MMIO): sorted, non-overlapping, looked up by binary search. Devices are
 * added before the vCPUs start and never removed while they run, so lookups
 * take no lock.
 */
#ifndef VMM_BUS_H
#define VMM_BUS_H

#include <stdint.h>

typedef void (*bus_read_fn)(void *opaque, uint64_t offset, uint8_t *data, unsigned int size);
typedef void (*bus_write_fn)(void *opaque, uint64_t offset, const uint8_t *data, unsigned int size);

struct bus_range {
	uint64_t base, len;
	void *opaque;
	bus_read_fn read;
	bus_write_fn write;
};

struct bus {
	struct bus_range *ranges;
	unsigned int n, cap;
};

/* Returns 0, -EINVAL for an empty or wrapping range, -EEXIST on overlap, -ENOMEM. */
int bus_add(struct bus *bus, uint64_t base, uint64_t len, void *opaque, bus_read_fn read,
	    bus_write_fn write);

/* The range holding [addr, addr + size), or NULL. */
const struct bus_range *bus_find(const struct bus *bus, uint64_t addr, unsigned int size);

/*
 * Dispatches an access. Accesses that hit no device read as all-ones and
 * writes are ignored; returns 0 then, 1 when a device handled it.
 */
int bus_access(const struct bus *bus, uint64_t addr, uint8_t *data, unsigned int size,
	       int is_write);

void bus_free(struct bus *bus);

#endif
