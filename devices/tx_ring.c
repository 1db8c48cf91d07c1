// SPDX-License-Identifier: MIT
#include "devices/tx_ring.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

int tx_ring_init(struct tx_ring *r, size_t size)
{
	if (!size || (size & (size - 1)))
		return -EINVAL;
	r->buf = malloc(size);
	if (!r->buf)
		return -ENOMEM;
	r->size = size;
	atomic_init(&r->head, 0);
	atomic_init(&r->tail, 0);
	atomic_init(&r->dropped, 0);
	atomic_init(&r->sleeping, 0);
	r->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (r->wake_fd < 0) {
		int rc = -errno;

		free(r->buf);
		r->buf = NULL;
		return rc;
	}
	return 0;
}

void tx_ring_free(struct tx_ring *r)
{
	free(r->buf);
	r->buf = NULL;
	if (r->wake_fd >= 0)
		close(r->wake_fd);
	r->wake_fd = -1;
}

void tx_ring_wake(struct tx_ring *r)
{
	eventfd_write(r->wake_fd, 1);
}

void tx_ring_put(struct tx_ring *r, uint8_t c)
{
	uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);

	if (head - atomic_load_explicit(&r->tail, memory_order_acquire) >= r->size) {
		atomic_fetch_add_explicit(&r->dropped, 1, memory_order_relaxed);
		return;
	}
	r->buf[head & (r->size - 1)] = c;
	/*
	 * seq_cst, paired with tx_ring_sleep(): either the consumer sees this
	 * byte before it sleeps, or this thread sees it asleep and wakes it.
	 */
	atomic_store(&r->head, head + 1);
	if (atomic_load(&r->sleeping) && atomic_exchange(&r->sleeping, 0))
		tx_ring_wake(r);
}

size_t tx_ring_peek(struct tx_ring *r, const uint8_t **p)
{
	uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	uint64_t n = atomic_load_explicit(&r->head, memory_order_acquire) - tail;
	size_t off = (size_t)(tail & (r->size - 1));

	*p = r->buf + off;
	return n < r->size - off ? (size_t)n : r->size - off;
}

void tx_ring_consume(struct tx_ring *r, size_t n)
{
	atomic_fetch_add_explicit(&r->tail, n, memory_order_release);
}

void tx_ring_discard(struct tx_ring *r)
{
	uint64_t head = atomic_load_explicit(&r->head, memory_order_acquire);
	uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);

	atomic_fetch_add_explicit(&r->dropped, head - tail, memory_order_relaxed);
	atomic_store_explicit(&r->tail, head, memory_order_release);
}

bool tx_ring_sleep(struct tx_ring *r)
{
	atomic_store(&r->sleeping, 1);
	if (atomic_load(&r->head) != atomic_load_explicit(&r->tail, memory_order_relaxed)) {
		atomic_store(&r->sleeping, 0);
		return false;
	}
	return true;
}

void tx_ring_awake(struct tx_ring *r)
{
	eventfd_t v;

	atomic_store(&r->sleeping, 0);
	(void)eventfd_read(r->wake_fd, &v);
}
