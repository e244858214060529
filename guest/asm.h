/*
 * asm.h - constants shared by the guest's assembly and C: segment
 * selectors, the per-CPU block layout, interrupt vectors and the fixed
 * address of the exception stubs. Plain #defines only, so both the
 * assembler and the compiler can read it.
 */
#ifndef GUEST_ASM_H
#define GUEST_ASM_H

/*
 * GDT, laid out as Linux's x86-64 GDT (this host's KVM switches to CPL0
 * on SYSCALL only with these selectors). The user selectors follow the
 * order SYSCALL/SYSRET require: STAR[47:32] = SEL_KCODE (SS = +8),
 * STAR[63:48] = SEL_UCODE32 (SS = +8, 64-bit CS = +16). One 16-byte TSS
 * descriptor per CPU from SEL_TSS0.
 */
#define SEL_KCODE32 0x08
#define SEL_KCODE 0x10
#define SEL_KDATA 0x18
#define SEL_UCODE32 0x23
#define SEL_UDATA 0x2b
#define SEL_UCODE 0x33
#define SEL_TSS0 0x40

#define MAX_CPUS 64

/*
 * Per-CPU block: PERCPU_SIZE bytes, aligned to its size, so the running
 * CPU's block is %rsp rounded down on every kernel stack and IST stack.
 *   [0x0000, 0x1000)  struct percpu
 *   [0x1000, 0x2000)  IST1 stack: #DF
 *   [0x2000, 0x3000)  IST2 stack: NMI
 *   [0x3000, 0x4000)  IST3 stack: #MC
 *   [0x4000, 0x5000)  IST4 stack: #GP (it may strike with a user %rsp)
 *   [0x5000, 0x8000)  kernel stack (RSP0)
 */
#define PERCPU_SIZE 0x8000
#define PERCPU_IST1_TOP 0x2000
#define PERCPU_IST2_TOP 0x3000
#define PERCPU_IST3_TOP 0x4000
#define PERCPU_IST4_TOP 0x5000
#define PERCPU_STACK_TOP 0x8000

/* Interrupt vectors: 0..31 exceptions, then the LAPIC's. */
#define VEC_TIMER 0x20
#define VEC_WAKE 0x21
#define VEC_SPURIOUS 0xff
#define VEC_NSTUBS 64     /* stubs for vectors 0..63; slot 64 serves 0xff */
#define VEC_SYSCALL 0x100 /* pseudo vector of a trap frame built by SYSCALL */

/*
 * The exception stubs live at a fixed address (the linker script asserts
 * it) so that the IDT is static data: stub N at VECTORS_BASE + 16 * N.
 */
#define VECTORS_BASE 0x101000
#define VECTOR_STUB_SIZE 16

/* Per-CPU SYSCALL entry stubs: stub N at syscall_stubs + 32 * N. */
#define SYSCALL_STUB_SIZE 32

/*
 * System calls: SYSCALL with the number in RAX, arguments in RDI, RSI,
 * RDX; result in RAX. RCX and R11 are clobbered (SYSCALL's own).
 *   SYS_EXIT(code)                  end the task; utask_run() returns code
 *   SYS_WRITE(buf, len)             console output; returns len or -errno
 *   SYS_REPORT(status, name, len)   a test result (0 pass, 1 fail, 2 skip)
 */
#define SYS_EXIT 0
#define SYS_WRITE 1
#define SYS_REPORT 2

/* The AP trampoline page (vmm/layout.h LAYOUT_AP_TRAMPOLINE). */
#define AP_TRAMPOLINE 0x7000
#define AP_SIPI_VECTOR 0x07

#endif
