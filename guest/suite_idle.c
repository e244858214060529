/*
 * suite_idle.c - tests=idle: sleep in HLT with interrupts on until the VM
 * is stopped from outside (the VMM's signal tests). Never returns; only
 * run when named.
 */
#include "apic.h"
#include "kernel.h"
#include "suites.h"

void suite_idle(void)
{
	printf("idle: sleeping in HLT with interrupts on\n");
	pic_disable();
	for (;;)
		asm volatile("sti; hlt" : : : "memory");
}
