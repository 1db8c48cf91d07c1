/* SPDX-License-Identifier: MIT */
/*
 * The two ports a guest uses to end the VM: the i8042 reset line (0xFE to
 * port 0x64) and minivmm's exit-status port (a byte N ends with status N).
 */
#ifndef DEVICES_SYSCTL_PORTS_H
#define DEVICES_SYSCTL_PORTS_H

#include <stdint.h>

#define I8042_DATA_PORT	   0x60
#define I8042_COMMAND_PORT 0x64
#define I8042_CMD_RESET	   0xfe

struct sysctl_ports {
	void (*reset)(void *ctx);
	void (*exit_status)(void *ctx, int status);
	void *ctx;
};

/* Bus callbacks: i8042 data and command ports (the controller is always
 * idle and empty), and the exit-status port. */
void i8042_read(void *opaque, uint64_t offset, uint8_t *data, unsigned int size);
void i8042_command_write(void *opaque, uint64_t offset, const uint8_t *data, unsigned int size);
void exit_port_write(void *opaque, uint64_t offset, const uint8_t *data, unsigned int size);

#endif
