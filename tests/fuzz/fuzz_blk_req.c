// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for virtio-blk request parsing (devices/blk_req.c): the
 * input is a chain (up to 8 readable then writable segments cut from one
 * buffer the input fills), a capacity and the disk's flags. Whatever the
 * bytes, a request that parses stays inside its chain: the status byte is
 * the chain's last writable byte, every data segment lies in a segment of
 * the chain, reads go to writable memory and writes come from readable
 * memory, the sectors are inside the capacity, and a read-only disk or a
 * request type not negotiated is never served.
 */
#include <string.h>

#include "devices/blk_req.h"
#include "tests/fuzz/fuzz_input.h"

#define BUF   4096
#define SEGS  8
#define DATAS (SEGS + 2)

static uint8_t buf[BUF];

static bool inside(const struct iovec *v, const struct iovec *segs, uint32_t from, uint32_t to)
{
	const uint8_t *b = v->iov_base;

	for (uint32_t i = from; i < to; i++) {
		const uint8_t *s = segs[i].iov_base;

		if (b >= s && v->iov_len <= segs[i].iov_len &&
		    b + v->iov_len <= s + segs[i].iov_len)
			return true;
	}
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = {data, size};
	struct iovec segs[SEGS], out[DATAS];
	struct vq_chain c;
	struct blk_req r;
	uint32_t nout, nin, off = 0;
	uint64_t capacity;
	unsigned int flags;

	nout = take(&in, 1) % (SEGS + 1);
	nin = take(&in, 1) % (SEGS + 1 - nout);
	capacity = ((uint64_t)take(&in, 4) << 8) | take(&in, 1);
	flags = take(&in, 1) & (BLK_REQ_RO | BLK_REQ_DISCARD | BLK_REQ_WRITE_ZEROES);
	memset(&c, 0, sizeof(c));
	vq_chain_init(&c, segs, SEGS);
	for (uint32_t i = 0; i < nout + nin; i++) {
		uint32_t len = take(&in, 2) % 600;

		if (off + len > BUF)
			len = BUF - off;
		segs[i] = (struct iovec){buf + off, len};
		off += len;
		if (i < nout)
			c.out_len += len;
		else
			c.in_len += len;
	}
	c.n_out = nout;
	c.n_in = nin;
	memset(buf, 0, sizeof(buf));
	for (uint32_t i = 0; i < off && in.n; i++)
		buf[i] = (uint8_t)take(&in, 1);

	switch (blk_req_parse(&c, capacity, flags, out, DATAS, &r)) {
	case BLK_REQ_NO_STATUS:
		return 0;
	case BLK_REQ_STATUS:
		require(r.status_code != 0);
		break;
	case BLK_REQ_OK:
		require(r.n_data <= DATAS);
		for (uint32_t i = 0; i < r.n_data; i++) {
			if (r.type == VIRTIO_BLK_T_IN || r.type == VIRTIO_BLK_T_GET_ID)
				require(inside(&r.data[i], segs, nout, nout + nin));
			else
				require(inside(&r.data[i], segs, 0, nout));
		}
		if (r.type == VIRTIO_BLK_T_OUT)
			require(!(flags & BLK_REQ_RO));
		if (r.type == VIRTIO_BLK_T_DISCARD)
			require(flags & BLK_REQ_DISCARD && !(flags & BLK_REQ_RO) &&
				r.range_sector + r.range_sectors <= capacity &&
				r.range_sector + r.range_sectors >= r.range_sector);
		if (r.type == VIRTIO_BLK_T_WRITE_ZEROES)
			require(flags & BLK_REQ_WRITE_ZEROES && !(flags & BLK_REQ_RO) &&
				r.range_sector + r.range_sectors <= capacity &&
				r.range_sector + r.range_sectors >= r.range_sector);
		if (r.type == VIRTIO_BLK_T_IN || r.type == VIRTIO_BLK_T_OUT)
			require(r.data_len % 512 == 0 && r.sector <= capacity &&
				r.data_len / 512 <= capacity - r.sector);
		break;
	}
	/* The status byte is the chain's last writable byte. */
	require(nin && segs[nout + nin - 1].iov_len);
	{
		const struct iovec *l = &segs[nout + nin - 1];

		require(r.status == (uint8_t *)l->iov_base + l->iov_len - 1);
	}
	return 0;
}
