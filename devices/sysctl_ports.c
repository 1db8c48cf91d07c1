// SPDX-License-Identifier: MIT
#include "devices/sysctl_ports.h"

#include <string.h>

void i8042_data_read(void *opaque, uint64_t offset, uint8_t *data, unsigned int size)
{
	(void)opaque;
	(void)offset;
	memset(data, 0xff, size);
}

void i8042_status_read(void *opaque, uint64_t offset, uint8_t *data, unsigned int size)
{
	(void)opaque;
	(void)offset;
	memset(data, 0, size);
	data[0] = I8042_STR_OBF;
}

void i8042_command_write(void *opaque, uint64_t offset, const uint8_t *data, unsigned int size)
{
	struct sysctl_ports *p = opaque;

	(void)offset;
	(void)size;
	if (data[0] == I8042_CMD_RESET && p->reset)
		p->reset(p->ctx);
}

void exit_port_write(void *opaque, uint64_t offset, const uint8_t *data, unsigned int size)
{
	struct sysctl_ports *p = opaque;

	(void)offset;
	(void)size;
	if (p->exit_status)
		p->exit_status(p->ctx, data[0]);
}
