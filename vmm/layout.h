/*
 * layout.h - the guest's address map: every guest-physical address and I/O
 * port the VMM hands out comes from here (or from an allocator seeded here).
 * Devices never invent addresses; they receive their base at registration.
 *
 *  Guest-physical memory
 *
 *  0x0000_0000 +----------------------------+
 *              | real-mode IVT, BDA         |  left alone
 *  0x0000_7000 | AP trampoline page         |  the guest's own (SIPI vector 0x07)
 *  0x0001_0000 | boot info: multiboot info, |  written by the VMM before vCPU 0 runs
 *              | mmap, cmdline, module list |
 *  0x0007_0000 | VMM-built page tables      |  only for plain ELF64 images
 *  0x0009_fc00 +- reserved (EBDA, VGA, ROM) -+
 *  0x0010_0000 | kernel image (1 MiB)       |  loaded by physical address
 *              | modules, page aligned      |  placed after the image
 *              | free RAM                   |
 *  low_end     +----------------------------+  min(ram, 3 GiB)
 *  0xc000_0000 | MMIO hole (1 GiB)          |
 *  0xd000_0000 |   virtio-mmio windows      |  4 KiB each
 *  0xfec0_0000 |   IOAPIC                   |  in-kernel irqchip
 *  0xfee0_0000 |   LAPIC                    |  in-kernel irqchip
 *  0xfeff_c000 |   EPT identity map page    |  KVM_SET_IDENTITY_MAP_ADDR
 *  0xfeff_d000 |   TSS (3 pages)            |  KVM_SET_TSS_ADDR
 *  0x1_0000_0000 +--------------------------+
 *              | RAM above 4 GiB            |  ram - low_end bytes
 *              +----------------------------+
 *
 *  I/O ports
 *    0x0020, 0x00a0, 0x0040, 0x04d0  in-kernel PIC and PIT
 *    0x00f4 .. 0x00f7  exit port (QEMU isa-debug-exit semantics)
 *    0x0510 .. 0x0511  fw_cfg selector and data
 *    0x0520 .. 0x0523  report channel (32-bit GPA of a record)
 *    0x03f8 .. 0x03ff  COM1 16550 UART, IRQ 4
 */
#ifndef VMM_LAYOUT_H
#define VMM_LAYOUT_H

#define LAYOUT_KiB 1024ULL
#define LAYOUT_MiB (1024ULL * LAYOUT_KiB)
#define LAYOUT_GiB (1024ULL * LAYOUT_MiB)

#define LAYOUT_PAGE_SIZE 4096ULL

#define LAYOUT_AP_TRAMPOLINE 0x7000ULL
#define LAYOUT_BOOT_INFO 0x10000ULL
#define LAYOUT_BOOT_INFO_END 0x70000ULL
#define LAYOUT_BOOT_PGTABLE 0x70000ULL
#define LAYOUT_BOOT_PGTABLE_END 0x78000ULL
#define LAYOUT_LOW_RAM_END 0x9fc00ULL /* conventional memory */
#define LAYOUT_HIGH_MEM_START 0x100000ULL
#define LAYOUT_KERNEL_MIN 0x100000ULL

#define LAYOUT_MMIO_HOLE 0xc0000000ULL
#define LAYOUT_MMIO_HOLE_END 0x100000000ULL
#define LAYOUT_VIRTIO_MMIO_BASE 0xd0000000ULL
#define LAYOUT_VIRTIO_MMIO_SIZE 0x1000ULL
#define LAYOUT_IOAPIC_BASE 0xfec00000ULL
#define LAYOUT_LAPIC_BASE 0xfee00000ULL
#define LAYOUT_IDENTITY_MAP 0xfeffc000ULL
#define LAYOUT_TSS 0xfeffd000ULL
#define LAYOUT_HIGH_RAM 0x100000000ULL

#define LAYOUT_MIN_RAM (16ULL * LAYOUT_MiB)
#define LAYOUT_MAX_RAM (1024ULL * LAYOUT_GiB)
#define LAYOUT_MAX_CPUS 64

/* I/O ports */
#define LAYOUT_PORT_EXIT 0xf4
#define LAYOUT_PORT_EXIT_LEN 4
#define LAYOUT_PORT_FWCFG 0x510
#define LAYOUT_PORT_FWCFG_LEN 2
#define LAYOUT_PORT_REPORT 0x520
#define LAYOUT_PORT_REPORT_LEN 4
#define LAYOUT_PORT_COM1 0x3f8
#define LAYOUT_PORT_COM1_LEN 8
#define LAYOUT_IRQ_COM1 4

#endif
