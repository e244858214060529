/*
 * vmcall.S - execute VMCALL at CPL0. On this host's KVM it never returns
 * from KVM_RUN: the VMM's watchdog or a signal must end it.
 */
#include "tests/guests/multiboot.h"

MULTIBOOT_HEADER

	.code32
	.text
	.globl _start
_start:
	xorl %eax, %eax
	vmcall
	movl $1, %eax /* not reached on this host: exit status 1 */
	outl %eax, $LAYOUT_PORT_EXIT
1:	hlt
	jmp 1b
