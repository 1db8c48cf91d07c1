// SPDX-License-Identifier: MIT
#include "devices/blk_req.h"

#include <string.h>

#include "common/le.h"
#include "devices/iov.h"

/* Segments of src after the first skip bytes, into dst; returns the byte count. */
static uint64_t slice(const struct iovec *src, uint32_t n, uint64_t skip, struct iovec *dst,
		      uint32_t cap, uint32_t *nd)
{
	uint64_t total = 0;

	*nd = 0;
	for (uint32_t i = 0; i < n && *nd < cap; i++) {
		uint64_t l = src[i].iov_len;

		if (skip >= l) {
			skip -= l;
			continue;
		}
		dst[*nd].iov_base = (uint8_t *)src[i].iov_base + skip;
		dst[*nd].iov_len = l - skip;
		total += l - skip;
		(*nd)++;
		skip = 0;
	}
	return total;
}

static enum blk_parse reject(struct blk_req *r, enum blk_reject why, uint8_t code)
{
	r->reject = why;
	r->status_code = code;
	return BLK_REQ_STATUS;
}

static bool in_range(uint64_t sector, uint64_t sectors, uint64_t capacity)
{
	return sector <= capacity && sectors <= capacity - sector;
}

static enum blk_parse parse_range(struct blk_req *r, uint64_t capacity, bool read_only)
{
	uint8_t seg[BLK_DWZ_SEG_SIZE];

	if (read_only)
		return reject(r, BLK_REJ_READ_ONLY, VIRTIO_BLK_S_IOERR);
	/* We advertise one segment per request (max_*_seg = 1). */
	if (r->data_len != BLK_DWZ_SEG_SIZE ||
	    iov_gather(r->data, r->n_data, 0, seg, sizeof(seg)) != sizeof(seg))
		return reject(r, BLK_REJ_BAD_SEGMENT, VIRTIO_BLK_S_UNSUPP);
	r->range_sector = get_le64(seg);
	r->range_sectors = get_le32(seg + 8);
	r->range_flags = get_le32(seg + 12);
	if ((r->type == VIRTIO_BLK_T_DISCARD && r->range_flags) ||
	    (r->range_flags & ~(uint32_t)VIRTIO_BLK_WZ_F_UNMAP))
		return reject(r, BLK_REJ_BAD_SEGMENT, VIRTIO_BLK_S_UNSUPP);
	if (!in_range(r->range_sector, r->range_sectors, capacity))
		return reject(r, BLK_REJ_OUT_OF_RANGE, VIRTIO_BLK_S_IOERR);
	return BLK_REQ_OK;
}

enum blk_parse blk_req_parse(const struct vq_chain *c, uint64_t capacity, unsigned int flags,
			     struct iovec *data, uint32_t cap, struct blk_req *r)
{
	bool read_only = flags & BLK_REQ_RO;
	const struct iovec *in = c->iov + c->n_out;
	struct iovec *last;
	uint8_t hdr[BLK_HDR_SIZE];

	memset(r, 0, sizeof(*r));
	r->data = data;
	/* vq_pop() makes no empty segments; a hand-made chain still must not
	 * put the status byte in front of its buffer. */
	if (c->n_in == 0 || c->iov[c->n_out + c->n_in - 1].iov_len == 0) {
		r->reject = BLK_REJ_NO_STATUS;
		return BLK_REQ_NO_STATUS;
	}
	/* Zero-length descriptors make no segment, so the last one has a byte. */
	last = (struct iovec *)&in[c->n_in - 1];
	r->status = (uint8_t *)last->iov_base + last->iov_len - 1;
	if (c->out_len < BLK_HDR_SIZE ||
	    iov_gather(c->iov, c->n_out, 0, hdr, BLK_HDR_SIZE) != BLK_HDR_SIZE)
		return reject(r, BLK_REJ_SHORT_HEADER, VIRTIO_BLK_S_IOERR);
	r->type = get_le32(hdr);
	r->sector = get_le64(hdr + 8);

	switch (r->type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_GET_ID:
		/* Payload: the writable bytes before the status byte. */
		r->data_len = slice(in, c->n_in, 0, data, cap, &r->n_data);
		r->data_len--;
		if (r->n_data && data[r->n_data - 1].iov_len == 1)
			r->n_data--;
		else if (r->n_data)
			data[r->n_data - 1].iov_len--;
		if (r->type == VIRTIO_BLK_T_GET_ID)
			return BLK_REQ_OK;
		break;
	case VIRTIO_BLK_T_OUT:
		if (read_only)
			return reject(r, BLK_REJ_READ_ONLY, VIRTIO_BLK_S_IOERR);
		r->data_len = slice(c->iov, c->n_out, BLK_HDR_SIZE, data, cap, &r->n_data);
		break;
	case VIRTIO_BLK_T_FLUSH:
		return BLK_REQ_OK;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		/* Only what the driver negotiated: it sized its requests by our config for it. */
		if (!(flags &
		      (r->type == VIRTIO_BLK_T_DISCARD ? BLK_REQ_DISCARD : BLK_REQ_WRITE_ZEROES)))
			return reject(r, BLK_REJ_UNSUPPORTED, VIRTIO_BLK_S_UNSUPP);
		r->data_len = slice(c->iov, c->n_out, BLK_HDR_SIZE, data, cap, &r->n_data);
		return parse_range(r, capacity, read_only);
	default:
		return reject(r, BLK_REJ_UNSUPPORTED, VIRTIO_BLK_S_UNSUPP);
	}
	if (r->data_len % VIRTIO_BLK_SECTOR)
		return reject(r, BLK_REJ_NOT_SECTOR_MULTIPLE, VIRTIO_BLK_S_IOERR);
	if (!in_range(r->sector, r->data_len / VIRTIO_BLK_SECTOR, capacity))
		return reject(r, BLK_REJ_OUT_OF_RANGE, VIRTIO_BLK_S_IOERR);
	return BLK_REQ_OK;
}
