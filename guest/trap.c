/*
 * trap.c - per-CPU descriptor state, exception and interrupt dispatch,
 * expected faults, and the fatal-fault report.
 *
 * Order of treatment for an exception: an installed per-vector handler;
 * then, from ring 3, the running user task (a system call that arrived as
 * #PF, else the task is killed and reported); then a kernel #PF on RAM
 * above 4 GiB (mapped on demand); then an expected fault armed by
 * trap_expect() at an instruction with an exception-table entry. Anything
 * else is fatal: the report goes to the console and the report channel,
 * and the VM exits with EXIT_PANIC.
 */
#include "apic.h"
#include "kernel.h"
#include "mm.h"
#include "platform.h"
#include "report.h"
#include "user.h"

struct extable_entry {
	uint64_t insn, fixup;
};

extern const struct extable_entry __extable_start[], __extable_end[];
extern uint64_t gdt_tss[];
extern char syscall_stubs[];

#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_FMASK 0xc0000084
#define FMASK_BITS 0x47700 /* TF DF IF IOPL NT AC cleared on SYSCALL */

static trap_fn handlers[256];
static uint32_t unexpected_irqs;

static const char *const names[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#CSO", "#TS",
	"#NP", "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
	"#22", "#23", "#24", "#25", "#26", "#27", "#HV", "#VC", "#SX", "#31",
};

void cpu_init(struct percpu *cpu, uint32_t index, uint32_t apic_id)
{
	uint64_t base = (uint64_t)(uintptr_t)cpu;
	uint64_t tss = (uint64_t)(uintptr_t)&cpu->tss;
	cpu->index = index;
	cpu->apic_id = apic_id;
	cpu->expect_vector = -1;
	cpu->tss.rsp[0] = base + PERCPU_STACK_TOP;
	cpu->tss.ist[0] = base + PERCPU_IST1_TOP;
	cpu->tss.ist[1] = base + PERCPU_IST2_TOP;
	cpu->tss.ist[2] = base + PERCPU_IST3_TOP;
	cpu->tss.ist[3] = base + PERCPU_IST4_TOP;
	cpu->tss.iomap_base = sizeof(struct tss64);
	/* 64-bit available TSS descriptor: limit 103, type 9, present. */
	gdt_tss[2 * index] = (sizeof(struct tss64) - 1) | (tss & 0xffffff) << 16 | 0x89ULL << 40 |
			     (tss >> 24 & 0xff) << 56;
	gdt_tss[2 * index + 1] = tss >> 32;
	asm volatile("ltr %w0" : : "r"(SEL_TSS0 + 16 * index));
	wrmsr(MSR_STAR, (uint64_t)(SEL_UCODE32 & ~3) << 48 | (uint64_t)SEL_KCODE << 32);
	wrmsr(MSR_LSTAR, (uint64_t)(uintptr_t)syscall_stubs + SYSCALL_STUB_SIZE * index);
	wrmsr(MSR_FMASK, FMASK_BITS);
}

void trap_set_handler(unsigned int vector, trap_fn fn)
{
	if (vector < ARRAY_SIZE(handlers))
		WRITE_ONCE(handlers[vector], fn);
}

void trap_expect(unsigned int vector)
{
	struct percpu *cpu = this_cpu();
	cpu->caught = false;
	cpu->expect_vector = (int)vector;
}

bool trap_caught(struct trap_info *info)
{
	struct percpu *cpu = this_cpu();
	bool caught = cpu->caught;
	cpu->expect_vector = -1;
	cpu->caught = false;
	if (info) {
		if (caught)
			*info = cpu->caught_info;
		else
			memset(info, 0, sizeof(*info));
	}
	return caught;
}

const char *trap_name(uint64_t vector)
{
	if (vector < 32)
		return names[vector];
	if (vector == VEC_SYSCALL)
		return "syscall";
	return "interrupt";
}

void trap_pf_flags(uint64_t error, char *buf, size_t size)
{
	/* By present | write | user, so the common case is one copy. */
	static const char *const base[8] = {
		"not-present read supervisor", "present read supervisor",
		"not-present write supervisor", "present write supervisor",
		"not-present read user", "present read user",
		"not-present write user", "present write user",
	};
	struct strbuf sb = { .buf = buf, .size = size, .len = 0 };
	sb_add(&sb, base[error & (PF_PRESENT | PF_WRITE | PF_USER)]);
	if (error & PF_RSVD)
		sb_addn(&sb, " reserved", 9);
	if (error & PF_FETCH)
		sb_addn(&sb, " fetch", 6);
}

void trap_describe(const struct trap_frame *tf, uint64_t cr2, struct strbuf *sb)
{
	sb_printf(sb, "%s (vector %lu) error 0x%lx ", trap_name(tf->vector), tf->vector, tf->error);
	if (tf->vector == X86_PF) {
		char flags[48];
		sb_addn(sb, "[", 1);
		trap_pf_flags(tf->error, flags, sizeof(flags));
		sb_add(sb, flags);
		sb_addn(sb, "] ", 2);
	}
	sb_printf(sb, "at RIP 0x%lx CPL%lu CR2 0x%lx", tf->rip, tf->cs & 3, cr2);
}

static uint64_t extable_find(uint64_t rip)
{
	for (const struct extable_entry *e = __extable_start; e < __extable_end; e++)
		if (e->insn == rip)
			return e->fixup;
	return 0;
}

static __attribute__((noreturn)) void trap_fatal(struct trap_frame *tf)
{
	struct percpu *cpu = this_cpu();
	uint64_t cr2 = read_cr2();
	char line[200];
	struct strbuf sb = STRBUF(line);
	if (++cpu->fatal_depth > 1) {
		/* A fault while reporting a fault: send what was said once, then stop. */
		if (cpu->fatal_depth == 2)
			console_flush();
		outl(platform.exit_port, EXIT_PANIC);
		for (;;)
			asm volatile("cli; hlt");
	}
	console_panic_mode();
	trap_describe(tf, cr2, &sb);
	printf("FATAL: unexpected %s on CPU %u (APIC ID %u)\n", line, cpu->index, cpu->apic_id);
	printf("  rax %016lx rbx %016lx rcx %016lx rdx %016lx\n", tf->rax, tf->rbx, tf->rcx, tf->rdx);
	printf("  rsi %016lx rdi %016lx rbp %016lx rsp %016lx\n", tf->rsi, tf->rdi, tf->rbp, tf->rsp);
	printf("  r8  %016lx r9  %016lx r10 %016lx r11 %016lx\n", tf->r8, tf->r9, tf->r10, tf->r11);
	printf("  r12 %016lx r13 %016lx r14 %016lx r15 %016lx\n", tf->r12, tf->r13, tf->r14, tf->r15);
	printf("  rflags %08lx cs %04lx ss %04lx cr3 %016lx\n", tf->rflags, tf->cs, tf->ss, read_cr3());
	if (cpu->expect_vector >= 0)
		printf("  (this CPU expected %s at an exception-table instruction)\n",
		       trap_name((uint64_t)cpu->expect_vector));
	report_panic(line);
	machine_exit(EXIT_PANIC);
}

void trap_dispatch(struct trap_frame *tf);
void trap_dispatch(struct trap_frame *tf)
{
	uint64_t vector = tf->vector;
	trap_fn fn = READ_ONCE(handlers[vector & 0xff]);
	if (fn && fn(tf) == TRAP_HANDLED)
		return;
	if (vector >= 32) {
		if (vector != VEC_SPURIOUS) {
			if (unexpected_irqs++ < 4)
				printf("note: interrupt vector %lu without a handler\n", vector);
			apic_eoi();
		}
		return;
	}
	struct percpu *cpu = this_cpu();
	if ((tf->cs & 3) == 3 && cpu->task) {
		utask_fault(tf);
		return;
	}
	if (vector == X86_PF && mm_identity_fault(read_cr2(), tf->error))
		return;
	if (cpu->expect_vector == (int)vector) {
		uint64_t fixup = extable_find(tf->rip);
		if (fixup) {
			cpu->caught_info.vector = vector;
			cpu->caught_info.error = tf->error;
			cpu->caught_info.rip = tf->rip;
			cpu->caught_info.cr2 = vector == X86_PF ? read_cr2() : 0;
			cpu->caught = true;
			cpu->expect_vector = -1;
			tf->rip = fixup;
			return;
		}
	}
	trap_fatal(tf);
}

void panic(const char *fmt, ...)
{
	char msg[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	console_panic_mode();
	printf("PANIC on CPU %u: %s\n", this_cpu()->index, msg);
	report_panic(msg);
	machine_exit(EXIT_PANIC);
}
