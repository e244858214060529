/*
 * console.c - the 16550 UART console, printf over it, and the exit port.
 *
 * Output goes out in bursts: once LSR.THRE says the transmitter (and, with
 * the FIFO on, its 16-byte FIFO) is empty, up to 16 bytes leave with one
 * REP OUTSB (one instruction to emulate; this host's KVM still exits to
 * the VMM once per byte).
 */
#include "kernel.h"
#include "platform.h"

#define UART_FCR 2
#define UART_LSR 5
#define UART_LSR_THRE 0x20
#define UART_FIFO_SIZE 16

static uint16_t uart_port = 0x3f8;
static struct spinlock console_lock;
static bool console_unlocked; /* after a fatal error: never wait for the lock */

/* Use the UART at port; turns its FIFOs on (one port write). */
void console_init(uint16_t port)
{
	uart_port = port;
	outb((uint16_t)(port + UART_FCR), 0x07); /* FIFO on, both FIFOs cleared */
}

static void uart_burst(const char *s, size_t len)
{
	while (!(inb((uint16_t)(uart_port + UART_LSR)) & UART_LSR_THRE))
		cpu_relax();
	asm volatile("rep outsb" : "+S"(s), "+c"(len) : "d"(uart_port) : "memory");
}

/* Write len bytes; lines from different CPUs do not interleave mid-call. */
void console_write(const char *s, size_t len)
{
	bool locked = !READ_ONCE(console_unlocked);
	uint64_t flags = locked ? spin_lock_irqsave(&console_lock) : 0;
	while (len) {
		size_t n = len < UART_FIFO_SIZE ? len : UART_FIFO_SIZE;
		uart_burst(s, n);
		s += n;
		len -= n;
	}
	if (locked)
		spin_unlock_irqrestore(&console_lock, flags);
}

void console_panic_mode(void)
{
	WRITE_ONCE(console_unlocked, true);
}

/* Formats into a 512-byte buffer (longer output is cut) and writes it. */
int printf(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	console_write(buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
	return n;
}

void machine_exit(uint32_t value)
{
	outl(platform.exit_port, value);
	printf("exit port 0x%x did not stop the machine; halting\n", platform.exit_port);
	for (;;)
		asm volatile("cli; hlt");
}
