/*
 * exit-byte.S - write 0x03 to the exit port with outb. vmm exits with
 * the low 8 bits: status 3 (with --exit-code qemu: (v << 1 | 1) & 0xff).
 */
#include "tests/guests/multiboot.h"

MULTIBOOT_HEADER

	.code32
	.text
	.globl _start
_start:
	movl $0x03, %eax
	outb %al, $LAYOUT_PORT_EXIT
1:	hlt
	jmp 1b
