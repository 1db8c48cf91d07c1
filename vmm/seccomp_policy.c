// SPDX-License-Identifier: MIT
/*
 * Which system calls each kind of minivmm thread may make once the guest
 * runs, and why. Everything else traps (the thread is named on stderr and
 * the process dies with SIGSYS; vmm/seccomp.c). The guest drives the vCPU
 * and device threads, so their lists are the short ones. Work a device
 * submits to io_uring (reads, writes, fsync, fallocate on the image or the
 * TAP) is not a system call of the thread and is not filtered here; the
 * fds it can reach were all opened before the filters went on.
 *
 * Arguments are checked where a call could do much more than we need
 * (the third field: argument N - 1 must equal the fourth): ioctl only with
 * the requests listed, prctl only to name the thread. The register reads
 * differ by architecture: vmm/seccomp.c adds them (arch_vcpu_regs_ioctls)
 * for the vCPU threads (where the guest was when KVM cannot run it, and at
 * the end) and the control threads (the vCPU dump of a hung guest).
 */
#include "vmm/seccomp.h"

#include <linux/if_tun.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>

/* Every thread: memory, locks, signals and ending. */
static const struct seccomp_rule common[] = {
	{SCMP_SYS(futex), 0, 0, "mutexes and condition variables (device calls, stats, exit)"},
	{SCMP_SYS(write), 0, 0, "eventfds (kicks, interrupts, wake-ups), console output, stderr"},
	{SCMP_SYS(mmap), 0, 0, "malloc growing an arena"},
	{SCMP_SYS(munmap), 0, 0, "free of large blocks; a thread's stack at its end"},
	{SCMP_SYS(mprotect), 0, 0, "malloc setting up a thread's arena"},
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
	{SCMP_SYS(newfstatat), 0, 0, "stdio's first use of stderr"},
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
	{SCMP_SYS(pause), 0, 0, "the test-only hang hook (MINIVMM_TEST_HANG_THREAD)"},
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
	{SCMP_SYS(tgkill), 0, 0, "kick vCPUs out of KVM_RUN at the end"},
	{SCMP_SYS(close), 0, 0, "tear-down: fds of KVM, devices, disks, TAPs"},
	{SCMP_SYS(read), 0, 0, "tear-down of the console"},
	{SCMP_SYS(io_uring_enter), 0, 0, "liburing at ring tear-down"},
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
 * The control socket's server: a client's request becomes the calls the
 * control list allows (pause, resume, stop, shutdown, stats), plus its own
 * socket work. Nothing opens a file: the socket was bound before.
 */
static const struct seccomp_rule api_socket[] = {
	{SCMP_SYS(accept4), 0, 0, "take a client"},
	{SCMP_SYS(poll), 0, 0, "wait for clients, their requests and the stop eventfd"},
	{SCMP_SYS(ppoll), 0, 0, "poll, as some glibc builds make it"},
	{SCMP_SYS(sendto), 0, 0, "replies (send with MSG_NOSIGNAL: no SIGPIPE)"},
	{SCMP_SYS(unlink), 0, 0, "remove the socket file when the VM is destroyed"},
	{SCMP_SYS(unlinkat), 0, 0, "unlink, as some glibc builds make it"},
	{0, 0, 0, NULL},
};

const struct seccomp_rule *const seccomp_policy[SECCOMP_THREAD_KINDS][SECCOMP_LISTS] = {
	[SECCOMP_THREAD_VCPU] = {common, vcpu},
	[SECCOMP_THREAD_DEVICE] = {common, device},
	[SECCOMP_THREAD_CONSOLE] = {common, console},
	[SECCOMP_THREAD_CONTROL] = {common, control},
	[SECCOMP_THREAD_API] = {common, control, api_socket},
};
