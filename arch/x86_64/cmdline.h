/* SPDX-License-Identifier: MIT */
/* Assembly of the guest kernel command line. */
#ifndef ARCH_X86_64_CMDLINE_H
#define ARCH_X86_64_CMDLINE_H

#include <stddef.h>
#include <stdint.h>

#define CMDLINE_DEFAULT                                                               \
	"console=ttyS0 reboot=k panic=1 pci=off i8042.noaux i8042.nomux i8042.nopnp " \
	"i8042.dumbkbd"

struct cmdline_mmio_dev {
	uint64_t addr;
	uint32_t size;
	uint32_t irq;
};

struct cmdline_params {
	const char *base;   /* user's --cmdline; NULL selects CMDLINE_DEFAULT */
	const char *append; /* user's --append, or NULL */
	int root_on_disk;   /* add root=/dev/vda rw to the default line */
	const struct cmdline_mmio_dev *mmio;
	unsigned int n_mmio;
};

/*
 * Writes base, the virtio_mmio.device= entries, the root option and append,
 * separated by single spaces. Fails with -E2BIG (message in err) when the
 * result is longer than max_len bytes (the kernel's cmdline_size).
 */
int cmdline_build(const struct cmdline_params *p, char *out, size_t out_size, size_t max_len,
		  char *err, size_t err_len);

/*
 * 1 when Linux, given this command line, reboots by triple fault: the last
 * reboot type letter of its reboot= options is 't' (reboot=t, reboot=triple,
 * reboot=w,t). Options after "--" belong to init and are not looked at.
 */
int cmdline_reboot_triple(const char *cmdline);

#endif
