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

#endif
