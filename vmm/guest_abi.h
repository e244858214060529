/*
 * guest_abi.h - the guest -> VMM contract shared by vmm/ and guest/.
 *
 * Freestanding: only <stdint.h>, so the guest kernel includes it as is.
 *
 * Report channel: the guest fills a record in its RAM and writes the
 * record's guest-physical address (below 4 GiB) with a 32-bit OUT to
 * LAYOUT_PORT_REPORT. The VMM validates the address and the record's size
 * against guest RAM through its one checked GPA accessor, copies the
 * record, and keeps it for --json output and the exit summary. The write
 * completes only after the copy, so the guest may reuse the buffer at once.
 * Under QEMU nothing listens on the port; the console text carries the
 * same results.
 *
 * vmm names itself "vmm" in the Multiboot boot_loader_name. A guest that
 * sees that name may rely on this channel at once, without reading the
 * device tree, and may send its console text as REPORT_KIND_CONSOLE
 * records: one exit per record instead of one per byte through the UART
 * (every exit costs ~13 us on this host). vmm writes the text to the
 * console in order with the UART's output.
 *
 * Exit port: a byte, word or long OUT to LAYOUT_PORT_EXIT ends the VM. vmm
 * exits with the value written (low 8 bits); with --exit-code qemu it exits
 * with (value << 1) | 1 as QEMU's isa-debug-exit does.
 */
#ifndef VMM_GUEST_ABI_H
#define VMM_GUEST_ABI_H

#include <stdint.h>

#define REPORT_MAGIC 0x50455256u /* "VREP" little-endian */
#define REPORT_VERSION 1
#define REPORT_MAX_SIZE 4096u

enum report_kind {
	REPORT_KIND_TEST = 1,     /* one test result: struct report_test */
	REPORT_KIND_SUMMARY = 2,  /* end of a suite: struct report_summary */
	REPORT_KIND_MARK = 3,     /* a named timestamp (boot phases): struct report_mark */
	REPORT_KIND_COUNTERS = 4, /* workload counters: struct report_counters */
	REPORT_KIND_CONSOLE = 5,  /* console text: struct report_console */
};

enum report_status {
	REPORT_PASS = 0,
	REPORT_FAIL = 1,
	REPORT_SKIP = 2,
};

/* Every record starts with this header; size covers the whole record. */
struct report_header {
	uint32_t magic;
	uint16_t version;
	uint16_t kind;
	uint32_t size;
	uint32_t cpu; /* APIC ID of the reporting CPU */
} __attribute__((packed));

#define REPORT_NAME_LEN 64
#define REPORT_FILE_LEN 48
#define REPORT_MSG_LEN 160
#define REPORT_NVALUES 4

struct report_test {
	struct report_header hdr;
	uint32_t status; /* enum report_status */
	uint32_t line;
	uint32_t nvalues; /* how many of values[] are meaningful */
	uint32_t reserved;
	uint64_t values[REPORT_NVALUES]; /* e.g. expected, actual */
	uint64_t tsc;
	char name[REPORT_NAME_LEN]; /* "suite.test", NUL-terminated */
	char file[REPORT_FILE_LEN];
	char msg[REPORT_MSG_LEN];
} __attribute__((packed));

struct report_summary {
	struct report_header hdr;
	uint32_t passed;
	uint32_t failed;
	uint32_t skipped;
	uint32_t reserved;
	uint64_t tsc;
	char suite[REPORT_NAME_LEN];
} __attribute__((packed));

struct report_mark {
	struct report_header hdr;
	uint32_t reserved;
	uint32_t reserved2;
	uint64_t tsc;
	uint64_t ns; /* guest clock in ns (kvmclock where available), 0 if none */
	char name[REPORT_NAME_LEN];
} __attribute__((packed));

#define REPORT_NCOUNTERS 16
struct report_counters {
	struct report_header hdr;
	uint32_t ncounters;
	uint32_t reserved;
	uint64_t ns; /* guest timestamp of the sample */
	uint64_t counters[REPORT_NCOUNTERS];
	char name[REPORT_NAME_LEN];
} __attribute__((packed));

/* Console text; hdr.size covers the header, len and the text. */
struct report_console {
	struct report_header hdr;
	uint32_t len; /* bytes of text; not NUL-terminated */
	uint32_t reserved;
	char text[];
} __attribute__((packed));

#define REPORT_CONSOLE_MAX (REPORT_MAX_SIZE - sizeof(struct report_console))

#endif
