/* SPDX-License-Identifier: MIT */
/*
 * The architecture boundary: everything vmm/ needs to know about the
 * machine it builds, as plain arch_* functions. Exactly one architecture is
 * linked in, chosen at build time (the Makefile's ARCH, x86_64 by default,
 * compiles every .c file of arch/$(ARCH)/), not a struct arch_ops picked at
 * run time, because
 * - a binary can only ever drive one architecture: KVM's register structs,
 *   exits and VM ioctls differ per host architecture at compile time, so
 *   there is nothing to choose between at run time;
 * - a missing or misspelled arch_* function is a link error for that
 *   architecture instead of a NULL pointer found by a test;
 * - no indirection on the vCPU exit path.
 * arch/x86_64/ and arch/aarch64/ implement all of it (`make check` also
 * compiles everything outside arch/x86_64/ for aarch64; docs/design.md,
 * "How to add an architecture").
 *
 * Errors are negative errnos with one line in err; nothing here prints.
 */
#ifndef ARCH_ARCH_H
#define ARCH_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kvm_run;

/* ---- the machine's layout ---- */

#define ARCH_RAM_REGIONS_MAX 2

/* A piece of guest RAM: guest-physical [gpa, gpa + size) is host ram + offset. */
struct arch_ram_region {
	uint64_t gpa, size, offset;
};

/* How mem bytes of RAM (one host mapping) lie in guest-physical space; returns the count. */
unsigned int arch_ram_regions(uint64_t mem, struct arch_ram_region r[ARCH_RAM_REGIONS_MAX]);

/*
 * Where virtio-mmio device i sits and which interrupt line it raises: 0, or
 * -ENOSPC when the machine has no line (or no MMIO room) for a device i.
 */
struct arch_mmio_slot {
	uint64_t base, size;
	unsigned int irq;
};
int arch_virtio_slot(unsigned int i, struct arch_mmio_slot *s);

/*
 * Where the PC devices minivmm emulates sit on the port bus: the console's
 * 8250 UART with its interrupt line, and the i8042 whose reset command
 * ends the VM and whose keyboard (on its own interrupt line) asks the
 * guest to shut down. False if the machine has no port bus (a port that
 * needs its console elsewhere adds that here).
 */
struct arch_pc_ports {
	uint64_t uart_base;
	unsigned int uart_irq;
	uint64_t i8042_data, i8042_command;
	unsigned int i8042_kbd_irq;
};
bool arch_pc_ports(struct arch_pc_ports *p);

/*
 * Where a machine without a port bus (aarch64) puts the console's 8250
 * UART and the exit-status register (a byte written there ends the VM with
 * that status, as MINIVMM_EXIT_PORT does on x86) on the MMIO bus. uart_irq
 * is the line as KVM_IRQ_LINE takes it. False if the machine uses
 * arch_pc_ports instead.
 */
struct arch_mmio_console {
	uint64_t uart_base, uart_size;
	uint32_t uart_irq;
	uint64_t exit_base, exit_size;
};
bool arch_mmio_console(struct arch_mmio_console *c);

/* The most vCPUs the machine can describe to the guest. */
unsigned int arch_max_cpus(void);

/* ---- the VM and its vCPUs (KVM ioctls) ---- */

/* After KVM_CREATE_VM: the interrupt controllers, timers, whatever the VM needs. */
int arch_vm_setup(int vm_fd, char *err, size_t err_len);

/* What every vCPU's setup shares (x86: KVM's supported CPUID from /dev/kvm;
 * aarch64: the VM's preferred CPU target). */
struct arch_vcpus;
int arch_vcpus_init(int kvm_fd, int vm_fd, struct arch_vcpus **out, char *err, size_t err_len);
/* Vcpu id of ncpus: its registers for the kernel's entry (the boot vCPU), or
 * waiting to be started by the guest (the others). */
int arch_vcpu_setup(const struct arch_vcpus *a, int vcpu_fd, unsigned int id, unsigned int ncpus,
		    uint64_t entry, char *err, size_t err_len);
/* After every vCPU is set up, before any runs (aarch64: the vGIC, which
 * needs all of them). */
int arch_vcpus_ready(const struct arch_vcpus *a, int vm_fd, unsigned int ncpus, char *err,
		     size_t err_len);
void arch_vcpus_free(struct arch_vcpus *a);

/* Where a vCPU is, for a dump: the names the architecture gives them. */
struct arch_regs {
	uint64_t pc, sp, flags, pt_root; /* x86: RIP, RSP, RFLAGS, CR3 */
	int priv;			 /* x86: CPL; -1 when unknown */
};
struct arch_reg_names {
	const char *pc, *sp, *flags, *pt_root, *priv;
};
extern const struct arch_reg_names arch_reg_names;
/* Reads what it can; fields it could not read are left as they were. */
void arch_vcpu_regs(int vcpu_fd, struct arch_regs *r);
/*
 * The ioctl requests arch_vcpu_regs makes, 0-terminated: the seccomp policy
 * allows them to the threads that read registers (vmm/core/seccomp.c).
 */
extern const unsigned long arch_vcpu_regs_ioctls[];

/*
 * An exit the architecture decodes itself (x86: port I/O, KVM_EXIT_IO): each
 * access goes to pio(ctx, port, data, size, write). False if the exit is
 * not one of these.
 */
typedef void arch_pio_fn(void *ctx, uint64_t port, uint8_t *data, unsigned int size, bool write);
bool arch_handle_pio(struct kvm_run *run, arch_pio_fn *pio, void *ctx);

/* ---- booting a kernel ---- */

struct arch_boot {
	uint8_t *ram; /* the host mapping of guest RAM (arch_ram_regions' offsets), all zero */
	uint64_t mem_size;
	unsigned int ncpus;
	const uint8_t *kernel;
	size_t kernel_len;
	const char *kernel_name; /* for messages */
	const uint8_t *initrd;	 /* NULL for none */
	size_t initrd_len;
	const char *cmdline; /* the user's, replacing the default; NULL for none */
	const char *append;  /* appended; NULL for none */
	bool root_on_disk;   /* the default line gets root=/dev/vda rw */
	const struct arch_mmio_slot *virtio;
	unsigned int n_virtio; /* announced to the guest */
};

struct arch_boot_result {
	uint64_t entry;
	char cmdline[4096];   /* what the guest was given */
	bool linux_guest;     /* the kernel is Linux (for minivmm_host_warning) */
	bool shutdown_resets; /* a KVM_EXIT_SHUTDOWN is the guest's reset (x86: reboot=t) */
};

/* Checks and loads the kernel and initrd, and writes every boot structure into RAM. */
int arch_boot(const struct arch_boot *b, struct arch_boot_result *r, char *err, size_t err_len);

#endif
