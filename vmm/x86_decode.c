/*
 * x86_decode.c - x86 instruction decoding: prefixes, table lookup,
 * ModRM/SIB/displacement and immediates. The tables are in x86_opcodes.c,
 * printing in x86_format.c.
 */
#include <stdio.h>
#include <string.h>

#include "vmm/x86_decode.h"
#include "vmm/x86_opcodes.h"

/* An entry built at run time, for encodings the tables cannot express. */
#define DESC(n, f, ...) ((struct opdesc){ n, f, 0, { __VA_ARGS__ } })

enum { ERR_NONE, ERR_BAD, ERR_TRUNC };

struct dctx {
	const uint8_t *p;
	size_t len, pos;
	struct x86_insn *in;
	int err;
	bool p66, p67;
	int8_t seg;
	unsigned vidx;           /* mandatory-prefix variant: none, 66, F3, F2 */
	struct x86_operand mem;  /* the ModRM memory operand, when mod != 3 */
};

/* Takes the next byte; past len or the 15-byte limit it records why and
 * yields 0, so callers check c->err once at the end. */
static uint8_t dctx_byte(struct dctx *c)
{
	if (c->err)
		return 0;
	if (c->pos >= X86_MAX_INSN_LEN) {
		c->err = ERR_BAD;
		return 0;
	}
	if (c->pos >= c->len) {
		c->err = ERR_TRUNC;
		return 0;
	}
	return c->p[c->pos++];
}

/* Takes n (1..8) little-endian bytes, sign-extended to 64 bits. */
static int64_t dctx_signed(struct dctx *c, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)dctx_byte(c) << (8 * i);
	if (n < 8 && (v >> (8 * n - 1)) & 1)
		v |= ~0ull << (8 * n);
	return (int64_t)v;
}

static uint64_t size_mask(unsigned size)
{
	return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

/* Copies word idx of a space-separated list into out (the last word when
 * the list is shorter). Returns 0, or -1 for "-" (#UD), 1 for "?". */
static int pick_word(const char *list, unsigned idx, char *out, size_t n)
{
	const char *w = list, *end;
	for (;;) {
		end = strchr(w, ' ');
		if (!end || idx == 0)
			break;
		w = end + 1;
		idx--;
	}
	size_t wl = end ? (size_t)(end - w) : strlen(w);
	if (wl == 1 && *w == '-')
		return -1;
	if (wl == 1 && *w == '?')
		return 1;
	if (wl >= n)
		wl = n - 1;
	memcpy(out, w, wl);
	out[wl] = 0;
	return 0;
}

/* Decodes the SIB byte and displacement of a memory ModRM into c->mem. */
static void decode_mem(struct dctx *c)
{
	static const int8_t base16[8] = { 3, 3, 5, 5, 6, 7, 5, 3 };
	static const int8_t index16[8] = { 6, 7, 6, 7, -1, -1, -1, -1 };
	struct x86_insn *in = c->in;
	struct x86_operand *m = &c->mem;
	unsigned mod = in->modrm >> 6, rm = in->modrm & 7;

	m->kind = X86_OP_MEM;
	m->base = m->index = X86_NO_REG;
	m->scale = 1;
	m->addr_size = in->addrsize;
	m->seg = c->seg;
	if (in->addrsize == 2) {
		if (mod == 0 && rm == 6) {
			m->disp = dctx_signed(c, 2);
			return;
		}
		m->base = base16[rm];
		m->index = index16[rm];
		m->disp = mod == 1 ? dctx_signed(c, 1) : mod == 2 ? dctx_signed(c, 2) : 0;
		return;
	}
	if (rm == 4) {
		in->has_sib = true;
		in->sib = dctx_byte(c);
		unsigned idx = ((in->sib >> 3) & 7) | ((in->rex & 2) << 2);
		m->index = idx == 4 ? X86_NO_REG : (int8_t)idx;
		m->scale = (uint8_t)(1u << (in->sib >> 6));
		if ((in->sib & 7) == 5 && mod == 0)
			m->disp = dctx_signed(c, 4);
		else
			m->base = (int8_t)((in->sib & 7) | ((in->rex & 1) << 3));
	} else if (mod == 0 && rm == 5) {
		m->base = in->mode == 64 ? X86_REG_RIP : X86_NO_REG;
		m->disp = dctx_signed(c, 4);
	} else {
		m->base = (int8_t)(rm | ((in->rex & 1) << 3));
	}
	if (mod == 1)
		m->disp = dctx_signed(c, 1);
	else if (mod == 2)
		m->disp = dctx_signed(c, 4);
}

static void set_reg(struct x86_operand *o, unsigned cls, unsigned reg, unsigned size)
{
	o->kind = X86_OP_REG;
	o->reg_class = (uint8_t)cls;
	o->reg = (uint8_t)reg;
	o->size = (uint8_t)size;
}

/* A general register; without REX, byte registers 4-7 are ah..bh. */
static void set_gpr(struct dctx *c, struct x86_operand *o, unsigned reg, unsigned size)
{
	if (size == 1 && !c->in->rex && reg >= 4 && reg < 8)
		set_reg(o, X86_REG_GPR8HI, reg - 4, 1);
	else
		set_reg(o, X86_REG_GPR, reg, size);
}

static void set_imm(struct x86_operand *o, unsigned kind, uint64_t v, unsigned size)
{
	o->kind = (uint8_t)kind;
	o->size = (uint8_t)size;
	o->imm = kind == X86_OP_IMM ? v & size_mask(size) : v;
}

/* ModRM.rm as a general register or memory of the given size. */
static void set_rm(struct dctx *c, struct x86_operand *o, unsigned size)
{
	if (c->in->modrm >> 6 == 3) {
		set_gpr(c, o, (c->in->modrm & 7) | ((c->in->rex & 1) << 3), size);
	} else {
		*o = c->mem;
		o->size = (uint8_t)size;
	}
}

/* Builds one operand, taking its immediate bytes if it has any. */
static void decode_operand(struct dctx *c, unsigned code, struct x86_operand *o)
{
	struct x86_insn *in = c->in;
	unsigned os = in->opsize, z = os == 2 ? 2 : 4;
	unsigned y = in->mode == 64 && (in->rex & 8) ? 8 : 4;
	unsigned reg = ((in->modrm >> 3) & 7) | ((in->rex & 4) << 1);
	unsigned rm = (in->modrm & 7) | ((in->rex & 1) << 3);
	bool regform = in->modrm >> 6 == 3;
	bool xmm = c->vidx != 0;

	switch (code) {
	case O_Eb: set_rm(c, o, 1); break;
	case O_Ew: set_rm(c, o, 2); break;
	case O_Ed: set_rm(c, o, 4); break;
	case O_Ev: set_rm(c, o, os); break;
	case O_Ey: set_rm(c, o, y); break;
	case O_MwRv: set_rm(c, o, regform ? os : 2); break;
	case O_Gb: set_gpr(c, o, reg, 1); break;
	case O_Gw: set_gpr(c, o, reg, 2); break;
	case O_Gv: set_gpr(c, o, reg, os); break;
	case O_Gy: set_gpr(c, o, reg, y); break;
	case O_M: case O_Mq: case O_Mcx: case O_Mp:
		if (regform)
			c->err = c->err ? c->err : ERR_BAD;
		*o = c->mem;
		o->size = code == O_Mq ? 8 : code == O_Mcx ? (in->rex & 8 ? 16 : 8) : 0;
		break;
	case O_Rv: case O_Ry:
		if (!regform)
			c->err = c->err ? c->err : ERR_BAD;
		set_gpr(c, o, rm, code == O_Rv ? os : y);
		break;
	case O_Rcr: set_gpr(c, o, rm, in->mode == 64 ? 8 : 4); break;
	case O_Cd: set_reg(o, X86_REG_CR, reg, 0); break;
	case O_Dd: set_reg(o, X86_REG_DR, reg, 0); break;
	case O_Sw:
		if (((in->modrm >> 3) & 7) > 5)
			c->err = c->err ? c->err : ERR_BAD;
		set_reg(o, X86_REG_SEG, (in->modrm >> 3) & 7, 2);
		break;
	case O_Ib: set_imm(o, X86_OP_IMM, dctx_signed(c, 1), 1); break;
	case O_Ibs: set_imm(o, X86_OP_IMM, dctx_signed(c, 1), os); break;
	case O_Iw: set_imm(o, X86_OP_IMM, dctx_signed(c, 2), 2); break;
	case O_Iz: set_imm(o, X86_OP_IMM, dctx_signed(c, z), os); break;
	case O_Iv: set_imm(o, X86_OP_IMM, dctx_signed(c, os), os); break;
	case O_ONE: set_imm(o, X86_OP_IMM, 1, 1); break;
	case O_Jb: set_imm(o, X86_OP_REL, dctx_signed(c, 1), os); break;
	case O_Jz: set_imm(o, X86_OP_REL, dctx_signed(c, z), os); break;
	case O_Ap:
		set_imm(o, X86_OP_FAR, dctx_signed(c, z) & size_mask(z), z);
		o->sel = (uint16_t)dctx_signed(c, 2);
		break;
	case O_Ob: case O_Ov:
		o->kind = X86_OP_MEM;
		o->base = o->index = X86_NO_REG;
		o->scale = 1;
		o->addr_size = in->addrsize;
		o->seg = c->seg;
		o->disp = dctx_signed(c, in->addrsize);
		o->size = (uint8_t)(code == O_Ob ? 1 : os);
		break;
	case O_AL: set_reg(o, X86_REG_GPR, 0, 1); break;
	case O_CL: set_reg(o, X86_REG_GPR, 1, 1); break;
	case O_DX: set_reg(o, X86_REG_GPR, 2, 2); break;
	case O_AX: set_reg(o, X86_REG_GPR, 0, 2); break;
	case O_rAX: set_reg(o, X86_REG_GPR, 0, os); break;
	case O_eAX: set_reg(o, X86_REG_GPR, 0, z); break;
	case O_Zb: set_gpr(c, o, (in->opcode & 7) | ((in->rex & 1) << 3), 1); break;
	case O_Zv: set_gpr(c, o, (in->opcode & 7) | ((in->rex & 1) << 3), os); break;
	case O_ES: case O_CS: case O_SS: case O_DS: case O_FS: case O_GS:
		set_reg(o, X86_REG_SEG, code - O_ES, 2);
		break;
	case O_V: set_reg(o, X86_REG_XMM, reg, 0); break;
	case O_W: case O_U:
		if (regform) {
			set_reg(o, X86_REG_XMM, rm, 0);
		} else {
			if (code == O_U)
				c->err = c->err ? c->err : ERR_BAD;
			*o = c->mem;
			o->size = 0;
		}
		break;
	case O_PX:
		set_reg(o, xmm ? X86_REG_XMM : X86_REG_MMX, xmm ? reg : reg & 7, 0);
		break;
	case O_QX: case O_NX:
		if (regform) {
			set_reg(o, xmm ? X86_REG_XMM : X86_REG_MMX, xmm ? rm : rm & 7, 0);
		} else {
			if (code == O_NX)
				c->err = c->err ? c->err : ERR_BAD;
			*o = c->mem;
			o->size = 0;
		}
		break;
	case O_ST0: set_reg(o, X86_REG_ST, 0, 0); break;
	case O_STi: set_reg(o, X86_REG_ST, in->modrm & 7, 0); break;
	default: break;
	}
}

/* Names the x87 register forms that take no st(i) operand. */
static const char *x87_special(unsigned esc, unsigned modrm, char *buf, size_t n)
{
	if (esc == 1 && modrm == 0xd0)
		return "fnop";
	if (esc == 1 && modrm >= 0xe0)
		return pick_word(x86_op_x87_d9, modrm - 0xe0, buf, n) == 0 ? buf : NULL;
	if (esc == 2 && modrm == 0xe9)
		return "fucompp";
	if (esc == 3 && modrm == 0xe2)
		return "fnclex";
	if (esc == 3 && modrm == 0xe3)
		return "fninit";
	if (esc == 6 && modrm == 0xd9)
		return "fcompp";
	if (esc == 7 && modrm == 0xe0)
		return "fnstsw";
	return NULL;
}

/* Decodes D8-DF after its ModRM (and any displacement) was read. */
static int decode_x87(struct dctx *c)
{
	struct x86_insn *in = c->in;
	unsigned esc = in->opcode & 7, reg = (in->modrm >> 3) & 7;

	if (in->modrm >> 6 != 3) {
		char sz = x86_op_x87_msize[esc][reg];
		if (pick_word(x86_op_x87_mem[esc], reg, in->mnemonic, sizeof(in->mnemonic)) != 0)
			return -1;
		in->ops[0] = c->mem;
		in->ops[0].size = (uint8_t)(sz == 'a' ? 10 : sz - '0');
		in->nops = 1;
		return 0;
	}
	char pat = x86_op_x87_rpat[esc][reg];
	if (pat == 's') {
		const char *n = x87_special(esc, in->modrm, in->mnemonic, sizeof(in->mnemonic));
		if (!n)
			return -1;
		if (n != in->mnemonic)
			strcpy(in->mnemonic, n);
		if (esc == 7)
			decode_operand(c, O_AX, &in->ops[in->nops++]);
		return 0;
	}
	if (pat == '-' || pick_word(x86_op_x87_reg[esc], reg, in->mnemonic, sizeof(in->mnemonic)))
		return -1;
	decode_operand(c, pat == 'a' ? O_ST0 : O_STi, &in->ops[in->nops++]);
	if (pat != 'c')
		decode_operand(c, pat == 'a' ? O_STi : O_ST0, &in->ops[in->nops++]);
	return 0;
}

/* Finds the entry of the opcode in c->in, reading ModRM when it has one
 * and merging a group's entry into it. Returns -1 for an unknown opcode. */
static int lookup(struct dctx *c, struct opdesc *d)
{
	struct x86_insn *in = c->in;

	if (in->map == 0)
		*d = x86_op_map1[in->opcode];
	else if (in->map == 1)
		*d = x86_op_map2[in->opcode];
	else
		*d = DESC(NULL, F_M | F_ANON, in->map == 3 ? O_Ib : O_NONE);
	if (in->map == 2 && (in->opcode & 0xfe) == 0xf0 && in->rep != 0xf3)
		*d = in->rep == 0xf2 ? DESC("crc32", F_M, O_Gy, in->opcode & 1 ? O_Ev : O_Eb)
		     : in->opcode & 1 ? DESC("movbe", F_M, O_M, O_Gv)
				      : DESC("movbe", F_M, O_Gv, O_M);
	if (!d->name && !d->grp && !(d->flags & (F_X87 | F_ANON)))
		return -1;
	if (d->flags & F_M) {
		in->has_modrm = true;
		in->modrm = dctx_byte(c);
	}
	if (!d->grp)
		return 0;

	unsigned reg = (in->modrm >> 3) & 7;
	bool regform = in->modrm >> 6 == 3;
	struct opdesc g = x86_op_groups[d->grp][regform][reg];
	if (d->grp == G7 && regform && reg != 4 && reg != 6) {
		g = DESC(x86_op_grp7_reg[in->modrm & 0x3f], 0);
		if (in->modrm == 0xf8)
			g.flags |= F_O64;
	}
	if (!g.name)
		return -1;
	d->name = g.name;
	d->flags |= g.flags;
	if (g.ops[0])
		memcpy(d->ops, g.ops, sizeof(d->ops));
	return 0;
}

/* Encodings whose meaning the tables cannot express. Returns -1 for #UD. */
static int fixup(struct dctx *c, struct opdesc *d)
{
	struct x86_insn *in = c->in;
	unsigned key = in->map << 8 | in->opcode, reg = (in->modrm >> 3) & 7;
	bool regform = in->modrm >> 6 == 3;

	if (key == 0x090 && (in->rex & 1))
		*d = DESC("xchg", 0, O_Zv, O_rAX);
	else if (key == 0x090 && in->rep == 0xf3)
		d->name = "pause";
	else if (key == 0x063 && in->mode == 64)
		*d = DESC("movsxd", F_M, O_Gv, O_Ed);
	else if ((key == 0x112 || key == 0x116) && regform)
		d->name = key == 0x112 ? "movhlps - movsldup movddup" : "movlhps - movshdup -";
	else if (key == 0x1c7 && regform && reg == 7 && in->rep == 0xf3)
		*d = DESC("rdpid", F_M | F_D64, O_Rv);
	else if (key == 0x17e && in->rep == 0xf3)
		*d = DESC("movq", F_M, O_V, O_W);
	else if (key == 0x1ae && !regform && c->p66 && !in->rep && reg >= 6)
		*d = DESC(reg == 6 ? "clwb" : "clflushopt", F_M, O_M);
	else if (key == 0x1ae && (c->p66 || (in->rep && (!regform || reg > 3))))
		return -1;
	else if (key == 0x11e && in->rep == 0xf3 && (in->modrm & 0xfe) == 0xfa)
		*d = DESC(in->modrm == 0xfa ? "endbr64" : "endbr32", F_M);
	return 0;
}

/* Sets the operand and address sizes from the mode, prefixes and flags. */
static void set_sizes(struct dctx *c, uint32_t flags)
{
	struct x86_insn *in = c->in;

	if (in->mode == 16) {
		in->opsize = c->p66 ? 4 : 2;
		in->addrsize = c->p67 ? 4 : 2;
	} else if (in->mode == 32) {
		in->opsize = c->p66 ? 2 : 4;
		in->addrsize = c->p67 ? 2 : 4;
	} else {
		in->opsize = (in->rex & 8) ? 8 : c->p66 ? 2 : (flags & F_D64) ? 8 : 4;
		in->addrsize = c->p67 ? 4 : 8;
	}
}

/* Sets in->mnemonic from the entry's name and its variants. Returns 0,
 * 1 for an unnamed encoding, -1 for one that raises #UD. */
static int name_insn(struct dctx *c, const struct opdesc *d)
{
	struct x86_insn *in = c->in;
	unsigned idx = 0;
	uint32_t f = d->flags;

	if (f & F_ANON)
		return 1;
	if (f & F_VSZ)
		idx = in->opsize == 2 ? 0 : in->opsize == 4 ? 1 : 2;
	else if (f & F_VAS)
		idx = in->addrsize == 2 ? 0 : in->addrsize == 4 ? 1 : 2;
	else if (f & F_VW)
		idx = (in->rex & 8) ? 1 : 0;
	else if (f & (F_VPFX | F_MX))
		idx = c->vidx;
	else if (f & F_VREP)
		idx = in->rep == 0xf3 ? 1 : in->rep == 0xf2 ? 2 : 0;
	if ((f & F_MX) && idx > 1)
		return -1;
	if (f & (F_VSZ | F_VAS | F_VW | F_VPFX | F_MX | F_VREP)) {
		int r = pick_word(d->name, idx, in->mnemonic, sizeof(in->mnemonic));
		if (r)
			return r;
	} else {
		snprintf(in->mnemonic, sizeof(in->mnemonic), "%s", d->name);
	}
	if (f & F_CC) {
		size_t n = strlen(in->mnemonic);
		memcpy(in->mnemonic + n, x86_op_cc_names[in->opcode & 15], 3);
	}
	if ((in->map << 8 | in->opcode) == 0x16e || (in->map << 8 | in->opcode) == 0x17e)
		if ((in->rex & 8) && c->vidx < 2)
			strcpy(in->mnemonic, "movq");
	return 0;
}

/* Reads the legacy and REX prefixes and the opcode bytes. */
static void decode_opcode(struct dctx *c)
{
	struct x86_insn *in = c->in;
	uint8_t b;

	for (;;) {
		b = dctx_byte(c);
		if (c->err)
			return;
		if (b == 0x66) {
			c->p66 = true;
		} else if (b == 0x67) {
			c->p67 = true;
		} else if (b == 0xf0) {
			in->lock = true;
		} else if (b == 0xf2 || b == 0xf3) {
			in->rep = b;
		} else if (b == 0x26 || b == 0x2e || b == 0x36 || b == 0x3e) {
			c->seg = (int8_t)((b >> 3) & 3);
		} else if (b == 0x64 || b == 0x65) {
			c->seg = (int8_t)(b - 0x60);
		} else if (in->mode == 64 && (b & 0xf0) == 0x40) {
			in->rex = b;
			continue;
		} else {
			break;
		}
		in->rex = 0; /* a REX counts only right before the opcode */
	}
	if (b == 0x0f) {
		in->map = 1;
		b = dctx_byte(c);
		if (b == 0x38 || b == 0x3a) {
			in->map = b == 0x38 ? 2 : 3;
			b = dctx_byte(c);
		}
	}
	in->opcode = b;
}

/* Decodes one instruction into c->in; -1 when it is not one. */
static int decode(struct dctx *c)
{
	struct x86_insn *in = c->in;
	struct opdesc d;

	decode_opcode(c);
	if (c->err || lookup(c, &d) < 0 || c->err)
		return -1;
	if (((d.flags & F_I64) && in->mode == 64) || ((d.flags & F_O64) && in->mode != 64))
		return -1;
	if ((d.flags & F_RM0) && (in->modrm & 7))
		return -1;
	c->vidx = in->rep == 0xf3 ? 2 : in->rep == 0xf2 ? 3 : c->p66 ? 1 : 0;
	if (fixup(c, &d) < 0)
		return -1;
	set_sizes(c, d.flags);
	if (in->has_modrm && in->modrm >> 6 != 3 && !(d.flags & F_RMREG))
		decode_mem(c);
	if (d.flags & F_X87)
		return decode_x87(c);

	int anon = name_insn(c, &d);
	if (anon < 0)
		return -1;
	for (unsigned i = 0; i < 3 && d.ops[i]; i++) {
		struct x86_operand op = { 0 };
		decode_operand(c, d.ops[i], &op);
		if (!anon)
			in->ops[in->nops++] = op;
	}
	if (anon) {
		snprintf(in->mnemonic, sizeof(in->mnemonic), "(0f%s %02x)",
			 in->map == 2 ? " 38" : in->map == 3 ? " 3a" : "", in->opcode);
	}
	if (in->rep && (d.flags & (F_REP | F_REPE)))
		in->rep_kind = d.flags & F_REP ? 1 : 2;
	return 0;
}

int x86_decode(const uint8_t *bytes, size_t len, int mode, struct x86_insn *out)
{
	if (!out)
		return -1;
	memset(out, 0, sizeof(*out));
	if ((!bytes && len) || (mode != 16 && mode != 32 && mode != 64))
		return -1;

	struct dctx c = { .p = bytes, .len = len, .in = out, .seg = X86_NO_REG };
	out->mode = (uint8_t)mode;
	if (decode(&c) < 0 || c.err) {
		bool truncated = c.err == ERR_TRUNC;
		memset(out, 0, sizeof(*out));
		out->mode = (uint8_t)mode;
		out->truncated = truncated;
		return -1;
	}
	out->len = (uint8_t)c.pos;
	return (int)c.pos;
}
