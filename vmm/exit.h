/*
 * exit.h - decoding a vCPU's exit to user space into an action.
 *
 * exit_decode() is a pure function of the kvm_run page: it reads nothing
 * else and changes nothing, so unit tests feed it made-up exits without
 * KVM. It validates what KVM hands over (the PIO data offset and count
 * against the mapping's size) so the vCPU loop can trust the action.
 */
#ifndef VMM_EXIT_H
#define VMM_EXIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/kvm_compat.h"

enum exit_action_kind {
	EXIT_ACT_PIO,              /* port I/O: dispatch on the PIO bus */
	EXIT_ACT_MMIO,             /* MMIO: dispatch on the MMIO bus */
	EXIT_ACT_RETRY,            /* nothing to do: run again (HLT with a user irqchip, IRQ window) */
	EXIT_ACT_SHUTDOWN,         /* triple fault or guest shutdown: fatal */
	EXIT_ACT_FAIL_ENTRY,       /* hardware refused entry: fatal */
	EXIT_ACT_INTERNAL_ERROR,   /* KVM could not continue (emulation failure...): fatal */
	EXIT_ACT_SYSTEM_EVENT,     /* the guest asked for power off or reset */
	EXIT_ACT_DIRTY_RING_FULL,  /* harvest the dirty rings, then run again */
	EXIT_ACT_HYPERCALL,        /* KVM_EXIT_HYPERCALL: refused (no hypercall path) */
	EXIT_ACT_DEBUG,            /* debug exit */
	EXIT_ACT_UNKNOWN,          /* an exit reason this VMM does not handle: fatal */
	EXIT_ACT_BAD,              /* KVM's data is inconsistent (e.g. PIO data out of the page) */
};

struct exit_action {
	enum exit_action_kind kind;
	uint32_t reason; /* run->exit_reason */
	union {
		struct {
			uint16_t port;
			uint8_t size;  /* 1, 2 or 4 */
			bool write;
			uint32_t count;
			uint32_t data_offset; /* within the kvm_run mapping */
		} pio;
		struct {
			uint64_t addr;
			uint32_t len; /* 1..8 */
			bool write;
		} mmio;
		struct {
			uint32_t suberror;
			uint32_t ndata;
			uint64_t data[16];
			/* KVM_INTERNAL_ERROR_EMULATION with instruction bytes */
			uint8_t insn_size;
			uint8_t insn_bytes[15];
		} internal;
		struct {
			uint64_t hardware_reason;
			uint32_t cpu;
		} fail_entry;
		struct {
			uint32_t type; /* KVM_SYSTEM_EVENT_* */
		} system_event;
		struct {
			uint64_t nr;
		} hypercall;
	} u;
};

/* Decode run (a mapping of run_size bytes). Never fails: bad data gives EXIT_ACT_BAD. */
void exit_decode(const struct kvm_run *run, size_t run_size, struct exit_action *act);

/* "KVM_EXIT_IO", "KVM_EXIT_SHUTDOWN", ... or "unknown". */
const char *exit_reason_name(uint32_t reason);

/* "emulation failure", "simultaneous exception", ... for KVM_INTERNAL_ERROR_*. */
const char *exit_suberror_name(uint32_t suberror);

#endif
