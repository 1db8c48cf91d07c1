// SPDX-License-Identifier: MIT
/*
 * The control socket (minivmm_serve_socket) as a client sees it: every op,
 * before and after start; garbage, a 1 MiB line and a line with trailing
 * bytes each get one error reply and the connection goes on; a client that
 * disconnects mid-request; two clients whose requests interleave; a ninth
 * client refused; mode 0600; a file that is not a socket left alone; the
 * file removed by destroy. And (socket_umask) that the process umask is
 * never touched: the socket is served from a thread that cannot change it;
 * (socket_idle) that eight idle clients are disconnected in time and a
 * tool gets its answer after all, while a client that keeps asking stays;
 * (socket_taken_over) that a VM destroyed after another took its path over
 * leaves the other's socket file.
 */
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "api_test.h"

/* A reply that never comes fails the case instead of hanging it. */
#define REPLY_WAIT_MS 20000

static char sock_path[100]; /* fits sun_path */

static int conn(void)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", sock_path);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static bool send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/* One reply line (without its newline) into buf; false on EOF or no reply in time. */
static bool read_line(int fd, char *buf, size_t cap)
{
	size_t len = 0;

	while (len + 1 < cap) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (poll(&p, 1, REPLY_WAIT_MS) <= 0)
			return false;
		n = read(fd, buf + len, 1);
		if (n <= 0)
			return false;
		if (buf[len] == '\n') {
			buf[len] = '\0';
			return true;
		}
		len++;
	}
	return false;
}

/*
 * Sends line (a newline is added) and checks the reply: "ok" must be want_ok;
 * when key is given, the reply's key must be the string want (or contain it,
 * for "error"). Returns 0, or fails the case.
 */
static int expect(int fd, const char *line, bool want_ok, const char *key, const char *want)
{
	struct json_object *r, *ok, *v;
	char buf[1 << 16];
	int bad = 0;

	if (!send_all(fd, line, strlen(line)) || !send_all(fd, "\n", 1))
		return fail("could not send %.60s", line);
	if (!read_line(fd, buf, sizeof(buf)))
		return fail("no reply to %.60s", line);
	r = json_tokener_parse(buf);
	if (!r || !json_object_object_get_ex(r, "ok", &ok) ||
	    json_object_get_boolean(ok) != want_ok)
		bad = 1;
	else if (key && (!json_object_object_get_ex(r, key, &v) ||
			 !json_object_is_type(v, json_type_string) ||
			 !(strcmp(key, "error") ? !strcmp(json_object_get_string(v), want)
						: !!strstr(json_object_get_string(v), want))))
		bad = 1;
	json_object_put(r);
	return bad ? fail("%.60s: reply %.200s, want ok=%d %s %s", line, buf, want_ok,
			  key ? key : "", want ? want : "")
		   : 0;
}

/* The state in a stats reply. */
static int expect_state(int fd, const char *state)
{
	struct json_object *r, *st, *v;
	char buf[1 << 16];
	bool good;

	if (!send_all(fd, "{\"op\":\"stats\"}\n", 15) || !read_line(fd, buf, sizeof(buf)))
		return fail("no stats reply");
	r = json_tokener_parse(buf);
	good = r && json_object_object_get_ex(r, "stats", &st) &&
	       json_object_object_get_ex(st, "state", &v) &&
	       !strcmp(json_object_get_string(v), state);
	json_object_put(r);
	return good ? 0 : fail("stats reply %.200s, want state %s", buf, state);
}

/* Garbage, an oversized line and trailing bytes: one error each, then an answer. */
static int garbage(int fd)
{
	size_t big = 1 << 20;
	char *line = malloc(big + 1);
	int rc;

	if (!line)
		return fail("out of memory");
	rc = expect(fd, "garbage", false, "error", "not JSON") ||
	     expect(fd, "{\"op\":1}", false, "error", "\"op\"") ||
	     expect(fd, "[1]", false, "error", "JSON object") ||
	     expect(fd, "{\"op\":\"info\"} x", false, "error", "nothing after it") ||
	     expect(fd, "{\"op\":\"reboot\"}", false, "error", "unknown op") ||
	     expect(fd, "{\"op\":\"shutdown\",\"grace_ms\":-1}", false, "error", "grace_ms");
	if (!rc) {
		/* 1 MiB of one line: a single error for all of it, then the next request. */
		memset(line, 'x', big);
		line[big] = '\0';
		rc = expect(fd, line, false, "error", "longer than 4096") ||
		     expect(fd, "{\"op\":\"info\"}", true, "op", "info");
	}
	free(line);
	return rc;
}

/* Two clients interleave; one leaves mid-request; a ninth is refused. */
static int clients(void)
{
	int a = conn(), b = conn(), more[6], n = 0, rc = 0;
	char buf[512];

	if (a < 0 || b < 0)
		return fail("connect: %s", strerror(errno));
	if (!send_all(a, "{\"op\":\"in", 9))
		rc = fail("partial send");
	rc = rc || expect(b, "{\"op\":\"stats\"}", true, "op", "stats");
	rc = rc || expect(a, "fo\"}", true, "op", "info");
	/* Gone in the middle of a request: the server drops it and goes on. */
	if (!rc && !send_all(b, "{\"op\":\"pau", 10))
		rc = fail("partial send");
	close(b);
	rc = rc || expect(a, "{\"op\":\"info\"}", true, "op", "info");
	/* The case's own client, a and six more hold all eight places. */
	while (!rc && n < 6 && (more[n] = conn()) >= 0)
		rc = expect(more[n++], "{\"op\":\"info\"}", true, "op", "info");
	if (!rc && n != 6)
		rc = fail("only %d clients besides the first two could connect", n);
	if (!rc) {
		int ninth = conn();

		if (ninth < 0 || !read_line(ninth, buf, sizeof(buf)) ||
		    !strstr(buf, "too many clients") || read(ninth, buf, 1) != 0)
			rc = fail("a ninth client was not refused with an error and closed: %.100s",
				  buf);
		if (ninth >= 0)
			close(ninth);
	}
	while (n)
		close(more[--n]);
	close(a);
	return rc;
}

int case_socket(void)
{
	char err[MINIVMM_ERR_LEN];
	struct minivmm_exit ex;
	struct stat st;
	struct vm v;
	int fd, rc, other;

	if ((size_t)snprintf(sock_path, sizeof(sock_path), "%s/ctl.sock", workdir) >=
	    sizeof(sock_path))
		return fail("work directory %s too long for a socket path", workdir);
	unlink(sock_path);
	if (vm_make_waiting(&v, "socket", err))
		return fail("VM: %s", err);
	/* Not a socket: left alone. */
	other = creat(sock_path, 0644);
	if (other < 0)
		return fail("creat %s: %s", sock_path, strerror(errno));
	close(other);
	if (minivmm_serve_socket(v.vm, sock_path, err, sizeof(err)) != -EEXIST ||
	    stat(sock_path, &st) || !S_ISREG(st.st_mode))
		return fail("a regular file at the socket's path was not refused: %s", err);
	unlink(sock_path);
	if ((rc = minivmm_serve_socket(v.vm, sock_path, err, sizeof(err))))
		return fail("serve: %s", err);
	if (stat(sock_path, &st) || !S_ISSOCK(st.st_mode) || (st.st_mode & 0777) != 0600)
		return fail("socket mode %o, want a socket with 0600", st.st_mode);
	if (minivmm_serve_socket(v.vm, sock_path, err, sizeof(err)) != -EBUSY)
		return fail("a second socket for one VM was not refused");
	fd = conn();
	if (fd < 0)
		return fail("connect: %s", strerror(errno));
	rc = expect_state(fd, "created") ||
	     expect(fd, "{\"op\":\"pause\"}", false, "error", "not been started");
	if (!rc && minivmm_start(v.vm))
		rc = fail("start failed");
	rc = rc || expect(fd, "{\"op\":\"pause\"}", true, "op", "pause") ||
	     expect_state(fd, "paused") ||
	     expect(fd, "{\"op\":\"resume\"}", true, "op", "resume") ||
	     expect_state(fd, "running") || garbage(fd) || clients();
	/* Ctrl-Alt-Del, which the echo guest does not read: the request is taken. */
	rc = rc || expect(fd, "{\"op\":\"shutdown\"}", true, "op", "shutdown") ||
	     expect(fd, "{\"op\":\"stop\"}", true, "op", "stop");
	if (!rc && minivmm_wait(v.vm, &ex))
		rc = fail("wait failed");
	if (!rc && (ex.reason != MINIVMM_EXIT_STOPPED || ex.status != MINIVMM_STATUS_STOPPED))
		rc = fail("after stop: %s", exit_text(&ex));
	rc = rc || expect_state(fd, "ended") ||
	     expect(fd, "{\"op\":\"pause\"}", false, "error", "ending or has ended");
	close(fd);
	vm_free(&v);
	if (!rc && stat(sock_path, &st) == 0)
		rc = fail("the socket file outlived minivmm_destroy");
	if (!rc)
		printf("ok every op, garbage, 1 MiB line, interleaved and departing clients, "
		       "9th refused, 0600, %s\n",
		       exit_text(&ex));
	return rc;
}

#if defined(__x86_64__)
#define THIS_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define THIS_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

struct umask_serve {
	struct minivmm *vm;
	int filter_rc, rc;
	char err[MINIVMM_ERR_LEN];
};

/*
 * On a thread whose umask(2) fails with EPERM (a seccomp filter), so that
 * a library that sets the umask around bind(2) gets a file the process
 * umask made: serving must still give 0600 without ever changing it.
 */
static void *serve_without_umask(void *arg)
{
	struct umask_serve *u = arg;
	struct sock_filter prog[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, THIS_AUDIT_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_umask, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog fprog = {.len = sizeof(prog) / sizeof(prog[0]), .filter = prog};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog)) {
		u->filter_rc = -errno;
		return NULL;
	}
	u->rc = minivmm_serve_socket(u->vm, sock_path, u->err, sizeof(u->err));
	return NULL;
}

/* The umask of the process, from /proc (reading it with umask(2) would set it). */
static int proc_umask(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	unsigned int m;
	int found = -1;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Umask: %o", &m) == 1)
			found = (int)m;
	if (f)
		fclose(f);
	return found;
}

int case_socket_umask(void)
{
	struct umask_serve u = {0};
	char err[MINIVMM_ERR_LEN];
	struct stat st;
	pthread_t t;
	struct vm v;
	int rc = 0, before, after;

	if ((size_t)snprintf(sock_path, sizeof(sock_path), "%s/umask.sock", workdir) >=
	    sizeof(sock_path))
		return fail("work directory %s too long for a socket path", workdir);
	unlink(sock_path);
	/* A umask that lets a socket made under it be 0755. */
	umask(022);
	before = proc_umask();
	if (before != 022)
		return fail("/proc/self/status gives umask %o, want 22", before);
	if (vm_make_waiting(&v, "socket_umask", err))
		return fail("VM: %s", err);
	u.vm = v.vm;
	if (pthread_create(&t, NULL, serve_without_umask, &u))
		return fail("pthread_create");
	pthread_join(t, NULL);
	after = proc_umask();
	if (u.filter_rc)
		rc = fail("cannot install the umask filter: %s", strerror(-u.filter_rc));
	else if (u.rc)
		rc = fail("serve on a thread without umask: %s", u.err);
	else if (stat(sock_path, &st) || !S_ISSOCK(st.st_mode) || (st.st_mode & 0777) != 0600)
		rc = fail("socket mode %o under umask 022, want a socket with 0600", st.st_mode);
	else if (after != before)
		rc = fail("the umask went from %o to %o", before, after);
	vm_free(&v);
	if (!rc && stat(sock_path, &st) == 0)
		rc = fail("the socket file outlived minivmm_destroy");
	if (!rc)
		printf("ok 0600 under umask 022 with umask(2) refused; umask still %o\n", after);
	return rc;
}

/* The idle timeout socket_idle asks for (MINIVMM_TEST_API_IDLE_MS). */
#define IDLE_MS 1000

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * Waits until the server ends fd's connection: the idle error line, then
 * EOF. Returns the time it took from since, or 0 on a wrong reply or none
 * (read_line gives up after REPLY_WAIT_MS without a byte).
 */
static uint64_t wait_dropped(int fd, uint64_t since)
{
	char buf[512] = "";

	if (!read_line(fd, buf, sizeof(buf)) || !strstr(buf, "nothing received for") ||
	    read(fd, buf, 1) != 0) {
		fail("an idle client was not told and disconnected: %.200s", buf);
		return 0;
	}
	return mono_ms() - since;
}

/* Eight idle clients, all places; then a ninth, refused, and a tool after the timeout. */
static int idle_clients(uint64_t *fastest, uint64_t *slowest)
{
	int idle[8], n = 0, rc = 0;
	char buf[512];
	uint64_t t0;

	t0 = mono_ms();
	while (n < 8 && (idle[n] = conn()) >= 0)
		n++;
	if (n != 8)
		rc = fail("only %d idle clients could connect", n);
	if (!rc) {
		int ninth = conn();

		if (ninth < 0 || !read_line(ninth, buf, sizeof(buf)) ||
		    !strstr(buf, "too many clients"))
			rc = fail("with eight idle clients a ninth was not refused: %.100s", buf);
		if (ninth >= 0)
			close(ninth);
	}
	for (int i = 0; !rc && i < n; i++) {
		uint64_t took = wait_dropped(idle[i], t0);

		if (!took)
			rc = 1;
		*slowest = took > *slowest ? took : *slowest;
		*fastest = took < *fastest ? took : *fastest;
	}
	/* The server counts from its accept, after our connect: never early. */
	if (!rc && *fastest < IDLE_MS)
		rc = fail("an idle client was dropped after %" PRIu64 " ms, before %d", *fastest,
			  IDLE_MS);
	while (n)
		close(idle[--n]);
	if (!rc) {
		int tool = conn();

		if (tool < 0)
			return fail("connect after the idle ones left: %s", strerror(errno));
		rc = expect(tool, "{\"op\":\"info\"}", true, "op", "info");
		close(tool);
	}
	return rc;
}

/* A client that asks every IDLE_MS / 10 for 2.5 timeouts stays; quiet, it goes. */
static int busy_client(int *asked, uint64_t *took)
{
	int fd = conn(), rc = 0;
	uint64_t t0 = mono_ms(), last = t0;

	if (fd < 0)
		return fail("connect: %s", strerror(errno));
	while (!rc && mono_ms() - t0 < IDLE_MS * 5 / 2) {
		struct pollfd p = {.fd = fd, .events = POLLIN};

		last = mono_ms();
		rc = expect(fd, "{\"op\":\"stats\"}", true, "op", "stats");
		(*asked)++;
		/* Pacing, not synchronisation: nothing may arrive here. */
		if (!rc && poll(&p, 1, IDLE_MS / 10) != 0)
			rc = fail("a client that asks was sent something unasked for");
	}
	/* The server heard the last request after we sent it: never early. */
	*took = rc ? 0 : wait_dropped(fd, last);
	if (!rc && !*took)
		rc = 1;
	if (!rc && *took < IDLE_MS)
		rc = fail("dropped %" PRIu64 " ms after its last request, before %d", *took,
			  IDLE_MS);
	close(fd);
	return rc;
}

int case_socket_idle(void)
{
	uint64_t fastest = UINT64_MAX, slowest = 0, took = 0;
	char err[MINIVMM_ERR_LEN], ms[16];
	int rc, asked = 0;
	struct vm v;

	if ((size_t)snprintf(sock_path, sizeof(sock_path), "%s/idle.sock", workdir) >=
	    sizeof(sock_path))
		return fail("work directory %s too long for a socket path", workdir);
	unlink(sock_path);
	snprintf(ms, sizeof(ms), "%d", IDLE_MS);
	setenv("MINIVMM_TEST_API_IDLE_MS", ms, 1);
	if (vm_make_waiting(&v, "socket_idle", err))
		return fail("VM: %s", err);
	if (minivmm_serve_socket(v.vm, sock_path, err, sizeof(err)))
		return fail("serve: %s", err);
	rc = idle_clients(&fastest, &slowest) || busy_client(&asked, &took);
	vm_free(&v);
	if (!rc)
		printf("ok 8 idle clients dropped after %" PRIu64 "-%" PRIu64
		       " ms (timeout %d ms), "
		       "then a tool served; a client asking %d times over %d ms kept, dropped "
		       "%" PRIu64 " ms after its last request\n",
		       fastest, slowest, IDLE_MS, asked, IDLE_MS * 5 / 2, took);
	return rc;
}

/*
 * Two VMs, one path: the second serve replaces the first VM's socket file
 * (a socket left at the path is taken to be stale). Destroying the first
 * VM must then leave the second's file alone, and destroying the second
 * must remove it.
 */
int case_socket_taken_over(void)
{
	char err[MINIVMM_ERR_LEN];
	struct stat first, second, after;
	struct vm a, b;
	int fd, rc = 0;

	if ((size_t)snprintf(sock_path, sizeof(sock_path), "%s/ctl-over.sock", workdir) >=
	    sizeof(sock_path))
		return fail("work directory %s too long for a socket path", workdir);
	unlink(sock_path);
	if (vm_make_waiting(&a, "socket_over_a", err) || vm_make_waiting(&b, "socket_over_b", err))
		return fail("VM: %s", err);
	if (minivmm_serve_socket(a.vm, sock_path, err, sizeof(err)) || stat(sock_path, &first))
		return fail("serve A: %s", err);
	if (minivmm_serve_socket(b.vm, sock_path, err, sizeof(err)) || stat(sock_path, &second))
		return fail("serve B at A's path: %s", err);
	if (second.st_ino == first.st_ino)
		return fail("B's serve did not bind a file of its own");
	vm_free(&a);
	if (stat(sock_path, &after) || after.st_ino != second.st_ino)
		rc = fail("destroying A removed B's socket file");
	fd = rc ? -1 : conn();
	if (!rc && fd < 0)
		rc = fail("connect to B after A's destroy: %s", strerror(errno));
	rc = rc || expect_state(fd, "created");
	if (fd >= 0)
		close(fd);
	vm_free(&b);
	if (!rc && stat(sock_path, &after) == 0)
		rc = fail("B's socket file outlived its minivmm_destroy");
	if (!rc)
		printf("ok A's destroy left B's file (inode %lu) and B still answered; B's destroy "
		       "removed it\n",
		       (unsigned long)second.st_ino);
	return rc;
}
