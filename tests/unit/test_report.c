/* test_report.c - the report channel: validation at the boundary, the kept log, JSON. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "devices/report.h"
#include "tests/unit/unit.h"
#include "vmm/layout.h"

#define RAM (16 * LAYOUT_MiB)

static struct guest_mem mem;
static uint8_t *ram;

/* The guest's side: build records in guest RAM. */
static void *at(uint64_t gpa)
{
	return ram + gpa;
}

static void hdr_fill(struct report_header *h, uint16_t kind, uint32_t size)
{
	h->magic = REPORT_MAGIC;
	h->version = REPORT_VERSION;
	h->kind = kind;
	h->size = size;
	h->cpu = 1;
}

static struct report_test *put_test(uint64_t gpa, const char *name, uint32_t status)
{
	struct report_test *t = at(gpa);

	memset(t, 0, sizeof(*t));
	hdr_fill(&t->hdr, REPORT_KIND_TEST, sizeof(*t));
	t->status = status;
	t->line = 42;
	t->nvalues = 2;
	t->values[0] = 1;
	t->values[1] = 2;
	t->tsc = 1000;
	snprintf(t->name, sizeof(t->name), "%s", name);
	snprintf(t->file, sizeof(t->file), "mem.c");
	return t;
}

static void submit_port(struct report *r, uint32_t gpa)
{
	report_ops.write(r, 0, &gpa, 4);
}

static void setup(struct report *r)
{
	memset(ram, 0, RAM);
	CHECK_EQ(report_init(r, &mem), 0);
}

static void test_accept_kinds(void)
{
	struct report r;
	struct report_counts c;
	struct report_test t;
	struct report_summary s;
	struct report_mark m;
	struct report_counters k;
	uint8_t rd[4];

	setup(&r);
	put_test(0x1000, "a.pass", REPORT_PASS);
	submit_port(&r, 0x1000);
	put_test(0x1000, "a.fail", REPORT_FAIL);
	CHECK_EQ(report_submit(&r, 0x1000), REPORT_KIND_TEST);
	put_test(0x2000, "a.skip", REPORT_SKIP);
	CHECK_EQ(report_submit(&r, 0x2000), REPORT_KIND_TEST);

	struct report_summary *gs = at(0x3000);
	hdr_fill(&gs->hdr, REPORT_KIND_SUMMARY, sizeof(*gs));
	gs->passed = 1;
	gs->failed = 1;
	gs->skipped = 1;
	strcpy(gs->suite, "a");
	CHECK_EQ(report_submit(&r, 0x3000), REPORT_KIND_SUMMARY);

	struct report_mark *gm = at(0x4000);
	hdr_fill(&gm->hdr, REPORT_KIND_MARK, sizeof(*gm));
	gm->tsc = 777;
	strcpy(gm->name, "boot.paging");
	CHECK_EQ(report_submit(&r, 0x4000), REPORT_KIND_MARK);
	gm->tsc = 888;
	strcpy(gm->name, "boot.idt");
	CHECK_EQ(report_submit(&r, 0x4000), REPORT_KIND_MARK);

	struct report_counters *gk = at(0x5000);
	hdr_fill(&gk->hdr, REPORT_KIND_COUNTERS, sizeof(*gk));
	gk->ncounters = 2;
	gk->counters[1] = 99;
	strcpy(gk->name, "dirty");
	CHECK_EQ(report_submit(&r, 0x5000), REPORT_KIND_COUNTERS);

	report_get_counts(&r, &c);
	CHECK_EQ(c.passed, 1);
	CHECK_EQ(c.failed, 1);
	CHECK_EQ(c.skipped, 1);
	CHECK_EQ(c.invalid, 0);
	CHECK_EQ(c.records[REPORT_KIND_TEST], 3);
	CHECK_EQ(c.records[REPORT_KIND_MARK], 2);
	CHECK_EQ(report_nr_kept(&r, REPORT_KIND_TEST), 3);
	CHECK_EQ(report_get(&r, REPORT_KIND_TEST, 1, &t), 0);
	CHECK_STR(t.name, "a.fail");
	CHECK_EQ(t.status, REPORT_FAIL);
	CHECK_EQ(t.hdr.cpu, 1);
	CHECK_EQ(report_get(&r, REPORT_KIND_TEST, 3, &t), -ENOENT);
	CHECK_EQ(report_get(&r, 9, 0, &t), -EINVAL);
	CHECK(report_last_summary(&r, &s));
	CHECK_STR(s.suite, "a");
	CHECK_EQ(s.failed, 1);
	CHECK(report_find_mark(&r, "boot.idt", &m));
	CHECK_EQ(m.tsc, 888);
	CHECK(report_find_mark(&r, "boot.paging", &m));
	CHECK_EQ(m.tsc, 777);
	CHECK(!report_find_mark(&r, "boot", &m));
	CHECK(report_last_counters(&r, &k));
	CHECK_EQ(k.counters[1], 99);

	/* Reads of the port say nothing. */
	report_ops.read(&r, 0, rd, 4);
	CHECK_EQ(rd[0], 0xff);
	report_destroy(&r);
}

static void test_strings_terminated(void)
{
	struct report r;
	struct report_test t;
	struct report_test *g;

	setup(&r);
	g = put_test(0x1000, "", REPORT_PASS);
	memset(g->name, 'N', sizeof(g->name));
	memset(g->file, 'F', sizeof(g->file));
	memset(g->msg, 'M', sizeof(g->msg));
	CHECK_EQ(report_submit(&r, 0x1000), REPORT_KIND_TEST);
	CHECK_EQ(report_get(&r, REPORT_KIND_TEST, 0, &t), 0);
	CHECK_EQ(strlen(t.name), REPORT_NAME_LEN - 1);
	CHECK_EQ(strlen(t.file), REPORT_FILE_LEN - 1);
	CHECK_EQ(strlen(t.msg), REPORT_MSG_LEN - 1);

	/* A larger record (a newer guest) is fine; the tail is ignored. */
	g = put_test(0x2000, "big", REPORT_PASS);
	g->hdr.size = REPORT_MAX_SIZE;
	CHECK_EQ(report_submit(&r, 0x2000), REPORT_KIND_TEST);
	/* The last bytes of RAM. */
	put_test(RAM - sizeof(*g), "last", REPORT_PASS);
	CHECK_EQ(report_submit(&r, RAM - sizeof(*g)), REPORT_KIND_TEST);
	report_destroy(&r);
}

/* Run fn(r) with stderr captured into out. */
static void capture_stderr(void (*fn)(struct report *), struct report *r, char *out, size_t len)
{
	FILE *tmp = tmpfile();
	int saved = dup(STDERR_FILENO);
	size_t n;

	fflush(stderr);
	dup2(fileno(tmp), STDERR_FILENO);
	fn(r);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(tmp);
	n = fread(out, 1, len - 1, tmp);
	out[n] = '\0';
	fclose(tmp);
}

static int bad_results[32];

/* Every way a record can be wrong, each twice. */
static void submit_bad(struct report *r)
{
	int n = 0;

	for (int round = 0; round < 2; round++) {
		struct report_test *g;
		uint16_t w = 0x1000;
		uint32_t l = 0x1000;

		bad_results[n++] = report_submit(r, RAM - 8);      /* header leaves RAM */
		bad_results[n++] = report_submit(r, 0xfee00000);   /* MMIO hole */
		bad_results[n++] = report_submit(r, UINT64_MAX - 4); /* wraps */
		g = put_test(0x1000, "x", REPORT_PASS);
		g->hdr.magic = 0x12345678;
		bad_results[n++] = report_submit(r, 0x1000);
		g = put_test(0x1000, "x", REPORT_PASS);
		g->hdr.version = 2;
		bad_results[n++] = report_submit(r, 0x1000);
		g->hdr.version = REPORT_VERSION;
		g->hdr.kind = 0;
		bad_results[n++] = report_submit(r, 0x1000);
		g->hdr.kind = REPORT_KIND_MAX + 1;
		bad_results[n++] = report_submit(r, 0x1000);
		g->hdr.kind = REPORT_KIND_TEST;
		g->hdr.size = sizeof(*g) - 1;
		bad_results[n++] = report_submit(r, 0x1000);
		g->hdr.size = REPORT_MAX_SIZE + 1;
		bad_results[n++] = report_submit(r, 0x1000);
		g = put_test(RAM - sizeof(*g), "x", REPORT_PASS);
		g->hdr.size = sizeof(*g) + 1; /* one byte past the end of RAM */
		bad_results[n++] = report_submit(r, RAM - sizeof(*g));
		g = put_test(0x1000, "x", 3);
		bad_results[n++] = report_submit(r, 0x1000);
		g = put_test(0x1000, "x", REPORT_PASS);
		g->nvalues = REPORT_NVALUES + 1;
		bad_results[n++] = report_submit(r, 0x1000);
		struct report_counters *k = at(0x2000);
		hdr_fill(&k->hdr, REPORT_KIND_COUNTERS, sizeof(*k));
		k->ncounters = REPORT_NCOUNTERS + 1;
		bad_results[n++] = report_submit(r, 0x2000);
		report_ops.write(r, 0, &w, 2);
		report_ops.write(r, 0, &l, 1);
		report_ops.write(r, 2, &w, 2);
	}
}

static size_t count(const char *s, const char *needle)
{
	size_t n = 0;

	for (const char *p = s; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

static void test_refuse(void)
{
	static char out[16384];
	struct report r;
	struct report_counts c;

	setup(&r);
	capture_stderr(submit_bad, &r, out, sizeof(out));
	report_get_counts(&r, &c);
	CHECK_EQ(c.invalid, 2 * 16);
	CHECK_EQ(c.records[REPORT_KIND_TEST] + c.records[REPORT_KIND_COUNTERS], 0);
	CHECK_EQ(c.passed + c.failed + c.skipped, 0);
	CHECK_EQ(c.errors[REPORT_ERR_ADDR], 2 * 3);
	CHECK_EQ(c.errors[REPORT_ERR_MAGIC], 2);
	CHECK_EQ(c.errors[REPORT_ERR_VERSION], 2);
	CHECK_EQ(c.errors[REPORT_ERR_KIND], 2 * 2);
	CHECK_EQ(c.errors[REPORT_ERR_SIZE], 2 * 2);
	CHECK_EQ(c.errors[REPORT_ERR_RANGE], 2);
	CHECK_EQ(c.errors[REPORT_ERR_FIELD], 2 * 3);
	CHECK_EQ(c.errors[REPORT_ERR_ACCESS], 2 * 3);
	CHECK_EQ(bad_results[0], -EFAULT);
	CHECK_EQ(bad_results[3], -EINVAL);
	CHECK_EQ(bad_results[9], -EFAULT);
	CHECK_EQ(report_nr_kept(&r, REPORT_KIND_TEST), 0);
	/* One line per reason, however often it happens. */
	CHECK_EQ(count(out, "\n"), REPORT_ERR_COUNT);
	CHECK_EQ(count(out, "magic 0x12345678, expected 0x50455256"), 1);
	CHECK_EQ(count(out, "the record at 0xfffff8: its 16-byte header is not in guest RAM"), 1);
	CHECK_EQ(count(out, "size 343 for a test record (344 to 4096 bytes)"), 1);
	CHECK_EQ(count(out, "a 2-byte write to port 0x520"), 1);
	CHECK_EQ(count(out, "test status 3 out of range"), 1);
	report_destroy(&r);
}

struct flipper {
	volatile struct report_test *g;
	atomic_int stop;
};

/* A hostile guest CPU rewriting the header while the VMM reads the record. */
static void *flip(void *p)
{
	struct flipper *f = p;

	for (uint32_t i = 0; !atomic_load(&f->stop); i++) {
		f->g->hdr.size = (i & 1) ? 0xfffffff0u : sizeof(struct report_test);
		f->g->hdr.kind = (i & 2) ? 9 : REPORT_KIND_TEST;
		f->g->nvalues = (i & 4) ? 1000 : 1;
	}
	return NULL;
}

/* The header and fields are read once: what is kept is what was checked. */
static void test_racing_guest(void)
{
	struct report r;
	struct report_test t;
	struct flipper f;
	pthread_t th;
	size_t kept;

	setup(&r);
	f.g = put_test(0x1000, "race", REPORT_PASS);
	atomic_init(&f.stop, 0);
	pthread_create(&th, NULL, flip, &f);
	for (int i = 0; i < 20000; i++)
		report_submit(&r, 0x1000);
	atomic_store(&f.stop, 1);
	pthread_join(th, NULL);
	kept = report_nr_kept(&r, REPORT_KIND_TEST);
	for (size_t i = 0; i < kept; i++) {
		CHECK_EQ(report_get(&r, REPORT_KIND_TEST, i, &t), 0);
		CHECK_EQ(t.hdr.size, sizeof(t));
		CHECK_EQ(t.hdr.kind, REPORT_KIND_TEST);
		CHECK(t.nvalues <= REPORT_NVALUES);
	}
	report_destroy(&r);
}

static void test_cap(void)
{
	struct report r;
	struct report_counts c;
	struct report_test t;
	size_t n = 4096 + 10;

	setup(&r);
	for (size_t i = 0; i < n; i++) {
		struct report_test *g = put_test(0x1000, "", REPORT_PASS);

		snprintf(g->name, sizeof(g->name), "t%zu", i);
		report_submit(&r, 0x1000);
	}
	report_get_counts(&r, &c);
	CHECK_EQ(c.passed, n);
	CHECK_EQ(c.dropped, 10);
	CHECK_EQ(report_nr_kept(&r, REPORT_KIND_TEST), 4096);
	CHECK_EQ(report_get(&r, REPORT_KIND_TEST, 4095, &t), 0);
	CHECK_STR(t.name, "t4095");
	report_destroy(&r);
}

struct cb_state {
	struct report *r;
	int calls;
	int in_cb; /* not atomic on purpose: callbacks must come one at a time */
	int overlap;
	char last[512];
};

static void on_record(void *opaque, const struct report_header *rec)
{
	struct cb_state *s = opaque;
	struct report_counts c;

	if (s->in_cb++)
		s->overlap++;
	s->calls++;
	report_get_counts(s->r, &c); /* getters work from a callback */
	report_json(rec, s->last, sizeof(s->last));
	s->in_cb--;
}

static void test_callback(void)
{
	struct report r;
	struct cb_state s = { .r = &r };

	setup(&r);
	report_set_callback(&r, on_record, &s);
	put_test(0x1000, "cb", REPORT_FAIL);
	CHECK_EQ(report_submit(&r, 0x1000), REPORT_KIND_TEST);
	CHECK_EQ(s.calls, 1);
	CHECK_STR(s.last, "{\"type\":\"test\",\"name\":\"cb\",\"status\":\"fail\",\"cpu\":1,"
			  "\"file\":\"mem.c\",\"line\":42,\"msg\":\"\",\"values\":[1,2],"
			  "\"tsc\":1000}");
	CHECK_EQ(report_submit(&r, 0x10), -EINVAL);
	CHECK_EQ(s.calls, 1); /* refused records are not passed on */
	report_destroy(&r);
}

static void *submitter(void *p)
{
	struct report *r = p;

	for (int i = 0; i < 5000; i++)
		report_submit(r, 0x1000);
	return NULL;
}

static void test_concurrent(void)
{
	struct report r;
	struct report_counts c;
	struct cb_state s = { .r = &r };
	pthread_t t[4];

	setup(&r);
	report_set_callback(&r, on_record, &s);
	put_test(0x1000, "many", REPORT_PASS);
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, submitter, &r);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	report_get_counts(&r, &c);
	CHECK_EQ(c.passed, 20000);
	CHECK_EQ(s.calls, 20000);
	CHECK_EQ(s.overlap, 0);
	CHECK_EQ(report_nr_kept(&r, REPORT_KIND_TEST) + c.dropped, 20000);
	report_destroy(&r);
}

static void test_json_escape(void)
{
	char buf[128];
	const char in[] = "a\"b\\c\n\t\x01\x1f\x7f\xc3\xa9/z";

	CHECK_EQ(report_json_escape(buf, sizeof(buf), in, sizeof(in)), 43);
	CHECK_STR(buf, "a\\\"b\\\\c\\n\\t\\u0001\\u001f\\u007f\\u00c3\\u00a9/z");
	/* srclen bounds an unterminated source. */
	CHECK_EQ(report_json_escape(buf, sizeof(buf), "abcdef", 3), 3);
	CHECK_STR(buf, "abc");
	/* snprintf semantics: truncated but terminated, full length returned. */
	CHECK_EQ(report_json_escape(buf, 5, "\"\"\"\"", 4), 8);
	CHECK_STR(buf, "\\\"\\\"");
	CHECK_EQ(report_json_escape(NULL, 0, "\x80", 1), 6);
	CHECK_EQ(report_json_escape(buf, 1, "x", 1), 1);
	CHECK_STR(buf, "");
}

static void test_json_records(void)
{
	char buf[512];
	struct report_summary s = { 0 };
	struct report_mark m = { 0 };
	struct report_counters k = { 0 };
	struct report_test t = { 0 };

	hdr_fill(&s.hdr, REPORT_KIND_SUMMARY, sizeof(s));
	s.passed = 3;
	s.failed = 1;
	s.tsc = 5;
	strcpy(s.suite, "boot");
	CHECK(report_json(&s.hdr, buf, sizeof(buf)) > 0);
	CHECK_STR(buf, "{\"type\":\"summary\",\"suite\":\"boot\",\"passed\":3,\"failed\":1,"
		       "\"skipped\":0,\"cpu\":1,\"tsc\":5}");

	hdr_fill(&m.hdr, REPORT_KIND_MARK, sizeof(m));
	m.tsc = UINT64_MAX;
	m.ns = 12;
	strcpy(m.name, "quote\"d");
	CHECK(report_json(&m.hdr, buf, sizeof(buf)) > 0);
	CHECK_STR(buf, "{\"type\":\"mark\",\"name\":\"quote\\\"d\",\"cpu\":1,"
		       "\"tsc\":18446744073709551615,\"ns\":12}");

	hdr_fill(&k.hdr, REPORT_KIND_COUNTERS, sizeof(k));
	k.ncounters = 3;
	k.counters[0] = 1;
	k.counters[2] = 3;
	k.ns = 9;
	strcpy(k.name, "w");
	CHECK(report_json(&k.hdr, buf, sizeof(buf)) > 0);
	CHECK_STR(buf, "{\"type\":\"counters\",\"name\":\"w\",\"cpu\":1,\"ns\":9,"
		       "\"counters\":[1,0,3]}");

	hdr_fill(&t.hdr, REPORT_KIND_TEST, sizeof(t));
	t.status = REPORT_SKIP;
	strcpy(t.msg, "tab\there");
	int n = report_json(&t.hdr, buf, 20);
	CHECK_EQ(strlen(buf), 19);
	CHECK_EQ(n, (int)strlen("{\"type\":\"test\",\"name\":\"\",\"status\":\"skip\",\"cpu\":1,"
				"\"file\":\"\",\"line\":0,\"msg\":\"tab\\there\",\"values\":[],"
				"\"tsc\":0}"));
	t.hdr.kind = 7;
	CHECK_EQ(report_json(&t.hdr, buf, sizeof(buf)), -EINVAL);
}

/* Console records reach the callback with their text, are counted, and are not kept. */
static char console_seen[8192];
static size_t console_len;

static void console_cb(void *opaque, const struct report_header *rec)
{
	const struct report_console *c = (const void *)rec;

	(void)opaque;
	if (rec->kind == REPORT_KIND_CONSOLE && console_len + c->len <= sizeof(console_seen)) {
		memcpy(console_seen + console_len, c->text, c->len);
		console_len += c->len;
	}
}

static struct report_console *put_console(uint64_t gpa, const char *text, uint32_t size)
{
	struct report_console *c = at(gpa);
	uint32_t len = (uint32_t)strlen(text);

	hdr_fill(&c->hdr, REPORT_KIND_CONSOLE, size ? size : (uint32_t)sizeof(*c) + len);
	c->len = len;
	c->reserved = 0;
	memcpy(c->text, text, len);
	return c;
}

static void test_console(void)
{
	struct report r;
	struct report_counts c;
	struct report_console *con;
	char big[REPORT_CONSOLE_MAX + 1];
	char json[256];

	setup(&r);
	console_len = 0;
	report_set_callback(&r, console_cb, NULL);
	put_console(0x1000, "hello, ", 0);
	submit_port(&r, 0x1000);
	put_console(0x2000, "world\n", 0);
	CHECK_EQ(report_submit(&r, 0x2000), REPORT_KIND_CONSOLE);
	CHECK_EQ(console_len, 13);
	CHECK(memcmp(console_seen, "hello, world\n", 13) == 0);

	/* the largest record is accepted whole */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	put_console(0x3000, big, 0);
	CHECK_EQ(report_submit(&r, 0x3000), REPORT_KIND_CONSOLE);
	CHECK_EQ(console_len, 13 + REPORT_CONSOLE_MAX);

	/* len beyond the record's size, a size past the maximum, a record off the end of RAM */
	con = put_console(0x4000, "abc", 0);
	con->len = 4;
	CHECK_EQ(report_submit(&r, 0x4000), -EINVAL);
	con->len = 3;
	con->hdr.size = REPORT_MAX_SIZE + 1;
	CHECK_EQ(report_submit(&r, 0x4000), -EINVAL);
	con = put_console(RAM - sizeof(*con) - 2, "ab", 0);
	con->hdr.size += 1; /* the record claims one byte beyond the end of RAM */
	con->len = 3;
	CHECK_EQ(report_submit(&r, RAM - sizeof(*con) - 2), -EFAULT);
	CHECK_EQ(console_len, 13 + REPORT_CONSOLE_MAX);

	report_get_counts(&r, &c);
	CHECK_EQ(c.records[REPORT_KIND_CONSOLE], 3);
	CHECK_EQ(c.invalid, 3);
	CHECK_EQ(c.dropped, 0);
	CHECK_EQ(report_nr_kept(&r, REPORT_KIND_CONSOLE), 0);

	/* JSON escapes the text */
	con = put_console(0x5000, "a\"b\n", 0);
	CHECK(report_json(&con->hdr, json, sizeof(json)) > 0);
	CHECK_STR(json, "{\"type\":\"console\",\"cpu\":1,\"text\":\"a\\\"b\\n\"}");
	report_destroy(&r);
}

int main(void)
{
	ram = calloc(1, guest_mem_host_size(RAM));
	if (!ram || guest_mem_init_from_buffer(&mem, RAM, ram)) {
		fprintf(stderr, "cannot set up %llu bytes of guest RAM\n", RAM);
		return 1;
	}
	RUN(test_accept_kinds);
	RUN(test_strings_terminated);
	RUN(test_refuse);
	RUN(test_racing_guest);
	RUN(test_cap);
	RUN(test_callback);
	RUN(test_concurrent);
	RUN(test_json_escape);
	RUN(test_json_records);
	RUN(test_console);
	free(ram);
	return unit_done();
}
