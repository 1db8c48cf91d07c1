// SPDX-License-Identifier: MIT
/*
 * The test guest's ring-3 program: finds its virtio-blk device on the
 * command line (virtio_mmio.device=4K@0xADDR:IRQ, as Linux reads it),
 * checks data integrity through it, optionally runs timed workloads, prints
 * results on the serial port and ends the VM through the exit port
 * (status 0: all checks passed).
 *
 * Command line: testguest.in_order=0 / testguest.event_idx=0 refuse those
 * features; testguest.packed=1 takes VIRTIO_F_RING_PACKED where the
 * device offers it (the line naming the device then says ring=packed);
 * testguest.bench=1 runs the timed workloads after the checks,
 * testguest.ops=N requests per workload (default 20000). testguest.net=1
 * (check) or =2 (measure) runs the virtio-net program of net_main.c instead.
 * testguest.limit_block=N: the host caps the image file's size inside
 * block N; only the writes-in-a-row check runs, expecting IOERR from N on.
 * testguest.reuse_id=1 (with testguest.packed=1): two writes under one
 * buffer id; the guest waits for DEVICE_NEEDS_RESET, resets the device,
 * starts its driver again and runs the checks.
 * testguest.reset_inflight=1: one write, then a device reset while it is in
 * flight; the guest waits for Status to read 0 and ends.
 * testguest.print=N prints N KiB of numbered lines first, then ends (or
 * spins, with testguest.spin=1).
 */
#include "guests/testguest/tg.h"
#include "guests/testguest/vblk_driver.h"
#include "guests/testguest/vmmio.h"

#define BLOCK	  4096
#define NBLOCKS	  256
#define BENCH_BUF (128 * 1024)

static struct vblk_drv drv;
static uint8_t bufs[VB_SLOTS][BENCH_BUF] __attribute__((aligned(4096)));

static const char *cmdline_start;

/* testguest.limit_block, or -1: the first block past the host's size cap. */
static int limit_block = -1;

/* Where the value of "key" (e.g. "a.b=") starts, searching from s; 0 if none. */
static const char *find(const char *s, const char *key)
{
	for (; *s; s++) {
		const char *a = s, *b = key;

		if (s != cmdline_start && s[-1] != ' ')
			continue;
		while (*b && *a == *b)
			a++, b++;
		if (!*b)
			return a;
	}
	return 0;
}

static uint64_t parse_num(const char *s, int base)
{
	uint64_t v = 0;

	for (;; s++) {
		int d;

		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			return v;
		v = v * (uint64_t)base + (uint64_t)d;
	}
}

int tg_opt(const char *cmdline, const char *key, int dflt)
{
	const char *v = find(cmdline, key);

	return v ? (int)parse_num(v, 10) : dflt;
}

/*
 * The n-th virtio_mmio.device=SIZE@0xADDR:IRQ entry's address, or 0.
 * QEMU microvm lists every transport, most of them empty.
 */
uint64_t tg_device_base(const char *cmdline, int n)
{
	const char *v = cmdline;

	for (;;) {
		v = find(v, "virtio_mmio.device=");
		if (!v)
			return 0;
		while (*v && *v != '@' && *v != ' ')
			v++;
		if (v[0] != '@' || v[1] != '0' || (v[2] != 'x' && v[2] != 'X'))
			continue;
		if (n-- == 0)
			return parse_num(v + 3, 16);
	}
}

static uint64_t pattern(uint64_t block, uint64_t word, uint64_t seed)
{
	uint64_t x =
		(block + 1) * 0x9e3779b97f4a7c15ULL ^ (word + 1) * 0xbf58476d1ce4e5b9ULL ^ seed;

	return x ^ x >> 29;
}

/* Runs n requests of type at QD qd over blocks chosen by pick(); waits for all. */
static int run_batch(int type, int n, int qd, uint32_t len, uint64_t (*pick)(int), int verify,
		     uint64_t seed, uint64_t *errors)
{
	int next = 0, done = 0;

	while (done < n) {
		int free_slot = 0;

		while (next < n && drv.inflight < qd && drv.inflight < drv.max_inflight) {
			while (drv.slot_busy[free_slot])
				free_slot++;
			uint64_t blk = pick(next);
			uint64_t *w = (uint64_t *)bufs[free_slot];

			if (type == VB_T_OUT && verify)
				for (uint32_t i = 0; i < len / 8; i++)
					w[i] = pattern(blk, i, seed);
			/* Remember which block this slot carries in its last word's spot. */
			drv.req[free_slot].hdr.reserved = 0;
			vb_submit(&drv, free_slot, (uint32_t)type, blk * (BLOCK / 512), w, len);
			next++;
		}
		vb_kick(&drv);
		while (!vb_poll(&drv))
			__asm__ volatile("pause");
		for (int k = 0; k < drv.ndone; k++) {
			int s = drv.done[k];
			uint64_t blk = drv.req[s].hdr.sector / (BLOCK / 512);

			if (limit_block >= 0) {
				/* Each request its own status, merged or not. */
				if (drv.req[s].status != (blk >= (uint64_t)limit_block))
					(*errors)++;
			} else if (drv.req[s].status != 0) {
				(*errors)++;
			} else if (type == VB_T_IN && verify) {
				uint64_t *w = (uint64_t *)bufs[s];

				for (uint32_t i = 0; i < len / 8; i++)
					if (w[i] != pattern(blk, i, seed)) {
						(*errors)++;
						break;
					}
			}
			done++;
		}
	}
	return 0;
}

static uint64_t in_a_row(int k)
{
	return (uint64_t)k;
}

static uint64_t spread(int k)
{
	/* Distinct blocks spread over the disk (NBLOCKS <= its size in blocks). */
	return ((uint64_t)k * 7919) % NBLOCKS;
}

static uint64_t rng = 88172645463325252ULL;

static uint64_t random_block(int k)
{
	(void)k;
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng % (drv.capacity / (BLOCK / 512));
}

static uint64_t seq_block(int k)
{
	return ((uint64_t)k * (BENCH_BUF / BLOCK)) % (drv.capacity / (BLOCK / 512) - 32);
}

/* One result line: "TESTGUEST-BENCH: WHAT qd=Q ops=N cycles=C errors=E". */
static void report(const char *what, int qd, int n, uint64_t cycles, uint64_t errors)
{
	tg_puts("TESTGUEST-BENCH: ");
	tg_puts(what);
	tg_puts(" qd=");
	tg_putu((uint64_t)qd);
	tg_puts(" ops=");
	tg_putu((uint64_t)n);
	tg_puts(" cycles=");
	tg_putu(cycles);
	tg_puts(" errors=");
	tg_putu(errors);
	tg_puts("\n");
}

/* ops: 4 KiB requests per random workload; sequential ones run ops / 10. */
static void bench(int ops)
{
	/* The last depth is the whole queue (with indirect descriptors). */
	const int depths[] = {1, 16, 64, drv.max_inflight};

	/*
	 * Touch every page of the buffers first: the VMM may leave the bss
	 * they live in untouched until now, and the host's page faults for
	 * it would otherwise land in whichever workload first uses a slot
	 * (the queue-deep ones), not in any request's cost.
	 */
	for (unsigned int s = 0; s < VB_SLOTS; s++)
		for (unsigned int off = 0; off < BENCH_BUF; off += 4096)
			((volatile uint8_t *)bufs[s])[off] = 0;
	tg_puts("TESTGUEST-BENCH: cycles are TSC cycles at CPL3\n");
	for (unsigned int i = 0; i < sizeof(depths) / sizeof(depths[0]); i++) {
		for (int type = VB_T_IN; type <= VB_T_OUT; type++) {
			uint64_t errors = 0, t0, t1;
			int n = ops;

			t0 = tg_rdtsc();
			run_batch(type, n, depths[i], BLOCK, random_block, 0, 0, &errors);
			t1 = tg_rdtsc();
			report(type == VB_T_IN ? "randread bs=4k" : "randwrite bs=4k", depths[i], n,
			       t1 - t0, errors);
		}
	}
	for (unsigned int i = 0; i < sizeof(depths) / sizeof(depths[0]); i++) {
		uint64_t errors = 0, t0, t1;
		int n = ops / 10 ? ops / 10 : 1;

		t0 = tg_rdtsc();
		run_batch(VB_T_IN, n, depths[i], BENCH_BUF, seq_block, 0, 0, &errors);
		t1 = tg_rdtsc();
		report("seqread bs=128k", depths[i], n, t1 - t0, errors);
	}
}

/* Echoes one line typed on the serial port (polling LSR.DR, no interrupts). */
static void echo_line(void)
{
	char line[128];
	unsigned int n = 0;

	tg_puts("TESTGUEST: ready for input\n");
	for (;;) {
		char c;

		while (!(tg_inb(TG_SERIAL + 5) & 1))
			__asm__ volatile("pause");
		c = (char)tg_inb(TG_SERIAL);
		if (c == '\n' || c == '\r' || n == sizeof(line) - 1)
			break;
		line[n++] = c;
	}
	line[n] = '\0';
	tg_puts("TESTGUEST: got '");
	tg_puts(line);
	tg_puts("'\n");
}

/* kib KiB of numbered 64-byte lines, as much as a Linux boot log and more. */
static void print_kib(int kib)
{
	for (uint64_t line = 0; line < (uint64_t)kib * 16; line++) {
		char buf[64];
		uint64_t v = line;
		int i = 62;

		buf[63] = '\0';
		buf[62] = '\n';
		while (i > 17) {
			buf[--i] = (char)('0' + v % 10);
			v /= 10;
		}
		for (int k = 0; k < 17; k++)
			buf[k] = "TESTGUEST-PRINT: "[k];
		/* 62 characters and a newline, which goes out as "\r\n": 64 bytes. */
		tg_puts(buf);
	}
	tg_puts("TESTGUEST: printed\n");
}

/* The driver on the device at base, as the command line asks. */
static int init_drv(uint64_t base, const char *cmdline)
{
	return vb_init(&drv, base, tg_opt(cmdline, "testguest.in_order=", 1),
		       tg_opt(cmdline, "testguest.event_idx=", 1),
		       tg_opt(cmdline, "testguest.indirect=", 1),
		       tg_opt(cmdline, "testguest.packed=", 0));
}

/*
 * A hostile driver: two chains under one buffer id, made available before
 * one kick, so the first is in flight when the device reads the second.
 * The device must stop the queue with DEVICE_NEEDS_RESET, which the guest
 * waits for (--timeout ends a device that never sets it); then it resets
 * the device, waits for Status to read 0 and starts its driver again.
 */
static void reuse_id(uint64_t base, const char *cmdline)
{
	uint64_t reads = 0;
	int rc;

	if (!drv.packed) {
		tg_puts("TESTGUEST: testguest.reuse_id needs the packed ring\n");
		tg_exit(5);
	}
	drv.pk.force_id = 7;
	vb_submit(&drv, 0, VB_T_OUT, 0, bufs[0], BLOCK);
	vb_submit(&drv, 1, VB_T_OUT, BLOCK / 512, bufs[1], BLOCK);
	vb_kick(&drv);
	while (!(*vmmio_reg(base, 0x070) & 0x40)) /* DEVICE_NEEDS_RESET */
		reads++;
	tg_puts("TESTGUEST: buffer id 7 reused: DEVICE_NEEDS_RESET after ");
	tg_putu(reads);
	tg_puts(" status reads\n");
	*vmmio_reg(base, 0x070) = 0;
	while (*vmmio_reg(base, 0x070) != 0)
		__asm__ volatile("pause");
	rc = init_drv(base, cmdline);
	if (rc || !drv.packed) {
		tg_puts("TESTGUEST: virtio-blk init after the reset failed\n");
		tg_exit(3);
	}
}

void user_main(int kind, uint64_t info)
{
	uint64_t tsc = tg_rdtsc(), base, errors = 0, seed;
	const char *cmdline;
	int rc;

	cmdline = kind == 0 ? (const char *)(uint64_t) * (volatile uint32_t *)(info + 0x228)
			    : (const char *)*(volatile uint64_t *)(info + 24);
	cmdline_start = cmdline;
	/* The TSC lets a benchmark on the same host time the VMM's start-up. */
	tg_puts("TESTGUEST: running at CPL3 tsc=");
	tg_putu(tsc);
	tg_puts("\n");
	if (tg_opt(cmdline, "testguest.echo=", 0)) {
		echo_line();
		tg_exit(0);
	}
	if (tg_opt(cmdline, "testguest.print=", 0)) {
		print_kib(tg_opt(cmdline, "testguest.print=", 0));
		if (!tg_opt(cmdline, "testguest.spin=", 0))
			tg_exit(0);
	}
	/* Never leaves KVM_RUN on its own: only the host's kick brings its vCPU out. */
	if (tg_opt(cmdline, "testguest.spin=", 0)) {
		tg_puts("TESTGUEST: spinning\n");
		for (;;)
			__asm__ volatile("pause");
	}
	if (tg_opt(cmdline, "testguest.net=", 0))
		net_main(cmdline, tg_opt(cmdline, "testguest.net=", 0));
	/* The first transport that holds a virtio-blk device. */
	rc = -1;
	for (int n = 0; rc && (base = tg_device_base(cmdline, n)) != 0; n++)
		rc = init_drv(base, cmdline);
	if (rc == -1) {
		tg_puts("TESTGUEST: no virtio-blk among the virtio_mmio.device= entries of: ");
		tg_puts(cmdline);
		tg_puts("\n");
		tg_exit(2);
	}
	if (rc) {
		tg_puts("TESTGUEST: virtio-blk init failed ");
		tg_putu((uint64_t)-rc);
		tg_puts("\n");
		tg_exit(3);
	}
	tg_puts("TESTGUEST: virtio-blk at ");
	tg_putx(base);
	tg_puts(" capacity ");
	tg_putu(drv.capacity);
	tg_puts(" sectors in_order=");
	tg_putu((uint64_t)drv.in_order);
	tg_puts(" event_idx=");
	tg_putu((uint64_t)drv.event_idx);
	tg_puts(" indirect=");
	tg_putu((uint64_t)drv.indirect);
	tg_puts(drv.packed ? " ring=packed\n" : " ring=split\n");
	if (drv.capacity < NBLOCKS * (BLOCK / 512) + 512) {
		tg_puts("TESTGUEST: disk too small\n");
		tg_exit(4);
	}
	if (tg_opt(cmdline, "testguest.reuse_id=", 0))
		reuse_id(base, cmdline);
	/* Resets the device while a write is in flight (a host test hook may
	 * hold that write), then waits, as the spec has a driver wait, until
	 * Status reads 0. */
	if (tg_opt(cmdline, "testguest.reset_inflight=", 0)) {
		uint32_t status;
		uint64_t reads = 0;

		vb_submit(&drv, 0, VB_T_OUT, 0, bufs[0], BLOCK);
		vb_kick(&drv);
		tg_puts("TESTGUEST: resetting with a write in flight\n");
		*vmmio_reg(base, 0x070) = 0;
		while ((status = *vmmio_reg(base, 0x070)) != 0)
			reads++;
		tg_puts("TESTGUEST: reset done after ");
		tg_putu(reads);
		tg_puts(" status reads\n");
		tg_exit(0);
	}
	limit_block = tg_opt(cmdline, "testguest.limit_block=", -1);
	if (limit_block >= 0) {
		run_batch(VB_T_OUT, NBLOCKS, 16, BLOCK, in_a_row, 1, tg_rdtsc(), &errors);
		tg_puts("TESTGUEST: size cap ");
		tg_puts(errors || drv.bad_ids ? "FAILED" : "ok");
		tg_puts(" wrong_status=");
		tg_putu(errors);
		tg_puts("\n");
		tg_exit(errors || drv.bad_ids ? 1 : 0);
	}
	/* Correctness: write distinct patterns at QD 16, flush, read back at QD 16,
	 * over blocks spread over the disk and then over blocks in a row. */
	seed = tg_rdtsc();
	run_batch(VB_T_OUT, NBLOCKS, 16, BLOCK, spread, 1, seed, &errors);
	run_batch(VB_T_FLUSH, 1, 1, 0, spread, 0, seed, &errors);
	run_batch(VB_T_IN, NBLOCKS, 16, BLOCK, spread, 1, seed, &errors);
	/* Blocks in a row, which the device may merge, checked against requests
	 * it cannot merge: reads in a row of what went out spread, then writes
	 * in a row read back spread. Each request must carry its own block. */
	run_batch(VB_T_IN, NBLOCKS, 16, BLOCK, in_a_row, 1, seed, &errors);
	seed = tg_rdtsc();
	run_batch(VB_T_OUT, NBLOCKS, 16, BLOCK, in_a_row, 1, seed, &errors);
	run_batch(VB_T_FLUSH, 1, 1, 0, in_a_row, 0, seed, &errors);
	run_batch(VB_T_IN, NBLOCKS, 16, BLOCK, spread, 1, seed, &errors);
	/* The same with every block in VB_MAX_SEGS descriptors: chains longer
	 * than a device may keep inline, merged into runs of many segments. */
	drv.segs = VB_MAX_SEGS;
	seed = tg_rdtsc();
	run_batch(VB_T_OUT, NBLOCKS, 16, BLOCK, in_a_row, 1, seed, &errors);
	run_batch(VB_T_IN, NBLOCKS, 16, BLOCK, spread, 1, seed, &errors);
	run_batch(VB_T_IN, NBLOCKS, 16, BLOCK, in_a_row, 1, seed, &errors);
	drv.segs = 1;
	/* A read past the end must fail with IOERR, not succeed or hang. */
	vb_submit(&drv, 0, VB_T_IN, drv.capacity, bufs[0], BLOCK);
	vb_kick(&drv);
	while (!vb_poll(&drv))
		__asm__ volatile("pause");
	if (drv.req[0].status != 1) {
		tg_puts("TESTGUEST: read past the end gave status ");
		tg_putu(drv.req[0].status);
		tg_puts("\n");
		errors++;
	}
	tg_puts("TESTGUEST: correctness ");
	tg_puts(errors || drv.bad_ids ? "FAILED" : "ok");
	tg_puts(" writes=");
	tg_putu(NBLOCKS);
	tg_puts(" reads=");
	tg_putu(NBLOCKS);
	tg_puts(" errors=");
	tg_putu(errors);
	tg_puts(" bad_ids=");
	tg_putu(drv.bad_ids);
	tg_puts("\n");
	if (errors || drv.bad_ids)
		tg_exit(1);
	if (tg_opt(cmdline, "testguest.bench=", 0))
		bench(tg_opt(cmdline, "testguest.ops=", 20000));
	tg_exit(0);
}
