/*
 * suite_hello.c - the minimal boot: one line on the console, one result.
 * Kept free of anything that costs time (no timer, no APIC, no tables):
 * it is the guest side of the boot-time benchmark.
 */
#include "kernel.h"
#include "report.h"
#include "suites.h"

void suite_hello(void)
{
	printf("hello from the vmm guest\n");
	report(true, "booted to C");
}
