// SPDX-License-Identifier: MIT
#include "devices/sysctl_ports.h"

#include <string.h>

#define CMD_READ_CTR  0x20
#define CMD_WRITE_CTR 0x60
#define CMD_AUX_TEST  0xa9
#define CMD_SELF_TEST 0xaa
#define CMD_KBD_TEST  0xab
#define SELF_TEST_OK  0x55
#define PORT_TEST_OK  0x00

static void put_out(struct sysctl_ports *p, uint8_t v)
{
	p->out = v;
	p->out_full = true;
}

void i8042_data_read(void *opaque, uint64_t offset, uint8_t *data, unsigned int size)
{
	struct sysctl_ports *p = opaque;

	(void)offset;
	memset(data, 0, size);
	pthread_mutex_lock(&p->lock);
	data[0] = p->out;
	p->out_full = false;
	pthread_mutex_unlock(&p->lock);
}

void i8042_data_write(void *opaque, uint64_t offset, const uint8_t *data, unsigned int size)
{
	struct sysctl_ports *p = opaque;

	(void)offset;
	(void)size;
	pthread_mutex_lock(&p->lock);
	if (p->pending == CMD_WRITE_CTR)
		p->ctr = data[0];
	/* Anything else was meant for a keyboard that is not there. */
	p->pending = 0;
	pthread_mutex_unlock(&p->lock);
}

void i8042_status_read(void *opaque, uint64_t offset, uint8_t *data, unsigned int size)
{
	struct sysctl_ports *p = opaque;

	(void)offset;
	memset(data, 0, size);
	pthread_mutex_lock(&p->lock);
	/* Input buffer always empty: ready for the next command. */
	data[0] = I8042_STR_SYS | (p->out_full ? I8042_STR_OBF : 0);
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
		put_out(p, p->ctr);
		break;
	case CMD_WRITE_CTR:
		p->pending = CMD_WRITE_CTR;
		break;
	case CMD_SELF_TEST:
		put_out(p, SELF_TEST_OK);
		break;
	case CMD_KBD_TEST:
	case CMD_AUX_TEST:
		put_out(p, PORT_TEST_OK);
		break;
	default:
		break; /* enable/disable ports and the rest: nothing to do */
	}
	pthread_mutex_unlock(&p->lock);
}

void exit_port_write(void *opaque, uint64_t offset, const uint8_t *data, unsigned int size)
{
	struct sysctl_ports *p = opaque;

	(void)offset;
	(void)size;
	if (p->exit_status)
		p->exit_status(p->ctx, data[0]);
}
