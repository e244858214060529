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
 */
#ifndef GUEST_REPORT_H
#define GUEST_REPORT_H

#include <stdbool.h>
#include <stdint.h>

void report_prefix_push(const char *prefix);
void report_prefix_pop(void);

/* One result; name is a printf format. Returns pass. */
__attribute__((format(printf, 2, 3))) bool report(bool pass, const char *fmt, ...);

/* A test that cannot run here, with the reason. */
__attribute__((format(printf, 2, 3))) void report_skip(const char *name, const char *reason_fmt,
						       ...);

/* A line of information under the current prefix (not a result). */
__attribute__((format(printf, 1, 2))) void report_info(const char *fmt, ...);

/* Equality assert: both values and file:line go to the console and record. */
#define report_eq(expected, actual, ...) \
	report_eq_at(__FILE__, __LINE__, (uint64_t)(expected), (uint64_t)(actual), __VA_ARGS__)
__attribute__((format(printf, 5, 6))) bool report_eq_at(const char *file, int line,
							uint64_t expected, uint64_t actual,
							const char *fmt, ...);

/* Range assert: lo <= actual <= hi. */
#define report_within(lo, hi, actual, ...)                                               \
	report_within_at(__FILE__, __LINE__, (uint64_t)(lo), (uint64_t)(hi), (uint64_t)(actual), \
			 __VA_ARGS__)
__attribute__((format(printf, 6, 7))) bool report_within_at(const char *file, int line,
							    uint64_t lo, uint64_t hi,
							    uint64_t actual, const char *fmt, ...);

/* A named timestamp (REPORT_KIND_MARK) with the TSC and the guest clock. */
void report_mark(const char *name);

/*
 * End of the run: send REPORT_KIND_SUMMARY for suite, print
 * "SUMMARY: N passed, N failed, N skipped"; returns EXIT_PASS or EXIT_FAIL.
 */
int report_summary(const char *suite);

/* A fatal error as a failed "panic" result (console text is the caller's). */
void report_panic(const char *msg);

uint32_t report_failures(void);

#endif
