/* SPDX-License-Identifier: MIT */
/*
 * minivmm embedding API: describe a VM in a config, create it, run it until
 * it ends, read why it ended, destroy it. The CLI (vmm/cli/main.c) is one user of
 * this API; nothing here prints or exits the process.
 */
#ifndef MINIVMM_H
#define MINIVMM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The version of this header; the Makefile reads it from here (VERSION, the
 * shared library's names and minivmm.pc). The library's soname changes with
 * MAJOR. minivmm_version() says which library is actually loaded.
 */
#define MINIVMM_VERSION_MAJOR 1
#define MINIVMM_VERSION_MINOR 1
#define MINIVMM_VERSION_PATCH 0

#define MINIVMM_ERR_LEN 512

/*
 * Exit statuses the CLI uses for its own verdicts (struct minivmm_exit's
 * status); a guest may pick any other through the exit port.
 */
enum {
	MINIVMM_STATUS_STOPPED = 121,	   /* stopped by the host: minivmm_stop(), or a
					    * request_shutdown() the guest did not honour
					    * in time (the CLI: 128 + signal instead) */
	MINIVMM_STATUS_TRIPLE_FAULT = 122, /* the guest triple-faulted without reboot=t */
	MINIVMM_STATUS_TIMEOUT = 124,	   /* --timeout expired */
	MINIVMM_STATUS_ERROR = 125,	   /* bad usage or start-up failure */
	MINIVMM_STATUS_VM_FAILED = 126,	   /* KVM could not run the guest */
	MINIVMM_STATUS_GUEST_PANIC = 123,  /* the guest kernel panicked, then reset */
};

/* Port that ends the VM with the byte written as exit status. */
#define MINIVMM_EXIT_PORT 0x501

/* Guest RAM (minivmm_config_set_mem): 16 MiB to 1 TiB, 256 MiB by default. */
#define MINIVMM_MEM_MIN	    (16ULL << 20)
#define MINIVMM_MEM_MAX	    (1ULL << 40)
#define MINIVMM_MEM_DEFAULT (256ULL << 20)

#define MINIVMM_MAX_DISKS    8
#define MINIVMM_MAX_NETS     4
#define MINIVMM_MAX_NET_FWDS 8 /* forwarded host ports of a user-mode card */
#define MINIVMM_MAX_RNGS     1
#define MINIVMM_MAX_VIRTIO   (MINIVMM_MAX_DISKS + MINIVMM_MAX_NETS + MINIVMM_MAX_RNGS)

/* Busy-poll budget of a device thread (minivmm_config_set_disk_poll, _net_poll). */
#define MINIVMM_POLL_US	    50
#define MINIVMM_POLL_US_MAX 1000

enum minivmm_seccomp {
	MINIVMM_SECCOMP_OFF = 0,
	MINIVMM_SECCOMP_ON,  /* a forbidden call ends the process with SIGSYS, naming the thread */
	MINIVMM_SECCOMP_LOG, /* forbidden calls are allowed and logged by the kernel */
};

/*
 * The configuration: an opaque object, built with setters.
 *
 * Why an object and not a struct: a struct the caller allocates fixes its
 * size and layout in every binary built against this header, so adding
 * one field (a device option, a limit) breaks them all. A struct versioned
 * by a size first field (as struct minivmm_stats is) survives additions at
 * its end, but still freezes every existing field's type and meaning, makes
 * the caller own inline arrays and the lifetime of every string, and
 * leaves checking to minivmm_create(), far from the value that was wrong.
 * An object grows by new functions only, so a binary built against this
 * header keeps working with every later library of the same major
 * version; each setter checks its value where it is given; and the object
 * copies every string, so the caller's buffers need not outlive the call.
 * libkrun's krun_create_ctx() and krun_set_*() do the same. (The stats
 * stay a versioned struct: a snapshot the caller reads field by field,
 * often, wants one call and no allocation. struct minivmm_exit is frozen
 * for this major version: more about an exit would come through new
 * functions.)
 *
 * Every setter returns 0 (add_disk and add_net: the new device's index)
 * or a negative errno with one line of text in err (err may be NULL), and
 * leaves the config as it was when it refuses a value. A config is not
 * thread-safe; minivmm_create() copies it, so it may be changed or freed
 * as soon as create returns, and one config may create several VMs.
 */
struct minivmm_config;

/* A config with the defaults: 256 MiB, 1 vCPU, no console, no seccomp, no devices. NULL when
 * out of memory. */
struct minivmm_config *minivmm_config_new(void);
void minivmm_config_free(struct minivmm_config *cfg);

/* The kernel: bzImage or ELF vmlinux; required. */
int minivmm_config_set_kernel(struct minivmm_config *cfg, const char *path, char *err,
			      size_t err_len);
/* An initial ramdisk; NULL for none (the default). */
int minivmm_config_set_initrd(struct minivmm_config *cfg, const char *path, char *err,
			      size_t err_len);
/* Replaces the default kernel command line; NULL for the default. */
int minivmm_config_set_cmdline(struct minivmm_config *cfg, const char *cmdline, char *err,
			       size_t err_len);
/* Text appended to the (default or given) command line; NULL for none. */
int minivmm_config_set_append(struct minivmm_config *cfg, const char *text, char *err,
			      size_t err_len);
/* Guest RAM in bytes: MINIVMM_MEM_MIN to MINIVMM_MEM_MAX, a multiple of 4 KiB. */
int minivmm_config_set_mem(struct minivmm_config *cfg, uint64_t bytes, char *err, size_t err_len);
/* vCPUs: 1 to the machine's maximum (32). */
int minivmm_config_set_vcpus(struct minivmm_config *cfg, unsigned int n, char *err, size_t err_len);
/* The VM ends with MINIVMM_EXIT_TIMEOUT this long after start; 0 (the default): never. */
int minivmm_config_set_timeout(struct minivmm_config *cfg, unsigned int ms, char *err,
			       size_t err_len);
/*
 * The guest's serial console: in_fd is read for its input (by a thread of
 * the library, with poll), out_fd gets its output; -1 for none, which is
 * the default for both: without this call the library touches neither
 * stdin nor stdout. The fds stay the caller's (never closed, flags never
 * changed) and must stay open until minivmm_destroy(). -EBADF for an fd
 * not open for that use.
 *
 * Output goes through a 64 KiB queue that a thread of the library writes
 * to out_fd, so the guest never waits for out_fd's reader: when the reader
 * falls behind and the queue is full, the guest's bytes are dropped and
 * counted (struct minivmm_stats.console_dropped). At the end of the VM
 * what is queued is written out for as long as MINIVMM_STOP_GRACE_MS
 * allows, and dropped after that.
 */
int minivmm_config_set_console_fds(struct minivmm_config *cfg, int in_fd, int out_fd, char *err,
				   size_t err_len);
/* The KVM device; NULL (the default) for /dev/kvm. */
int minivmm_config_set_kvm_path(struct minivmm_config *cfg, const char *path, char *err,
				size_t err_len);
/* System.map or vmlinux, to name functions in minivmm_dump_vcpus(); NULL for none. */
int minivmm_config_set_symbols(struct minivmm_config *cfg, const char *path, char *err,
			       size_t err_len);
/* Offer VIRTIO_F_IN_ORDER on every virtio device (default off). */
int minivmm_config_set_in_order(struct minivmm_config *cfg, int on, char *err, size_t err_len);
/*
 * Offer VIRTIO_F_RING_PACKED on every virtio device (default off): a driver
 * that accepts it lays out every queue as a packed ring (since 1.1.0).
 */
int minivmm_config_set_packed(struct minivmm_config *cfg, int on, char *err, size_t err_len);
/*
 * seccomp filters on every thread of the VM, from before the guest's first
 * instruction (enum minivmm_seccomp; default off for embedders: the
 * library's own threads get one; minivmm_run()'s caller too, for good, but
 * not minivmm_start()'s). With MINIVMM_SECCOMP_ON the library also sets a
 * SIGSYS handler (see "Process-wide effects" below).
 */
int minivmm_config_set_seccomp(struct minivmm_config *cfg, int mode, char *err, size_t err_len);
/*
 * The signal that kicks this VM's vCPU threads out of KVM_RUN (a pause, a
 * dump, the end): SIGUSR1, SIGUSR2 or one of SIGRTMIN..SIGRTMAX; SIGRTMIN
 * by default. Pick one the process uses for nothing else (see
 * "Process-wide effects" below).
 */
int minivmm_config_set_kick_signal(struct minivmm_config *cfg, int sig, char *err, size_t err_len);

/* minivmm_config_add_disk() flags. */
#define MINIVMM_DISK_READ_ONLY (1u << 0) /* VIRTIO_BLK_F_RO; the file is opened read-only */
#define MINIVMM_DISK_DIRECT    (1u << 1) /* O_DIRECT */

/*
 * A virtio-blk disk (vda, vdb, ... in the order added) on an image file or
 * block device; at most MINIVMM_MAX_DISKS. Returns its index for the
 * set_disk_* calls, or a negative errno (-EINVAL for an unknown flag).
 */
int minivmm_config_add_disk(struct minivmm_config *cfg, const char *path, unsigned int flags,
			    char *err, size_t err_len);
/* Its GET_ID answer, at most 20 bytes; NULL (the default): the file's base name. */
int minivmm_config_set_disk_serial(struct minivmm_config *cfg, unsigned int disk,
				   const char *serial, char *err, size_t err_len);
/*
 * Busy-poll budget of the disk's thread before it sleeps, in us (adaptive,
 * up to this) while no request is in flight: 0 (the default)
 * MINIVMM_POLL_US; negative: never; at most MINIVMM_POLL_US_MAX.
 */
int minivmm_config_set_disk_poll(struct minivmm_config *cfg, unsigned int disk, int poll_us,
				 char *err, size_t err_len);
/* What does a disk's I/O (minivmm_config_set_disk_engine). */
enum minivmm_disk_engine {
	/* The disk thread's io_uring (the default). */
	MINIVMM_DISK_ENGINE_URING = 0,
	/* A few worker threads making the system calls: for hosts whose io_uring
	 * must not do file I/O. The disk thread still waits on an io_uring. */
	MINIVMM_DISK_ENGINE_THREADS = 1,
};
/* The disk's I/O engine, an enum minivmm_disk_engine; -EINVAL for another value. */
int minivmm_config_set_disk_engine(struct minivmm_config *cfg, unsigned int disk, int engine,
				   char *err, size_t err_len);

/*
 * A virtio-net card (eth0, eth1, ... after the disks) on an existing TAP
 * interface (create it first, e.g. `ip tuntap add dev tap0 mode tap user
 * $USER`); at most MINIVMM_MAX_NETS. Returns its index or a negative errno.
 */
int minivmm_config_add_net(struct minivmm_config *cfg, const char *tap, char *err, size_t err_len);
/*
 * A virtio-net card on a user-mode network (libslirp) in minivmm's process,
 * for users without root: no TAP. The guest's network is net ("A.B.C.D/N",
 * N from 8 to 28; NULL: "10.0.2.0/24"): the gateway is its .2, a DNS
 * forwarder its .3, and DHCP hands out addresses from its .15. The guest's
 * TCP and UDP leave as minivmm's own sockets. Returns the card's index or a
 * negative errno (-EINVAL: a bad net).
 */
int minivmm_config_add_net_user(struct minivmm_config *cfg, const char *net, char *err,
				size_t err_len);
/*
 * On user-mode card net: TCP connections to host_addr:host_port ("A.B.C.D";
 * NULL: 127.0.0.1, only this host) go to the guest's guest_port (at its
 * first DHCP address, .15). Ports 1 to 65535; at most MINIVMM_MAX_NET_FWDS.
 * The host port is bound when the VM is created: one in use fails it.
 */
int minivmm_config_add_net_hostfwd(struct minivmm_config *cfg, unsigned int net,
				   const char *host_addr, unsigned int host_port,
				   unsigned int guest_port, char *err, size_t err_len);
/* A unicast MAC; NULL (the default): 52:54:00:12:34:56 + the card's index. */
int minivmm_config_set_net_mac(struct minivmm_config *cfg, unsigned int net, const uint8_t mac[6],
			       char *err, size_t err_len);
/* 68 to 65535; 0 (the default): VIRTIO_NET_F_MTU not offered. */
int minivmm_config_set_net_mtu(struct minivmm_config *cfg, unsigned int net, unsigned int mtu,
			       char *err, size_t err_len);
/* 0: GUEST_TSO4/6 not offered (the TAP segments for the guest); 1 (the default): offered. */
int minivmm_config_set_net_guest_tso(struct minivmm_config *cfg, unsigned int net, int on,
				     char *err, size_t err_len);
/* As minivmm_config_set_disk_poll(), for the card's transmit ring. */
int minivmm_config_set_net_poll(struct minivmm_config *cfg, unsigned int net, int poll_us,
				char *err, size_t err_len);

/*
 * A virtio-rng entropy source (rng0, after the disks and cards) filled from
 * the host's getrandom(2); at most MINIVMM_MAX_RNGS. Returns its index or
 * a negative errno.
 */
int minivmm_config_add_rng(struct minivmm_config *cfg, char *err, size_t err_len);

/*
 * Why the VM ended, each with its name (minivmm_exit_reason_name) and the
 * status it suggests (struct minivmm_exit.status).
 */
enum minivmm_exit_reason {
	MINIVMM_EXIT_NONE = 0,	   /* "none": still running */
	MINIVMM_EXIT_RESET,	   /* "reset", 0: i8042 reset, KVM system reset, or a
				    * triple fault when the command line says reboot=t */
	MINIVMM_EXIT_POWEROFF,	   /* "poweroff", 0: KVM system event: shutdown */
	MINIVMM_EXIT_STATUS_PORT,  /* "exit-port", the byte: the guest wrote a byte to
				    * MINIVMM_EXIT_PORT; status is that byte */
	MINIVMM_EXIT_TIMEOUT,	   /* "timeout", 124: the config's timeout elapsed */
	MINIVMM_EXIT_STOPPED,	   /* "stopped", 121: stopped by the host (minivmm_stop,
				    * or a request_shutdown() grace that ran out) */
	MINIVMM_EXIT_FAILED,	   /* "failed", 126 (125 when it could not start):
				    * KVM could not run the guest; see message */
	MINIVMM_EXIT_GUEST_PANIC,  /* "panic", 123: a reset after "Kernel panic" on the
				    * console */
	MINIVMM_EXIT_TRIPLE_FAULT, /* "triple-fault", 122: a triple fault the command
				    * line did not ask for: the guest crashed
				    * (reboot=t makes it a RESET) */
};

struct minivmm_exit {
	enum minivmm_exit_reason reason;
	int status;	     /* suggested process exit status */
	uint64_t runtime_ms; /* wall time from start() to the end of the VM */
	char message[MINIVMM_ERR_LEN];
	/*
	 * Threads that did not stop within MINIVMM_STOP_GRACE_MS of the end
	 * ("virtio-blk thread (vda)", ...), empty when all did. They are left
	 * running and the VM stays allocated: minivmm_destroy() then frees
	 * nothing they may still use. status is not changed by it.
	 */
	char stuck[MINIVMM_ERR_LEN];
};

/* How long the VM waits for its vCPU and device threads once it ends. */
#define MINIVMM_STOP_GRACE_MS 2000

struct minivmm;

/* "MAJOR.MINOR.PATCH" of the library, e.g. "0.1.0". */
const char *minivmm_version(void);

/*
 * Creates the VM from cfg (copied: cfg may be freed right after) and loads
 * the kernel. On failure returns a negative errno, leaves *out NULL and
 * writes one line naming the problem into err.
 */
int minivmm_create(const struct minivmm_config *cfg, struct minivmm **out, char *err,
		   size_t err_len);

/*
 * The lifecycle: create -> start -> (pause <-> resume)* -> the VM ends
 * (the guest, a timeout, request_shutdown, stop) -> wait -> destroy.
 *
 * minivmm_start() returns at once: the vCPUs, each device and a thread of
 * the library's own ("minivmm-vm", which enforces the config's timeout
 * and stops everything at the end) run on their own threads. A start-up
 * failure after create shows as a FAILED exit, not as start's return.
 * 0, or -EALREADY when the VM was started before.
 *
 * Every function below is thread-safe; none is async-signal-safe.
 *
 * Process-wide effects: all the library does to the process, and when.
 * - The kick signal (minivmm_config_set_kick_signal; SIGRTMIN by default):
 *   every minivmm_start() and minivmm_run() sets its disposition to a
 *   handler that does nothing (sa_flags 0, empty sa_mask); the library
 *   sends it only to its own vCPU threads (pthread_kill), to bring them
 *   out of KVM_RUN with EINTR, and at the end to its console output
 *   thread, to end a write(2) the console's reader does not let finish.
 *   Never restored: another VM may still use
 *   it. Any other handler for that signal is replaced: give the library a
 *   signal the process uses for nothing else. No other disposition is set,
 *   except:
 * - SIGSYS, only with MINIVMM_SECCOMP_ON: each library thread (and
 *   minivmm_run()'s caller, minivmm_seccomp_thread()'s) sets, as it
 *   installs its filter, a handler that names the thread and the call on
 *   stderr and ends the process, which a forbidden call ends anyway.
 * - Signal masks: the caller's is left as it was (start, run and
 *   serve_socket block signals only around their pthread_create calls).
 *   Every thread of the library blocks every asynchronous signal (SIGINT,
 *   SIGTERM, SIGCHLD, SIGPIPE, SIGUSR1, real-time ones ...; not SIGSEGV,
 *   SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS), so a signal sent to the
 *   process always goes to one of the embedder's threads; a vCPU thread
 *   and the console output thread take their VM's kick signal and nothing
 *   else. A console whose reader
 *   went away is an EPIPE for the library, never a SIGPIPE for the process.
 * - The umask: never changed. minivmm_serve_socket() sets the socket's
 *   own mode to 0600 before bind(2), so the file is never more than 0600
 *   (less what the process umask takes away).
 * - File descriptors: only the console fds the embedder gave are used; the
 *   library's own are opened close-on-exec and closed by destroy.
 * - Nothing else: no atexit handlers, no environment, no working
 *   directory, no rlimits; the console is off unless given fds.
 */
int minivmm_start(struct minivmm *vm);

/*
 * Waits until the VM has ended and its threads are stopped, then fills
 * *exit unless exit is NULL (as waitpid() takes a NULL status); may be
 * called again (the same record). 0, or -EINVAL before start.
 */
int minivmm_wait(struct minivmm *vm, struct minivmm_exit *exit);

/*
 * An eventfd (EFD_NONBLOCK, EFD_CLOEXEC) that becomes readable once the VM
 * has ended and its threads are stopped (minivmm_wait() then returns at
 * once), for an embedder's own poll/epoll loop. It is the library's:
 * leave it open (destroy closes it); reading it only clears it.
 */
int minivmm_exit_fd(const struct minivmm *vm);

/*
 * start() and then wait() on the calling thread, which with seccomp (minivmm_config_set_seccomp)
 * gets the control thread's filter too, for good, before the guest's first
 * instruction (the CLI's way). exit may be NULL, as for wait(). 0, or a
 * negative errno.
 */
int minivmm_run(struct minivmm *vm, struct minivmm_exit *exit);

/*
 * Holds the guest: every vCPU is out of KVM_RUN and held, every device
 * thread is parked between two batches with its used rings flushed (no
 * completion half-published, nothing new taken from the rings); returns
 * once that holds. Backend I/O submitted before stays in flight in the
 * host kernel; its completion is published after resume. Time goes on:
 * the config's timeout and a request_shutdown() grace still run out while
 * paused, and a VM that ends while paused ends normally. 0 (also when
 * already paused), -EINVAL before start, -ESHUTDOWN when the VM is ending,
 * -ETIMEDOUT when a vCPU or device thread did not get there within
 * MINIVMM_PAUSE_TIMEOUT_MS (one stuck in the host kernel or waiting for
 * one that is): the VM then runs on as before the call.
 */
#define MINIVMM_PAUSE_TIMEOUT_MS 10000
int minivmm_pause(struct minivmm *vm);
/* Lets a paused guest go on. 0 (also when not paused), -EINVAL before start. */
int minivmm_resume(struct minivmm *vm);

/*
 * Asks the guest to shut down cleanly: presses Ctrl-Alt-Del on its i8042
 * keyboard, which every Linux with a keyboard driver (CONFIG_SERIO_I8042,
 * CONFIG_KEYBOARD_ATKBD, CONFIG_VT) honours without an agent: init gets
 * SIGINT and runs its ctrlaltdel action (a clean reboot, which ends the VM
 * as MINIVMM_EXIT_RESET), or the kernel restarts when init did not take
 * Ctrl-Alt-Del over. There is no ACPI, so no power button; Firecracker's
 * SendCtrlAltDel is the same means. devices/sysctl_ports.h has the
 * controller behind it.
 *
 * grace_ms > 0: a guest still running that long after the request is
 * stopped (MINIVMM_EXIT_STOPPED, status MINIVMM_STATUS_STOPPED, the message
 * says the request was ignored); 0: no deadline. The grace runs while
 * paused too. 0, -EINVAL before start, -ESHUTDOWN when the VM is ending,
 * -EBUSY when the keyboard's buffer is full (the guest reads no keyboard:
 * the grace still applies).
 */
int minivmm_request_shutdown(struct minivmm *vm, unsigned int grace_ms);

/*
 * Ends the VM at once (hard: the guest is not asked); MINIVMM_EXIT_STOPPED,
 * status MINIVMM_STATUS_STOPPED. Before start, the VM ends as soon as it
 * starts. A stopped VM still needs minivmm_wait() (or destroy).
 */
void minivmm_stop(struct minivmm *vm);

/* The kernel command line the guest was given. */
const char *minivmm_cmdline(const struct minivmm *vm);

/*
 * NULL, or one sentence on why this guest will not run well on this host
 * (a Linux kernel on a KVM that emulates ring 0), for the caller to show
 * before minivmm_run().
 */
const char *minivmm_host_warning(const struct minivmm *vm);

/*
 * Bytes the guest has written to its console so far, whether or not they
 * reached the output fd (struct minivmm_stats.console_dropped); thread-safe,
 * and never waits for the guest or the console's reader.
 */
uint64_t minivmm_console_bytes(struct minivmm *vm);

/*
 * Where every vCPU is: RIP (as function+offset with symbols), RSP, CR3,
 * CPL, RFLAGS, exits by reason and the last few exits. Works while the VM
 * runs (each vCPU is briefly kicked out of the guest), while it is paused
 * and after it ended.
 */
void minivmm_dump_vcpus(struct minivmm *vm, FILE *f);

/* Per-device counters (requests, errors, in-order waits and batches). */
void minivmm_print_stats(struct minivmm *vm, FILE *f);

/*
 * Live counters, from any thread while the VM runs (or is paused, or has
 * ended). Each counter is written by one thread and read atomically, so no
 * value is torn; counters are not a snapshot of one instant relative to
 * each other.
 *
 * Versioned by size: the caller sets size = sizeof(struct minivmm_stats)
 * of the header it was built with; the library fills that many bytes at
 * most and sets size to what it filled. A field a library does not know
 * stays zero. The devices come last, so that a later header may hold more
 * of them: n_devices never counts more entries than fit in size.
 *
 * What a device counts beyond requests and errors is its own: named
 * counters ("reads", "rx_packets", "bytes", ...; minivmm_device_counter()
 * finds one), so a new kind of device adds names, never fields, and this
 * layout stays as it is.
 */
#define MINIVMM_STATS_QUEUES	 4  /* queues beyond these are not reported */
#define MINIVMM_STATS_BATCH_HIST 10 /* runs of 1, 2, 3-4, 5-8, ..., 129-256, >256 */
#define MINIVMM_STATS_VCPUS	 64 /* vCPUs beyond these are not reported */
#define MINIVMM_STATS_DEVICES	 16 /* devices beyond these are not reported */
#define MINIVMM_STATS_COUNTERS	 32 /* named counters of one device, at most */

struct minivmm_queue_stats {
	char name[8];		 /* "" (a disk's one queue), "rx", "tx" */
	uint64_t popped;	 /* chains taken from the ring */
	uint64_t completed;	 /* chains the device finished */
	uint64_t in_order_waits; /* completions that waited for an earlier one (IN_ORDER) */
	uint64_t heap_hwm;	 /* most completions waiting at once */
	uint64_t used_entries;	 /* used-ring entries written */
	uint64_t batches;	 /* runs written as one used entry (runs of 1 included) */
	uint64_t batch_bufs;	 /* buffers those runs stood for */
	uint64_t batch_hist[MINIVMM_STATS_BATCH_HIST];
	uint64_t notifications; /* interrupts sent */
	uint64_t chain_errors;	/* malformed chains */
	uint64_t unpopped;	/* chains given back unused (virtio-net receive) */
};

/* One of a device's own counters: its name (a JSON key) and value. */
struct minivmm_counter {
	char name[24];
	uint64_t value;
};

struct minivmm_device_stats {
	char name[16]; /* "vda", "eth0", "rng0" */
	char kind[16]; /* "virtio-blk", "virtio-net", "virtio-rng" */
	int in_order;  /* VIRTIO_F_IN_ORDER negotiated */
	/* Every kind: requests served (a disk's reads + writes + flushes + others,
	 * a card's packets both ways) and errors of every kind together. */
	uint64_t requests;
	uint64_t errors;
	/* The kind's own counters, in a fixed order per kind (minivmm(1),
	 * "Counters", lists each kind's). */
	unsigned int n_counters;
	struct minivmm_counter counters[MINIVMM_STATS_COUNTERS];
	unsigned int n_queues;
	struct minivmm_queue_stats queues[MINIVMM_STATS_QUEUES];
};

struct minivmm_vcpu_stats {
	uint64_t exits; /* every exit to minivmm */
	uint64_t exits_io, exits_mmio, exits_hlt, exits_shutdown, exits_system_event;
	uint64_t exits_intr; /* kicked out (a pause, a dump, the end) */
	uint64_t exits_other;
};

struct minivmm_stats {
	size_t size;	      /* first: the caller's sizeof(struct minivmm_stats) */
	uint64_t uptime_ms;   /* since start(); 0 before */
	int state;	      /* enum minivmm_state */
	unsigned int n_vcpus; /* reported: at most MINIVMM_STATS_VCPUS */
	struct minivmm_vcpu_stats vcpus[MINIVMM_STATS_VCPUS];
	uint64_t console_bytes; /* written by the guest to its console */
	/*
	 * Of those, the bytes that never reached the console's output fd: the
	 * guest wrote faster than the fd's reader took them and the queue
	 * between (64 KiB) was full, the fd failed (EPIPE), or the reader was
	 * still not reading when the VM ended. A vCPU never waits for the
	 * reader; this is what that costs.
	 */
	uint64_t console_dropped;
	/* Last (see above): at most MINIVMM_STATS_DEVICES, and what fits in size. */
	unsigned int n_devices;
	struct minivmm_device_stats devices[MINIVMM_STATS_DEVICES];
};

enum minivmm_state {
	MINIVMM_STATE_CREATED = 0,
	MINIVMM_STATE_RUNNING,
	MINIVMM_STATE_PAUSED,
	MINIVMM_STATE_ENDED,
};

/* 0, or -EINVAL when s->size is smaller than the size field. */
int minivmm_get_stats(struct minivmm *vm, struct minivmm_stats *s);

/*
 * s as one line of JSON (no newline), built with json-c: a malloc()ed
 * string for the caller to free(), or NULL when out of memory. Keys are the
 * field names; the state by name ("running", ...).
 */
char *minivmm_stats_json(const struct minivmm_stats *s);

/* d's counter called name into *value: 0, or -ENOENT when d has none by that name. */
int minivmm_device_counter(const struct minivmm_device_stats *d, const char *name, uint64_t *value);

/*
 * Serves a control socket for vm at path, a Unix stream socket created
 * with mode 0600 (a socket file already there is replaced; any other file
 * is an error), from a thread of the library, until minivmm_destroy(),
 * which closes it and, on the caller's thread once the server thread has
 * ended, removes the file. Any time after create.
 *
 * One JSON object per line in, one per line out. Requests: {"op":"info"},
 * "stats", "pause", "resume", "stop", and "shutdown" with an optional
 * "grace_ms" (minivmm_request_shutdown). Replies carry "ok": true (with
 * "op", and "stats" or the VM's description for stats and info) or false
 * with "error", one line of text. A request longer than 4096 bytes, a line
 * that is not one JSON object, an unknown op: an error reply, and the
 * connection goes on. At most 8 clients at once; one that sends nothing
 * for 10 s is told so and disconnected, and so is one that does not read
 * its replies. With seccomp on, the thread is filtered
 * (its own list) before it serves a client.
 * 0, or a negative errno with one line in err.
 */
int minivmm_serve_socket(struct minivmm *vm, const char *path, char *err, size_t err_len);

/* Frees the VM; one still running is stopped and waited for first. */
void minivmm_destroy(struct minivmm *vm);

/*
 * Puts the filter of the thread that runs the VM on the calling thread (an
 * embedder's signal or control thread that calls minivmm_stop(), say);
 * name is how a violation names it. 0 or a negative errno.
 */
int minivmm_seccomp_thread(int mode, const char *name);

/* Parses "256M", "2G", "1048576", "4096K". Returns 0 or -EINVAL/-ERANGE. */
int minivmm_parse_size(const char *s, uint64_t *out);

const char *minivmm_exit_reason_name(enum minivmm_exit_reason r);

#ifdef __cplusplus
}
#endif
#endif
