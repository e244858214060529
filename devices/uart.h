/*
 * uart.h - a 16550A UART (COM1): the guest's console.
 *
 * Registered on the PIO bus over 8 ports (LAYOUT_PORT_COM1). Transmission
 * is instant: THR and the transmitter are always empty again by the time
 * the guest looks, so LSR.THRE and LSR.TEMT always read set. Transmitted
 * bytes are buffered and written to the output fd at each '\n', when the
 * buffer fills, and on uart_flush(); none are dropped while the fd
 * accepts them. When the output fd is a terminal each byte is written at
 * once, so echoes and prompts show while someone types (a byte already
 * cost the guest an exit to user space, far more than the write).
 *
 * Received bytes enter through uart_receive(), which takes only what the
 * RX FIFO (16 bytes, or 1 with FIFOs off) has room for: the caller keeps
 * the rest and retries, so input is never lost. The optional rx_ready
 * callback says when the guest made room again.
 *
 * The interrupt is a level: raised while an enabled interrupt is pending
 * and MCR.OUT2 is set (on a PC, OUT2 gates the IRQ line), lowered when
 * not. In loopback mode (MCR.LOOP) transmitted bytes come back as received
 * ones, MSR reflects MCR, and the IRQ output is disconnected as on the
 * real part.
 *
 * Thread safety: every entry point takes the UART's own lock; the IRQ
 * line is driven with the lock held, the rx_ready callback without it.
 */
#ifndef DEVICES_UART_H
#define DEVICES_UART_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/bus.h"
#include "vmm/irq.h"

#define UART_FIFO_SIZE 16
#define UART_OUT_BUF 4096

struct uart {
	pthread_mutex_t lock;
	int out_fd; /* console, or -1 to discard output */
	struct irq_line irq;
	int irq_level; /* the level last driven */

	uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
	uint8_t lsr_err;    /* sticky LSR error bits (OE), cleared by reading LSR */
	uint8_t msr_delta;  /* MSR bits 0..3, cleared by reading MSR */
	uint8_t msr_lines;  /* MSR bits 4..7 as last computed */
	bool thre_pending;  /* THRE interrupt pending (cleared by IIR read / THR write) */

	uint8_t rx[UART_FIFO_SIZE];
	unsigned int rx_head, rx_count;
	bool rx_was_full; /* uart_receive() was turned away: call rx_ready on room */

	void (*rx_ready)(void *opaque);
	void *rx_ready_opaque;

	bool write_through; /* out_fd is a terminal: no buffering */
	uint8_t out[UART_OUT_BUF];
	size_t out_len;
	uint64_t tx_bytes;      /* bytes the guest transmitted */
	uint64_t out_errors;    /* failed writes to out_fd (bytes lost) */
};

extern const struct bus_ops uart_ops;

/* Reset state: FIFOs off, no interrupts enabled. irq may be NULL. 0 or -errno. */
int uart_init(struct uart *u, int out_fd, const struct irq_line *irq);

/* Write out buffered output, then release the lock. Call after the vCPUs stopped. */
void uart_destroy(struct uart *u);

/*
 * Queue up to len received bytes; returns how many were taken (0 when the
 * RX FIFO is full). May be called from any thread.
 */
size_t uart_receive(struct uart *u, const void *buf, size_t len);

/*
 * Ask to be told when the RX FIFO has room after uart_receive() took less
 * than it was given. fn runs on a vCPU thread without the UART lock held
 * and may call uart_receive(). Set before the vCPUs run.
 */
void uart_set_rx_ready(struct uart *u, void (*fn)(void *opaque), void *opaque);

/*
 * Write all buffered output to the output fd, waiting while it would
 * block. Returns 0, or -errno when the fd refused bytes (they are dropped
 * and counted in out_errors).
 */
int uart_flush(struct uart *u);

/*
 * Console text that reached vmm another way (the report channel's console
 * records): written to the UART's output in order with the bytes the guest
 * sent through THR, under the same buffering rules. Raises no interrupt
 * and changes no register.
 */
void uart_console_write(struct uart *u, const void *buf, size_t len);

#endif
