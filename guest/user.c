/*
 * user.c - ring-3 tasks and their system calls (see user.h).
 */
#include "apic.h"
#include "kernel.h"
#include "mm.h"
#include "report.h"
#include "user.h"
#include "vmm/guest_abi.h"
#include "vmm/layout.h"

#define USER_WRITE_MAX 4096
#define RFLAGS_USER 0x202 /* IF */
/* RFLAGS bits ring 3 may set for itself: CF PF AF ZF SF TF DF OF AC ID. */
#define RFLAGS_USER_MASK 0x254dd5ULL

extern uint64_t syscall_slots[];
extern char syscall_stubs[];
extern char user_probe_entry[];

long utask_switch(struct kctx *k, const struct trap_frame *user);
void syscall_dispatch(struct trap_frame *tf); /* vectors.S: SYSCALL in ring 0 */
__attribute__((noreturn)) void utask_return(struct kctx *k, long value);
long utask_sysret_probe(struct kctx *k, uint64_t rip, uint64_t rsp);

/* Read by syscall_common (vectors.S) on every return from SYSCALL. */
uint8_t sysret_works;
static bool probed;
static uint64_t syscalls_by_fault;
static char probe_result[96] = "not probed";

/* Spaces of destroyed tasks: the .user code and a stack mapped, nothing else. */
static struct mm_space spares[MAX_CPUS];
static int nspares;
static struct spinlock spares_lock;

static bool spare_take(struct mm_space *as)
{
	bool found = false;
	uint64_t flags = spin_lock_irqsave(&spares_lock);
	if (nspares) {
		*as = spares[--nspares];
		found = true;
	}
	spin_unlock_irqrestore(&spares_lock, flags);
	return found;
}

static bool spare_give(const struct mm_space *as)
{
	bool kept = false;
	uint64_t flags = spin_lock_irqsave(&spares_lock);
	if (nspares < (int)ARRAY_SIZE(spares)) {
		spares[nspares++] = *as;
		kept = true;
	}
	spin_unlock_irqrestore(&spares_lock, flags);
	return kept;
}

/* A new space with the .user section (read-only) and the stack (not zeroed) mapped. */
static int space_build(struct mm_space *as)
{
	uint64_t start = (uint64_t)(uintptr_t)__user_start, end = (uint64_t)(uintptr_t)__user_end;
	if (mm_space_init(as) != 0)
		return -ENOMEM;
	for (uint64_t pa = start; pa < end; pa += PAGE_SIZE)
		if (mm_map(as, USER_CODE_VA + (pa - start), pa, PTE_U) != 0)
			return -ENOMEM;
	for (uint64_t i = 1; i <= USER_STACK_PAGES; i++) {
		void *page = pages_alloc(1, PAGE_SIZE, false);
		if (!page || mm_map(as, USER_STACK_TOP - i * PAGE_SIZE, (uint64_t)(uintptr_t)page,
				    PTE_U | PTE_W) != 0) {
			page_free(page);
			return -ENOMEM;
		}
	}
	return 0;
}

int utask_create(struct utask *t, const char *name, const void *fn, uint64_t arg)
{
	uint64_t start = (uint64_t)(uintptr_t)__user_start, end = (uint64_t)(uintptr_t)__user_end;
	uint64_t f = (uint64_t)(uintptr_t)fn;
	memset(t, 0, sizeof(*t));
	if (f < start || f >= end)
		return -EINVAL;
	if (USER_CODE_VA + (end - start) > USER_STACK_TOP - USER_STACK_PAGES * PAGE_SIZE)
		return -E2BIG; /* the .user section would run into the stack */
	if (!probed)
		user_init(); /* its probe task leaves a space behind for this one */
	t->name = name;
	t->entry = USER_CODE_VA + (f - start);
	t->stack_top = USER_STACK_TOP;
	t->arg = arg;
	if (spare_take(&t->space))
		return 0;
	if (space_build(&t->space) != 0) {
		t->more_ram = true; /* half built: free it, never keep it */
		utask_destroy(t);
		return -ENOMEM;
	}
	return 0;
}

int utask_map_ram(struct utask *t, uint64_t va, uint64_t bytes)
{
	const uint64_t huge = 2 * LAYOUT_MiB;
	if (va < USER_DATA_VA || va + bytes < va || va + bytes > MM_USER_END ||
	    (va | bytes) & (PAGE_SIZE - 1))
		return -EINVAL;
	t->more_ram = true;
	while (bytes) {
		bool big = !(va & (huge - 1)) && bytes >= huge;
		uint64_t len = big ? huge : PAGE_SIZE;
		void *ram = big ? pages_alloc(huge / PAGE_SIZE, huge, false) : page_alloc();
		if (!ram)
			return -ENOMEM;
		int err = big ? mm_map_2m(&t->space, va, (uint64_t)(uintptr_t)ram, PTE_U | PTE_W)
			      : mm_map(&t->space, va, (uint64_t)(uintptr_t)ram, PTE_U | PTE_W);
		if (err) {
			for (uint64_t off = 0; off < len; off += PAGE_SIZE)
				page_free((char *)ram + off);
			return err;
		}
		va += len;
		bytes -= len;
	}
	return 0;
}

void utask_destroy(struct utask *t)
{
	if (!t->space.pml4)
		return;
	if (!t->more_ram && spare_give(&t->space)) {
		t->space.pml4 = NULL;
		return;
	}
	/* Stack pages are the task's; code pages belong to the kernel image. */
	for (uint64_t i = 1; i <= USER_STACK_PAGES; i++) {
		uint64_t *e = mm_lookup(&t->space, USER_STACK_TOP - i * PAGE_SIZE);
		if (e && !(*e & PTE_PS))
			page_free((void *)(uintptr_t)(*e & PTE_ADDR));
	}
	mm_space_free(&t->space);
}

/* Point RSP0 and this CPU's SYSCALL stack just below the caller's frames. */
static void set_kernel_entry_stack(struct percpu *cpu)
{
	uint64_t sp;
	asm volatile("mov %%rsp, %0" : "=r"(sp));
	sp = (sp - 256) & ~15ULL;
	cpu->tss.rsp[0] = sp;
	syscall_slots[2 * cpu->index + 1] = sp;
}

int64_t utask_run(struct utask *t)
{
	struct percpu *cpu = this_cpu();
	struct trap_frame f;
	uint64_t flags;
	if (!probed)
		user_init();
	asm volatile("pushfq; popq %0; cli" : "=r"(flags) : : "memory");
	memset(&f, 0, sizeof(f));
	f.rip = t->entry;
	f.cs = SEL_UCODE;
	f.rflags = RFLAGS_USER;
	f.rsp = t->stack_top;
	f.ss = SEL_UDATA;
	f.rdi = t->arg;
	t->killed = false;
	t->syscalls = 0;
	cpu->task = t;
	set_kernel_entry_stack(cpu);
	write_cr3((uint64_t)(uintptr_t)t->space.pml4);
	long ret = utask_switch(&cpu->kctx, &f);
	write_cr3((uint64_t)(uintptr_t)boot_pml4);
	cpu->task = NULL;
	cpu->tss.rsp[0] = (uint64_t)(uintptr_t)cpu + PERCPU_STACK_TOP;
	if (flags & 0x200)
		irq_enable();
	return ret;
}

/*
 * On this host SYSCALL in ring 3 does not switch to ring 0: the CPU loads
 * RIP from LSTAR (and RCX, R11, RFLAGS as SYSCALL does) but stays in ring
 * 3, so fetching the supervisor-only entry stub raises #PF. Such a fault
 * is the system call: serve it and return to RCX with IRETQ.
 */
static bool syscall_by_fault(struct trap_frame *tf)
{
	struct percpu *cpu = this_cpu();
	uint64_t lstar = (uint64_t)(uintptr_t)syscall_stubs + SYSCALL_STUB_SIZE * cpu->index;
	if (tf->vector != X86_PF || tf->rip != lstar || read_cr2() != lstar)
		return false;
	tf->rip = tf->rcx;
	tf->rflags = (tf->r11 & RFLAGS_USER_MASK) | RFLAGS_USER;
	__atomic_fetch_add(&syscalls_by_fault, 1, __ATOMIC_RELAXED);
	syscall_dispatch(tf);
	return true;
}

void utask_fault(struct trap_frame *tf)
{
	struct percpu *cpu = this_cpu();
	struct utask *t = cpu->task;
	struct console_line line;
	struct strbuf sb = { .buf = line.text, .size = sizeof(line.text), .len = 0 };
	if (syscall_by_fault(tf))
		return;
	t->killed = true;
	t->fault.vector = tf->vector;
	t->fault.error = tf->error;
	t->fault.rip = tf->rip;
	t->fault.cr2 = tf->vector == X86_PF ? read_cr2() : 0;
	sb_printf(&sb, "user task '%s' killed on CPU %u: ", t->name, cpu->index);
	trap_describe(tf, t->fault.cr2, &sb);
	sb_addn(&sb, "\n", 1);
	console_write_line(&line, sb.len < sizeof(line.text) ? sb.len : sizeof(line.text) - 1);
	utask_return(&cpu->kctx, -EFAULT);
}

/* True if [va, va + len) is mapped user-accessible (writable if write). */
static bool user_range_ok(struct utask *t, uint64_t va, uint64_t len, bool write)
{
	if (len > USER_WRITE_MAX || va < MM_USER_BASE || va + len < va || va + len > MM_USER_END)
		return false;
	for (uint64_t p = va & ~(PAGE_SIZE - 1); p < va + len; p += PAGE_SIZE) {
		uint64_t *e = mm_lookup(&t->space, p);
		if (!e || !(*e & PTE_U) || (write && !(*e & PTE_W)))
			return false;
	}
	return true;
}

uint64_t user_syscalls_by_fault(void)
{
	return syscalls_by_fault;
}

void syscall_dispatch(struct trap_frame *tf)
{
	struct percpu *cpu = this_cpu();
	struct utask *t = cpu->task;
	if (!t)
		panic("SYSCALL from ring 3 with no task on this CPU (RIP 0x%lx)", tf->rip);
	t->syscalls++;
	switch (tf->rax) {
	case SYS_EXIT:
		utask_return(&cpu->kctx, (long)tf->rdi);
	case SYS_WRITE:
		if (!user_range_ok(t, tf->rdi, tf->rsi, false)) {
			tf->rax = (uint64_t)-EFAULT;
			break;
		}
		console_write((const char *)(uintptr_t)tf->rdi, tf->rsi);
		tf->rax = tf->rsi;
		break;
	case SYS_REPORT: {
		char name[REPORT_NAME_LEN];
		if (tf->rdi > REPORT_SKIP || tf->rdx >= sizeof(name) ||
		    !user_range_ok(t, tf->rsi, tf->rdx, false)) {
			tf->rax = (uint64_t)-EINVAL;
			break;
		}
		memcpy(name, (const void *)(uintptr_t)tf->rsi, tf->rdx);
		name[tf->rdx] = '\0';
		if (tf->rdi == REPORT_SKIP)
			report_skip(name, "skipped by task %s", t->name);
		else
			report(tf->rdi == REPORT_PASS, "%s", name);
		tf->rax = 0;
		break;
	}
	default:
		tf->rax = (uint64_t)-ENOSYS;
		break;
	}
}

void user_init(void)
{
	struct percpu *cpu = this_cpu();
	struct utask probe;
	struct trap_info info;
	uint64_t flags;
	if (probed)
		return;
	probed = true;
	pic_disable(); /* ring 3 runs with IF=1 */
	if (utask_create(&probe, "sysret-probe", user_probe_entry, 0) != 0) {
		strlcpy(probe_result, "no memory for the probe task", sizeof(probe_result));
		return;
	}
	asm volatile("pushfq; popq %0; cli" : "=r"(flags) : : "memory");
	cpu->task = &probe;
	set_kernel_entry_stack(cpu);
	write_cr3((uint64_t)(uintptr_t)probe.space.pml4);
	trap_expect(X86_GP);
	long r = utask_sysret_probe(&cpu->kctx, probe.entry, probe.stack_top);
	bool gp = trap_caught(&info);
	write_cr3((uint64_t)(uintptr_t)boot_pml4);
	cpu->task = NULL;
	cpu->tss.rsp[0] = (uint64_t)(uintptr_t)cpu + PERCPU_STACK_TOP;
	if (flags & 0x200)
		irq_enable();
	sysret_works = r == 0x5a && !gp;
	if (sysret_works)
		strlcpy(probe_result, "works", sizeof(probe_result));
	else if (gp)
		snprintf(probe_result, sizeof(probe_result), "raises %s (error 0x%lx) at CPL0",
			 trap_name(info.vector), info.error);
	else if (probe.killed)
		snprintf(probe_result, sizeof(probe_result), "raises %s in ring 3",
			 trap_name(probe.fault.vector));
	else
		snprintf(probe_result, sizeof(probe_result), "returned %ld", r);
	utask_destroy(&probe);
}

bool user_sysret_works(void)
{
	return sysret_works;
}

const char *user_sysret_probe_result(void)
{
	return probe_result;
}
