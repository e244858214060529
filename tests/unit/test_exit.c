/* Exit decoding with made-up kvm_run pages: no KVM needed. */
#include <stdlib.h>

#include "tests/unit/unit.h"
#include "vmm/exit.h"

#define RUN_SIZE 8192

static struct kvm_run *run_page(void)
{
	static _Alignas(4096) unsigned char page[RUN_SIZE];

	memset(page, 0, sizeof(page));
	return (struct kvm_run *)page;
}

static void test_pio_out(void)
{
	struct kvm_run *run = run_page();
	struct exit_action act;

	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = KVM_EXIT_IO_OUT;
	run->io.size = 4;
	run->io.port = 0xf4;
	run->io.count = 1;
	run->io.data_offset = 4096;
	exit_decode(run, RUN_SIZE, &act);
	CHECK_EQ(act.kind, EXIT_ACT_PIO);
	CHECK_EQ(act.u.pio.port, 0xf4);
	CHECK_EQ(act.u.pio.size, 4);
	CHECK_EQ(act.u.pio.write, 1);
	CHECK_EQ(act.u.pio.count, 1);
	CHECK_EQ(act.u.pio.data_offset, 4096);
}

static void test_pio_string_in(void)
{
	struct kvm_run *run = run_page();
	struct exit_action act;

	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = KVM_EXIT_IO_IN;
	run->io.size = 2;
	run->io.port = 0x3f8;
	run->io.count = 2048; /* exactly fills the page after the offset */
	run->io.data_offset = 4096;
	exit_decode(run, RUN_SIZE, &act);
	CHECK_EQ(act.kind, EXIT_ACT_PIO);
	CHECK_EQ(act.u.pio.write, 0);
	CHECK_EQ(act.u.pio.count, 2048);
}

static void test_pio_bad(void)
{
	struct kvm_run *run = run_page();
	struct exit_action act;

	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = KVM_EXIT_IO_OUT;
	run->io.size = 4;
	run->io.count = 1025; /* one element past the mapping */
	run->io.data_offset = 4096;
	exit_decode(run, RUN_SIZE, &act);
	CHECK_EQ(act.kind, EXIT_ACT_BAD);

	run->io.count = 1;
	run->io.data_offset = RUN_SIZE - 2; /* straddles the end */
	exit_decode(run, RUN_SIZE, &act);
	CHECK_EQ(act.kind, EXIT_ACT_BAD);

	run->io.data_offset = 8; /* inside struct kvm_run itself */
	exit_decode(run, RUN_SIZE, &act);
	CHECK_EQ(act.kind, EXIT_ACT_BAD);

	run->io.data_offset = 4096;
	run->io.size = 3;
	exit_decode(run, RUN_SIZE, &act);
	CHECK_EQ(act.kind, EXIT_ACT_BAD);

	run->io.size = 1;
	run->io.count = 0;
	exit_decode(run, RUN_SIZE, &act);
	CHECK_EQ(act.kind, EXIT_ACT_BAD);

	run->io.count = 1;
	run->io.direction = 7;
	exit_decode(run, RUN_SIZE, &act);
	CHECK_EQ(act.kind, EXIT_ACT_BAD);

	run->io.direction = KVM_EXIT_IO_IN;
	run->io.count = 0xffffffffu; /* size * count must not overflow into a small value */
	run->io.size = 4;
	exit_decode(run, RUN_SIZE, &act);
	CHECK_EQ(act.kind, EXIT_ACT_BAD);
}

static void test_mmio(void)
{
	struct kvm_run *run = run_page();
	struct exit_action act;

	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = 0xd0000000;
	run->mmio.len = 4;
	run->mmio.is_write = 1;
	exit_decode(run, RUN_SIZE, &act);
	CHECK_EQ(act.kind, EXIT_ACT_MMIO);
	CHECK_EQ(act.u.mmio.addr, 0xd0000000);
	CHECK_EQ(act.u.mmio.len, 4);
	CHECK_EQ(act.u.mmio.write, 1);

	run->mmio.len = 9;
	exit_decode(run, RUN_SIZE, &act);
	CHECK_EQ(act.kind, EXIT_ACT_BAD);
	run->mmio.len = 0;
	exit_decode(run, RUN_SIZE, &act);
	CHECK_EQ(act.kind, EXIT_ACT_BAD);
}

static void test_fatal_exits(void)
{
	struct kvm_run *run = run_page();
	struct exit_action act;

	run->exit_reason = KVM_EXIT_SHUTDOWN;
	exit_decode(run, RUN_SIZE, &act);
	CHECK_EQ(act.kind, EXIT_ACT_SHUTDOWN);
	CHECK_STR(exit_reason_name(act.reason), "KVM_EXIT_SHUTDOWN");

	run->exit_reason = KVM_EXIT_FAIL_ENTRY;
	run->fail_entry.hardware_entry_failure_reason = 0x80000021;
	run->fail_entry.cpu = 3;
	exit_decode(run, RUN_SIZE, &act);
	CHECK_EQ(act.kind, EXIT_ACT_FAIL_ENTRY);
	CHECK_EQ(act.u.fail_entry.hardware_reason, 0x80000021);
	CHECK_EQ(act.u.fail_entry.cpu, 3);

	run->exit_reason = 0xdead;
	exit_decode(run, RUN_SIZE, &act);
	CHECK_EQ(act.kind, EXIT_ACT_UNKNOWN);
	CHECK_STR(exit_reason_name(act.reason), "unknown");
}

static void test_internal_error_insn_bytes(void)
{
	struct kvm_run *run = run_page();
	struct exit_action act;

	run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	run->emulation_failure.suberror = KVM_INTERNAL_ERROR_EMULATION;
	run->emulation_failure.ndata = 4;
	run->emulation_failure.flags = KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES;
	run->emulation_failure.insn_size = 1;
	run->emulation_failure.insn_bytes[0] = 0xcc;
	exit_decode(run, RUN_SIZE, &act);
	CHECK_EQ(act.kind, EXIT_ACT_INTERNAL_ERROR);
	CHECK_EQ(act.u.internal.suberror, KVM_INTERNAL_ERROR_EMULATION);
	CHECK_EQ(act.u.internal.insn_size, 1);
	CHECK_EQ(act.u.internal.insn_bytes[0], 0xcc);
	CHECK_STR(exit_suberror_name(act.u.internal.suberror), "emulation failure");

	/* an oversized insn_size and ndata are clamped, never trusted */
	run->emulation_failure.insn_size = 200;
	run->emulation_failure.ndata = 1000;
	exit_decode(run, RUN_SIZE, &act);
	CHECK_EQ(act.u.internal.insn_size, 15);
	CHECK_EQ(act.u.internal.ndata, 16);

	/* without the flag there are no instruction bytes */
	run->emulation_failure.flags = 0;
	exit_decode(run, RUN_SIZE, &act);
	CHECK_EQ(act.u.internal.insn_size, 0);
}

static void test_retry_and_events(void)
{
	struct kvm_run *run = run_page();
	struct exit_action act;

	run->exit_reason = KVM_EXIT_INTR;
	exit_decode(run, RUN_SIZE, &act);
	CHECK_EQ(act.kind, EXIT_ACT_RETRY);

	run->exit_reason = KVM_EXIT_SYSTEM_EVENT;
	run->system_event.type = KVM_SYSTEM_EVENT_RESET;
	exit_decode(run, RUN_SIZE, &act);
	CHECK_EQ(act.kind, EXIT_ACT_SYSTEM_EVENT);
	CHECK_EQ(act.u.system_event.type, KVM_SYSTEM_EVENT_RESET);

	run->exit_reason = KVM_EXIT_DIRTY_RING_FULL;
	exit_decode(run, RUN_SIZE, &act);
	CHECK_EQ(act.kind, EXIT_ACT_DIRTY_RING_FULL);

	run->exit_reason = KVM_EXIT_HYPERCALL;
	run->hypercall.nr = 12;
	exit_decode(run, RUN_SIZE, &act);
	CHECK_EQ(act.kind, EXIT_ACT_HYPERCALL);
	CHECK_EQ(act.u.hypercall.nr, 12);
}

int main(void)
{
	RUN(test_pio_out);
	RUN(test_pio_string_in);
	RUN(test_pio_bad);
	RUN(test_mmio);
	RUN(test_fatal_exits);
	RUN(test_internal_error_insn_bytes);
	RUN(test_retry_and_events);
	return unit_done();
}
