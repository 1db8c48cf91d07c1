// SPDX-License-Identifier: MIT
/* virtio-mmio devices: slots in the MMIO window, ioeventfd/irqfd wiring. */
#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "arch/x86_64/layout.h"
#include "devices/virtio_blk.h"
#include "vmm/vm.h"

static void mmio_read(void *opaque, uint64_t off, uint8_t *data, unsigned int size)
{
	vmmio_read(opaque, off, data, size);
}

static void mmio_write(void *opaque, uint64_t off, const uint8_t *data, unsigned int size)
{
	vmmio_write(opaque, off, data, size);
}

int virtio_devices_create(struct minivmm *vm, char *err, size_t err_len)
{
	for (unsigned int i = 0; i < vm->cfg.n_disks; i++) {
		const struct minivmm_disk *d = &vm->cfg.disks[i];
		struct virtio_slot *s = &vm->virtio[vm->n_virtio];
		struct vblk_options o = {
			.path = d->path,
			.read_only = d->read_only,
			.direct = d->direct,
			.in_order = vm->cfg.in_order,
			.serial = d->serial,
		};
		int rc;

		s->base = X86_VIRTIO_MMIO_BASE + vm->n_virtio * X86_VIRTIO_MMIO_SIZE;
		s->irq = X86_VIRTIO_IRQ_BASE + vm->n_virtio;
		s->kick_fd = eventfd(0, EFD_CLOEXEC);
		s->irq_fd = eventfd(0, EFD_CLOEXEC);
		vm->n_virtio++;
		if (s->kick_fd < 0 || s->irq_fd < 0) {
			snprintf(err, err_len, "cannot create eventfds: %s", strerror(errno));
			return -errno;
		}
		rc = vblk_create(&o, &vm->gm, s->kick_fd, s->irq_fd, &s->blk, err, err_len);
		if (rc)
			return rc;
	}
	return 0;
}

int virtio_devices_wire(struct minivmm *vm, char *err, size_t err_len)
{
	for (unsigned int i = 0; i < vm->n_virtio; i++) {
		struct virtio_slot *s = &vm->virtio[i];
		struct kvm_ioeventfd ioev = {
			.datamatch = 0, /* the single request queue */
			.addr = s->base + VMMIO_QUEUE_NOTIFY,
			.len = 4,
			.fd = s->kick_fd,
			.flags = KVM_IOEVENTFD_FLAG_DATAMATCH,
		};
		struct kvm_irqfd irqfd = {.fd = (uint32_t)s->irq_fd, .gsi = s->irq};
		int rc;

		rc = bus_add(&vm->mmio, s->base, X86_VIRTIO_MMIO_SIZE, vblk_mmio(s->blk), mmio_read,
			     mmio_write);
		if (rc) {
			snprintf(err, err_len, "cannot map virtio device %u: %s", i, strerror(-rc));
			return rc;
		}
		/* A kick then never leaves the kernel on the vCPU thread. */
		if (ioctl(vm->vm_fd, KVM_IOEVENTFD, &ioev) < 0) {
			snprintf(err, err_len, "KVM_IOEVENTFD failed: %s", strerror(errno));
			return -errno;
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
	for (unsigned int i = 0; i < vm->n_virtio; i++) {
		int rc = vblk_start(vm->virtio[i].blk);

		if (rc) {
			snprintf(err, err_len, "cannot start virtio-blk thread: %s", strerror(-rc));
			return rc;
		}
	}
	return 0;
}

void virtio_devices_stop(struct minivmm *vm)
{
	for (unsigned int i = 0; i < vm->n_virtio; i++)
		if (vm->virtio[i].blk)
			vblk_stop(vm->virtio[i].blk);
}

void virtio_devices_destroy(struct minivmm *vm)
{
	for (unsigned int i = 0; i < vm->n_virtio; i++) {
		struct virtio_slot *s = &vm->virtio[i];

		vblk_destroy(s->blk);
		if (s->kick_fd >= 0)
			close(s->kick_fd);
		if (s->irq_fd >= 0)
			close(s->irq_fd);
	}
	vm->n_virtio = 0;
}

void minivmm_print_stats(struct minivmm *vm, FILE *f)
{
	for (unsigned int i = 0; i < vm->n_virtio; i++) {
		char name[16];

		snprintf(name, sizeof(name), "vd%c", 'a' + i);
		vblk_print_stats(vm->virtio[i].blk, name, f);
	}
}
