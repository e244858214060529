/*
 * suite_probe.c - what kernel-mode work costs on this host, where ring-0
 * code is emulated: per-instruction, per-REP-iteration and per-exit times,
 * two instructions the emulator might refuse, CPUID and control registers.
 * (rdtscp, int3, clac, fwait, xrstor and lock cmpxchg16b in ring 0 stop
 * this host's emulator for good, so they are not tried.)
 * Information only (no pass/fail); runs only with tests=probe.
 */
#include "clock.h"
#include "kernel.h"
#include "report.h"
#include "suites.h"

static uint64_t buf[4096 / 8] __attribute__((aligned(4096)));
static uint64_t buf2[4096 / 8] __attribute__((aligned(4096)));

static void op_call(void)
{
}

static void op_nop10(void)
{
	asm volatile("nop; nop; nop; nop; nop; nop; nop; nop; nop; nop");
}

static void op_cpuid(void)
{
	uint32_t r[4];
	cpuid(0, 0, r);
}

static void op_stosq_4k(void)
{
	void *d = buf;
	size_t c = 512;
	asm volatile("rep stosq" : "+D"(d), "+c"(c) : "a"(0) : "memory");
}

static void op_stosb_4k(void)
{
	void *d = buf;
	size_t c = 4096;
	asm volatile("rep stosb" : "+D"(d), "+c"(c) : "a"(0) : "memory");
}

static void op_movsq_4k(void)
{
	void *d = buf;
	const void *s = buf2;
	size_t c = 512;
	asm volatile("rep movsq" : "+D"(d), "+S"(s), "+c"(c) : : "memory");
}

static void op_outb(void)
{
	outb(0x80, 0);
}

static void op_outsb_16(void)
{
	const void *s = buf;
	size_t c = 16;
	asm volatile("rep outsb" : "+S"(s), "+c"(c) : "d"(0x80) : "memory");
}

static void op_wrmsr(void)
{
	wrmsr(0xc0000102, 0); /* KERNEL_GS_BASE: unused by this kernel */
}

static void op_cr3(void)
{
	write_cr3(read_cr3());
}

static void op_lock_xadd(void)
{
	__atomic_fetch_add(&buf[0], 1, __ATOMIC_SEQ_CST);
}

static void op_lock_cmpxchg(void)
{
	uint64_t e = buf[2];
	__atomic_compare_exchange_n(&buf[2], &e, e + 1, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

static const struct {
	const char *what;
	int n;
	void (*fn)(void);
} ops[] = {
	{ "call + return", 100, op_call },
	{ "10 x nop", 50, op_nop10 },
	{ "cpuid", 50, op_cpuid },
	{ "rep stosq 4 KiB", 10, op_stosq_4k },
	{ "rep stosb 4 KiB", 3, op_stosb_4k },
	{ "rep movsq 4 KiB", 10, op_movsq_4k },
	{ "outb (an exit)", 50, op_outb },
	{ "rep outsb 16 bytes", 20, op_outsb_16 },
	{ "wrmsr", 50, op_wrmsr },
	{ "mov to cr3", 20, op_cr3 },
	{ "lock xadd", 50, op_lock_xadd },
	{ "lock cmpxchg", 50, op_lock_cmpxchg },
};

/* Try one instruction that may raise #UD; say which. */
#define TRY_UD(name, insn)                                                        \
	do {                                                                      \
		trap_expect(X86_UD);                                              \
		asm volatile(ASM_TRY(insn) : : : "memory");                       \
		report_info("%-8s %s", name, trap_caught(NULL) ? "#UD" : "works"); \
	} while (0)

void suite_probe(void)
{
	uint32_t r[4];
	uint64_t cr0, cr4;
	clock_init();
	report_info("TSC %lu Hz from %s", tsc_hz, tsc_source);
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++) {
		uint64_t t0 = rdtsc();
		for (int k = 0; k < ops[i].n; k++)
			ops[i].fn();
		uint64_t ns = (rdtsc() - t0) * 1000000000 / tsc_hz / (uint64_t)ops[i].n;
		report_info("%-20s %8lu ns each (with the call and loop)", ops[i].what, ns);
	}
	TRY_UD("swapgs", "swapgs; swapgs");
	TRY_UD("pause", "pause");
	cpuid(1, 0, r);
	report_info("CPUID.1: eax %08x ebx %08x ecx %08x edx %08x", r[0], r[1], r[2], r[3]);
	cpuid(7, 0, r);
	report_info("CPUID.7: ebx %08x ecx %08x edx %08x", r[1], r[2], r[3]);
	cpuid(0x80000001, 0, r);
	report_info("CPUID.80000001: ecx %08x edx %08x", r[2], r[3]);
	asm volatile("mov %%cr0, %0; mov %%cr4, %1" : "=r"(cr0), "=r"(cr4));
	report_info("CR0 %lx CR4 %lx EFER %lx", cr0, cr4, rdmsr(0xc0000080));
}
