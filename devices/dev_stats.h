/* SPDX-License-Identifier: MIT */
/*
 * Device counters: each is written by one thread only (the device's) and
 * read by any (minivmm_print_stats). A relaxed atomic store by the one
 * writer and a relaxed atomic load by readers is all that needs: no lock on
 * the request path, and a reader never sees a torn value. Counters of one
 * line are not a consistent snapshot of each other, which no reader needs.
 */
#ifndef DEVICES_DEV_STATS_H
#define DEVICES_DEV_STATS_H

#include <stdbool.h>
#include <stdint.h>

/*
 * What a device reports for minivmm_get_stats(), read live from any thread
 * with stat_get(); vmm/ copies it into the public struct. Zero where a
 * field does not apply to the device.
 */
struct dev_counters {
	bool in_order;
	uint64_t reads, writes, flushes, discards, write_zeroes, get_ids;
	uint64_t rx_packets, tx_packets;
	uint64_t read_bytes, written_bytes;
	uint64_t err_eio, err_enospc, err_other, err_short, io_errors;
	uint64_t rejected, misaligned, chain_errors;
	uint64_t rx_drops, tx_drops, rx_read_errors;
	uint64_t max_inflight, poll_hits, merged_reqs, merged_ios;
};

/*
 * The same, as a device of any kind reports it: requests and errors, then
 * its own counters by name (the API's struct minivmm_device_stats), so a
 * new kind of device adds names here, never fields. Names are static
 * strings, at most DEV_COUNTER_NAME - 1 bytes.
 */
#define DEV_REPORT_MAX	 32
#define DEV_COUNTER_NAME 24
struct dev_report {
	bool in_order;
	uint64_t requests, errors;
	unsigned int n;
	struct {
		const char *name;
		uint64_t value;
	} c[DEV_REPORT_MAX];
};

/* Appends one named counter (dropped when r is full). */
void dev_report_add(struct dev_report *r, const char *name, uint64_t value);

/* A device that fills struct dev_counters, as a report: the counters under their field names. */
void dev_report_from_counters(struct dev_report *r, const struct dev_counters *c);

/* Writer (the device thread) only. */
static inline void stat_add(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, *c + n, __ATOMIC_RELAXED);
}

static inline void stat_inc(uint64_t *c)
{
	stat_add(c, 1);
}

/* A high-water mark: keeps the largest v seen. */
static inline void stat_max(uint64_t *c, uint64_t v)
{
	if (v > *c)
		__atomic_store_n(c, v, __ATOMIC_RELAXED);
}

/* Any thread. */
static inline uint64_t stat_get(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

#endif
