/*
 * echo.S - a polled 16550 driver: copy every byte received on COM1 back
 * to COM1 until a 'q' arrives, then write 0 to the exit port. Tests feed
 * it stdin through vmm and check that nothing typed is lost.
 */
#include "tests/guests/multiboot.h"

MULTIBOOT_HEADER

#define COM1 0x3f8
#define LSR_DR 0x01
#define LSR_THRE 0x20

	.code32
	.text
	.globl _start
_start:
	mov	$COM1 + 5, %dx		/* wait for a received byte */
1:	inb	%dx, %al
	test	$LSR_DR, %al
	jz	1b
	mov	$COM1, %dx
	inb	%dx, %al
	mov	%al, %bl
	mov	$COM1 + 5, %dx		/* wait for room to send it */
2:	inb	%dx, %al
	test	$LSR_THRE, %al
	jz	2b
	mov	$COM1, %dx
	mov	%bl, %al
	outb	%al, %dx
	cmp	$'q', %bl
	jne	_start
	xor	%eax, %eax
	outl	%eax, $0xf4
3:	jmp	3b
