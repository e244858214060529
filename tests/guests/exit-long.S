/*
 * exit-long.S - write 0x00010205 to the exit port with outl. vmm exits with
 * the low 8 bits: status 5 (with --exit-code qemu: (v << 1 | 1) & 0xff).
 */
#include "tests/guests/multiboot.h"

MULTIBOOT_HEADER

	.code32
	.text
	.globl _start
_start:
	movl $0x00010205, %eax
	outl %eax, $LAYOUT_PORT_EXIT
1:	hlt
	jmp 1b
