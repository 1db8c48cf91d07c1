/* SPDX-License-Identifier: MIT */
/* The packed-ring format behind struct vq_ops (virtio 1.x "Packed Virtqueues"). */
#ifndef MINIVMM_VIRTIO_PACKED_RING_H
#define MINIVMM_VIRTIO_PACKED_RING_H

#include "virtio/virtqueue.h"

extern const struct vq_ops vq_packed_ops;

#endif
