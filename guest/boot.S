/*
 * boot.S - Multiboot v1 entry, the static boot page tables and GDT, and
 * the switch to long mode for the boot CPU and for the APs.
 *
 * Every instruction here runs emulated (about 1 us each on this host), so the
 * tables are assembled as data, never built in loops: an identity map of
 * the first 4 GiB (2 MiB pages; the first 2 MiB in 4 KiB pages with page 0
 * left unmapped to catch NULL; 3..4 GiB uncached for MMIO), a GDT with the
 * kernel and user segments, and the IDT (guest/vectors.S).
 */
#include "asm.h"

#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x00000003 /* modules page aligned, memory info wanted */

#define CR0_BOOT 0x80010033 /* PG WP NE ET MP PE */
#define CR4_PAE 0x20
#define MSR_EFER 0xc0000080
#define EFER_BOOT 0x101 /* LME SCE */

	.section .multiboot, "a"
	.balign 4
	.long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

/* Paging on, long mode on, far jump to target; 32-bit code, no stack. */
.macro ENTER_LONG_MODE target
	movl $CR4_PAE, %eax
	movl %eax, %cr4
	movl $boot_pml4, %eax
	movl %eax, %cr3
	movl $MSR_EFER, %ecx
	movl $EFER_BOOT, %eax
	xorl %edx, %edx
	wrmsr
	movl $CR0_BOOT, %eax
	movl %eax, %cr0
	ljmp $SEL_KCODE, $\target
.endm

	.section .text.boot, "ax"
	.code32
	.globl _start32
/* Multiboot state: EAX = 0x2BADB002, EBX = info, protected mode, no GDT. */
_start32:
	cli
	cld
	movl %eax, %edi
	movl %ebx, %esi
	rdtsc
	movl %eax, boot_tsc
	movl %edx, boot_tsc + 4
	lgdt gdt_desc
	ENTER_LONG_MODE entry64

/* An AP arrives here from the trampoline in flat 32-bit protected mode. */
ap_entry32:
	movl $SEL_KDATA, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	ENTER_LONG_MODE ap_entry64

	.code64
entry64:
	movl $SEL_KDATA, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	lidt idt_desc
	movl $percpu0 + PERCPU_STACK_TOP, %esp
	movl %edi, %edi
	movl %esi, %esi
	call kmain
	jmp halt_forever

ap_entry64:
	movl $SEL_KDATA, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	lidt idt_desc
	movq ap_boot_percpu(%rip), %rdi
	leaq PERCPU_STACK_TOP(%rdi), %rsp
	call ap_main
	/* fall through: ap_main does not return */
	.globl halt_forever
halt_forever:
	cli
	hlt
	jmp halt_forever

/*
 * The AP trampoline: copied to AP_TRAMPOLINE and started by SIPI in real
 * mode at CS:IP = 0x0700:0000. Loads the kernel GDT and jumps to
 * ap_entry32 in flat protected mode. Position independent within its page.
 */
	.section .rodata.trampoline, "a"
	.code16
	.globl ap_trampoline, ap_trampoline_end
ap_trampoline:
	cli
	cld
	movw %cs, %ax
	movw %ax, %ds
	lgdtl ap_gdt_desc - ap_trampoline
	movl $0x11, %eax /* ET PE */
	movl %eax, %cr0
	ljmpl $SEL_KCODE32, $ap_entry32
	.balign 8
ap_gdt_desc:
	.word gdt_end - gdt - 1
	.long gdt
ap_trampoline_end:
	.code64

	.section .data.boot, "aw"
	.balign 8
	.globl ap_boot_percpu, boot_tsc
ap_boot_percpu:
	.quad 0
/* TSC at the first instruction of the kernel. */
boot_tsc:
	.quad 0

/*
 * GDT. TSS descriptors (one per CPU, 16 bytes each) are filled in by
 * cpu_init() when each CPU comes up.
 */
	.balign 16
	.globl gdt, gdt_tss
gdt:
	.quad 0
	.quad 0x00cf9a000000ffff /* 0x08 kernel code, 32-bit (AP boot) */
	.quad 0x00af9a000000ffff /* 0x10 kernel code, 64-bit */
	.quad 0x00cf92000000ffff /* 0x18 kernel data */
	.quad 0x00cffa000000ffff /* 0x20 user code, 32-bit (SYSRET layout only) */
	.quad 0x00cff2000000ffff /* 0x28 user data */
	.quad 0x00affa000000ffff /* 0x30 user code, 64-bit */
	.quad 0
gdt_tss:
	.fill 2 * MAX_CPUS, 8, 0
gdt_end:

	.balign 8
	.word 0, 0, 0
gdt_desc:
	.word gdt_end - gdt - 1
	.quad gdt

	.word 0, 0, 0
	.globl idt_desc
idt_desc:
	.word 256 * 16 - 1
	.quad idt

/* Boot page tables: identity map of [0, 4 GiB). */
#define PTE_P 0x1
#define PTE_W 0x2
#define PTE_PWT 0x8
#define PTE_PCD 0x10
#define PTE_PS 0x80

	.section .data.pgtable, "aw"
	.balign 4096
	.globl boot_pml4, boot_pdpt, boot_pd, boot_pt0
boot_pml4:
	.quad boot_pdpt + PTE_P + PTE_W
	.fill 511, 8, 0
boot_pdpt:
	.quad boot_pd + PTE_P + PTE_W
	.quad boot_pd + 0x1000 + PTE_P + PTE_W
	.quad boot_pd + 0x2000 + PTE_P + PTE_W
	.quad boot_pd + 0x3000 + PTE_P + PTE_W
	.fill 508, 8, 0
boot_pd:
	.quad boot_pt0 + PTE_P + PTE_W
	.set i, 1
	.rept 2047
	.if i >= 1536
	.quad (i << 21) | PTE_P | PTE_W | PTE_PS | PTE_PCD | PTE_PWT
	.else
	.quad (i << 21) | PTE_P | PTE_W | PTE_PS
	.endif
	.set i, i + 1
	.endr
boot_pt0:
	.quad 0
	.set i, 1
	.rept 511
	.quad (i << 12) | PTE_P | PTE_W
	.set i, i + 1
	.endr

/* The boot CPU's per-CPU block; the APs' come from the page allocator. */
	.section .bss.percpu, "aw", @nobits
	.balign PERCPU_SIZE
	.globl percpu0
percpu0:
	.skip PERCPU_SIZE
