/*
 * vectors.S - interrupt and exception entry, the static IDT, SYSCALL entry
 * and the switches between the kernel and ring-3 tasks.
 *
 * Every entry builds a struct trap_frame (guest/kernel.h) and calls C:
 * trap_dispatch() for vectors, syscall_dispatch() for SYSCALL. Returns to
 * ring 3 go through IRETQ, or SYSRETQ after a SYSCALL when the boot probe
 * found it works. (Where SYSCALL does not leave ring 3, as on this host,
 * the stubs below are never run: the fetch of a stub faults and user.c
 * serves the system call from that #PF.)
 */
#include "asm.h"

#define ERRCODE_VECTORS ((1 << 8) | (1 << 10) | (1 << 11) | (1 << 12) | (1 << 13) | \
			 (1 << 14) | (1 << 17) | (1 << 21) | (1 << 29) | (1 << 30))

/* A jump with a fixed 5-byte encoding, so stub sizes are known at assembly. */
.macro JMP32 target
	.byte 0xe9
	.long \target - . - 4
.endm

	.section .text.vectors, "ax"
	.code64
	.globl vectors_start
	.set vectors_expected_base, VECTORS_BASE
	.globl vectors_expected_base
vectors_start:
	.set v, 0
	.rept VEC_NSTUBS
0:
	.if v < 32 && ((ERRCODE_VECTORS >> v) & 1)
	.else
	pushq $0
	.endif
	pushq $v
	JMP32 trap_common
	.fill VECTOR_STUB_SIZE - (. - 0b), 1, 0xcc
	.set v, v + 1
	.endr
stub_spurious:
	pushq $0
	pushq $VEC_SPURIOUS
	JMP32 trap_common
	.if stub_spurious - vectors_start != VEC_NSTUBS * VECTOR_STUB_SIZE
	.error "an exception stub outgrew its slot"
	.endif

/* Save the registers, call trap_dispatch(frame), restore, IRETQ. */
	.globl trap_common, trap_return
trap_common:
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, %rdi
	cld
	call trap_dispatch
trap_return:
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
	addq $16, %rsp
	iretq

/*
 * SYSCALL entry, one stub per CPU (LSTAR = syscall_stubs + 32 * index):
 * the stub saves the user %rsp in the CPU's slot, switches to the kernel
 * stack recorded there by utask_run() and builds the top of an IRET frame.
 * No register other than RCX and R11 (SYSCALL's own) is touched before the
 * frame is saved, and no GS base is needed.
 */
	.balign SYSCALL_STUB_SIZE
	.globl syscall_stubs
syscall_stubs:
	.set n, 0
	.rept MAX_CPUS
0:
	movq %rsp, syscall_slots + 16 * n(%rip)
	movq syscall_slots + 16 * n + 8(%rip), %rsp
	pushq $SEL_UDATA
	pushq syscall_slots + 16 * n(%rip)
	JMP32 syscall_common
	.fill SYSCALL_STUB_SIZE - (. - 0b), 1, 0xcc
	.set n, n + 1
	.endr
syscall_stubs_end:
	.if syscall_stubs_end - syscall_stubs != MAX_CPUS * SYSCALL_STUB_SIZE
	.error "a syscall stub outgrew its slot"
	.endif

syscall_common:
	pushq %r11 /* RFLAGS */
	pushq $SEL_UCODE
	pushq %rcx /* RIP */
	pushq $0
	pushq $VEC_SYSCALL
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, %rdi
	cld
	call syscall_dispatch
	/* Back to ring 3: SYSRETQ if the probe said so, else IRETQ. */
	cmpb $0, sysret_works(%rip)
	je trap_return
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
	movq 16(%rsp), %rcx /* RIP */
	movq 32(%rsp), %r11 /* RFLAGS */
	movq 40(%rsp), %rsp /* user RSP; an NMI here runs on its IST stack */
	sysretq

/*
 * long utask_switch(struct kctx *k, const struct trap_frame *user)
 * Saves the callee-saved registers and %rsp in k, then enters ring 3 with
 * the registers of user (IRETQ). Returns when utask_return(k, value) is
 * called from a syscall or fault taken in the task, with that value.
 */
	.text
	.globl utask_switch
utask_switch:
	movq %rbx, 0(%rdi)
	movq %rbp, 8(%rdi)
	movq %r12, 16(%rdi)
	movq %r13, 24(%rdi)
	movq %r14, 32(%rdi)
	movq %r15, 40(%rdi)
	movq %rsp, 48(%rdi)
	movq %rsi, %rsp
	jmp trap_return

/* void utask_return(struct kctx *k, long value): back into utask_switch. */
	.globl utask_return
utask_return:
	movq 0(%rdi), %rbx
	movq 8(%rdi), %rbp
	movq 16(%rdi), %r12
	movq 24(%rdi), %r13
	movq 32(%rdi), %r14
	movq 40(%rdi), %r15
	movq 48(%rdi), %rsp
	movq %rsi, %rax
	ret

/*
 * long utask_sysret_probe(struct kctx *k, uint64_t rip, uint64_t rsp)
 * Like utask_switch but enters ring 3 with SYSRETQ at rip/rsp. If SYSRETQ
 * raises #GP, the fault is expected (guest/user.c arms it), resumes at
 * sysret_probe_fault and returns -1 here.
 */
	.globl utask_sysret_probe, sysret_probe_insn, sysret_probe_fault
utask_sysret_probe:
	movq %rbx, 0(%rdi)
	movq %rbp, 8(%rdi)
	movq %r12, 16(%rdi)
	movq %r13, 24(%rdi)
	movq %r14, 32(%rdi)
	movq %r15, 40(%rdi)
	movq %rsp, 48(%rdi)
	movq %rdi, sysret_probe_ctx(%rip)
	movq %rsi, %rcx
	movq $0x202, %r11
	movq %rdx, %rsp
	xorl %eax, %eax
	xorl %edx, %edx
	xorl %esi, %esi
	xorl %edi, %edi
sysret_probe_insn:
	sysretq
sysret_probe_fault:
	movq sysret_probe_ctx(%rip), %rdi
	movq $-1, %rsi
	jmp utask_return

	.section .extable, "a"
	.balign 8
	.quad sysret_probe_insn, sysret_probe_fault

	.bss
	.balign 16
	.globl syscall_slots
/* Per CPU: [0] the user %rsp at SYSCALL, [1] the kernel stack to use. */
syscall_slots:
	.skip 16 * MAX_CPUS
sysret_probe_ctx:
	.skip 8

/*
 * The IDT: static, gates for vectors 0..63 and 0xff. #DF, NMI, #MC and #GP
 * run on IST stacks; #BP and #OF may be raised from ring 3 (DPL 3).
 */
#define GATE(addr, ist, dpl) \
	.quad ((addr) & 0xffff) | (SEL_KCODE << 16) | ((ist) << 32) | \
	      ((0x8e | ((dpl) << 5)) << 40) | (((addr) >> 16) << 48); \
	.quad 0

	.data
	.balign 4096
	.globl idt
idt:
	.set v, 0
	.rept VEC_NSTUBS
	.if v == 8
	GATE(VECTORS_BASE + v * VECTOR_STUB_SIZE, 1, 0)
	.elseif v == 2
	GATE(VECTORS_BASE + v * VECTOR_STUB_SIZE, 2, 0)
	.elseif v == 18
	GATE(VECTORS_BASE + v * VECTOR_STUB_SIZE, 3, 0)
	.elseif v == 13
	GATE(VECTORS_BASE + v * VECTOR_STUB_SIZE, 4, 0)
	.elseif v == 3 || v == 4
	GATE(VECTORS_BASE + v * VECTOR_STUB_SIZE, 0, 3)
	.else
	GATE(VECTORS_BASE + v * VECTOR_STUB_SIZE, 0, 0)
	.endif
	.set v, v + 1
	.endr
	.fill 2 * (255 - VEC_NSTUBS), 8, 0
	GATE(VECTORS_BASE + VEC_NSTUBS * VECTOR_STUB_SIZE, 0, 0)
