/*
 * format.h - printf-style formatting into buffers, for the console and the
 * report records. Freestanding (builds for the host's unit test too).
 */
#ifndef GUEST_FORMAT_H
#define GUEST_FORMAT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A bounded string being built: appends copy in runs and keep it
 * NUL-terminated; len counts every byte offered, so len >= size means cut.
 */
struct strbuf {
	char *buf;
	size_t size, len;
};
#define STRBUF(array) { .buf = (array), .size = sizeof(array), .len = 0 }

/*
 * For a literal format, the first of a macro's arguments: its length, and
 * how many bytes come before its first '%' (all of them when it has
 * none). Both are constants: the compiler folds __builtin_strcspn.
 */
#define FMT_LEN(fmt, ...) (sizeof("" fmt) - 1)
#define FMT_LIT(fmt, ...) __builtin_strcspn("" fmt, "%")
#define FMT_SPAN(...) FMT_LEN(__VA_ARGS__), FMT_LIT(__VA_ARGS__)

void sb_addn(struct strbuf *sb, const char *s, size_t n);
void sb_add(struct strbuf *sb, const char *s);
__attribute__((format(printf, 2, 3))) void sb_printf(struct strbuf *sb, const char *fmt, ...);

/*
 * Conversions %d %i %u %x %X %p %s %c %%; flags '-' and '0'; a width
 * (digits or '*'); a precision for %s (digits or '*'); length modifiers
 * l, ll, z (64-bit) and h (ignored: read as int). Returns the length the
 * whole output would have; stores at most size-1 bytes plus a NUL.
 */
__attribute__((format(printf, 3, 0))) int vsnprintf(char *buf, size_t size, const char *fmt,
						    va_list ap);
__attribute__((format(printf, 3, 4))) int snprintf(char *buf, size_t size, const char *fmt, ...);

/*
 * The decimal digits of v written at dst, which must have room for 24
 * bytes (up to 20 digits; bytes past them are overwritten too). Returns
 * the end of the digits. For fixed lines built without a format.
 */
char *fmt_udec(char *dst, uint64_t v);

/*
 * Append fmt's output to sb. fmtlen is strlen(fmt) (fmt[fmtlen] is its
 * NUL) and fmt[0..lit) holds no '%' (0 when unknown): callers that know
 * them (FMT_SPAN) spare the scans.
 */
__attribute__((format(printf, 2, 0))) void sb_vformat(struct strbuf *sb, const char *fmt,
						      size_t fmtlen, size_t lit, va_list ap);

#endif
