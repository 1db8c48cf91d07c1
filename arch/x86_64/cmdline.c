// SPDX-License-Identifier: MIT
#include "arch/x86_64/cmdline.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct buf {
	char *s;
	size_t size, len; /* len keeps counting past size so we know the need */
};

static void add(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	/* Never overwrite the terminating NUL of a buffer that is full. */
	if (b->len && b->len + 1 < b->size)
		b->s[b->len] = ' ';
	if (b->len)
		b->len++;
	va_start(ap, fmt);
	n = vsnprintf(b->len < b->size ? b->s + b->len : NULL,
		      b->len < b->size ? b->size - b->len : 0, fmt, ap);
	va_end(ap);
	b->len += n > 0 ? (size_t)n : 0;
}

int cmdline_build(const struct cmdline_params *p, char *out, size_t out_size, size_t max_len,
		  char *err, size_t err_len)
{
	struct buf b = {out, out_size, 0};

	if (out_size)
		out[0] = '\0';
	if (p->base && p->base[0])
		add(&b, "%s", p->base);
	else if (!p->base)
		add(&b, "%s", CMDLINE_DEFAULT);
	for (unsigned int i = 0; i < p->n_mmio; i++)
		add(&b, "virtio_mmio.device=%uK@0x%llx:%u", p->mmio[i].size >> 10,
		    (unsigned long long)p->mmio[i].addr, p->mmio[i].irq);
	if (!p->base && p->root_on_disk)
		add(&b, "root=/dev/vda rw");
	if (p->append && p->append[0])
		add(&b, "%s", p->append);
	if (b.len > max_len || b.len >= out_size) {
		snprintf(err, err_len, "kernel command line is %zu bytes, the kernel accepts %zu",
			 b.len, max_len < out_size ? max_len : out_size - 1);
		return -E2BIG;
	}
	return 0;
}

int cmdline_reboot_triple(const char *cmdline)
{
	int triple = 0;
	const char *p = cmdline;

	while (*p) {
		size_t len;

		while (*p == ' ')
			p++;
		len = strcspn(p, " ");
		if (len == 2 && !strncmp(p, "--", 2))
			break;
		if (len > 7 && !strncmp(p, "reboot=", 7)) {
			/* As the kernel's reboot_setup(): comma-separated words,
			 * the first letter of each decides; the type letters are
			 * b, a, k, t, e and p, and the last one given wins. */
			for (const char *w = p + 7; w < p + len;) {
				if (strchr("baktep", *w))
					triple = *w == 't';
				w += strcspn(w, ", ");
				if (*w == ',')
					w++;
			}
		}
		p += len;
	}
	return triple;
}
