/*
 * mbinfo.c - build the Multiboot v1 information structure and load modules.
 */
#include "vmm/mbinfo.h"
#include "vmm/layout.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

_Static_assert(offsetof(struct multiboot_info, mmap_addr) == 48, "Multiboot info layout");
_Static_assert(offsetof(struct multiboot_info, boot_loader_name) == 64, "Multiboot info layout");
_Static_assert(sizeof(struct multiboot_mmap_entry) == 24, "mmap entry layout");
_Static_assert(LAYOUT_BOOT_INFO_END <= LAYOUT_LOW_RAM_END, "boot info is in low RAM");

#define MMAP_MAX 4

/* Bump allocator over the boot info area; the area was zeroed up front. */
struct info_area {
	const struct guest_mem *mem;
	uint64_t next;
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 2, 3)))
static int info_fail(struct info_area *a, const char *fmt, ...)
{
	va_list ap;

	if (a->err && a->errlen) {
		va_start(ap, fmt);
		vsnprintf(a->err, a->errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/*
 * Reserve len bytes of the area, 8-byte aligned: return their address and
 * set *host, or return 0 (never a valid address here) with err set when
 * the area is full.
 */
static uint32_t info_reserve(struct info_area *a, uint64_t len, uint8_t **host)
{
	uint64_t at = align_up(a->next, 8);

	if (len > LAYOUT_BOOT_INFO_END - at) {
		info_fail(a, "boot info area [%#llx, %#llx) is full: the command line or "
			  "module names are too long", LAYOUT_BOOT_INFO, LAYOUT_BOOT_INFO_END);
		return 0;
	}
	*host = guest_mem_ptr(a->mem, at, len);
	if (!*host) {
		info_fail(a, "boot info area [%#llx, %#llx) is not RAM", LAYOUT_BOOT_INFO,
			  LAYOUT_BOOT_INFO_END);
		return 0;
	}
	a->next = at + len;
	return (uint32_t)at;
}

/* Copy a string with its terminator into the area; its address or 0. */
static uint32_t info_put_str(struct info_area *a, const char *s)
{
	size_t len = strlen(s) + 1;
	uint8_t *p;
	uint32_t at = info_reserve(a, len, &p);

	if (at)
		memcpy(p, s, len);
	return at;
}

/* Fill the memory map; returns the number of entries. */
static int mmap_fill(const struct guest_mem *mem, struct multiboot_mmap_entry *e)
{
	int n = 0;

	e[n++] = (struct multiboot_mmap_entry){ 20, 0, LAYOUT_LOW_RAM_END, MBI_MMAP_AVAILABLE };
	e[n++] = (struct multiboot_mmap_entry){ 20, LAYOUT_LOW_RAM_END,
						LAYOUT_HIGH_MEM_START - LAYOUT_LOW_RAM_END,
						MBI_MMAP_RESERVED };
	e[n++] = (struct multiboot_mmap_entry){ 20, LAYOUT_HIGH_MEM_START,
						mem->low_end - LAYOUT_HIGH_MEM_START,
						MBI_MMAP_AVAILABLE };
	if (mem->ram_size > mem->low_end)
		e[n++] = (struct multiboot_mmap_entry){ 20, LAYOUT_HIGH_RAM,
							mem->ram_size - mem->low_end,
							MBI_MMAP_AVAILABLE };
	return n;
}

/*
 * Place each module page aligned from the end of the kernel on, all in low
 * RAM, and fill the module list entries (strings already set).
 */
static int modules_load(struct info_area *a, const struct boot_image *bi,
			const struct boot_module *mods, int nr_mods,
			struct multiboot_module *list)
{
	uint64_t at = align_up(bi->load_end > LAYOUT_KERNEL_MIN ? bi->load_end : LAYOUT_KERNEL_MIN,
			       LAYOUT_PAGE_SIZE);
	uint64_t low_end = a->mem->low_end;

	for (int i = 0; i < nr_mods; i++) {
		const char *name = mods[i].name ? mods[i].name : "";

		if (at > low_end || mods[i].size > low_end - at)
			return info_fail(a, "module %s (%zu bytes) does not fit in low RAM: it "
					 "would occupy [%#llx, %#llx) but low RAM ends at %#llx",
					 name, mods[i].size, (unsigned long long)at,
					 (unsigned long long)(at + mods[i].size),
					 (unsigned long long)low_end);
		if (mods[i].size && guest_mem_write(a->mem, at, mods[i].data, mods[i].size))
			return info_fail(a, "module %s: [%#llx, %#llx) is not RAM", name,
					 (unsigned long long)at,
					 (unsigned long long)(at + mods[i].size));
		list[i].mod_start = (uint32_t)at;
		list[i].mod_end = (uint32_t)(at + mods[i].size);
		at = align_up(at + mods[i].size, LAYOUT_PAGE_SIZE);
	}
	return 0;
}

int mbinfo_build(const struct guest_mem *mem, const struct boot_image *bi,
		 const char *image_path, const char *args,
		 const struct boot_module *mods, int nr_mods,
		 uint32_t *mbi_gpa, char *err, size_t errlen)
{
	struct info_area a = { .mem = mem, .err = err, .errlen = errlen };
	struct multiboot_mmap_entry map[MMAP_MAX];
	struct multiboot_module list[MBINFO_MAX_MODS] = { 0 };
	struct multiboot_info mbi = { 0 };
	size_t path_len, args_len;
	uint32_t mbi_at;
	uint8_t *p;
	int ret, n;

	if (!image_path || nr_mods < 0 || (nr_mods > 0 && !mods))
		return info_fail(&a, "no image path or a bad module list");
	if (nr_mods > MBINFO_MAX_MODS)
		return info_fail(&a, "%d modules: at most %d are supported", nr_mods,
				 MBINFO_MAX_MODS);
	p = guest_mem_ptr(mem, LAYOUT_BOOT_INFO, LAYOUT_BOOT_INFO_END - LAYOUT_BOOT_INFO);
	if (!p)
		return info_fail(&a, "boot info area [%#llx, %#llx) is not RAM",
				 LAYOUT_BOOT_INFO, LAYOUT_BOOT_INFO_END);
	memset(p, 0, LAYOUT_BOOT_INFO_END - LAYOUT_BOOT_INFO);
	a.next = LAYOUT_BOOT_INFO;
	mbi_at = info_reserve(&a, sizeof(mbi), &p);
	if (!mbi_at)
		return -EINVAL;

	mbi.flags = MBI_FLAG_MEM | MBI_FLAG_CMDLINE | MBI_FLAG_MODS | MBI_FLAG_MMAP |
		    MBI_FLAG_LOADER_NAME;
	mbi.mem_lower = LAYOUT_LOW_RAM_END / LAYOUT_KiB;
	mbi.mem_upper = (uint32_t)((mem->low_end - LAYOUT_HIGH_MEM_START) / LAYOUT_KiB);

	n = mmap_fill(mem, map);
	mbi.mmap_length = n * sizeof(map[0]);
	mbi.mmap_addr = info_reserve(&a, mbi.mmap_length, &p);
	if (!mbi.mmap_addr)
		return -EINVAL;
	memcpy(p, map, mbi.mmap_length);

	/* "PATH" or "PATH ARGS"; the area is zeroed, so the terminator is there */
	path_len = strlen(image_path);
	args_len = args && args[0] ? strlen(args) + 1 : 0;
	mbi.cmdline = info_reserve(&a, path_len + args_len + 1, &p);
	if (!mbi.cmdline)
		return -EINVAL;
	memcpy(p, image_path, path_len);
	if (args_len) {
		p[path_len] = ' ';
		memcpy(p + path_len + 1, args, args_len - 1);
	}

	mbi.boot_loader_name = info_put_str(&a, "vmm");
	if (!mbi.boot_loader_name)
		return -EINVAL;
	for (int i = 0; i < nr_mods; i++) {
		list[i].string = info_put_str(&a, mods[i].name ? mods[i].name : "");
		if (!list[i].string)
			return -EINVAL;
	}
	ret = modules_load(&a, bi, mods, nr_mods, list);
	if (ret)
		return ret;
	mbi.mods_count = (uint32_t)nr_mods;
	if (nr_mods) {
		mbi.mods_addr = info_reserve(&a, nr_mods * sizeof(list[0]), &p);
		if (!mbi.mods_addr)
			return -EINVAL;
		memcpy(p, list, nr_mods * sizeof(list[0]));
	}

	ret = guest_mem_write(mem, mbi_at, &mbi, sizeof(mbi));
	if (ret)
		return ret;
	*mbi_gpa = mbi_at;
	return 0;
}
