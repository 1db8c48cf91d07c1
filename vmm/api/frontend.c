// SPDX-License-Identifier: MIT
/* The VM as a frontend inside the library sees it (vmm/api/frontend.h). */
#include "vmm/api/frontend.h"

#include "vmm/core/seccomp.h"
#include "vmm/core/signals.h"
#include "vmm/core/vm.h"

void frontend_info(const struct minivmm *vm, struct frontend_info *info)
{
	info->ncpus = vm->ncpus;
	info->mem_size = vm->mem_size;
	info->n_devices = vm->n_virtio;
	for (unsigned int i = 0; i < vm->n_virtio; i++)
		info->devices[i] = vm->virtio[i].name;
}

bool frontend_attached(const struct minivmm *vm)
{
	return vm->frontend_stop != NULL;
}

void frontend_attach(struct minivmm *vm, void *frontend, void (*stop)(void *frontend))
{
	vm->frontend = frontend;
	vm->frontend_stop = stop;
}

int frontend_seccomp_mode(const struct minivmm *vm)
{
	return vm->cfg.seccomp;
}

int frontend_filter_thread(int mode, const char *name)
{
	return seccomp_install(mode, SECCOMP_THREAD_API, name);
}

void frontend_test_violate(void)
{
	seccomp_test_violate(SECCOMP_THREAD_API);
}

void frontend_block_signals(sigset_t *old)
{
	vm_block_signals(old);
}
