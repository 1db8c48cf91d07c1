// SPDX-License-Identifier: MIT
#include "devices/virtio_blk.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/le.h"
#include "devices/blk_engine.h"
#include "devices/dev_stats.h"
#include "devices/virtio_dev.h"
#include "virtio/vring.h"

#define VIRTIO_BLK_F_SIZE_MAX	  1
#define VIRTIO_BLK_F_SEG_MAX	  2
#define VIRTIO_BLK_F_RO		  5
#define VIRTIO_BLK_F_BLK_SIZE	  6
#define VIRTIO_BLK_F_FLUSH	  9
#define VIRTIO_BLK_F_DISCARD	  13
#define VIRTIO_BLK_F_WRITE_ZEROES 14

#define BLK_CONFIG_SIZE 60
#define IOV_CAP		(VBLK_SEG_MAX + 2)
/* Payload segments kept in the slot itself: Linux's 4 KiB request is a
 * header, one page and a status byte, and the page cache's 8-32 KiB ones
 * rarely reach more. Longer chains use the slot's row of long_iov. */
#define SLOT_IOV 8
/* The largest batch blk_poll() waits for. */
#define BLK_POLL_BATCH_MAX 32

/* Request tags (blk_engine.h): a slot index, or this. */
#define TAG_MERGE	   (1ULL << 59) /* | merge record index */
#define MERGE_IOV	   256		/* segments of one merged read or write */
#define MERGE_BYTES	   (1u << 24)	/* and its bytes */
#define MERGE_BYTES_DIRECT (1u << 19)	/* with O_DIRECT (queue_rw) */
#define MERGE_RECORDS	   32

/* Adjacent reads (or writes) popped together go out as one readv (writev). */
struct merge {
	struct iovec iov[MERGE_IOV];
	uint16_t member[MERGE_IOV]; /* slot indices, in sector order */
	unsigned int n;
	uint64_t bytes;
	bool busy;
};

struct slot {
	struct vq_ticket t;
	struct blk_req req;
	struct iovec iov[SLOT_IOV]; /* req.data, when the chain fits */
	bool busy;
};

struct vblk {
	struct virtio_dev vdev; /* first: the shell's callbacks get &vdev */
	struct virtqueue *vq;	/* vdev's one queue */
	uint64_t capacity;
	int fd;
	bool read_only;
	bool direct;
	char serial[VIRTIO_BLK_ID_BYTES + 1]; /* GET_ID sends up to 20 bytes, no NUL */

	/* Device thread only. */
	unsigned int parse_flags; /* BLK_REQ_*: read-only, and what was negotiated */
	struct slot *slots;
	/* IOV_CAP payload segments per slot for the chains that do not fit in
	 * slot.iov. Only the rows long chains use become resident, so a queue
	 * full of short requests costs 256 small slots, not 1 MiB. */
	struct iovec *long_iov;
	struct iovec chain_iov[IOV_CAP]; /* the chain being parsed */
	uint16_t *free_slots;
	unsigned int nfree, inflight;
	unsigned int slow_inflight; /* flushes, discards, write-zeroes among inflight */
	unsigned int last_popped;   /* requests per wake-up: 1 when latency-bound */
	/* Reads or writes popped in this pass and not submitted yet: a run of
	 * adjacent ones of one type goes out as one merged request. */
	uint16_t run[MERGE_IOV];
	unsigned int run_len, run_segs;
	uint64_t run_bytes;
	struct merge *merges;
	struct blk_engine *eng; /* does the I/O (devices/blk_engine.h) */

	struct vblk_stats st; /* devices/dev_stats.h */
};

static struct vblk *to_vblk(struct virtio_dev *d)
{
	return (struct vblk *)d;
}

/* Hands the chain back to the queue layer and frees its slot. */
static void release(struct vblk *b, struct slot *s, uint32_t len)
{
	virtio_dev_complete(&b->vdev, 0, &s->t, len);
	s->busy = false;
	b->free_slots[b->nfree++] = (uint16_t)(s - b->slots);
}

static void finish(struct vblk *b, struct slot *s, uint8_t status, uint32_t payload)
{
	*s->req.status = status;
	release(b, s, status == VIRTIO_BLK_S_OK ? payload + 1 : 1);
}

static void reset_slots(struct vblk *b)
{
	b->nfree = 0;
	b->slow_inflight = 0;
	for (unsigned int i = 0; i < VBLK_QUEUE_SIZE; i++) {
		b->slots[i].busy = false;
		b->free_slots[b->nfree++] = (uint16_t)(VBLK_QUEUE_SIZE - 1 - i);
	}
}

static void count_error(struct vblk *b, int res)
{
	stat_inc(&b->st.io_errors);
	if (res == -EIO)
		stat_inc(&b->st.err_eio);
	else if (res == -ENOSPC)
		stat_inc(&b->st.err_enospc);
	else if (res >= 0)
		stat_inc(&b->st.short_io);
	else
		stat_inc(&b->st.err_other);
}

/* A read or a write: the requests that carry data and may be merged. */
static bool is_rw(const struct blk_req *r)
{
	return r->type == VIRTIO_BLK_T_IN || r->type == VIRTIO_BLK_T_OUT;
}

static void io_done(struct vblk *b, struct slot *s, int res)
{
	struct blk_req *r = &s->req;
	bool ok;

	b->inflight--;
	if (is_rw(r)) {
		ok = res >= 0 && (uint64_t)res == r->data_len;
	} else {
		b->slow_inflight--;
		ok = res >= 0;
	}
	if (!ok) {
		count_error(b, res);
		finish(b, s, VIRTIO_BLK_S_IOERR, 0);
		return;
	}
	if (r->type == VIRTIO_BLK_T_IN)
		stat_add(&b->st.bytes_read, r->data_len);
	else if (r->type == VIRTIO_BLK_T_OUT)
		stat_add(&b->st.bytes_written, r->data_len);
	finish(b, s, VIRTIO_BLK_S_OK, r->type == VIRTIO_BLK_T_IN ? (uint32_t)r->data_len : 0);
}

static void get_id(struct vblk *b, struct slot *s)
{
	uint8_t id[VIRTIO_BLK_ID_BYTES];
	uint64_t n = s->req.data_len < sizeof(id) ? s->req.data_len : sizeof(id);
	uint64_t done = 0;

	memset(id, 0, sizeof(id));
	memcpy(id, b->serial, strnlen(b->serial, sizeof(id)));
	for (uint32_t i = 0; i < s->req.n_data && done < n; i++) {
		uint64_t l = s->req.data[i].iov_len < n - done ? s->req.data[i].iov_len : n - done;

		memcpy(s->req.data[i].iov_base, id + done, l);
		done += l;
	}
	finish(b, s, VIRTIO_BLK_S_OK, (uint32_t)done);
}

/* O_DIRECT needs sector-aligned buffers; Linux's default dma_alignment of
 * 511 gives them, another guest might not. */
static bool direct_aligned(const struct blk_req *r)
{
	for (uint32_t i = 0; i < r->n_data; i++)
		if (((uintptr_t)r->data[i].iov_base | r->data[i].iov_len) & (VIRTIO_BLK_SECTOR - 1))
			return false;
	return true;
}

static void count_inflight(struct vblk *b, unsigned int n)
{
	b->inflight += n;
	stat_max(&b->st.max_inflight, b->inflight);
}

static void engine_rw(struct vblk *b, uint64_t tag, uint32_t type, const struct iovec *iov,
		      unsigned int n, uint64_t sector)
{
	if (type == VIRTIO_BLK_T_IN)
		b->eng->ops->readv(b->eng, tag, iov, n, sector * VIRTIO_BLK_SECTOR);
	else
		b->eng->ops->writev(b->eng, tag, iov, n, sector * VIRTIO_BLK_SECTOR);
}

/* One read or write on its own, tagged with its slot index. */
static void submit_rw(struct vblk *b, uint16_t idx)
{
	const struct blk_req *r = &b->slots[idx].req;

	engine_rw(b, idx, r->type, r->data, r->n_data, r->sector);
}

static struct merge *free_merge(struct vblk *b)
{
	for (unsigned int i = 0; i < MERGE_RECORDS; i++)
		if (!b->merges[i].busy)
			return &b->merges[i];
	return NULL;
}

/* Submits the run: one request as it is, several adjacent ones as one. */
static void flush_run(struct vblk *b)
{
	struct merge *m = b->run_len > 1 ? free_merge(b) : NULL;
	const struct blk_req *first;

	if (!b->run_len)
		return;
	if (!m) {
		for (unsigned int i = 0; i < b->run_len; i++)
			submit_rw(b, b->run[i]);
	} else {
		unsigned int k = 0;

		for (unsigned int i = 0; i < b->run_len; i++) {
			const struct blk_req *r = &b->slots[b->run[i]].req;

			memcpy(m->iov + k, r->data, r->n_data * sizeof(*r->data));
			k += r->n_data;
			m->member[i] = b->run[i];
		}
		m->n = b->run_len;
		m->bytes = b->run_bytes;
		m->busy = true;
		first = &b->slots[b->run[0]].req;
		engine_rw(b, TAG_MERGE | (uint64_t)(m - b->merges), first->type, m->iov, k,
			  first->sector);
		stat_inc(&b->st.merged_ios);
		stat_add(&b->st.merged_reqs, b->run_len);
	}
	count_inflight(b, b->run_len);
	b->run_len = b->run_segs = 0;
	b->run_bytes = 0;
}

/*
 * A read or write joins the run if it continues it, else the run goes
 * first. Through the page cache the host copies the data, and fewer,
 * larger requests cost it less (on tmpfs, fewer io-wq items); with
 * O_DIRECT the disk does the work, and a batch merged into one huge read
 * cannot overlap with itself there. Test guest,
 * 128 KiB sequential reads, medians of 5 interleaved runs: with O_DIRECT
 * 512 KiB merges did 14.7k/12.6k/12.5k reads/s at QD16/64/256 against
 * 12.4k/11.0k/10.6k with 16 MiB ones.
 */
static void queue_rw(struct vblk *b, struct slot *s)
{
	const struct blk_req *r = &s->req;
	uint32_t cap = b->direct ? MERGE_BYTES_DIRECT : MERGE_BYTES;

	if (b->run_len) {
		const struct blk_req *last = &b->slots[b->run[b->run_len - 1]].req;

		if (r->type != last->type ||
		    r->sector != last->sector + last->data_len / VIRTIO_BLK_SECTOR ||
		    b->run_segs + r->n_data > MERGE_IOV || b->run_bytes + r->data_len > cap)
			flush_run(b);
	}
	b->run[b->run_len++] = (uint16_t)(s - b->slots);
	b->run_segs += r->n_data;
	b->run_bytes += r->data_len;
}

/*
 * A merged request finished: each member gets its share, or the error. One
 * that ended short (a write that filled the disk's file system) did the
 * requests it covered in full: those succeeded. Each of the others goes
 * again on its own and gets its own result, the error that cut the merged
 * one short (ENOSPC) or, if space came free meanwhile, success.
 */
static void merge_done(struct vblk *b, struct merge *m, int res)
{
	uint64_t end = 0;

	m->busy = false;
	for (unsigned int i = 0; i < m->n; i++) {
		struct slot *s = &b->slots[m->member[i]];

		end += s->req.data_len;
		if (res < 0) {
			io_done(b, s, res);
		} else if (end <= (uint64_t)res) {
			io_done(b, s, (int)s->req.data_len);
		} else {
			submit_rw(b, m->member[i]);
			stat_inc(&b->st.resubmitted);
		}
	}
}

static void submit(struct vblk *b, struct slot *s)
{
	struct blk_req *r = &s->req;
	uint64_t tag = (uint64_t)(s - b->slots);
	uint64_t off = r->range_sector * VIRTIO_BLK_SECTOR;
	uint64_t len = (uint64_t)r->range_sectors * VIRTIO_BLK_SECTOR;

	switch (r->type) {
	case VIRTIO_BLK_T_IN:
		stat_inc(&b->st.reads);
		break;
	case VIRTIO_BLK_T_OUT:
		stat_inc(&b->st.writes);
		break;
	case VIRTIO_BLK_T_FLUSH:
		stat_inc(&b->st.flushes);
		break;
	case VIRTIO_BLK_T_GET_ID:
		stat_inc(&b->st.get_ids);
		break;
	case VIRTIO_BLK_T_DISCARD:
		stat_inc(&b->st.discards);
		break;
	default:
		stat_inc(&b->st.write_zeroes);
		break;
	}
	if (r->type == VIRTIO_BLK_T_GET_ID) {
		get_id(b, s);
		return;
	}
	if (is_rw(r) && r->data_len == 0) {
		finish(b, s, VIRTIO_BLK_S_OK, 0);
		return;
	}
	if (b->direct && is_rw(r) && !direct_aligned(r)) {
		stat_inc(&b->st.misaligned);
		finish(b, s, VIRTIO_BLK_S_IOERR, 0);
		return;
	}
	if (is_rw(r)) {
		queue_rw(b, s);
		return;
	}
	/* Everything before it goes out first: requests keep their order. */
	flush_run(b);
	switch (r->type) {
	case VIRTIO_BLK_T_FLUSH:
		/* Acknowledged only once fdatasync has finished (io_done). */
		b->eng->ops->flush(b->eng, tag);
		break;
	case VIRTIO_BLK_T_DISCARD:
		b->eng->ops->discard(b->eng, tag, off, len);
		break;
	default:
		b->eng->ops->write_zeroes(b->eng, tag, off, len,
					  r->range_flags & VIRTIO_BLK_WZ_F_UNMAP);
		break;
	}
	count_inflight(b, 1);
	b->slow_inflight++;
}

/*
 * Whether a pass that found new requests may leave kicks off. While requests
 * are in flight the next completion wakes this thread, and it looks at the
 * ring again then (blk_process), so a kick would only cost the guest an exit
 * for news we are about to read anyway. At worst a new request waits for the
 * first of those completions, which is why a flush, discard or write-zeroes
 * in flight (they can take far longer than a read or write) keeps kicks on.
 * The wait is never a timer: on a host that is itself a VM, arming one for
 * every wait cost 4x the IOPS at QD1.
 */
static bool may_hold_kicks(const struct vblk *b)
{
	return (b->inflight || b->run_len) && !b->slow_inflight;
}

static void process_queue(struct vblk *b)
{
	unsigned int popped = 0;
	bool hold = false;

	if (!virtio_dev_queue_live(&b->vdev, 0))
		return;
	do {
		vq_disable_notify(b->vq);
		while (b->nfree) {
			unsigned int idx = b->free_slots[b->nfree - 1];
			struct slot *s = &b->slots[idx];
			struct iovec *data = s->iov;
			uint32_t cap = SLOT_IOV;
			struct vq_chain c;
			int rc;

			vq_chain_init(&c, b->chain_iov, IOV_CAP);
			rc = vq_pop(b->vq, &c);
			if (rc == VQ_EMPTY)
				break;
			if (vq_err_is_fatal(rc)) {
				vmmio_set_needs_reset(&b->vdev.mmio);
				flush_run(b);
				return;
			}
			b->nfree--;
			popped++;
			s->busy = true;
			s->t = c.t;
			if (rc < 0) {
				/* A bad chain is answered, never dropped (docs/design.md, "In-order
				 * rules", R9). */
				stat_inc(&b->st.chain_errors);
				release(b, s, 0);
				continue;
			}
			/* The payload has no more segments than the chain. */
			if (c.n_out + c.n_in > SLOT_IOV) {
				data = &b->long_iov[idx * IOV_CAP];
				cap = IOV_CAP;
			}
			switch (blk_req_parse(&c, b->capacity, b->parse_flags, data, cap,
					      &s->req)) {
			case BLK_REQ_OK:
				submit(b, s);
				break;
			case BLK_REQ_STATUS:
				stat_inc(&b->st.rejected[s->req.reject]);
				finish(b, s, s->req.status_code, 0);
				break;
			default: /* no status byte to answer in */
				stat_inc(&b->st.rejected[s->req.reject]);
				release(b, s, 0);
				break;
			}
		}
		/* Out of slots: the next completion frees one and we come back. */
		if (!b->nfree)
			break;
		hold = popped && may_hold_kicks(b);
	} while (!hold && vq_enable_notify(b->vq));
	flush_run(b);
	if (popped)
		b->last_popped = popped;
	if (hold)
		stat_inc(&b->st.kicks_held);
}

/* ---- the shell's ops ---- */

/* A request the engine finished. */
static void request_done(void *dev, uint64_t tag, int res)
{
	struct vblk *b = dev;

	if (tag < VBLK_QUEUE_SIZE)
		io_done(b, &b->slots[tag], res);
	else if ((tag & TAG_MERGE) && (tag & ~TAG_MERGE) < MERGE_RECORDS)
		merge_done(b, &b->merges[tag & ~TAG_MERGE], res);
}

static void blk_complete(struct virtio_dev *d, uint64_t tag, int res)
{
	struct vblk *b = to_vblk(d);

	b->eng->ops->event(b->eng, tag, res, request_done, b);
}

static void blk_prepare(struct virtio_dev *d)
{
	struct vblk *b = to_vblk(d);

	b->eng->ops->prepare(b->eng);
}

/* On the owner's thread: the engine's workers run the device's helper prologue. */
static int blk_start(struct virtio_dev *d)
{
	struct vblk *b = to_vblk(d);

	return b->eng->ops->start(b->eng, d->dt.helper_prologue, d->dt.prologue_arg);
}

static void blk_process(struct virtio_dev *d, unsigned int kicked, bool ctrl)
{
	struct vblk *b = to_vblk(d);

	/* After a control operation, and again when kicked or a slot came free. */
	if (ctrl)
		process_queue(b);
	if (kicked || b->nfree)
		process_queue(b);
}

static bool blk_busy(struct virtio_dev *d)
{
	return to_vblk(d)->inflight != 0;
}

/* A request that ended after a reset began: no used-ring write (R16). */
static void request_reaped(void *dev, uint64_t tag, int res)
{
	struct vblk *b = dev;

	(void)res;
	if (tag < VBLK_QUEUE_SIZE) {
		struct slot *s = &b->slots[tag];

		b->inflight--;
		if (!is_rw(&s->req))
			b->slow_inflight--;
		s->busy = false;
	} else if ((tag & TAG_MERGE) && (tag & ~TAG_MERGE) < MERGE_RECORDS) {
		struct merge *m = &b->merges[tag & ~TAG_MERGE];

		for (unsigned int i = 0; i < m->n; i++) {
			b->inflight--;
			b->slots[m->member[i]].busy = false;
		}
		m->busy = false;
	}
}

static void blk_reap(struct virtio_dev *d, uint64_t tag)
{
	struct vblk *b = to_vblk(d);

	b->eng->ops->event(b->eng, tag, 0, request_reaped, b);
}

/* A slot in a merged request is busy too, but the merge is what runs. */
static void blk_cancel(struct virtio_dev *d)
{
	struct vblk *b = to_vblk(d);
	bool merged[VBLK_QUEUE_SIZE] = {false};

	if (!b->inflight)
		return;
	for (unsigned int i = 0; i < MERGE_RECORDS; i++) {
		if (!b->merges[i].busy)
			continue;
		for (unsigned int k = 0; k < b->merges[i].n; k++)
			merged[b->merges[i].member[k]] = true;
		b->eng->ops->cancel(b->eng, TAG_MERGE | i);
	}
	for (unsigned int i = 0; i < VBLK_QUEUE_SIZE; i++)
		if (b->slots[i].busy && !merged[i])
			b->eng->ops->cancel(b->eng, i);
}

static void blk_reset(struct virtio_dev *d)
{
	struct vblk *b = to_vblk(d);

	b->last_popped = 0;
	reset_slots(b);
}

static void blk_driver_ok(struct virtio_dev *d, uint64_t features)
{
	struct vblk *b = to_vblk(d);

	b->parse_flags = (b->read_only ? BLK_REQ_RO : 0) |
			 ((features >> VIRTIO_BLK_F_DISCARD) & 1 ? BLK_REQ_DISCARD : 0) |
			 ((features >> VIRTIO_BLK_F_WRITE_ZEROES) & 1 ? BLK_REQ_WRITE_ZEROES : 0);
}

/*
 * When nothing is in flight the next event can only be the guest's next
 * request or batch: poll the avail ring for it with kicks off, which spares
 * the guest an exit and us a wake-up per batch. The poll waits for as many
 * requests as the last wake-up found (dev_thread_poll_ring), so a batch the
 * guest is still writing is not split. Measured with the test guest (4 KiB
 * random reads, medians of 4 interleaved runs): QD1 from 46k to 104k IOPS on
 * tmpfs when this polled only for single requests; polling for batches too
 * took QD16 from 239k to 766k IOPS through the page cache and from 184k to
 * 251k on tmpfs. Batches larger than BLK_POLL_BATCH_MAX are polled for
 * only when the backend finished the last one inline (dev_thread_inline):
 * where it goes through io-wq (tmpfs, buffered writes) the workers need the
 * CPU a poll would take, and polling cost a third at QD256 on tmpfs; where
 * it does not (cached reads) polling took QD64 from 455k to 690k IOPS and
 * QD256 from 578k to 662k (medians of 5 interleaved runs). True if
 * requests were found (and handled).
 */
static bool blk_poll(struct virtio_dev *d)
{
	struct vblk *b = to_vblk(d);

	if (!virtio_dev_queue_live(d, 0) || b->inflight || !b->nfree ||
	    (b->last_popped > BLK_POLL_BATCH_MAX && !b->eng->ops->finished_inline(b->eng)) ||
	    !virtio_dev_poll_ring(d, 0, b->last_popped))
		return false;
	process_queue(b);
	return true;
}

static void blk_print_stats(struct virtio_dev *d, const char *name, FILE *f)
{
	const struct vblk_stats *st = &to_vblk(d)->st;
	uint64_t rejected = 0;

	for (int i = 0; i < BLK_REJ_COUNT; i++)
		rejected += stat_get(&st->rejected[i]);
	fprintf(f,
		"%s: virtio-blk in_order=%s reads=%" PRIu64 " writes=%" PRIu64 " flushes=%" PRIu64
		" read_bytes=%" PRIu64 " written_bytes=%" PRIu64 " io_errors=%" PRIu64
		" (eio=%" PRIu64 " enospc=%" PRIu64 ") rejected=%" PRIu64 " chain_errors=%" PRIu64
		" misaligned=%" PRIu64 " max_inflight=%" PRIu64 " poll_hits=%" PRIu64
		" merged=%" PRIu64 "/%" PRIu64 " resubmitted=%" PRIu64 " kicks_held=%" PRIu64
		" engine=%s\n",
		name, virtio_dev_negotiated(d, VIRTIO_F_IN_ORDER) ? "negotiated" : "off",
		stat_get(&st->reads), stat_get(&st->writes), stat_get(&st->flushes),
		stat_get(&st->bytes_read), stat_get(&st->bytes_written), stat_get(&st->io_errors),
		stat_get(&st->err_eio), stat_get(&st->err_enospc), rejected,
		stat_get(&st->chain_errors), stat_get(&st->misaligned), stat_get(&st->max_inflight),
		stat_get(&d->dt.poll_hits), stat_get(&st->merged_reqs), stat_get(&st->merged_ios),
		stat_get(&st->resubmitted), stat_get(&st->kicks_held), to_vblk(d)->eng->ops->name);
}

static void blk_counters(struct virtio_dev *d, struct dev_counters *c)
{
	const struct vblk_stats *st = &to_vblk(d)->st;

	*c = (struct dev_counters){
		.in_order = virtio_dev_negotiated(d, VIRTIO_F_IN_ORDER),
		.reads = stat_get(&st->reads),
		.writes = stat_get(&st->writes),
		.flushes = stat_get(&st->flushes),
		.discards = stat_get(&st->discards),
		.write_zeroes = stat_get(&st->write_zeroes),
		.get_ids = stat_get(&st->get_ids),
		.read_bytes = stat_get(&st->bytes_read),
		.written_bytes = stat_get(&st->bytes_written),
		.io_errors = stat_get(&st->io_errors),
		.err_eio = stat_get(&st->err_eio),
		.err_enospc = stat_get(&st->err_enospc),
		.err_other = stat_get(&st->err_other),
		.err_short = stat_get(&st->short_io),
		.misaligned = stat_get(&st->misaligned),
		.chain_errors = stat_get(&st->chain_errors),
		.max_inflight = stat_get(&st->max_inflight),
		.poll_hits = stat_get(&d->dt.poll_hits),
		.merged_reqs = stat_get(&st->merged_reqs),
		.merged_ios = stat_get(&st->merged_ios),
	};
	for (int i = 0; i < BLK_REJ_COUNT; i++)
		c->rejected += stat_get(&st->rejected[i]);
}

static void blk_destroy(struct virtio_dev *d)
{
	struct vblk *b = to_vblk(d);

	b->eng->ops->destroy(b->eng);
	close(b->fd);
	free(b->slots);
	free(b->long_iov);
	free(b->free_slots);
	free(b->merges);
	free(b);
}

/* The ring's opcodes are the engine's (virtio_dev_params.uring_ops). */
static const struct virtio_dev_ops blk_ops = {
	.name = "virtio-blk",
	.device_id = VIRTIO_ID_BLOCK,
	.start = blk_start,
	.prepare = blk_prepare,
	.poll = blk_poll,
	.complete = blk_complete,
	.process = blk_process,
	.cancel = blk_cancel,
	.busy = blk_busy,
	.reap = blk_reap,
	.reset = blk_reset,
	.driver_ok = blk_driver_ok,
	.print_stats = blk_print_stats,
	.counters = blk_counters,
	.destroy = blk_destroy,
};

/* ---- setup ---- */

static int open_image(const struct vblk_options *o, struct vblk *b, char *err, size_t err_len)
{
	struct stat st;
	int flags = (o->read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC | (o->direct ? O_DIRECT : 0);
	int e;

	b->fd = open(o->path, flags);
	if (b->fd < 0) {
		e = errno;
		snprintf(err, err_len, "cannot open disk '%s': %s", o->path, strerror(e));
		return -e;
	}
	if (fstat(b->fd, &st) < 0 || !(S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))) {
		snprintf(err, err_len, "disk '%s' is not a regular file or block device", o->path);
		return -EINVAL;
	}
	if (flock(b->fd, (o->read_only ? LOCK_SH : LOCK_EX) | LOCK_NB) < 0) {
		e = errno;
		snprintf(err, err_len, "disk '%s' is in use by another process (%s)", o->path,
			 e == EWOULDBLOCK ? "locked" : strerror(e));
		return -EBUSY;
	}
	if (S_ISBLK(st.st_mode)) {
		uint64_t bytes = 0;

		if (ioctl(b->fd, BLKGETSIZE64, &bytes) < 0) {
			snprintf(err, err_len, "cannot size block device '%s'", o->path);
			return -EINVAL;
		}
		b->capacity = bytes / VIRTIO_BLK_SECTOR;
	} else {
		b->capacity = (uint64_t)st.st_size / VIRTIO_BLK_SECTOR;
	}
	if (b->capacity == 0) {
		snprintf(err, err_len, "disk '%s' is smaller than one 512-byte sector", o->path);
		return -EINVAL;
	}
	return 0;
}

static void build_config(struct vblk *b)
{
	uint8_t *c = b->vdev.config;

	put_le64(c + 0, b->capacity);
	put_le32(c + 8, VBLK_SIZE_MAX);
	put_le32(c + 12, VBLK_SEG_MAX);
	put_le32(c + 20, VIRTIO_BLK_SECTOR);
	put_le16(c + 34, 1);	       /* num_queues */
	put_le32(c + 36, 0xffffffffu); /* max_discard_sectors */
	put_le32(c + 40, 1);	       /* max_discard_seg */
	put_le32(c + 44, 1);	       /* discard_sector_alignment */
	put_le32(c + 48, 0xffffffffu); /* max_write_zeroes_sectors */
	put_le32(c + 52, 1);	       /* max_write_zeroes_seg */
	c[56] = 1;		       /* write_zeroes_may_unmap */
}

static uint64_t offered_features(const struct vblk_options *o)
{
	uint64_t f = 1ULL << VIRTIO_BLK_F_SIZE_MAX | 1ULL << VIRTIO_BLK_F_SEG_MAX |
		     1ULL << VIRTIO_BLK_F_BLK_SIZE | 1ULL << VIRTIO_BLK_F_FLUSH;

	if (o->read_only)
		return f | 1ULL << VIRTIO_BLK_F_RO;
	return f | 1ULL << VIRTIO_BLK_F_DISCARD | 1ULL << VIRTIO_BLK_F_WRITE_ZEROES;
}

int vblk_create(const struct vblk_options *o, const struct virtio_dev_env *env,
		struct virtio_dev **out, char *err, size_t err_len)
{
	struct vblk *b = calloc(1, sizeof(*b));
	const char *base;
	int rc;

	*out = NULL;
	if (!b) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	b->fd = -1;
	b->vq = &b->vdev.vqs[0];
	b->read_only = o->read_only;
	b->direct = o->direct;
	rc = open_image(o, b, err, err_len);
	if (rc)
		goto fail;
	base = strrchr(o->path, '/');
	snprintf(b->serial, sizeof(b->serial), "%s",
		 o->serial ? o->serial : (base ? base + 1 : o->path));
	build_config(b);
	rc = blk_engine_create(&(struct blk_engine_params){.kind = o->engine,
							   .fd = b->fd,
							   .dt = &b->vdev.dt,
							   .max_inflight = VBLK_QUEUE_SIZE,
							   .test_hold_ms = o->test_hold_ms},
			       &b->eng);
	if (rc) {
		snprintf(err, err_len, "disk '%s': cannot set up its I/O engine: %s", o->path,
			 strerror(-rc));
		goto fail;
	}
	rc = virtio_dev_init(&b->vdev, &blk_ops, env,
			     &(struct virtio_dev_params){
				     .features = offered_features(o),
				     .in_order = o->in_order,
				     .config_len = BLK_CONFIG_SIZE,
				     .nqueues = 1,
				     .queue_size = VBLK_QUEUE_SIZE,
				     /* Every slot plus the kick, the control read and the
				      * cancels of a drain. */
				     .ring_entries = 2 * VBLK_QUEUE_SIZE + 8,
				     .poll_us = o->poll_us,
				     .uring_ops = b->eng->uring_ops,
				     .n_uring_ops = b->eng->n_uring_ops,
				     .files = &b->eng->ring_file,
				     .nfiles = 1,
			     },
			     err, err_len);
	if (rc)
		goto fail;
	/*
	 * No ring on this host (the thread waits on ppoll): the ring's engine
	 * has nowhere to go, the threads engine needs only its eventfd, which
	 * the poll loop waits on as it would on the ring. The caller learns
	 * it from the device's uring_unavailable counter.
	 */
	if (dev_thread_ring_errno(&b->vdev.dt) && o->engine == BLK_ENGINE_URING) {
		b->eng->ops->destroy(b->eng);
		b->eng = NULL;
		rc = blk_engine_create(&(struct blk_engine_params){.kind = BLK_ENGINE_THREADS,
								   .fd = b->fd,
								   .dt = &b->vdev.dt,
								   .max_inflight = VBLK_QUEUE_SIZE,
								   .test_hold_ms = o->test_hold_ms},
				       &b->eng);
		if (rc) {
			snprintf(err, err_len, "disk '%s': cannot set up its I/O engine: %s",
				 o->path, strerror(-rc));
			goto fail;
		}
	}
	b->slots = calloc(VBLK_QUEUE_SIZE, sizeof(*b->slots));
	b->long_iov = calloc((size_t)VBLK_QUEUE_SIZE * IOV_CAP, sizeof(*b->long_iov));
	b->free_slots = calloc(VBLK_QUEUE_SIZE, sizeof(*b->free_slots));
	b->merges = calloc(MERGE_RECORDS, sizeof(*b->merges));
	if (!b->slots || !b->long_iov || !b->free_slots || !b->merges) {
		snprintf(err, err_len, "out of memory or eventfds");
		rc = -ENOMEM;
		goto fail;
	}
	reset_slots(b);
	*out = &b->vdev;
	return 0;
fail:
	virtio_dev_fini(&b->vdev);
	if (b->eng)
		b->eng->ops->destroy(b->eng);
	if (b->fd >= 0)
		close(b->fd);
	free(b->slots);
	free(b->long_iov);
	free(b->free_slots);
	free(b->merges);
	free(b);
	return rc < 0 ? rc : -EINVAL;
}
