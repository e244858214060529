/*
 * triple-fault.S - load an IDT with limit 0, then divide by zero: the #DE
 * cannot be delivered (#GP), nor can that (#DF), so the CPU shuts down.
 * Expect KVM_EXIT_SHUTDOWN.
 */
#include "tests/guests/multiboot.h"

MULTIBOOT_HEADER

	.code32
	.text
	.globl _start
_start:
	lidt idt_empty
	xorl %ecx, %ecx
	divl %ecx
1:	hlt
	jmp 1b

	.data
	.balign 8
idt_empty:
	.word 0 /* limit */
	.long 0 /* base */
