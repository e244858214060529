/*
 * mbinfo.h - the Multiboot v1 information structure the VMM hands a kernel.
 *
 * mbinfo_build() writes, inside [LAYOUT_BOOT_INFO, LAYOUT_BOOT_INFO_END):
 * the info structure, a memory map, the command line, the boot loader name
 * "vmm" and the module list; the modules themselves go page aligned after
 * the kernel's load_end, in low RAM. The vCPU starts with EAX =
 * MULTIBOOT_BOOTLOADER_MAGIC and EBX = the address it returns.
 *
 * Memory map, as a PC reports it:
 *   [0, LAYOUT_LOW_RAM_END)               available
 *   [LAYOUT_LOW_RAM_END, 1 MiB)           reserved (EBDA, VGA, ROM)
 *   [1 MiB, low_end)                      available
 *   [LAYOUT_HIGH_RAM, + ram - low_end)    available, when RAM exceeds the hole
 * The MMIO hole is not listed. The boot info area and the boot page tables
 * are in available RAM: the kernel must copy what it needs before reusing
 * them (the usual Multiboot contract).
 */
#ifndef VMM_MBINFO_H
#define VMM_MBINFO_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/guest_mem.h"
#include "vmm/loader.h"

#define MBI_FLAG_MEM (1u << 0)
#define MBI_FLAG_CMDLINE (1u << 2)
#define MBI_FLAG_MODS (1u << 3)
#define MBI_FLAG_MMAP (1u << 6)
#define MBI_FLAG_LOADER_NAME (1u << 9)

#define MBINFO_MAX_MODS 32

#define MBI_MMAP_AVAILABLE 1
#define MBI_MMAP_RESERVED 2

struct multiboot_info {
	uint32_t flags;
	uint32_t mem_lower; /* KiB below 640 KiB */
	uint32_t mem_upper; /* KiB from 1 MiB to the first hole */
	uint32_t boot_device;
	uint32_t cmdline;
	uint32_t mods_count;
	uint32_t mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length; /* bytes */
	uint32_t mmap_addr;
	uint32_t drives_length;
	uint32_t drives_addr;
	uint32_t config_table;
	uint32_t boot_loader_name;
	uint32_t apm_table;
	uint32_t vbe_control_info;
	uint32_t vbe_mode_info;
	uint16_t vbe_mode;
	uint16_t vbe_interface_seg;
	uint16_t vbe_interface_off;
	uint16_t vbe_interface_len;
	uint64_t framebuffer_addr;
	uint32_t framebuffer_pitch;
	uint32_t framebuffer_width;
	uint32_t framebuffer_height;
	uint8_t framebuffer_bpp;
	uint8_t framebuffer_type;
	uint8_t color_info[6];
} __attribute__((packed));

/* size counts the bytes after itself (20), as the spec has it. */
struct multiboot_mmap_entry {
	uint32_t size;
	uint64_t addr;
	uint64_t len;
	uint32_t type;
} __attribute__((packed));

/* mod_end is exclusive: mod_end - mod_start is the module's size. */
struct multiboot_module {
	uint32_t mod_start;
	uint32_t mod_end;
	uint32_t string;
	uint32_t reserved;
} __attribute__((packed));

/* A module to hand the kernel: size bytes at data, and its name. */
struct boot_module {
	const void *data;
	size_t size;
	const char *name; /* the module's string; NULL reads as "" */
};

/*
 * Build the Multiboot info for the image bi already placed in mem. The
 * command line is "IMAGE_PATH ARGS" (just IMAGE_PATH when args is NULL or
 * empty), as QEMU builds it. The info area is zeroed first. At most
 * MBINFO_MAX_MODS modules. On success set *mbi_gpa and return 0; on
 * failure return -EINVAL with one line in err (module errors name the
 * module; callers print the line as it is).
 */
int mbinfo_build(const struct guest_mem *mem, const struct boot_image *bi,
		 const char *image_path, const char *args,
		 const struct boot_module *mods, int nr_mods,
		 uint32_t *mbi_gpa, char *err, size_t errlen);

#endif
