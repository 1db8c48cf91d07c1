/* SPDX-License-Identifier: MIT */
/*
 * The transport-independent virtqueue: what every virtio device uses to take
 * requests from the guest and hand them back, with in-order publication.
 *
 * Life of a queue, as a device thread drives it:
 *
 *   vq_init(&vq, num_max)                 once, when the device is created
 *   transport sets vq.size, vq.desc_gpa, vq.avail_gpa, vq.used_gpa
 *   vq_enable(&vq, gm, features)          QueueReady = 1 (features as latched
 *                                         at FEATURES_OK); validates the ring
 *                                         and allocates everything it needs
 *   loop:
 *     vq_disable_notify(&vq);
 *     do {
 *       while ((r = vq_pop(&vq, &chain)) != VQ_EMPTY) {
 *         if (vq_err_is_fatal(r)) -> set DEVICE_NEEDS_RESET, stop the queue
 *         else if (r < 0) -> complete it at once: vq_complete(t, 0) or an
 *                            error status where the device has one
 *         else submit chain.iov[0..n_out) / chain.iov[n_out..n_out+n_in)
 *              to io_uring, keeping chain.t (the ticket) with the request
 *       }
 *     } while (vq_enable_notify(&vq));
 *     for each finished request (any order): vq_complete(&vq, &t, len);
 *     if (vq_flush(&vq)) -> raise the interrupt
 *   vq_reset(&vq)                          queue or device reset; tickets of
 *                                          the old generation are dropped
 *   vq_destroy(&vq)
 *
 * Rule numbers (R4, R9, ...) in comments here and in devices/ are those of
 * docs/design.md, "In-order rules".
 *
 * A popped chain must be completed exactly once (R9) or, while it is still
 * the newest and unsubmitted, given back with vq_unpop() (R8). A chain that
 * is never completed is a hole: with VIRTIO_F_IN_ORDER every later
 * completion waits behind it.
 *
 * One thread owns a queue; nothing here locks. The ring format (split, or
 * packed when VIRTIO_F_RING_PACKED was negotiated) sits behind struct vq_ops;
 * devices and the publisher do not see which one a queue uses.
 */
#ifndef MINIVMM_VIRTIO_VIRTQUEUE_H
#define MINIVMM_VIRTIO_VIRTQUEUE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "virtio/guest_mem.h"
#include "virtio/seq_heap.h"
#include "virtio/vring.h"

/*
 * Results. VQ_OK and VQ_EMPTY are not errors. Chain errors (-1 .. -19) mean
 * the chain was consumed and carries a valid ticket: the device must still
 * complete it (len 0 or an error status), never drop it. Ring errors
 * (-20 .. -39) mean the driver broke the ring: nothing was consumed, the
 * queue is marked broken and the device should set DEVICE_NEEDS_RESET.
 * The rest are configuration or completion errors of the caller.
 */
enum vq_result {
	VQ_OK = 0,
	VQ_EMPTY = 1, /* nothing available */

	/* chain errors: consumed, complete it */
	VQ_E_NEXT_RANGE = -1,	    /* next >= size, or >= entries of the indirect table */
	VQ_E_CHAIN_LOOP = -2,	    /* more descriptors than the queue size: a loop */
	VQ_E_INDIRECT_NESTED = -3,  /* INDIRECT inside an indirect table */
	VQ_E_INDIRECT_LEN = -4,	    /* table length 0, not a multiple of 16, or > size entries */
	VQ_E_INDIRECT_FEATURE = -5, /* INDIRECT without VIRTIO_RING_F_INDIRECT_DESC */
	VQ_E_INDIRECT_CHAINED = -6, /* INDIRECT with NEXT, or not the chain's only descriptor */
	VQ_E_ORDER = -7,	    /* device-readable descriptor after a writable one */
	VQ_E_TOO_LONG = -8,	    /* total length >= 4 GiB */
	VQ_E_BAD_ADDR = -9,	    /* buffer or table not inside one RAM region */
	VQ_E_TOO_MANY_SEGS = -10,   /* more segments than the caller's iovec array holds */

	/* ring errors: nothing consumed, queue broken, device needs reset */
	VQ_E_AVAIL_IDX = -20,  /* avail.idx more than size ahead of last_avail */
	VQ_E_HEAD_RANGE = -21, /* avail ring entry >= size */
	VQ_E_HEAD_BUSY = -22,  /* head already in flight (also: more than size outstanding) */
	VQ_E_BROKEN = -23,     /* queue broken earlier, or not ready */
	VQ_E_CHAIN_RING =
		-24, /* packed: a chain runs into a slot not made available, or past size */

	/* configuration: vq_enable() refused */
	VQ_E_SIZE = -40,      /* size 0, not a power of two, or > num_max */
	VQ_E_ALIGN = -41,     /* desc not 16-, avail not 2-, used not 4-aligned (packed: 16/4/4) */
	VQ_E_RING_ADDR = -42, /* a ring area not inside one RAM region */
	VQ_E_NOMEM = -43,
	VQ_E_FEATURE = -44, /* ring format not supported */
	VQ_E_STATE = -45,   /* already enabled */

	/* completion: nothing published */
	VQ_E_STALE = -60,   /* ticket from before a reset: dropped (counted) */
	VQ_E_BAD_SEQ = -61, /* ticket not in flight (double completion, bogus) */
	VQ_E_BAD_LEN = -62, /* len larger than the chain's writable length */
};

static inline bool vq_err_is_chain(int r)
{
	return r <= -1 && r >= -19;
}

static inline bool vq_err_is_fatal(int r)
{
	return r <= -20 && r >= -39;
}

/* What a device keeps of a popped chain to complete it later. */
struct vq_ticket {
	uint64_t seq;  /* per-queue sequence number, in avail order (R4) */
	uint32_t gen;  /* queue generation at pop; a reset makes it stale */
	uint16_t head; /* split: head descriptor index; packed: buffer id (both: the used id) */
};

/*
 * A popped descriptor chain. The caller provides the iovec storage; a chain
 * has at most size descriptors, or one indirect descriptor whose table holds
 * at most size, so iov_cap = size never runs short (a smaller cap yields
 * VQ_E_TOO_MANY_SEGS for longer chains). Zero-length descriptors produce no
 * segment. On a chain error the segments parsed so far are valid but the
 * list is incomplete.
 */
struct vq_chain {
	struct vq_ticket t;
	struct iovec *iov; /* readable segments, then writable ones */
	uint32_t iov_cap;
	uint32_t n_out;	  /* device-readable: iov[0 .. n_out) */
	uint32_t n_in;	  /* device-writable: iov[n_out .. n_out + n_in) */
	uint32_t out_len; /* readable bytes */
	uint32_t in_len;  /* writable bytes: what a skipped in-order buffer is credited */
	uint16_t ndesc;	  /* ring slots the chain occupies (packed; 1 for indirect) */
	bool indirect;
};

static inline void vq_chain_init(struct vq_chain *c, struct iovec *iov, uint32_t cap)
{
	c->iov = iov;
	c->iov_cap = cap;
	c->n_out = c->n_in = 0;
}

static inline struct iovec *vq_chain_in(const struct vq_chain *c)
{
	return c->iov + c->n_out;
}

enum { VQ_BATCH_HIST = 10 }; /* runs of 1, 2, 3-4, 5-8, ..., 129-256, >256 */

/*
 * The queue's own thread (the device's) is the only writer of its counters;
 * any thread may read them while it runs (minivmm_get_stats). A relaxed
 * atomic store by the writer and a relaxed load by readers, as
 * devices/dev_stats.h does: no torn values, no lock.
 */
#define VQ_STAT_ADD(field, n) __atomic_store_n(&(field), (field) + (n), __ATOMIC_RELAXED)
#define VQ_STAT_GET(field)    __atomic_load_n(&(field), __ATOMIC_RELAXED)

struct vq_stats {
	uint64_t popped; /* chains handed out (chain errors included) */
	uint64_t chain_errors;
	uint64_t unpopped;
	uint64_t completed;
	uint64_t published;    /* buffers made visible to the driver */
	uint64_t waited;       /* completions that had to wait in the heap */
	uint32_t heap_hwm;     /* heap high-water mark (<= size - 1) */
	uint64_t stale;	       /* completions dropped after a reset */
	uint64_t used_entries; /* used-ring entries written */
	uint64_t batches;      /* IN_ORDER runs written as one entry (runs of 1 included) */
	uint64_t batch_bufs;   /* buffers those runs stood for */
	uint64_t batch_hist[VQ_BATCH_HIST];
	uint64_t idx_stores; /* used.idx stores: one per flush that published */
	uint64_t notifies;   /* flushes that asked for an interrupt */
	uint64_t used_lines; /* used-ring cache lines written, summed over flushes */
};

struct virtqueue;

/*
 * Ring-format operations (split_ring.c, packed_ring.c). The format owns the
 * ring memory and its cursors; virtqueue.c owns sequence numbers, the
 * in-flight table, the reorder heap and batching.
 */
struct vq_ops {
	int (*enable)(struct virtqueue *vq);
	/* Parse the next available chain into c (not its ticket's seq/gen). */
	int (*pop)(struct virtqueue *vq, struct vq_chain *c);
	/* Give back the n newest popped chains. */
	void (*unpop)(struct virtqueue *vq, uint16_t n);
	/* One used entry at the device cursor standing for nbufs buffers. */
	void (*write_used)(struct virtqueue *vq, uint16_t id, uint32_t len, uint16_t nbufs);
	/* Make written entries visible; true if the driver wants an interrupt. */
	bool (*flush)(struct virtqueue *vq);
	void (*set_notify)(struct virtqueue *vq, bool enable);
	/* No kicks at all, not even for the next buffer, until set_notify(true). */
	void (*quiet)(struct virtqueue *vq);
	uint16_t (*avail_count)(struct virtqueue *vq);
};

/* A popped chain until it is published, indexed by head (unique in flight). */
struct vq_inflight {
	uint64_t seq;
	uint32_t in_len;
	uint32_t len;	/* bytes written, once done: what the heap's key stands for */
	uint8_t state;	/* enum in virtqueue.c */
	bool skippable; /* parsed cleanly: the driver knows its writable length */
};

/* A run of published buffers that will become one used entry. */
struct vq_run {
	uint32_t nbufs; /* 0: no run open */
	uint32_t len;	/* the last buffer's */
	uint16_t head;	/* the last buffer's */
	bool last_full; /* the last buffer wrote its whole writable length */
};

struct vq_split {
	uint8_t *desc; /* host pointers, validated at enable */
	uint8_t *avail;
	uint8_t *used;
	uint16_t last_avail;	 /* next avail slot to pop */
	uint16_t given_back;	 /* slots from last_avail on that were popped, then unpopped */
	uint16_t avail_shadow;	 /* avail.idx as last read */
	uint16_t used_idx;	 /* device cursor: entries written, published or not */
	uint16_t used_published; /* last value stored to used.idx */
	uint16_t signalled_used; /* used.idx at the last notification decision */
	bool signalled_used_valid;
	bool notify_enabled;
	bool idx_line_written;
	uint64_t last_line;
};

/*
 * Packed-ring state. Positions are free-running 16-bit slot counters: slot =
 * pos & mask, and since 2 * size divides 65536, pos & size is the lap's
 * parity, so the wrap counter of the lap pos is in is !(pos & size).
 */
struct vq_packed {
	uint8_t *desc;		 /* host pointers, validated at enable */
	uint8_t *driver;	 /* driver event suppression: read */
	uint8_t *device;	 /* device event suppression: written */
	uint16_t next_avail;	 /* position of the next chain to pop */
	uint16_t seen;		 /* furthest position popped: the first slot not looked at */
	uint16_t next_used;	 /* device cursor: where the next used descriptor goes */
	uint16_t signalled_used; /* next_used at the last interrupt decision */
	uint16_t npopped;	 /* chains popped (mod 2^16), for the pop-order arrays */
	uint16_t nwritten;	 /* of those, covered by used descriptors (IN_ORDER) */
	uint16_t npending;	 /* used descriptors written, flags not yet stored */
	bool signalled_used_valid;
	bool notify_enabled;
	uint64_t last_line;
	/* One allocation (mem), size entries each: */
	uint16_t *mem;
	uint16_t *id_ndesc;  /* slots of the chain behind each buffer id in flight */
	uint16_t *pop_pos;   /* start position of each chain, by pop order % size */
	uint16_t *pop_ndesc; /* its slots, by pop order % size: what a batch skips */
	uint16_t *pend_pos;  /* positions of the used descriptors awaiting flush */
	uint16_t *pend_flags;
};

struct virtqueue {
	/* Set by the transport; read by vq_enable(). */
	uint16_t num_max;   /* QueueNumMax */
	uint16_t size;	    /* QueueNum */
	uint64_t desc_gpa;  /* packed: the descriptor ring */
	uint64_t avail_gpa; /* "driver area"; packed: driver event suppression */
	uint64_t used_gpa;  /* "device area"; packed: device event suppression */

	/* Everything below is private to virtio/; read it, don't write it. */
	const struct vq_ops *ops;
	const struct guest_mem *gm;
	uint64_t features;
	bool ready;
	bool broken;
	bool event_idx;
	bool indirect;
	bool in_order;
	bool batching; /* skip buffers under IN_ORDER (R13); on, tests switch it off */
	uint16_t mask;
	uint32_t gen;

	uint64_t next_seq;	      /* assigned at the next pop */
	uint64_t next_publish;	      /* IN_ORDER: the seq that may be published next */
	struct vq_inflight *inflight; /* size entries, indexed by head */
	uint16_t *seq_head;	      /* head of seq s at [s % size], for vq_unpop() */
	struct seq_heap heap;

	struct vq_run run; /* IN_ORDER: buffers published but not yet written */

	union {
		struct vq_split split;
		struct vq_packed packed;
	};
	/*
	 * Last, and outside what vq_reset() clears: the counters add up over
	 * the device's life, and other threads read them while a reset runs.
	 */
	struct vq_stats stats;
};

/* Zero the queue; num_max is QueueNumMax (1 .. 32768). */
void vq_init(struct virtqueue *vq, uint16_t num_max);
/* Free what vq_enable() allocated. */
void vq_destroy(struct virtqueue *vq);

/*
 * QueueReady = 1. features are the negotiated ones (EVENT_IDX,
 * INDIRECT_DESC, IN_ORDER and RING_PACKED are honoured; RING_PACKED picks
 * the packed format). Validates size (power of two <= num_max), alignment
 * (split 16/2/4, packed 16/4/4) and that each ring area lies inside one RAM
 * region; allocates the in-flight table and
 * the heap (the hot path never allocates). gm must outlive the queue.
 */
int vq_enable(struct virtqueue *vq, const struct guest_mem *gm, uint64_t features);

/*
 * Queue or device reset: back to the state after vq_init() (size and
 * addresses cleared, memory freed), with the generation bumped so that
 * tickets popped before are dropped by vq_complete(). Stats are kept and
 * never written here, so a reader on another thread sees them go on.
 */
void vq_reset(struct virtqueue *vq);

/*
 * Pop the next available chain into c (iov/iov_cap set by the caller). Returns
 * VQ_OK, VQ_EMPTY, a chain error (consumed: complete it) or a ring error
 * (nothing consumed, queue broken). Bounded: reads at most size descriptors
 * plus at most size indirect entries.
 */
int vq_pop(struct virtqueue *vq, struct vq_chain *c);

/*
 * Give back the n newest popped chains that were not completed (e.g. an RX
 * packet needed more buffers than the guest has posted). last_avail and the
 * sequence counter rewind together, so the next pops return the same heads
 * with the same seqs. The queue remembers how far it has looked, though:
 * vq_enable_notify() and vq_avail_count() report only buffers beyond
 * that, and a kick is asked for the first of those, so a device that waits
 * for more buffers waits for the driver, not in a loop over the same ones.
 * Returns VQ_OK, or VQ_E_BAD_SEQ (nothing changed) if any of them was
 * completed or is not among the newest n.
 */
int vq_unpop(struct virtqueue *vq, uint16_t n);

/*
 * The device finished the chain behind t, having written len bytes into its
 * writable segments. Any order. Without IN_ORDER the used entry is written at
 * once; with it, the completion waits in the heap until everything popped
 * before it is complete, then a contiguous run goes out. Nothing is visible
 * to the driver until vq_flush(). Returns VQ_OK, VQ_E_STALE, VQ_E_BAD_SEQ or
 * VQ_E_BAD_LEN (the last two publish nothing and leave the chain in flight).
 */
int vq_complete(struct virtqueue *vq, const struct vq_ticket *t, uint32_t len);

/*
 * Publish everything completed since the last flush with a single used.idx
 * store (release before it), then decide once whether to interrupt:
 * EVENT_IDX vring_need_event() over the whole published range, else the
 * avail NO_INTERRUPT flag. Returns true if the driver should be interrupted.
 * Call it once per batch of completions (e.g. per io_uring CQE batch).
 */
bool vq_flush(struct virtqueue *vq);

/* Driver-notification suppression: stop asking for kicks while busy. */
void vq_disable_notify(struct virtqueue *vq);
/*
 * Ask for kicks again (EVENT_IDX: avail_event = the first slot not looked
 * at yet; else clear NO_NOTIFY), then re-check with a full barrier. Returns
 * true if buffers the device has not looked at arrived meanwhile: keep
 * popping. Buffers given back with vq_unpop() do not count.
 */
bool vq_enable_notify(struct virtqueue *vq);

/*
 * While the device busy-polls the ring: no kicks at all (EVENT_IDX:
 * avail_event one behind last_avail, a value the driver has passed, so
 * vring_need_event() stays false). End it with vq_enable_notify(), whose
 * re-check catches a buffer made available meanwhile.
 */
void vq_quiet(struct virtqueue *vq);
/* How many buffers (avail ring entries) the driver has made available that
 * the device has not looked at; 0 on a queue not ready or broken. */
unsigned int vq_avail_count(struct virtqueue *vq);

#endif
