/*
 * test_x86_decode.c - the instruction decoder behind fatal-state dumps.
 *
 * Known encodings (ground truth from GNU as + objdump) with their lengths
 * and text; invalid and truncated encodings; random bytes and every
 * legacy-prefix combination, with the invariants the dumps rely on (a
 * length of 1..15 within the buffer, decoding stable under truncation);
 * the disassembly listing. When objdump is installed, the lengths of a
 * few thousand generated instructions are also compared against it.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/unit.h"
#include "vmm/x86_decode.h"

struct known {
	int mode;
	const char *hex;
	const char *text; /* formatted with rip 0x1000 */
};

static const struct known known[] = {
	{ 64, "8b4310", "mov eax, [rbx+0x10]" }, { 64, "48897df8", "mov [rbp-0x8], rdi" },
	{ 64, "4f8ba4f578563412", "mov r12, [r13+r14*8+0x12345678]" },
	{ 64, "8a0500010000", "mov al, [rip+0x100]" }, { 64, "c60012", "mov byte [rax], 0x12" },
	{ 64, "c7044878563412", "mov dword [rax+rcx*2], 0x12345678" },
	{ 64, "48c700ffffffff", "mov qword [rax], 0xffffffffffffffff" },
	{ 64, "48b88877665544332211", "mov rax, 0x1122334455667788" },
	{ 64, "a08877665544332211", "mov al, [0x1122334455667788]" }, { 64, "4188f0", "mov r8b, sil" },
	{ 64, "88dc", "mov ah, bl" }, { 64, "8ec0", "mov es, eax" }, { 64, "8cd8", "mov eax, ds" },
	{ 64, "0f22d8", "mov cr3, rax" }, { 64, "0f20c0", "mov rax, cr0" },
	{ 64, "440f22c1", "mov cr8, rcx" }, { 64, "0f21fa", "mov rdx, dr7" },
	{ 64, "0f23c0", "mov dr0, rax" }, { 64, "83c001", "add eax, 0x1" },
	{ 64, "4883c4f8", "add rsp, 0xfffffffffffffff8" }, { 64, "800701", "add byte [rdi], 0x1" },
	{ 64, "81c900010000", "or ecx, 0x100" }, { 64, "4811da", "adc rdx, rbx" },
	{ 64, "1c03", "sbb al, 0x3" }, { 64, "83e4f0", "and esp, 0xfffffff0" },
	{ 64, "48832d2000000005", "sub qword [rip+0x20], 0x5" }, { 64, "31c0", "xor eax, eax" },
	{ 64, "664183f907", "cmp r9w, 0x7" }, { 64, "55", "push rbp" }, { 64, "4157", "push r15" },
	{ 64, "5b", "pop rbx" }, { 64, "6a12", "push 0x12" }, { 64, "6878563412", "push 0x12345678" },
	{ 64, "ff30", "push qword [rax]" }, { 64, "8f4208", "pop qword [rdx+0x8]" },
	{ 64, "0fa0", "push fs" }, { 64, "0fa9", "pop gs" },
	{ 64, "488d05f0ffffff", "lea rax, [rip-0x10]" }, { 64, "8d0c40", "lea ecx, [rax+rax*2]" },
	{ 64, "498d1424", "lea rdx, [r12]" }, { 64, "498d5500", "lea rdx, [r13]" },
	{ 64, "488d342500100000", "lea rsi, [0x1000]" }, { 64, "eb0e", "jmp 0x1010" },
	{ 64, "e9fb0f0000", "jmp 0x2000" }, { 64, "ffe0", "jmp rax" },
	{ 64, "ff6008", "jmp qword [rax+0x8]" }, { 64, "75fc", "jne 0xffe" },
	{ 64, "0f84fa010000", "je 0x1200" }, { 64, "e8fb000000", "call 0x1100" },
	{ 64, "ffd0", "call rax" }, { 64, "ff1530000000", "call qword [rip+0x30]" }, { 64, "c3", "ret" },
	{ 64, "c20800", "ret 0x8" }, { 64, "cb", "retf" }, { 64, "85c0", "test eax, eax" },
	{ 64, "f60680", "test byte [rsi], 0x80" }, { 64, "49f7c000100000", "test r8, 0x1000" },
	{ 64, "ff00", "inc dword [rax]" }, { 64, "49ffca", "dec r10" }, { 64, "fec0", "inc al" },
	{ 64, "d1e0", "shl eax, 0x1" }, { 64, "48d3eb", "shr rbx, cl" },
	{ 64, "c13803", "sar dword [rax], 0x3" }, { 64, "66c1c004", "rol ax, 0x4" },
	{ 64, "d01b", "rcr byte [rbx], 0x1" }, { 64, "48f7e1", "mul rcx" },
	{ 64, "f737", "div dword [rdi]" }, { 64, "49f7fb", "idiv r11" }, { 64, "0fafc3", "imul eax, ebx" },
	{ 64, "6b0110", "imul eax, [rcx], 0x10" }, { 64, "4869c200100000", "imul rax, rdx, 0x1000" },
	{ 64, "48f7d8", "neg rax" }, { 64, "f610", "not byte [rax]" },
	{ 64, "0fb606", "movzx eax, byte [rsi]" }, { 64, "0fb7c8", "movzx ecx, ax" },
	{ 64, "480fbf07", "movsx rax, word [rdi]" }, { 64, "486307", "movsxd rax, dword [rdi]" },
	{ 64, "0fbec1", "movsx eax, cl" }, { 64, "0f44c3", "cmove eax, ebx" },
	{ 64, "480f4907", "cmovns rax, [rdi]" }, { 64, "0f94c0", "sete al" },
	{ 64, "0f9f00", "setg byte [rax]" }, { 64, "f3a4", "rep movsb" }, { 64, "f348ab", "rep stosq" },
	{ 64, "f3a6", "repe cmpsb" }, { 64, "f2ae", "repne scasb" }, { 64, "a5", "movsd" },
	{ 64, "f36c", "rep insb" }, { 64, "f36f", "rep outsd" }, { 64, "ec", "in al, dx" },
	{ 64, "e560", "in eax, 0x60" }, { 64, "ee", "out dx, al" }, { 64, "66e780", "out 0x80, ax" },
	{ 64, "90", "nop" }, { 64, "0f1f0400", "nop dword [rax+rax]" }, { 64, "f390", "pause" },
	{ 64, "cd80", "int 0x80" }, { 64, "cc", "int3" }, { 64, "f1", "int1" }, { 64, "48cf", "iretq" },
	{ 64, "cf", "iretd" }, { 64, "fa", "cli" }, { 64, "fb", "sti" }, { 64, "fc", "cld" },
	{ 64, "fd", "std" }, { 64, "f4", "hlt" }, { 64, "0f01c1", "vmcall" }, { 64, "0f01d9", "vmmcall" },
	{ 64, "0f01c2", "vmlaunch" }, { 64, "0f01c3", "vmresume" }, { 64, "0f01ca", "clac" },
	{ 64, "0f01cb", "stac" }, { 64, "0f0110", "lgdt [rax]" },
	{ 64, "0f011d00010000", "lidt [rip+0x100]" }, { 64, "0f010424", "sgdt [rsp]" },
	{ 64, "0f010b", "sidt [rbx]" }, { 64, "0f01f0", "lmsw ax" }, { 64, "0f01e0", "smsw eax" },
	{ 64, "0f013f", "invlpg [rdi]" }, { 64, "0f01f8", "swapgs" }, { 64, "0f01f9", "rdtscp" },
	{ 64, "0f30", "wrmsr" }, { 64, "0f32", "rdmsr" }, { 64, "0fa2", "cpuid" },
	{ 64, "0f05", "syscall" }, { 64, "0f07", "sysret" }, { 64, "480f07", "sysretq" },
	{ 64, "0f34", "sysenter" }, { 64, "0f35", "sysexit" }, { 64, "0f0b", "ud2" },
	{ 64, "0f06", "clts" }, { 64, "0f09", "wbinvd" }, { 64, "0f08", "invd" },
	{ 64, "0fae27", "xsave [rdi]" }, { 64, "0fae2f", "xrstor [rdi]" },
	{ 64, "480fae27", "xsave64 [rdi]" }, { 64, "0fae00", "fxsave [rax]" },
	{ 64, "480fae08", "fxrstor64 [rax]" }, { 64, "0fc70f", "cmpxchg8b qword [rdi]" },
	{ 64, "480fc70f", "cmpxchg16b xmmword [rdi]" },
	{ 64, "f0480fc70f", "lock cmpxchg16b xmmword [rdi]" }, { 64, "f00100", "lock add [rax], eax" },
	{ 64, "f00fc10b", "lock xadd [rbx], ecx" }, { 64, "f04c0fb102", "lock cmpxchg [rdx], r8" },
	{ 64, "4990", "xchg r8, rax" }, { 64, "8708", "xchg [rax], ecx" },
	{ 64, "d900", "fld dword [rax]" }, { 64, "dd1b", "fstp qword [rbx]" },
	{ 64, "db29", "fld tbyte [rcx]" }, { 64, "d8c2", "fadd st, st(2)" },
	{ 64, "dec3", "faddp st(3), st" }, { 64, "d9c9", "fxch st(1)" }, { 64, "dfe0", "fnstsw ax" },
	{ 64, "d9ee", "fldz" }, { 64, "6698", "cbw" }, { 64, "98", "cwde" }, { 64, "4898", "cdqe" },
	{ 64, "4899", "cqo" }, { 64, "9c", "pushfq" }, { 64, "9d", "popfq" },
	{ 64, "c8100000", "enter 0x10, 0x0" }, { 64, "c9", "leave" }, { 64, "d7", "xlatb" },
	{ 64, "490fcc", "bswap r12" }, { 64, "0fbae003", "bt eax, 0x3" },
	{ 64, "480fab08", "bts [rax], rcx" }, { 64, "0fa4d804", "shld eax, ebx, 0x4" },
	{ 64, "480fadd0", "shrd rax, rdx, cl" }, { 64, "0fc1c8", "xadd eax, ecx" },
	{ 64, "0f03c1", "lsl eax, ecx" }, { 64, "0f0200", "lar eax, word [rax]" },
	{ 64, "0f00c0", "sldt eax" }, { 64, "660f00c8", "str ax" }, { 64, "0f00d8", "ltr ax" },
	{ 64, "0f0010", "lldt word [rax]" }, { 64, "e20e", "loop 0x1010" }, { 64, "e30e", "jrcxz 0x1010" },
	{ 64, "67e30d", "jecxz 0x1010" }, { 64, "f30fb8c1", "popcnt eax, ecx" },
	{ 64, "f3480fbcc2", "tzcnt rax, rdx" }, { 64, "f30fbd07", "lzcnt eax, [rdi]" },
	{ 64, "0fbcc1", "bsf eax, ecx" }, { 64, "0fc7f0", "rdrand eax" }, { 64, "480fc7f8", "rdseed rax" },
	{ 64, "f30fc7f8", "rdpid rax" }, { 64, "f3480faec0", "rdfsbase rax" },
	{ 64, "f3480faed9", "wrgsbase rcx" }, { 64, "f30f1efa", "endbr64" }, { 64, "0faee8", "lfence" },
	{ 64, "0faef0", "mfence" }, { 64, "0faef8", "sfence" }, { 64, "0fae38", "clflush [rax]" },
	{ 64, "0f1800", "prefetchnta [rax]" }, { 64, "0f28c1", "movaps xmm0, xmm1" },
	{ 64, "660f6f5c2410", "movdqa xmm3, [rsp+0x10]" }, { 64, "f3440f7f07", "movdqu [rdi], xmm8" },
	{ 64, "660fefc0", "pxor xmm0, xmm0" }, { 64, "0fefca", "pxor mm1, mm2" },
	{ 64, "660f6ec0", "movd xmm0, eax" }, { 64, "66480f6ec0", "movq xmm0, rax" },
	{ 64, "66480f7ec8", "movq rax, xmm1" }, { 64, "f30f7eca", "movq xmm1, xmm2" },
	{ 64, "f30f5800", "addss xmm0, [rax]" }, { 64, "f2480f2ac0", "cvtsi2sd xmm0, rax" },
	{ 64, "660f2eca", "ucomisd xmm1, xmm2" }, { 64, "660f70c11b", "pshufd xmm0, xmm1, 0x1b" },
	{ 64, "660f73d904", "psrldq xmm1, 0x4" }, { 64, "0fae1424", "ldmxcsr dword [rsp]" },
	{ 64, "0f01c8", "monitor" }, { 64, "0f01c9", "mwait" }, { 64, "0f01d0", "xgetbv" },
	{ 64, "0f01c4", "vmxoff" }, { 64, "0f01d8", "vmrun" }, { 64, "0f38f007", "movbe eax, [rdi]" },
	{ 64, "f20f38f007", "crc32 eax, byte [rdi]" }, { 64, "f2480f38f107", "crc32 rax, [rdi]" },
	{ 64, "660f3800c1", "(0f 38 00)" }, { 64, "660f3a0fc104", "(0f 3a 0f)" },
	{ 64, "660f3a22c001", "(0f 3a 22)" }, { 64, "0f78d8", "vmread rax, rbx" },
	{ 64, "0f7918", "vmwrite rbx, [rax]" }, { 64, "0fc730", "vmptrld qword [rax]" },
	{ 64, "660fc730", "vmclear qword [rax]" }, { 64, "f30fc730", "vmxon qword [rax]" },
	{ 64, "644889042528000000", "mov fs:[0x28], rax" }, { 64, "65488b00", "mov rax, gs:[rax]" },
	{ 64, "48ff28", "jmp far [rax]" }, { 64, "ff5c2408", "call far [rsp+0x8]" },
	{ 64, "66e90102", "jmp 0x1205" }, { 64, "416489c0", "mov eax, eax" }, { 64, "48f3ab", "rep stosd" }, { 64, "9b", "fwait" }, { 64, "dbe3", "fninit" },
	{ 64, "c6f801", "xabort 0x1" },
	{ 64, "c7f8fa000000", "xbegin 0x1100" }, { 64, "0f01d5", "xend" },
	{ 64, "418b0424", "mov eax, [r12]" }, { 64, "8b4500", "mov eax, [rbp]" },
	{ 64, "438b442500", "mov eax, [r13+r12]" }, { 64, "428b04a4", "mov eax, [rsp+r12*4]" },
	{ 64, "678b445804", "mov eax, [eax+ebx*2+0x4]" }, { 64, "678b0510000000", "mov eax, [eip+0x10]" },
	{ 32, "8b4310", "mov eax, [ebx+0x10]" }, { 32, "a100100000", "mov eax, [0x1000]" },
	{ 32, "67668b4004", "mov ax, [bx+si+0x4]" }, { 32, "89442404", "mov [esp+0x4], eax" },
	{ 32, "50", "push eax" }, { 32, "07", "pop es" }, { 32, "0e", "push cs" }, { 32, "60", "pushad" },
	{ 32, "61", "popad" }, { 32, "40", "inc eax" }, { 32, "49", "dec ecx" },
	{ 32, "63d8", "arpl ax, bx" }, { 32, "6201", "bound eax, [ecx]" },
	{ 32, "c403", "les eax, [ebx]" }, { 32, "c530", "lds esi, [eax]" },
	{ 32, "0fb220", "lss esp, [eax]" }, { 32, "d40a", "aam 0xa" }, { 32, "d510", "aad 0x10" },
	{ 32, "27", "daa" }, { 32, "ce", "into" }, { 32, "ea000010001000", "jmp far 0x10:0x100000" },
	{ 32, "9a341200000800", "call far 0x8:0x1234" }, { 32, "ff28", "jmp far [eax]" },
	{ 32, "ff18", "call far [eax]" }, { 32, "eb0e", "jmp 0x1010" },
	{ 32, "e8fb0f0000", "call 0x2000" }, { 32, "67e302", "jcxz 0x1005" },
	{ 32, "e303", "jecxz 0x1005" }, { 32, "cf", "iretd" }, { 32, "66cf", "iret" },
	{ 32, "0f22c0", "mov cr0, eax" }, { 32, "0f20e0", "mov eax, cr4" }, { 32, "cc", "int3" },
	{ 32, "a034120000", "mov al, [0x1234]" }, { 32, "a334120000", "mov [0x1234], eax" },
	{ 32, "a5", "movsd" }, { 32, "f3a5", "rep movsd" }, { 32, "0f0110", "lgdt [eax]" },
	{ 32, "9c", "pushfd" }, { 32, "669d", "popf" }, { 32, "0f34", "sysenter" },
	{ 32, "0fc708", "cmpxchg8b qword [eax]" }, { 32, "66b83412", "mov ax, 0x1234" },
	{ 32, "b878563412", "mov eax, 0x12345678" },
	{ 16, "8b00", "mov ax, [bx+si]" }, { 16, "66e8fc0f0000", "call 0x2002" },
	{ 16, "8b4310", "mov ax, [bp+di+0x10]" }, { 16, "8b4600", "mov ax, [bp]" },
	{ 16, "a13412", "mov ax, [0x1234]" }, { 16, "67668b03", "mov eax, [ebx]" },
	{ 16, "668b803412", "mov eax, [bx+si+0x1234]" }, { 16, "50", "push ax" }, { 16, "6660", "pushad" },
	{ 16, "eb0e", "jmp 0x1010" }, { 16, "e9fd0f", "jmp 0x2000" }, { 16, "e8fd00", "call 0x1100" },
	{ 16, "eaf0ff00f0", "jmp far 0xf000:0xfff0" }, { 16, "0f0117", "lgdt [bx]" },
	{ 16, "0f22c0", "mov cr0, eax" }, { 16, "cf", "iret" }, { 16, "cb", "retf" },
	{ 16, "8d44fe", "lea ax, [si-0x2]" }, { 16, "830505", "add word [di], 0x5" },
	{ 16, "cd10", "int 0x10" }, { 16, "e460", "in al, 0x60" }, { 16, "e680", "out 0x80, al" },
	{ 16, "f4", "hlt" },
};

/* Parses a hex string into bytes; returns the count. */
static size_t parse_hex(const char *hex, uint8_t *out, size_t max)
{
	size_t n = 0;
	while (hex[0] && hex[1] && n < max) {
		char pair[3] = { hex[0], hex[1], 0 };
		out[n++] = (uint8_t)strtoul(pair, NULL, 16);
		hex += 2;
	}
	return n;
}

/* Decodes from the end of a heap buffer, so that ASan catches any read
 * past len. */
static int decode_exact(const uint8_t *bytes, size_t len, int mode, struct x86_insn *in)
{
	static uint8_t *heap;
	enum { HEAP = 64 };

	if (!heap && !(heap = malloc(HEAP)))
		abort();
	if (len > HEAP)
		len = HEAP;
	memmove(heap + HEAP - len, bytes, len);
	return x86_decode(heap + HEAP - len, len, mode, in);
}

static void test_known_encodings(void)
{
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		const struct known *k = &known[i];
		uint8_t b[32];
		size_t len = parse_hex(k->hex, b, sizeof(b));
		struct x86_insn in;
		char text[128] = "";

		int n = decode_exact(b, len, k->mode, &in);
		if (n != (int)len)
			fprintf(stderr, "  %d-bit %s\n", k->mode, k->hex);
		CHECK_EQ(n, len);
		in.rip = 0x1000;
		if (n > 0)
			x86_format(&in, text, sizeof(text));
		CHECK_STR(text, k->text);
	}
}

/* Every known encoding cut short is reported as truncated; with bytes
 * after it, its length does not change. */
static void test_truncation(void)
{
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		uint8_t b[32];
		size_t len = parse_hex(known[i].hex, b, 16);
		struct x86_insn in;

		for (size_t cut = 0; cut < len; cut++) {
			CHECK_EQ(decode_exact(b, cut, known[i].mode, &in), -1);
			CHECK(in.truncated);
		}
		memset(b + len, 0x90, sizeof(b) - len);
		CHECK_EQ(decode_exact(b, 16, known[i].mode, &in), len);
	}
}

static void test_invalid(void)
{
	static const struct {
		int mode;
		const char *hex, *what;
	} bad[] = {
		{ 64, "c5f877", "VEX (vzeroupper)" },
		{ 64, "c4e27d1800", "VEX3" },
		{ 64, "62f17c4828c1", "EVEX" },
		{ 64, "8fe87801c0", "XOP / pop with reg != 0" },
		{ 64, "06", "push es in 64-bit mode" },
		{ 64, "ea0000000000", "far jmp ptr in 64-bit mode" },
		{ 64, "d40a", "aam in 64-bit mode" },
		{ 32, "0f01f8", "swapgs outside 64-bit mode" },
		{ 64, "0f0f", "3DNow!" },
		{ 64, "0f0e", "femms" },
		{ 64, "0f04", "unassigned 0f 04" },
		{ 64, "0f2400", "mov from test register" },
		{ 64, "8ef8", "mov to segment register 7" },
		{ 64, "8dc0", "lea with a register source" },
		{ 64, "0f01d2", "0f 01 /2 register form" },
		{ 64, "0fc7c8", "cmpxchg8b with a register" },
		{ 64, "fed0", "fe /2" },
		{ 64, "fff8", "ff /7" },
		{ 64, "c6f001", "c6 /6" },
		{ 64, "c6f901", "xabort with rm != 0" },
		{ 64, "dbe4", "8087-only fnsetpm" },
		{ 64, "f30fd7c0", "pmovmskb with f3" },
		{ 64, "66666666666666666666666666666690", "16-byte instruction" },
		{ 8, "90", "bad mode" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t b[32];
		size_t len = parse_hex(bad[i].hex, b, sizeof(b));
		struct x86_insn in;
		int n = decode_exact(b, len, bad[i].mode, &in);
		if (n != -1 || in.truncated)
			fprintf(stderr, "  accepted: %s\n", bad[i].what);
		CHECK_EQ(n, -1);
		CHECK(!in.truncated);
		CHECK_EQ(x86_format(&in, (char[8]){ 0 }, 8), -1);
	}
	/* 15 bytes is the most an instruction may have. */
	uint8_t b15[15];
	struct x86_insn in;
	memset(b15, 0x66, sizeof(b15));
	b15[14] = 0x90;
	CHECK_EQ(decode_exact(b15, sizeof(b15), 64, &in), 15);
	CHECK_EQ(x86_decode(NULL, 0, 64, &in), -1);
	CHECK_EQ(x86_decode(b15, 15, 64, NULL), -1);
}

/* xorshift64*: deterministic, so failures reproduce. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

/* What every decode must satisfy, whatever the bytes. */
static void check_invariants(const uint8_t *b, size_t len, int mode)
{
	struct x86_insn in, again;
	char text[128], small[12];
	int n = decode_exact(b, len, mode, &in);

	if (n < 0)
		return;
	CHECK(n >= 1 && n <= X86_MAX_INSN_LEN && (size_t)n <= len);
	CHECK_EQ(in.len, n);
	int tl = x86_format(&in, text, sizeof(text));
	CHECK(tl > 0 && (size_t)tl < sizeof(text) && strlen(text) == (size_t)tl);
	CHECK_EQ(x86_format(&in, small, sizeof(small)), tl);
	CHECK(strlen(small) < sizeof(small) && strncmp(small, text, strlen(small)) == 0);
	CHECK_EQ(decode_exact(b, (size_t)n, mode, &again), n);
	if (n > 1) {
		CHECK_EQ(decode_exact(b, (size_t)n - 1, mode, &again), -1);
		CHECK(again.truncated);
	}
}

static void test_random_bytes(void)
{
	static const int modes[3] = { 16, 32, 64 };
	uint8_t b[20];

	for (int i = 0; i < 300000; i++) {
		uint64_t r = rng();
		for (size_t j = 0; j < sizeof(b); j++)
			b[j] = (uint8_t)(rng() >> 24);
		if (r & 1) /* steer half of them into the 0F maps */
			b[(r >> 8) % 4] = 0x0f;
		check_invariants(b, (r >> 16) % (sizeof(b) + 1), modes[(r >> 32) % 3]);
		if (unit_cur_failed)
			return;
	}
}

/* Builds prefixes (a subset of pfx), maybe a REX, opcode op (256-511: 0F
 * map) and random bytes into b[0..40). Returns the number of prefixes. */
static size_t build_prefixed(uint8_t *b, unsigned set, bool rex, unsigned op)
{
	static const uint8_t pfx[11] = { 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0xf0, 0xf2, 0xf3,
					 0x66, 0x67 };
	size_t n = 0;

	for (unsigned k = 0; k < 11; k++)
		if (set & (1u << k))
			b[n++] = pfx[k];
	size_t np = n;
	if (rex)
		b[n++] = (uint8_t)(0x40 | (rng() & 15));
	if (op >= 256)
		b[n++] = 0x0f;
	b[n++] = (uint8_t)op;
	while (n < 40)
		b[n++] = (uint8_t)(rng() >> 24);
	return np;
}

/* Every subset of the eleven legacy prefixes, with and without a REX,
 * before a sample of one- and two-byte opcodes, in every mode. */
static void test_prefix_combinations(void)
{
	uint8_t b[40];

	for (unsigned set = 0; set < (1u << 11); set++) {
		for (unsigned i = 0; i < 48; i++) {
			uint64_t r = rng();
			build_prefixed(b, set, r & 1, (unsigned)(r >> 8) % 512);
			check_invariants(b, sizeof(b), 16 << ((r >> 20) % 3));
		}
		if (unit_cur_failed)
			return;
	}
}

/* Segment, lock and repeat prefixes add exactly their own bytes to an
 * instruction's length, before every opcode of both maps. */
static void test_prefix_lengths(void)
{
	uint8_t b[40];

	for (unsigned set = 0; set < (1u << 9); set++) {
		for (unsigned op = 0; op < 512; op++) {
			struct x86_insn with, without;
			size_t np = build_prefixed(b, set, op & 1, op);
			int a = decode_exact(b, sizeof(b), 64, &with);
			int z = decode_exact(b + np, sizeof(b) - np, 64, &without);
			if (a > 0 && z > 0)
				CHECK_EQ(a, z + (int)np);
		}
		if (unit_cur_failed)
			return;
	}
}

static void test_disasm(void)
{
	/* vmcall; mov eax, [rbx+0x10]; then the first two bytes of a jmp */
	static const uint8_t code[] = { 0x0f, 0x01, 0xc1, 0x8b, 0x43, 0x10, 0xe9, 0x00 };
	char buf[512];
	int n = x86_disasm(code, sizeof(code), 64, 0xffffffff81000000ull, buf, sizeof(buf));

	CHECK_STR(buf, "ffffffff81000000: 0f 01 c1                vmcall\n"
		       "ffffffff81000003: 8b 43 10                mov eax, [rbx+0x10]\n"
		       "ffffffff81000006: e9 00                   (truncated)\n");
	CHECK_EQ(n, strlen(buf));

	/* an unknown opcode ends the decoding: the rest is raw bytes */
	uint8_t bad[20] = { 0xf4, 0x0f, 0x04 };
	n = x86_disasm(bad, sizeof(bad), 32, 0x7c00, buf, sizeof(buf));
	CHECK_STR(buf, "7c00: f4                      hlt\n"
		       "7c01: 0f 04 00 00 00 00 00 00 (bad)\n"
		       "7c09: 00 00 00 00 00 00 00 00 .byte\n"
		       "7c11: 00 00 00                .byte\n");
	CHECK_EQ(n, strlen(buf));

	/* only whole lines, always terminated */
	char small[60];
	memset(small, 'x', sizeof(small));
	n = x86_disasm(code, sizeof(code), 64, 0xffffffff81000000ull, small, sizeof(small));
	CHECK_STR(small, "ffffffff81000000: 0f 01 c1                vmcall\n");
	CHECK_EQ(n, strlen(small));
	CHECK_EQ(x86_disasm(code, sizeof(code), 64, 0, small, 1), 0);
	CHECK_STR(small, "");
	CHECK_EQ(x86_disasm(code, sizeof(code), 64, 0, NULL, 10), -1);
	CHECK_EQ(x86_disasm(code, sizeof(code), 12, 0, buf, sizeof(buf)), -1);
	CHECK_EQ(x86_disasm(NULL, 0, 64, 0, buf, sizeof(buf)), 0);
}

static void test_format_cut(void)
{
	static const uint8_t b[] = { 0xf0, 0x48, 0x0f, 0xc7, 0x0f }; /* lock cmpxchg16b */
	struct x86_insn in;
	char buf[64];

	CHECK_EQ(x86_decode(b, sizeof(b), 64, &in), 5);
	int full = x86_format(&in, buf, sizeof(buf));
	CHECK_STR(buf, "lock cmpxchg16b xmmword [rdi]");
	for (size_t size = 0; size < (size_t)full + 2; size++) {
		char cut[64];
		memset(cut, 'x', sizeof(cut));
		CHECK_EQ(x86_format(&in, size ? cut : NULL, size), full);
		if (size)
			CHECK(strlen(cut) == (size <= (size_t)full ? size - 1 : (size_t)full));
	}
}

/* Fills slot[0..16) with an instruction-like byte string: a few legacy
 * prefixes, a REX last (64-bit), then an opcode from one of the maps.
 * objdump splits off a REX that precedes a prefix and merges fwait (9b)
 * with the x87 op after it, so neither leads a candidate. */
static void make_candidate(uint8_t *slot, int mode)
{
	static const uint8_t pfx[11] = { 0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x26, 0x2e, 0x36, 0x3e,
					 0x64, 0x65 };
	size_t n = 0;
	unsigned np = (unsigned)(rng() % 7);

	for (unsigned i = 0; i < (np < 3 ? 0 : np - 3); i++)
		slot[n++] = pfx[rng() % 11];
	if (mode == 64 && (rng() & 1))
		slot[n++] = (uint8_t)(0x40 | (rng() & 15));
	unsigned map = (unsigned)(rng() % 10);
	if (map < 4) {
		uint8_t op;
		do
			op = (uint8_t)(rng() >> 24);
		while (op == 0x9b || op == 0x0f || memchr(pfx, op, sizeof(pfx)) ||
		       (mode == 64 && (op & 0xf0) == 0x40));
		slot[n++] = op;
	} else {
		slot[n++] = 0x0f;
		if (map >= 8)
			slot[n++] = map == 8 ? 0x38 : 0x3a;
	}
	while (n < 16)
		slot[n++] = (uint8_t)(rng() >> 24);
}

static int objdump_compare(int mode, const char *arch, int count)
{
	char path[] = "/tmp/test_x86_decode.XXXXXX";
	int fd = mkstemp(path);
	int mismatches = 0, compared = 0;
	uint8_t *bin = calloc((size_t)count, 32);

	if (fd < 0 || !bin)
		return -1;
	for (int i = 0; i < count; i++) {
		uint8_t *slot = bin + 32 * i;
		make_candidate(slot, mode);
		memset(slot + 16, 0x90, 16);
	}
	if (write(fd, bin, (size_t)count * 32) != (ssize_t)count * 32) {
		close(fd);
		unlink(path);
		free(bin);
		return -1;
	}
	close(fd);

	char cmd[256], line[512];
	snprintf(cmd, sizeof(cmd), "objdump -D -b binary -m %s --insn-width=16 %s", arch, path);
	FILE *p = popen(cmd, "r");
	while (p && fgets(line, sizeof(line), p)) {
		unsigned long addr;
		char *tab = strchr(line, '\t');
		if (!tab || sscanf(line, " %lx:", &addr) != 1 || addr % 32 || addr >= 32ul * count)
			continue;
		int od_len = 0;
		for (char *s = tab + 1; *s && *s != '\t'; s++)
			if (s[0] != ' ' && (s[1] == ' ' || s[1] == '\t' || !s[1]))
				od_len++;
		bool od_bad = strstr(tab, "(bad)") != NULL;
		struct x86_insn in;
		int mine = x86_decode(bin + addr, 16, mode, &in);
		if (mine < 0 || od_bad)
			continue;
		compared++;
		if (mine != od_len) {
			mismatches++;
			fprintf(stderr, "  %d-bit length %d, objdump %d: %s", mode, mine, od_len, tab + 1);
		}
	}
	if (p)
		pclose(p);
	unlink(path);
	free(bin);
	printf("objdump %s: %d compared, %d mismatched\n", arch, compared, mismatches);
	return compared > count / 2 ? mismatches : -1;
}

static void test_against_objdump(void)
{
	if (system("objdump --version >/dev/null 2>&1") != 0) {
		printf("skip test_against_objdump: no objdump\n");
		return;
	}
	CHECK_EQ(objdump_compare(16, "i8086", 4000), 0);
	CHECK_EQ(objdump_compare(32, "i386", 4000), 0);
	CHECK_EQ(objdump_compare(64, "i386:x86-64", 4000), 0);
}

int main(void)
{
	RUN(test_known_encodings);
	RUN(test_truncation);
	RUN(test_invalid);
	RUN(test_random_bytes);
	RUN(test_prefix_combinations);
	RUN(test_prefix_lengths);
	RUN(test_disasm);
	RUN(test_format_cut);
	RUN(test_against_objdump);
	return unit_done();
}
