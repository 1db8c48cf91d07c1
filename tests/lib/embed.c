/* SPDX-License-Identifier: MIT */
/*
 * An embedder, built by tests/lib/run.sh against the installed header and
 * libraries (as C99 and as C++): checks the library's version against the
 * header's, that config setters refuse bad values with a line of text and
 * the config's defaults pass, and that minivmm_create() refuses a missing
 * kernel with -ENOENT, a NULL VM and a line naming the file.
 * usage: embed MISSING_KERNEL
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <minivmm.h>

#define STR_(x) #x
#define STR(x)	STR_(x)

#ifdef EMBEDDER_TAP_OPEN
/* The library has an internal tap_open too; this one must win, silently. */
int tap_open(const char *name, char *err, size_t err_len);
int tap_open(const char *name, char *err, size_t err_len)
{
	(void)name;
	(void)err;
	(void)err_len;
	return 42;
}
#endif

int main(int argc, char **argv)
{
	const char *header = STR(MINIVMM_VERSION_MAJOR) "." STR(MINIVMM_VERSION_MINOR) "." STR(
		MINIVMM_VERSION_PATCH);
	struct minivmm_config *cfg;
	struct minivmm *vm;
	char err[MINIVMM_ERR_LEN] = "";
	int r;

	if (argc != 2) {
		fprintf(stderr, "usage: embed MISSING_KERNEL\n");
		return 2;
	}
	if (strcmp(minivmm_version(), header) != 0) {
		fprintf(stderr, "library %s, header %s\n", minivmm_version(), header);
		return 1;
	}
	cfg = minivmm_config_new();
	if (!cfg) {
		fprintf(stderr, "config_new failed\n");
		return 1;
	}
	vm = (struct minivmm *)cfg; /* create must set it to NULL */
	r = minivmm_config_set_mem(cfg, MINIVMM_MEM_MIN - 4096, err, sizeof(err));
	if (r != -ERANGE || !strstr(err, "out of range")) {
		fprintf(stderr, "set_mem below the minimum: %d '%s'\n", r, err);
		return 1;
	}
	r = minivmm_config_add_disk(cfg, "disk.img", 1u << 31, err, sizeof(err));
	if (r != -EINVAL || !strstr(err, "flags")) {
		fprintf(stderr, "add_disk with an unknown flag: %d '%s'\n", r, err);
		return 1;
	}
	r = minivmm_create(cfg, &vm, err, sizeof(err));
	if (r != -EINVAL || vm != NULL || strcmp(err, "no kernel given") != 0) {
		fprintf(stderr, "create without a kernel: %d '%s'\n", r, err);
		return 1;
	}
	if (minivmm_config_set_kernel(cfg, argv[1], err, sizeof(err)) ||
	    minivmm_config_set_vcpus(cfg, 2, err, sizeof(err))) {
		fprintf(stderr, "setters: '%s'\n", err);
		return 1;
	}
	vm = (struct minivmm *)cfg;
	r = minivmm_create(cfg, &vm, err, sizeof(err));
	minivmm_config_free(cfg);
	if (r != -ENOENT || vm != NULL || strstr(err, argv[1]) == NULL) {
		fprintf(stderr, "create: %d (%s), vm %p, err '%s'\n", r, strerror(-r), (void *)vm,
			err);
		return 1;
	}
#ifdef EMBEDDER_TAP_OPEN
	if (tap_open("tap0", err, sizeof(err)) != 42) {
		fprintf(stderr, "tap_open is not the embedder's\n");
		return 1;
	}
#endif
	printf("%s\n", minivmm_version());
	return 0;
}
