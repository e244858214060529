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
#define PIT_CALIBRATE_MS 10

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

uint64_t clock_pit_hz(void)
{
	uint16_t latch = (uint16_t)(PIT_HZ * PIT_CALIBRATE_MS / 1000);
	/* Nothing decodes port 0x61 without a PIT (vmm --no-pit): reads are all ones. */
	if (inb(0x61) == 0xff)
		return 0;
	/* Gate channel 2 on, speaker off; mode 0, lobyte/hibyte. */
	outb(0x61, (uint8_t)((inb(0x61) & ~0x02) | 0x01));
	outb(0x43, 0xb0);
	outb(0x42, (uint8_t)latch);
	outb(0x42, (uint8_t)(latch >> 8));
	uint64_t t0 = rdtsc(), t1 = t0;
	/* OUT2 goes high at terminal count; give up after ~1 s of TSC at 10 GHz. */
	while (!(inb(0x61) & 0x20) && t1 - t0 < 10000000000ULL)
		t1 = rdtsc();
	return (t1 - t0) * 1000 / PIT_CALIBRATE_MS;
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
