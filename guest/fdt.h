/*
 * fdt.h - a small reader for the flattened device tree the VMM passes as
 * the Multiboot module "dtb" (schema: docs/devicetree.md, guest/README.md).
 *
 * Freestanding: only <stdint.h>, <stddef.h>, <stdbool.h>, so the same file
 * builds into the guest and into a host unit test.
 */
#ifndef GUEST_FDT_H
#define GUEST_FDT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GFDT_MAGIC 0xd00dfeedu
#define GFDT_MAX_CPUS 64
#define GFDT_MAX_MEM 8
#define GFDT_MAX_DEPTH 16

struct fdt_mem {
	uint64_t base, size;
};

/*
 * What the guest takes from the tree; a port or IRQ of 0 means absent.
 * Entries of apic_ids[] and mem[] past ncpus and nmem are undefined.
 */
struct fdt_info {
	uint32_t ncpus;
	uint32_t apic_ids[GFDT_MAX_CPUS]; /* in tree order */
	uint32_t nmem;
	struct fdt_mem mem[GFDT_MAX_MEM];
	bool have_vmm; /* a node with compatible "vmm,platform" */
	uint32_t features;
	uint32_t exit_port, report_port;
	uint32_t serial_port, serial_irq;
	uint32_t fwcfg_port;
	const char *bootargs;   /* inside the blob, NUL-terminated; NULL if absent */
	const char *compatible; /* the root's first compatible string, or NULL */
};

/*
 * Validate the blob (at most size bytes are read) and extract the machine
 * description. Never trusts the blob: header, offsets, sizes, tokens,
 * string and property bounds are all checked. Returns 0, or -EINVAL
 * (-E2BIG for more CPUs or memory ranges than fit) with *why naming the
 * problem.
 */
int fdt_parse(const void *blob, size_t size, struct fdt_info *out, const char **why);

#endif
