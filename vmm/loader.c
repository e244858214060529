/*
 * loader.c - parse and load Multiboot v1 and plain ELF64 boot images.
 *
 * Every header field of the image is untrusted: offsets and sizes are
 * checked against the buffer with overflow-safe arithmetic, and every
 * segment against the guest's RAM plan, before anything is copied.
 */
#include "vmm/loader.h"
#include "vmm/layout.h"

#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "headers are read in host order");

/* Parse state: the image, the RAM plan, the result and the error buffer. */
struct parse {
	const uint8_t *img;
	size_t size;
	const struct guest_mem *mem;
	struct boot_image *bi;
	int seg_index[BOOT_MAX_SEGS]; /* ELF program header index, for messages */
	uint64_t seg_vaddr[BOOT_MAX_SEGS];
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 2, 3)))
static int parse_fail(struct parse *p, const char *fmt, ...)
{
	va_list ap;

	if (p->err && p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->err, p->errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static uint32_t rd32(const uint8_t *b)
{
	uint32_t v;

	memcpy(&v, b, sizeof(v));
	return v;
}

/* True when [off, off + len) lies inside the image. */
static bool in_file(const struct parse *p, uint64_t off, uint64_t len)
{
	return off <= p->size && len <= p->size - off;
}

/* Record a segment; idx is the program header index (-1: a.out kludge). */
static int seg_add(struct parse *p, int idx, uint64_t gpa, uint64_t vaddr, uint64_t off,
		   uint64_t filesz, uint64_t memsz)
{
	struct boot_image *bi = p->bi;

	if (bi->nr_segs == BOOT_MAX_SEGS)
		return parse_fail(p, "more than %d loadable segments", BOOT_MAX_SEGS);
	p->seg_index[bi->nr_segs] = idx;
	p->seg_vaddr[bi->nr_segs] = vaddr;
	bi->segs[bi->nr_segs++] = (struct boot_segment){
		.gpa = gpa, .file_off = off, .filesz = filesz, .memsz = memsz,
	};
	return 0;
}

/*
 * Find the Multiboot header: a 4-byte aligned magic in the first 8 KiB
 * whose magic + flags + checksum is 0. Returns 1 with *off set, 0 when the
 * image has none, -EINVAL when the only headers found have bad checksums.
 */
static int mb_find(struct parse *p, uint32_t *off)
{
	size_t lim = p->size < MULTIBOOT_SEARCH_BYTES ? p->size : MULTIBOOT_SEARCH_BYTES;
	uint32_t sum = 0;
	bool bad = false;

	for (size_t o = 0; o + 12 <= lim; o += 4) {
		uint32_t magic = rd32(p->img + o), flags = rd32(p->img + o + 4);

		if (magic != MULTIBOOT_HEADER_MAGIC)
			continue;
		if ((uint32_t)(magic + flags + rd32(p->img + o + 8)) == 0) {
			*off = (uint32_t)o;
			return 1;
		}
		if (!bad) {
			bad = true;
			*off = (uint32_t)o;
			sum = magic + flags + rd32(p->img + o + 8);
		}
	}
	if (bad)
		return parse_fail(p, "Multiboot header at offset %#x has a bad checksum "
				  "(magic + flags + checksum = %#x, not 0)", *off, sum);
	return 0;
}

/*
 * The a.out kludge: the header's address fields say where the file goes.
 * header_addr is where the header itself lands, which fixes the file
 * offset of load_addr; load_end_addr 0 means "to the end of the file",
 * bss_end_addr 0 means no BSS.
 */
static int parse_aout(struct parse *p, uint32_t hoff)
{
	uint64_t header_addr, load_addr, load_end, bss_end, file_off, filesz, memsz;
	const uint8_t *h = p->img + hoff;

	if (!in_file(p, hoff, 32))
		return parse_fail(p, "Multiboot header at offset %#x: a.out kludge fields "
				  "run past the end of the file (%zu bytes)", hoff, p->size);
	header_addr = rd32(h + 12);
	load_addr = rd32(h + 16);
	load_end = rd32(h + 20);
	bss_end = rd32(h + 24);
	p->bi->entry = rd32(h + 28);

	if (load_addr > header_addr)
		return parse_fail(p, "a.out kludge: load_addr %#llx is above header_addr %#llx",
				  (unsigned long long)load_addr, (unsigned long long)header_addr);
	if (header_addr - load_addr > hoff)
		return parse_fail(p, "a.out kludge: load_addr %#llx starts %#llx bytes before "
				  "the header, which is at file offset %#x",
				  (unsigned long long)load_addr,
				  (unsigned long long)(header_addr - load_addr), hoff);
	file_off = hoff - (header_addr - load_addr);

	if (load_end == 0) {
		filesz = p->size - file_off;
	} else {
		if (load_end < load_addr)
			return parse_fail(p, "a.out kludge: load_end_addr %#llx is below "
					  "load_addr %#llx", (unsigned long long)load_end,
					  (unsigned long long)load_addr);
		filesz = load_end - load_addr;
		if (!in_file(p, file_off, filesz))
			return parse_fail(p, "a.out kludge: [%#llx, %#llx) needs file bytes "
					  "[%#llx, %#llx) but the file has %zu bytes",
					  (unsigned long long)load_addr,
					  (unsigned long long)load_end,
					  (unsigned long long)file_off,
					  (unsigned long long)(file_off + filesz), p->size);
	}
	memsz = filesz;
	if (bss_end) {
		if (bss_end < load_addr + filesz)
			return parse_fail(p, "a.out kludge: bss_end_addr %#llx is below the "
					  "end of the loaded bytes %#llx",
					  (unsigned long long)bss_end,
					  (unsigned long long)(load_addr + filesz));
		memsz = bss_end - load_addr;
	}
	if (memsz == 0)
		return parse_fail(p, "a.out kludge: nothing to load");
	p->bi->format = BOOT_MB_AOUT;
	return seg_add(p, -1, load_addr, load_addr, file_off, filesz, memsz);
}

/* The ELF header fields the loader uses, widened to 64 bits. */
struct elf_info {
	unsigned cls;
	uint16_t type, machine, phentsize, phnum;
	uint64_t entry, phoff;
};

static int elf_read_header(struct parse *p, struct elf_info *e)
{
	const uint8_t *id = p->img;

	if (p->size < EI_NIDENT)
		return parse_fail(p, "truncated ELF header (%zu bytes, need %d)", p->size,
				  EI_NIDENT);
	e->cls = id[EI_CLASS];
	if (id[EI_DATA] != ELFDATA2LSB)
		return parse_fail(p, "ELF data encoding %u is not little-endian", id[EI_DATA]);
	if (e->cls == ELFCLASS32) {
		Elf32_Ehdr h;

		if (p->size < sizeof(h))
			return parse_fail(p, "truncated ELF header (%zu bytes, need %zu)",
					  p->size, sizeof(h));
		memcpy(&h, p->img, sizeof(h));
		*e = (struct elf_info){ e->cls, h.e_type, h.e_machine, h.e_phentsize,
					h.e_phnum, h.e_entry, h.e_phoff };
		if (e->phentsize != sizeof(Elf32_Phdr))
			return parse_fail(p, "ELF program header size %u, expected %zu",
					  e->phentsize, sizeof(Elf32_Phdr));
	} else if (e->cls == ELFCLASS64) {
		Elf64_Ehdr h;

		if (p->size < sizeof(h))
			return parse_fail(p, "truncated ELF header (%zu bytes, need %zu)",
					  p->size, sizeof(h));
		memcpy(&h, p->img, sizeof(h));
		*e = (struct elf_info){ e->cls, h.e_type, h.e_machine, h.e_phentsize,
					h.e_phnum, h.e_entry, h.e_phoff };
		if (e->phentsize != sizeof(Elf64_Phdr))
			return parse_fail(p, "ELF program header size %u, expected %zu",
					  e->phentsize, sizeof(Elf64_Phdr));
	} else {
		return parse_fail(p, "ELF class %u is neither 32- nor 64-bit", e->cls);
	}
	if (id[EI_VERSION] != EV_CURRENT)
		return parse_fail(p, "ELF version %u is not %u", id[EI_VERSION], EV_CURRENT);
	if (e->type != ET_EXEC)
		return parse_fail(p, "ELF type %u is not an executable (ET_EXEC)", e->type);
	if (e->machine != EM_386 && e->machine != EM_X86_64)
		return parse_fail(p, "ELF machine %u is not x86", e->machine);
	if (e->phnum == 0 || e->phnum == PN_XNUM)
		return parse_fail(p, "ELF has no program headers (e_phnum %u)", e->phnum);
	if (!in_file(p, e->phoff, (uint64_t)e->phnum * e->phentsize))
		return parse_fail(p, "ELF program headers at offset %#llx (%u of %u bytes) run "
				  "past the end of the file (%zu bytes)",
				  (unsigned long long)e->phoff, e->phnum, e->phentsize, p->size);
	return 0;
}

/* Collect the PT_LOAD segments and translate the entry point to physical. */
static int parse_elf(struct parse *p)
{
	struct boot_image *bi = p->bi;
	struct elf_info e = { 0 };
	int ret;

	ret = elf_read_header(p, &e);
	if (ret)
		return ret;
	for (int i = 0; i < e.phnum; i++) {
		const uint8_t *ph = p->img + e.phoff + (uint64_t)i * e.phentsize;
		uint64_t type, off, vaddr, paddr, filesz, memsz;

		if (e.cls == ELFCLASS32) {
			Elf32_Phdr h;

			memcpy(&h, ph, sizeof(h));
			type = h.p_type, off = h.p_offset, vaddr = h.p_vaddr;
			paddr = h.p_paddr, filesz = h.p_filesz, memsz = h.p_memsz;
		} else {
			Elf64_Phdr h;

			memcpy(&h, ph, sizeof(h));
			type = h.p_type, off = h.p_offset, vaddr = h.p_vaddr;
			paddr = h.p_paddr, filesz = h.p_filesz, memsz = h.p_memsz;
		}
		if (type != PT_LOAD)
			continue;
		if (filesz > memsz)
			return parse_fail(p, "segment %d: file size %#llx is larger than its "
					  "memory size %#llx", i, (unsigned long long)filesz,
					  (unsigned long long)memsz);
		if (memsz == 0)
			continue;
		if (!in_file(p, off, filesz))
			return parse_fail(p, "segment %d: file bytes at offset %#llx (%#llx bytes) "
					  "run past the end of the file (%zu bytes)", i,
					  (unsigned long long)off, (unsigned long long)filesz,
					  p->size);
		ret = seg_add(p, i, paddr, vaddr, off, filesz, memsz);
		if (ret)
			return ret;
	}
	if (bi->nr_segs == 0)
		return parse_fail(p, "ELF has no loadable segments");

	/* A kernel linked high has e_entry virtual: map it through its segment. */
	bi->entry = e.entry;
	for (int i = 0; i < bi->nr_segs; i++) {
		uint64_t va = p->seg_vaddr[i];

		if (e.entry >= va && e.entry - va < bi->segs[i].filesz) {
			bi->entry = e.entry - va + bi->segs[i].gpa;
			break;
		}
	}
	return 0;
}

static void seg_name(const struct parse *p, int i, char *buf, size_t len)
{
	if (p->seg_index[i] < 0)
		snprintf(buf, len, "a.out kludge segment");
	else
		snprintf(buf, len, "segment %d", p->seg_index[i]);
}

/* Describe guest RAM as "[0, low) and [4G, end)" for messages. */
static void ram_ranges(const struct guest_mem *mem, char *buf, size_t len)
{
	const struct guest_mem_region *r = mem->regions;

	if (mem->nr_regions > 1)
		snprintf(buf, len, "[0, %#llx) and [%#llx, %#llx)",
			 (unsigned long long)r[0].size, (unsigned long long)r[1].gpa,
			 (unsigned long long)(r[1].gpa + r[1].size));
	else
		snprintf(buf, len, "[0, %#llx)", (unsigned long long)r[0].size);
}

static bool overlaps(uint64_t a, uint64_t a_end, uint64_t b, uint64_t b_end)
{
	return a < b_end && b < a_end;
}

/* Check one segment's placement against the address map. */
static int check_segment(struct parse *p, int i, bool multiboot)
{
	const struct boot_segment *s = &p->bi->segs[i];
	unsigned long long start = s->gpa, end = s->gpa + s->memsz;
	char name[32], ram[96];

	seg_name(p, i, name, sizeof(name));
	if (s->gpa + s->memsz < s->gpa)
		return parse_fail(p, "%s: address %#llx + size %#llx overflows", name, start,
				  (unsigned long long)s->memsz);
	if (overlaps(start, end, LAYOUT_MMIO_HOLE, LAYOUT_MMIO_HOLE_END))
		return parse_fail(p, "%s [%#llx, %#llx) overlaps the MMIO hole at %#llx", name,
				  start, end, LAYOUT_MMIO_HOLE);
	if (multiboot && end > LAYOUT_MMIO_HOLE_END)
		return parse_fail(p, "%s [%#llx, %#llx) is above 4 GiB: a Multiboot image "
				  "loads below 4 GiB", name, start, end);
	if (!guest_mem_is_ram(p->mem, s->gpa, s->memsz)) {
		ram_ranges(p->mem, ram, sizeof(ram));
		return parse_fail(p, "%s [%#llx, %#llx) is outside guest RAM %s", name, start,
				  end, ram);
	}
	if (overlaps(start, end, LAYOUT_BOOT_INFO, LAYOUT_BOOT_INFO_END))
		return parse_fail(p, "%s [%#llx, %#llx) overlaps the boot info area "
				  "[%#llx, %#llx)", name, start, end, LAYOUT_BOOT_INFO,
				  LAYOUT_BOOT_INFO_END);
	if (overlaps(start, end, LAYOUT_BOOT_PGTABLE, LAYOUT_BOOT_PGTABLE_END))
		return parse_fail(p, "%s [%#llx, %#llx) overlaps the boot page tables "
				  "[%#llx, %#llx)", name, start, end, LAYOUT_BOOT_PGTABLE,
				  LAYOUT_BOOT_PGTABLE_END);
	if (start < LAYOUT_KERNEL_MIN)
		return parse_fail(p, "%s [%#llx, %#llx) starts below %#llx: the low 1 MiB "
				  "is reserved", name, start, end, LAYOUT_KERNEL_MIN);
	return 0;
}

/* Checks common to every format, once the segments and entry are known. */
static int check_image(struct parse *p)
{
	struct boot_image *bi = p->bi;
	bool multiboot = bi->format != BOOT_ELF64;
	uint64_t total = 0;
	char a[32], b[32];
	int ret;

	/*
	 * What must fit is what loads: a file may be larger than RAM (debug
	 * sections) as long as its segments fit.
	 */
	for (int i = 0; i < bi->nr_segs; i++)
		if (__builtin_add_overflow(total, bi->segs[i].memsz, &total))
			total = UINT64_MAX;
	if (total > p->mem->ram_size)
		return parse_fail(p, "image needs %llu MiB of memory but the VM has %llu MiB "
				  "of RAM", (unsigned long long)(total / LAYOUT_MiB) +
				  (total % LAYOUT_MiB != 0),
				  (unsigned long long)(p->mem->ram_size / LAYOUT_MiB));

	for (int i = 0; i < bi->nr_segs; i++) {
		const struct boot_segment *s = &bi->segs[i];

		ret = check_segment(p, i, multiboot);
		if (ret)
			return ret;
		for (int j = 0; j < i; j++) {
			const struct boot_segment *t = &bi->segs[j];

			if (!overlaps(s->gpa, s->gpa + s->memsz, t->gpa, t->gpa + t->memsz))
				continue;
			seg_name(p, j, a, sizeof(a));
			seg_name(p, i, b, sizeof(b));
			return parse_fail(p, "%s [%#llx, %#llx) and %s [%#llx, %#llx) overlap",
					  a, (unsigned long long)t->gpa,
					  (unsigned long long)(t->gpa + t->memsz), b,
					  (unsigned long long)s->gpa,
					  (unsigned long long)(s->gpa + s->memsz));
		}
		if (s->gpa + s->memsz > bi->load_end)
			bi->load_end = s->gpa + s->memsz;
	}

	if (!multiboot && bi->entry >= LAYOUT_MMIO_HOLE_END)
		return parse_fail(p, "entry point %#llx is above 4 GiB, beyond the boot page "
				  "tables", (unsigned long long)bi->entry);
	for (int i = 0; i < bi->nr_segs; i++) {
		const struct boot_segment *s = &bi->segs[i];

		if (bi->entry >= s->gpa && bi->entry - s->gpa < s->filesz)
			return 0;
	}
	return parse_fail(p, "entry point %#llx is not inside the loaded file bytes of any "
			  "segment", (unsigned long long)bi->entry);
}

static bool is_elf(const struct parse *p)
{
	return p->size >= SELFMAG && memcmp(p->img, ELFMAG, SELFMAG) == 0;
}

int loader_parse(const void *img, size_t size, const struct guest_mem *mem,
		 struct boot_image *out, char *err, size_t errlen)
{
	struct parse p = {
		.img = img, .size = size, .mem = mem, .bi = out, .err = err, .errlen = errlen,
	};
	uint32_t hoff = 0, unknown;
	int ret;

	memset(out, 0, sizeof(*out));
	if (err && errlen)
		err[0] = '\0';
	if (size == 0)
		return parse_fail(&p, "empty file");

	ret = mb_find(&p, &hoff);
	if (ret < 0)
		return ret;
	if (ret == 1) {
		out->mb_header_off = hoff;
		out->mb_flags = rd32(p.img + hoff + 4);
		unknown = out->mb_flags & MULTIBOOT_FLAGS_REQUIRED_MASK &
			  ~MULTIBOOT_FLAGS_SUPPORTED;
		if (unknown)
			return parse_fail(&p, "Multiboot header flags %#x require features this "
					  "loader lacks (bits %#x)", out->mb_flags, unknown);
		if (out->mb_flags & MULTIBOOT_FLAG_AOUT_KLUDGE)
			ret = parse_aout(&p, hoff);
		else if (!is_elf(&p))
			return parse_fail(&p, "Multiboot image is not ELF and has no a.out kludge "
					  "(header flag 16)");
		else
			ret = parse_elf(&p);
		if (!ret && out->format != BOOT_MB_AOUT)
			out->format = p.img[EI_CLASS] == ELFCLASS32 ? BOOT_MB_ELF32 : BOOT_MB_ELF64;
	} else {
		if (!is_elf(&p))
			return parse_fail(&p, "not a bootable image: no Multiboot header in the "
					  "first 8 KiB and no ELF magic");
		if (size >= EI_NIDENT && p.img[EI_CLASS] != ELFCLASS64)
			return parse_fail(&p, "ELF image without a Multiboot header is not ELF64 "
					  "(only ELF64 boots without one)");
		ret = parse_elf(&p);
		out->format = BOOT_ELF64;
		out->long_mode_entry = true;
	}
	if (ret)
		return ret;
	return check_image(&p);
}

int loader_apply(const struct boot_image *bi, const void *img, size_t size,
		 const struct guest_mem *mem)
{
	for (int i = 0; i < bi->nr_segs; i++) {
		const struct boot_segment *s = &bi->segs[i];
		uint8_t *dst;

		if (s->file_off > size || s->filesz > size - s->file_off || s->filesz > s->memsz)
			return -EINVAL;
		dst = guest_mem_ptr(mem, s->gpa, s->memsz);
		if (!dst)
			return -EFAULT;
		memcpy(dst, (const uint8_t *)img + s->file_off, s->filesz);
		memset(dst + s->filesz, 0, s->memsz - s->filesz);
	}
	return 0;
}

const char *loader_format_name(enum boot_format format)
{
	switch (format) {
	case BOOT_MB_ELF32:
		return "multiboot-elf32";
	case BOOT_MB_ELF64:
		return "multiboot-elf64";
	case BOOT_MB_AOUT:
		return "multiboot-aout";
	case BOOT_ELF64:
		return "elf64";
	}
	return "unknown";
}

/* Where the long-mode boot tables sit inside [BOOT_PGTABLE, BOOT_PGTABLE_END). */
#define LM_PML4 (LAYOUT_BOOT_PGTABLE + 0x0000)
#define LM_PDPT (LAYOUT_BOOT_PGTABLE + 0x1000)
#define LM_PD (LAYOUT_BOOT_PGTABLE + 0x2000) /* four pages: 4 GiB */
#define LM_GDT (LAYOUT_BOOT_PGTABLE + 0x6000)
#define LM_TSS (LAYOUT_BOOT_PGTABLE + 0x7000)
#define LM_TSS_SIZE 104
_Static_assert(LM_TSS + 0x1000 <= LAYOUT_BOOT_PGTABLE_END, "boot tables fit their area");

#define PTE_P (1ULL << 0)
#define PTE_W (1ULL << 1)
#define PTE_PS (1ULL << 7)

int boot_setup_long_mode(const struct guest_mem *mem, struct boot_long_mode *out)
{
	uint64_t *t = guest_mem_ptr(mem, LAYOUT_BOOT_PGTABLE,
				    LAYOUT_BOOT_PGTABLE_END - LAYOUT_BOOT_PGTABLE);
	uint64_t *pml4, *pdpt, *pd, *gdt, tss = LM_TSS;

	if (!t)
		return -EFAULT;
	memset(t, 0, LAYOUT_BOOT_PGTABLE_END - LAYOUT_BOOT_PGTABLE);
	pml4 = t + (LM_PML4 - LAYOUT_BOOT_PGTABLE) / 8;
	pdpt = t + (LM_PDPT - LAYOUT_BOOT_PGTABLE) / 8;
	pd = t + (LM_PD - LAYOUT_BOOT_PGTABLE) / 8;
	gdt = t + (LM_GDT - LAYOUT_BOOT_PGTABLE) / 8;

	pml4[0] = LM_PDPT | PTE_P | PTE_W;
	for (int i = 0; i < 4; i++)
		pdpt[i] = (LM_PD + 0x1000ULL * i) | PTE_P | PTE_W;
	for (uint64_t i = 0; i < 4 * 512; i++)
		pd[i] = (i << 21) | PTE_P | PTE_W | PTE_PS;

	gdt[0] = 0;
	gdt[1] = 0x00af9b000000ffffULL; /* code: present, DPL 0, L, G */
	gdt[2] = 0x00cf93000000ffffULL; /* data: present, DPL 0, writable, D/B, G */
	/* 64-bit available TSS (type 9), two slots */
	gdt[3] = (LM_TSS_SIZE - 1) | ((tss & 0xffffff) << 16) | (0x89ULL << 40) |
		 ((tss >> 24 & 0xff) << 56);
	gdt[4] = tss >> 32;

	*out = (struct boot_long_mode){
		.cr0 = 0x80010031, /* PG | WP | NE | ET | PE */
		.cr3 = LM_PML4,
		.cr4 = 1 << 5,     /* PAE */
		.efer = 0x500,     /* LMA | LME */
		.gdt_base = LM_GDT,
		.gdt_limit = 5 * 8 - 1,
		.code_sel = 0x08,
		.data_sel = 0x10,
		.tss_sel = 0x18,
		.tss_base = LM_TSS,
		.tss_limit = LM_TSS_SIZE - 1,
	};
	return 0;
}
