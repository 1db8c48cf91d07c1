// SPDX-License-Identifier: MIT
/*
 * minivmm-ctl SOCKET OP [KEY=VALUE ...]: one request to a minivmm control
 * socket (minivmm --api-socket, minivmm_serve_socket), its reply on stdout.
 * VALUE is sent as a number when it is one, else as a string:
 *   minivmm-ctl /run/vm.sock pause
 *   minivmm-ctl /run/vm.sock shutdown grace_ms=5000
 * Exit status: 0 when the reply says "ok": true, 1 when it carries an
 * error, 2 when there was no reply (no socket, bad arguments).
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define REPLY_MAX (1 << 20)

static int usage(void)
{
	fprintf(stderr, "usage: minivmm-ctl SOCKET OP [KEY=VALUE ...]\n"
			"  OP: info, stats, pause, resume, shutdown [grace_ms=MS], stop\n");
	return 2;
}

static bool is_integer(const char *s)
{
	char *end;

	errno = 0;
	(void)strtoll(s, &end, 10);
	return *s && !*end && !errno;
}

/* The request line, built by json-c; NULL with a message on bad arguments. */
static char *request(int argc, char **argv)
{
	struct json_object *o = json_object_new_object();
	const char *t;
	char *line = NULL;

	if (!o || json_object_object_add(o, "op", json_object_new_string(argv[2])))
		goto out;
	for (int i = 3; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		struct json_object *v;

		if (!eq || eq == argv[i]) {
			fprintf(stderr, "minivmm-ctl: '%s' is not KEY=VALUE\n", argv[i]);
			goto out;
		}
		*eq = '\0';
		v = is_integer(eq + 1) ? json_object_new_int64(strtoll(eq + 1, NULL, 10))
				       : json_object_new_string(eq + 1);
		if (!v || json_object_object_add(o, argv[i], v))
			goto out;
	}
	t = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	if (t && asprintf(&line, "%s\n", t) < 0)
		line = NULL;
out:
	json_object_put(o);
	return line;
}

static int connect_to(const char *path)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(a.sun_path)) {
		fprintf(stderr, "minivmm-ctl: socket path too long: %s\n", path);
		return -1;
	}
	memcpy(a.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		fprintf(stderr, "minivmm-ctl: cannot connect to %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	struct json_object *reply, *ok;
	char *line, *buf;
	size_t len = 0;
	int fd, status;

	if (argc < 3)
		return usage();
	line = request(argc, argv);
	if (!line)
		return 2;
	fd = connect_to(argv[1]);
	if (fd < 0 || send(fd, line, strlen(line), MSG_NOSIGNAL) != (ssize_t)strlen(line)) {
		if (fd >= 0)
			fprintf(stderr, "minivmm-ctl: cannot send: %s\n", strerror(errno));
		free(line);
		return 2;
	}
	free(line);
	buf = malloc(REPLY_MAX);
	if (!buf)
		return 2;
	while (len < REPLY_MAX - 1) {
		ssize_t n = read(fd, buf + len, REPLY_MAX - 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (memchr(buf + len - (size_t)n, '\n', (size_t)n))
			break;
	}
	close(fd);
	buf[len] = '\0';
	if (!len || !strchr(buf, '\n')) {
		fprintf(stderr, "minivmm-ctl: no reply from %s\n", argv[1]);
		free(buf);
		return 2;
	}
	*strchr(buf, '\n') = '\0';
	puts(buf);
	reply = json_tokener_parse(buf);
	status = reply && json_object_object_get_ex(reply, "ok", &ok) && json_object_get_boolean(ok)
			 ? 0
			 : 1;
	json_object_put(reply);
	free(buf);
	return status;
}
