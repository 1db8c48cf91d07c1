// SPDX-License-Identifier: MIT
#include "devices/virtio_dev.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <string.h>
#include <sys/eventfd.h>

#include "common/timespec.h"
#include "virtio/vring.h"

/* ---- transport callbacks: vCPU threads, with the register file's lock held ---- */

static int op_queue_enable(void *dev, unsigned int q, uint64_t features)
{
	struct virtio_dev *d = dev;

	return dev_thread_call(&d->dt, DEV_OP_ENABLE, q, features);
}

static void op_reset(void *dev)
{
	struct virtio_dev *d = dev;

	if (dev_thread_call(&d->dt, DEV_OP_RESET, 0, 0) == -EINPROGRESS)
		vmmio_reset_later(&d->mmio);
}

static void op_driver_ok(void *dev, uint64_t features)
{
	struct virtio_dev *d = dev;

	dev_thread_call(&d->dt, DEV_OP_DRIVER_OK, 0, features);
}

static void op_notify(void *dev, unsigned int q)
{
	struct virtio_dev *d = dev;

	if (q < d->nqueues)
		eventfd_write(d->kick[q].fd, 1);
}

static void op_config_read(void *dev, uint32_t off, uint8_t *data, unsigned int size)
{
	struct virtio_dev *d = dev;

	memcpy(data, d->config + off, size);
}

static void op_interrupt(void *dev)
{
	struct virtio_dev *d = dev;

	eventfd_write(d->irq_fd, 1);
}

static const struct vmmio_ops vdev_mmio_ops = {
	.queue_enable = op_queue_enable,
	.reset = op_reset,
	.driver_ok = op_driver_ok,
	.notify = op_notify,
	.config_read = op_config_read,
	/* No device takes config writes: blk offers no CONFIG_WCE, net's MAC is
	 * read-only with VERSION_1. */
	.config_write = NULL,
	.interrupt = op_interrupt,
};

/* ---- device thread ---- */

void virtio_dev_complete(struct virtio_dev *d, unsigned int q, const struct vq_ticket *t,
			 uint32_t len)
{
	vq_complete(&d->vqs[q], t, len);
	d->need_flush[q] = true;
}

void virtio_dev_flush(struct virtio_dev *d)
{
	bool irq = false;

	for (unsigned int q = 0; q < d->nqueues; q++) {
		if (!d->need_flush[q])
			continue;
		d->need_flush[q] = false;
		irq |= vq_flush(&d->vqs[q]);
	}
	if (irq)
		vmmio_signal_used(&d->mmio);
}

bool virtio_dev_queue_live(struct virtio_dev *d, unsigned int q)
{
	return d->running && d->vqs[q].ready && !d->vqs[q].broken;
}

bool virtio_dev_poll_ring(struct virtio_dev *d, unsigned int q, unsigned int want)
{
	return dev_thread_poll_ring(&d->dt, &d->vqs[q], want);
}

/* True, and that kick's read disarmed, if tag is a queue's kick; *q says which. */
static bool kick_fired(struct virtio_dev *d, uint64_t tag, unsigned int *q)
{
	for (unsigned int i = 0; i < d->nqueues; i++) {
		if (dev_event_fired(&d->kick[i], tag)) {
			stat_add(&d->kicks[i], d->kick[i].buf);
			*q = i;
			return true;
		}
	}
	return false;
}

static bool drain_busy(void *dev)
{
	struct virtio_dev *d = dev;

	return d->ops->busy(d);
}

static void drain_reap(void *dev, uint64_t tag)
{
	struct virtio_dev *d = dev;
	unsigned int q;

	if (!kick_fired(d, tag, &q))
		d->ops->reap(d, tag);
}

/* Nothing is in flight any more: the queues and the device start over. */
static void finish_reset(struct virtio_dev *d)
{
	for (unsigned int q = 0; q < d->nqueues; q++) {
		vq_reset(&d->vqs[q]);
		d->need_flush[q] = false;
	}
	d->running = false;
	d->ops->reset(d);
}

/*
 * Cancels and reaps all the device's I/O; nothing touches guest memory
 * afterwards, and no used entry is written (R16). Then the queues and the
 * device start over. If the ring failed first, requests may still land in
 * guest memory and their slots are not free: serve nothing more.
 *
 * A guest's reset waits at most VDEV_RESET_DRAIN_MS, with its vCPU held
 * in the register write: what cancel cannot stop (a write or fdatasync
 * that io-wq already runs on a stalled disk) may take much longer. Then
 * the reset finishes later (late_reset): the device serves nothing,
 * reaps what is still in flight as it completes, and only then resets the
 * queues and tells the transport, whose Status reads DEVICE_NEEDS_RESET
 * meanwhile. A stop waits as long as it takes: its caller has its own
 * deadline, after which it leaves the thread behind.
 */
static int reset_device(struct virtio_dev *d, bool bounded)
{
	struct timespec deadline;
	int rc;

	d->ops->cancel(d);
	if (bounded) {
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		timespec_add_ms(&deadline, VDEV_RESET_DRAIN_MS);
	}
	rc = dev_thread_drain(&d->dt, drain_busy, drain_reap, d, bounded ? &deadline : NULL);
	if (rc == -ETIMEDOUT) {
		d->running = false;
		d->late_reset = true;
		return -EINPROGRESS;
	}
	if (rc) {
		d->ring_failed = true;
		return rc;
	}
	d->late_reset = false;
	finish_reset(d);
	return 0;
}

/* A late reset's in-flight I/O: reaped as it completes, never published. */
static void late_reset_reap(struct virtio_dev *d, uint64_t tag)
{
	drain_reap(d, tag);
	if (d->ops->busy(d))
		return;
	d->late_reset = false;
	finish_reset(d);
	vmmio_reset_done(&d->mmio);
}

static int vdev_ctrl(void *dev, enum dev_op op, unsigned int q, uint64_t features)
{
	struct virtio_dev *d = dev;

	switch (op) {
	case DEV_OP_ENABLE:
		return q < d->nqueues ? vq_enable(&d->vqs[q], d->gm, features) : -EINVAL;
	case DEV_OP_RESET:
		return reset_device(d, true);
	case DEV_OP_STOP:
		reset_device(d, false);
		break;
	case DEV_OP_DRIVER_OK:
		d->ops->driver_ok(d, features);
		d->running = true;
		break;
	default:
		break;
	}
	return 0;
}

static void *vdev_thread(void *arg)
{
	struct virtio_dev *d = arg;
	const struct virtio_dev_ops *ops = d->ops;
	bool keep = true;

	pthread_setname_np(pthread_self(), ops->name);
	while (keep) {
		unsigned int kicked = 0, q;
		bool ctrl = false;
		uint64_t tag;
		int res;

		/* Everything of the last turn is flushed: a pause parks here. */
		dev_thread_park(&d->dt);
		for (q = 0; q < d->nqueues; q++)
			dev_thread_arm(&d->dt, &d->kick[q]);
		if (ops->prepare)
			ops->prepare(d);
		/* Completions and control come first: a guest that keeps posting
		 * must not keep them waiting. */
		if (ops->poll && ops->poll(d)) {
			virtio_dev_flush(d);
			if (!dev_thread_has_cqe(&d->dt))
				continue;
		}
		if (!dev_thread_wait(&d->dt))
			break;
		while (dev_thread_next(&d->dt, &tag, &res)) {
			if (dev_thread_ctrl_fired(&d->dt, tag))
				ctrl = true;
			else if (d->late_reset)
				late_reset_reap(d, tag);
			else if (kick_fired(d, tag, &q))
				kicked |= 1u << q;
			else
				ops->complete(d, tag, res);
		}
		if (ops->batch_done)
			ops->batch_done(d, kicked);
		/* One drain per CQE batch (R10), then one interrupt decision. */
		virtio_dev_flush(d);
		if (ctrl)
			keep = dev_thread_serve(&d->dt, vdev_ctrl, d) && !d->ring_failed;
		if (keep)
			ops->process(d, kicked, ctrl);
		virtio_dev_flush(d);
	}
	return NULL;
}

/* ---- owner ---- */

/* What the virtqueue layer implements, for every device. */
static uint64_t offered_features(const struct virtio_dev_env *env,
				 const struct virtio_dev_params *p)
{
	uint64_t f = p->features | 1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_RING_F_EVENT_IDX |
		     1ULL << VIRTIO_RING_F_INDIRECT_DESC;

	if (p->in_order)
		f |= 1ULL << VIRTIO_F_IN_ORDER;
	if (env->packed)
		f |= 1ULL << VIRTIO_F_RING_PACKED;
	return f;
}

int virtio_dev_init(struct virtio_dev *d, const struct virtio_dev_ops *ops,
		    const struct virtio_dev_env *env, const struct virtio_dev_params *p, char *err,
		    size_t err_len)
{
	int files[DEV_FILES_MAX];
	struct dev_uring_policy pol = {.files = files,
				       .ops = p->uring_ops ? p->uring_ops : ops->uring_ops,
				       .nops = p->uring_ops ? p->n_uring_ops : ops->n_uring_ops,
				       .test_setup_errno = env->test_no_uring};
	int rc;

	if (p->nqueues == 0 || p->nqueues > VDEV_MAX_QUEUES || p->config_len > VDEV_CONFIG_MAX ||
	    p->nqueues + p->nfiles > DEV_FILES_MAX - 1) {
		snprintf(err, err_len, "%s: bad device description", ops->name);
		return -EINVAL;
	}
	d->ops = ops;
	d->gm = env->gm;
	d->irq_fd = env->irq_fd;
	d->nqueues = p->nqueues;
	for (unsigned int q = 0; q < p->nqueues; q++) {
		d->kick[q] = (struct dev_event){.fd = env->kick_fds[q], .tag = VDEV_TAG_KICK | q};
		vq_init(&d->vqs[q], p->queue_size);
		files[pol.nfiles++] = env->kick_fds[q];
	}
	for (unsigned int i = 0; i < p->nfiles; i++)
		files[pol.nfiles++] = p->files[i];
	rc = vmmio_init(&d->mmio, &vdev_mmio_ops, d, ops->device_id, offered_features(env, p),
			p->config_len, d->vqs, p->nqueues);
	if (rc) {
		snprintf(err, err_len, "virtio-mmio setup failed");
		goto fail_vqs;
	}
	rc = dev_thread_init(&d->dt, p->ring_entries, &pol);
	if (rc < 0) {
		snprintf(err, err_len, "io_uring setup failed: %s", strerror(-rc));
		vmmio_destroy(&d->mmio);
		goto fail_vqs;
	}
	if (dev_thread_ring_errno(&d->dt) && ops->needs_ring) {
		snprintf(err, err_len,
			 "%s: io_uring is unavailable on this host (%s), and %s has no other I/O "
			 "path yet",
			 ops->name, strerror(dev_thread_ring_errno(&d->dt)), ops->name);
		dev_thread_destroy(&d->dt);
		vmmio_destroy(&d->mmio);
		rc = -EOPNOTSUPP;
		goto fail_vqs;
	}
	d->dt.poll_max_ns = (uint64_t)p->poll_us * 1000;
	return 0;
fail_vqs:
	for (unsigned int q = 0; q < p->nqueues; q++)
		vq_destroy(&d->vqs[q]);
	d->ops = NULL;
	return rc < 0 ? rc : -EINVAL;
}

void virtio_dev_fini(struct virtio_dev *d)
{
	if (!d->ops)
		return;
	dev_thread_stop(&d->dt, NULL);
	dev_thread_destroy(&d->dt);
	for (unsigned int q = 0; q < d->nqueues; q++)
		vq_destroy(&d->vqs[q]);
	vmmio_destroy(&d->mmio);
	d->ops = NULL;
}

int virtio_dev_start(struct virtio_dev *d)
{
	int rc = d->ops->start ? d->ops->start(d) : 0;

	return rc ? rc : dev_thread_start(&d->dt, vdev_thread, d);
}

struct dev_thread *virtio_dev_thread(struct virtio_dev *d)
{
	return &d->dt;
}

struct vmmio *virtio_dev_mmio(struct virtio_dev *d)
{
	return &d->mmio;
}

const char *virtio_dev_name(const struct virtio_dev *d)
{
	return d->ops->name;
}

bool virtio_dev_negotiated(struct virtio_dev *d, unsigned int bit)
{
	return (vmmio_negotiated(&d->mmio, true) >> bit) & 1;
}

void virtio_dev_print_stats(struct virtio_dev *d, const char *name, FILE *f)
{
	d->ops->print_stats(d, name, f);
	for (unsigned int q = 0; q < d->nqueues; q++) {
		const char *qn = d->ops->queue_names ? d->ops->queue_names[q] : NULL;
		const struct vq_stats *s = &d->vqs[q].stats;

		/* The device thread may be counting: each field read as it writes it. */
		fprintf(f, "%s: %s%squeue completed=%" PRIu64 " waited=%" PRIu64 " heap_hwm=%u",
			name, qn ? qn : "", qn ? " " : "", VQ_STAT_GET(s->completed),
			VQ_STAT_GET(s->waited), VQ_STAT_GET(s->heap_hwm));
		if (d->ops->shows_unpopped)
			fprintf(f, " unpopped=%" PRIu64, VQ_STAT_GET(s->unpopped));
		fprintf(f,
			" used_entries=%" PRIu64 " batches=%" PRIu64 " batch_bufs=%" PRIu64
			" notifies=%" PRIu64 " kicks=%" PRIu64 " waits=%" PRIu64 " ring=%s\n",
			VQ_STAT_GET(s->used_entries), VQ_STAT_GET(s->batches),
			VQ_STAT_GET(s->batch_bufs), VQ_STAT_GET(s->notifies),
			stat_get(&d->kicks[q]), stat_get(&d->dt.waits),
			virtio_dev_negotiated(d, VIRTIO_F_RING_PACKED) ? "packed" : "split");
	}
}

bool virtio_dev_report(struct virtio_dev *d, struct dev_report *r)
{
	struct dev_counters c;

	if (d->ops->report) {
		memset(r, 0, sizeof(*r));
		d->ops->report(d, r);
	} else if (d->ops->counters) {
		d->ops->counters(d, &c);
		dev_report_from_counters(r, &c);
	} else {
		return false;
	}
	/* The fact, for the CLI's one line and for embedders: this device
	 * waits on ppoll, and a disk's I/O went to the threads engine. */
	if (dev_thread_ring_errno(&d->dt))
		dev_report_add(r, "uring_unavailable", (uint64_t)dev_thread_ring_errno(&d->dt));
	return true;
}

void virtio_dev_destroy(struct virtio_dev *d)
{
	const struct virtio_dev_ops *ops;

	if (!d || !d->ops)
		return;
	ops = d->ops;
	virtio_dev_fini(d);
	ops->destroy(d);
}
