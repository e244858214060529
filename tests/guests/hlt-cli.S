/*
 * hlt-cli.S - halt with interrupts off. Nothing can wake the vCPU: with
 * the in-kernel irqchip KVM_RUN sleeps for ever; without it KVM reports
 * KVM_EXIT_HLT.
 */
#include "tests/guests/multiboot.h"

MULTIBOOT_HEADER

	.code32
	.text
	.globl _start
_start:
	cli
1:	hlt
	jmp 1b
