/* SPDX-License-Identifier: MIT */
/* The split-ring format behind struct vq_ops (virtio 1.x "Split Virtqueues"). */
#ifndef MINIVMM_VIRTIO_SPLIT_RING_H
#define MINIVMM_VIRTIO_SPLIT_RING_H

#include "virtio/virtqueue.h"

extern const struct vq_ops vq_split_ops;

#endif
