/* SPDX-License-Identifier: MIT */
/*
 * An embedder, built by tests/lib/run.sh against the installed header and
 * libraries (as C99 and as C++): checks the library's version against the
 * header's, the config defaults, and that minivmm_create() refuses a missing
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
	struct minivmm_config cfg;
	struct minivmm *vm = (struct minivmm *)&cfg; /* create must set it to NULL */
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
	minivmm_config_init(&cfg);
	if (cfg.mem_size != 256ULL << 20 || cfg.cpus != 1 || cfg.n_disks != 0) {
		fprintf(stderr, "config_init: mem_size %llu cpus %u n_disks %u\n",
			(unsigned long long)cfg.mem_size, cfg.cpus, cfg.n_disks);
		return 1;
	}
	cfg.kernel = argv[1];
	r = minivmm_create(&cfg, &vm, err, sizeof(err));
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
