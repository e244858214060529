/*
 * dump.c - the report printed when a guest reaches a fatal state: why,
 * the registers that matter, and the code at RIP decoded.
 */
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vmm/log.h"
#include "vmm/pagewalk.h"
#include "vmm/vm.h"
#include "vmm/x86_decode.h"

/* The mode the vCPU fetches instructions in: 16, 32 or 64. */
static int dump_code_mode(const struct kvm_sregs *s)
{
	if ((s->efer & (1ULL << 10)) && s->cs.l)
		return 64;
	if (!(s->cr0 & 1))
		return 16;
	return s->cs.db ? 32 : 16;
}

/* Copy up to len code bytes at cs.base + rip, page by page; returns how many. */
static size_t dump_read_code(const struct vm *vm, const struct kvm_sregs *s, uint64_t rip,
			     uint8_t *buf, size_t len)
{
	struct pagewalk_regs r = { s->cr0, s->cr3, s->cr4, s->efer };
	uint64_t gva = (dump_code_mode(s) == 64 ? 0 : s->cs.base) + rip;
	size_t got = 0;

	while (got < len) {
		uint64_t gpa, chunk = 4096 - ((gva + got) & 4095);
		const void *p;

		if (chunk > len - got)
			chunk = len - got;
		if (pagewalk_translate(&vm->mem, &r, gva + got, &gpa))
			break;
		p = guest_mem_ptr(&vm->mem, gpa, chunk);
		if (!p)
			break;
		memcpy(buf + got, p, chunk);
		got += chunk;
	}
	return got;
}

static void dump_code(FILE *f, const uint8_t *bytes, size_t n, int mode, uint64_t rip,
		      const char *what)
{
	char text[2048];

	fprintf(f, "  %s:", what);
	for (size_t i = 0; i < n; i++)
		fprintf(f, " %02x", bytes[i]);
	fprintf(f, "\n");
	if (n && x86_disasm(bytes, n, mode, rip, text, sizeof(text)) > 0)
		fprintf(f, "%s", text);
}

static const char *dump_hint(const uint8_t *code, size_t n)
{
	if (n >= 3 && code[0] == 0x0f && code[1] == 0x01 && (code[2] == 0xc1 || code[2] == 0xd9))
		return "the vCPU is at a hypercall (vmcall/vmmcall): this host's KVM never returns "
		       "from one; guests talk to vmm by port I/O";
	if (n >= 1 && code[0] == 0xf4)
		return "the vCPU is at HLT";
	return NULL;
}

void dump_vcpu(struct vcpu *vcpu, const char *why, const struct exit_action *act)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	uint8_t code[16];
	size_t n = 0;
	const char *hint = NULL;
	FILE *f = stderr;
	int mode = 64;
	bool have_regs, have_sregs;

	have_regs = ioctl(vcpu->fd, KVM_GET_REGS, &regs) == 0;
	have_sregs = ioctl(vcpu->fd, KVM_GET_SREGS, &sregs) == 0;

	flockfile(f);
	fprintf(f, "vmm: fatal: vcpu %d: %s\n", vcpu->id, why);
	if (act)
		fprintf(f, "  exit reason: %s (%u)\n", exit_reason_name(act->reason), act->reason);
	if (act && act->kind == EXIT_ACT_INTERNAL_ERROR) {
		fprintf(f, "  suberror: %u (%s), %u data words:", act->u.internal.suberror,
			exit_suberror_name(act->u.internal.suberror), act->u.internal.ndata);
		for (uint32_t i = 0; i < act->u.internal.ndata; i++)
			fprintf(f, " %#llx", (unsigned long long)act->u.internal.data[i]);
		fprintf(f, "\n");
	}
	if (have_regs) {
		fprintf(f, "  rip %016llx  rsp %016llx  rflags %08llx\n",
			(unsigned long long)regs.rip, (unsigned long long)regs.rsp,
			(unsigned long long)regs.rflags);
		fprintf(f, "  rax %016llx  rbx %016llx  rcx %016llx  rdx %016llx\n",
			(unsigned long long)regs.rax, (unsigned long long)regs.rbx,
			(unsigned long long)regs.rcx, (unsigned long long)regs.rdx);
		fprintf(f, "  rsi %016llx  rdi %016llx  rbp %016llx\n",
			(unsigned long long)regs.rsi, (unsigned long long)regs.rdi,
			(unsigned long long)regs.rbp);
	}
	if (have_sregs) {
		mode = dump_code_mode(&sregs);
		fprintf(f, "  cr0 %08llx  cr2 %016llx  cr3 %016llx  cr4 %08llx  efer %llx\n",
			(unsigned long long)sregs.cr0, (unsigned long long)sregs.cr2,
			(unsigned long long)sregs.cr3, (unsigned long long)sregs.cr4,
			(unsigned long long)sregs.efer);
		fprintf(f, "  cs %04x (base %llx, %d-bit)  ss %04x  cpl %d\n", sregs.cs.selector,
			(unsigned long long)sregs.cs.base, mode, sregs.ss.selector, sregs.cs.selector & 3);
	}
	if (act && act->kind == EXIT_ACT_INTERNAL_ERROR && act->u.internal.insn_size) {
		dump_code(f, act->u.internal.insn_bytes, act->u.internal.insn_size, mode,
			  have_regs ? regs.rip : 0, "instruction bytes (from KVM)");
		hint = dump_hint(act->u.internal.insn_bytes, act->u.internal.insn_size);
	}
	if (have_regs && have_sregs) {
		n = dump_read_code(vcpu->vm, &sregs, regs.rip, code, sizeof(code));
		if (n && act && act->kind == EXIT_ACT_INTERNAL_ERROR && act->u.internal.insn_size &&
		    !memcmp(code, act->u.internal.insn_bytes,
			    n < act->u.internal.insn_size ? n : act->u.internal.insn_size)) {
			/* the same bytes as KVM's: printed above */
		} else if (n) {
			dump_code(f, code, n, mode, regs.rip, "code at rip");
			if (!hint)
				hint = dump_hint(code, n);
		} else {
			fprintf(f, "  code at rip: not in guest RAM\n");
		}
	}
	if (hint)
		fprintf(f, "  note: %s\n", hint);
	fflush(f);
	funlockfile(f);
}
