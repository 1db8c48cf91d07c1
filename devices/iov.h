/* SPDX-License-Identifier: MIT */
/*
 * Copies between a flat buffer and the iovecs a descriptor chain became
 * (headers split across descriptors, frames into guest buffers). Pure; the
 * one copy blk and net parsing share.
 */
#ifndef DEVICES_IOV_H
#define DEVICES_IOV_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* Copies len bytes from iov (n segments) starting at byte off; returns bytes copied. */
size_t iov_gather(const struct iovec *iov, uint32_t n, size_t off, void *dst, size_t len);
/* Copies len bytes into iov (n segments); returns bytes copied (< len if iov is short). */
size_t iov_scatter(const struct iovec *iov, uint32_t n, const void *src, size_t len);

#endif
