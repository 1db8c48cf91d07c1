// SPDX-License-Identifier: MIT
/* The KVM VM: its fds, interrupt controllers and guest RAM slots. */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "arch/arch.h"
#include "vmm/core/vm.h"
#include "vmm/core/kvm_vm.h"

/* Enough for any burst of signals, not an endless loop if EINTR sticks. */
#define KVM_CREATE_VM_TRIES 1000

static int vm_ioctl(struct minivmm *vm, unsigned long req, unsigned long arg, const char *what,
		    char *err, size_t err_len)
{
	if (ioctl(vm->vm_fd, req, arg) < 0) {
		int e = errno;

		snprintf(err, err_len, "%s failed: %s", what, strerror(e));
		return -e;
	}
	return 0;
}

int kvm_vm_open(struct minivmm *vm, char *err, size_t err_len)
{
	const char *path = vm->cfg.kvm_path ? vm->cfg.kvm_path : "/dev/kvm";
	int e, rc;

	vm->kvm_fd = open(path, O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		e = errno;
		snprintf(err, err_len, "cannot open %s: %s%s", path, strerror(e),
			 e == ENOENT ? " (this host offers no KVM)" : "");
		return -e;
	}
	rc = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (rc != KVM_API_VERSION) {
		snprintf(err, err_len, "%s speaks KVM API %d, minivmm needs %d", path, rc,
			 KVM_API_VERSION);
		return -ENOTSUP;
	}
	/* KVM_CREATE_VM can fail with EINTR when a signal is pending while it
	 * sets up (seen now and then in nested arm64 KVM); it is safe to repeat. */
	for (int tries = 0; tries < KVM_CREATE_VM_TRIES; tries++) {
		vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
		if (vm->vm_fd >= 0 || errno != EINTR)
			break;
	}
	if (vm->vm_fd < 0) {
		e = errno;
		snprintf(err, err_len, "KVM_CREATE_VM failed: %s", strerror(e));
		return -e;
	}
	return arch_vm_setup(vm->vm_fd, err, err_len);
}

static int set_slot(struct minivmm *vm, uint32_t slot, uint64_t gpa, uint64_t size, void *host,
		    char *err, size_t err_len)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uint64_t)(uintptr_t)host,
	};

	return vm_ioctl(vm, KVM_SET_USER_MEMORY_REGION, (unsigned long)&r,
			"KVM_SET_USER_MEMORY_REGION", err, err_len);
}

/* The size of a transparent huge page on every host minivmm runs on. */
#define THP_SIZE (2ULL << 20)

/*
 * An anonymous mapping of size bytes that starts on a THP_SIZE boundary:
 * over-allocate by one huge page and give back the ends. Older kernels
 * (Debian 12's 6.1) do not align large anonymous mappings by themselves,
 * and a guest page can only be a huge page in both the host's and KVM's
 * page tables when host address and guest address agree modulo 2 MiB.
 */
static void *mmap_thp_aligned(uint64_t size)
{
	uint64_t len = size + THP_SIZE, head;
	uint8_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		return p;
	head = (THP_SIZE - ((uintptr_t)p & (THP_SIZE - 1))) & (THP_SIZE - 1);
	if (head)
		munmap(p, head);
	munmap(p + head + size, THP_SIZE - head);
	return p + head;
}

int vm_alloc_ram(struct minivmm *vm, char *err, size_t err_len)
{
	void *p;

	p = mmap_thp_aligned(vm->mem_size);
	if (p == MAP_FAILED) {
		int e = errno;

		snprintf(err, err_len, "cannot allocate %llu MiB of guest RAM: %s",
			 (unsigned long long)vm->mem_size >> 20, strerror(e));
		return -e;
	}
	/*
	 * Transparent huge pages for guest RAM where the host offers them on
	 * request (as QEMU and Cloud Hypervisor ask by default): fewer TLB
	 * misses for the guest, and an O_DIRECT read into guest memory pins
	 * one page where it pinned 32 and reaches the disk in fewer segments
	 * (test guest, 128 KiB sequential reads with ,direct: 1.5x). Without
	 * THP in the host kernel the call fails and changes nothing.
	 */
	(void)madvise(p, vm->mem_size, MADV_HUGEPAGE);
	/*
	 * Guest memory stays out of core dumps of the VMM (it is the guest's,
	 * and can be large). The flag also keeps the mapping from merging with
	 * a neighbouring anonymous one, so /proc/PID/smaps shows guest RAM as
	 * one mapping of its own (the device benchmark's footprint reads it so).
	 */
	(void)madvise(p, vm->mem_size, MADV_DONTDUMP);
	vm->ram = p;
	vm->n_ram = arch_ram_regions(vm->mem_size, vm->ram_regions);
	/* The one path from guest addresses to host pointers for devices. */
	gm_init(&vm->gm);
	for (unsigned int i = 0; i < vm->n_ram; i++) {
		const struct arch_ram_region *r = &vm->ram_regions[i];

		if (gm_add_region(&vm->gm, r->gpa, r->size, vm->ram + r->offset)) {
			snprintf(err, err_len, "cannot register guest RAM with the device layer");
			return -EINVAL;
		}
	}
	return 0;
}

int kvm_vm_map_ram(struct minivmm *vm, char *err, size_t err_len)
{
	int rc = 0;

	for (unsigned int i = 0; i < vm->n_ram && !rc; i++) {
		const struct arch_ram_region *r = &vm->ram_regions[i];

		rc = set_slot(vm, i, r->gpa, r->size, vm->ram + r->offset, err, err_len);
	}
	return rc;
}

void kvm_vm_close_fds(struct minivmm *vm)
{
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	vm->vm_fd = vm->kvm_fd = -1;
}

void kvm_vm_close(struct minivmm *vm)
{
	if (vm->ram)
		munmap(vm->ram, vm->mem_size);
	vm->ram = NULL;
	kvm_vm_close_fds(vm);
}
