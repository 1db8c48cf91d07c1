// SPDX-License-Identifier: MIT
#include "devices/iov.h"

#include <string.h>

size_t iov_gather(const struct iovec *iov, uint32_t n, size_t off, void *dst, size_t len)
{
	uint8_t *d = dst;
	size_t done = 0;

	for (uint32_t i = 0; i < n && done < len; i++) {
		size_t l = iov[i].iov_len;

		if (off >= l) {
			off -= l;
			continue;
		}
		l -= off;
		if (l > len - done)
			l = len - done;
		memcpy(d + done, (const uint8_t *)iov[i].iov_base + off, l);
		done += l;
		off = 0;
	}
	return done;
}

size_t iov_scatter(const struct iovec *iov, uint32_t n, const void *src, size_t len)
{
	const uint8_t *s = src;
	size_t done = 0;

	for (uint32_t i = 0; i < n && done < len; i++) {
		size_t l = iov[i].iov_len < len - done ? iov[i].iov_len : len - done;

		memcpy(iov[i].iov_base, s + done, l);
		done += l;
	}
	return done;
}
