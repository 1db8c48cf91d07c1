/* SPDX-License-Identifier: MIT */
/*
 * The driver's side of the virtio-mmio registers for unit tests that run a
 * real device: each access goes through the transport's own register code
 * (vmmio_read/vmmio_write), in the order a Linux driver probes. Checks that
 * fail say which register read back wrong.
 */
#ifndef MINIVMM_TESTS_MOCK_MMIO_H
#define MINIVMM_TESTS_MOCK_MMIO_H

#include <stdbool.h>
#include <stdint.h>

#include "virtio/mmio.h"

void mock_mmio_w(struct vmmio *m, uint64_t off, uint32_t v);
uint32_t mock_mmio_r(struct vmmio *m, uint64_t off);

/* Both words of the device's feature bits. */
uint64_t mock_mmio_device_features(struct vmmio *m);

/* ACKNOWLEDGE, DRIVER, the driver's features, FEATURES_OK: true if the
 * device kept FEATURES_OK (it accepted them). */
bool mock_mmio_negotiate(struct vmmio *m, uint64_t features);

/* Queue q with size entries and its three areas, then QueueReady: true if
 * QueueReady reads back 1. */
bool mock_mmio_queue(struct vmmio *m, unsigned int q, unsigned int size, uint64_t desc,
		     uint64_t driver, uint64_t device);

/* DRIVER_OK after a negotiation: true if the status reads back with it. */
bool mock_mmio_driver_ok(struct vmmio *m);

#endif
