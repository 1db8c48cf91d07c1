// SPDX-License-Identifier: MIT
#include "virtio/guest_mem.h"

#include <errno.h>

void gm_init(struct guest_mem *gm)
{
	memset(gm, 0, sizeof(*gm));
}

static int ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	/* Both ends are known not to overflow: compare last bytes. */
	return a <= b + (blen - 1) && b <= a + (alen - 1);
}

int gm_add_region(struct guest_mem *gm, uint64_t gpa, uint64_t size, void *host)
{
	unsigned int i;

	if (!size || !host || gpa + (size - 1) < gpa)
		return -EINVAL;
	if (((uintptr_t)host ^ gpa) & 4095)
		return -EINVAL;
	for (i = 0; i < gm->nr; i++) {
		const struct gm_region *r = &gm->regions[i];

		if (ranges_overlap(gpa, size, r->gpa, r->size))
			return -EINVAL;
	}
	if (gm->nr == GM_MAX_REGIONS)
		return -ENOSPC;
	gm->regions[gm->nr++] = (struct gm_region){.gpa = gpa, .size = size, .host = host};
	return 0;
}

void *gm_translate(const struct guest_mem *gm, uint64_t gpa, uint64_t len)
{
	unsigned int i;

	if (!len)
		len = 1;
	for (i = 0; i < gm->nr; i++) {
		const struct gm_region *r = &gm->regions[i];
		uint64_t off;

		if (gpa < r->gpa)
			continue;
		off = gpa - r->gpa;
		/* off < size and len <= size - off, written so nothing can overflow. */
		if (off >= r->size || len > r->size - off)
			continue;
		return (uint8_t *)r->host + off;
	}
	return NULL;
}
