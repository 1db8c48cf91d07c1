/* SPDX-License-Identifier: MIT */
/*
 * virtio-blk request parsing: from a popped descriptor chain to what the
 * backend must do, with every guest mistake turned into a status byte.
 * Pure: no I/O, no threads.
 */
#ifndef DEVICES_BLK_REQ_H
#define DEVICES_BLK_REQ_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "virtio/virtqueue.h"

#define VIRTIO_BLK_T_IN		  0
#define VIRTIO_BLK_T_OUT	  1
#define VIRTIO_BLK_T_FLUSH	  4
#define VIRTIO_BLK_T_GET_ID	  8
#define VIRTIO_BLK_T_DISCARD	  11
#define VIRTIO_BLK_T_WRITE_ZEROES 13

#define VIRTIO_BLK_S_OK	    0
#define VIRTIO_BLK_S_IOERR  1
#define VIRTIO_BLK_S_UNSUPP 2

#define VIRTIO_BLK_ID_BYTES   20
#define VIRTIO_BLK_SECTOR     512
#define BLK_HDR_SIZE	      16
#define BLK_DWZ_SEG_SIZE      16 /* discard / write-zeroes segment */
#define VIRTIO_BLK_WZ_F_UNMAP 1

enum blk_parse {
	BLK_REQ_OK = 0,	   /* do r->type on r->data */
	BLK_REQ_STATUS,	   /* answer at once with r->status_code (IOERR/UNSUPP) */
	BLK_REQ_NO_STATUS, /* no writable status byte: complete with len 0 */
};

enum blk_reject {
	BLK_REJ_NONE = 0,
	BLK_REJ_SHORT_HEADER,
	BLK_REJ_NO_STATUS,
	BLK_REJ_NOT_SECTOR_MULTIPLE,
	BLK_REJ_OUT_OF_RANGE,
	BLK_REJ_READ_ONLY,
	BLK_REJ_BAD_SEGMENT,
	BLK_REJ_UNSUPPORTED,
	BLK_REJ_COUNT,
};

struct blk_req {
	uint32_t type;
	uint64_t sector;
	struct iovec *data; /* caller's storage: the payload segments */
	uint32_t n_data;
	uint64_t data_len;
	uint8_t *status;     /* host pointer of the status byte */
	uint8_t status_code; /* for BLK_REQ_STATUS */
	enum blk_reject reject;
	/* DISCARD / WRITE_ZEROES: the (single) range and its flags. */
	uint64_t range_sector;
	uint32_t range_sectors;
	uint32_t range_flags;
};

/* What the disk allows, for blk_req_parse(). */
#define BLK_REQ_RO	     1u /* writes, discards and write-zeroes get IOERR */
#define BLK_REQ_DISCARD	     2u /* VIRTIO_BLK_F_DISCARD negotiated; else UNSUPP */
#define BLK_REQ_WRITE_ZEROES 4u /* VIRTIO_BLK_F_WRITE_ZEROES negotiated; else UNSUPP */

/*
 * Parses chain c for a disk of capacity sectors with the BLK_REQ_* flags.
 * data/cap is storage for the payload segments (cap >= c->n_out + c->n_in
 * suffices). The header may be split across descriptors; the status byte is
 * the last writable byte.
 */
enum blk_parse blk_req_parse(const struct vq_chain *c, uint64_t capacity, unsigned int flags,
			     struct iovec *data, uint32_t cap, struct blk_req *r);

#endif
