/* SPDX-License-Identifier: MIT */
/* vCPU threads (vmm/core/vcpu.c). */
#ifndef VMM_CORE_VCPU_H
#define VMM_CORE_VCPU_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

struct minivmm;
struct minivmm_stats;

int vcpus_create(struct minivmm *vm, char *err, size_t err_len);
/* Starts the vCPU threads; they enter the guest after vcpus_go(). */
int vcpus_start(struct minivmm *vm, char *err, size_t err_len);
void vcpus_go(struct minivmm *vm);
/*
 * Kicks every vCPU out of KVM_RUN and holds it there; returns once all are
 * held (0), the VM is ending (-ESHUTDOWN) or deadline (CLOCK_MONOTONIC) has
 * passed (-ETIMEDOUT: a vCPU waits for a device thread that does not
 * answer). Resume lets them go on.
 */
int vcpus_pause(struct minivmm *vm, const struct timespec *deadline);
void vcpus_resume(struct minivmm *vm);
/*
 * Each vCPU's registers and exit counts, as its thread last saw them: fresh
 * from running vCPUs (kicked out of KVM_RUN, waited for up to 1 s), or the
 * ones they left when they stopped. Printed to f, RIP as function+offset
 * when symbols are known.
 */
void vcpus_dump(struct minivmm *vm, FILE *f);
/*
 * Kicks every vCPU out of KVM_RUN and joins it, until deadline at most
 * (NULL: no limit). A vCPU not joined by then is named in why and the VM
 * marked threads_stuck.
 */
void vcpus_stop(struct minivmm *vm, const struct timespec *deadline, char *why, size_t why_len);
void vcpus_destroy(struct minivmm *vm);
/* Each vCPU's exits by reason, read live (vmm/api/stats.c). */
void vcpus_stats(struct minivmm *vm, struct minivmm_stats *s);

#endif
