/* SPDX-License-Identifier: MIT */
/*
 * The PC's system-control ports: the i8042 keyboard controller (its 0xFE
 * command resets the machine; its keyboard is how the host asks a guest to
 * shut down) and minivmm's exit-status port (a byte N ends with status N).
 *
 * Why a keyboard: minivmm_request_shutdown() must ask a stock Linux to shut
 * down cleanly with no agent inside. With no ACPI there is no power button,
 * and a microVM's serial console only reaches whatever reads it; what every
 * Linux honours is Ctrl-Alt-Del from a keyboard (the VT keyboard handler
 * calls ctrl_alt_del(): init gets SIGINT and runs its ctrlaltdel action,
 * or, when init never took it over, the kernel restarts). Firecracker's
 * SendCtrlAltDel does the same. So the controller here is real enough for
 * Linux's i8042 driver to register a keyboard, and no more:
 *
 * - controller commands: read/write the configuration byte (CTR, initially
 *   0: no translation, so the keyboard speaks scan code set 2), self test
 *   (0x55), keyboard port test (0x00), keyboard port enable/disable, output
 *   port writes (ignored), 0xFE reset. There is no AUX port: its test says
 *   "clock line stuck" and a loopback never comes back as AUX data, so
 *   Linux gives up on a mouse at once instead of timing out;
 * - the keyboard acknowledges every byte sent to it (0xFA; GET ID answers
 *   AB 83, RESET AA), so even a command line without i8042.dumbkbd probes
 *   it quickly. The default line has i8042.dumbkbd, so Linux sends nothing
 *   and registers "AT Raw Set 2 keyboard" straight away;
 * - keyboard bytes raise IRQ 1 (an edge, one byte per interrupt as Linux
 *   reads them) while the CTR enables the keyboard interrupt.
 *
 * The guest kernel needs CONFIG_SERIO_I8042, CONFIG_KEYBOARD_ATKBD and
 * CONFIG_VT (distribution kernels have all three). A kernel without them
 * ignores the request, and the host stops it when the grace runs out.
 *
 * (An earlier model answered the probe without a keyboard behind it; it
 * was replaced by "no controller" while loaded Linux guests were
 * triple-faulting, but the cause turned out to be GUEST_TSO, and the
 * controller made no difference either way.)
 */
#ifndef DEVICES_SYSCTL_PORTS_H
#define DEVICES_SYSCTL_PORTS_H

#include <pthread.h>
#include <stdint.h>

#include "devices/irq_line.h"

#define I8042_DATA_PORT	   0x60
#define I8042_COMMAND_PORT 0x64
#define I8042_CMD_RESET	   0xfe
#define I8042_STR_OBF	   0x01 /* output buffer full */
#define I8042_STR_SYS	   0x04 /* system flag: self test passed */
#define I8042_STR_KEYLOCK  0x10 /* set: the keyboard is not locked */
#define I8042_CTR_KBDINT   0x01
#define I8042_CTR_KBDDIS   0x10
#define I8042_CTR_XLATE	   0x40
#define I8042_KBD_IRQ	   1
#define I8042_QUEUE	   16

struct sysctl_ports {
	void (*reset)(void *ctx);
	void (*exit_status)(void *ctx, int status);
	void *ctx;
	struct irq_line kbd_irq; /* IRQ 1; no callback: no interrupts */

	/* The controller; all zeroes is its state at power-on. */
	pthread_mutex_t lock;
	uint8_t ctr;	 /* configuration byte */
	uint8_t pending; /* a command waiting for its data byte, or 0 */
	uint8_t last;	 /* what the data port read last */
	uint8_t out[I8042_QUEUE];
	unsigned int out_head, out_len;
};

/* Bus callbacks: i8042 data port (0x60), status/command port (0x64), and the exit-status port. */
void i8042_data_read(void *opaque, uint64_t offset, uint8_t *data, unsigned int size);
void i8042_data_write(void *opaque, uint64_t offset, const uint8_t *data, unsigned int size);
void i8042_status_read(void *opaque, uint64_t offset, uint8_t *data, unsigned int size);
void i8042_command_write(void *opaque, uint64_t offset, const uint8_t *data, unsigned int size);
void exit_port_write(void *opaque, uint64_t offset, const uint8_t *data, unsigned int size);

/*
 * Presses and releases Ctrl-Alt-Del on the keyboard (scan code set 2, or
 * set 1 when the guest turned translation on); any thread. -EBUSY when the
 * output queue has no room for it (the guest does not read its keyboard).
 */
int i8042_ctrl_alt_del(struct sysctl_ports *p);

void sysctl_ports_destroy(struct sysctl_ports *p);

#endif
