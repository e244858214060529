/*
 * clock.c - TSC frequency from kvmclock or the PIT (see clock.h).
 */
#include "clock.h"
#include "kernel.h"
#include "platform.h"

#define KVM_CPUID_SIGNATURE 0x40000000
#define KVM_CPUID_FEATURES 0x40000001
#define KVM_FEATURE_CLOCKSOURCE2 (1u << 3)
#define MSR_KVM_SYSTEM_TIME_NEW 0x4b564d01

#define HV_CPUID_TIMING 0x40000010
#define ASSUMED_TSC_HZ 1000000000ULL
#define PIT_HZ 1193182ULL
#define PIT_CALIBRATE_US 2000

struct pvclock_vcpu_time_info {
	uint32_t version;
	uint32_t pad0;
	uint64_t tsc_timestamp;
	uint64_t system_time;
	uint32_t tsc_to_system_mul;
	int8_t tsc_shift;
	uint8_t flags;
	uint8_t pad[2];
} __attribute__((packed));

static struct pvclock_vcpu_time_info pvti __attribute__((aligned(64)));
static bool kvmclock_on;
uint64_t tsc_hz;
const char *tsc_source;
bool tsc_assumed;

static bool kvmclock_available(void)
{
	uint32_t r[4];
	cpuid(KVM_CPUID_SIGNATURE, 0, r);
	if (r[1] != 0x4b4d564b || r[2] != 0x564b4d56 || r[3] != 0x0000004d) /* "KVMKVMKVM\0\0\0" */
		return false;
	if (r[0] < KVM_CPUID_FEATURES)
		return false;
	cpuid(KVM_CPUID_FEATURES, 0, r);
	return r[0] & KVM_FEATURE_CLOCKSOURCE2;
}

/* A consistent copy of the pvclock record (even, unchanged version). */
static void pvti_read(struct pvclock_vcpu_time_info *out)
{
	uint32_t v;
	do {
		v = READ_ONCE(pvti.version);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		*out = pvti;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
	} while ((v & 1) || v != READ_ONCE(pvti.version));
}

/* ns = ((delta shifted by tsc_shift) * mul) >> 32, as pvclock defines it. */
static uint64_t pvclock_scale(uint64_t delta, uint32_t mul, int8_t shift)
{
	if (shift < 0)
		delta >>= -shift;
	else
		delta <<= shift;
	return (uint64_t)(((unsigned __int128)delta * mul) >> 32);
}

/*
 * PIT channel 2's count, latched (one OUT, two INs), and the TSC at the
 * latch: the middle of the TSC read just before and just after the OUT,
 * which exits to the hypervisor (~7 us here). Of several reads the one
 * with the narrowest bracket is kept, so a host preemption in one does
 * not count.
 */
static uint16_t pit2_read(uint64_t *tsc, int reads)
{
	uint64_t best = UINT64_MAX;
	uint16_t count = 0;
	*tsc = 0;
	for (int i = 0; i < reads; i++) {
		uint64_t a = rdtsc();
		outb(0x43, 0x80); /* counter latch, channel 2 */
		uint64_t b = rdtsc();
		uint8_t lo = inb(0x42), hi = inb(0x42);
		if (b - a < best) {
			best = b - a;
			*tsc = a + (b - a) / 2;
			count = (uint16_t)(lo | hi << 8);
		}
	}
	return count;
}

uint64_t clock_pit_hz(void)
{
	/* Nothing decodes port 0x61 without a PIT (vmm --no-pit): reads are all ones. */
	if (inb(0x61) == 0xff)
		return 0;
	/* Gate channel 2 on, speaker off; mode 0, lobyte/hibyte, from 0xffff (55 ms). */
	outb(0x61, (uint8_t)((inb(0x61) & ~0x02) | 0x01));
	outb(0x43, 0xb0);
	outb(0x42, 0xff);
	outb(0x42, 0xff);
	uint64_t t0, t1, t2;
	uint16_t c0 = pit2_read(&t0, 2), c1;
	/* A first estimate of the rate over ~0.5 ms; give up after ~1 s of TSC at 10 GHz. */
	do
		c1 = pit2_read(&t1, 1);
	while ((uint16_t)(c0 - c1) < PIT_HZ / 2000 && t1 - t0 < 10000000000ULL);
	if ((uint16_t)(c0 - c1) < PIT_HZ / 2000)
		return 0; /* channel 2 does not count */
	/* Then the whole window by the TSC, and the count at its end. */
	uint64_t window = (t1 - t0) * (PIT_HZ * PIT_CALIBRATE_US / 1000000) / (uint16_t)(c0 - c1);
	while (rdtsc() - t0 < window)
		cpu_relax();
	uint16_t c2 = pit2_read(&t2, 2);
	return (t2 - t0) * PIT_HZ / (uint16_t)(c0 - c2);
}

/* The hypervisor's TSC frequency leaf (0x40000010 EAX, kHz), or 0. */
static uint64_t cpuid_tsc_hz(void)
{
	uint32_t r[4];
	cpuid(KVM_CPUID_SIGNATURE, 0, r);
	if (r[0] < HV_CPUID_TIMING)
		return 0;
	cpuid(HV_CPUID_TIMING, 0, r);
	if (r[0])
		tsc_source = "CPUID 0x40000010";
	return (uint64_t)r[0] * 1000;
}

uint64_t clock_init(void)
{
	if (tsc_hz)
		return tsc_hz;
	if (!platform.force_pit && kvmclock_available()) {
		struct pvclock_vcpu_time_info t;
		wrmsr(MSR_KVM_SYSTEM_TIME_NEW, (uint64_t)(uintptr_t)&pvti | 1);
		pvti_read(&t);
		if (t.tsc_to_system_mul) {
			kvmclock_on = true;
			/* 1 s of ns = 1e9 = (hz << shift) * mul >> 32. */
			uint64_t hz = (1000000000ULL << 32) / t.tsc_to_system_mul;
			tsc_hz = t.tsc_shift < 0 ? hz << -t.tsc_shift : hz >> t.tsc_shift;
			tsc_source = "kvmclock";
			return tsc_hz;
		}
	}
	tsc_hz = clock_pit_hz();
	tsc_source = "PIT";
	if (!tsc_hz)
		tsc_hz = cpuid_tsc_hz();
	if (!tsc_hz) {
		/* Only timeouts depend on it now; the timer suite reports the guess. */
		tsc_hz = ASSUMED_TSC_HZ;
		tsc_source = "nothing (assumed 1 GHz)";
		tsc_assumed = true;
	}
	return tsc_hz;
}

uint64_t clock_ns(void)
{
	struct pvclock_vcpu_time_info t;
	if (!kvmclock_on)
		return 0;
	pvti_read(&t);
	return t.system_time + pvclock_scale(rdtsc() - t.tsc_timestamp, t.tsc_to_system_mul,
					     t.tsc_shift);
}

uint64_t tsc_to_us(uint64_t ticks)
{
	if (!tsc_hz)
		return 0;
	return ticks / tsc_hz * 1000000 + ticks % tsc_hz * 1000000 / tsc_hz;
}
