/*
 * x86_decode.h - a small table-driven x86 decoder for fatal-state dumps.
 *
 * When a guest dies the VMM prints the code bytes at RIP and what they
 * decode to. Everything here is a pure function of a byte buffer: no KVM,
 * no allocation, no global state. Any byte sequence is safe; nothing is
 * read past len.
 *
 * Coverage: legacy prefixes, REX, the one-byte and 0F maps (integer, system,
 * x87, MMX/SSE up to SSE3), and the lengths of the 0F 38 / 0F 3A maps,
 * whose instructions are printed unnamed as "(0f 38 xx)". VEX, EVEX, XOP
 * and 3DNow! encodings, and opcodes that raise #UD, do not decode.
 *
 * Semantics follow AMD64, as objdump does by default: in 64-bit mode an
 * operand-size prefix shortens near branches to 16 bits. Text is Intel
 * syntax: "mov eax, [rbx+0x10]", "lock cmpxchg16b [rdi]", "rep stosq".
 */
#ifndef VMM_X86_DECODE_H
#define VMM_X86_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define X86_MAX_INSN_LEN 15

enum x86_op_kind {
	X86_OP_NONE,
	X86_OP_REG, /* class, reg, size */
	X86_OP_MEM, /* seg, base, index, scale, disp, addr_size, size */
	X86_OP_IMM, /* imm: the value extended to size bytes */
	X86_OP_REL, /* imm: signed displacement from the next instruction */
	X86_OP_FAR, /* sel:imm, a direct far pointer */
};

enum x86_reg_class {
	X86_REG_GPR,    /* 0-15, named by size; size 1 with a REX: spl..r15b */
	X86_REG_GPR8HI, /* ah, ch, dh, bh (0-3) */
	X86_REG_SEG,    /* es, cs, ss, ds, fs, gs */
	X86_REG_CR,
	X86_REG_DR,
	X86_REG_MMX,
	X86_REG_XMM,
	X86_REG_ST,     /* x87 st(0)..st(7) */
};

#define X86_NO_REG -1
#define X86_REG_RIP 16 /* base of a RIP-relative (or EIP-relative) operand */

struct x86_operand {
	uint8_t kind;      /* enum x86_op_kind */
	uint8_t size;      /* bytes; 0 when the instruction does not say */
	uint8_t reg_class; /* enum x86_reg_class, for X86_OP_REG */
	uint8_t reg;
	int8_t seg;        /* segment override of a memory operand, or X86_NO_REG */
	int8_t base;       /* GPR number, X86_REG_RIP, or X86_NO_REG */
	int8_t index;      /* GPR number or X86_NO_REG */
	uint8_t scale;     /* 1, 2, 4 or 8 */
	uint8_t addr_size; /* 2, 4 or 8: names the address registers */
	uint16_t sel;      /* X86_OP_FAR selector */
	int64_t disp;
	uint64_t imm;
};

struct x86_insn {
	uint8_t len;
	uint8_t mode;      /* 16, 32 or 64 */
	uint8_t opsize;    /* effective operand size in bytes: 2, 4 or 8 */
	uint8_t addrsize;  /* effective address size in bytes: 2, 4 or 8 */
	uint8_t map;       /* 0: one-byte, 1: 0F, 2: 0F 38, 3: 0F 3A */
	uint8_t opcode;
	uint8_t modrm, sib;
	bool has_modrm, has_sib;
	uint8_t rex;       /* 0 when absent (or cancelled by a later prefix) */
	uint8_t rep;       /* the last of F2/F3, or 0 */
	uint8_t rep_kind;  /* 0: none shown, 1: "rep", 2: "repe"/"repne" */
	bool lock;
	bool truncated;    /* decoding failed because len ran out */
	char mnemonic[16];
	uint8_t nops;
	struct x86_operand ops[3];
	/* Address of the instruction: x86_decode() sets 0; set it before
	 * x86_format() to print absolute branch targets. */
	uint64_t rip;
};

/*
 * Decodes one instruction from bytes[0..len) in a 16-, 32- or 64-bit code
 * segment. Returns its length (1..15) and fills *out, or -1 when the bytes
 * are not an instruction this decoder knows, when mode is not 16, 32 or
 * 64, or when len ends inside the instruction (then out->truncated is set).
 */
int x86_decode(const uint8_t *bytes, size_t len, int mode, struct x86_insn *out);

/*
 * Prints a decoded instruction in Intel syntax into buf (always
 * NUL-terminated when size > 0). Returns the length of the full text, as
 * snprintf() does, so a return >= size means it was cut; -1 if insn holds
 * no decoded instruction.
 */
int x86_format(const struct x86_insn *insn, char *buf, size_t size);

/*
 * Disassembles bytes[0..len), taken from address rip, one line per
 * instruction: "ffffffff81000010: 0f 01 c1                vmcall". Once
 * the bytes stop decoding, the rest are printed as raw bytes marked
 * "(bad)" or "(truncated)", then ".byte". Writes only whole lines that
 * fit in buf, always NUL-terminated. Returns the number of characters
 * written, or -1 if buf is NULL, size is 0 or mode is invalid.
 */
int x86_disasm(const uint8_t *bytes, size_t len, int mode, uint64_t rip, char *buf,
	       size_t size);

#endif
