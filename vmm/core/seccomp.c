// SPDX-License-Identifier: MIT
#include "vmm/core/seccomp.h"

#include <errno.h>
#include <json-c/json.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "arch/arch.h"

static __thread const char *thread_name;
static pthread_once_t json_seeded = PTHREAD_ONCE_INIT;

/*
 * Makes json-c pick the seed of its key hash now. It does that once, on the
 * first key it hashes: RDRAND, else getrandom(GRND_NONBLOCK), else opening
 * /dev/urandom. Early in a boot, before the kernel's random pool is ready,
 * getrandom fails with EAGAIN, and the open on a filtered thread ended
 * minivmm with SIGSYS just before --metrics' last object and -v's counters;
 * so this runs before any seccomp filter goes on: the stats' JSON is built
 * on filtered threads.
 */
static void seed_json_hash(void)
{
	struct json_object *o = json_object_new_object();

	if (o)
		json_object_object_add(o, "seed", NULL);
	json_object_put(o);
}

/* Only async-signal-safe calls: this runs on the offending thread. */
static void put_str(char *buf, size_t *len, size_t cap, const char *s)
{
	while (*s && *len < cap)
		buf[(*len)++] = *s++;
}

static void put_num(char *buf, size_t *len, size_t cap, long v)
{
	char tmp[24];
	int n = 0;

	if (v < 0) {
		put_str(buf, len, cap, "-");
		v = -v;
	}
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v && n < (int)sizeof(tmp));
	while (n && *len < cap)
		buf[(*len)++] = tmp[--n];
}

static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	char buf[160];
	size_t len = 0;

	(void)sig;
	(void)uc;
	put_str(buf, &len, sizeof(buf), "minivmm: seccomp: thread ");
	put_str(buf, &len, sizeof(buf), thread_name ? thread_name : "?");
	put_str(buf, &len, sizeof(buf), " made forbidden system call ");
	put_num(buf, &len, sizeof(buf), si->si_syscall);
	put_str(buf, &len, sizeof(buf), "; ending with SIGSYS\n");
	(void)!write(STDERR_FILENO, buf, len);
	/*
	 * The filter answers kill with SECCOMP_RET_KILL_PROCESS: the process
	 * ends with SIGSYS before the call runs. Were it ever to run, signal 0
	 * to our own pid does nothing (never kill(0, ...): that would signal
	 * the whole process group, a CI runner's shell included).
	 */
	syscall(SYS_kill, getpid(), 0);
	_exit(128 + SIGSYS);
}

static int add_list(scmp_filter_ctx ctx, const struct seccomp_rule *r)
{
	for (; r->why; r++) {
		unsigned int a = (unsigned int)(r->arg < 0 ? -r->arg : r->arg) - 1;
		uint64_t v = r->value == SECCOMP_OWN_PID ? (uint64_t)getpid() : r->value;
		int rc;

		if (!r->arg)
			rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, r->nr, 0);
		else if (r->arg < 0)
			rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, r->nr, 1,
					      SCMP_CMP(a, SCMP_CMP_MASKED_EQ, v, 0));
		else
			rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, r->nr, 1,
					      SCMP_CMP(a, SCMP_CMP_EQ, v));
		if (rc < 0)
			return rc;
	}
	return 0;
}

static bool reads_registers(enum seccomp_thread_kind kind)
{
	return kind == SECCOMP_THREAD_VCPU || kind == SECCOMP_THREAD_CONTROL ||
	       kind == SECCOMP_THREAD_API;
}

static int add_regs_ioctls(scmp_filter_ctx ctx)
{
	for (const unsigned long *req = arch_vcpu_regs_ioctls; *req; req++) {
		int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
					  SCMP_CMP(1, SCMP_CMP_EQ, *req));

		if (rc < 0)
			return rc;
	}
	return 0;
}

int seccomp_install(enum minivmm_seccomp mode, enum seccomp_thread_kind kind, const char *name)
{
	struct sigaction sa = {.sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO};
	scmp_filter_ctx ctx;
	int rc;

	if (mode == MINIVMM_SECCOMP_OFF)
		return 0;
	if ((unsigned int)kind >= SECCOMP_THREAD_KINDS)
		return -EINVAL;
	/* Before the first filter: the only system calls json-c needs for the
	 * stats' JSON on a filtered thread (seed_json_hash). */
	pthread_once(&json_seeded, seed_json_hash);
	thread_name = name;
	sigemptyset(&sa.sa_mask);
	if (mode == MINIVMM_SECCOMP_ON && sigaction(SIGSYS, &sa, NULL) < 0)
		return -errno;
	ctx = seccomp_init(mode == MINIVMM_SECCOMP_LOG ? SCMP_ACT_LOG : SCMP_ACT_TRAP);
	if (!ctx)
		return -ENOMEM;
	rc = 0;
	for (int l = 0; !rc && l < SECCOMP_LISTS; l++)
		if (seccomp_policy[kind][l])
			rc = add_list(ctx, seccomp_policy[kind][l]);
	if (!rc && reads_registers(kind))
		rc = add_regs_ioctls(ctx);
	if (!rc && mode == MINIVMM_SECCOMP_ON)
		rc = seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, SCMP_SYS(kill), 0);
	if (!rc)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	return rc < 0 ? rc : 0;
}

bool seccomp_supported(void)
{
	/* A NULL filter: EFAULT where filters are supported, EINVAL where not. */
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, NULL, 0, 0) < 0 && errno == EFAULT;
}

unsigned int seccomp_allowed_count(enum seccomp_thread_kind kind)
{
	unsigned int n = 0;
	int last = -1;

	for (int l = 0; l < SECCOMP_LISTS; l++)
		for (const struct seccomp_rule *r = seccomp_policy[kind][l]; r && r->why; r++)
			if (r->nr != last) /* an ioctl with several requests is one call */
				n++, last = r->nr;
	return n;
}

void seccomp_test_violate(enum seccomp_thread_kind kind)
{
	static const char *const names[SECCOMP_THREAD_KINDS] = {
		[SECCOMP_THREAD_VCPU] = "vcpu",
		[SECCOMP_THREAD_DEVICE] = "device",
		[SECCOMP_THREAD_CONSOLE] = "console",
		[SECCOMP_THREAD_CONTROL] = "control",
		[SECCOMP_THREAD_API] = "api",
		[SECCOMP_THREAD_BLKIO] = "blkio",
		[SECCOMP_THREAD_DEVICE_POLL] = "device-poll",
		[SECCOMP_THREAD_SLIRP] = "slirp",
	};
	const char *want = getenv("MINIVMM_TEST_SECCOMP_VIOLATE");

	if (want && (unsigned int)kind < SECCOMP_THREAD_KINDS && !strcmp(want, names[kind]))
		syscall(SYS_getppid); /* in no list */
}
