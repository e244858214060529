/*
 * kernel.h - the guest kernel's core: CPU access helpers, the per-CPU
 * block, trap frames and handlers, the console and small string routines.
 *
 * The kernel runs identity mapped (virtual == physical) in the first
 * PML4 slot; ring-3 tasks live in the upper part of the lower half
 * (guest/user.h). Kernel code runs emulated on this host, one instruction
 * at a time, so hot paths avoid loops and copy with string instructions.
 */
#ifndef GUEST_KERNEL_H
#define GUEST_KERNEL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "asm.h"
#include "format.h"
#include "vmm/guest_abi.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a) (((x) + (a) - 1) & ~((uint64_t)(a) - 1))
#define PAGE_SIZE 4096ULL
#define ENOENT 2
#define E2BIG 7
#define ENOMEM 12
#define EFAULT 14
#define EINVAL 22
#define ENOSYS 38
#define ETIMEDOUT 110

/* Exit port values (guest -> VMM): see guest/README.md. */
#define EXIT_PASS 0
#define EXIT_FAIL 1
#define EXIT_PANIC 4 /* not 3: vmm exits with 3 for its own fatal states */

/* ---- CPU access --------------------------------------------------------- */

static inline void outb(uint16_t port, uint8_t v)
{
	asm volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t v)
{
	asm volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
	asm volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

/*
 * Hand the VMM the guest-physical address of a record it reads during
 * the OUT (the report channel): the memory clobber makes every store to
 * the record happen first, even to a record on the stack.
 */
static inline void outl_record(uint16_t port, const void *rec)
{
	asm volatile("outl %0, %1" : : "a"((uint32_t)(uintptr_t)rec), "Nd"(port) : "memory");
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	asm volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	asm volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline uint64_t read_cr2(void)
{
	uint64_t v;
	asm volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

static inline uint64_t read_cr3(void)
{
	uint64_t v;
	asm volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

static inline void write_cr3(uint64_t v)
{
	asm volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}

static inline void invlpg(uint64_t va)
{
	asm volatile("invlpg (%0)" : : "r"(va) : "memory");
}

static inline void irq_enable(void)
{
	asm volatile("sti" : : : "memory");
}

static inline void irq_disable(void)
{
	asm volatile("cli" : : : "memory");
}

/* Sleep until an interrupt with IF=1 (STI's shadow closes the race). */
static inline void cpu_idle(void)
{
	asm volatile("sti; hlt; cli" : : : "memory");
}

static inline void cpu_relax(void)
{
	asm volatile("" : : : "memory");
}

#define READ_ONCE(x) (*(volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))

/* ---- per-CPU block (layout in asm.h) ------------------------------------ */

struct tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

/* What an expected fault left behind. */
struct trap_info {
	uint64_t vector;
	uint64_t error;
	uint64_t rip;
	uint64_t cr2;
};

struct utask;
struct kctx {
	uint64_t rbx, rbp, r12, r13, r14, r15, rsp;
};

struct percpu {
	uint32_t index;   /* 0 = boot CPU */
	uint32_t apic_id;
	struct tss64 tss;
	/* trap.c: one expected fault at a time, armed by trap_expect() */
	int expect_vector; /* -1 when none */
	bool caught;
	struct trap_info caught_info;
	int fatal_depth;
	/* user.c: the running ring-3 task and where to return when it ends */
	struct utask *task;
	struct kctx kctx;
	/* apic.c */
	volatile uint64_t timer_ticks;
	/* smp.c: work handed to this CPU */
	void (*volatile work_fn)(void *arg);
	void *volatile work_arg;
	volatile uint32_t work_done;
};

extern char percpu0[];

/* The running CPU's block: %rsp rounded down (valid on every kernel stack). */
static inline struct percpu *this_cpu(void)
{
	uint64_t sp;
	asm("mov %%rsp, %0" : "=r"(sp));
	return (struct percpu *)(sp & ~(uint64_t)(PERCPU_SIZE - 1));
}

/* Load this CPU's TSS (with its IST stacks) and its SYSCALL MSRs. */
void cpu_init(struct percpu *cpu, uint32_t index, uint32_t apic_id);

/* ---- traps -------------------------------------------------------------- */

struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};

enum trap_action {
	TRAP_UNHANDLED = 0, /* fall through to the default treatment */
	TRAP_HANDLED = 1,   /* resume the interrupted code at tf->rip */
};

typedef enum trap_action (*trap_fn)(struct trap_frame *tf);

#define X86_DE 0
#define X86_DB 1
#define X86_NMI 2
#define X86_BP 3
#define X86_UD 6
#define X86_DF 8
#define X86_GP 13
#define X86_PF 14

#define PF_PRESENT 0x1
#define PF_WRITE 0x2
#define PF_USER 0x4
#define PF_RSVD 0x8
#define PF_FETCH 0x10

/*
 * Install fn for vector (NULL restores the default). Exceptions: fn runs
 * before the expected-fault check and user-task handling. Vectors >= 32:
 * fn must acknowledge the interrupt (apic_eoi()). Shared by all CPUs.
 */
void trap_set_handler(unsigned int vector, trap_fn fn);

/*
 * Arm this CPU for one expected exception `vector`. The faulting
 * instruction must have an exception-table entry (ASM_TRY) giving the
 * resume address; a fault elsewhere, or of another vector, is fatal.
 */
void trap_expect(unsigned int vector);

/* Disarm; true if the expected fault was taken (details in *info). */
bool trap_caught(struct trap_info *info);

/* One instruction with its resume address: execution continues after it. */
#define ASM_TRY(insn)                                                \
	"1: " insn "\n\t"                                            \
	"2:\n\t"                                                     \
	".pushsection .extable, \"a\"\n\t"                           \
	".balign 8\n\t"                                              \
	".quad 1b, 2b\n\t"                                           \
	".popsection\n\t"

const char *trap_name(uint64_t vector);
/* "present write user" style decoding of a page-fault error code. */
void trap_pf_flags(uint64_t error, char *buf, size_t size);
/* Append one line describing the fault in tf: vector, error, RIP, CR2, CPL. */
void trap_describe(const struct trap_frame *tf, uint64_t cr2, struct strbuf *sb);

/* Print the report for an unexpected fault or error, exit with EXIT_PANIC. */
__attribute__((noreturn, format(printf, 1, 2))) void panic(const char *fmt, ...);

/* ---- console, exit ------------------------------------------------------ */

/*
 * Use the UART at port, or, under vmm (platform.loader_is_vmm), console
 * records on the report channel (the UART is then left alone).
 */
void console_init(uint16_t port);
void console_write(const char *s, size_t len);

/*
 * A console line built in place, laid out as a REPORT_KIND_CONSOLE record
 * so that it goes to the VMM as it is when no other text is waiting.
 */
#define CONSOLE_LINE_MAX 512
struct console_line {
	struct report_console rec; /* filled by console_write_line() */
	char text[CONSOLE_LINE_MAX];
};
/* Write l->text[0..len) (what console_write() does, with one copy less). */
void console_write_line(struct console_line *l, size_t len);
/* Send the text collected so far (records only; the UART has none). */
void console_flush(void);
/* From now on write without taking the lock (the fatal path may hold it). */
void console_panic_mode(void);
/*
 * Formats into a 512-byte buffer (longer output is cut) and writes it.
 * printf() passes the format's length, so its format must be a literal.
 */
__attribute__((format(printf, 3, 4))) int printf_n(size_t fmtlen, size_t lit, const char *fmt,
						   ...);
#define printf(...) printf_n(FMT_SPAN(__VA_ARGS__), __VA_ARGS__)

/* Flush the console, write the exit port; never returns (halts if nothing listens). */
__attribute__((noreturn)) void machine_exit(uint32_t value);

/* ---- spinlocks ---------------------------------------------------------- */

struct spinlock {
	volatile uint32_t locked;
};

/* Take the lock with interrupts off; returns the previous RFLAGS. Inline: a call costs ~10 emulated steps. */
static inline uint64_t spin_lock_irqsave(struct spinlock *l)
{
	uint64_t flags;
	asm volatile("pushfq; popq %0; cli" : "=r"(flags) : : "memory");
	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
		while (READ_ONCE(l->locked))
			cpu_relax();
	return flags;
}

static inline void spin_unlock_irqrestore(struct spinlock *l, uint64_t flags)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
	if (flags & 0x200)
		irq_enable();
}

/* ---- string routines (REP string instructions, see lib.c) --------------- */

void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void *memchr(const void *s, int c, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
/* Copy at most size-1 bytes and NUL-terminate; returns strlen(src). */
size_t strlcpy(char *dst, const char *src, size_t size);

#endif
