/*
 * user.h - ring-3 tasks: own page tables, entry, stack.
 *
 * A task's PML4 shares the kernel's slots 0..127 (supervisor-only) and
 * maps, with U/S=1, the kernel image's .user section (read-only code at
 * USER_CODE_VA), a stack below USER_STACK_TOP, and any RAM the caller adds
 * with utask_map_ram(). It is entered with IRETQ and comes back with
 * SYSCALL; the kernel returns to it with SYSRETQ if the boot probe found
 * SYSRETQ works on this host, with IRETQ otherwise. Where SYSCALL does not
 * leave ring 3 (this host: it jumps to LSTAR in ring 3 and the fetch
 * faults), that #PF is taken as the system call. Any other fault in ring 3
 * kills the task and is reported; interrupts taken in ring 3 run on the
 * CPU's kernel stack below utask_run()'s frame.
 */
#ifndef GUEST_USER_H
#define GUEST_USER_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel.h"
#include "mm.h"

/* Code and stack share one page table: the stack ends at the first 2 MiB's end. */
#define USER_CODE_VA MM_USER_BASE
#define USER_STACK_TOP (MM_USER_BASE + 0x200000ULL)
#define USER_STACK_PAGES 1 /* the programs barely use a stack */
#define USER_DATA_VA (MM_USER_BASE + 0x80000000ULL) /* first address for utask_map_ram */

struct utask {
	const char *name;
	struct mm_space space;
	bool more_ram; /* utask_map_ram() added to the space: not reused */
	uint64_t entry, stack_top, arg;
	/* outcome of the last utask_run() */
	bool killed;
	struct trap_info fault; /* when killed */
	uint64_t syscalls;
};

/* Symbols of the .user section (guest/user_progs.S). */
extern char __user_start[], __user_end[];

/*
 * Build a task whose entry is fn, a symbol in the .user section; arg
 * arrives in RDI. Returns 0, -EINVAL (fn outside .user), -E2BIG (.user
 * too big for the space below the stack), -ENOMEM. The address space of
 * a destroyed task (code and stack mapped, nothing added) is kept and
 * given to the next task: a new one costs thousands of emulated steps
 * (zeroed table pages). The stack is not zeroed either way.
 */
int utask_create(struct utask *t, const char *name, const void *fn, uint64_t arg);

/*
 * Back [va, va + bytes) with fresh RAM, writable by the task (2 MiB pages
 * where va and bytes allow). Content is not zeroed. va must be in the
 * user half at or above USER_DATA_VA. Returns 0, -EINVAL, -ENOMEM.
 */
int utask_map_ram(struct utask *t, uint64_t va, uint64_t bytes);

/*
 * Run the task on this CPU until it exits or faults. Returns the exit
 * code, or -EFAULT when a fault killed it (t->killed, t->fault).
 */
int64_t utask_run(struct utask *t);

/*
 * Free the task's page tables (not the RAM given by utask_map_ram), or
 * keep its space for the next utask_create() when nothing was added.
 */
void utask_destroy(struct utask *t);

/* Probe SYSRETQ once (done by the first utask_run); the result. */
void user_init(void);
bool user_sysret_works(void);
/* How the probe ended: "works", or the fault it raised. */
const char *user_sysret_probe_result(void);

/*
 * System calls served through the #PF that SYSCALL raises on this host
 * (see user.c); 0 where SYSCALL enters ring 0 as it should.
 */
uint64_t user_syscalls_by_fault(void);

/* trap.c: an exception from ring 3 while a task runs (kills the task). */
void utask_fault(struct trap_frame *tf);

#endif
