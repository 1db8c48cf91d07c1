// SPDX-License-Identifier: MIT
/*
 * The device thread's loop without io_uring (devices/dev_loop.h): ppoll(2)
 * on the eventfds whose reads are armed, then one read(2) of each that is
 * ready. Only a few events are ever armed at once (the control wake-up,
 * a kick per queue, a disk engine's completions), so a pollfd array built
 * per wait costs less than keeping an epoll set in step with arm and fire.
 */
#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include "common/timespec.h"
#include "devices/dev_loop.h"
#include "devices/dev_thread.h"

/* Every event is armed or fired, never both, so the two share the room. */
static void poll_arm(struct dev_thread *t, struct dev_event *ev)
{
	if (t->narmed + t->nfired >= DEV_FILES_MAX) {
		t->sq_failed = true;
		return;
	}
	t->armed[t->narmed++] = ev;
	ev->armed = true;
}

static int poll_submit(struct dev_thread *t)
{
	(void)t;
	return 0;
}

static void fire(struct dev_thread *t, uint64_t tag, int res)
{
	unsigned int i = (t->fired_head + t->nfired++) % DEV_FILES_MAX;

	t->fired[i].tag = tag;
	t->fired[i].res = res;
}

static int poll_wait(struct dev_thread *t, const struct timespec *deadline)
{
	struct pollfd pfd[DEV_FILES_MAX];
	struct timespec left, *timeout = NULL;
	unsigned int n = t->narmed, kept = 0;
	int rc;

	if (t->nfired)
		return 0;
	if (deadline) {
		int64_t ns = timespec_left_ns(deadline);

		if (ns <= 0)
			return -ETIME;
		left = (struct timespec){.tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000};
		timeout = &left;
	}
	for (unsigned int i = 0; i < n; i++)
		pfd[i] = (struct pollfd){.fd = t->armed[i]->fd, .events = POLLIN};
	/* ppoll, not poll: the one call both architectures have. */
	rc = ppoll(pfd, n, timeout, NULL);
	if (rc < 0)
		return errno == EINTR ? 0 : -errno;
	if (rc == 0)
		return -ETIME;
	for (unsigned int i = 0; i < n; i++) {
		struct dev_event *ev = t->armed[i];
		ssize_t got;

		if (pfd[i].revents & POLLNVAL)
			return -EBADF;
		if (!pfd[i].revents) {
			t->armed[kept++] = ev;
			continue;
		}
		/* Only this thread reads the eventfd: ready means the read
		 * returns at once, with the count, and zeroes it. */
		got = read(ev->fd, &ev->buf, sizeof(ev->buf));
		if (got < 0 && errno == EINTR) {
			t->armed[kept++] = ev;
			continue;
		}
		fire(t, ev->tag, got < 0 ? -errno : (int)got);
	}
	t->narmed = kept;
	return 0;
}

static bool poll_ready(struct dev_thread *t)
{
	return t->nfired != 0;
}

static bool poll_next(struct dev_thread *t, uint64_t *tag, int *res)
{
	if (!t->nfired)
		return false;
	*tag = t->fired[t->fired_head].tag;
	*res = t->fired[t->fired_head].res;
	t->fired_head = (t->fired_head + 1) % DEV_FILES_MAX;
	t->nfired--;
	return true;
}

static void poll_fini(struct dev_thread *t)
{
	(void)t;
}

const struct dev_loop_ops dev_loop_poll = {
	.name = "ppoll",
	.arm = poll_arm,
	.submit = poll_submit,
	.wait = poll_wait,
	.ready = poll_ready,
	.next = poll_next,
	.fini = poll_fini,
};
