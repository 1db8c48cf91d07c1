// SPDX-License-Identifier: MIT
#include "vmm/core/symbols.h"

#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/core/vm.h"
#include "vmm/core/file.h"

#define MAX_SYMBOL_FILE (512u << 20)
#define MAX_DISTANCE	(1u << 20) /* past the last symbol: not inside a function we know */

static int by_addr(const void *a, const void *b)
{
	const struct symbol *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int finish(struct symbols *s)
{
	if (!s->n) {
		symbols_free(s);
		return -ENOENT;
	}
	qsort(s->sym, s->n, sizeof(*s->sym), by_addr);
	return 0;
}

int symbols_from_map(struct symbols *s, const char *text, size_t len)
{
	size_t cap = 0, used = 0;

	memset(s, 0, sizeof(*s));
	s->strings = malloc(len + 1);
	if (!s->strings)
		return -ENOMEM;
	for (size_t i = 0; i < len;) {
		const char *line = text + i, *nl = memchr(line, '\n', len - i);
		size_t ll = nl ? (size_t)(nl - line) : len - i;
		unsigned long long addr;
		char type, name[256], buf[300];

		i += ll + 1;
		if (ll >= sizeof(buf))
			continue;
		/*
		 * sscanf on the whole text would measure all of what follows on
		 * every line (glibc's string stream does): 28,000 lines of a
		 * System.map cost 1.4 G instructions, seconds when emulated.
		 */
		memcpy(buf, line, ll);
		buf[ll] = '\0';
		if (sscanf(buf, "%llx %c %255s", &addr, &type, name) != 3)
			continue;
		if (type != 't' && type != 'T' && type != 'w' && type != 'W')
			continue;
		if (s->n == cap) {
			struct symbol *n = realloc(s->sym, (cap ? cap * 2 : 1024) * sizeof(*n));

			if (!n) {
				symbols_free(s);
				return -ENOMEM;
			}
			s->sym = n;
			cap = cap ? cap * 2 : 1024;
		}
		size_t nlen = strnlen(name, sizeof(name));

		if (used + nlen + 1 > len + 1)
			break;
		memcpy(s->strings + used, name, nlen + 1);
		s->sym[s->n++] = (struct symbol){.addr = addr, .name = s->strings + used};
		used += nlen + 1;
	}
	return finish(s);
}

/* Every offset and size is checked against the image: the file is the user's. */
int symbols_from_elf(struct symbols *s, const uint8_t *img, size_t len)
{
	const Elf64_Ehdr *eh = (const void *)img;
	const Elf64_Shdr *sh;

	memset(s, 0, sizeof(*s));
	if (len < sizeof(*eh) || memcmp(img, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_shentsize != sizeof(Elf64_Shdr) ||
	    eh->e_shoff > len || (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr) > len - eh->e_shoff)
		return -ENOENT;
	sh = (const void *)(img + eh->e_shoff);
	for (unsigned int i = 0; i < eh->e_shnum; i++) {
		const Elf64_Shdr *st = &sh[i], *str;
		const Elf64_Sym *sym;
		size_t nsym;

		if (st->sh_type != SHT_SYMTAB || st->sh_link >= eh->e_shnum ||
		    st->sh_entsize != sizeof(Elf64_Sym) || st->sh_offset > len ||
		    st->sh_size > len - st->sh_offset)
			continue;
		str = &sh[st->sh_link];
		if (str->sh_offset > len || str->sh_size > len - str->sh_offset || !str->sh_size)
			continue;
		sym = (const void *)(img + st->sh_offset);
		nsym = st->sh_size / sizeof(Elf64_Sym);
		s->strings = malloc(str->sh_size + 1);
		s->sym = calloc(nsym ? nsym : 1, sizeof(*s->sym));
		if (!s->strings || !s->sym) {
			symbols_free(s);
			return -ENOMEM;
		}
		memcpy(s->strings, img + str->sh_offset, str->sh_size);
		s->strings[str->sh_size] = '\0';
		for (size_t k = 0; k < nsym; k++) {
			if (ELF64_ST_TYPE(sym[k].st_info) != STT_FUNC || !sym[k].st_value ||
			    sym[k].st_name >= str->sh_size)
				continue;
			s->sym[s->n++] = (struct symbol){.addr = sym[k].st_value,
							 .name = s->strings + sym[k].st_name};
		}
		return finish(s);
	}
	return -ENOENT;
}

int symbols_load(struct symbols *s, const char *path, char *err, size_t err_len)
{
	uint8_t *buf;
	size_t len;
	int rc = read_whole_file(path, "symbols", MAX_SYMBOL_FILE, &buf, &len, err, err_len);

	if (rc)
		return rc;
	if (len >= SELFMAG && !memcmp(buf, ELFMAG, SELFMAG))
		rc = symbols_from_elf(s, buf, len);
	else
		rc = symbols_from_map(s, (const char *)buf, len);
	free(buf);
	if (rc == -ENOENT)
		snprintf(err, err_len,
			 "%s: no function symbols (give a System.map or an unstripped vmlinux)",
			 path);
	else if (rc)
		snprintf(err, err_len, "%s: %s", path, strerror(-rc));
	return rc;
}

void symbols_free(struct symbols *s)
{
	free(s->sym);
	free(s->strings);
	memset(s, 0, sizeof(*s));
}

const char *symbols_lookup(const struct symbols *s, uint64_t addr, uint64_t *off)
{
	size_t lo = 0, hi = s->n;

	/* The last symbol with sym.addr <= addr. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->sym[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || addr - s->sym[lo - 1].addr > MAX_DISTANCE)
		return NULL;
	*off = addr - s->sym[lo - 1].addr;
	return s->sym[lo - 1].name;
}
