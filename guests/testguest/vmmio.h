/* SPDX-License-Identifier: MIT */
/*
 * virtio-mmio (version 2) from the driver's side, for the test guest's
 * drivers (vblk_driver.c, vnet_driver.c): probe, feature negotiation, queue
 * setup and the status steps, in the order the spec gives them.
 */
#ifndef TESTGUEST_VMMIO_H
#define TESTGUEST_VMMIO_H

#include <stdint.h>

#define VMMIO_F_EVENT_IDX   29
#define VMMIO_F_VERSION_1   32
#define VMMIO_F_RING_PACKED 34
#define VMMIO_F_IN_ORDER    35

static inline volatile uint32_t *vmmio_reg(uint64_t base, uint32_t off)
{
	return (volatile uint32_t *)(base + off);
}

/* The device's configuration space. */
static inline volatile uint8_t *vmmio_config(uint64_t base)
{
	return (volatile uint8_t *)(base + 0x100);
}

/*
 * Resets the device at base and acknowledges it, if it is a version 2
 * device of device_id (-1 otherwise); its features in *features, which
 * must include VERSION_1 (-2 otherwise).
 */
int vmmio_begin(uint64_t base, uint32_t device_id, uint64_t *features);
/* Writes the driver's features and sets FEATURES_OK; -3 if the device refuses. */
int vmmio_features_ok(uint64_t base, uint64_t features);
/* The largest size queue index may have. */
uint32_t vmmio_queue_max(uint64_t base, unsigned int index);
/* Queue index at these rings, with interrupts off (the drivers poll), and ready. */
void vmmio_queue(uint64_t base, unsigned int index, unsigned int size, const void *desc,
		 volatile void *avail, volatile void *used);
/* Sets DRIVER_OK; returns the status the device shows then. */
uint32_t vmmio_driver_ok(uint64_t base);
void vmmio_notify(uint64_t base, unsigned int index);

#endif
