/*
 * platform.h - what the guest knows about its machine: the Multiboot info
 * (checked once here), the command line arguments, and the device tree
 * module "dtb" when the VMM passes one. Without a tree (under QEMU) CPUs
 * come from fw_cfg and ports from the fixed PC defaults in vmm/layout.h.
 */
#ifndef GUEST_PLATFORM_H
#define GUEST_PLATFORM_H

#include <stdbool.h>
#include <stdint.h>

#include "asm.h"
#include "fdt.h"

#define MB_BOOT_MAGIC 0x2BADB002u

#define MB_INFO_MEMORY 0x001
#define MB_INFO_CMDLINE 0x004
#define MB_INFO_MODS 0x008
#define MB_INFO_MMAP 0x040
#define MB_INFO_LOADER_NAME 0x200

struct mb_info {
	uint32_t flags;
	uint32_t mem_lower, mem_upper; /* KiB below 640 KiB / above 1 MiB */
	uint32_t boot_device;
	uint32_t cmdline;
	uint32_t mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr;
	uint32_t drives_length, drives_addr;
	uint32_t config_table;
	uint32_t boot_loader_name;
} __attribute__((packed));

struct mb_module {
	uint32_t mod_start, mod_end, string, reserved;
} __attribute__((packed));

struct mb_mmap_entry {
	uint32_t size; /* of the rest of the entry: >= 20 */
	uint64_t addr, len;
	uint32_t type; /* 1 = usable RAM */
} __attribute__((packed));

#define PLATFORM_MAX_MEM 16
#define PLATFORM_MAX_MMAP 64
#define PLATFORM_TESTS_LEN 160

struct platform {
	uint32_t mb_magic;
	const struct mb_info *mbi; /* NULL when magic or address is bad */
	const char *cmdline;       /* the whole command line, "" if none */
	size_t cmdline_len;
	const char *loader_name;   /* "" if none */
	bool loader_is_vmm;        /* loader_name is "vmm": the report channel is there */
	uint32_t mmap_entries;     /* usable-or-not entries in the memory map */
	uint64_t loader_end;       /* end of all the loader placed: kernel, modules, info
				      (complete once the modules were looked at, see
				      platform_read_dtb) */
	bool modules_seen;

	/* arguments */
	char tests[PLATFORM_TESTS_LEN]; /* "tests=" value; "" = all suites */
	size_t tests_len;
	bool force_xapic;              /* apic=xapic */
	bool force_pit;                /* clock=pit: TSC frequency from the PIT */

	/* device tree: the "dtb" module, read by platform_read_dtb() */
	const void *dtb_blob;
	uint64_t dtb_size;
	bool dtb_read;
	bool have_dtb; /* read and valid */
	int dtb_error; /* 0, or -errno when a "dtb" module was refused */
	const char *dtb_why;
	struct fdt_info dt;

	/* ports and features (tree or defaults) */
	uint16_t exit_port, report_port, com1_port, fwcfg_port;
	uint32_t features;

	/* CPUs, after platform_cpus() */
	int ncpus;
	uint32_t apic_ids[MAX_CPUS];
	const char *cpus_from; /* "dtb", "fw_cfg" or "default" */

	/* usable RAM, after platform_memory() */
	int nmem;
	struct fdt_mem mem[PLATFORM_MAX_MEM];
	uint64_t ram_bytes;
	const char *mem_from; /* "multiboot mmap", "dtb" or "multiboot mem_upper" */
};

extern struct platform platform;

/*
 * Check the Multiboot info at mbi_addr: command line and loader name.
 * Cheap: no port I/O, no module list (platform_read_dtb() looks at that).
 * Call first thing in kmain().
 */
void platform_early(uint32_t magic, uint32_t mbi_addr);

/*
 * Find the "dtb" module among the Multiboot modules (noting where they
 * end, for the page allocator), read it once, and take the ports from
 * it. Reading costs about a thousand emulated instructions, so the
 * tests=hello boot skips it and uses the fixed ports of vmm/layout.h; CPU
 * and memory queries read it on demand.
 */
void platform_read_dtb(void);

/* Parse the command line (notes on unknown keys go to the console). */
void platform_args(void);

#define FWCFG_RAM_SIZE 0x0003 /* u64 */
#define FWCFG_NB_CPUS 0x0005  /* u16 */

/* Read fw_cfg item key; false (nothing read) if no fw_cfg answers "QEMU". */
bool platform_fwcfg(uint16_t key, void *buf, size_t len);

/* Fill the CPU list once (tree, fw_cfg, else just this CPU); returns ncpus. */
int platform_cpus(uint32_t bsp_apic_id);

/* Fill the usable RAM list once (memory map, else tree, else mem_upper); returns nmem. */
int platform_memory(void);

#endif
