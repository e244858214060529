/*
 * report.h - test results in the style of kvm-unit-tests, sent both to the
 * console and, as vmm/guest_abi.h records, to the VMM's report channel.
 *
 *	report_prefix_push("paging");
 *	report(ok, "map a 4K page");
 *	report_eq(0x1234, value, "value read back");
 *	report_prefix_pop();
 *
 * Console lines: "PASS: paging: map a 4K page", "FAIL: ...: expected 0x..
 * got 0x.. at guest/suite_paging.c:40", "SKIP: ... (reason)". Any CPU may
 * report; prefixes belong to the boot CPU's test flow.
 *
 * The macros pass the length of their format and of its literal start
 * (FMT_SPAN), so the format must be a string literal: kernel code runs
 * emulated here, and a name without a conversion is then copied, never
 * scanned.
 */
#ifndef GUEST_REPORT_H
#define GUEST_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "format.h"

/* prefix: a static string (a literal or a static array), kept until popped. */
void report_prefix_push(const char *prefix);
void report_prefix_pop(void);

/* One result; the name is a printf format. Returns pass. */
#define report(pass, ...) report_n(pass, FMT_SPAN(__VA_ARGS__), __VA_ARGS__)
__attribute__((format(printf, 4, 5))) bool report_n(bool pass, size_t fmtlen, size_t lit,
						    const char *fmt, ...);

/* A test that cannot run here (name as is), with the reason (a format). */
#define report_skip(name, ...) report_skip_n(name, FMT_SPAN(__VA_ARGS__), __VA_ARGS__)
__attribute__((format(printf, 4, 5))) void report_skip_n(const char *name, size_t fmtlen,
							 size_t lit, const char *reason_fmt, ...);

/* A line of information under the current prefix (not a result). */
#define report_info(...) report_info_n(FMT_SPAN(__VA_ARGS__), __VA_ARGS__)
__attribute__((format(printf, 3, 4))) void report_info_n(size_t fmtlen, size_t lit,
							 const char *fmt, ...);

/* Where a check sits in the source, for the record and a failure's text. */
struct report_where {
	const char *file;
	size_t filelen;
	int line;
};
#define REPORT_HERE ((struct report_where){ __FILE__, sizeof(__FILE__) - 1, __LINE__ })

/* Equality assert: both values and file:line go to the console and record. */
#define report_eq(expected, actual, ...)                                                    \
	report_eq_at(REPORT_HERE, (uint64_t)(expected), (uint64_t)(actual), FMT_SPAN(__VA_ARGS__), \
		     __VA_ARGS__)
__attribute__((format(printf, 6, 7))) bool report_eq_at(struct report_where at, uint64_t expected,
							uint64_t actual, size_t fmtlen, size_t lit,
							const char *fmt, ...);

/* Range assert: lo <= actual <= hi. */
#define report_within(lo, hi, actual, ...)                                        \
	report_within_at(REPORT_HERE, (uint64_t)(lo), (uint64_t)(hi), (uint64_t)(actual), \
			 FMT_SPAN(__VA_ARGS__), __VA_ARGS__)
__attribute__((format(printf, 7, 8))) bool report_within_at(struct report_where at, uint64_t lo,
							    uint64_t hi, uint64_t actual,
							    size_t fmtlen, size_t lit,
							    const char *fmt, ...);

/* A named timestamp (REPORT_KIND_MARK) with the TSC and the guest clock; name is a literal. */
#define report_mark(name) report_mark_n("" name, sizeof(name) - 1)
void report_mark_n(const char *name, size_t len);

/*
 * End of the run: send REPORT_KIND_SUMMARY for suite, print
 * "SUMMARY: N passed, N failed, N skipped"; returns EXIT_PASS or EXIT_FAIL.
 */
int report_summary(const char *suite);

/* A fatal error as a failed "panic" result (console text is the caller's). */
void report_panic(const char *msg);

uint32_t report_failures(void);

#endif
