// SPDX-License-Identifier: MIT
#include "devices/net_rx.h"

#include <errno.h>
#include <stdlib.h>

#include "devices/dev_stats.h"
#include "devices/net_hdr.h"

int vnet_rx_init(struct vnet_rx *rx, struct virtqueue *vq, uint16_t queue_size)
{
	*rx = (struct vnet_rx){.vq = vq, .cap = queue_size};
	rx->chains = calloc(queue_size, sizeof(*rx->chains));
	rx->iov = calloc((size_t)queue_size * VNET_RX_IOV_CAP, sizeof(*rx->iov));
	rx->used = calloc(queue_size, sizeof(*rx->used));
	if (!rx->chains || !rx->iov || !rx->used) {
		vnet_rx_free(rx);
		return -ENOMEM;
	}
	return 0;
}

void vnet_rx_free(struct vnet_rx *rx)
{
	free(rx->chains);
	free(rx->iov);
	free(rx->used);
	rx->chains = NULL;
	rx->iov = NULL;
	rx->used = NULL;
}

/* Completes chains[0 .. nb) with length 0: a frame we could not place. */
static void give_back_empty(struct vnet_rx *rx, unsigned int nb)
{
	for (unsigned int i = 0; i < nb; i++)
		vq_complete(rx->vq, &rx->chains[i].t, 0);
	rx->need_flush = true;
	stat_inc(&rx->st.drop_bad_chain);
}

enum place { PLACE_DONE, PLACE_BLOCKED, PLACE_BROKEN };

/* Places f into guest buffers, drops it, or leaves it waiting for buffers. */
static enum place place_one(struct vnet_rx *rx, struct vnet_rx_frame *f)
{
	struct virtqueue *vq = rx->vq;
	enum vnet_rx_offer res = VNET_RX_MORE;
	struct vnet_rx_plan p;
	unsigned int nb = 0;

	vnet_rx_plan_init(&p, f->len, rx->mrg_rxbuf, vq->size < rx->cap ? vq->size : rx->cap);
	while (res == VNET_RX_MORE) {
		struct vq_chain *c = &rx->chains[nb];
		int rc;

		vq_chain_init(c, rx->iov + (size_t)nb * VNET_RX_IOV_CAP, VNET_RX_IOV_CAP);
		rc = vq_pop(vq, c);
		if (rc == VQ_EMPTY)
			break;
		if (vq_err_is_fatal(rc)) {
			vq_unpop(vq, (uint16_t)nb);
			return PLACE_BROKEN;
		}
		/*
		 * A bad chain, an empty one, or a first buffer that cannot hold
		 * the header: answer it and those taken before it, drop the
		 * frame. Giving such a buffer back would stall every frame behind it.
		 */
		if (rc < 0 || c->in_len < (nb ? 1 : VNET_HDR_LEN)) {
			give_back_empty(rx, nb + 1);
			return PLACE_DONE;
		}
		res = vnet_rx_offer(&p, c->in_len);
		nb++;
	}
	if (res == VNET_RX_MORE) {
		/* Too few buffers posted: give them back, wait for more. */
		if (nb)
			vq_unpop(vq, (uint16_t)nb);
		if (!f->waited) {
			f->waited = true;
			stat_inc(&rx->st.waits);
		}
		return PLACE_BLOCKED;
	}
	if (res == VNET_RX_NO_FIT) {
		/* Larger than the guest's buffers can ever hold; they stay posted. */
		vq_unpop(vq, (uint16_t)nb);
		stat_inc(&rx->st.drop_no_fit);
		return PLACE_DONE;
	}
	if (vnet_rx_fill(f->data, f->len, rx->chains, nb, rx->used) < 0) {
		give_back_empty(rx, nb);
		return PLACE_DONE;
	}
	/* All buffers of the frame become visible in the same flush. */
	for (unsigned int i = 0; i < nb; i++)
		vq_complete(vq, &rx->chains[i].t, rx->used[i]);
	rx->need_flush = true;
	rx->last_nbufs = (uint16_t)nb;
	stat_inc(&rx->st.packets);
	stat_add(&rx->st.bytes, f->len - VNET_HDR_LEN);
	stat_max(&rx->st.max_bufs, nb);
	return PLACE_DONE;
}

enum vnet_rx_result vnet_rx_process(struct vnet_rx *rx, const struct vnet_rx_source *src)
{
	struct virtqueue *vq = rx->vq;
	struct vnet_rx_frame *f;

	if (!src->peek(src->ctx))
		return VNET_RX_IDLE;
	if (!vq->ready)
		return VNET_RX_BLOCKED; /* QueueReady comes with buffers, then a kick */
	if (vq->broken)
		return VNET_RX_BROKEN;
	vq_disable_notify(vq);
	while ((f = src->peek(src->ctx))) {
		switch (place_one(rx, f)) {
		case PLACE_BROKEN:
			return VNET_RX_BROKEN;
		case PLACE_BLOCKED:
			/* Ask for a kick; go on only if the guest posted more meanwhile. */
			if (!vq_enable_notify(vq))
				return VNET_RX_BLOCKED;
			break;
		case PLACE_DONE:
			src->consume(src->ctx);
			break;
		}
	}
	/* Nothing waits: no kicks needed until a frame finds the ring short. */
	return VNET_RX_IDLE;
}
