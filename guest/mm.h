/*
 * mm.h - physical pages and page tables.
 *
 * The kernel runs on the static identity map of [0, 4 GiB) from boot.S;
 * RAM above 4 GiB is mapped into the identity map on first touch (2 MiB
 * pages). PML4 slots 0..127 are the kernel's (shared, supervisor-only, by
 * every user address space); 128..255 belong to ring-3 tasks.
 */
#ifndef GUEST_MM_H
#define GUEST_MM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PTE_P 0x1ULL
#define PTE_W 0x2ULL
#define PTE_U 0x4ULL
#define PTE_PWT 0x8ULL
#define PTE_PCD 0x10ULL
#define PTE_A 0x20ULL
#define PTE_D 0x40ULL
#define PTE_PS 0x80ULL
#define PTE_ADDR 0x000ffffffffff000ULL

#define MM_KERNEL_SLOTS 128                  /* PML4 slots shared with tasks */
#define MM_SCRATCH_BASE 0x0000200000000000ULL /* kernel test mappings (slot 64) */
#define MM_USER_BASE 0x0000400000000000ULL    /* first user address (slot 128) */
#define MM_USER_END 0x0000800000000000ULL

extern uint64_t boot_pml4[];

#define MM_INLINE_TABLES 14

/* Table pages of an address space past the inline ones, a page at a time. */
struct mm_table_log {
	struct mm_table_log *next;
	uint64_t n;
	void *pages[(4096 - 16) / 8];
};

/*
 * An address space. A user space records every table page it creates, so
 * freeing it walks that record instead of scanning 512-entry tables (a
 * scan costs thousands of emulated instructions here).
 */
struct mm_space {
	uint64_t *pml4;
	bool owns_tables; /* false for the kernel's: its tables are never freed */
	uint32_t ntables;
	void *tables[MM_INLINE_TABLES];
	struct mm_table_log *log;
};

/* The kernel's identity-mapped space (boot_pml4). */
extern struct mm_space kernel_space;

/* One zeroed page from free low RAM, or NULL. Safe on any CPU. */
void *page_alloc(void);
/*
 * n contiguous pages aligned to align bytes (a power of two >= 4K), zeroed
 * when zero is set (otherwise their content is whatever RAM held).
 */
void *pages_alloc(size_t n, uint64_t align, bool zero);
void page_free(void *page);

/* A new user space: its own PML4 sharing the kernel's slots. 0 or -ENOMEM. */
int mm_space_init(struct mm_space *as);
/* Free a user space's PML4 and table pages (not the pages they map). */
void mm_space_free(struct mm_space *as);

/*
 * Map one 4 KiB page va -> pa with flags (PTE_W, PTE_U, ...) in as,
 * creating intermediate tables (with PTE_U if flags has it). Returns 0,
 * -EINVAL (unaligned, non-canonical, or a 2 MiB page already there),
 * -ENOMEM. Does not flush: a new mapping needs none.
 */
int mm_map(struct mm_space *as, uint64_t va, uint64_t pa, uint64_t flags);
/* Same for a 2 MiB page (va, pa 2 MiB aligned). */
int mm_map_2m(struct mm_space *as, uint64_t va, uint64_t pa, uint64_t flags);
/* Remove a 4 KiB mapping and INVLPG it on this CPU; -ENOENT if none. */
int mm_unmap(struct mm_space *as, uint64_t va);
/* The leaf entry for va (4K PTE or 2M PDE), or NULL if not mapped. */
uint64_t *mm_lookup(struct mm_space *as, uint64_t va);

/*
 * Kernel not-present #PF at cr2 (error: the #PF error code): if cr2 is
 * usable RAM above 4 GiB, map its 2 MiB into the identity map (if no other
 * CPU did meanwhile) and return true: retry the access.
 */
bool mm_identity_fault(uint64_t cr2, uint64_t error);
/* How many 2 MiB pages mm_identity_fault() has mapped. */
extern uint64_t mm_identity_maps;

#endif
