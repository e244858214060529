/*
 * suite_exceptions.c - exceptions are delivered, described and resumed:
 * #DE, #UD, #PF and #GP in the kernel through expected faults, an
 * installed per-vector handler, and #BP from ring 3 (int3 at CPL0 makes
 * this host's KVM emulator fail, so the kernel never executes it).
 */
#include "kernel.h"
#include "mm.h"
#include "report.h"
#include "suites.h"
#include "user.h"

extern char user_int3[], user_int80[];

/* Report an expected fault: caught, right vector, at the instruction. */
static void expect_result(const char *what, unsigned int vector, uint64_t rip,
			  const struct trap_info *info, bool caught)
{
	report(caught, "%s caught", what);
	report_eq(vector, info->vector, "%s vector", what);
	report_eq(rip, info->rip, "%s RIP is the faulting instruction", what);
}

static void test_de(void)
{
	struct trap_info info;
	uint32_t a = 1, d = 0, zero = 0;
	uint64_t rip;
	trap_expect(X86_DE);
	asm volatile(ASM_TRY("divl %[z]") "lea 1b(%%rip), %[rip]"
		     : "+a"(a), "+d"(d), [rip] "=r"(rip)
		     : [z] "r"(zero));
	bool caught = trap_caught(&info);
	expect_result("#DE (divide by zero)", X86_DE, rip, &info, caught);
}

static void test_ud(void)
{
	struct trap_info info;
	uint64_t rip;
	trap_expect(X86_UD);
	asm volatile(ASM_TRY("ud2") "lea 1b(%%rip), %0" : "=r"(rip));
	bool caught = trap_caught(&info);
	expect_result("#UD (ud2)", X86_UD, rip, &info, caught);
}

static void test_pf(void)
{
	struct trap_info info;
	uint64_t rip, v = 0, addr = MM_SCRATCH_BASE + 0x5000;
	char flags[48];
	trap_expect(X86_PF);
	asm volatile(ASM_TRY("movq (%[a]), %[v]") "lea 1b(%%rip), %[rip]"
		     : [v] "+r"(v), [rip] "=r"(rip)
		     : [a] "r"(addr)
		     : "memory");
	bool caught = trap_caught(&info);
	expect_result("#PF (unmapped read)", X86_PF, rip, &info, caught);
	report_eq(addr, info.cr2, "#PF CR2");
	trap_pf_flags(info.error, flags, sizeof(flags));
	report_eq(0, info.error, "#PF error code 0x%lx: %s", info.error, flags);
}

static void test_gp(void)
{
	struct trap_info info;
	uint64_t rip, v = 0, addr = 0x8000000000000000ULL;
	trap_expect(X86_GP);
	asm volatile(ASM_TRY("movq (%[a]), %[v]") "lea 1b(%%rip), %[rip]"
		     : [v] "+r"(v), [rip] "=r"(rip)
		     : [a] "r"(addr)
		     : "memory");
	bool caught = trap_caught(&info);
	expect_result("#GP (non-canonical address)", X86_GP, rip, &info, caught);
	report_eq(0, info.error, "#GP error code");
}

static uint32_t ud_handled;

/* An installed #UD handler: skip the 2-byte ud2 and go on. */
static enum trap_action skip_ud2(struct trap_frame *tf)
{
	ud_handled++;
	tf->rip += 2;
	return TRAP_HANDLED;
}

static void test_handler(void)
{
	ud_handled = 0;
	trap_set_handler(X86_UD, skip_ud2);
	asm volatile("ud2");
	asm volatile("ud2");
	trap_set_handler(X86_UD, NULL);
	report_eq(2, ud_handled, "installed #UD handler ran and resumed twice");
}

static uint32_t bp_seen;
static uint64_t bp_rip;

static enum trap_action bp_from_user(struct trap_frame *tf)
{
	if ((tf->cs & 3) != 3)
		return TRAP_UNHANDLED;
	bp_seen++;
	bp_rip = tf->rip;
	return TRAP_HANDLED; /* #BP is a trap: RIP is already past int3 */
}

static void test_bp(void)
{
	struct utask t;
	if (!report(utask_create(&t, "int3", user_int3, 0) == 0, "create the ring-3 int3 task"))
		return;
	bp_seen = 0;
	trap_set_handler(X86_BP, bp_from_user);
	int64_t ret = utask_run(&t);
	trap_set_handler(X86_BP, NULL);
	if (bp_seen) {
		report_eq(1, bp_seen, "#BP (int3 in ring 3) handled");
		report_eq(t.entry + 1, bp_rip, "#BP RIP is after the int3");
		report_eq(0, ret, "execution resumed after int3 and the task exited");
	} else {
		report_skip("#BP", "int3 in ring 3 raises %s here and int3 in ring 0 stops KVM's "
			    "emulator: no way to get #BP on this host",
			    t.killed ? trap_name(t.fault.vector) : "nothing");
	}
	utask_destroy(&t);

	/* INT n from ring 3: informational (this host: #UD). */
	if (utask_create(&t, "int80", user_int80, 0) == 0) {
		ret = utask_run(&t);
		report_info("int $0x80 in ring 3 (gate DPL 0): %s",
			    t.killed ? trap_name(t.fault.vector) : "no fault");
		utask_destroy(&t);
	}
}

void suite_exceptions(void)
{
	test_de();
	test_ud();
	test_pf();
	test_gp();
	test_handler();
	test_bp();
}
