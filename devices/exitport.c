/* exitport.c - QEMU isa-debug-exit semantics on the exit port. */
#include "devices/exitport.h"

#include <string.h>

void exitport_init(struct exitport *e, void (*request)(void *opaque, uint32_t value),
		   void *opaque)
{
	e->request = request;
	e->opaque = opaque;
	atomic_init(&e->first, 0);
	atomic_init(&e->ignored, 0);
}

bool exitport_requested(const struct exitport *e, uint32_t *value)
{
	unsigned long long first = atomic_load(&e->first);

	if (!(first & EXITPORT_REQUESTED))
		return false;
	*value = (uint32_t)first;
	return true;
}

int exitport_status(uint32_t value, bool qemu_style)
{
	if (qemu_style)
		return (int)(((value << 1) | 1) & 0xff);
	return (int)(value & 0xff);
}

static void exitport_read(void *opaque, uint64_t offset, void *data, uint32_t len)
{
	memset(data, 0xff, len);
}

/* Little-endian bytes to a value, zero-extended; the bus passes len 1, 2 or 4. */
static void exitport_write(void *opaque, uint64_t offset, const void *data, uint32_t len)
{
	struct exitport *e = opaque;
	const uint8_t *b = data;
	uint32_t value = 0;
	unsigned long long none = 0;

	if (offset != 0 || (len != 1 && len != 2 && len != 4)) {
		atomic_fetch_add(&e->ignored, 1);
		return;
	}
	for (uint32_t i = 0; i < len; i++)
		value |= (uint32_t)b[i] << (8 * i);
	/* The first value wins; later ones still reach the callback. */
	atomic_compare_exchange_strong(&e->first, &none, EXITPORT_REQUESTED | value);
	if (e->request)
		e->request(e->opaque, value);
}

const struct bus_ops exitport_ops = {
	.name = "exit-port",
	.read = exitport_read,
	.write = exitport_write,
};
