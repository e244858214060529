/* test_bus.c - the port I/O / MMIO registry: registration rules, lookup, dispatch, logging. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "tests/unit/unit.h"
#include "vmm/bus.h"

struct fake_dev {
	uint64_t last_offset;
	uint32_t last_len;
	uint8_t last_data[8];
	int reads, writes;
	uint8_t fill;
};

static void fake_read(void *opaque, uint64_t offset, void *data, uint32_t len)
{
	struct fake_dev *d = opaque;

	d->last_offset = offset;
	d->last_len = len;
	d->reads++;
	memset(data, d->fill, len);
}

static void fake_write(void *opaque, uint64_t offset, const void *data, uint32_t len)
{
	struct fake_dev *d = opaque;

	d->last_offset = offset;
	d->last_len = len;
	d->writes++;
	memcpy(d->last_data, data, len);
}

static const struct bus_ops fake_ops = {
	.name = "fake",
	.read = fake_read,
	.write = fake_write,
};

/* A stateless device for the concurrency test: reads return the offset. */
static void null_read(void *opaque, uint64_t offset, void *data, uint32_t len)
{
	memset(data, (int)offset, len);
}

static void null_write(void *opaque, uint64_t offset, const void *data, uint32_t len)
{
}

static const struct bus_ops null_ops = { .name = "null", .read = null_read, .write = null_write };

static void test_register_rejects(void)
{
	struct bus bus;
	struct fake_dev d = { 0 };

	CHECK_EQ(bus_init(&bus, "pio"), 0);
	CHECK_EQ(bus_register(&bus, 0x100, 0, &fake_ops, &d), -EINVAL);
	CHECK_EQ(bus_register(&bus, UINT64_MAX, 2, &fake_ops, &d), -EINVAL);
	CHECK_EQ(bus_register(&bus, 0x8000000000000000ULL, 0x8000000000000001ULL, &fake_ops, &d),
		 -EINVAL);
	CHECK_EQ(bus_register(&bus, 0x100, 1, NULL, &d), -EINVAL);
	/* A range ending on the last address does not wrap. */
	CHECK_EQ(bus_register(&bus, UINT64_MAX - 1, 2, &fake_ops, &d), 0);
	CHECK_EQ(bus_register(&bus, UINT64_MAX, 1, &fake_ops, &d), -EEXIST);

	CHECK_EQ(bus_register(&bus, 0x100, 0x10, &fake_ops, &d), 0);
	CHECK_EQ(bus_register(&bus, 0x100, 0x10, &fake_ops, &d), -EEXIST); /* same */
	CHECK_EQ(bus_register(&bus, 0xf8, 0x9, &fake_ops, &d), -EEXIST);   /* tail over head */
	CHECK_EQ(bus_register(&bus, 0x10f, 0x1, &fake_ops, &d), -EEXIST);  /* last byte */
	CHECK_EQ(bus_register(&bus, 0x104, 0x2, &fake_ops, &d), -EEXIST);  /* inside */
	CHECK_EQ(bus_register(&bus, 0x0, 0x1000, &fake_ops, &d), -EEXIST); /* around */
	CHECK_EQ(bus_register(&bus, 0xf8, 0x8, &fake_ops, &d), 0);         /* adjacent below */
	CHECK_EQ(bus_register(&bus, 0x110, 0x8, &fake_ops, &d), 0);        /* adjacent above */
	CHECK_EQ(bus.nr, 4);
	for (size_t i = 1; i < bus.nr; i++)
		CHECK(bus.ranges[i - 1].base + bus.ranges[i - 1].len <= bus.ranges[i].base);

	bus_seal(&bus);
	CHECK_EQ(bus_register(&bus, 0x1000, 1, &fake_ops, &d), -EBUSY);
	bus_destroy(&bus);
}

static void test_find(void)
{
	struct bus bus;
	struct fake_dev d[64];
	uint64_t bases[64];
	int n = 64;

	CHECK_EQ(bus_init(&bus, "mmio"), 0);
	/* Ranges [i*0x100, i*0x100 + 0x10 + i) registered in a scrambled order. */
	for (int k = 0; k < n; k++) {
		int i = (k * 37) % n;

		bases[i] = (uint64_t)i * 0x100;
		CHECK_EQ(bus_register(&bus, bases[i], 0x10 + i, &fake_ops, &d[i]), 0);
	}
	bus_seal(&bus);
	for (int i = 0; i < n; i++) {
		const struct bus_range *r = bus_find(&bus, bases[i], 1);

		CHECK(r && r->opaque == &d[i]);
		r = bus_find(&bus, bases[i] + 0x10 + i - 1, 1);
		CHECK(r && r->opaque == &d[i]);
		r = bus_find(&bus, bases[i] + 0x10 + i - 4, 4);
		CHECK(r && r->opaque == &d[i]);
		CHECK(bus_find(&bus, bases[i] + 0x10 + i, 1) == NULL);     /* one past */
		CHECK(bus_find(&bus, bases[i] + 0x10 + i - 1, 2) == NULL); /* straddles */
		CHECK(bus_find(&bus, bases[i] + 0x10 + i - 3, 4) == NULL);
		CHECK(bus_find(&bus, bases[i], 0) == NULL);
	}
	CHECK(bus_find(&bus, UINT64_MAX, 1) == NULL);
	CHECK(bus_find(&bus, UINT64_MAX - 3, 4) == NULL);
	bus_destroy(&bus);

	CHECK_EQ(bus_init(&bus, "empty"), 0);
	CHECK(bus_find(&bus, 0, 1) == NULL);
	bus_destroy(&bus);
}

static void test_dispatch(void)
{
	struct bus bus;
	struct fake_dev a = { .fill = 0x5a }, b = { .fill = 0xa5 };
	uint8_t buf[8];
	uint32_t v32 = 0x11223344;

	CHECK_EQ(bus_init(&bus, "pio"), 0);
	CHECK_EQ(bus_register(&bus, 0x3f8, 8, &fake_ops, &a), 0);
	CHECK_EQ(bus_register(&bus, 0x400, 4, &fake_ops, &b), 0);
	bus_seal(&bus);

	CHECK(bus_read(&bus, 0x3fd, buf, 1));
	CHECK_EQ(a.last_offset, 5);
	CHECK_EQ(a.last_len, 1);
	CHECK_EQ(buf[0], 0x5a);

	CHECK(bus_write(&bus, 0x400, &v32, 4));
	CHECK_EQ(b.last_offset, 0);
	CHECK_EQ(b.last_len, 4);
	CHECK_EQ(memcmp(b.last_data, &v32, 4), 0);

	/* Unclaimed read: all-ones, counted. */
	memset(buf, 0, sizeof(buf));
	CHECK(!bus_read(&bus, 0x80, buf, 4));
	CHECK_EQ(buf[0], 0xff);
	CHECK_EQ(buf[3], 0xff);
	CHECK_EQ(atomic_load(&bus.unclaimed_reads), 1);

	/* Straddling the end of a range: unclaimed, device not called. */
	a.reads = 0;
	memset(buf, 0, sizeof(buf));
	CHECK(!bus_read(&bus, 0x3fe, buf, 4));
	CHECK_EQ(a.reads, 0);
	CHECK_EQ(buf[0], 0xff);
	CHECK(!bus_write(&bus, 0x3ff, &v32, 2));
	CHECK(!bus_write(&bus, 0x80, &v32, 1));
	CHECK_EQ(atomic_load(&bus.unclaimed_writes), 2);
	CHECK_EQ(atomic_load(&bus.unclaimed_reads), 2);
	bus_destroy(&bus);
}

/* Run fn with stderr captured into out (NUL-terminated). */
static void capture_stderr(void (*fn)(struct bus *), struct bus *bus, char *out, size_t outlen)
{
	FILE *tmp = tmpfile();
	int saved = dup(STDERR_FILENO);
	size_t n;

	fflush(stderr);
	dup2(fileno(tmp), STDERR_FILENO);
	fn(bus);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(tmp);
	n = fread(out, 1, outlen - 1, tmp);
	out[n] = '\0';
	fclose(tmp);
}

static void poke_unclaimed(struct bus *bus)
{
	uint8_t v = 0x12;
	uint16_t w = 0xbeef;
	uint8_t buf[4];

	bus_write(bus, 0x80, &v, 1);
	bus_write(bus, 0x80, &v, 1);
	bus_write(bus, 0x80, &v, 1);
	bus_write(bus, 0x92, &w, 2);
	bus_read(bus, 0x80, buf, 1);
	bus_read(bus, 0x80, buf, 1);
}

static void poke_many(struct bus *bus)
{
	uint8_t v = 0;

	for (uint64_t port = 0x1000; port < 0x1000 + 1000; port++)
		bus_write(bus, port, &v, 1);
}

static size_t count_lines(const char *s, const char *needle)
{
	size_t n = 0;

	for (const char *p = s; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

static void test_log_unclaimed(void)
{
	static char out[128 * 1024];
	struct bus bus;

	CHECK_EQ(bus_init(&bus, "pio"), 0);
	bus_seal(&bus);
	capture_stderr(poke_unclaimed, &bus, out, sizeof(out));
	CHECK_STR(out, ""); /* logging is off by default */
	CHECK_EQ(atomic_load(&bus.unclaimed_writes), 4);

	bus.log_unclaimed = true;
	capture_stderr(poke_unclaimed, &bus, out, sizeof(out));
	CHECK_EQ(count_lines(out, "pio: unclaimed write to 0x80 (1 byte, value 0x12)\n"), 1);
	CHECK_EQ(count_lines(out, "pio: unclaimed write to 0x92 (2 bytes, value 0xbeef)\n"), 1);
	CHECK_EQ(count_lines(out, "pio: unclaimed read from 0x80 (1 byte)\n"), 1);
	CHECK_EQ(count_lines(out, "\n"), 3);

	/* A guest scanning ports cannot flood the log. */
	capture_stderr(poke_many, &bus, out, sizeof(out));
	CHECK(count_lines(out, "\n") <= 256);
	CHECK_EQ(count_lines(out, "no longer logging"), 1);
	CHECK_EQ(atomic_load(&bus.unclaimed_writes), 8 + 1000);
	bus_destroy(&bus);
}

struct thread_arg {
	struct bus *bus;
	int bad;
};

static void *hammer(void *p)
{
	struct thread_arg *arg = p;

	for (int i = 0; i < 20000; i++) {
		uint8_t b = 0;
		uint64_t port = (uint64_t)(i % 64) * 0x10;

		if (!bus_read(arg->bus, port + 3, &b, 1) || b != 3)
			arg->bad++;
		bus_write(arg->bus, port + 0x8, &b, 1); /* unclaimed, logged once */
	}
	return NULL;
}

/* Four threads reading claimed ports and writing unclaimed ones. */
static void run_hammers(struct bus *b)
{
	pthread_t t[4];
	struct thread_arg args[4];

	for (int i = 0; i < 4; i++) {
		args[i] = (struct thread_arg){ .bus = b };
		pthread_create(&t[i], NULL, hammer, &args[i]);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		CHECK_EQ(args[i].bad, 0);
	}
}

static void test_concurrent(void)
{
	static char out[128 * 1024];
	struct bus bus;

	CHECK_EQ(bus_init(&bus, "pio"), 0);
	for (int i = 0; i < 64; i++)
		CHECK_EQ(bus_register(&bus, (uint64_t)i * 0x10, 8, &null_ops, NULL), 0);
	bus_seal(&bus);
	bus.log_unclaimed = true;

	capture_stderr(run_hammers, &bus, out, sizeof(out));
	CHECK_EQ(count_lines(out, "unclaimed write"), 64);
	CHECK_EQ(atomic_load(&bus.unclaimed_writes), 4 * 20000);
	bus_destroy(&bus);
}

int main(void)
{
	RUN(test_register_rejects);
	RUN(test_find);
	RUN(test_dispatch);
	RUN(test_log_unclaimed);
	RUN(test_concurrent);
	return unit_done();
}
