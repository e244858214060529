/* test_exitport.c - isa-debug-exit semantics and the exit status rule. */
#include "devices/exitport.h"
#include "tests/unit/unit.h"

struct calls {
	int n;
	uint32_t last;
};

static void on_request(void *opaque, uint32_t value)
{
	struct calls *c = opaque;

	c->n++;
	c->last = value;
}

static void test_status_rule(void)
{
	CHECK_EQ(exitport_status(0, false), 0);
	CHECK_EQ(exitport_status(1, false), 1);
	CHECK_EQ(exitport_status(0x7f, false), 0x7f);
	CHECK_EQ(exitport_status(0x1ff, false), 0xff);
	CHECK_EQ(exitport_status(0x100, false), 0);
	CHECK_EQ(exitport_status(0, true), 1);
	CHECK_EQ(exitport_status(1, true), 3);
	CHECK_EQ(exitport_status(0x10, true), 0x21);
	CHECK_EQ(exitport_status(0x7f, true), 0xff);
	CHECK_EQ(exitport_status(0x80, true), 1);
	CHECK_EQ(exitport_status(0xffffffffu, true), 0xff);
	/* QEMU style is always odd: a guest cannot fake success. */
	for (uint32_t v = 0; v < 1024; v++)
		CHECK_EQ(exitport_status(v, true) & 1, 1);
}

static void test_writes(void)
{
	struct exitport e;
	struct calls c = { 0 };
	uint32_t v = 0;
	uint8_t b = 0x42;
	uint16_t w = 0x1234;
	uint32_t l = 0xdeadbeef;
	uint8_t rd[4] = { 0 };

	exitport_init(&e, on_request, &c);
	CHECK(!exitport_requested(&e, &v));
	exitport_ops.read(&e, 0, rd, 4);
	CHECK_EQ(rd[0], 0xff);
	CHECK_EQ(rd[3], 0xff);
	exitport_ops.write(&e, 1, &b, 1);
	CHECK_EQ(c.n, 0);
	CHECK_EQ(atomic_load(&e.ignored), 1);
	CHECK(!exitport_requested(&e, &v));

	exitport_ops.write(&e, 0, &b, 1);
	CHECK_EQ(c.n, 1);
	CHECK_EQ(c.last, 0x42);
	CHECK(exitport_requested(&e, &v));
	CHECK_EQ(v, 0x42);
	exitport_ops.write(&e, 0, &w, 2);
	CHECK_EQ(c.last, 0x1234);
	exitport_ops.write(&e, 0, &l, 4);
	CHECK_EQ(c.last, 0xdeadbeef);
	CHECK_EQ(c.n, 3);
	CHECK(exitport_requested(&e, &v));
	CHECK_EQ(v, 0x42); /* the first request wins */

	/* Zero is a request too (success under the plain rule). */
	exitport_init(&e, NULL, NULL);
	b = 0;
	exitport_ops.write(&e, 0, &b, 1);
	CHECK(exitport_requested(&e, &v));
	CHECK_EQ(v, 0);
}

int main(void)
{
	RUN(test_status_rule);
	RUN(test_writes);
	return unit_done();
}
