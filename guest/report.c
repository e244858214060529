/*
 * report.c - results to the console and to the report channel.
 *
 * A record is filled in a static buffer and its guest-physical address
 * (identity mapped, below 4 GiB) is written to the report port with one
 * 32-bit OUT; the VMM copies it before the OUT completes, so the buffer is
 * reused at once. Under QEMU nothing listens and the console carries the
 * same results.
 */
#include "clock.h"
#include "kernel.h"
#include "platform.h"
#include "report.h"
#include "vmm/guest_abi.h"

#define MAX_PREFIXES 4

static const char *prefixes[MAX_PREFIXES];
static int nprefixes;
static uint32_t passed, failed, skipped;
static struct spinlock report_lock;

static union {
	struct report_test test;
	struct report_summary summary;
	struct report_mark mark;
} rec;

static void rec_header(uint16_t kind, uint32_t size)
{
	memset(&rec, 0, size);
	rec.test.hdr.magic = REPORT_MAGIC;
	rec.test.hdr.version = REPORT_VERSION;
	rec.test.hdr.kind = kind;
	rec.test.hdr.size = size;
	rec.test.hdr.cpu = this_cpu()->apic_id;
}

static void rec_send(void)
{
	outl(platform.report_port, (uint32_t)(uintptr_t)&rec);
}

void report_prefix_push(const char *prefix)
{
	if (nprefixes < MAX_PREFIXES)
		prefixes[nprefixes] = prefix;
	nprefixes++;
}

void report_prefix_pop(void)
{
	if (nprefixes > 0)
		nprefixes--;
}

/* The prefixes, each followed by sep: "a: b: " or "a.b.". */
static void add_prefixes(struct strbuf *sb, const char *sep, size_t seplen)
{
	for (int i = 0; i < nprefixes && i < MAX_PREFIXES; i++) {
		sb_add(sb, prefixes[i]);
		sb_addn(sb, sep, seplen);
	}
}

/* Record and print one result. detail: "" or text after the name. */
static void result(uint32_t status, const char *file, int line, uint32_t nvalues,
		   const uint64_t *values, const char *name, const char *detail)
{
	static const char *const tags[] = { "PASS: ", "FAIL: ", "SKIP: " };
	char text[REPORT_NAME_LEN * 2 + REPORT_MSG_LEN + 64];
	struct strbuf con = STRBUF(text);
	sb_add(&con, tags[status]);
	add_prefixes(&con, ": ", 2);
	sb_add(&con, name);
	if (*detail) {
		sb_addn(&con, " ", 1);
		sb_add(&con, detail);
	}
	if (con.len >= sizeof(text) - 1)
		con.len = sizeof(text) - 2;
	text[con.len++] = '\n';

	uint64_t flags = spin_lock_irqsave(&report_lock);
	if (status == REPORT_PASS)
		passed++;
	else if (status == REPORT_FAIL)
		failed++;
	else
		skipped++;
	rec_header(REPORT_KIND_TEST, sizeof(rec.test));
	rec.test.status = status;
	rec.test.line = (uint32_t)line;
	rec.test.nvalues = nvalues;
	memcpy(rec.test.values, values, nvalues * sizeof(uint64_t));
	rec.test.tsc = rdtsc();
	struct strbuf rname = STRBUF(rec.test.name);
	add_prefixes(&rname, ".", 1);
	sb_add(&rname, name);
	if (file)
		strlcpy(rec.test.file, file, sizeof(rec.test.file));
	strlcpy(rec.test.msg, detail, sizeof(rec.test.msg));
	rec_send();
	spin_unlock_irqrestore(&report_lock, flags);
	console_write(text, con.len);
}

bool report(bool pass, const char *fmt, ...)
{
	char name[REPORT_NAME_LEN * 2];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	result(pass ? REPORT_PASS : REPORT_FAIL, NULL, 0, 0, NULL, name, "");
	return pass;
}

void report_skip(const char *name, const char *reason_fmt, ...)
{
	char reason[REPORT_MSG_LEN], detail[REPORT_MSG_LEN + 2];
	va_list ap;
	va_start(ap, reason_fmt);
	vsnprintf(reason, sizeof(reason), reason_fmt, ap);
	va_end(ap);
	snprintf(detail, sizeof(detail), "(%s)", reason);
	result(REPORT_SKIP, NULL, 0, 0, NULL, name, detail);
}

void report_info(const char *fmt, ...)
{
	char msg[200], text[300];
	struct strbuf sb = STRBUF(text);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sb_add(&sb, "INFO: ");
	add_prefixes(&sb, ": ", 2);
	sb_add(&sb, msg);
	if (sb.len >= sizeof(text) - 1)
		sb.len = sizeof(text) - 2;
	text[sb.len++] = '\n';
	console_write(text, sb.len);
}

bool report_eq_at(const char *file, int line, uint64_t expected, uint64_t actual, const char *fmt,
		  ...)
{
	char name[REPORT_NAME_LEN * 2], detail[REPORT_MSG_LEN];
	uint64_t values[2] = { expected, actual };
	bool pass = expected == actual;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	if (pass)
		detail[0] = '\0';
	else
		snprintf(detail, sizeof(detail), "(expected 0x%lx, got 0x%lx at %s:%d)", expected,
			 actual, file, line);
	result(pass ? REPORT_PASS : REPORT_FAIL, file, line, 2, values, name, detail);
	return pass;
}

bool report_within_at(const char *file, int line, uint64_t lo, uint64_t hi, uint64_t actual,
		      const char *fmt, ...)
{
	char name[REPORT_NAME_LEN * 2], detail[REPORT_MSG_LEN];
	uint64_t values[3] = { lo, hi, actual };
	bool pass = lo <= actual && actual <= hi;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	if (pass)
		detail[0] = '\0';
	else
		snprintf(detail, sizeof(detail), "(expected %lu..%lu, got %lu at %s:%d)", lo, hi,
			 actual, file, line);
	result(pass ? REPORT_PASS : REPORT_FAIL, file, line, 3, values, name, detail);
	return pass;
}

void report_mark(const char *name)
{
	uint64_t flags = spin_lock_irqsave(&report_lock);
	rec_header(REPORT_KIND_MARK, sizeof(rec.mark));
	rec.mark.tsc = rdtsc();
	rec.mark.ns = clock_ns();
	strlcpy(rec.mark.name, name, sizeof(rec.mark.name));
	rec_send();
	spin_unlock_irqrestore(&report_lock, flags);
}

int report_summary(const char *suite)
{
	uint64_t flags = spin_lock_irqsave(&report_lock);
	uint32_t p = passed, f = failed, s = skipped;
	rec_header(REPORT_KIND_SUMMARY, sizeof(rec.summary));
	rec.summary.passed = p;
	rec.summary.failed = f;
	rec.summary.skipped = s;
	rec.summary.tsc = rdtsc();
	strlcpy(rec.summary.suite, suite, sizeof(rec.summary.suite));
	rec_send();
	spin_unlock_irqrestore(&report_lock, flags);
	printf("SUMMARY: %u passed, %u failed, %u skipped\n", p, f, s);
	return f ? EXIT_FAIL : EXIT_PASS;
}

void report_panic(const char *msg)
{
	/* No lock: the CPU that panics may hold it. */
	failed++;
	rec_header(REPORT_KIND_TEST, sizeof(rec.test));
	rec.test.status = REPORT_FAIL;
	rec.test.tsc = rdtsc();
	strlcpy(rec.test.name, "panic", sizeof(rec.test.name));
	strlcpy(rec.test.msg, msg, sizeof(rec.test.msg));
	rec_send();
}

uint32_t report_failures(void)
{
	return failed;
}
