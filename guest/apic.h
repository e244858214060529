/*
 * apic.h - the local APIC: x2APIC (MSRs) when CPUID leaf 1 ECX bit 21
 * offers it, xAPIC MMIO at 0xfee00000 otherwise (or with apic=xapic).
 */
#ifndef GUEST_APIC_H
#define GUEST_APIC_H

#include <stdbool.h>
#include <stdint.h>

#define APIC_DM_FIXED 0x000
#define APIC_DM_INIT 0x500
#define APIC_DM_STARTUP 0x600
#define APIC_LEVEL_ASSERT 0x4000

/*
 * The legacy 8259 PICs come up (BIOS) delivering IRQ 0 at vector 8: remap
 * them to PIC_VECTOR_BASE and mask every line. Once; before IF=1 anywhere.
 */
#define PIC_VECTOR_BASE 0x30
void pic_disable(void);

/* Enable this CPU's APIC (mode chosen on the first call, by the boot CPU). */
void apic_init_cpu(void);
bool apic_is_x2apic(void);

/* This CPU's APIC ID, from the APIC once enabled, else from CPUID. */
uint32_t apic_id(void);
/* The initial APIC ID from CPUID leaf 1 (usable before apic_init_cpu). */
uint32_t apic_cpuid_id(void);

void apic_eoi(void);

/* Send an IPI (icr_low: vector | delivery mode | level) to one APIC ID. */
void apic_send_ipi(uint32_t dest, uint32_t icr_low);

/* Periodic (or one-shot when periodic is false) timer, divide by 1. */
void apic_timer_start(uint8_t vector, uint32_t initial_count, bool periodic, bool masked);
void apic_timer_stop(void);
uint32_t apic_timer_current(void);

/* Measure the timer's count rate against the TSC (~1 ms); needs tsc_hz. */
uint64_t apic_timer_hz(void);

#endif
