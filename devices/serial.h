/* SPDX-License-Identifier: MIT */
/*
 * 8250/16550A UART: enough of the chip for Linux's 8250 driver to detect it
 * (scratch and loopback tests, FIFO bits) and run its console with THRE and
 * receive interrupts. Transmitted bytes go into a tx_ring, never to an fd:
 * a vCPU writing THR must not wait for whoever reads the console.
 */
#ifndef DEVICES_SERIAL_H
#define DEVICES_SERIAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/irq_line.h"
#include "devices/tx_ring.h"

#define SERIAL_COM1_BASE 0x3f8
#define SERIAL_COM1_IRQ	 4
#define SERIAL_NREGS	 8
#define SERIAL_RX_SIZE	 1024

struct serial {
	pthread_mutex_t lock;
	pthread_cond_t rx_space;
	struct irq_line irq;
	struct tx_ring *out; /* NULL: transmitted bytes are only counted */
	int closed;
	int rx_held; /* serial_hold_input(): receive waits as if the FIFO were full */
	int irq_level;
	uint8_t ier, fcr, lcr, mcr, scr, dll, dlm;
	int thri_pending;
	uint8_t rx[SERIAL_RX_SIZE];
	unsigned int rx_head, rx_count;
	uint64_t tx_bytes; /* written under lock, read with serial_tx_bytes() by anyone */
	void (*tx_hook)(void *ctx, uint8_t c); /* sees every byte sent out */
	void *tx_ctx;
};

void serial_init(struct serial *s, struct tx_ring *out, struct irq_line irq);
/* Calls hook(ctx, c) for each transmitted byte (vCPU thread, UART lock held). */
void serial_set_tx_hook(struct serial *s, void (*hook)(void *ctx, uint8_t c), void *ctx);
void serial_destroy(struct serial *s);

/* Bus callbacks for the 8 registers at SERIAL_COM1_BASE. */
void serial_read(void *opaque, uint64_t offset, uint8_t *data, unsigned int size);
void serial_write(void *opaque, uint64_t offset, const uint8_t *data, unsigned int size);

/*
 * Queues input for the guest, waiting while the receive buffer is full.
 * Returns the bytes queued, which is less than len only after serial_close().
 */
size_t serial_receive(struct serial *s, const uint8_t *buf, size_t len);

/*
 * While held, serial_receive() queues nothing (it waits, as for room): the
 * UART's state stays as it is while the VM is paused. Returns once no
 * byte is being queued.
 */
void serial_hold_input(struct serial *s, int hold);

/* Bytes the guest has transmitted, delivered or not; without the UART's lock. */
static inline uint64_t serial_tx_bytes(const struct serial *s)
{
	return __atomic_load_n(&s->tx_bytes, __ATOMIC_RELAXED);
}

/* Wakes and fails any serial_receive() waiting for room. */
void serial_close(struct serial *s);

#endif
