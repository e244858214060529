/*
 * pagewalk.h - translate a guest-virtual address the way the guest's MMU
 * would, reading its page tables through the checked GPA accessor.
 *
 * Used for dumps (the code bytes at RIP). Pure: it needs only the control
 * registers and guest RAM, so unit tests run it on made-up tables.
 */
#ifndef VMM_PAGEWALK_H
#define VMM_PAGEWALK_H

#include <stdint.h>

#include "vmm/guest_mem.h"

struct pagewalk_regs {
	uint64_t cr0, cr3, cr4, efer;
};

/*
 * Translate gva into *gpa. Handles paging off, 32-bit, PAE and 4-level
 * (and 5-level with CR4.LA57) paging, large pages included. Returns 0,
 * -EFAULT when a table is outside RAM, or -ENOENT when a level is not present.
 */
int pagewalk_translate(const struct guest_mem *mem, const struct pagewalk_regs *r, uint64_t gva,
		       uint64_t *gpa);

#endif
