/*
 * uart.c - a 16550A UART: registers, FIFOs, interrupt identification,
 * console output and input. See uart.h for the model's contract.
 */
#include "devices/uart.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

/* Register offsets; DLAB (LCR bit 7) turns 0 and 1 into the divisor latch. */
enum {
	UART_RBR_THR = 0, /* DLL with DLAB */
	UART_IER = 1,     /* DLM with DLAB */
	UART_IIR_FCR = 2,
	UART_LCR = 3,
	UART_MCR = 4,
	UART_LSR = 5,
	UART_MSR = 6,
	UART_SCR = 7,
};

#define IER_ERBFI 0x01 /* received data available */
#define IER_ETBEI 0x02 /* THR empty */
#define IER_ELSI 0x04  /* receiver line status */
#define IER_EDSSI 0x08 /* modem status */

#define IIR_NONE 0x01
#define IIR_MSR 0x00
#define IIR_THRE 0x02
#define IIR_RDA 0x04
#define IIR_RLS 0x06
#define IIR_CTI 0x0c
#define IIR_FIFO 0xc0

#define FCR_ENABLE 0x01
#define FCR_CLEAR_RX 0x02
#define FCR_KEEP 0xc9 /* enable, DMA mode, trigger level */

#define LCR_DLAB 0x80

#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10
#define MCR_MASK 0x1f

#define LSR_DR 0x01
#define LSR_OE 0x02
#define LSR_THRE 0x20
#define LSR_TEMT 0x40

#define MSR_DCTS 0x01
#define MSR_DDSR 0x02
#define MSR_TERI 0x04
#define MSR_DDCD 0x08
#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80

int uart_init(struct uart *u, int out_fd, const struct irq_line *irq)
{
	int err;

	memset(u, 0, sizeof(*u));
	err = pthread_mutex_init(&u->lock, NULL);
	if (err)
		return -err;
	u->out_fd = out_fd;
	u->write_through = out_fd >= 0 && isatty(out_fd);
	if (irq)
		u->irq = *irq;
	u->msr_lines = MSR_DCD | MSR_DSR | MSR_CTS; /* a terminal is attached */
	u->dll = 12;                                /* 9600 baud */
	return 0;
}

void uart_destroy(struct uart *u)
{
	uart_flush(u);
	pthread_mutex_destroy(&u->lock);
}

void uart_set_rx_ready(struct uart *u, void (*fn)(void *opaque), void *opaque)
{
	pthread_mutex_lock(&u->lock);
	u->rx_ready = fn;
	u->rx_ready_opaque = opaque;
	pthread_mutex_unlock(&u->lock);
}

static unsigned int uart_rx_capacity(const struct uart *u)
{
	return (u->fcr & FCR_ENABLE) ? UART_FIFO_SIZE : 1;
}

static unsigned int uart_rx_trigger(const struct uart *u)
{
	static const unsigned int levels[4] = { 1, 4, 8, 14 };

	return (u->fcr & FCR_ENABLE) ? levels[u->fcr >> 6] : 1;
}

/* The interrupt identification (IIR bits 0..3) of the highest pending source. */
static uint8_t uart_pending(const struct uart *u)
{
	if ((u->ier & IER_ELSI) && u->lsr_err)
		return IIR_RLS;
	if ((u->ier & IER_ERBFI) && u->rx_count)
		/* Without a character timer, data below the trigger level times out at once. */
		return u->rx_count >= uart_rx_trigger(u) ? IIR_RDA : IIR_CTI;
	if ((u->ier & IER_ETBEI) && u->thre_pending)
		return IIR_THRE;
	if ((u->ier & IER_EDSSI) && u->msr_delta)
		return IIR_MSR;
	return IIR_NONE;
}

/* Drive the IRQ line to match the pending state. Lock held. */
static void uart_update_irq(struct uart *u)
{
	int level = uart_pending(u) != IIR_NONE && (u->mcr & MCR_OUT2) && !(u->mcr & MCR_LOOP);

	if (level != u->irq_level) {
		u->irq_level = level;
		irq_line_set(&u->irq, level);
	}
}

/*
 * True when a caller was turned away by uart_receive() and there is room
 * now; the caller then owes it an rx_ready call after unlocking. Lock held.
 */
static bool uart_rx_room_owed(struct uart *u)
{
	if (!u->rx_was_full || (u->mcr & MCR_LOOP) || u->rx_count >= uart_rx_capacity(u))
		return false;
	u->rx_was_full = false;
	return u->rx_ready != NULL;
}

static void uart_rx_push(struct uart *u, uint8_t byte)
{
	u->rx[(u->rx_head + u->rx_count) % UART_FIFO_SIZE] = byte;
	u->rx_count++;
}

/* Write out[0..len) to fd in full, riding out EINTR and EAGAIN. 0 or -errno. */
static int uart_write_all(int fd, const uint8_t *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(fd, buf + done, len - done);

		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n == 0)
			return -EIO;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };

			if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
				return -errno;
			continue;
		}
		return -errno;
	}
	return 0;
}

/* Empty the output buffer into out_fd. Lock held. */
static int uart_flush_locked(struct uart *u)
{
	int err = 0;

	if (u->out_len && u->out_fd >= 0) {
		err = uart_write_all(u->out_fd, u->out, u->out_len);
		if (err)
			u->out_errors += u->out_len;
	}
	u->out_len = 0;
	return err;
}

int uart_flush(struct uart *u)
{
	int err;

	pthread_mutex_lock(&u->lock);
	err = uart_flush_locked(u);
	pthread_mutex_unlock(&u->lock);
	return err;
}

/* The guest wrote THR: the byte is sent (or looped back) at once. Lock held. */
static void uart_transmit(struct uart *u, uint8_t byte)
{
	u->tx_bytes++;
	if (u->mcr & MCR_LOOP) {
		if (u->rx_count < uart_rx_capacity(u))
			uart_rx_push(u, byte);
		else
			u->lsr_err |= LSR_OE;
	} else if (u->out_fd >= 0) {
		u->out[u->out_len++] = byte;
		if (byte == '\n' || u->write_through || u->out_len == sizeof(u->out))
			uart_flush_locked(u);
	}
	/* THR is empty again: that is what the THRE interrupt announces. */
	u->thre_pending = true;
}

void uart_console_write(struct uart *u, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	bool newline = false;

	pthread_mutex_lock(&u->lock);
	if (u->out_fd >= 0) {
		for (size_t i = 0; i < len; i++) {
			u->out[u->out_len++] = p[i];
			newline |= p[i] == '\n';
			if (u->out_len == sizeof(u->out))
				uart_flush_locked(u);
		}
		if (newline || u->write_through)
			uart_flush_locked(u);
	}
	pthread_mutex_unlock(&u->lock);
}

/* MSR bits 4..7: the modem inputs, or MCR's outputs in loopback. */
static uint8_t uart_msr_lines(const struct uart *u)
{
	uint8_t m = 0;

	if (!(u->mcr & MCR_LOOP))
		return MSR_DCD | MSR_DSR | MSR_CTS;
	if (u->mcr & MCR_RTS)
		m |= MSR_CTS;
	if (u->mcr & MCR_DTR)
		m |= MSR_DSR;
	if (u->mcr & MCR_OUT1)
		m |= MSR_RI;
	if (u->mcr & MCR_OUT2)
		m |= MSR_DCD;
	return m;
}

/* Recompute the modem lines after an MCR change and latch the deltas. Lock held. */
static void uart_update_msr(struct uart *u)
{
	uint8_t now = uart_msr_lines(u), changed = now ^ u->msr_lines;

	if (changed & MSR_CTS)
		u->msr_delta |= MSR_DCTS;
	if (changed & MSR_DSR)
		u->msr_delta |= MSR_DDSR;
	if ((changed & MSR_RI) && !(now & MSR_RI))
		u->msr_delta |= MSR_TERI; /* trailing edge only */
	if (changed & MSR_DCD)
		u->msr_delta |= MSR_DDCD;
	u->msr_lines = now;
}

/* Drop everything in the RX FIFO. Lock held. */
static void uart_rx_clear(struct uart *u)
{
	u->rx_head = 0;
	u->rx_count = 0;
}

/* One register read. Sets *notify when rx_ready is owed. Lock held. */
static uint8_t uart_reg_read(struct uart *u, unsigned int reg, bool *notify)
{
	uint8_t v, id;

	switch (reg) {
	case UART_RBR_THR:
		if (u->lcr & LCR_DLAB)
			return u->dll;
		if (!u->rx_count)
			return 0;
		v = u->rx[u->rx_head];
		u->rx_head = (u->rx_head + 1) % UART_FIFO_SIZE;
		u->rx_count--;
		*notify |= uart_rx_room_owed(u);
		return v;
	case UART_IER:
		return (u->lcr & LCR_DLAB) ? u->dlm : u->ier;
	case UART_IIR_FCR:
		id = uart_pending(u);
		if (id == IIR_THRE)
			u->thre_pending = false; /* reading IIR acknowledges THRE */
		return id | ((u->fcr & FCR_ENABLE) ? IIR_FIFO : 0);
	case UART_LCR:
		return u->lcr;
	case UART_MCR:
		return u->mcr;
	case UART_LSR:
		v = LSR_THRE | LSR_TEMT | u->lsr_err | (u->rx_count ? LSR_DR : 0);
		u->lsr_err = 0;
		return v;
	case UART_MSR:
		v = u->msr_lines | u->msr_delta;
		u->msr_delta = 0;
		return v;
	default:
		return u->scr;
	}
}

/* One register write. Sets *notify when rx_ready is owed. Lock held. */
static void uart_reg_write(struct uart *u, unsigned int reg, uint8_t v, bool *notify)
{
	switch (reg) {
	case UART_RBR_THR:
		if (u->lcr & LCR_DLAB) {
			u->dll = v;
			return;
		}
		u->thre_pending = false;
		uart_transmit(u, v);
		return;
	case UART_IER:
		if (u->lcr & LCR_DLAB) {
			u->dlm = v;
			return;
		}
		/* Enabling ETBEI while THR is empty (always, here) raises THRE. */
		if ((v & IER_ETBEI) && !(u->ier & IER_ETBEI))
			u->thre_pending = true;
		u->ier = v & 0x0f;
		return;
	case UART_IIR_FCR:
		/* Toggling FIFO enable empties the FIFOs, as does FCR bit 1. */
		if (((v ^ u->fcr) & FCR_ENABLE) || (v & FCR_CLEAR_RX))
			uart_rx_clear(u);
		u->fcr = (v & FCR_ENABLE) ? (v & FCR_KEEP) : 0;
		*notify |= uart_rx_room_owed(u);
		return;
	case UART_LCR:
		u->lcr = v;
		return;
	case UART_MCR:
		u->mcr = v & MCR_MASK;
		uart_update_msr(u);
		*notify |= uart_rx_room_owed(u);
		return;
	case UART_LSR:
	case UART_MSR:
		return; /* factory test registers: writes ignored */
	default:
		u->scr = v;
		return;
	}
}

/* Run the rx_ready callback outside the lock if an access made room. */
static void uart_notify(struct uart *u, bool notify)
{
	if (notify)
		u->rx_ready(u->rx_ready_opaque);
}

/* Bus read: wider accesses read consecutive registers, as ISA splits them. */
static void uart_read(void *opaque, uint64_t offset, void *data, uint32_t len)
{
	struct uart *u = opaque;
	uint8_t *out = data;
	bool notify = false;

	pthread_mutex_lock(&u->lock);
	for (uint32_t i = 0; i < len; i++)
		out[i] = uart_reg_read(u, (unsigned int)(offset + i) & 7, &notify);
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
	uart_notify(u, notify);
}

static void uart_write(void *opaque, uint64_t offset, const void *data, uint32_t len)
{
	struct uart *u = opaque;
	const uint8_t *in = data;
	bool notify = false;

	pthread_mutex_lock(&u->lock);
	for (uint32_t i = 0; i < len; i++)
		uart_reg_write(u, (unsigned int)(offset + i) & 7, in[i], &notify);
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
	uart_notify(u, notify);
}

const struct bus_ops uart_ops = {
	.name = "uart",
	.read = uart_read,
	.write = uart_write,
};

size_t uart_receive(struct uart *u, const void *buf, size_t len)
{
	const uint8_t *in = buf;
	size_t n = 0;

	pthread_mutex_lock(&u->lock);
	/* In loopback the receiver is disconnected from the outside. */
	if (!(u->mcr & MCR_LOOP))
		while (n < len && u->rx_count < uart_rx_capacity(u))
			uart_rx_push(u, in[n++]);
	if (n < len)
		u->rx_was_full = true;
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
	return n;
}
