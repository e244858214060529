/*
 * smp.h - bringing up the APs (INIT/SIPI into the trampoline at 0x7000,
 * real mode -> long mode on the boot page tables) and handing them work.
 *
 * CPU index 0 is the boot CPU; APs get 1..n-1 in the order of the CPU list
 * (device tree, else fw_cfg, see platform.h). Idle APs sleep in HLT and
 * wake on the VEC_WAKE IPI.
 */
#ifndef GUEST_SMP_H
#define GUEST_SMP_H

#include <stdint.h>

#include "kernel.h"

extern struct percpu *cpus[MAX_CPUS];
extern int ncpus_online;

void smp_register_bsp(struct percpu *bsp);

/*
 * Start every AP of the CPU list once (later calls return at once).
 * Returns the number of CPUs online, the boot CPU included.
 */
int smp_start_aps(void);

/* Hand fn(arg) to CPU index (an idle AP) and wake it. -EINVAL if not online or busy. */
int smp_run_on(int index, void (*fn)(void *), void *arg);

/* Wait up to timeout_us for CPU index to finish its work: 0 or -ETIMEDOUT. */
int smp_wait(int index, uint64_t timeout_us);

#endif
