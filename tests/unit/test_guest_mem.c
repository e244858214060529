/*
 * test_guest_mem.c - the RAM plan, the host backings and the checked
 * GPA accessor at every edge of the address map.
 */
#include "tests/unit/unit.h"
#include "vmm/guest_mem.h"
#include "vmm/layout.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#define GiB LAYOUT_GiB
#define MiB LAYOUT_MiB

static void test_plan_small(void)
{
	struct guest_mem m;

	CHECK_EQ(guest_mem_plan(&m, 16 * MiB), 0);
	CHECK_EQ(m.nr_regions, 1);
	CHECK_EQ(m.regions[0].gpa, 0);
	CHECK_EQ(m.regions[0].size, 16 * MiB);
	CHECK_EQ(m.regions[0].slot, 0);
	CHECK_EQ(m.low_end, 16 * MiB);
	CHECK_EQ(m.ram_size, 16 * MiB);
	CHECK_EQ(m.memfd, -1);
	CHECK(m.regions[0].hva == NULL);
}

static void test_plan_exactly_hole(void)
{
	struct guest_mem m;

	CHECK_EQ(guest_mem_plan(&m, 3 * GiB), 0);
	CHECK_EQ(m.nr_regions, 1);
	CHECK_EQ(m.low_end, LAYOUT_MMIO_HOLE);

	CHECK_EQ(guest_mem_plan(&m, 3 * GiB + 4096), 0);
	CHECK_EQ(m.nr_regions, 2);
	CHECK_EQ(m.regions[1].gpa, LAYOUT_HIGH_RAM);
	CHECK_EQ(m.regions[1].size, 4096);
	CHECK_EQ(m.regions[1].slot, 1);
}

static void test_plan_5g(void)
{
	struct guest_mem m;

	CHECK_EQ(guest_mem_plan(&m, 5 * GiB), 0);
	CHECK_EQ(m.nr_regions, 2);
	CHECK_EQ(m.regions[0].gpa, 0);
	CHECK_EQ(m.regions[0].size, 3 * GiB);
	CHECK_EQ(m.regions[1].gpa, 4 * GiB);
	CHECK_EQ(m.regions[1].size, 2 * GiB);
	CHECK_EQ(m.low_end, 3 * GiB);
	CHECK_EQ(m.map_size, 5 * GiB);
	CHECK_EQ(guest_mem_host_size(5 * GiB), 5 * GiB);
	/* a plan answers is_ram without host memory, but gives no pointers */
	CHECK(guest_mem_is_ram(&m, 4 * GiB, 4096));
	CHECK(guest_mem_ptr(&m, 4 * GiB, 4096) == NULL);
}

static void test_plan_rejects(void)
{
	struct guest_mem m;

	CHECK_EQ(guest_mem_plan(&m, 0), -EINVAL);
	CHECK_EQ(guest_mem_plan(&m, 16 * MiB - 4096), -EINVAL);
	CHECK_EQ(guest_mem_plan(&m, 16 * MiB + 1), -EINVAL);
	CHECK_EQ(guest_mem_plan(&m, LAYOUT_MAX_RAM + 4096), -EINVAL);
	CHECK(strstr(m.error, "multiple of 4 KiB") != NULL);
	CHECK_EQ(guest_mem_plan(&m, LAYOUT_MAX_RAM), 0);
}

/* Every edge of a 5 GiB layout, on real (unpopulated) host memory. */
static void test_ptr_edges_5g(void)
{
	struct guest_mem m;
	uint8_t *lo, *hi;

	if (guest_mem_create(&m, 5 * GiB, GUEST_MEM_ANON) != 0) {
		fprintf(stderr, "create 5 GiB: %s\n", m.error);
		CHECK(0);
		return;
	}
	lo = m.regions[0].hva;
	hi = m.regions[1].hva;
	CHECK(lo == m.base);
	CHECK(hi == m.base + 3 * GiB);

	CHECK(guest_mem_ptr(&m, 0, 1) == lo);
	CHECK(guest_mem_ptr(&m, 0, 3 * GiB) == lo);
	CHECK(guest_mem_ptr(&m, 0, 3 * GiB + 1) == NULL);
	/* last byte of low RAM, and the first byte of the hole */
	CHECK(guest_mem_ptr(&m, 3 * GiB - 1, 1) == lo + 3 * GiB - 1);
	CHECK(guest_mem_ptr(&m, 3 * GiB - 1, 2) == NULL);
	CHECK(guest_mem_ptr(&m, 3 * GiB, 1) == NULL);
	CHECK(guest_mem_ptr(&m, LAYOUT_LAPIC_BASE, 4) == NULL);
	/* the 4 GiB boundary */
	CHECK(guest_mem_ptr(&m, 4 * GiB - 1, 1) == NULL);
	CHECK(guest_mem_ptr(&m, 4 * GiB - 1, 2) == NULL);
	CHECK(guest_mem_ptr(&m, 4 * GiB, 1) == hi);
	/* straddling the hole from low RAM into high RAM */
	CHECK(guest_mem_ptr(&m, 3 * GiB - 4096, 1 * GiB + 8192) == NULL);
	/* the end of high RAM */
	CHECK(guest_mem_ptr(&m, 6 * GiB - 1, 1) == hi + 2 * GiB - 1);
	CHECK(guest_mem_ptr(&m, 4 * GiB, 2 * GiB) == hi);
	CHECK(guest_mem_ptr(&m, 4 * GiB, 2 * GiB + 1) == NULL);
	CHECK(guest_mem_ptr(&m, 6 * GiB, 1) == NULL);
	/* zero length and wrap-around */
	CHECK(guest_mem_ptr(&m, 0, 0) == NULL);
	CHECK(guest_mem_ptr(&m, 4 * GiB, 0) == NULL);
	CHECK(guest_mem_ptr(&m, UINT64_MAX, 1) == NULL);
	CHECK(guest_mem_ptr(&m, UINT64_MAX - 1, 2) == NULL);
	CHECK(guest_mem_ptr(&m, 1, UINT64_MAX) == NULL);
	CHECK(guest_mem_ptr(&m, 4 * GiB, UINT64_MAX) == NULL);
	CHECK(guest_mem_ptr(&m, UINT64_MAX - 4095, 4096) == NULL);

	CHECK(guest_mem_is_ram(&m, 3 * GiB - 1, 1));
	CHECK(!guest_mem_is_ram(&m, 3 * GiB - 1, 2));
	CHECK(!guest_mem_is_ram(&m, UINT64_MAX, 1));

	/* the mapping is really there at both ends */
	lo[3 * GiB - 1] = 0x5a;
	hi[2 * GiB - 1] = 0xa5;
	CHECK_EQ(lo[3 * GiB - 1], 0x5a);
	CHECK_EQ(hi[2 * GiB - 1], 0xa5);
	guest_mem_destroy(&m);
	CHECK(m.base == NULL);
	CHECK_EQ(m.nr_regions, 0);
}

static void test_ptr_edges_small(void)
{
	static uint8_t buf[16 * 1024 * 1024];
	struct guest_mem m;

	CHECK_EQ(guest_mem_init_from_buffer(&m, 16 * MiB, buf), 0);
	CHECK(m.borrowed);
	CHECK(guest_mem_ptr(&m, 0, 16 * MiB) == buf);
	CHECK(guest_mem_ptr(&m, 16 * MiB - 1, 1) == buf + 16 * MiB - 1);
	CHECK(guest_mem_ptr(&m, 16 * MiB - 1, 2) == NULL);
	CHECK(guest_mem_ptr(&m, 16 * MiB, 1) == NULL);
	CHECK(guest_mem_ptr(&m, 4 * GiB, 1) == NULL);
	CHECK(guest_mem_ptr(&m, 3 * GiB - 1, 1) == NULL);
	/* destroy must leave a borrowed buffer alone */
	guest_mem_destroy(&m);
	buf[0] = 1;
	CHECK_EQ(buf[0], 1);
}

static void test_read_write(void)
{
	static uint8_t buf[16 * 1024 * 1024];
	struct guest_mem m;
	char out[6] = { 0 };

	CHECK_EQ(guest_mem_init_from_buffer(&m, 16 * MiB, buf), 0);
	CHECK_EQ(guest_mem_write(&m, 0x123456, "hello", 5), 0);
	CHECK(memcmp(buf + 0x123456, "hello", 5) == 0);
	CHECK_EQ(guest_mem_read(&m, 0x123456, out, 5), 0);
	CHECK_STR(out, "hello");
	CHECK_EQ(guest_mem_write(&m, 16 * MiB - 2, "abc", 3), -EFAULT);
	CHECK_EQ(guest_mem_read(&m, 16 * MiB - 2, out, 3), -EFAULT);
	CHECK_EQ(guest_mem_write(&m, 0, "", 0), -EFAULT);
	CHECK_EQ(buf[16 * MiB - 2], 0);
}

static void test_anon_backing(void)
{
	struct guest_mem m;

	CHECK_EQ(guest_mem_create(&m, 64 * MiB, GUEST_MEM_ANON), 0);
	CHECK_EQ(m.memfd, -1);
	CHECK_EQ(m.backing, GUEST_MEM_ANON);
	CHECK(m.base != NULL);
	CHECK(!m.borrowed);
	CHECK_EQ(guest_mem_write(&m, 64 * MiB - 4, "xyz", 4), 0);
	guest_mem_destroy(&m);
	guest_mem_destroy(&m); /* twice is harmless */
}

/* memfd backing is shared: what the guest sees, the fd sees. */
static void test_memfd_backing(void)
{
	struct guest_mem m;
	char out[8] = { 0 };

	CHECK_EQ(guest_mem_create(&m, 16 * MiB, GUEST_MEM_MEMFD), 0);
	CHECK(m.memfd >= 0);
	CHECK_EQ(m.backing, GUEST_MEM_MEMFD);
	CHECK_EQ(guest_mem_write(&m, 0x200000, "memfd", 6), 0);
	CHECK_EQ(pread(m.memfd, out, 6, 0x200000), 6);
	CHECK_STR(out, "memfd");
	CHECK_EQ(lseek(m.memfd, 0, SEEK_END), 16 * MiB);
	guest_mem_destroy(&m);
	CHECK_EQ(m.memfd, -1);
}

static long read_nr_hugepages(void)
{
	FILE *f = fopen("/proc/sys/vm/nr_hugepages", "r");
	long n = -1;

	if (f) {
		if (fscanf(f, "%ld", &n) != 1)
			n = -1;
		fclose(f);
	}
	return n;
}

/* Without reserved huge pages the failure must say how to reserve them. */
static void test_hugetlb_backing(void)
{
	struct guest_mem m;
	int ret;

	CHECK_EQ(guest_mem_create(&m, 17 * MiB, GUEST_MEM_HUGETLB), -EINVAL);
	CHECK(strstr(m.error, "multiple of 2 MiB") != NULL);

	ret = guest_mem_create(&m, 16 * MiB, GUEST_MEM_HUGETLB);
	if (ret == 0) {
		CHECK_EQ(guest_mem_write(&m, 16 * MiB - 1, "", 1), 0);
		guest_mem_destroy(&m);
		return;
	}
	if (read_nr_hugepages() == 0)
		CHECK_EQ(ret, -ENOMEM);
	CHECK(strstr(m.error, "/proc/sys/vm/nr_hugepages") != NULL);
	CHECK(strstr(m.error, "echo 8 >") != NULL);
	guest_mem_destroy(&m);
}

static void test_bad_backing(void)
{
	struct guest_mem m;

	CHECK_EQ(guest_mem_create(&m, 16 * MiB, (enum guest_mem_backing)42), -EINVAL);
	CHECK(m.base == NULL);
	guest_mem_destroy(&m);
}

int main(void)
{
	RUN(test_plan_small);
	RUN(test_plan_exactly_hole);
	RUN(test_plan_5g);
	RUN(test_plan_rejects);
	RUN(test_ptr_edges_5g);
	RUN(test_ptr_edges_small);
	RUN(test_read_write);
	RUN(test_anon_backing);
	RUN(test_memfd_backing);
	RUN(test_hugetlb_backing);
	RUN(test_bad_backing);
	return unit_done();
}
