/* SPDX-License-Identifier: MIT */
/* What the api tier's cases share (tests/api/api_test.c and its other files). */
#ifndef TESTS_API_API_TEST_H
#define TESTS_API_API_TEST_H

#include <minivmm.h>

extern const char *testguest, *workdir;

struct vm {
	struct minivmm *vm;
	struct minivmm_config *cfg; /* freed once the VM is created */
	char disk[256], console[256];
	int out_fd;
	int in_pipe[2];
};

/* Prints "FAIL ..." and returns 1. */
int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The echo guest (testguest.echo=1), which never ends on its own. */
int vm_make_waiting(struct vm *v, const char *name, char *err);
void vm_free(struct vm *v);
const char *exit_text(const struct minivmm_exit *e);

int case_socket(void);
int case_socket_umask(void);
int case_socket_idle(void);
int case_socket_taken_over(void);

#endif
