/*
 * fdt.c - read the VMM's flattened device tree (see fdt.h).
 *
 * One pass over the structure block. Properties of a node are collected
 * while it is open and acted on when it closes, so their order does not
 * matter. Nodes are recognised by name (cpus, cpu@N, memory@..., vmm,
 * serial@..., fw-cfg@..., chosen) or by compatible / device_type.
 */
#include "fdt.h"

#define TOK_BEGIN_NODE 1
#define TOK_END_NODE 2
#define TOK_PROP 3
#define TOK_NOP 4
#define TOK_END 9
#define GFDT_HEADER_SIZE 40
#define GFDT_EINVAL (-22)
#define GFDT_E2BIG (-7)

enum node_kind {
	NODE_OTHER,
	NODE_ROOT,
	NODE_CHOSEN,
	NODE_MEMORY,
	NODE_CPUS,
	NODE_CPU,
	NODE_VMM,
	NODE_SERIAL,
	NODE_FWCFG,
};

/* Properties seen in the open node that the guest cares about. */
struct node {
	enum node_kind kind;
	bool devtype_memory, devtype_cpu, compat_vmm, compat_serial, compat_fwcfg;
	const uint8_t *reg;
	uint32_t reg_len;
	uint32_t io_port, interrupts, features, exit_port, report_port;
};

/* The property names the reader knows; P_UNKNOWN for all others. */
enum prop_id {
	P_NONE, /* not classified yet */
	P_UNKNOWN,
	P_ADDRESS_CELLS,
	P_SIZE_CELLS,
	P_COMPATIBLE,
	P_BOOTARGS,
	P_REG,
	P_DEVICE_TYPE,
	P_IO_PORT,
	P_INTERRUPTS,
	P_FEATURES,
	P_EXIT_PORT,
	P_REPORT_PORT,
	P_COUNT,
};

static const char *const prop_names[P_COUNT] = {
	[P_ADDRESS_CELLS] = "#address-cells",
	[P_SIZE_CELLS] = "#size-cells",
	[P_COMPATIBLE] = "compatible",
	[P_BOOTARGS] = "bootargs",
	[P_REG] = "reg",
	[P_DEVICE_TYPE] = "device_type",
	[P_IO_PORT] = "io-port",
	[P_INTERRUPTS] = "interrupts",
	[P_FEATURES] = "features",
	[P_EXIT_PORT] = "exit-port",
	[P_REPORT_PORT] = "report-port",
};

#define LEN(s) (sizeof(s) - 1)
static const uint8_t prop_lens[P_COUNT] = {
	[P_ADDRESS_CELLS] = LEN("#address-cells"),
	[P_SIZE_CELLS] = LEN("#size-cells"),
	[P_COMPATIBLE] = LEN("compatible"),
	[P_BOOTARGS] = LEN("bootargs"),
	[P_REG] = LEN("reg"),
	[P_DEVICE_TYPE] = LEN("device_type"),
	[P_IO_PORT] = LEN("io-port"),
	[P_INTERRUPTS] = LEN("interrupts"),
	[P_FEATURES] = LEN("features"),
	[P_EXIT_PORT] = LEN("exit-port"),
	[P_REPORT_PORT] = LEN("report-port"),
};

#define NAME_CACHE 256

struct walker {
	const uint8_t *blob;
	const uint8_t *strings;
	uint32_t strings_size;
	uint32_t root_acells, root_scells, cpu_acells;
	struct fdt_info *out;
	const char *why;
	/* A name repeats at the same strings offset: classify each offset once. */
	uint8_t ids[NAME_CACHE];
};

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static bool str_eq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

/* A node name, unit address dropped: "memory@0" matches "memory". */
static bool name_is(const char *name, const char *base)
{
	while (*base && *name == *base) {
		name++;
		base++;
	}
	return *base == '\0' && (*name == '\0' || *name == '@');
}

/* True if the string list val[0..len) contains s. */
static bool strlist_has(const uint8_t *val, uint32_t len, const char *s)
{
	uint32_t i = 0;
	while (i < len) {
		const char *item = (const char *)val + i;
		uint32_t n = 0;
		while (i + n < len && val[i + n])
			n++;
		if (i + n == len)
			return false; /* unterminated */
		if (str_eq(item, s))
			return true;
		i += n + 1;
	}
	return false;
}

static enum prop_id prop_id(struct walker *w, uint32_t nameoff, const char *name)
{
	if (nameoff < NAME_CACHE && w->ids[nameoff] != P_NONE)
		return (enum prop_id)w->ids[nameoff];
	enum prop_id id = P_UNKNOWN;
	size_t len = __builtin_strlen(name);
	for (int i = P_ADDRESS_CELLS; i < P_COUNT; i++) {
		if (prop_lens[i] == len && __builtin_memcmp(name, prop_names[i], len) == 0) {
			id = (enum prop_id)i;
			break;
		}
	}
	if (nameoff < NAME_CACHE)
		w->ids[nameoff] = (uint8_t)id;
	return id;
}

static bool is_string(const uint8_t *val, uint32_t len)
{
	return len > 0 && val[len - 1] == '\0';
}

/* A u32 property: exactly one cell. */
static int prop_u32(struct walker *w, const uint8_t *val, uint32_t len, uint32_t *dst,
		    const char *what)
{
	if (len != 4) {
		w->why = what;
		return GFDT_EINVAL;
	}
	*dst = be32(val);
	return 0;
}

static uint64_t read_cells(const uint8_t *p, uint32_t cells)
{
	uint64_t v = 0;
	for (uint32_t i = 0; i < cells; i++)
		v = v << 32 | be32(p + 4 * i);
	return v;
}

static int node_prop(struct walker *w, struct node *n, uint32_t nameoff, const char *name,
		     const uint8_t *val, uint32_t len)
{
	enum prop_id id = prop_id(w, nameoff, name);
	if (id == P_UNKNOWN)
		return 0;
	switch (n->kind) {
	case NODE_ROOT:
		if (id == P_ADDRESS_CELLS)
			return prop_u32(w, val, len, &w->root_acells, "bad root #address-cells");
		if (id == P_SIZE_CELLS)
			return prop_u32(w, val, len, &w->root_scells, "bad root #size-cells");
		if (id == P_COMPATIBLE && is_string(val, len))
			w->out->compatible = (const char *)val;
		return 0;
	case NODE_CHOSEN:
		if (id == P_BOOTARGS) {
			if (!is_string(val, len)) {
				w->why = "chosen/bootargs is not a string";
				return GFDT_EINVAL;
			}
			w->out->bootargs = (const char *)val;
		}
		return 0;
	case NODE_CPUS:
		if (id == P_ADDRESS_CELLS)
			return prop_u32(w, val, len, &w->cpu_acells, "bad cpus #address-cells");
		return 0;
	default:
		break;
	}
	switch (id) {
	case P_REG:
		n->reg = val;
		n->reg_len = len;
		return 0;
	case P_DEVICE_TYPE:
		/* Only nodes the name did not classify need it. */
		if (n->kind == NODE_OTHER) {
			n->devtype_memory = strlist_has(val, len, "memory");
			n->devtype_cpu = strlist_has(val, len, "cpu");
		}
		return 0;
	case P_COMPATIBLE:
		if (n->kind == NODE_OTHER) {
			n->compat_vmm = strlist_has(val, len, "vmm,platform");
			n->compat_serial = strlist_has(val, len, "ns16550a");
			n->compat_fwcfg = strlist_has(val, len, "qemu,fw-cfg-io");
		}
		return 0;
	case P_IO_PORT:
		return prop_u32(w, val, len, &n->io_port, "bad io-port");
	case P_INTERRUPTS:
		return prop_u32(w, val, len, &n->interrupts, "bad interrupts");
	case P_FEATURES:
		return prop_u32(w, val, len, &n->features, "bad vmm/features");
	case P_EXIT_PORT:
		return prop_u32(w, val, len, &n->exit_port, "bad vmm/exit-port");
	case P_REPORT_PORT:
		return prop_u32(w, val, len, &n->report_port, "bad vmm/report-port");
	default:
		return 0;
	}
}

static int node_close(struct walker *w, struct node *n)
{
	struct fdt_info *out = w->out;
	if (n->kind == NODE_CPU || n->devtype_cpu) {
		if (!n->reg || n->reg_len != 4 * w->cpu_acells || w->cpu_acells < 1 ||
		    w->cpu_acells > 2) {
			w->why = "cpu node without a valid reg";
			return GFDT_EINVAL;
		}
		if (out->ncpus == GFDT_MAX_CPUS) {
			w->why = "more cpu nodes than the guest supports";
			return GFDT_E2BIG;
		}
		uint64_t id = read_cells(n->reg, w->cpu_acells);
		if (id > 0xffffffffu) {
			w->why = "cpu reg (APIC ID) out of range";
			return GFDT_EINVAL;
		}
		out->apic_ids[out->ncpus++] = (uint32_t)id;
	} else if (n->kind == NODE_MEMORY || n->devtype_memory) {
		uint32_t cells = w->root_acells + w->root_scells;
		if (w->root_acells < 1 || w->root_acells > 2 || w->root_scells < 1 ||
		    w->root_scells > 2 || !n->reg || n->reg_len == 0 || n->reg_len % (4 * cells)) {
			w->why = "memory node without a valid reg";
			return GFDT_EINVAL;
		}
		for (uint32_t off = 0; off < n->reg_len; off += 4 * cells) {
			uint64_t base = read_cells(n->reg + off, w->root_acells);
			uint64_t size = read_cells(n->reg + off + 4 * w->root_acells, w->root_scells);
			if (size == 0)
				continue;
			if (base + size < base) {
				w->why = "memory range wraps";
				return GFDT_EINVAL;
			}
			if (out->nmem == GFDT_MAX_MEM) {
				w->why = "more memory ranges than the guest supports";
				return GFDT_E2BIG;
			}
			out->mem[out->nmem].base = base;
			out->mem[out->nmem].size = size;
			out->nmem++;
		}
	} else if (n->kind == NODE_VMM || n->compat_vmm) {
		out->have_vmm = true;
		out->features = n->features;
		out->exit_port = n->exit_port;
		out->report_port = n->report_port;
	} else if (n->kind == NODE_SERIAL || n->compat_serial) {
		if (!out->serial_port) {
			out->serial_port = n->io_port;
			out->serial_irq = n->interrupts;
		}
	} else if (n->kind == NODE_FWCFG || n->compat_fwcfg) {
		out->fwcfg_port = n->io_port;
	}
	if (out->exit_port > 0xffff || out->report_port > 0xffff || out->serial_port > 0xffff ||
	    out->fwcfg_port > 0xffff) {
		w->why = "an io-port is above 0xffff";
		return GFDT_EINVAL;
	}
	return 0;
}

static enum node_kind classify(const char *name, unsigned int depth, enum node_kind parent)
{
	if (depth == 1)
		return NODE_ROOT;
	if (depth == 3 && parent == NODE_CPUS && name_is(name, "cpu"))
		return NODE_CPU;
	if (depth != 2)
		return NODE_OTHER;
	if (name_is(name, "chosen"))
		return NODE_CHOSEN;
	if (name_is(name, "cpus"))
		return NODE_CPUS;
	if (name_is(name, "memory"))
		return NODE_MEMORY;
	if (name_is(name, "vmm"))
		return NODE_VMM;
	if (name_is(name, "serial"))
		return NODE_SERIAL;
	if (name_is(name, "fw-cfg"))
		return NODE_FWCFG;
	return NODE_OTHER;
}

static int check_header(const uint8_t *b, size_t size, const char **why)
{
	if (size < GFDT_HEADER_SIZE) {
		*why = "blob smaller than the FDT header";
		return GFDT_EINVAL;
	}
	if (be32(b) != GFDT_MAGIC) {
		*why = "bad FDT magic (want 0xd00dfeed)";
		return GFDT_EINVAL;
	}
	uint32_t total = be32(b + 4), off_struct = be32(b + 8), off_strings = be32(b + 12);
	uint32_t off_rsv = be32(b + 16), version = be32(b + 20), last_comp = be32(b + 24);
	uint32_t size_strings = be32(b + 32), size_struct = be32(b + 36);
	if (total < GFDT_HEADER_SIZE || total > size) {
		*why = "FDT totalsize larger than the module";
		return GFDT_EINVAL;
	}
	if (version < 17 || last_comp > 17) {
		*why = "unsupported FDT version (need 17)";
		return GFDT_EINVAL;
	}
	if (off_rsv < GFDT_HEADER_SIZE || off_rsv % 8 || off_rsv > total) {
		*why = "bad memory reservation block offset";
		return GFDT_EINVAL;
	}
	if (off_struct < GFDT_HEADER_SIZE || off_struct % 4 || size_struct % 4 ||
	    (uint64_t)off_struct + size_struct > total || size_struct < 8) {
		*why = "structure block outside the blob";
		return GFDT_EINVAL;
	}
	if (off_strings < GFDT_HEADER_SIZE || (uint64_t)off_strings + size_strings > total) {
		*why = "strings block outside the blob";
		return GFDT_EINVAL;
	}
	/* Then every name that starts inside the block ends inside it. */
	if (size_strings && b[off_strings + size_strings - 1] != '\0') {
		*why = "strings block does not end with a NUL";
		return GFDT_EINVAL;
	}
	return 0;
}

int fdt_parse(const void *blob, size_t size, struct fdt_info *out, const char **why)
{
	const uint8_t *b = blob;
	const char *dummy;
	struct node stack[GFDT_MAX_DEPTH + 1];
	unsigned int depth = 0;
	if (!why)
		why = &dummy;
	*why = NULL;
	*out = (struct fdt_info){ 0 };
	int err = check_header(b, size, why);
	if (err)
		return err;
	struct walker w = {
		.blob = b,
		.strings = b + be32(b + 12),
		.strings_size = be32(b + 32),
		.root_acells = 2,
		.root_scells = 1,
		.cpu_acells = 1,
		.out = out,
	};
	const uint8_t *p = b + be32(b + 8);
	const uint8_t *end = p + be32(b + 36);
	for (;;) {
		if (end - p < 4) {
			*why = "structure block ends without FDT_END";
			return GFDT_EINVAL;
		}
		uint32_t token = be32(p);
		p += 4;
		if (token == TOK_BEGIN_NODE) {
			const char *name = (const char *)p;
			const uint8_t *nul = __builtin_memchr(p, 0, (size_t)(end - p));
			if (!nul) {
				*why = "unterminated node name";
				return GFDT_EINVAL;
			}
			uint32_t n = (uint32_t)(nul - p);
			if (depth == GFDT_MAX_DEPTH) {
				*why = "nodes nested too deep";
				return GFDT_EINVAL;
			}
			if (depth == 0 && n != 0) {
				*why = "root node has a name";
				return GFDT_EINVAL;
			}
			p += (n + 4) & ~3u;
			if (p > end) {
				*why = "node name padding past the structure block";
				return GFDT_EINVAL;
			}
			depth++;
			stack[depth] = (struct node){
				.kind = classify(name, depth, depth > 1 ? stack[depth - 1].kind : NODE_OTHER),
			};
		} else if (token == TOK_END_NODE) {
			if (depth == 0) {
				*why = "FDT_END_NODE without a node";
				return GFDT_EINVAL;
			}
			err = node_close(&w, &stack[depth]);
			if (err) {
				*why = w.why;
				return err;
			}
			depth--;
		} else if (token == TOK_PROP) {
			if (end - p < 8) {
				*why = "truncated property";
				return GFDT_EINVAL;
			}
			uint32_t len = be32(p), nameoff = be32(p + 4);
			p += 8;
			if (len > (uint64_t)(end - p)) {
				*why = "property value past the structure block";
				return GFDT_EINVAL;
			}
			if (nameoff >= w.strings_size) {
				*why = "property name offset outside the strings block";
				return GFDT_EINVAL;
			}
			const char *name = (const char *)w.strings + nameoff;
			if (depth == 0) {
				*why = "property outside any node";
				return GFDT_EINVAL;
			}
			err = node_prop(&w, &stack[depth], nameoff, name, p, len);
			if (err) {
				*why = w.why;
				return err;
			}
			p += (len + 3) & ~3u;
			if (p > end) {
				*why = "property padding past the structure block";
				return GFDT_EINVAL;
			}
		} else if (token == TOK_NOP) {
			continue;
		} else if (token == TOK_END) {
			if (depth != 0) {
				*why = "FDT_END inside a node";
				return GFDT_EINVAL;
			}
			return 0;
		} else {
			*why = "unknown structure token";
			return GFDT_EINVAL;
		}
	}
}
