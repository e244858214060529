/*
 * suite_paging.c - editing the live page tables: map a new 4 KiB page,
 * unmap it with INVLPG, take the fault on the next access and resolve it
 * in a handler, write-protect faults, and RAM above 4 GiB mapped on first
 * touch.
 */
#include "kernel.h"
#include "mm.h"
#include "platform.h"
#include "report.h"
#include "suites.h"
#include "vmm/layout.h"

#define TEST_VA MM_SCRATCH_BASE
#define PATTERN 0x5a5aa5a5c3c33c3cULL

static uint64_t fix_pa;
static uint32_t fixes;
static uint64_t fix_error, fix_cr2;

/* #PF handler for the test: map TEST_VA back and retry the access. */
static enum trap_action map_on_fault(struct trap_frame *tf)
{
	uint64_t cr2 = read_cr2();
	if ((tf->cs & 3) || (cr2 & ~(PAGE_SIZE - 1)) != TEST_VA)
		return TRAP_UNHANDLED;
	if (mm_map(&kernel_space, TEST_VA, fix_pa, PTE_W) != 0)
		return TRAP_UNHANDLED;
	fixes++;
	fix_error = tf->error;
	fix_cr2 = cr2;
	return TRAP_HANDLED;
}

static void test_map_unmap(void)
{
	uint64_t *page = pages_alloc(1, PAGE_SIZE, false); /* its content is written first */
	volatile uint64_t *va = (volatile uint64_t *)(uintptr_t)TEST_VA;
	struct trap_info info;
	char flags[48];
	if (!report(page != NULL, "allocate a page"))
		return;
	uint64_t pa = (uint64_t)(uintptr_t)page;
	report_eq(0, mm_map(&kernel_space, TEST_VA, pa, PTE_W), "map a new 4K page at 0x%llx",
		  TEST_VA);
	*va = PATTERN;
	report_eq(PATTERN, page[0], "a write through the new mapping reaches the page");
	report_eq(0, mm_unmap(&kernel_space, TEST_VA), "unmap it (INVLPG)");
	report(mm_lookup(&kernel_space, TEST_VA) == NULL, "no translation left");

	fix_pa = pa;
	fixes = 0;
	trap_set_handler(X86_PF, map_on_fault);
	uint64_t v = *va;
	trap_set_handler(X86_PF, NULL);
	report_eq(1, fixes, "fault caught and resolved by the handler");
	report_eq(TEST_VA, fix_cr2, "CR2 is the faulting address");
	trap_pf_flags(fix_error, flags, sizeof(flags));
	report_eq(0, fix_error & (PF_PRESENT | PF_WRITE | PF_USER), "error code 0x%lx: %s", fix_error,
		  flags);
	report_eq(PATTERN, v, "the access resumed and read the page");

	/* Read-only: a write faults with present|write; the fixup resumes after it. */
	mm_unmap(&kernel_space, TEST_VA);
	mm_map(&kernel_space, TEST_VA, pa, 0);
	trap_expect(X86_PF);
	asm volatile(ASM_TRY("movq %1, (%0)") : : "r"(va), "r"(1ULL) : "memory");
	bool caught = trap_caught(&info);
	trap_pf_flags(info.error, flags, sizeof(flags));
	report(caught, "write to a read-only page faults");
	report_eq(PF_PRESENT | PF_WRITE, info.error & (PF_PRESENT | PF_WRITE | PF_USER),
		  "error code 0x%lx: %s", info.error, flags);
	report_eq(PATTERN, page[0], "the page is unchanged");
	mm_unmap(&kernel_space, TEST_VA);
	page_free(page);
}

static void test_high_ram(void)
{
	uint64_t addr = 0;
	platform_memory();
	for (int i = 0; i < platform.nmem && !addr; i++) {
		uint64_t end = platform.mem[i].base + platform.mem[i].size;
		if (end > LAYOUT_HIGH_RAM + PAGE_SIZE)
			addr = platform.mem[i].base > LAYOUT_HIGH_RAM ? platform.mem[i].base
								      : LAYOUT_HIGH_RAM;
	}
	if (!addr) {
		report_skip("touch RAM above 4 GiB",
			    "no RAM above 4 GiB (%lu MiB usable; boot with more than 3 GiB)",
			    platform.ram_bytes >> 20);
		return;
	}
	addr = ALIGN_UP(addr, PAGE_SIZE);
	volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)addr;
	uint64_t before = mm_identity_maps;
	*p = PATTERN ^ addr;
	report_eq(before + 1, mm_identity_maps, "RAM at 0x%lx mapped on demand", addr);
	report_eq(PATTERN ^ addr, *p, "and holds what was written");
}

void suite_paging(void)
{
	test_map_unmap();
	test_high_ram();
}
