/*
 * test_guest_fdt.c - the guest kernel's device tree reader (guest/fdt.c),
 * built for the host: trees from the VMM's own builder (vmm/fdt.c) must
 * read back as built, and malformed or mutated blobs must be refused
 * without reading past the blob (the ASan build checks that).
 */
#include <libfdt.h>
#include <stdlib.h>

#include "guest/fdt.c"
#include "unit.h"
#include "vmm/fdt.h"
#include "vmm/layout.h"

static uint8_t tree[4096];

static uint8_t *last_copy; /* out's strings point into it until the next parse */

/* A copy of the blob in a buffer of exactly size bytes (ASan sees overreads). */
static int parse_exact(const void *blob, size_t size, struct fdt_info *out, const char **why)
{
	free(last_copy);
	last_copy = malloc(size ? size : 1);
	memcpy(last_copy, blob, size);
	return fdt_parse(last_copy, size, out, why);
}

static int build_vmm_tree(size_t ncpus, const uint32_t *ids, const char *bootargs)
{
	static const struct fdt_ram ram[] = {
		{ 0, 0xc0000000ULL },
		{ 0x100000000ULL, 0x40000000ULL },
	};
	struct fdt_machine m;
	char err[128];
	fdt_machine_defaults(&m);
	m.ram = ram;
	m.nr_ram = 2;
	m.apic_ids = ids;
	m.nr_cpus = ncpus;
	m.bootargs = bootargs;
	int n = fdt_build(tree, sizeof(tree), &m, err, sizeof(err));
	if (n < 0)
		fprintf(stderr, "fdt_build: %s\n", err);
	return n;
}

static void test_vmm_tree(void)
{
	static const uint32_t ids[] = { 0, 1, 2, 5 };
	struct fdt_info info;
	const char *why = NULL;
	int n = build_vmm_tree(4, ids, "tests=hello");
	CHECK(n > 0);
	CHECK_EQ(parse_exact(tree, (size_t)n, &info, &why), 0);
	CHECK(why == NULL);
	CHECK_EQ(info.ncpus, 4);
	CHECK_EQ(info.apic_ids[3], 5);
	CHECK_EQ(info.nmem, 2);
	CHECK_EQ(info.mem[0].base, 0);
	CHECK_EQ(info.mem[0].size, 0xc0000000ULL);
	CHECK_EQ(info.mem[1].base, 0x100000000ULL);
	CHECK_EQ(info.mem[1].size, 0x40000000ULL);
	CHECK(info.have_vmm);
	CHECK_EQ(info.features, 0);
	CHECK_EQ(info.exit_port, LAYOUT_PORT_EXIT);
	CHECK_EQ(info.report_port, LAYOUT_PORT_REPORT);
	CHECK_EQ(info.serial_port, LAYOUT_PORT_COM1);
	CHECK_EQ(info.serial_irq, LAYOUT_IRQ_COM1);
	CHECK_EQ(info.fwcfg_port, LAYOUT_PORT_FWCFG);
	CHECK_STR(info.bootargs, "tests=hello");
	CHECK_STR(info.compatible, "vmm,pc");
}

/* A hand-built tree: 1-cell sizes, properties after subnodes' siblings, extras. */
static size_t build_custom(int ncpus, uint32_t size_cells)
{
	CHECK_EQ(fdt_create(tree, sizeof(tree)), 0);
	CHECK_EQ(fdt_finish_reservemap(tree), 0);
	CHECK_EQ(fdt_begin_node(tree, ""), 0);
	CHECK_EQ(fdt_property_u32(tree, "#address-cells", 2), 0);
	CHECK_EQ(fdt_property_u32(tree, "#size-cells", size_cells), 0);
	CHECK_EQ(fdt_begin_node(tree, "unrelated"), 0);
	CHECK_EQ(fdt_property_u32(tree, "io-port", 0x80), 0);
	CHECK_EQ(fdt_end_node(tree), 0);
	CHECK_EQ(fdt_begin_node(tree, "memory@100000"), 0);
	uint32_t reg[4] = { 0, cpu_to_fdt32(0x100000), 0, 0 };
	reg[size_cells == 1 ? 2 : 3] = cpu_to_fdt32(0x1000000);
	CHECK_EQ(fdt_property(tree, "reg", reg, (int)((2 + size_cells) * 4)), 0);
	CHECK_EQ(fdt_property_string(tree, "device_type", "memory"), 0);
	CHECK_EQ(fdt_end_node(tree), 0);
	CHECK_EQ(fdt_begin_node(tree, "cpus"), 0);
	CHECK_EQ(fdt_property_u32(tree, "#address-cells", 1), 0);
	CHECK_EQ(fdt_property_u32(tree, "#size-cells", 0), 0);
	for (int i = 0; i < ncpus; i++) {
		char name[16];
		snprintf(name, sizeof(name), "cpu@%x", i * 2);
		CHECK_EQ(fdt_begin_node(tree, name), 0);
		CHECK_EQ(fdt_property_u32(tree, "reg", (uint32_t)i * 2), 0);
		CHECK_EQ(fdt_property_string(tree, "device_type", "cpu"), 0);
		CHECK_EQ(fdt_end_node(tree), 0);
	}
	CHECK_EQ(fdt_end_node(tree), 0);
	CHECK_EQ(fdt_begin_node(tree, "platform"), 0);
	CHECK_EQ(fdt_property_u32(tree, "report-port", 0x600), 0);
	CHECK_EQ(fdt_property_string(tree, "compatible", "vmm,platform"), 0);
	CHECK_EQ(fdt_end_node(tree), 0);
	CHECK_EQ(fdt_end_node(tree), 0);
	CHECK_EQ(fdt_finish(tree), 0);
	return fdt_totalsize(tree);
}

static void test_custom_tree(void)
{
	struct fdt_info info;
	const char *why = NULL;
	size_t n = build_custom(3, 1);
	CHECK_EQ(parse_exact(tree, n, &info, &why), 0);
	CHECK_EQ(info.ncpus, 3);
	CHECK_EQ(info.apic_ids[2], 4);
	CHECK_EQ(info.nmem, 1);
	CHECK_EQ(info.mem[0].base, 0x100000);
	CHECK_EQ(info.mem[0].size, 0x1000000);
	CHECK(info.have_vmm); /* found by compatible, not by name */
	CHECK_EQ(info.report_port, 0x600);
	CHECK_EQ(info.exit_port, 0);
	CHECK_EQ(info.serial_port, 0);
	CHECK(info.bootargs == NULL);
}

static void test_too_many_cpus(void)
{
	struct fdt_info info;
	const char *why = NULL;
	size_t n = build_custom(GFDT_MAX_CPUS + 1, 2);
	CHECK_EQ(parse_exact(tree, n, &info, &why), -7);
	CHECK_STR(why, "more cpu nodes than the guest supports");
}

/* Each rule in fdt_parse() refuses a blob broken in its own way. */
static void test_malformed(void)
{
	static const uint32_t ids[] = { 0 };
	struct fdt_info info;
	const char *why;
	int n = build_vmm_tree(1, ids, NULL);
	uint8_t bad[4096];
	struct {
		const char *what;
		size_t off;
		uint32_t value; /* big-endian store at off */
		size_t size;    /* bytes given to the parser (0: n) */
		const char *why;
	} cases[] = {
		{ "magic", 0, 0xd00dfeee, 0, "bad FDT magic (want 0xd00dfeed)" },
		{ "totalsize", 4, 0x10000, 0, "FDT totalsize larger than the module" },
		{ "struct offset", 8, 0xfff0, 0, "structure block outside the blob" },
		{ "strings offset", 12, 0xfff0, 0, "strings block outside the blob" },
		{ "version", 20, 16, 0, "unsupported FDT version (need 17)" },
		{ "struct size", 36, 0xfffffff0, 0, "structure block outside the blob" },
		{ "rsvmap offset", 16, 3, 0, "bad memory reservation block offset" },
		{ "header only", 0, 0xd00dfeed, 20, "blob smaller than the FDT header" },
	};
	CHECK(n > 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(bad, tree, (size_t)n);
		uint32_t be = cpu_to_fdt32(cases[i].value);
		memcpy(bad + cases[i].off, &be, 4);
		why = NULL;
		int ret = parse_exact(bad, cases[i].size ? cases[i].size : (size_t)n, &info, &why);
		if (ret != -22 || !why || strcmp(why, cases[i].why) != 0) {
			fprintf(stderr, "case %s: ret %d why %s\n", cases[i].what, ret, why ? why : "-");
			CHECK(0);
		}
	}
	/* An unknown token as the first one of the structure block. */
	memcpy(bad, tree, (size_t)n);
	uint32_t tok = cpu_to_fdt32(7);
	memcpy(bad + fdt_off_dt_struct(tree), &tok, 4);
	CHECK_EQ(parse_exact(bad, (size_t)n, &info, &why), -22);
	CHECK_STR(why, "unknown structure token");
	/* A property name offset past the strings block. */
	memcpy(bad, tree, (size_t)n);
	int root_prop = fdt_first_property_offset(tree, 0);
	uint32_t nameoff = cpu_to_fdt32(0x7fffffff);
	memcpy(bad + fdt_off_dt_struct(tree) + (uint32_t)root_prop + 8, &nameoff, 4);
	CHECK_EQ(parse_exact(bad, (size_t)n, &info, &why), -22);
	CHECK_STR(why, "property name offset outside the strings block");
	/* A property length running off the structure block. */
	memcpy(bad, tree, (size_t)n);
	uint32_t len = cpu_to_fdt32(0x100000);
	memcpy(bad + fdt_off_dt_struct(tree) + (uint32_t)root_prop + 4, &len, 4);
	CHECK_EQ(parse_exact(bad, (size_t)n, &info, &why), -22);
	CHECK_STR(why, "property value past the structure block");
	/* The structure block cut before FDT_END. */
	memcpy(bad, tree, (size_t)n);
	uint32_t small = cpu_to_fdt32(fdt_size_dt_struct(tree) - 8);
	memcpy(bad + 36, &small, 4);
	CHECK_EQ(parse_exact(bad, (size_t)n, &info, &why), -22);
	CHECK(why != NULL);
	/* Garbage and empty input. */
	CHECK_EQ(parse_exact("", 0, &info, &why), -22);
	memset(bad, 0xa5, sizeof(bad));
	CHECK_EQ(parse_exact(bad, sizeof(bad), &info, &why), -22);
}

/* Random byte flips of a good tree: any result, but never a bad read. */
static void test_mutations(void)
{
	static const uint32_t ids[] = { 0, 1 };
	struct fdt_info info;
	const char *why;
	uint8_t bad[4096];
	int n = build_vmm_tree(2, ids, "x");
	unsigned int seed = 12345;
	int refused = 0;
	CHECK(n > 0);
	for (int i = 0; i < 20000; i++) {
		memcpy(bad, tree, (size_t)n);
		int flips = 1 + (int)(rand_r(&seed) % 4);
		for (int f = 0; f < flips; f++)
			bad[rand_r(&seed) % (unsigned int)n] ^= (uint8_t)(1u << (rand_r(&seed) % 8));
		size_t size = (size_t)n - (rand_r(&seed) % 8 == 0 ? rand_r(&seed) % (unsigned int)n : 0);
		if (parse_exact(bad, size, &info, &why) != 0)
			refused++;
		else
			CHECK(info.ncpus <= GFDT_MAX_CPUS && info.nmem <= GFDT_MAX_MEM);
	}
	CHECK(refused > 0);
}

int main(void)
{
	RUN(test_vmm_tree);
	RUN(test_custom_tree);
	RUN(test_too_many_cpus);
	RUN(test_malformed);
	RUN(test_mutations);
	free(last_copy);
	return unit_done();
}
