/*
 * suite_timer.c - the TSC frequency (kvmclock, cross-checked against PIT
 * channel 2) and the LAPIC periodic timer: count its interrupts over a
 * TSC-measured window and compare with the programmed rate.
 */
#include "apic.h"
#include "clock.h"
#include "kernel.h"
#include "report.h"
#include "suites.h"

#define PERIOD_US 1000
#define WINDOW_US 30000
/* Ticks may be late under a loaded host, rarely early: -20% .. +10%. */
#define TOLERANCE_LOW_PCT 20
#define TOLERANCE_HIGH_PCT 10

static enum trap_action timer_tick(struct trap_frame *tf)
{
	(void)tf;
	this_cpu()->timer_ticks++;
	apic_eoi();
	return TRAP_HANDLED;
}

static void test_tsc(void)
{
	clock_init();
	report(tsc_hz > 100000000 && !tsc_assumed, "TSC frequency %lu kHz from %s", tsc_hz / 1000,
	       tsc_source);
	uint64_t pit = clock_pit_hz();
	if (!pit) {
		report_skip("PIT cross-check", "no PIT answers on port 0x61 (vmm --no-pit)");
		return;
	}
	uint64_t diff = pit > tsc_hz ? pit - tsc_hz : tsc_hz - pit;
	report_info("PIT channel 2 measures the TSC at %lu kHz", pit / 1000);
	report_within(0, tsc_hz / 50, diff, "TSC frequency (%s) and a PIT measurement agree within 2%%",
		      tsc_source);
}

static void test_lapic_timer(void)
{
	struct percpu *cpu = this_cpu();
	apic_init_cpu();
	report_info("LAPIC in %s mode, APIC ID %u", apic_is_x2apic() ? "x2APIC" : "xAPIC", apic_id());
	report_eq(cpu->apic_id, apic_id(), "APIC ID matches the boot CPU's");
	uint64_t hz = apic_timer_hz();
	if (!report(hz > 1000000, "LAPIC timer counts at %lu kHz", hz / 1000))
		return;
	uint32_t count = (uint32_t)(hz * PERIOD_US / 1000000);
	uint64_t expected = WINDOW_US / PERIOD_US;
	uint64_t window = tsc_hz / 1000000 * WINDOW_US;

	trap_set_handler(VEC_TIMER, timer_tick);
	cpu->timer_ticks = 0;
	apic_timer_start(VEC_TIMER, count, true, false);
	uint64_t t0 = rdtsc(), t1 = t0;
	while (t1 - t0 < window) {
		cpu_idle();
		t1 = rdtsc();
	}
	uint64_t ticks = cpu->timer_ticks;
	apic_timer_stop();
	trap_set_handler(VEC_TIMER, NULL);
	report_info("%lu ticks in %lu us at a %u us period", ticks, tsc_to_us(t1 - t0), PERIOD_US);
	report_within(expected - expected * TOLERANCE_LOW_PCT / 100,
		      expected + expected * TOLERANCE_HIGH_PCT / 100, ticks,
		      "periodic timer ticks in %u ms (%u us period, -%u%%/+%u%%)", WINDOW_US / 1000,
		      PERIOD_US, TOLERANCE_LOW_PCT, TOLERANCE_HIGH_PCT);
}

void suite_timer(void)
{
	test_tsc();
	test_lapic_timer();
}
