// SPDX-License-Identifier: MIT
/*
 * virtio-mmio devices: slots in the MMIO window (the kinds in the order of
 * vmm/core/virtio_table.c, each kind's devices in the order given),
 * ioeventfd/irqfd wiring. Nothing here knows one kind from another.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "arch/arch.h"
#include "devices/virtio_dev.h"
#include "vmm/core/seccomp.h"
#include "vmm/core/virtio_table.h"
#include "vmm/core/vm.h"
#include "vmm/core/virtio_devices.h"

static void mmio_read(void *opaque, uint64_t off, uint8_t *data, unsigned int size)
{
	vmmio_read(opaque, off, data, size);
}

static void mmio_write(void *opaque, uint64_t off, const uint8_t *data, unsigned int size)
{
	vmmio_write(opaque, off, data, size);
}

/* Takes the next slot and its eventfds (closed by virtio_devices_destroy). */
static int new_slot(struct minivmm *vm, unsigned int n_queues, struct virtio_slot **out, char *err,
		    size_t err_len)
{
	struct virtio_slot *s = &vm->virtio[vm->n_virtio];
	struct arch_mmio_slot where;
	bool ok;

	/* Past the machine's interrupt lines a device would get a wrong one. */
	if (vm->n_virtio >= MINIVMM_MAX_VIRTIO || arch_virtio_slot(vm->n_virtio, &where)) {
		snprintf(err, err_len,
			 "too many virtio devices: the machine has no interrupt line for device %u",
			 vm->n_virtio + 1);
		return -ENOSPC;
	}
	s->base = where.base;
	s->size = where.size;
	s->irq = where.irq;
	s->n_queues = n_queues;
	for (unsigned int q = 0; q < VIRTIO_SLOT_MAX_QUEUES; q++)
		s->kick_fd[q] = q < n_queues ? eventfd(0, EFD_CLOEXEC) : -1;
	s->irq_fd = eventfd(0, EFD_CLOEXEC);
	vm->n_virtio++;
	ok = s->irq_fd >= 0 && n_queues <= VIRTIO_SLOT_MAX_QUEUES;
	for (unsigned int q = 0; q < n_queues && q < VIRTIO_SLOT_MAX_QUEUES; q++)
		ok = ok && s->kick_fd[q] >= 0;
	if (!ok) {
		snprintf(err, err_len, "cannot create eventfds: %s", strerror(errno));
		return -EMFILE;
	}
	*out = s;
	return 0;
}

static struct dev_thread *slot_thread(struct virtio_slot *s)
{
	return virtio_dev_thread(s->dev);
}

/* First thing on a device thread: its seccomp filter. */
static int device_prologue(void *arg)
{
	struct virtio_slot *s = arg;
	/* Without a ring the thread waits with ppoll: another list. */
	enum seccomp_thread_kind kind = dev_thread_ring_errno(slot_thread(s))
						? SECCOMP_THREAD_DEVICE_POLL
						: SECCOMP_THREAD_DEVICE;
	int rc = seccomp_install(s->seccomp, kind, s->name);

	if (!rc)
		seccomp_test_violate(kind);
	return rc;
}

/* First thing on a device's helper thread (a disk's I/O worker, a user-mode
 * network's slirp thread): its kind's filter. */
static int helper_prologue(void *arg)
{
	struct virtio_slot *s = arg;
	enum seccomp_thread_kind kind = (enum seccomp_thread_kind)s->helper;
	int rc;

	/* A kind without helpers that starts one: refused, never unfiltered. */
	if (kind >= SECCOMP_THREAD_KINDS)
		return -EPERM;
	rc = seccomp_install(s->seccomp, kind, s->name);
	if (!rc)
		seccomp_test_violate(kind);
	return rc;
}

int virtio_devices_create(struct minivmm *vm, char *err, size_t err_len)
{
	/* Test-only: "ERRNO" (a number) makes every device ring's setup fail
	 * with it, as on a host without io_uring (devices/dev_thread.c). */
	const char *no_uring = getenv("MINIVMM_TEST_NO_URING");
	int no_uring_errno = no_uring ? (int)strtol(no_uring, NULL, 10) : 0;

	for (unsigned int k = 0; k < virtio_n_kinds; k++) {
		const struct virtio_kind *kind = &virtio_kinds[k];

		for (unsigned int i = 0; i < kind->count(&vm->cfg); i++) {
			struct virtio_slot *s;
			struct virtio_dev_env env;
			int rc = new_slot(vm, kind->n_queues, &s, err, err_len);

			if (rc)
				return rc;
			s->helper = (int)kind->helper;
			env = (struct virtio_dev_env){
				.gm = &vm->gm,
				.kick_fds = s->kick_fd,
				.irq_fd = s->irq_fd,
				.packed = vm->cfg.packed,
				.test_no_uring = no_uring_errno > 0 ? no_uring_errno : 0,
			};
			rc = kind->create(&vm->cfg, i, &env, &s->dev, s->name, sizeof(s->name), err,
					  err_len);
			if (rc)
				return rc;
		}
	}
	return 0;
}

int virtio_devices_wire(struct minivmm *vm, char *err, size_t err_len)
{
	for (unsigned int i = 0; i < vm->n_virtio; i++) {
		struct virtio_slot *s = &vm->virtio[i];
		struct kvm_irqfd irqfd = {.fd = (uint32_t)s->irq_fd, .gsi = s->irq};
		int rc;

		rc = bus_add(&vm->mmio, s->base, s->size, virtio_dev_mmio(s->dev), mmio_read,
			     mmio_write);
		if (rc) {
			snprintf(err, err_len, "cannot map virtio device %u: %s", i, strerror(-rc));
			return rc;
		}
		/* A kick then never leaves the kernel on the vCPU thread. */
		for (unsigned int q = 0; q < s->n_queues; q++) {
			struct kvm_ioeventfd ioev = {
				.datamatch = q,
				.addr = s->base + VMMIO_QUEUE_NOTIFY,
				.len = 4,
				.fd = s->kick_fd[q],
				.flags = KVM_IOEVENTFD_FLAG_DATAMATCH,
			};

			if (ioctl(vm->vm_fd, KVM_IOEVENTFD, &ioev) < 0) {
				snprintf(err, err_len, "KVM_IOEVENTFD failed: %s", strerror(errno));
				return -errno;
			}
		}
		if (ioctl(vm->vm_fd, KVM_IRQFD, &irqfd) < 0) {
			snprintf(err, err_len, "KVM_IRQFD failed: %s", strerror(errno));
			return -errno;
		}
	}
	return 0;
}

int virtio_devices_start(struct minivmm *vm, char *err, size_t err_len)
{
	/* Test-only: make one device's thread hang, to test that stopping still works. */
	const char *hang = getenv("MINIVMM_TEST_HANG_THREAD");
	/* Test-only: each device thread tries to open a file and a socket
	 * through its ring; the sealed ring must refuse both. */
	bool escape = getenv("MINIVMM_TEST_URING_ESCAPE") != NULL;

	for (unsigned int i = 0; i < vm->n_virtio; i++) {
		struct virtio_slot *s = &vm->virtio[i];
		int rc;

		slot_thread(s)->test_hang = hang && !strcmp(hang, s->name);
		slot_thread(s)->test_escape = escape;
		s->seccomp = vm->cfg.seccomp;
		slot_thread(s)->prologue = device_prologue;
		slot_thread(s)->prologue_arg = s;
		slot_thread(s)->helper_prologue = helper_prologue;
		rc = virtio_dev_start(s->dev);
		if (rc) {
			snprintf(err, err_len, "cannot start %s thread (%s): %s",
				 virtio_dev_name(s->dev), s->name, strerror(-rc));
			return rc;
		}
		if (escape)
			fprintf(stderr, "minivmm: test: %s ring: openat=%d socket=%d\n", s->name,
				slot_thread(s)->escape_rc[0], slot_thread(s)->escape_rc[1]);
	}
	return 0;
}

void virtio_devices_abandon(struct minivmm *vm)
{
	for (unsigned int i = 0; i < vm->n_virtio; i++)
		dev_thread_abandon(slot_thread(&vm->virtio[i]));
}

int virtio_devices_pause(struct minivmm *vm, const struct timespec *deadline)
{
	int rc = 0;

	for (unsigned int i = 0; i < vm->n_virtio; i++) {
		int r = dev_thread_pause(slot_thread(&vm->virtio[i]), deadline);

		if (r && !rc)
			rc = r;
	}
	return rc;
}

void virtio_devices_resume(struct minivmm *vm)
{
	for (unsigned int i = 0; i < vm->n_virtio; i++)
		dev_thread_resume(slot_thread(&vm->virtio[i]));
}

unsigned int virtio_devices_stop(struct minivmm *vm, const struct timespec *deadline, char *why,
				 size_t why_len)
{
	unsigned int stuck = 0;
	size_t l = 0;

	if (why_len)
		why[0] = '\0';
	for (unsigned int i = 0; i < vm->n_virtio; i++) {
		struct virtio_slot *s = &vm->virtio[i];

		if (s->stuck || dev_thread_stop(slot_thread(s), deadline) == 0)
			continue;
		/* Its io_uring may still write guest memory: nothing it uses may be freed. */
		s->stuck = true;
		stuck++;
		if (l < why_len)
			l += (size_t)snprintf(why + l, why_len - l, "%s%s thread (%s)",
					      l ? ", " : "", virtio_dev_name(s->dev), s->name);
	}
	return stuck;
}

bool virtio_devices_stuck(const struct minivmm *vm)
{
	for (unsigned int i = 0; i < vm->n_virtio; i++)
		if (vm->virtio[i].stuck)
			return true;
	return false;
}

void virtio_device_release(struct minivmm *vm, unsigned int i)
{
	struct virtio_slot *s = &vm->virtio[i];

	virtio_dev_destroy(s->dev);
	s->dev = NULL;
	for (unsigned int q = 0; q < s->n_queues; q++)
		if (s->kick_fd[q] >= 0)
			close(s->kick_fd[q]);
	if (s->irq_fd >= 0)
		close(s->irq_fd);
	s->kick_fd[0] = s->kick_fd[1] = s->irq_fd = -1;
}

void virtio_devices_destroy(struct minivmm *vm)
{
	for (unsigned int i = 0; i < vm->n_virtio; i++)
		if (!vm->virtio[i].stuck)
			virtio_device_release(vm, i);
	vm->n_virtio = 0;
}

static void queue_stats(const struct vq_stats *q, struct minivmm_queue_stats *o)
{
	o->popped = VQ_STAT_GET(q->popped);
	o->completed = VQ_STAT_GET(q->completed);
	o->in_order_waits = VQ_STAT_GET(q->waited);
	o->heap_hwm = VQ_STAT_GET(q->heap_hwm);
	o->used_entries = VQ_STAT_GET(q->used_entries);
	o->batches = VQ_STAT_GET(q->batches);
	o->batch_bufs = VQ_STAT_GET(q->batch_bufs);
	for (unsigned int i = 0; i < MINIVMM_STATS_BATCH_HIST && i < VQ_BATCH_HIST; i++)
		o->batch_hist[i] = VQ_STAT_GET(q->batch_hist[i]);
	o->notifications = VQ_STAT_GET(q->notifies);
	o->chain_errors = VQ_STAT_GET(q->chain_errors);
	o->unpopped = VQ_STAT_GET(q->unpopped);
}

_Static_assert(DEV_REPORT_MAX <= MINIVMM_STATS_COUNTERS, "a report must fit the API's counters");
_Static_assert(DEV_COUNTER_NAME <= sizeof(((struct minivmm_counter *)0)->name),
	       "a counter's name must fit the API's");
_Static_assert(VDEV_MAX_QUEUES <= MINIVMM_STATS_QUEUES, "every queue must fit the API's");

void virtio_devices_stats(struct minivmm *vm, struct minivmm_stats *s)
{
	s->n_devices = 0;
	for (unsigned int i = 0; i < vm->n_virtio && s->n_devices < MINIVMM_STATS_DEVICES; i++) {
		const struct virtio_slot *slot = &vm->virtio[i];
		struct minivmm_device_stats *o = &s->devices[s->n_devices];
		struct virtio_dev *d = slot->dev;
		struct dev_report r;

		if (!d || !virtio_dev_report(d, &r))
			continue;
		s->n_devices++;
		snprintf(o->name, sizeof(o->name), "%s", slot->name);
		snprintf(o->kind, sizeof(o->kind), "%s", d->ops->name);
		o->in_order = r.in_order;
		o->requests = r.requests;
		o->errors = r.errors;
		o->n_counters = r.n;
		for (unsigned int c = 0; c < r.n; c++) {
			snprintf(o->counters[c].name, sizeof(o->counters[c].name), "%s",
				 r.c[c].name);
			o->counters[c].value = r.c[c].value;
		}
		o->n_queues = d->nqueues;
		for (unsigned int q = 0; q < o->n_queues; q++) {
			const char *qn = d->ops->queue_names ? d->ops->queue_names[q] : "";

			snprintf(o->queues[q].name, sizeof(o->queues[q].name), "%s", qn);
			queue_stats(&d->vqs[q].stats, &o->queues[q]);
		}
	}
}

void minivmm_print_stats(struct minivmm *vm, FILE *f)
{
	for (unsigned int i = 0; i < vm->n_virtio; i++) {
		const struct virtio_slot *s = &vm->virtio[i];

		if (s->dev)
			virtio_dev_print_stats(s->dev, s->name, f);
	}
}
