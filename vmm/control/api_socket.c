// SPDX-License-Identifier: MIT
/*
 * The control socket: a Unix stream socket (mode 0600) on which a client
 * sends one JSON request per line, {"op":"pause"} and the like, and reads
 * one JSON reply per line, {"ok":true,...} or {"ok":false,"error":"..."}.
 * Firecracker serves its API over HTTP on a Unix socket; a line of JSON
 * keeps the client to `echo ... | nc -U` or minivmm-ctl and the server to
 * one poll loop, with json-c (vmm/api/stats.c says why json-c) on both sides of
 * the text; the stats are the same object minivmm_stats_json prints.
 *
 * The server is one thread with its own seccomp list; nothing a client
 * sends reaches the guest except through the lifecycle calls everyone
 * else uses. A client gets at most API_LINE_MAX bytes per request (a longer
 * line is answered with an error and skipped to its newline), at most
 * API_CLIENTS connect at once, a client that does not read its replies
 * is disconnected rather than allowed to block the others, and so is one
 * that sends nothing for API_IDLE_MS, so that idle connections cannot hold
 * every place and lock the tools out.
 */
#include "vmm/control/api_socket.h"

#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "vmm/api/frontend.h"
#include "vmm/api/minivmm.h"
#include "vmm/api/stats_json.h"

#define API_LINE_MAX  4096
#define API_CLIENTS   8
#define API_GRACE_MAX 3600000u /* ms: a shutdown's grace, an hour at most */
/*
 * ms without a byte from a client before it is disconnected: minivmm-ctl
 * and scripts send their request at once; a person typing into nc has ten
 * seconds per line. MINIVMM_TEST_API_IDLE_MS shortens it for the tests.
 */
#define API_IDLE_MS 10000u

struct api_client {
	int fd;		   /* -1: free */
	uint64_t heard_ms; /* CLOCK_MONOTONIC: accepted, or its last byte */
	bool skipping;	   /* inside a line that was too long: drop up to its newline */
	size_t len;
	char buf[API_LINE_MAX];
};

struct api_server {
	struct minivmm *vm;
	struct sockaddr_un addr;
	int listen_fd;
	int wake_fd; /* eventfd: stop */
	int seccomp;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int ready; /* under lock: 0 starting, 1 serving, < 0 its filter failed */
	unsigned int idle_ms;
	/* The file bind made, so that only it is removed at the end. */
	dev_t dev;
	ino_t ino;
	struct api_client clients[API_CLIENTS];
};

static char *to_text(struct json_object *o)
{
	const char *t = o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN) : NULL;
	char *copy = t ? strdup(t) : NULL;

	json_object_put(o);
	return copy;
}

static char *error_reply(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *error_reply(const char *fmt, ...)
{
	struct json_object *o = json_object_new_object();
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!o || json_put(o, "ok", json_object_new_boolean(0)) ||
	    json_put(o, "error", json_object_new_string(msg))) {
		json_object_put(o);
		return NULL;
	}
	return to_text(o);
}

static const char *rc_text(int rc)
{
	switch (rc) {
	case -EINVAL:
		return "the VM has not been started";
	case -ESHUTDOWN:
		return "the VM is ending or has ended";
	case -EBUSY:
		return "the guest is not reading its keyboard";
	default:
		return strerror(-rc);
	}
}

/* The VM's counters now, as minivmm_get_stats gives them; NULL when out of memory. */
static struct minivmm_stats *stats_now(struct minivmm *vm)
{
	struct minivmm_stats *s = calloc(1, sizeof(*s));

	if (s) {
		s->size = sizeof(*s);
		if (minivmm_get_stats(vm, s)) {
			free(s);
			s = NULL;
		}
	}
	return s;
}

static char *op_info(struct minivmm *vm, struct json_object *r)
{
	struct minivmm_stats *s = stats_now(vm);
	struct json_object *devs = json_object_new_array();
	struct frontend_info info;
	int err = !s || !devs;

	frontend_info(vm, &info);
	for (unsigned int i = 0; !err && i < info.n_devices; i++)
		err = json_object_array_add(devs, json_object_new_string(info.devices[i]));
	if (!err)
		/* json_put() takes devs whether or not it succeeds. */
		err = json_put(r, "devices", devs) ||
		      json_put(r, "version", json_object_new_string(minivmm_version())) ||
		      json_put(r, "state", json_object_new_string(stats_state_name(s->state))) ||
		      json_put(r, "cpus", json_object_new_int64(info.ncpus)) ||
		      json_put(r, "mem_bytes", json_object_new_uint64(info.mem_size)) ||
		      json_put(r, "cmdline", json_object_new_string(minivmm_cmdline(vm)));
	else
		json_object_put(devs);
	free(s);
	return err ? NULL : to_text(json_object_get(r));
}

static char *op_stats(struct minivmm *vm, struct json_object *r)
{
	struct minivmm_stats *s = stats_now(vm);
	struct json_object *stats = s ? stats_json_object(s) : NULL;

	free(s);
	if (!stats || json_put(r, "stats", stats))
		return NULL;
	return to_text(json_object_get(r));
}

/* A request's "grace_ms": absent is 0; otherwise a whole number up to API_GRACE_MAX. */
static int grace_of(struct json_object *req, unsigned int *grace)
{
	struct json_object *g;
	int64_t v;

	*grace = 0;
	if (!json_object_object_get_ex(req, "grace_ms", &g))
		return 0;
	if (!json_object_is_type(g, json_type_int))
		return -1;
	v = json_object_get_int64(g);
	if (v < 0 || v > API_GRACE_MAX)
		return -1;
	*grace = (unsigned int)v;
	return 0;
}

static char *dispatch(struct minivmm *vm, struct json_object *req, const char *op)
{
	struct json_object *r = json_object_new_object();
	unsigned int grace;
	char *reply;
	int rc = 0;

	if (!r || json_put(r, "ok", json_object_new_boolean(1)) ||
	    json_put(r, "op", json_object_new_string(op))) {
		json_object_put(r);
		return NULL;
	}
	if (!strcmp(op, "info") || !strcmp(op, "stats")) {
		/* NULL only when out of memory: client_send says so. */
		reply = op[0] == 'i' ? op_info(vm, r) : op_stats(vm, r);
		json_object_put(r);
		return reply;
	} else if (!strcmp(op, "pause")) {
		rc = minivmm_pause(vm);
	} else if (!strcmp(op, "resume")) {
		rc = minivmm_resume(vm);
	} else if (!strcmp(op, "stop")) {
		minivmm_stop(vm);
	} else if (!strcmp(op, "shutdown")) {
		if (grace_of(req, &grace)) {
			json_object_put(r);
			return error_reply("shutdown: grace_ms must be a whole number of "
					   "milliseconds from 0 to %u",
					   API_GRACE_MAX);
		}
		rc = minivmm_request_shutdown(vm, grace);
	} else {
		json_object_put(r);
		return error_reply("unknown op '%.32s' (known: info, stats, pause, resume, "
				   "shutdown, stop)",
				   op);
	}
	if (rc < 0) {
		json_object_put(r);
		return error_reply("%s: %s", op, rc_text(rc));
	}
	return to_text(r);
}

char *api_handle_line(struct minivmm *vm, const char *line, size_t len)
{
	struct json_tokener *tok;
	struct json_object *req, *op;
	char *reply;
	size_t end;

	/* A client that ends its lines with CR LF (nc -C, telnet). */
	if (len && line[len - 1] == '\r')
		len--;
	if (len > API_LINE_MAX)
		return error_reply("request longer than %d bytes", API_LINE_MAX);
	tok = json_tokener_new();
	if (!tok)
		return NULL;
	req = json_tokener_parse_ex(tok, line, (int)len);
	end = json_tokener_get_parse_end(tok);
	if (!req || json_tokener_get_error(tok) != json_tokener_success) {
		reply = error_reply("not JSON: %s",
				    len ? json_tokener_error_desc(json_tokener_get_error(tok))
					: "empty line");
		json_object_put(req);
		json_tokener_free(tok);
		return reply;
	}
	json_tokener_free(tok);
	while (end < len && (line[end] == ' ' || line[end] == '\t'))
		end++;
	if (end != len)
		reply = error_reply("one JSON object per line, and nothing after it");
	else if (!json_object_is_type(req, json_type_object))
		reply = error_reply("a request is a JSON object, e.g. {\"op\":\"info\"}");
	else if (!json_object_object_get_ex(req, "op", &op) ||
		 !json_object_is_type(op, json_type_string))
		reply = error_reply("a request needs \"op\", a string");
	else
		reply = dispatch(vm, req, json_object_get_string(op));
	json_object_put(req);
	return reply;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void client_close(struct api_client *c)
{
	close(c->fd);
	c->fd = -1;
	c->len = 0;
	c->skipping = false;
}

/* The whole reply and its newline, or the client is dropped: it is not reading. */
static void client_send(struct api_client *c, char *reply)
{
	static const char oom[] = "{\"ok\":false,\"error\":\"out of memory\"}";
	const char *text = reply ? reply : oom;
	size_t len = strlen(text), off = 0;

	while (c->fd >= 0 && off <= len) {
		/* MSG_NOSIGNAL: a client gone must not SIGPIPE the embedder's process. */
		ssize_t n =
			off < len ? send(c->fd, text + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT)
				  : send(c->fd, "\n", 1, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			client_close(c);
		else
			off += (size_t)n;
	}
	free(reply);
}

static void client_input(struct api_server *s, struct api_client *c)
{
	ssize_t n = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
	char *nl;

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		client_close(c);
		return;
	}
	c->heard_ms = now_ms();
	c->len += (size_t)n;
	while (c->fd >= 0 && (nl = memchr(c->buf, '\n', c->len))) {
		size_t l = (size_t)(nl - c->buf);

		if (c->skipping)
			c->skipping = false; /* the end of the long line: dropped */
		else
			client_send(c, api_handle_line(s->vm, c->buf, l));
		if (c->fd < 0)
			return;
		c->len -= l + 1;
		memmove(c->buf, nl + 1, c->len);
	}
	if (c->fd >= 0 && c->len == sizeof(c->buf)) {
		if (!c->skipping)
			client_send(c, error_reply("request longer than %d bytes", API_LINE_MAX));
		c->skipping = true;
		c->len = 0;
	}
}

static void accept_client(struct api_server *s)
{
	int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	struct api_client spare = {.fd = fd};

	if (fd < 0)
		return;
	for (unsigned int i = 0; i < API_CLIENTS; i++) {
		if (s->clients[i].fd < 0) {
			s->clients[i].fd = fd;
			s->clients[i].heard_ms = now_ms();
			return;
		}
	}
	client_send(&spare, error_reply("too many clients (at most %d at once)", API_CLIENTS));
	if (spare.fd >= 0)
		close(spare.fd);
}

/* True if c has bytes (or its end) waiting: not idle, only not read yet. */
static bool client_pending(const struct api_client *c)
{
	struct pollfd p = {.fd = c->fd, .events = POLLIN};

	return poll(&p, 1, 0) > 0;
}

/*
 * Disconnects the clients that have sent nothing for idle_ms (saying so
 * first). One whose request came while the server was busy (a pause that
 * took long) is not idle: the next turn reads it. Returns the poll timeout
 * until the next client would be idle, -1 if there is none.
 */
static int drop_idle(struct api_server *s)
{
	uint64_t now = now_ms(), next = UINT64_MAX;

	for (unsigned int i = 0; i < API_CLIENTS; i++) {
		struct api_client *c = &s->clients[i];
		uint64_t end = c->heard_ms + s->idle_ms;

		if (c->fd < 0)
			continue;
		if (end <= now && client_pending(c)) {
			next = now;
		} else if (end <= now) {
			client_send(c, error_reply("nothing received for %u ms: disconnected",
						   s->idle_ms));
			if (c->fd >= 0)
				client_close(c);
		} else if (end < next) {
			next = end;
		}
	}
	if (next == UINT64_MAX)
		return -1;
	return next - now > INT_MAX ? INT_MAX : (int)(next - now);
}

static void set_ready(struct api_server *s, int v)
{
	pthread_mutex_lock(&s->lock);
	s->ready = v;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

static void *api_thread(void *arg)
{
	struct api_server *s = arg;
	struct pollfd pf[2 + API_CLIENTS];
	int rc;

	prctl(PR_SET_NAME, "api-socket");
	rc = frontend_filter_thread(s->seccomp, "api-socket");
	set_ready(s, rc < 0 ? rc : 1);
	if (rc < 0)
		return NULL;
	frontend_test_violate();
	for (;;) {
		int timeout = drop_idle(s);
		unsigned int n = 2;

		pf[0] = (struct pollfd){.fd = s->wake_fd, .events = POLLIN};
		pf[1] = (struct pollfd){.fd = s->listen_fd, .events = POLLIN};
		for (unsigned int i = 0; i < API_CLIENTS; i++)
			pf[n++] = (struct pollfd){.fd = s->clients[i].fd, .events = POLLIN};
		if (poll(pf, n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pf[0].revents)
			break; /* stop */
		for (unsigned int i = 0; i < API_CLIENTS; i++)
			if (s->clients[i].fd >= 0 && pf[2 + i].revents)
				client_input(s, &s->clients[i]);
		if (pf[1].revents & POLLIN)
			accept_client(s);
	}
	for (unsigned int i = 0; i < API_CLIENTS; i++)
		if (s->clients[i].fd >= 0)
			client_close(&s->clients[i]);
	return NULL;
}

/* API_IDLE_MS, or MINIVMM_TEST_API_IDLE_MS (1 .. API_IDLE_MS) for the tests. */
static unsigned int idle_ms(void)
{
	const char *t = getenv("MINIVMM_TEST_API_IDLE_MS");
	char *end;
	unsigned long v;

	if (!t || !*t)
		return API_IDLE_MS;
	errno = 0;
	v = strtoul(t, &end, 10);
	return errno || *end || !v || v > API_IDLE_MS ? API_IDLE_MS : (unsigned int)v;
}

static int fail(char *err, size_t err_len, int rc, const char *fmt, const char *path)
{
	snprintf(err, err_len, fmt, path, strerror(-rc));
	return rc;
}

/* A socket file left by an earlier run is replaced; any other file is not touched. */
static int clear_path(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	return unlink(path) < 0 ? -errno : 0;
}

/*
 * Removes the socket file if it is still the one this server bound: another
 * VM may since have taken the path over (minivmm_serve_socket replaces a
 * socket file left at its path), and its file is not ours to remove.
 */
static void remove_own_file(const struct api_server *s)
{
	struct stat st;

	if (!s->ino || lstat(s->addr.sun_path, &st) < 0)
		return;
	if (S_ISSOCK(st.st_mode) && st.st_dev == s->dev && st.st_ino == s->ino)
		unlink(s->addr.sun_path);
}

static void server_free(struct api_server *s)
{
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	if (s->wake_fd >= 0)
		close(s->wake_fd);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* Stops the server thread, closes its clients and removes the socket file. */
static void server_stop(void *arg)
{
	struct api_server *s = arg;

	eventfd_write(s->wake_fd, 1);
	pthread_join(s->thread, NULL);
	/*
	 * The file goes here, on the thread that destroys the VM, once the
	 * server has ended: the server, which reads what clients send, may not
	 * unlink.
	 */
	remove_own_file(s);
	server_free(s);
}

int minivmm_serve_socket(struct minivmm *vm, const char *path, char *err, size_t err_len)
{
	struct api_server *s;
	sigset_t caller_mask;
	int rc;

	if (!path || !*path || strlen(path) >= sizeof(s->addr.sun_path)) {
		snprintf(err, err_len, "control socket path '%s' is empty or longer than %zu bytes",
			 path ? path : "", sizeof(s->addr.sun_path) - 1);
		return -EINVAL;
	}
	if (frontend_attached(vm)) {
		snprintf(err, err_len, "this VM already serves a control socket");
		return -EBUSY;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, err_len, "out of memory for the control socket");
		return -ENOMEM;
	}
	s->vm = vm;
	s->seccomp = frontend_seccomp_mode(vm);
	s->idle_ms = idle_ms();
	s->wake_fd = -1;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	for (unsigned int i = 0; i < API_CLIENTS; i++)
		s->clients[i].fd = -1;
	s->addr.sun_family = AF_UNIX;
	memcpy(s->addr.sun_path, path, strlen(path) + 1);
	s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->listen_fd < 0) {
		rc = fail(err, err_len, -errno, "control socket '%s': %s", path);
		goto out;
	}
	rc = clear_path(path);
	if (rc < 0) {
		fail(err, err_len, rc, "control socket '%s': %s (not replaced)", path);
		goto out;
	}
	/*
	 * 0600 from the start: no window in which another user could connect.
	 * Linux creates the file with the socket's own mode less the umask, so
	 * the mode is set on the fd before bind; a umask(0177) around bind would
	 * change the mask of the whole process, under the embedder's threads,
	 * and a chmod after bind would go by path a second time.
	 */
	rc = fchmod(s->listen_fd, 0600) < 0 ? -errno : 0;
	if (!rc && bind(s->listen_fd, (struct sockaddr *)&s->addr, sizeof(s->addr)) < 0)
		rc = -errno;
	if (!rc) {
		struct stat st;

		if (lstat(path, &st) == 0) {
			s->dev = st.st_dev;
			s->ino = st.st_ino;
		}
	}
	if (!rc && listen(s->listen_fd, API_CLIENTS) < 0)
		rc = -errno;
	if (rc < 0) {
		fail(err, err_len, rc, "control socket '%s': %s", path);
		goto out;
	}
	s->wake_fd = eventfd(0, EFD_CLOEXEC);
	if (s->wake_fd >= 0) {
		frontend_block_signals(&caller_mask);
		rc = -pthread_create(&s->thread, NULL, api_thread, s);
		pthread_sigmask(SIG_SETMASK, &caller_mask, NULL);
	}
	if (s->wake_fd < 0 || rc < 0) {
		if (s->wake_fd < 0)
			rc = -errno;
		remove_own_file(s);
		fail(err, err_len, rc, "control socket '%s': cannot start its thread: %s", path);
		goto out;
	}
	pthread_mutex_lock(&s->lock);
	while (!s->ready)
		pthread_cond_wait(&s->cond, &s->lock);
	rc = s->ready < 0 ? s->ready : 0;
	pthread_mutex_unlock(&s->lock);
	if (rc < 0) {
		pthread_join(s->thread, NULL);
		remove_own_file(s);
		fail(err, err_len, rc, "control socket '%s': cannot filter its thread: %s", path);
		goto out;
	}
	frontend_attach(vm, s, server_stop);
	return 0;
out:
	server_free(s);
	return rc;
}
