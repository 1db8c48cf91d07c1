// SPDX-License-Identifier: MIT
/* Device counters as named reports (devices/dev_stats.h). */
#include "devices/dev_stats.h"

#include <string.h>

void dev_report_add(struct dev_report *r, const char *name, uint64_t value)
{
	if (r->n >= DEV_REPORT_MAX)
		return;
	r->c[r->n].name = name;
	r->c[r->n].value = value;
	r->n++;
}

/*
 * Every field under its own name, in the order the JSON always had them,
 * whatever the kind: a disk's report keeps rx_packets (0), as before.
 */
void dev_report_from_counters(struct dev_report *r, const struct dev_counters *c)
{
	memset(r, 0, sizeof(*r));
	r->in_order = c->in_order;
	r->requests = c->reads + c->writes + c->flushes + c->discards + c->write_zeroes +
		      c->get_ids + c->rx_packets + c->tx_packets;
	r->errors = c->io_errors + c->rejected + c->misaligned + c->chain_errors + c->rx_drops +
		    c->tx_drops + c->rx_read_errors;
#define ADD(f) dev_report_add(r, #f, c->f)
	ADD(reads);
	ADD(writes);
	ADD(flushes);
	ADD(discards);
	ADD(write_zeroes);
	ADD(get_ids);
	ADD(rx_packets);
	ADD(tx_packets);
	ADD(read_bytes);
	ADD(written_bytes);
	ADD(err_eio);
	ADD(err_enospc);
	ADD(err_other);
	ADD(err_short);
	ADD(rejected);
	ADD(misaligned);
	ADD(rx_drops);
	ADD(tx_drops);
	ADD(rx_read_errors);
	ADD(max_inflight);
	ADD(poll_hits);
	ADD(merged_reqs);
	ADD(merged_ios);
#undef ADD
}
