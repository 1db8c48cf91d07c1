// SPDX-License-Identifier: MIT
/*
 * Prints this host's TSC frequency in kHz. QEMU's TCG hands the host's TSC
 * to the middle layer, whose kernel otherwise calibrates it against the
 * emulated PIT: on a busy host that fails ("Unable to calibrate against
 * PIT"), the layer marks its TSC unusable, and its KVM then gives inner
 * guests a clock that never advances. Measured against CLOCK_MONOTONIC_RAW
 * over 200 ms; each end is the read pair with the least time between its
 * clock reads, so being descheduled costs accuracy nowhere.
 */
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <x86intrin.h>

static uint64_t ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A (ns, tsc) pair taken as close together as 20 tries allow. */
static void sample(uint64_t *t, uint64_t *tsc)
{
	uint64_t best = UINT64_MAX;

	for (int i = 0; i < 20; i++) {
		uint64_t a = ns(), c = __rdtsc(), b = ns();

		if (b - a < best) {
			best = b - a;
			*t = a + (b - a) / 2;
			*tsc = c;
		}
	}
}

int main(void)
{
	struct timespec pause = {.tv_nsec = 200 * 1000000};
	uint64_t t0, c0, t1, c1;

	sample(&t0, &c0);
	nanosleep(&pause, NULL);
	sample(&t1, &c1);
	if (t1 <= t0 || c1 <= c0)
		return 1;
	printf("%llu\n", (unsigned long long)((c1 - c0) * 1000000u / (t1 - t0)));
	return 0;
}
