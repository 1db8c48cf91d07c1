// SPDX-License-Identifier: MIT
/*
 * Which system calls each kind of minivmm thread may make once the guest
 * runs, and why. Everything else traps (the thread is named on stderr and
 * the process dies with SIGSYS; vmm/core/seccomp.c). The guest drives the vCPU
 * and device threads, so their lists are the short ones. Work a device
 * submits to io_uring (reads, writes, fsync, fallocate on the image or the
 * TAP) is not a system call of the thread and is not filtered here: each
 * device's ring is sealed instead (devices/dev_thread.c) to its own
 * registered files and the opcodes its device uses, and only device
 * threads may call io_uring_enter at all.
 *
 * Arguments are checked where a call could do much more than we need
 * (the second field N: argument N - 1 must equal the third; -N: it must
 * have none of the third's bits): ioctl only with the
 * requests listed, prctl only to name the thread, no executable mappings,
 * signals only to our own process, stat only of an fd. The register reads
 * differ by architecture: vmm/core/seccomp.c adds them (arch_vcpu_regs_ioctls)
 * for the vCPU threads (where the guest was when KVM cannot run it, and at
 * the end) and the control threads (the vCPU dump of a hung guest).
 */
#include "vmm/core/seccomp.h"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/io_uring.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>

/* Every thread: memory, locks, signals and ending. */
static const struct seccomp_rule common[] = {
	{SCMP_SYS(futex), 0, 0, "mutexes and condition variables (device calls, stats, exit)"},
	{SCMP_SYS(write), 0, 0, "eventfds (kicks, interrupts, wake-ups), console output, stderr"},
	/* Never PROT_EXEC: nothing loads code once the guest runs. */
	{SCMP_SYS(mmap), -3, PROT_EXEC, "malloc growing an arena (not executable)"},
	{SCMP_SYS(munmap), 0, 0, "free of large blocks; a thread's stack at its end"},
	{SCMP_SYS(mprotect), -3, PROT_EXEC, "malloc setting up a thread's arena (not executable)"},
	{SCMP_SYS(madvise), 0, 0, "glibc returning a finished thread's stack"},
	{SCMP_SYS(mremap), 0, 0, "realloc of a large block"},
	{SCMP_SYS(brk), 0, 0, "malloc in the main arena"},
	{SCMP_SYS(rt_sigprocmask), 0, 0, "glibc masks signals around thread exit"},
	{SCMP_SYS(rt_sigreturn), 0, 0, "return from the vCPU kick signal handler"},
	{SCMP_SYS(restart_syscall), 0, 0, "a wait interrupted by the kick signal"},
	{SCMP_SYS(clock_gettime), 0, 0, "deadlines and polling budgets, if the vDSO is not used"},
	{SCMP_SYS(gettid), 0, 0, "glibc's own bookkeeping"},
	{SCMP_SYS(getpid), 0, 0, "glibc's own bookkeeping"},
	{SCMP_SYS(sched_yield), 0, 0, "spinning briefly on a lock"},
	{SCMP_SYS(exit), 0, 0, "a thread ends"},
	{SCMP_SYS(exit_group), 0, 0, "the process ends"},
	/* fstat(): glibc makes it newfstatat(fd, "", st, AT_EMPTY_PATH). A
	 * filter cannot read the path, but the flag keeps out plain stat(). */
	{SCMP_SYS(newfstatat), 4, AT_EMPTY_PATH, "stdio's first use of stderr (fstat)"},
	{SCMP_SYS(fstat), 0, 0, "stdio's first use of stderr"},
	{SCMP_SYS(prctl), 1, PR_SET_NAME, "a thread names itself (vcpu0, virtio-blk, ...)"},
	{0, 0, 0, NULL},
};

/* KVM_RUN and the exits it hands back. */
static const struct seccomp_rule vcpu[] = {
	{SCMP_SYS(ioctl), 2, KVM_RUN, "run the guest"},
	{SCMP_SYS(ioctl), 2, KVM_IRQ_LINE,
	 "the UART and the i8042 keyboard: their interrupt lines"},
	{0, 0, 0, NULL},
};

/* A virtio device: its io_uring does the I/O. */
static const struct seccomp_rule device[] = {
	{SCMP_SYS(io_uring_enter), 0, 0, "submit I/O and wait for completions, kicks, control"},
	{SCMP_SYS(ioctl), 2, TUNSETOFFLOAD, "virtio-net: the TAP's offloads follow the guest's"},
	{SCMP_SYS(getrandom), 3, GRND_NONBLOCK, "virtio-rng: the guest's entropy, never waiting"},
	{0, 0, 0, NULL},
};

/*
 * A virtio device on a host where no io_uring could be set up: its thread
 * waits with ppoll on its eventfds (devices/dev_loop_poll.c), and a disk's
 * I/O is its workers' (blkio). A list of its own, so that the ring's device
 * threads gain no read and these no io_uring_enter.
 */
static const struct seccomp_rule device_poll[] = {
	{SCMP_SYS(ppoll), 0, 0, "wait for kicks, the control wake-up, a disk's completions"},
	/* 8 bytes only: an eventfd's count, never a file's contents in bulk. */
	{SCMP_SYS(read), 3, 8, "take a ready eventfd's count (kicks, control, completions)"},
	{SCMP_SYS(getrandom), 3, GRND_NONBLOCK, "virtio-rng: the guest's entropy, never waiting"},
	{0, 0, 0, NULL},
};

/*
 * The console threads: input (stdin to the UART) and output (the UART's
 * ring to stdout; its write is in the common list, and the VM's kick
 * signal, whose rt_sigreturn is there too, ends a write that blocks).
 */
static const struct seccomp_rule console[] = {
	{SCMP_SYS(poll), 0, 0,
	 "wait for input or the stop pipe; for room in the output, or the ring's eventfd"},
	{SCMP_SYS(ppoll), 0, 0, "poll, as some glibc builds make it"},
	{SCMP_SYS(read), 0, 0, "the input, the stop pipe, the output ring's eventfd"},
	{SCMP_SYS(ioctl), 2, KVM_IRQ_LINE, "the UART's receive interrupt"},
	{0, 0, 0, NULL},
};

/*
 * The supervisor (minivmm-vm) and minivmm_run()'s caller: wait for the end,
 * then tear down; also an embedder's thread that pauses, resumes, asks for
 * a shutdown or stops (minivmm_seccomp_thread).
 */
static const struct seccomp_rule control[] = {
	{SCMP_SYS(tgkill), 1, SECCOMP_OWN_PID,
	 "kick vCPUs out of KVM_RUN at the end (our own threads only)"},
	{SCMP_SYS(close), 0, 0, "tear-down: fds of KVM, devices, disks, TAPs"},
	{SCMP_SYS(io_uring_register), 2, IORING_UNREGISTER_FILES,
	 "tear-down: a device ring lets go of the disk or TAP before they are closed"},
	{SCMP_SYS(read), 0, 0, "tear-down of the console"},
	{SCMP_SYS(rt_sigtimedwait), 0, 0, "a CLI's signal thread waiting for SIGINT/SIGTERM"},
	{SCMP_SYS(rt_sigaction), 0, 0, "restoring signal handlers at the end"},
	{SCMP_SYS(ioctl), 2, TCGETS, "is the console a terminal; restore its mode"},
	{SCMP_SYS(ioctl), 2, TCSETS, "restore the terminal mode"},
	{SCMP_SYS(ioctl), 2, TCSETSW, "restore the terminal mode"},
	{SCMP_SYS(ioctl), 2, TCSETSF, "restore the terminal mode"},
	{SCMP_SYS(ioctl), 2, KVM_IRQ_LINE, "request_shutdown: the keyboard's interrupt"},
	{0, 0, 0, NULL},
};

/*
 * minivmm_destroy's caller, which minivmm_run() may have filtered with the
 * control list: it removes the control socket's file once the server has
 * ended. A list of its own, because the server takes the control list too
 * and has no business removing files.
 */
static const struct seccomp_rule teardown[] = {
	{SCMP_SYS(newfstatat), 4, AT_SYMLINK_NOFOLLOW,
	 "lstat: is the socket file still the one bound (another VM may own the path now)"},
	{SCMP_SYS(unlink), 0, 0, "destroy removes the control socket's file"},
	{SCMP_SYS(unlinkat), 0, 0, "unlink, as some glibc builds make it"},
	{0, 0, 0, NULL},
};

/*
 * The control socket's server: a client's request becomes the calls the
 * control list allows (pause, resume, stop, shutdown, stats), plus its own
 * socket work. Nothing opens a file: the socket was bound before.
 */
static const struct seccomp_rule api_socket[] = {
	{SCMP_SYS(accept4), 0, 0, "take a client"},
	{SCMP_SYS(poll), 0, 0, "wait for clients, their requests and the stop eventfd"},
	{SCMP_SYS(ppoll), 0, 0, "poll, as some glibc builds make it"},
	{SCMP_SYS(sendto), 0, 0, "replies (send with MSG_NOSIGNAL: no SIGPIPE)"},
	{0, 0, 0, NULL},
};

/*
 * A disk's I/O workers (engine=threads): the system calls its io_uring
 * would make otherwise, on the image the device opened, into and out of
 * guest memory. Their results go back through an eventfd (write, common).
 */
static const struct seccomp_rule blkio[] = {
	{SCMP_SYS(preadv2), 0, 0, "a guest's read of the image"},
	{SCMP_SYS(pwritev2), 0, 0, "a guest's write to the image"},
	{SCMP_SYS(fdatasync), 0, 0, "a guest's flush"},
	{SCMP_SYS(fallocate), 0, 0, "a guest's discard or write-zeroes (punch, zero range)"},
	{0, 0, 0, NULL},
};

/*
 * A user-mode network's thread (--net user): libslirp turns the guest's
 * connections into sockets of ours and serves them, so this is the one
 * list with socket calls; no device thread and no vCPU gets them. What
 * arrives from the guest is copied in by the device thread, and frames for
 * it leave through an eventfd (write, common). slirp reads the host's DNS
 * server from /etc/resolv.conf when the guest asks its forwarder, and
 * again when the file changed: stat and a read-only open.
 */
static const struct seccomp_rule slirp[] = {
	{SCMP_SYS(poll), 0, 0, "wait on slirp's sockets, its timers and the guest's frames"},
	{SCMP_SYS(ppoll), 0, 0, "poll, as some glibc builds make it"},
	{SCMP_SYS(read), 0, 0, "the wake-up eventfd's count; /etc/resolv.conf"},
	{SCMP_SYS(socket), 0, 0, "a guest's outbound TCP connection, UDP flow or ping"},
	{SCMP_SYS(connect), 0, 0, "a guest's outbound TCP connection"},
	{SCMP_SYS(accept), 0, 0, "a host connection to a forwarded port"},
	{SCMP_SYS(accept4), 0, 0, "accept, as some glibc builds make it"},
	{SCMP_SYS(setsockopt), 0, 0,
	 "slirp's socket options (reuse, keepalive, no delay, buffers)"},
	{SCMP_SYS(getsockopt), 0, 0, "the result of a non-blocking connect (SO_ERROR)"},
	{SCMP_SYS(getsockname), 0, 0, "the host address a forwarded connection came to"},
	{SCMP_SYS(getpeername), 0, 0, "where an accepted connection came from"},
	{SCMP_SYS(sendto), 0, 0, "a guest's UDP datagrams and TCP data (send)"},
	{SCMP_SYS(recvfrom), 0, 0, "replies for the guest: UDP datagrams and TCP data (recv)"},
	{SCMP_SYS(recvmsg), 0, 0, "a UDP reply for the guest, with its ancillary data"},
	{SCMP_SYS(shutdown), 0, 0, "a guest's TCP half-close"},
	{SCMP_SYS(close), 0, 0, "a finished connection or flow"},
	{SCMP_SYS(fcntl), 2, F_GETFL, "making a new socket non-blocking"},
	{SCMP_SYS(fcntl), 2, F_SETFL, "making a new socket non-blocking"},
	{SCMP_SYS(ioctl), 2, FIONREAD, "the size of a waiting UDP datagram"},
	{SCMP_SYS(newfstatat), 0, 0, "has /etc/resolv.conf changed (stat), for DNS forwarding"},
	/* Read-only: nothing this thread opens can be written or created. */
	{SCMP_SYS(openat), -3, O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND,
	 "read /etc/resolv.conf (the host's DNS server), read-only"},
	{0, 0, 0, NULL},
};

const struct seccomp_rule *const seccomp_policy[SECCOMP_THREAD_KINDS][SECCOMP_LISTS] = {
	[SECCOMP_THREAD_VCPU] = {common, vcpu},
	[SECCOMP_THREAD_DEVICE] = {common, device},
	[SECCOMP_THREAD_CONSOLE] = {common, console},
	[SECCOMP_THREAD_CONTROL] = {common, control, teardown},
	[SECCOMP_THREAD_API] = {common, control, api_socket},
	[SECCOMP_THREAD_BLKIO] = {common, blkio},
	[SECCOMP_THREAD_DEVICE_POLL] = {common, device_poll},
	[SECCOMP_THREAD_SLIRP] = {common, slirp},
};
