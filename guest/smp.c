/*
 * smp.c - AP bring-up and work hand-off (see smp.h).
 *
 * APs start one at a time: the boot CPU publishes the AP's per-CPU block
 * in ap_boot_percpu (boot.S reads it for the stack), sends INIT and SIPI,
 * and waits for the AP to check in. Under KVM no INIT-SIPI delays are
 * needed; a second SIPI goes out only if the first one was not answered.
 */
#include "apic.h"
#include "clock.h"
#include "kernel.h"
#include "mm.h"
#include "platform.h"
#include "smp.h"

#define AP_ANSWER_US 20000   /* wait for the first SIPI to be answered */
#define AP_TIMEOUT_US 200000 /* then give up on the AP */
#define WAKE_RESEND_US 10000

extern char ap_trampoline[], ap_trampoline_end[];
extern uint64_t ap_boot_percpu;

struct percpu *cpus[MAX_CPUS];
int ncpus_online = 1;
static volatile uint32_t ap_checked_in;
static bool started;

void ap_main(struct percpu *cpu);

void smp_register_bsp(struct percpu *bsp)
{
	cpus[0] = bsp;
}

static enum trap_action wake_handler(struct trap_frame *tf)
{
	(void)tf;
	apic_eoi();
	return TRAP_HANDLED;
}

/* Wait until *flag is set or us microseconds of TSC pass. */
static bool wait_flag(volatile uint32_t *flag, uint64_t us)
{
	uint64_t start = rdtsc(), ticks = tsc_hz / 1000000 * us;
	while (!*flag) {
		if (rdtsc() - start > ticks)
			return false;
		cpu_relax();
	}
	return true;
}

static int start_ap(uint32_t index, uint32_t apic)
{
	/* Only the struct needs zeroing; the stacks are written before read. */
	struct percpu *cpu = pages_alloc(PERCPU_SIZE / PAGE_SIZE, PERCPU_SIZE, false);
	if (!cpu)
		return -ENOMEM;
	memset(cpu, 0, sizeof(*cpu));
	cpu->index = index;
	cpu->apic_id = apic;
	WRITE_ONCE(ap_checked_in, 0);
	WRITE_ONCE(ap_boot_percpu, (uint64_t)(uintptr_t)cpu);
	apic_send_ipi(apic, APIC_DM_INIT | APIC_LEVEL_ASSERT);
	apic_send_ipi(apic, APIC_DM_STARTUP | AP_SIPI_VECTOR);
	if (!wait_flag(&ap_checked_in, AP_ANSWER_US)) {
		apic_send_ipi(apic, APIC_DM_STARTUP | AP_SIPI_VECTOR);
		if (!wait_flag(&ap_checked_in, AP_TIMEOUT_US)) {
			/* The block stays allocated: a late AP may still be using it. */
			return -ETIMEDOUT;
		}
	}
	cpus[index] = cpu;
	return 0;
}

int smp_start_aps(void)
{
	uint32_t bsp = this_cpu()->apic_id;
	if (started)
		return ncpus_online;
	started = true;
	clock_init();
	apic_init_cpu();
	trap_set_handler(VEC_WAKE, wake_handler);
	int n = platform_cpus(bsp);
	memcpy((void *)(uintptr_t)AP_TRAMPOLINE, ap_trampoline,
	       (size_t)(ap_trampoline_end - ap_trampoline));
	for (int i = 0; i < n; i++) {
		uint32_t apic = platform.apic_ids[i];
		if (apic == bsp)
			continue;
		int err = start_ap((uint32_t)ncpus_online, apic);
		if (err) {
			printf("smp: CPU with APIC ID %u did not start (%d)\n", apic, err);
			continue;
		}
		ncpus_online++;
	}
	return ncpus_online;
}

/* The AP's C entry (boot.S), on its own per-CPU stack, interrupts off. */
void ap_main(struct percpu *cpu)
{
	cpu_init(cpu, cpu->index, cpu->apic_id);
	apic_init_cpu();
	WRITE_ONCE(ap_checked_in, 1);
	for (;;) {
		void (*fn)(void *) = cpu->work_fn;
		if (fn) {
			cpu->work_fn = NULL;
			fn(cpu->work_arg);
			__atomic_store_n(&cpu->work_done, 1, __ATOMIC_RELEASE);
			continue;
		}
		cpu_idle();
	}
}

int smp_run_on(int index, void (*fn)(void *), void *arg)
{
	if (index <= 0 || index >= ncpus_online || !cpus[index])
		return -EINVAL;
	struct percpu *cpu = cpus[index];
	if (READ_ONCE(cpu->work_fn))
		return -EINVAL;
	cpu->work_arg = arg;
	cpu->work_done = 0;
	__atomic_store_n(&cpu->work_fn, fn, __ATOMIC_RELEASE);
	apic_send_ipi(cpu->apic_id, APIC_DM_FIXED | VEC_WAKE);
	return 0;
}

int smp_wait(int index, uint64_t timeout_us)
{
	struct percpu *cpu = cpus[index];
	uint64_t start = rdtsc(), last = start;
	uint64_t timeout = tsc_hz / 1000000 * timeout_us, resend = tsc_hz / 1000000 * WAKE_RESEND_US;
	while (!__atomic_load_n(&cpu->work_done, __ATOMIC_ACQUIRE)) {
		uint64_t now = rdtsc();
		if (now - start > timeout)
			return -ETIMEDOUT;
		if (now - last > resend) {
			/* In case the AP went to sleep just past the wake-up. */
			apic_send_ipi(cpu->apic_id, APIC_DM_FIXED | VEC_WAKE);
			last = now;
		}
		cpu_relax();
	}
	return 0;
}
