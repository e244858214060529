/*
 * x86_format.c - printing decoded x86 instructions in Intel syntax, and
 * disassembling the code bytes of a fatal-state dump line by line.
 * Decoding is in x86_decode.c.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vmm/x86_decode.h"

/* A snprintf-style sink: pos counts every character, buf keeps what fits. */
struct sink {
	char *buf;
	size_t size, pos;
};

__attribute__((format(printf, 2, 3)))
static void sink_printf(struct sink *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = s->pos < s->size ? vsnprintf(s->buf + s->pos, s->size - s->pos, fmt, ap)
				 : vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		s->pos += (size_t)n;
}

static const char gpr_legacy[8][3] = { "ax", "cx", "dx", "bx", "sp", "bp", "si", "di" };
static const char gpr_byte[8][4] = { "al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil" };
static const char seg_names[6][3] = { "es", "cs", "ss", "ds", "fs", "gs" };

/* Prints general register reg (0-15) of size 1, 2, 4 or 8 bytes. */
static void print_gpr(struct sink *s, unsigned reg, unsigned size)
{
	reg &= 15;
	if (reg >= 8) {
		const char *suffix = size == 1 ? "b" : size == 2 ? "w" : size == 4 ? "d" : "";
		sink_printf(s, "r%u%s", reg, suffix);
	} else if (size == 1) {
		sink_printf(s, "%s", gpr_byte[reg]);
	} else {
		sink_printf(s, "%s%s", size == 8 ? "r" : size == 4 ? "e" : "", gpr_legacy[reg]);
	}
}

static void print_reg(struct sink *s, const struct x86_operand *o)
{
	switch (o->reg_class) {
	case X86_REG_GPR: print_gpr(s, o->reg, o->size); break;
	case X86_REG_GPR8HI: sink_printf(s, "%ch", "acdb"[o->reg & 3]); break;
	case X86_REG_SEG: sink_printf(s, "%s", o->reg < 6 ? seg_names[o->reg] : "?"); break;
	case X86_REG_CR: sink_printf(s, "cr%u", o->reg); break;
	case X86_REG_DR: sink_printf(s, "dr%u", o->reg); break;
	case X86_REG_MMX: sink_printf(s, "mm%u", o->reg); break;
	case X86_REG_XMM: sink_printf(s, "xmm%u", o->reg); break;
	case X86_REG_ST:
		if (o->reg)
			sink_printf(s, "st(%u)", o->reg);
		else
			sink_printf(s, "st");
		break;
	default: sink_printf(s, "?"); break;
	}
}

static const char *size_keyword(unsigned size)
{
	switch (size) {
	case 1: return "byte";
	case 2: return "word";
	case 4: return "dword";
	case 6: return "fword";
	case 8: return "qword";
	case 10: return "tbyte";
	case 16: return "xmmword";
	default: return NULL;
	}
}

/* A memory operand's size is printed unless a register operand of the
 * same size already says it. */
static bool mem_size_shown(const struct x86_insn *in, const struct x86_operand *m)
{
	if (!size_keyword(m->size))
		return false;
	for (unsigned i = 0; i < in->nops && i < 3; i++) {
		const struct x86_operand *o = &in->ops[i];
		if (o->kind == X86_OP_REG && o->size == m->size && o->reg_class <= X86_REG_SEG)
			return false;
	}
	return true;
}

static void print_mem(struct sink *s, const struct x86_insn *in, const struct x86_operand *o)
{
	uint64_t mask = o->addr_size >= 8 ? ~0ull : (1ull << (8 * o->addr_size)) - 1;
	bool any = false;

	if (mem_size_shown(in, o))
		sink_printf(s, "%s ", size_keyword(o->size));
	if (o->seg >= 0 && o->seg < 6)
		sink_printf(s, "%s:", seg_names[o->seg]);
	sink_printf(s, "[");
	if (o->base == X86_REG_RIP) {
		sink_printf(s, "%s", o->addr_size == 4 ? "eip" : "rip");
		any = true;
	} else if (o->base >= 0) {
		print_gpr(s, (unsigned)o->base, o->addr_size);
		any = true;
	}
	if (o->index >= 0) {
		if (any)
			sink_printf(s, "+");
		print_gpr(s, (unsigned)o->index, o->addr_size);
		if (o->scale > 1)
			sink_printf(s, "*%u", o->scale);
		any = true;
	}
	if (!any)
		sink_printf(s, "0x%" PRIx64, (uint64_t)o->disp & mask);
	else if (o->disp < 0)
		sink_printf(s, "-0x%" PRIx64, -(uint64_t)o->disp & mask);
	else if (o->disp > 0)
		sink_printf(s, "+0x%" PRIx64, (uint64_t)o->disp & mask);
	sink_printf(s, "]");
}

static void print_operand(struct sink *s, const struct x86_insn *in, const struct x86_operand *o)
{
	uint64_t mask = o->size >= 8 ? ~0ull : (1ull << (8 * o->size)) - 1;

	switch (o->kind) {
	case X86_OP_REG: print_reg(s, o); break;
	case X86_OP_MEM: print_mem(s, in, o); break;
	case X86_OP_IMM: sink_printf(s, "0x%" PRIx64, o->imm & mask); break;
	case X86_OP_REL:
		sink_printf(s, "0x%" PRIx64, (in->rip + in->len + o->imm) & mask);
		break;
	case X86_OP_FAR: sink_printf(s, "0x%x:0x%" PRIx64, o->sel, o->imm); break;
	default: sink_printf(s, "?"); break;
	}
}

int x86_format(const struct x86_insn *insn, char *buf, size_t size)
{
	if (!insn || !insn->len || !insn->mnemonic[0] || (!buf && size))
		return -1;

	struct sink s = { .buf = buf, .size = size };
	if (size)
		buf[0] = 0;
	if (insn->lock)
		sink_printf(&s, "lock ");
	if (insn->rep_kind == 1)
		sink_printf(&s, "rep ");
	else if (insn->rep_kind == 2)
		sink_printf(&s, "%s ", insn->rep == 0xf3 ? "repe" : "repne");
	sink_printf(&s, "%.*s", (int)sizeof(insn->mnemonic), insn->mnemonic);
	for (unsigned i = 0; i < insn->nops && i < 3; i++) {
		sink_printf(&s, i ? ", " : " ");
		print_operand(&s, insn, &insn->ops[i]);
	}
	return (int)s.pos;
}

/* Appends line to buf if it fits whole; returns false when it does not. */
static bool append_line(char *buf, size_t size, size_t *used, const char *line)
{
	size_t n = strlen(line);
	if (*used + n + 1 > size)
		return false;
	memcpy(buf + *used, line, n + 1);
	*used += n;
	return true;
}

/* Formats "address: bytes   text" for count bytes at bytes. */
static void format_line(char *line, size_t size, uint64_t addr, const uint8_t *bytes,
			size_t count, const char *text)
{
	char hex[3 * X86_MAX_INSN_LEN + 1] = "";
	size_t pos = 0;

	for (size_t i = 0; i < count && i < X86_MAX_INSN_LEN; i++)
		pos += (size_t)snprintf(hex + pos, sizeof(hex) - pos, i ? " %02x" : "%02x", bytes[i]);
	snprintf(line, size, "%" PRIx64 ": %-23s %s\n", addr, hex, text);
}

int x86_disasm(const uint8_t *bytes, size_t len, int mode, uint64_t rip, char *buf, size_t size)
{
	if (!buf || !size || (!bytes && len) || (mode != 16 && mode != 32 && mode != 64))
		return -1;

	size_t used = 0, off = 0;
	char line[256], text[128];
	struct x86_insn in = { 0 };

	buf[0] = 0;
	while (off < len) {
		int n = x86_decode(bytes + off, len - off, mode, &in);
		if (n < 0)
			break;
		in.rip = rip + off;
		x86_format(&in, text, sizeof(text));
		format_line(line, sizeof(line), in.rip, bytes + off, (size_t)n, text);
		if (!append_line(buf, size, &used, line))
			return (int)used;
		off += (size_t)n;
	}
	for (const char *label = in.truncated ? "(truncated)" : "(bad)"; off < len; label = ".byte") {
		size_t count = len - off < 8 ? len - off : 8;
		format_line(line, sizeof(line), rip + off, bytes + off, count, label);
		if (!append_line(buf, size, &used, line))
			break;
		off += count;
	}
	return (int)used;
}
