/*
 * mm.c - the page allocator and page-table editing (see mm.h).
 *
 * The allocator hands out pages of usable RAM below the MMIO hole, above
 * everything the loader placed; freed pages go on a free list. It starts
 * on first use, so a boot that never allocates never reads the memory map.
 * Zeroed single pages come first from a pool in .bss (see zero_pool).
 */
#include "kernel.h"
#include "mm.h"
#include "platform.h"
#include "vmm/layout.h"

struct mm_space kernel_space = { .pml4 = boot_pml4 };

/*
 * Pages the loader zeroed with the rest of .bss: page_alloc() hands them
 * out first, each once, so the first page tables cost no zeroing (a 4 KiB
 * REP STOSQ is 512 emulated steps here).
 */
#define ZERO_POOL_PAGES 24
static uint8_t zero_pool[ZERO_POOL_PAGES][PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static int zero_pool_used;

static struct spinlock mm_lock;
static struct spinlock identity_lock; /* edits of the kernel's identity map */
static bool mm_ready;
static int range;            /* index into platform.mem */
static uint64_t cursor, limit; /* bump allocation in [cursor, limit) */
static void *free_list;
uint64_t mm_identity_maps;

/* Advance to the next usable range below the hole; false when none is left. */
static bool next_range(void)
{
	for (; range < platform.nmem; range++) {
		uint64_t lo = platform.mem[range].base;
		uint64_t hi = lo + platform.mem[range].size;
		if (hi > LAYOUT_MMIO_HOLE)
			hi = LAYOUT_MMIO_HOLE;
		if (lo < platform.loader_end)
			lo = platform.loader_end;
		lo = ALIGN_UP(lo, PAGE_SIZE);
		hi &= ~(PAGE_SIZE - 1);
		if (lo < hi && lo >= LAYOUT_HIGH_MEM_START) {
			cursor = lo;
			limit = hi;
			range++;
			return true;
		}
	}
	return false;
}

static void mm_start(void)
{
	platform_memory();
	next_range();
	mm_ready = true;
}

void *pages_alloc(size_t n, uint64_t align, bool zero)
{
	uint64_t flags = spin_lock_irqsave(&mm_lock);
	void *p = NULL;
	if (zero && n == 1 && align <= PAGE_SIZE && zero_pool_used < ZERO_POOL_PAGES) {
		p = zero_pool[zero_pool_used++];
		spin_unlock_irqrestore(&mm_lock, flags);
		return p;
	}
	if (!mm_ready)
		mm_start();
	if (n == 1 && align <= PAGE_SIZE && free_list) {
		p = free_list;
		free_list = *(void **)p;
	} else {
		for (;;) {
			uint64_t start = ALIGN_UP(cursor, align);
			if (start >= cursor && start + n * PAGE_SIZE <= limit && limit) {
				p = (void *)(uintptr_t)start;
				cursor = start + n * PAGE_SIZE;
				break;
			}
			if (!next_range())
				break;
		}
	}
	spin_unlock_irqrestore(&mm_lock, flags);
	if (p && zero) {
		/* REP STOSQ: 512 iterations inside one emulated instruction. */
		void *d = p;
		size_t q = n * PAGE_SIZE / 8;
		asm volatile("rep stosq" : "+D"(d), "+c"(q) : "a"(0) : "memory");
	}
	return p;
}

void *page_alloc(void)
{
	return pages_alloc(1, PAGE_SIZE, true);
}

void page_free(void *page)
{
	if (!page)
		return;
	uint64_t flags = spin_lock_irqsave(&mm_lock);
	*(void **)page = free_list;
	free_list = page;
	spin_unlock_irqrestore(&mm_lock, flags);
}

static bool canonical(uint64_t va)
{
	return va < 0x0000800000000000ULL || va >= 0xffff800000000000ULL;
}

static unsigned int index_of(uint64_t va, int level)
{
	return (va >> (12 + 9 * level)) & 511;
}

/* Remember a table page created in a user space. */
static int log_table(struct mm_space *as, void *page)
{
	if (as->ntables < MM_INLINE_TABLES) {
		as->tables[as->ntables++] = page;
		return 0;
	}
	if (!as->log || as->log->n == ARRAY_SIZE(as->log->pages)) {
		struct mm_table_log *log = pages_alloc(1, PAGE_SIZE, false);
		if (!log)
			return -ENOMEM;
		log->next = as->log;
		log->n = 0;
		as->log = log;
	}
	as->log->pages[as->log->n++] = page;
	return 0;
}

/*
 * The table at `level` (2 = PDPT, 1 = PD, 0 = PT) for va, creating missing
 * ones when create is set. NULL if missing, or if a large page is in the way.
 */
static uint64_t *table_for(struct mm_space *as, uint64_t va, int level, bool create,
			   uint64_t flags)
{
	uint64_t *t = as->pml4;
	for (int l = 3; l > level; l--) {
		uint64_t *e = &t[index_of(va, l)];
		if (!(*e & PTE_P)) {
			if (!create)
				return NULL;
			void *page = page_alloc();
			if (!page)
				return NULL;
			if (as->owns_tables && log_table(as, page) != 0) {
				page_free(page);
				return NULL;
			}
			*e = (uint64_t)(uintptr_t)page | PTE_P | PTE_W | (flags & PTE_U);
		} else if (*e & PTE_PS) {
			return NULL;
		} else if (flags & PTE_U) {
			*e |= PTE_U;
		}
		t = (uint64_t *)(uintptr_t)(*e & PTE_ADDR);
	}
	return t;
}

int mm_space_init(struct mm_space *as)
{
	memset(as, 0, sizeof(*as));
	as->pml4 = page_alloc();
	if (!as->pml4)
		return -ENOMEM;
	as->owns_tables = true;
	memcpy(as->pml4, boot_pml4, MM_KERNEL_SLOTS * sizeof(uint64_t));
	return 0;
}

void mm_space_free(struct mm_space *as)
{
	if (!as->owns_tables)
		return;
	for (uint32_t i = 0; i < as->ntables; i++)
		page_free(as->tables[i]);
	while (as->log) {
		struct mm_table_log *log = as->log;
		for (uint64_t i = 0; i < log->n; i++)
			page_free(log->pages[i]);
		as->log = log->next;
		page_free(log);
	}
	page_free(as->pml4);
	memset(as, 0, sizeof(*as));
}

int mm_map(struct mm_space *as, uint64_t va, uint64_t pa, uint64_t flags)
{
	if ((va | pa) & (PAGE_SIZE - 1) || !canonical(va))
		return -EINVAL;
	uint64_t *pt = table_for(as, va, 0, true, flags);
	if (!pt)
		return -ENOMEM;
	pt[index_of(va, 0)] = pa | flags | PTE_P;
	return 0;
}

int mm_map_2m(struct mm_space *as, uint64_t va, uint64_t pa, uint64_t flags)
{
	if ((va | pa) & (2 * LAYOUT_MiB - 1) || !canonical(va))
		return -EINVAL;
	uint64_t *pd = table_for(as, va, 1, true, flags);
	if (!pd)
		return -ENOMEM;
	uint64_t *e = &pd[index_of(va, 1)];
	if ((*e & PTE_P) && !(*e & PTE_PS))
		return -EINVAL; /* a page table is there */
	*e = pa | flags | PTE_P | PTE_PS;
	return 0;
}

uint64_t *mm_lookup(struct mm_space *as, uint64_t va)
{
	if (!canonical(va))
		return NULL;
	uint64_t *t = as->pml4;
	for (int l = 3; l >= 0; l--) {
		uint64_t *e = &t[index_of(va, l)];
		if (!(*e & PTE_P))
			return NULL;
		if (l == 0 || (l <= 2 && (*e & PTE_PS)))
			return e;
		t = (uint64_t *)(uintptr_t)(*e & PTE_ADDR);
	}
	return NULL;
}

int mm_unmap(struct mm_space *as, uint64_t va)
{
	uint64_t *pt = table_for(as, va, 0, false, 0);
	if (!pt || !(pt[index_of(va, 0)] & PTE_P))
		return -ENOENT;
	pt[index_of(va, 0)] = 0;
	invlpg(va);
	return 0;
}

bool mm_identity_fault(uint64_t cr2, uint64_t error)
{
	uint64_t base = cr2 & ~(2 * LAYOUT_MiB - 1);
	if ((error & (PF_PRESENT | PF_USER)) || cr2 < LAYOUT_HIGH_RAM || cr2 >= MM_SCRATCH_BASE)
		return false;
	bool mapped = false;
	platform_memory();
	uint64_t flags = spin_lock_irqsave(&identity_lock);
	for (int i = 0; i < platform.nmem; i++) {
		uint64_t lo = platform.mem[i].base, hi = lo + platform.mem[i].size;
		if (cr2 < lo || cr2 >= hi)
			continue;
		if (mm_lookup(&kernel_space, cr2)) {
			mapped = true; /* another CPU mapped it meanwhile: retry */
			break;
		}
		if (mm_map_2m(&kernel_space, base, base, PTE_W) == 0) {
			mm_identity_maps++;
			mapped = true;
		}
		break;
	}
	spin_unlock_irqrestore(&identity_lock, flags);
	return mapped;
}
