/*
 * multiboot.h - the Multiboot v1 header for the tiny test guests.
 *
 * MULTIBOOT_HEADER puts a header asking for memory info (flag 1) in the
 * .multiboot section, which guests.ld places first in the image. The VMM
 * (and QEMU -kernel) enter _start in 32-bit protected mode, paging off,
 * EAX = 0x2BADB002, EBX = the Multiboot info.
 */
#ifndef TESTS_GUESTS_MULTIBOOT_H
#define TESTS_GUESTS_MULTIBOOT_H

#include "vmm/layout.h"

#define MB_HEADER_MAGIC 0x1BADB002
#define MB_FLAG_MEMORY_INFO 0x00000002
#define MB_FLAG_AOUT_KLUDGE 0x00010000

.macro MULTIBOOT_HEADER flags=MB_FLAG_MEMORY_INFO
	.pushsection .multiboot, "a"
	.balign 4
	.long MB_HEADER_MAGIC, \flags, -(MB_HEADER_MAGIC + \flags)
	.popsection
.endm

#endif
