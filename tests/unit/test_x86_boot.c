// SPDX-License-Identifier: MIT
/*
 * x86_64 boot code: bzImage header checks and loading, ELF bounds, e820,
 * command-line assembly, MP table, CPUID patching and the whole boot setup
 * on a malloc'ed guest RAM. Pure memory work: no KVM needed.
 */
#include <check.h>
#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/check_run.h"
#include "arch/x86_64/boot.h"
#include "common/le.h"
#include "arch/x86_64/bzimage.h"
#include "arch/x86_64/cmdline.h"
#include "arch/x86_64/cpuid.h"
#include "arch/x86_64/e820.h"
#include "arch/x86_64/elf_loader.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/mptable.h"
#include "arch/arch.h"

#define KiB (1ULL << 10)
#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

#define RAM_FILL 0xcc

static char err[512];

/* ------------------------------------------------------------------ */
/* Synthetic bzImage                                                    */
/* ------------------------------------------------------------------ */

#define BZ_SECTS      4
#define BZ_SETUP_SIZE ((BZ_SECTS + 1) * 512)
#define BZ_PM_SIZE    8192
#define BZ_LEN	      (BZ_SETUP_SIZE + BZ_PM_SIZE)
#define BZ_HDR_BYTE   0x6a /* header ends at 0x202 + 0x6a = 0x26c */
#define BZ_INIT_SIZE  (4 * MiB)
#define BZ_PREF	      (16 * MiB)
#define BZ_ALIGN      (2 * MiB)
#define BZ_CMDLINE_SZ 2047
#define BZ_INITRD_MAX 0x7fffffffu

static uint8_t pm_byte(size_t i)
{
	return (uint8_t)(i * 7 + 3);
}

/* A well-formed protocol 2.15 bzImage with a recognisable protected-mode part. */
static uint8_t *make_bzimage(void)
{
	uint8_t *img = calloc(1, BZ_LEN);

	ck_assert_ptr_nonnull(img);
	/* Some setup code bytes so a copy of the wrong range shows. */
	for (size_t i = 0; i < BZ_SETUP_SIZE; i++)
		img[i] = (uint8_t)(0x40 + i % 61);
	img[BP_SETUP_SECTS] = BZ_SECTS;
	put_le16(img + BP_BOOT_FLAG, 0xaa55);
	img[BP_JUMP] = 0xeb;
	img[BP_JUMP + 1] = BZ_HDR_BYTE;
	memcpy(img + BP_HEADER, "HdrS", 4);
	put_le16(img + BP_VERSION, 0x20f);
	img[BP_TYPE_OF_LOADER] = 0;
	img[BP_LOADFLAGS] = LOADFLAGS_LOADED_HIGH;
	put_le32(img + BP_CODE32_START, 0x100000);
	put_le32(img + BP_RAMDISK_IMAGE, 0);
	put_le32(img + BP_RAMDISK_SIZE, 0);
	put_le16(img + BP_HEAP_END_PTR, 0);
	put_le32(img + BP_CMD_LINE_PTR, 0);
	put_le32(img + BP_INITRD_ADDR_MAX, BZ_INITRD_MAX);
	put_le32(img + BP_KERNEL_ALIGN, BZ_ALIGN);
	img[BP_RELOCATABLE] = 1;
	put_le16(img + BP_XLOADFLAGS, XLF_KERNEL_64 | 0x02);
	put_le32(img + BP_CMDLINE_SIZE, BZ_CMDLINE_SZ);
	put_le64(img + BP_PREF_ADDRESS, BZ_PREF);
	put_le32(img + BP_INIT_SIZE, (uint32_t)BZ_INIT_SIZE);
	put_le32(img + BP_SYSSIZE, BZ_PM_SIZE / 16);
	for (size_t i = 0; i < BZ_PM_SIZE; i++)
		img[BZ_SETUP_SIZE + i] = pm_byte(i);
	return img;
}

static int parse(const uint8_t *img, size_t len, struct bzimage_info *bz)
{
	err[0] = '\0';
	return bzimage_parse(img, len, bz, err, sizeof(err));
}

START_TEST(bz_good_image)
{
	uint8_t *img = make_bzimage();
	struct bzimage_info bz;

	ck_assert(bzimage_probe(img, BZ_LEN));
	ck_assert_int_eq(parse(img, BZ_LEN, &bz), 0);
	ck_assert_uint_eq(bz.version, 0x20f);
	ck_assert_uint_eq(bz.setup_size, BZ_SETUP_SIZE);
	ck_assert_uint_eq(bz.hdr_end, 0x202 + BZ_HDR_BYTE);
	ck_assert_ptr_eq(bz.pm, img + BZ_SETUP_SIZE);
	ck_assert_uint_eq(bz.pm_size, BZ_PM_SIZE);
	ck_assert_uint_eq(bz.load_addr, 0x100000);
	ck_assert_uint_eq(bz.entry, 0x100200);
	ck_assert_uint_eq(bz.mem_needed, BZ_PREF + BZ_INIT_SIZE);
	ck_assert_uint_eq(bz.initrd_addr_max, BZ_INITRD_MAX);
	ck_assert_uint_eq(bz.cmdline_size, BZ_CMDLINE_SZ);
	free(img);
}
END_TEST

START_TEST(bz_mem_needed_from_pref)
{
	uint8_t *img = make_bzimage();
	struct bzimage_info bz;

	/* The decompressor extracts at pref_address; init_size from there. */
	put_le64(img + BP_PREF_ADDRESS, 2 * MiB);
	ck_assert_int_eq(parse(img, BZ_LEN, &bz), 0);
	ck_assert_uint_eq(bz.mem_needed, 2 * MiB + BZ_INIT_SIZE);
	/* A non-relocatable kernel extracts there too. */
	img[BP_RELOCATABLE] = 0;
	put_le64(img + BP_PREF_ADDRESS, 3 * MiB);
	ck_assert_int_eq(parse(img, BZ_LEN, &bz), 0);
	ck_assert_uint_eq(bz.mem_needed, 3 * MiB + BZ_INIT_SIZE);
	free(img);
}
END_TEST

START_TEST(bz_pref_address_bad)
{
	static const uint64_t bad[] = {0, 0x80000, 17 * MiB, 3 * GiB, 1ULL << 63};
	uint8_t *img = make_bzimage();
	struct bzimage_info bz;

	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put_le64(img + BP_PREF_ADDRESS, bad[i]);
		ck_assert_int_eq(parse(img, BZ_LEN, &bz), -EINVAL);
		ck_assert_ptr_nonnull(strstr(err, "pref_address"));
	}
	free(img);
}
END_TEST

START_TEST(bz_init_size_bad)
{
	uint8_t *img = make_bzimage();
	struct bzimage_info bz;

	put_le32(img + BP_INIT_SIZE, 0);
	ck_assert_int_eq(parse(img, BZ_LEN, &bz), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "init_size"));
	/* Smaller than the payload it has to hold. */
	put_le32(img + BP_INIT_SIZE, BZ_PM_SIZE - 16);
	ck_assert_int_eq(parse(img, BZ_LEN, &bz), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "init_size"));
	put_le32(img + BP_INIT_SIZE, BZ_PM_SIZE);
	ck_assert_int_eq(parse(img, BZ_LEN, &bz), 0);
	free(img);
}
END_TEST

START_TEST(bz_cmdline_size_bad)
{
	uint8_t *img = make_bzimage();
	struct bzimage_info bz;

	put_le32(img + BP_CMDLINE_SIZE, 0);
	ck_assert_int_eq(parse(img, BZ_LEN, &bz), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "cmdline_size"));
	put_le32(img + BP_CMDLINE_SIZE, 0xffffffffu);
	ck_assert_int_eq(parse(img, BZ_LEN, &bz), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "cmdline_size"));
	free(img);
}
END_TEST

START_TEST(bz_syssize)
{
	uint8_t *img = make_bzimage();
	struct bzimage_info bz;

	put_le32(img + BP_SYSSIZE, 0);
	ck_assert_int_eq(parse(img, BZ_LEN, &bz), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "syssize"));
	/* Too short to hold the 64-bit entry at 0x200. */
	put_le32(img + BP_SYSSIZE, 0x200 / 16);
	ck_assert_int_eq(parse(img, BZ_LEN, &bz), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "64-bit entry"));
	/* More paragraphs than the file holds. */
	put_le32(img + BP_SYSSIZE, BZ_PM_SIZE / 16 + 1);
	ck_assert_int_eq(parse(img, BZ_LEN, &bz), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "syssize"));
	ck_assert_ptr_nonnull(strstr(err, "truncated"));
	/* Fewer is fine: bytes after the payload (a signature) are harmless. */
	put_le32(img + BP_SYSSIZE, BZ_PM_SIZE / 16 - 1);
	ck_assert_int_eq(parse(img, BZ_LEN, &bz), 0);
	free(img);
}
END_TEST

START_TEST(bz_truncated_payload)
{
	uint8_t *img = make_bzimage();
	struct bzimage_info bz;

	/* One byte short, half the payload, a few bytes of it. */
	ck_assert_int_eq(parse(img, BZ_LEN - 1, &bz), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "truncated"));
	ck_assert_ptr_nonnull(strstr(err, "syssize"));
	ck_assert_int_eq(parse(img, BZ_SETUP_SIZE + BZ_PM_SIZE / 2, &bz), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "truncated"));
	ck_assert_int_eq(parse(img, BZ_SETUP_SIZE + 1, &bz), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "truncated"));
	free(img);
}
END_TEST

START_TEST(bz_truncated)
{
	uint8_t *img = make_bzimage();
	struct bzimage_info bz;

	/* Setup sectors present but no protected-mode part. */
	ck_assert_int_eq(parse(img, BZ_SETUP_SIZE, &bz), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "truncated"));
	/* Cut inside the setup sectors. */
	ck_assert_int_eq(parse(img, 0x300, &bz), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "truncated"));
	/* Shorter than the header itself. */
	ck_assert_int_eq(parse(img, 0x100, &bz), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "too short"));
	ck_assert(!bzimage_probe(img, 0x100));
	ck_assert_int_eq(parse(img, 0, &bz), -EINVAL);
	free(img);
}
END_TEST

START_TEST(bz_wrong_magic)
{
	uint8_t *img = make_bzimage();
	struct bzimage_info bz;

	put_le16(img + BP_BOOT_FLAG, 0xaa56);
	ck_assert(!bzimage_probe(img, BZ_LEN));
	ck_assert_int_eq(parse(img, BZ_LEN, &bz), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "signature"));
	put_le16(img + BP_BOOT_FLAG, 0xaa55);
	memcpy(img + BP_HEADER, "HdrT", 4);
	ck_assert(!bzimage_probe(img, BZ_LEN));
	ck_assert_int_eq(parse(img, BZ_LEN, &bz), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "signature"));
	free(img);
}
END_TEST

START_TEST(bz_old_protocol)
{
	uint8_t *img = make_bzimage();
	struct bzimage_info bz;

	put_le16(img + BP_VERSION, 0x205);
	ck_assert_int_eq(parse(img, BZ_LEN, &bz), -ENOEXEC);
	ck_assert_ptr_nonnull(strstr(err, "2.05"));
	ck_assert_ptr_nonnull(strstr(err, "too old"));
	/* 2.10 is bootable by 32-bit loaders but has no 64-bit entry. */
	put_le16(img + BP_VERSION, 0x20a);
	ck_assert_int_eq(parse(img, BZ_LEN, &bz), -ENOEXEC);
	ck_assert_ptr_nonnull(strstr(err, "2.10"));
	ck_assert_ptr_nonnull(strstr(err, "64-bit"));
	/* 2.12 is the first that is accepted. */
	put_le16(img + BP_VERSION, 0x20c);
	ck_assert_int_eq(parse(img, BZ_LEN, &bz), 0);
	free(img);
}
END_TEST

START_TEST(bz_no_xlf_kernel_64)
{
	uint8_t *img = make_bzimage();
	struct bzimage_info bz;

	put_le16(img + BP_XLOADFLAGS, 0x02);
	ck_assert_int_eq(parse(img, BZ_LEN, &bz), -ENOEXEC);
	ck_assert_ptr_nonnull(strstr(err, "64-bit"));
	free(img);
}
END_TEST

START_TEST(bz_not_loaded_high)
{
	uint8_t *img = make_bzimage();
	struct bzimage_info bz;

	img[BP_LOADFLAGS] = 0;
	ck_assert_int_eq(parse(img, BZ_LEN, &bz), -ENOEXEC);
	ck_assert_ptr_nonnull(strstr(err, "1 MiB"));
	free(img);
}
END_TEST

START_TEST(bz_alignment_not_power_of_two)
{
	uint8_t *img = make_bzimage();
	struct bzimage_info bz;

	put_le32(img + BP_KERNEL_ALIGN, 0x300000);
	ck_assert_int_eq(parse(img, BZ_LEN, &bz), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "0x300000"));
	ck_assert_ptr_nonnull(strstr(err, "power of two"));
	put_le32(img + BP_KERNEL_ALIGN, 0);
	ck_assert_int_eq(parse(img, BZ_LEN, &bz), -EINVAL);
	/* A non-relocatable kernel's alignment is never used. */
	img[BP_RELOCATABLE] = 0;
	ck_assert_int_eq(parse(img, BZ_LEN, &bz), 0);
	free(img);
}
END_TEST

START_TEST(bz_setup_sects_zero_means_four)
{
	uint8_t *img = make_bzimage();
	struct bzimage_info bz;

	img[BP_SETUP_SECTS] = 0;
	ck_assert_int_eq(parse(img, BZ_LEN, &bz), 0);
	ck_assert_uint_eq(bz.setup_size, 5 * 512);
	ck_assert_ptr_eq(bz.pm, img + 5 * 512);
	ck_assert_uint_eq(bz.pm_size, BZ_LEN - 5 * 512);
	/* Sanity: a different count moves the protected-mode part. */
	img[BP_SETUP_SECTS] = 2;
	ck_assert_int_eq(parse(img, BZ_LEN, &bz), 0);
	ck_assert_uint_eq(bz.setup_size, 3 * 512);
	free(img);
}
END_TEST

START_TEST(bz_header_length_out_of_range)
{
	uint8_t *img = make_bzimage();
	struct bzimage_info bz;

	/* Header ending before init_size. */
	img[BP_JUMP + 1] = 0x10;
	ck_assert_int_eq(parse(img, BZ_LEN, &bz), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "header length"));
	free(img);
}
END_TEST

START_TEST(bz_load_too_small_ram)
{
	uint8_t *img = make_bzimage();
	struct bzimage_info bz;
	struct x86_ram ram = {.host = calloc(1, 16 * MiB), .size = 16 * MiB};
	uint8_t zp[BP_SIZE];

	ck_assert_ptr_nonnull(ram.host);
	ck_assert_int_eq(parse(img, BZ_LEN, &bz), 0);
	err[0] = '\0';
	ck_assert_int_eq(bzimage_load(&bz, img, &ram, zp, err, sizeof(err)), -ENOMEM);
	/* 20 MiB needed (16 MiB pref + 4 MiB init_size), 16 MiB there. */
	ck_assert_ptr_nonnull(strstr(err, "20 MiB"));
	ck_assert_ptr_nonnull(strstr(err, "16 MiB"));
	/* Nothing was copied. */
	ck_assert_uint_eq(ram.host[0x100000], 0);
	free(ram.host);
	free(img);
}
END_TEST

START_TEST(bz_load_copies)
{
	uint8_t *img = make_bzimage();
	struct bzimage_info bz;
	struct x86_ram ram = {.host = malloc(32 * MiB), .size = 32 * MiB};
	uint8_t zp[BP_SIZE];
	size_t hdr_end = 0x202 + BZ_HDR_BYTE;

	ck_assert_ptr_nonnull(ram.host);
	memset(ram.host, RAM_FILL, ram.size);
	memset(zp, RAM_FILL, sizeof(zp));
	ck_assert_int_eq(parse(img, BZ_LEN, &bz), 0);
	ck_assert_int_eq(bzimage_load(&bz, img, &ram, zp, err, sizeof(err)), 0);
	/* Protected-mode part at 1 MiB, nothing before or after it. */
	ck_assert_int_eq(memcmp(ram.host + 0x100000, img + BZ_SETUP_SIZE, BZ_PM_SIZE), 0);
	ck_assert_uint_eq(ram.host[0x100000 - 1], RAM_FILL);
	ck_assert_uint_eq(ram.host[0x100000 + BZ_PM_SIZE], RAM_FILL);
	/* Zero page: cleared, then the setup header copied in. */
	for (size_t i = 0; i < BP_SETUP_HDR; i++)
		ck_assert_uint_eq(zp[i], 0);
	for (size_t i = hdr_end; i < BP_SIZE; i++)
		ck_assert_uint_eq(zp[i], 0);
	ck_assert_uint_eq(zp[BP_SETUP_SECTS], BZ_SECTS);
	ck_assert_uint_eq(get_le16(zp + BP_BOOT_FLAG), 0xaa55);
	ck_assert_int_eq(memcmp(zp + BP_HEADER, "HdrS", 4), 0);
	ck_assert_uint_eq(get_le16(zp + BP_VERSION), 0x20f);
	ck_assert_uint_eq(get_le32(zp + BP_INIT_SIZE), BZ_INIT_SIZE);
	ck_assert_uint_eq(get_le64(zp + BP_PREF_ADDRESS), BZ_PREF);
	ck_assert_uint_eq(get_le32(zp + BP_CMDLINE_SIZE), BZ_CMDLINE_SZ);
	ck_assert_uint_eq(get_le32(zp + BP_KERNEL_ALIGN), BZ_ALIGN);
	/* What the loader fills in. */
	ck_assert_uint_eq(zp[BP_TYPE_OF_LOADER], 0xff);
	ck_assert_uint_eq(zp[BP_LOADFLAGS], LOADFLAGS_LOADED_HIGH | LOADFLAGS_CAN_USE_HEAP);
	ck_assert_uint_eq(get_le16(zp + BP_HEAP_END_PTR), 0xfe00);
	ck_assert_uint_eq(get_le32(zp + BP_CODE32_START), 0x100000);
	/* Every other header byte is the image's. */
	for (size_t i = BP_SETUP_HDR; i < hdr_end; i++) {
		if (i == BP_TYPE_OF_LOADER || i == BP_LOADFLAGS ||
		    (i >= BP_HEAP_END_PTR && i < BP_HEAP_END_PTR + 2) ||
		    (i >= BP_CODE32_START && i < BP_CODE32_START + 4))
			continue;
		ck_assert_msg(zp[i] == img[i], "zero page byte 0x%zx differs", i);
	}
	free(ram.host);
	free(img);
}
END_TEST

/* ------------------------------------------------------------------ */
/* ELF loading                                                          */
/* ------------------------------------------------------------------ */

#define ELF_RAM	     (4 * MiB)
#define ELF_SEG1_OFF 0x100
#define ELF_SEG1_LEN 0x100
#define ELF_SEG1_PA  0x200000
#define ELF_SEG2_OFF 0x200
#define ELF_SEG2_LEN 0x80
#define ELF_SEG2_MEM 0x1000
#define ELF_SEG2_PA  0x300000
#define ELF_ENTRY    (ELF_SEG1_PA + 0x10)
#define ELF_LEN	     (ELF_SEG2_OFF + ELF_SEG2_LEN)

struct elf_img {
	_Alignas(8) uint8_t b[ELF_LEN];
};

static Elf64_Ehdr *ehdr(struct elf_img *e)
{
	return (Elf64_Ehdr *)(void *)e->b;
}

static Elf64_Phdr *phdr(struct elf_img *e, unsigned int i)
{
	return (Elf64_Phdr *)(void *)(e->b + sizeof(Elf64_Ehdr) + i * sizeof(Elf64_Phdr));
}

/* An x86_64 executable with a text segment and a data segment with bss. */
static void make_elf(struct elf_img *e)
{
	Elf64_Ehdr *eh = ehdr(e);
	Elf64_Phdr *ph;

	memset(e, 0, sizeof(*e));
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_entry = ELF_ENTRY;
	eh->e_phoff = sizeof(Elf64_Ehdr);
	eh->e_ehsize = sizeof(Elf64_Ehdr);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = 2;
	ph = phdr(e, 0);
	ph->p_type = PT_LOAD;
	ph->p_offset = ELF_SEG1_OFF;
	ph->p_paddr = ELF_SEG1_PA;
	ph->p_vaddr = 0xffffffff81000000ULL;
	ph->p_filesz = ELF_SEG1_LEN;
	ph->p_memsz = ELF_SEG1_LEN;
	ph = phdr(e, 1);
	ph->p_type = PT_LOAD;
	ph->p_offset = ELF_SEG2_OFF;
	ph->p_paddr = ELF_SEG2_PA;
	ph->p_vaddr = 0xffffffff81100000ULL;
	ph->p_filesz = ELF_SEG2_LEN;
	ph->p_memsz = ELF_SEG2_MEM;
	for (size_t i = ELF_SEG1_OFF; i < ELF_LEN; i++)
		e->b[i] = (uint8_t)(i * 13 + 1) | 1; /* never 0, never RAM_FILL */
}

static struct x86_ram elf_ram(void)
{
	struct x86_ram ram = {.host = malloc(ELF_RAM), .size = ELF_RAM};

	ck_assert_ptr_nonnull(ram.host);
	memset(ram.host, RAM_FILL, ram.size);
	return ram;
}

static int ram_untouched(const struct x86_ram *ram)
{
	for (uint64_t i = 0; i < ram->size; i++)
		if (ram->host[i] != RAM_FILL)
			return 0;
	return 1;
}

/* Loads e and checks that it fails with want and leaves RAM alone. */
static void expect_elf_reject(struct elf_img *e, size_t len, int want)
{
	struct x86_ram ram = elf_ram();
	struct elf_info info;

	err[0] = '\0';
	ck_assert_int_eq(elf_load(e->b, len, &ram, &info, err, sizeof(err)), want);
	ck_assert(err[0] != '\0');
	ck_assert_msg(ram_untouched(&ram), "rejected ELF wrote to guest RAM");
	free(ram.host);
}

START_TEST(elf_two_segments)
{
	struct elf_img e;
	struct x86_ram ram = elf_ram();
	struct elf_info info;

	make_elf(&e);
	ck_assert(elf_probe(e.b, sizeof(e.b)));
	ck_assert_int_eq(elf_load(e.b, sizeof(e.b), &ram, &info, err, sizeof(err)), 0);
	ck_assert_uint_eq(info.entry, ELF_ENTRY);
	ck_assert_uint_eq(info.kernel_end, ELF_SEG2_PA + ELF_SEG2_MEM);
	ck_assert_int_eq(memcmp(ram.host + ELF_SEG1_PA, e.b + ELF_SEG1_OFF, ELF_SEG1_LEN), 0);
	ck_assert_int_eq(memcmp(ram.host + ELF_SEG2_PA, e.b + ELF_SEG2_OFF, ELF_SEG2_LEN), 0);
	/* bss zeroed up to memsz, and not one byte further. */
	for (size_t i = ELF_SEG2_LEN; i < ELF_SEG2_MEM; i++)
		ck_assert_uint_eq(ram.host[ELF_SEG2_PA + i], 0);
	ck_assert_uint_eq(ram.host[ELF_SEG2_PA + ELF_SEG2_MEM], RAM_FILL);
	ck_assert_uint_eq(ram.host[ELF_SEG1_PA - 1], RAM_FILL);
	ck_assert_uint_eq(ram.host[ELF_SEG1_PA + ELF_SEG1_LEN], RAM_FILL);
	ck_assert_uint_eq(ram.host[ELF_SEG2_PA - 1], RAM_FILL);
	free(ram.host);
}
END_TEST

/*
 * RAM known to be zero gets no stores for the bss: the fill stays where a
 * memset would have written 0, while the file's bytes are still copied.
 */
START_TEST(elf_bss_left_to_zeroed_ram)
{
	struct elf_img e;
	struct x86_ram ram = elf_ram();
	struct elf_info info;

	ram.zeroed = true;
	make_elf(&e);
	ck_assert_int_eq(elf_load(e.b, sizeof(e.b), &ram, &info, err, sizeof(err)), 0);
	ck_assert_int_eq(memcmp(ram.host + ELF_SEG2_PA, e.b + ELF_SEG2_OFF, ELF_SEG2_LEN), 0);
	for (size_t i = ELF_SEG2_LEN; i < ELF_SEG2_MEM; i++)
		ck_assert_uint_eq(ram.host[ELF_SEG2_PA + i], RAM_FILL);
	free(ram.host);
}
END_TEST

START_TEST(elf_segment_beyond_file)
{
	struct elf_img e;

	make_elf(&e);
	phdr(&e, 1)->p_filesz = ELF_SEG2_LEN + 1;
	expect_elf_reject(&e, sizeof(e.b), -EINVAL);
	make_elf(&e);
	phdr(&e, 1)->p_offset = ELF_LEN + 1;
	phdr(&e, 1)->p_filesz = 0;
	expect_elf_reject(&e, sizeof(e.b), -EINVAL);
	/* offset + filesz wraps around to a small number. */
	make_elf(&e);
	phdr(&e, 1)->p_offset = UINT64_MAX - 0x10;
	phdr(&e, 1)->p_filesz = 0x20;
	expect_elf_reject(&e, sizeof(e.b), -EINVAL);
	/* The same image cut short. */
	make_elf(&e);
	expect_elf_reject(&e, ELF_LEN - 1, -EINVAL);
}
END_TEST

START_TEST(elf_filesz_over_memsz)
{
	struct elf_img e;

	make_elf(&e);
	phdr(&e, 1)->p_memsz = ELF_SEG2_LEN - 1;
	expect_elf_reject(&e, sizeof(e.b), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "filesz"));
}
END_TEST

START_TEST(elf_segment_beyond_ram)
{
	struct elf_img e;

	/* The valid first segment must not be written either. */
	make_elf(&e);
	phdr(&e, 1)->p_paddr = ELF_RAM - ELF_SEG2_MEM + 1;
	expect_elf_reject(&e, sizeof(e.b), -ENOMEM);
	make_elf(&e);
	phdr(&e, 1)->p_paddr = 8 * GiB;
	expect_elf_reject(&e, sizeof(e.b), -ENOMEM);
	/* paddr + memsz wraps. */
	make_elf(&e);
	phdr(&e, 1)->p_paddr = UINT64_MAX - 0x100;
	expect_elf_reject(&e, sizeof(e.b), -ENOMEM);
	/* Exactly at the top of RAM still fits. */
	{
		struct x86_ram ram = elf_ram();
		struct elf_info info;

		make_elf(&e);
		phdr(&e, 1)->p_paddr = ELF_RAM - ELF_SEG2_MEM;
		ck_assert_int_eq(elf_load(e.b, sizeof(e.b), &ram, &info, err, sizeof(err)), 0);
		ck_assert_uint_eq(info.kernel_end, ELF_RAM);
		ck_assert_uint_eq(ram.host[ELF_RAM - 1], 0);
		free(ram.host);
	}
}
END_TEST

START_TEST(elf_overlapping_segments)
{
	struct elf_img e;

	/* The second segment's bss runs into the first one's start... */
	make_elf(&e);
	phdr(&e, 1)->p_paddr = ELF_SEG1_PA - ELF_SEG2_MEM + 1;
	expect_elf_reject(&e, sizeof(e.b), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "overlap"));
	/* ...or lies inside it. */
	make_elf(&e);
	phdr(&e, 1)->p_paddr = ELF_SEG1_PA + ELF_SEG1_LEN - 1;
	expect_elf_reject(&e, sizeof(e.b), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "overlap"));
	/* Touching is fine. */
	{
		struct x86_ram ram = elf_ram();
		struct elf_info info;

		make_elf(&e);
		phdr(&e, 1)->p_paddr = ELF_SEG1_PA + ELF_SEG1_LEN;
		ck_assert_int_eq(elf_load(e.b, sizeof(e.b), &ram, &info, err, sizeof(err)), 0);
		free(ram.host);
	}
}
END_TEST

START_TEST(elf_segment_below_1mib)
{
	struct elf_img e;

	/* Where the zero page and page tables go. */
	make_elf(&e);
	phdr(&e, 1)->p_paddr = 0x7000;
	expect_elf_reject(&e, sizeof(e.b), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "below 1 MiB"));
	make_elf(&e);
	phdr(&e, 1)->p_paddr = 0x100000 - 1;
	expect_elf_reject(&e, sizeof(e.b), -EINVAL);
}
END_TEST

START_TEST(elf_phdrs_outside_file)
{
	struct elf_img e;

	make_elf(&e);
	ehdr(&e)->e_phoff = ELF_LEN - 10;
	expect_elf_reject(&e, sizeof(e.b), -EINVAL);
	make_elf(&e);
	ehdr(&e)->e_phoff = UINT64_MAX - 8;
	expect_elf_reject(&e, sizeof(e.b), -EINVAL);
	make_elf(&e);
	ehdr(&e)->e_phnum = 0xffff;
	expect_elf_reject(&e, sizeof(e.b), -EINVAL);
	make_elf(&e);
	ehdr(&e)->e_phentsize = 32;
	expect_elf_reject(&e, sizeof(e.b), -EINVAL);
	make_elf(&e);
	ehdr(&e)->e_phnum = 0;
	expect_elf_reject(&e, sizeof(e.b), -EINVAL);
}
END_TEST

START_TEST(elf_wrong_class_machine_type)
{
	struct elf_img e;

	make_elf(&e);
	ehdr(&e)->e_ident[EI_CLASS] = ELFCLASS32;
	expect_elf_reject(&e, sizeof(e.b), -ENOEXEC);
	make_elf(&e);
	ehdr(&e)->e_ident[EI_DATA] = ELFDATA2MSB;
	expect_elf_reject(&e, sizeof(e.b), -ENOEXEC);
	make_elf(&e);
	ehdr(&e)->e_machine = EM_386;
	expect_elf_reject(&e, sizeof(e.b), -ENOEXEC);
	make_elf(&e);
	ehdr(&e)->e_machine = EM_AARCH64;
	expect_elf_reject(&e, sizeof(e.b), -ENOEXEC);
	make_elf(&e);
	ehdr(&e)->e_type = ET_DYN;
	expect_elf_reject(&e, sizeof(e.b), -ENOEXEC);
	/* Not ELF at all, and shorter than a header. */
	make_elf(&e);
	e.b[1] = 'X';
	ck_assert(!elf_probe(e.b, sizeof(e.b)));
	expect_elf_reject(&e, sizeof(e.b), -ENOEXEC);
	make_elf(&e);
	expect_elf_reject(&e, sizeof(Elf64_Ehdr) - 1, -ENOEXEC);
}
END_TEST

START_TEST(elf_entry_outside_segments)
{
	struct elf_img e;

	make_elf(&e);
	ehdr(&e)->e_entry = 0x100000;
	expect_elf_reject(&e, sizeof(e.b), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "entry"));
	/* One past the end of a segment. */
	make_elf(&e);
	ehdr(&e)->e_entry = ELF_SEG1_PA + ELF_SEG1_LEN;
	expect_elf_reject(&e, sizeof(e.b), -EINVAL);
	/* In the bss of the second segment counts as inside. */
	{
		struct x86_ram ram = elf_ram();
		struct elf_info info;

		make_elf(&e);
		ehdr(&e)->e_entry = ELF_SEG2_PA + ELF_SEG2_MEM - 1;
		ck_assert_int_eq(elf_load(e.b, sizeof(e.b), &ram, &info, err, sizeof(err)), 0);
		ck_assert_uint_eq(info.entry, ELF_SEG2_PA + ELF_SEG2_MEM - 1);
		free(ram.host);
	}
}
END_TEST

START_TEST(elf_no_pt_load)
{
	struct elf_img e;

	make_elf(&e);
	phdr(&e, 0)->p_type = PT_NOTE;
	phdr(&e, 1)->p_type = PT_GNU_STACK;
	expect_elf_reject(&e, sizeof(e.b), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "PT_LOAD"));
}
END_TEST

START_TEST(elf_non_load_segments_ignored)
{
	struct elf_img e;
	struct x86_ram ram = elf_ram();
	struct elf_info info;

	/* A PT_NOTE whose fields would fail every check is skipped. */
	make_elf(&e);
	phdr(&e, 0)->p_type = PT_NOTE;
	phdr(&e, 0)->p_offset = UINT64_MAX;
	phdr(&e, 0)->p_paddr = UINT64_MAX;
	ehdr(&e)->e_entry = ELF_SEG2_PA;
	ck_assert_int_eq(elf_load(e.b, sizeof(e.b), &ram, &info, err, sizeof(err)), 0);
	ck_assert_uint_eq(info.kernel_end, ELF_SEG2_PA + ELF_SEG2_MEM);
	ck_assert_uint_eq(ram.host[ELF_SEG1_PA], RAM_FILL);
	free(ram.host);
}
END_TEST

/* ------------------------------------------------------------------ */
/* e820                                                                 */
/* ------------------------------------------------------------------ */

static void check_low_entries(const struct e820_entry *t, uint64_t low_top)
{
	ck_assert_uint_eq(t[0].addr, 0);
	ck_assert_uint_eq(t[0].size, 0x9fc00);
	ck_assert_uint_eq(t[0].type, E820_RAM);
	ck_assert_uint_eq(t[1].addr, 0x9fc00);
	ck_assert_uint_eq(t[1].size, 0xa0000 - 0x9fc00);
	ck_assert_uint_eq(t[1].type, E820_RESERVED);
	ck_assert_uint_eq(t[2].addr, 0x100000);
	ck_assert_uint_eq(t[2].size, low_top - 0x100000);
	ck_assert_uint_eq(t[2].type, E820_RAM);
}

START_TEST(e820_64m)
{
	struct e820_entry t[E820_MAX_ENTRIES];

	ck_assert_uint_eq(sizeof(struct e820_entry), 20);
	ck_assert_int_eq(e820_build(64 * MiB, t, E820_MAX_ENTRIES), 3);
	check_low_entries(t, 64 * MiB);
}
END_TEST

START_TEST(e820_3g)
{
	struct e820_entry t[E820_MAX_ENTRIES];

	ck_assert_int_eq(e820_build(3 * GiB, t, E820_MAX_ENTRIES), 3);
	check_low_entries(t, 3 * GiB);
}
END_TEST

START_TEST(e820_3g_plus_4k)
{
	struct e820_entry t[E820_MAX_ENTRIES];

	ck_assert_int_eq(e820_build(3 * GiB + 4 * KiB, t, E820_MAX_ENTRIES), 4);
	check_low_entries(t, 3 * GiB);
	ck_assert_uint_eq(t[3].addr, 4 * GiB);
	ck_assert_uint_eq(t[3].size, 4 * KiB);
	ck_assert_uint_eq(t[3].type, E820_RAM);
}
END_TEST

START_TEST(e820_8g)
{
	struct e820_entry t[E820_MAX_ENTRIES];
	uint64_t total = 0;

	ck_assert_int_eq(e820_build(8 * GiB, t, E820_MAX_ENTRIES), 4);
	check_low_entries(t, 3 * GiB);
	ck_assert_uint_eq(t[3].addr, 4 * GiB);
	ck_assert_uint_eq(t[3].size, 5 * GiB);
	ck_assert_uint_eq(t[3].type, E820_RAM);
	/* No RAM entry in the MMIO hole. */
	for (int i = 0; i < 4; i++) {
		ck_assert(t[i].addr + t[i].size <= 3 * GiB || t[i].addr >= 4 * GiB);
		if (t[i].type == E820_RAM)
			total += t[i].size;
	}
	/* All RAM but the EBDA and the legacy hole [0xa0000, 1 MiB) is usable. */
	ck_assert_uint_eq(total, 8 * GiB - (0x100000 - 0x9fc00));
}
END_TEST

START_TEST(e820_too_small)
{
	struct e820_entry t[E820_MAX_ENTRIES];

	ck_assert_int_eq(e820_build(0, t, E820_MAX_ENTRIES), -EINVAL);
	ck_assert_int_eq(e820_build(1 * MiB, t, E820_MAX_ENTRIES), -EINVAL);
	ck_assert_int_eq(e820_build(2 * MiB - 1, t, E820_MAX_ENTRIES), -EINVAL);
	ck_assert_int_eq(e820_build(2 * MiB, t, E820_MAX_ENTRIES), 3);
	/* A table with no room. */
	ck_assert_int_eq(e820_build(8 * GiB, t, 3), -ENOSPC);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Command line                                                         */
/* ------------------------------------------------------------------ */

static char line[8192];

static int build(const struct cmdline_params *p, size_t max_len)
{
	err[0] = '\0';
	return cmdline_build(p, line, sizeof(line), max_len, err, sizeof(err));
}

START_TEST(cmdline_default)
{
	struct cmdline_params p = {0};

	ck_assert_int_eq(build(&p, 2047), 0);
	ck_assert_str_eq(line, CMDLINE_DEFAULT);
	ck_assert_ptr_nonnull(strstr(line, "console=ttyS0"));
	ck_assert_ptr_nonnull(strstr(line, "reboot=k"));
	ck_assert_ptr_nonnull(strstr(line, "panic=1"));
	ck_assert_ptr_nonnull(strstr(line, "pci=off"));
	ck_assert_ptr_null(strstr(line, "root="));
}
END_TEST

START_TEST(cmdline_user_base)
{
	struct cmdline_params p = {.base = "console=ttyS0 quiet", .root_on_disk = 1};

	ck_assert_int_eq(build(&p, 2047), 0);
	ck_assert_str_eq(line, "console=ttyS0 quiet");
	/* An empty --cmdline means an empty line, not the default. */
	p.base = "";
	ck_assert_int_eq(build(&p, 2047), 0);
	ck_assert_str_eq(line, "");
	p.append = "init=/bin/sh";
	ck_assert_int_eq(build(&p, 2047), 0);
	ck_assert_str_eq(line, "init=/bin/sh");
}
END_TEST

START_TEST(cmdline_append)
{
	struct cmdline_params p = {.append = "loglevel=8 init=/init"};

	ck_assert_int_eq(build(&p, 2047), 0);
	ck_assert_str_eq(line, CMDLINE_DEFAULT " loglevel=8 init=/init");
	p.base = "a=b";
	ck_assert_int_eq(build(&p, 2047), 0);
	ck_assert_str_eq(line, "a=b loglevel=8 init=/init");
	/* An empty append adds nothing, not even a space. */
	p.append = "";
	ck_assert_int_eq(build(&p, 2047), 0);
	ck_assert_str_eq(line, "a=b");
}
END_TEST

START_TEST(cmdline_virtio_mmio)
{
	const struct cmdline_mmio_dev devs[] = {
		{0xd0000000, 0x1000, 5},
		{0xd0001000, 0x1000, 6},
	};
	struct cmdline_params p = {.base = "x", .mmio = devs, .n_mmio = 2, .append = "y"};

	ck_assert_int_eq(build(&p, 2047), 0);
	ck_assert_str_eq(line, "x virtio_mmio.device=4K@0xd0000000:5 "
			       "virtio_mmio.device=4K@0xd0001000:6 y");
	p.n_mmio = 1;
	p.base = "";
	p.append = NULL;
	ck_assert_int_eq(build(&p, 2047), 0);
	ck_assert_str_eq(line, "virtio_mmio.device=4K@0xd0000000:5");
}
END_TEST

START_TEST(cmdline_root_on_disk)
{
	const struct cmdline_mmio_dev dev = {0xd0000000, 0x1000, 5};
	struct cmdline_params p = {.mmio = &dev, .n_mmio = 1, .root_on_disk = 1, .append = "z"};

	ck_assert_int_eq(build(&p, 2047), 0);
	ck_assert_str_eq(line, CMDLINE_DEFAULT " virtio_mmio.device=4K@0xd0000000:5 "
					       "root=/dev/vda rw z");
	p.root_on_disk = 0;
	ck_assert_int_eq(build(&p, 2047), 0);
	ck_assert_ptr_null(strstr(line, "root="));
	/* A user line never gets root= added. */
	p.root_on_disk = 1;
	p.base = "console=hvc0";
	ck_assert_int_eq(build(&p, 2047), 0);
	ck_assert_ptr_null(strstr(line, "root="));
	ck_assert_str_eq(line, "console=hvc0 virtio_mmio.device=4K@0xd0000000:5 z");
}
END_TEST

START_TEST(cmdline_reboot_type)
{
	/* The default line reboots through the keyboard controller. */
	ck_assert_int_eq(cmdline_reboot_triple(CMDLINE_DEFAULT), 0);
	ck_assert_int_eq(cmdline_reboot_triple(""), 0);
	ck_assert_int_eq(cmdline_reboot_triple("reboot=t"), 1);
	ck_assert_int_eq(cmdline_reboot_triple("reboot=triple"), 1);
	/* Mode words before the type, several words, the last type wins. */
	ck_assert_int_eq(cmdline_reboot_triple("console=ttyS0 reboot=w,t panic=1"), 1);
	ck_assert_int_eq(cmdline_reboot_triple(CMDLINE_DEFAULT " reboot=t"), 1);
	ck_assert_int_eq(cmdline_reboot_triple("reboot=t reboot=k"), 0);
	ck_assert_int_eq(cmdline_reboot_triple("reboot=t,k"), 0);
	ck_assert_int_eq(cmdline_reboot_triple("reboot=k,t"), 1);
	/* A mode alone keeps the type; an empty word is nothing. */
	ck_assert_int_eq(cmdline_reboot_triple("reboot=t reboot=cold"), 1);
	ck_assert_int_eq(cmdline_reboot_triple("reboot=,t"), 1);
	ck_assert_int_eq(cmdline_reboot_triple("reboot="), 0);
	/* Not the reboot= option itself, or past "--" (init's arguments). */
	ck_assert_int_eq(cmdline_reboot_triple("xreboot=t"), 0);
	ck_assert_int_eq(cmdline_reboot_triple("foo.reboot=t"), 0);
	ck_assert_int_eq(cmdline_reboot_triple("console=ttyS0 -- reboot=t"), 0);
	ck_assert_int_eq(cmdline_reboot_triple("a=--  reboot=t"), 1);
}
END_TEST

START_TEST(cmdline_length_limit)
{
	char base[200];
	struct cmdline_params p = {.base = base, .append = "abc"};
	size_t want;

	memset(base, 'a', sizeof(base) - 1);
	base[sizeof(base) - 1] = '\0';
	want = sizeof(base) - 1 + 1 + 3;
	/* Exactly at the limit. */
	ck_assert_int_eq(build(&p, want), 0);
	ck_assert_uint_eq(strlen(line), want);
	/* One over. */
	ck_assert_int_eq(build(&p, want - 1), -E2BIG);
	ck_assert_ptr_nonnull(strstr(err, "203 bytes"));
	ck_assert_ptr_nonnull(strstr(err, "accepts 202"));
	/* The output buffer is a limit too: it needs room for the NUL. */
	{
		char small[204];

		err[0] = '\0';
		ck_assert_int_eq(cmdline_build(&p, small, sizeof(small), 4096, err, sizeof(err)),
				 0);
		ck_assert_str_eq(small + want - 3, "abc");
		ck_assert_int_eq(
			cmdline_build(&p, small, sizeof(small) - 1, 4096, err, sizeof(err)),
			-E2BIG);
		ck_assert_ptr_nonnull(strstr(err, "accepts 202"));
	}
	/* The default line against a short kernel limit. */
	p.base = NULL;
	p.append = NULL;
	ck_assert_int_eq(build(&p, strlen(CMDLINE_DEFAULT)), 0);
	ck_assert_int_eq(build(&p, strlen(CMDLINE_DEFAULT) - 1), -E2BIG);
	ck_assert_ptr_nonnull(strstr(err, "command line"));
}
END_TEST

/* ------------------------------------------------------------------ */
/* MP table                                                             */
/* ------------------------------------------------------------------ */

#define MP_BASE 0x9fc00u

static uint8_t sum8(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s += *p++;
	return s;
}

static void check_mptable(unsigned int ncpus)
{
	uint8_t buf[1024];
	const uint8_t *mpc = buf + 16, *p, *end;
	unsigned int cpus = 0, buses = 0, ioapics = 0, intsrc = 0, lintsrc = 0;
	int n;
	uint16_t mpc_len;

	memset(buf, 0xee, sizeof(buf));
	n = mptable_build(buf, sizeof(buf), MP_BASE, ncpus);
	ck_assert_int_gt(n, 16 + 44);
	ck_assert_uint_eq(buf[n], 0xee); /* nothing written past the end */

	/* Floating pointer structure. */
	ck_assert_int_eq(memcmp(buf, "_MP_", 4), 0);
	ck_assert_uint_eq(get_le32(buf + 4), MP_BASE + 16);
	ck_assert_uint_eq(buf[8], 1);
	ck_assert_uint_eq(buf[9], 4);
	ck_assert_uint_eq(sum8(buf, 16), 0);
	/* Feature byte 1 must be 0 ("a configuration table is present", not
	 * one of the default configurations); the others are reserved. */
	for (int i = 11; i < 16; i++)
		ck_assert_uint_eq(buf[i], 0);

	/* Configuration table header. */
	ck_assert_int_eq(memcmp(mpc, "PCMP", 4), 0);
	mpc_len = get_le16(mpc + 4);
	ck_assert_int_eq(16 + mpc_len, n);
	ck_assert_uint_eq(mpc[6], 4);
	ck_assert_uint_eq(sum8(mpc, mpc_len), 0);
	ck_assert_uint_eq(get_le16(mpc + 34), ncpus + 1 + 1 + 24 + 2);
	ck_assert_uint_eq(get_le32(mpc + 36), 0xfee00000u);
	/* No OEM table, no extended table. */
	ck_assert_uint_eq(get_le32(mpc + 28), 0);
	ck_assert_uint_eq(get_le16(mpc + 32), 0);
	ck_assert_uint_eq(get_le16(mpc + 40), 0);
	ck_assert_uint_eq(mpc[42], 0);

	/* Walk the entries as Linux does. */
	p = mpc + 44;
	end = mpc + mpc_len;
	while (p < end) {
		switch (p[0]) {
		case 0: /* processor */
			ck_assert_uint_eq(p[1], cpus);
			ck_assert_uint_eq(p[3] & 1, 1); /* enabled */
			ck_assert_uint_eq(!!(p[3] & 2), cpus == 0);
			cpus++;
			p += 20;
			break;
		case 1:
			ck_assert_int_eq(memcmp(p + 2, "ISA", 3), 0);
			buses++;
			p += 8;
			break;
		case 2:
			ck_assert_uint_eq(p[1], ncpus);
			ck_assert_uint_eq(p[3] & 1, 1);
			ck_assert_uint_eq(get_le32(p + 4), 0xfec00000u);
			ioapics++;
			p += 8;
			break;
		case 3:
			ck_assert_uint_eq(p[1], 0); /* mp_INT */
			ck_assert_uint_eq(p[5], intsrc);
			ck_assert_uint_eq(p[6], ncpus);
			ck_assert_uint_eq(p[7], intsrc);
			intsrc++;
			p += 8;
			break;
		case 4:
			lintsrc++;
			p += 8;
			break;
		default:
			ck_abort_msg("unknown MP entry type %u", p[0]);
		}
	}
	ck_assert_ptr_eq(p, end);
	ck_assert_uint_eq(cpus, ncpus);
	ck_assert_uint_eq(buses, 1);
	ck_assert_uint_eq(ioapics, 1);
	ck_assert_uint_eq(intsrc, 24);
	ck_assert_uint_eq(lintsrc, 2);
}

START_TEST(mptable_cpu_counts)
{
	check_mptable(1);
	check_mptable(2);
	check_mptable(5);
	check_mptable(MPTABLE_MAX_CPUS);
}
END_TEST

START_TEST(mptable_rejects)
{
	uint8_t buf[1024];
	size_t need;
	int n;

	ck_assert_int_eq(mptable_build(buf, sizeof(buf), MP_BASE, 0), -EINVAL);
	ck_assert_int_eq(mptable_build(buf, sizeof(buf), MP_BASE, MPTABLE_MAX_CPUS + 1), -EINVAL);
	/* The table for 32 CPUs fits the 1 KiB EBDA slot. */
	n = mptable_build(buf, sizeof(buf), MP_BASE, MPTABLE_MAX_CPUS);
	ck_assert_int_gt(n, 0);
	ck_assert_int_le(n, 1024);
	/* Exactly the space needed works; one byte less does not. */
	n = mptable_build(buf, sizeof(buf), MP_BASE, 3);
	ck_assert_int_gt(n, 0);
	need = (size_t)n;
	ck_assert_int_eq(mptable_build(buf, need, MP_BASE, 3), n);
	ck_assert_int_eq(mptable_build(buf, need - 1, MP_BASE, 3), -ENOSPC);
	ck_assert_int_eq(mptable_build(buf, 16, MP_BASE, 1), -ENOSPC);
}
END_TEST

/* ------------------------------------------------------------------ */
/* CPUID                                                                */
/* ------------------------------------------------------------------ */

enum { C_LEAF1, C_L1D, C_L1I, C_L2, C_L3, C_L4END, C_B0, C_B1, C_B2, C_1F1, C_X8, C_LEAF7, C_N };

static void set_entry(struct kvm_cpuid_entry2 *e, uint32_t fn, uint32_t idx, uint32_t eax,
		      uint32_t ebx, uint32_t ecx, uint32_t edx)
{
	memset(e, 0, sizeof(*e));
	e->function = fn;
	e->index = idx;
	e->eax = eax;
	e->ebx = ebx;
	e->ecx = ecx;
	e->edx = edx;
}

/* Roughly what KVM_GET_SUPPORTED_CPUID returns on an 8-thread host. */
static void host_cpuid(struct kvm_cpuid_entry2 *e)
{
	/* Leaf 1: host APIC ID 7, 16 logical, CLFLUSH 8; HTT set, no hypervisor bit. */
	set_entry(&e[C_LEAF1], 1, 0, 0x000906ea, 0x07100800, 0x7ffafbff, 0xbfebfbff);
	/* Leaf 4: eax[4:0] type, [7:5] level, [8] self-init; host sharing/cores bits set. */
	set_entry(&e[C_L1D], 4, 0, 0x1c004121, 0x01c0003f, 0x3f, 0);
	set_entry(&e[C_L1I], 4, 1, 0x1c004122, 0x01c0003f, 0x3f, 0);
	set_entry(&e[C_L2], 4, 2, 0x1c004143, 0x00c0003f, 0x3ff, 0);
	set_entry(&e[C_L3], 4, 3, 0x1c03c163, 0x03c0003f, 0x2fff, 6);
	set_entry(&e[C_L4END], 4, 4, 0x1c000000, 0, 0, 0);
	set_entry(&e[C_B0], 0xb, 0, 1, 2, 0x100, 7);
	set_entry(&e[C_B1], 0xb, 1, 4, 8, 0x201, 7);
	set_entry(&e[C_B2], 0xb, 2, 0, 0, 2, 7);
	set_entry(&e[C_1F1], 0x1f, 1, 4, 8, 0x201, 7);
	set_entry(&e[C_X8], 0x80000008, 0, 0x3027, 0, 0xa00507, 0);
	set_entry(&e[C_LEAF7], 7, 0, 0, 0x029c67af, 0, 0x9c000400);
}

static unsigned int ceil_log2(unsigned int n)
{
	unsigned int s = 0;

	while ((1u << s) < n)
		s++;
	return s;
}

static void check_cpuid(unsigned int ncpus, unsigned int apic_id)
{
	struct kvm_cpuid_entry2 e[C_N], orig[C_N];
	uint32_t v;

	host_cpuid(orig);
	memcpy(e, orig, sizeof(e));
	cpuid_patch(e, C_N, apic_id, ncpus);

	/* Leaf 1: initial APIC ID, logical count, hypervisor, HTT. */
	v = e[C_LEAF1].ebx;
	ck_assert_uint_eq(v >> 24, apic_id);
	ck_assert_uint_eq((v >> 16) & 0xff, 1u << ceil_log2(ncpus));
	ck_assert_uint_eq(v & 0xffff, orig[C_LEAF1].ebx & 0xffff);
	ck_assert_uint_eq(e[C_LEAF1].ecx, orig[C_LEAF1].ecx | 1u << 31);
	ck_assert_uint_eq(!!(e[C_LEAF1].edx & 1u << 28), ncpus > 1);
	ck_assert_uint_eq(e[C_LEAF1].eax, orig[C_LEAF1].eax);

	/* Leaf 0xB: x2APIC ID everywhere, SMT then core level. */
	for (int i = C_B0; i <= C_B2; i++)
		ck_assert_uint_eq(e[i].edx, apic_id);
	ck_assert_uint_eq(e[C_B0].eax & 0x1f, 0);
	ck_assert_uint_eq(e[C_B0].ebx & 0xffff, 1);
	ck_assert_uint_eq(e[C_B0].ecx & 0xff, 0);
	ck_assert_uint_eq((e[C_B0].ecx >> 8) & 0xff, 1); /* SMT */
	ck_assert_uint_eq(e[C_B1].eax & 0x1f, ceil_log2(ncpus));
	ck_assert_uint_eq(e[C_B1].ebx & 0xffff, ncpus);
	ck_assert_uint_eq(e[C_B1].ecx & 0xff, 1);
	ck_assert_uint_eq((e[C_B1].ecx >> 8) & 0xff, 2); /* core */
	ck_assert_uint_eq((e[C_B2].ecx >> 8) & 0xff, 0); /* invalid: end of list */
	ck_assert_uint_eq(e[C_B2].ecx & 0xff, 2);
	ck_assert_uint_eq(e[C_B2].ebx, 0);
	/* Leaf 0x1F follows the same layout. */
	ck_assert_uint_eq(e[C_1F1].edx, apic_id);
	ck_assert_uint_eq(e[C_1F1].ebx & 0xffff, ncpus);
	ck_assert_uint_eq(e[C_1F1].eax & 0x1f, ceil_log2(ncpus));

	/* Leaf 4: cores per package; L1/L2 private, L3 shared by all. */
	for (int i = C_L1D; i <= C_L3; i++) {
		v = e[i].eax;
		ck_assert_uint_eq(v >> 26, ncpus - 1);
		ck_assert_uint_eq(v & 0x3fff, orig[i].eax & 0x3fff);
		ck_assert_uint_eq(e[i].ebx, orig[i].ebx);
		ck_assert_uint_eq(e[i].ecx, orig[i].ecx);
	}
	ck_assert_uint_eq((e[C_L1D].eax >> 14) & 0xfff, 0);
	ck_assert_uint_eq((e[C_L1I].eax >> 14) & 0xfff, 0);
	ck_assert_uint_eq((e[C_L2].eax >> 14) & 0xfff, 0);
	ck_assert_uint_eq((e[C_L3].eax >> 14) & 0xfff, ncpus - 1);
	/* The null cache descriptor that ends the list is left alone. */
	ck_assert_uint_eq(e[C_L4END].eax, orig[C_L4END].eax);

	/* AMD 0x80000008: NC = ncpus - 1, ApicIdSize; the rest kept. */
	v = e[C_X8].ecx;
	ck_assert_uint_eq(v & 0xff, ncpus - 1);
	ck_assert_uint_eq((v >> 12) & 0xf, ceil_log2(ncpus));
	ck_assert_uint_eq(v & ~0xf0ffu, orig[C_X8].ecx & ~0xf0ffu);
	ck_assert_uint_eq(e[C_X8].eax, orig[C_X8].eax);

	/* Unrelated leaves untouched. */
	ck_assert_int_eq(memcmp(&e[C_LEAF7], &orig[C_LEAF7], sizeof(e[0])), 0);
}

START_TEST(cpuid_one_cpu)
{
	check_cpuid(1, 0);
}
END_TEST

START_TEST(cpuid_two_cpus)
{
	check_cpuid(2, 0);
	check_cpuid(2, 1);
}
END_TEST

START_TEST(cpuid_five_cpus)
{
	for (unsigned int id = 0; id < 5; id++)
		check_cpuid(5, id);
}
END_TEST

START_TEST(cpuid_empty_table)
{
	struct kvm_cpuid_entry2 e;

	/* n = 0 must not touch the table. */
	set_entry(&e, 1, 0, 1, 2, 3, 4);
	cpuid_patch(&e, 0, 3, 4);
	ck_assert_uint_eq(e.ebx, 2);
	ck_assert_uint_eq(e.ecx, 3);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Whole boot setup                                                     */
/* ------------------------------------------------------------------ */

#define BOOT_RAM (64 * MiB)

struct boot_env {
	struct x86_ram ram;
	uint8_t *kernel;
	uint8_t *initrd;
	struct x86_boot_config cfg;
	struct x86_boot_info info;
};

static void boot_env_init(struct boot_env *b, size_t initrd_len)
{
	memset(b, 0, sizeof(*b));
	b->ram.host = malloc(BOOT_RAM);
	b->ram.size = BOOT_RAM;
	ck_assert_ptr_nonnull(b->ram.host);
	memset(b->ram.host, RAM_FILL, BOOT_RAM);
	b->kernel = make_bzimage();
	b->cfg.kernel = b->kernel;
	b->cfg.kernel_len = BZ_LEN;
	b->cfg.kernel_name = "bzImage-test";
	b->cfg.mem_size = BOOT_RAM;
	b->cfg.ncpus = 2;
	if (initrd_len) {
		b->initrd = malloc(initrd_len);
		ck_assert_ptr_nonnull(b->initrd);
		for (size_t i = 0; i < initrd_len; i++)
			b->initrd[i] = (uint8_t)(i * 31 + 5);
		b->cfg.initrd = b->initrd;
		b->cfg.initrd_len = initrd_len;
	}
}

static void boot_env_free(struct boot_env *b)
{
	free(b->ram.host);
	free(b->kernel);
	free(b->initrd);
}

static int boot(struct boot_env *b)
{
	err[0] = '\0';
	return x86_boot_setup(&b->cfg, &b->ram, &b->info, err, sizeof(err));
}

static uint8_t *zero_page(struct boot_env *b)
{
	return b->ram.host + X86_ZERO_PAGE;
}

START_TEST(boot_zero_page)
{
	struct boot_env b;
	uint8_t *zp;
	struct e820_entry want[E820_MAX_ENTRIES];
	int n;

	boot_env_init(&b, 0);
	ck_assert_int_eq(boot(&b), 0);
	zp = zero_page(&b);
	ck_assert(b.info.is_bzimage);
	ck_assert_uint_eq(b.info.entry, 0x100200);
	ck_assert_uint_eq(b.info.kernel_end, BZ_PREF + BZ_INIT_SIZE);
	/* Kernel at 1 MiB, header in the zero page. */
	ck_assert_int_eq(memcmp(b.ram.host + 0x100000, b.kernel + BZ_SETUP_SIZE, BZ_PM_SIZE), 0);
	ck_assert_int_eq(memcmp(zp + BP_HEADER, "HdrS", 4), 0);
	ck_assert_uint_eq(zp[BP_TYPE_OF_LOADER], 0xff);
	/* e820 table and count. */
	n = e820_build(BOOT_RAM, want, E820_MAX_ENTRIES);
	ck_assert_int_eq(n, 3);
	ck_assert_uint_eq(zp[BP_E820_ENTRIES], 3);
	ck_assert_int_eq(memcmp(zp + BP_E820_TABLE, want, 3 * sizeof(want[0])), 0);
	ck_assert_uint_eq(get_le64(zp + BP_E820_TABLE + 2 * 20), 0x100000);
	ck_assert_uint_eq(get_le64(zp + BP_E820_TABLE + 2 * 20 + 8), BOOT_RAM - 0x100000);
	ck_assert_uint_eq(get_le32(zp + BP_E820_TABLE + 2 * 20 + 16), E820_RAM);
	/* No initrd. */
	ck_assert_uint_eq(get_le32(zp + BP_RAMDISK_IMAGE), 0);
	ck_assert_uint_eq(get_le32(zp + BP_RAMDISK_SIZE), 0);
	/* MP table in the EBDA. */
	ck_assert_int_eq(memcmp(b.ram.host + X86_EBDA_START, "_MP_", 4), 0);
	ck_assert_uint_eq(sum8(b.ram.host + X86_EBDA_START, 16), 0);
	boot_env_free(&b);
}
END_TEST

START_TEST(boot_cmdline)
{
	struct boot_env b;
	uint8_t *zp;

	boot_env_init(&b, 0);
	b.cfg.cmdline.append = "init=/sbin/init";
	ck_assert_int_eq(boot(&b), 0);
	zp = zero_page(&b);
	ck_assert_uint_eq(get_le32(zp + BP_CMD_LINE_PTR), 0x20000);
	ck_assert_uint_eq(get_le32(zp + BP_EXT_CMD_LINE_PTR), 0);
	ck_assert_str_eq(b.info.cmdline, CMDLINE_DEFAULT " init=/sbin/init");
	ck_assert_str_eq((char *)b.ram.host + 0x20000, CMDLINE_DEFAULT " init=/sbin/init");
	boot_env_free(&b);
}
END_TEST

START_TEST(boot_cmdline_header_limit)
{
	struct boot_env b;

	/* The kernel's own cmdline_size is the limit. */
	boot_env_init(&b, 0);
	put_le32(b.kernel + BP_CMDLINE_SIZE, 10);
	b.cfg.cmdline.base = "0123456789";
	ck_assert_int_eq(boot(&b), 0);
	b.cfg.cmdline.base = "0123456789a";
	ck_assert_int_eq(boot(&b), -E2BIG);
	ck_assert_ptr_nonnull(strstr(err, "command line"));
	boot_env_free(&b);
}
END_TEST

START_TEST(boot_initrd)
{
	const size_t len = 100 * KiB + 123;
	struct boot_env b;
	uint8_t *zp;
	uint32_t addr;

	boot_env_init(&b, len);
	ck_assert_int_eq(boot(&b), 0);
	zp = zero_page(&b);
	addr = get_le32(zp + BP_RAMDISK_IMAGE);
	ck_assert_uint_eq(get_le32(zp + BP_RAMDISK_SIZE), len);
	ck_assert_uint_eq(get_le32(zp + BP_EXT_RAMDISK_IMAGE), 0);
	ck_assert_uint_eq(addr & 0xfff, 0);
	ck_assert_uint_ge(addr, b.info.kernel_end);
	ck_assert_uint_le(addr + len, BOOT_RAM);
	/* Near the top: no whole free page left above it. */
	ck_assert_uint_gt(addr + len + 4096, BOOT_RAM);
	ck_assert_int_eq(memcmp(b.ram.host + addr, b.initrd, len), 0);
	boot_env_free(&b);
}
END_TEST

START_TEST(boot_initrd_addr_max)
{
	const size_t len = 64 * KiB;
	const uint32_t max = 32 * MiB - 1;
	struct boot_env b;
	uint32_t addr;

	boot_env_init(&b, len);
	put_le32(b.kernel + BP_INITRD_ADDR_MAX, max);
	ck_assert_int_eq(boot(&b), 0);
	addr = get_le32(zero_page(&b) + BP_RAMDISK_IMAGE);
	ck_assert_uint_eq(addr & 0xfff, 0);
	ck_assert_uint_le((uint64_t)addr + len - 1, max);
	ck_assert_uint_ge(addr, b.info.kernel_end);
	ck_assert_uint_eq(addr, 32 * MiB - len);
	ck_assert_int_eq(memcmp(b.ram.host + addr, b.initrd, len), 0);
	boot_env_free(&b);
}
END_TEST

START_TEST(boot_initrd_too_large)
{
	struct boot_env b;

	/* 64 MiB RAM, kernel needs 20 MiB: 48 MiB of initrd cannot fit. */
	boot_env_init(&b, 48 * MiB);
	ck_assert_int_eq(boot(&b), -ENOMEM);
	ck_assert_ptr_nonnull(strstr(err, "initrd"));
	boot_env_free(&b);
	/* Larger than RAM itself. */
	boot_env_init(&b, BOOT_RAM + 1);
	ck_assert_int_eq(boot(&b), -ENOMEM);
	ck_assert_ptr_nonnull(strstr(err, "initrd"));
	boot_env_free(&b);
}
END_TEST

START_TEST(boot_page_tables_and_gdt)
{
	struct boot_env b;
	const uint8_t *pml4, *pdpt, *pd;
	uint64_t code;

	boot_env_init(&b, 0);
	ck_assert_int_eq(boot(&b), 0);
	pml4 = b.ram.host + X86_PML4_ADDR;
	pdpt = b.ram.host + X86_PDPT_ADDR;
	pd = b.ram.host + X86_PD_ADDR;
	ck_assert_uint_eq(get_le64(pml4), X86_PDPT_ADDR | 3);
	for (int i = 1; i < 512; i++)
		ck_assert_uint_eq(get_le64(pml4 + 8 * i), 0);
	for (uint64_t i = 0; i < 4; i++)
		ck_assert_uint_eq(get_le64(pdpt + 8 * i), (X86_PD_ADDR + i * 4096) | 3);
	ck_assert_uint_eq(get_le64(pdpt + 8 * 4), 0);
	/* Identity: virtual address i * 2 MiB maps to physical i * 2 MiB. */
	for (uint64_t i = 0; i < 2048; i++)
		ck_assert_uint_eq(get_le64(pd + 8 * i), (i << 21) | 0x83);

	/* Selector 0x10: present, DPL 0, code, L = 1, D = 0. */
	code = get_le64(b.ram.host + X86_GDT_ADDR + 0x10);
	ck_assert_uint_eq((code >> 47) & 1, 1);			   /* P */
	ck_assert_uint_eq((code >> 45) & 3, 0);			   /* DPL */
	ck_assert_uint_eq((code >> 44) & 1, 1);			   /* S: code/data */
	ck_assert_uint_eq((code >> 43) & 1, 1);			   /* executable */
	ck_assert_uint_eq((code >> 53) & 1, 1);			   /* L */
	ck_assert_uint_eq((code >> 54) & 1, 0);			   /* D must be 0 with L */
	ck_assert_uint_eq(get_le64(b.ram.host + X86_GDT_ADDR), 0); /* null descriptor */
	/* Selector 0x18: present writable data. */
	code = get_le64(b.ram.host + X86_GDT_ADDR + 0x18);
	ck_assert_uint_eq((code >> 47) & 1, 1);
	ck_assert_uint_eq((code >> 43) & 1, 0);
	ck_assert_uint_eq((code >> 41) & 1, 1);
	boot_env_free(&b);
}
END_TEST

START_TEST(boot_elf_kernel)
{
	struct boot_env b;
	struct elf_img e;
	uint8_t *zp;

	boot_env_init(&b, 0);
	make_elf(&e);
	b.cfg.kernel = e.b;
	b.cfg.kernel_len = sizeof(e.b);
	ck_assert_int_eq(boot(&b), 0);
	zp = zero_page(&b);
	ck_assert(!b.info.is_bzimage);
	ck_assert_uint_eq(b.info.entry, ELF_ENTRY);
	ck_assert_uint_eq(b.info.kernel_end, ELF_SEG2_PA + ELF_SEG2_MEM);
	ck_assert_uint_eq(get_le16(zp + BP_BOOT_FLAG), 0xaa55);
	ck_assert_int_eq(memcmp(zp + BP_HEADER, "HdrS", 4), 0);
	ck_assert_uint_eq(zp[BP_TYPE_OF_LOADER], 0xff);
	ck_assert_uint_eq(zp[BP_E820_ENTRIES], 3);
	ck_assert_uint_eq(get_le32(zp + BP_CMD_LINE_PTR), 0x20000);
	ck_assert_int_eq(memcmp(b.ram.host + ELF_SEG1_PA, e.b + ELF_SEG1_OFF, ELF_SEG1_LEN), 0);
	boot_env_free(&b);
}
END_TEST

/*
 * Virtio slot i raises IOAPIC pin 5 + i, and the IOAPIC has 24 pins: slots
 * 0..18 get pins 5..23, each its own; slot 19 is refused, not given pin 24
 * (which no IOAPIC entry, and so no guest, would ever see).
 */
START_TEST(virtio_slot_pins)
{
	struct arch_mmio_slot s;
	unsigned int i;

	for (i = 0; i < X86_IOAPIC_PINS - X86_VIRTIO_IRQ_BASE; i++) {
		ck_assert_int_eq(arch_virtio_slot(i, &s), 0);
		ck_assert_uint_eq(s.irq, X86_VIRTIO_IRQ_BASE + i);
		ck_assert_uint_lt(s.irq, X86_IOAPIC_PINS);
		ck_assert_uint_eq(s.base, X86_VIRTIO_MMIO_BASE + i * X86_VIRTIO_MMIO_SIZE);
	}
	ck_assert_uint_eq(i, 19);
	s = (struct arch_mmio_slot){0, 0, 0};
	ck_assert_int_eq(arch_virtio_slot(i, &s), -ENOSPC);
	ck_assert_uint_eq(s.irq, 0);
	ck_assert_int_eq(arch_virtio_slot(1000, &s), -ENOSPC);
	ck_assert_int_eq(arch_virtio_slot(~0u, &s), -ENOSPC);
}
END_TEST

START_TEST(boot_rejects)
{
	struct boot_env b;
	static const uint8_t junk[4096] = {1, 2, 3};

	/* Neither bzImage nor ELF: the message names the file. */
	boot_env_init(&b, 0);
	b.cfg.kernel = junk;
	b.cfg.kernel_len = sizeof(junk);
	ck_assert_int_eq(boot(&b), -ENOEXEC);
	ck_assert_ptr_nonnull(strstr(err, "bzImage-test"));
	/* A bad bzImage: the parser's message, prefixed with the name. */
	b.cfg.kernel = b.kernel;
	b.cfg.kernel_len = BZ_LEN;
	put_le16(b.kernel + BP_VERSION, 0x205);
	ck_assert_int_eq(boot(&b), -ENOEXEC);
	ck_assert_ptr_nonnull(strstr(err, "bzImage-test"));
	ck_assert_ptr_nonnull(strstr(err, "2.05"));
	/* Too many CPUs for the MP table. */
	put_le16(b.kernel + BP_VERSION, 0x20f);
	b.cfg.ncpus = MPTABLE_MAX_CPUS + 1;
	ck_assert_int_ne(boot(&b), 0);
	ck_assert_ptr_nonnull(strstr(err, "MP table"));
	boot_env_free(&b);
	/* RAM too small for the low boot structures. */
	boot_env_init(&b, 0);
	b.ram.size = 1 * MiB;
	b.cfg.mem_size = 1 * MiB;
	ck_assert_int_eq(boot(&b), -ENOMEM);
	ck_assert_ptr_nonnull(strstr(err, "too small"));
	/* RAM too small for the kernel's init_size. */
	b.ram.size = 16 * MiB;
	b.cfg.mem_size = 16 * MiB;
	ck_assert_int_eq(boot(&b), -ENOMEM);
	ck_assert_ptr_nonnull(strstr(err, "MiB"));
	boot_env_free(&b);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Regression tests for two bugs these tests found (both fixed).         */
/* ------------------------------------------------------------------ */

/*
 * Was a bug (arch/x86_64/layout.h and boot.c): the GDT written at
 * X86_GDT_ADDR has six 8-byte entries, 0x500..0x52f (vcpu_setup.c loads
 * limit 6 * 8 - 1), but X86_IDT_ADDR is 0x520, inside it. x86_write_boot_tables
 * writes the GDT and then zeroes the 8-byte IDT, which wipes the TSS
 * descriptor of selector 0x20 (the one KVM_SET_SREGS puts into TR). Writing
 * them in the other order would instead leave the TSS descriptor as IDT
 * vector 0. Proposed fix: #define X86_IDT_ADDR 0x530ULL (right after the GDT).
 */
START_TEST(bug_idt_overlaps_gdt_tss_descriptor)
{
	struct x86_ram ram = {.host = calloc(1, 2 * MiB), .size = 2 * MiB};
	const uint64_t gdt_size = 6 * 8;
	uint64_t tss;

	ck_assert_ptr_nonnull(ram.host);
	x86_write_boot_tables(&ram);
	ck_assert_msg(X86_IDT_ADDR + 8 <= X86_GDT_ADDR || X86_IDT_ADDR >= X86_GDT_ADDR + gdt_size,
		      "IDT at 0x%llx overlaps the GDT [0x%llx, 0x%llx)",
		      (unsigned long long)X86_IDT_ADDR, (unsigned long long)X86_GDT_ADDR,
		      (unsigned long long)(X86_GDT_ADDR + gdt_size));
	/* Selector 0x20: present, busy 64-bit TSS, limit 0x67. */
	tss = get_le64(ram.host + X86_GDT_ADDR + 0x20);
	ck_assert_msg(tss == 0x00808b0000000067ULL,
		      "GDT selector 0x20 is 0x%016llx, not the TSS descriptor",
		      (unsigned long long)tss);
	/* The IDT stays empty: any early exception is a triple fault. */
	for (int i = 0; i < 8; i++)
		ck_assert_uint_eq(ram.host[X86_IDT_ADDR + i], 0);
	free(ram.host);
}
END_TEST

/*
 * Was a bug (arch/x86_64/bzimage.c): mem_needed = pref + init_size is
 * computed in 64 bits without an overflow check, so a header with
 * pref_address near 2^64 wraps to a small number and bzimage_load reports
 * that a kernel which cannot fit anywhere fits in 16 MiB. Proposed fix: in
 * bzimage_parse, reject (-EINVAL, "pref_address 0x... + init_size overflows")
 * when pref > UINT64_MAX - init_size, or compute mem_needed saturating.
 */
START_TEST(bug_pref_address_overflow)
{
	uint8_t *img = make_bzimage();
	struct bzimage_info bz;
	struct x86_ram ram = {.host = calloc(1, 16 * MiB), .size = 16 * MiB};
	uint8_t zp[BP_SIZE];
	int rc;

	ck_assert_ptr_nonnull(ram.host);
	put_le64(img + BP_PREF_ADDRESS, UINT64_MAX - 2 * MiB + 1);
	rc = parse(img, BZ_LEN, &bz);
	if (rc == 0)
		rc = bzimage_load(&bz, img, &ram, zp, err, sizeof(err));
	ck_assert_msg(rc != 0,
		      "pref_address 2^64 - 2 MiB + 4 MiB init_size accepted "
		      "(mem_needed wrapped to 0x%llx)",
		      (unsigned long long)bz.mem_needed);
	free(ram.host);
	free(img);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("x86_boot");
	TCase *tc_bz = tcase_create("bzimage");
	TCase *tc_elf = tcase_create("elf");
	TCase *tc_e820 = tcase_create("e820");
	TCase *tc_cmd = tcase_create("cmdline");
	TCase *tc_mp = tcase_create("mptable");
	TCase *tc_cpuid = tcase_create("cpuid");
	TCase *tc_boot = tcase_create("boot_setup");
	TCase *tc_bugs = tcase_create("regressions");

	tcase_add_test(tc_bz, bz_good_image);
	tcase_add_test(tc_bz, bz_mem_needed_from_pref);
	tcase_add_test(tc_bz, bz_pref_address_bad);
	tcase_add_test(tc_bz, bz_init_size_bad);
	tcase_add_test(tc_bz, bz_cmdline_size_bad);
	tcase_add_test(tc_bz, bz_syssize);
	tcase_add_test(tc_bz, bz_truncated_payload);
	tcase_add_test(tc_bz, bz_truncated);
	tcase_add_test(tc_bz, bz_wrong_magic);
	tcase_add_test(tc_bz, bz_old_protocol);
	tcase_add_test(tc_bz, bz_no_xlf_kernel_64);
	tcase_add_test(tc_bz, bz_not_loaded_high);
	tcase_add_test(tc_bz, bz_alignment_not_power_of_two);
	tcase_add_test(tc_bz, bz_setup_sects_zero_means_four);
	tcase_add_test(tc_bz, bz_header_length_out_of_range);
	tcase_add_test(tc_bz, bz_load_too_small_ram);
	tcase_add_test(tc_bz, bz_load_copies);
	suite_add_tcase(s, tc_bz);

	tcase_add_test(tc_elf, elf_two_segments);
	tcase_add_test(tc_elf, elf_segment_beyond_file);
	tcase_add_test(tc_elf, elf_bss_left_to_zeroed_ram);
	tcase_add_test(tc_elf, elf_filesz_over_memsz);
	tcase_add_test(tc_elf, elf_segment_beyond_ram);
	tcase_add_test(tc_elf, elf_overlapping_segments);
	tcase_add_test(tc_elf, elf_segment_below_1mib);
	tcase_add_test(tc_elf, elf_phdrs_outside_file);
	tcase_add_test(tc_elf, elf_wrong_class_machine_type);
	tcase_add_test(tc_elf, elf_entry_outside_segments);
	tcase_add_test(tc_elf, elf_no_pt_load);
	tcase_add_test(tc_elf, elf_non_load_segments_ignored);
	suite_add_tcase(s, tc_elf);

	tcase_add_test(tc_e820, e820_64m);
	tcase_add_test(tc_e820, e820_3g);
	tcase_add_test(tc_e820, e820_3g_plus_4k);
	tcase_add_test(tc_e820, e820_8g);
	tcase_add_test(tc_e820, e820_too_small);
	suite_add_tcase(s, tc_e820);

	tcase_add_test(tc_cmd, cmdline_default);
	tcase_add_test(tc_cmd, cmdline_reboot_type);
	tcase_add_test(tc_cmd, cmdline_user_base);
	tcase_add_test(tc_cmd, cmdline_append);
	tcase_add_test(tc_cmd, cmdline_virtio_mmio);
	tcase_add_test(tc_cmd, cmdline_root_on_disk);
	tcase_add_test(tc_cmd, cmdline_length_limit);
	suite_add_tcase(s, tc_cmd);

	tcase_add_test(tc_mp, mptable_cpu_counts);
	tcase_add_test(tc_mp, mptable_rejects);
	suite_add_tcase(s, tc_mp);

	tcase_add_test(tc_cpuid, cpuid_one_cpu);
	tcase_add_test(tc_cpuid, cpuid_two_cpus);
	tcase_add_test(tc_cpuid, cpuid_five_cpus);
	tcase_add_test(tc_cpuid, cpuid_empty_table);
	suite_add_tcase(s, tc_cpuid);

	/* The whole-setup tests touch 64 MiB several times; give ASan room. */
	tcase_set_timeout(tc_boot, 60);
	tcase_add_test(tc_boot, boot_zero_page);
	tcase_add_test(tc_boot, boot_cmdline);
	tcase_add_test(tc_boot, boot_cmdline_header_limit);
	tcase_add_test(tc_boot, boot_initrd);
	tcase_add_test(tc_boot, boot_initrd_addr_max);
	tcase_add_test(tc_boot, boot_initrd_too_large);
	tcase_add_test(tc_boot, boot_page_tables_and_gdt);
	tcase_add_test(tc_boot, boot_elf_kernel);
	tcase_add_test(tc_boot, boot_rejects);
	tcase_add_test(tc_boot, virtio_slot_pins);
	suite_add_tcase(s, tc_boot);

	tcase_add_test(tc_bugs, bug_idt_overlaps_gdt_tss_descriptor);
	tcase_add_test(tc_bugs, bug_pref_address_overflow);
	suite_add_tcase(s, tc_bugs);

	return check_run(s);
}
