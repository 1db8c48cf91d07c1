/* SPDX-License-Identifier: MIT */
/*
 * minivmm embedding API: describe a VM in a config, create it, run it until
 * it ends, read why it ended, destroy it. The CLI (vmm/main.c) is one user of
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
#define MINIVMM_VERSION_MAJOR 0
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

/* Guest RAM, config.mem_size: 16 MiB to 1 TiB. */
#define MINIVMM_MEM_MIN (16ULL << 20)
#define MINIVMM_MEM_MAX (1ULL << 40)

#define MINIVMM_MAX_DISKS  8
#define MINIVMM_MAX_NETS   4
#define MINIVMM_MAX_VIRTIO (MINIVMM_MAX_DISKS + MINIVMM_MAX_NETS)

struct minivmm_disk {
	const char *path;   /* image file or block device */
	int read_only;	    /* VIRTIO_BLK_F_RO; the file is opened read-only */
	int direct;	    /* O_DIRECT */
	const char *serial; /* GET_ID answer; NULL: the file's base name */
	/* Busy-poll budget of the device thread before it sleeps, in us (adaptive,
	 * up to this) when the guest sends one request at a time: 0 = the default,
	 * MINIVMM_POLL_US; negative = never. */
	int poll_us;
};

#define MINIVMM_POLL_US	    50
#define MINIVMM_POLL_US_MAX 1000

/*
 * virtio-net on an existing TAP interface (create it first, e.g.
 * `ip tuntap add dev tap0 mode tap user $USER`).
 */
struct minivmm_net {
	const char *tap; /* interface name */
	uint8_t mac[6];
	int has_mac;	  /* 0: 52:54:00:12:34:56 + the card's index */
	unsigned int mtu; /* 0: VIRTIO_NET_F_MTU not offered; else 68 .. 65535 */
	int no_guest_tso; /* 1: GUEST_TSO4/6 not offered (the TAP segments for the guest) */
	int poll_us;	  /* as minivmm_disk.poll_us, for the transmit ring */
};

struct minivmm_config {
	const char *kernel;	 /* bzImage or ELF vmlinux; required */
	const char *initrd;	 /* optional */
	const char *cmdline;	 /* replaces the default command line when set */
	const char *append;	 /* appended to the (default or given) command line */
	uint64_t mem_size;	 /* bytes; 0 means 256 MiB */
	unsigned int cpus;	 /* 0 means 1 */
	unsigned int timeout_ms; /* 0: none; otherwise run() ends with TIMEOUT */
	int console_in;		 /* fd the guest's serial input comes from; -1 for none */
	int console_out;	 /* fd the guest's serial output goes to */
	const char *kvm_path;	 /* NULL means /dev/kvm */
	const char *symbols;	 /* System.map or vmlinux, to name functions in a vCPU dump */
	struct minivmm_disk disks[MINIVMM_MAX_DISKS]; /* virtio-blk: vda, vdb, ... */
	unsigned int n_disks;
	struct minivmm_net nets[MINIVMM_MAX_NETS]; /* virtio-net: eth0, eth1, ... after the disks */
	unsigned int n_nets;
	int in_order; /* offer VIRTIO_F_IN_ORDER on every virtio device */
	/*
	 * seccomp filters on every thread of the VM, from before the guest's
	 * first instruction (enum minivmm_seccomp; default off for embedders:
	 * the library's own threads get one; minivmm_run()'s caller too, for
	 * good, but not minivmm_start()'s).
	 */
	int seccomp;
};

enum minivmm_seccomp {
	MINIVMM_SECCOMP_OFF = 0,
	MINIVMM_SECCOMP_ON,  /* a forbidden call ends the process with SIGSYS, naming the thread */
	MINIVMM_SECCOMP_LOG, /* forbidden calls are allowed and logged by the kernel */
};

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
	MINIVMM_EXIT_TIMEOUT,	   /* "timeout", 124: config.timeout_ms elapsed */
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

/* Fills *cfg with defaults (256 MiB, 1 CPU, console on stdin/stdout). */
void minivmm_config_init(struct minivmm_config *cfg);

/*
 * Creates the VM and loads the kernel. On failure returns a negative errno,
 * leaves *out NULL and writes one line naming the problem into err.
 */
int minivmm_create(const struct minivmm_config *cfg, struct minivmm **out, char *err,
		   size_t err_len);

/*
 * The lifecycle: create -> start -> (pause <-> resume)* -> the VM ends
 * (the guest, a timeout, request_shutdown, stop) -> wait -> destroy.
 *
 * minivmm_start() returns at once: the vCPUs, each device and a thread of
 * the library's own ("minivmm-vm", which enforces config.timeout_ms and
 * stops everything at the end) run on their own threads. A start-up
 * failure after create shows as a FAILED exit, not as start's return.
 * 0, or -EALREADY when the VM was started before.
 *
 * Every function below is thread-safe; none is async-signal-safe. Nothing
 * here installs anything process-wide except the SIGRTMIN handler that
 * kicks vCPUs out of KVM_RUN (start installs it; it does nothing).
 */
int minivmm_start(struct minivmm *vm);

/*
 * Waits until the VM has ended and its threads are stopped, then fills
 * *exit; may be called again (the same record). 0, or -EINVAL before start.
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
 * start() and then wait() on the calling thread, which with config.seccomp
 * gets the control thread's filter too, for good, before the guest's first
 * instruction (the CLI's way). 0, or a negative errno.
 */
int minivmm_run(struct minivmm *vm, struct minivmm_exit *exit);

/*
 * Holds the guest: every vCPU is out of KVM_RUN and held, every device
 * thread is parked between two batches with its used rings flushed (no
 * completion half-published, nothing new taken from the rings); returns
 * once that holds. Backend I/O submitted before stays in flight in the
 * host kernel; its completion is published after resume. Time goes on:
 * config.timeout_ms and a request_shutdown() grace still run out while
 * paused, and a VM that ends while paused ends normally. 0 (also when
 * already paused), -EINVAL before start, -ESHUTDOWN when the VM is ending.
 */
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

/* Bytes the guest has written to its console so far; thread-safe. */
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
 * most (fields are only ever added at the end) and sets size to what it
 * filled. A field a library does not know stays zero.
 */
#define MINIVMM_STATS_QUEUES	 2
#define MINIVMM_STATS_BATCH_HIST 10 /* runs of 1, 2, 3-4, 5-8, ..., 129-256, >256 */
#define MINIVMM_STATS_VCPUS	 64 /* vCPUs beyond these are not reported */

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

struct minivmm_device_stats {
	char name[16]; /* "vda", "eth0" */
	char kind[16]; /* "virtio-blk", "virtio-net" */
	int in_order;  /* VIRTIO_F_IN_ORDER negotiated */
	/* Requests: a disk's reads + writes + flushes + others; a card's packets both ways. */
	uint64_t requests;
	uint64_t reads, writes, flushes, discards, write_zeroes, get_ids; /* virtio-blk */
	uint64_t rx_packets, tx_packets;				  /* virtio-net */
	uint64_t read_bytes, written_bytes; /* virtio-blk; virtio-net: rx and tx bytes */
	/* Errors by kind. virtio-blk: host I/O errors (EIO, ENOSPC, other, short),
	 * malformed requests, O_DIRECT misalignment. virtio-net: drops. */
	uint64_t errors;
	uint64_t err_eio, err_enospc, err_other, err_short;
	uint64_t rejected, misaligned;
	uint64_t rx_drops, tx_drops, rx_read_errors;
	uint64_t max_inflight; /* in-flight high-water mark */
	uint64_t poll_hits;    /* busy polls that found work */
	uint64_t merged_reqs;  /* requests sent to the host merged with a neighbour */
	uint64_t merged_ios;   /* the host I/Os they became */
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
	size_t size;	    /* first: the caller's sizeof(struct minivmm_stats) */
	uint64_t uptime_ms; /* since start(); 0 before */
	int state;	    /* enum minivmm_state */
	unsigned int n_devices;
	struct minivmm_device_stats devices[MINIVMM_MAX_VIRTIO];
	unsigned int n_vcpus; /* reported: at most MINIVMM_STATS_VCPUS */
	struct minivmm_vcpu_stats vcpus[MINIVMM_STATS_VCPUS];
	uint64_t console_bytes; /* written by the guest to its console */
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

/*
 * Serves a control socket for vm at path, a Unix stream socket created
 * with mode 0600 (a socket file already there is replaced; any other file
 * is an error), from a thread of the library, until minivmm_destroy(),
 * which closes it and removes the file. Any time after create.
 *
 * One JSON object per line in, one per line out. Requests: {"op":"info"},
 * "stats", "pause", "resume", "stop", and "shutdown" with an optional
 * "grace_ms" (minivmm_request_shutdown). Replies carry "ok": true (with
 * "op", and "stats" or the VM's description for stats and info) or false
 * with "error", one line of text. A request longer than 4096 bytes, a line
 * that is not one JSON object, an unknown op: an error reply, and the
 * connection goes on. At most 8 clients at once; one that does not read
 * its replies is disconnected. With config.seccomp the thread is filtered
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
