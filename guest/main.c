/*
 * main.c - the boot CPU's C entry: per-CPU state, platform description,
 * console, arguments, then the selected suites and the summary.
 */
#include "apic.h"
#include "clock.h"
#include "kernel.h"
#include "platform.h"
#include "report.h"
#include "smp.h"
#include "suites.h"
#include "vmm/layout.h"

extern uint64_t boot_tsc;

struct suite {
	const char *name;
	size_t len;
	void (*run)(void);
	bool by_default; /* part of the run when tests= is absent or empty */
};

#define SUITE(n, dflt) { #n, sizeof(#n) - 1, suite_##n, dflt }

/* Run order, for tests= lists and for the default run. */
static const struct suite suites[] = {
	SUITE(hello, true), SUITE(boot, true),  SUITE(paging, true),
	SUITE(exceptions, true), SUITE(timer, true), SUITE(smp, true),
	SUITE(user, true),  SUITE(probe, false), SUITE(crash, false),
	SUITE(idle, false),
};

_Static_assert(ARRAY_SIZE(suites) <= 32, "selected has one bit per suite");
static uint32_t selected; /* bit i: suites[i] runs */

/* Mark the suites named in tests= (the default set if empty); each unknown name fails. */
static void select_suites(void)
{
	const char *p = platform.tests;
	size_t left = platform.tests_len;
	for (size_t i = 0; i < ARRAY_SIZE(suites) && !left; i++)
		if (suites[i].by_default)
			selected |= 1u << i;
	while (left) {
		const char *comma = memchr(p, ',', left);
		size_t len = comma ? (size_t)(comma - p) : left;
		size_t i = 0;
		while (i < ARRAY_SIZE(suites) &&
		       (suites[i].len != len || memcmp(suites[i].name, p, len) != 0))
			i++;
		if (i < ARRAY_SIZE(suites))
			selected |= 1u << i;
		else if (len)
			report(false, "unknown suite '%.*s' in tests=", (int)len, p);
		p += len + (comma ? 1 : 0);
		left -= len + (comma ? 1 : 0);
	}
}

void kmain(uint32_t magic, uint32_t mbi_addr);
void kmain(uint32_t magic, uint32_t mbi_addr)
{
	struct percpu *bsp = (struct percpu *)percpu0;
	cpu_init(bsp, 0, apic_cpuid_id());
	smp_register_bsp(bsp);
	platform_early(magic, mbi_addr);
	console_init(platform.com1_port);
	report_mark("boot");
	platform_args();
	select_suites();
	/* The boot benchmark's path (hello alone) never reads the device tree. */
	if (selected & ~1u) {
		platform_read_dtb();
		if (platform.com1_port != LAYOUT_PORT_COM1)
			console_init(platform.com1_port);
	}
	if (platform.dtb_error)
		printf("note: dtb module refused (%s); using fw_cfg and PC defaults\n",
		       platform.dtb_why);
	for (uint32_t left = selected; left; left &= left - 1) {
		const struct suite *s = &suites[__builtin_ctz(left)];
		report_prefix_push(s->name);
		s->run();
		report_prefix_pop();
	}
	report_mark("done");
	if (tsc_hz)
		printf("guest time since entry: %lu ms\n", tsc_to_us(rdtsc() - boot_tsc) / 1000);
	machine_exit((uint32_t)report_summary(platform.tests[0] ? platform.tests : "all"));
}
