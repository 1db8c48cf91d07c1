// SPDX-License-Identifier: MIT
#include "devices/virtio_rng.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "devices/dev_stats.h"
#include "devices/virtio_dev.h"

/*
 * Segments of one chain: a chain with more is a chain error the queue
 * layer answers (VQ_E_TOO_MANY_SEGS), as Linux sends one buffer per request.
 */
#define RNG_IOV 16

struct vrng {
	struct virtio_dev vdev; /* first: the shell's callbacks get &vdev */
	/* Device thread only. */
	struct iovec iov[RNG_IOV];
	/* Counters (devices/dev_stats.h): this thread writes, any reads. */
	uint64_t requests, bytes;
	uint64_t rejected;     /* chains with a device-readable part, or nothing writable */
	uint64_t chain_errors; /* chains the queue layer refused */
	uint64_t short_fills;  /* getrandom gave less than asked (pool not ready) */
};

static struct vrng *to_vrng(struct virtio_dev *d)
{
	return (struct vrng *)d;
}

/*
 * Fills the writable segments (host pointers the queue layer checked lie in
 * guest RAM), at most VRNG_MAX_REQUEST bytes. GRND_NONBLOCK: a pool that is
 * not ready yet must not hold the device thread (a reset or a stop waits
 * for it); what was filled is returned, maybe 0, which the driver asks
 * again for. Returns the bytes written.
 */
static uint32_t fill(struct vrng *r, const struct iovec *iov, uint32_t n)
{
	uint32_t done = 0;

	for (uint32_t i = 0; i < n && done < VRNG_MAX_REQUEST; i++) {
		size_t want = iov[i].iov_len, got = 0;

		if (want > VRNG_MAX_REQUEST - done)
			want = VRNG_MAX_REQUEST - done;
		while (got < want) {
			ssize_t k = getrandom((uint8_t *)iov[i].iov_base + got, want - got,
					      GRND_NONBLOCK);

			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0)
				break;
			got += (size_t)k;
		}
		done += (uint32_t)got;
		if (got < want) {
			stat_inc(&r->short_fills);
			break;
		}
	}
	return done;
}

static void process_queue(struct vrng *r)
{
	struct virtqueue *vq = &r->vdev.vqs[0];

	if (!virtio_dev_queue_live(&r->vdev, 0))
		return;
	do {
		vq_disable_notify(vq);
		for (;;) {
			struct vq_chain c;
			uint32_t len = 0;
			int rc;

			vq_chain_init(&c, r->iov, RNG_IOV);
			rc = vq_pop(vq, &c);
			if (rc == VQ_EMPTY)
				break;
			if (vq_err_is_fatal(rc)) {
				vmmio_set_needs_reset(&r->vdev.mmio);
				return;
			}
			/* A bad chain is answered with nothing written, never dropped (R9). */
			if (rc < 0)
				stat_inc(&r->chain_errors);
			else if (c.n_out || !c.n_in)
				stat_inc(&r->rejected); /* the device reads nothing */
			else
				len = fill(r, vq_chain_in(&c), c.n_in);
			if (rc == 0 && len) {
				stat_inc(&r->requests);
				stat_add(&r->bytes, len);
			}
			virtio_dev_complete(&r->vdev, 0, &c.t, len);
		}
	} while (vq_enable_notify(vq));
}

/* ---- the shell's ops ---- */

static void rng_complete(struct virtio_dev *d, uint64_t tag, int res)
{
	/* No I/O of its own: only kicks and control reach the ring. */
	(void)d;
	(void)tag;
	(void)res;
}

static void rng_process(struct virtio_dev *d, unsigned int kicked, bool ctrl)
{
	if (kicked || ctrl)
		process_queue(to_vrng(d));
}

static void rng_cancel(struct virtio_dev *d)
{
	(void)d;
}

static bool rng_busy(struct virtio_dev *d)
{
	(void)d;
	return false; /* every request is answered in the pass that took it */
}

static void rng_reap(struct virtio_dev *d, uint64_t tag)
{
	(void)d;
	(void)tag;
}

static void rng_reset(struct virtio_dev *d)
{
	(void)d;
}

static void rng_driver_ok(struct virtio_dev *d, uint64_t features)
{
	(void)d;
	(void)features;
}

static void rng_print_stats(struct virtio_dev *d, const char *name, FILE *f)
{
	struct vrng *r = to_vrng(d);

	fprintf(f,
		"%s: virtio-rng in_order=%s requests=%" PRIu64 " bytes=%" PRIu64
		" rejected=%" PRIu64 " chain_errors=%" PRIu64 " short_fills=%" PRIu64 "\n",
		name, virtio_dev_negotiated(d, VIRTIO_F_IN_ORDER) ? "negotiated" : "off",
		stat_get(&r->requests), stat_get(&r->bytes), stat_get(&r->rejected),
		stat_get(&r->chain_errors), stat_get(&r->short_fills));
}

static void rng_report(struct virtio_dev *d, struct dev_report *rep)
{
	struct vrng *r = to_vrng(d);

	rep->in_order = virtio_dev_negotiated(d, VIRTIO_F_IN_ORDER);
	rep->requests = stat_get(&r->requests);
	rep->errors = stat_get(&r->rejected) + stat_get(&r->chain_errors);
	dev_report_add(rep, "bytes", stat_get(&r->bytes));
	dev_report_add(rep, "rejected", stat_get(&r->rejected));
	dev_report_add(rep, "chain_errors", stat_get(&r->chain_errors));
	dev_report_add(rep, "short_fills", stat_get(&r->short_fills));
}

static void rng_destroy(struct virtio_dev *d)
{
	free(to_vrng(d));
}

static const struct virtio_dev_ops rng_ops = {
	.name = "virtio-rng",
	.device_id = VIRTIO_ID_RNG,
	/* getrandom is a system call of the thread (seccomp's device list), not ring work. */
	.uring_ops = NULL,
	.n_uring_ops = 0,
	.complete = rng_complete,
	.process = rng_process,
	.cancel = rng_cancel,
	.busy = rng_busy,
	.reap = rng_reap,
	.reset = rng_reset,
	.driver_ok = rng_driver_ok,
	.print_stats = rng_print_stats,
	.report = rng_report,
	.destroy = rng_destroy,
};

int vrng_create(const struct vrng_options *o, const struct virtio_dev_env *env,
		struct virtio_dev **out, char *err, size_t err_len)
{
	struct vrng *r = calloc(1, sizeof(*r));
	struct virtio_dev_params p = {
		.in_order = o->in_order,
		.config_len = 0, /* virtio-rng has no config space */
		.nqueues = 1,
		.queue_size = VRNG_QUEUE_SIZE,
		.ring_entries = 8, /* the kick read, the control read, cancels */
	};
	int rc;

	if (!r) {
		snprintf(err, err_len, "virtio-rng: out of memory");
		return -ENOMEM;
	}
	rc = virtio_dev_init(&r->vdev, &rng_ops, env, &p, err, err_len);
	if (rc) {
		free(r);
		return rc;
	}
	*out = &r->vdev;
	return 0;
}
