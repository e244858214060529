/*
 * user_progs.S - ring-3 programs. They live in the .user section, which
 * every task maps read-only at USER_CODE_VA, so they must be position
 * independent: data only RIP-relative inside the section or on the stack.
 * Each program starts with its argument in RDI.
 */
#include "asm.h"

#define REPORT_PASS 0

.macro SYSCALL3 nr
	movl $\nr, %eax
	syscall
.endm

	.section .user.text, "ax"
	.code64

/* The SYSRETQ probe: arrives by SYSRETQ, leaves with exit(0x5a). */
	.globl user_probe_entry
user_probe_entry:
	movl $0x5a, %edi
	SYSCALL3 SYS_EXIT

/* write() a line, report a pass, exit(rdi). */
	.globl user_hello
user_hello:
	movq %rdi, %rbx
	leaq hello_msg(%rip), %rdi
	movl $hello_msg_end - hello_msg, %esi
	SYSCALL3 SYS_WRITE
	movq %rax, %r12 /* bytes written */
	movl $REPORT_PASS, %edi
	leaq hello_name(%rip), %rsi
	movl $hello_name_end - hello_name, %edx
	SYSCALL3 SYS_REPORT
	cmpq $hello_msg_end - hello_msg, %r12
	jne 1f
	movq %rbx, %rdi
	SYSCALL3 SYS_EXIT
1:	movq $-1, %rdi
	SYSCALL3 SYS_EXIT

/* Read the byte at rdi (a supervisor page): the task must be killed. */
	.globl user_read_addr
user_read_addr:
	movb (%rdi), %al
	movl $0, %edi
	SYSCALL3 SYS_EXIT

/* Execute int3; exit(0) if execution resumes after it. */
	.globl user_int3
user_int3:
	int3
	xorl %edi, %edi
	SYSCALL3 SYS_EXIT

/* Execute int $0x80; exit(0) if execution resumes after it. */
	.globl user_int80
user_int80:
	int $0x80
	xorl %edi, %edi
	SYSCALL3 SYS_EXIT

/* A write() with a kernel pointer: exit with its result (-EFAULT). */
	.globl user_bad_write
user_bad_write:
	movl $16, %esi
	SYSCALL3 SYS_WRITE
	movq %rax, %rdi
	SYSCALL3 SYS_EXIT

/* Count down rdi iterations natively; exit(0). */
	.globl user_spin
user_spin:
	testq %rdi, %rdi
	jz 2f
1:	subq $1, %rdi
	jnz 1b
2:	SYSCALL3 SYS_EXIT

/*
 * Spin until the TSC reaches rdi; exit with the longest time between two
 * TSC reads (ticks): how long this CPU was away, in an interrupt handler
 * or stopped by the host.
 */
	.globl user_spin_tsc
user_spin_tsc:
	rdtsc
	shlq $32, %rdx
	orq %rax, %rdx
	movq %rdx, %r8 /* previous read */
	xorl %r9d, %r9d /* longest gap */
1:	rdtsc
	shlq $32, %rdx
	orq %rax, %rdx
	movq %rdx, %rax
	subq %r8, %rax
	cmpq %r9, %rax
	jbe 2f
	movq %rax, %r9
2:	movq %rdx, %r8
	cmpq %rdi, %rdx
	jb 1b
	movq %r9, %rdi
	SYSCALL3 SYS_EXIT

/* Sum of 1..rdi: exit(sum). */
	.globl user_sum
user_sum:
	xorl %eax, %eax
	movq %rdi, %rcx
	testq %rcx, %rcx
	jz 2f
1:	addq %rcx, %rax
	loop 1b
2:	movq %rax, %rdi
	SYSCALL3 SYS_EXIT

/* An unknown system call number: exit(its result, -ENOSYS). */
	.globl user_badsys
user_badsys:
	movl $999, %eax
	syscall
	movq %rax, %rdi
	SYSCALL3 SYS_EXIT

	.section .user.rodata, "a"
hello_msg:
	.ascii "hello from ring 3\n"
hello_msg_end:
hello_name:
	.ascii "ring-3 report syscall"
hello_name_end:
