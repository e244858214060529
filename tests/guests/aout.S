/*
 * aout.S - a Multiboot image that is not ELF: a flat binary whose header
 * carries the a.out kludge addresses. Checks that its BSS arrived zeroed,
 * then writes 7 to the exit port (status 7); a dirty BSS writes 8.
 */
#include "tests/guests/multiboot.h"

#define FLAGS (MB_FLAG_MEMORY_INFO | MB_FLAG_AOUT_KLUDGE)

	.section .multiboot, "a"
	.balign 4
header:
	.long MB_HEADER_MAGIC, FLAGS, -(MB_HEADER_MAGIC + FLAGS)
	.long header /* header_addr */
	.long header /* load_addr: the file starts with this header */
	.long _edata /* load_end_addr */
	.long _end   /* bss_end_addr */
	.long _start /* entry_addr */

	.code32
	.text
	.globl _start
_start:
	movl $7, %eax
	xorl %edx, %edx
	movl $bss_start, %esi
	movl $(bss_end - bss_start) / 4, %ecx
2:	orl (%esi), %edx
	addl $4, %esi
	loop 2b
	testl %edx, %edx
	jz 3f
	movl $8, %eax
3:	outl %eax, $LAYOUT_PORT_EXIT
1:	hlt
	jmp 1b

	.bss
	.balign 4
bss_start:
	.skip 8192
bss_end:
