// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the guest command-line builder (arch/x86_64/cmdline.c)
 * and the reboot=t reader: base and append strings of any bytes, any number
 * of devices and any limit. A line that is built fits the limit and the
 * buffer, holds every virtio_mmio.device= entry and the user's text, and
 * cmdline_reboot_triple reads any string without running off its end. A
 * refusal is -E2BIG with one line of text.
 */
#include <errno.h>
#include <string.h>

#include "arch/x86_64/cmdline.h"
#include "tests/fuzz/fuzz_input.h"

#define OUT 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char base[1024], append[1024], out[OUT];
	struct input in = {data, size};
	struct cmdline_mmio_dev mmio[16];
	struct cmdline_params p = {0};
	char err[256] = "";
	size_t max_len, bl, al;
	int rc;

	p.n_mmio = take(&in, 1) % 17;
	for (unsigned int i = 0; i < p.n_mmio; i++)
		mmio[i] = (struct cmdline_mmio_dev){0xd0000000ULL + i * 0x1000, 0x1000, 5 + i};
	p.mmio = mmio;
	p.root_on_disk = take(&in, 1) & 1;
	max_len = take(&in, 2) % OUT;
	bl = take(&in, 1) % sizeof(base);
	al = take(&in, 1) % sizeof(append);
	memset(base, 0, sizeof(base));
	memset(append, 0, sizeof(append));
	for (size_t i = 0; i < bl && in.n; i++)
		base[i] = (char)(take(&in, 1) | 1); /* no NUL inside */
	for (size_t i = 0; i < al && in.n; i++)
		append[i] = (char)(take(&in, 1) | 1);
	p.base = bl & 1 ? base : NULL;
	p.append = al ? append : NULL;

	rc = cmdline_build(&p, out, sizeof(out), max_len, err, sizeof(err));
	if (rc) {
		require(rc == -E2BIG && err[0] && !strchr(err, '\n'));
		return 0;
	}
	require(strlen(out) <= max_len && strlen(out) < sizeof(out));
	for (unsigned int i = 0; i < p.n_mmio; i++) {
		char want[64];

		snprintf(want, sizeof(want), "virtio_mmio.device=4K@0x%llx:%u",
			 (unsigned long long)mmio[i].addr, mmio[i].irq);
		require(strstr(out, want));
	}
	if (p.append)
		require(strstr(out, append));
	(void)cmdline_reboot_triple(out);
	(void)cmdline_reboot_triple(append);
	return 0;
}
