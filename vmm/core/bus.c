// SPDX-License-Identifier: MIT
#include "vmm/core/bus.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Index of the first range whose end lies above addr. */
static unsigned int lower_bound(const struct bus *bus, uint64_t addr)
{
	unsigned int lo = 0, hi = bus->n;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;
		const struct bus_range *r = &bus->ranges[mid];

		if (r->base + r->len <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int bus_add(struct bus *bus, uint64_t base, uint64_t len, void *opaque, bus_read_fn read,
	    bus_write_fn write)
{
	unsigned int i;

	if (len == 0 || base + len < base)
		return -EINVAL;
	i = lower_bound(bus, base);
	if (i < bus->n && bus->ranges[i].base < base + len)
		return -EEXIST;
	if (bus->n == bus->cap) {
		unsigned int cap = bus->cap ? bus->cap * 2 : 8;
		struct bus_range *r = realloc(bus->ranges, cap * sizeof(*r));

		if (!r)
			return -ENOMEM;
		bus->ranges = r;
		bus->cap = cap;
	}
	memmove(&bus->ranges[i + 1], &bus->ranges[i], (bus->n - i) * sizeof(bus->ranges[0]));
	bus->ranges[i] = (struct bus_range){base, len, opaque, read, write};
	bus->n++;
	return 0;
}

const struct bus_range *bus_find(const struct bus *bus, uint64_t addr, unsigned int size)
{
	unsigned int i = lower_bound(bus, addr);
	const struct bus_range *r;

	if (i >= bus->n)
		return NULL;
	r = &bus->ranges[i];
	if (addr < r->base || size > r->len || addr - r->base > r->len - size)
		return NULL;
	return r;
}

int bus_access(const struct bus *bus, uint64_t addr, uint8_t *data, unsigned int size, int is_write)
{
	const struct bus_range *r = bus_find(bus, addr, size);

	if (!r) {
		if (!is_write)
			memset(data, 0xff, size);
		return 0;
	}
	if (is_write) {
		if (r->write)
			r->write(r->opaque, addr - r->base, data, size);
	} else if (r->read) {
		r->read(r->opaque, addr - r->base, data, size);
	} else {
		memset(data, 0xff, size);
	}
	return 1;
}

void bus_free(struct bus *bus)
{
	free(bus->ranges);
	memset(bus, 0, sizeof(*bus));
}
