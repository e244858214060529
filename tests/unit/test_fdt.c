/* test_fdt.c - build the machine's device tree, read it back with libfdt, feed it to dtc. */
#include <errno.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libfdt.h>

#include "tests/unit/unit.h"
#include "vmm/fdt.h"
#include "vmm/layout.h"

static const struct fdt_ram two_regions[] = {
	{ 0, 3 * LAYOUT_GiB },
	{ LAYOUT_HIGH_RAM, 5 * LAYOUT_GiB },
};
static const uint32_t apic_ids[] = { 0, 1, 2, 7 };

static void machine(struct fdt_machine *m)
{
	fdt_machine_defaults(m);
	m->ram = two_regions;
	m->nr_ram = 2;
	m->apic_ids = apic_ids;
	m->nr_cpus = 4;
	m->bootargs = "suite=all dirty.pages=1024";
}

/* The u32 property name of node path, or ~0 when missing or not 4 bytes. */
static uint32_t get_u32(const void *fdt, const char *path, const char *name)
{
	int node = fdt_path_offset(fdt, path), len = 0;
	const fdt32_t *p;

	if (node < 0)
		return ~0u;
	p = fdt_getprop(fdt, node, name, &len);
	return p && len == 4 ? fdt32_to_cpu(*p) : ~0u;
}

static const char *get_str(const void *fdt, const char *path, const char *name)
{
	int node = fdt_path_offset(fdt, path);

	return node < 0 ? NULL : fdt_getprop(fdt, node, name, NULL);
}

/* reg of node path as u64 cells into out; returns how many u64s. */
static int get_reg64(const void *fdt, const char *path, uint64_t *out, int max)
{
	int node = fdt_path_offset(fdt, path), len = 0, n;
	const fdt64_t *p;

	if (node < 0)
		return -1;
	p = fdt_getprop(fdt, node, "reg", &len);
	if (!p || len % 8)
		return -1;
	n = len / 8;
	for (int i = 0; i < n && i < max; i++) {
		fdt64_t v;

		memcpy(&v, &p[i], sizeof(v));
		out[i] = fdt64_to_cpu(v);
	}
	return n;
}

static void test_tree(void)
{
	static char buf[8192];
	char err[128] = "";
	struct fdt_machine m;
	uint64_t reg[8];
	int size;

	machine(&m);
	size = fdt_build(buf, sizeof(buf), &m, err, sizeof(err));
	CHECK(size > 0);
	CHECK_STR(err, "");
	CHECK_EQ(fdt_check_header(buf), 0);
	CHECK_EQ(fdt_totalsize(buf), size);

	CHECK_EQ(get_u32(buf, "/", "#address-cells"), 2);
	CHECK_EQ(get_u32(buf, "/", "#size-cells"), 2);
	CHECK_STR(get_str(buf, "/", "compatible"), "vmm,pc");
	CHECK_STR(get_str(buf, "/", "model"), "vmm");
	CHECK_STR(get_str(buf, "/chosen", "bootargs"), "suite=all dirty.pages=1024");

	CHECK_STR(get_str(buf, "/memory@0", "device_type"), "memory");
	CHECK_EQ(get_reg64(buf, "/memory@0", reg, 8), 4);
	CHECK_EQ(reg[0], 0);
	CHECK_EQ(reg[1], 3 * LAYOUT_GiB);
	CHECK_EQ(reg[2], LAYOUT_HIGH_RAM);
	CHECK_EQ(reg[3], 5 * LAYOUT_GiB);

	CHECK_EQ(get_u32(buf, "/cpus", "#address-cells"), 1);
	CHECK_EQ(get_u32(buf, "/cpus", "#size-cells"), 0);
	CHECK_EQ(get_u32(buf, "/cpus/cpu@0", "reg"), 0);
	CHECK_EQ(get_u32(buf, "/cpus/cpu@2", "reg"), 2);
	CHECK_EQ(get_u32(buf, "/cpus/cpu@7", "reg"), 7);
	CHECK_STR(get_str(buf, "/cpus/cpu@7", "device_type"), "cpu");
	CHECK(fdt_path_offset(buf, "/cpus/cpu@3") < 0);
	int ncpus = 0, cpus = fdt_path_offset(buf, "/cpus"), child;
	fdt_for_each_subnode(child, buf, cpus)
		ncpus++;
	CHECK_EQ(ncpus, 4);

	CHECK_STR(get_str(buf, "/vmm", "compatible"), "vmm,platform");
	CHECK_EQ(get_u32(buf, "/vmm", "features"), 0);
	CHECK_EQ(get_u32(buf, "/vmm", "exit-port"), 0xf4);
	CHECK_EQ(get_u32(buf, "/vmm", "report-port"), 0x520);

	CHECK_STR(get_str(buf, "/serial@3f8", "compatible"), "ns16550a");
	CHECK_EQ(get_u32(buf, "/serial@3f8", "io-port"), 0x3f8);
	CHECK_EQ(get_u32(buf, "/serial@3f8", "interrupts"), 4);
	CHECK_EQ(get_u32(buf, "/serial@3f8", "clock-frequency"), 1843200);

	CHECK_STR(get_str(buf, "/fw-cfg@510", "compatible"), "qemu,fw-cfg-io");
	CHECK_EQ(get_u32(buf, "/fw-cfg@510", "io-port"), 0x510);

	CHECK_STR(get_str(buf, "/interrupt-controller@fec00000", "compatible"), "intel,ioapic");
	CHECK_EQ(get_reg64(buf, "/interrupt-controller@fec00000", reg, 8), 2);
	CHECK_EQ(reg[0], 0xfec00000);
	CHECK_EQ(reg[1], 0x1000);
	/* interrupts = <4> resolve through the root's interrupt-parent. */
	CHECK_EQ(get_u32(buf, "/", "interrupt-parent"),
		 get_u32(buf, "/interrupt-controller@fec00000", "phandle"));
	CHECK_EQ(get_u32(buf, "/interrupt-controller@fec00000", "#interrupt-cells"), 1);

	CHECK_STR(get_str(buf, "/lapic@fee00000", "compatible"), "intel,lapic");
	CHECK_EQ(get_reg64(buf, "/lapic@fee00000", reg, 8), 2);
	CHECK_EQ(reg[0], 0xfee00000);
}

static void test_small_machine(void)
{
	static char buf[4096];
	static const struct fdt_ram low = { 0, 64 * LAYOUT_MiB };
	static const uint32_t one = 0;
	struct fdt_machine m;
	uint64_t reg[4];

	fdt_machine_defaults(&m);
	m.ram = &low;
	m.nr_ram = 1;
	m.apic_ids = &one;
	m.nr_cpus = 1;
	m.features = FDT_FEATURE_HYPERCALL;
	CHECK(fdt_build(buf, sizeof(buf), &m, NULL, 0) > 0);
	CHECK_STR(get_str(buf, "/chosen", "bootargs"), "");
	CHECK_EQ(get_reg64(buf, "/memory@0", reg, 4), 2);
	CHECK_EQ(reg[1], 64 * LAYOUT_MiB);
	CHECK_EQ(get_u32(buf, "/vmm", "features"), 1);
}

static void test_rejects(void)
{
	static char buf[8192];
	char err[160];
	struct fdt_machine m;
	struct fdt_ram bad[2];
	uint32_t ids[LAYOUT_MAX_CPUS + 1];

	machine(&m);
	m.nr_ram = 0;
	CHECK_EQ(fdt_build(buf, sizeof(buf), &m, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "device tree: 0 RAM regions (1 to 8)");

	machine(&m);
	bad[0] = (struct fdt_ram){ 0, 2 * LAYOUT_GiB };
	bad[1] = (struct fdt_ram){ LAYOUT_GiB, LAYOUT_GiB };
	m.ram = bad;
	CHECK_EQ(fdt_build(buf, sizeof(buf), &m, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "overlaps") != NULL);
	bad[1] = (struct fdt_ram){ UINT64_MAX - 10, 100 };
	CHECK_EQ(fdt_build(buf, sizeof(buf), &m, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "wraps") != NULL);
	bad[1] = (struct fdt_ram){ 4 * LAYOUT_GiB, 0 };
	CHECK_EQ(fdt_build(buf, sizeof(buf), &m, err, sizeof(err)), -EINVAL);

	machine(&m);
	m.nr_cpus = 0;
	CHECK_EQ(fdt_build(buf, sizeof(buf), &m, err, sizeof(err)), -EINVAL);
	for (uint32_t i = 0; i <= LAYOUT_MAX_CPUS; i++)
		ids[i] = i;
	m.apic_ids = ids;
	m.nr_cpus = LAYOUT_MAX_CPUS + 1;
	CHECK_EQ(fdt_build(buf, sizeof(buf), &m, err, sizeof(err)), -EINVAL);
	m.nr_cpus = LAYOUT_MAX_CPUS;
	CHECK(fdt_build(buf, sizeof(buf), &m, err, sizeof(err)) > 0);
	ids[5] = 3;
	CHECK_EQ(fdt_build(buf, sizeof(buf), &m, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "device tree: CPUs 3 and 5 share APIC ID 3");

	machine(&m);
	m.features = 0x80;
	CHECK_EQ(fdt_build(buf, sizeof(buf), &m, err, sizeof(err)), -EINVAL);

	machine(&m);
	CHECK_EQ(fdt_build(buf, 256, &m, err, sizeof(err)), -ENOSPC);
	CHECK_STR(err, "device tree: does not fit in 256 bytes");
	CHECK_EQ(fdt_build(buf, 8, &m, err, sizeof(err)), -ENOSPC);
}

/* Run cmd with sh; its exit status, or -1. */
static int run(const char *cmd)
{
	int st = system(cmd);

	return st == -1 || !WIFEXITED(st) ? -1 : WEXITSTATUS(st);
}

static void test_dtc_accepts(void)
{
	static char buf[8192];
	char path[] = "/tmp/vmm-test-fdt-XXXXXX", cmd[256];
	struct fdt_machine m;
	int size, fd;
	FILE *f;

	if (run("command -v dtc >/dev/null 2>&1") != 0) {
		printf("SKIP test_dtc_accepts: dtc is not installed\n");
		return;
	}
	machine(&m);
	size = fdt_build(buf, sizeof(buf), &m, NULL, 0);
	CHECK(size > 0);
	fd = mkstemp(path);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK_EQ(write(fd, buf, (size_t)size), size);
	close(fd);
	/*
	 * Accepted, and without a warning but the one the schema implies:
	 * serial@3f8 and fw-cfg@510 carry io-port, not reg.
	 */
	snprintf(cmd, sizeof(cmd), "dtc -q -I dtb -O dts -o /dev/null %s", path);
	CHECK_EQ(run(cmd), 0);
	snprintf(cmd, sizeof(cmd),
		 "dtc -W no-unit_address_vs_reg -I dtb -O dts -o %s.dts %s 2>%s.err", path, path,
		 path);
	CHECK_EQ(run(cmd), 0);
	snprintf(cmd, sizeof(cmd), "%s.err", path);
	f = fopen(cmd, "r");
	CHECK(f != NULL);
	if (f) {
		char line[256];

		while (fgets(line, sizeof(line), f)) {
			fprintf(stderr, "dtc: %s", line);
			CHECK(0);
		}
		fclose(f);
	}
	snprintf(cmd, sizeof(cmd), "grep -q 'bootargs = \"suite=all dirty.pages=1024\"' %s.dts",
		 path);
	CHECK_EQ(run(cmd), 0);
	snprintf(cmd, sizeof(cmd), "rm -f %s %s.dts %s.err", path, path, path);
	run(cmd);
}

int main(void)
{
	RUN(test_tree);
	RUN(test_small_machine);
	RUN(test_rejects);
	RUN(test_dtc_accepts);
	return unit_done();
}
