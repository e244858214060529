/*
 * test_loader.c - boot image parsing and loading on well-formed images
 * built in memory: Multiboot ELF32/ELF64/a.out kludge and plain ELF64,
 * and the long-mode boot tables. Malformed images: test_loader_errors.c.
 */
#include "tests/unit/loader_images.h"

static void test_mb_elf32(void)
{
	struct boot_image bi;
	size_t size = mb_elf(ELFCLASS32, KMIN + 0x10, &one_seg, 1, 0x3);

	CHECK_EQ(parse(&mem16, size, &bi), 0);
	CHECK_EQ(bi.format, BOOT_MB_ELF32);
	CHECK_STR(loader_format_name(bi.format), "multiboot-elf32");
	CHECK(!bi.long_mode_entry);
	CHECK_EQ(bi.entry, KMIN + 0x10);
	CHECK_EQ(bi.nr_segs, 1);
	CHECK_EQ(bi.segs[0].gpa, KMIN);
	CHECK_EQ(bi.segs[0].file_off, 0x200);
	CHECK_EQ(bi.segs[0].filesz, 0x100);
	CHECK_EQ(bi.segs[0].memsz, 0x2000);
	CHECK_EQ(bi.load_end, KMIN + 0x2000);
	CHECK_EQ(bi.mb_flags, 0x3);
	CHECK_EQ(bi.mb_header_off, MB_OFF);

	memset(ram + KMIN, 0xaa, 0x3000);
	CHECK_EQ(loader_apply(&bi, img, size, &mem16), 0);
	CHECK(memcmp(ram + KMIN, img + 0x200, 0x100) == 0);
	CHECK_EQ(ram[KMIN + 0x100], 0);      /* BSS zeroed */
	CHECK_EQ(ram[KMIN + 0x1fff], 0);
	CHECK_EQ(ram[KMIN + 0x2000], 0xaa);  /* and no further */
}

static void test_mb_elf64(void)
{
	struct boot_image bi;
	size_t size = mb_elf(ELFCLASS64, KMIN, &one_seg, 1, 0);

	CHECK_EQ(parse(&mem16, size, &bi), 0);
	CHECK_EQ(bi.format, BOOT_MB_ELF64);
	CHECK(!bi.long_mode_entry);
	CHECK_EQ(bi.entry, KMIN);
}

static void test_plain_elf64(void)
{
	struct seg s[3] = {
		{ PT_NOTE, 0x200, 0, 0, 0x10, 0x10 },
		{ PT_LOAD, 0x200, KMIN, KMIN, 0x100, 0x100 },
		{ PT_LOAD, 0x300, 2 * MiB, 2 * MiB, 0x80, 0x5000 },
	};
	struct boot_image bi;
	size_t size = build_elf(ELFCLASS64, 2 * MiB + 4, s, 3);

	CHECK_EQ(parse(&mem16, size, &bi), 0);
	CHECK_EQ(bi.format, BOOT_ELF64);
	CHECK(bi.long_mode_entry);
	CHECK_EQ(bi.mb_flags, 0);
	CHECK_EQ(bi.nr_segs, 2);
	CHECK_EQ(bi.segs[1].gpa, 2 * MiB);
	CHECK_EQ(bi.load_end, 2 * MiB + 0x5000);
	CHECK_EQ(loader_apply(&bi, img, size, &mem16), 0);
	CHECK(memcmp(ram + 2 * MiB, img + 0x300, 0x80) == 0);
}

/* A kernel linked high: segments load by p_paddr, entry is translated. */
static void test_entry_translated(void)
{
	struct seg s = { PT_LOAD, 0x200, 0xffffffff80100000ULL, KMIN, 0x100, 0x100 };
	struct boot_image bi;
	size_t size = build_elf(ELFCLASS64, 0xffffffff80100020ULL, &s, 1);

	CHECK_EQ(parse(&mem16, size, &bi), 0);
	CHECK_EQ(bi.entry, KMIN + 0x20);
	CHECK_EQ(bi.segs[0].gpa, KMIN);
}

/* Segments of memsz 0 and non-PT_LOAD headers are skipped. */
static void test_empty_segment_skipped(void)
{
	struct seg s[2] = {
		{ PT_LOAD, 0x200, 0, 0, 0, 0 },
		{ PT_LOAD, 0x200, KMIN, KMIN, 0x100, 0x100 },
	};
	struct boot_image bi;
	size_t size = mb_elf(ELFCLASS32, KMIN, s, 2, 0);

	CHECK_EQ(parse(&mem16, size, &bi), 0);
	CHECK_EQ(bi.nr_segs, 1);
}

static void test_aout(void)
{
	struct boot_image bi;
	size_t size = build_aout(KMIN + 0x40, KMIN, 0, KMIN + 0x3000, KMIN + 0x60, 0x800);

	CHECK_EQ(parse(&mem16, size, &bi), 0);
	CHECK_EQ(bi.format, BOOT_MB_AOUT);
	CHECK(!bi.long_mode_entry);
	CHECK_EQ(bi.entry, KMIN + 0x60);
	CHECK_EQ(bi.nr_segs, 1);
	CHECK_EQ(bi.segs[0].gpa, KMIN);
	CHECK_EQ(bi.segs[0].file_off, 0);
	CHECK_EQ(bi.segs[0].filesz, 0x800);
	CHECK_EQ(bi.segs[0].memsz, 0x3000);
	CHECK_EQ(bi.load_end, KMIN + 0x3000);
	memset(ram + KMIN, 0xaa, 0x4000);
	CHECK_EQ(loader_apply(&bi, img, size, &mem16), 0);
	CHECK(memcmp(ram + KMIN, img, 0x800) == 0);
	CHECK_EQ(ram[KMIN + 0x800], 0);
	CHECK_EQ(ram[KMIN + 0x2fff], 0);
	CHECK_EQ(ram[KMIN + 0x3000], 0xaa);
}

/* load_addr after the file start: the bytes before it are skipped. */
static void test_aout_offset_and_load_end(void)
{
	struct boot_image bi;
	size_t size = build_aout(KMIN + 0x10, KMIN, KMIN + 0x100, 0, KMIN + 0x30, 0x800);

	CHECK_EQ(parse(&mem16, size, &bi), 0);
	CHECK_EQ(bi.segs[0].file_off, 0x30);
	CHECK_EQ(bi.segs[0].filesz, 0x100);
	CHECK_EQ(bi.segs[0].memsz, 0x100);
}

/* The header may be anywhere 4-byte aligned in the first 8 KiB. */
static void test_mb_header_search(void)
{
	struct boot_image bi;
	size_t size = build_elf(ELFCLASS32, KMIN, &one_seg, 1);

	size = 0x3000;
	put_mb(8192 - 12, 0, NULL);
	CHECK_EQ(parse(&mem16, size, &bi), 0);
	CHECK_EQ(bi.mb_header_off, 8192 - 12);

	build_elf(ELFCLASS32, KMIN, &one_seg, 1);
	put_mb(8192, 0, NULL); /* too late: a plain ELF32 then */
	expect_err(&mem16, size, "ELF image without a Multiboot header is not ELF64");

	build_elf(ELFCLASS32, KMIN, &one_seg, 1);
	put_mb(MB_OFF + 2, 0, NULL); /* unaligned: not a header */
	expect_err(&mem16, size, "ELF image without a Multiboot header is not ELF64");
}

/* Video mode (bit 2) is accepted and ignored: there is no framebuffer. */
static void test_mb_video_flag_ignored(void)
{
	struct boot_image bi;
	size_t size = mb_elf(ELFCLASS32, KMIN, &one_seg, 1, MULTIBOOT_FLAG_VIDEO_MODE | 0x3);

	CHECK_EQ(parse(&mem16, size, &bi), 0);
	CHECK_EQ(bi.mb_flags, 0x7);
}

/* Plain ELF64 may use RAM above 4 GiB; the plan alone is enough. */
static void test_elf64_high_segment(void)
{
	struct seg s[2] = {
		{ PT_LOAD, 0x200, KMIN, KMIN, 0x100, 0x100 },
		{ PT_LOAD, 0x300, 4 * GiB, 4 * GiB, 0x100, 0x1000 },
	};
	struct guest_mem m5;
	struct boot_image bi;
	size_t size = build_elf(ELFCLASS64, KMIN, s, 2);

	CHECK_EQ(guest_mem_plan(&m5, 5 * GiB), 0);
	CHECK_EQ(parse(&m5, size, &bi), 0);
	CHECK_EQ(bi.load_end, 4 * GiB + 0x1000);
	/* the same segments in a Multiboot image must stay below 4 GiB */
	put_mb(MB_OFF, 0, NULL);
	expect_err(&m5, size, "segment 1 [0x100000000, 0x100001000) is above 4 GiB: "
			      "a Multiboot image loads below 4 GiB");
	/* and a plain ELF64 must start below 4 GiB, inside the boot page tables */
	build_elf(ELFCLASS64, 4 * GiB, s, 2);
	expect_err(&m5, size, "entry point 0x100000000 is above 4 GiB");
}


/* apply refuses a boot image that does not match the buffer or RAM. */
static void test_apply_checks(void)
{
	struct boot_image bi;
	size_t size = mb_elf(ELFCLASS32, KMIN, &one_seg, 1, 0);

	CHECK_EQ(parse(&mem16, size, &bi), 0);
	CHECK_EQ(loader_apply(&bi, img, 0x250, &mem16), -EINVAL);
	bi.segs[0].gpa = 16 * MiB - 0x100;
	CHECK_EQ(loader_apply(&bi, img, size, &mem16), -EFAULT);
}

/* The long-mode tables: identity map of 4 GiB, flat GDT, a TSS. */
static void test_long_mode_tables(void)
{
	struct boot_long_mode lm;
	uint64_t e, gdt[5];

	memset(ram + LAYOUT_BOOT_PGTABLE, 0xcc, LAYOUT_BOOT_PGTABLE_END - LAYOUT_BOOT_PGTABLE);
	CHECK_EQ(boot_setup_long_mode(&mem16, &lm), 0);
	CHECK(lm.cr3 >= LAYOUT_BOOT_PGTABLE && lm.cr3 < LAYOUT_BOOT_PGTABLE_END);
	CHECK_EQ(lm.cr3 & 0xfff, 0);
	CHECK_EQ(lm.cr0 & 0x80000001, 0x80000001);
	CHECK_EQ(lm.cr4 & 0x20, 0x20);
	CHECK_EQ(lm.efer & 0x500, 0x500);

	/* walk 0xbfe00000 (the last 2 MiB page below the hole) and 0xfee00000 */
	uint64_t addrs[] = { 0, 0x200000, 0xbfe00000, 0xfee00000, 0xffe00000 };
	for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		uint64_t va = addrs[i], pdpt, pd;

		memcpy(&e, ram + lm.cr3 + 8 * ((va >> 39) & 511), 8);
		CHECK_EQ(e & 3, 3);
		pdpt = e & ~0xfffULL;
		memcpy(&e, ram + pdpt + 8 * ((va >> 30) & 511), 8);
		CHECK_EQ(e & 3, 3);
		pd = e & ~0xfffULL;
		CHECK(pd >= LAYOUT_BOOT_PGTABLE && pd < LAYOUT_BOOT_PGTABLE_END);
		memcpy(&e, ram + pd + 8 * ((va >> 21) & 511), 8);
		CHECK_EQ(e & 0x83, 0x83);
		CHECK_EQ(e & ~0x1fffffULL, va);
	}
	memcpy(&e, ram + lm.cr3 + 8, 8);
	CHECK_EQ(e, 0); /* nothing above 512 GiB */

	CHECK(lm.gdt_base >= LAYOUT_BOOT_PGTABLE && lm.gdt_base < LAYOUT_BOOT_PGTABLE_END);
	CHECK_EQ(lm.gdt_limit, 39);
	memcpy(gdt, ram + lm.gdt_base, sizeof(gdt));
	CHECK_EQ(gdt[0], 0);
	CHECK_EQ((gdt[lm.code_sel >> 3] >> 40) & 0xff, 0x9b); /* present, code */
	CHECK_EQ((gdt[lm.code_sel >> 3] >> 53) & 1, 1);       /* L */
	CHECK_EQ((gdt[lm.data_sel >> 3] >> 40) & 0xff, 0x93);
	CHECK_EQ((gdt[lm.tss_sel >> 3] >> 40) & 0xff, 0x89);
	CHECK_EQ((gdt[lm.tss_sel >> 3] & 0xffff), lm.tss_limit);
	CHECK_EQ(((gdt[lm.tss_sel >> 3] >> 16) & 0xffffff) | ((gdt[lm.tss_sel >> 3] >> 56) << 24),
		 lm.tss_base);
	CHECK(lm.tss_base >= LAYOUT_BOOT_PGTABLE && lm.tss_base + lm.tss_limit <
		LAYOUT_BOOT_PGTABLE_END);
}

int main(void)
{
	if (images_init())
		return 1;
	RUN(test_mb_elf32);
	RUN(test_mb_elf64);
	RUN(test_plain_elf64);
	RUN(test_entry_translated);
	RUN(test_empty_segment_skipped);
	RUN(test_aout);
	RUN(test_aout_offset_and_load_end);
	RUN(test_mb_header_search);
	RUN(test_mb_video_flag_ignored);
	RUN(test_elf64_high_segment);
	RUN(test_apply_checks);
	RUN(test_long_mode_tables);
	return unit_done();
}
