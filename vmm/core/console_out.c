// SPDX-License-Identifier: MIT
/*
 * The guest's console output: the UART queues what the guest transmits in
 * a ring (devices/tx_ring.h) and this thread writes it to the output fd.
 * It is the only thread that ever waits for the console's reader, so a
 * reader that falls behind costs the guest dropped bytes (counted), never a
 * vCPU or a lock anyone else needs.
 *
 * The fd stays as the embedder gave it: O_NONBLOCK on it (or on a dup,
 * which shares the file description) would change it for the embedder too.
 * So the thread waits for room in poll(), where the stop's eventfd reaches
 * it, and writes at most PIPE_BUF at a time, which a pipe that polled
 * writable takes without blocking. A write that blocks anyway (a terminal,
 * a socket, another writer on the same pipe) is ended by the VM's kick
 * signal, the one signal this thread takes, whose handler does nothing: the
 * write returns EINTR or a short count and the thread looks at its flags.
 *
 * Everything the thread touches is in struct console_out and nowhere else
 * in the VM, so a thread that cannot be ended (a write stuck in the host
 * kernel) keeps only this struct allocated.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "common/join.h"
#include "common/timespec.h"
#include "vmm/core/seccomp.h"
#include "vmm/core/signals.h"
#include "vmm/core/vm.h"
#include "vmm/core/console_out.h"

/* 64 KiB queued for a reader that is slower than the guest for a while. */
#define RING_SIZE (64u << 10)
/* Once given up, how long kicks try to end a write before the thread is left behind. */
#define ABANDON_MS    1000
#define KICK_EVERY_MS 10

struct console_out {
	struct tx_ring ring;
	int fd;
	int kick_signal;
	int seccomp;
	pthread_t thread;
	bool started;	     /* the thread exists and was not joined */
	bool stuck;	     /* it could not be ended: this struct stays allocated */
	atomic_int draining; /* end once the ring is empty */
	atomic_int abandon;  /* end now, dropping what is queued */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int ready; /* under lock: 0 starting, 1 running, < 0 its filter failed */
};

int console_out_create(struct console_out **out, int fd, int kick_signal, int seccomp)
{
	struct console_out *co = calloc(1, sizeof(*co));
	int rc;

	*out = NULL;
	if (!co)
		return -ENOMEM;
	rc = tx_ring_init(&co->ring, RING_SIZE);
	if (rc) {
		free(co);
		return rc;
	}
	co->fd = fd;
	co->kick_signal = kick_signal;
	co->seccomp = seccomp;
	atomic_init(&co->draining, 0);
	atomic_init(&co->abandon, 0);
	pthread_mutex_init(&co->lock, NULL);
	pthread_cond_init(&co->cond, NULL);
	*out = co;
	return 0;
}

struct tx_ring *console_out_ring(struct console_out *co)
{
	return co ? &co->ring : NULL;
}

uint64_t console_out_dropped(const struct console_out *co)
{
	return co ? tx_ring_dropped(&co->ring) : 0;
}

/* Writes what is queued until told to end. */
static void drain(struct console_out *co)
{
	struct pollfd pfd[2] = {
		{.fd = co->ring.wake_fd, .events = POLLIN},
		{.fd = co->fd, .events = POLLOUT},
	};

	while (!atomic_load(&co->abandon)) {
		const uint8_t *p;
		size_t n = tx_ring_peek(&co->ring, &p);
		ssize_t w;

		if (!n) {
			if (atomic_load(&co->draining))
				return;
			if (tx_ring_sleep(&co->ring)) {
				poll(pfd, 1, -1);
				tx_ring_awake(&co->ring);
			}
			continue;
		}
		/* An interrupted or failed poll: the flags are looked at again. */
		if (poll(pfd, 2, -1) < 0)
			continue;
		if (pfd[0].revents)
			tx_ring_awake(&co->ring);
		if (!pfd[1].revents)
			continue;
		w = write(co->fd, p, n < PIPE_BUF ? n : PIPE_BUF);
		if (w > 0)
			tx_ring_consume(&co->ring, (size_t)w);
		else if (w < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		else
			tx_ring_discard(&co->ring); /* EPIPE, EIO: this output takes nothing */
	}
}

static void *console_out_thread(void *arg)
{
	struct console_out *co = arg;
	sigset_t kick;
	int rc;

	pthread_setname_np(pthread_self(), "console-out");
	/* Every other signal stays blocked, as on each thread of the library. */
	sigemptyset(&kick);
	sigaddset(&kick, co->kick_signal);
	pthread_sigmask(SIG_UNBLOCK, &kick, NULL);
	/* The console input thread's list (and its test hook, which checks that list). */
	rc = seccomp_install(co->seccomp, SECCOMP_THREAD_CONSOLE, "console-out");
	pthread_mutex_lock(&co->lock);
	co->ready = rc ? rc : 1;
	pthread_cond_broadcast(&co->cond);
	pthread_mutex_unlock(&co->lock);
	if (!rc)
		drain(co);
	if (atomic_load(&co->abandon))
		tx_ring_discard(&co->ring);
	return NULL;
}

int console_out_start(struct console_out *co)
{
	int rc;

	if (!co)
		return 0;
	/* The stop may kick the thread: the handler must be there first. */
	rc = vm_kick_handler_install(co->kick_signal);
	if (rc)
		return rc;
	rc = pthread_create(&co->thread, NULL, console_out_thread, co);
	if (rc)
		return -rc;
	co->started = true;
	/* Its filter is on before the guest runs, or the VM does not start. */
	pthread_mutex_lock(&co->lock);
	while (!co->ready)
		pthread_cond_wait(&co->cond, &co->lock);
	rc = co->ready < 0 ? co->ready : 0;
	pthread_mutex_unlock(&co->lock);
	return rc;
}

bool console_out_stop(struct console_out *co, const struct timespec *deadline)
{
	if (!co || !co->started)
		return true;
	atomic_store(&co->draining, 1);
	tx_ring_wake(&co->ring);
	if (thread_join_by(co->thread, deadline) == 0) {
		co->started = false;
		return true;
	}
	/* The reader is not reading: what is left is dropped. */
	atomic_store(&co->abandon, 1);
	for (unsigned int t = 0; t < ABANDON_MS; t += KICK_EVERY_MS) {
		struct timespec next;

		clock_gettime(CLOCK_MONOTONIC, &next);
		timespec_add_ms(&next, KICK_EVERY_MS);
		tx_ring_wake(&co->ring);
		/* Repeated: a kick just before the thread enters write() is lost. */
		pthread_kill(co->thread, co->kick_signal);
		if (thread_join_by(co->thread, &next) == 0) {
			co->started = false;
			return true;
		}
	}
	co->stuck = true;
	return false;
}

void console_out_free(struct console_out *co)
{
	if (!co || co->stuck)
		return;
	tx_ring_free(&co->ring);
	pthread_mutex_destroy(&co->lock);
	pthread_cond_destroy(&co->cond);
	free(co);
}
