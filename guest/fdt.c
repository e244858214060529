/*
 * fdt.c - read the VMM's flattened device tree (see fdt.h).
 *
 * One pass over the structure block. Properties of a node are collected
 * while it is open and acted on when it closes, so their order does not
 * matter. Nodes are recognised by name (cpus, cpu@N, memory@..., vmm,
 * serial@..., fw-cfg@..., chosen) or by compatible / device_type.
 *
 * The guest runs this emulated, one instruction at a time, so it does as
 * little per byte as it can: a cell is one load and a byte swap, names are
 * told apart by their first character and then compared whole with
 * constant-size compares (inline quadword loads), every property name is
 * classified once per strings-block offset, and string lists are split
 * with memchr.
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

/* What an unnamed node's compatible / device_type said it is (bits). */
#define MATCH_CPU 1
#define MATCH_MEMORY 2
#define MATCH_VMM 4
#define MATCH_SERIAL 8
#define MATCH_FWCFG 16

/* Properties seen in the open node that the guest cares about. */
struct node {
	enum node_kind kind;
	uint32_t match; /* MATCH_*, for NODE_OTHER only */
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

typedef uint32_t __attribute__((may_alias, aligned(1))) fdt_u32;

static uint32_t be32(const uint8_t *p)
{
	return __builtin_bswap32(*(const fdt_u32 *)p);
}

/* s (room bytes readable from it) is the literal lit, its NUL included. */
#define IS(s, room, lit) ((room) >= sizeof(lit) && __builtin_memcmp((s), (lit), sizeof(lit)) == 0)

/* A node name of n bytes is base, or base@unit: "memory@0" matches "memory". */
#define UNIT_IS(name, n, base)                                                       \
	(((n) == sizeof(base) - 1 || ((n) > sizeof(base) - 1 && (name)[sizeof(base) - 1] == '@')) && \
	 __builtin_memcmp((name), (base), sizeof(base) - 1) == 0)

/*
 * Which of a, b, c (alen.. bytes long; SIZE_MAX for none) the string list
 * val[0..len) contains, as bits 0, 1, 2.
 */
static unsigned int strlist_match(const uint8_t *val, uint32_t len, const char *a, size_t alen,
				  const char *b, size_t blen, const char *c, size_t clen)
{
	unsigned int found = 0;
	uint32_t i = 0;
	while (i < len) {
		const uint8_t *nul = __builtin_memchr(val + i, 0, len - i);
		if (!nul)
			break; /* unterminated */
		size_t n = (size_t)(nul - (val + i));
		if (n == alen && __builtin_memcmp(val + i, a, n) == 0)
			found |= 1;
		else if (n == blen && __builtin_memcmp(val + i, b, n) == 0)
			found |= 2;
		else if (n == clen && __builtin_memcmp(val + i, c, n) == 0)
			found |= 4;
		i += (uint32_t)n + 1;
	}
	return found;
}

/* What a property name is; room bytes (>= 1, the last a NUL) are readable. */
static enum prop_id prop_classify(const char *name, uint32_t room)
{
	switch (name[0]) {
	case '#':
		if (IS(name, room, "#address-cells"))
			return P_ADDRESS_CELLS;
		if (IS(name, room, "#size-cells"))
			return P_SIZE_CELLS;
		break;
	case 'b':
		if (IS(name, room, "bootargs"))
			return P_BOOTARGS;
		break;
	case 'c':
		if (IS(name, room, "compatible"))
			return P_COMPATIBLE;
		break;
	case 'd':
		if (IS(name, room, "device_type"))
			return P_DEVICE_TYPE;
		break;
	case 'e':
		if (IS(name, room, "exit-port"))
			return P_EXIT_PORT;
		break;
	case 'f':
		if (IS(name, room, "features"))
			return P_FEATURES;
		break;
	case 'i':
		if (IS(name, room, "io-port"))
			return P_IO_PORT;
		if (IS(name, room, "interrupts"))
			return P_INTERRUPTS;
		break;
	case 'r':
		if (IS(name, room, "reg"))
			return P_REG;
		if (IS(name, room, "report-port"))
			return P_REPORT_PORT;
		break;
	default:
		break;
	}
	return P_UNKNOWN;
}

static inline __attribute__((always_inline)) enum prop_id prop_id(struct walker *w,
								   uint32_t nameoff)
{
	if (nameoff < NAME_CACHE && w->ids[nameoff] != P_NONE)
		return (enum prop_id)w->ids[nameoff];
	enum prop_id id = prop_classify((const char *)w->strings + nameoff,
					w->strings_size - nameoff);
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

/*
 * One property (its name already known, id) of the open node n; inline:
 * it runs for every property the guest knows.
 */
static inline __attribute__((always_inline)) int node_prop(struct walker *w, struct node *n,
							   enum prop_id id, const uint8_t *val,
							   uint32_t len)
{
	enum node_kind kind = n->kind;
	switch (id) {
	case P_ADDRESS_CELLS:
		if (kind == NODE_ROOT)
			return prop_u32(w, val, len, &w->root_acells, "bad root #address-cells");
		if (kind == NODE_CPUS)
			return prop_u32(w, val, len, &w->cpu_acells, "bad cpus #address-cells");
		return 0;
	case P_SIZE_CELLS:
		if (kind == NODE_ROOT)
			return prop_u32(w, val, len, &w->root_scells, "bad root #size-cells");
		return 0;
	case P_BOOTARGS:
		if (kind == NODE_CHOSEN) {
			if (!is_string(val, len)) {
				w->why = "chosen/bootargs is not a string";
				return GFDT_EINVAL;
			}
			w->out->bootargs = (const char *)val;
		}
		return 0;
	case P_COMPATIBLE:
		if (kind == NODE_ROOT && is_string(val, len))
			w->out->compatible = (const char *)val;
		else if (kind == NODE_OTHER)
			n->match |= strlist_match(val, len, "vmm,platform", 12, "ns16550a", 8,
						  "qemu,fw-cfg-io", 14) * MATCH_VMM;
		return 0;
	case P_DEVICE_TYPE:
		/* Only nodes the name did not classify need it. */
		if (kind == NODE_OTHER)
			n->match |= strlist_match(val, len, "cpu", 3, "memory", 6, "", SIZE_MAX);
		return 0;
	default:
		break;
	}
	/* The rest belong to device nodes, not to /, /chosen or /cpus. */
	if (kind == NODE_ROOT || kind == NODE_CHOSEN || kind == NODE_CPUS)
		return 0;
	switch (id) {
	case P_REG:
		n->reg = val;
		n->reg_len = len;
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

/* The role of a node at its end: its kind, or for NODE_OTHER what it matched. */
static enum node_kind node_role(const struct node *n)
{
	uint32_t m = n->match;
	if (n->kind != NODE_OTHER || !m)
		return n->kind;
	if (m & MATCH_CPU)
		return NODE_CPU;
	if (m & MATCH_MEMORY)
		return NODE_MEMORY;
	if (m & MATCH_VMM)
		return NODE_VMM;
	if (m & MATCH_SERIAL)
		return NODE_SERIAL;
	return NODE_FWCFG;
}

static int ports_ok(struct walker *w)
{
	const struct fdt_info *out = w->out;
	if (out->exit_port > 0xffff || out->report_port > 0xffff || out->serial_port > 0xffff ||
	    out->fwcfg_port > 0xffff) {
		w->why = "an io-port is above 0xffff";
		return GFDT_EINVAL;
	}
	return 0;
}

static int node_close(struct walker *w, const struct node *n)
{
	struct fdt_info *out = w->out;
	switch (node_role(n)) {
	case NODE_CPU: {
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
		return 0;
	}
	case NODE_MEMORY: {
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
		return 0;
	}
	case NODE_VMM:
		out->have_vmm = true;
		out->features = n->features;
		out->exit_port = n->exit_port;
		out->report_port = n->report_port;
		return ports_ok(w);
	case NODE_SERIAL:
		if (!out->serial_port) {
			out->serial_port = n->io_port;
			out->serial_irq = n->interrupts;
		}
		return ports_ok(w);
	case NODE_FWCFG:
		out->fwcfg_port = n->io_port;
		return ports_ok(w);
	default:
		return 0;
	}
}

/* A node's kind from its name (n bytes) and where it sits. */
static enum node_kind classify(const char *name, uint32_t n, unsigned int depth,
			       enum node_kind parent)
{
	if (depth == 1)
		return NODE_ROOT;
	if (depth == 3 && parent == NODE_CPUS && UNIT_IS(name, n, "cpu"))
		return NODE_CPU;
	if (depth != 2)
		return NODE_OTHER;
	switch (name[0]) {
	case 'c':
		if (UNIT_IS(name, n, "chosen"))
			return NODE_CHOSEN;
		if (UNIT_IS(name, n, "cpus"))
			return NODE_CPUS;
		break;
	case 'm':
		if (UNIT_IS(name, n, "memory"))
			return NODE_MEMORY;
		break;
	case 'v':
		if (UNIT_IS(name, n, "vmm"))
			return NODE_VMM;
		break;
	case 's':
		if (UNIT_IS(name, n, "serial"))
			return NODE_SERIAL;
		break;
	case 'f':
		if (UNIT_IS(name, n, "fw-cfg"))
			return NODE_FWCFG;
		break;
	default:
		break;
	}
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
	struct node *n = stack; /* the open node; stack[0] stands for "none" */
	if (!why)
		why = &dummy;
	*why = NULL;
	/* apic_ids[] and mem[] past their counts are left as they are */
	out->ncpus = 0;
	out->nmem = 0;
	out->have_vmm = false;
	out->features = 0;
	out->exit_port = out->report_port = 0;
	out->serial_port = out->serial_irq = 0;
	out->fwcfg_port = 0;
	out->bootargs = NULL;
	out->compatible = NULL;
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
	stack[0].kind = NODE_OTHER;
	for (;;) {
		if (end - p < 4) {
			*why = "structure block ends without FDT_END";
			return GFDT_EINVAL;
		}
		uint32_t token = be32(p);
		p += 4;
		if (token == TOK_PROP) { /* the most frequent token first */
			if (end - p < 8) {
				*why = "truncated property";
				return GFDT_EINVAL;
			}
			uint32_t len = be32(p), nameoff = be32(p + 4);
			const uint8_t *val = p + 8;
			if (len > (uint64_t)(end - val)) {
				*why = "property value past the structure block";
				return GFDT_EINVAL;
			}
			if (nameoff >= w.strings_size) {
				*why = "property name offset outside the strings block";
				return GFDT_EINVAL;
			}
			if (n == stack) {
				*why = "property outside any node";
				return GFDT_EINVAL;
			}
			enum prop_id id = prop_id(&w, nameoff);
			if (id != P_UNKNOWN) {
				err = node_prop(&w, n, id, val, len);
				if (err) {
					*why = w.why;
					return err;
				}
			}
			p = val + ((len + 3) & ~3u);
			if (p > end) {
				*why = "property padding past the structure block";
				return GFDT_EINVAL;
			}
		} else if (token == TOK_BEGIN_NODE) {
			const char *name = (const char *)p;
			const uint8_t *nul = __builtin_memchr(p, 0, (size_t)(end - p));
			if (!nul) {
				*why = "unterminated node name";
				return GFDT_EINVAL;
			}
			uint32_t len = (uint32_t)(nul - p);
			if (n == stack + GFDT_MAX_DEPTH) {
				*why = "nodes nested too deep";
				return GFDT_EINVAL;
			}
			if (n == stack && len != 0) {
				*why = "root node has a name";
				return GFDT_EINVAL;
			}
			p += (len + 4) & ~3u;
			if (p > end) {
				*why = "node name padding past the structure block";
				return GFDT_EINVAL;
			}
			n++;
			*n = (struct node){ .kind = classify(name, len, (unsigned int)(n - stack),
							     n[-1].kind) };
		} else if (token == TOK_END_NODE) {
			if (n == stack) {
				*why = "FDT_END_NODE without a node";
				return GFDT_EINVAL;
			}
			err = node_close(&w, n);
			if (err) {
				*why = w.why;
				return err;
			}
			n--;
		} else if (token == TOK_NOP) {
			continue;
		} else if (token == TOK_END) {
			if (n != stack) {
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
