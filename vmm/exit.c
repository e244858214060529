#include "vmm/exit.h"

#include <string.h>

static const char *const exit_reason_names[] = {
	[KVM_EXIT_UNKNOWN] = "KVM_EXIT_UNKNOWN",
	[KVM_EXIT_EXCEPTION] = "KVM_EXIT_EXCEPTION",
	[KVM_EXIT_IO] = "KVM_EXIT_IO",
	[KVM_EXIT_HYPERCALL] = "KVM_EXIT_HYPERCALL",
	[KVM_EXIT_DEBUG] = "KVM_EXIT_DEBUG",
	[KVM_EXIT_HLT] = "KVM_EXIT_HLT",
	[KVM_EXIT_MMIO] = "KVM_EXIT_MMIO",
	[KVM_EXIT_IRQ_WINDOW_OPEN] = "KVM_EXIT_IRQ_WINDOW_OPEN",
	[KVM_EXIT_SHUTDOWN] = "KVM_EXIT_SHUTDOWN",
	[KVM_EXIT_FAIL_ENTRY] = "KVM_EXIT_FAIL_ENTRY",
	[KVM_EXIT_INTR] = "KVM_EXIT_INTR",
	[KVM_EXIT_SET_TPR] = "KVM_EXIT_SET_TPR",
	[KVM_EXIT_TPR_ACCESS] = "KVM_EXIT_TPR_ACCESS",
	[KVM_EXIT_NMI] = "KVM_EXIT_NMI",
	[KVM_EXIT_INTERNAL_ERROR] = "KVM_EXIT_INTERNAL_ERROR",
	[KVM_EXIT_OSI] = "KVM_EXIT_OSI",
	[KVM_EXIT_WATCHDOG] = "KVM_EXIT_WATCHDOG",
	[KVM_EXIT_EPR] = "KVM_EXIT_EPR",
	[KVM_EXIT_SYSTEM_EVENT] = "KVM_EXIT_SYSTEM_EVENT",
	[KVM_EXIT_IOAPIC_EOI] = "KVM_EXIT_IOAPIC_EOI",
	[KVM_EXIT_HYPERV] = "KVM_EXIT_HYPERV",
	[KVM_EXIT_X86_RDMSR] = "KVM_EXIT_X86_RDMSR",
	[KVM_EXIT_X86_WRMSR] = "KVM_EXIT_X86_WRMSR",
	[KVM_EXIT_DIRTY_RING_FULL] = "KVM_EXIT_DIRTY_RING_FULL",
	[KVM_EXIT_AP_RESET_HOLD] = "KVM_EXIT_AP_RESET_HOLD",
	[KVM_EXIT_X86_BUS_LOCK] = "KVM_EXIT_X86_BUS_LOCK",
	[KVM_EXIT_NOTIFY] = "KVM_EXIT_NOTIFY",
	[KVM_EXIT_MEMORY_FAULT] = "KVM_EXIT_MEMORY_FAULT",
};

const char *exit_reason_name(uint32_t reason)
{
	if (reason < sizeof(exit_reason_names) / sizeof(exit_reason_names[0]) &&
	    exit_reason_names[reason])
		return exit_reason_names[reason];
	return "unknown";
}

const char *exit_suberror_name(uint32_t suberror)
{
	switch (suberror) {
	case KVM_INTERNAL_ERROR_EMULATION:
		return "emulation failure";
	case KVM_INTERNAL_ERROR_SIMUL_EX:
		return "exception while delivering an exception";
	case KVM_INTERNAL_ERROR_DELIVERY_EV:
		return "exit while delivering an event";
	case KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON:
		return "unexpected exit reason";
	default:
		return "unknown suberror";
	}
}

static void exit_decode_pio(const struct kvm_run *run, size_t run_size, struct exit_action *act)
{
	uint8_t size = run->io.size;
	uint64_t bytes = (uint64_t)size * run->io.count;

	if ((size != 1 && size != 2 && size != 4) || run->io.count == 0 ||
	    run->io.data_offset < sizeof(*run) || run->io.data_offset > run_size ||
	    bytes > run_size - run->io.data_offset ||
	    (run->io.direction != KVM_EXIT_IO_IN && run->io.direction != KVM_EXIT_IO_OUT)) {
		act->kind = EXIT_ACT_BAD;
		return;
	}
	act->kind = EXIT_ACT_PIO;
	act->u.pio.port = run->io.port;
	act->u.pio.size = size;
	act->u.pio.write = run->io.direction == KVM_EXIT_IO_OUT;
	act->u.pio.count = run->io.count;
	act->u.pio.data_offset = (uint32_t)run->io.data_offset;
}

static void exit_decode_internal(const struct kvm_run *run, struct exit_action *act)
{
	uint32_t ndata = run->internal.ndata;

	act->kind = EXIT_ACT_INTERNAL_ERROR;
	act->u.internal.suberror = run->internal.suberror;
	if (ndata > 16)
		ndata = 16;
	act->u.internal.ndata = ndata;
	memcpy(act->u.internal.data, run->internal.data, ndata * sizeof(uint64_t));
	act->u.internal.insn_size = 0;
	if (run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION &&
	    run->emulation_failure.ndata >= 3 &&
	    (run->emulation_failure.flags & KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES)) {
		uint8_t n = run->emulation_failure.insn_size;

		if (n > sizeof(act->u.internal.insn_bytes))
			n = sizeof(act->u.internal.insn_bytes);
		act->u.internal.insn_size = n;
		memcpy(act->u.internal.insn_bytes, run->emulation_failure.insn_bytes, n);
	}
}

void exit_decode(const struct kvm_run *run, size_t run_size, struct exit_action *act)
{
	memset(act, 0, sizeof(*act));
	act->reason = run->exit_reason;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		exit_decode_pio(run, run_size, act);
		break;
	case KVM_EXIT_MMIO:
		if (run->mmio.len == 0 || run->mmio.len > 8) {
			act->kind = EXIT_ACT_BAD;
			break;
		}
		act->kind = EXIT_ACT_MMIO;
		act->u.mmio.addr = run->mmio.phys_addr;
		act->u.mmio.len = run->mmio.len;
		act->u.mmio.write = run->mmio.is_write != 0;
		break;
	case KVM_EXIT_HLT:
	case KVM_EXIT_IRQ_WINDOW_OPEN:
	case KVM_EXIT_INTR:
		act->kind = EXIT_ACT_RETRY;
		break;
	case KVM_EXIT_SHUTDOWN:
		act->kind = EXIT_ACT_SHUTDOWN;
		break;
	case KVM_EXIT_FAIL_ENTRY:
		act->kind = EXIT_ACT_FAIL_ENTRY;
		act->u.fail_entry.hardware_reason = run->fail_entry.hardware_entry_failure_reason;
		act->u.fail_entry.cpu = run->fail_entry.cpu;
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		exit_decode_internal(run, act);
		break;
	case KVM_EXIT_SYSTEM_EVENT:
		act->kind = EXIT_ACT_SYSTEM_EVENT;
		act->u.system_event.type = run->system_event.type;
		break;
	case KVM_EXIT_DIRTY_RING_FULL:
		act->kind = EXIT_ACT_DIRTY_RING_FULL;
		break;
	case KVM_EXIT_HYPERCALL:
		act->kind = EXIT_ACT_HYPERCALL;
		act->u.hypercall.nr = run->hypercall.nr;
		break;
	case KVM_EXIT_DEBUG:
		act->kind = EXIT_ACT_DEBUG;
		break;
	default:
		act->kind = EXIT_ACT_UNKNOWN;
		break;
	}
}
