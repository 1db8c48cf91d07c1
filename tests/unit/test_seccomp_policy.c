// SPDX-License-Identifier: MIT
/*
 * The seccomp allow-lists (vmm/seccomp_policy.c): the control socket's
 * server, which reads what any client sends, may not remove files; the
 * thread that destroys a VM (filtered as minivmm_run()'s caller) may, to
 * remove the socket file. Checked in the lists and in the filter a child
 * process installs.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/unit/check_run.h"
#include "vmm/seccomp.h"

static bool kind_allows(enum seccomp_thread_kind kind, int nr)
{
	for (unsigned int l = 0; l < SECCOMP_LISTS; l++)
		for (const struct seccomp_rule *r = seccomp_policy[kind][l]; r && r->why; r++)
			if (r->nr == nr)
				return true;
	return false;
}

START_TEST(api_lists_have_no_unlink)
{
	ck_assert_msg(!kind_allows(SECCOMP_THREAD_API, SCMP_SYS(unlink)),
		      "the control socket's server may unlink");
	ck_assert_msg(!kind_allows(SECCOMP_THREAD_API, SCMP_SYS(unlinkat)),
		      "the control socket's server may unlinkat");
	ck_assert_msg(kind_allows(SECCOMP_THREAD_CONTROL, SCMP_SYS(unlink)) &&
			      kind_allows(SECCOMP_THREAD_CONTROL, SCMP_SYS(unlinkat)),
		      "minivmm_destroy's caller cannot remove the socket file");
}
END_TEST

/*
 * In a child: installs kind's filter, unlinks path and exits 0, or dies by
 * the filter. Returns the child's wait status.
 */
static int unlink_under(enum seccomp_thread_kind kind, const char *path)
{
	int status = 0;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		/* The trap handler's line is expected: not for the test's log. */
		if (null >= 0)
			dup2(null, STDERR_FILENO);
		/* exit_group itself: a sanitizer's _exit makes calls no list has. */
		if (seccomp_install(MINIVMM_SECCOMP_ON, kind, "unit-test"))
			syscall(SYS_exit_group, 2);
		syscall(SYS_exit_group, unlink(path) ? 3 : 0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return status;
}

START_TEST(api_filter_kills_unlink)
{
	char path[] = "/tmp/minivmm-seccomp-XXXXXX";
	int fd, status;
	struct stat st;

	if (!seccomp_supported()) {
		printf("SKIP api_filter_kills_unlink: this kernel takes no seccomp filters\n");
		return;
	}
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	status = unlink_under(SECCOMP_THREAD_API, path);
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS,
		      "unlink under the api filter: wait status %#x, want SIGSYS", status);
	ck_assert_int_eq(stat(path, &st), 0);
	status = unlink_under(SECCOMP_THREAD_CONTROL, path);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "unlink under the control filter: wait status %#x", status);
	ck_assert_int_eq(stat(path, &st), -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("seccomp_policy");
	TCase *tc = tcase_create("lists");

	tcase_add_test(tc, api_lists_have_no_unlink);
	tcase_add_test(tc, api_filter_kills_unlink);
	suite_add_tcase(s, tc);
	return check_run(s);
}
