#include "vmm/pagewalk.h"

#include <errno.h>
#include <string.h>

#define CR0_PG (1ULL << 31)
#define CR4_PSE (1ULL << 4)
#define CR4_PAE (1ULL << 5)
#define CR4_LA57 (1ULL << 12)
#define EFER_LMA (1ULL << 10)

#define PTE_P 1ULL
#define PTE_PS (1ULL << 7)
#define PTE_ADDR 0x000ffffffffff000ULL

static int pagewalk_read(const struct guest_mem *mem, uint64_t gpa, void *v, uint64_t size)
{
	const void *p = guest_mem_ptr(mem, gpa, size);

	if (!p)
		return -EFAULT;
	memcpy(v, p, size);
	return 0;
}

/* 32-bit paging: two levels of 4-byte entries, 4 MiB pages with CR4.PSE. */
static int pagewalk_32(const struct guest_mem *mem, const struct pagewalk_regs *r, uint32_t gva,
		       uint64_t *gpa)
{
	uint32_t pde, pte;

	if (pagewalk_read(mem, (r->cr3 & 0xfffff000u) + ((gva >> 22) & 0x3ff) * 4, &pde, 4))
		return -EFAULT;
	if (!(pde & PTE_P))
		return -ENOENT;
	if ((pde & PTE_PS) && (r->cr4 & CR4_PSE)) {
		*gpa = (pde & 0xffc00000u) | ((uint64_t)((pde >> 13) & 0xff) << 32) |
		       (gva & 0x3fffff);
		return 0;
	}
	if (pagewalk_read(mem, (pde & 0xfffff000u) + ((gva >> 12) & 0x3ff) * 4, &pte, 4))
		return -EFAULT;
	if (!(pte & PTE_P))
		return -ENOENT;
	*gpa = (pte & 0xfffff000u) | (gva & 0xfff);
	return 0;
}

int pagewalk_translate(const struct guest_mem *mem, const struct pagewalk_regs *r, uint64_t gva,
		       uint64_t *gpa)
{
	uint64_t table, entry;
	int levels, shift;

	if (!(r->cr0 & CR0_PG)) {
		*gpa = gva & 0xffffffffULL;
		return 0;
	}
	if (!(r->cr4 & CR4_PAE))
		return pagewalk_32(mem, r, (uint32_t)gva, gpa);

	if (r->efer & EFER_LMA) {
		levels = (r->cr4 & CR4_LA57) ? 5 : 4;
		table = r->cr3 & PTE_ADDR;
	} else {
		/* PAE: CR3 points at four 8-byte PDPTEs, 32-byte aligned */
		levels = 3;
		gva &= 0xffffffffULL;
		if (pagewalk_read(mem, (r->cr3 & 0xffffffe0u) + ((gva >> 30) & 3) * 8, &entry, 8))
			return -EFAULT;
		if (!(entry & PTE_P))
			return -ENOENT;
		table = entry & PTE_ADDR;
		levels = 2;
	}
	for (shift = 12 + 9 * (levels - 1); shift >= 12; shift -= 9) {
		if (pagewalk_read(mem, table + ((gva >> shift) & 0x1ff) * 8, &entry, 8))
			return -EFAULT;
		if (!(entry & PTE_P))
			return -ENOENT;
		/* a large page at the PDPT (1 GiB) or PD (2 MiB) level */
		if (shift > 12 && shift <= 30 && (entry & PTE_PS)) {
			uint64_t mask = (1ULL << shift) - 1;

			*gpa = ((entry & PTE_ADDR) & ~mask) | (gva & mask);
			return 0;
		}
		table = entry & PTE_ADDR;
	}
	*gpa = table | (gva & 0xfff);
	return 0;
}
