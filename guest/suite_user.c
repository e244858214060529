/*
 * suite_user.c - ring 3: the round trip (IRETQ in, SYSCALL out, back to
 * ring 3, exit), argument checking in the system calls, a fault that kills
 * the task, and native speed in ring 3.
 */
#include "clock.h"
#include "kernel.h"
#include "report.h"
#include "suites.h"
#include "user.h"
#include "vmm/layout.h"

extern char user_hello[], user_read_addr[], user_bad_write[], user_badsys[], user_spin[];

/* ~1.5 ms natively here; emulated (~1 M/s) it would take 2 s. */
#define SPIN_ITERATIONS 2000000ULL

static void test_round_trip(void)
{
	struct utask t;
	if (!report(utask_create(&t, "hello", user_hello, 42) == 0, "create a task"))
		return;
	int64_t ret = utask_run(&t);
	report_eq(42, ret, "round trip: IRETQ in, write + report syscalls, exit(42)");
	report_eq(3, t.syscalls, "system calls made");
	report(!t.killed, "the task was not killed");
	/* Run it a second time: the task is reusable. */
	ret = utask_run(&t);
	report_eq(42, ret, "the same task runs again");
	utask_destroy(&t);
}

static void test_kill(void)
{
	struct utask t;
	char flags[48];
	uint64_t addr = LAYOUT_KERNEL_MIN; /* the kernel image: supervisor-only */
	if (utask_create(&t, "reader", user_read_addr, addr) != 0) {
		report(false, "create a task");
		return;
	}
	int64_t ret = utask_run(&t);
	report_eq(-EFAULT, ret, "a read of a supervisor page kills the task");
	report(t.killed, "the task is marked killed");
	report_eq(X86_PF, t.fault.vector, "killed by #PF");
	report_eq(addr, t.fault.cr2, "at the supervisor address");
	trap_pf_flags(t.fault.error, flags, sizeof(flags));
	report_eq(PF_PRESENT | PF_USER, t.fault.error & (PF_PRESENT | PF_USER | PF_WRITE),
		  "error code 0x%lx: %s", t.fault.error, flags);
	utask_destroy(&t);
}

static void test_bad_args(void)
{
	struct utask t;
	if (utask_create(&t, "bad-write", user_bad_write, LAYOUT_KERNEL_MIN) == 0) {
		report_eq(-EFAULT, utask_run(&t), "write() of a kernel buffer returns -EFAULT");
		utask_destroy(&t);
	}
	if (utask_create(&t, "bad-syscall", user_badsys, 0) == 0) {
		report_eq(-38, utask_run(&t), "an unknown system call returns -ENOSYS");
		utask_destroy(&t);
	}
}

static void test_native(void)
{
	struct utask t;
	clock_init();
	if (utask_create(&t, "spin", user_spin, SPIN_ITERATIONS) != 0) {
		report(false, "create a task");
		return;
	}
	uint64_t t0 = rdtsc();
	int64_t ret = utask_run(&t);
	uint64_t us = tsc_to_us(rdtsc() - t0);
	uint64_t per_s = us ? SPIN_ITERATIONS * 1000000 / us : 0;
	report_info("%llu ring-3 loop iterations in %lu us (%lu M/s)", SPIN_ITERATIONS, us,
		    per_s / 1000000);
	report_eq(0, ret, "the loop task exited");
	/* Emulated code manages ~1 M iterations/s here; native well over 100 M. */
	report(per_s > 50000000, "ring 3 runs natively (> 50 M iterations/s)");
	utask_destroy(&t);
}

void suite_user(void)
{
	user_init();
	uint64_t before = user_syscalls_by_fault();
	test_round_trip();
	if (user_syscalls_by_fault() != before)
		report_info("SYSCALL stays in ring 3 here and faults at LSTAR: served from that #PF, "
			    "back to ring 3 with IRETQ (SYSRETQ probe: %s)",
			    user_sysret_probe_result());
	else
		report_info("SYSCALL enters ring 0; back to ring 3 with %s (SYSRETQ probe: %s)",
			    user_sysret_works() ? "SYSRETQ" : "IRETQ", user_sysret_probe_result());
	test_kill();
	test_bad_args();
	test_native();
}
