// SPDX-License-Identifier: MIT
/*
 * Guest kernel symbols for the vCPU dump (vmm/core/symbols.c): a System.map's
 * text symbols, the function symbols of an ELF symbol table (this test
 * binary's own), lookups as function+offset, and what is not a function
 * or lies far past the last one.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/check_run.h"
#include "vmm/core/symbols.h"
#include "vmm/core/vm.h"

START_TEST(system_map_text_symbols)
{
	static const char map[] = "ffffffff81000000 T _text\n"
				  "ffffffff81000100 t helper\n"
				  "ffffffff81200000 D some_data\n"
				  "ffffffff81000080 T startup_64\n"
				  "not a line\n"
				  "ffffffff81000200 W weak_fn";
	struct symbols s;
	uint64_t off;

	ck_assert_int_eq(symbols_from_map(&s, map, strlen(map)), 0);
	ck_assert_uint_eq(s.n, 4); /* data is left out */
	ck_assert_str_eq(symbols_lookup(&s, 0xffffffff81000084ULL, &off), "startup_64");
	ck_assert_uint_eq(off, 4);
	ck_assert_str_eq(symbols_lookup(&s, 0xffffffff81000100ULL, &off), "helper");
	ck_assert_uint_eq(off, 0);
	ck_assert_str_eq(symbols_lookup(&s, 0xffffffff81000210ULL, &off), "weak_fn");
	ck_assert_ptr_null(symbols_lookup(&s, 0xffffffff80ffffffULL, &off));
	ck_assert_ptr_null(symbols_lookup(&s, 0xffffffff81000200ULL + (2u << 20), &off));
	symbols_free(&s);
	ck_assert_int_eq(symbols_from_map(&s, "nothing here\n", 13), -ENOENT);
}
END_TEST

START_TEST(elf_symbol_table)
{
	char err[256];
	struct symbols s;
	uint64_t off;
	const char *name;
	uint8_t junk[64] = "\177ELF";

	/* This test binary is an ELF with a symbol table (built with -g, not stripped). */
	ck_assert_int_eq(symbols_load(&s, "/proc/self/exe", err, sizeof(err)), 0);
	ck_assert_uint_gt(s.n, 10);
	/* Find a function we know by name, then look up an address inside it. */
	uint64_t at = 0;

	for (size_t i = 0; i < s.n; i++)
		if (!strcmp(s.sym[i].name, "symbols_lookup"))
			at = s.sym[i].addr;
	ck_assert_uint_ne(at, 0);
	name = symbols_lookup(&s, at + 3, &off);
	ck_assert_ptr_nonnull(name);
	ck_assert_str_eq(name, "symbols_lookup");
	ck_assert_uint_eq(off, 3);
	symbols_free(&s);
	/* A truncated or bogus ELF is no crash, just no symbols. */
	ck_assert_int_eq(symbols_from_elf(&s, junk, sizeof(junk)), -ENOENT);
	ck_assert_int_eq(symbols_load(&s, "/nonexistent.map", err, sizeof(err)), -ENOENT);
}
END_TEST

int main(void)
{
	Suite *su = suite_create("symbols");
	TCase *tc = tcase_create("symbols");

	tcase_add_test(tc, system_map_text_symbols);
	tcase_add_test(tc, elf_symbol_table);
	suite_add_tcase(su, tc);
	return check_run(su);
}
