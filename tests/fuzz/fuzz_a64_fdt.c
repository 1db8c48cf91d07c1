// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the aarch64 device-tree builder, a64_fdt_build(),
 * with a fuzzer-chosen machine written into a buffer of fuzzer-chosen
 * size, allocated to exactly that size so ASan stops any write past it.
 * The input: vCPU count, GIC version, virtio device count (1 byte each),
 * buffer size (2 bytes), RAM size and initrd start and end (8 bytes each),
 * 8 bytes per virtio device (base, size, irq: 4, 2, 2), and the rest is
 * the command line (its first ARGS_MAX bytes). A built tree must be valid, fit the buffer, and read
 * back with what went in; a refusal is -EINVAL for a bad vCPU count or
 * GIC version, and otherwise -ENOSPC only when the tree, built into a
 * large buffer, is bigger than the small one. (That the same config gives
 * the same bytes is the unit test's business: comparing whole trees here
 * would halve the rate.)
 */
#include <errno.h>
#include <libfdt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arch/aarch64/fdt.h"
#include "arch/aarch64/layout.h"
#include "tests/fuzz/fuzz_input.h"

/*
 * Holds any tree an input describes: 255 virtio nodes take about 40 KiB,
 * the command line at most ARGS_MAX. Not more: fdt_create() clears the
 * whole buffer, every run.
 */
#define BIG	 (96u << 10)
#define ARGS_MAX (16u << 10)

/* The number of nodes under path whose name starts with prefix. */
static int count_nodes(const void *fdt, const char *path, const char *prefix)
{
	int parent = fdt_path_offset(fdt, path), n = 0, node;

	require(parent >= 0);
	fdt_for_each_subnode(node, fdt, parent)
	{
		const char *name = fdt_get_name(fdt, node, NULL);

		require(name);
		if (!strncmp(name, prefix, strlen(prefix)))
			n++;
	}
	return n;
}

/* What a built tree must say. */
static void check_tree(const void *fdt, size_t size, const struct a64_fdt_config *c)
{
	const fdt64_t *reg;
	const char *args;
	int len, chosen, mem;

	require(fdt_check_header(fdt) == 0 && fdt_totalsize(fdt) <= size);
	chosen = fdt_path_offset(fdt, "/chosen");
	require(chosen >= 0);
	args = fdt_getprop(fdt, chosen, "bootargs", &len);
	require(args && (size_t)len == strlen(c->bootargs) + 1 && !strcmp(args, c->bootargs));
	require(!fdt_getprop(fdt, chosen, "linux,initrd-start", NULL) ==
		!(c->initrd_end > c->initrd_start));
	mem = fdt_path_offset(fdt, "/memory@80000000");
	require(mem >= 0);
	reg = fdt_getprop(fdt, mem, "reg", &len);
	require(reg && len == 16 && fdt64_to_cpu(reg[0]) == A64_RAM_BASE &&
		fdt64_to_cpu(reg[1]) == c->mem_size);
	require(count_nodes(fdt, "/cpus", "cpu@") == (int)c->ncpus);
	require(count_nodes(fdt, "/", "virtio_mmio@") == (int)c->n_virtio);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	static uint8_t *big;
	struct arch_mmio_slot slots[255];
	struct input in = {data, n};
	struct a64_fdt_config c = {0};
	size_t size;
	char *bootargs;
	uint8_t *buf;
	char err[256] = "", big_err[256];
	int rc;

	if (!big)
		big = malloc(BIG);
	require(big);
	c.ncpus = take(&in, 1);
	c.gic_version = take(&in, 1);
	c.n_virtio = take(&in, 1);
	size = take(&in, 2);
	c.mem_size = (uint64_t)take(&in, 4) << 32 | take(&in, 4);
	c.initrd_start = (uint64_t)take(&in, 4) << 32 | take(&in, 4);
	c.initrd_end = (uint64_t)take(&in, 4) << 32 | take(&in, 4);
	for (unsigned int i = 0; i < c.n_virtio; i++) {
		slots[i].base = take(&in, 4);
		slots[i].size = take(&in, 2);
		slots[i].irq = take(&in, 2);
	}
	c.virtio = slots;
	if (in.n > ARGS_MAX)
		in.n = ARGS_MAX;
	bootargs = malloc(in.n + 1);
	buf = malloc(size ? size : 1);
	require(bootargs && buf);
	memcpy(bootargs, in.p, in.n);
	bootargs[in.n] = '\0';
	c.bootargs = bootargs;

	rc = a64_fdt_build(&c, buf, size, err, sizeof(err));
	if ((c.gic_version != 2 && c.gic_version != 3) || !c.ncpus ||
	    c.ncpus > (c.gic_version == 2 ? A64_GICV2_MAX_CPUS : A64_MAX_CPUS)) {
		require(rc == -EINVAL && err[0]);
	} else if (rc) {
		/* Too small, which the tree built into the large buffer shows. */
		require(rc == -ENOSPC && err[0]);
		require(a64_fdt_build(&c, big, BIG, big_err, sizeof(big_err)) == 0);
		check_tree(big, BIG, &c);
		require(fdt_totalsize(big) > size);
	} else {
		check_tree(buf, size, &c);
	}
	free(buf);
	free(bootargs);
	return 0;
}
