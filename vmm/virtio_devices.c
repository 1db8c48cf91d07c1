// SPDX-License-Identifier: MIT
/*
 * virtio-mmio devices: slots in the MMIO window (disks first, then network
 * cards, in the order given), ioeventfd/irqfd wiring.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "arch/x86_64/layout.h"
#include "devices/dev_thread.h"
#include "devices/virtio_blk.h"
#include "devices/virtio_net.h"
#include "vmm/seccomp.h"
#include "vmm/vm.h"

static void mmio_read(void *opaque, uint64_t off, uint8_t *data, unsigned int size)
{
	vmmio_read(opaque, off, data, size);
}

static void mmio_write(void *opaque, uint64_t off, const uint8_t *data, unsigned int size)
{
	vmmio_write(opaque, off, data, size);
}

/* Takes the next slot and its eventfds (closed by virtio_devices_destroy). */
/* The API's poll_us: 0 the default, negative never, else the budget. */
static unsigned int poll_budget_us(int configured)
{
	if (configured < 0)
		return 0;
	return configured ? (unsigned int)configured : MINIVMM_POLL_US;
}

static struct virtio_slot *new_slot(struct minivmm *vm, unsigned int n_queues, char *err,
				    size_t err_len)
{
	struct virtio_slot *s = &vm->virtio[vm->n_virtio];

	s->base = X86_VIRTIO_MMIO_BASE + vm->n_virtio * X86_VIRTIO_MMIO_SIZE;
	s->irq = X86_VIRTIO_IRQ_BASE + vm->n_virtio;
	s->n_queues = n_queues;
	for (unsigned int q = 0; q < VIRTIO_SLOT_MAX_QUEUES; q++)
		s->kick_fd[q] = q < n_queues ? eventfd(0, EFD_CLOEXEC) : -1;
	s->irq_fd = eventfd(0, EFD_CLOEXEC);
	vm->n_virtio++;
	if (s->irq_fd < 0 || s->kick_fd[0] < 0 || (n_queues > 1 && s->kick_fd[1] < 0)) {
		snprintf(err, err_len, "cannot create eventfds: %s", strerror(errno));
		return NULL;
	}
	return s;
}

static struct vmmio *slot_mmio(struct virtio_slot *s)
{
	return s->blk ? vblk_mmio(s->blk) : vnet_mmio(s->net);
}

static struct dev_thread *slot_thread(struct virtio_slot *s)
{
	return s->blk ? vblk_thread(s->blk) : vnet_thread(s->net);
}

/* First thing on a device thread: its seccomp filter. */
static int device_prologue(void *arg)
{
	struct virtio_slot *s = arg;
	int rc = seccomp_install(s->seccomp, SECCOMP_THREAD_DEVICE, s->name);

	if (!rc)
		seccomp_test_violate(SECCOMP_THREAD_DEVICE);
	return rc;
}

/* PATH as --disk takes it: each ',' doubled (truncated to fit). */
static void escape_commas(const char *path, char *out, size_t len)
{
	size_t o = 0;

	for (; *path && o + 3 <= len; path++) {
		out[o++] = *path;
		if (*path == ',')
			out[o++] = ',';
	}
	out[o] = '\0';
}

int virtio_devices_create(struct minivmm *vm, char *err, size_t err_len)
{
	for (unsigned int i = 0; i < vm->cfg.n_disks; i++) {
		const struct minivmm_disk *d = &vm->cfg.disks[i];
		struct vblk_options o = {
			.path = d->path,
			.read_only = d->read_only,
			.direct = d->direct,
			.in_order = vm->cfg.in_order,
			.serial = d->serial,
			.poll_us = poll_budget_us(d->poll_us),
		};
		struct virtio_slot *s = new_slot(vm, 1, err, err_len);
		int rc;

		if (!s)
			return -EMFILE;
		snprintf(s->name, sizeof(s->name), "vd%c", 'a' + i);
		rc = vblk_create(&o, &vm->gm, s->kick_fd[0], s->irq_fd, &s->blk, err, err_len);
		/* A file that may only be read names its problem but not the fix. */
		if ((rc == -EACCES || rc == -EPERM || rc == -EROFS) && !d->read_only) {
			size_t l = strlen(err);
			char esc[512];

			escape_commas(d->path, esc, sizeof(esc));
			snprintf(
				err + l, err_len - l,
				"; to use it read-only give --disk '%s,ro' (',' in a path as ',,')",
				esc);
		}
		if (rc)
			return rc;
	}
	for (unsigned int i = 0; i < vm->cfg.n_nets; i++) {
		const struct minivmm_net *c = &vm->cfg.nets[i];
		struct vnet_options o = {
			.tap = c->tap,
			.mac = {0x52, 0x54, 0x00, 0x12, 0x34, (uint8_t)(0x56 + i)},
			.mtu = c->mtu,
			.in_order = vm->cfg.in_order,
			.guest_tso = !c->no_guest_tso,
			.poll_us = poll_budget_us(c->poll_us),
		};
		struct virtio_slot *s = new_slot(vm, 2, err, err_len);
		int rc;

		if (!s)
			return -EMFILE;
		if (c->has_mac)
			memcpy(o.mac, c->mac, 6);
		snprintf(s->name, sizeof(s->name), "eth%u", i);
		rc = vnet_create(&o, &vm->gm, s->kick_fd, s->irq_fd, &s->net, err, err_len);
		if (rc)
			return rc;
	}
	return 0;
}

int virtio_devices_wire(struct minivmm *vm, char *err, size_t err_len)
{
	for (unsigned int i = 0; i < vm->n_virtio; i++) {
		struct virtio_slot *s = &vm->virtio[i];
		struct kvm_irqfd irqfd = {.fd = (uint32_t)s->irq_fd, .gsi = s->irq};
		int rc;

		rc = bus_add(&vm->mmio, s->base, X86_VIRTIO_MMIO_SIZE, slot_mmio(s), mmio_read,
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

	for (unsigned int i = 0; i < vm->n_virtio; i++) {
		struct virtio_slot *s = &vm->virtio[i];
		int rc;

		slot_thread(s)->test_hang = hang && !strcmp(hang, s->name);
		s->seccomp = vm->cfg.seccomp;
		slot_thread(s)->prologue = device_prologue;
		slot_thread(s)->prologue_arg = s;
		rc = s->blk ? vblk_start(s->blk) : vnet_start(s->net);

		if (rc) {
			snprintf(err, err_len, "cannot start %s thread (%s): %s",
				 s->blk ? "virtio-blk" : "virtio-net", s->name, strerror(-rc));
			return rc;
		}
	}
	return 0;
}

void virtio_devices_abandon(struct minivmm *vm)
{
	for (unsigned int i = 0; i < vm->n_virtio; i++)
		dev_thread_abandon(slot_thread(&vm->virtio[i]));
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
					      l ? ", " : "", s->blk ? "virtio-blk" : "virtio-net",
					      s->name);
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

void virtio_devices_destroy(struct minivmm *vm)
{
	for (unsigned int i = 0; i < vm->n_virtio; i++) {
		struct virtio_slot *s = &vm->virtio[i];

		if (s->stuck)
			continue;
		vblk_destroy(s->blk);
		vnet_destroy(s->net);
		for (unsigned int q = 0; q < s->n_queues; q++)
			if (s->kick_fd[q] >= 0)
				close(s->kick_fd[q]);
		if (s->irq_fd >= 0)
			close(s->irq_fd);
	}
	vm->n_virtio = 0;
}

void minivmm_print_stats(struct minivmm *vm, FILE *f)
{
	for (unsigned int i = 0; i < vm->n_virtio; i++) {
		const struct virtio_slot *s = &vm->virtio[i];

		if (s->blk)
			vblk_print_stats(s->blk, s->name, f);
		else if (s->net)
			vnet_print_stats(s->net, s->name, f);
	}
}
