/*
 * unit.h - a minimal harness for unit tests that need no KVM.
 *
 * Each tests/unit/test_NAME.c is its own program:
 *
 *	static void test_something(void) { CHECK_EQ(1 + 1, 2); }
 *	int main(void) { RUN(test_something); return unit_done(); }
 *
 * Checks carry values and file:line. unit_done() prints the closing line
 * "N passed, N failed" and returns the exit status (non-zero on failure).
 * A test passes when none of its checks failed.
 */
#ifndef TESTS_UNIT_H
#define TESTS_UNIT_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int unit_passed, unit_failed, unit_cur_failed;
static const char *unit_cur_name;

#define CHECK(cond)                                                              \
	do {                                                                     \
		if (!(cond)) {                                                   \
			fprintf(stderr, "%s:%d: %s: CHECK(%s) failed\n", __FILE__, \
				__LINE__, unit_cur_name, #cond);                   \
			unit_cur_failed++;                                       \
		}                                                                \
	} while (0)

#define CHECK_EQ(a, b)                                                             \
	do {                                                                       \
		long long unit_a_ = (long long)(a), unit_b_ = (long long)(b);      \
		if (unit_a_ != unit_b_) {                                          \
			fprintf(stderr,                                            \
				"%s:%d: %s: CHECK_EQ(%s, %s): %lld (%#llx) != %lld (%#llx)\n", \
				__FILE__, __LINE__, unit_cur_name, #a, #b, unit_a_,  \
				(unsigned long long)unit_a_, unit_b_,              \
				(unsigned long long)unit_b_);                      \
			unit_cur_failed++;                                         \
		}                                                                  \
	} while (0)

#define CHECK_STR(a, b)                                                          \
	do {                                                                     \
		const char *unit_a_ = (a), *unit_b_ = (b);                       \
		if (!unit_a_ || !unit_b_ || strcmp(unit_a_, unit_b_) != 0) {     \
			fprintf(stderr, "%s:%d: %s: CHECK_STR(%s, %s): \"%s\" != \"%s\"\n", \
				__FILE__, __LINE__, unit_cur_name, #a, #b,         \
				unit_a_ ? unit_a_ : "(null)",                      \
				unit_b_ ? unit_b_ : "(null)");                     \
			unit_cur_failed++;                                       \
		}                                                                \
	} while (0)

#define RUN(fn)                                                   \
	do {                                                      \
		unit_cur_name = #fn;                              \
		unit_cur_failed = 0;                              \
		fn();                                             \
		if (unit_cur_failed) {                            \
			unit_failed++;                            \
			fprintf(stderr, "FAIL %s\n", #fn);        \
		} else {                                          \
			unit_passed++;                            \
		}                                                 \
	} while (0)

static inline int unit_done(void)
{
	printf("%d passed, %d failed\n", unit_passed, unit_failed);
	return unit_failed ? 1 : 0;
}

#endif
