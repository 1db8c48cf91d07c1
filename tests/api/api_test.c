// SPDX-License-Identifier: MIT
/*
 * The lifecycle API as an embedder drives it, against the shared library:
 * several VMs in one process, create/start/stop/destroy cycles with fds and
 * RSS measured, pause/resume under load, the exit eventfd and a shutdown
 * request the guest ignores, the control socket (api_socket_case.c). The
 * guest is the freestanding test guest
 * (guests/testguest), which this host's KVM runs directly.
 *
 * usage: api_test CASE TESTGUEST WORKDIR
 * Prints one line, "ok DETAIL" or "FAIL REASON", and exits 0 or 1;
 * tests/api/run.sh turns it into a PASS/FAIL line.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <dirent.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stddef.h>
#include <time.h>
#include <unistd.h>

#include <minivmm.h>

#include "api_test.h"

#define MAX_VMS	 8
#define DISK_MIB 64
/* A VM that hangs must not hang the test: every VM has this --timeout. */
#define VM_TIMEOUT_MS 120000

const char *testguest, *workdir;

int fail(const char *fmt, ...)
{
	va_list ap;

	printf("FAIL ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	return 1;
}

/* What every test-guest VM here has: defaults, console output to a file, no input. */
static int vm_setup(struct vm *v, const char *name, const char *append, char *err)
{
	memset(v, 0, sizeof(*v));
	v->out_fd = v->in_pipe[0] = v->in_pipe[1] = -1;
	v->cfg = minivmm_config_new();
	if (!v->cfg) {
		snprintf(err, MINIVMM_ERR_LEN, "out of memory");
		return -1;
	}
	snprintf(v->console, sizeof(v->console), "%s/%s.console", workdir, name);
	v->out_fd = open(v->console, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (v->out_fd < 0) {
		snprintf(err, MINIVMM_ERR_LEN, "open %s: %s", v->console, strerror(errno));
		return -1;
	}
	if (minivmm_config_set_kernel(v->cfg, testguest, err, MINIVMM_ERR_LEN) ||
	    minivmm_config_set_mem(v->cfg, 64ULL << 20, err, MINIVMM_ERR_LEN) ||
	    minivmm_config_set_timeout(v->cfg, VM_TIMEOUT_MS, err, MINIVMM_ERR_LEN) ||
	    minivmm_config_set_append(v->cfg, append, err, MINIVMM_ERR_LEN) ||
	    minivmm_config_set_console_fds(v->cfg, -1, v->out_fd, err, MINIVMM_ERR_LEN))
		return -1;
	return 0;
}

/* Creates the VM of v->cfg, which is then freed: the VM has its own copy. */
static int vm_create(struct vm *v, char *err)
{
	int rc = minivmm_create(v->cfg, &v->vm, err, MINIVMM_ERR_LEN);

	minivmm_config_free(v->cfg);
	v->cfg = NULL;
	return rc < 0 ? -1 : 0;
}

/* A fresh sparse disk of DISK_MIB at path. */
static int make_disk(const char *path, char *err)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0 || ftruncate(fd, (off_t)DISK_MIB << 20) < 0) {
		snprintf(err, MINIVMM_ERR_LEN, "disk %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* Up to create: a test-guest VM with a fresh sparse disk when disk, console to a file. */
static int vm_prepare(struct vm *v, const char *name, bool disk, const char *append, char *err)
{
	if (vm_setup(v, name, append, err))
		return -1;
	if (disk) {
		snprintf(v->disk, sizeof(v->disk), "%s/%s.img", workdir, name);
		if (make_disk(v->disk, err) ||
		    minivmm_config_add_disk(v->cfg, v->disk, 0, err, MINIVMM_ERR_LEN) < 0)
			return -1;
	}
	return 0;
}

/* A test-guest VM: a fresh sparse disk when disk, console to a file. */
static int vm_make(struct vm *v, const char *name, bool disk, const char *append, char *err)
{
	return vm_prepare(v, name, disk, append, err) ? -1 : vm_create(v, err);
}

/* Up to create: the echo guest (testguest.echo=1), with its input from a pipe. */
static int vm_prepare_waiting(struct vm *v, const char *name, char *err)
{
	if (vm_setup(v, name, "testguest.echo=1", err))
		return -1;
	if (pipe2(v->in_pipe, O_CLOEXEC) < 0) {
		snprintf(err, MINIVMM_ERR_LEN, "pipe: %s", strerror(errno));
		return -1;
	}
	if (minivmm_config_set_console_fds(v->cfg, v->in_pipe[0], v->out_fd, err, MINIVMM_ERR_LEN))
		return -1;
	return 0;
}

/* The echo guest (testguest.echo=1) waits for a console line: it never ends alone. */
int vm_make_waiting(struct vm *v, const char *name, char *err)
{
	return vm_prepare_waiting(v, name, err) ? -1 : vm_create(v, err);
}

void vm_free(struct vm *v)
{
	minivmm_destroy(v->vm);
	v->vm = NULL;
	minivmm_config_free(v->cfg);
	v->cfg = NULL;
	if (v->out_fd >= 0)
		close(v->out_fd);
	for (int i = 0; i < 2; i++)
		if (v->in_pipe[i] >= 0)
			close(v->in_pipe[i]);
	v->out_fd = v->in_pipe[0] = v->in_pipe[1] = -1;
}

/* The number of workload lines, or -1 if one of them counted errors. */
static int bench_lines_clean(const struct vm *v)
{
	char buf[1024];
	FILE *f = fopen(v->console, "r");
	int n = 0;

	if (!f)
		return -1;
	while (n >= 0 && fgets(buf, sizeof(buf), f))
		if (!strncmp(buf, "TESTGUEST-BENCH: ", 17) && strstr(buf, " errors="))
			n = strspn(strstr(buf, " errors=") + 8, "0") == 1 &&
					    strchr("\r\n", strstr(buf, " errors=")[9])
				    ? n + 1
				    : -1;
	fclose(f);
	return n;
}

/* True if the console file holds line. */
static bool console_has(const struct vm *v, const char *line)
{
	char buf[1 << 16];
	FILE *f = fopen(v->console, "r");
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(buf, sizeof(buf), f))
		found = strstr(buf, line) != NULL;
	fclose(f);
	return found;
}

const char *exit_text(const struct minivmm_exit *e)
{
	static char s[MINIVMM_ERR_LEN + 64];

	snprintf(s, sizeof(s), "%s status %d (%s)", minivmm_exit_reason_name(e->reason), e->status,
		 e->message);
	return s;
}

#define CORRECT "TESTGUEST: correctness ok writes=256 reads=256 errors=0 bad_ids=0"

/* N test guests with a disk each, all started before any is waited for. */
static int case_multi(unsigned int n)
{
	struct vm v[MAX_VMS];
	struct minivmm_exit ex;
	char err[MINIVMM_ERR_LEN];
	unsigned int held = 0;
	int rc = 0;

	for (unsigned int i = 0; i < n; i++) {
		char name[32];

		snprintf(name, sizeof(name), "multi%u-%u", n, i);
		if (vm_make(&v[i], name, true, NULL, err)) {
			for (unsigned int j = 0; j < i; j++)
				vm_free(&v[j]);
			return fail("VM %u: %s", i, err);
		}
	}
	for (unsigned int i = 0; i < n; i++)
		if (minivmm_start(v[i].vm))
			return fail("start of VM %u failed", i);
	/* How many were alive together (a guest may already be done: not asserted). */
	for (unsigned int i = 0; i < n; i++)
		held += minivmm_pause(v[i].vm) == 0;
	for (unsigned int i = 0; i < n; i++)
		minivmm_resume(v[i].vm);
	for (unsigned int i = 0; i < n && !rc; i++) {
		if (minivmm_wait(v[i].vm, &ex))
			rc = fail("wait of VM %u failed", i);
		else if (ex.reason != MINIVMM_EXIT_STATUS_PORT || ex.status != 0)
			rc = fail("VM %u: %s", i, exit_text(&ex));
		else if (!console_has(&v[i], CORRECT))
			rc = fail("VM %u: no '%s' on its console %s", i, CORRECT, v[i].console);
	}
	for (unsigned int i = 0; i < n; i++)
		vm_free(&v[i]);
	if (!rc)
		printf("ok %u VMs, each verified its own disk; %u held by one pause round at "
		       "once\n",
		       n, held);
	return rc;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1; /* the directory's own fd */
}

static void *no_op(void *arg)
{
	return arg;
}

/*
 * The threads of this process. A sanitizer's runtime starts a thread of
 * its own at the first pthread_create (ThreadSanitizer's background
 * thread): one thread is started and joined first, so that it is counted
 * in every count, before and after a VM alike.
 */
static int count_threads(void)
{
	static bool settled;
	DIR *d;
	struct dirent *e;
	int n = 0;
	pthread_t t;

	if (!settled && pthread_create(&t, NULL, no_op, NULL) == 0) {
		pthread_join(t, NULL);
		settled = true;
	}
	d = opendir("/proc/self/task");
	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* Open fds on /dev/kvm or a KVM VM or vCPU. */
static int count_kvm_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		char path[300], target[256];
		ssize_t l;

		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		l = readlink(path, target, sizeof(target) - 1);
		if (l <= 0)
			continue;
		target[l] = '\0';
		n += !strcmp(target, "/dev/kvm") || !strncmp(target, "anon_inode:kvm-", 15);
	}
	closedir(d);
	return n;
}

static long rss_kib(void)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");
	long kib = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/*
 * Bound of the RSS growth from cycle 10 to 200: a leak of 5 KiB per cycle
 * (one small allocation per thread, say) would exceed it over 190 cycles;
 * glibc's arenas and the loaded kernel file's pages stay below it.
 */
#define RSS_BOUND_KIB 1024

static int case_cycles(unsigned int cycles)
{
	int fds10 = -1, fds_end;
	long rss10 = -1, rss_end;
	char err[MINIVMM_ERR_LEN];

	for (unsigned int c = 1; c <= cycles; c++) {
		struct minivmm_exit ex;
		struct vm v;

		if (vm_make(&v, "cycle", true, NULL, err)) {
			vm_free(&v);
			return fail("cycle %u: %s", c, err);
		}
		if (minivmm_start(v.vm))
			return fail("cycle %u: start failed", c);
		minivmm_stop(v.vm);
		if (minivmm_wait(v.vm, &ex))
			return fail("cycle %u: wait failed", c);
		/* The guest may have ended first (it is quick), never otherwise. */
		if (ex.reason != MINIVMM_EXIT_STOPPED &&
		    !(ex.reason == MINIVMM_EXIT_STATUS_PORT && ex.status == 0))
			return fail("cycle %u: %s", c, exit_text(&ex));
		if (ex.reason == MINIVMM_EXIT_STOPPED && ex.status != MINIVMM_STATUS_STOPPED)
			return fail("cycle %u: stopped with status %d, want %d", c, ex.status,
				    MINIVMM_STATUS_STOPPED);
		vm_free(&v);
		if (c == 10) {
			fds10 = count_fds();
			rss10 = rss_kib();
		}
	}
	fds_end = count_fds();
	rss_end = rss_kib();
	if (fds10 < 0 || rss10 < 0 || fds_end < 0 || rss_end < 0)
		return fail("cannot read /proc/self");
	if (fds_end != fds10)
		return fail("open fds %d at cycle 10, %d at cycle %u", fds10, fds_end, cycles);
	if (rss_end - rss10 > RSS_BOUND_KIB)
		return fail("RSS %ld KiB at cycle 10, %ld KiB at cycle %u (bound +%d KiB)", rss10,
			    rss_end, cycles, RSS_BOUND_KIB);
	printf("ok %u cycles: open fds %d at cycle 10 and %d at %u; RSS %ld KiB and %ld KiB "
	       "(%+ld, bound +%d)\n",
	       cycles, fds10, fds_end, cycles, rss10, rss_end, rss_end - rss10, RSS_BOUND_KIB);
	return 0;
}

/* The virtio-blk counters of vda that count requests, from minivmm_print_stats. */
struct blk_counts {
	uint64_t reads, writes, flushes, read_bytes, written_bytes, io_errors, rejected;
};

static int blk_counts(struct minivmm *vm, struct blk_counts *c)
{
	char *text = NULL, *p;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int n;

	if (!f)
		return -1;
	minivmm_print_stats(vm, f);
	fclose(f);
	p = strstr(text, "vda: virtio-blk");
	n = p ? sscanf(strstr(p, " reads="),
		       " reads=%" SCNu64 " writes=%" SCNu64 " flushes=%" SCNu64
		       " read_bytes=%" SCNu64 " written_bytes=%" SCNu64 " io_errors=%" SCNu64,
		       &c->reads, &c->writes, &c->flushes, &c->read_bytes, &c->written_bytes,
		       &c->io_errors)
	      : 0;
	p = p ? strstr(p, " rejected=") : NULL;
	if (p)
		n += sscanf(p, " rejected=%" SCNu64, &c->rejected);
	free(text);
	return n == 7 ? 0 : -1;
}

/* Every counter of every device, as text: what a held VM must not change. */
static char *stats_text(struct minivmm *vm)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	minivmm_print_stats(vm, f);
	fclose(f);
	return text;
}

static bool ended(struct minivmm *vm)
{
	struct pollfd pfd = {.fd = minivmm_exit_fd(vm), .events = POLLIN};

	return poll(&pfd, 1, 0) == 1;
}

static uint64_t requests(const struct blk_counts *c)
{
	return c->reads + c->writes + c->flushes;
}

#define LOAD "testguest.bench=1 testguest.ops=4000"
/* Requests of the guest's checking phase, before its workloads (guests/testguest/main.c). */
#define CHECK_REQUESTS (2 * 256 + 4 * 256 + 2 + 1)
#define PAUSES	       50

/*
 * The test guest checks its data and then runs its workloads, while the
 * host pauses and resumes it PAUSES times, each time once it has made
 * progress. While paused its counters stay put; at the end it passed its
 * checks and every counter equals an unpaused run's: no request lost or
 * done twice.
 */
static int case_pause(void)
{
	struct blk_counts ref, now, a, b;
	struct minivmm_exit ex;
	char err[MINIVMM_ERR_LEN];
	uint64_t last = 0, con_a, con_b;
	unsigned int pauses = 0, checking = 0;
	char *text_a, *text_b;
	bool moved;
	struct vm v;

	if (vm_make(&v, "pause-ref", true, LOAD, err))
		return fail("reference VM: %s", err);
	if (minivmm_run(v.vm, &ex) || ex.reason != MINIVMM_EXIT_STATUS_PORT || ex.status != 0)
		return fail("reference run: %s", exit_text(&ex));
	if (blk_counts(v.vm, &ref))
		return fail("reference run: no virtio-blk counters");
	vm_free(&v);

	if (vm_make(&v, "pause", true, LOAD, err))
		return fail("VM: %s", err);
	if (minivmm_start(v.vm))
		return fail("start failed");
	while (pauses < PAUSES && !ended(v.vm)) {
		struct timespec ms = {0, 1000000};

		/* Progress since the last pause (or the start), then pause at once. */
		if (blk_counts(v.vm, &now))
			return fail("no counters");
		if (requests(&now) == last) {
			nanosleep(&ms, NULL);
			continue;
		}
		if (minivmm_pause(v.vm))
			break; /* it ended meanwhile: too few pauses, said below */
		pauses++;
		blk_counts(v.vm, &a);
		checking += requests(&a) < CHECK_REQUESTS;
		con_a = minivmm_console_bytes(v.vm);
		text_a = stats_text(v.vm);
		/* Time for a running guest or device to move on; a held one cannot. */
		nanosleep(&ms, NULL);
		blk_counts(v.vm, &b);
		con_b = minivmm_console_bytes(v.vm);
		text_b = stats_text(v.vm);
		moved = !text_a || !text_b || strcmp(text_a, text_b);
		free(text_a);
		free(text_b);
		if (moved || memcmp(&a, &b, sizeof(a)) || con_a != con_b)
			return fail("pause %u: progress while paused: requests %" PRIu64
				    " then %" PRIu64 ", console bytes %" PRIu64 " then %" PRIu64
				    ", device counters %s",
				    pauses, requests(&a), requests(&b), con_a, con_b,
				    moved ? "changed" : "the same");
		last = requests(&b);
		if (minivmm_resume(v.vm))
			return fail("resume %u failed", pauses);
	}
	if (minivmm_wait(v.vm, &ex))
		return fail("wait failed");
	if (pauses < PAUSES)
		return fail("the guest ended after %u pauses (%s); want %d", pauses, exit_text(&ex),
			    PAUSES);
	if (ex.reason != MINIVMM_EXIT_STATUS_PORT || ex.status != 0)
		return fail("%s", exit_text(&ex));
	if (!console_has(&v, CORRECT))
		return fail("no '%s' on the console %s", CORRECT, v.console);
	if (bench_lines_clean(&v) != 12)
		return fail("want 12 workload lines with errors=0 on the console %s", v.console);
	if (blk_counts(v.vm, &now))
		return fail("no counters at the end");
	if (memcmp(&now, &ref, sizeof(now)))
		return fail("counters differ from an unpaused run's: reads %" PRIu64 "/%" PRIu64
			    " writes %" PRIu64 "/%" PRIu64 " flushes %" PRIu64 "/%" PRIu64
			    " errors %" PRIu64 "/%" PRIu64 " rejected %" PRIu64 "/%" PRIu64,
			    now.reads, ref.reads, now.writes, ref.writes, now.flushes, ref.flushes,
			    now.io_errors, ref.io_errors, now.rejected, ref.rejected);
	vm_free(&v);
	printf("ok %u pauses under load (%u while the guest checked its data), none moved; %" PRIu64
	       " requests, as unpaused\n",
	       pauses, checking, requests(&now));
	return 0;
}

/*
 * A device thread that never answers must not hang a pause. The test-only
 * hook (MINIVMM_TEST_HANG_THREAD, read at start) hangs the disk's thread
 * the first time it is woken for a control operation: the guest's device
 * reset, or the pause's own wake-up. The pause fails with -ETIMEDOUT after
 * MINIVMM_PAUSE_TIMEOUT_MS, the VM runs on, and a stop still ends it,
 * naming the thread it had to leave behind.
 */
static int case_pause_hung_device(void)
{
	struct minivmm_exit ex;
	char err[MINIVMM_ERR_LEN];
	int rc, threads0 = count_threads(), threads_end, kvm_fds;
	struct vm v;

	if (vm_make(&v, "pause-hung", true, LOAD, err))
		return fail("VM: %s", err);
	setenv("MINIVMM_TEST_HANG_THREAD", "vda", 1);
	rc = minivmm_start(v.vm);
	unsetenv("MINIVMM_TEST_HANG_THREAD");
	if (rc)
		return fail("start failed: %d", rc);
	rc = minivmm_pause(v.vm);
	if (rc != -ETIMEDOUT)
		return fail("pause with a hung device thread returned %d, not -ETIMEDOUT", rc);
	minivmm_stop(v.vm);
	if (minivmm_wait(v.vm, &ex) || ex.reason != MINIVMM_EXIT_STOPPED)
		return fail("stop: %s", exit_text(&ex));
	if (!strstr(ex.stuck, "vda"))
		return fail("the stop did not name the hung thread (stuck: '%s')", ex.stuck);
	vm_free(&v);
	/* Destroy kept the hung thread and what it uses, and freed the rest: vCPUs, KVM. */
	threads_end = count_threads();
	kvm_fds = count_kvm_fds();
	if (threads_end != threads0 + 1 || kvm_fds)
		return fail("after destroy: %d threads (%d before the VM, want 1 more: the hung "
			    "one), %d KVM fds still open",
			    threads_end, threads0, kvm_fds);
	printf("ok the pause timed out (-ETIMEDOUT); the stop ended the VM, leaving behind: %s; "
	       "destroy freed all but it (no KVM fd open)\n",
	       ex.stuck);
	return 0;
}

/* Whether this kernel takes madvise at all (the middle layer's has no ADVISE_SYSCALLS). */
static bool madvise_works(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	bool ok = p != MAP_FAILED && madvise(p, 4096, MADV_DONTDUMP) == 0;

	if (p != MAP_FAILED)
		munmap(p, 4096);
	return ok;
}

/*
 * 1 if a mapping of exactly kib KiB in this process carries the smaps
 * VmFlags flag (" dd", " hg"), 0 if none does, -1 when this kernel cannot
 * say: no smaps (no CONFIG_PROC_PAGE_MONITOR) or no madvise (the middle
 * layer's tinyconfig).
 */
static int mapping_has_flag(unsigned long kib, const char *flag)
{
	char line[512];
	FILE *f = madvise_works() ? fopen("/proc/self/smaps", "r") : NULL;
	bool size_ok = false, found = false;

	if (!f)
		return -1;
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned long sz;

		if (sscanf(line, "Size: %lu kB", &sz) == 1)
			size_ok = sz == kib;
		else if (size_ok && !strncmp(line, "VmFlags:", 8))
			found = strstr(line, flag) != NULL;
	}
	fclose(f);
	return found;
}

/* Whether this kernel has transparent huge pages at all (it may not, one level down). */
static bool thp_in_kernel(void)
{
	return access("/sys/kernel/mm/transparent_hugepage/enabled", F_OK) == 0;
}

/*
 * exit_fd is not readable while the VM runs or is paused, and is once it
 * ended: stopped by the host (while paused), or by the guest itself.
 */
static int case_exit_fd(void)
{
	struct pollfd pfd = {.events = POLLIN};
	int undumped, huge;
	struct minivmm_exit ex;
	char err[MINIVMM_ERR_LEN];
	struct vm v;

	if (vm_make_waiting(&v, "exitfd-stop", err))
		return fail("VM: %s", err);
	/*
	 * Guest RAM (64 MiB here) stays out of the embedder's core dumps, and
	 * asks for transparent huge pages where the kernel has them.
	 */
	undumped = mapping_has_flag(64 << 10, " dd");
	if (!undumped)
		return fail("guest RAM is not marked MADV_DONTDUMP (no 64 MiB mapping with 'dd')");
	huge = undumped > 0 && thp_in_kernel() ? mapping_has_flag(64 << 10, " hg") : -1;
	if (!huge)
		return fail("guest RAM is not marked MADV_HUGEPAGE (no 64 MiB mapping with 'hg')");
	pfd.fd = minivmm_exit_fd(v.vm);
	if (pfd.fd < 0)
		return fail("no exit fd");
	if (poll(&pfd, 1, 0) != 0)
		return fail("readable before start");
	if (minivmm_start(v.vm) || minivmm_pause(v.vm))
		return fail("start or pause failed");
	if (poll(&pfd, 1, 0) != 0)
		return fail("readable while paused");
	if (minivmm_resume(v.vm) || poll(&pfd, 1, 0) != 0)
		return fail("readable while running");
	if (minivmm_pause(v.vm))
		return fail("second pause failed");
	minivmm_stop(v.vm);
	if (poll(&pfd, 1, VM_TIMEOUT_MS) != 1)
		return fail("not readable after a stop while paused");
	if (minivmm_wait(v.vm, &ex) || ex.reason != MINIVMM_EXIT_STOPPED ||
	    ex.status != MINIVMM_STATUS_STOPPED)
		return fail("stopped: %s", exit_text(&ex));
	if (minivmm_pause(v.vm) != -ESHUTDOWN)
		return fail("pause after the end did not say -ESHUTDOWN");
	vm_free(&v);

	/* The guest ends by itself once it got its line. */
	if (vm_make_waiting(&v, "exitfd-guest", err))
		return fail("VM: %s", err);
	pfd.fd = minivmm_exit_fd(v.vm);
	if (minivmm_start(v.vm))
		return fail("start failed");
	if (poll(&pfd, 1, 0) != 0)
		return fail("readable before the guest got its line");
	/* Typed while paused: held, not lost, and delivered after resume. */
	if (minivmm_pause(v.vm))
		return fail("pause failed");
	if (write(v.in_pipe[1], "bye\n", 4) != 4)
		return fail("cannot write the guest's line");
	if (poll(&pfd, 1, 0) != 0)
		return fail("readable while paused");
	if (minivmm_resume(v.vm))
		return fail("resume failed");
	if (poll(&pfd, 1, VM_TIMEOUT_MS) != 1)
		return fail("not readable after the guest ended");
	if (minivmm_wait(v.vm, &ex) || ex.reason != MINIVMM_EXIT_STATUS_PORT || ex.status != 0)
		return fail("guest end: %s", exit_text(&ex));
	vm_free(&v);
	printf("ok guest RAM %s, %s; not readable before start, running or paused; readable "
	       "after a stop and after the guest's own end (its line typed while paused)\n",
	       undumped > 0 ? "out of core dumps"
			    : "dump flag not checked (no madvise or smaps in this kernel)",
	       huge > 0 ? "asks for huge pages"
			: "huge-page flag not checked (no THP in this kernel)");
	return 0;
}

/*
 * minivmm_run() and minivmm_wait() with a NULL exit record, as waitpid()
 * takes a NULL status: the VM still runs to its end, and a later wait with
 * a record gets that end.
 */
static int case_null_exit(void)
{
	char err[MINIVMM_ERR_LEN];
	struct minivmm_exit ex;
	struct vm v;

	/* The echo guest ends by itself with its line already there. */
	if (vm_make_waiting(&v, "null-run", err))
		return fail("VM: %s", err);
	if (write(v.in_pipe[1], "bye\n", 4) != 4)
		return fail("cannot write the guest's line");
	if (minivmm_run(v.vm, NULL))
		return fail("run(vm, NULL) failed");
	if (minivmm_wait(v.vm, NULL))
		return fail("wait(vm, NULL) after run failed");
	if (minivmm_wait(v.vm, &ex) || ex.reason != MINIVMM_EXIT_STATUS_PORT || ex.status != 0)
		return fail("after run(vm, NULL): %s", exit_text(&ex));
	vm_free(&v);

	if (vm_make_waiting(&v, "null-wait", err))
		return fail("VM: %s", err);
	if (minivmm_wait(v.vm, NULL) != -EINVAL)
		return fail("wait(vm, NULL) before start did not say -EINVAL");
	if (minivmm_start(v.vm))
		return fail("start failed");
	minivmm_stop(v.vm);
	if (minivmm_wait(v.vm, NULL))
		return fail("wait(vm, NULL) failed");
	if (minivmm_wait(v.vm, &ex) || ex.reason != MINIVMM_EXIT_STOPPED)
		return fail("after wait(vm, NULL): %s", exit_text(&ex));
	vm_free(&v);
	printf("ok run(vm, NULL) ran the guest to its end, wait(vm, NULL) after a stop; "
	       "the records kept\n");
	return 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

#define GRACE_MS 300

/*
 * The echo guest has no keyboard driver: it ignores the request. With no
 * grace it runs on; with one it is stopped once the grace is over, as a
 * host stop naming the ignored request.
 */
static int case_shutdown_ignored(void)
{
	struct pollfd pfd = {.events = POLLIN};
	struct minivmm_exit ex;
	char err[MINIVMM_ERR_LEN];
	uint64_t asked;
	struct vm v;
	int r;

	if (vm_make_waiting(&v, "shutdown", err))
		return fail("VM: %s", err);
	pfd.fd = minivmm_exit_fd(v.vm);
	if ((r = minivmm_request_shutdown(v.vm, GRACE_MS)) != -EINVAL)
		return fail("request before start: %d, want -EINVAL", r);
	if (minivmm_start(v.vm))
		return fail("start failed");
	if ((r = minivmm_request_shutdown(v.vm, 0)))
		return fail("request without grace: %d", r);
	/* Nothing ends it now but the next request's grace. */
	if (minivmm_pause(v.vm) || minivmm_resume(v.vm) || poll(&pfd, 1, 0) != 0)
		return fail("ended (or could not be paused) after a request without grace");
	asked = now_ms();
	/* The first press is still unread: no room for a second, the grace holds. */
	if ((r = minivmm_request_shutdown(v.vm, GRACE_MS)) != -EBUSY)
		return fail("second request: %d, want -EBUSY", r);
	if (minivmm_wait(v.vm, &ex))
		return fail("wait failed");
	if (ex.reason != MINIVMM_EXIT_STOPPED || ex.status != MINIVMM_STATUS_STOPPED ||
	    !strstr(ex.message, "did not shut down within 300 ms"))
		return fail("%s", exit_text(&ex));
	/* The grace is a lower bound the library must keep. */
	if (now_ms() - asked < GRACE_MS)
		return fail("stopped %llu ms after the request, before its %d ms grace",
			    (unsigned long long)(now_ms() - asked), GRACE_MS);
	if ((r = minivmm_request_shutdown(v.vm, GRACE_MS)) != -ESHUTDOWN)
		return fail("request after the end: %d, want -ESHUTDOWN", r);
	vm_free(&v);
	printf("ok ignored; stopped after the %d ms grace: %s\n", GRACE_MS, exit_text(&ex));
	return 0;
}

struct sampler {
	struct minivmm *vm;
	unsigned int samples;
	char bad[256];
};

/*
 * Another thread than the VM's owner: counters never go back while it
 * runs, in the struct or in the text (minivmm_print_stats, which the CLI
 * prints from its own thread too).
 */
static void *sample(void *arg)
{
	struct sampler *sm = arg;
	struct minivmm_stats *prev = calloc(1, sizeof(*prev)), *cur = calloc(1, sizeof(*cur));
	struct blk_counts text_prev = {0}, text;

	if (!prev || !cur) {
		snprintf(sm->bad, sizeof(sm->bad), "out of memory");
		goto out;
	}
	while (!ended(sm->vm) && !sm->bad[0]) {
		struct timespec ms = {0, 1000000};

		cur->size = sizeof(*cur);
		if (minivmm_get_stats(sm->vm, cur) || cur->size != sizeof(*cur)) {
			snprintf(sm->bad, sizeof(sm->bad), "get_stats failed");
			break;
		}
		if (blk_counts(sm->vm, &text)) {
			snprintf(sm->bad, sizeof(sm->bad), "no text counters");
			break;
		}
		if (text.reads + text.writes < text_prev.reads + text_prev.writes)
			snprintf(sm->bad, sizeof(sm->bad),
				 "a text counter went back: reads+writes %" PRIu64 " -> %" PRIu64,
				 text_prev.reads + text_prev.writes, text.reads + text.writes);
		text_prev = text;
		if (sm->samples &&
		    (cur->devices[0].requests < prev->devices[0].requests ||
		     cur->devices[0].queues[0].completed < prev->devices[0].queues[0].completed ||
		     cur->vcpus[0].exits < prev->vcpus[0].exits ||
		     cur->uptime_ms < prev->uptime_ms))
			snprintf(sm->bad, sizeof(sm->bad),
				 "a counter went back: requests %" PRIu64 " -> %" PRIu64
				 ", exits %" PRIu64 " -> %" PRIu64,
				 prev->devices[0].requests, cur->devices[0].requests,
				 prev->vcpus[0].exits, cur->vcpus[0].exits);
		*prev = *cur;
		sm->samples++;
		nanosleep(&ms, NULL);
	}
out:
	free(prev);
	free(cur);
	return NULL;
}

/* d's counter called name; UINT64_MAX (which no test expects) when it has none. */
static uint64_t counter(const struct minivmm_device_stats *d, const char *name)
{
	uint64_t v;

	return minivmm_device_counter(d, name, &v) ? UINT64_MAX : v;
}

static const char *const blk_keys[] = {
	"reads",      "writes",	     "flushes",	   "discards",	     "write_zeroes",
	"get_ids",    "rx_packets",  "tx_packets", "read_bytes",     "written_bytes",
	"err_eio",    "err_enospc",  "err_other",  "err_short",	     "rejected",
	"misaligned", "rx_drops",    "tx_drops",   "rx_read_errors", "max_inflight",
	"poll_hits",  "merged_reqs", "merged_ios",
};

/* The JSON of s names the state and vda's requests (and every counter) as s has them. */
static int check_json(const struct minivmm_stats *s, const char *state)
{
	char *text = minivmm_stats_json(s);
	struct json_object *o, *devs, *dev, *v;
	int ok;

	if (!text)
		return fail("no JSON");
	o = json_tokener_parse(text);
	ok = o && json_object_object_get_ex(o, "state", &v) &&
	     !strcmp(json_object_get_string(v), state) &&
	     json_object_object_get_ex(o, "devices", &devs) &&
	     json_object_array_length(devs) == s->n_devices &&
	     (dev = json_object_array_get_idx(devs, 0)) &&
	     json_object_object_get_ex(dev, "requests", &v) &&
	     json_object_get_uint64(v) == s->devices[0].requests;
	/* A disk's keys are those it always had, whatever else a kind adds. */
	for (unsigned int i = 0; ok && i < sizeof(blk_keys) / sizeof(blk_keys[0]); i++)
		ok = json_object_object_get_ex(dev, blk_keys[i], &v) &&
		     json_object_get_uint64(v) == counter(&s->devices[0], blk_keys[i]);
	json_object_put(o);
	if (!ok) {
		fail("JSON does not match the struct (want state %s): %s", state, text);
		free(text);
		return 1;
	}
	free(text);
	return 0;
}

/*
 * minivmm_get_stats: before start, live from another thread while the
 * guest works (nothing goes back, nor in minivmm_print_stats' text),
 * versioned by size, and at the end equal to the text counters; its JSON
 * parses back to the same numbers.
 */
static int case_stats(void)
{
	struct minivmm_stats *s = calloc(1, sizeof(*s)), *small = calloc(1, sizeof(*s));
	size_t part = offsetof(struct minivmm_stats, devices);
	struct sampler sm = {0};
	struct minivmm_exit ex;
	char err[MINIVMM_ERR_LEN];
	struct blk_counts text;
	const struct minivmm_device_stats *d;
	pthread_t t;
	struct vm v;

	if (!s || !small)
		return fail("out of memory");
	if (vm_make(&v, "stats", true, LOAD, err))
		return fail("VM: %s", err);
	s->size = sizeof(*s);
	if (minivmm_get_stats(v.vm, s) || s->state != MINIVMM_STATE_CREATED || s->n_devices != 1 ||
	    s->n_vcpus != 1 || strcmp(s->devices[0].name, "vda") ||
	    strcmp(s->devices[0].kind, "virtio-blk") || s->devices[0].requests)
		return fail("before start: state %d, %u devices, %u vCPUs", s->state, s->n_devices,
			    s->n_vcpus);
	if (check_json(s, "created"))
		return 1;
	/* An older caller's smaller struct: filled up to its size, not a byte more. */
	memset(small, 0xab, sizeof(*small));
	small->size = part;
	if (minivmm_get_stats(v.vm, small) || small->size != part ||
	    small->state != MINIVMM_STATE_CREATED || ((unsigned char *)small)[part] != 0xab)
		return fail("a struct of %zu bytes was not filled to exactly its size", part);
	/* The devices are last: one that has no room for any gets none counted. */
	if (small->n_devices != 0)
		return fail("%u devices counted in a struct with room for none", small->n_devices);
	memset(small, 0xab, sizeof(*small));
	small->size = part + sizeof(small->devices[0]);
	if (minivmm_get_stats(v.vm, small) || small->n_devices != 1 ||
	    strcmp(small->devices[0].name, "vda") ||
	    ((unsigned char *)small)[part + sizeof(small->devices[0])] != 0xab)
		return fail("a struct with room for one device: %u devices", small->n_devices);
	small->size = 1;
	if (minivmm_get_stats(v.vm, small) != -EINVAL)
		return fail("a struct smaller than its size field was accepted");

	sm.vm = v.vm;
	if (minivmm_start(v.vm) || pthread_create(&t, NULL, sample, &sm))
		return fail("start failed");
	pthread_join(t, NULL);
	if (sm.bad[0])
		return fail("live: %s", sm.bad);
	if (minivmm_wait(v.vm, &ex) || ex.reason != MINIVMM_EXIT_STATUS_PORT || ex.status)
		return fail("%s", exit_text(&ex));
	s->size = sizeof(*s);
	if (minivmm_get_stats(v.vm, s) || blk_counts(v.vm, &text))
		return fail("no counters at the end");
	d = &s->devices[0];
	if (s->state != MINIVMM_STATE_ENDED || counter(d, "reads") != text.reads ||
	    counter(d, "writes") != text.writes || counter(d, "flushes") != text.flushes ||
	    counter(d, "read_bytes") != text.read_bytes ||
	    counter(d, "written_bytes") != text.written_bytes ||
	    counter(d, "rejected") != text.rejected ||
	    d->requests != counter(d, "reads") + counter(d, "writes") + counter(d, "flushes") +
				   counter(d, "get_ids") + counter(d, "discards") +
				   counter(d, "write_zeroes"))
		return fail("final counters differ from the text ones: reads %" PRIu64 "/%" PRIu64
			    " writes %" PRIu64 "/%" PRIu64,
			    counter(d, "reads"), text.reads, counter(d, "writes"), text.writes);
	/* Every chain taken was completed; the guest exited through a port. */
	if (d->n_queues != 1 || d->queues[0].completed != d->queues[0].popped ||
	    !d->queues[0].popped || !s->vcpus[0].exits_io || !s->console_bytes)
		return fail("queue popped %" PRIu64 " completed %" PRIu64 ", port exits %" PRIu64,
			    d->queues[0].popped, d->queues[0].completed, s->vcpus[0].exits_io);
	if (check_json(s, "ended"))
		return 1;
	vm_free(&v);
	printf("ok %u live samples from another thread, none went back; %" PRIu64
	       " requests, as the text counters; JSON round-trips\n",
	       sm.samples, d->requests);
	free(s);
	free(small);
	return 0;
}

/*
 * A virtio-rng beside the disk: reported after it as its own kind, with
 * its own counters by name and only those, in the struct and the JSON,
 * while the disk keeps its keys (check_json).
 */
static int case_stats_rng(void)
{
	struct minivmm_stats *s = calloc(1, sizeof(*s));
	struct json_object *o = NULL, *devs, *rng, *v;
	char err[MINIVMM_ERR_LEN], *text;
	uint64_t bytes;
	struct vm v_;
	int ok;

	if (!s)
		return fail("out of memory");
	if (vm_prepare(&v_, "stats_rng", true, LOAD, err) ||
	    minivmm_config_add_rng(v_.cfg, err, sizeof(err)) != 0 || vm_create(&v_, err))
		return fail("VM: %s", err);
	s->size = sizeof(*s);
	if (minivmm_get_stats(v_.vm, s) || s->n_devices != 2 ||
	    strcmp(s->devices[1].name, "rng0") || strcmp(s->devices[1].kind, "virtio-rng") ||
	    minivmm_device_counter(&s->devices[1], "bytes", &bytes) || bytes ||
	    minivmm_device_counter(&s->devices[1], "reads", &bytes) != -ENOENT)
		return fail("%u devices; the second '%s' of kind '%s'", s->n_devices,
			    s->devices[1].name, s->devices[1].kind);
	if (check_json(s, "created"))
		return 1;
	text = minivmm_stats_json(s);
	o = text ? json_tokener_parse(text) : NULL;
	ok = o && json_object_object_get_ex(o, "devices", &devs) &&
	     (rng = json_object_array_get_idx(devs, 1)) &&
	     json_object_object_get_ex(rng, "bytes", &v) &&
	     json_object_object_get_ex(rng, "short_fills", &v) &&
	     json_object_object_get_ex(rng, "requests", &v) &&
	     !json_object_object_get_ex(rng, "reads", &v);
	json_object_put(o);
	if (!ok) {
		fail("the rng's JSON: %s", text ? text : "none");
		free(text);
		return 1;
	}
	free(text);
	vm_free(&v_);
	free(s);
	printf("ok virtio-rng reported as rng0 with its own counters, the disk's keys kept\n");
	return 0;
}

/* The CLI's --metrics file (WORKDIR/metrics.jsonl): JSON lines, the last one at the end. */
static int case_metrics_file(void)
{
	char path[512], line[1 << 16];
	uint64_t last = 0;
	unsigned int n = 0, running = 0;
	bool ended_last = false;
	FILE *f;

	snprintf(path, sizeof(path), "%s/metrics.jsonl", workdir);
	f = fopen(path, "r");
	if (!f)
		return fail("no %s", path);
	while (fgets(line, sizeof(line), f)) {
		struct json_object *o = json_tokener_parse(line), *st, *devs, *v = NULL;
		uint64_t req;

		n++;
		if (!o || !json_object_object_get_ex(o, "state", &st) ||
		    !json_object_object_get_ex(o, "devices", &devs) ||
		    !json_object_object_get_ex(json_object_array_get_idx(devs, 0), "requests",
					       &v)) {
			json_object_put(o);
			fclose(f);
			return fail("line %u is not the stats object: %.200s", n, line);
		}
		req = json_object_get_uint64(v);
		running += !strcmp(json_object_get_string(st), "running");
		if (req < last || (strcmp(json_object_get_string(st), "running") &&
				   strcmp(json_object_get_string(st), "ended"))) {
			json_object_put(o);
			fclose(f);
			return fail("line %u: state %s, requests %" PRIu64 " after %" PRIu64, n,
				    json_object_get_string(st), req, last);
		}
		last = req;
		ended_last = !strcmp(json_object_get_string(st), "ended");
		json_object_put(o);
	}
	fclose(f);
	if (!ended_last)
		return fail("%u lines; the last one's state is not \"ended\"", n);
	if (!running || !last)
		return fail("%u lines, %u while running, %" PRIu64 " requests", n, running, last);
	printf("ok %u JSON lines, %u while running, the last at the end with %" PRIu64
	       " requests\n",
	       n, running, last);
	return 0;
}

static volatile sig_atomic_t marker_hits;

static void marker(int sig)
{
	(void)sig;
	marker_hits++;
}

typedef void (*handler_fn)(int);

/* The handler sig has now (sa_handler), or NULL if it cannot be read. */
static handler_fn handler_of(int sig)
{
	struct sigaction sa;

	return sigaction(sig, NULL, &sa) == 0 ? sa.sa_handler : NULL;
}

/*
 * Whether sig's bit is set in the "SigBlk:" mask of thread tid, as
 * /proc/self/task/TID/status shows it: 1, 0, or -1 when it cannot be read.
 * Its name (comm) into name.
 */
static int thread_blocks(const char *tid, int sig, char *name, size_t name_len)
{
	char path[128], line[256];
	unsigned long long mask;
	int found = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%s/comm", tid);
	f = fopen(path, "r");
	if (!f || !fgets(name, (int)name_len, f))
		snprintf(name, name_len, "?");
	if (f)
		fclose(f);
	name[strcspn(name, "\n")] = '\0';
	snprintf(path, sizeof(path), "/proc/self/task/%s/status", tid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (found < 0 && fgets(line, sizeof(line), f))
		if (sscanf(line, "SigBlk: %llx", &mask) == 1)
			found = (int)((mask >> (sig - 1)) & 1);
	fclose(f);
	return found;
}

/*
 * Every thread of the library blocks SIGINT, SIGTERM, SIGPIPE, SIGUSR1 and
 * SIGRTMIN; a vCPU thread and the console output thread take kick, every
 * other thread blocks it. The
 * calling thread is not looked at. "" or what is wrong.
 */
static const char *library_thread_masks(int kick, unsigned int *threads)
{
	static const int async_sigs[] = {SIGINT, SIGTERM, SIGPIPE, SIGUSR1};
	static char bad[512];
	char self[32], name[64];
	struct dirent *e;
	DIR *d = opendir("/proc/self/task");

	bad[0] = '\0';
	*threads = 0;
	if (!d)
		return "cannot read /proc/self/task";
	snprintf(self, sizeof(self), "%ld", (long)gettid());
	while ((e = readdir(d)) && !bad[0]) {
		bool vcpu;
		int b;

		if (e->d_name[0] == '.' || !strcmp(e->d_name, self))
			continue;
		(*threads)++;
		b = thread_blocks(e->d_name, kick, name, sizeof(name));
		/* The console output thread takes it too: it ends a write that blocks. */
		vcpu = !strncmp(name, "vcpu", 4) || !strcmp(name, "console-out");
		if (b < 0 || b == vcpu)
			snprintf(bad, sizeof(bad), "thread %s (%s) %s the kick signal", e->d_name,
				 name,
				 b < 0 ? "?"
				 : b   ? "blocks"
				       : "takes");
		for (unsigned int i = 0; !bad[0] && i < sizeof(async_sigs) / sizeof(int); i++)
			if (thread_blocks(e->d_name, async_sigs[i], name, sizeof(name)) != 1)
				snprintf(bad, sizeof(bad), "thread %s (%s) takes signal %d",
					 e->d_name, name, async_sigs[i]);
		if (!bad[0] && thread_blocks(e->d_name, SIGRTMIN, name, sizeof(name)) != 1)
			snprintf(bad, sizeof(bad), "thread %s (%s) takes SIGRTMIN", e->d_name,
				 name);
	}
	closedir(d);
	return bad;
}

#define KICK_PAUSES 5
/* A kick that does not work ends the test this soon (the pause then fails). */
#define KICK_TIMEOUT_MS 20000

/* Every signal the kernel has is in both sets or in neither. */
static bool same_signals(const sigset_t *a, const sigset_t *b)
{
	for (int sig = 1; sig <= SIGRTMAX; sig++)
		if (sigismember(a, sig) != sigismember(b, sig))
			return false;
	return true;
}

/* Waits (polling) until the console file holds line; false after limit_ms. */
static bool wait_console(const struct vm *v, const char *line, unsigned int limit_ms)
{
	struct timespec ms = {0, 1000000};

	for (unsigned int i = 0; i < limit_ms; i++) {
		if (console_has(v, line))
			return true;
		nanosleep(&ms, NULL);
	}
	return false;
}

/*
 * A kick signal of the embedder's choosing (SIGRTMIN + 5) pauses and stops
 * a guest that spins at CPL3 (its vCPU never leaves KVM_RUN on its own;
 * without a working kick the pause would wait for the VM's timeout), while
 * SIGRTMIN keeps the embedder's own handler and is never raised; the
 * caller's signal mask stays as it was; the library's threads take no
 * signal sent to the process.
 */
static int case_kick_signal(void)
{
	struct sigaction sa = {.sa_handler = marker};
	struct minivmm_stats *s = calloc(1, sizeof(*s));
	int kick = SIGRTMIN + 5;
	sigset_t before, after, rtmin;
	struct minivmm_exit ex;
	char err[MINIVMM_ERR_LEN];
	unsigned int threads = 0;
	const char *bad;
	struct vm v;
	int r;

	if (!s)
		return fail("out of memory");
	/* The embedder's: its own handlers on SIGRTMIN and SIGUSR1, SIGRTMIN blocked here. */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGRTMIN, &sa, NULL) || sigaction(SIGUSR1, &sa, NULL))
		return fail("sigaction: %s", strerror(errno));
	sigemptyset(&rtmin);
	sigaddset(&rtmin, SIGRTMIN);
	pthread_sigmask(SIG_BLOCK, &rtmin, NULL);
	pthread_sigmask(SIG_BLOCK, NULL, &before);
	if (handler_of(kick) != SIG_DFL)
		return fail("signal %d already has a handler", kick);

	if (vm_setup(&v, "kick", "testguest.spin=1", err) ||
	    minivmm_config_set_timeout(v.cfg, KICK_TIMEOUT_MS, err, sizeof(err)))
		return fail("VM: %s", err);
	r = minivmm_config_set_kick_signal(v.cfg, SIGKILL, err, sizeof(err));
	if (r != -EINVAL || !strstr(err, "kick signal"))
		return fail("SIGKILL as kick signal: %d '%s'", r, err);
	if (minivmm_config_set_kick_signal(v.cfg, kick, err, sizeof(err)) || vm_create(&v, err))
		return fail("VM: %s", err);
	if (minivmm_start(v.vm))
		return fail("start failed");
	pthread_sigmask(SIG_BLOCK, NULL, &after);
	if (!same_signals(&before, &after))
		return fail("start changed the caller's signal mask");
	if (!wait_console(&v, "TESTGUEST: spinning", KICK_TIMEOUT_MS))
		return fail("the guest did not start spinning");
	for (unsigned int i = 0; i < KICK_PAUSES; i++) {
		if ((r = minivmm_pause(v.vm)))
			return fail("pause %u: %d (the vCPU was not kicked out of KVM_RUN?)", i, r);
		if (i == 0) {
			/* Held: every vCPU thread ran past its own mask change. */
			bad = library_thread_masks(kick, &threads);
			if (bad[0])
				return fail("%s", bad);
		}
		s->size = sizeof(*s);
		if (minivmm_get_stats(v.vm, s) || s->state != MINIVMM_STATE_PAUSED)
			return fail("pause %u: state %d", i, s->state);
		if (minivmm_resume(v.vm))
			return fail("resume %u failed", i);
	}
	minivmm_stop(v.vm);
	if (minivmm_wait(v.vm, &ex) || ex.reason != MINIVMM_EXIT_STOPPED)
		return fail("stop: %s", exit_text(&ex));
	/*
	 * Not asserted: how many pauses took the vCPU out of KVM_RUN by the
	 * kick (exits_intr). On the paravirtual KVM of these hosts the spinning
	 * vCPU also leaves KVM_RUN on its own now and then, and parks then
	 * without a kick; 0 of 5 was seen about once in ten runs.
	 */
	s->size = sizeof(*s);
	if (minivmm_get_stats(v.vm, s))
		return fail("no stats after the stop");
	vm_free(&v);
	pthread_sigmask(SIG_BLOCK, NULL, &after);
	if (!same_signals(&before, &after))
		return fail("the run changed the caller's signal mask");
	if (handler_of(SIGRTMIN) != marker || handler_of(SIGUSR1) != marker)
		return fail("the library replaced the handler of SIGRTMIN or SIGUSR1");
	if (handler_of(kick) == SIG_DFL || handler_of(kick) == SIG_IGN ||
	    handler_of(kick) == marker)
		return fail("no handler of the library's on the kick signal %d", kick);
	if (handler_of(SIGSYS) != SIG_DFL)
		return fail("SIGSYS has a handler although seccomp is off");
	/* SIGRTMIN is blocked here: one sent to the process would still be pending. */
	if (sigpending(&after) || sigismember(&after, SIGRTMIN) || marker_hits)
		return fail("SIGRTMIN was raised (%d handler runs)", (int)marker_hits);
	pthread_sigmask(SIG_UNBLOCK, &rtmin, NULL);
	printf("ok %d pauses of a spinning guest by kick signal SIGRTMIN+5 (%" PRIu64
	       " kick exits); SIGRTMIN's handler and the caller's mask untouched; %u library "
	       "threads block process signals, vCPUs and console output take only the kick\n",
	       KICK_PAUSES, s->vcpus[0].exits_intr, threads);
	free(s);
	return 0;
}

/*
 * Without console fds the library touches neither stdin nor stdout: a
 * guest that prints (the test guest's checks) writes nothing to fd 1, and
 * what waits on fd 0 is still there after the run.
 */
static int case_console_off(void)
{
	int in[2], out[2], saved_in = dup(0), saved_out = dup(1);
	struct minivmm_config *cfg = minivmm_config_new();
	struct minivmm_stats *s = calloc(1, sizeof(*s));
	struct minivmm_exit ex = {0};
	struct minivmm *vm = NULL;
	char err[MINIVMM_ERR_LEN] = "", disk[512], buf[16];
	ssize_t in_left, out_got;
	bool created;

	snprintf(disk, sizeof(disk), "%s/console-off.img", workdir);
	if (saved_in < 0 || saved_out < 0 || !cfg || !s || pipe2(in, O_CLOEXEC) ||
	    pipe2(out, O_CLOEXEC | O_NONBLOCK) || make_disk(disk, err))
		return fail("setup: %s %s", err, strerror(errno));
	if (minivmm_config_set_kernel(cfg, testguest, err, sizeof(err)) ||
	    minivmm_config_set_mem(cfg, 64ULL << 20, err, sizeof(err)) ||
	    minivmm_config_set_timeout(cfg, VM_TIMEOUT_MS, err, sizeof(err)) ||
	    minivmm_config_add_disk(cfg, disk, 0, err, sizeof(err)) < 0)
		return fail("config: %s", err);
	/* stdin holds a line; stdout is a pipe nothing else writes to. */
	if (write(in[1], "typed\n", 6) != 6)
		return fail("write: %s", strerror(errno));
	fflush(stdout);
	dup2(in[0], 0);
	dup2(out[1], 1);
	created = minivmm_create(cfg, &vm, err, sizeof(err)) == 0;
	if (created && minivmm_run(vm, &ex) == 0) {
		s->size = sizeof(*s);
		minivmm_get_stats(vm, s);
	}
	minivmm_destroy(vm);
	minivmm_config_free(cfg);
	in_left = read(in[0], buf, sizeof(buf));
	out_got = read(out[0], buf, sizeof(buf));
	dup2(saved_in, 0);
	dup2(saved_out, 1);
	close(saved_in);
	close(saved_out);
	for (int i = 0; i < 2; i++) {
		close(in[i]);
		close(out[i]);
	}
	if (!created)
		return fail("create: %s", err);
	if (ex.reason != MINIVMM_EXIT_STATUS_PORT || ex.status != 0 || !s->console_bytes)
		return fail("%s, %" PRIu64 " console bytes", exit_text(&ex), s->console_bytes);
	if (out_got >= 0)
		return fail("%zd bytes of the guest's console on stdout", out_got);
	if (in_left != 6)
		return fail("stdin was read: %zd of its 6 bytes left", in_left);
	printf("ok the guest wrote %" PRIu64 " console bytes, none to stdout; stdin unread\n",
	       s->console_bytes);
	free(s);
	return 0;
}

/* Another thread's view of a VM whose device is stuck: how long a stats call can take. */
struct stats_watch {
	struct minivmm *vm;
	bool done; /* atomic: the owner sets it while the watcher runs */
	uint64_t calls, worst_ms;
	int rc;
};

static void *watch_stats(void *arg)
{
	struct stats_watch *w = arg;
	struct minivmm_stats *st = calloc(1, sizeof(*st));

	while (st && !__atomic_load_n(&w->done, __ATOMIC_ACQUIRE)) {
		struct timespec ms = {0, 1000000};
		uint64_t t0 = now_ms(), took;

		st->size = sizeof(*st);
		w->rc = minivmm_get_stats(w->vm, st);
		took = now_ms() - t0;
		if (took > w->worst_ms)
			w->worst_ms = took;
		w->calls++;
		if (w->rc)
			break;
		nanosleep(&ms, NULL);
	}
	free(st);
	return NULL;
}

/*
 * A backend that really blocks: a test-only hook (MINIVMM_TEST_HOLD_WRITE)
 * holds vda's first write in its io_uring for 30 s, where cancel cannot
 * stop it, as a write io-wq runs on a stalled disk. The guest
 * (testguest.reset_inflight=1) resets the device while that write is in
 * flight, which holds its vCPU in the register write. Meanwhile, from
 * other threads: stats keep answering (at most STATS_BOUND_MS a call, where
 * a lock held across the wait would take seconds), a pause returns within
 * its deadline (MINIVMM_PAUSE_TIMEOUT_MS + 1 s), and a stop within its
 * grace (MINIVMM_STOP_GRACE_MS) + 1 s, naming the disk's thread that it
 * had to leave behind with the write still held.
 */
#define STATS_BOUND_MS 1000
static int case_slow_backend(int engine)
{
	struct stats_watch w = {0};
	struct minivmm_exit ex;
	char err[MINIVMM_ERR_LEN];
	uint64_t t0, pause_ms, stop_ms;
	pthread_t watcher;
	struct vm v;
	int rc, prc;

	/* Read when the disk is created. */
	setenv("MINIVMM_TEST_HOLD_WRITE", "vda:30000", 1);
	/* The thread-pool engine holds it in a worker, whose call cancel cannot stop either. */
	/* An image of its own: the other engine's case may hold its lock a little longer. */
	rc = vm_prepare(&v, engine ? "slow-backend-threads" : "slow-backend", true,
			"testguest.reset_inflight=1", err);
	if (!rc)
		rc = minivmm_config_set_disk_engine(v.cfg, 0, engine, err, MINIVMM_ERR_LEN);
	if (!rc)
		rc = vm_create(&v, err);
	unsetenv("MINIVMM_TEST_HOLD_WRITE");
	if (rc)
		return fail("VM: %s", err);
	rc = minivmm_start(v.vm);
	if (rc)
		return fail("start failed: %d", rc);
	if (!wait_console(&v, "TESTGUEST: resetting with a write in flight", 60000))
		return fail("the guest never reset its disk (console %s)", v.console);
	w.vm = v.vm;
	if (pthread_create(&watcher, NULL, watch_stats, &w))
		return fail("pthread_create");
	t0 = now_ms();
	prc = minivmm_pause(v.vm);
	pause_ms = now_ms() - t0;
	if (!prc)
		minivmm_resume(v.vm);
	/* A stop is asked, then waited for: together they must end in time. */
	t0 = now_ms();
	minivmm_stop(v.vm);
	rc = minivmm_wait(v.vm, &ex);
	stop_ms = now_ms() - t0;
	__atomic_store_n(&w.done, true, __ATOMIC_RELEASE);
	pthread_join(watcher, NULL);
	if (rc || ex.reason != MINIVMM_EXIT_STOPPED)
		return fail("stop: %s", exit_text(&ex));
	if (console_has(&v, "TESTGUEST: reset done"))
		return fail("the reset finished: the write was not held (console %s)", v.console);
	if (pause_ms > MINIVMM_PAUSE_TIMEOUT_MS + 1000 || (prc && prc != -ETIMEDOUT))
		return fail("pause returned %d after %" PRIu64 " ms", prc, pause_ms);
	if (stop_ms > MINIVMM_STOP_GRACE_MS + 1000)
		return fail("stop took %" PRIu64 " ms (grace %d ms)", stop_ms,
			    MINIVMM_STOP_GRACE_MS);
	if (!strstr(ex.stuck, "vda"))
		return fail(
			"the stop did not name the disk's thread (stuck: '%s'; pause %d in %" PRIu64
			" ms, stop in %" PRIu64 " ms)",
			ex.stuck, prc, pause_ms, stop_ms);
	if (w.rc || !w.calls || w.worst_ms > STATS_BOUND_MS)
		return fail("stats: %" PRIu64 " calls, rc %d, the slowest %" PRIu64 " ms", w.calls,
			    w.rc, w.worst_ms);
	vm_free(&v);
	printf("ok with a write held: pause %s in %" PRIu64 " ms, stop in %" PRIu64
	       " ms leaving %s behind, %" PRIu64 " stats calls, the slowest %" PRIu64 " ms\n",
	       prc ? "timed out" : "done", pause_ms, stop_ms, ex.stuck, w.calls, w.worst_ms);
	return 0;
}

/* KiB the guest prints into a console nobody reads: more than the library queues (64 KiB). */
#define STUCK_PRINT_KIB 96
/* Each stats call while the pipe is full must answer within this. */
#define STATS_LIMIT_MS 100
/* The whole case; without the fix it hangs in a stats call, and this ends it as a FAIL. */
#define STUCK_WATCHDOG_S 120

static void watchdog(int sig)
{
	static const char msg[] = "FAIL the case hung (watchdog): a stats call or the stop "
				  "never returned\n";

	(void)sig;
	(void)!write(1, msg, sizeof(msg) - 1);
	_exit(1);
}

struct stuck_sampler {
	struct minivmm *vm;
	uint64_t want; /* console bytes the guest prints in all */
	unsigned int samples;
	uint64_t max_ms;  /* the slowest call */
	uint64_t dropped; /* console_dropped once the guest printed everything */
	uint64_t printed; /* console_bytes then */
	bool done;	  /* the guest printed everything before the sampler's deadline */
};

/* Stats and console bytes from another thread, timed, until the guest printed everything. */
static void *stuck_sample(void *arg)
{
	struct stuck_sampler *sm = arg;
	struct minivmm_stats *s = calloc(1, sizeof(*s));
	uint64_t end = now_ms() + VM_TIMEOUT_MS / 2;
	struct timespec ms = {0, 1000000};

	while (s && now_ms() < end) {
		uint64_t t0 = now_ms(), bytes, took;

		s->size = sizeof(*s);
		minivmm_get_stats(sm->vm, s);
		bytes = minivmm_console_bytes(sm->vm);
		took = now_ms() - t0;
		sm->max_ms = took > sm->max_ms ? took : sm->max_ms;
		sm->samples++;
		if (bytes >= sm->want && s->console_bytes >= sm->want) {
			sm->printed = s->console_bytes;
			sm->dropped = s->console_dropped;
			sm->done = true;
			break;
		}
		nanosleep(&ms, NULL);
	}
	free(s);
	return NULL;
}

/* Fills the pipe to the brim without blocking; its write end stays blocking after. */
static long fill_pipe(int fd)
{
	static char buf[4096];
	long n = 0;
	ssize_t w;

	memset(buf, 'P', sizeof(buf));
	if (fcntl(fd, F_SETFL, O_NONBLOCK))
		return -1;
	while ((w = write(fd, buf, sizeof(buf))) > 0)
		n += w;
	if (fcntl(fd, F_SETFL, 0))
		return -1;
	return n;
}

/*
 * An embedder gives a console pipe it never reads, full before the guest
 * prints a word, and the guest prints more than the library queues. The
 * vCPU must not wait for the pipe: stats answer from another thread in
 * under STATS_LIMIT_MS each, the guest gets to its end, the stop takes no
 * longer than its grace and names no thread, the bytes that could not go
 * out are counted as dropped, destroy gives back every fd and thread, and
 * the disk image (locked while the VM had it) opens again.
 */
static int case_console_stuck_reader(void)
{
	struct stuck_sampler sm = {0};
	struct minivmm_stats *s = calloc(1, sizeof(*s));
	struct minivmm_config *cfg = minivmm_config_new();
	struct minivmm *vm = NULL;
	struct minivmm_exit ex;
	char err[MINIVMM_ERR_LEN] = "", disk[512], append[96], buf[4096];
	int fds0 = count_fds(), threads0 = count_threads(), fds_end, threads_end, p[2];
	long filled, left = 0, foreign = 0;
	struct timespec join_by;
	uint64_t t0, stop_ms;
	pthread_t t;
	ssize_t r;

	signal(SIGALRM, watchdog);
	alarm(STUCK_WATCHDOG_S);
	snprintf(disk, sizeof(disk), "%s/console-stuck.img", workdir);
	snprintf(append, sizeof(append), "testguest.print=%d testguest.spin=1", STUCK_PRINT_KIB);
	if (!s || !cfg || fds0 < 0 || threads0 < 0 || pipe2(p, O_CLOEXEC) || make_disk(disk, err))
		return fail("setup: %s %s", err, strerror(errno));
	filled = fill_pipe(p[1]);
	if (filled <= 0)
		return fail("cannot fill the pipe: %s", strerror(errno));
	if (minivmm_config_set_kernel(cfg, testguest, err, sizeof(err)) ||
	    minivmm_config_set_mem(cfg, 64ULL << 20, err, sizeof(err)) ||
	    minivmm_config_set_timeout(cfg, VM_TIMEOUT_MS, err, sizeof(err)) ||
	    minivmm_config_set_append(cfg, append, err, sizeof(err)) ||
	    minivmm_config_add_disk(cfg, disk, 0, err, sizeof(err)) < 0 ||
	    minivmm_config_set_console_fds(cfg, -1, p[1], err, sizeof(err)) ||
	    minivmm_create(cfg, &vm, err, sizeof(err)))
		return fail("VM: %s", err);
	sm.vm = vm;
	sm.want = (uint64_t)STUCK_PRINT_KIB << 10;
	if (minivmm_start(vm) || pthread_create(&t, NULL, stuck_sample, &sm))
		return fail("start failed");
	/* A stats call that waits for the vCPU would wait for the pipe: for ever. */
	clock_gettime(CLOCK_REALTIME, &join_by);
	join_by.tv_sec += VM_TIMEOUT_MS / 2000 + 10;
	if (pthread_timedjoin_np(t, NULL, &join_by))
		return fail("a stats call did not return while the console pipe was full (%u "
			    "samples before it)",
			    sm.samples);
	if (!sm.done)
		return fail("the guest printed %" PRIu64 " of %" PRIu64 " bytes into a full pipe "
			    "in %d s (its vCPU waits for the pipe?)",
			    sm.printed, sm.want, VM_TIMEOUT_MS / 2000);
	if (sm.max_ms >= STATS_LIMIT_MS)
		return fail("the slowest of %u stats calls took %" PRIu64 " ms (limit %d)",
			    sm.samples, sm.max_ms, STATS_LIMIT_MS);
	if (!sm.dropped || sm.dropped > sm.printed)
		return fail("%" PRIu64 " bytes printed into a full pipe, %" PRIu64 " counted as "
			    "dropped",
			    sm.printed, sm.dropped);
	t0 = now_ms();
	minivmm_stop(vm);
	if (minivmm_wait(vm, &ex))
		return fail("wait failed");
	stop_ms = now_ms() - t0;
	if (ex.reason != MINIVMM_EXIT_STOPPED || ex.stuck[0])
		return fail("stop: %s; left behind: '%s'", exit_text(&ex), ex.stuck);
	if (stop_ms > MINIVMM_STOP_GRACE_MS + 1000)
		return fail("the stop took %" PRIu64 " ms (grace %d ms + 1 s)", stop_ms,
			    MINIVMM_STOP_GRACE_MS);
	/* Nothing reached the pipe: every byte the guest wrote is counted as dropped. */
	s->size = sizeof(*s);
	if (minivmm_get_stats(vm, s) || s->console_dropped != s->console_bytes)
		return fail("after the stop: %" PRIu64 " console bytes, %" PRIu64 " dropped",
			    s->console_bytes, s->console_dropped);
	minivmm_destroy(vm);
	minivmm_config_free(cfg);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	while ((r = read(p[0], buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < r; i++)
			*(buf[i] == 'P' ? &left : &foreign) += 1;
	close(p[0]);
	close(p[1]);
	fds_end = count_fds();
	threads_end = count_threads();
	if (left != filled || foreign)
		return fail("the pipe held %ld of the embedder's %ld bytes and %ld others", left,
			    filled, foreign);
	if (fds_end != fds0 || threads_end != threads0)
		return fail("after destroy: %d fds and %d threads; %d and %d before", fds_end,
			    threads_end, fds0, threads0);
	/* The image's lock went with the VM: the same disk opens again. */
	cfg = minivmm_config_new();
	if (!cfg || minivmm_config_set_kernel(cfg, testguest, err, sizeof(err)) ||
	    minivmm_config_set_mem(cfg, 64ULL << 20, err, sizeof(err)) ||
	    minivmm_config_add_disk(cfg, disk, 0, err, sizeof(err)) < 0 ||
	    minivmm_create(cfg, &vm, err, sizeof(err)))
		return fail("the image does not open again: %s", err);
	minivmm_destroy(vm);
	minivmm_config_free(cfg);
	alarm(0);
	printf("ok a full pipe: %u stats calls, the slowest %" PRIu64 " ms; %" PRIu64 " of %" PRIu64
	       " bytes dropped while running, all %" PRIu64 " at the end; the "
	       "stop took %" PRIu64 " ms, left nothing; fds %d and threads %d as before; the "
	       "image opened again\n",
	       sm.samples, sm.max_ms, sm.dropped, sm.printed, s->console_dropped, stop_ms, fds_end,
	       threads_end);
	free(s);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: api_test CASE TESTGUEST WORKDIR\n");
		return 2;
	}
	testguest = argv[2];
	workdir = argv[3];
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(argv[1], "two_vms"))
		return case_multi(2);
	if (!strcmp(argv[1], "eight_vms"))
		return case_multi(8);
	if (!strcmp(argv[1], "cycles"))
		return case_cycles(200);
	if (!strcmp(argv[1], "pause_resume"))
		return case_pause();
	if (!strcmp(argv[1], "exit_fd"))
		return case_exit_fd();
	if (!strcmp(argv[1], "pause_hung_device"))
		return case_pause_hung_device();
	if (!strcmp(argv[1], "slow_backend"))
		return case_slow_backend(MINIVMM_DISK_ENGINE_URING);
	if (!strcmp(argv[1], "slow_backend_threads"))
		return case_slow_backend(MINIVMM_DISK_ENGINE_THREADS);
	if (!strcmp(argv[1], "shutdown_ignored"))
		return case_shutdown_ignored();
	if (!strcmp(argv[1], "stats_rng"))
		return case_stats_rng();
	if (!strcmp(argv[1], "stats"))
		return case_stats();
	if (!strcmp(argv[1], "metrics_file"))
		return case_metrics_file();
	if (!strcmp(argv[1], "socket"))
		return case_socket();
	if (!strcmp(argv[1], "socket_umask"))
		return case_socket_umask();
	if (!strcmp(argv[1], "socket_idle"))
		return case_socket_idle();
	if (!strcmp(argv[1], "socket_taken_over"))
		return case_socket_taken_over();
	if (!strcmp(argv[1], "kick_signal"))
		return case_kick_signal();
	if (!strcmp(argv[1], "null_exit"))
		return case_null_exit();
	if (!strcmp(argv[1], "console_off"))
		return case_console_off();
	if (!strcmp(argv[1], "console_stuck_reader"))
		return case_console_stuck_reader();
	fprintf(stderr, "api_test: unknown case '%s'\n", argv[1]);
	return 2;
}
