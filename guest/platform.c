/*
 * platform.c - the boundary between the guest and what its loader hands
 * it: Multiboot info, command line, modules, the device tree, fw_cfg.
 * Every address and length taken from them is checked here, once.
 */
#include "kernel.h"
#include "platform.h"
#include "vmm/layout.h"

extern char _end[];

struct platform platform = {
	.cmdline = "",
	.loader_name = "",
	.exit_port = LAYOUT_PORT_EXIT,
	.report_port = LAYOUT_PORT_REPORT,
	.com1_port = LAYOUT_PORT_COM1,
	.fwcfg_port = LAYOUT_PORT_FWCFG,
};

#define MB_MAX_MODS 16
#define MB_MAX_STRING 4096

/* A loader-supplied range must lie in mapped low RAM, away from page 0. */
static bool mb_range_ok(uint64_t addr, uint64_t len)
{
	return addr >= PAGE_SIZE && addr + len >= addr && addr + len <= LAYOUT_MMIO_HOLE;
}

static void note_end(uint64_t end)
{
	if (end > platform.loader_end)
		platform.loader_end = end;
}

/* A NUL-terminated loader string at addr (its length in *len), or NULL. */
static const char *mb_string(uint32_t addr, size_t *len)
{
	if (!mb_range_ok(addr, 1))
		return NULL;
	uint64_t room = LAYOUT_MMIO_HOLE - addr;
	const char *s = (const char *)(uintptr_t)addr;
	size_t n = strnlen(s, room < MB_MAX_STRING ? room : MB_MAX_STRING);
	if (n == MB_MAX_STRING || n == room)
		return NULL;
	note_end(addr + n + 1);
	*len = n;
	return s;
}

static void take_ports(const struct fdt_info *dt)
{
	if (dt->exit_port)
		platform.exit_port = (uint16_t)dt->exit_port;
	if (dt->report_port)
		platform.report_port = (uint16_t)dt->report_port;
	if (dt->serial_port)
		platform.com1_port = (uint16_t)dt->serial_port;
	if (dt->fwcfg_port)
		platform.fwcfg_port = (uint16_t)dt->fwcfg_port;
	platform.features = dt->features;
}

/* Note where the modules end and find the one named "dtb" (once). */
static void find_dtb(void)
{
	const struct mb_info *mbi = platform.mbi;
	if (platform.modules_seen || !mbi || !(mbi->flags & MB_INFO_MODS))
		return;
	platform.modules_seen = true;
	uint32_t count = mbi->mods_count;
	if (count > MB_MAX_MODS || !mb_range_ok(mbi->mods_addr, count * sizeof(struct mb_module)))
		return;
	const struct mb_module *mods = (const void *)(uintptr_t)mbi->mods_addr;
	note_end(mbi->mods_addr + count * sizeof(struct mb_module));
	for (uint32_t i = 0; i < count; i++) {
		uint32_t start = mods[i].mod_start, end = mods[i].mod_end;
		if (end < start || !mb_range_ok(start, end - start))
			continue;
		note_end(end);
		size_t len;
		const char *name = mb_string(mods[i].string, &len);
		if (!name || len != 3 || memcmp(name, "dtb", 3) != 0 || platform.dtb_blob)
			continue;
		platform.dtb_blob = (const void *)(uintptr_t)start;
		platform.dtb_size = end - start;
	}
}

void platform_read_dtb(void)
{
	find_dtb();
	if (platform.dtb_read || !platform.dtb_blob)
		return;
	platform.dtb_read = true;
	platform.dtb_error = fdt_parse(platform.dtb_blob, platform.dtb_size, &platform.dt,
				       &platform.dtb_why);
	platform.have_dtb = platform.dtb_error == 0;
	if (platform.have_dtb)
		take_ports(&platform.dt);
}

void platform_early(uint32_t magic, uint32_t mbi_addr)
{
	platform.mb_magic = magic;
	platform.loader_end = (uint64_t)(uintptr_t)_end;
	if (magic != MB_BOOT_MAGIC || !mb_range_ok(mbi_addr, sizeof(struct mb_info)))
		return;
	const struct mb_info *mbi = (const void *)(uintptr_t)mbi_addr;
	platform.mbi = mbi;
	note_end(mbi_addr + sizeof(*mbi));
	size_t len;
	if (mbi->flags & MB_INFO_CMDLINE) {
		const char *s = mb_string(mbi->cmdline, &len);
		if (s) {
			platform.cmdline = s;
			platform.cmdline_len = len;
		}
	}
	if (mbi->flags & MB_INFO_LOADER_NAME) {
		const char *s = mb_string(mbi->boot_loader_name, &len);
		if (s) {
			platform.loader_name = s;
			platform.loader_is_vmm = len == 3 && memcmp(s, "vmm", 3) == 0;
		}
	}
	if ((mbi->flags & MB_INFO_MMAP) && mb_range_ok(mbi->mmap_addr, mbi->mmap_length))
		note_end((uint64_t)mbi->mmap_addr + mbi->mmap_length);
}

/* The word w[0..len) is the literal lit. */
#define WORD_IS(w, len, lit) ((len) == sizeof(lit) - 1 && memcmp((w), (lit), (len)) == 0)

/* One key=value word of the command line. */
static void parse_arg(const char *w, size_t len)
{
	const char *eq = memchr(w, '=', len);
	size_t klen = eq ? (size_t)(eq - w) : len;
	const char *val = eq ? eq + 1 : w + len;
	size_t vlen = (size_t)(w + len - val);
	if (WORD_IS(w, klen, "tests")) {
		if (vlen >= sizeof(platform.tests)) {
			printf("note: tests= list too long, ignored\n");
			return;
		}
		memcpy(platform.tests, val, vlen);
		platform.tests[vlen] = '\0';
		platform.tests_len = vlen;
	} else if (WORD_IS(w, klen, "apic")) {
		platform.force_xapic = WORD_IS(val, vlen, "xapic");
		if (!platform.force_xapic && !WORD_IS(val, vlen, "auto"))
			printf("note: apic=%.*s unknown (use xapic or auto)\n", (int)vlen, val);
	} else if (WORD_IS(w, klen, "clock")) {
		platform.force_pit = WORD_IS(val, vlen, "pit");
		if (!platform.force_pit && !WORD_IS(val, vlen, "auto"))
			printf("note: clock=%.*s unknown (use pit or auto)\n", (int)vlen, val);
	} else {
		printf("note: ignoring unknown argument '%.*s'\n", (int)len, w);
	}
}

/* The first word is the image path (as QEMU passes it); the rest key=value. */
void platform_args(void)
{
	const char *p = platform.cmdline;
	size_t left = platform.cmdline_len;
	bool first = platform.mbi && (platform.mbi->flags & MB_INFO_CMDLINE);
	if (!left)
		platform_read_dtb();
	if (!left && platform.have_dtb && platform.dt.bootargs) {
		p = platform.dt.bootargs;
		left = strlen(p);
		first = false;
	}
	while (left) {
		const char *sp = memchr(p, ' ', left);
		size_t len = sp ? (size_t)(sp - p) : left;
		if (len && !first)
			parse_arg(p, len);
		if (len)
			first = false;
		p += len + (sp ? 1 : 0);
		left -= len + (sp ? 1 : 0);
	}
}

/* fw_cfg (QEMU's legacy I/O interface): read len bytes of item key. */
static void fwcfg_read(uint16_t key, void *buf, size_t len)
{
	outw(platform.fwcfg_port, key);
	uint8_t *b = buf;
	for (size_t i = 0; i < len; i++)
		b[i] = inb((uint16_t)(platform.fwcfg_port + 1));
}

bool platform_fwcfg(uint16_t key, void *buf, size_t len)
{
	static int present = -1;
	if (present < 0) {
		char sig[4];
		fwcfg_read(0x0000, sig, sizeof(sig));
		present = memcmp(sig, "QEMU", 4) == 0;
	}
	if (present)
		fwcfg_read(key, buf, len);
	return present;
}

int platform_cpus(uint32_t bsp_apic_id)
{
	if (platform.ncpus)
		return platform.ncpus;
	platform_read_dtb();
	if (platform.have_dtb && platform.dt.ncpus) {
		platform.ncpus = (int)platform.dt.ncpus;
		memcpy(platform.apic_ids, platform.dt.apic_ids, platform.dt.ncpus * sizeof(uint32_t));
		platform.cpus_from = "dtb";
		return platform.ncpus;
	}
	uint16_t n = 0;
	if (platform_fwcfg(FWCFG_NB_CPUS, &n, sizeof(n))) {
		if (n > MAX_CPUS) {
			printf("note: fw_cfg reports %u CPUs, using the first %d\n", n, MAX_CPUS);
			n = MAX_CPUS;
		}
	}
	if (n >= 1) {
		platform.ncpus = n;
		for (uint16_t i = 0; i < n; i++)
			platform.apic_ids[i] = i;
		platform.cpus_from = "fw_cfg";
	} else {
		platform.ncpus = 1;
		platform.apic_ids[0] = bsp_apic_id;
		platform.cpus_from = "default";
	}
	return platform.ncpus;
}

static void add_mem(uint64_t base, uint64_t size)
{
	if (size == 0 || platform.nmem == PLATFORM_MAX_MEM)
		return;
	platform.mem[platform.nmem].base = base;
	platform.mem[platform.nmem].size = size;
	platform.nmem++;
	platform.ram_bytes += size;
}

int platform_memory(void)
{
	const struct mb_info *mbi = platform.mbi;
	if (platform.nmem)
		return platform.nmem;
	platform_read_dtb();
	/* The memory map knows the reserved holes; the tree only where RAM is. */
	if (mbi && (mbi->flags & MB_INFO_MMAP) && mb_range_ok(mbi->mmap_addr, mbi->mmap_length)) {
		uint64_t off = 0;
		while (off + sizeof(struct mb_mmap_entry) <= mbi->mmap_length &&
		       platform.mmap_entries < PLATFORM_MAX_MMAP) {
			const struct mb_mmap_entry *e = (const void *)(uintptr_t)(mbi->mmap_addr + off);
			if (e->size < 20)
				break;
			if (e->type == 1 && e->addr + e->len >= e->addr)
				add_mem(e->addr, e->len);
			platform.mmap_entries++;
			off += (uint64_t)e->size + 4;
		}
		platform.mem_from = "multiboot mmap";
	} else if (platform.have_dtb && platform.dt.nmem) {
		for (uint32_t i = 0; i < platform.dt.nmem; i++)
			add_mem(platform.dt.mem[i].base, platform.dt.mem[i].size);
		platform.mem_from = "dtb";
	} else if (mbi && (mbi->flags & MB_INFO_MEMORY)) {
		add_mem(0, (uint64_t)mbi->mem_lower * 1024);
		add_mem(LAYOUT_HIGH_MEM_START, (uint64_t)mbi->mem_upper * 1024);
		platform.mem_from = "multiboot mem_upper";
	}
	return platform.nmem;
}
