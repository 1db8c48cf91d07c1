// SPDX-License-Identifier: MIT
/* The minivmm command: option parsing and the terminal around the API. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "common/timespec.h"
#include "vmm/cli/cli_opts.h"
#include "vmm/api/minivmm.h"
#include "vmm/cli/virtio_opts.h"

/* --help: these lines, each device kind's (vmm/cli/virtio_opts.c), then usage_tail. */
static const char usage_head[] =
	"Usage: minivmm --kernel FILE [options]\n"
	"Boot a Linux kernel (bzImage or ELF vmlinux) in a KVM virtual machine.\n"
	"\n"
	"  -k, --kernel FILE     kernel to boot (required)\n"
	"  -i, --initrd FILE     initial ramdisk\n"
	"  -c, --cmdline TEXT    kernel command line (replaces the default)\n"
	"  -a, --append TEXT     text appended to the kernel command line\n"
	"  -m, --mem SIZE        guest RAM, e.g. 512M or 2G (default 256M)\n"
	"  -p, --cpus N          number of vCPUs, 1 to 32 (default 1)\n";

static const char usage_tail[] =
	"      --in-order        offer VIRTIO_F_IN_ORDER on every virtio device\n"
	"      --packed          offer VIRTIO_F_RING_PACKED (the packed ring) on every\n"
	"                        virtio device\n"
	"      --seccomp=MODE    seccomp filters on every thread: on (default; a forbidden\n"
	"                        system call ends minivmm with SIGSYS), log, or off\n"
	"      --no-seccomp      the same as --seccomp=off\n"
	"  -t, --timeout SECS    stop the guest after SECS seconds (exit status 124); where\n"
	"                        each vCPU was is printed (so does SIGUSR1, without stopping)\n"
	"      --symbols FILE    System.map or vmlinux: name the guest function in that dump\n"
	"                        (an ELF vmlinux given as --kernel is used by default)\n"
	"      --metrics FILE    append the VM's counters to FILE as one JSON object per\n"
	"                        line, every --metrics-interval and once at the end\n"
	"      --metrics-interval SECS  how often (default 60; fractions allowed)\n"
	"      --api-socket PATH  serve a control socket at PATH (mode 0600): a JSON\n"
	"                        request per line, e.g. {\"op\":\"pause\"}; see minivmm-ctl\n"
	"  -v, --verbose         print the command line, how the VM ended and device counters\n"
	"  -h, --help            show this help\n"
	"  -V, --version         show the version\n"
	"\n"
	"The guest console is the 8250 UART at 0x3f8 (ttyS0), wired to stdin and\n"
	"stdout. A guest ends minivmm by rebooting (status 0) or by writing a byte N\n"
	"to I/O port 0x501 (status N). A triple fault is a reboot only when the\n"
	"command line says reboot=t; otherwise the guest crashed (status 122).\n"
	"SIGPWR asks the guest to shut down (Ctrl-Alt-Del on its keyboard).\n"
	"\n"
	"Exit status:\n"
	"  0        the guest rebooted or powered off\n"
	"  N        the guest wrote N to port 0x501\n"
	"  121      stopped by the host (library users: minivmm_stop)\n"
	"  122      the guest triple-faulted (crashed) and its command line lacks reboot=t\n"
	"  123      the guest rebooted after \"Kernel panic\" on its console\n"
	"  124      the --timeout expired\n"
	"  125      bad usage, or the VM could not be created\n"
	"  126      KVM could not run the guest (emulation failure, internal error)\n"
	"  128+S    minivmm was stopped by signal S (SIGINT, SIGTERM, SIGHUP)\n";

static struct termios saved_tty;
static int tty_saved;

static void restore_tty(void)
{
	if (tty_saved)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tty);
	tty_saved = 0;
}

/* Raw input so keys reach the guest as typed; signals still work. */
static void raw_tty(void)
{
	struct termios t;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_tty) < 0)
		return;
	t = saved_tty;
	t.c_iflag &= ~(unsigned)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
	t.c_lflag &= ~(unsigned)(ECHO | ECHONL | ICANON | IEXTEN);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0) {
		tty_saved = 1;
		atexit(restore_tty);
	}
}

static pthread_mutex_t sig_lock = PTHREAD_MUTEX_INITIALIZER;
static struct minivmm *sig_vm;
static int sig_caught;

static int sig_seccomp; /* the mode signal_thread filters itself with */

static void *signal_thread(void *arg)
{
	sigset_t *set = arg;
	int sig;

	/* It calls into the VM (minivmm_stop), so it is filtered like the thread that runs it. */
	if (minivmm_seccomp_thread(sig_seccomp, "signal") < 0)
		return NULL;

	for (;;) {
		if (sigwait(set, &sig) != 0)
			continue;
		pthread_mutex_lock(&sig_lock);
		if (sig == SIGUSR1) {
			/* Where is the guest? The VM goes on. */
			if (sig_vm)
				minivmm_dump_vcpus(sig_vm, stderr);
			pthread_mutex_unlock(&sig_lock);
			continue;
		}
		if (sig == SIGPWR) {
			/* init's signal for "power is going": ask the guest to shut down
			 * (Ctrl-Alt-Del); --timeout or a later SIGTERM still bound it. */
			if (sig_vm)
				minivmm_request_shutdown(sig_vm, 0);
			pthread_mutex_unlock(&sig_lock);
			continue;
		}
		if (!sig_caught)
			sig_caught = sig;
		if (sig_vm)
			minivmm_stop(sig_vm);
		pthread_mutex_unlock(&sig_lock);
	}
	return NULL;
}

/*
 * On a host whose KVM cannot run the guest well (minivmm_host_warning), a
 * guest silent for QUIET_SECS gets one more line saying why, so a user who
 * missed the warning is not left staring at an empty console.
 */
#define QUIET_SECS 10

/*
 * A helper thread of the CLI that sleeps on a monotonic clock until its
 * time comes or main says the VM is done (the console watch, --metrics).
 */
struct watcher {
	pthread_mutex_t lock;
	pthread_cond_t cond; /* CLOCK_MONOTONIC */
	bool done;	     /* under lock */
	bool started;
	pthread_t tid;
};

static void watcher_start(struct watcher *w, void *(*fn)(void *), void *arg)
{
	pthread_condattr_t ca;

	pthread_mutex_init(&w->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cond, &ca);
	pthread_condattr_destroy(&ca);
	w->started = pthread_create(&w->tid, NULL, fn, arg) == 0;
}

static void watcher_stop(struct watcher *w)
{
	if (!w->started)
		return;
	pthread_mutex_lock(&w->lock);
	w->done = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->tid, NULL);
	w->started = false;
}

/* Sleeps until *until (CLOCK_MONOTONIC) or done; the caller holds w->lock. True if done. */
static bool watcher_wait(struct watcher *w, const struct timespec *until)
{
	while (!w->done && pthread_cond_timedwait(&w->cond, &w->lock, until) == 0)
		;
	return w->done;
}

static struct watcher quiet_w;
static const char *quiet_why; /* the host warning, read before the filters went on */

static void *quiet_watch(void *arg)
{
	struct minivmm *vm = arg;
	struct timespec until;
	bool done;

	if (minivmm_seccomp_thread(sig_seccomp, "console-watch") < 0)
		return NULL;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += QUIET_SECS;
	pthread_mutex_lock(&quiet_w.lock);
	done = watcher_wait(&quiet_w, &until);
	pthread_mutex_unlock(&quiet_w.lock);
	if (!done && minivmm_console_bytes(vm) == 0)
		fprintf(stderr, "minivmm: no console output from the guest in %d s: %s\n",
			QUIET_SECS, quiet_why);
	return NULL;
}

/*
 * --metrics: a JSON object per line (minivmm_stats_json) every interval
 * from metrics_thread, and one at the end from main, as Firecracker's
 * metrics file has them.
 */
static const char *metrics_path;
static const char *api_socket_path;
static unsigned int metrics_interval_ms = 60000;
static int metrics_fd = -1;
static struct watcher metrics_w;

/* One line; a failed write is reported once and then metrics stop. */
static void metrics_write(struct minivmm *vm)
{
	struct minivmm_stats *s = calloc(1, sizeof(*s));
	char *json = NULL;
	size_t len, off = 0;

	if (s) {
		s->size = sizeof(*s);
		if (minivmm_get_stats(vm, s) == 0)
			json = minivmm_stats_json(s);
	}
	free(s);
	if (!json)
		return;
	len = strlen(json);
	json[len] = '\n'; /* replaces the terminator: written by length */
	while (off <= len && metrics_fd >= 0) {
		ssize_t n = write(metrics_fd, json + off, len + 1 - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr,
				"minivmm: cannot write --metrics file: %s; no more metrics\n",
				n < 0 ? strerror(errno) : "short write");
			metrics_fd = -1;
			break;
		}
		off += (size_t)n;
	}
	free(json);
}

static const char *file_kind(mode_t m)
{
	return S_ISLNK(m)		  ? "a symbolic link"
	       : S_ISFIFO(m)		  ? "a FIFO"
	       : S_ISCHR(m) || S_ISBLK(m) ? "a device"
	       : S_ISDIR(m)		  ? "a directory"
	       : S_ISSOCK(m)		  ? "a socket"
					  : "of an unknown kind";
}

/*
 * --metrics FILE: a regular file, appended to, created 0600 (the counters
 * tell what the guest does). Anything else at the path is refused: a
 * symbolic link (O_NOFOLLOW: not followed to a file someone else chose),
 * a FIFO (whose open would wait for a reader, and whose reader would take
 * the VM's metrics), a device. lstat() refuses those before any open;
 * O_NONBLOCK keeps an open that races with a FIFO put there from waiting,
 * and fstat() on the fd has the last word. The fd, or -1 with err set.
 */
static int metrics_open(const char *path, char *err, size_t len)
{
	struct stat st;
	int fd, e;

	if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		snprintf(err, len, "--metrics file '%s' is %s, not a regular file", path,
			 file_kind(st.st_mode));
		return -1;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);
	if (fd < 0) {
		e = errno;
		if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode))
			snprintf(err, len, "--metrics file '%s' is %s, not a regular file", path,
				 file_kind(st.st_mode));
		else
			snprintf(err, len, "cannot open --metrics file '%s': %s", path,
				 strerror(e));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, len, "--metrics file '%s' is not a regular file", path);
		close(fd);
		return -1;
	}
	/* A regular file: writes were never going to wait; back to plain. */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

static void *metrics_thread(void *arg)
{
	struct minivmm *vm = arg;
	struct timespec next;

	if (minivmm_seccomp_thread(sig_seccomp, "metrics") < 0)
		return NULL;
	clock_gettime(CLOCK_MONOTONIC, &next);
	pthread_mutex_lock(&metrics_w.lock);
	for (;;) {
		timespec_add_ms(&next, metrics_interval_ms);
		if (watcher_wait(&metrics_w, &next))
			break;
		metrics_write(vm);
	}
	pthread_mutex_unlock(&metrics_w.lock);
	return NULL;
}

/* One line on stderr, whatever bytes the user's text held. */
static int die(const char *fmt, const char *arg)
{
	char q[MINIVMM_ERR_LEN];

	fprintf(stderr, "minivmm: ");
	fprintf(stderr, fmt, cli_printable(arg, q, sizeof(q)));
	fprintf(stderr, "\n");
	return MINIVMM_STATUS_ERROR;
}

static int parse_timeout(const char *s, unsigned int *ms)
{
	char *end;
	double v;

	if (!s || ((*s < '0' || *s > '9') && *s != '.'))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || v <= 0 || v > 4000000.0)
		return -1;
	*ms = (unsigned int)(v * 1000.0 + 0.5);
	return *ms ? 0 : -1;
}

static void print_usage(void)
{
	fputs(usage_head, stdout);
	for (unsigned int k = 0; k < cli_n_virtio_opts; k++)
		fputs(cli_virtio_opts[k].help, stdout);
	fputs(usage_tail, stdout);
}

static const struct cli_virtio_opt *kind_of_option(int c)
{
	for (unsigned int k = 0; k < cli_n_virtio_opts; k++)
		if (cli_virtio_opts[k].short_opt == c)
			return &cli_virtio_opts[k];
	return NULL;
}

/* MAX_KINDS bounds the option tables built from vmm/cli/virtio_opts.c. */
#define MAX_KINDS 8

/* The options getopt_long takes: the fixed ones, then each device kind's ("d:" and --disk). */
static const struct option base_opts[] = {
	{"kernel", required_argument, NULL, 'k'},
	{"initrd", required_argument, NULL, 'i'},
	{"cmdline", required_argument, NULL, 'c'},
	{"append", required_argument, NULL, 'a'},
	{"mem", required_argument, NULL, 'm'},
	{"cpus", required_argument, NULL, 'p'},
	{"timeout", required_argument, NULL, 't'},
	{"verbose", no_argument, NULL, 'v'},
	{"in-order", no_argument, NULL, 'O'},
	{"packed", no_argument, NULL, 'Q'},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'V'},
	{"seccomp", required_argument, NULL, 'S'},
	{"no-seccomp", no_argument, NULL, 'N'},
	{"symbols", required_argument, NULL, 'Y'},
	{"metrics", required_argument, NULL, 'M'},
	{"metrics-interval", required_argument, NULL, 'I'},
	{"api-socket", required_argument, NULL, 'A'},
};
#define N_BASE_OPTS (sizeof(base_opts) / sizeof(base_opts[0]))

struct opt_tables {
	struct option opts[N_BASE_OPTS + MAX_KINDS + 1];
	char optstring[32 + 2 * MAX_KINDS];
};

static void build_opt_tables(struct opt_tables *t)
{
	unsigned int n = cli_n_virtio_opts < MAX_KINDS ? cli_n_virtio_opts : MAX_KINDS;

	memcpy(t->opts, base_opts, sizeof(base_opts));
	strcpy(t->optstring, ":k:i:c:a:m:p:t:");
	for (unsigned int k = 0; k < n; k++) {
		size_t l = strlen(t->optstring);

		t->opts[N_BASE_OPTS + k] = (struct option){
			cli_virtio_opts[k].option,
			cli_virtio_opts[k].takes_value ? required_argument : no_argument, NULL,
			cli_virtio_opts[k].short_opt};
		t->optstring[l] = (char)cli_virtio_opts[k].short_opt;
		t->optstring[l + 1] = cli_virtio_opts[k].takes_value ? ':' : '\0';
		t->optstring[l + 2] = '\0';
	}
	t->opts[N_BASE_OPTS + n] = (struct option){NULL, 0, NULL, 0};
	strcat(t->optstring, "vhV");
}

/* --mem: a size in the user's units, checked against the API's bounds. */
static int parse_mem(const char *arg, struct minivmm_config *cfg)
{
	char err[MINIVMM_ERR_LEN];
	uint64_t mem;

	if (minivmm_parse_size(arg, &mem))
		return die("bad --mem '%s': give a size like 512M or 2G", arg);
	/* In the user's units; a bare number is bytes, unlike QEMU's -m. */
	if (mem < MINIVMM_MEM_MIN || mem > MINIVMM_MEM_MAX) {
		size_t l = strlen(arg);
		int bare = l && arg[l - 1] >= '0' && arg[l - 1] <= '9';

		if (mem < MINIVMM_MEM_MIN)
			fprintf(stderr, "minivmm: bad --mem '%s': the minimum is %lluM", arg,
				MINIVMM_MEM_MIN >> 20);
		else
			fprintf(stderr, "minivmm: bad --mem '%s': the maximum is %lluT", arg,
				MINIVMM_MEM_MAX >> 40);
		fprintf(stderr, "%s\n",
			bare ? " (a number without K, M, G or T counts bytes)" : "");
		return MINIVMM_STATUS_ERROR;
	}
	if (minivmm_config_set_mem(cfg, mem, err, sizeof(err)))
		return die("%s", err);
	return 0;
}

static int parse_seccomp(const char *arg, int *seccomp)
{
	if (!strcmp(arg, "on"))
		*seccomp = MINIVMM_SECCOMP_ON;
	else if (!strcmp(arg, "log"))
		*seccomp = MINIVMM_SECCOMP_LOG;
	else if (!strcmp(arg, "off"))
		*seccomp = MINIVMM_SECCOMP_OFF;
	else
		return die("bad --seccomp '%s': give on, log or off", arg);
	return 0;
}

/* What the command line asks besides the config. */
struct cli_args {
	int verbose;
	int seccomp;
	bool kernel;
};

/* A config setter's refusal as the CLI's one line, or 0. */
static int set_or_die(int rc, const char *err)
{
	return rc ? die("%s", err) : 0;
}

/*
 * One option c (its value in optarg) into cfg or a; 0 to go on, else what
 * parse_args returns: -1 after --help or --version, or an exit status.
 */
static int parse_option(int c, char **argv, struct minivmm_config *cfg, struct cli_args *a)
{
	const struct cli_virtio_opt *kind = kind_of_option(c);
	char err[MINIVMM_ERR_LEN];
	unsigned long n;
	unsigned int ms;

	if (kind)
		return kind->parse(optarg, cfg, err, sizeof(err)) ? die("%s", err) : 0;
	switch (c) {
	case 'k':
		a->kernel = true;
		return set_or_die(minivmm_config_set_kernel(cfg, optarg, err, sizeof(err)), err);
	case 'i':
		return set_or_die(minivmm_config_set_initrd(cfg, optarg, err, sizeof(err)), err);
	case 'c':
		return set_or_die(minivmm_config_set_cmdline(cfg, optarg, err, sizeof(err)), err);
	case 'a':
		return set_or_die(minivmm_config_set_append(cfg, optarg, err, sizeof(err)), err);
	case 'm':
		return parse_mem(optarg, cfg);
	case 'p':
		if (cli_parse_uint(optarg, UINT_MAX, &n) || n == 0)
			return die("bad --cpus '%s': give a number from 1 to 32", optarg);
		return set_or_die(minivmm_config_set_vcpus(cfg, (unsigned int)n, err, sizeof(err)),
				  err);
	case 't':
		if (parse_timeout(optarg, &ms))
			return die("bad --timeout '%s': give seconds, e.g. 30 or 2.5", optarg);
		minivmm_config_set_timeout(cfg, ms, NULL, 0);
		return 0;
	case 'v':
		a->verbose = 1;
		return 0;
	case 'O':
		minivmm_config_set_in_order(cfg, 1, NULL, 0);
		return 0;
	case 'Q':
		minivmm_config_set_packed(cfg, 1, NULL, 0);
		return 0;
	case 'S':
		return parse_seccomp(optarg, &a->seccomp);
	case 'N':
		a->seccomp = MINIVMM_SECCOMP_OFF;
		return 0;
	case 'Y':
		return set_or_die(minivmm_config_set_symbols(cfg, optarg, err, sizeof(err)), err);
	case 'M':
		metrics_path = optarg;
		return 0;
	case 'A':
		api_socket_path = optarg;
		return 0;
	case 'I':
		if (parse_timeout(optarg, &metrics_interval_ms))
			return die("bad --metrics-interval '%s': give seconds, e.g. 60 or 0.5",
				   optarg);
		return 0;
	case 'h':
		print_usage();
		return -1;
	case 'V':
		printf("minivmm %s\n", minivmm_version());
		return -1;
	case ':':
		return die("option '%s' needs a value (see --help)", argv[optind - 1]);
	default:
		return die("unknown option '%s'; try 'minivmm --help'", argv[optind - 1]);
	}
}

/* 0, -1 after --help or --version (exit 0), or an exit status after one line on stderr. */
static int parse_args(int argc, char **argv, struct minivmm_config *cfg, struct cli_args *a)
{
	struct opt_tables t;
	char err[MINIVMM_ERR_LEN];
	int c, rc;

	build_opt_tables(&t);
	opterr = 0; /* our own one-line messages instead of getopt's */
	while ((c = getopt_long(argc, argv, t.optstring, t.opts, NULL)) != -1) {
		rc = parse_option(c, argv, cfg, a);
		if (rc)
			return rc;
	}
	if (optind < argc)
		return die("unexpected argument '%s'", argv[optind]);
	if (!a->kernel)
		return die("%s", "no kernel given: use --kernel FILE (see --help)");
	if (minivmm_config_set_seccomp(cfg, a->seccomp, err, sizeof(err)))
		return die("%s", err);
	return 0;
}

/*
 * A closed stdin, stdout or stderr would be handed to the next open(): the
 * console thread would then read a device's eventfd as keyboard input, or
 * guest output land in one. Returns -1 when /dev/null cannot be opened.
 */
static int reopen_std_fds(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		int nfd;

		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		/* The lowest free descriptor is this one. */
		nfd = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
		if (nfd != fd) {
			if (nfd >= 0)
				close(nfd);
			return -1;
		}
	}
	return 0;
}

/*
 * The guest never waits for stdout: what a slow or gone reader could not
 * take was dropped, and the user is told how much.
 */
static void print_console_dropped(struct minivmm *vm)
{
	struct minivmm_stats *s = calloc(1, sizeof(*s));

	if (!s)
		return;
	s->size = sizeof(*s);
	if (!minivmm_get_stats(vm, s) && s->console_dropped)
		fprintf(stderr,
			"minivmm: %" PRIu64 " of the guest's %" PRIu64 " console bytes were "
			"dropped: stdout did not take them in time\n",
			s->console_dropped, s->console_bytes);
	free(s);
}

/*
 * The config the command line asks for, the console on the terminal; NULL
 * with *rc the exit status (0 after --help or --version).
 */
static struct minivmm_config *config_from_args(int argc, char **argv, struct cli_args *a, int *rc)
{
	struct minivmm_config *cfg = minivmm_config_new();
	char err[MINIVMM_ERR_LEN];

	if (!cfg) {
		*rc = die("%s", "out of memory");
		return NULL;
	}
	/* The console is the terminal's; the library's default is none. */
	if (minivmm_config_set_console_fds(cfg, STDIN_FILENO, STDOUT_FILENO, err, sizeof(err))) {
		minivmm_config_free(cfg);
		*rc = die("%s", err);
		return NULL;
	}
	*rc = parse_args(argc, argv, cfg, a);
	if (*rc) {
		minivmm_config_free(cfg);
		*rc = *rc < 0 ? 0 : *rc;
		return NULL;
	}
	return cfg;
}

/* Every thread inherits this mask, so only signal_thread sees these. */
static int start_signal_thread(int seccomp)
{
	static sigset_t sigs;
	pthread_t sigthread;
	int rc;

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGUSR1);
	sigaddset(&sigs, SIGPWR);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	sig_seccomp = seccomp;
	rc = pthread_create(&sigthread, NULL, signal_thread, &sigs);
	if (rc)
		return die("cannot start the signal thread: %s", strerror(rc));
	pthread_detach(sigthread);
	return 0;
}

/*
 * The errno a device's io_uring setup failed with (its uring_unavailable
 * counter), or 0 when every device has its ring. One device says it for
 * all: they ask the same kernel.
 */
static int uring_unavailable(struct minivmm *vm)
{
	struct minivmm_stats *st = calloc(1, sizeof(*st));
	uint64_t v = 0;

	if (!st)
		return 0;
	st->size = sizeof(*st);
	if (!minivmm_get_stats(vm, st))
		for (unsigned int i = 0; i < st->n_devices && !v; i++)
			if (minivmm_device_counter(&st->devices[i], "uring_unavailable", &v))
				v = 0;
	free(st);
	return (int)v;
}

/*
 * Everything around the VM before it runs: the host warning, a signal
 * already caught, the control socket, --metrics. 0, or an exit status
 * (the VM then destroyed).
 */
static int prepare_vm(struct minivmm *vm, int verbose)
{
	char err[MINIVMM_ERR_LEN];
	int caught, no_uring;

	if (verbose)
		fprintf(stderr, "minivmm: kernel command line: %s\n", minivmm_cmdline(vm));
	no_uring = uring_unavailable(vm);
	if (no_uring)
		fprintf(stderr,
			"minivmm: io_uring is unavailable (%s): device threads wait with ppoll, "
			"disks use engine=threads\n",
			strerror(no_uring));
	quiet_why = minivmm_host_warning(vm);
	if (quiet_why) {
		fprintf(stderr, "minivmm: warning: %s\n", quiet_why);
		watcher_start(&quiet_w, quiet_watch, vm);
	}
	pthread_mutex_lock(&sig_lock);
	sig_vm = vm;
	caught = sig_caught;
	pthread_mutex_unlock(&sig_lock);
	if (caught)
		minivmm_stop(vm);

	if (api_socket_path && minivmm_serve_socket(vm, api_socket_path, err, sizeof(err)) < 0) {
		minivmm_destroy(vm);
		return die("%s", err);
	}
	if (metrics_path) {
		metrics_fd = metrics_open(metrics_path, err, sizeof(err));
		if (metrics_fd < 0) {
			minivmm_destroy(vm);
			return die("%s", err);
		}
		watcher_start(&metrics_w, metrics_thread, vm);
	}
	return 0;
}

/* Runs the VM on the raw terminal; the watchers and the signal thread let go of it after. */
static int run_vm(struct minivmm *vm, struct minivmm_exit *ex)
{
	int rc;

	raw_tty();
	rc = minivmm_run(vm, ex);
	restore_tty();
	watcher_stop(&metrics_w);
	if (metrics_fd >= 0) {
		metrics_write(vm); /* the last one, state "ended" */
		close(metrics_fd);
	}
	watcher_stop(&quiet_w);

	pthread_mutex_lock(&sig_lock);
	sig_vm = NULL;
	pthread_mutex_unlock(&sig_lock);
	return rc;
}

/* What the VM's end says on stderr, and the exit status it gives. */
static int exit_status(const struct minivmm_exit *ex, int verbose)
{
	int status = ex->status;

	if (ex->stuck[0])
		fprintf(stderr, "minivmm: %s did not stop within %.1f s; left it running\n",
			ex->stuck, MINIVMM_STOP_GRACE_MS / 1000.0);
	if (ex->reason == MINIVMM_EXIT_STOPPED && sig_caught)
		status = 128 + sig_caught;
	if (ex->reason == MINIVMM_EXIT_FAILED || ex->reason == MINIVMM_EXIT_GUEST_PANIC ||
	    ex->reason == MINIVMM_EXIT_TRIPLE_FAULT)
		fprintf(stderr, "minivmm: %s\n", ex->message);
	else if (verbose)
		fprintf(stderr, "minivmm: %s after %.3f s (%s), exit status %d\n", ex->message,
			ex->runtime_ms / 1000.0, minivmm_exit_reason_name(ex->reason), status);
	return status;
}

int main(int argc, char **argv)
{
	/* The CLI is filtered unless told otherwise (seccomp). */
	struct cli_args a = {.seccomp = MINIVMM_SECCOMP_ON};
	struct minivmm_config *cfg;
	struct minivmm_exit ex;
	struct minivmm *vm;
	char err[MINIVMM_ERR_LEN];
	int rc;

	if (reopen_std_fds())
		return MINIVMM_STATUS_ERROR;
	/* A console pipe whose reader went away (minivmm ... | head -1) must not
	 * kill the VM: the guest keeps running and its output is dropped, as
	 * QEMU does; the serial port's write just fails with EPIPE. */
	signal(SIGPIPE, SIG_IGN);
	cfg = config_from_args(argc, argv, &a, &rc);
	if (!cfg)
		return rc;
	rc = start_signal_thread(a.seccomp);
	if (rc)
		return rc;

	rc = minivmm_create(cfg, &vm, err, sizeof(err));
	minivmm_config_free(cfg);
	if (rc < 0)
		return die("%s", err);
	rc = prepare_vm(vm, a.verbose);
	if (rc)
		return rc;

	rc = run_vm(vm, &ex);
	if (a.verbose)
		minivmm_print_stats(vm, stderr);
	print_console_dropped(vm);
	/* A CI job whose guest hung wants to know where: every vCPU, then the verdict. */
	if (rc == 0 && ex.reason == MINIVMM_EXIT_TIMEOUT) {
		fprintf(stderr, "minivmm: timeout: guest still running after %.1f s, stopped it\n",
			ex.runtime_ms / 1000.0);
		minivmm_dump_vcpus(vm, stderr);
	}
	minivmm_destroy(vm);
	if (rc < 0)
		return die("%s", strerror(-rc));
	return exit_status(&ex, a.verbose);
}
