/*
 * apic.c - local APIC access in x2APIC or xAPIC mode (see apic.h).
 */
#include "apic.h"
#include "clock.h"
#include "kernel.h"
#include "platform.h"
#include "vmm/layout.h"

#define MSR_APIC_BASE 0x1b
#define APIC_BASE_EN (1u << 11)
#define APIC_BASE_EXTD (1u << 10)
#define CPUID1_ECX_X2APIC (1u << 21)

/* Register offsets in the xAPIC page; the x2APIC MSR is 0x800 + off/16. */
#define APIC_ID 0x20
#define APIC_TPR 0x80
#define APIC_EOI 0xb0
#define APIC_SVR 0xf0
#define APIC_ICR 0x300
#define APIC_ICR_HIGH 0x310
#define APIC_LVT_TIMER 0x320
#define APIC_TIMER_INIT 0x380
#define APIC_TIMER_CUR 0x390
#define APIC_TIMER_DIV 0x3e0

#define APIC_SVR_ENABLE 0x100
#define APIC_ICR_BUSY (1u << 12)
#define APIC_LVT_MASKED (1u << 16)
#define APIC_LVT_PERIODIC (1u << 17)
#define APIC_DIV_1 0xb

static int mode; /* 0 = not chosen yet, 1 = xAPIC, 2 = x2APIC */

static uint32_t apic_read(uint32_t off)
{
	if (mode == 2)
		return (uint32_t)rdmsr(0x800 + off / 16);
	return *(volatile uint32_t *)(uintptr_t)(LAYOUT_LAPIC_BASE + off);
}

static void apic_write(uint32_t off, uint32_t v)
{
	if (mode == 2)
		wrmsr(0x800 + off / 16, v);
	else
		*(volatile uint32_t *)(uintptr_t)(LAYOUT_LAPIC_BASE + off) = v;
}

uint32_t apic_cpuid_id(void)
{
	uint32_t r[4];
	cpuid(1, 0, r);
	return r[1] >> 24;
}

void pic_disable(void)
{
	static bool done;
	if (done)
		return;
	done = true;
	/* ICW1..ICW4: remap to PIC_VECTOR_BASE.. (away from exceptions), then mask all. */
	outb(0x20, 0x11);
	outb(0xa0, 0x11);
	outb(0x21, PIC_VECTOR_BASE);
	outb(0xa1, PIC_VECTOR_BASE + 8);
	outb(0x21, 0x04);
	outb(0xa1, 0x02);
	outb(0x21, 0x01);
	outb(0xa1, 0x01);
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
}

void apic_init_cpu(void)
{
	pic_disable();
	if (!mode) {
		uint32_t r[4];
		cpuid(1, 0, r);
		mode = (r[2] & CPUID1_ECX_X2APIC) && !platform.force_xapic ? 2 : 1;
	}
	uint64_t base = rdmsr(MSR_APIC_BASE);
	base |= APIC_BASE_EN;
	if (mode == 2)
		base |= APIC_BASE_EXTD;
	wrmsr(MSR_APIC_BASE, base);
	apic_write(APIC_TPR, 0);
	apic_write(APIC_SVR, APIC_SVR_ENABLE | VEC_SPURIOUS);
}

bool apic_is_x2apic(void)
{
	return mode == 2;
}

uint32_t apic_id(void)
{
	if (!mode)
		return apic_cpuid_id();
	uint32_t id = apic_read(APIC_ID);
	return mode == 2 ? id : id >> 24;
}

void apic_eoi(void)
{
	apic_write(APIC_EOI, 0);
}

void apic_send_ipi(uint32_t dest, uint32_t icr_low)
{
	if (mode == 2) {
		wrmsr(0x830, (uint64_t)dest << 32 | icr_low);
		return;
	}
	apic_write(APIC_ICR_HIGH, dest << 24);
	apic_write(APIC_ICR, icr_low);
	while (apic_read(APIC_ICR) & APIC_ICR_BUSY)
		cpu_relax();
}

void apic_timer_start(uint8_t vector, uint32_t initial_count, bool periodic, bool masked)
{
	apic_write(APIC_TIMER_DIV, APIC_DIV_1);
	apic_write(APIC_LVT_TIMER, vector | (periodic ? APIC_LVT_PERIODIC : 0) |
					   (masked ? APIC_LVT_MASKED : 0));
	apic_write(APIC_TIMER_INIT, initial_count);
}

void apic_timer_stop(void)
{
	apic_write(APIC_TIMER_INIT, 0);
	apic_write(APIC_LVT_TIMER, APIC_LVT_MASKED | VEC_TIMER);
}

uint32_t apic_timer_current(void)
{
	return apic_read(APIC_TIMER_CUR);
}

uint64_t apic_timer_hz(void)
{
	uint64_t window = tsc_hz / 1000; /* 1 ms */
	apic_timer_start(VEC_TIMER, 0xffffffffu, false, true);
	uint64_t t0 = rdtsc(), t1;
	do
		t1 = rdtsc();
	while (t1 - t0 < window);
	uint32_t left = apic_timer_current();
	t1 = rdtsc();
	apic_timer_stop();
	return (uint64_t)(0xffffffffu - left) * tsc_hz / (t1 - t0);
}
