/* test_uart.c - the 16550A model: registers, Linux's probe, FIFOs, IRQ, console I/O. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "devices/uart.h"
#include "tests/unit/unit.h"

struct fake_irq {
	int level;
	int changes;
	unsigned int gsi;
};

static int fake_irq_set(void *opaque, unsigned int gsi, int level)
{
	struct fake_irq *f = opaque;

	f->gsi = gsi;
	if (level != f->level)
		f->changes++;
	f->level = level;
	return 0;
}

static uint8_t rd(struct uart *u, unsigned int reg)
{
	uint8_t v = 0xee;

	uart_ops.read(u, reg, &v, 1);
	return v;
}

static void wr(struct uart *u, unsigned int reg, uint8_t v)
{
	uart_ops.write(u, reg, &v, 1);
}

/* A UART writing into a pipe; fds[0] is the read end (non-blocking). */
static void setup(struct uart *u, struct fake_irq *f, int fds[2])
{
	struct irq_line line = { .set = fake_irq_set, .opaque = f, .gsi = 4 };

	memset(f, 0, sizeof(*f));
	CHECK_EQ(pipe(fds), 0);
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	CHECK_EQ(uart_init(u, fds[1], &line), 0);
}

static void teardown(struct uart *u, int fds[2])
{
	uart_destroy(u);
	close(fds[0]);
	close(fds[1]);
}

static ssize_t drain(int fd, char *buf, size_t len)
{
	ssize_t n = read(fd, buf, len - 1);

	buf[n > 0 ? n : 0] = '\0';
	return n;
}

static void test_reset_state(void)
{
	struct uart u;
	struct fake_irq f;
	int fds[2];

	setup(&u, &f, fds);
	CHECK_EQ(rd(&u, 2), 0x01); /* no interrupt, no FIFO */
	CHECK_EQ(rd(&u, 5), 0x60); /* THRE | TEMT */
	CHECK_EQ(rd(&u, 6), 0xb0); /* DCD | DSR | CTS */
	CHECK_EQ(rd(&u, 1), 0);
	CHECK_EQ(rd(&u, 3), 0);
	CHECK_EQ(rd(&u, 4), 0);
	CHECK_EQ(f.changes, 0);
	teardown(&u, fds);
}

/* The register dance of Linux's 8250 autoconfig() for a 16550A. */
static void test_linux_probe(void)
{
	struct uart u;
	struct fake_irq f;
	int fds[2];

	setup(&u, &f, fds);
	wr(&u, 1, 0);
	CHECK_EQ(rd(&u, 1) & 0x0f, 0);
	wr(&u, 1, 0x0f);
	CHECK_EQ(rd(&u, 1) & 0x0f, 0x0f);
	wr(&u, 1, 0xff);
	CHECK_EQ(rd(&u, 1), 0x0f); /* upper IER bits read 0 (no XScale UUE) */
	wr(&u, 1, 0);

	/* Loopback check: RTS and OUT2 come back as CTS and DCD. */
	wr(&u, 4, 0x10 | 0x0a);
	CHECK_EQ(rd(&u, 6) & 0xf0, 0x90);
	wr(&u, 4, 0);

	/* FIFO: IIR bits 7:6 read 11 for a 16550A, bit 5 (64-byte FIFO) 0. */
	wr(&u, 2, 0x01);
	CHECK_EQ(rd(&u, 2) >> 6, 3);
	wr(&u, 3, 0x80);
	CHECK(rd(&u, 2) != 0); /* no EFR behind DLAB: not a ST16C650 */
	wr(&u, 2, 0x01 | 0x20);
	CHECK_EQ(rd(&u, 2) & 0xe0, 0xc0); /* not a 16750 */
	wr(&u, 3, 0);

	/* Scratch register and divisor latch. */
	wr(&u, 7, 0xa5);
	CHECK_EQ(rd(&u, 7), 0xa5);
	wr(&u, 3, 0x80);
	wr(&u, 0, 0x01);
	wr(&u, 1, 0x02);
	CHECK_EQ(rd(&u, 0), 0x01);
	CHECK_EQ(rd(&u, 1), 0x02);
	wr(&u, 3, 0x03);
	CHECK_EQ(rd(&u, 3), 0x03);
	CHECK_EQ(rd(&u, 1), 0); /* IER untouched by DLM writes */
	char buf[16];
	CHECK_EQ(drain(fds[0], buf, sizeof(buf)), -1); /* DLL write sent nothing */
	teardown(&u, fds);
}

static void test_tx_buffering(void)
{
	struct uart u;
	struct fake_irq f;
	int fds[2];
	char buf[64];

	setup(&u, &f, fds);
	for (const char *s = "hello"; *s; s++)
		wr(&u, 0, (uint8_t)*s);
	CHECK_EQ(drain(fds[0], buf, sizeof(buf)), -1); /* buffered */
	wr(&u, 0, '\n');
	CHECK_EQ(drain(fds[0], buf, sizeof(buf)), 6);
	CHECK_STR(buf, "hello\n");
	wr(&u, 0, '>');
	CHECK_EQ(uart_flush(&u), 0);
	CHECK_EQ(drain(fds[0], buf, sizeof(buf)), 1);
	CHECK_STR(buf, ">");
	CHECK_EQ(u.tx_bytes, 7);
	/* uart_destroy() flushes too. */
	wr(&u, 0, 'x');
	uart_destroy(&u);
	CHECK_EQ(drain(fds[0], buf, sizeof(buf)), 1);
	CHECK_STR(buf, "x");
	close(fds[0]);
	close(fds[1]);
}

/* On a terminal each byte goes out at once: typed echoes show without a newline. */
static void test_tx_tty(void)
{
	struct uart u;
	int master, slave;
	char buf[16];
	ssize_t n;

	master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master < 0 || grantpt(master) || unlockpt(master)) {
		printf("SKIP test_tx_tty: no pseudo-terminal\n");
		return;
	}
	slave = open(ptsname(master), O_RDWR | O_NOCTTY);
	CHECK(slave >= 0);
	CHECK_EQ(uart_init(&u, slave, NULL), 0);
	CHECK(u.write_through);
	wr(&u, 0, '$');
	fcntl(master, F_SETFL, O_NONBLOCK);
	usleep(10000);
	n = read(master, buf, sizeof(buf));
	CHECK_EQ(n, 1);
	CHECK_EQ(buf[0], '$');
	uart_destroy(&u);
	close(slave);
	close(master);
}

struct slow_reader {
	int fd;
	size_t total;
	int in_order;
};

static void *slow_read(void *p)
{
	struct slow_reader *r = p;
	char buf[1000];
	ssize_t n;

	r->in_order = 1;
	while ((n = read(r->fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] != (char)('a' + (r->total + (size_t)i) % 26))
				r->in_order = 0;
		r->total += (size_t)n;
		usleep(200);
	}
	return NULL;
}

/* A small non-blocking pipe and a slow reader: EAGAIN and short writes lose nothing. */
static void test_tx_backpressure(void)
{
	struct uart u;
	struct fake_irq f;
	int fds[2];
	pthread_t t;
	struct slow_reader r;
	const size_t total = 200000;

	setup(&u, &f, fds);
	fcntl(fds[0], F_SETFL, 0);
	fcntl(fds[1], F_SETPIPE_SZ, 4096);
	fcntl(fds[1], F_SETFL, O_NONBLOCK);
	r = (struct slow_reader){ .fd = fds[0] };
	pthread_create(&t, NULL, slow_read, &r);
	for (size_t i = 0; i < total; i++)
		wr(&u, 0, (uint8_t)('a' + i % 26));
	CHECK_EQ(uart_flush(&u), 0);
	uart_destroy(&u);
	close(fds[1]);
	pthread_join(t, NULL);
	close(fds[0]);
	CHECK_EQ(r.total, total);
	CHECK(r.in_order);
	CHECK_EQ(u.out_errors, 0);
}

static void test_tx_error(void)
{
	struct uart u;
	struct fake_irq f;
	int fds[2];

	setup(&u, &f, fds);
	close(fds[0]);
	signal(SIGPIPE, SIG_IGN);
	wr(&u, 0, 'a');
	CHECK_EQ(uart_flush(&u), -EPIPE);
	CHECK_EQ(u.out_errors, 1);
	uart_destroy(&u);
	close(fds[1]);
}

static void test_rx_fifo(void)
{
	struct uart u;
	struct fake_irq f;
	int fds[2];
	char in[40];

	for (int i = 0; i < 40; i++)
		in[i] = (char)('A' + i);
	setup(&u, &f, fds);
	/* FIFOs off: a one-byte holding register. */
	CHECK_EQ(uart_receive(&u, in, 3), 1);
	CHECK_EQ(rd(&u, 5) & 0x01, 1);
	CHECK_EQ(rd(&u, 0), 'A');
	CHECK_EQ(rd(&u, 5) & 0x01, 0);
	CHECK_EQ(rd(&u, 0), 0); /* empty */

	wr(&u, 2, 0x01 | 0x80); /* FIFO on, trigger level 8 */
	CHECK_EQ(uart_receive(&u, in, 40), 16);
	CHECK_EQ(uart_receive(&u, in, 1), 0);
	CHECK_EQ(f.level, 0); /* nothing enabled */
	for (int i = 0; i < 16; i++)
		CHECK_EQ(rd(&u, 0), 'A' + i);
	CHECK_EQ(rd(&u, 5), 0x60);

	/* FCR bit 1 and toggling the FIFO both empty it. */
	CHECK_EQ(uart_receive(&u, in, 5), 5);
	wr(&u, 2, 0x01 | 0x02);
	CHECK_EQ(rd(&u, 5) & 0x01, 0);
	CHECK_EQ(uart_receive(&u, in, 5), 5);
	wr(&u, 2, 0x00);
	CHECK_EQ(rd(&u, 5) & 0x01, 0);
	CHECK_EQ(rd(&u, 2), 0x01);
	teardown(&u, fds);
}

static void test_rx_irq(void)
{
	struct uart u;
	struct fake_irq f;
	int fds[2];

	setup(&u, &f, fds);
	wr(&u, 2, 0x01 | 0x40); /* FIFO, trigger level 4 */
	wr(&u, 1, 0x01);        /* ERBFI */
	CHECK_EQ(uart_receive(&u, "ab", 2), 2);
	CHECK_EQ(f.level, 0); /* OUT2 clear: the line stays low */
	CHECK_EQ(rd(&u, 2), 0xcc); /* but IIR shows the timeout */
	wr(&u, 4, 0x08);           /* OUT2 */
	CHECK_EQ(f.level, 1);
	CHECK_EQ(f.gsi, 4);
	CHECK_EQ(uart_receive(&u, "cd", 2), 2);
	CHECK_EQ(rd(&u, 2), 0xc4); /* at the trigger level: data available */
	for (int i = 0; i < 4; i++)
		rd(&u, 0);
	CHECK_EQ(f.level, 0);
	CHECK_EQ(rd(&u, 2), 0xc1);
	/* Masking in IER lowers the line too. */
	CHECK_EQ(uart_receive(&u, "e", 1), 1);
	CHECK_EQ(f.level, 1);
	wr(&u, 1, 0);
	CHECK_EQ(f.level, 0);
	wr(&u, 1, 0x01);
	CHECK_EQ(f.level, 1);
	wr(&u, 4, 0x00);
	CHECK_EQ(f.level, 0);
	teardown(&u, fds);
}

/* Linux's THRE test: THRE must reassert whenever ETBEI is enabled on an idle transmitter. */
static void test_thre(void)
{
	struct uart u;
	struct fake_irq f;
	int fds[2];
	char buf[8];

	setup(&u, &f, fds);
	wr(&u, 4, 0x08);
	wr(&u, 1, 0x02);
	CHECK_EQ(f.level, 1);
	CHECK_EQ(rd(&u, 2), 0x02);
	CHECK_EQ(f.level, 0); /* reading IIR acknowledged it */
	CHECK_EQ(rd(&u, 2), 0x01);
	wr(&u, 1, 0);
	wr(&u, 1, 0x02);
	CHECK_EQ(rd(&u, 2), 0x02);
	/* Each transmitted byte empties THR again. */
	wr(&u, 0, 'z');
	CHECK_EQ(f.level, 1);
	CHECK_EQ(rd(&u, 2), 0x02);
	CHECK_EQ(rd(&u, 2), 0x01);
	uart_flush(&u);
	CHECK_EQ(drain(fds[0], buf, sizeof(buf)), 1);
	teardown(&u, fds);
}

static void test_priorities_and_loopback(void)
{
	struct uart u;
	struct fake_irq f;
	int fds[2];
	char buf[8];

	setup(&u, &f, fds);
	wr(&u, 4, 0x10 | 0x08 | 0x02); /* loopback, OUT2, RTS */
	CHECK_EQ(uart_receive(&u, "x", 1), 0); /* receiver disconnected */
	wr(&u, 1, 0x0f);
	CHECK_EQ(f.level, 0); /* loopback disconnects the IRQ output */
	/* Entering loopback changed DSR: a modem status delta is pending. */
	wr(&u, 0, 'q');
	CHECK_EQ(rd(&u, 5) & 0x01, 1);
	wr(&u, 0, 'r'); /* FIFOs off: overrun */
	CHECK_EQ(rd(&u, 2), 0x06);      /* RLS first */
	CHECK_EQ(rd(&u, 5) & 0x03, 0x03); /* OE and DR; reading clears OE */
	CHECK_EQ(rd(&u, 2), 0x04);      /* then RDA */
	CHECK_EQ(rd(&u, 0), 'q');
	CHECK_EQ(rd(&u, 2), 0x02); /* then THRE (acknowledged by this read) */
	CHECK_EQ(rd(&u, 2), 0x00); /* then MSR */
	CHECK_EQ(rd(&u, 6), 0x90 | 0x02);
	CHECK_EQ(rd(&u, 2), 0x01);
	/* Leaving loopback: bytes go to the console again, the line works. */
	wr(&u, 4, 0x08);
	CHECK_EQ(rd(&u, 6), 0xb0 | 0x02);
	wr(&u, 0, '\n');
	CHECK_EQ(drain(fds[0], buf, sizeof(buf)), 1);
	CHECK_EQ(f.level, 1); /* THRE */
	teardown(&u, fds);
}

static void test_wide_access(void)
{
	struct uart u;
	struct fake_irq f;
	int fds[2];
	uint16_t w = 0x0f00 | 'w'; /* THR = 'w', IER = 0x0f */
	uint32_t l;
	char buf[8];

	setup(&u, &f, fds);
	uart_ops.write(&u, 0, &w, 2);
	CHECK_EQ(rd(&u, 1), 0x0f);
	uart_ops.read(&u, 4, &l, 4); /* MCR, LSR, MSR, SCR */
	CHECK_EQ(l, 0x00b06000);
	uart_flush(&u);
	CHECK_EQ(drain(fds[0], buf, sizeof(buf)), 1);
	CHECK_STR(buf, "w");
	teardown(&u, fds);
}

static int ready_calls;

static void on_ready(void *opaque)
{
	struct uart *u = opaque;

	ready_calls++;
	CHECK_EQ(uart_receive(u, "+", 1), 1); /* the lock is not held */
}

static void test_rx_ready(void)
{
	struct uart u;
	struct fake_irq f;
	int fds[2];
	char in[20] = "0123456789abcdefghi";

	setup(&u, &f, fds);
	ready_calls = 0;
	uart_set_rx_ready(&u, on_ready, &u);
	wr(&u, 2, 0x01);
	CHECK_EQ(uart_receive(&u, in, 10), 10);
	CHECK_EQ(rd(&u, 0), '0');
	CHECK_EQ(ready_calls, 0); /* nobody was turned away */
	CHECK_EQ(uart_receive(&u, in + 10, 10), 7);
	CHECK_EQ(ready_calls, 0);
	CHECK_EQ(rd(&u, 0), '1');
	CHECK_EQ(ready_calls, 1);
	CHECK_EQ(rd(&u, 0), '2');
	CHECK_EQ(ready_calls, 1); /* once per refusal */
	for (int i = 3; i < 17; i++)
		CHECK_EQ(rd(&u, 0), in[i]);
	CHECK_EQ(rd(&u, 0), '+');
	teardown(&u, fds);
}

struct feeder {
	struct uart *u;
	size_t total;
};

static void *feed(void *p)
{
	struct feeder *fd = p;
	size_t sent = 0;

	while (sent < fd->total) {
		uint8_t b = (uint8_t)(sent * 7);

		if (uart_receive(fd->u, &b, 1) == 1)
			sent++;
	}
	return NULL;
}

/* One thread feeding input, this one draining it like a polling guest: nothing lost. */
static void test_rx_concurrent(void)
{
	struct uart u;
	struct fake_irq f;
	int fds[2];
	pthread_t t;
	struct feeder fd = { .u = &u, .total = 100000 };
	size_t got = 0, bad = 0;

	setup(&u, &f, fds);
	wr(&u, 2, 0x01);
	wr(&u, 1, 0x01);
	wr(&u, 4, 0x08);
	pthread_create(&t, NULL, feed, &fd);
	while (got < fd.total) {
		if (rd(&u, 5) & 0x01) {
			if (rd(&u, 0) != (uint8_t)(got * 7))
				bad++;
			got++;
		}
	}
	pthread_join(t, NULL);
	CHECK_EQ(bad, 0);
	CHECK_EQ(rd(&u, 5) & 0x01, 0);
	CHECK_EQ(f.level, 0);
	teardown(&u, fds);
}

int main(void)
{
	RUN(test_reset_state);
	RUN(test_linux_probe);
	RUN(test_tx_buffering);
	RUN(test_tx_tty);
	RUN(test_tx_backpressure);
	RUN(test_tx_error);
	RUN(test_rx_fifo);
	RUN(test_rx_irq);
	RUN(test_thre);
	RUN(test_priorities_and_loopback);
	RUN(test_wide_access);
	RUN(test_rx_ready);
	RUN(test_rx_concurrent);
	return unit_done();
}
