/* SPDX-License-Identifier: MIT */
/*
 * The two ports a guest uses to end the VM: the i8042 reset line (0xFE to
 * port 0x64) and minivmm's exit-status port (a byte N ends with status N).
 * The i8042 also answers the few controller commands Linux's probe sends
 * (read/write the configuration byte, self tests), so the guest's driver
 * does not spend half a second waiting for a controller that never answers.
 * There is no keyboard behind it.
 */
#ifndef DEVICES_SYSCTL_PORTS_H
#define DEVICES_SYSCTL_PORTS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define I8042_DATA_PORT	   0x60
#define I8042_COMMAND_PORT 0x64
#define I8042_CMD_RESET	   0xfe

#define I8042_STR_OBF 0x01 /* a byte waits in the output buffer */
#define I8042_STR_SYS 0x04 /* system flag: self test passed */

struct sysctl_ports {
	void (*reset)(void *ctx);
	void (*exit_status)(void *ctx, int status);
	void *ctx;
	/* i8042 controller; all zeroes is a valid initial state. */
	pthread_mutex_t lock;
	uint8_t ctr;	 /* configuration byte */
	uint8_t out;	 /* output buffer */
	uint8_t pending; /* command waiting for its data byte */
	bool out_full;
};

/* Bus callbacks: i8042 data port (0x60), status/command port (0x64), and
 * the exit-status port. */
void i8042_data_read(void *opaque, uint64_t offset, uint8_t *data, unsigned int size);
void i8042_data_write(void *opaque, uint64_t offset, const uint8_t *data, unsigned int size);
void i8042_status_read(void *opaque, uint64_t offset, uint8_t *data, unsigned int size);
void i8042_command_write(void *opaque, uint64_t offset, const uint8_t *data, unsigned int size);
void exit_port_write(void *opaque, uint64_t offset, const uint8_t *data, unsigned int size);

#endif
