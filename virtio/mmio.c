// SPDX-License-Identifier: MIT
#include "virtio/mmio.h"

#include <errno.h>
#include <string.h>

#include "virtio/vring.h"

int vmmio_init(struct vmmio *m, const struct vmmio_ops *ops, void *dev, uint32_t device_id,
	       uint64_t device_features, uint32_t config_size, struct virtqueue *vqs,
	       unsigned int num_queues)
{
	if (!(device_features & (1ULL << VIRTIO_F_VERSION_1)) || num_queues == 0 ||
	    num_queues > VMMIO_MAX_QUEUES || config_size > VMMIO_SIZE - VMMIO_CONFIG)
		return -EINVAL;
	memset(m, 0, sizeof(*m));
	pthread_mutex_init(&m->lock, NULL);
	m->ops = ops;
	m->dev = dev;
	m->device_id = device_id;
	m->device_features = device_features;
	m->config_size = config_size;
	m->vqs = vqs;
	m->num_queues = num_queues;
	return 0;
}

void vmmio_destroy(struct vmmio *m)
{
	pthread_mutex_destroy(&m->lock);
}

static uint32_t get32(const uint8_t *d)
{
	return (uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16 | (uint32_t)d[3] << 24;
}

static void put32(uint8_t *d, uint32_t v)
{
	d[0] = (uint8_t)v;
	d[1] = (uint8_t)(v >> 8);
	d[2] = (uint8_t)(v >> 16);
	d[3] = (uint8_t)(v >> 24);
}

static struct virtqueue *selected(struct vmmio *m)
{
	return m->queue_sel < m->num_queues ? &m->vqs[m->queue_sel] : NULL;
}

static uint32_t read_reg(struct vmmio *m, uint64_t off)
{
	struct virtqueue *vq = selected(m);

	switch (off) {
	case VMMIO_MAGIC_VALUE:
		return VMMIO_MAGIC;
	case VMMIO_VERSION_REG:
		return VMMIO_VERSION;
	case VMMIO_DEVICE_ID:
		return m->device_id;
	case VMMIO_VENDOR_ID:
		return VMMIO_VENDOR;
	case VMMIO_DEVICE_FEATURES:
		return m->dev_feat_sel < 2
			       ? (uint32_t)(m->device_features >> (32 * m->dev_feat_sel))
			       : 0;
	case VMMIO_QUEUE_NUM_MAX:
		/* 0 tells the driver that the selected queue does not exist. */
		return vq ? vq->num_max : 0;
	case VMMIO_QUEUE_READY:
		return vq ? m->queue_ready[m->queue_sel] : 0;
	case VMMIO_INTERRUPT_STATUS:
		return (uint32_t)atomic_load(&m->isr);
	case VMMIO_STATUS:
		if (atomic_load(&m->reset_pending))
			return VIRTIO_STATUS_NEEDS_RESET;
		return m->status | (atomic_load(&m->needs_reset) ? VIRTIO_STATUS_NEEDS_RESET : 0);
	case VMMIO_CONFIG_GENERATION:
		return (uint32_t)atomic_load(&m->config_generation);
	case VMMIO_SHM_LEN_LOW:
	case VMMIO_SHM_LEN_HIGH:
		return 0xffffffff; /* no shared memory regions */
	case VMMIO_QUEUE_NUM:
		return vq ? vq->size : 0;
	case VMMIO_QUEUE_DESC_LOW:
		return vq ? (uint32_t)vq->desc_gpa : 0;
	case VMMIO_QUEUE_DESC_HIGH:
		return vq ? (uint32_t)(vq->desc_gpa >> 32) : 0;
	case VMMIO_QUEUE_DRIVER_LOW:
		return vq ? (uint32_t)vq->avail_gpa : 0;
	case VMMIO_QUEUE_DRIVER_HIGH:
		return vq ? (uint32_t)(vq->avail_gpa >> 32) : 0;
	case VMMIO_QUEUE_DEVICE_LOW:
		return vq ? (uint32_t)vq->used_gpa : 0;
	case VMMIO_QUEUE_DEVICE_HIGH:
		return vq ? (uint32_t)(vq->used_gpa >> 32) : 0;
	default:
		m->counters.bad_access++;
		return 0;
	}
}

static void do_reset(struct vmmio *m)
{
	m->ops->reset(m->dev);
	m->status = 0;
	m->driver_features = 0;
	m->negotiated = 0;
	m->dev_feat_sel = m->drv_feat_sel = m->queue_sel = 0;
	memset(m->queue_ready, 0, sizeof(m->queue_ready));
	atomic_store(&m->isr, 0);
	atomic_store(&m->needs_reset, false);
}

static void set_low_high(uint64_t *field, uint32_t v, int high)
{
	if (high)
		*field = (*field & 0xffffffffULL) | (uint64_t)v << 32;
	else
		*field = (*field & ~0xffffffffULL) | v;
}

/* Features may change only between DRIVER and FEATURES_OK. */
static bool features_writable(const struct vmmio *m)
{
	return (m->status & VIRTIO_STATUS_DRIVER) && !(m->status & VIRTIO_STATUS_FEATURES_OK);
}

/* Queue layout may change after FEATURES_OK, while the queue is not ready. */
static bool queue_writable(const struct vmmio *m)
{
	return (m->status & VIRTIO_STATUS_FEATURES_OK) &&
	       !(m->status & (VIRTIO_STATUS_FAILED | VIRTIO_STATUS_NEEDS_RESET)) &&
	       !atomic_load(&m->needs_reset) && m->queue_sel < m->num_queues &&
	       !m->queue_ready[m->queue_sel];
}

static void write_status(struct vmmio *m, uint32_t v)
{
	uint32_t added;

	if (v == 0) {
		do_reset(m);
		return;
	}
	/* Bits the spec does not define are not kept: the driver reads back what it means. */
	v &= VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_DRIVER_OK |
	     VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_NEEDS_RESET | VIRTIO_STATUS_FAILED;
	/* Only a reset clears bits (NEEDS_RESET is the device's to set). */
	if ((m->status & ~(uint32_t)VIRTIO_STATUS_NEEDS_RESET) & ~v) {
		m->counters.bad_state++;
		return;
	}
	added = v & ~m->status & ~(uint32_t)VIRTIO_STATUS_NEEDS_RESET;
	if (added & VIRTIO_STATUS_FEATURES_OK) {
		uint64_t f = m->driver_features;

		if (!(v & VIRTIO_STATUS_DRIVER) || (f & ~m->device_features) ||
		    !(f & (1ULL << VIRTIO_F_VERSION_1))) {
			/* The driver reads FEATURES_OK back and gives up. */
			m->counters.features_refused++;
			added &= ~(uint32_t)VIRTIO_STATUS_FEATURES_OK;
		} else {
			m->negotiated = f;
			atomic_store(&m->last_negotiated, f);
		}
	}
	if ((added & VIRTIO_STATUS_DRIVER_OK) &&
	    !((m->status | added) & VIRTIO_STATUS_FEATURES_OK)) {
		m->counters.bad_state++;
		added &= ~(uint32_t)VIRTIO_STATUS_DRIVER_OK;
	}
	m->status |= added;
	if (added & VIRTIO_STATUS_DRIVER_OK)
		m->ops->driver_ok(m->dev, m->negotiated);
}

static void write_queue_ready(struct vmmio *m, uint32_t v)
{
	unsigned int q = m->queue_sel;

	if (q >= m->num_queues) {
		m->counters.bad_state++;
		return;
	}
	if (v == 0) {
		/* Disabling a single queue needs VIRTIO_F_RING_RESET, not offered. */
		if (m->queue_ready[q])
			m->counters.bad_state++;
		return;
	}
	if (m->queue_ready[q] || !queue_writable(m)) {
		m->counters.bad_state++;
		return;
	}
	if (m->ops->queue_enable(m->dev, q, m->negotiated) != 0) {
		m->counters.queue_refused++;
		vmmio_set_needs_reset(m);
		return;
	}
	m->queue_ready[q] = true;
}

static void write_reg(struct vmmio *m, uint64_t off, uint32_t v)
{
	struct virtqueue *vq = selected(m);

	switch (off) {
	case VMMIO_DEVICE_FEATURES_SEL:
		m->dev_feat_sel = v;
		return;
	case VMMIO_DRIVER_FEATURES_SEL:
		m->drv_feat_sel = v;
		return;
	case VMMIO_DRIVER_FEATURES:
		if (!features_writable(m) || m->drv_feat_sel >= 2) {
			m->counters.bad_state++;
			return;
		}
		set_low_high(&m->driver_features, v, m->drv_feat_sel == 1);
		return;
	case VMMIO_QUEUE_SEL:
		m->queue_sel = v;
		return;
	case VMMIO_QUEUE_READY:
		write_queue_ready(m, v);
		return;
	case VMMIO_QUEUE_NOTIFY:
		if (v < m->num_queues && m->queue_ready[v] && m->ops->notify)
			m->ops->notify(m->dev, v);
		return;
	case VMMIO_INTERRUPT_ACK:
		atomic_fetch_and(&m->isr, ~(uint_fast32_t)v);
		return;
	case VMMIO_STATUS:
		write_status(m, v);
		return;
	case VMMIO_SHM_SEL:
		return;
	default:
		break;
	}
	/* Queue layout registers. */
	switch (off) {
	case VMMIO_QUEUE_NUM:
	case VMMIO_QUEUE_DESC_LOW:
	case VMMIO_QUEUE_DESC_HIGH:
	case VMMIO_QUEUE_DRIVER_LOW:
	case VMMIO_QUEUE_DRIVER_HIGH:
	case VMMIO_QUEUE_DEVICE_LOW:
	case VMMIO_QUEUE_DEVICE_HIGH:
		if (!vq || !queue_writable(m)) {
			m->counters.bad_state++;
			return;
		}
		break;
	default:
		m->counters.bad_access++;
		return;
	}
	switch (off) {
	case VMMIO_QUEUE_NUM:
		/* vq_enable() checks it against num_max and for a power of two. */
		vq->size = v > 0xffff ? 0 : (uint16_t)v;
		break;
	case VMMIO_QUEUE_DESC_LOW:
	case VMMIO_QUEUE_DESC_HIGH:
		set_low_high(&vq->desc_gpa, v, off == VMMIO_QUEUE_DESC_HIGH);
		break;
	case VMMIO_QUEUE_DRIVER_LOW:
	case VMMIO_QUEUE_DRIVER_HIGH:
		set_low_high(&vq->avail_gpa, v, off == VMMIO_QUEUE_DRIVER_HIGH);
		break;
	default:
		set_low_high(&vq->used_gpa, v, off == VMMIO_QUEUE_DEVICE_HIGH);
		break;
	}
}

void vmmio_read(struct vmmio *m, uint64_t offset, uint8_t *data, unsigned int size)
{
	memset(data, 0, size);
	pthread_mutex_lock(&m->lock);
	if (offset >= VMMIO_CONFIG) {
		uint64_t c = offset - VMMIO_CONFIG;

		if (c < m->config_size && size <= m->config_size - c && m->ops->config_read)
			m->ops->config_read(m->dev, (uint32_t)c, data, size);
		else
			m->counters.bad_access++;
	} else if (size != 4 || (offset & 3)) {
		m->counters.bad_access++; /* the spec demands 32-bit register access */
	} else {
		put32(data, read_reg(m, offset));
	}
	pthread_mutex_unlock(&m->lock);
}

void vmmio_write(struct vmmio *m, uint64_t offset, const uint8_t *data, unsigned int size)
{
	pthread_mutex_lock(&m->lock);
	if (atomic_load(&m->reset_pending)) {
		m->counters.bad_state++; /* the driver must wait for Status to read 0 */
	} else if (offset >= VMMIO_CONFIG) {
		uint64_t c = offset - VMMIO_CONFIG;

		if (c < m->config_size && size <= m->config_size - c && m->ops->config_write)
			m->ops->config_write(m->dev, (uint32_t)c, data, size);
		else
			m->counters.bad_access++;
	} else if (size != 4 || (offset & 3)) {
		m->counters.bad_access++;
	} else {
		write_reg(m, offset, get32(data));
	}
	pthread_mutex_unlock(&m->lock);
}

void vmmio_signal_used(struct vmmio *m)
{
	/* InterruptStatus is set before the interrupt (docs/design.md, "In-order rules", R15). */
	atomic_fetch_or(&m->isr, VMMIO_INT_VRING);
	m->ops->interrupt(m->dev);
}

void vmmio_set_needs_reset(struct vmmio *m)
{
	/* No lock: a vCPU may hold it while it waits for this very thread. */
	if (!atomic_exchange(&m->needs_reset, true)) {
		atomic_fetch_or(&m->isr, VMMIO_INT_CONFIG);
		m->ops->interrupt(m->dev);
	}
}

void vmmio_reset_later(struct vmmio *m)
{
	atomic_store(&m->reset_pending, true);
}

void vmmio_reset_done(struct vmmio *m)
{
	atomic_store(&m->reset_pending, false);
}

uint64_t vmmio_negotiated(struct vmmio *m, bool last)
{
	uint64_t f;

	/* Stats ask for the last one from any thread, and must not wait for a
	 * vCPU that holds the lock across a reset. */
	if (last)
		return atomic_load(&m->last_negotiated);
	pthread_mutex_lock(&m->lock);
	f = m->negotiated;
	pthread_mutex_unlock(&m->lock);
	return f;
}
