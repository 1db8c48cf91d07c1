// SPDX-License-Identifier: MIT
/*
 * arch/arch.h, the KVM side on aarch64: vCPUs through KVM_ARM_VCPU_INIT
 * with PSCI 0.2, the in-kernel vGIC (v3, else v2), register reads for
 * dumps. The arch timer needs nothing here: KVM emulates it in the kernel
 * and the device tree names its PPIs.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "arch/aarch64/kvm.h"
#include "arch/aarch64/layout.h"
#include "arch/arch.h"

#define CORE_REG(name) \
	(KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | KVM_REG_ARM_CORE_REG(name))
#define TTBR0_EL1 ARM64_SYS_REG(3, 0, 2, 0, 0)

/* EL1h, with D, A, I and F masked: the state booting.rst asks for. */
#define PSTATE_BOOT 0x3c5ULL

/* Nothing before the vCPUs: the vGIC comes after them (arch_vcpus_ready).
 * Only check that KVM has what the device tree promises. */
int arch_vm_setup(int vm_fd, char *err, size_t err_len)
{
	if (ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_ARM_PSCI_0_2) <= 0) {
		snprintf(err, err_len, "KVM offers no PSCI 0.2 (KVM_CAP_ARM_PSCI_0_2)");
		return -ENOTSUP;
	}
	return 0;
}

/* What every vCPU's init shares: the CPU type KVM prefers on this host. */
struct arch_vcpus {
	struct kvm_vcpu_init init;
};

int arch_vcpus_init(int kvm_fd, int vm_fd, struct arch_vcpus **out, char *err, size_t err_len)
{
	struct arch_vcpus *a = calloc(1, sizeof(*a));

	(void)kvm_fd;
	*out = NULL;
	if (!a) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	if (ioctl(vm_fd, KVM_ARM_PREFERRED_TARGET, &a->init) < 0) {
		int e = errno;

		snprintf(err, err_len, "KVM_ARM_PREFERRED_TARGET failed: %s", strerror(e));
		free(a);
		return -e;
	}
	*out = a;
	return 0;
}

static int set_reg(int vcpu_fd, uint64_t id, uint64_t v)
{
	struct kvm_one_reg r = {.id = id, .addr = (uint64_t)(uintptr_t)&v};

	return ioctl(vcpu_fd, KVM_SET_ONE_REG, &r) < 0 ? -errno : 0;
}

static int get_reg(int vcpu_fd, uint64_t id, uint64_t *v)
{
	struct kvm_one_reg r = {.id = id, .addr = (uint64_t)(uintptr_t)v};

	return ioctl(vcpu_fd, KVM_GET_ONE_REG, &r) < 0 ? -errno : 0;
}

int arch_vcpu_setup(const struct arch_vcpus *a, int vcpu_fd, unsigned int id, unsigned int ncpus,
		    uint64_t entry, char *err, size_t err_len)
{
	struct kvm_vcpu_init init = a->init;
	int rc;

	(void)ncpus;
	/* PSCI 0.2 in the kernel: CPU_ON starts the secondaries, which wait
	 * powered off until then, and SYSTEM_OFF/RESET come back as
	 * KVM_EXIT_SYSTEM_EVENT. */
	init.features[0] |= 1u << KVM_ARM_VCPU_PSCI_0_2;
	if (id)
		init.features[0] |= 1u << KVM_ARM_VCPU_POWER_OFF;
	if (ioctl(vcpu_fd, KVM_ARM_VCPU_INIT, &init) < 0) {
		rc = -errno;
		snprintf(err, err_len, "KVM_ARM_VCPU_INIT of vCPU %u failed: %s", id,
			 strerror(-rc));
		return rc;
	}
	if (id)
		return 0;
	/* booting.rst: x0 the DTB, x1-x3 zero, MMU and caches off (KVM's reset state). */
	rc = set_reg(vcpu_fd, CORE_REG(regs.regs[0]), A64_DTB_ADDR);
	for (unsigned int i = 1; !rc && i < 4; i++)
		rc = set_reg(vcpu_fd, CORE_REG(regs.regs[i]), 0);
	if (!rc)
		rc = set_reg(vcpu_fd, CORE_REG(regs.pstate), PSTATE_BOOT);
	if (!rc)
		rc = set_reg(vcpu_fd, CORE_REG(regs.pc), entry);
	if (rc)
		snprintf(err, err_len, "KVM_SET_ONE_REG on the boot vCPU failed: %s",
			 strerror(-rc));
	return rc;
}

static int dev_attr(int fd, uint32_t group, uint64_t attr, const void *val, const char *what,
		    char *err, size_t err_len)
{
	struct kvm_device_attr a = {.group = group, .attr = attr, .addr = (uint64_t)(uintptr_t)val};

	if (ioctl(fd, KVM_SET_DEVICE_ATTR, &a) < 0) {
		int e = errno;

		snprintf(err, err_len, "vGIC %s failed: %s", what, strerror(e));
		return -e;
	}
	return 0;
}

static int create_vgic(int vm_fd, uint32_t type, uint32_t flags)
{
	struct kvm_create_device d = {.type = type, .flags = flags};

	return ioctl(vm_fd, KVM_CREATE_DEVICE, &d) < 0 ? -errno : (int)d.fd;
}

/*
 * The vGIC goes in after every vCPU exists: a GICv3 must be initialised
 * (KVM_DEV_ARM_VGIC_CTRL_INIT) before the first KVM_RUN, and that needs
 * all vCPUs, whose redistributors it lays out one after the other. The
 * device fd is closed afterwards: the vGIC lives as long as the VM.
 */
int arch_vcpus_ready(const struct arch_vcpus *a, int vm_fd, unsigned int ncpus, char *err,
		     size_t err_len)
{
	uint64_t dist = A64_GIC_DIST_BASE, second;
	uint32_t nr_irqs = A64_GIC_NR_IRQS;
	unsigned int v3 = 1;
	int fd, rc;

	(void)a;
	fd = create_vgic(vm_fd, KVM_DEV_TYPE_ARM_VGIC_V3, 0);
	if (fd == -ENODEV) {
		v3 = 0;
		fd = create_vgic(vm_fd, KVM_DEV_TYPE_ARM_VGIC_V2, 0);
	}
	if (fd < 0) {
		snprintf(err, err_len, "KVM_CREATE_DEVICE of a vGIC%s failed: %s",
			 v3 ? "v3" : "v2 (no v3)", strerror(-fd));
		return fd;
	}
	if (!v3 && ncpus > A64_GICV2_MAX_CPUS) {
		snprintf(err, err_len, "this host's vGIC is a GICv2: at most %d vCPUs",
			 A64_GICV2_MAX_CPUS);
		close(fd);
		return -EINVAL;
	}
	second = v3 ? A64_GIC_REDIST_BASE : A64_GICV2_CPU_BASE;
	rc = dev_attr(fd, KVM_DEV_ARM_VGIC_GRP_ADDR,
		      v3 ? KVM_VGIC_V3_ADDR_TYPE_DIST : KVM_VGIC_V2_ADDR_TYPE_DIST, &dist,
		      "distributor address", err, err_len);
	if (!rc)
		rc = dev_attr(fd, KVM_DEV_ARM_VGIC_GRP_ADDR,
			      v3 ? KVM_VGIC_V3_ADDR_TYPE_REDIST : KVM_VGIC_V2_ADDR_TYPE_CPU,
			      &second, v3 ? "redistributor address" : "CPU interface address", err,
			      err_len);
	if (!rc)
		rc = dev_attr(fd, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &nr_irqs, "interrupt count", err,
			      err_len);
	if (!rc)
		rc = dev_attr(fd, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL,
			      "init", err, err_len);
	close(fd);
	return rc;
}

unsigned int a64_gic_version(void)
{
	unsigned int v = 3;
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC), vm;

	if (kvm < 0)
		return 3;
	do
		vm = ioctl(kvm, KVM_CREATE_VM, 0);
	while (vm < 0 && errno == EINTR); /* as in kvm_vm_open: seen in nested arm64 KVM */
	if (vm >= 0) {
		if (create_vgic(vm, KVM_DEV_TYPE_ARM_VGIC_V3, KVM_CREATE_DEVICE_TEST) < 0 &&
		    create_vgic(vm, KVM_DEV_TYPE_ARM_VGIC_V2, KVM_CREATE_DEVICE_TEST) >= 0)
			v = 2;
		close(vm);
	}
	close(kvm);
	return v;
}

void arch_vcpus_free(struct arch_vcpus *a)
{
	free(a);
}

const struct arch_reg_names arch_reg_names = {
	.pc = "PC", .sp = "SP_EL1", .flags = "PSTATE", .pt_root = "TTBR0_EL1", .priv = "EL"};

/* arm64 KVM has no KVM_GET_REGS: every register is one KVM_GET_ONE_REG. */
const unsigned long arch_vcpu_regs_ioctls[] = {KVM_GET_ONE_REG, 0};

void arch_vcpu_regs(int vcpu_fd, struct arch_regs *r)
{
	uint64_t v;

	if (!get_reg(vcpu_fd, CORE_REG(regs.pc), &v))
		r->pc = v;
	if (!get_reg(vcpu_fd, CORE_REG(sp_el1), &v))
		r->sp = v;
	if (!get_reg(vcpu_fd, CORE_REG(regs.pstate), &v)) {
		r->flags = v;
		r->priv = (int)((v >> 2) & 3); /* PSTATE.EL */
	}
	if (!get_reg(vcpu_fd, TTBR0_EL1, &v))
		r->pt_root = v;
}

/* aarch64 has no port I/O: every device is on the MMIO bus. */
bool arch_handle_pio(struct kvm_run *run, arch_pio_fn *pio, void *ctx)
{
	(void)run;
	(void)pio;
	(void)ctx;
	return false;
}
