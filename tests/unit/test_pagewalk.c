/* Guest page-table walks on made-up tables in a buffer. */
#include <errno.h>
#include <stdlib.h>

#include "tests/unit/unit.h"
#include "vmm/guest_mem.h"
#include "vmm/pagewalk.h"

#define RAM (16u << 20)

static struct guest_mem mem;
static uint8_t *ram;

static void put64(uint64_t gpa, uint64_t v)
{
	memcpy(ram + gpa, &v, 8);
}

static void put32(uint64_t gpa, uint32_t v)
{
	memcpy(ram + gpa, &v, 4);
}

static void test_paging_off(void)
{
	struct pagewalk_regs r = { .cr0 = 1 };
	uint64_t gpa = 0;

	CHECK_EQ(pagewalk_translate(&mem, &r, 0x123456, &gpa), 0);
	CHECK_EQ(gpa, 0x123456);
}

static void test_four_level(void)
{
	/* PML4 at 0x1000 -> PDPT 0x2000 -> PD 0x3000 -> PT 0x4000 -> page 0x5000 */
	struct pagewalk_regs r = { .cr0 = 0x80000011, .cr3 = 0x1000, .cr4 = 0x20, .efer = 0x500 };
	uint64_t gva = 0x0000008040201abcULL; /* indexes 1, 1, 1, 1 */
	uint64_t gpa = 0;

	memset(ram, 0, 0x10000);
	put64(0x1000 + 1 * 8, 0x2000 | 3);
	put64(0x2000 + 1 * 8, 0x3000 | 3);
	put64(0x3000 + 1 * 8, 0x4000 | 3);
	put64(0x4000 + 1 * 8, 0x5000 | 3);
	CHECK_EQ(pagewalk_translate(&mem, &r, gva, &gpa), 0);
	CHECK_EQ(gpa, 0x5abc);

	/* a 2 MiB page at the PD level */
	put64(0x3000 + 1 * 8, 0x600000 | 0x83);
	CHECK_EQ(pagewalk_translate(&mem, &r, gva, &gpa), 0);
	CHECK_EQ(gpa, 0x600000 + (gva & 0x1fffff));

	/* a 1 GiB page at the PDPT level */
	put64(0x2000 + 1 * 8, 0x40000000 | 0x83);
	CHECK_EQ(pagewalk_translate(&mem, &r, gva, &gpa), 0);
	CHECK_EQ(gpa, 0x40000000 + (gva & 0x3fffffff));

	/* not present */
	put64(0x1000 + 1 * 8, 0);
	CHECK_EQ(pagewalk_translate(&mem, &r, gva, &gpa), -ENOENT);

	/* a table outside RAM */
	put64(0x1000 + 1 * 8, 0x7f000000 | 3);
	CHECK_EQ(pagewalk_translate(&mem, &r, gva, &gpa), -EFAULT);

	/* CR3 itself outside RAM */
	r.cr3 = 0xfffff000;
	CHECK_EQ(pagewalk_translate(&mem, &r, gva, &gpa), -EFAULT);
}

static void test_pae_and_32bit(void)
{
	struct pagewalk_regs pae = { .cr0 = 0x80000011, .cr3 = 0x1000, .cr4 = 0x20 };
	struct pagewalk_regs p32 = { .cr0 = 0x80000011, .cr3 = 0x8000, .cr4 = 0x10 };
	uint64_t gpa = 0;

	memset(ram, 0, 0x10000);
	/* PAE: PDPTE 2 -> PD at 0x3000, PD entry 3 -> 2 MiB page at 0xa00000 */
	put64(0x1000 + 2 * 8, 0x3000 | 1);
	put64(0x3000 + 3 * 8, 0xa00000 | 0x83);
	CHECK_EQ(pagewalk_translate(&mem, &pae, 0x80612345, &gpa), 0);
	CHECK_EQ(gpa, 0xa12345);

	/* 32-bit: PDE 1 is a 4 MiB page at 0xc00000; PDE 2 -> PT 0x9000 -> 0x7000 */
	put32(0x8000 + 1 * 4, 0xc00000 | 0x83);
	CHECK_EQ(pagewalk_translate(&mem, &p32, 0x00412345, &gpa), 0);
	CHECK_EQ(gpa, 0xc12345);
	put32(0x8000 + 2 * 4, 0x9000 | 3);
	put32(0x9000 + 5 * 4, 0x7000 | 3);
	CHECK_EQ(pagewalk_translate(&mem, &p32, 0x00805678, &gpa), 0);
	CHECK_EQ(gpa, 0x7678);
}

int main(void)
{
	ram = calloc(1, RAM);
	if (!ram || guest_mem_init_from_buffer(&mem, RAM, ram)) {
		printf("0 passed, 1 failed\n");
		return 1;
	}
	RUN(test_paging_off);
	RUN(test_four_level);
	RUN(test_pae_and_32bit);
	free(ram);
	return unit_done();
}
