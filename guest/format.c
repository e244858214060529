/*
 * format.c - a small vsnprintf and bounded string building (see format.h).
 *
 * Freestanding: the same file builds into the guest and into a host unit
 * test. Kernel code is emulated one instruction at a time here, so text is
 * copied in runs (REP MOVSB, memchr for the next '%'), not byte by byte.
 */
#include "format.h"

void sb_addn(struct strbuf *sb, const char *s, size_t n)
{
	if (sb->len + 1 < sb->size) {
		size_t room = sb->size - 1 - sb->len;
		size_t k = n < room ? n : room;
		char *d = sb->buf + sb->len;
		asm volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(k) : : "memory");
		*d = '\0';
	}
	sb->len += n;
}

void sb_add(struct strbuf *sb, const char *s)
{
	sb_addn(sb, s, __builtin_strlen(s));
}

void sb_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	size_t room = sb->len < sb->size ? sb->size - sb->len : 0;
	int n = vsnprintf(sb->buf + (sb->len < sb->size ? sb->len : 0), room, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
}


static void out_pad(struct strbuf *o, char c, int n)
{
	if (n <= 0)
		return;
	if (o->len + 1 < o->size) {
		size_t room = o->size - 1 - o->len;
		size_t k = (size_t)n < room ? (size_t)n : room;
		__builtin_memset(o->buf + o->len, c, k);
		o->buf[o->len + k] = '\0';
	}
	o->len += (size_t)n;
}

struct spec {
	bool left, zero;
	int width, prec, lng;
};

/* One converted number: sign, prefix, zero or space padding, digits. */
static void out_number(struct strbuf *o, const struct spec *sp, uint64_t v, unsigned int base,
		       bool neg, bool upper, const char *prefix)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	char *d = tmp + sizeof(tmp);
	int plen = prefix ? 2 : 0;
	do {
		*--d = digits[v % base];
		v /= base;
	} while (v);
	int n = (int)(tmp + sizeof(tmp) - d);
	int pad = sp->width - n - plen - (neg ? 1 : 0);
	if (!sp->left && !sp->zero)
		out_pad(o, ' ', pad);
	if (neg)
		sb_addn(o, "-", 1);
	if (prefix)
		sb_addn(o, prefix, 2);
	if (!sp->left && sp->zero)
		out_pad(o, '0', pad);
	sb_addn(o, d, (size_t)n);
	if (sp->left)
		out_pad(o, ' ', pad);
}

/* Parse flags, width, precision and length after '%'; returns the conversion. */
static const char *parse_spec(const char *fmt, struct spec *sp, va_list *ap)
{
	*sp = (struct spec){ .prec = -1 };
	for (; *fmt == '-' || *fmt == '0'; fmt++) {
		if (*fmt == '-')
			sp->left = true;
		else
			sp->zero = true;
	}
	if (*fmt == '*') {
		sp->width = va_arg(*ap, int);
		fmt++;
	}
	for (; *fmt >= '0' && *fmt <= '9'; fmt++)
		sp->width = sp->width * 10 + (*fmt - '0');
	if (*fmt == '.') {
		sp->prec = 0;
		if (fmt[1] == '*') {
			sp->prec = va_arg(*ap, int);
			fmt += 2;
		} else {
			for (fmt++; *fmt >= '0' && *fmt <= '9'; fmt++)
				sp->prec = sp->prec * 10 + (*fmt - '0');
		}
	}
	for (; *fmt == 'l' || *fmt == 'z' || *fmt == 'h'; fmt++)
		if (*fmt != 'h')
			sp->lng++;
	return fmt;
}

/* See format.h. Literal text and strings are copied in runs. */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct strbuf o = { .buf = buf, .size = size, .len = 0 };
	const char *end = fmt + __builtin_strlen(fmt);
	if (size)
		buf[0] = '\0';
	va_list args;
	va_copy(args, ap);
	while (fmt < end) {
		const char *pct = __builtin_memchr(fmt, '%', (size_t)(end - fmt));
		sb_addn(&o, fmt, (size_t)((pct ? pct : end) - fmt));
		if (!pct)
			break;
		struct spec sp;
		fmt = parse_spec(pct + 1, &sp, &args);
		uint64_t v;
		switch (*fmt) {
		case 'd':
		case 'i': {
			int64_t sv = sp.lng ? va_arg(args, int64_t) : va_arg(args, int);
			v = sv < 0 ? -(uint64_t)sv : (uint64_t)sv;
			out_number(&o, &sp, v, 10, sv < 0, false, NULL);
			break;
		}
		case 'u':
		case 'x':
		case 'X':
			v = sp.lng ? va_arg(args, uint64_t) : va_arg(args, unsigned int);
			out_number(&o, &sp, v, *fmt == 'u' ? 10 : 16, false, *fmt == 'X', NULL);
			break;
		case 'p':
			v = (uint64_t)(uintptr_t)va_arg(args, void *);
			out_number(&o, &sp, v, 16, false, false, "0x");
			break;
		case 'c': {
			char c = (char)va_arg(args, int);
			if (!sp.left)
				out_pad(&o, ' ', sp.width - 1);
			sb_addn(&o, &c, 1);
			if (sp.left)
				out_pad(&o, ' ', sp.width - 1);
			break;
		}
		case 's': {
			const char *s = va_arg(args, const char *);
			if (!s)
				s = "(null)";
			int len;
			if (sp.prec < 0) {
				len = (int)__builtin_strlen(s);
			} else {
				const char *nul = __builtin_memchr(s, 0, (size_t)sp.prec);
				len = nul ? (int)(nul - s) : sp.prec;
			}
			if (!sp.left)
				out_pad(&o, ' ', sp.width - len);
			sb_addn(&o, s, (size_t)len);
			if (sp.left)
				out_pad(&o, ' ', sp.width - len);
			break;
		}
		case '%':
			sb_addn(&o, "%", 1);
			break;
		case '\0':
			fmt--;
			break;
		default:
			sb_addn(&o, "%", 1);
			sb_addn(&o, fmt, 1);
			break;
		}
		fmt++;
	}
	va_end(args);
	return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

