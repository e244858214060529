/*
 * bus.c - one registry for port I/O and MMIO: a sorted array of
 * non-overlapping ranges searched by bisection.
 *
 * Registration happens on one thread before any vCPU runs; bus_seal()
 * marks the end of it. Lookups never lock. Only the record of which
 * unclaimed addresses were already logged is shared between vCPU threads,
 * and it has a lock of its own.
 */
#include "vmm/bus.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/log.h"

/* At most this many distinct unclaimed accesses are logged; then one notice. */
#define BUS_LOG_MAX 256

/* Logged keys: the address shifted left by one, low bit set for writes. */
#define BUS_LOG_WRITE 1ULL

int bus_init(struct bus *bus, const char *name)
{
	pthread_mutex_t *lock;

	memset(bus, 0, sizeof(*bus));
	lock = malloc(sizeof(*lock));
	if (!lock)
		return -ENOMEM;
	pthread_mutex_init(lock, NULL);
	bus->name = name;
	bus->log_lock = lock;
	atomic_init(&bus->unclaimed_reads, 0);
	atomic_init(&bus->unclaimed_writes, 0);
	return 0;
}

/* Free the tables. The devices themselves belong to their owners. */
void bus_destroy(struct bus *bus)
{
	if (bus->log_lock) {
		pthread_mutex_destroy(bus->log_lock);
		free(bus->log_lock);
	}
	free(bus->ranges);
	free(bus->logged);
	memset(bus, 0, sizeof(*bus));
}

/* Index of the first range whose base is above addr (0..nr). */
static size_t bus_upper_bound(const struct bus *bus, uint64_t addr)
{
	size_t lo = 0, hi = bus->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (bus->ranges[mid].base <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int bus_register(struct bus *bus, uint64_t base, uint64_t len,
		 const struct bus_ops *ops, void *opaque)
{
	uint64_t last;
	size_t i;

	if (bus->sealed)
		return -EBUSY;
	if (len == 0 || !ops)
		return -EINVAL;
	if (base + (len - 1) < base)
		return -EINVAL;
	last = base + (len - 1);

	/* The neighbour below must end before base, the one above start after last. */
	i = bus_upper_bound(bus, base);
	if (i > 0) {
		const struct bus_range *prev = &bus->ranges[i - 1];

		if (base - prev->base < prev->len)
			return -EEXIST;
	}
	if (i < bus->nr && bus->ranges[i].base <= last)
		return -EEXIST;

	if (bus->nr == bus->cap) {
		size_t cap = bus->cap ? bus->cap * 2 : 8;
		struct bus_range *r = realloc(bus->ranges, cap * sizeof(*r));

		if (!r)
			return -ENOMEM;
		bus->ranges = r;
		bus->cap = cap;
	}
	memmove(&bus->ranges[i + 1], &bus->ranges[i], (bus->nr - i) * sizeof(bus->ranges[0]));
	bus->ranges[i] = (struct bus_range){
		.base = base,
		.len = len,
		.ops = ops,
		.opaque = opaque,
	};
	bus->nr++;
	return 0;
}

void bus_seal(struct bus *bus)
{
	bus->sealed = true;
}

const struct bus_range *bus_find(const struct bus *bus, uint64_t addr, uint32_t len)
{
	const struct bus_range *r;
	size_t i;

	if (len == 0)
		return NULL;
	i = bus_upper_bound(bus, addr);
	if (i == 0)
		return NULL;
	r = &bus->ranges[i - 1];
	/* addr >= r->base here; the access must end inside the range. */
	if (addr - r->base >= r->len || len > r->len - (addr - r->base))
		return NULL;
	return r;
}

/*
 * True the first time key is seen (and it is then remembered), false after
 * that or once BUS_LOG_MAX keys are remembered. *full is set when this call
 * is the one that found the table full.
 */
static bool bus_log_first(struct bus *bus, uint64_t key, bool *full)
{
	bool first = false;
	size_t i;

	*full = false;
	pthread_mutex_lock(bus->log_lock);
	for (i = 0; i < bus->nr_logged; i++)
		if (bus->logged[i] == key)
			goto out;
	if (bus->nr_logged >= BUS_LOG_MAX) {
		*full = !bus->logged_full;
		bus->logged_full = true;
		goto out;
	}
	if (bus->nr_logged == bus->cap_logged) {
		size_t cap = bus->cap_logged ? bus->cap_logged * 2 : 16;
		uint64_t *l = realloc(bus->logged, cap * sizeof(*l));

		if (!l)
			goto out;
		bus->logged = l;
		bus->cap_logged = cap;
	}
	bus->logged[bus->nr_logged++] = key;
	first = true;
out:
	pthread_mutex_unlock(bus->log_lock);
	return first;
}

/* Log an unclaimed access once per (address, direction). */
static void bus_log_unclaimed(struct bus *bus, uint64_t addr, const void *data,
			      uint32_t len, bool write)
{
	uint64_t value = 0;
	bool full;

	if (!bus->log_unclaimed || !bus->log_lock)
		return;
	if (!bus_log_first(bus, (addr << 1) | (write ? BUS_LOG_WRITE : 0), &full)) {
		if (full)
			log_warn("%s: more than %d unclaimed addresses; no longer logging them",
				 bus->name, BUS_LOG_MAX);
		return;
	}
	if (!write) {
		log_warn("%s: unclaimed read from %#" PRIx64 " (%u byte%s)", bus->name, addr,
			 len, len == 1 ? "" : "s");
		return;
	}
	/* x86 is little-endian: the first byte is the least significant. */
	for (uint32_t i = 0; i < len && i < sizeof(value); i++)
		value |= (uint64_t)((const uint8_t *)data)[i] << (8 * i);
	log_warn("%s: unclaimed write to %#" PRIx64 " (%u byte%s, value %#" PRIx64 ")",
		 bus->name, addr, len, len == 1 ? "" : "s", value);
}

bool bus_read(struct bus *bus, uint64_t addr, void *data, uint32_t len)
{
	const struct bus_range *r = bus_find(bus, addr, len);

	if (r && r->ops->read) {
		r->ops->read(r->opaque, addr - r->base, data, len);
		return true;
	}
	memset(data, 0xff, len);
	atomic_fetch_add_explicit(&bus->unclaimed_reads, 1, memory_order_relaxed);
	bus_log_unclaimed(bus, addr, data, len, false);
	return false;
}

bool bus_write(struct bus *bus, uint64_t addr, const void *data, uint32_t len)
{
	const struct bus_range *r = bus_find(bus, addr, len);

	if (r && r->ops->write) {
		r->ops->write(r->opaque, addr - r->base, data, len);
		return true;
	}
	atomic_fetch_add_explicit(&bus->unclaimed_writes, 1, memory_order_relaxed);
	bus_log_unclaimed(bus, addr, data, len, true);
	return false;
}
