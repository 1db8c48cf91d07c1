// SPDX-License-Identifier: MIT
/*
 * The seccomp filters (vmm/core/seccomp.c, vmm/core/seccomp_policy.c), installed for
 * real: Check runs each test in a process of its own, which installs one
 * kind's filter and then makes calls. What a list allows still works; a
 * call it narrows (an executable mapping, a signal to another process, a
 * stat of a path, io_uring_enter on a thread that owns no ring) ends the
 * process with SIGSYS, through the kill rule, not a signal to the group.
 * Over the tables: only device threads may enter io_uring, only the
 * tear-down may unlink (the control socket's server reads what any client
 * sends), and no list holds a call only a test hook needs.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <signal.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/unit/check_run.h"
#include "vmm/core/seccomp.h"

/*
 * Runs fn in a child process under kind's filter, its stderr kept in err.
 * Returns the child's wait status.
 */
static int run_filtered(enum seccomp_thread_kind kind, void (*fn)(void), char *err, size_t len)
{
	int p[2], status;
	ssize_t n, got = 0;
	pid_t pid;

	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(p[0]);
		dup2(p[1], STDERR_FILENO);
		if (seccomp_install(MINIVMM_SECCOMP_ON, kind, "unit-test"))
			_exit(99);
		fn();
		/* Straight to the kernel: a sanitizer's exit hooks make calls of their own. */
		syscall(SYS_exit_group, 0);
	}
	close(p[1]);
	while (got < (ssize_t)len - 1 && (n = read(p[0], err + got, len - 1 - (size_t)got)) > 0)
		got += n;
	err[got] = '\0';
	close(p[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return status;
}

static void expect_runs(enum seccomp_thread_kind kind, void (*fn)(void))
{
	char err[256];
	int status = run_filtered(kind, fn, err, sizeof(err));

	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "kind %d: status %#x: %s",
		      kind, status, err);
}

/* The process dies by SIGSYS, and stderr names the thread and the call. */
static void expect_killed(enum seccomp_thread_kind kind, void (*fn)(void), long nr)
{
	char err[256], want[128];
	int status = run_filtered(kind, fn, err, sizeof(err));

	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS, "kind %d: status %#x",
		      kind, status);
	snprintf(want, sizeof(want),
		 "minivmm: seccomp: thread unit-test made forbidden system call %ld;", nr);
	ck_assert_msg(strstr(err, want), "kind %d: stderr: %s", kind, err);
}

static bool allows(enum seccomp_thread_kind kind, int nr)
{
	for (int l = 0; l < SECCOMP_LISTS; l++)
		for (const struct seccomp_rule *r = seccomp_policy[kind][l]; r && r->why; r++)
			if (r->nr == nr)
				return true;
	return false;
}

START_TEST(only_device_threads_enter_io_uring)
{
	for (int k = 0; k < SECCOMP_THREAD_KINDS; k++) {
		ck_assert_msg(allows(k, SCMP_SYS(io_uring_enter)) == (k == SECCOMP_THREAD_DEVICE),
			      "kind %d", k);
		ck_assert(!allows(k, SCMP_SYS(io_uring_setup)));
	}
}
END_TEST

/* File I/O is the disk workers' alone: not even the device threads may read the image. */
START_TEST(only_blkio_does_file_io)
{
	static const int io[] = {SCMP_SYS(preadv2), SCMP_SYS(pwritev2), SCMP_SYS(fdatasync),
				 SCMP_SYS(fallocate)};

	for (int k = 0; k < SECCOMP_THREAD_KINDS; k++)
		for (unsigned int i = 0; i < sizeof(io) / sizeof(io[0]); i++)
			ck_assert_msg(allows(k, io[i]) == (k == SECCOMP_THREAD_BLKIO),
				      "kind %d, call %d", k, io[i]);
	ck_assert(!allows(SECCOMP_THREAD_BLKIO, SCMP_SYS(io_uring_enter)));
	ck_assert(!allows(SECCOMP_THREAD_BLKIO, SCMP_SYS(openat)));
}
END_TEST

/* A device thread without a ring waits with ppoll and reads its eventfds,
 * 8 bytes a call; the ring's device threads gain neither. */
START_TEST(only_ppoll_device_threads_read)
{
	const struct seccomp_rule *rd = NULL;

	ck_assert(allows(SECCOMP_THREAD_DEVICE_POLL, SCMP_SYS(ppoll)));
	ck_assert(!allows(SECCOMP_THREAD_DEVICE, SCMP_SYS(ppoll)));
	ck_assert(!allows(SECCOMP_THREAD_DEVICE, SCMP_SYS(read)));
	for (int l = 0; l < SECCOMP_LISTS; l++)
		for (const struct seccomp_rule *r = seccomp_policy[SECCOMP_THREAD_DEVICE_POLL][l];
		     r && r->why; r++)
			if (r->nr == SCMP_SYS(read))
				rd = r;
	ck_assert_ptr_nonnull(rd);
	ck_assert_int_eq(rd->arg, 3);
	ck_assert_uint_eq(rd->value, 8);
}
END_TEST

/* Sockets are the user-mode network's thread's alone; it opens files only
 * read-only (resolv.conf) and has no ring. */
START_TEST(only_slirp_makes_sockets)
{
	static const int net[] = {SCMP_SYS(socket), SCMP_SYS(connect), SCMP_SYS(accept),
				  SCMP_SYS(recvfrom), SCMP_SYS(shutdown)};
	const struct seccomp_rule *op = NULL;

	for (int k = 0; k < SECCOMP_THREAD_KINDS; k++)
		for (unsigned int i = 0; i < sizeof(net) / sizeof(net[0]); i++)
			ck_assert_msg(allows(k, net[i]) == (k == SECCOMP_THREAD_SLIRP),
				      "kind %d, call %d", k, net[i]);
	ck_assert(!allows(SECCOMP_THREAD_SLIRP, SCMP_SYS(io_uring_enter)));
	ck_assert(!allows(SECCOMP_THREAD_SLIRP, SCMP_SYS(bind)));
	ck_assert(!allows(SECCOMP_THREAD_SLIRP, SCMP_SYS(listen)));
	ck_assert(!allows(SECCOMP_THREAD_SLIRP, SCMP_SYS(open)));
	for (int l = 0; l < SECCOMP_LISTS; l++)
		for (const struct seccomp_rule *r = seccomp_policy[SECCOMP_THREAD_SLIRP][l];
		     r && r->why; r++)
			if (r->nr == SCMP_SYS(openat))
				op = r;
	ck_assert_ptr_nonnull(op);
	ck_assert_int_eq(op->arg, -3);
	ck_assert_uint_eq(op->value & (O_WRONLY | O_RDWR | O_CREAT), O_WRONLY | O_RDWR | O_CREAT);
}
END_TEST

/* The hang hook waits on a condition variable: pause() is in no list. */
START_TEST(no_test_hook_calls)
{
	for (int k = 0; k < SECCOMP_THREAD_KINDS; k++) {
		ck_assert(!allows(k, SCMP_SYS(pause)));
		ck_assert(!allows(k, SCMP_SYS(getppid))); /* the violation hook's call */
		ck_assert(!allows(k, SCMP_SYS(kill)));	  /* the kill rule's own call */
	}
}
END_TEST

/* Every rule says why. */
START_TEST(every_rule_has_a_reason)
{
	for (int k = 0; k < SECCOMP_THREAD_KINDS; k++) {
		ck_assert_uint_gt(seccomp_allowed_count(k), 10);
		for (int l = 0; l < SECCOMP_LISTS; l++)
			for (const struct seccomp_rule *r = seccomp_policy[k][l]; r && r->why; r++)
				ck_assert_uint_gt(strlen(r->why), 8);
	}
}
END_TEST

/* What every thread needs still works under each filter. */
static void allowed_calls(void)
{
	struct stat st;
	void *p;

	p = mmap(NULL, 1 << 16, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED || mprotect(p, 4096, PROT_READ) || munmap(p, 1 << 16))
		syscall(SYS_exit_group, 1);
	if (fstat(STDERR_FILENO, &st))
		syscall(SYS_exit_group, 2);
}

static void exec_mapping(void)
{
	mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

static void *ro_page;

static void exec_mprotect(void)
{
	mprotect(ro_page, 4096, PROT_READ | PROT_EXEC);
}

static void stat_of_a_path(void)
{
	struct stat st;

	fstatat(AT_FDCWD, "/etc/passwd", &st, 0);
}

START_TEST(narrowed_calls)
{
	ro_page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(ro_page, MAP_FAILED);
	expect_runs(_i, allowed_calls);
	expect_killed(_i, exec_mapping, SYS_mmap);
	expect_killed(_i, exec_mprotect, SYS_mprotect);
	/* The one exception: libslirp stats /etc/resolv.conf (seccomp_policy.c). */
	if (_i != SECCOMP_THREAD_SLIRP)
		expect_killed(_i, stat_of_a_path, SYS_newfstatat);
	munmap(ro_page, 4096);
}
END_TEST

static void open_to_write(void)
{
	openat(AT_FDCWD, "/dev/null", O_WRONLY);
}

static void open_to_read(void)
{
	int fd = openat(AT_FDCWD, "/dev/null", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		syscall(SYS_exit_group, 1);
}

/* The slirp thread reads resolv.conf, and may open nothing to write. */
START_TEST(slirp_opens_read_only)
{
	expect_runs(SECCOMP_THREAD_SLIRP, open_to_read);
	expect_killed(SECCOMP_THREAD_SLIRP, open_to_write, SYS_openat);
}
END_TEST

static void tgkill_own(void)
{
	if (syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), 0))
		syscall(SYS_exit_group, 1);
}

/* Signal 0 to pid 1: harmless if it ran; the filter must not let it. */
static void tgkill_other(void)
{
	syscall(SYS_tgkill, 1, 1, 0);
}

/* The control threads kick vCPUs with tgkill: their own process only. */
START_TEST(tgkill_own_process_only)
{
	expect_runs(SECCOMP_THREAD_CONTROL, tgkill_own);
	expect_killed(SECCOMP_THREAD_CONTROL, tgkill_other, SYS_tgkill);
}
END_TEST

static void uring_enter(void)
{
	syscall(SYS_io_uring_enter, -1, 0, 0, 0, NULL, 0);
}

static void uring_unregister_files(void)
{
	if (syscall(SYS_io_uring_register, -1, IORING_UNREGISTER_FILES, NULL, 0) != -1)
		syscall(SYS_exit_group, 1); /* let through, it fails: a bad fd */
}

static void uring_register_files(void)
{
	syscall(SYS_io_uring_register, -1, IORING_REGISTER_FILES, NULL, 0);
}

/*
 * io_uring_enter only where there is a ring; io_uring_register only on
 * the control threads, and only to unregister a ring's files at tear-down.
 */
START_TEST(io_uring_calls_narrowed)
{
	for (int k = 0; k < SECCOMP_THREAD_KINDS; k++) {
		bool control = k == SECCOMP_THREAD_CONTROL || k == SECCOMP_THREAD_API;

		if (k != SECCOMP_THREAD_DEVICE)
			expect_killed(k, uring_enter, SYS_io_uring_enter);
		expect_killed(k, uring_register_files, SYS_io_uring_register);
		if (control)
			expect_runs(k, uring_unregister_files);
		else
			expect_killed(k, uring_unregister_files, SYS_io_uring_register);
	}
}
END_TEST

/*
 * The control socket's server, which reads what any client sends, may not
 * remove files; the thread that destroys a VM (filtered as minivmm_run()'s
 * caller) may, to remove the socket file.
 */
START_TEST(only_teardown_unlinks)
{
	ck_assert(!allows(SECCOMP_THREAD_API, SCMP_SYS(unlink)));
	ck_assert(!allows(SECCOMP_THREAD_API, SCMP_SYS(unlinkat)));
	ck_assert(allows(SECCOMP_THREAD_CONTROL, SCMP_SYS(unlink)));
	ck_assert(allows(SECCOMP_THREAD_CONTROL, SCMP_SYS(unlinkat)));
}
END_TEST

static char unlink_path[] = "/tmp/minivmm-seccomp-XXXXXX";

static void unlink_file(void)
{
	if (unlink(unlink_path))
		syscall(SYS_exit_group, 3);
}

START_TEST(unlink_filtered)
{
	struct stat st;
	int fd = mkstemp(unlink_path);

	ck_assert_int_ge(fd, 0);
	close(fd);
	expect_killed(SECCOMP_THREAD_API, unlink_file, SYS_unlink);
	ck_assert_int_eq(stat(unlink_path, &st), 0);
	expect_runs(SECCOMP_THREAD_CONTROL, unlink_file);
	ck_assert_int_ne(stat(unlink_path, &st), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("seccomp");
	TCase *tc = tcase_create("seccomp");
	TCase *live = tcase_create("installed");

	tcase_add_test(tc, only_device_threads_enter_io_uring);
	tcase_add_test(tc, only_blkio_does_file_io);
	tcase_add_test(tc, only_ppoll_device_threads_read);
	tcase_add_test(tc, only_slirp_makes_sockets);
	tcase_add_test(tc, no_test_hook_calls);
	tcase_add_test(tc, every_rule_has_a_reason);
	tcase_add_test(tc, only_teardown_unlinks);
	suite_add_tcase(s, tc);
	if (!seccomp_supported()) {
		puts("SKIP seccomp/installed: this kernel has no seccomp filters");
		return check_run(s); /* the tables are still checked */
	}
	tcase_set_timeout(live, 60);
	tcase_add_loop_test(live, narrowed_calls, 0, SECCOMP_THREAD_KINDS);
	tcase_add_test(live, tgkill_own_process_only);
	tcase_add_test(live, slirp_opens_read_only);
	tcase_add_test(live, io_uring_calls_narrowed);
	tcase_add_test(live, unlink_filtered);
	suite_add_tcase(s, live);
	return check_run(s);
}
