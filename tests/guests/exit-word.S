/*
 * exit-word.S - write 0x0104 to the exit port with outw. vmm exits with
 * the low 8 bits: status 4 (with --exit-code qemu: (v << 1 | 1) & 0xff).
 */
#include "tests/guests/multiboot.h"

MULTIBOOT_HEADER

	.code32
	.text
	.globl _start
_start:
	movl $0x0104, %eax
	outw %ax, $LAYOUT_PORT_EXIT
1:	hlt
	jmp 1b
