/*
 * test_loader_errors.c - one malformed boot image per validation rule of
 * loader_parse(), each with the one-line error the user sees.
 */
#include "tests/unit/loader_images.h"

static void test_empty(void)
{
	expect_err(&mem16, 0, "empty file");
}

static void test_garbage(void)
{
	memset(img, 0x5a, 4096);
	expect_err(&mem16, 4096, "not a bootable image: no Multiboot header in the first 8 KiB "
				 "and no ELF magic");
	expect_err(&mem16, 3, "not a bootable image");
}

/* A file larger than RAM is fine when what it loads fits (debug sections). */
static void test_file_larger_than_ram(void)
{
	size_t size = 16 * MiB + 1;
	uint8_t *big = calloc(1, size);
	struct boot_image bi;

	CHECK(big != NULL);
	if (!big)
		return;
	mb_elf(ELFCLASS32, KMIN, &one_seg, 1, 0);
	memcpy(big, img, 0x1000);
	CHECK_EQ(loader_parse(big, size, &mem16, &bi, err, sizeof(err)), 0);
	CHECK_EQ(bi.load_end, KMIN + 0x2000);
	free(big);
}

static void test_image_larger_than_ram(void)
{
	struct seg s = { PT_LOAD, 0x200, KMIN, KMIN, 0x100, 2048 * GiB };
	size_t size = build_elf(ELFCLASS64, KMIN, &s, 1);

	expect_err(&mem16, size, "image needs 2097152 MiB of memory but the VM has 16 MiB of RAM");
	/* rounded up: one page over is 17 MiB */
	s.memsz = 16 * MiB + 4096;
	size = build_elf(ELFCLASS64, KMIN, &s, 1);
	expect_err(&mem16, size, "image needs 17 MiB of memory but the VM has 16 MiB of RAM");
}

static void test_truncated_header(void)
{
	size_t size = build_elf(ELFCLASS64, KMIN, &one_seg, 1);

	(void)size;
	expect_err(&mem16, 40, "truncated ELF header (40 bytes, need 64)");
	expect_err(&mem16, 4, "truncated ELF header (4 bytes, need 16)");
	expect_err(&mem16, 15, "truncated ELF header (15 bytes, need 16)");
	put_mb(0x10, 0, NULL);
	img[EI_CLASS] = ELFCLASS32;
	expect_err(&mem16, 40, "truncated ELF header (40 bytes, need 52)");
}

static void test_phdrs_past_eof(void)
{
	size_t size = build_elf(ELFCLASS64, KMIN, &one_seg, 1);

	(void)size;
	expect_err(&mem16, 64 + 30, "ELF program headers at offset 0x40 (1 of 56 bytes) run past "
				    "the end of the file (94 bytes)");
	/* huge phoff: offset + size must not wrap */
	build_elf(ELFCLASS64, KMIN, &one_seg, 1);
	memset(img + offsetof(Elf64_Ehdr, e_phoff), 0xff, 8);
	expect_err(&mem16, 0x1000, "run past the end of the file");
}

static void test_segment_past_eof(void)
{
	struct seg s = { PT_LOAD, 0x200, KMIN, KMIN, 0x100, 0x100 };
	size_t size = build_elf(ELFCLASS64, KMIN, &s, 1);

	(void)size;
	expect_err(&mem16, 0x280, "segment 0: file bytes at offset 0x200 (0x100 bytes) run past "
				  "the end of the file (640 bytes)");
}

static void test_segment_offset_overflow(void)
{
	struct seg s = { PT_LOAD, 0xffffffffffffff00ULL, KMIN, KMIN, 0x200, 0x200 };
	size_t size = build_elf(ELFCLASS64, KMIN, &s, 1);

	expect_err(&mem16, size, "segment 0: file bytes at offset 0xffffffffffffff00");
}

static void test_segment_address_overflow(void)
{
	struct seg s = { PT_LOAD, 0x200, 0, 0xfffffffffffff000ULL, 0x100, 0x2000 };
	size_t size = build_elf(ELFCLASS64, KMIN, &s, 1);

	expect_err(&mem16, size, "segment 0: address 0xfffffffffffff000 + size 0x2000 overflows");
}

static void test_filesz_above_memsz(void)
{
	struct seg s = { PT_LOAD, 0x200, KMIN, KMIN, 0x200, 0x100 };
	size_t size = build_elf(ELFCLASS64, KMIN, &s, 1);

	expect_err(&mem16, size, "segment 0: file size 0x200 is larger than its memory size 0x100");
}

static void test_segment_in_mmio_hole(void)
{
	struct seg s[2] = {
		{ PT_LOAD, 0x200, KMIN, KMIN, 0x100, 0x100 },
		{ PT_LOAD, 0x300, 0, 0xbff00000, 0x100, 0x200000 },
	};
	struct guest_mem m4;
	size_t size = mb_elf(ELFCLASS32, KMIN, s, 2, 0);

	CHECK_EQ(guest_mem_plan(&m4, 4 * GiB), 0);
	expect_err(&m4, size, "segment 1 [0xbff00000, 0xc0100000) overlaps the MMIO hole at "
			      "0xc0000000");
	/* the hole is named even when RAM ends far below it */
	expect_err(&mem16, size, "overlaps the MMIO hole");
}

static void test_segment_outside_ram(void)
{
	struct seg s = { PT_LOAD, 0x200, 0, 0xf00000, 0x100, 0x200000 };
	struct guest_mem m5;
	size_t size = mb_elf(ELFCLASS32, 0xf00000, &s, 1, 0);

	expect_err(&mem16, size, "segment 0 [0xf00000, 0x1100000) is outside guest RAM "
				 "[0, 0x1000000)");
	CHECK_EQ(guest_mem_plan(&m5, 5 * GiB), 0);
	s = (struct seg){ PT_LOAD, 0x200, 0, 6 * GiB - 0x1000, 0x100, 0x2000 };
	size = build_elf(ELFCLASS64, KMIN, &s, 1);
	expect_err(&m5, size, "segment 0 [0x17ffff000, 0x180001000) is outside guest RAM "
			      "[0, 0xc0000000) and [0x100000000, 0x180000000)");
}

static void test_segment_in_boot_info(void)
{
	struct seg s = { PT_LOAD, 0x200, 0, 0x6f000, 0x100, 0x2000 };
	size_t size = mb_elf(ELFCLASS32, 0x6f000, &s, 1, 0);

	expect_err(&mem16, size, "segment 0 [0x6f000, 0x71000) overlaps the boot info area "
				 "[0x10000, 0x70000)");
}

static void test_segment_in_boot_pgtable(void)
{
	struct seg s = { PT_LOAD, 0x200, 0, 0x77000, 0x100, 0x2000 };
	size_t size = build_elf(ELFCLASS64, 0x77000, &s, 1);

	expect_err(&mem16, size, "segment 0 [0x77000, 0x79000) overlaps the boot page tables "
				 "[0x70000, 0x78000)");
}

static void test_segment_below_1m(void)
{
	struct seg s = { PT_LOAD, 0x200, 0, 0x80000, 0x100, 0x1000 };
	size_t size = mb_elf(ELFCLASS32, 0x80000, &s, 1, 0);

	expect_err(&mem16, size, "segment 0 [0x80000, 0x81000) starts below 0x100000: the low "
				 "1 MiB is reserved");
	s = (struct seg){ PT_LOAD, 0x200, 0, 0x1000, 0x100, 0x1000 };
	size = mb_elf(ELFCLASS32, 0x1000, &s, 1, 0);
	expect_err(&mem16, size, "starts below 0x100000");
}

static void test_segments_overlap(void)
{
	struct seg s[2] = {
		{ PT_LOAD, 0x200, KMIN, KMIN, 0x100, 0x2000 },
		{ PT_LOAD, 0x300, 0, KMIN + 0x1000, 0x100, 0x100 },
	};
	size_t size = mb_elf(ELFCLASS32, KMIN, s, 2, 0);

	expect_err(&mem16, size, "segment 0 [0x100000, 0x102000) and segment 1 [0x101000, "
				 "0x101100) overlap");
}

static void test_entry_outside(void)
{
	size_t size = mb_elf(ELFCLASS32, KMIN + 0x100, &one_seg, 1, 0);

	/* entry in the BSS is outside the loaded file bytes */
	expect_err(&mem16, size, "entry point 0x100100 is not inside the loaded file bytes of "
				 "any segment");
	size = mb_elf(ELFCLASS32, 0, &one_seg, 1, 0);
	expect_err(&mem16, size, "entry point 0 is not inside");
}

static void test_too_many_segments(void)
{
	struct seg s[BOOT_MAX_SEGS + 1];
	struct boot_image bi;
	size_t size;

	for (int i = 0; i <= BOOT_MAX_SEGS; i++)
		s[i] = (struct seg){ PT_LOAD, 0x800, 0, KMIN + 0x1000 * i, 0x10, 0x10 };
	size = mb_elf(ELFCLASS32, KMIN, s, BOOT_MAX_SEGS, 0);
	CHECK_EQ(parse(&mem16, size, &bi), 0);
	CHECK_EQ(bi.nr_segs, BOOT_MAX_SEGS);
	size = mb_elf(ELFCLASS32, KMIN, s, BOOT_MAX_SEGS + 1, 0);
	expect_err(&mem16, size, "more than 16 loadable segments");
}

static void test_bad_checksum(void)
{
	size_t size = mb_elf(ELFCLASS32, KMIN, &one_seg, 1, 0);

	img[MB_OFF + 8] ^= 1;
	expect_err(&mem16, size, "Multiboot header at offset 0xf00 has a bad checksum (magic + "
				 "flags + checksum = 0x1, not 0)");
}

static void test_unknown_required_flags(void)
{
	size_t size = mb_elf(ELFCLASS32, KMIN, &one_seg, 1, 0x3 | (1u << 3) | (1u << 20));

	expect_err(&mem16, size, "Multiboot header flags 0x10000b require features this loader "
				 "lacks (bits 0x8)");
	/* optional bits other than 16 are ignored */
	size = mb_elf(ELFCLASS32, KMIN, &one_seg, 1, 1u << 20);
	CHECK_EQ(loader_parse(img, size, &mem16, &(struct boot_image){ 0 }, err, sizeof(err)), 0);
}

static void test_mb_not_elf_no_kludge(void)
{
	memset(img, 0, 0x1000);
	put_mb(0, 0, NULL);
	expect_err(&mem16, 0x1000, "Multiboot image is not ELF and has no a.out kludge "
				   "(header flag 16)");
}

static void test_elf32_without_multiboot(void)
{
	size_t size = build_elf(ELFCLASS32, KMIN, &one_seg, 1);

	expect_err(&mem16, size, "ELF image without a Multiboot header is not ELF64 (only ELF64 "
				 "boots without one)");
}

static void test_bad_elf_fields(void)
{
	size_t size = build_elf(ELFCLASS64, KMIN, &one_seg, 1);

	img[EI_DATA] = ELFDATA2MSB;
	expect_err(&mem16, size, "ELF data encoding 2 is not little-endian");

	size = mb_elf(ELFCLASS32, KMIN, &one_seg, 1, 0);
	img[EI_CLASS] = 7;
	expect_err(&mem16, size, "ELF class 7 is neither 32- nor 64-bit");

	size = build_elf(ELFCLASS64, KMIN, &one_seg, 1);
	img[EI_VERSION] = 0;
	expect_err(&mem16, size, "ELF version 0 is not 1");

	size = build_elf(ELFCLASS64, KMIN, &one_seg, 1);
	img[offsetof(Elf64_Ehdr, e_type)] = ET_DYN;
	expect_err(&mem16, size, "ELF type 3 is not an executable (ET_EXEC)");

	size = build_elf(ELFCLASS64, KMIN, &one_seg, 1);
	img[offsetof(Elf64_Ehdr, e_machine)] = EM_ARM;
	expect_err(&mem16, size, "ELF machine 40 is not x86");

	size = build_elf(ELFCLASS64, KMIN, &one_seg, 1);
	img[offsetof(Elf64_Ehdr, e_phentsize)] = 32;
	expect_err(&mem16, size, "ELF program header size 32, expected 56");

	size = build_elf(ELFCLASS64, KMIN, &one_seg, 0);
	expect_err(&mem16, size, "ELF has no program headers (e_phnum 0)");

	struct seg note = { PT_NOTE, 0x200, 0, 0, 0x10, 0x10 };
	size = build_elf(ELFCLASS64, KMIN, &note, 1);
	expect_err(&mem16, size, "ELF has no loadable segments");
}

static void test_aout_bad(void)
{
	size_t size;

	size = build_aout(KMIN + 0x40, KMIN, 0, 0, KMIN + 0x60, 0x800);
	expect_err(&mem16, 0x40 + 20, "Multiboot header at offset 0x40: a.out kludge fields run "
				      "past the end of the file (84 bytes)");

	size = build_aout(KMIN, KMIN + 0x10, 0, 0, KMIN + 0x60, 0x800);
	expect_err(&mem16, size, "a.out kludge: load_addr 0x100010 is above header_addr 0x100000");

	size = build_aout(KMIN + 0x100, KMIN, 0, 0, KMIN + 0x60, 0x800);
	expect_err(&mem16, size, "a.out kludge: load_addr 0x100000 starts 0x100 bytes before the "
				 "header, which is at file offset 0x40");

	size = build_aout(KMIN + 0x40, KMIN, KMIN - 1, 0, KMIN + 0x60, 0x800);
	expect_err(&mem16, size, "a.out kludge: load_end_addr 0xfffff is below load_addr "
				 "0x100000");

	size = build_aout(KMIN + 0x40, KMIN, KMIN + 0x900, 0, KMIN + 0x60, 0x800);
	expect_err(&mem16, size, "a.out kludge: [0x100000, 0x100900) needs file bytes [0, "
				 "0x900) but the file has 2048 bytes");

	size = build_aout(KMIN + 0x40, KMIN, KMIN + 0x100, KMIN + 0x80, KMIN + 0x60, 0x800);
	expect_err(&mem16, size, "a.out kludge: bss_end_addr 0x100080 is below the end of the "
				 "loaded bytes 0x100100");

	size = build_aout(KMIN + 0x40, KMIN, KMIN, 0, KMIN, 0x800);
	expect_err(&mem16, size, "a.out kludge: nothing to load");

	size = build_aout(KMIN + 0x40, KMIN, 0, KMIN + 0x3000, KMIN + 0x900, 0x800);
	expect_err(&mem16, size, "entry point 0x100900 is not inside");

	size = build_aout(0x80040, 0x80000, 0, 0, 0x80060, 0x800);
	expect_err(&mem16, size, "a.out kludge segment [0x80000, 0x80800) starts below 0x100000");

	size = build_aout(0xbffff040, 0xbffff000, 0, 0, 0xbffff060, 0x2000);
	expect_err(&mem16, size, "a.out kludge segment [0xbffff000, 0xc0001000) overlaps the "
				 "MMIO hole at 0xc0000000");
}

int main(void)
{
	if (images_init())
		return 1;
	RUN(test_empty);
	RUN(test_garbage);
	RUN(test_file_larger_than_ram);
	RUN(test_image_larger_than_ram);
	RUN(test_truncated_header);
	RUN(test_phdrs_past_eof);
	RUN(test_segment_past_eof);
	RUN(test_segment_offset_overflow);
	RUN(test_segment_address_overflow);
	RUN(test_filesz_above_memsz);
	RUN(test_segment_in_mmio_hole);
	RUN(test_segment_outside_ram);
	RUN(test_segment_in_boot_info);
	RUN(test_segment_in_boot_pgtable);
	RUN(test_segment_below_1m);
	RUN(test_segments_overlap);
	RUN(test_entry_outside);
	RUN(test_too_many_segments);
	RUN(test_bad_checksum);
	RUN(test_unknown_required_flags);
	RUN(test_mb_not_elf_no_kludge);
	RUN(test_elf32_without_multiboot);
	RUN(test_bad_elf_fields);
	RUN(test_aout_bad);
	return unit_done();
}
