/* SPDX-License-Identifier: MIT */
/*
 * Guest kernel symbols, to say where a hung vCPU is as function+offset:
 * from a System.map ("ffffffff81000000 T _text" lines) or from the symbol
 * table of an ELF vmlinux. Text symbols only, sorted by address.
 */
#ifndef VMM_SYMBOLS_H
#define VMM_SYMBOLS_H

#include <stddef.h>
#include <stdint.h>

struct symbol {
	uint64_t addr;
	const char *name; /* into the table's string storage */
};

struct symbols {
	struct symbol *sym;
	size_t n;
	char *strings;
};

/*
 * Loads path, a System.map or an ELF file with a symbol table. 0, or a
 * negative errno with one line in err (-ENOENT: an ELF without symbols).
 */
int symbols_load(struct symbols *s, const char *path, char *err, size_t err_len);
/* Loads from an ELF image already in memory; -ENOENT when it has no symbols. */
int symbols_from_elf(struct symbols *s, const uint8_t *img, size_t len);
/* Parses System.map text of len bytes. */
int symbols_from_map(struct symbols *s, const char *text, size_t len);
void symbols_free(struct symbols *s);

/*
 * The symbol at or below addr, with *off set to addr - its address; NULL
 * when addr is below every symbol or more than 1 MiB past the nearest one.
 */
const char *symbols_lookup(const struct symbols *s, uint64_t addr, uint64_t *off);

#endif
