/*
 * unclaimed.S - touch ports no device claims: three writes to port 0x80
 * and a read of port 0x1234, then exit with the value read. vmm returns
 * all-ones for an unclaimed read (status 255) and, with --debug-io, logs
 * each unclaimed address once.
 */
#include "tests/guests/multiboot.h"

MULTIBOOT_HEADER

	.code32
	.text
	.globl _start
_start:
	mov	$0x12, %al
	outb	%al, $0x80
	outb	%al, $0x80
	outb	%al, $0x80
	mov	$0x1234, %dx
	inb	%dx, %al
	movzbl	%al, %eax
	outl	%eax, $0xf4
1:	jmp	1b
