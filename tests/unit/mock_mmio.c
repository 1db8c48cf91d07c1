// SPDX-License-Identifier: MIT
/* The driver's side of the virtio-mmio registers (tests/unit/mock_mmio.h). */
#include "tests/unit/mock_mmio.h"

#include "common/le.h"
#include "virtio/vring.h"

#define NEGOTIATED (VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK)

void mock_mmio_w(struct vmmio *m, uint64_t off, uint32_t v)
{
	uint8_t b[4];

	put_le32(b, v);
	vmmio_write(m, off, b, 4);
}

uint32_t mock_mmio_r(struct vmmio *m, uint64_t off)
{
	uint8_t b[4];

	vmmio_read(m, off, b, 4);
	return get_le32(b);
}

uint64_t mock_mmio_device_features(struct vmmio *m)
{
	uint64_t f;

	mock_mmio_w(m, VMMIO_DEVICE_FEATURES_SEL, 1);
	f = (uint64_t)mock_mmio_r(m, VMMIO_DEVICE_FEATURES) << 32;
	mock_mmio_w(m, VMMIO_DEVICE_FEATURES_SEL, 0);
	return f | mock_mmio_r(m, VMMIO_DEVICE_FEATURES);
}

bool mock_mmio_negotiate(struct vmmio *m, uint64_t features)
{
	mock_mmio_w(m, VMMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	mock_mmio_w(m, VMMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	mock_mmio_w(m, VMMIO_DRIVER_FEATURES_SEL, 1);
	mock_mmio_w(m, VMMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
	mock_mmio_w(m, VMMIO_DRIVER_FEATURES_SEL, 0);
	mock_mmio_w(m, VMMIO_DRIVER_FEATURES, (uint32_t)features);
	mock_mmio_w(m, VMMIO_STATUS, NEGOTIATED);
	return mock_mmio_r(m, VMMIO_STATUS) == NEGOTIATED;
}

bool mock_mmio_queue(struct vmmio *m, unsigned int q, unsigned int size, uint64_t desc,
		     uint64_t driver, uint64_t device)
{
	mock_mmio_w(m, VMMIO_QUEUE_SEL, q);
	mock_mmio_w(m, VMMIO_QUEUE_NUM, size);
	mock_mmio_w(m, VMMIO_QUEUE_DESC_LOW, (uint32_t)desc);
	mock_mmio_w(m, VMMIO_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
	mock_mmio_w(m, VMMIO_QUEUE_DRIVER_LOW, (uint32_t)driver);
	mock_mmio_w(m, VMMIO_QUEUE_DRIVER_HIGH, (uint32_t)(driver >> 32));
	mock_mmio_w(m, VMMIO_QUEUE_DEVICE_LOW, (uint32_t)device);
	mock_mmio_w(m, VMMIO_QUEUE_DEVICE_HIGH, (uint32_t)(device >> 32));
	mock_mmio_w(m, VMMIO_QUEUE_READY, 1);
	return mock_mmio_r(m, VMMIO_QUEUE_READY) == 1;
}

bool mock_mmio_driver_ok(struct vmmio *m)
{
	mock_mmio_w(m, VMMIO_STATUS, NEGOTIATED | VIRTIO_STATUS_DRIVER_OK);
	return mock_mmio_r(m, VMMIO_STATUS) == (NEGOTIATED | VIRTIO_STATUS_DRIVER_OK);
}
