/*
 * report.h - the report channel: structured results from the guest.
 *
 * A 32-bit write at offset 0 of LAYOUT_PORT_REPORT carries the
 * guest-physical address of a record (vmm/guest_abi.h). report_submit()
 * reads the header through guest_mem_ptr(), checks magic, version, kind,
 * size (at least the kind's struct, at most REPORT_MAX_SIZE, the whole
 * record in one RAM region) and the kind's own fields, copies the kind's
 * struct out, forces every string field to end in a NUL, and keeps it.
 * Bytes past the kind's struct (a newer guest) are checked but ignored.
 *
 * Nothing a guest writes can crash the VMM: a refused record is counted,
 * and the first record refused for each reason is described on stderr.
 * Accesses that are not a 4-byte write count as refused records too.
 *
 * Kept: per-kind records (up to a cap per kind; more are counted as
 * dropped), pass/fail/skip counts of test records, the last summary, the
 * last counters sample, and the marks, found by name.
 *
 * Thread safety: vCPU threads submit concurrently. Lock order: cb_lock
 * (held while a record is stored and its callback runs, so callbacks come
 * one at a time, in the order records were stored), then lock (the kept
 * state). Callbacks may call the getters below but not report_submit().
 */
#ifndef DEVICES_REPORT_H
#define DEVICES_REPORT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/bus.h"
#include "vmm/guest_abi.h"
#include "vmm/guest_mem.h"

#define REPORT_KIND_MAX REPORT_KIND_CONSOLE

/* Why a record was refused. */
enum report_error {
	REPORT_ERR_ACCESS,  /* not a 4-byte write at offset 0 */
	REPORT_ERR_ADDR,    /* header not in guest RAM */
	REPORT_ERR_MAGIC,
	REPORT_ERR_VERSION,
	REPORT_ERR_KIND,
	REPORT_ERR_SIZE,    /* smaller than the kind's struct or above REPORT_MAX_SIZE */
	REPORT_ERR_RANGE,   /* the record's size runs out of guest RAM */
	REPORT_ERR_FIELD,   /* a kind's field out of range (status, nvalues, ncounters) */
	REPORT_ERR_COUNT,
};

struct report_counts {
	uint64_t records[REPORT_KIND_MAX + 1]; /* accepted records, by kind */
	uint64_t passed, failed, skipped;      /* test records, by status */
	uint64_t invalid;                      /* refused records */
	uint64_t errors[REPORT_ERR_COUNT];     /* refused records, by reason */
	uint64_t dropped;                      /* accepted but not kept: a kind's cap was reached */
};

/* Called once per accepted record; rec points to the kind's whole struct. */
typedef void (*report_fn)(void *opaque, const struct report_header *rec);

/* The records of one kind, in arrival order. */
struct report_store {
	void *recs;
	size_t nr, cap;
	size_t max;     /* keep at most this many */
	size_t recsize; /* sizeof the kind's struct */
};

struct report {
	const struct guest_mem *mem;
	pthread_mutex_t cb_lock;
	pthread_mutex_t lock; /* guards what follows */
	report_fn on_record;
	void *opaque;
	struct report_counts counts;
	struct report_store store[REPORT_KIND_MAX + 1];
	struct report_summary last_summary;
	bool have_summary;
	struct report_counters last_counters;
	bool have_counters;
};

extern const struct bus_ops report_ops;

/* An empty log reading records from mem. 0 or -errno. */
int report_init(struct report *r, const struct guest_mem *mem);
void report_destroy(struct report *r);

/* Set the per-record callback (NULL for none) before the vCPUs run. */
void report_set_callback(struct report *r, report_fn fn, void *opaque);

/*
 * Validate and keep the record at guest-physical gpa. Returns the kind
 * (> 0) or -EFAULT (not in RAM) / -EINVAL (malformed); either way the
 * outcome is counted.
 */
int report_submit(struct report *r, uint64_t gpa);

/* A snapshot of the counts. */
void report_get_counts(struct report *r, struct report_counts *out);

/* How many records of kind are kept. */
size_t report_nr_kept(struct report *r, enum report_kind kind);

/*
 * Copy the index'th kept record of kind into out, which must hold the
 * kind's struct (e.g. struct report_test). 0, or -ENOENT / -EINVAL.
 */
int report_get(struct report *r, enum report_kind kind, size_t index, void *out);

/* The last summary / counters sample, if any arrived. */
bool report_last_summary(struct report *r, struct report_summary *out);
bool report_last_counters(struct report *r, struct report_counters *out);

/* The first mark called name, if any. */
bool report_find_mark(struct report *r, const char *name, struct report_mark *out);

/*
 * JSON helpers; both follow snprintf: write at most len bytes including a
 * NUL, return the length the full text needs (excluding the NUL).
 *
 * report_json_escape: the JSON string body (no quotes) for src, stopping
 * at a NUL or after srclen bytes. '"' and '\' are escaped, control
 * characters become \n, \t, ... or \u00XX, and so do DEL and every byte
 * >= 0x80 (\u00XX, the byte's value), so any input gives valid ASCII JSON.
 */
size_t report_json_escape(char *dst, size_t len, const char *src, size_t srclen);

/*
 * One JSON object (no newline) for an accepted record, e.g.
 *   {"type":"test","name":"mem.basic","status":"pass","cpu":0,"file":"mem.c",
 *    "line":42,"msg":"","values":[1,1],"tsc":123}
 * Returns -EINVAL (as an int) for an unknown kind.
 */
int report_json(const struct report_header *rec, char *buf, size_t len);

#endif
