/* SPDX-License-Identifier: MIT */
/*
 * Guest memory: the one checked path from guest-physical addresses to host
 * pointers, and the accessors for ring fields that the guest shares with us.
 *
 * The VMM registers its RAM regions (below 3 GiB, and from 4 GiB up) once;
 * every guest address a device touches then goes through gm_translate(),
 * which accepts a range only when [gpa, gpa + len) lies inside one region.
 * Nothing else in virtio/ or devices/ may turn a guest address into a pointer.
 */
#ifndef MINIVMM_VIRTIO_GUEST_MEM_H
#define MINIVMM_VIRTIO_GUEST_MEM_H

#include <endian.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define GM_MAX_REGIONS 8

struct gm_region {
	uint64_t gpa;  /* guest-physical start */
	uint64_t size; /* bytes, > 0 */
	void *host;    /* host mapping of gpa */
};

struct guest_mem {
	unsigned int nr;
	struct gm_region regions[GM_MAX_REGIONS];
};

void gm_init(struct guest_mem *gm);

/*
 * Add a RAM region. Returns 0, or -EINVAL (size 0, gpa + size overflows,
 * overlaps another region, host and gpa differ in their alignment within a
 * page, so aligned guest fields would be misaligned on the host) or -ENOSPC.
 */
int gm_add_region(struct guest_mem *gm, uint64_t gpa, uint64_t size, void *host);

/*
 * Host pointer for [gpa, gpa + len), or NULL unless the whole range lies in
 * one region. len == 0 is treated as len 1: the address itself must be RAM.
 */
void *gm_translate(const struct guest_mem *gm, uint64_t gpa, uint64_t len);

/*
 * Ring fields. The guest writes them concurrently, so every access is a
 * single atomic load or store of the field's natural width (callers
 * guarantee alignment by validating ring addresses), little-endian as
 * virtio 1.x requires. Acquire/release variants carry the ordering around
 * avail.idx and used.idx (docs/design.md, "Memory ordering").
 */
static inline uint16_t gm_load16(const void *p)
{
	return le16toh(__atomic_load_n((const uint16_t *)p, __ATOMIC_RELAXED));
}

static inline uint16_t gm_load16_acquire(const void *p)
{
	return le16toh(__atomic_load_n((const uint16_t *)p, __ATOMIC_ACQUIRE));
}

static inline void gm_store16(void *p, uint16_t v)
{
	__atomic_store_n((uint16_t *)p, htole16(v), __ATOMIC_RELAXED);
}

static inline void gm_store16_release(void *p, uint16_t v)
{
	__atomic_store_n((uint16_t *)p, htole16(v), __ATOMIC_RELEASE);
}

static inline uint32_t gm_load32(const void *p)
{
	return le32toh(__atomic_load_n((const uint32_t *)p, __ATOMIC_RELAXED));
}

static inline void gm_store32(void *p, uint32_t v)
{
	__atomic_store_n((uint32_t *)p, htole32(v), __ATOMIC_RELAXED);
}

/*
 * Snapshot a guest structure (a descriptor) once. The guest may change it
 * while we copy; we only ever use the copy, so a torn read yields a
 * descriptor that is validated like any other, never a double fetch.
 */
static inline void gm_snapshot(void *dst, const void *src, size_t n)
{
	memcpy(dst, src, n);
}

/* Store-load ordering between publishing used.idx and reading the event index. */
static inline void gm_fence_full(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

#endif
