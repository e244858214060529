/*
 * test_guest_format.c - the guest kernel's vsnprintf (guest/format.c),
 * built for the host under other names and compared with what the C
 * library prints for the same formats.
 */
#include <stdarg.h>
#include <stdint.h>

#include "unit.h"

#define vsnprintf guest_vsnprintf
#define snprintf guest_snprintf
#include "guest/format.c"
#undef vsnprintf
#undef snprintf

static char got[256], want[256];

/* Format with both implementations and compare text and returned length. */
#define SAME(...)                                                                  \
	do {                                                                       \
		int g_ = guest_snprintf(got, sizeof(got), __VA_ARGS__);            \
		int w_ = snprintf(want, sizeof(want), __VA_ARGS__);                \
		CHECK_STR(got, want);                                              \
		CHECK_EQ(g_, w_);                                                  \
	} while (0)

static void test_integers(void)
{
	SAME("%d %d %d", 0, -1, 2147483647);
	SAME("%d", (int)-2147483647 - 1);
	SAME("%u %x %X", 4294967295u, 0xdeadbeefu, 0xdeadbeefu);
	SAME("%lx %lu %ld", 0xffffffffffffffffUL, 18446744073709551615UL, -9223372036854775807L - 1);
	SAME("%llx %lld", 0x123456789abcdefULL, -5LL);
	SAME("%zu", (size_t)12345);
	SAME("[%5d] [%-5d] [%05d] [%05x]", 42, 42, 42, 0xab);
	SAME("[%016lx] [%3x] [%-8u]|", 0x1234UL, 0x12345u, 7u);
	SAME("[%05d]", -42);
	SAME("[%*d] [%-*d]", 6, 12, 6, 12);
	SAME("%u %u %u %u %u %u %u", 0u, 9u, 10u, 99u, 100u, 101u, 1000u);
	SAME("%lu %d %x %08x %016lx", 10000000000000000000UL, -100, 0x10u, 0xabcu, 0x10UL);
	SAME("%p", (void *)0x1234);
	SAME("[%20p]", (void *)0xffff800000001000ULL);
}

static void test_strings(void)
{
	SAME("%s|%s", "abc", "");
	SAME("[%8s] [%-8s]", "ab", "ab");
	SAME("[%.3s] [%.*s] [%.10s]", "abcdef", 2, "abcdef", "abc");
	SAME("%c%c%c [%3c] [%-3c]", 'a', 'b', 'c', 'x', 'y');
	SAME("100%% %s", "done");
	SAME("no conversions at all");
	const char *volatile null = NULL; /* hidden from the format checker */
	guest_snprintf(got, sizeof(got), "%s", null);
	CHECK_STR(got, "(null)");
}

static void test_truncation(void)
{
	char small[8];
	int n = guest_snprintf(small, sizeof(small), "%s-%d", "abcdef", 12345);
	CHECK_EQ(n, 12);
	CHECK_STR(small, "abcdef-");
	n = guest_snprintf(small, 1, "xyz");
	CHECK_EQ(n, 3);
	CHECK_EQ(small[0], '\0');
	n = guest_snprintf(NULL, 0, "%d", 123);
	CHECK_EQ(n, 3);
	memset(small, 'Q', sizeof(small));
	n = guest_snprintf(small, sizeof(small), "%020d", 5);
	CHECK_EQ(n, 20);
	CHECK_STR(small, "0000000");
}

static void test_strbuf(void)
{
	char buf[10];
	struct strbuf sb = STRBUF(buf);
	sb_add(&sb, "abc");
	sb_printf(&sb, "%d", 42);
	CHECK_STR(buf, "abc42");
	sb_add(&sb, "defghijk");
	CHECK_EQ(sb.len, 13);
	CHECK_STR(buf, "abc42defg");
	sb_printf(&sb, "%s", "more");
	CHECK_EQ(sb.len, 17);
	CHECK_STR(buf, "abc42defg");
}

/* A format whose length and '%'-free start the caller passes (FMT_SPAN). */
__attribute__((format(printf, 5, 6))) static void span_format(char *buf, size_t size,
							      size_t fmtlen, size_t lit,
							      const char *fmt, ...)
{
	struct strbuf sb = { .buf = buf, .size = size, .len = 0 };
	va_list ap;
	va_start(ap, fmt);
	sb_vformat(&sb, fmt, fmtlen, lit, ap);
	va_end(ap);
}

#define SPAN(...) span_format(got, sizeof(got), FMT_SPAN(__VA_ARGS__), __VA_ARGS__)

static void test_span(void)
{
	SPAN("dtb lists %u CPUs in %s", 4u, "tree");
	CHECK_STR(got, "dtb lists 4 CPUs in tree");
	SPAN("no conversion, 100%% literal");
	CHECK_STR(got, "no conversion, 100% literal");
	span_format(got, sizeof(got), 6, 0, "a%db%d", 1, 2); /* lit 0: start unknown */
	CHECK_STR(got, "a1b2");
}

int main(void)
{
	RUN(test_integers);
	RUN(test_strings);
	RUN(test_truncation);
	RUN(test_strbuf);
	RUN(test_span);
	return unit_done();
}
