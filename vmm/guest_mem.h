/*
 * guest_mem.h - guest RAM: regions of guest-physical address space backed
 * by host memory, and the one checked accessor for guest-supplied
 * addresses.
 *
 * Every address or length that a guest (or an image) controls goes through
 * guest_mem_ptr(), which refuses ranges that leave RAM, straddle two
 * regions, or overflow. Code holding the returned pointer may then trust
 * [ptr, ptr + len).
 */
#ifndef VMM_GUEST_MEM_H
#define VMM_GUEST_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GUEST_MEM_MAX_REGIONS 4

enum guest_mem_backing {
	GUEST_MEM_ANON,
	GUEST_MEM_MEMFD,
	GUEST_MEM_HUGETLB,
};

struct guest_mem_region {
	uint64_t gpa;
	uint64_t size;
	uint8_t *hva;
	uint32_t slot; /* KVM memslot number */
};

struct guest_mem {
	struct guest_mem_region regions[GUEST_MEM_MAX_REGIONS];
	int nr_regions;
	uint64_t ram_size;  /* total bytes of RAM */
	uint64_t low_end;   /* end of RAM below the MMIO hole */
	/* host mapping, one block for all regions */
	uint8_t *base;
	size_t map_size;
	int memfd; /* -1 unless memfd backing */
	enum guest_mem_backing backing;
	bool borrowed; /* base belongs to the caller (guest_mem_init_from_buffer) */
	/* why the last guest_mem_plan/create failed, one line, with the fix */
	char error[256];
};

/*
 * Split ram_size bytes into regions below the MMIO hole and above 4 GiB
 * (no host memory is touched). Returns 0 or -EINVAL for a size outside
 * [LAYOUT_MIN_RAM, LAYOUT_MAX_RAM] or not a multiple of the page size.
 */
int guest_mem_plan(struct guest_mem *mem, uint64_t ram_size);

/*
 * Plan and map host memory for the regions, back to back in one mapping:
 * anonymous (MAP_NORESERVE, THP advised), a memfd mapped shared (mem->memfd
 * stays open for the VM's lifetime), or 2 MiB hugetlb pages (reserved at
 * mmap time; ram_size must be a multiple of 2 MiB). Returns 0 or -errno
 * with mem->error set.
 */
int guest_mem_create(struct guest_mem *mem, uint64_t ram_size, enum guest_mem_backing backing);

/* Unmap and close what guest_mem_create made; safe on a zeroed or planned mem. */
void guest_mem_destroy(struct guest_mem *mem);

/* Bytes of host memory that back ram_size bytes of guest RAM. */
size_t guest_mem_host_size(uint64_t ram_size);

/*
 * Describe caller-owned host memory as guest RAM at the layout's
 * addresses (unit tests and fuzzers). buf must be at least
 * guest_mem_host_size(ram_size) bytes.
 */
int guest_mem_init_from_buffer(struct guest_mem *mem, uint64_t ram_size, void *buf);

/*
 * Host pointer for [gpa, gpa + len) if the whole range is guest RAM within
 * one region; NULL otherwise (out of range, overflow, zero length, or
 * straddling the MMIO hole).
 */
void *guest_mem_ptr(const struct guest_mem *mem, uint64_t gpa, uint64_t len);

/*
 * True when [gpa, gpa + len) is RAM (same rules as guest_mem_ptr). Needs
 * only a plan, no host memory.
 */
bool guest_mem_is_ram(const struct guest_mem *mem, uint64_t gpa, uint64_t len);

/* Copy into/out of guest RAM with the same checks. Return 0 or -EFAULT. */
int guest_mem_write(const struct guest_mem *mem, uint64_t gpa, const void *src, uint64_t len);
int guest_mem_read(const struct guest_mem *mem, uint64_t gpa, void *dst, uint64_t len);

#endif
