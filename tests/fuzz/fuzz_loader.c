/*
 * fuzz_loader.c - libFuzzer target for the boot image path: loader_parse,
 * loader_apply, mbinfo_build and boot_setup_long_mode on 16 MiB of guest
 * RAM over a plain buffer, and loader_parse alone against a 5 GiB plan.
 *
 * Beyond memory errors it aborts when an image that parsed breaks the
 * promises of loader.h: segments in RAM above 1 MiB and clear of the hole
 * and of each other, file bytes inside the input, the entry inside a
 * segment's file bytes, and loaded bytes equal to the file's.
 *
 * Seeds: the images of tests/guests/mkimages.sh and mkbad.sh, written to
 * build/fuzz/seeds/fuzz_loader/ by tests/fuzz/mkseeds.sh.
 */
#include "vmm/layout.h"
#include "vmm/loader.h"
#include "vmm/mbinfo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RAM_SIZE (16 * LAYOUT_MiB)

static uint8_t ram[RAM_SIZE] __attribute__((aligned(4096)));

static void fuzz_assert(int cond, const char *what, const struct boot_image *bi)
{
	if (cond)
		return;
	fprintf(stderr, "invariant broken: %s (format %s, %d segments, entry %#llx)\n", what,
		loader_format_name(bi->format), bi->nr_segs, (unsigned long long)bi->entry);
	abort();
}

/* What loader.h promises about an image that parsed. */
static void check_image(const struct boot_image *bi, const struct guest_mem *mem, size_t size)
{
	uint64_t load_end = 0;
	int entry_ok = 0;

	fuzz_assert(bi->nr_segs >= 1 && bi->nr_segs <= BOOT_MAX_SEGS, "segment count", bi);
	fuzz_assert(bi->long_mode_entry == (bi->format == BOOT_ELF64), "entry mode", bi);
	for (int i = 0; i < bi->nr_segs; i++) {
		const struct boot_segment *s = &bi->segs[i];
		uint64_t end = s->gpa + s->memsz;

		fuzz_assert(s->memsz > 0 && s->filesz <= s->memsz, "sizes", bi);
		fuzz_assert(s->file_off <= size && s->filesz <= size - s->file_off, "file bytes",
			    bi);
		fuzz_assert(end > s->gpa, "no wrap", bi);
		fuzz_assert(guest_mem_is_ram(mem, s->gpa, s->memsz), "in RAM", bi);
		fuzz_assert(s->gpa >= LAYOUT_KERNEL_MIN, "above 1 MiB", bi);
		fuzz_assert(end <= LAYOUT_MMIO_HOLE || s->gpa >= LAYOUT_MMIO_HOLE_END, "hole", bi);
		fuzz_assert(bi->format == BOOT_ELF64 || end <= LAYOUT_MMIO_HOLE_END, "below 4 GiB",
			    bi);
		for (int j = 0; j < i; j++) {
			const struct boot_segment *t = &bi->segs[j];

			fuzz_assert(end <= t->gpa || t->gpa + t->memsz <= s->gpa, "overlap", bi);
		}
		if (bi->entry >= s->gpa && bi->entry - s->gpa < s->filesz)
			entry_ok = 1;
		if (end > load_end)
			load_end = end;
	}
	fuzz_assert(entry_ok, "entry", bi);
	fuzz_assert(load_end == bi->load_end, "load_end", bi);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct guest_mem mem, plan5g;
	struct boot_image bi;
	struct boot_long_mode lm;
	struct boot_module mods[2];
	char err[256];
	uint32_t mbi = 0;

	if (!mem.nr_regions) {
		if (guest_mem_init_from_buffer(&mem, RAM_SIZE, ram) ||
		    guest_mem_plan(&plan5g, 5 * LAYOUT_GiB))
			abort();
	}

	if (loader_parse(data, size, &plan5g, &bi, err, sizeof(err)) == 0)
		check_image(&bi, &plan5g, size);
	else
		fuzz_assert(err[0] != '\0' && strlen(err) < sizeof(err), "error message", &bi);

	if (loader_parse(data, size, &mem, &bi, err, sizeof(err)) != 0) {
		fuzz_assert(err[0] != '\0', "error message", &bi);
		return 0;
	}
	check_image(&bi, &mem, size);
	if (loader_apply(&bi, data, size, &mem) != 0)
		fuzz_assert(0, "apply of a parsed image", &bi);
	for (int i = 0; i < bi.nr_segs; i++) {
		const struct boot_segment *s = &bi.segs[i];
		const uint8_t *g = guest_mem_ptr(&mem, s->gpa, s->memsz);

		fuzz_assert(g && memcmp(g, data + s->file_off, s->filesz) == 0, "loaded bytes",
			    &bi);
		fuzz_assert(s->memsz == s->filesz || (g[s->filesz] == 0 && g[s->memsz - 1] == 0),
			    "BSS", &bi);
	}

	/* the image itself doubles as a module, and a small one follows */
	mods[0] = (struct boot_module){ data, size, "image" };
	mods[1] = (struct boot_module){ data, size < 64 ? size : 64, NULL };
	if (mbinfo_build(&mem, &bi, "fuzz.bin", "a=1 b", mods, 2, &mbi, err, sizeof(err)) == 0)
		fuzz_assert(mbi >= LAYOUT_BOOT_INFO && mbi < LAYOUT_BOOT_INFO_END, "mbi address",
			    &bi);
	else
		fuzz_assert(err[0] != '\0', "mbinfo error message", &bi);
	if (bi.long_mode_entry && boot_setup_long_mode(&mem, &lm) != 0)
		fuzz_assert(0, "long mode tables", &bi);
	return 0;
}
