/*
 * suite_smp.c - every CPU of the machine comes up: INIT/SIPI through the
 * trampoline, checks in, reports its APIC ID, takes an expected fault on
 * its own IDT/TSS, computes a task handed to it, and runs a ring-3 task.
 */
#include "apic.h"
#include "kernel.h"
#include "platform.h"
#include "report.h"
#include "smp.h"
#include "suites.h"
#include "user.h"

#define TASK_N 100
#define WAIT_US 500000

extern char user_sum[];

struct ap_work {
	uint64_t n;        /* input */
	uint64_t sum;      /* sum of i * (index + 1) for i in 1..n */
	uint32_t apic_id;  /* read from the AP's own APIC */
	uint32_t index;
	bool ud_caught;    /* an expected #UD on the AP */
	int64_t user_exit; /* a ring-3 task's exit code */
};

static struct ap_work work[MAX_CPUS];
static char names[MAX_CPUS][8];

static void ap_task(void *arg)
{
	struct ap_work *w = arg;
	struct percpu *cpu = this_cpu();
	struct utask t;
	w->index = cpu->index;
	w->apic_id = apic_id();
	w->sum = 0;
	for (uint64_t i = 1; i <= w->n; i++)
		w->sum += i * (cpu->index + 1);
	trap_expect(X86_UD);
	asm volatile(ASM_TRY("ud2"));
	w->ud_caught = trap_caught(NULL);
	w->user_exit = -1;
	if (utask_create(&t, "ap-sum", user_sum, w->n) == 0) {
		w->user_exit = utask_run(&t);
		utask_destroy(&t);
	}
}

void suite_smp(void)
{
	int n = platform_cpus(this_cpu()->apic_id);
	report_info("%d CPUs listed by %s", n, platform.cpus_from);
	user_init(); /* the probe runs once, on this CPU, before the APs use ring 3 */
	int online = smp_start_aps();
	report_eq(n, online, "every CPU came online");
	if (online == 1) {
		report_skip("AP tasks", "only one CPU");
		return;
	}
	for (int i = 1; i < online; i++) {
		work[i] = (struct ap_work){ .n = TASK_N };
		if (smp_run_on(i, ap_task, &work[i]) != 0)
			report(false, "hand a task to CPU %d", i);
	}
	for (int i = 1; i < online; i++) {
		struct ap_work *w = &work[i];
		uint64_t expected = (uint64_t)(i + 1) * TASK_N * (TASK_N + 1) / 2;
		snprintf(names[i], sizeof(names[i]), "cpu%d", i);
		report_prefix_push(names[i]);
		if (report_eq(0, smp_wait(i, WAIT_US), "task finished (APIC ID %u)", cpus[i]->apic_id)) {
			report_eq(cpus[i]->apic_id, w->apic_id, "APIC ID read on the CPU");
			report_eq(expected, w->sum, "computed the task handed to it");
			report(w->ud_caught, "expected #UD caught on its own IDT/TSS");
			report_eq(TASK_N * (TASK_N + 1) / 2, w->user_exit, "ring-3 task on it");
		}
		report_prefix_pop();
	}
}
