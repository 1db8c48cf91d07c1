// SPDX-License-Identifier: MIT
/*
 * VMM helpers: --mem size parsing, the MMIO/PIO bus, the 8250 UART as Linux's
 * driver probes and drives it, and the i8042 reset and exit-status ports,
 * and the console scan that tells a panic's reboot from a clean one.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "tests/unit/check_run.h"
#include "devices/serial.h"
#include "devices/sysctl_ports.h"
#include "vmm/core/bus.h"
#include "vmm/core/console_out.h"
#include "vmm/cli/cli_opts.h"
#include "vmm/api/config.h"
#include "vmm/api/minivmm.h"
#include "vmm/core/panic_scan.h"
#include "vmm/core/vm.h"

/* ------------------------------------------------------------------ */
/* minivmm_parse_size                                                   */
/* ------------------------------------------------------------------ */

static uint64_t size_ok(const char *s)
{
	uint64_t v = 0xdeadbeef;

	ck_assert_msg(minivmm_parse_size(s, &v) == 0, "\"%s\" rejected", s);
	return v;
}

/* Feeds s; returns how many bytes reported a match (at most one may). */
static int scan(struct panic_scan *p, const char *s)
{
	int hits = 0;

	while (*s)
		hits += panic_scan_byte(p, (uint8_t)*s++);
	return hits;
}

START_TEST(panic_scan_finds_the_panic_line)
{
	struct panic_scan p = {0};

	ck_assert_int_eq(scan(&p, "[    1.2] Kernel panic - not syncing: Attempted to kill init!"),
			 1);
	ck_assert(p.seen);
	/* Reported once, however often it is printed again. */
	ck_assert_int_eq(scan(&p, "\r\nKernel panic - not syncing: again\r\n"), 0);
}
END_TEST

START_TEST(panic_scan_across_chunks_and_restarts)
{
	struct panic_scan p = {0};

	/* Split anywhere, as the UART sends it: byte by byte. */
	ck_assert_int_eq(scan(&p, "Kernel pa"), 0);
	ck_assert_int_eq(scan(&p, "nic - not sync"), 0);
	ck_assert_int_eq(scan(&p, "ing"), 1);
	/* A broken match restarts at a 'K' that breaks it. */
	p = (struct panic_scan){0};
	ck_assert_int_eq(scan(&p, "Kernel pKernel panic - not syncing"), 1);
	p = (struct panic_scan){0};
	ck_assert_int_eq(scan(&p, "KKernel panic - not syncing"), 1);
}
END_TEST

START_TEST(panic_scan_ignores_near_misses)
{
	struct panic_scan p = {0};

	ck_assert_int_eq(scan(&p, "Kernel Panic - not syncing"), 0);
	ck_assert_int_eq(scan(&p, "Kernel panic - not syncin"), 0);
	ck_assert_int_eq(scan(&p, "kernel panic - not syncing"), 0);
	ck_assert_int_eq(scan(&p, "Kernel panic: not syncing"), 0);
	ck_assert(!p.seen);
}
END_TEST

START_TEST(size_valid)
{
	ck_assert_uint_eq(size_ok("256M"), 256ULL << 20);
	ck_assert_uint_eq(size_ok("2G"), 2ULL << 30);
	ck_assert_uint_eq(size_ok("4096K"), 4096ULL << 10);
	ck_assert_uint_eq(size_ok("1048576"), 1048576);
	ck_assert_uint_eq(size_ok("1T"), 1ULL << 40);
	ck_assert_uint_eq(size_ok("2GiB"), 2ULL << 30);
	ck_assert_uint_eq(size_ok("2GB"), 2ULL << 30);
	ck_assert_uint_eq(size_ok("512m"), 512ULL << 20);
	ck_assert_uint_eq(size_ok("64k"), 64ULL << 10);
	ck_assert_uint_eq(size_ok("3g"), 3ULL << 30);
	ck_assert_uint_eq(size_ok("128MiB"), 128ULL << 20);
	ck_assert_uint_eq(size_ok("0"), 0);
}
END_TEST

START_TEST(size_invalid)
{
	static const char *const bad[] = {
		"",	 "abc", "-1",	 "12Q",	 "1.5G", "M",	  " 256M", "+256M", "256 M",
		"256M ", "2GX", "2GiBB", "2GBi", "2iB",	 "0x100", "256B",  "1e3",
	};
	uint64_t v = 0;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(minivmm_parse_size(bad[i], &v) == -EINVAL, "\"%s\" accepted", bad[i]);
	ck_assert_int_eq(minivmm_parse_size(NULL, &v), -EINVAL);
}
END_TEST

START_TEST(size_overflow)
{
	uint64_t v = 0;

	ck_assert_int_eq(minivmm_parse_size("99999999999T", &v), -ERANGE);
	ck_assert_int_eq(minivmm_parse_size("16777216T", &v), -ERANGE);
	ck_assert_int_eq(minivmm_parse_size("17179869184G", &v), -ERANGE);
	ck_assert_int_eq(minivmm_parse_size("18446744073709551616", &v), -ERANGE);
	ck_assert_int_eq(minivmm_parse_size("99999999999999999999999M", &v), -ERANGE);
	/* The largest values that still fit. */
	ck_assert_uint_eq(size_ok("16777215T"), 16777215ULL << 40);
	ck_assert_uint_eq(size_ok("18446744073709551615"), UINT64_MAX);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Bus                                                                  */
/* ------------------------------------------------------------------ */

struct recorder {
	int reads, writes;
	uint64_t offset;
	unsigned int size;
	uint8_t data[8];
};

static void rec_read(void *opaque, uint64_t offset, uint8_t *data, unsigned int size)
{
	struct recorder *r = opaque;

	r->reads++;
	r->offset = offset;
	r->size = size;
	for (unsigned int i = 0; i < size; i++)
		data[i] = (uint8_t)(0xa0 + offset + i);
}

static void rec_write(void *opaque, uint64_t offset, const uint8_t *data, unsigned int size)
{
	struct recorder *r = opaque;

	r->writes++;
	r->offset = offset;
	r->size = size;
	memcpy(r->data, data, size < sizeof(r->data) ? size : sizeof(r->data));
}

START_TEST(bus_add_sorted_and_overlap)
{
	struct bus bus = {0};
	struct recorder a = {0}, b = {0}, c = {0};

	ck_assert_int_eq(bus_add(&bus, 0x300, 0x100, &c, rec_read, rec_write), 0);
	ck_assert_int_eq(bus_add(&bus, 0x100, 0x10, &a, rec_read, rec_write), 0);
	ck_assert_int_eq(bus_add(&bus, 0x200, 0x8, &b, rec_read, rec_write), 0);
	ck_assert_uint_eq(bus.n, 3);
	ck_assert_uint_eq(bus.ranges[0].base, 0x100);
	ck_assert_uint_eq(bus.ranges[1].base, 0x200);
	ck_assert_uint_eq(bus.ranges[2].base, 0x300);
	ck_assert_ptr_eq(bus.ranges[0].opaque, &a);
	ck_assert_ptr_eq(bus.ranges[2].opaque, &c);

	/* Inside, straddling the start, straddling the end, covering. */
	ck_assert_int_eq(bus_add(&bus, 0x108, 4, NULL, NULL, NULL), -EEXIST);
	ck_assert_int_eq(bus_add(&bus, 0xf8, 0x10, NULL, NULL, NULL), -EEXIST);
	ck_assert_int_eq(bus_add(&bus, 0x10f, 2, NULL, NULL, NULL), -EEXIST);
	ck_assert_int_eq(bus_add(&bus, 0, 0x1000, NULL, NULL, NULL), -EEXIST);
	ck_assert_int_eq(bus_add(&bus, 0x100, 0x10, NULL, NULL, NULL), -EEXIST);
	ck_assert_uint_eq(bus.n, 3);
	/* Touching neighbours are fine. */
	ck_assert_int_eq(bus_add(&bus, 0xff, 1, NULL, NULL, NULL), 0);
	ck_assert_int_eq(bus_add(&bus, 0x110, 1, NULL, NULL, NULL), 0);
	ck_assert_uint_eq(bus.n, 5);
	ck_assert_uint_eq(bus.ranges[0].base, 0xff);
	ck_assert_uint_eq(bus.ranges[1].base, 0x100);
	ck_assert_uint_eq(bus.ranges[2].base, 0x110);
	bus_free(&bus);
	ck_assert_uint_eq(bus.n, 0);
	ck_assert_ptr_null(bus.ranges);
}
END_TEST

START_TEST(bus_add_invalid)
{
	struct bus bus = {0};

	ck_assert_int_eq(bus_add(&bus, 0x100, 0, NULL, NULL, NULL), -EINVAL);
	ck_assert_int_eq(bus_add(&bus, UINT64_MAX, 2, NULL, NULL, NULL), -EINVAL);
	ck_assert_int_eq(bus_add(&bus, UINT64_MAX - 0xf, 0x20, NULL, NULL, NULL), -EINVAL);
	ck_assert_uint_eq(bus.n, 0);
	bus_free(&bus);
}
END_TEST

START_TEST(bus_find_edges)
{
	struct bus bus = {0};
	struct recorder a = {0}, b = {0};

	ck_assert_int_eq(bus_add(&bus, 0x100, 0x10, &a, rec_read, rec_write), 0);
	ck_assert_int_eq(bus_add(&bus, 0x110, 0x10, &b, rec_read, rec_write), 0);
	ck_assert_ptr_eq(bus_find(&bus, 0x100, 1)->opaque, &a);
	ck_assert_ptr_eq(bus_find(&bus, 0x10f, 1)->opaque, &a);
	ck_assert_ptr_eq(bus_find(&bus, 0x10c, 4)->opaque, &a);
	ck_assert_ptr_eq(bus_find(&bus, 0x100, 0x10)->opaque, &a);
	ck_assert_ptr_eq(bus_find(&bus, 0x110, 1)->opaque, &b);
	ck_assert_ptr_eq(bus_find(&bus, 0x11f, 1)->opaque, &b);
	/* Before, after, and spanning a range boundary. */
	ck_assert_ptr_null(bus_find(&bus, 0xff, 1));
	ck_assert_ptr_null(bus_find(&bus, 0xff, 2));
	ck_assert_ptr_null(bus_find(&bus, 0x120, 1));
	ck_assert_ptr_null(bus_find(&bus, 0x10d, 4));
	ck_assert_ptr_null(bus_find(&bus, 0x11e, 4));
	ck_assert_ptr_null(bus_find(&bus, 0x100, 0x11));
	ck_assert_ptr_null(bus_find(&bus, UINT64_MAX, 1));
	bus_free(&bus);
	/* An empty bus finds nothing. */
	ck_assert_ptr_null(bus_find(&bus, 0, 1));
}
END_TEST

START_TEST(bus_many_ranges)
{
	struct bus bus = {0};
	struct recorder r[40];

	/* Added in reverse order, more than the initial capacity. */
	for (int i = 39; i >= 0; i--)
		ck_assert_int_eq(
			bus_add(&bus, 0x1000 + (uint64_t)i * 0x100, 0x10, &r[i], rec_read, NULL),
			0);
	ck_assert_uint_eq(bus.n, 40);
	for (unsigned int i = 1; i < bus.n; i++)
		ck_assert_uint_lt(bus.ranges[i - 1].base, bus.ranges[i].base);
	for (int i = 0; i < 40; i++) {
		uint64_t base = 0x1000 + (uint64_t)i * 0x100;

		ck_assert_ptr_eq(bus_find(&bus, base, 1)->opaque, &r[i]);
		ck_assert_ptr_eq(bus_find(&bus, base + 0xf, 1)->opaque, &r[i]);
		ck_assert_ptr_null(bus_find(&bus, base + 0x10, 1));
		ck_assert_ptr_null(bus_find(&bus, base - 1, 1));
	}
	bus_free(&bus);
}
END_TEST

START_TEST(bus_access_dispatch)
{
	struct bus bus = {0};
	struct recorder a = {0}, ro = {0};
	uint8_t data[4] = {0};
	const uint8_t w[2] = {0x12, 0x34};

	ck_assert_int_eq(bus_add(&bus, 0x100, 0x10, &a, rec_read, rec_write), 0);
	ck_assert_int_eq(bus_add(&bus, 0x200, 0x4, &ro, NULL, NULL), 0);

	/* Reads and writes reach the device with the offset into its range. */
	ck_assert_int_eq(bus_access(&bus, 0x104, data, 2, 0), 1);
	ck_assert_int_eq(a.reads, 1);
	ck_assert_uint_eq(a.offset, 4);
	ck_assert_uint_eq(a.size, 2);
	ck_assert_uint_eq(data[0], 0xa4);
	ck_assert_uint_eq(data[1], 0xa5);
	ck_assert_int_eq(bus_access(&bus, 0x10e, (uint8_t *)w, 2, 1), 1);
	ck_assert_int_eq(a.writes, 1);
	ck_assert_uint_eq(a.offset, 0xe);
	ck_assert_uint_eq(a.size, 2);
	ck_assert_uint_eq(a.data[0], 0x12);
	ck_assert_uint_eq(a.data[1], 0x34);

	/* Spanning the end of the range: not dispatched, reads all-ones. */
	memset(data, 0, sizeof(data));
	ck_assert_int_eq(bus_access(&bus, 0x10e, data, 4, 0), 0);
	ck_assert_int_eq(a.reads, 1);
	ck_assert_uint_eq(data[0], 0xff);
	ck_assert_uint_eq(data[3], 0xff);
	ck_assert_int_eq(bus_access(&bus, 0x10e, data, 4, 1), 0);
	ck_assert_int_eq(a.writes, 1);

	/* Unknown address: all-ones, writes ignored. */
	memset(data, 0, sizeof(data));
	ck_assert_int_eq(bus_access(&bus, 0x3f8, data, 4, 0), 0);
	ck_assert_uint_eq(data[0], 0xff);
	ck_assert_uint_eq(data[1], 0xff);
	ck_assert_uint_eq(data[2], 0xff);
	ck_assert_uint_eq(data[3], 0xff);
	ck_assert_int_eq(bus_access(&bus, 0x3f8, data, 1, 1), 0);
	ck_assert_int_eq(a.reads + a.writes, 2);

	/* A device without handlers claims the range: all-ones, write dropped. */
	memset(data, 0, sizeof(data));
	ck_assert_int_eq(bus_access(&bus, 0x200, data, 4, 0), 1);
	ck_assert_uint_eq(data[0], 0xff);
	ck_assert_uint_eq(data[3], 0xff);
	ck_assert_int_eq(bus_access(&bus, 0x201, data, 1, 1), 1);
	bus_free(&bus);
}
END_TEST

/* ------------------------------------------------------------------ */
/* 8250 UART                                                            */
/* ------------------------------------------------------------------ */

enum { THR = 0, RBR = 0, DLL = 0, IER = 1, DLM = 1, IIR = 2, FCR = 2, LCR = 3 };
enum { MCR = 4, LSR = 5, MSR = 6, SCR = 7 };

struct fake_irq {
	int level;
	int calls;
	unsigned int irq;
};

static void fake_irq_set(void *ctx, unsigned int irq, int level)
{
	struct fake_irq *f = ctx;

	f->calls++;
	f->irq = irq;
	f->level = level;
}

struct uart {
	struct serial s;
	struct fake_irq irq;
	struct tx_ring out;
};

#define UART_RING 64

static void uart_init(struct uart *u)
{
	memset(u, 0, sizeof(*u));
	ck_assert_int_eq(tx_ring_init(&u->out, UART_RING), 0);
	serial_init(&u->s, &u->out, (struct irq_line){fake_irq_set, &u->irq, SERIAL_COM1_IRQ});
}

static void uart_free(struct uart *u)
{
	serial_destroy(&u->s);
	tx_ring_free(&u->out);
}

static uint8_t rd(struct uart *u, unsigned int reg)
{
	uint8_t v = 0;

	serial_read(&u->s, reg, &v, 1);
	return v;
}

static void wr(struct uart *u, unsigned int reg, uint8_t v)
{
	serial_write(&u->s, reg, &v, 1);
}

/* What the UART transmitted, as the console output thread takes it; -1 when nothing. */
static ssize_t drain_pipe(struct uart *u, char *buf, size_t len)
{
	size_t got = 0, n;
	const uint8_t *p;

	while (got < len && (n = tx_ring_peek(&u->out, &p)) > 0) {
		n = n < len - got ? n : len - got;
		memcpy(buf + got, p, n);
		tx_ring_consume(&u->out, n);
		got += n;
	}
	return got ? (ssize_t)got : -1;
}

START_TEST(uart_scratch)
{
	struct uart u;

	uart_init(&u);
	wr(&u, SCR, 0x5a);
	ck_assert_uint_eq(rd(&u, SCR), 0x5a);
	wr(&u, SCR, 0xa5);
	ck_assert_uint_eq(rd(&u, SCR), 0xa5);
	/* Other registers do not alias the scratch register. */
	wr(&u, LCR, 0x03);
	ck_assert_uint_eq(rd(&u, SCR), 0xa5);
	ck_assert_uint_eq(rd(&u, LCR), 0x03);
	uart_free(&u);
}
END_TEST

START_TEST(uart_loopback_msr)
{
	struct uart u;
	char c;

	uart_init(&u);
	/* Outside loopback the modem lines say "connected". */
	ck_assert_uint_eq(rd(&u, MSR) & 0xb0, 0xb0);
	/* Linux's autoconfig: MCR = LOOP | OUT2 | RTS, then MSR & 0xF0 must be 0x90. */
	wr(&u, MCR, 0x1a);
	ck_assert_uint_eq(rd(&u, MCR), 0x1a);
	ck_assert_uint_eq(rd(&u, MSR) & 0xf0, 0x90);
	wr(&u, MCR, 0x10);
	ck_assert_uint_eq(rd(&u, MSR) & 0xf0, 0x00);
	wr(&u, MCR, 0x1f);
	ck_assert_uint_eq(rd(&u, MSR) & 0xf0, 0xf0);
	/* A byte sent in loopback comes back in RBR, not out to the console. */
	wr(&u, THR, 'L');
	ck_assert_uint_eq(rd(&u, LSR) & 0x01, 0x01);
	ck_assert_uint_eq(rd(&u, RBR), 'L');
	ck_assert_uint_eq(rd(&u, LSR) & 0x01, 0);
	ck_assert_int_eq(drain_pipe(&u, &c, 1), -1);
	uart_free(&u);
}
END_TEST

START_TEST(uart_fifo_bits)
{
	struct uart u;

	uart_init(&u);
	ck_assert_uint_eq(rd(&u, IIR), 0x01);
	wr(&u, FCR, 0x01);
	ck_assert_uint_eq(rd(&u, IIR), 0xc1);
	wr(&u, FCR, 0x00);
	ck_assert_uint_eq(rd(&u, IIR), 0x01);
	/* LSR: transmitter empty, nothing received. */
	ck_assert_uint_eq(rd(&u, LSR), 0x60);
	uart_free(&u);
}
END_TEST

START_TEST(uart_thre_interrupt)
{
	struct uart u;

	uart_init(&u);
	ck_assert_int_eq(u.irq.level, 0);
	ck_assert_int_eq(u.irq.calls, 0);
	/* Enabling THRI with THR empty raises the line. */
	wr(&u, IER, 0x02);
	ck_assert_int_eq(u.irq.level, 1);
	ck_assert_uint_eq(u.irq.irq, SERIAL_COM1_IRQ);
	/* Reading IIR reports and acknowledges it. */
	ck_assert_uint_eq(rd(&u, IIR), 0x02);
	ck_assert_int_eq(u.irq.level, 0);
	ck_assert_uint_eq(rd(&u, IIR), 0x01);
	ck_assert_int_eq(u.irq.level, 0);
	/* A transmitted byte empties THR again: a new interrupt. */
	wr(&u, THR, 'x');
	ck_assert_int_eq(u.irq.level, 1);
	wr(&u, FCR, 0x01);
	ck_assert_uint_eq(rd(&u, IIR), 0xc2);
	ck_assert_int_eq(u.irq.level, 0);
	/* With THRI disabled, transmitting raises nothing. */
	wr(&u, IER, 0x00);
	wr(&u, THR, 'y');
	ck_assert_int_eq(u.irq.level, 0);
	ck_assert_uint_eq(rd(&u, IIR), 0xc1);
	/* Only level changes are signalled. */
	ck_assert_int_eq(u.irq.calls, 4);
	uart_free(&u);
}
END_TEST

START_TEST(uart_receive)
{
	struct uart u;

	uart_init(&u);
	ck_assert_uint_eq(rd(&u, LSR) & 0x01, 0);
	ck_assert_uint_eq(serial_receive(&u.s, (const uint8_t *)"ab", 2), 2);
	ck_assert_uint_eq(rd(&u, LSR) & 0x01, 0x01);
	/* Without IER.RDI no interrupt. */
	ck_assert_uint_eq(rd(&u, IIR), 0x01);
	ck_assert_int_eq(u.irq.level, 0);
	wr(&u, IER, 0x01);
	ck_assert_uint_eq(rd(&u, IIR), 0x04);
	ck_assert_int_eq(u.irq.level, 1);
	/* Reading IIR does not acknowledge received data. */
	ck_assert_uint_eq(rd(&u, IIR), 0x04);
	ck_assert_int_eq(u.irq.level, 1);
	ck_assert_uint_eq(rd(&u, RBR), 'a');
	ck_assert_int_eq(u.irq.level, 1);
	ck_assert_uint_eq(rd(&u, RBR), 'b');
	ck_assert_uint_eq(rd(&u, LSR) & 0x01, 0);
	ck_assert_uint_eq(rd(&u, IIR), 0x01);
	ck_assert_int_eq(u.irq.level, 0);
	/* An empty RBR reads 0. */
	ck_assert_uint_eq(rd(&u, RBR), 0);
	/* With RDI enabled, arriving data raises the line by itself. */
	ck_assert_uint_eq(serial_receive(&u.s, (const uint8_t *)"c", 1), 1);
	ck_assert_int_eq(u.irq.level, 1);
	/* Received data outranks THRE. */
	wr(&u, IER, 0x03);
	ck_assert_uint_eq(rd(&u, IIR), 0x04);
	ck_assert_uint_eq(rd(&u, RBR), 'c');
	ck_assert_uint_eq(rd(&u, IIR), 0x02);
	ck_assert_int_eq(u.irq.level, 0);
	uart_free(&u);
}
END_TEST

START_TEST(uart_fcr_clears_rx)
{
	struct uart u;

	uart_init(&u);
	ck_assert_uint_eq(serial_receive(&u.s, (const uint8_t *)"xyz", 3), 3);
	wr(&u, IER, 0x01);
	ck_assert_int_eq(u.irq.level, 1);
	wr(&u, FCR, 0x03);
	ck_assert_uint_eq(rd(&u, LSR) & 0x01, 0);
	ck_assert_int_eq(u.irq.level, 0);
	ck_assert_uint_eq(rd(&u, RBR), 0);
	uart_free(&u);
}
END_TEST

START_TEST(uart_dlab)
{
	struct uart u;
	char c;

	uart_init(&u);
	wr(&u, IER, 0x05);
	wr(&u, LCR, 0x83);
	wr(&u, DLL, 0x0c);
	wr(&u, DLM, 0x01);
	ck_assert_uint_eq(rd(&u, DLL), 0x0c);
	ck_assert_uint_eq(rd(&u, DLM), 0x01);
	/* The divisor write was not a transmit. */
	ck_assert_int_eq(drain_pipe(&u, &c, 1), -1);
	ck_assert_uint_eq(serial_tx_bytes(&u.s), 0);
	wr(&u, LCR, 0x03);
	ck_assert_uint_eq(rd(&u, IER), 0x05);
	ck_assert_uint_eq(rd(&u, RBR), 0);
	/* And the divisor survives. */
	wr(&u, LCR, 0x83);
	ck_assert_uint_eq(rd(&u, DLL), 0x0c);
	ck_assert_uint_eq(rd(&u, DLM), 0x01);
	uart_free(&u);
}
END_TEST

START_TEST(uart_output_to_fd)
{
	struct uart u;
	char buf[32];
	const char *msg = "Hello, guest\n";

	uart_init(&u);
	for (const char *p = msg; *p; p++)
		wr(&u, THR, (uint8_t)*p);
	ck_assert_int_eq(drain_pipe(&u, buf, sizeof(buf)), (ssize_t)strlen(msg));
	ck_assert_int_eq(memcmp(buf, msg, strlen(msg)), 0);
	ck_assert_uint_eq(serial_tx_bytes(&u.s), strlen(msg));
	uart_free(&u);
}
END_TEST

/*
 * Nobody drains the output: the UART still takes every byte at once (THR
 * empty, no wait), keeps the first UART_RING of them in order, drops and
 * counts the rest, and counts every byte as transmitted.
 */
START_TEST(uart_output_ring_full)
{
	char buf[UART_RING * 2];
	struct uart u;

	uart_init(&u);
	for (unsigned int i = 0; i < UART_RING + 10; i++) {
		wr(&u, THR, (uint8_t)('a' + i % 26));
		ck_assert_uint_ne(rd(&u, LSR) & 0x20, 0);
	}
	ck_assert_uint_eq(serial_tx_bytes(&u.s), UART_RING + 10);
	ck_assert_uint_eq(tx_ring_dropped(&u.out), 10);
	ck_assert_int_eq(drain_pipe(&u, buf, sizeof(buf)), UART_RING);
	for (unsigned int i = 0; i < UART_RING; i++)
		ck_assert_int_eq(buf[i], 'a' + i % 26);
	/* Drained: room again, in order, across the ring's end. */
	wr(&u, THR, 'Z');
	ck_assert_int_eq(drain_pipe(&u, buf, sizeof(buf)), 1);
	ck_assert_int_eq(buf[0], 'Z');
	ck_assert_uint_eq(tx_ring_dropped(&u.out), 10);
	uart_free(&u);
}
END_TEST

/* A sleeping consumer is woken by the next byte; a busy one costs the producer no wake-up. */
START_TEST(tx_ring_wakes_sleeper_only)
{
	struct tx_ring r;
	eventfd_t v;
	const uint8_t *p;

	ck_assert_int_eq(tx_ring_init(&r, 8), 0);
	ck_assert_int_eq(tx_ring_init(&(struct tx_ring){0}, 12), -EINVAL);
	tx_ring_put(&r, 'x');
	ck_assert_int_eq(eventfd_read(r.wake_fd, &v), -1); /* not asleep: no wake-up */
	ck_assert(!tx_ring_sleep(&r));			   /* a byte is there: do not sleep */
	ck_assert_uint_eq(tx_ring_peek(&r, &p), 1);
	tx_ring_consume(&r, 1);
	ck_assert(tx_ring_sleep(&r));
	tx_ring_put(&r, 'y');
	ck_assert_int_eq(eventfd_read(r.wake_fd, &v), 0);
	ck_assert_uint_eq(v, 1);
	tx_ring_awake(&r);
	tx_ring_put(&r, 'z');
	ck_assert_int_eq(eventfd_read(r.wake_fd, &v), -1);
	/* Given up: counted as dropped, the ring empty. */
	tx_ring_discard(&r);
	ck_assert_uint_eq(tx_ring_dropped(&r), 2);
	ck_assert_uint_eq(tx_ring_peek(&r, &p), 0);
	tx_ring_free(&r);
}
END_TEST

static uint64_t mono_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/*
 * The console output thread writes what the UART queued, in order, and at
 * the end writes out what is left before it ends.
 */
START_TEST(console_out_in_order)
{
	struct console_out *co;
	struct timespec deadline;
	static char got[8192];
	size_t n = 0;
	ssize_t r;
	int p[2];

	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	ck_assert_int_eq(console_out_create(&co, p[1], SIGRTMIN, MINIVMM_SECCOMP_OFF), 0);
	ck_assert_int_eq(console_out_start(co), 0);
	for (unsigned int i = 0; i < sizeof(got); i++)
		tx_ring_put(console_out_ring(co), (uint8_t)(i % 251));
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += 10;
	ck_assert(console_out_stop(co, &deadline));
	while (n < sizeof(got) && (r = read(p[0], got + n, sizeof(got) - n)) > 0)
		n += (size_t)r;
	ck_assert_uint_eq(n, sizeof(got));
	for (unsigned int i = 0; i < sizeof(got); i++)
		ck_assert_uint_eq((uint8_t)got[i], i % 251);
	ck_assert_uint_eq(console_out_dropped(co), 0);
	console_out_free(co);
	close(p[0]);
	close(p[1]);
}
END_TEST

/*
 * A reader that never reads: the stop gives up at its deadline (and not
 * much later), ends the thread and counts what was queued as dropped.
 */
START_TEST(console_out_stuck_reader)
{
	static char fill[4096];
	struct console_out *co;
	struct timespec deadline;
	uint64_t t0;
	int p[2];

	ck_assert_int_eq(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
	while (write(p[1], fill, sizeof(fill)) > 0)
		;
	ck_assert_int_eq(fcntl(p[1], F_SETFL, 0), 0); /* the embedder's blocking fd */
	ck_assert_int_eq(console_out_create(&co, p[1], SIGRTMIN, MINIVMM_SECCOMP_OFF), 0);
	ck_assert_int_eq(console_out_start(co), 0);
	for (unsigned int i = 0; i < 100; i++)
		tx_ring_put(console_out_ring(co), 'x');
	t0 = mono_ms();
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_nsec += 200 * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	ck_assert(console_out_stop(co, &deadline));
	ck_assert_uint_ge(mono_ms() - t0, 150);
	ck_assert_uint_lt(mono_ms() - t0, 5000);
	ck_assert_uint_eq(console_out_dropped(co), 100);
	console_out_free(co);
	close(p[0]);
	close(p[1]);
}
END_TEST

/* The system call the thread named name is in (/proc/self/task/N/syscall), or -1. */
static long thread_syscall(const char *name)
{
	char path[300], buf[64];
	struct dirent *e;
	long nr = -1;
	DIR *d = opendir("/proc/self/task");

	while (d && nr < 0 && (e = readdir(d))) {
		FILE *f;

		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f) && !strncmp(buf, name, strlen(name)) &&
		    buf[strlen(name)] == '\n') {
			fclose(f);
			snprintf(path, sizeof(path), "/proc/self/task/%s/syscall", e->d_name);
			f = fopen(path, "r");
			if (f && fscanf(f, "%ld", &nr) != 1)
				nr = -1;
		}
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
	return nr;
}

/*
 * One try of console_out_kicked_out_of_write: an output thread writing to
 * a terminal nobody reads, stopped at once. 1 if it was seen blocked in
 * write(2) before the stop, 0 if it settled in poll(2) instead.
 */
static int kick_try(void)
{
	struct console_out *co;
	struct timespec deadline;
	unsigned int in_poll = 0;
	uint64_t t0;
	long nr = -1;
	int m, sl;

	m = posix_openpt(O_RDWR | O_NOCTTY);
	ck_assert_int_ge(m, 0);
	ck_assert_int_eq(grantpt(m), 0);
	ck_assert_int_eq(unlockpt(m), 0);
	sl = open(ptsname(m), O_WRONLY | O_NOCTTY);
	ck_assert_int_ge(sl, 0);
	ck_assert_int_eq(console_out_create(&co, sl, SIGRTMIN, MINIVMM_SECCOMP_OFF), 0);
	ck_assert_int_eq(console_out_start(co), 0);
	for (unsigned int i = 0; i < 60000; i++)
		tx_ring_put(console_out_ring(co), 'x');
	/*
	 * Blocked in write, or 100 ms in poll: the terminal said it had no
	 * room. 2 s at most: under qemu-user the numbers are the host's.
	 */
	for (unsigned int ms = 0; nr != SYS_write && in_poll < 100 && ms < 2000; ms++) {
		nanosleep(&(struct timespec){0, 1000000}, NULL);
		bool polling;

		nr = thread_syscall("console-out");
		polling = nr == SYS_ppoll;
#ifdef SYS_poll
		polling = polling || nr == SYS_poll;
#endif
		in_poll = polling ? in_poll + 1 : 0;
	}
	/* Either way the stop ends it at once (the deadline is now) and drops the rest. */
	t0 = mono_ms();
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	ck_assert(console_out_stop(co, &deadline));
	ck_assert_uint_lt(mono_ms() - t0, 1000);
	ck_assert_uint_gt(console_out_dropped(co), 0);
	console_out_free(co);
	close(sl);
	close(m);
	return nr == SYS_write;
}

/*
 * A terminal nobody reads may poll writable with less room than a write
 * needs: the output thread then blocks in write(2) itself, and only the
 * stop's kick gets it out. Whether it blocks in write or in poll depends
 * on when the pty's buffer work runs, so it is tried until one try blocked
 * in write; every try must stop at once.
 */
START_TEST(console_out_kicked_out_of_write)
{
	unsigned int tries = 0, in_write = 0;

	while (tries < 20 && !in_write) {
		tries++;
		in_write += kick_try();
	}
	if (!in_write)
		fprintf(stderr,
			"SKIP console_out_kicked_out_of_write: in %u tries the terminal "
			"never blocked a write (each stopped from poll)\n",
			tries);
}
END_TEST

START_TEST(uart_wide_read_and_close)
{
	struct uart u;
	uint8_t data[2] = {0, 0};

	uart_init(&u);
	wr(&u, SCR, 0x42);
	serial_read(&u.s, SCR, data, 2);
	ck_assert_uint_eq(data[0], 0x42);
	ck_assert_uint_eq(data[1], 0xff);
	/* After close, input is refused instead of queued. */
	serial_close(&u.s);
	ck_assert_uint_eq(serial_receive(&u.s, (const uint8_t *)"q", 1), 0);
	ck_assert_uint_eq(rd(&u, LSR) & 0x01, 0);
	uart_free(&u);
}
END_TEST

/* ------------------------------------------------------------------ */
/* i8042 reset and exit-status ports                                    */
/* ------------------------------------------------------------------ */

struct port_log {
	int resets;
	int exits;
	int status;
};

static void log_reset(void *ctx)
{
	((struct port_log *)ctx)->resets++;
}

static void log_exit(void *ctx, int status)
{
	struct port_log *l = ctx;

	l->exits++;
	l->status = status;
}

START_TEST(i8042_reset_only_on_fe)
{
	struct port_log log = {0};
	struct sysctl_ports ports = {.reset = log_reset, .exit_status = log_exit, .ctx = &log};

	for (unsigned int v = 0; v < 256; v++) {
		uint8_t b = (uint8_t)v;

		if (b == I8042_CMD_RESET)
			continue;
		i8042_command_write(&ports, 0, &b, 1);
	}
	ck_assert_int_eq(log.resets, 0);
	{
		uint8_t b = 0xfe;

		i8042_command_write(&ports, 0, &b, 1);
	}
	ck_assert_int_eq(log.resets, 1);
	ck_assert_int_eq(log.exits, 0);
}
END_TEST

START_TEST(i8042_reads_idle)
{
	struct sysctl_ports ports = {.reset = NULL};
	uint8_t data[4] = {0xaa, 0xaa, 0xaa, 0xaa};

	/* Nothing to read, input buffer empty (the reboot path does not wait),
	 * self test passed, keyboard not locked. */
	i8042_status_read(&ports, 0, data, 4);
	ck_assert_uint_eq(data[0], I8042_STR_SYS | I8042_STR_KEYLOCK);
	ck_assert_uint_eq(data[3], 0);
}
END_TEST

struct irq_log {
	int edges; /* rising edges */
	int level;
};

static void log_irq(void *ctx, unsigned int irq, int level)
{
	struct irq_log *l = ctx;

	ck_assert_uint_eq(irq, I8042_KBD_IRQ);
	if (level && !l->level)
		l->edges++;
	l->level = level;
}

static void cmd(struct sysctl_ports *p, uint8_t c)
{
	i8042_command_write(p, 0, &c, 1);
}

static void put(struct sysctl_ports *p, uint8_t v)
{
	i8042_data_write(p, 0, &v, 1);
}

static bool obf(struct sysctl_ports *p)
{
	uint8_t st;

	i8042_status_read(p, 0, &st, 1);
	return st & I8042_STR_OBF;
}

static uint8_t get(struct sysctl_ports *p)
{
	uint8_t v;

	ck_assert(obf(p));
	i8042_data_read(p, 0, &v, 1);
	return v;
}

/* What Linux's i8042 driver does with the default command line (noaux, nomux, dumbkbd). */
static void linux_probe(struct sysctl_ports *p)
{
	uint8_t ctr;

	ck_assert(!obf(p)); /* i8042_flush: a controller, not 16 bytes of 0xFF */
	cmd(p, 0x20);
	ctr = get(p);
	cmd(p, 0x20);
	ck_assert_uint_eq(get(p), ctr);		     /* a stable CTR */
	ck_assert_uint_eq(ctr & I8042_CTR_XLATE, 0); /* no translation: set 2 */
	cmd(p, 0xaa);
	ck_assert_uint_eq(get(p), 0x55);
	ctr = (uint8_t)((ctr | I8042_CTR_KBDDIS) & ~I8042_CTR_KBDINT);
	cmd(p, 0x60);
	put(p, ctr);
	ck_assert(!obf(p));
	/* i8042_enable_kbd_port */
	ctr = (uint8_t)((ctr & ~I8042_CTR_KBDDIS) | I8042_CTR_KBDINT);
	cmd(p, 0x60);
	put(p, ctr);
	cmd(p, 0x20);
	ck_assert_uint_eq(get(p), ctr);
}

START_TEST(i8042_probe_registers_a_keyboard)
{
	struct irq_log irq = {0};
	struct sysctl_ports p = {.kbd_irq = {log_irq, &irq, I8042_KBD_IRQ}};

	linux_probe(&p);
	/* Controller answers are polled, never interrupts. */
	ck_assert_int_eq(irq.edges, 0);
	/* No AUX port, found out at once: the loopback byte does not come back
	 * as AUX data, the AUX test says its clock line is stuck. */
	cmd(&p, 0xd3);
	put(&p, 0x5a);
	{
		uint8_t st;

		i8042_status_read(&p, 0, &st, 1);
		ck_assert_uint_eq(st & 0x20, 0);
	}
	ck_assert_uint_eq(get(&p), 0x5a);
	cmd(&p, 0xa9);
	ck_assert_uint_eq(get(&p), 0x01);
	sysctl_ports_destroy(&p);
}
END_TEST

START_TEST(i8042_keyboard_answers)
{
	struct irq_log irq = {0};
	struct sysctl_ports p = {.kbd_irq = {log_irq, &irq, I8042_KBD_IRQ}};

	linux_probe(&p);
	/* atkbd_probe without dumbkbd: GET ID, acknowledged, then the ID;
	 * one interrupt per byte, as Linux reads them one by one. */
	put(&p, 0xf2);
	ck_assert_int_eq(irq.edges, 1);
	ck_assert_uint_eq(get(&p), 0xfa);
	ck_assert_int_eq(irq.edges, 2);
	ck_assert_uint_eq(get(&p), 0xab);
	ck_assert_int_eq(irq.edges, 3);
	ck_assert_uint_eq(get(&p), 0x83);
	ck_assert_int_eq(irq.edges, 3);
	ck_assert(!obf(&p));
	/* Any other byte (SETLEDS and its argument, ENABLE): an ACK each. */
	put(&p, 0xed);
	ck_assert_uint_eq(get(&p), 0xfa);
	put(&p, 0x00);
	ck_assert_uint_eq(get(&p), 0xfa);
	ck_assert_int_eq(irq.edges, 5);
	sysctl_ports_destroy(&p);
}
END_TEST

START_TEST(i8042_ctrl_alt_del_scancodes)
{
	static const uint8_t set2[] = {0x14, 0x11, 0xe0, 0x71, 0xe0, 0xf0,
				       0x71, 0xf0, 0x11, 0xf0, 0x14};
	static const uint8_t set1[] = {0x1d, 0x38, 0xe0, 0x53, 0xe0, 0xd3, 0xb8, 0x9d};
	struct irq_log irq = {0};
	struct sysctl_ports p = {.kbd_irq = {log_irq, &irq, I8042_KBD_IRQ}};

	/* Before the guest enables the keyboard interrupt: queued, no interrupt. */
	ck_assert_int_eq(i8042_ctrl_alt_del(&p), 0);
	ck_assert_int_eq(irq.edges, 0);
	for (unsigned int i = 0; i < sizeof(set2); i++)
		ck_assert_uint_eq(get(&p), set2[i]);
	ck_assert(!obf(&p));

	linux_probe(&p);
	ck_assert_int_eq(i8042_ctrl_alt_del(&p), 0);
	for (unsigned int i = 0; i < sizeof(set2); i++) {
		/* Each byte is announced by its own edge before it is read. */
		ck_assert_int_eq(irq.edges, (int)i + 1);
		ck_assert_uint_eq(get(&p), set2[i]);
	}
	ck_assert_int_eq(irq.edges, (int)sizeof(set2));
	ck_assert_int_eq(irq.level, 0);

	/* With translation on, set 1. */
	cmd(&p, 0x60);
	put(&p, I8042_CTR_KBDINT | I8042_CTR_XLATE);
	ck_assert_int_eq(i8042_ctrl_alt_del(&p), 0);
	for (unsigned int i = 0; i < sizeof(set1); i++)
		ck_assert_uint_eq(get(&p), set1[i]);

	/* A guest that never reads: two requests of 8 bytes fill the queue. */
	ck_assert_int_eq(i8042_ctrl_alt_del(&p), 0);
	ck_assert_int_eq(i8042_ctrl_alt_del(&p), 0);
	ck_assert_int_eq(i8042_ctrl_alt_del(&p), -EBUSY);
	sysctl_ports_destroy(&p);
}
END_TEST

START_TEST(exit_port_status)
{
	struct port_log log = {0};
	struct sysctl_ports ports = {.reset = log_reset, .exit_status = log_exit, .ctx = &log};
	uint8_t b;

	b = 3;
	exit_port_write(&ports, 0, &b, 1);
	ck_assert_int_eq(log.exits, 1);
	ck_assert_int_eq(log.status, 3);
	b = 0;
	exit_port_write(&ports, 0, &b, 1);
	ck_assert_int_eq(log.status, 0);
	/* A byte, not a signed char: 0xff is status 255. */
	b = 0xff;
	exit_port_write(&ports, 0, &b, 1);
	ck_assert_int_eq(log.status, 255);
	ck_assert_int_eq(log.exits, 3);
	ck_assert_int_eq(log.resets, 0);
}
END_TEST

START_TEST(ports_on_a_bus)
{
	struct port_log log = {0};
	struct sysctl_ports ports = {.reset = log_reset, .exit_status = log_exit, .ctx = &log};
	struct sysctl_ports none = {.reset = NULL};
	struct bus bus = {0};
	uint8_t b;

	ck_assert_int_eq(bus_add(&bus, I8042_COMMAND_PORT, 1, &ports, i8042_status_read,
				 i8042_command_write),
			 0);
	ck_assert_int_eq(bus_add(&bus, MINIVMM_EXIT_PORT, 1, &ports, NULL, exit_port_write), 0);
	b = 0xfe;
	ck_assert_int_eq(bus_access(&bus, I8042_COMMAND_PORT, &b, 1, 1), 1);
	ck_assert_int_eq(log.resets, 1);
	b = 7;
	ck_assert_int_eq(bus_access(&bus, MINIVMM_EXIT_PORT, &b, 1, 1), 1);
	ck_assert_int_eq(log.status, 7);
	/* 0xFE to the data port is not a reset. */
	b = 0xfe;
	ck_assert_int_eq(bus_access(&bus, I8042_DATA_PORT, &b, 1, 1), 0);
	ck_assert_int_eq(log.resets, 1);
	bus_free(&bus);
	/* Without callbacks the ports do nothing (and do not crash). */
	b = 0xfe;
	i8042_command_write(&none, 0, &b, 1);
	exit_port_write(&none, 0, &b, 1);
}
END_TEST

/* ------------------------------------------------------------------ */
/* --disk / --net option strings                                        */
/* ------------------------------------------------------------------ */

static char opt_err[MINIVMM_ERR_LEN];

START_TEST(opts_fields_and_escape)
{
	char s[] = "a,,b,c,,,d,,,,,e,";
	char *cur = s;

	ck_assert_str_eq(cli_next_field(&cur), "a,b");
	ck_assert_str_eq(cli_next_field(&cur), "c,");
	ck_assert_str_eq(cli_next_field(&cur), "d,,");
	ck_assert_str_eq(cli_next_field(&cur), "e");
	ck_assert_str_eq(cli_next_field(&cur), "");
	ck_assert_ptr_null(cli_next_field(&cur));
	ck_assert_ptr_null(cli_next_field(&cur));
}
END_TEST

START_TEST(opts_disk)
{
	struct minivmm_config *cfg = minivmm_config_new();
	char a[] = "/img/a,,b.img,ro,direct,serial=x,,y,poll=0";
	char b[] = "plain.img,";
	char b2[] = "t.img,engine=threads";
	char b3[] = "t.img,engine=aio";
	char c[] = ",ro";
	char d[] = "x.img,fast";
	char e[] = "x.img,poll=1001";
	char f[] = "x.img,serial=123456789012345678901";

	ck_assert_ptr_nonnull(cfg);
	ck_assert_int_eq(cli_parse_disk(a, cfg, opt_err, sizeof(opt_err)), 0);
	ck_assert_str_eq(cfg->disks[0].path, "/img/a,b.img");
	ck_assert_int_eq(cfg->disks[0].read_only, 1);
	ck_assert_int_eq(cfg->disks[0].direct, 1);
	ck_assert_str_eq(cfg->disks[0].serial, "x,y");
	ck_assert_int_eq(cfg->disks[0].poll_us, -1);
	ck_assert_int_eq(cli_parse_disk(b, cfg, opt_err, sizeof(opt_err)), 0);
	ck_assert_str_eq(cfg->disks[1].path, "plain.img");
	ck_assert_int_eq(cfg->disks[1].read_only, 0);
	ck_assert_int_eq(cfg->disks[1].engine, MINIVMM_DISK_ENGINE_URING);
	ck_assert_uint_eq(cfg->n_disks, 2);
	ck_assert_int_eq(cli_parse_disk(b2, cfg, opt_err, sizeof(opt_err)), 0);
	ck_assert_int_eq(cfg->disks[2].engine, MINIVMM_DISK_ENGINE_THREADS);
	config_drop_last_disk(cfg);
	ck_assert_int_eq(cli_parse_disk(b3, cfg, opt_err, sizeof(opt_err)), -1);
	ck_assert_ptr_nonnull(strstr(opt_err, "engine 'aio'"));
	ck_assert_uint_eq(cfg->n_disks, 2);
	ck_assert_int_eq(cli_parse_disk(c, cfg, opt_err, sizeof(opt_err)), -1);
	ck_assert_ptr_nonnull(strstr(opt_err, "give PATH"));
	ck_assert_int_eq(cli_parse_disk(d, cfg, opt_err, sizeof(opt_err)), -1);
	ck_assert_ptr_nonnull(strstr(opt_err, "'fast'"));
	ck_assert_int_eq(cli_parse_disk(e, cfg, opt_err, sizeof(opt_err)), -1);
	ck_assert_ptr_nonnull(strstr(opt_err, "poll '1001'"));
	ck_assert_int_eq(cli_parse_disk(f, cfg, opt_err, sizeof(opt_err)), -1);
	ck_assert_uint_eq(cfg->n_disks, 2);
	/* At most MINIVMM_MAX_DISKS. */
	for (int i = 2; i < MINIVMM_MAX_DISKS; i++) {
		char g[] = "g.img";

		ck_assert_int_eq(cli_parse_disk(g, cfg, opt_err, sizeof(opt_err)), 0);
	}
	ck_assert_int_eq(cli_parse_disk(b, cfg, opt_err, sizeof(opt_err)), -1);
	ck_assert_ptr_nonnull(strstr(opt_err, "too many"));
	minivmm_config_free(cfg);
}
END_TEST

START_TEST(opts_net)
{
	struct minivmm_config *cfg = minivmm_config_new();
	char a[] = "tap=t0,mac=52:54:00:00:00:01,mtu=9000,guest_tso=off,poll=7";
	char b[] = "mtu=1500";
	char c[] = "tap=t,mac=01:00:00:00:00:01";
	char d[] = "tap=t,mtu=67";
	char e[] = "tap=t,guest_tso=maybe";
	char f[] = "tap=t,mac=52:54:00:00:00:0";

	ck_assert_ptr_nonnull(cfg);
	ck_assert_int_eq(cli_parse_net(a, cfg, opt_err, sizeof(opt_err)), 0);
	ck_assert_str_eq(cfg->nets[0].tap, "t0");
	ck_assert_int_eq(cfg->nets[0].has_mac, 1);
	ck_assert_uint_eq(cfg->nets[0].mac[5], 1);
	ck_assert_uint_eq(cfg->nets[0].mtu, 9000);
	ck_assert_int_eq(cfg->nets[0].no_guest_tso, 1);
	ck_assert_int_eq(cfg->nets[0].poll_us, 7);
	ck_assert_int_eq(cli_parse_net(b, cfg, opt_err, sizeof(opt_err)), -1);
	ck_assert_ptr_nonnull(strstr(opt_err, "tap=NAME"));
	ck_assert_int_eq(cli_parse_net(c, cfg, opt_err, sizeof(opt_err)), -1);
	ck_assert_ptr_nonnull(strstr(opt_err, "unicast"));
	ck_assert_int_eq(cli_parse_net(d, cfg, opt_err, sizeof(opt_err)), -1);
	ck_assert_int_eq(cli_parse_net(e, cfg, opt_err, sizeof(opt_err)), -1);
	ck_assert_int_eq(cli_parse_net(f, cfg, opt_err, sizeof(opt_err)), -1);
	ck_assert_uint_eq(cfg->n_nets, 1);
	minivmm_config_free(cfg);
}
END_TEST

/* The config object's defaults: nothing of the host process's (no console, no seccomp). */
START_TEST(config_defaults_touch_nothing)
{
	struct minivmm_config *cfg = minivmm_config_new();

	ck_assert_ptr_nonnull(cfg);
	ck_assert_uint_eq(cfg->mem_size, MINIVMM_MEM_DEFAULT);
	ck_assert_uint_eq(cfg->cpus, 1);
	ck_assert_int_eq(cfg->console_in, -1);
	ck_assert_int_eq(cfg->console_out, -1);
	ck_assert_int_eq(cfg->seccomp, MINIVMM_SECCOMP_OFF);
	ck_assert_int_eq(cfg->kick_signal, 0);
	ck_assert_ptr_null(cfg->kernel);
	ck_assert_uint_eq(cfg->n_disks + cfg->n_nets, 0);
	minivmm_config_free(cfg);
	minivmm_config_free(NULL);
}
END_TEST

/* Each setter refuses a bad value with one line and -errno, and changes nothing then. */
START_TEST(config_setters_check_values)
{
	struct minivmm_config *cfg = minivmm_config_new();
	static const uint8_t multicast[6] = {0x01, 0, 0, 0, 0, 1}, mac[6] = {0x52, 0, 0, 0, 0, 9};
	char long_serial[] = "123456789012345678901";
	int fds[2];

	ck_assert_ptr_nonnull(cfg);
	ck_assert_int_eq(minivmm_config_set_kernel(cfg, NULL, opt_err, sizeof(opt_err)), -EINVAL);
	ck_assert_str_eq(opt_err, "no kernel given");
	ck_assert_int_eq(minivmm_config_set_kernel(cfg, "", NULL, 0), -EINVAL);
	ck_assert_int_eq(minivmm_config_set_kernel(cfg, "k", opt_err, sizeof(opt_err)), 0);
	ck_assert_str_eq(cfg->kernel, "k");

	ck_assert_int_eq(
		minivmm_config_set_mem(cfg, MINIVMM_MEM_MIN - 4096, opt_err, sizeof(opt_err)),
		-ERANGE);
	ck_assert_str_eq(opt_err, "memory size 16380 KiB is out of range (16 MiB to 1 TiB)");
	ck_assert_int_eq(minivmm_config_set_mem(cfg, MINIVMM_MEM_MAX + 4096, NULL, 0), -ERANGE);
	ck_assert_int_eq(minivmm_config_set_mem(cfg, (64 << 20) + 1, opt_err, sizeof(opt_err)),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(opt_err, "multiple of 4 KiB"));
	ck_assert_uint_eq(cfg->mem_size, MINIVMM_MEM_DEFAULT);
	ck_assert_int_eq(minivmm_config_set_mem(cfg, 64 << 20, NULL, 0), 0);
	ck_assert_uint_eq(cfg->mem_size, 64 << 20);

	ck_assert_int_eq(minivmm_config_set_vcpus(cfg, 0, opt_err, sizeof(opt_err)), -ERANGE);
	ck_assert_int_eq(minivmm_config_set_vcpus(cfg, 33, opt_err, sizeof(opt_err)), -ERANGE);
	ck_assert_str_eq(opt_err, "33 CPUs is out of range (1 to 32)");
	ck_assert_int_eq(minivmm_config_set_vcpus(cfg, 32, NULL, 0), 0);
	ck_assert_uint_eq(cfg->cpus, 32);

	ck_assert_int_eq(minivmm_config_set_seccomp(cfg, 7, opt_err, sizeof(opt_err)), -EINVAL);
	ck_assert_int_eq(cfg->seccomp, MINIVMM_SECCOMP_OFF);
	ck_assert_int_eq(minivmm_config_set_kick_signal(cfg, SIGKILL, opt_err, sizeof(opt_err)),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(opt_err, "kick signal 9"));
	ck_assert_int_eq(minivmm_config_set_kick_signal(cfg, SIGINT, NULL, 0), -EINVAL);
	ck_assert_int_eq(minivmm_config_set_kick_signal(cfg, SIGRTMAX + 1, NULL, 0), -EINVAL);
	ck_assert_int_eq(cfg->kick_signal, 0);
	ck_assert_int_eq(minivmm_config_set_kick_signal(cfg, SIGRTMIN + 3, NULL, 0), 0);
	ck_assert_int_eq(cfg->kick_signal, SIGRTMIN + 3);
	ck_assert_int_eq(minivmm_config_set_kick_signal(cfg, SIGUSR2, NULL, 0), 0);

	/* Console fds: open, and each for its direction. */
	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_eq(minivmm_config_set_console_fds(cfg, fds[1], -1, opt_err, sizeof(opt_err)),
			 -EBADF);
	ck_assert_ptr_nonnull(strstr(opt_err, "input fd"));
	ck_assert_int_eq(minivmm_config_set_console_fds(cfg, -1, fds[0], NULL, 0), -EBADF);
	ck_assert_int_eq(minivmm_config_set_console_fds(cfg, -2, -1, NULL, 0), -EBADF);
	ck_assert_int_eq(minivmm_config_set_console_fds(cfg, fds[0], fds[1], NULL, 0), 0);
	ck_assert_int_eq(cfg->console_in, fds[0]);
	ck_assert_int_eq(cfg->console_out, fds[1]);
	close(fds[0]);
	close(fds[1]);
	ck_assert_int_eq(minivmm_config_set_console_fds(cfg, fds[0], -1, opt_err, sizeof(opt_err)),
			 -EBADF);
	ck_assert_ptr_nonnull(strstr(opt_err, "is not open"));
	ck_assert_int_eq(cfg->console_in, fds[0]); /* unchanged by the refusal */

	/* Disks: flags, serial, poll, the index, the limit. */
	ck_assert_int_eq(minivmm_config_add_disk(cfg, "a.img", 4, opt_err, sizeof(opt_err)),
			 -EINVAL);
	ck_assert_int_eq(minivmm_config_add_disk(cfg, NULL, 0, NULL, 0), -EINVAL);
	ck_assert_uint_eq(cfg->n_disks, 0);
	ck_assert_int_eq(minivmm_config_set_disk_poll(cfg, 0, 10, opt_err, sizeof(opt_err)),
			 -ENOENT);
	ck_assert_int_eq(minivmm_config_add_disk(cfg, "a.img",
						 MINIVMM_DISK_READ_ONLY | MINIVMM_DISK_DIRECT, NULL,
						 0),
			 0);
	ck_assert_int_eq(cfg->disks[0].read_only, 1);
	ck_assert_int_eq(cfg->disks[0].direct, 1);
	ck_assert_int_eq(
		minivmm_config_set_disk_serial(cfg, 0, long_serial, opt_err, sizeof(opt_err)),
		-EINVAL);
	ck_assert_ptr_null(cfg->disks[0].serial);
	long_serial[20] = '\0';
	ck_assert_int_eq(minivmm_config_set_disk_serial(cfg, 0, long_serial, NULL, 0), 0);
	long_serial[0] = 'x'; /* copied, not kept by pointer */
	ck_assert_str_eq(cfg->disks[0].serial, "12345678901234567890");
	ck_assert_int_eq(minivmm_config_set_disk_poll(cfg, 0, MINIVMM_POLL_US_MAX + 1, opt_err,
						      sizeof(opt_err)),
			 -ERANGE);
	ck_assert_int_eq(cfg->disks[0].poll_us, 0);
	ck_assert_int_eq(minivmm_config_set_disk_poll(cfg, 0, -1, NULL, 0), 0);
	ck_assert_int_eq(minivmm_config_set_disk_engine(cfg, 0, 2, opt_err, sizeof(opt_err)),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(opt_err, "unknown disk engine 2"));
	ck_assert_int_eq(cfg->disks[0].engine, MINIVMM_DISK_ENGINE_URING);
	ck_assert_int_eq(
		minivmm_config_set_disk_engine(cfg, 0, MINIVMM_DISK_ENGINE_THREADS, NULL, 0), 0);
	ck_assert_int_eq(cfg->disks[0].engine, MINIVMM_DISK_ENGINE_THREADS);
	ck_assert_int_eq(minivmm_config_set_disk_engine(cfg, 5, 0, NULL, 0), -ENOENT);
	for (int i = 1; i < MINIVMM_MAX_DISKS; i++)
		ck_assert_int_eq(minivmm_config_add_disk(cfg, "b.img", 0, NULL, 0), i);
	ck_assert_int_eq(minivmm_config_add_disk(cfg, "c.img", 0, opt_err, sizeof(opt_err)),
			 -ENOSPC);
	ck_assert_str_eq(opt_err, "at most 8 disks");

	/* Network cards. */
	ck_assert_int_eq(minivmm_config_add_net(cfg, "0123456789abcdef", opt_err, sizeof(opt_err)),
			 -EINVAL);
	ck_assert_int_eq(minivmm_config_add_net(cfg, "tap0", NULL, 0), 0);
	ck_assert_int_eq(minivmm_config_set_net_mac(cfg, 0, multicast, opt_err, sizeof(opt_err)),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(opt_err, "not a unicast"));
	ck_assert_int_eq(cfg->nets[0].has_mac, 0);
	ck_assert_int_eq(minivmm_config_set_net_mac(cfg, 0, mac, NULL, 0), 0);
	ck_assert_uint_eq(cfg->nets[0].mac[5], 9);
	ck_assert_int_eq(minivmm_config_set_net_mtu(cfg, 0, 67, NULL, 0), -ERANGE);
	ck_assert_int_eq(minivmm_config_set_net_mtu(cfg, 0, 65536, NULL, 0), -ERANGE);
	ck_assert_int_eq(minivmm_config_set_net_mtu(cfg, 0, 9000, NULL, 0), 0);
	ck_assert_int_eq(minivmm_config_set_net_guest_tso(cfg, 0, 0, NULL, 0), 0);
	ck_assert_int_eq(cfg->nets[0].no_guest_tso, 1);
	ck_assert_int_eq(minivmm_config_set_net_poll(cfg, 1, 5, NULL, 0), -ENOENT);
	ck_assert_int_eq(minivmm_config_set_net_poll(cfg, 0, 5, NULL, 0), 0);
	ck_assert_int_eq(cfg->nets[0].poll_us, 5);

	/* User-mode cards: the network as A.B.C.D/N (host bits dropped), forwarded ports. */
	ck_assert_int_eq(minivmm_config_add_net_user(cfg, "10.0.2.0/29", opt_err, sizeof(opt_err)),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(opt_err, "bad user network '10.0.2.0/29'"));
	ck_assert_int_eq(minivmm_config_add_net_user(cfg, "10.0.2/24", NULL, 0), -EINVAL);
	ck_assert_int_eq(minivmm_config_add_net_user(cfg, "10.0.2.0/", NULL, 0), -EINVAL);
	ck_assert_int_eq(minivmm_config_add_net_user(cfg, "10.0.2.0/24x", NULL, 0), -EINVAL);
	ck_assert_int_eq(minivmm_config_add_net_user(cfg, NULL, NULL, 0), 1);
	ck_assert_int_eq(cfg->nets[1].user, 1);
	ck_assert_uint_eq(cfg->nets[1].user_net, 0x0a000200);
	ck_assert_uint_eq(cfg->nets[1].user_prefix, 24);
	ck_assert_int_eq(minivmm_config_add_net_user(cfg, "192.168.7.9/16", NULL, 0), 2);
	ck_assert_uint_eq(cfg->nets[2].user_net, 0xc0a80000);
	ck_assert_uint_eq(cfg->nets[2].user_prefix, 16);
	ck_assert_int_eq(
		minivmm_config_add_net_hostfwd(cfg, 0, NULL, 2222, 22, opt_err, sizeof(opt_err)),
		-EINVAL);
	ck_assert_ptr_nonnull(strstr(opt_err, "on a TAP"));
	ck_assert_int_eq(minivmm_config_add_net_hostfwd(cfg, 1, NULL, 0, 22, NULL, 0), -ERANGE);
	ck_assert_int_eq(minivmm_config_add_net_hostfwd(cfg, 1, NULL, 2222, 65536, NULL, 0),
			 -ERANGE);
	ck_assert_int_eq(minivmm_config_add_net_hostfwd(cfg, 1, "1.2.3", 2222, 22, NULL, 0),
			 -EINVAL);
	ck_assert_int_eq(minivmm_config_add_net_hostfwd(cfg, 1, NULL, 2222, 22, NULL, 0), 0);
	ck_assert_int_eq(minivmm_config_add_net_hostfwd(cfg, 2, "0.0.0.0", 2223, 80, NULL, 0), 0);
	ck_assert_int_eq(minivmm_config_add_net_hostfwd(cfg, 2, NULL, 2222, 23, NULL, 0),
			 -EADDRINUSE);
	ck_assert_uint_eq(cfg->nets[1].n_fwd, 1);
	ck_assert_uint_eq(cfg->nets[1].fwd[0].host_addr, 0x7f000001);
	ck_assert_uint_eq(cfg->nets[1].fwd[0].host_port, 2222);
	ck_assert_uint_eq(cfg->nets[1].fwd[0].guest_port, 22);
	ck_assert_uint_eq(cfg->nets[2].fwd[0].host_addr, 0);

	ck_assert_int_eq(minivmm_config_set_initrd(NULL, "x", opt_err, sizeof(opt_err)), -EINVAL);
	minivmm_config_free(cfg);
}
END_TEST

/* create's copy: every string its own, the source free to go. */
START_TEST(config_copy_is_deep)
{
	struct minivmm_config *cfg = minivmm_config_new(), copy;

	ck_assert_ptr_nonnull(cfg);
	ck_assert_int_eq(minivmm_config_set_kernel(cfg, "vmlinux", NULL, 0), 0);
	ck_assert_int_eq(minivmm_config_set_append(cfg, "quiet", NULL, 0), 0);
	ck_assert_int_eq(minivmm_config_add_disk(cfg, "a.img", 0, NULL, 0), 0);
	ck_assert_int_eq(minivmm_config_set_disk_serial(cfg, 0, "S1", NULL, 0), 0);
	ck_assert_int_eq(minivmm_config_add_net(cfg, "tap0", NULL, 0), 0);
	ck_assert_int_eq(config_copy(&copy, cfg), 0);
	ck_assert_ptr_ne(copy.kernel, cfg->kernel);
	ck_assert_ptr_ne(copy.disks[0].path, cfg->disks[0].path);
	ck_assert_ptr_ne(copy.nets[0].tap, cfg->nets[0].tap);
	minivmm_config_free(cfg);
	ck_assert_str_eq(copy.kernel, "vmlinux");
	ck_assert_str_eq(copy.append, "quiet");
	ck_assert_ptr_null(copy.initrd);
	ck_assert_str_eq(copy.disks[0].path, "a.img");
	ck_assert_str_eq(copy.disks[0].serial, "S1");
	ck_assert_str_eq(copy.nets[0].tap, "tap0");
	ck_assert_uint_eq(copy.n_disks + copy.n_nets, 2);
	config_release(&copy);
	ck_assert_uint_eq(copy.n_disks + copy.n_nets, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vmm_util");
	TCase *tc_size = tcase_create("parse_size");
	TCase *tc_bus = tcase_create("bus");
	TCase *tc_uart = tcase_create("serial");
	TCase *tc_ports = tcase_create("sysctl_ports");
	TCase *tc_opts = tcase_create("cli_opts");

	tcase_add_test(tc_size, size_valid);
	tcase_add_test(tc_size, panic_scan_finds_the_panic_line);
	tcase_add_test(tc_size, panic_scan_across_chunks_and_restarts);
	tcase_add_test(tc_size, panic_scan_ignores_near_misses);
	tcase_add_test(tc_size, size_invalid);
	tcase_add_test(tc_size, size_overflow);
	suite_add_tcase(s, tc_size);

	tcase_add_test(tc_bus, bus_add_sorted_and_overlap);
	tcase_add_test(tc_bus, bus_add_invalid);
	tcase_add_test(tc_bus, bus_find_edges);
	tcase_add_test(tc_bus, bus_many_ranges);
	tcase_add_test(tc_bus, bus_access_dispatch);
	suite_add_tcase(s, tc_bus);

	tcase_add_test(tc_uart, uart_scratch);
	tcase_add_test(tc_uart, uart_loopback_msr);
	tcase_add_test(tc_uart, uart_fifo_bits);
	tcase_add_test(tc_uart, uart_thre_interrupt);
	tcase_add_test(tc_uart, uart_receive);
	tcase_add_test(tc_uart, uart_fcr_clears_rx);
	tcase_add_test(tc_uart, uart_dlab);
	tcase_add_test(tc_uart, uart_output_to_fd);
	tcase_add_test(tc_uart, uart_output_ring_full);
	tcase_add_test(tc_uart, tx_ring_wakes_sleeper_only);
	tcase_add_test(tc_uart, console_out_in_order);
	tcase_add_test(tc_uart, console_out_stuck_reader);
	tcase_add_test(tc_uart, console_out_kicked_out_of_write);
	tcase_add_test(tc_uart, uart_wide_read_and_close);
	suite_add_tcase(s, tc_uart);

	tcase_add_test(tc_ports, i8042_reset_only_on_fe);
	tcase_add_test(tc_ports, i8042_reads_idle);
	tcase_add_test(tc_ports, i8042_probe_registers_a_keyboard);
	tcase_add_test(tc_ports, i8042_keyboard_answers);
	tcase_add_test(tc_ports, i8042_ctrl_alt_del_scancodes);
	tcase_add_test(tc_ports, exit_port_status);
	tcase_add_test(tc_ports, ports_on_a_bus);
	suite_add_tcase(s, tc_ports);

	tcase_add_test(tc_opts, opts_fields_and_escape);
	tcase_add_test(tc_opts, opts_disk);
	tcase_add_test(tc_opts, opts_net);
	tcase_add_test(tc_opts, config_defaults_touch_nothing);
	tcase_add_test(tc_opts, config_setters_check_values);
	tcase_add_test(tc_opts, config_copy_is_deep);
	suite_add_tcase(s, tc_opts);

	return check_run(s);
}
