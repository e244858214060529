/*
 * format.c - a small vsnprintf and bounded string building (see format.h).
 *
 * Freestanding: the same file builds into the guest and into a host unit
 * test. Kernel code is emulated one instruction at a time here, so the
 * work per byte and per call is what counts: text is copied in runs
 * (memcpy moves quadwords, memchr finds the next '%'), a run or a number
 * of up to 8 bytes is one quadword move where the bytes around it may be
 * read and written, the NUL is stored once per call, and callers that
 * know a format's length pass it in.
 */
#include "format.h"

typedef uint64_t __attribute__((may_alias, aligned(1))) fmt_u64;

/* Append n bytes of s, or what fits of them; the NUL is terminate()'s. */
static inline void put(struct strbuf *o, const char *s, size_t n)
{
	if (o->len + n < o->size)
		__builtin_memcpy(o->buf + o->len, s, n);
	else if (o->len + 1 < o->size)
		__builtin_memcpy(o->buf + o->len, s, o->size - 1 - o->len);
	o->len += n;
}

/*
 * put() for a short run: when 8 bytes may be read from s up to limit and
 * the buffer has 16 bytes of room, a run of up to 16 bytes is two
 * quadword moves (overlapping, or the second past n: bytes past the run
 * are junk that later output or the NUL covers).
 */
static inline void put_short(struct strbuf *o, const char *s, size_t n, const char *limit)
{
	char *d = o->buf + o->len;
	if (n <= 16 && s + 8 <= limit && o->len + 16 < o->size) {
		if (n > 8) {
			*(fmt_u64 *)d = *(const fmt_u64 *)s;
			*(fmt_u64 *)(d + n - 8) = *(const fmt_u64 *)(s + n - 8);
		} else {
			*(fmt_u64 *)d = *(const fmt_u64 *)s;
		}
		o->len += n;
	} else {
		put(o, s, n);
	}
}

static inline void terminate(struct strbuf *o)
{
	if (o->len < o->size)
		o->buf[o->len] = '\0';
	else if (o->size)
		o->buf[o->size - 1] = '\0';
}

void sb_addn(struct strbuf *sb, const char *s, size_t n)
{
	put(sb, s, n);
	terminate(sb);
}

void sb_add(struct strbuf *sb, const char *s)
{
	sb_addn(sb, s, __builtin_strlen(s));
}

void sb_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sb_vformat(sb, fmt, __builtin_strlen(fmt), 0, ap);
	va_end(ap);
}

static void out_pad(struct strbuf *o, char c, int n)
{
	if (n <= 0)
		return;
	if (o->len + 1 < o->size) {
		size_t room = o->size - 1 - o->len;
		size_t k = (size_t)n < room ? (size_t)n : room;
		__builtin_memset(o->buf + o->len, c, k);
	}
	o->len += (size_t)n;
}

static const char dec_pairs[] = "00010203040506070809101112131415161718192021222324"
				"25262728293031323334353637383940414243444546474849"
				"50515253545556575859606162636465666768697071727374"
				"75767778798081828384858687888990919293949596979899";

/*
 * The digits of v in base 10 or 16, written backwards to end at end
 * (room for 20 is needed); returns the first. Decimal digits go two at a
 * time, from a table: half the divisions.
 */
static inline char *to_digits(char *end, uint64_t v, unsigned int base, bool upper)
{
	char *d = end;
	if (base == 16) {
		const char *dig = upper ? "0123456789ABCDEF" : "0123456789abcdef";
		do {
			*--d = dig[v & 15];
			v >>= 4;
		} while (v);
		return d;
	}
	while (v >= 10) {
		uint64_t q = v / 100;
		unsigned int r = (unsigned int)(v - q * 100);
		d -= 2;
		__builtin_memcpy(d, dec_pairs + 2 * r, 2);
		v = q;
	}
	if (v || d == end)
		*--d = (char)('0' + v);
	return d;
}

struct spec {
	bool left, zero;
	int width, prec, lng;
};

/* One converted number: sign, prefix, zero or space padding, digits. */
static void out_number(struct strbuf *o, const struct spec *sp, uint64_t v, unsigned int base,
		       bool neg, bool upper, const char *prefix)
{
	char tmp[32]; /* digits end at tmp + 24: 8 bytes may be read from any digit */
	char *d = to_digits(tmp + 24, v, base, upper);
	int n = (int)(tmp + 24 - d);
	int plen = prefix ? 2 : 0;
	int pad = sp->width - n - plen - (neg ? 1 : 0);
	if (pad > 0 && !sp->left && !sp->zero)
		out_pad(o, ' ', pad);
	if (neg)
		put(o, "-", 1);
	if (prefix)
		put(o, prefix, 2);
	if (pad > 0 && !sp->left && sp->zero)
		out_pad(o, '0', pad);
	put_short(o, d, (size_t)n, tmp + sizeof(tmp));
	if (pad > 0 && sp->left)
		out_pad(o, ' ', pad);
}

/*
 * The general conversion after '%' at spec: flags '-' and '0', a width
 * (digits or '*'), a precision for %s, length modifiers, then %d %i %u %x
 * %X %p %s %c %%. Returns where the conversion character is.
 */
static const char *general(struct strbuf *o, const char *spec, va_list *ap)
{
	struct spec sp = { .prec = -1 };
	const char *f = spec;
	uint64_t v;
	for (; *f == '-' || *f == '0'; f++) {
		if (*f == '-')
			sp.left = true;
		else
			sp.zero = true;
	}
	if (*f == '*') {
		sp.width = va_arg(*ap, int);
		f++;
	}
	for (; *f >= '0' && *f <= '9'; f++)
		sp.width = sp.width * 10 + (*f - '0');
	if (*f == '.') {
		sp.prec = 0;
		if (f[1] == '*') {
			sp.prec = va_arg(*ap, int);
			f += 2;
		} else {
			for (f++; *f >= '0' && *f <= '9'; f++)
				sp.prec = sp.prec * 10 + (*f - '0');
		}
	}
	for (; *f == 'l' || *f == 'z' || *f == 'h'; f++)
		if (*f != 'h')
			sp.lng++;
	switch (*f) {
	case 'd':
	case 'i': {
		int64_t sv = sp.lng ? va_arg(*ap, int64_t) : va_arg(*ap, int);
		v = sv < 0 ? -(uint64_t)sv : (uint64_t)sv;
		out_number(o, &sp, v, 10, sv < 0, false, NULL);
		break;
	}
	case 'u':
	case 'x':
	case 'X':
		v = sp.lng ? va_arg(*ap, uint64_t) : va_arg(*ap, unsigned int);
		out_number(o, &sp, v, *f == 'u' ? 10 : 16, false, *f == 'X', NULL);
		break;
	case 'p':
		v = (uint64_t)(uintptr_t)va_arg(*ap, void *);
		out_number(o, &sp, v, 16, false, false, "0x");
		break;
	case 'c': {
		char c = (char)va_arg(*ap, int);
		if (!sp.left)
			out_pad(o, ' ', sp.width - 1);
		put(o, &c, 1);
		if (sp.left)
			out_pad(o, ' ', sp.width - 1);
		break;
	}
	case 's': {
		const char *s = va_arg(*ap, const char *);
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
			out_pad(o, ' ', sp.width - len);
		put(o, s, (size_t)len);
		if (sp.left)
			out_pad(o, ' ', sp.width - len);
		break;
	}
	case '%':
		put(o, "%", 1);
		break;
	case '\0':
		return f - 1; /* a '%' that ends the format prints nothing */
	default:
		put(o, "%", 1);
		put(o, f, 1);
		break;
	}
	return f;
}

/* An unsigned number, zero-padded to width (<= 24) digits: the common case, kept short. */
static inline void put_uint(struct strbuf *o, uint64_t v, bool hex, int width)
{
	char tmp[32]; /* digits end at tmp + 24: 8 bytes may be read from any digit */
	char *d = to_digits(tmp + 24, v, hex ? 16 : 10, false);
	while (tmp + 24 - d < width)
		*--d = '0';
	put_short(o, d, (size_t)(tmp + 24 - d), tmp + sizeof(tmp));
}

char *fmt_udec(char *dst, uint64_t v)
{
	char tmp[32];
	char *d = to_digits(tmp + 24, v, 10, false);
	size_t n = (size_t)(tmp + 24 - d);
	/* up to 20 digits: three quadwords, read from tmp and written past n */
	*(fmt_u64 *)dst = *(const fmt_u64 *)d;
	if (n > 8) {
		*(fmt_u64 *)(dst + 8) = *(const fmt_u64 *)(d + 8);
		if (n > 16)
			*(fmt_u64 *)(dst + 16) = *(const fmt_u64 *)(d + 16);
	}
	return dst + n;
}

/* See format.h. Literal text and strings are copied in runs. */
void sb_vformat(struct strbuf *sb, const char *fmt, size_t fmtlen, size_t lit, va_list ap)
{
	struct strbuf o = *sb;
	const char *end = fmt + fmtlen;
	const char *pct = fmt + lit;
	if (pct < end && *pct != '%') {
		pct = __builtin_memchr(pct, '%', (size_t)(end - pct));
		if (!pct)
			pct = end;
	}
	va_list args;
	va_copy(args, ap);
	for (;;) {
		/* fmt[fmtlen] is the NUL: a run may be read up to and with it */
		put_short(&o, fmt, (size_t)(pct - fmt), end + 1);
		if (pct == end)
			break;
		/* %u %x (zero-padded or not), %d, %s, with l/ll/z: no spec to parse */
		const char *conv = pct + 1;
		int zpad = 0;
		bool lng = false;
		if (*conv == '0')
			for (conv++; *conv >= '0' && *conv <= '9'; conv++)
				zpad = zpad * 10 + (*conv - '0');
		while (*conv == 'l' || *conv == 'z') {
			lng = true;
			conv++;
		}
		if ((*conv == 'u' || *conv == 'x') && zpad <= 24) {
			put_uint(&o, lng ? va_arg(args, uint64_t) : va_arg(args, unsigned int),
				 *conv == 'x', zpad);
		} else if (*conv == 'd' && !zpad) {
			int64_t sv = lng ? va_arg(args, int64_t) : va_arg(args, int);
			if (sv < 0)
				put(&o, "-", 1);
			put_uint(&o, sv < 0 ? -(uint64_t)sv : (uint64_t)sv, false, 0);
		} else if (*conv == 's' && !lng && !zpad) {
			const char *str = va_arg(args, const char *);
			if (!str)
				str = "(null)";
			put(&o, str, __builtin_strlen(str));
		} else {
			/* a copy: o itself stays in registers */
			struct strbuf g = o;
			conv = general(&g, pct + 1, &args);
			o = g;
		}
		fmt = conv + 1;
		if (fmt >= end)
			break;
		pct = __builtin_memchr(fmt, '%', (size_t)(end - fmt));
		if (!pct)
			pct = end;
	}
	va_end(args);
	terminate(&o);
	*sb = o;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct strbuf o = { .buf = buf, .size = size, .len = 0 };
	sb_vformat(&o, fmt, __builtin_strlen(fmt), 0, ap);
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
