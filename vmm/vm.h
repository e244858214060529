/*
 * vm.h - one struct vm owns everything: the KVM handles, guest memory, the
 * buses and devices, and the vCPUs.
 *
 * Lifecycle, called from main() in this order: vm_create(), vm_load(),
 * vm_start(), vm_wait() (returns when the VM stops), vm_destroy().
 * vm_request_stop() may be called from any thread, any number of times;
 * the first call decides the exit status.
 */
#ifndef VMM_VM_H
#define VMM_VM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "devices/exitport.h"
#include "devices/fwcfg.h"
#include "devices/report.h"
#include "devices/uart.h"
#include "vmm/bus.h"
#include "vmm/cli.h"
#include "vmm/exit.h"
#include "vmm/guest_mem.h"
#include "vmm/kvm.h"
#include "vmm/loader.h"

/* Exit statuses of the vmm process that are not the guest's own value. */
#define VM_EXIT_HOST_ERROR 1
#define VM_EXIT_USAGE 2
#define VM_EXIT_FATAL 3
#define VM_EXIT_SIGINT 130
#define VM_EXIT_SIGTERM 143

enum vcpu_kick {
	VCPU_KICK_STOP = 1 << 0,
	VCPU_KICK_WATCHDOG = 1 << 1,
};

/* What the watchdog last saw a vCPU doing. */
enum vcpu_wd_state {
	VCPU_WD_RUNNING = 0, /* running, idle with interrupts on, or not looked at yet */
	VCPU_WD_PARKED,      /* halted with interrupts off: never wakes on this host */
	VCPU_WD_WAIT_SIPI,   /* an AP waiting for INIT/SIPI */
};

/* A vCPU's state as the watchdog compares it from one look to the next. */
struct vcpu_snapshot {
	struct kvm_regs regs;
	uint32_t mp_state;
};

struct vcpu {
	struct vm *vm;
	int id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool thread_started;
	atomic_int kick;            /* enum vcpu_kick bits, set by other threads */
	atomic_ullong in_run_since; /* CLOCK_MONOTONIC ns when KVM_RUN was entered; 0 outside */
	atomic_ullong exits;        /* exits to user space */
	/* watchdog state: touched only by the vCPU thread */
	struct vcpu_snapshot last;
	bool have_last;
	atomic_int wd_state; /* enum vcpu_wd_state, read by every vCPU's watchdog check */
	uint64_t exit_counts[EXIT_ACT_BAD + 1];
};

struct vm {
	const struct vm_config *cfg;
	struct kvm kvm;
	int fd;
	struct guest_mem mem;
	struct bus pio;
	struct bus mmio;
	int nr_vcpus;
	struct vcpu *vcpus;

	struct uart uart;
	struct exitport exitport;
	struct fwcfg fwcfg;
	struct report report;
	int console_fd;

	/* entry state computed by vm_load() */
	uint64_t entry;
	bool long_mode_entry;
	struct boot_long_mode boot_lm; /* plain ELF64 only */
	uint32_t mbi_gpa;

	const char *paging_mode;
	bool two_dimensional_paging;

	/* stopping: guarded by stop_lock; stop_fd is an eventfd main() polls */
	pthread_mutex_t stop_lock;
	atomic_bool stopping;
	int exit_status;
	int stop_fd;
	int rx_fd; /* eventfd: the UART has room for more console input */
	uint64_t start_ns;
};

int vm_create(struct vm *vm, const struct vm_config *cfg);
int vm_load(struct vm *vm, const void *image, size_t image_size);
int vm_start(struct vm *vm);
/* Watch the vCPUs until the VM stops; returns the exit status. */
int vm_wait(struct vm *vm);
void vm_destroy(struct vm *vm);

/*
 * Stop the VM with status (first caller wins): kick every vCPU and wake
 * vm_wait(). Safe from any thread and from vCPU threads themselves.
 */
void vm_request_stop(struct vm *vm, int status);

uint64_t vm_now_ns(void);

/* Print the run's statistics as one JSON line (--json) or, verbose, as text. */
void vm_print_stats(struct vm *vm, FILE *f);

/* vcpu.c */
int vcpu_create(struct vm *vm, struct vcpu *vcpu, int id);
int vcpu_setup_boot(struct vcpu *vcpu);
int vcpu_start(struct vcpu *vcpu);
void vcpu_kick(struct vcpu *vcpu, enum vcpu_kick why);
void vcpu_destroy(struct vcpu *vcpu);

/* dump.c: print a fatal state (why, then registers and code) to stderr */
void dump_vcpu(struct vcpu *vcpu, const char *why, const struct exit_action *act);

#endif
