/*
 * suite_boot.c - the machine state the loader handed over: Multiboot
 * magic and info, memory map, RAM size, command line, device tree.
 */
#include "kernel.h"
#include "platform.h"
#include "report.h"
#include "suites.h"
#include "vmm/layout.h"

extern char _end[];

/* True if [lo, hi) lies inside one usable RAM range. */
static bool in_ram(uint64_t lo, uint64_t hi)
{
	for (int i = 0; i < platform.nmem; i++)
		if (lo >= platform.mem[i].base && hi <= platform.mem[i].base + platform.mem[i].size)
			return true;
	return false;
}

static void check_memory(const struct mb_info *mbi)
{
	int n = platform_memory();
	report(n > 0, "usable RAM ranges found (%d, from %s)", n,
	       platform.mem_from ? platform.mem_from : "nowhere");
	for (int i = 0; i < n; i++)
		report_info("RAM [0x%09lx, 0x%09lx) %lu KiB", platform.mem[i].base,
			    platform.mem[i].base + platform.mem[i].size, platform.mem[i].size >> 10);
	report(in_ram(LAYOUT_KERNEL_MIN, (uint64_t)(uintptr_t)_end),
	       "kernel image [0x%llx, %p) lies in usable RAM", LAYOUT_KERNEL_MIN, (void *)_end);
	if (mbi->flags & MB_INFO_MEMORY) {
		report(mbi->mem_lower <= 640, "mem_lower %u KiB <= 640 KiB", mbi->mem_lower);
		uint64_t upper_end = LAYOUT_HIGH_MEM_START + (uint64_t)mbi->mem_upper * 1024;
		report(in_ram(LAYOUT_HIGH_MEM_START, upper_end),
		       "mem_upper: [1 MiB, 0x%lx) is usable RAM", upper_end);
	}
	uint64_t ram_size;
	if (platform_fwcfg(FWCFG_RAM_SIZE, &ram_size, sizeof(ram_size))) {
		/* Firmware and the hole keep a little of it: allow 4 MiB. */
		report_within(ram_size > 4 * LAYOUT_MiB ? ram_size - 4 * LAYOUT_MiB : 0, ram_size,
			      platform.ram_bytes, "usable RAM matches fw_cfg RAM size (%lu MiB)",
			      ram_size >> 20);
	} else {
		report(platform.ram_bytes >= LAYOUT_MIN_RAM - LAYOUT_MiB,
		       "RAM size %lu MiB >= the VMM's minimum", platform.ram_bytes >> 20);
	}
}

static void check_dtb(void)
{
	if (platform.dtb_error) {
		report(false, "dtb module parsed (%s)", platform.dtb_why);
		return;
	}
	if (!platform.have_dtb) {
		report_skip("device tree", "no dtb module (QEMU passes none)");
		return;
	}
	const struct fdt_info *dt = &platform.dt;
	report(dt->compatible && strcmp(dt->compatible, "vmm,pc") == 0, "dtb root compatible is vmm,pc");
	report(dt->ncpus >= 1, "dtb lists %u CPUs", dt->ncpus);
	report(dt->nmem >= 1, "dtb lists %u memory ranges", dt->nmem);
	report(dt->have_vmm, "dtb has the vmm,platform node");
	report_eq(LAYOUT_PORT_EXIT, dt->exit_port, "dtb exit-port");
	report_eq(LAYOUT_PORT_REPORT, dt->report_port, "dtb report-port");
	report_eq(LAYOUT_PORT_COM1, dt->serial_port, "dtb serial io-port");
	report_eq(LAYOUT_IRQ_COM1, dt->serial_irq, "dtb serial interrupts");
	report_eq(0, dt->features & 1, "dtb features: no hypercall path");
	/* Every usable range of the memory map lies in the tree's memory. */
	uint64_t dt_bytes = 0;
	int inside = 0;
	for (uint32_t i = 0; i < dt->nmem; i++)
		dt_bytes += dt->mem[i].size;
	for (int i = 0; i < platform.nmem; i++)
		for (uint32_t j = 0; j < dt->nmem; j++)
			if (platform.mem[i].base >= dt->mem[j].base &&
			    platform.mem[i].base + platform.mem[i].size <= dt->mem[j].base + dt->mem[j].size) {
				inside++;
				break;
			}
	report_eq(platform.nmem, inside, "memory map ranges inside the dtb memory (%lu MiB)",
		  dt_bytes >> 20);
	if (dt->bootargs)
		report_info("dtb bootargs \"%s\"", dt->bootargs);
}

void suite_boot(void)
{
	report_eq(MB_BOOT_MAGIC, platform.mb_magic, "multiboot magic in EAX");
	if (!report(platform.mbi != NULL, "multiboot info at a sane address"))
		return;
	const struct mb_info *mbi = platform.mbi;
	report_info("loader \"%s\", command line \"%s\"", platform.loader_name, platform.cmdline);
	report(mbi->flags & MB_INFO_MMAP, "memory map present (flags 0x%x)", mbi->flags);
	report(mbi->flags & MB_INFO_CMDLINE, "command line present");
	check_memory(mbi);
	check_dtb();
}
