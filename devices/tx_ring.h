/* SPDX-License-Identifier: MIT */
/*
 * A bounded byte ring between a device that must never block (the UART's
 * transmitter, on a vCPU thread) and one thread that writes the bytes out
 * (the console output thread), which may block as long as it likes. A full
 * ring drops the byte and counts it.
 *
 * One producer at a time (the UART's callers hold its lock) and one
 * consumer; neither takes a lock. head and tail only grow: head - tail is
 * what is queued. The consumer sleeps on wake_fd (an eventfd) only after
 * saying so in sleeping and seeing the ring still empty; the producer
 * writes wake_fd only when it finds sleeping set, so a busy consumer costs
 * the producer no system call.
 */
#ifndef DEVICES_TX_RING_H
#define DEVICES_TX_RING_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tx_ring {
	uint8_t *buf;
	size_t size; /* a power of two */
	atomic_uint_fast64_t head, tail;
	atomic_uint_fast64_t dropped; /* bytes never written out: ring full, or given up */
	atomic_int sleeping;
	int wake_fd;
};

/* size: a power of two. 0 or a negative errno. */
int tx_ring_init(struct tx_ring *r, size_t size);
void tx_ring_free(struct tx_ring *r);

/* Producer: queues c, or drops and counts it when the ring is full. Never blocks. */
void tx_ring_put(struct tx_ring *r, uint8_t c);

/* Consumer: the queued bytes that lie in a row from the oldest, at *p; 0 when empty. */
size_t tx_ring_peek(struct tx_ring *r, const uint8_t **p);
/* Consumer: n bytes of what peek gave are done with. */
void tx_ring_consume(struct tx_ring *r, size_t n);
/* Consumer: everything queued is given up (counted as dropped). */
void tx_ring_discard(struct tx_ring *r);

/*
 * Consumer, before it sleeps on wake_fd: true if it may (the ring is empty
 * and the next put wakes it); false when bytes came meanwhile.
 */
bool tx_ring_sleep(struct tx_ring *r);
/* Consumer, once awake: clears sleeping and wake_fd. */
void tx_ring_awake(struct tx_ring *r);
/* Anyone: wakes the consumer (to look at something other than the ring). */
void tx_ring_wake(struct tx_ring *r);

static inline uint64_t tx_ring_dropped(const struct tx_ring *r)
{
	return atomic_load_explicit(&r->dropped, memory_order_relaxed);
}

#endif
