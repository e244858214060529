/*
 * fuzz_report.c - libFuzzer target for the report channel: the input is
 * laid into guest RAM at a fuzzer-chosen offset and submitted at a
 * fuzzer-chosen GPA (so records that start near the end of RAM, straddle
 * it or wrap are reached), and every accepted record is printed as JSON.
 *
 * Beyond memory errors it aborts when an accepted record's JSON is not a
 * single line of printable ASCII (guest strings must always be escaped).
 *
 * Input: 8 bytes of GPA (little-endian), then the bytes placed at that
 * GPA (clipped to RAM).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/report.h"
#include "vmm/layout.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RAM_SIZE (16 * LAYOUT_MiB)

static uint8_t ram[RAM_SIZE] __attribute__((aligned(4096)));

static void fuzz_check_json(void *opaque, const struct report_header *rec)
{
	char buf[8192];
	int n = report_json(rec, buf, sizeof(buf));

	(void)opaque;
	if (n < 0)
		abort();
	for (int i = 0; i < n && i < (int)sizeof(buf) - 1; i++)
		if (buf[i] < 0x20 || buf[i] > 0x7e)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct guest_mem mem;
	static struct report rep;
	static int ready;
	uint64_t gpa;

	if (!ready) {
		if (guest_mem_init_from_buffer(&mem, RAM_SIZE, ram) || report_init(&rep, &mem))
			abort();
		report_set_callback(&rep, fuzz_check_json, NULL);
		ready = 1;
	}
	if (size < 8)
		return 0;
	memcpy(&gpa, data, 8);
	data += 8;
	size -= 8;
	/* mostly in range, sometimes anywhere */
	if (!(gpa & (1ULL << 63)))
		gpa %= RAM_SIZE;
	if (gpa < RAM_SIZE) {
		size_t room = RAM_SIZE - gpa;

		memcpy(ram + gpa, data, size < room ? size : room);
	}
	report_submit(&rep, gpa);
	return 0;
}
