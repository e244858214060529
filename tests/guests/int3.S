/*
 * int3.S - INT3 at CPL0. KVM's instruction emulator on this host cannot
 * run it: expect KVM_EXIT_INTERNAL_ERROR (emulation failure) with the
 * instruction bytes (cc ...) in the exit.
 */
#include "tests/guests/multiboot.h"

MULTIBOOT_HEADER

	.code32
	.text
	.globl _start
_start:
	int3
	movl $1, %eax /* not reached when the emulator fails: exit status 1 */
	outl %eax, $LAYOUT_PORT_EXIT
1:	hlt
	jmp 1b
