/*
 * test_mbinfo.c - the Multiboot information structure: memory map, command
 * line, loader name, modules and their placement, and the limits.
 */
#include "tests/unit/unit.h"
#include "vmm/layout.h"
#include "vmm/mbinfo.h"

#include <errno.h>
#include <stdlib.h>

#define MiB LAYOUT_MiB
#define GiB LAYOUT_GiB

static uint8_t ram[16 * 1024 * 1024];
static struct guest_mem mem16;
static char err[256];

/* A kernel that ends at load_end, as loader_parse() would describe it. */
static struct boot_image kernel(uint64_t load_end)
{
	struct boot_image bi = { .format = BOOT_MB_ELF32, .entry = LAYOUT_KERNEL_MIN,
				 .nr_segs = 1, .load_end = load_end };

	bi.segs[0] = (struct boot_segment){ LAYOUT_KERNEL_MIN, 0, 0x100,
					    load_end - LAYOUT_KERNEL_MIN };
	return bi;
}

static struct multiboot_info read_mbi(const struct guest_mem *m, uint32_t gpa)
{
	struct multiboot_info mbi;

	memset(&mbi, 0, sizeof(mbi));
	CHECK_EQ(guest_mem_read(m, gpa, &mbi, sizeof(mbi)), 0);
	return mbi;
}

static const char *gstr(const struct guest_mem *m, uint32_t gpa)
{
	const char *s = guest_mem_ptr(m, gpa, 1);

	return s ? s : "(not RAM)";
}

static void check_mmap_entry(const struct guest_mem *m, uint32_t at, uint64_t addr,
			     uint64_t len, uint32_t type)
{
	struct multiboot_mmap_entry e;

	CHECK_EQ(guest_mem_read(m, at, &e, sizeof(e)), 0);
	CHECK_EQ(e.size, 20);
	CHECK_EQ(e.addr, addr);
	CHECK_EQ(e.len, len);
	CHECK_EQ(e.type, type);
}

static void test_basic(void)
{
	struct boot_image bi = kernel(LAYOUT_KERNEL_MIN + 0x2345);
	struct multiboot_info mbi;
	uint32_t gpa = 0;

	memset(ram + LAYOUT_BOOT_INFO, 0xee, LAYOUT_BOOT_INFO_END - LAYOUT_BOOT_INFO);
	CHECK_EQ(mbinfo_build(&mem16, &bi, "build/guest.bin", "tests=hello", NULL, 0, &gpa, err,
			      sizeof(err)), 0);
	CHECK(gpa >= LAYOUT_BOOT_INFO && gpa < LAYOUT_BOOT_INFO_END);
	mbi = read_mbi(&mem16, gpa);
	CHECK_EQ(mbi.flags, MBI_FLAG_MEM | MBI_FLAG_CMDLINE | MBI_FLAG_MODS | MBI_FLAG_MMAP |
				    MBI_FLAG_LOADER_NAME);
	CHECK_EQ(mbi.mem_lower, 639);
	CHECK_EQ(mbi.mem_upper, 15 * 1024);
	CHECK_STR(gstr(&mem16, mbi.cmdline), "build/guest.bin tests=hello");
	CHECK_STR(gstr(&mem16, mbi.boot_loader_name), "vmm");
	CHECK_EQ(mbi.mods_count, 0);
	CHECK_EQ(mbi.mmap_length, 3 * 24);
	check_mmap_entry(&mem16, mbi.mmap_addr, 0, 0x9fc00, MBI_MMAP_AVAILABLE);
	check_mmap_entry(&mem16, mbi.mmap_addr + 24, 0x9fc00, 0x100000 - 0x9fc00,
			 MBI_MMAP_RESERVED);
	check_mmap_entry(&mem16, mbi.mmap_addr + 48, 0x100000, 15 * MiB, MBI_MMAP_AVAILABLE);
	/* everything the info points at is inside the boot info area */
	CHECK(mbi.cmdline >= LAYOUT_BOOT_INFO && mbi.cmdline < LAYOUT_BOOT_INFO_END);
	CHECK(mbi.mmap_addr >= LAYOUT_BOOT_INFO && mbi.mmap_addr < LAYOUT_BOOT_INFO_END);
	/* and the rest of the area was cleared */
	CHECK_EQ(ram[LAYOUT_BOOT_INFO_END - 1], 0);
}

static void test_cmdline_path_only(void)
{
	struct boot_image bi = kernel(LAYOUT_KERNEL_MIN + 0x1000);
	uint32_t gpa = 0;

	CHECK_EQ(mbinfo_build(&mem16, &bi, "k.bin", NULL, NULL, 0, &gpa, err, sizeof(err)), 0);
	CHECK_STR(gstr(&mem16, read_mbi(&mem16, gpa).cmdline), "k.bin");
	CHECK_EQ(mbinfo_build(&mem16, &bi, "k.bin", "", NULL, 0, &gpa, err, sizeof(err)), 0);
	CHECK_STR(gstr(&mem16, read_mbi(&mem16, gpa).cmdline), "k.bin");
}

/* Modules follow the kernel page aligned, with their names. */
static void test_modules(void)
{
	static const char a[] = "first module", b[5000] = "second";
	struct boot_module mods[3] = {
		{ a, sizeof(a), "initrd" },
		{ b, sizeof(b), "dtb" },
		{ "", 0, NULL },
	};
	struct boot_image bi = kernel(LAYOUT_KERNEL_MIN + 0x2345);
	struct multiboot_module ml[3];
	struct multiboot_info mbi;
	uint32_t gpa = 0;

	CHECK_EQ(mbinfo_build(&mem16, &bi, "g.bin", "x", mods, 3, &gpa, err, sizeof(err)), 0);
	mbi = read_mbi(&mem16, gpa);
	CHECK_EQ(mbi.mods_count, 3);
	CHECK_EQ(guest_mem_read(&mem16, mbi.mods_addr, ml, sizeof(ml)), 0);
	CHECK_EQ(ml[0].mod_start, LAYOUT_KERNEL_MIN + 0x3000);
	CHECK_EQ(ml[0].mod_end, LAYOUT_KERNEL_MIN + 0x3000 + sizeof(a));
	CHECK_EQ(ml[1].mod_start, LAYOUT_KERNEL_MIN + 0x4000);
	CHECK_EQ(ml[1].mod_end, LAYOUT_KERNEL_MIN + 0x4000 + sizeof(b));
	CHECK_EQ(ml[2].mod_start, LAYOUT_KERNEL_MIN + 0x6000);
	CHECK_EQ(ml[2].mod_end, ml[2].mod_start);
	CHECK_STR(gstr(&mem16, ml[0].string), "initrd");
	CHECK_STR(gstr(&mem16, ml[1].string), "dtb");
	CHECK_STR(gstr(&mem16, ml[2].string), "");
	CHECK(memcmp(ram + ml[0].mod_start, a, sizeof(a)) == 0);
	CHECK(memcmp(ram + ml[1].mod_start, b, sizeof(b)) == 0);
	for (int i = 0; i < 3; i++)
		CHECK_EQ(ml[i].reserved, 0);
}

/* With more than 3 GiB the map lists RAM above 4 GiB and skips the hole. */
static void test_mmap_high(void)
{
	struct boot_image bi = kernel(LAYOUT_KERNEL_MIN + 0x1000);
	struct multiboot_info mbi;
	struct guest_mem m;
	uint32_t gpa = 0;

	if (guest_mem_create(&m, 5 * GiB, GUEST_MEM_ANON)) {
		fprintf(stderr, "%s\n", m.error);
		CHECK(0);
		return;
	}
	CHECK_EQ(mbinfo_build(&m, &bi, "g", NULL, NULL, 0, &gpa, err, sizeof(err)), 0);
	mbi = read_mbi(&m, gpa);
	CHECK_EQ(mbi.mem_upper, (3 * GiB - MiB) / 1024);
	CHECK_EQ(mbi.mmap_length, 4 * 24);
	check_mmap_entry(&m, mbi.mmap_addr + 48, 0x100000, 3 * GiB - MiB, MBI_MMAP_AVAILABLE);
	check_mmap_entry(&m, mbi.mmap_addr + 72, 4 * GiB, 2 * GiB, MBI_MMAP_AVAILABLE);
	guest_mem_destroy(&m);
}

static void test_module_too_big(void)
{
	size_t size = 15 * MiB;
	void *data = calloc(1, size);
	struct boot_module mod = { data, size, "huge.img" };
	struct boot_image bi = kernel(LAYOUT_KERNEL_MIN + 0x1000);
	uint32_t gpa = 0;

	CHECK_EQ(mbinfo_build(&mem16, &bi, "g", NULL, &mod, 1, &gpa, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "module huge.img (15728640 bytes) does not fit in low RAM: it would occupy "
		       "[0x101000, 0x1001000) but low RAM ends at 0x1000000");
	/* exactly up to the end of RAM fits */
	mod.size = 16 * MiB - 0x101000;
	CHECK_EQ(mbinfo_build(&mem16, &bi, "g", NULL, &mod, 1, &gpa, err, sizeof(err)), 0);
	free(data);
}

/* A kernel that fills RAM leaves no room even for an empty module. */
static void test_module_after_full_kernel(void)
{
	struct boot_module mod = { "", 0, "dtb" };
	struct boot_image bi = kernel(16 * MiB + 1);
	uint32_t gpa = 0;

	CHECK_EQ(mbinfo_build(&mem16, &bi, "g", NULL, &mod, 1, &gpa, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "module dtb (0 bytes) does not fit in low RAM") != NULL);
}

static void test_info_area_full(void)
{
	size_t len = LAYOUT_BOOT_INFO_END - LAYOUT_BOOT_INFO;
	char *args = malloc(len);
	struct boot_image bi = kernel(LAYOUT_KERNEL_MIN + 0x1000);
	struct boot_module mod = { "x", 1, NULL };
	uint32_t gpa = 0;

	memset(args, 'a', len - 1);
	args[len - 1] = '\0';
	CHECK_EQ(mbinfo_build(&mem16, &bi, "g", args, NULL, 0, &gpa, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "boot info area [0x10000, 0x70000) is full: the command line or module "
		       "names are too long");
	/* a long module name fills it too */
	mod.name = args;
	CHECK_EQ(mbinfo_build(&mem16, &bi, "g", NULL, &mod, 1, &gpa, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "is full") != NULL);
	/* a command line that just fits */
	args[len - 1024] = '\0';
	CHECK_EQ(mbinfo_build(&mem16, &bi, "g", args, NULL, 0, &gpa, err, sizeof(err)), 0);
	free(args);
}

static void test_bad_arguments(void)
{
	struct boot_image bi = kernel(LAYOUT_KERNEL_MIN + 0x1000);
	struct boot_module mods[MBINFO_MAX_MODS + 1];
	uint32_t gpa = 0;

	for (int i = 0; i <= MBINFO_MAX_MODS; i++)
		mods[i] = (struct boot_module){ "m", 1, "m" };
	CHECK_EQ(mbinfo_build(&mem16, &bi, "g", NULL, mods, MBINFO_MAX_MODS, &gpa, err,
			      sizeof(err)), 0);
	CHECK_EQ(mbinfo_build(&mem16, &bi, "g", NULL, mods, MBINFO_MAX_MODS + 1, &gpa, err,
			      sizeof(err)), -EINVAL);
	CHECK_STR(err, "33 modules: at most 32 are supported");
	CHECK_EQ(mbinfo_build(&mem16, &bi, "g", NULL, mods, -1, &gpa, err, sizeof(err)), -EINVAL);
	CHECK_EQ(mbinfo_build(&mem16, &bi, "g", NULL, NULL, 1, &gpa, err, sizeof(err)), -EINVAL);
	CHECK_EQ(mbinfo_build(&mem16, &bi, NULL, NULL, NULL, 0, &gpa, err, sizeof(err)), -EINVAL);
}

int main(void)
{
	if (guest_mem_init_from_buffer(&mem16, sizeof(ram), ram)) {
		fprintf(stderr, "guest_mem_init_from_buffer failed\n");
		return 1;
	}
	RUN(test_basic);
	RUN(test_cmdline_path_only);
	RUN(test_modules);
	RUN(test_mmap_high);
	RUN(test_module_too_big);
	RUN(test_module_after_full_kernel);
	RUN(test_info_area_full);
	RUN(test_bad_arguments);
	return unit_done();
}
