/*
 * report.c - results to the console and to the report channel.
 *
 * A record is filled on the reporting CPU's stack (identity mapped, below
 * 4 GiB, so its address is its guest-physical address) and that address
 * goes to the report port with one 32-bit OUT; the VMM copies it before
 * the OUT completes. Only what the VMM reads is written: string fields up
 * to their NUL, values up to nvalues. Under QEMU nothing listens and the
 * console carries the same results.
 *
 * Kernel code runs emulated one instruction at a time here, so the text
 * is built once: the prefixes are kept ready in both their forms, the
 * name is formatted straight into the console line, and the record takes
 * its copy from there.
 */
#include "clock.h"
#include "kernel.h"
#include "platform.h"
#include "report.h"
#include "vmm/guest_abi.h"

#define MAX_PREFIXES 4
#define PREFIX_MAX 96
#define TAG_LEN 6 /* "PASS: " */
#define LINE_MAX (REPORT_NAME_LEN * 2 + REPORT_MSG_LEN + 64) /* a result line is cut to this */
#define INFO_MAX 300                                         /* an INFO line */
_Static_assert(LINE_MAX <= CONSOLE_LINE_MAX && INFO_MAX <= CONSOLE_LINE_MAX, "lines fit");

/*
 * The start of a result line, prefixes included ("....: smp: cpu1: ",
 * the tag goes over the dots), and how record names start ("smp.cpu1."):
 * kept up to date on push and pop, copied whole for every result.
 */
static char head[TAG_LEN + PREFIX_MAX] = "......";
static char rec_prefix[PREFIX_MAX];
static size_t prefix_len, rec_prefix_len; /* con form "a: b: ", record form "a.b." */
static size_t pushed_len[MAX_PREFIXES]; /* SIZE_MAX: that prefix did not fit */
static int nprefixes;
static uint32_t passed, failed, skipped;

static void rec_header(struct report_header *hdr, uint16_t kind, uint32_t size)
{
	*hdr = (struct report_header){
		.magic = REPORT_MAGIC,
		.version = REPORT_VERSION,
		.kind = kind,
		.size = size,
		.cpu = this_cpu()->apic_id,
	};
}

static void rec_send(const void *rec)
{
	outl_record(platform.report_port, rec);
}

typedef uint64_t __attribute__((may_alias, aligned(1))) u64_any;

/*
 * Copy n bytes where 24 may be read at src and written at dst: up to 24
 * in three quadword moves (bytes past n in dst are junk), more by memcpy.
 */
static inline void copy_short(char *dst, const char *src, size_t n)
{
	if (n <= 24) {
		((u64_any *)dst)[0] = ((const u64_any *)src)[0];
		((u64_any *)dst)[1] = ((const u64_any *)src)[1];
		((u64_any *)dst)[2] = ((const u64_any *)src)[2];
	} else {
		memcpy(dst, src, n);
	}
}

/*
 * Copy at most size-1 of the n bytes at src into the field dst,
 * NUL-terminated; returns how many were copied.
 */
static size_t field_set_len(char *dst, size_t size, const char *src, size_t n)
{
	if (n > size - 1)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return n;
}

static void field_set(char *dst, size_t size, const char *src, size_t n)
{
	field_set_len(dst, size, src, n);
}

void report_prefix_push(const char *prefix)
{
	size_t n = strlen(prefix);
	if (nprefixes < MAX_PREFIXES) {
		if (prefix_len + n + 2 <= PREFIX_MAX) {
			char *h = head + TAG_LEN + prefix_len, *r = rec_prefix + rec_prefix_len;
			/* prefixes are static strings: 24 bytes readable past their start */
			if (n <= 24 && prefix_len + 24 + 2 <= PREFIX_MAX) {
				copy_short(h, prefix, n);
				copy_short(r, prefix, n);
			} else {
				memcpy(h, prefix, n);
				memcpy(r, prefix, n);
			}
			__builtin_memcpy(h + n, ": ", 2);
			r[n] = '.';
			prefix_len += n + 2;
			rec_prefix_len += n + 1;
		} else {
			n = SIZE_MAX;
		}
		pushed_len[nprefixes] = n;
	}
	nprefixes++;
}

void report_prefix_pop(void)
{
	if (nprefixes <= 0)
		return;
	nprefixes--;
	if (nprefixes < MAX_PREFIXES && pushed_len[nprefixes] != SIZE_MAX) {
		prefix_len -= pushed_len[nprefixes] + 2;
		rec_prefix_len -= pushed_len[nprefixes] + 1;
	}
}

static const char tags[3][TAG_LEN] = { "PASS: ", "FAIL: ", "SKIP: " };

/*
 * Record and print one result. The name is fmt formatted with *ap (fmt,
 * fmtlen, lit as for sb_vformat), or fmt as it is when ap is NULL or fmt
 * has no '%'; detail ("" or a text after the name) goes to the line and
 * to the record's msg. Inline in each entry point: a call layer costs
 * dozens of emulated steps, and this runs for every result.
 */
static inline __attribute__((always_inline)) void
result(uint32_t status, const struct report_where *at, uint32_t nvalues, const uint64_t *values,
       const char *fmt, size_t fmtlen, size_t lit, va_list *ap, const char *detail,
       size_t detail_len)
{
	struct console_line line;
	struct report_test rec;
	size_t name_at = TAG_LEN + prefix_len, len;

	/* head[] and line.text both have 24 bytes past any head */
	copy_short(line.text, head, name_at);
	__builtin_memcpy(line.text, tags[status], TAG_LEN);
	if (ap && lit < fmtlen) {
		struct strbuf con = { .buf = line.text, .size = LINE_MAX, .len = name_at };
		sb_vformat(&con, fmt, fmtlen, lit, *ap);
		len = con.len;
	} else {
		size_t n = fmtlen < LINE_MAX - 2 - name_at ? fmtlen : LINE_MAX - 2 - name_at;
		copy_short(line.text + name_at, fmt, n); /* literals: 24 bytes readable */
		len = name_at + fmtlen;
	}
	size_t name_len = len - name_at;
	if (detail_len) {
		struct strbuf con = { .buf = line.text, .size = LINE_MAX, .len = len };
		sb_addn(&con, " ", 1);
		sb_addn(&con, detail, detail_len);
		len = con.len;
	}
	if (len >= LINE_MAX - 1)
		len = LINE_MAX - 2;
	line.text[len++] = '\n';
	if (name_len > len - 1 - name_at)
		name_len = len - 1 - name_at; /* the line was cut */

	rec_header(&rec.hdr, REPORT_KIND_TEST, sizeof(rec));
	rec.status = status;
	rec.line = at ? (uint32_t)at->line : 0;
	rec.nvalues = nvalues;
	rec.reserved = 0;
	for (uint32_t i = 0; i < nvalues; i++)
		rec.values[i] = values[i];
	rec.tsc = rdtsc();
	/* record name: prefix (rec_prefix has 24 bytes past it), then the name */
	size_t k = rec_prefix_len < sizeof(rec.name) - 1 ? rec_prefix_len : sizeof(rec.name) - 1;
	if (k + 24 <= sizeof(rec.name))
		copy_short(rec.name, rec_prefix, k);
	else
		memcpy(rec.name, rec_prefix, k);
	if (k + name_len < sizeof(rec.name) - 24)
		copy_short(rec.name + k, line.text + name_at, name_len);
	else
		field_set(rec.name + k, sizeof(rec.name) - k, line.text + name_at, name_len);
	rec.name[k + name_len < sizeof(rec.name) ? k + name_len : sizeof(rec.name) - 1] = '\0';
	if (at)
		field_set(rec.file, sizeof(rec.file), at->file, at->filelen);
	else
		rec.file[0] = '\0';
	if (detail_len)
		field_set(rec.msg, sizeof(rec.msg), detail, detail_len);
	else
		rec.msg[0] = '\0';
	if (status == REPORT_PASS)
		__atomic_fetch_add(&passed, 1, __ATOMIC_RELAXED);
	else if (status == REPORT_FAIL)
		__atomic_fetch_add(&failed, 1, __ATOMIC_RELAXED);
	else
		__atomic_fetch_add(&skipped, 1, __ATOMIC_RELAXED);
	rec_send(&rec);
	console_write_line(&line, len);
}

bool report_n(bool pass, size_t fmtlen, size_t lit, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	result(pass ? REPORT_PASS : REPORT_FAIL, NULL, 0, NULL, fmt, fmtlen, lit, &ap, "", 0);
	va_end(ap);
	return pass;
}

void report_skip_n(const char *name, size_t fmtlen, size_t lit, const char *reason_fmt, ...)
{
	char detail[REPORT_MSG_LEN + 2];
	struct strbuf sb = STRBUF(detail);
	va_list ap;
	sb_addn(&sb, "(", 1);
	va_start(ap, reason_fmt);
	sb_vformat(&sb, reason_fmt, fmtlen, lit, ap);
	va_end(ap);
	if (sb.len > REPORT_MSG_LEN)
		sb.len = REPORT_MSG_LEN; /* the reason is cut at REPORT_MSG_LEN - 1 bytes */
	detail[sb.len++] = ')';
	detail[sb.len] = '\0';
	result(REPORT_SKIP, NULL, 0, NULL, name, strlen(name), 0, NULL, detail, sb.len);
}

void report_info_n(size_t fmtlen, size_t lit, const char *fmt, ...)
{
	struct console_line line;
	struct strbuf sb = { .buf = line.text, .size = INFO_MAX, .len = 0 };
	va_list ap;
	sb_addn(&sb, "INFO: ", 6);
	sb_addn(&sb, head + TAG_LEN, prefix_len);
	size_t msg_at = sb.len;
	va_start(ap, fmt);
	sb_vformat(&sb, fmt, fmtlen, lit, ap);
	va_end(ap);
	if (sb.len > msg_at + 199)
		sb.len = msg_at + 199; /* the message is cut at 199 bytes */
	if (sb.len >= INFO_MAX - 1)
		sb.len = INFO_MAX - 2;
	line.text[sb.len++] = '\n';
	console_write_line(&line, sb.len);
}

bool report_eq_at(struct report_where at, uint64_t expected, uint64_t actual, size_t fmtlen,
		  size_t lit, const char *fmt, ...)
{
	char detail[REPORT_MSG_LEN];
	uint64_t values[2] = { expected, actual };
	bool pass = expected == actual;
	size_t detail_len = 0;
	va_list ap;
	if (!pass)
		detail_len = (size_t)snprintf(detail, sizeof(detail),
					      "(expected 0x%lx, got 0x%lx at %s:%d)", expected,
					      actual, at.file, at.line);
	if (detail_len >= sizeof(detail))
		detail_len = sizeof(detail) - 1;
	va_start(ap, fmt);
	result(pass ? REPORT_PASS : REPORT_FAIL, &at, 2, values, fmt, fmtlen, lit, &ap, detail,
	       detail_len);
	va_end(ap);
	return pass;
}

bool report_within_at(struct report_where at, uint64_t lo, uint64_t hi, uint64_t actual,
		      size_t fmtlen, size_t lit, const char *fmt, ...)
{
	char detail[REPORT_MSG_LEN];
	uint64_t values[3] = { lo, hi, actual };
	bool pass = lo <= actual && actual <= hi;
	size_t detail_len = 0;
	va_list ap;
	if (!pass)
		detail_len = (size_t)snprintf(detail, sizeof(detail),
					      "(expected %lu..%lu, got %lu at %s:%d)", lo, hi,
					      actual, at.file, at.line);
	if (detail_len >= sizeof(detail))
		detail_len = sizeof(detail) - 1;
	va_start(ap, fmt);
	result(pass ? REPORT_PASS : REPORT_FAIL, &at, 3, values, fmt, fmtlen, lit, &ap, detail,
	       detail_len);
	va_end(ap);
	return pass;
}

void report_mark_n(const char *name, size_t len)
{
	struct report_mark rec;
	rec_header(&rec.hdr, REPORT_KIND_MARK, sizeof(rec));
	rec.reserved = 0;
	rec.reserved2 = 0;
	rec.tsc = rdtsc();
	rec.ns = clock_ns();
	if (len < 24)
		copy_short(rec.name, name, len); /* a literal: 24 bytes readable */
	else
		len = field_set_len(rec.name, sizeof(rec.name), name, len);
	rec.name[len] = '\0';
	rec_send(&rec);
}

int report_summary(const char *suite)
{
	struct report_summary rec;
	struct console_line line;
	uint32_t p = READ_ONCE(passed), f = READ_ONCE(failed), s = READ_ONCE(skipped);
	rec_header(&rec.hdr, REPORT_KIND_SUMMARY, sizeof(rec));
	rec.passed = p;
	rec.failed = f;
	rec.skipped = s;
	rec.reserved = 0;
	rec.tsc = rdtsc();
	field_set(rec.suite, sizeof(rec.suite), suite, strlen(suite));
	rec_send(&rec);
	/* "SUMMARY: %u passed, %u failed, %u skipped\n", without a format to parse */
	char *d = line.text;
	__builtin_memcpy(d, "SUMMARY: ", 9);
	d = fmt_udec(d + 9, p);
	__builtin_memcpy(d, " passed, ", 9);
	d = fmt_udec(d + 9, f);
	__builtin_memcpy(d, " failed, ", 9);
	d = fmt_udec(d + 9, s);
	__builtin_memcpy(d, " skipped\n", 9);
	console_write_line(&line, (size_t)(d + 9 - line.text));
	return f ? EXIT_FAIL : EXIT_PASS;
}

void report_panic(const char *msg)
{
	struct report_test rec;
	__atomic_fetch_add(&failed, 1, __ATOMIC_RELAXED);
	rec_header(&rec.hdr, REPORT_KIND_TEST, sizeof(rec));
	rec.status = REPORT_FAIL;
	rec.line = 0;
	rec.nvalues = 0;
	rec.reserved = 0;
	rec.tsc = rdtsc();
	field_set(rec.name, sizeof(rec.name), "panic", 5);
	rec.file[0] = '\0';
	field_set(rec.msg, sizeof(rec.msg), msg, strlen(msg));
	rec_send(&rec);
}

uint32_t report_failures(void)
{
	return READ_ONCE(failed);
}
