// SPDX-License-Identifier: MIT
#include "devices/sysctl_ports.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#define CMD_READ_CTR	0x20
#define CMD_WRITE_CTR	0x60
#define CMD_AUX_DISABLE 0xa7
#define CMD_AUX_ENABLE	0xa8
#define CMD_AUX_TEST	0xa9
#define CMD_SELF_TEST	0xaa
#define CMD_KBD_TEST	0xab
#define CMD_KBD_DISABLE 0xad
#define CMD_KBD_ENABLE	0xae
#define CMD_WRITE_OUTP	0xd1
#define CMD_WRITE_KBD	0xd2
#define CMD_WRITE_AUX_B 0xd3
#define CMD_WRITE_AUX	0xd4
#define CTR_AUXDIS	0x20
#define SELF_TEST_OK	0x55
#define PORT_TEST_OK	0x00
#define AUX_CLOCK_LOW	0x01 /* the AUX port test's "clock line stuck low": no mouse */

#define KBD_ACK	   0xfa
#define KBD_ECHO   0xee
#define KBD_GETID  0xf2
#define KBD_RESET  0xff
#define KBD_BAT_OK 0xaa
#define KBD_ID_LO  0xab
#define KBD_ID_HI  0x83

/* The queue's next byte raises IRQ 1 if the guest enabled it. Lock held. */
static void kick_irq(struct sysctl_ports *p)
{
	if (!p->out_len || !(p->ctr & I8042_CTR_KBDINT) || (p->ctr & I8042_CTR_KBDDIS))
		return;
	irq_line_set(&p->kbd_irq, 1);
	irq_line_set(&p->kbd_irq, 0);
}

/* Lock held. False if the queue is full. */
static bool push(struct sysctl_ports *p, uint8_t v)
{
	if (p->out_len == I8042_QUEUE)
		return false;
	p->out[(p->out_head + p->out_len++) % I8042_QUEUE] = v;
	return true;
}

/* A controller command's answer: read by polling, no interrupt. Lock held. */
static void reply(struct sysctl_ports *p, uint8_t v)
{
	push(p, v);
}

/* Bytes from the keyboard: an interrupt when the first one is at the head. Lock held. */
static void from_keyboard(struct sysctl_ports *p, const uint8_t *v, unsigned int n)
{
	bool was_empty = p->out_len == 0;

	for (unsigned int i = 0; i < n; i++)
		push(p, v[i]);
	if (was_empty)
		kick_irq(p);
}

void i8042_data_read(void *opaque, uint64_t offset, uint8_t *data, unsigned int size)
{
	struct sysctl_ports *p = opaque;

	(void)offset;
	memset(data, 0, size);
	pthread_mutex_lock(&p->lock);
	if (p->out_len) {
		p->last = p->out[p->out_head];
		p->out_head = (p->out_head + 1) % I8042_QUEUE;
		p->out_len--;
		kick_irq(p); /* one byte per interrupt: the next one gets its own */
	}
	data[0] = p->last;
	pthread_mutex_unlock(&p->lock);
}

/* A byte for the keyboard: acknowledged, with what its command answers. Lock held. */
static void keyboard_write(struct sysctl_ports *p, uint8_t v)
{
	uint8_t ans[3] = {KBD_ACK};
	unsigned int n = 1;

	if (v == KBD_ECHO) {
		ans[0] = KBD_ECHO;
	} else if (v == KBD_GETID) {
		ans[1] = KBD_ID_LO;
		ans[2] = KBD_ID_HI;
		n = 3;
	} else if (v == KBD_RESET) {
		ans[1] = KBD_BAT_OK;
		n = 2;
	}
	from_keyboard(p, ans, n);
}

void i8042_data_write(void *opaque, uint64_t offset, const uint8_t *data, unsigned int size)
{
	struct sysctl_ports *p = opaque;
	uint8_t cmd;

	(void)offset;
	(void)size;
	pthread_mutex_lock(&p->lock);
	cmd = p->pending;
	p->pending = 0;
	switch (cmd) {
	case CMD_WRITE_CTR:
		p->ctr = data[0];
		kick_irq(p);
		break;
	case CMD_WRITE_KBD:
		from_keyboard(p, data, 1);
		break;
	case CMD_WRITE_AUX_B:
		/* Back, but not as AUX data: Linux's loopback test fails at once. */
		reply(p, data[0]);
		break;
	case CMD_WRITE_OUTP:
	case CMD_WRITE_AUX:
		break; /* no AUX port; the output port's lines do nothing here */
	default:
		keyboard_write(p, data[0]);
		break;
	}
	pthread_mutex_unlock(&p->lock);
}

void i8042_status_read(void *opaque, uint64_t offset, uint8_t *data, unsigned int size)
{
	struct sysctl_ports *p = opaque;

	(void)offset;
	memset(data, 0, size);
	pthread_mutex_lock(&p->lock);
	/* Input buffer always empty: every write is taken at once. */
	data[0] = I8042_STR_SYS | I8042_STR_KEYLOCK | (p->out_len ? I8042_STR_OBF : 0);
	pthread_mutex_unlock(&p->lock);
}

void i8042_command_write(void *opaque, uint64_t offset, const uint8_t *data, unsigned int size)
{
	struct sysctl_ports *p = opaque;

	(void)offset;
	(void)size;
	if (data[0] == I8042_CMD_RESET) {
		if (p->reset)
			p->reset(p->ctx);
		return;
	}
	pthread_mutex_lock(&p->lock);
	p->pending = 0;
	switch (data[0]) {
	case CMD_READ_CTR:
		reply(p, p->ctr);
		break;
	case CMD_WRITE_CTR:
	case CMD_WRITE_OUTP:
	case CMD_WRITE_KBD:
	case CMD_WRITE_AUX_B:
	case CMD_WRITE_AUX:
		p->pending = data[0];
		break;
	case CMD_SELF_TEST:
		reply(p, SELF_TEST_OK);
		break;
	case CMD_KBD_TEST:
		reply(p, PORT_TEST_OK);
		break;
	case CMD_AUX_TEST:
		reply(p, AUX_CLOCK_LOW);
		break;
	case CMD_KBD_DISABLE:
		p->ctr |= I8042_CTR_KBDDIS;
		break;
	case CMD_KBD_ENABLE:
		p->ctr &= (uint8_t)~I8042_CTR_KBDDIS;
		kick_irq(p);
		break;
	case CMD_AUX_DISABLE:
	case CMD_AUX_ENABLE:
		/* No AUX port: its disable bit stays set, as Linux's toggle test expects of none.
		 */
		p->ctr |= CTR_AUXDIS;
		break;
	default:
		break;
	}
	pthread_mutex_unlock(&p->lock);
}

int i8042_ctrl_alt_del(struct sysctl_ports *p)
{
	/* Press Ctrl, Alt, Del; release Del, Alt, Ctrl. */
	static const uint8_t set2[] = {0x14, 0x11, 0xe0, 0x71, 0xe0, 0xf0,
				       0x71, 0xf0, 0x11, 0xf0, 0x14};
	static const uint8_t set1[] = {0x1d, 0x38, 0xe0, 0x53, 0xe0, 0xd3, 0xb8, 0x9d};
	int rc = 0;

	pthread_mutex_lock(&p->lock);
	if (p->ctr & I8042_CTR_XLATE) {
		if (p->out_len + sizeof(set1) > I8042_QUEUE)
			rc = -EBUSY;
		else
			from_keyboard(p, set1, sizeof(set1));
	} else {
		if (p->out_len + sizeof(set2) > I8042_QUEUE)
			rc = -EBUSY;
		else
			from_keyboard(p, set2, sizeof(set2));
	}
	pthread_mutex_unlock(&p->lock);
	return rc;
}

void sysctl_ports_destroy(struct sysctl_ports *p)
{
	pthread_mutex_destroy(&p->lock);
}

void exit_port_write(void *opaque, uint64_t offset, const uint8_t *data, unsigned int size)
{
	struct sysctl_ports *p = opaque;

	(void)offset;
	(void)size;
	if (p->exit_status)
		p->exit_status(p->ctx, data[0]);
}
