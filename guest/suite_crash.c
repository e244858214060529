/*
 * suite_crash.c - the unexpected-fault path, on purpose: a kernel read of
 * an unmapped address that nothing expects. The guest must print the
 * FATAL report (vector, error code decoded, RIP, CR2, registers), send a
 * failed "panic" record and exit with EXIT_PANIC: never hang, never triple
 * fault. Only run when named (tests=crash).
 */
#include "kernel.h"
#include "mm.h"
#include "report.h"
#include "suites.h"

#define CRASH_ADDR (MM_SCRATCH_BASE + 0xdead000)

void suite_crash(void)
{
	printf("crash: reading 0x%llx with no fault expected\n", CRASH_ADDR);
	(void)*(volatile uint64_t *)(uintptr_t)CRASH_ADDR;
	report(false, "the unexpected fault returned");
}
