// SPDX-License-Identifier: MIT
#include "devices/serial.h"

enum {
	REG_RBR_THR = 0,
	REG_IER = 1,
	REG_IIR_FCR = 2,
	REG_LCR = 3,
	REG_MCR = 4,
	REG_LSR = 5,
	REG_MSR = 6,
	REG_SCR = 7,
};

#define IER_RDI	     0x01
#define IER_THRI     0x02
#define IIR_NONE     0x01
#define IIR_THRI     0x02
#define IIR_RDI	     0x04
#define IIR_FIFO     0xc0
#define FCR_FIFO     0x01
#define FCR_CLEAR_RX 0x02
#define LCR_DLAB     0x80
#define MCR_DTR	     0x01
#define MCR_RTS	     0x02
#define MCR_OUT1     0x04
#define MCR_OUT2     0x08
#define MCR_LOOP     0x10
#define LSR_DR	     0x01
#define LSR_THRE     0x20
#define LSR_TEMT     0x40
#define MSR_CTS	     0x10
#define MSR_DSR	     0x20
#define MSR_RI	     0x40
#define MSR_DCD	     0x80

void serial_init(struct serial *s, struct tx_ring *out, struct irq_line irq)
{
	*s = (struct serial){0};
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->rx_space, NULL);
	s->out = out;
	s->irq = irq;
	s->mcr = MCR_OUT2;
}

void serial_set_tx_hook(struct serial *s, void (*hook)(void *ctx, uint8_t c), void *ctx)
{
	s->tx_hook = hook;
	s->tx_ctx = ctx;
}

void serial_destroy(struct serial *s)
{
	pthread_cond_destroy(&s->rx_space);
	pthread_mutex_destroy(&s->lock);
}

static uint8_t iir(const struct serial *s)
{
	uint8_t fifo = (s->fcr & FCR_FIFO) ? IIR_FIFO : 0;

	if ((s->ier & IER_RDI) && s->rx_count)
		return IIR_RDI | fifo;
	if ((s->ier & IER_THRI) && s->thri_pending)
		return IIR_THRI | fifo;
	return IIR_NONE | fifo;
}

/* The line follows "an interrupt is pending"; edges reach the IOAPIC. */
static void update_irq(struct serial *s)
{
	int level = !(iir(s) & IIR_NONE);

	if (level != s->irq_level) {
		s->irq_level = level;
		irq_line_set(&s->irq, level);
	}
}

static void push_rx(struct serial *s, uint8_t c)
{
	if (s->rx_count == SERIAL_RX_SIZE)
		return;
	s->rx[(s->rx_head + s->rx_count) % SERIAL_RX_SIZE] = c;
	s->rx_count++;
}

static void transmit(struct serial *s, uint8_t c)
{
	if (s->mcr & MCR_LOOP) {
		push_rx(s, c);
	} else {
		/* Without an output the byte is dropped, but still counted and seen by
		 * the hook (a panic on a console nobody reads is still a panic). */
		if (s->out)
			tx_ring_put(s->out, c);
		__atomic_store_n(&s->tx_bytes, s->tx_bytes + 1, __ATOMIC_RELAXED);
		if (s->tx_hook)
			s->tx_hook(s->tx_ctx, c);
	}
	/* Transmission is instant, so THR is empty again at once. */
	s->thri_pending = 1;
}

static uint8_t msr(const struct serial *s)
{
	uint8_t m = 0;

	if (!(s->mcr & MCR_LOOP))
		return MSR_DCD | MSR_DSR | MSR_CTS;
	/* Loopback wires the modem outputs to the inputs; Linux probes this. */
	if (s->mcr & MCR_DTR)
		m |= MSR_DSR;
	if (s->mcr & MCR_RTS)
		m |= MSR_CTS;
	if (s->mcr & MCR_OUT1)
		m |= MSR_RI;
	if (s->mcr & MCR_OUT2)
		m |= MSR_DCD;
	return m;
}

static uint8_t read_reg(struct serial *s, unsigned int reg)
{
	uint8_t v;

	switch (reg) {
	case REG_RBR_THR:
		if (s->lcr & LCR_DLAB)
			return s->dll;
		if (!s->rx_count)
			return 0;
		v = s->rx[s->rx_head];
		s->rx_head = (s->rx_head + 1) % SERIAL_RX_SIZE;
		s->rx_count--;
		pthread_cond_broadcast(&s->rx_space);
		return v;
	case REG_IER:
		return (s->lcr & LCR_DLAB) ? s->dlm : s->ier;
	case REG_IIR_FCR:
		v = iir(s);
		/* Reading IIR acknowledges a THRE interrupt. */
		if ((v & 0x0f) == IIR_THRI)
			s->thri_pending = 0;
		return v;
	case REG_LCR:
		return s->lcr;
	case REG_MCR:
		return s->mcr;
	case REG_LSR:
		return LSR_THRE | LSR_TEMT | (s->rx_count ? LSR_DR : 0);
	case REG_MSR:
		return msr(s);
	default:
		return s->scr;
	}
}

static void write_reg(struct serial *s, unsigned int reg, uint8_t v)
{
	switch (reg) {
	case REG_RBR_THR:
		if (s->lcr & LCR_DLAB)
			s->dll = v;
		else
			transmit(s, v);
		break;
	case REG_IER:
		if (s->lcr & LCR_DLAB) {
			s->dlm = v;
		} else {
			/* Enabling THRE interrupts while THR is empty raises one. */
			if ((v ^ s->ier) & IER_THRI)
				s->thri_pending = !!(v & IER_THRI);
			s->ier = v & 0x0f;
		}
		break;
	case REG_IIR_FCR:
		s->fcr = v & 0xc9;
		if (v & FCR_CLEAR_RX) {
			s->rx_count = 0;
			pthread_cond_broadcast(&s->rx_space);
		}
		break;
	case REG_LCR:
		s->lcr = v;
		break;
	case REG_MCR:
		s->mcr = v & 0x1f;
		break;
	case REG_SCR:
		s->scr = v;
		break;
	default:
		break; /* LSR and MSR are read-only */
	}
}

void serial_read(void *opaque, uint64_t offset, uint8_t *data, unsigned int size)
{
	struct serial *s = opaque;

	pthread_mutex_lock(&s->lock);
	data[0] = read_reg(s, (unsigned int)offset);
	for (unsigned int i = 1; i < size; i++)
		data[i] = 0xff;
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
}

void serial_write(void *opaque, uint64_t offset, const uint8_t *data, unsigned int size)
{
	struct serial *s = opaque;

	(void)size;
	pthread_mutex_lock(&s->lock);
	write_reg(s, (unsigned int)offset, data[0]);
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
}

size_t serial_receive(struct serial *s, const uint8_t *buf, size_t len)
{
	size_t done = 0;

	pthread_mutex_lock(&s->lock);
	while (done < len && !s->closed) {
		if (s->rx_count == SERIAL_RX_SIZE || s->rx_held) {
			pthread_cond_wait(&s->rx_space, &s->lock);
			continue;
		}
		push_rx(s, buf[done++]);
		update_irq(s);
	}
	pthread_mutex_unlock(&s->lock);
	return done;
}

void serial_hold_input(struct serial *s, int hold)
{
	pthread_mutex_lock(&s->lock);
	s->rx_held = hold;
	if (!hold)
		pthread_cond_broadcast(&s->rx_space);
	pthread_mutex_unlock(&s->lock);
}

void serial_close(struct serial *s)
{
	pthread_mutex_lock(&s->lock);
	s->closed = 1;
	pthread_cond_broadcast(&s->rx_space);
	pthread_mutex_unlock(&s->lock);
}
