// SPDX-License-Identifier: MIT
/*
 * virtio-blk request parsing: every request type, and every hostile layout a
 * guest can hand us (split headers, missing or read-only status byte,
 * lengths that are not sector multiples, sectors beyond the disk, overflow
 * near UINT64_MAX, malformed discard/write-zeroes segments). Chains are
 * built by hand as iovecs into local buffers, plus one popped from a real
 * split ring through the mock driver.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/le.h"
#include "tests/unit/check_run.h"
#include "devices/blk_req.h"
#include "tests/unit/mock_driver.h"
#include "virtio/virtqueue.h"

#define CAP	 1000ULL /* disk capacity in sectors */
#define MAX_SEGS 16
#define F_V1	 (1ULL << VIRTIO_F_VERSION_1)
#define F_INDIR	 (1ULL << VIRTIO_RING_F_INDIRECT_DESC)

static struct iovec chain_iov[MAX_SEGS];
static struct iovec data[MAX_SEGS];
static struct vq_chain ch;
static struct blk_req r;

/* Large enough for a header, a few sectors and the status byte. */
static uint8_t hdr[BLK_HDR_SIZE];
static uint8_t buf[4 * VIRTIO_BLK_SECTOR + 64];
static uint8_t buf2[4 * VIRTIO_BLK_SECTOR + 64];
static uint8_t seg[32];
static uint8_t st;

static void make_hdr(uint8_t *p, uint32_t type, uint64_t sector)
{
	put_le32(p, type);
	put_le32(p + 4, 0xdeadbeef); /* ioprio: ignored */
	put_le64(p + 8, sector);
}

static void make_seg(uint8_t *p, uint64_t sector, uint32_t sectors, uint32_t flags)
{
	put_le64(p, sector);
	put_le32(p + 8, sectors);
	put_le32(p + 12, flags);
}

static struct iovec io(void *p, size_t len)
{
	return (struct iovec){.iov_base = p, .iov_len = len};
}

/* A chain of nout readable then nin writable segments, as vq_pop() makes. */
static void chain(const struct iovec *out, uint32_t nout, const struct iovec *in, uint32_t nin)
{
	ck_assert_uint_le(nout + nin, MAX_SEGS);
	memset(&ch, 0, sizeof(ch));
	vq_chain_init(&ch, chain_iov, MAX_SEGS);
	ch.out_len = ch.in_len = 0;
	for (uint32_t i = 0; i < nout; i++) {
		chain_iov[i] = out[i];
		ch.out_len += (uint32_t)out[i].iov_len;
	}
	for (uint32_t i = 0; i < nin; i++) {
		chain_iov[nout + i] = in[i];
		ch.in_len += (uint32_t)in[i].iov_len;
	}
	ch.n_out = nout;
	ch.n_in = nin;
	ch.ndesc = (uint16_t)(nout + nin);
}

/* The request types the driver negotiated beyond the basics. */
static unsigned int parse_ops = BLK_REQ_DISCARD | BLK_REQ_WRITE_ZEROES;

static enum blk_parse parse(uint64_t capacity, bool ro)
{
	memset(&r, 0xa5, sizeof(r)); /* the parser must set every field it reports */
	memset(data, 0, sizeof(data));
	return blk_req_parse(&ch, capacity, (ro ? BLK_REQ_RO : 0) | parse_ops, data, MAX_SEGS, &r);
}

/* The status pointer is always the last writable byte of the chain. */
static void assert_status_last(void)
{
	const struct iovec *last = &chain_iov[ch.n_out + ch.n_in - 1];

	ck_assert_uint_gt(ch.n_in, 0);
	ck_assert_ptr_eq(r.status, (uint8_t *)last->iov_base + last->iov_len - 1);
}

static void assert_rejected(enum blk_parse got, uint8_t code, enum blk_reject why)
{
	ck_assert_int_eq(got, BLK_REQ_STATUS);
	ck_assert_uint_eq(r.status_code, code);
	ck_assert_int_eq(r.reject, why);
	assert_status_last();
}

/* Header in its own descriptor, nothing else readable, the given writable segments. */
static void chain_in(uint32_t type, uint64_t sector, const struct iovec *in, uint32_t nin)
{
	struct iovec out[1] = {io(hdr, BLK_HDR_SIZE)};

	make_hdr(hdr, type, sector);
	chain(out, 1, in, nin);
}

/* Header, data of len bytes in buf, status byte st. */
static void chain_out(uint32_t type, uint64_t sector, size_t len)
{
	struct iovec out[2] = {io(hdr, BLK_HDR_SIZE), io(buf, len)};
	struct iovec in[1] = {io(&st, 1)};

	make_hdr(hdr, type, sector);
	chain(out, len ? 2 : 1, in, 1);
}

/* Names for the reasons, as a counter dump or a log would want them; only the
 * tests have wanted them so far. */
static const char *blk_reject_name(enum blk_reject r)
{
	static const char *const names[] = {
		[BLK_REJ_NONE] = "none",
		[BLK_REJ_SHORT_HEADER] = "short header",
		[BLK_REJ_NO_STATUS] = "no status byte",
		[BLK_REJ_NOT_SECTOR_MULTIPLE] = "length not a sector multiple",
		[BLK_REJ_OUT_OF_RANGE] = "beyond capacity",
		[BLK_REJ_READ_ONLY] = "write to read-only disk",
		[BLK_REJ_BAD_SEGMENT] = "bad discard/write-zeroes segment",
		[BLK_REJ_UNSUPPORTED] = "unsupported type",
	};

	return (unsigned int)r < BLK_REJ_COUNT ? names[r] : "?";
}

START_TEST(parse_in)
{
	struct iovec in[2] = {io(buf, 1024), io(&st, 1)};

	chain_in(VIRTIO_BLK_T_IN, 7, in, 2);
	ck_assert_int_eq(parse(CAP, false), BLK_REQ_OK);
	ck_assert_uint_eq(r.type, VIRTIO_BLK_T_IN);
	ck_assert_uint_eq(r.sector, 7);
	ck_assert_ptr_eq(r.data, data);
	ck_assert_uint_eq(r.n_data, 1);
	ck_assert_ptr_eq(data[0].iov_base, buf);
	ck_assert_uint_eq(data[0].iov_len, 1024);
	ck_assert_uint_eq(r.data_len, 1024);
	ck_assert_ptr_eq(r.status, &st);
	ck_assert_int_eq(r.reject, BLK_REJ_NONE);
	ck_assert_uint_eq(r.status_code, 0);

	/* Several data segments; reads are allowed on a read-only disk. */
	struct iovec in3[4] = {io(buf, 512), io(buf2, 1024), io(buf + 1024, 512), io(&st, 1)};

	chain_in(VIRTIO_BLK_T_IN, CAP - 4, in3, 4);
	ck_assert_int_eq(parse(CAP, true), BLK_REQ_OK);
	ck_assert_uint_eq(r.sector, CAP - 4);
	ck_assert_uint_eq(r.n_data, 3);
	ck_assert_ptr_eq(data[0].iov_base, buf);
	ck_assert_uint_eq(data[0].iov_len, 512);
	ck_assert_ptr_eq(data[1].iov_base, buf2);
	ck_assert_uint_eq(data[1].iov_len, 1024);
	ck_assert_ptr_eq(data[2].iov_base, buf + 1024);
	ck_assert_uint_eq(data[2].iov_len, 512);
	ck_assert_uint_eq(r.data_len, 2048);
	ck_assert_ptr_eq(r.status, &st);
}
END_TEST

START_TEST(in_status_at_end_of_data)
{
	/* One writable descriptor: data then the status byte. */
	struct iovec in[1] = {io(buf, 513)};

	chain_in(VIRTIO_BLK_T_IN, 0, in, 1);
	ck_assert_int_eq(parse(CAP, false), BLK_REQ_OK);
	ck_assert_uint_eq(r.n_data, 1);
	ck_assert_ptr_eq(data[0].iov_base, buf);
	ck_assert_uint_eq(data[0].iov_len, 512);
	ck_assert_uint_eq(r.data_len, 512);
	ck_assert_ptr_eq(r.status, buf + 512);

	/* Two descriptors, the status byte at the end of the second. */
	struct iovec in2[2] = {io(buf, 256), io(buf2, 257)};

	chain_in(VIRTIO_BLK_T_IN, 0, in2, 2);
	ck_assert_int_eq(parse(CAP, false), BLK_REQ_OK);
	ck_assert_uint_eq(r.n_data, 2);
	ck_assert_uint_eq(data[0].iov_len, 256);
	ck_assert_ptr_eq(data[1].iov_base, buf2);
	ck_assert_uint_eq(data[1].iov_len, 256);
	ck_assert_uint_eq(r.data_len, 512);
	ck_assert_ptr_eq(r.status, buf2 + 256);
	/* The chain itself is not modified. */
	ck_assert_uint_eq(chain_iov[2].iov_len, 257);

	/* Only the status byte: a zero-length read (in range). */
	struct iovec in1[1] = {io(&st, 1)};

	chain_in(VIRTIO_BLK_T_IN, 5, in1, 1);
	ck_assert_int_eq(parse(CAP, false), BLK_REQ_OK);
	ck_assert_uint_eq(r.n_data, 0);
	ck_assert_uint_eq(r.data_len, 0);
	ck_assert_ptr_eq(r.status, &st);
}
END_TEST

START_TEST(parse_out)
{
	struct iovec out[3] = {io(hdr, BLK_HDR_SIZE), io(buf, 512), io(buf2, 1024)};
	struct iovec in[1] = {io(&st, 1)};

	make_hdr(hdr, VIRTIO_BLK_T_OUT, 99);
	chain(out, 3, in, 1);
	ck_assert_int_eq(parse(CAP, false), BLK_REQ_OK);
	ck_assert_uint_eq(r.type, VIRTIO_BLK_T_OUT);
	ck_assert_uint_eq(r.sector, 99);
	ck_assert_uint_eq(r.n_data, 2);
	ck_assert_ptr_eq(data[0].iov_base, buf);
	ck_assert_uint_eq(data[0].iov_len, 512);
	ck_assert_ptr_eq(data[1].iov_base, buf2);
	ck_assert_uint_eq(data[1].iov_len, 1024);
	ck_assert_uint_eq(r.data_len, 1536);
	ck_assert_ptr_eq(r.status, &st);
	ck_assert_int_eq(r.reject, BLK_REJ_NONE);

	/* Header and data in one descriptor. */
	struct iovec one[1] = {io(buf, BLK_HDR_SIZE + 1024)};

	make_hdr(buf, VIRTIO_BLK_T_OUT, 3);
	chain(one, 1, in, 1);
	ck_assert_int_eq(parse(CAP, false), BLK_REQ_OK);
	ck_assert_uint_eq(r.sector, 3);
	ck_assert_uint_eq(r.n_data, 1);
	ck_assert_ptr_eq(data[0].iov_base, buf + BLK_HDR_SIZE);
	ck_assert_uint_eq(data[0].iov_len, 1024);
	ck_assert_uint_eq(r.data_len, 1024);

	/* A status descriptor longer than one byte: its last byte is the status. */
	struct iovec in2[1] = {io(buf2, 8)};

	make_hdr(hdr, VIRTIO_BLK_T_OUT, 0);
	chain(out, 2, in2, 1);
	ck_assert_int_eq(parse(CAP, false), BLK_REQ_OK);
	ck_assert_uint_eq(r.data_len, 512);
	ck_assert_ptr_eq(r.status, buf2 + 7);
}
END_TEST

START_TEST(parse_flush)
{
	chain_out(VIRTIO_BLK_T_FLUSH, 0, 0);
	ck_assert_int_eq(parse(CAP, false), BLK_REQ_OK);
	ck_assert_uint_eq(r.type, VIRTIO_BLK_T_FLUSH);
	ck_assert_uint_eq(r.n_data, 0);
	ck_assert_uint_eq(r.data_len, 0);
	ck_assert_ptr_eq(r.status, &st);
	/* A flush is no write: fine on a read-only disk. */
	ck_assert_int_eq(parse(CAP, true), BLK_REQ_OK);
	ck_assert_int_eq(r.reject, BLK_REJ_NONE);
	/* The sector field is unused for a flush: garbage there is no range error. */
	chain_out(VIRTIO_BLK_T_FLUSH, UINT64_MAX, 0);
	ck_assert_int_eq(parse(CAP, false), BLK_REQ_OK);
	ck_assert_int_eq(r.reject, BLK_REJ_NONE);
	ck_assert_uint_eq(r.sector, UINT64_MAX);
}
END_TEST

START_TEST(parse_get_id)
{
	struct iovec in[2] = {io(buf, VIRTIO_BLK_ID_BYTES), io(&st, 1)};

	chain_in(VIRTIO_BLK_T_GET_ID, 0, in, 2);
	ck_assert_int_eq(parse(CAP, true), BLK_REQ_OK);
	ck_assert_uint_eq(r.type, VIRTIO_BLK_T_GET_ID);
	ck_assert_uint_eq(r.n_data, 1);
	ck_assert_ptr_eq(data[0].iov_base, buf);
	ck_assert_uint_eq(data[0].iov_len, VIRTIO_BLK_ID_BYTES);
	ck_assert_uint_eq(r.data_len, VIRTIO_BLK_ID_BYTES);
	ck_assert_ptr_eq(r.status, &st);

	/* Id and status in one descriptor; not a sector multiple, and needn't be. */
	struct iovec in1[1] = {io(buf, VIRTIO_BLK_ID_BYTES + 1)};

	chain_in(VIRTIO_BLK_T_GET_ID, 0, in1, 1);
	ck_assert_int_eq(parse(CAP, false), BLK_REQ_OK);
	ck_assert_uint_eq(r.n_data, 1);
	ck_assert_uint_eq(data[0].iov_len, VIRTIO_BLK_ID_BYTES);
	ck_assert_uint_eq(r.data_len, VIRTIO_BLK_ID_BYTES);
	ck_assert_ptr_eq(r.status, buf + VIRTIO_BLK_ID_BYTES);

	/* The sector field is unused: no range check on it. */
	chain_in(VIRTIO_BLK_T_GET_ID, UINT64_MAX, in, 2);
	ck_assert_int_eq(parse(CAP, false), BLK_REQ_OK);
	ck_assert_uint_eq(r.data_len, VIRTIO_BLK_ID_BYTES);
}
END_TEST

/* DISCARD and WRITE_ZEROES only when the driver negotiated them: else UNSUPP. */
START_TEST(discard_and_write_zeroes_need_negotiation)
{
	struct iovec out[2] = {io(hdr, BLK_HDR_SIZE), io(seg, BLK_DWZ_SEG_SIZE)};
	struct iovec in[1] = {io(&st, 1)};

	make_seg(seg, 100, 8, 0);
	parse_ops = 0;
	make_hdr(hdr, VIRTIO_BLK_T_DISCARD, 0);
	chain(out, 2, in, 1);
	ck_assert_int_eq(parse(CAP, false), BLK_REQ_STATUS);
	ck_assert_int_eq(r.reject, BLK_REJ_UNSUPPORTED);
	ck_assert_uint_eq(r.status_code, VIRTIO_BLK_S_UNSUPP);
	make_hdr(hdr, VIRTIO_BLK_T_WRITE_ZEROES, 0);
	ck_assert_int_eq(parse(CAP, false), BLK_REQ_STATUS);
	ck_assert_uint_eq(r.status_code, VIRTIO_BLK_S_UNSUPP);
	/* Each is allowed on its own. */
	parse_ops = BLK_REQ_WRITE_ZEROES;
	ck_assert_int_eq(parse(CAP, false), BLK_REQ_OK);
	make_hdr(hdr, VIRTIO_BLK_T_DISCARD, 0);
	ck_assert_int_eq(parse(CAP, false), BLK_REQ_STATUS);
	parse_ops = BLK_REQ_DISCARD;
	ck_assert_int_eq(parse(CAP, false), BLK_REQ_OK);
	parse_ops = BLK_REQ_DISCARD | BLK_REQ_WRITE_ZEROES;
}
END_TEST

START_TEST(parse_discard_and_write_zeroes)
{
	struct iovec out[2] = {io(hdr, BLK_HDR_SIZE), io(seg, BLK_DWZ_SEG_SIZE)};
	struct iovec in[1] = {io(&st, 1)};

	make_hdr(hdr, VIRTIO_BLK_T_DISCARD, 12345); /* header sector ignored */
	make_seg(seg, 100, 8, 0);
	chain(out, 2, in, 1);
	ck_assert_int_eq(parse(CAP, false), BLK_REQ_OK);
	ck_assert_uint_eq(r.type, VIRTIO_BLK_T_DISCARD);
	ck_assert_uint_eq(r.range_sector, 100);
	ck_assert_uint_eq(r.range_sectors, 8);
	ck_assert_uint_eq(r.range_flags, 0);
	ck_assert_uint_eq(r.n_data, 1);
	ck_assert_ptr_eq(data[0].iov_base, seg);
	ck_assert_uint_eq(r.data_len, BLK_DWZ_SEG_SIZE);
	ck_assert_ptr_eq(r.status, &st);

	make_hdr(hdr, VIRTIO_BLK_T_WRITE_ZEROES, 0);
	make_seg(seg, 0x100000001ULL, 0x80000000u, 0);
	chain(out, 2, in, 1);
	ck_assert_int_eq(parse(UINT64_MAX, false), BLK_REQ_OK);
	ck_assert_uint_eq(r.type, VIRTIO_BLK_T_WRITE_ZEROES);
	ck_assert_uint_eq(r.range_sector, 0x100000001ULL);
	ck_assert_uint_eq(r.range_sectors, 0x80000000u);
	ck_assert_uint_eq(r.range_flags, 0);

	/* WRITE_ZEROES with UNMAP is accepted and reported. */
	make_seg(seg, CAP - 8, 8, VIRTIO_BLK_WZ_F_UNMAP);
	ck_assert_int_eq(parse(CAP, false), BLK_REQ_OK);
	ck_assert_uint_eq(r.range_flags, VIRTIO_BLK_WZ_F_UNMAP);
	ck_assert_uint_eq(r.range_sector, CAP - 8);

	/* The segment split across descriptors, and header + segment in one. */
	struct iovec split[3] = {io(hdr, BLK_HDR_SIZE), io(seg, 5), io(seg + 5, 11)};

	make_hdr(hdr, VIRTIO_BLK_T_DISCARD, 0);
	make_seg(seg, 42, 3, 0);
	chain(split, 3, in, 1);
	ck_assert_int_eq(parse(CAP, false), BLK_REQ_OK);
	ck_assert_uint_eq(r.range_sector, 42);
	ck_assert_uint_eq(r.range_sectors, 3);
	ck_assert_uint_eq(r.n_data, 2);

	uint8_t both[BLK_HDR_SIZE + BLK_DWZ_SEG_SIZE];
	struct iovec one[1] = {io(both, sizeof(both))};

	make_hdr(both, VIRTIO_BLK_T_WRITE_ZEROES, 0);
	make_seg(both + BLK_HDR_SIZE, 7, 1, VIRTIO_BLK_WZ_F_UNMAP);
	chain(one, 1, in, 1);
	ck_assert_int_eq(parse(CAP, false), BLK_REQ_OK);
	ck_assert_uint_eq(r.range_sector, 7);
	ck_assert_uint_eq(r.range_sectors, 1);
	ck_assert_uint_eq(r.range_flags, VIRTIO_BLK_WZ_F_UNMAP);
	ck_assert_ptr_eq(data[0].iov_base, both + BLK_HDR_SIZE);
}
END_TEST

START_TEST(discard_flags_unsupported)
{
	struct iovec out[2] = {io(hdr, BLK_HDR_SIZE), io(seg, BLK_DWZ_SEG_SIZE)};
	struct iovec in[1] = {io(&st, 1)};

	make_hdr(hdr, VIRTIO_BLK_T_DISCARD, 0);
	chain(out, 2, in, 1);
	make_seg(seg, 0, 1, VIRTIO_BLK_WZ_F_UNMAP); /* UNMAP is meaningless for discard */
	assert_rejected(parse(CAP, false), VIRTIO_BLK_S_UNSUPP, BLK_REJ_BAD_SEGMENT);
	make_seg(seg, 0, 1, 0x80000000u);
	assert_rejected(parse(CAP, false), VIRTIO_BLK_S_UNSUPP, BLK_REJ_BAD_SEGMENT);

	make_hdr(hdr, VIRTIO_BLK_T_WRITE_ZEROES, 0);
	make_seg(seg, 0, 1, 2); /* reserved flag */
	assert_rejected(parse(CAP, false), VIRTIO_BLK_S_UNSUPP, BLK_REJ_BAD_SEGMENT);
	make_seg(seg, 0, 1, VIRTIO_BLK_WZ_F_UNMAP | 0x100);
	assert_rejected(parse(CAP, false), VIRTIO_BLK_S_UNSUPP, BLK_REJ_BAD_SEGMENT);
}
END_TEST

START_TEST(discard_segment_not_16_bytes)
{
	static const size_t lens[] = {0, 1, 15, 17, 32};
	static const uint32_t types[] = {VIRTIO_BLK_T_DISCARD, VIRTIO_BLK_T_WRITE_ZEROES};
	struct iovec in[1] = {io(&st, 1)};

	make_seg(seg, 0, 1, 0);
	make_seg(seg + 16, 8, 1, 0);
	for (unsigned int t = 0; t < 2; t++) {
		for (unsigned int i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			struct iovec out[2] = {io(hdr, BLK_HDR_SIZE), io(seg, lens[i])};

			make_hdr(hdr, types[t], 0);
			chain(out, lens[i] ? 2 : 1, in, 1);
			assert_rejected(parse(CAP, false), VIRTIO_BLK_S_UNSUPP,
					BLK_REJ_BAD_SEGMENT);
			ck_assert_uint_eq(r.type, types[t]);
		}
		/* Two whole segments in two descriptors: one per request only. */
		struct iovec two[3] = {io(hdr, BLK_HDR_SIZE), io(seg, 16), io(seg + 16, 16)};

		chain(two, 3, in, 1);
		assert_rejected(parse(CAP, false), VIRTIO_BLK_S_UNSUPP, BLK_REJ_BAD_SEGMENT);
	}
}
END_TEST

START_TEST(discard_range_past_capacity)
{
	struct iovec out[2] = {io(hdr, BLK_HDR_SIZE), io(seg, BLK_DWZ_SEG_SIZE)};
	struct iovec in[1] = {io(&st, 1)};
	static const uint32_t types[] = {VIRTIO_BLK_T_DISCARD, VIRTIO_BLK_T_WRITE_ZEROES};

	for (unsigned int t = 0; t < 2; t++) {
		make_hdr(hdr, types[t], 0);
		chain(out, 2, in, 1);
		make_seg(seg, CAP - 2, 2, 0); /* ends exactly at the end */
		ck_assert_int_eq(parse(CAP, false), BLK_REQ_OK);
		make_seg(seg, CAP - 1, 2, 0);
		assert_rejected(parse(CAP, false), VIRTIO_BLK_S_IOERR, BLK_REJ_OUT_OF_RANGE);
		make_seg(seg, CAP, 1, 0);
		assert_rejected(parse(CAP, false), VIRTIO_BLK_S_IOERR, BLK_REJ_OUT_OF_RANGE);
		/* An empty range at the very end: sector + num_sectors <= capacity. */
		make_seg(seg, CAP, 0, 0);
		ck_assert_int_eq(parse(CAP, false), BLK_REQ_OK);
		make_seg(seg, CAP + 1, 0, 0);
		assert_rejected(parse(CAP, false), VIRTIO_BLK_S_IOERR, BLK_REJ_OUT_OF_RANGE);
		make_seg(seg, 0, CAP + 1, 0);
		assert_rejected(parse(CAP, false), VIRTIO_BLK_S_IOERR, BLK_REJ_OUT_OF_RANGE);
		/* sector + sectors wraps to a small number. */
		make_seg(seg, UINT64_MAX - 1, 4, 0);
		assert_rejected(parse(CAP, false), VIRTIO_BLK_S_IOERR, BLK_REJ_OUT_OF_RANGE);
		assert_rejected(parse(UINT64_MAX, false), VIRTIO_BLK_S_IOERR, BLK_REJ_OUT_OF_RANGE);
		make_seg(seg, UINT64_MAX - 4, 4, 0);
		ck_assert_int_eq(parse(UINT64_MAX, false), BLK_REQ_OK);
	}
}
END_TEST

START_TEST(header_split_two_descriptors)
{
	uint8_t a[16], b[16 + 512];
	struct iovec out[2] = {io(a, 4), io(b, 12)};
	struct iovec in[2] = {io(buf, 512), io(&st, 1)};
	uint8_t h[16];

	/* Type in the first, sector in the second. */
	make_hdr(h, VIRTIO_BLK_T_IN, 0x0102030405060708ULL);
	memcpy(a, h, 4);
	memcpy(b, h + 4, 12);
	chain(out, 2, in, 2);
	ck_assert_int_eq(parse(UINT64_MAX, false), BLK_REQ_OK);
	ck_assert_uint_eq(r.type, VIRTIO_BLK_T_IN);
	ck_assert_uint_eq(r.sector, 0x0102030405060708ULL);
	ck_assert_uint_eq(r.data_len, 512);

	/* The split inside the sector field; OUT data after the header's tail. */
	struct iovec out2[2] = {io(a, 11), io(b, 5 + 512)};
	struct iovec in1[1] = {io(&st, 1)};

	make_hdr(h, VIRTIO_BLK_T_OUT, 0x1122334455667788ULL);
	memcpy(a, h, 11);
	memcpy(b, h + 11, 5);
	chain(out2, 2, in1, 1);
	ck_assert_int_eq(parse(UINT64_MAX, false), BLK_REQ_OK);
	ck_assert_uint_eq(r.type, VIRTIO_BLK_T_OUT);
	ck_assert_uint_eq(r.sector, 0x1122334455667788ULL);
	ck_assert_uint_eq(r.n_data, 1);
	ck_assert_ptr_eq(data[0].iov_base, b + 5);
	ck_assert_uint_eq(data[0].iov_len, 512);
	ck_assert_uint_eq(r.data_len, 512);
}
END_TEST

START_TEST(header_split_three_descriptors)
{
	uint8_t h[16], a[1], b[7], c[8 + 1024];
	struct iovec out[4] = {io(a, 1), io(b, 7), io(c, 8 + 512), io(buf, 512)};
	struct iovec in[1] = {io(&st, 1)};

	make_hdr(h, VIRTIO_BLK_T_OUT, 0xa0b0c0d0e0f00102ULL);
	memcpy(a, h, 1);
	memcpy(b, h + 1, 7);
	memcpy(c, h + 8, 8);
	chain(out, 4, in, 1);
	ck_assert_int_eq(parse(UINT64_MAX, false), BLK_REQ_OK);
	ck_assert_uint_eq(r.type, VIRTIO_BLK_T_OUT);
	ck_assert_uint_eq(r.sector, 0xa0b0c0d0e0f00102ULL);
	ck_assert_uint_eq(r.n_data, 2);
	ck_assert_ptr_eq(data[0].iov_base, c + 8);
	ck_assert_uint_eq(data[0].iov_len, 512);
	ck_assert_ptr_eq(data[1].iov_base, buf);
	ck_assert_uint_eq(data[1].iov_len, 512);
	ck_assert_uint_eq(r.data_len, 1024);

	/* Type split byte by byte over 3 descriptors, header ends exactly at the third's end. */
	struct iovec out3[3] = {io(a, 1), io(b, 7), io(c, 8)};
	struct iovec in2[2] = {io(buf, 512), io(&st, 1)};

	make_hdr(h, VIRTIO_BLK_T_GET_ID, 0);
	memcpy(a, h, 1);
	memcpy(b, h + 1, 7);
	memcpy(c, h + 8, 8);
	chain(out3, 3, in2, 2);
	ck_assert_int_eq(parse(CAP, false), BLK_REQ_OK);
	ck_assert_uint_eq(r.type, VIRTIO_BLK_T_GET_ID);
	ck_assert_uint_eq(r.data_len, 512);
}
END_TEST

START_TEST(short_header)
{
	struct iovec in[2] = {io(buf, 512), io(&st, 1)};
	struct iovec out15[1] = {io(hdr, 15)};

	make_hdr(hdr, VIRTIO_BLK_T_IN, 0);
	chain(out15, 1, in, 2);
	assert_rejected(parse(CAP, false), VIRTIO_BLK_S_IOERR, BLK_REJ_SHORT_HEADER);
	ck_assert_ptr_eq(r.status, &st);

	/* Split, still one byte short. */
	struct iovec split[2] = {io(hdr, 8), io(hdr + 8, 7)};

	chain(split, 2, in, 2);
	assert_rejected(parse(CAP, false), VIRTIO_BLK_S_IOERR, BLK_REJ_SHORT_HEADER);

	/* No readable descriptor at all: everything writable. */
	chain(NULL, 0, in, 2);
	assert_rejected(parse(CAP, false), VIRTIO_BLK_S_IOERR, BLK_REJ_SHORT_HEADER);

	/* A chain whose out_len claims more than its segments hold. */
	struct iovec out12[1] = {io(hdr, 12)};

	chain(out12, 1, in, 2);
	ch.out_len = 16;
	assert_rejected(parse(CAP, false), VIRTIO_BLK_S_IOERR, BLK_REJ_SHORT_HEADER);

	/* A short header is refused whatever the disk: read-only too. */
	chain(out15, 1, in, 2);
	assert_rejected(parse(CAP, true), VIRTIO_BLK_S_IOERR, BLK_REJ_SHORT_HEADER);
}
END_TEST

START_TEST(no_status_byte)
{
	/* Nothing writable. */
	chain_out(VIRTIO_BLK_T_OUT, 0, 512);
	ch.n_in = 0;
	ch.in_len = 0;
	ck_assert_int_eq(parse(CAP, false), BLK_REQ_NO_STATUS);
	ck_assert_int_eq(r.reject, BLK_REJ_NO_STATUS);
	ck_assert_ptr_null(r.status);

	/* The "status byte" in a device-readable descriptor: still none. */
	struct iovec out[3] = {io(hdr, BLK_HDR_SIZE), io(buf, 512), io(&st, 1)};

	make_hdr(hdr, VIRTIO_BLK_T_OUT, 0);
	chain(out, 3, NULL, 0);
	ck_assert_int_eq(parse(CAP, false), BLK_REQ_NO_STATUS);
	ck_assert_int_eq(r.reject, BLK_REJ_NO_STATUS);
	ck_assert_ptr_null(r.status);

	static const uint32_t types[] = {VIRTIO_BLK_T_IN,	    VIRTIO_BLK_T_FLUSH,
					 VIRTIO_BLK_T_GET_ID,	    VIRTIO_BLK_T_DISCARD,
					 VIRTIO_BLK_T_WRITE_ZEROES, 77};
	struct iovec hdr_st[2] = {io(hdr, BLK_HDR_SIZE), io(&st, 1)};

	for (unsigned int i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		make_hdr(hdr, types[i], 0);
		chain(hdr_st, 2, NULL, 0);
		ck_assert_int_eq(parse(CAP, false), BLK_REQ_NO_STATUS);
		ck_assert_ptr_null(r.status);
	}
	/* Without a header either. */
	chain(NULL, 0, NULL, 0);
	ck_assert_int_eq(parse(CAP, false), BLK_REQ_NO_STATUS);
}
END_TEST

START_TEST(in_not_sector_multiple)
{
	struct iovec a[2] = {io(buf, 511), io(&st, 1)};
	struct iovec b[1] = {io(buf, 512)}; /* 511 data + status */
	struct iovec c[3] = {io(buf, 512), io(buf2, 100), io(&st, 1)};
	struct iovec d[2] = {io(buf, 1), io(&st, 1)};

	chain_in(VIRTIO_BLK_T_IN, 0, a, 2);
	assert_rejected(parse(CAP, false), VIRTIO_BLK_S_IOERR, BLK_REJ_NOT_SECTOR_MULTIPLE);
	chain_in(VIRTIO_BLK_T_IN, 0, b, 1);
	assert_rejected(parse(CAP, false), VIRTIO_BLK_S_IOERR, BLK_REJ_NOT_SECTOR_MULTIPLE);
	ck_assert_ptr_eq(r.status, buf + 511);
	chain_in(VIRTIO_BLK_T_IN, 0, c, 3);
	assert_rejected(parse(CAP, false), VIRTIO_BLK_S_IOERR, BLK_REJ_NOT_SECTOR_MULTIPLE);
	chain_in(VIRTIO_BLK_T_IN, 0, d, 2);
	assert_rejected(parse(CAP, false), VIRTIO_BLK_S_IOERR, BLK_REJ_NOT_SECTOR_MULTIPLE);
}
END_TEST

START_TEST(out_not_sector_multiple)
{
	chain_out(VIRTIO_BLK_T_OUT, 0, 500);
	assert_rejected(parse(CAP, false), VIRTIO_BLK_S_IOERR, BLK_REJ_NOT_SECTOR_MULTIPLE);
	chain_out(VIRTIO_BLK_T_OUT, 0, 513);
	assert_rejected(parse(CAP, false), VIRTIO_BLK_S_IOERR, BLK_REJ_NOT_SECTOR_MULTIPLE);
	/* Header plus a partial sector in one descriptor. */
	struct iovec one[1] = {io(buf, BLK_HDR_SIZE + 100)};
	struct iovec in[1] = {io(&st, 1)};

	make_hdr(buf, VIRTIO_BLK_T_OUT, 0);
	chain(one, 1, in, 1);
	assert_rejected(parse(CAP, false), VIRTIO_BLK_S_IOERR, BLK_REJ_NOT_SECTOR_MULTIPLE);
}
END_TEST

START_TEST(sector_beyond_capacity)
{
	struct iovec in1[2] = {io(buf, 512), io(&st, 1)};
	struct iovec in2[2] = {io(buf, 1024), io(&st, 1)};

	/* The last sector is readable, the one after it is not. */
	chain_in(VIRTIO_BLK_T_IN, CAP - 1, in1, 2);
	ck_assert_int_eq(parse(CAP, false), BLK_REQ_OK);
	chain_in(VIRTIO_BLK_T_IN, CAP, in1, 2);
	assert_rejected(parse(CAP, false), VIRTIO_BLK_S_IOERR, BLK_REJ_OUT_OF_RANGE);
	ck_assert_uint_eq(r.sector, CAP);
	/* Starts inside, ends past the end. */
	chain_in(VIRTIO_BLK_T_IN, CAP - 1, in2, 2);
	assert_rejected(parse(CAP, false), VIRTIO_BLK_S_IOERR, BLK_REJ_OUT_OF_RANGE);
	chain_in(VIRTIO_BLK_T_IN, UINT64_MAX, in1, 2);
	assert_rejected(parse(CAP, false), VIRTIO_BLK_S_IOERR, BLK_REJ_OUT_OF_RANGE);
	/* A zero-length read past the end. */
	struct iovec in0[1] = {io(&st, 1)};

	chain_in(VIRTIO_BLK_T_IN, CAP + 1, in0, 1);
	assert_rejected(parse(CAP, false), VIRTIO_BLK_S_IOERR, BLK_REJ_OUT_OF_RANGE);
	/* Empty disk. */
	chain_in(VIRTIO_BLK_T_IN, 0, in1, 2);
	assert_rejected(parse(0, false), VIRTIO_BLK_S_IOERR, BLK_REJ_OUT_OF_RANGE);

	/* Writes likewise. */
	chain_out(VIRTIO_BLK_T_OUT, CAP - 1, 512);
	ck_assert_int_eq(parse(CAP, false), BLK_REQ_OK);
	chain_out(VIRTIO_BLK_T_OUT, CAP - 1, 1024);
	assert_rejected(parse(CAP, false), VIRTIO_BLK_S_IOERR, BLK_REJ_OUT_OF_RANGE);
	chain_out(VIRTIO_BLK_T_OUT, CAP, 512);
	assert_rejected(parse(CAP, false), VIRTIO_BLK_S_IOERR, BLK_REJ_OUT_OF_RANGE);
}
END_TEST

START_TEST(sector_overflow_near_uint64_max)
{
	/* sector + 2 sectors wraps to 0: must not look in range, even on the biggest disk. */
	struct iovec in2[2] = {io(buf, 1024), io(&st, 1)};

	chain_in(VIRTIO_BLK_T_IN, UINT64_MAX - 1, in2, 2);
	assert_rejected(parse(UINT64_MAX, false), VIRTIO_BLK_S_IOERR, BLK_REJ_OUT_OF_RANGE);
	chain_in(VIRTIO_BLK_T_IN, UINT64_MAX, in2, 2);
	assert_rejected(parse(UINT64_MAX, false), VIRTIO_BLK_S_IOERR, BLK_REJ_OUT_OF_RANGE);
	chain_in(VIRTIO_BLK_T_IN, UINT64_MAX - 2, in2, 2);
	ck_assert_int_eq(parse(UINT64_MAX, false), BLK_REQ_OK);
	chain_out(VIRTIO_BLK_T_OUT, UINT64_MAX - 1, 1024);
	assert_rejected(parse(UINT64_MAX, false), VIRTIO_BLK_S_IOERR, BLK_REJ_OUT_OF_RANGE);
	chain_out(VIRTIO_BLK_T_OUT, UINT64_MAX - 1, 512);
	ck_assert_int_eq(parse(UINT64_MAX, false), BLK_REQ_OK);
	/* Byte offset overflow: sector * 512 wraps, sector itself within a huge disk. */
	chain_out(VIRTIO_BLK_T_OUT, UINT64_MAX / 512 + 1, 512);
	assert_rejected(parse(UINT64_MAX / 512, false), VIRTIO_BLK_S_IOERR, BLK_REJ_OUT_OF_RANGE);
}
END_TEST

START_TEST(writes_on_read_only_disk)
{
	chain_out(VIRTIO_BLK_T_OUT, 0, 512);
	assert_rejected(parse(CAP, true), VIRTIO_BLK_S_IOERR, BLK_REJ_READ_ONLY);
	ck_assert_uint_eq(r.type, VIRTIO_BLK_T_OUT);

	struct iovec out[2] = {io(hdr, BLK_HDR_SIZE), io(seg, BLK_DWZ_SEG_SIZE)};
	struct iovec in[1] = {io(&st, 1)};

	make_seg(seg, 0, 1, 0);
	make_hdr(hdr, VIRTIO_BLK_T_DISCARD, 0);
	chain(out, 2, in, 1);
	assert_rejected(parse(CAP, true), VIRTIO_BLK_S_IOERR, BLK_REJ_READ_ONLY);
	make_hdr(hdr, VIRTIO_BLK_T_WRITE_ZEROES, 0);
	assert_rejected(parse(CAP, true), VIRTIO_BLK_S_IOERR, BLK_REJ_READ_ONLY);
	make_seg(seg, 0, 1, VIRTIO_BLK_WZ_F_UNMAP);
	assert_rejected(parse(CAP, true), VIRTIO_BLK_S_IOERR, BLK_REJ_READ_ONLY);
	/* The same requests are fine on a writable disk. */
	ck_assert_int_eq(parse(CAP, false), BLK_REQ_OK);
	chain_out(VIRTIO_BLK_T_OUT, 0, 512);
	ck_assert_int_eq(parse(CAP, false), BLK_REQ_OK);
}
END_TEST

START_TEST(unknown_type_unsupported)
{
	static const uint32_t types[] = {2, 3, 5, 7, 9, 10, 12, 14, 15, 16, 0x100, 0xffffffff};
	struct iovec in[2] = {io(buf, 512), io(&st, 1)};

	for (unsigned int i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		chain_in(types[i], 0, in, 2);
		assert_rejected(parse(CAP, false), VIRTIO_BLK_S_UNSUPP, BLK_REJ_UNSUPPORTED);
		ck_assert_uint_eq(r.type, types[i]);
		assert_rejected(parse(CAP, true), VIRTIO_BLK_S_UNSUPP, BLK_REJ_UNSUPPORTED);
	}
}
END_TEST

START_TEST(status_pointer_always_last_writable)
{
	/* Status in a long last descriptor, for every outcome. */
	struct iovec in[3] = {io(buf, 512), io(buf2, 100), io(buf2 + 200, 33)};

	chain_in(VIRTIO_BLK_T_FLUSH, 0, in, 3);
	ck_assert_int_eq(parse(CAP, false), BLK_REQ_OK);
	assert_status_last();
	ck_assert_ptr_eq(r.status, buf2 + 232);
	chain_in(VIRTIO_BLK_T_IN, 0, in, 3); /* 644 data bytes */
	assert_rejected(parse(CAP, false), VIRTIO_BLK_S_IOERR, BLK_REJ_NOT_SECTOR_MULTIPLE);
	chain_in(77, 0, in, 3);
	assert_rejected(parse(CAP, false), VIRTIO_BLK_S_UNSUPP, BLK_REJ_UNSUPPORTED);
	chain_in(VIRTIO_BLK_T_GET_ID, 0, in, 3);
	ck_assert_int_eq(parse(CAP, false), BLK_REQ_OK);
	assert_status_last();
	ck_assert_uint_eq(r.data_len, 644);
	ck_assert_uint_eq(r.n_data, 3);
	ck_assert_uint_eq(data[2].iov_len, 32);

	struct iovec out[2] = {io(hdr, BLK_HDR_SIZE), io(seg, BLK_DWZ_SEG_SIZE)};
	make_hdr(hdr, VIRTIO_BLK_T_DISCARD, 0);
	make_seg(seg, CAP, 1, 0);
	chain(out, 2, in, 3);
	assert_rejected(parse(CAP, false), VIRTIO_BLK_S_IOERR, BLK_REJ_OUT_OF_RANGE);
	assert_rejected(parse(CAP, true), VIRTIO_BLK_S_IOERR, BLK_REJ_READ_ONLY);
	make_hdr(hdr, VIRTIO_BLK_T_OUT, 0);
	chain(out, 1, in, 3);
	ck_assert_int_eq(parse(CAP, false), BLK_REQ_OK);
	assert_status_last();
	ck_assert_uint_eq(r.data_len, 0);
}
END_TEST

START_TEST(reject_names)
{
	for (int i = 0; i < BLK_REJ_COUNT; i++) {
		const char *n = blk_reject_name((enum blk_reject)i);

		ck_assert_ptr_nonnull(n);
		ck_assert_str_ne(n, "?");
		for (int j = 0; j < i; j++)
			ck_assert_str_ne(n, blk_reject_name((enum blk_reject)j));
	}
	ck_assert_str_eq(blk_reject_name(BLK_REJ_NONE), "none");
	ck_assert_str_eq(blk_reject_name(BLK_REJ_COUNT), "?");
	ck_assert_str_eq(blk_reject_name((enum blk_reject) - 1), "?");
}
END_TEST

/* A chain popped from a real split ring, parsed in guest memory. */
START_TEST(popped_chain_from_mock_ring)
{
	struct mock_driver md;
	struct virtqueue vq;
	struct iovec iov[32];
	struct vq_chain c;
	const uint32_t out_w[] = {BLK_HDR_SIZE, 512};
	const uint32_t in_r[] = {512, 511, 1};
	int head;

	ck_assert_int_eq(mock_init(&md, 16, F_V1 | F_INDIR, 0x100000), 0);
	ck_assert_int_eq(mock_attach(&md, &vq, 0), VQ_OK);

	/* OUT: header + one sector, status alone. */
	head = mock_add(&md, out_w, 2, in_r + 2, 1, false, 1);
	ck_assert_int_ge(head, 0);
	uint8_t *h = gm_translate(&md.gm, mock_seg_gpa(&md, (uint16_t)head, 0), 16);

	make_hdr(h, VIRTIO_BLK_T_OUT, 17);
	vq_chain_init(&c, iov, 32);
	ck_assert_int_eq(vq_pop(&vq, &c), VQ_OK);
	ck_assert_int_eq(blk_req_parse(&c, CAP, 0, data, MAX_SEGS, &r), BLK_REQ_OK);
	ck_assert_uint_eq(r.type, VIRTIO_BLK_T_OUT);
	ck_assert_uint_eq(r.sector, 17);
	ck_assert_uint_eq(r.n_data, 1);
	ck_assert_ptr_eq(data[0].iov_base,
			 gm_translate(&md.gm, mock_seg_gpa(&md, (uint16_t)head, 1), 512));
	ck_assert_uint_eq(r.data_len, 512);
	ck_assert_ptr_eq(r.status, gm_translate(&md.gm, mock_seg_gpa(&md, (uint16_t)head, 2), 1));
	*r.status = VIRTIO_BLK_S_OK;
	ck_assert_int_eq(vq_complete(&vq, &c.t, 1), VQ_OK);

	/* IN, indirect: 1024 bytes over two descriptors, status at the end of the second. */
	head = mock_add(&md, out_w, 1, in_r, 2, true, 2);
	ck_assert_int_ge(head, 0);
	h = gm_translate(&md.gm, mock_seg_gpa(&md, (uint16_t)head, 0), 16);
	make_hdr(h, VIRTIO_BLK_T_IN, CAP - 1);
	vq_chain_init(&c, iov, 32);
	ck_assert_int_eq(vq_pop(&vq, &c), VQ_OK);
	ck_assert_int_eq(blk_req_parse(&c, CAP, 0, data, MAX_SEGS, &r), BLK_REQ_STATUS);
	/* 512 + 510 data bytes: not a sector multiple. */
	ck_assert_int_eq(r.reject, BLK_REJ_NOT_SECTOR_MULTIPLE);
	ck_assert_ptr_eq(
		r.status,
		(uint8_t *)gm_translate(&md.gm, mock_seg_gpa(&md, (uint16_t)head, 2), 511) + 510);
	ck_assert_int_eq(vq_complete(&vq, &c.t, 1), VQ_OK);

	/* IN: 512-byte sector and a 1-byte status descriptor. */
	const uint32_t in_ok[] = {512, 1};

	head = mock_add(&md, out_w, 1, in_ok, 2, false, 3);
	ck_assert_int_ge(head, 0);
	h = gm_translate(&md.gm, mock_seg_gpa(&md, (uint16_t)head, 0), 16);
	make_hdr(h, VIRTIO_BLK_T_IN, CAP - 1);
	vq_chain_init(&c, iov, 32);
	ck_assert_int_eq(vq_pop(&vq, &c), VQ_OK);
	ck_assert_int_eq(blk_req_parse(&c, CAP, 0, data, MAX_SEGS, &r), BLK_REQ_OK);
	ck_assert_uint_eq(r.n_data, 1);
	ck_assert_uint_eq(r.data_len, 512);
	ck_assert_ptr_eq(data[0].iov_base,
			 gm_translate(&md.gm, mock_seg_gpa(&md, (uint16_t)head, 1), 512));
	ck_assert_ptr_eq(r.status, gm_translate(&md.gm, mock_seg_gpa(&md, (uint16_t)head, 2), 1));
	ck_assert_int_eq(vq_complete(&vq, &c.t, 513), VQ_OK);

	/* Everything readable (status byte not writable): no status. */
	const uint32_t ro_w[] = {BLK_HDR_SIZE, 512, 1};

	head = mock_add(&md, ro_w, 3, NULL, 0, false, 4);
	ck_assert_int_ge(head, 0);
	h = gm_translate(&md.gm, mock_seg_gpa(&md, (uint16_t)head, 0), 16);
	make_hdr(h, VIRTIO_BLK_T_OUT, 0);
	vq_chain_init(&c, iov, 32);
	ck_assert_int_eq(vq_pop(&vq, &c), VQ_OK);
	ck_assert_int_eq(blk_req_parse(&c, CAP, 0, data, MAX_SEGS, &r), BLK_REQ_NO_STATUS);
	ck_assert_ptr_null(r.status);
	ck_assert_int_eq(vq_complete(&vq, &c.t, 0), VQ_OK);

	vq_flush(&vq);
	for (int i = 0; i < 4; i++) {
		uint64_t cookie;
		uint32_t len;

		ck_assert_int_eq(mock_get(&md, &cookie, &len), 1);
		ck_assert_uint_eq(cookie, (uint64_t)i + 1);
	}
	vq_destroy(&vq);
	mock_free(&md);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("blk_req");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, parse_in);
	tcase_add_test(tc, in_status_at_end_of_data);
	tcase_add_test(tc, parse_out);
	tcase_add_test(tc, parse_flush);
	tcase_add_test(tc, discard_and_write_zeroes_need_negotiation);
	tcase_add_test(tc, parse_get_id);
	tcase_add_test(tc, parse_discard_and_write_zeroes);
	tcase_add_test(tc, discard_flags_unsupported);
	tcase_add_test(tc, discard_segment_not_16_bytes);
	tcase_add_test(tc, discard_range_past_capacity);
	tcase_add_test(tc, header_split_two_descriptors);
	tcase_add_test(tc, header_split_three_descriptors);
	tcase_add_test(tc, short_header);
	tcase_add_test(tc, no_status_byte);
	tcase_add_test(tc, in_not_sector_multiple);
	tcase_add_test(tc, out_not_sector_multiple);
	tcase_add_test(tc, sector_beyond_capacity);
	tcase_add_test(tc, sector_overflow_near_uint64_max);
	tcase_add_test(tc, writes_on_read_only_disk);
	tcase_add_test(tc, unknown_type_unsupported);
	tcase_add_test(tc, status_pointer_always_last_writable);
	tcase_add_test(tc, reject_names);
	tcase_add_test(tc, popped_chain_from_mock_ring);
	suite_add_tcase(s, tc);
	return check_run(s);
}
