// SPDX-License-Identifier: MIT
#include "devices/blk_engine.h"

#include <errno.h>
#include <stddef.h>

int blk_engine_create(const struct blk_engine_params *p, struct blk_engine **out)
{
	*out = NULL;
	switch (p->kind) {
	case BLK_ENGINE_URING:
		return blk_engine_uring_create(p, out);
	case BLK_ENGINE_THREADS:
		return blk_engine_threads_create(p, out);
	}
	return -EINVAL;
}
