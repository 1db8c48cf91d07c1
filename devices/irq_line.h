/* SPDX-License-Identifier: MIT */
/* How a device drives its interrupt line without knowing about KVM. */
#ifndef DEVICES_IRQ_LINE_H
#define DEVICES_IRQ_LINE_H

struct irq_line {
	void (*set)(void *ctx, unsigned int irq, int level);
	void *ctx;
	unsigned int irq;
};

static inline void irq_line_set(const struct irq_line *l, int level)
{
	if (l->set)
		l->set(l->ctx, l->irq, level);
}

#endif
