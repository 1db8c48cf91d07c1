// SPDX-License-Identifier: MIT
/* Feeds the guest's serial port from the console input fd. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include "vmm/core/seccomp.h"
#include "vmm/core/vm.h"
#include "vmm/core/console.h"

static void *console_thread(void *arg)
{
	struct minivmm *vm = arg;
	struct pollfd pfd[2] = {
		{.fd = vm->cfg.console_in, .events = POLLIN},
		{.fd = vm->console_wake[0], .events = POLLIN},
	};
	uint8_t buf[256];
	int rc;

	pthread_setname_np(pthread_self(), "console");
	rc = seccomp_install(vm->cfg.seccomp, SECCOMP_THREAD_CONSOLE, "console");
	pthread_mutex_lock(&vm->exit_lock);
	vm->console_ready = rc ? rc : 1;
	pthread_cond_broadcast(&vm->exit_cond);
	pthread_mutex_unlock(&vm->exit_lock);
	if (rc)
		return NULL;
	seccomp_test_violate(SECCOMP_THREAD_CONSOLE);
	while (!atomic_load(&vm->stopping)) {
		ssize_t n;

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[1].revents)
			break;
		if (!(pfd[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		n = read(vm->cfg.console_in, buf, sizeof(buf));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break; /* end of input: the guest just gets no more */
		if (serial_receive(&vm->serial, buf, (size_t)n) < (size_t)n)
			break;
	}
	return NULL;
}

int console_start(struct minivmm *vm)
{
	int rc;

	if (vm->cfg.console_in < 0)
		return 0;
	if (pipe2(vm->console_wake, O_CLOEXEC) < 0)
		return -errno;
	rc = pthread_create(&vm->console_thread, NULL, console_thread, vm);
	if (rc)
		return -rc;
	vm->console_started = 1;
	/* Its filter is on before the guest runs, or the VM does not start. */
	pthread_mutex_lock(&vm->exit_lock);
	while (!vm->console_ready)
		pthread_cond_wait(&vm->exit_cond, &vm->exit_lock);
	rc = vm->console_ready < 0 ? vm->console_ready : 0;
	pthread_mutex_unlock(&vm->exit_lock);
	return rc;
}

void console_stop(struct minivmm *vm)
{
	if (!vm->console_started)
		return;
	serial_close(&vm->serial);
	(void)!write(vm->console_wake[1], "x", 1);
	pthread_join(vm->console_thread, NULL);
	close(vm->console_wake[0]);
	close(vm->console_wake[1]);
	vm->console_started = 0;
}
