/*
 * vcpu.c - a vCPU: its KVM file descriptor and kvm_run page, its CPUID,
 * its boot register state, and the thread that runs it.
 *
 * The thread loops on KVM_RUN, decodes each exit with exit_decode() and
 * dispatches I/O to the buses. Other threads reach it only through
 * vcpu_kick(): a flag, immediate_exit and a signal, so that a kick that
 * races with the entry into KVM_RUN is never lost.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "vmm/layout.h"
#include "vmm/log.h"
#include "vmm/vm.h"

#define VCPU_KICK_SIGNAL SIGUSR1
#define CPUID_HYPERVISOR (1u << 31)
#define KVM_CPUID_SIGNATURE 0x40000000u

uint64_t vm_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Per-vCPU CPUID: the host's supported set, with this vCPU's APIC ID and topology. */
static int vcpu_set_cpuid(struct vcpu *vcpu)
{
	const struct kvm_cpuid2 *sup = vcpu->vm->kvm.supported_cpuid;
	struct kvm_cpuid2 *cpuid;
	size_t size = sizeof(*cpuid) + sup->nent * sizeof(sup->entries[0]);
	uint32_t apic_id = (uint32_t)vcpu->id;
	int ret;

	cpuid = malloc(size);
	if (!cpuid)
		return -ENOMEM;
	memcpy(cpuid, sup, size);
	for (uint32_t i = 0; i < cpuid->nent; i++) {
		struct kvm_cpuid_entry2 *e = &cpuid->entries[i];

		switch (e->function) {
		case 1:
			e->ebx = (e->ebx & 0x0000ffffu) | (apic_id << 24) |
				 ((uint32_t)vcpu->vm->nr_vcpus << 16);
			e->ecx |= CPUID_HYPERVISOR;
			if (vcpu->vm->nr_vcpus > 1)
				e->edx |= 1u << 28; /* HTT: the logical count field is valid */
			break;
		case 0xb:
		case 0x1f:
			e->edx = apic_id;
			break;
		case KVM_CPUID_SIGNATURE:
			/* "KVMKVMKVM\0\0\0": the guest looks here before any PV feature */
			e->ebx = 0x4b4d564b;
			e->ecx = 0x564b4d56;
			e->edx = 0x0000004d;
			break;
		default:
			break;
		}
	}
	ret = kvm_ioctl(vcpu->fd, KVM_SET_CPUID2, cpuid, "KVM_SET_CPUID2 vcpu %d nent %u",
			vcpu->id, cpuid->nent);
	free(cpuid);
	return ret < 0 ? ret : 0;
}

int vcpu_create(struct vm *vm, struct vcpu *vcpu, int id)
{
	int ret;

	memset(vcpu, 0, sizeof(*vcpu));
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->fd = kvm_ioctl_int(vm->fd, KVM_CREATE_VCPU, (unsigned long)id,
				 "KVM_CREATE_VCPU id %d", id);
	if (vcpu->fd < 0)
		return vcpu->fd;
	vcpu->run = mmap(NULL, (size_t)vm->kvm.vcpu_mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED,
			 vcpu->fd, 0);
	if (vcpu->run == MAP_FAILED) {
		ret = -errno;
		log_error("mmap of vcpu %d's kvm_run (%d bytes): %s", id, vm->kvm.vcpu_mmap_size,
			  strerror(errno));
		vcpu->run = NULL;
		goto err_close;
	}
	ret = vcpu_set_cpuid(vcpu);
	if (ret)
		goto err_unmap_run;
	return 0;

err_unmap_run:
	munmap(vcpu->run, (size_t)vm->kvm.vcpu_mmap_size);
	vcpu->run = NULL;
err_close:
	close(vcpu->fd);
	vcpu->fd = -1;
	return ret;
}

static void vcpu_flat_segment(struct kvm_segment *s, uint16_t sel, uint8_t type, bool code64)
{
	memset(s, 0, sizeof(*s));
	s->base = 0;
	s->limit = 0xffffffff;
	s->selector = sel;
	s->type = type;
	s->present = 1;
	s->s = 1;
	s->g = 1;
	s->l = code64;
	s->db = !code64;
}

/*
 * The boot processor's entry state: the Multiboot machine state (32-bit
 * protected mode, paging off, EAX magic, EBX info) or, for a plain ELF64,
 * long mode on the VMM's identity tables with the same EAX/EBX.
 */
int vcpu_setup_boot(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	int ret;

	ret = kvm_ioctl(vcpu->fd, KVM_GET_SREGS, &sregs, "KVM_GET_SREGS vcpu %d", vcpu->id);
	if (ret < 0)
		return ret;
	if (vm->long_mode_entry) {
		const struct boot_long_mode *lm = &vm->boot_lm;

		vcpu_flat_segment(&sregs.cs, lm->code_sel, 0xb, true);
		vcpu_flat_segment(&sregs.ds, lm->data_sel, 0x3, false);
		memset(&sregs.tr, 0, sizeof(sregs.tr));
		sregs.tr.selector = lm->tss_sel;
		sregs.tr.base = lm->tss_base;
		sregs.tr.limit = lm->tss_limit;
		sregs.tr.type = 0xb; /* busy 64-bit TSS */
		sregs.tr.present = 1;
		sregs.cr3 = lm->cr3;
		sregs.cr4 = lm->cr4;
		sregs.cr0 = lm->cr0;
		sregs.efer = lm->efer;
		sregs.gdt.base = lm->gdt_base;
		sregs.gdt.limit = lm->gdt_limit;
	} else {
		vcpu_flat_segment(&sregs.cs, 0x08, 0xb, false);
		vcpu_flat_segment(&sregs.ds, 0x10, 0x3, false);
		sregs.cr0 = 0x11; /* PE | ET */
		sregs.cr4 = 0;
		sregs.efer = 0;
	}
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	ret = kvm_ioctl(vcpu->fd, KVM_SET_SREGS, &sregs, "KVM_SET_SREGS vcpu %d", vcpu->id);
	if (ret < 0)
		return ret;

	memset(&regs, 0, sizeof(regs));
	regs.rflags = 0x2;
	regs.rip = vm->entry;
	regs.rax = 0x2badb002;
	regs.rbx = vm->mbi_gpa;
	if (vm->long_mode_entry)
		regs.rsp = LAYOUT_BOOT_PGTABLE; /* a stack below the page tables, for the first calls */
	ret = kvm_ioctl(vcpu->fd, KVM_SET_REGS, &regs, "KVM_SET_REGS vcpu %d", vcpu->id);
	return ret < 0 ? ret : 0;
}

static void vcpu_pio(struct vcpu *vcpu, const struct exit_action *act)
{
	uint8_t *data = (uint8_t *)vcpu->run + act->u.pio.data_offset;

	for (uint32_t i = 0; i < act->u.pio.count; i++, data += act->u.pio.size) {
		if (act->u.pio.write)
			bus_write(&vcpu->vm->pio, act->u.pio.port, data, act->u.pio.size);
		else
			bus_read(&vcpu->vm->pio, act->u.pio.port, data, act->u.pio.size);
	}
}

static void vcpu_mmio(struct vcpu *vcpu, const struct exit_action *act)
{
	if (act->u.mmio.write)
		bus_write(&vcpu->vm->mmio, act->u.mmio.addr, vcpu->run->mmio.data, act->u.mmio.len);
	else
		bus_read(&vcpu->vm->mmio, act->u.mmio.addr, vcpu->run->mmio.data, act->u.mmio.len);
}

static void vcpu_fatal(struct vcpu *vcpu, const char *why, const struct exit_action *act)
{
	/* only the first fatal state is dumped: the rest is noise */
	if (!atomic_load(&vcpu->vm->stopping))
		dump_vcpu(vcpu, why, act);
	vm_request_stop(vcpu->vm, VM_EXIT_FATAL);
}

/* Handle one exit; returns false when the vCPU should stop running. */
static bool vcpu_handle_exit(struct vcpu *vcpu, const struct exit_action *act)
{
	char why[160];

	vcpu->exit_counts[act->kind]++;
	switch (act->kind) {
	case EXIT_ACT_PIO:
		vcpu_pio(vcpu, act);
		return true;
	case EXIT_ACT_MMIO:
		vcpu_mmio(vcpu, act);
		return true;
	case EXIT_ACT_RETRY:
		return true;
	case EXIT_ACT_SHUTDOWN:
		vcpu_fatal(vcpu, "the guest shut down (triple fault)", act);
		return false;
	case EXIT_ACT_FAIL_ENTRY:
		snprintf(why, sizeof(why), "KVM could not enter the guest (hardware reason %#llx)",
			 (unsigned long long)act->u.fail_entry.hardware_reason);
		vcpu_fatal(vcpu, why, act);
		return false;
	case EXIT_ACT_INTERNAL_ERROR:
		snprintf(why, sizeof(why), "KVM internal error: %s (suberror %u)",
			 exit_suberror_name(act->u.internal.suberror), act->u.internal.suberror);
		vcpu_fatal(vcpu, why, act);
		return false;
	case EXIT_ACT_SYSTEM_EVENT:
		log_info("vcpu %d: the guest asked for %s", vcpu->id,
			 act->u.system_event.type == KVM_SYSTEM_EVENT_RESET ? "a reset (not supported: stopping)"
									     : "power off");
		vm_request_stop(vcpu->vm, act->u.system_event.type == KVM_SYSTEM_EVENT_CRASH ?
						  VM_EXIT_FATAL : 0);
		return false;
	case EXIT_ACT_HYPERCALL:
		snprintf(why, sizeof(why), "hypercall %llu: vmm offers no hypercall path",
			 (unsigned long long)act->u.hypercall.nr);
		vcpu_fatal(vcpu, why, act);
		return false;
	case EXIT_ACT_DIRTY_RING_FULL:
		/* no dirty ring is enabled yet: KVM should never say this */
	case EXIT_ACT_DEBUG:
	case EXIT_ACT_UNKNOWN:
		snprintf(why, sizeof(why), "unhandled exit %s (%u)", exit_reason_name(act->reason),
			 act->reason);
		vcpu_fatal(vcpu, why, act);
		return false;
	case EXIT_ACT_BAD:
		snprintf(why, sizeof(why), "inconsistent exit data from KVM for %s",
			 exit_reason_name(act->reason));
		vcpu_fatal(vcpu, why, act);
		return false;
	}
	return false;
}

/*
 * The watchdog kicked us: compare this look at the vCPU with the last one.
 * A vCPU waiting for SIPI or halted with interrupts on is idle, not stuck;
 * halted with interrupts off it is parked for good; runnable with the same
 * registers as a whole watchdog period ago it made no progress.
 */
/* True when no vCPU can ever run again: all parked or waiting for a SIPI no one will send. */
static bool vcpu_all_dormant(const struct vm *vm)
{
	bool any_parked = false;

	for (int i = 0; i < vm->nr_vcpus; i++) {
		int st = atomic_load(&vm->vcpus[i].wd_state);

		if (st == VCPU_WD_RUNNING)
			return false;
		any_parked |= st == VCPU_WD_PARKED;
	}
	return any_parked;
}

static bool vcpu_watchdog_check(struct vcpu *vcpu)
{
	struct vcpu_snapshot now;
	struct kvm_mp_state mp;
	char why[200];

	memset(&now, 0, sizeof(now));
	if (kvm_ioctl(vcpu->fd, KVM_GET_REGS, &now.regs, "KVM_GET_REGS vcpu %d", vcpu->id) < 0 ||
	    kvm_ioctl(vcpu->fd, KVM_GET_MP_STATE, &mp, "KVM_GET_MP_STATE vcpu %d", vcpu->id) < 0)
		return true;
	now.mp_state = mp.mp_state;

	switch (mp.mp_state) {
	case KVM_MP_STATE_UNINITIALIZED:
	case KVM_MP_STATE_INIT_RECEIVED:
		atomic_store(&vcpu->wd_state, VCPU_WD_WAIT_SIPI);
		break;
	case KVM_MP_STATE_HALTED:
		/* halted with interrupts on is idle; with them off it never wakes */
		atomic_store(&vcpu->wd_state,
			     (now.regs.rflags & 0x200) ? VCPU_WD_RUNNING : VCPU_WD_PARKED);
		break;
	default:
		atomic_store(&vcpu->wd_state, VCPU_WD_RUNNING);
		if (vcpu->have_last && !memcmp(&now, &vcpu->last, sizeof(now))) {
			snprintf(why, sizeof(why),
				 "vcpu %d made no progress for %.1f s (no exit, same registers)",
				 vcpu->id, vcpu->vm->cfg->watchdog_s);
			vcpu_fatal(vcpu, why, NULL);
			return false;
		}
		vcpu->last = now;
		vcpu->have_last = true;
		return true;
	}
	vcpu->have_last = false;
	/* a parked vCPU reports it, so that the dump shows the HLT that stopped the VM */
	if (atomic_load(&vcpu->wd_state) == VCPU_WD_PARKED && vcpu_all_dormant(vcpu->vm)) {
		vcpu_fatal(vcpu, "every vCPU is halted with interrupts disabled or waiting for a "
				 "SIPI, so none can run again (end the guest by writing the exit port)",
			   NULL);
		return false;
	}
	return true;
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *vcpu = arg;
	struct vm *vm = vcpu->vm;
	size_t run_size = (size_t)vm->kvm.vcpu_mmap_size;
	struct exit_action act;
	char name[16];
	int ret, kick;

	snprintf(name, sizeof(name), "vcpu%d", vcpu->id);
	pthread_setname_np(pthread_self(), name);

	while (!atomic_load(&vm->stopping)) {
		atomic_store(&vcpu->in_run_since, vm_now_ns());
		ret = ioctl(vcpu->fd, KVM_RUN, 0);
		atomic_store(&vcpu->in_run_since, 0);
		if (ret < 0) {
			ret = errno;
			if (ret != EINTR && ret != EAGAIN) {
				log_error("KVM_RUN vcpu %d: %s", vcpu->id, strerror(ret));
				vm_request_stop(vm, VM_EXIT_HOST_ERROR);
				break;
			}
			vcpu->run->immediate_exit = 0;
			kick = atomic_exchange(&vcpu->kick, 0);
			if ((kick & VCPU_KICK_WATCHDOG) && !atomic_load(&vm->stopping) &&
			    !vcpu_watchdog_check(vcpu))
				break;
			continue;
		}
		atomic_fetch_add(&vcpu->exits, 1);
		vcpu->have_last = false; /* an exit is progress */
		atomic_store(&vcpu->wd_state, VCPU_WD_RUNNING);
		exit_decode(vcpu->run, run_size, &act);
		if (!vcpu_handle_exit(vcpu, &act))
			break;
	}
	return NULL;
}

static void vcpu_kick_handler(int sig)
{
	(void)sig;
}

/* The kick signal interrupts KVM_RUN (no SA_RESTART) and does nothing else. */
static void vcpu_install_kick_handler(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = vcpu_kick_handler;
	sigemptyset(&sa.sa_mask);
	sigaction(VCPU_KICK_SIGNAL, &sa, NULL);
}

int vcpu_start(struct vcpu *vcpu)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	int ret;

	pthread_once(&once, vcpu_install_kick_handler);
	ret = pthread_create(&vcpu->thread, NULL, vcpu_thread, vcpu);
	if (ret) {
		log_error("creating the thread of vcpu %d: %s", vcpu->id, strerror(ret));
		return -ret;
	}
	vcpu->thread_started = true;
	return 0;
}

void vcpu_kick(struct vcpu *vcpu, enum vcpu_kick why)
{
	atomic_fetch_or(&vcpu->kick, why);
	vcpu->run->immediate_exit = 1;
	if (vcpu->thread_started)
		pthread_kill(vcpu->thread, VCPU_KICK_SIGNAL);
}

void vcpu_destroy(struct vcpu *vcpu)
{
	if (vcpu->run)
		munmap(vcpu->run, (size_t)vcpu->vm->kvm.vcpu_mmap_size);
	if (vcpu->fd >= 0)
		close(vcpu->fd);
	vcpu->run = NULL;
	vcpu->fd = -1;
}
