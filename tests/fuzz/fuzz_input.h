/* SPDX-License-Identifier: MIT */
/* What every libFuzzer target here reads its input with, and how it fails. */
#ifndef TESTS_FUZZ_FUZZ_INPUT_H
#define TESTS_FUZZ_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

struct input {
	const uint8_t *p;
	size_t n;
};

/* The next bytes (big-endian) as a number; zeros once the input runs out. */
static inline uint32_t take(struct input *in, unsigned int bytes)
{
	uint32_t v = 0;

	while (bytes--) {
		v = (v << 8) | (in->n ? *in->p : 0);
		if (in->n) {
			in->p++;
			in->n--;
		}
	}
	return v;
}

/* An invariant broken: abort, so libFuzzer keeps the input as a crash. */
#define require(cond)                                                                        \
	do {                                                                                 \
		if (!(cond)) {                                                               \
			fprintf(stderr, "invariant failed, line %d: %s\n", __LINE__, #cond); \
			abort();                                                             \
		}                                                                            \
	} while (0)

#endif
