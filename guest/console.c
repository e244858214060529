/*
 * console.c - the console, printf over it, and the exit port.
 *
 * Under vmm (Multiboot loader name "vmm") the text goes to the VMM as
 * REPORT_KIND_CONSOLE records on the report channel, a line at a time:
 * one exit per line instead of one per byte (every port access exits, ~13
 * us here). The buffer is sent when a write ends a line, when it fills,
 * before the exit port is written and on the fatal paths; vmm prints the
 * records in order with whatever went through the UART. A whole line
 * built in a struct console_line goes out from there when nothing else
 * is waiting, without a copy.
 *
 * Elsewhere (QEMU) the 16550 UART takes it in bursts: once LSR.THRE says
 * the transmitter (and, with the FIFO on, its 16-byte FIFO) is empty, up
 * to 16 bytes leave with one REP OUTSB.
 */
#include "kernel.h"
#include "platform.h"
#include "vmm/guest_abi.h"

#define UART_FCR 2
#define UART_LSR 5
#define UART_LSR_THRE 0x20
#define UART_FIFO_SIZE 16

static uint16_t uart_port = 0x3f8;
static bool use_records;
static struct spinlock console_lock;
static bool console_unlocked; /* after a fatal error: never wait for the lock */

/* The line being collected; the header's constant fields are set here once. */
static struct {
	struct report_console rec;
	char text[REPORT_CONSOLE_MAX];
} line_rec __attribute__((aligned(8))) = {
	.rec.hdr = { .magic = REPORT_MAGIC, .version = REPORT_VERSION, .kind = REPORT_KIND_CONSOLE },
};
static size_t line_len;

void console_init(uint16_t port)
{
	use_records = platform.loader_is_vmm;
	uart_port = port;
	if (!use_records)
		outb((uint16_t)(port + UART_FCR), 0x07); /* FIFO on, both FIFOs cleared */
}

static void uart_burst(const char *s, size_t len)
{
	while (!(inb((uint16_t)(uart_port + UART_LSR)) & UART_LSR_THRE))
		cpu_relax();
	asm volatile("rep outsb" : "+S"(s), "+c"(len) : "d"(uart_port) : "memory");
}

/* Send the collected text as one record; the caller holds the lock (or panics). */
static void line_send(void)
{
	if (!line_len)
		return;
	line_rec.rec.hdr.size = (uint32_t)(sizeof(line_rec.rec) + line_len);
	line_rec.rec.hdr.cpu = this_cpu()->apic_id;
	line_rec.rec.len = (uint32_t)line_len;
	outl_record(platform.report_port, &line_rec);
	line_len = 0;
}

static void line_add(const char *s, size_t len)
{
	while (len) {
		size_t n = REPORT_CONSOLE_MAX - line_len;
		if (n > len)
			n = len;
		memcpy(line_rec.text + line_len, s, n);
		line_len += n;
		s += n;
		len -= n;
		if (line_len == REPORT_CONSOLE_MAX)
			line_send();
	}
	if (line_len && line_rec.text[line_len - 1] == '\n')
		line_send();
}

/* Write len bytes; lines from different CPUs do not interleave mid-call. */
void console_write(const char *s, size_t len)
{
	bool locked = !READ_ONCE(console_unlocked);
	uint64_t flags = locked ? spin_lock_irqsave(&console_lock) : 0;
	if (use_records) {
		line_add(s, len);
	} else {
		while (len) {
			size_t n = len < UART_FIFO_SIZE ? len : UART_FIFO_SIZE;
			uart_burst(s, n);
			s += n;
			len -= n;
		}
	}
	if (locked)
		spin_unlock_irqrestore(&console_lock, flags);
}

void console_write_line(struct console_line *l, size_t len)
{
	bool locked = !READ_ONCE(console_unlocked);
	uint64_t flags;
	if (!use_records || !len || l->text[len - 1] != '\n') {
		console_write(l->text, len);
		return;
	}
	flags = locked ? spin_lock_irqsave(&console_lock) : 0;
	if (line_len) {
		line_add(l->text, len); /* after the text already waiting */
	} else {
		l->rec.hdr = (struct report_header){
			.magic = REPORT_MAGIC,
			.version = REPORT_VERSION,
			.kind = REPORT_KIND_CONSOLE,
			.size = (uint32_t)(sizeof(l->rec) + len),
			.cpu = this_cpu()->apic_id,
		};
		l->rec.len = (uint32_t)len;
		outl_record(platform.report_port, l);
	}
	if (locked)
		spin_unlock_irqrestore(&console_lock, flags);
}

void console_flush(void)
{
	bool locked = !READ_ONCE(console_unlocked);
	uint64_t flags = locked ? spin_lock_irqsave(&console_lock) : 0;
	line_send();
	if (locked)
		spin_unlock_irqrestore(&console_lock, flags);
}

void console_panic_mode(void)
{
	WRITE_ONCE(console_unlocked, true);
}

int printf_n(size_t fmtlen, size_t lit, const char *fmt, ...)
{
	struct console_line line;
	struct strbuf sb = STRBUF(line.text);
	va_list ap;
	va_start(ap, fmt);
	if (lit == fmtlen)
		sb_addn(&sb, fmt, fmtlen); /* no conversion */
	else
		sb_vformat(&sb, fmt, fmtlen, lit, ap);
	va_end(ap);
	console_write_line(&line, sb.len < sizeof(line.text) ? sb.len : sizeof(line.text) - 1);
	return (int)sb.len;
}

void machine_exit(uint32_t value)
{
	console_flush();
	outl(platform.exit_port, value);
	printf("exit port 0x%x did not stop the machine; halting\n", platform.exit_port);
	console_flush();
	for (;;)
		asm volatile("cli; hlt");
}
