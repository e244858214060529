/*
 * guest_mem.c - guest RAM: the split of RAM around the MMIO hole, the host
 * mapping behind it, and the one checked accessor for guest addresses.
 */
#include "vmm/guest_mem.h"
#include "vmm/layout.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define HUGE_PAGE_2M (2 * LAYOUT_MiB)

__attribute__((format(printf, 2, 3)))
static int mem_fail(struct guest_mem *mem, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(mem->error, sizeof(mem->error), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int guest_mem_plan(struct guest_mem *mem, uint64_t ram_size)
{
	uint64_t low;

	memset(mem, 0, sizeof(*mem));
	mem->memfd = -1;
	if (ram_size < LAYOUT_MIN_RAM || ram_size > LAYOUT_MAX_RAM ||
	    ram_size % LAYOUT_PAGE_SIZE)
		return mem_fail(mem, "RAM size %llu bytes: must be a multiple of 4 KiB "
				"from %llu MiB to %llu GiB", (unsigned long long)ram_size,
				LAYOUT_MIN_RAM / LAYOUT_MiB, LAYOUT_MAX_RAM / LAYOUT_GiB);

	low = ram_size < LAYOUT_MMIO_HOLE ? ram_size : LAYOUT_MMIO_HOLE;
	mem->regions[0] = (struct guest_mem_region){ .gpa = 0, .size = low, .slot = 0 };
	mem->nr_regions = 1;
	if (ram_size > low) {
		mem->regions[1] = (struct guest_mem_region){
			.gpa = LAYOUT_HIGH_RAM, .size = ram_size - low, .slot = 1,
		};
		mem->nr_regions = 2;
	}
	mem->ram_size = ram_size;
	mem->low_end = low;
	mem->map_size = guest_mem_host_size(ram_size);
	return 0;
}

size_t guest_mem_host_size(uint64_t ram_size)
{
	return (size_t)ram_size;
}

/* Point each region at its place in the one host block, in GPA order. */
static void mem_attach(struct guest_mem *mem, uint8_t *base)
{
	size_t off = 0;

	mem->base = base;
	for (int i = 0; i < mem->nr_regions; i++) {
		mem->regions[i].hva = base + off;
		off += mem->regions[i].size;
	}
}

/* Map an anonymous or hugetlb block; flags select which. */
static int mem_map_anon(struct guest_mem *mem, int flags, void **out)
{
	void *p = mmap(NULL, mem->map_size, PROT_READ | PROT_WRITE, flags, -1, 0);

	if (p == MAP_FAILED)
		return -errno;
	*out = p;
	return 0;
}

static int mem_map_memfd(struct guest_mem *mem, void **out)
{
	void *p;
	int ret;

	mem->memfd = memfd_create("vmm-guest-ram", MFD_CLOEXEC);
	if (mem->memfd < 0) {
		ret = -errno;
		mem_fail(mem, "memfd_create for guest RAM: %s", strerror(-ret));
		return ret;
	}
	if (ftruncate(mem->memfd, (off_t)mem->map_size) < 0) {
		ret = -errno;
		mem_fail(mem, "ftruncate guest RAM memfd to %zu bytes: %s",
			 mem->map_size, strerror(-ret));
		goto err_close_memfd;
	}
	p = mmap(NULL, mem->map_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE,
		 mem->memfd, 0);
	if (p == MAP_FAILED) {
		ret = -errno;
		mem_fail(mem, "mmap %zu MiB of memfd guest RAM: %s",
			 mem->map_size / (size_t)LAYOUT_MiB, strerror(-ret));
		goto err_close_memfd;
	}
	*out = p;
	return 0;

err_close_memfd:
	close(mem->memfd);
	mem->memfd = -1;
	return ret;
}

int guest_mem_create(struct guest_mem *mem, uint64_t ram_size, enum guest_mem_backing backing)
{
	void *p = NULL;
	int ret;

	ret = guest_mem_plan(mem, ram_size);
	if (ret)
		return ret;
	mem->backing = backing;

	switch (backing) {
	case GUEST_MEM_ANON:
		ret = mem_map_anon(mem, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, &p);
		if (ret)
			mem_fail(mem, "mmap %zu MiB of guest RAM: %s",
				 mem->map_size / (size_t)LAYOUT_MiB, strerror(-ret));
		break;
	case GUEST_MEM_MEMFD:
		ret = mem_map_memfd(mem, &p);
		break;
	case GUEST_MEM_HUGETLB:
		if (ram_size % HUGE_PAGE_2M)
			return mem_fail(mem, "hugetlb backing needs a RAM size that is a "
					"multiple of 2 MiB (got %llu KiB)",
					(unsigned long long)(ram_size / LAYOUT_KiB));
		/*
		 * No MAP_NORESERVE: the pages are reserved now, so a shortage
		 * fails here instead of as SIGBUS when the guest touches them.
		 */
		ret = mem_map_anon(mem, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB |
				   (21 << MAP_HUGE_SHIFT), &p);
		if (ret)
			mem_fail(mem, "mmap %zu MiB of 2 MiB huge pages: %s; reserve them "
				 "first: echo %zu > /proc/sys/vm/nr_hugepages",
				 mem->map_size / (size_t)LAYOUT_MiB, strerror(-ret),
				 mem->map_size / (size_t)HUGE_PAGE_2M);
		break;
	default:
		return mem_fail(mem, "unknown guest memory backing %d", (int)backing);
	}
	if (ret)
		return ret;

	/* Advice only: a kernel without THP or dump control still works. */
	if (backing != GUEST_MEM_HUGETLB)
		madvise(p, mem->map_size, MADV_HUGEPAGE);
	madvise(p, mem->map_size, MADV_DONTDUMP);
	mem_attach(mem, p);
	return 0;
}

void guest_mem_destroy(struct guest_mem *mem)
{
	if (mem->base && !mem->borrowed)
		munmap(mem->base, mem->map_size);
	if (mem->memfd >= 0)
		close(mem->memfd);
	memset(mem, 0, sizeof(*mem));
	mem->memfd = -1;
}

int guest_mem_init_from_buffer(struct guest_mem *mem, uint64_t ram_size, void *buf)
{
	int ret = guest_mem_plan(mem, ram_size);

	if (ret)
		return ret;
	mem->borrowed = true;
	mem_attach(mem, buf);
	return 0;
}

/*
 * The region holding all of [gpa, gpa + len), or NULL. This is the one
 * place that decides what a guest-supplied range may reach. The checks
 * are written as offset < size and len <= size - offset, which cannot
 * wrap: a range whose gpa + len overflows fails them.
 */
static const struct guest_mem_region *mem_find(const struct guest_mem *mem, uint64_t gpa,
					       uint64_t len)
{
	if (len == 0)
		return NULL;
	for (int i = 0; i < mem->nr_regions; i++) {
		const struct guest_mem_region *r = &mem->regions[i];

		if (gpa >= r->gpa && gpa - r->gpa < r->size)
			return len <= r->size - (gpa - r->gpa) ? r : NULL;
	}
	return NULL;
}

void *guest_mem_ptr(const struct guest_mem *mem, uint64_t gpa, uint64_t len)
{
	const struct guest_mem_region *r = mem_find(mem, gpa, len);

	if (!r || !r->hva)
		return NULL;
	return r->hva + (gpa - r->gpa);
}

bool guest_mem_is_ram(const struct guest_mem *mem, uint64_t gpa, uint64_t len)
{
	return mem_find(mem, gpa, len) != NULL;
}

int guest_mem_write(const struct guest_mem *mem, uint64_t gpa, const void *src, uint64_t len)
{
	void *dst = guest_mem_ptr(mem, gpa, len);

	if (!dst)
		return -EFAULT;
	memcpy(dst, src, len);
	return 0;
}

int guest_mem_read(const struct guest_mem *mem, uint64_t gpa, void *dst, uint64_t len)
{
	const void *src = guest_mem_ptr(mem, gpa, len);

	if (!src)
		return -EFAULT;
	memcpy(dst, src, len);
	return 0;
}
