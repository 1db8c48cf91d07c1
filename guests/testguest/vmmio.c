// SPDX-License-Identifier: MIT
#include "guests/testguest/vmmio.h"

#define R_MAGIC		0x000
#define R_VERSION	0x004
#define R_DEVICE_ID	0x008
#define R_DEV_FEAT	0x010
#define R_DEV_FEAT_SEL	0x014
#define R_DRV_FEAT	0x020
#define R_DRV_FEAT_SEL	0x024
#define R_QUEUE_SEL	0x030
#define R_QUEUE_NUM_MAX 0x034
#define R_QUEUE_NUM	0x038
#define R_QUEUE_READY	0x044
#define R_QUEUE_NOTIFY	0x050
#define R_STATUS	0x070
#define R_DESC_LO	0x080
#define R_DESC_HI	0x084
#define R_AVAIL_LO	0x090
#define R_AVAIL_HI	0x094
#define R_USED_LO	0x0a0
#define R_USED_HI	0x0a4

#define S_ACKNOWLEDGE 1
#define S_DRIVER      2
#define S_DRIVER_OK   4
#define S_FEATURES_OK 8

int vmmio_begin(uint64_t base, uint32_t device_id, uint64_t *features)
{
	if (*vmmio_reg(base, R_MAGIC) != 0x74726976 || *vmmio_reg(base, R_VERSION) != 2 ||
	    *vmmio_reg(base, R_DEVICE_ID) != device_id)
		return -1;
	*vmmio_reg(base, R_STATUS) = 0;
	*vmmio_reg(base, R_STATUS) = S_ACKNOWLEDGE | S_DRIVER;
	*vmmio_reg(base, R_DEV_FEAT_SEL) = 0;
	*features = *vmmio_reg(base, R_DEV_FEAT);
	*vmmio_reg(base, R_DEV_FEAT_SEL) = 1;
	*features |= (uint64_t)*vmmio_reg(base, R_DEV_FEAT) << 32;
	return *features >> VMMIO_F_VERSION_1 & 1 ? 0 : -2;
}

int vmmio_features_ok(uint64_t base, uint64_t features)
{
	*vmmio_reg(base, R_DRV_FEAT_SEL) = 0;
	*vmmio_reg(base, R_DRV_FEAT) = (uint32_t)features;
	*vmmio_reg(base, R_DRV_FEAT_SEL) = 1;
	*vmmio_reg(base, R_DRV_FEAT) = (uint32_t)(features >> 32);
	*vmmio_reg(base, R_STATUS) = S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK;
	return *vmmio_reg(base, R_STATUS) & S_FEATURES_OK ? 0 : -3;
}

uint32_t vmmio_queue_max(uint64_t base, unsigned int index)
{
	*vmmio_reg(base, R_QUEUE_SEL) = index;
	return *vmmio_reg(base, R_QUEUE_NUM_MAX);
}

void vmmio_queue(uint64_t base, unsigned int index, unsigned int size, const void *desc,
		 volatile void *avail, volatile void *used)
{
	uint64_t d = (uint64_t)desc, a = (uint64_t)avail, u = (uint64_t)used;

	*vmmio_reg(base, R_QUEUE_SEL) = index;
	*vmmio_reg(base, R_QUEUE_NUM) = size;
	*vmmio_reg(base, R_DESC_LO) = (uint32_t)d;
	*vmmio_reg(base, R_DESC_HI) = (uint32_t)(d >> 32);
	*vmmio_reg(base, R_AVAIL_LO) = (uint32_t)a;
	*vmmio_reg(base, R_AVAIL_HI) = (uint32_t)(a >> 32);
	*vmmio_reg(base, R_USED_LO) = (uint32_t)u;
	*vmmio_reg(base, R_USED_HI) = (uint32_t)(u >> 32);
	*(volatile uint16_t *)avail = 1; /* VRING_AVAIL_F_NO_INTERRUPT: we poll */
	*vmmio_reg(base, R_QUEUE_READY) = 1;
}

uint32_t vmmio_driver_ok(uint64_t base)
{
	*vmmio_reg(base, R_STATUS) = S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK;
	return *vmmio_reg(base, R_STATUS);
}

void vmmio_notify(uint64_t base, unsigned int index)
{
	*vmmio_reg(base, R_QUEUE_NOTIFY) = index;
}
