/*
 * bus.h - one registry for port I/O and MMIO.
 *
 * A bus holds sorted, non-overlapping ranges, each with read/write
 * callbacks that receive the offset within the range. Devices register
 * before any vCPU runs; after bus_seal() the table is read-only, so
 * lookups from vCPU threads take no lock. Devices lock their own state.
 *
 * Unclaimed reads return all-ones; unclaimed reads and writes are counted
 * and, when logging is on, reported once per address and direction (at
 * most 256 of them), e.g. "pio: unclaimed write to 0x80 (1 byte, value
 * 0x12)".
 */
#ifndef VMM_BUS_H
#define VMM_BUS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Device callbacks, called from vCPU threads concurrently; offset + len
 * never passes the end of the registered range. A NULL callback leaves
 * that direction unclaimed.
 */
struct bus_ops {
	const char *name;
	/* Fill data[0..len) for a read at offset. len is 1, 2, 4 or 8. */
	void (*read)(void *opaque, uint64_t offset, void *data, uint32_t len);
	/* Handle a write of data[0..len) at offset. */
	void (*write)(void *opaque, uint64_t offset, const void *data, uint32_t len);
};

struct bus_range {
	uint64_t base;
	uint64_t len;
	const struct bus_ops *ops;
	void *opaque;
};

struct bus {
	const char *name; /* "pio" or "mmio", for messages */
	struct bus_range *ranges;
	size_t nr, cap;
	bool sealed;
	bool log_unclaimed; /* print each unclaimed address once (stderr) */
	atomic_ulong unclaimed_reads;
	atomic_ulong unclaimed_writes;
	/* addresses already logged; guarded by log_lock */
	uint64_t *logged;
	size_t nr_logged, cap_logged;
	bool logged_full; /* the table is full and that was said once */
	void *log_lock; /* pthread_mutex_t *, opaque here to keep the header light */
};

/* Empty bus; name ("pio", "mmio") prefixes its messages. 0 or -ENOMEM. */
int bus_init(struct bus *bus, const char *name);
void bus_destroy(struct bus *bus);

/*
 * Register [base, base + len). Returns 0, -EINVAL for a zero length or a
 * range that wraps, -EEXIST when it overlaps a registered range, -EBUSY
 * after bus_seal(), -ENOMEM.
 */
int bus_register(struct bus *bus, uint64_t base, uint64_t len,
		 const struct bus_ops *ops, void *opaque);

/* Freeze the table: no more registrations; lookups become lock-free. */
void bus_seal(struct bus *bus);

/* Find the range holding [addr, addr + len), or NULL. */
const struct bus_range *bus_find(const struct bus *bus, uint64_t addr, uint32_t len);

/*
 * Dispatch an access. Returns true when a device claimed it. An unclaimed
 * read fills data with 0xff bytes. An access that straddles the end of a
 * range is unclaimed.
 */
bool bus_read(struct bus *bus, uint64_t addr, void *data, uint32_t len);
bool bus_write(struct bus *bus, uint64_t addr, const void *data, uint32_t len);

#endif
