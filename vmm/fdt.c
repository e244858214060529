/*
 * fdt.c - build the device tree of docs/devicetree.md with libfdt's
 * sequential-write API. The machine description is checked first, so a
 * libfdt error here can only mean the buffer was too small.
 */
#include "vmm/fdt.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libfdt.h>

#include "vmm/layout.h"

#define FDT_IOAPIC_SIZE 0x1000
#define FDT_LAPIC_SIZE 0x1000
#define FDT_IOAPIC_PHANDLE 1

void fdt_machine_defaults(struct fdt_machine *m)
{
	memset(m, 0, sizeof(*m));
	m->exit_port = LAYOUT_PORT_EXIT;
	m->report_port = LAYOUT_PORT_REPORT;
	m->serial_port = LAYOUT_PORT_COM1;
	m->serial_irq = LAYOUT_IRQ_COM1;
	m->serial_clock = 1843200;
	m->fwcfg_port = LAYOUT_PORT_FWCFG;
	m->ioapic_base = LAYOUT_IOAPIC_BASE;
	m->lapic_base = LAYOUT_LAPIC_BASE;
}

__attribute__((format(printf, 4, 5)))
static int fdt_fail(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	if (errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

/* Check m against the rules in fdt.h. 0 or -EINVAL with a message. */
static int fdt_check(const struct fdt_machine *m, char *err, size_t errlen)
{
	if (m->nr_ram < 1 || m->nr_ram > FDT_MAX_RAM || !m->ram)
		return fdt_fail(err, errlen, -EINVAL, "device tree: %zu RAM regions (1 to %d)",
				m->nr_ram, FDT_MAX_RAM);
	for (size_t i = 0; i < m->nr_ram; i++) {
		const struct fdt_ram *r = &m->ram[i];

		if (r->size == 0 || r->gpa + r->size < r->gpa)
			return fdt_fail(err, errlen, -EINVAL,
					"device tree: RAM region %zu at %#" PRIx64 " size %#" PRIx64
					" is empty or wraps", i, r->gpa, r->size);
		if (i && r->gpa < m->ram[i - 1].gpa + m->ram[i - 1].size)
			return fdt_fail(err, errlen, -EINVAL,
					"device tree: RAM region %zu at %#" PRIx64 " overlaps or "
					"precedes region %zu", i, r->gpa, i - 1);
	}
	if (m->nr_cpus < 1 || m->nr_cpus > LAYOUT_MAX_CPUS || !m->apic_ids)
		return fdt_fail(err, errlen, -EINVAL, "device tree: %zu CPUs (1 to %d)",
				m->nr_cpus, LAYOUT_MAX_CPUS);
	for (size_t i = 0; i < m->nr_cpus; i++)
		for (size_t j = 0; j < i; j++)
			if (m->apic_ids[i] == m->apic_ids[j])
				return fdt_fail(err, errlen, -EINVAL,
						"device tree: CPUs %zu and %zu share APIC ID %u",
						j, i, m->apic_ids[i]);
	if (m->features & ~FDT_FEATURES_KNOWN)
		return fdt_fail(err, errlen, -EINVAL, "device tree: unknown feature bits %#x",
				m->features & ~FDT_FEATURES_KNOWN);
	return 0;
}

/* A reg property of (address, size) pairs, 2 cells each. */
static int fdt_prop_reg(void *fdt, const struct fdt_ram *r, size_t n)
{
	fdt64_t cells[2 * FDT_MAX_RAM];

	for (size_t i = 0; i < n; i++) {
		cells[2 * i] = cpu_to_fdt64(r[i].gpa);
		cells[2 * i + 1] = cpu_to_fdt64(r[i].size);
	}
	return fdt_property(fdt, "reg", cells, (int)(n * 2 * sizeof(cells[0])));
}

/* Open node "name@addr" (addr in hex, as the unit-address convention wants). */
static int fdt_begin_unit(void *fdt, const char *name, uint64_t addr)
{
	char node[64];

	snprintf(node, sizeof(node), "%s@%" PRIx64, name, addr);
	return fdt_begin_node(fdt, node);
}

/* Emit every node; the first libfdt error stops it. */
static int fdt_emit(void *fdt, const struct fdt_machine *m)
{
	const struct fdt_ram ioapic = { m->ioapic_base, FDT_IOAPIC_SIZE };
	const struct fdt_ram lapic = { m->lapic_base, FDT_LAPIC_SIZE };
	int e;

#define TRY(call)                 \
	do {                      \
		e = (call);       \
		if (e < 0)        \
			return e; \
	} while (0)

	TRY(fdt_finish_reservemap(fdt));
	TRY(fdt_begin_node(fdt, ""));
	TRY(fdt_property_u32(fdt, "#address-cells", 2));
	TRY(fdt_property_u32(fdt, "#size-cells", 2));
	TRY(fdt_property_string(fdt, "compatible", "vmm,pc"));
	TRY(fdt_property_string(fdt, "model", "vmm"));
	TRY(fdt_property_u32(fdt, "interrupt-parent", FDT_IOAPIC_PHANDLE));

	TRY(fdt_begin_node(fdt, "chosen"));
	TRY(fdt_property_string(fdt, "bootargs", m->bootargs ? m->bootargs : ""));
	TRY(fdt_end_node(fdt));

	TRY(fdt_begin_unit(fdt, "memory", m->ram[0].gpa));
	TRY(fdt_property_string(fdt, "device_type", "memory"));
	TRY(fdt_prop_reg(fdt, m->ram, m->nr_ram));
	TRY(fdt_end_node(fdt));

	TRY(fdt_begin_node(fdt, "cpus"));
	TRY(fdt_property_u32(fdt, "#address-cells", 1));
	TRY(fdt_property_u32(fdt, "#size-cells", 0));
	for (size_t i = 0; i < m->nr_cpus; i++) {
		TRY(fdt_begin_unit(fdt, "cpu", m->apic_ids[i]));
		TRY(fdt_property_string(fdt, "device_type", "cpu"));
		TRY(fdt_property_u32(fdt, "reg", m->apic_ids[i]));
		TRY(fdt_end_node(fdt));
	}
	TRY(fdt_end_node(fdt));

	TRY(fdt_begin_node(fdt, "vmm"));
	TRY(fdt_property_string(fdt, "compatible", "vmm,platform"));
	TRY(fdt_property_u32(fdt, "features", m->features));
	TRY(fdt_property_u32(fdt, "exit-port", m->exit_port));
	TRY(fdt_property_u32(fdt, "report-port", m->report_port));
	TRY(fdt_end_node(fdt));

	TRY(fdt_begin_unit(fdt, "serial", m->serial_port));
	TRY(fdt_property_string(fdt, "compatible", "ns16550a"));
	TRY(fdt_property_u32(fdt, "io-port", m->serial_port));
	TRY(fdt_property_u32(fdt, "interrupts", m->serial_irq));
	TRY(fdt_property_u32(fdt, "clock-frequency", m->serial_clock));
	TRY(fdt_end_node(fdt));

	TRY(fdt_begin_unit(fdt, "fw-cfg", m->fwcfg_port));
	TRY(fdt_property_string(fdt, "compatible", "qemu,fw-cfg-io"));
	TRY(fdt_property_u32(fdt, "io-port", m->fwcfg_port));
	TRY(fdt_end_node(fdt));

	TRY(fdt_begin_unit(fdt, "interrupt-controller", m->ioapic_base));
	TRY(fdt_property_string(fdt, "compatible", "intel,ioapic"));
	TRY(fdt_prop_reg(fdt, &ioapic, 1));
	TRY(fdt_property(fdt, "interrupt-controller", NULL, 0));
	TRY(fdt_property_u32(fdt, "#interrupt-cells", 1));
	TRY(fdt_property_u32(fdt, "#address-cells", 0));
	TRY(fdt_property_u32(fdt, "phandle", FDT_IOAPIC_PHANDLE));
	TRY(fdt_end_node(fdt));

	TRY(fdt_begin_unit(fdt, "lapic", m->lapic_base));
	TRY(fdt_property_string(fdt, "compatible", "intel,lapic"));
	TRY(fdt_prop_reg(fdt, &lapic, 1));
	TRY(fdt_end_node(fdt));

	TRY(fdt_end_node(fdt));
	TRY(fdt_finish(fdt));
#undef TRY
	return 0;
}

int fdt_build(void *buf, size_t bufsize, const struct fdt_machine *m, char *err, size_t errlen)
{
	int e;

	e = fdt_check(m, err, errlen);
	if (e)
		return e;
	if (bufsize > INT_MAX)
		bufsize = INT_MAX;
	e = fdt_create(buf, (int)bufsize);
	if (e >= 0)
		e = fdt_emit(buf, m);
	if (e == -FDT_ERR_NOSPACE)
		return fdt_fail(err, errlen, -ENOSPC, "device tree: does not fit in %zu bytes",
				bufsize);
	if (e < 0)
		return fdt_fail(err, errlen, -EINVAL, "device tree: libfdt: %s", fdt_strerror(e));
	return (int)fdt_totalsize(buf);
}
