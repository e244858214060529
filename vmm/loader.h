/*
 * loader.h - boot image loaders: Multiboot v1 (ELF32, ELF64, a.out kludge)
 * and plain ELF64.
 *
 * Loading is two steps. loader_parse() reads an image held in a plain
 * buffer, validates every header field against the guest's memory plan and
 * describes what to copy where; it never touches KVM or guest memory, so
 * unit tests and fuzzers reach it directly. loader_apply() then copies the
 * segments into guest RAM and zeroes their BSS.
 *
 * Segments are placed by physical address (ELF p_paddr). They must lie in
 * guest RAM at or above LAYOUT_KERNEL_MIN (1 MiB): the low 1 MiB holds the
 * boot info area and the VMM's boot page tables. A Multiboot image loads
 * below 4 GiB and is entered in 32-bit protected mode; a plain ELF64 image
 * is entered in 64-bit mode on the page tables of boot_setup_long_mode().
 */
#ifndef VMM_LOADER_H
#define VMM_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/guest_mem.h"

#define MULTIBOOT_HEADER_MAGIC 0x1BADB002u
#define MULTIBOOT_BOOTLOADER_MAGIC 0x2BADB002u /* in EAX at entry */
#define MULTIBOOT_SEARCH_BYTES 8192            /* header lies within these */

/* Multiboot header flags. Bits 0-15 are requirements, 16-31 optional. */
#define MULTIBOOT_FLAG_PAGE_ALIGN (1u << 0)  /* modules page aligned: always */
#define MULTIBOOT_FLAG_MEMORY_INFO (1u << 1) /* mem_* and mmap: always given */
#define MULTIBOOT_FLAG_VIDEO_MODE (1u << 2)  /* accepted, ignored: no framebuffer */
#define MULTIBOOT_FLAG_AOUT_KLUDGE (1u << 16)
#define MULTIBOOT_FLAGS_REQUIRED_MASK 0xffffu
#define MULTIBOOT_FLAGS_SUPPORTED \
	(MULTIBOOT_FLAG_PAGE_ALIGN | MULTIBOOT_FLAG_MEMORY_INFO | MULTIBOOT_FLAG_VIDEO_MODE)

#define BOOT_MAX_SEGS 16

enum boot_format {
	BOOT_MB_ELF32 = 1, /* Multiboot header, ELF32 program headers */
	BOOT_MB_ELF64,     /* Multiboot header, ELF64 program headers */
	BOOT_MB_AOUT,      /* Multiboot header with the a.out kludge (flag 16) */
	BOOT_ELF64,        /* plain ELF64, no Multiboot header */
};

/* One piece of the image: file bytes [file_off, file_off + filesz) go to
 * gpa; [gpa + filesz, gpa + memsz) is zeroed. memsz > 0, filesz <= memsz. */
struct boot_segment {
	uint64_t gpa;
	uint64_t file_off;
	uint64_t filesz;
	uint64_t memsz;
};

struct boot_image {
	enum boot_format format;
	uint64_t entry;       /* guest-physical entry point, inside a segment's file bytes */
	bool long_mode_entry; /* BOOT_ELF64: enter in 64-bit mode */
	struct boot_segment segs[BOOT_MAX_SEGS];
	int nr_segs;
	uint64_t load_end;    /* highest segment end (gpa + memsz) */
	uint32_t mb_flags;    /* Multiboot header flags; 0 for plain ELF64 */
	uint32_t mb_header_off; /* file offset of the Multiboot header */
};

/*
 * Parse and validate the image img[0..size) for the RAM described by mem
 * (a plan is enough). On success fill *out and return 0. On failure return
 * -EINVAL and write one line to err naming the problem, without the file
 * name: callers print "PATH: ERR". err may be NULL when errlen is 0.
 */
int loader_parse(const void *img, size_t size, const struct guest_mem *mem,
		 struct boot_image *out, char *err, size_t errlen);

/*
 * Copy bi's segments from img into guest RAM and zero their BSS. bi must
 * come from loader_parse() of the same buffer. Returns 0, -EINVAL when a
 * segment's file bytes are not in img, -EFAULT when one is not in RAM.
 */
int loader_apply(const struct boot_image *bi, const void *img, size_t size,
		 const struct guest_mem *mem);

/* "multiboot-elf32", "multiboot-elf64", "multiboot-aout", "elf64". */
const char *loader_format_name(enum boot_format format);

/*
 * What the vCPU needs to start a plain ELF64 image in 64-bit mode. The
 * tables live in [LAYOUT_BOOT_PGTABLE, LAYOUT_BOOT_PGTABLE_END): a PML4, a
 * PDPT and four page directories identity-mapping the first 4 GiB with
 * 2 MiB pages (writable, supervisor), a GDT (null, 64-bit code, data,
 * 64-bit TSS descriptor) and a zeroed TSS.
 */
struct boot_long_mode {
	uint64_t cr0;  /* PE | ET | NE | WP | PG */
	uint64_t cr3;
	uint64_t cr4;  /* PAE */
	uint64_t efer; /* LME | LMA */
	uint64_t gdt_base;
	uint16_t gdt_limit;
	uint16_t code_sel; /* 64-bit code, DPL 0 */
	uint16_t data_sel; /* flat data, DPL 0, for DS, ES, FS, GS, SS */
	uint16_t tss_sel;  /* available 64-bit TSS, for TR */
	uint64_t tss_base;
	uint32_t tss_limit;
};

/*
 * Write the long-mode boot tables into guest RAM and describe them in
 * *out. Returns 0 or -EFAULT when the area is not RAM.
 */
int boot_setup_long_mode(const struct guest_mem *mem, struct boot_long_mode *out);

#endif
