/* SPDX-License-Identifier: MIT */
/*
 * The two ports a guest uses to end the VM: the i8042 reset line (0xFE to
 * port 0x64) and minivmm's exit-status port (a byte N ends with status N).
 *
 * There is no keyboard controller behind port 0x64, and the guest should
 * learn that at once: the status register always shows a full output buffer
 * (so Linux's i8042 probe drains 16 bytes, says "No controller found" and
 * moves on, instead of waiting half a second for a controller that never
 * answers) and an empty input buffer (so the reboot=k path writes its 0xFE
 * without waiting). Emulating enough of a controller for Linux to register
 * a keyboard was tried and made loaded guests triple-fault under the nested
 * KVM used in testing; a microVM has no keyboard anyway.
 */
#ifndef DEVICES_SYSCTL_PORTS_H
#define DEVICES_SYSCTL_PORTS_H

#include <stdint.h>

#define I8042_DATA_PORT	   0x60
#define I8042_COMMAND_PORT 0x64
#define I8042_CMD_RESET	   0xfe
#define I8042_STR_OBF	   0x01 /* output buffer full */

struct sysctl_ports {
	void (*reset)(void *ctx);
	void (*exit_status)(void *ctx, int status);
	void *ctx;
};

/* Bus callbacks: i8042 data port (0x60, reads 0xFF), status/command port
 * (0x64), and the exit-status port. */
void i8042_data_read(void *opaque, uint64_t offset, uint8_t *data, unsigned int size);
void i8042_status_read(void *opaque, uint64_t offset, uint8_t *data, unsigned int size);
void i8042_command_write(void *opaque, uint64_t offset, const uint8_t *data, unsigned int size);
void exit_port_write(void *opaque, uint64_t offset, const uint8_t *data, unsigned int size);

#endif
