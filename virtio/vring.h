/* SPDX-License-Identifier: MIT */
/*
 * Split-ring layout (virtio 1.x, "Split Virtqueues") and the feature bits the
 * queue layer acts on. Kept here rather than taken from <linux/virtio_ring.h>
 * so that virtio/ depends on libc only; names follow the kernel's and are
 * guarded so both can be included together.
 */
#ifndef MINIVMM_VIRTIO_VRING_H
#define MINIVMM_VIRTIO_VRING_H

#include <stdbool.h>
#include <stdint.h>

#ifndef VIRTIO_RING_F_INDIRECT_DESC
#define VIRTIO_RING_F_INDIRECT_DESC 28
#endif
#ifndef VIRTIO_RING_F_EVENT_IDX
#define VIRTIO_RING_F_EVENT_IDX 29
#endif
#ifndef VIRTIO_F_VERSION_1
#define VIRTIO_F_VERSION_1 32
#endif
#ifndef VIRTIO_F_RING_PACKED
#define VIRTIO_F_RING_PACKED 34
#endif
#ifndef VIRTIO_F_IN_ORDER
#define VIRTIO_F_IN_ORDER 35
#endif

#ifndef VRING_DESC_F_NEXT
#define VRING_DESC_F_NEXT 1
#endif
#ifndef VRING_DESC_F_WRITE
#define VRING_DESC_F_WRITE 2
#endif
#ifndef VRING_DESC_F_INDIRECT
#define VRING_DESC_F_INDIRECT 4
#endif
#ifndef VRING_AVAIL_F_NO_INTERRUPT
#define VRING_AVAIL_F_NO_INTERRUPT 1
#endif
#ifndef VRING_USED_F_NO_NOTIFY
#define VRING_USED_F_NO_NOTIFY 1
#endif

/* Largest split queue the spec allows; packed queues have the same limit (2^15). */
#define VQ_SPLIT_MAX_SIZE 32768

/* Packed ring (virtio 1.x "Packed Virtqueues"): descriptor flags and event suppression. */
#ifndef VRING_PACKED_DESC_F_AVAIL
#define VRING_PACKED_DESC_F_AVAIL 7
#endif
#ifndef VRING_PACKED_DESC_F_USED
#define VRING_PACKED_DESC_F_USED 15
#endif
#ifndef VRING_PACKED_EVENT_FLAG_ENABLE
#define VRING_PACKED_EVENT_FLAG_ENABLE 0x0
#endif
#ifndef VRING_PACKED_EVENT_FLAG_DISABLE
#define VRING_PACKED_EVENT_FLAG_DISABLE 0x1
#endif
#ifndef VRING_PACKED_EVENT_FLAG_DESC
#define VRING_PACKED_EVENT_FLAG_DESC 0x2
#endif
#ifndef VRING_PACKED_EVENT_F_WRAP_CTR
#define VRING_PACKED_EVENT_F_WRAP_CTR 15
#endif

/*
 * Byte offsets inside a packed descriptor (addr le64, len le32, id le16,
 * flags le16) and inside an event suppression structure (off_wrap le16,
 * flags le16), which the device writes as one 32-bit store.
 */
#define VQ_PDESC_LEN	   8
#define VQ_PDESC_ID	   12
#define VQ_PDESC_FLAGS	   14
#define VQ_PEVENT_OFF_WRAP 0
#define VQ_PEVENT_FLAGS	   2
#define VQ_PEVENT_BYTES	   4

/* Guest layout of one descriptor (little-endian in guest memory). */
struct vq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

/* Byte offsets inside the avail and used areas. */
#define VQ_AVAIL_FLAGS	    0
#define VQ_AVAIL_IDX	    2
#define VQ_AVAIL_RING(i)    (4 + 2 * (uint64_t)(i))
#define VQ_USED_FLAGS	    0
#define VQ_USED_IDX	    2
#define VQ_USED_RING(i)	    (4 + 8 * (uint64_t)(i))
#define VQ_USED_ELEM_ID(i)  VQ_USED_RING(i)
#define VQ_USED_ELEM_LEN(i) (VQ_USED_RING(i) + 4)
/* used_event sits after avail->ring[size], avail_event after used->ring[size]. */
#define VQ_USED_EVENT(size)  VQ_AVAIL_RING(size)
#define VQ_AVAIL_EVENT(size) VQ_USED_RING(size)

static inline uint64_t vq_desc_bytes(uint16_t size)
{
	return 16 * (uint64_t)size;
}

static inline uint64_t vq_avail_bytes(uint16_t size, bool event_idx)
{
	return VQ_AVAIL_RING(size) + (event_idx ? 2 : 0);
}

static inline uint64_t vq_used_bytes(uint16_t size, bool event_idx)
{
	return VQ_USED_RING(size) + (event_idx ? 2 : 0);
}

/*
 * EVENT_IDX: should the side that moved its index from old to new_idx notify,
 * given the other side asked to hear once event_idx is passed? True when
 * event_idx lies in [old, new_idx), computed in u16 so it works across wrap.
 */
static inline bool vring_need_event(uint16_t event_idx, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - event_idx - 1) < (uint16_t)(new_idx - old);
}

#endif
