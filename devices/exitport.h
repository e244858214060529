/*
 * exitport.h - the exit port: QEMU's isa-debug-exit on LAYOUT_PORT_EXIT.
 *
 * A byte, word or long write at offset 0 asks to end the VM with that
 * value (zero-extended). The device only reports the request: the VM stops
 * its vCPUs and maps the value to an exit status with exitport_status().
 * Writes at other offsets are ignored and counted; reads return all-ones,
 * as if nothing were there.
 */
#ifndef DEVICES_EXITPORT_H
#define DEVICES_EXITPORT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmm/bus.h"

struct exitport {
	/* Called on the writing vCPU's thread for every request; may be NULL. */
	void (*request)(void *opaque, uint32_t value);
	void *opaque;
	atomic_ullong first;   /* 0, or EXITPORT_REQUESTED | the first value */
	atomic_ulong ignored;  /* writes not at offset 0 */
};

#define EXITPORT_REQUESTED (1ULL << 32)

extern const struct bus_ops exitport_ops;

void exitport_init(struct exitport *e, void (*request)(void *opaque, uint32_t value),
		   void *opaque);

/* True, with *value set, once the guest asked to exit. */
bool exitport_requested(const struct exitport *e, uint32_t *value);

/*
 * The process exit status for a value written to the port:
 *   qemu_style false: value & 0xff            (write 0 -> status 0)
 *   qemu_style true:  ((value << 1) | 1) & 0xff, as QEMU's isa-debug-exit
 *                     (write 0 -> 1, 1 -> 3; never 0)
 * The result is what a shell sees: 0..255.
 */
int exitport_status(uint32_t value, bool qemu_style);

#endif
