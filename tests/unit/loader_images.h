/*
 * loader_images.h - boot images built in memory for the loader tests:
 * ELF32/ELF64 with chosen program headers, Multiboot headers, a.out-kludge
 * flat binaries, and the checks that parse them.
 *
 * Each test program includes this once; it owns the 16 MiB of guest RAM
 * (mem16 over ram[]) and the image buffer img[].
 */
#ifndef TESTS_UNIT_LOADER_IMAGES_H
#define TESTS_UNIT_LOADER_IMAGES_H

#include "tests/unit/unit.h"
#include "vmm/layout.h"
#include "vmm/loader.h"

#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#define MiB LAYOUT_MiB
#define GiB LAYOUT_GiB
#define KMIN LAYOUT_KERNEL_MIN

static uint8_t ram[16 * 1024 * 1024];
static struct guest_mem mem16; /* 16 MiB over ram[] */
static uint8_t img[64 * 1024];
static char err[256];

struct seg {
	uint32_t type;
	uint64_t off, vaddr, paddr, filesz, memsz;
};

static inline void put32(uint8_t *b, uint32_t v)
{
	memcpy(b, &v, 4);
}

/* A Multiboot header at off: magic, flags, checksum, then kludge words. */
static inline void put_mb(size_t off, uint32_t flags, const uint32_t *aout)
{
	put32(img + off, MULTIBOOT_HEADER_MAGIC);
	put32(img + off + 4, flags);
	put32(img + off + 8, -(MULTIBOOT_HEADER_MAGIC + flags));
	for (int i = 0; aout && i < 5; i++)
		put32(img + off + 12 + 4 * i, aout[i]);
}

/*
 * An ELF image in img[]: header, program headers right after it, segment
 * bytes filled with (offset & 0xff) | 1 so copies can be checked.
 * Returns the image size: the end of the last segment's file bytes, or
 * 0x1000, whichever is larger.
 */
static inline size_t build_elf(int cls, uint64_t entry, const struct seg *s, int n)
{
	size_t size = 0x1000, phoff = cls == ELFCLASS32 ? sizeof(Elf32_Ehdr) : sizeof(Elf64_Ehdr);

	memset(img, 0, sizeof(img));
	for (int i = 0; i < n; i++)
		if (s[i].type == PT_LOAD && s[i].off + s[i].filesz > size &&
		    s[i].off + s[i].filesz <= sizeof(img))
			size = s[i].off + s[i].filesz;
	for (size_t i = phoff; i < size; i++)
		img[i] = (uint8_t)(i | 1);
	memcpy(img, ELFMAG, SELFMAG);
	img[EI_CLASS] = (uint8_t)cls;
	img[EI_DATA] = ELFDATA2LSB;
	img[EI_VERSION] = EV_CURRENT;
	if (cls == ELFCLASS32) {
		Elf32_Ehdr h = { .e_type = ET_EXEC, .e_machine = EM_386, .e_version = EV_CURRENT,
				 .e_entry = (uint32_t)entry, .e_phoff = (uint32_t)phoff,
				 .e_ehsize = sizeof(h), .e_phentsize = sizeof(Elf32_Phdr),
				 .e_phnum = (uint16_t)n };

		memcpy(h.e_ident, img, EI_NIDENT);
		memcpy(img, &h, sizeof(h));
		for (int i = 0; i < n; i++) {
			Elf32_Phdr p = { s[i].type, (uint32_t)s[i].off, (uint32_t)s[i].vaddr,
					 (uint32_t)s[i].paddr, (uint32_t)s[i].filesz,
					 (uint32_t)s[i].memsz, PF_R | PF_X, 0x1000 };

			memcpy(img + phoff + i * sizeof(p), &p, sizeof(p));
		}
	} else {
		Elf64_Ehdr h = { .e_type = ET_EXEC, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
				 .e_entry = entry, .e_phoff = phoff, .e_ehsize = sizeof(h),
				 .e_phentsize = sizeof(Elf64_Phdr), .e_phnum = (uint16_t)n };

		memcpy(h.e_ident, img, EI_NIDENT);
		memcpy(img, &h, sizeof(h));
		for (int i = 0; i < n; i++) {
			Elf64_Phdr p = { s[i].type, PF_R | PF_X, s[i].off, s[i].vaddr, s[i].paddr,
					 s[i].filesz, s[i].memsz, 0x1000 };

			memcpy(img + phoff + i * sizeof(p), &p, sizeof(p));
		}
	}
	return size;
}

/* Where mb_elf() puts the Multiboot header: clear of headers and segment bytes. */
#define MB_OFF 0xf00

/* One PT_LOAD at 1 MiB: 0x100 file bytes from 0x200, 0x2000 in memory. */
static const struct seg one_seg = { PT_LOAD, 0x200, KMIN, KMIN, 0x100, 0x2000 };

static inline size_t mb_elf(int cls, uint64_t entry, const struct seg *s, int n, uint32_t flags)
{
	size_t size = build_elf(cls, entry, s, n);

	put_mb(MB_OFF, flags, NULL);
	return size;
}

/* Parse with the expected failure: -EINVAL and an error containing want. */
static inline void expect_err(const struct guest_mem *m, size_t size, const char *want)
{
	struct boot_image bi;
	int ret = loader_parse(img, size, m, &bi, err, sizeof(err));

	CHECK_EQ(ret, -EINVAL);
	if (!strstr(err, want)) {
		fprintf(stderr, "  error \"%s\" lacks \"%s\"\n", err, want);
		CHECK(0);
	}
}

static inline int parse(const struct guest_mem *m, size_t size, struct boot_image *bi)
{
	int ret = loader_parse(img, size, m, bi, err, sizeof(err));

	if (ret)
		fprintf(stderr, "  unexpected error: %s\n", err);
	return ret;
}

/* Flat binary with the header at offset 0x40, BSS to 1 MiB + 0x3000. */
static inline size_t build_aout(uint32_t header_addr, uint32_t load_addr, uint32_t load_end,
			 uint32_t bss_end, uint32_t entry, size_t size)
{
	uint32_t a[5] = { header_addr, load_addr, load_end, bss_end, entry };

	memset(img, 0, sizeof(img));
	for (size_t i = 0; i < size; i++)
		img[i] = (uint8_t)(i | 1);
	put_mb(0x40, MULTIBOOT_FLAG_AOUT_KLUDGE | MULTIBOOT_FLAG_MEMORY_INFO, a);
	return size;
}

/* Point mem16 at ram[]; returns non-zero on failure. */
static inline int images_init(void)
{
	if (guest_mem_init_from_buffer(&mem16, sizeof(ram), ram)) {
		fprintf(stderr, "guest_mem_init_from_buffer failed\n");
		return 1;
	}
	return 0;
}

#endif
