// SPDX-License-Identifier: MIT
#include "arch/x86_64/mptable.h"

#include <errno.h>
#include <string.h>

#include "common/le.h"
#include "arch/x86_64/layout.h"

#define MPF_SIZE     16
#define MPC_HDR_SIZE 44
#define MPC_CPU_SIZE 20
#define MPC_ENTRY    8

enum { MP_PROCESSOR, MP_BUS, MP_IOAPIC, MP_INTSRC, MP_LINTSRC };
enum { MP_INT = 0, MP_NMI = 1, MP_EXTINT = 3 };

#define APIC_VERSION   0x14
#define IOAPIC_VERSION 0x11
#define CPU_ENABLED    0x01
#define CPU_BSP	       0x02

static uint8_t checksum(const uint8_t *p, size_t n)
{
	uint8_t sum = 0;

	while (n--)
		sum += *p++;
	return (uint8_t)-sum;
}

static uint8_t *entry8(uint8_t *p, uint8_t type, uint8_t a, uint16_t b, uint8_t c, uint8_t d,
		       uint8_t e, uint8_t f)
{
	p[0] = type;
	p[1] = a;
	put_le16(p + 2, b);
	p[4] = c;
	p[5] = d;
	p[6] = e;
	p[7] = f;
	return p + MPC_ENTRY;
}

int mptable_build(uint8_t *buf, size_t len, uint32_t base, unsigned int ncpus)
{
	size_t need = MPF_SIZE + MPC_HDR_SIZE + ncpus * MPC_CPU_SIZE +
		      (size_t)(2 + X86_IOAPIC_PINS + 2) * MPC_ENTRY;
	uint8_t *mpc = buf + MPF_SIZE, *p;
	uint8_t ioapic_id = (uint8_t)ncpus;

	if (ncpus == 0 || ncpus > MPTABLE_MAX_CPUS)
		return -EINVAL;
	if (need > len)
		return -ENOSPC;
	memset(buf, 0, need);

	memcpy(buf, "_MP_", 4);
	put_le32(buf + 4, base + MPF_SIZE);
	buf[8] = 1; /* length in 16-byte units */
	buf[9] = 4; /* MP spec 1.4 */

	memcpy(mpc, "PCMP", 4);
	mpc[6] = 4;
	memcpy(mpc + 8, "MINIVMM ", 8);
	memcpy(mpc + 16, "000000000000", 12);
	put_le32(mpc + 36, (uint32_t)X86_LAPIC_ADDR);
	p = mpc + MPC_HDR_SIZE;
	for (unsigned int i = 0; i < ncpus; i++) {
		p[0] = MP_PROCESSOR;
		p[1] = (uint8_t)i;
		p[2] = APIC_VERSION;
		p[3] = CPU_ENABLED | (i == 0 ? CPU_BSP : 0);
		put_le32(p + 4, 0x600); /* family 6 signature */
		put_le32(p + 8, 0x201); /* FPU and APIC present */
		p += MPC_CPU_SIZE;
	}
	p[0] = MP_BUS;
	p[1] = 0;
	memcpy(p + 2, "ISA   ", 6);
	p += MPC_ENTRY;
	p[0] = MP_IOAPIC;
	p[1] = ioapic_id;
	p[2] = IOAPIC_VERSION;
	p[3] = 1; /* enabled */
	put_le32(p + 4, (uint32_t)X86_IOAPIC_ADDR);
	p += MPC_ENTRY;
	/* ISA IRQ n is IOAPIC pin n, edge/active-high as the ISA bus conforms. */
	for (unsigned int irq = 0; irq < X86_IOAPIC_PINS; irq++)
		p = entry8(p, MP_INTSRC, MP_INT, 0, 0, (uint8_t)irq, ioapic_id, (uint8_t)irq);
	p = entry8(p, MP_LINTSRC, MP_EXTINT, 0, 0, 0, 0xff, 0);
	p = entry8(p, MP_LINTSRC, MP_NMI, 0, 0, 0, 0xff, 1);

	put_le16(mpc + 4, (uint16_t)(p - mpc));
	/* Entry count: CPUs, bus, IOAPIC, interrupt sources, local sources. */
	put_le16(mpc + 34, (uint16_t)(ncpus + 2 + X86_IOAPIC_PINS + 2));
	mpc[7] = checksum(mpc, (size_t)(p - mpc));
	buf[10] = checksum(buf, MPF_SIZE);
	return (int)(p - buf);
}
