// SPDX-License-Identifier: MIT
/* The arm64 Image header checks (image.h). */
#include <errno.h>
#include <stdio.h>

#include "arch/aarch64/image.h"
#include "common/le.h"

int a64_image_parse(const uint8_t *buf, size_t len, struct a64_image *img, char *err,
		    size_t err_len)
{
	if (len < A64_IMAGE_HDR_SIZE) {
		snprintf(err, err_len, "%zu bytes: too short for an arm64 Image header (%d)", len,
			 A64_IMAGE_HDR_SIZE);
		return -ENOEXEC;
	}
	if (get_le32(buf + A64_IMAGE_MAGIC_OFF) != A64_IMAGE_MAGIC) {
		/* The usual mistake: arch/arm64/boot/Image.gz instead of Image. */
		if (buf[0] == 0x1f && buf[1] == 0x8b)
			snprintf(err, err_len,
				 "gzip-compressed (Image.gz?): give the uncompressed Image");
		else
			snprintf(err, err_len,
				 "not an arm64 Image: no \"ARM\\x64\" magic at offset %d",
				 A64_IMAGE_MAGIC_OFF);
		return -ENOEXEC;
	}
	img->text_offset = get_le64(buf + 8);
	img->image_size = get_le64(buf + 16);
	img->flags = get_le64(buf + 24);
	if (img->flags & A64_IMAGE_FLAG_BE) {
		snprintf(err, err_len,
			 "flags 0x%llx: a big-endian kernel (minivmm runs little-endian)",
			 (unsigned long long)img->flags);
		return -ENOEXEC;
	}
	/* The base is 2 MiB aligned and the kernel starts text_offset above it,
	 * page aligned: anything else is not a header Linux ever wrote. */
	if (img->text_offset & 0xfff || img->text_offset >= A64_IMAGE_ALIGN) {
		snprintf(err, err_len, "text_offset 0x%llx is not 4 KiB aligned below 2 MiB",
			 (unsigned long long)img->text_offset);
		return -ENOEXEC;
	}
	/* Kernels before 3.17 leave image_size 0 and need guesses we do not make. */
	if (!img->image_size) {
		snprintf(err, err_len, "image_size is 0 (a kernel before Linux 3.17?)");
		return -ENOEXEC;
	}
	if (img->image_size < len) {
		snprintf(err, err_len, "image_size %llu is smaller than the file (%zu bytes)",
			 (unsigned long long)img->image_size, len);
		return -ENOEXEC;
	}
	return 0;
}
