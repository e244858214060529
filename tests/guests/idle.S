/*
 * idle.S - idle for ever with interrupts on. The vCPU is halted but
 * wakeable, so the watchdog must leave it alone; only a signal to vmm
 * (SIGINT, SIGTERM) ends the run.
 */
#include "tests/guests/multiboot.h"

MULTIBOOT_HEADER

	.code32
	.text
	.globl _start
_start:
	sti
1:	hlt
	jmp 1b
