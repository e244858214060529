/*
 * report.c - the report channel: check guest records at the boundary, keep
 * them, hand them to the VM, and print them as JSON.
 */
#include "devices/report.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/layout.h"
#include "vmm/log.h"

/* Per-kind caps on what is kept (index = kind). */
static const size_t report_keep[REPORT_KIND_MAX + 1] = {
	[REPORT_KIND_TEST] = 4096,
	[REPORT_KIND_SUMMARY] = 256,
	[REPORT_KIND_MARK] = 256,
	[REPORT_KIND_COUNTERS] = 4096,
	[REPORT_KIND_CONSOLE] = 0, /* handed to the console, not kept */
};

static const size_t report_size[REPORT_KIND_MAX + 1] = {
	[REPORT_KIND_TEST] = sizeof(struct report_test),
	[REPORT_KIND_SUMMARY] = sizeof(struct report_summary),
	[REPORT_KIND_MARK] = sizeof(struct report_mark),
	[REPORT_KIND_COUNTERS] = sizeof(struct report_counters),
	[REPORT_KIND_CONSOLE] = sizeof(struct report_console),
};

static const char *const report_kind_name[REPORT_KIND_MAX + 1] = {
	[REPORT_KIND_TEST] = "test",
	[REPORT_KIND_SUMMARY] = "summary",
	[REPORT_KIND_MARK] = "mark",
	[REPORT_KIND_COUNTERS] = "counters",
	[REPORT_KIND_CONSOLE] = "console",
};

/* Any record, as copied out of the guest. */
union report_any {
	struct report_header hdr;
	struct report_test test;
	struct report_summary summary;
	struct report_mark mark;
	struct report_counters counters;
	uint8_t raw[REPORT_MAX_SIZE]; /* a console record: struct report_console and its text */
};

int report_init(struct report *r, const struct guest_mem *mem)
{
	int err;

	memset(r, 0, sizeof(*r));
	r->mem = mem;
	err = pthread_mutex_init(&r->cb_lock, NULL);
	if (err)
		return -err;
	err = pthread_mutex_init(&r->lock, NULL);
	if (err) {
		pthread_mutex_destroy(&r->cb_lock);
		return -err;
	}
	for (int k = 1; k <= REPORT_KIND_MAX; k++) {
		r->store[k].max = report_keep[k];
		r->store[k].recsize = report_size[k];
	}
	return 0;
}

void report_destroy(struct report *r)
{
	for (int k = 0; k <= REPORT_KIND_MAX; k++)
		free(r->store[k].recs);
	pthread_mutex_destroy(&r->lock);
	pthread_mutex_destroy(&r->cb_lock);
}

void report_set_callback(struct report *r, report_fn fn, void *opaque)
{
	pthread_mutex_lock(&r->cb_lock);
	r->on_record = fn;
	r->opaque = opaque;
	pthread_mutex_unlock(&r->cb_lock);
}

/* Count a refused record. True when it is the first refused for this reason. */
static bool report_count_refusal(struct report *r, enum report_error why)
{
	bool first;

	pthread_mutex_lock(&r->lock);
	r->counts.invalid++;
	first = r->counts.errors[why]++ == 0;
	pthread_mutex_unlock(&r->lock);
	return first;
}

/*
 * Count the record at gpa as refused; describe it when it is the first
 * refused for this reason. Returns ret.
 */
__attribute__((format(printf, 5, 6)))
static int report_refuse(struct report *r, enum report_error why, int ret, uint64_t gpa,
			 const char *fmt, ...)
{
	char what[160];
	va_list ap;

	if (!report_count_refusal(r, why))
		return ret;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	log_warn("report: refused the record at %#" PRIx64 ": %s (further records refused "
		 "for this reason are only counted)", gpa, what);
	return ret;
}

/* Check a kind's own fields in the copy. 0 or a description in why. */
static int report_check_fields(const union report_any *rec, const char **why, uint32_t *val)
{
	switch (rec->hdr.kind) {
	case REPORT_KIND_TEST:
		if (rec->test.status > REPORT_SKIP) {
			*why = "test status";
			*val = rec->test.status;
			return -EINVAL;
		}
		if (rec->test.nvalues > REPORT_NVALUES) {
			*why = "test nvalues";
			*val = rec->test.nvalues;
			return -EINVAL;
		}
		return 0;
	case REPORT_KIND_COUNTERS:
		if (rec->counters.ncounters > REPORT_NCOUNTERS) {
			*why = "ncounters";
			*val = rec->counters.ncounters;
			return -EINVAL;
		}
		return 0;
	case REPORT_KIND_CONSOLE: {
		const struct report_console *c = (const void *)rec->raw;

		if (c->len > rec->hdr.size - sizeof(*c)) {
			*why = "console text length";
			*val = c->len;
			return -EINVAL;
		}
		return 0;
	}
	default:
		return 0;
	}
}

/* End every string field in a NUL, whatever the guest put there. */
static void report_terminate(union report_any *rec)
{
	switch (rec->hdr.kind) {
	case REPORT_KIND_TEST:
		rec->test.name[REPORT_NAME_LEN - 1] = '\0';
		rec->test.file[REPORT_FILE_LEN - 1] = '\0';
		rec->test.msg[REPORT_MSG_LEN - 1] = '\0';
		break;
	case REPORT_KIND_SUMMARY:
		rec->summary.suite[REPORT_NAME_LEN - 1] = '\0';
		break;
	case REPORT_KIND_MARK:
		rec->mark.name[REPORT_NAME_LEN - 1] = '\0';
		break;
	case REPORT_KIND_COUNTERS:
		rec->counters.name[REPORT_NAME_LEN - 1] = '\0';
		break;
	}
}

/* Append a copy of rec to its kind's store, or count it dropped. Lock held. */
static void report_keep_locked(struct report *r, const union report_any *rec)
{
	struct report_store *s = &r->store[rec->hdr.kind];

	if (s->nr == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		void *p;

		if (cap > s->max)
			cap = s->max;
		p = s->nr < cap ? realloc(s->recs, cap * s->recsize) : NULL;
		if (!p) {
			r->counts.dropped++;
			return;
		}
		s->recs = p;
		s->cap = cap;
	}
	memcpy((uint8_t *)s->recs + s->nr * s->recsize, rec, s->recsize);
	s->nr++;
}

/* Count, keep and remember an accepted record. Lock held. */
static void report_store_locked(struct report *r, const union report_any *rec)
{
	r->counts.records[rec->hdr.kind]++;
	switch (rec->hdr.kind) {
	case REPORT_KIND_TEST:
		if (rec->test.status == REPORT_PASS)
			r->counts.passed++;
		else if (rec->test.status == REPORT_FAIL)
			r->counts.failed++;
		else
			r->counts.skipped++;
		break;
	case REPORT_KIND_SUMMARY:
		r->last_summary = rec->summary;
		r->have_summary = true;
		break;
	case REPORT_KIND_COUNTERS:
		r->last_counters = rec->counters;
		r->have_counters = true;
		break;
	}
	if (report_keep[rec->hdr.kind])
		report_keep_locked(r, rec);
}

int report_submit(struct report *r, uint64_t gpa)
{
	union report_any rec;
	struct report_header hdr;
	const void *p;
	const char *why = NULL;
	uint32_t val = 0;

	/* The header is read once; every decision below uses this copy. */
	p = guest_mem_ptr(r->mem, gpa, sizeof(hdr));
	if (!p)
		return report_refuse(r, REPORT_ERR_ADDR, -EFAULT, gpa,
				     "its %zu-byte header is not in guest RAM", sizeof(hdr));
	memcpy(&hdr, p, sizeof(hdr));
	if (hdr.magic != REPORT_MAGIC)
		return report_refuse(r, REPORT_ERR_MAGIC, -EINVAL, gpa,
				     "magic %#x, expected %#x", hdr.magic, REPORT_MAGIC);
	if (hdr.version != REPORT_VERSION)
		return report_refuse(r, REPORT_ERR_VERSION, -EINVAL, gpa,
				     "version %u, expected %u", hdr.version, REPORT_VERSION);
	if (hdr.kind < 1 || hdr.kind > REPORT_KIND_MAX)
		return report_refuse(r, REPORT_ERR_KIND, -EINVAL, gpa,
				     "unknown kind %u", hdr.kind);
	if (hdr.size < report_size[hdr.kind] || hdr.size > REPORT_MAX_SIZE)
		return report_refuse(r, REPORT_ERR_SIZE, -EINVAL, gpa,
				     "size %u for a %s record (%zu to %u bytes)", hdr.size,
				     report_kind_name[hdr.kind], report_size[hdr.kind],
				     REPORT_MAX_SIZE);
	p = guest_mem_ptr(r->mem, gpa, hdr.size);
	if (!p)
		return report_refuse(r, REPORT_ERR_RANGE, -EFAULT, gpa,
				     "its %u bytes are not all in guest RAM", hdr.size);

	/* fixed kinds copy their struct; console text is as long as the record */
	memcpy(&rec, p, hdr.kind == REPORT_KIND_CONSOLE ? hdr.size : report_size[hdr.kind]);
	rec.hdr = hdr; /* the guest may have changed it since */
	if (report_check_fields(&rec, &why, &val))
		return report_refuse(r, REPORT_ERR_FIELD, -EINVAL, gpa,
				     "%s %u out of range", why, val);
	report_terminate(&rec);

	pthread_mutex_lock(&r->cb_lock);
	pthread_mutex_lock(&r->lock);
	report_store_locked(r, &rec);
	pthread_mutex_unlock(&r->lock);
	if (r->on_record)
		r->on_record(r->opaque, &rec.hdr);
	pthread_mutex_unlock(&r->cb_lock);
	return hdr.kind;
}

static void report_read(void *opaque, uint64_t offset, void *data, uint32_t len)
{
	memset(data, 0xff, len);
}

static void report_write(void *opaque, uint64_t offset, const void *data, uint32_t len)
{
	struct report *r = opaque;
	uint32_t gpa;

	if (offset != 0 || len != 4) {
		if (report_count_refusal(r, REPORT_ERR_ACCESS))
			log_warn("report: refused a %u-byte write to port %#" PRIx64 ": records are "
				 "submitted by a 4-byte write to %#x (further such writes are only "
				 "counted)", len, LAYOUT_PORT_REPORT + offset, LAYOUT_PORT_REPORT);
		return;
	}
	memcpy(&gpa, data, sizeof(gpa));
	report_submit(r, gpa);
}

const struct bus_ops report_ops = {
	.name = "report",
	.read = report_read,
	.write = report_write,
};

void report_get_counts(struct report *r, struct report_counts *out)
{
	pthread_mutex_lock(&r->lock);
	*out = r->counts;
	pthread_mutex_unlock(&r->lock);
}

size_t report_nr_kept(struct report *r, enum report_kind kind)
{
	size_t n;

	if (kind < 1 || kind > REPORT_KIND_MAX)
		return 0;
	pthread_mutex_lock(&r->lock);
	n = r->store[kind].nr;
	pthread_mutex_unlock(&r->lock);
	return n;
}

int report_get(struct report *r, enum report_kind kind, size_t index, void *out)
{
	const struct report_store *s;
	int ret = 0;

	if (kind < 1 || kind > REPORT_KIND_MAX)
		return -EINVAL;
	s = &r->store[kind];
	pthread_mutex_lock(&r->lock);
	if (index < s->nr)
		memcpy(out, (const uint8_t *)s->recs + index * s->recsize, s->recsize);
	else
		ret = -ENOENT;
	pthread_mutex_unlock(&r->lock);
	return ret;
}

bool report_last_summary(struct report *r, struct report_summary *out)
{
	bool have;

	pthread_mutex_lock(&r->lock);
	have = r->have_summary;
	if (have)
		*out = r->last_summary;
	pthread_mutex_unlock(&r->lock);
	return have;
}

bool report_last_counters(struct report *r, struct report_counters *out)
{
	bool have;

	pthread_mutex_lock(&r->lock);
	have = r->have_counters;
	if (have)
		*out = r->last_counters;
	pthread_mutex_unlock(&r->lock);
	return have;
}

bool report_find_mark(struct report *r, const char *name, struct report_mark *out)
{
	const struct report_store *s = &r->store[REPORT_KIND_MARK];
	const struct report_mark *marks;
	bool found = false;

	pthread_mutex_lock(&r->lock);
	marks = s->recs;
	for (size_t i = 0; i < s->nr && !found; i++) {
		if (strcmp(marks[i].name, name) == 0) {
			*out = marks[i];
			found = true;
		}
	}
	pthread_mutex_unlock(&r->lock);
	return found;
}

/* ---- JSON ------------------------------------------------------------ */

/* Text appended to a bounded buffer, counting what did not fit (snprintf-like). */
struct report_out {
	char *buf;
	size_t len; /* capacity, including the NUL */
	size_t pos; /* length of the full text so far */
};

static void report_out_putc(struct report_out *o, char c)
{
	if (o->pos + 1 < o->len)
		o->buf[o->pos] = c;
	o->pos++;
}

static void report_out_puts(struct report_out *o, const char *s)
{
	while (*s)
		report_out_putc(o, *s++);
}

__attribute__((format(printf, 2, 3)))
static void report_out_printf(struct report_out *o, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	report_out_puts(o, tmp);
}

/* Terminate within capacity. */
static size_t report_out_end(struct report_out *o)
{
	if (o->len)
		o->buf[o->pos < o->len ? o->pos : o->len - 1] = '\0';
	return o->pos;
}

static void report_out_escape(struct report_out *o, const char *src, size_t srclen)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < srclen && src[i]; i++) {
		unsigned char c = (unsigned char)src[i];

		switch (c) {
		case '"':
			report_out_puts(o, "\\\"");
			continue;
		case '\\':
			report_out_puts(o, "\\\\");
			continue;
		case '\n':
			report_out_puts(o, "\\n");
			continue;
		case '\r':
			report_out_puts(o, "\\r");
			continue;
		case '\t':
			report_out_puts(o, "\\t");
			continue;
		case '\b':
			report_out_puts(o, "\\b");
			continue;
		case '\f':
			report_out_puts(o, "\\f");
			continue;
		}
		if (c < 0x20 || c >= 0x7f) {
			report_out_puts(o, "\\u00");
			report_out_putc(o, hex[c >> 4]);
			report_out_putc(o, hex[c & 15]);
		} else {
			report_out_putc(o, (char)c);
		}
	}
}

size_t report_json_escape(char *dst, size_t len, const char *src, size_t srclen)
{
	struct report_out o = { .buf = dst, .len = len };

	report_out_escape(&o, src, srclen);
	return report_out_end(&o);
}

/* ,"key":"escaped value" */
static void report_out_str(struct report_out *o, const char *key, const char *s, size_t max)
{
	report_out_printf(o, ",\"%s\":\"", key);
	report_out_escape(o, s, max);
	report_out_putc(o, '"');
}

/* ,"key":[v0,v1,...] from n u64s at v, which may be unaligned (packed records). */
static void report_out_u64s(struct report_out *o, const char *key, const void *v, size_t n)
{
	report_out_printf(o, ",\"%s\":[", key);
	for (size_t i = 0; i < n; i++) {
		uint64_t x;

		memcpy(&x, (const uint8_t *)v + i * sizeof(x), sizeof(x));
		report_out_printf(o, "%s%" PRIu64, i ? "," : "", x);
	}
	report_out_putc(o, ']');
}

int report_json(const struct report_header *rec, char *buf, size_t len)
{
	static const char *const status[] = { "pass", "fail", "skip" };
	struct report_out o = { .buf = buf, .len = len };
	const struct report_test *t = (const void *)rec;
	const struct report_summary *sum = (const void *)rec;
	const struct report_mark *m = (const void *)rec;
	const struct report_counters *c = (const void *)rec;
	const struct report_console *con = (const void *)rec;

	if (rec->kind < 1 || rec->kind > REPORT_KIND_MAX)
		return -EINVAL;
	report_out_printf(&o, "{\"type\":\"%s\"", report_kind_name[rec->kind]);
	switch (rec->kind) {
	case REPORT_KIND_TEST:
		report_out_str(&o, "name", t->name, REPORT_NAME_LEN);
		report_out_printf(&o, ",\"status\":\"%s\",\"cpu\":%u",
				  t->status <= REPORT_SKIP ? status[t->status] : "?",
				  rec->cpu);
		report_out_str(&o, "file", t->file, REPORT_FILE_LEN);
		report_out_printf(&o, ",\"line\":%u", t->line);
		report_out_str(&o, "msg", t->msg, REPORT_MSG_LEN);
		report_out_u64s(&o, "values",
				(const uint8_t *)t + offsetof(struct report_test, values),
				t->nvalues <= REPORT_NVALUES ? t->nvalues : 0);
		report_out_printf(&o, ",\"tsc\":%" PRIu64, t->tsc);
		break;
	case REPORT_KIND_SUMMARY:
		report_out_str(&o, "suite", sum->suite, REPORT_NAME_LEN);
		report_out_printf(&o, ",\"passed\":%u,\"failed\":%u,\"skipped\":%u",
				  sum->passed, sum->failed, sum->skipped);
		report_out_printf(&o, ",\"cpu\":%u,\"tsc\":%" PRIu64, rec->cpu, sum->tsc);
		break;
	case REPORT_KIND_MARK:
		report_out_str(&o, "name", m->name, REPORT_NAME_LEN);
		report_out_printf(&o, ",\"cpu\":%u,\"tsc\":%" PRIu64, rec->cpu, m->tsc);
		report_out_printf(&o, ",\"ns\":%" PRIu64, m->ns);
		break;
	case REPORT_KIND_COUNTERS:
		report_out_str(&o, "name", c->name, REPORT_NAME_LEN);
		report_out_printf(&o, ",\"cpu\":%u,\"ns\":%" PRIu64, rec->cpu, c->ns);
		report_out_u64s(&o, "counters",
				(const uint8_t *)c + offsetof(struct report_counters, counters),
				c->ncounters <= REPORT_NCOUNTERS ? c->ncounters : 0);
		break;
	case REPORT_KIND_CONSOLE:
		report_out_printf(&o, ",\"cpu\":%u", rec->cpu);
		report_out_str(&o, "text", con->text, con->len);
		break;
	}
	report_out_putc(&o, '}');
	return (int)report_out_end(&o);
}
