// SPDX-License-Identifier: MIT
/* Chain segments, shared by the ring formats (virtio/chain.h). */
#include "virtio/chain.h"

int vq_chain_add_segment(struct virtqueue *vq, struct vq_chain *c, uint64_t addr, uint32_t len,
			 bool writable, uint64_t *total)
{
	void *p;

	if (!writable && c->n_in)
		return VQ_E_ORDER;
	*total += len;
	if (*total > UINT32_MAX)
		return VQ_E_TOO_LONG;
	if (writable)
		c->in_len += len;
	else
		c->out_len += len;
	if (!len)
		return VQ_OK;
	p = gm_translate(vq->gm, addr, len);
	if (!p)
		return VQ_E_BAD_ADDR;
	if (c->n_out + c->n_in >= c->iov_cap)
		return VQ_E_TOO_MANY_SEGS;
	c->iov[c->n_out + c->n_in] = (struct iovec){.iov_base = p, .iov_len = len};
	if (writable)
		c->n_in++;
	else
		c->n_out++;
	return VQ_OK;
}
