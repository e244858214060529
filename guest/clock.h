/*
 * clock.h - the TSC and its frequency: from kvmclock (pvclock
 * tsc_to_system_mul/tsc_shift) when KVM offers clocksource2, else by
 * PIT channel 2 calibration, else from the hypervisor's CPUID leaf
 * 0x40000010, else an assumed 1 GHz (tsc_source says which).
 */
#ifndef GUEST_CLOCK_H
#define GUEST_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

/* Find the TSC frequency once (PIT fallback: ~2.5 ms). Returns tsc_hz, never 0. */
uint64_t clock_init(void);

/* TSC ticks per second after clock_init(), else 0. */
extern uint64_t tsc_hz;
/* Where tsc_hz came from, after clock_init(). */
extern const char *tsc_source;
/* True when no source answered and tsc_hz is a guess. */
extern bool tsc_assumed;

/*
 * Measure the TSC against PIT channel 2 over ~2.5 ms: the latched count
 * at both ends (a few dozen port exits in all, not one per poll); ticks/s,
 * 0 if no PIT counts. The TSC at each end is known to half an exit
 * (~5 us here): 0.2% of the window.
 */
uint64_t clock_pit_hz(void);

/* Guest time in ns from kvmclock; 0 until clock_init() enabled it. */
uint64_t clock_ns(void);

/* TSC ticks to microseconds (0 before clock_init()). */
uint64_t tsc_to_us(uint64_t ticks);

#endif
