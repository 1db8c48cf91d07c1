/* SPDX-License-Identifier: MIT */
/* The VM's virtio-mmio devices (vmm/core/virtio_devices.c). */
#ifndef VMM_CORE_VIRTIO_DEVICES_H
#define VMM_CORE_VIRTIO_DEVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct minivmm;
struct minivmm_stats;

int virtio_devices_create(struct minivmm *vm, char *err, size_t err_len);
int virtio_devices_wire(struct minivmm *vm, char *err, size_t err_len);
int virtio_devices_start(struct minivmm *vm, char *err, size_t err_len);
/*
 * Parks every device thread between two batches, used rings flushed
 * (dev_thread_pause); 0, -ESHUTDOWN if one has ended, -ETIMEDOUT if one did
 * not park by deadline (CLOCK_MONOTONIC). Resume releases them.
 */
int virtio_devices_pause(struct minivmm *vm, const struct timespec *deadline);
void virtio_devices_resume(struct minivmm *vm);
/* Device threads stop answering vCPUs; call before joining the vCPUs. */
void virtio_devices_abandon(struct minivmm *vm);
/*
 * Stops every device thread, waiting until deadline at most; a thread that
 * has not stopped by then is left running and named in why. Returns the
 * number of such threads.
 */
unsigned int virtio_devices_stop(struct minivmm *vm, const struct timespec *deadline, char *why,
				 size_t why_len);
/* True if a device thread never stopped: guest memory and the VM must then stay mapped. */
bool virtio_devices_stuck(const struct minivmm *vm);
void virtio_devices_destroy(struct minivmm *vm);
/* Device i (stopped, not stuck): its model, backend and eventfds. */
void virtio_device_release(struct minivmm *vm, unsigned int i);
/* Each virtio device's counters, read live. */
void virtio_devices_stats(struct minivmm *vm, struct minivmm_stats *s);

#endif
