/*
 * x86_opcodes.h - the opcode tables of the x86 decoder, shared by
 * x86_decode.c (which walks them) and x86_opcodes.c (which holds them).
 * Internal to the decoder: the rest of the VMM includes x86_decode.h.
 *
 * An entry names an opcode and lists its operands in the notation of the
 * Intel SDM opcode map (Eb, Gv, Iz, Jb, ...). Groups (80-83, F6/F7,
 * 0F 01, ...) pick an entry by ModRM.reg, separately for memory and
 * register forms; operands a group entry leaves empty come from the
 * opcode's entry. A name that varies with the operand size, REX.W, the
 * address size or a prefix lists its variants separated by spaces: "-"
 * marks an encoding that raises #UD, "?" one whose length is known but
 * which is printed unnamed.
 */
#ifndef VMM_X86_OPCODES_H
#define VMM_X86_OPCODES_H

#include <stddef.h>
#include <stdint.h>

enum {
	F_M = 1 << 0,       /* a ModRM byte follows */
	F_I64 = 1 << 1,     /* invalid in 64-bit mode */
	F_O64 = 1 << 2,     /* valid only in 64-bit mode */
	F_D64 = 1 << 3,     /* operand size defaults to 64 bits in 64-bit mode */
	F_VSZ = 1 << 4,     /* variants by operand size: 16, 32, 64 */
	F_VW = 1 << 5,      /* variants by REX.W */
	F_VAS = 1 << 6,     /* variants by address size: 16, 32, 64 */
	F_VPFX = 1 << 7,    /* variants by mandatory prefix: none, 66, F3, F2 */
	F_VREP = 1 << 8,    /* variants by repeat prefix: none, F3, F2 */
	F_MX = 1 << 9,      /* MMX form, or SSE2 form with 66; no F2/F3 */
	F_REP = 1 << 10,    /* string op: F3 shown as "rep" */
	F_REPE = 1 << 11,   /* string compare: F3/F2 shown as "repe"/"repne" */
	F_CC = 1 << 12,     /* the low nibble's condition code ends the name */
	F_RMREG = 1 << 13,  /* mod is ignored: rm names a register (mov cr/dr) */
	F_RM0 = 1 << 14,    /* only with ModRM.rm 0 (xabort, xbegin) */
	F_X87 = 1 << 15,    /* x87 escape D8-DF */
	F_ANON = 1 << 16,   /* known length, no name */
};

/* Operand codes, after the Intel SDM opcode map. */
enum {
	O_NONE,
	O_Eb, O_Ew, O_Ed, O_Ev, O_Ey, O_MwRv, O_Gb, O_Gw, O_Gv, O_Gy,
	O_M, O_Mq, O_Mcx, O_Mp, O_Rv, O_Ry, O_Rcr, O_Cd, O_Dd, O_Sw,
	O_Ib, O_Ibs, O_Iw, O_Iz, O_Iv, O_ONE, O_Jb, O_Jz, O_Ap, O_Ob, O_Ov,
	O_AL, O_CL, O_DX, O_AX, O_rAX, O_eAX, O_Zb, O_Zv,
	O_ES, O_CS, O_SS, O_DS, O_FS, O_GS,
	O_V, O_W, O_U, O_PX, O_QX, O_NX, O_ST0, O_STi,
};

enum {
	G_NONE, G1, G1A, G2, G3B, G3V, G4, G5, G6, G7, G8, G9, G11B, G11V,
	G12, G13, G14, G15, G16, GPF, NGROUPS,
};

struct opdesc {
	const char *name;
	uint32_t flags;
	uint8_t grp;
	uint8_t ops[3];
};

extern const struct opdesc x86_op_map1[256];   /* one-byte opcodes */
extern const struct opdesc x86_op_map2[256];   /* 0F xx */
/* [group][0: memory form, 1: register form][ModRM.reg] */
extern const struct opdesc x86_op_groups[NGROUPS][2][8];
/* 0F 01 register forms (ModRM C0-FF) other than smsw and lmsw */
extern const char *const x86_op_grp7_reg[64];
/* x87, by escape D8-DF and ModRM.reg: memory forms with their operand
 * sizes ('a' is 10 bytes, '0' unsized), and register forms with their
 * operands ('a' st, st(i); 'b' st(i), st; 'c' st(i); 's' no st(i) operand,
 * named by ModRM) */
extern const char *const x86_op_x87_mem[8];
extern const char x86_op_x87_msize[8][9];
extern const char *const x86_op_x87_reg[8];
extern const char x86_op_x87_rpat[8][9];
extern const char x86_op_x87_d9[];          /* D9 E0-FF */
extern const char x86_op_cc_names[16][3];   /* condition codes: o, no, b, ... */

#endif
