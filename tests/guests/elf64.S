/*
 * elf64.S - a plain ELF64 image, no Multiboot header: the VMM enters it in
 * 64-bit mode on its own identity page tables. Writes 42 to the exit port
 * with a 32-bit OUT, so vmm exits with status 42.
 */
#include "vmm/layout.h"

	.code64
	.text
	.globl _start
_start:
	movl $42, %eax
	outl %eax, $LAYOUT_PORT_EXIT
1:	hlt
	jmp 1b
