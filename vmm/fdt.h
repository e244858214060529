/*
 * fdt.h - the flattened device tree that describes the machine to the
 * guest (passed as the Multiboot module "dtb"). docs/devicetree.md is the
 * schema the guest parses.
 */
#ifndef VMM_FDT_H
#define VMM_FDT_H

#include <stddef.h>
#include <stdint.h>

#define FDT_MAX_RAM 8

/* vmm { features } bits. */
#define FDT_FEATURE_HYPERCALL (1u << 0) /* a hypercall path exists (never on kvm_pvm) */
#define FDT_FEATURES_KNOWN FDT_FEATURE_HYPERCALL

struct fdt_ram {
	uint64_t gpa, size;
};

struct fdt_machine {
	const struct fdt_ram *ram; /* ascending, non-overlapping, 1..FDT_MAX_RAM */
	size_t nr_ram;
	const uint32_t *apic_ids; /* distinct, 1..LAYOUT_MAX_CPUS; cpu@N, N = APIC ID */
	size_t nr_cpus;
	const char *bootargs; /* NULL for none */
	uint32_t features;    /* FDT_FEATURE_* */
	uint16_t exit_port;
	uint16_t report_port;
	uint16_t serial_port;
	uint32_t serial_irq;
	uint32_t serial_clock; /* Hz */
	uint16_t fwcfg_port;
	uint64_t ioapic_base;
	uint64_t lapic_base;
};

/* Ports, IRQ and bases from vmm/layout.h; no RAM, no CPUs, no features. */
void fdt_machine_defaults(struct fdt_machine *m);

/*
 * Build the tree for m into buf[0..bufsize). Returns the blob's size, or
 * -EINVAL for a machine that breaks the rules above and -ENOSPC for a
 * buffer too small, with a message in err.
 */
int fdt_build(void *buf, size_t bufsize, const struct fdt_machine *m, char *err, size_t errlen);

#endif
