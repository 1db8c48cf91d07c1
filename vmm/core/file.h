/* SPDX-License-Identifier: MIT */
/* Whole files for the loaders (vmm/core/file.c). */
#ifndef VMM_CORE_FILE_H
#define VMM_CORE_FILE_H

#include <stddef.h>
#include <stdint.h>

int read_whole_file(const char *path, const char *what, size_t max, uint8_t **buf, size_t *len,
		    char *err, size_t err_len);

#endif
