/*
 * vm.c - the VM: KVM handles, guest memory and memslots, the in-kernel
 * irqchip, the devices on the buses, loading the image, and the main
 * thread's loop that waits for the VM to stop while it feeds the console,
 * takes signals and runs the watchdog.
 */
#include "vmm/vm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <libfdt.h>

#include "vmm/fdt.h"
#include "vmm/layout.h"
#include "vmm/log.h"
#include "vmm/mbinfo.h"

#define VM_FDT_MAX (64 * 1024)

static int vm_irq_set(void *opaque, unsigned int gsi, int level)
{
	struct vm *vm = opaque;
	struct kvm_irq_level irq = { .irq = gsi, .level = (uint32_t)level };

	return kvm_ioctl(vm->fd, KVM_IRQ_LINE, &irq, "KVM_IRQ_LINE gsi %u level %d", gsi, level);
}

static void vm_exitport_request(void *opaque, uint32_t value)
{
	struct vm *vm = opaque;

	vm_request_stop(vm, exitport_status(value, vm->cfg->exit_code_qemu));
}

static void vm_wake(int fd)
{
	uint64_t one = 1;

	if (write(fd, &one, sizeof(one)) < 0) {
		/* the counter saturating still wakes the reader: nothing to do */
	}
}

static void vm_uart_rx_ready(void *opaque)
{
	struct vm *vm = opaque;

	vm_wake(vm->rx_fd);
}

/*
 * Each record the guest reports, as it arrives: console text goes to the
 * console with the UART's output; with --json every other record becomes
 * a line on stdout.
 */
static void vm_on_report(void *opaque, const struct report_header *rec)
{
	struct vm *vm = opaque;
	char line[4096];

	if (rec->kind == REPORT_KIND_CONSOLE) {
		const struct report_console *con = (const void *)rec;

		uart_console_write(&vm->uart, con->text, con->len);
		return;
	}
	if (vm->cfg->json && report_json(rec, line, sizeof(line)) > 0) {
		flockfile(stdout);
		fputs(line, stdout);
		fputc('\n', stdout);
		fflush(stdout);
		funlockfile(stdout);
	}
}

void vm_request_stop(struct vm *vm, int status)
{
	pthread_mutex_lock(&vm->stop_lock);
	if (atomic_load(&vm->stopping)) {
		pthread_mutex_unlock(&vm->stop_lock);
		return;
	}
	vm->exit_status = status;
	atomic_store(&vm->stopping, true);
	pthread_mutex_unlock(&vm->stop_lock);

	for (int i = 0; i < vm->nr_vcpus; i++)
		if (vm->vcpus[i].fd >= 0)
			vcpu_kick(&vm->vcpus[i], VCPU_KICK_STOP);
	vm_wake(vm->stop_fd);
}

/* Register each guest RAM region as a KVM memslot. */
static int vm_set_memslots(struct vm *vm)
{
	for (int i = 0; i < vm->mem.nr_regions; i++) {
		const struct guest_mem_region *r = &vm->mem.regions[i];
		struct kvm_userspace_memory_region slot = {
			.slot = r->slot,
			.guest_phys_addr = r->gpa,
			.memory_size = r->size,
			.userspace_addr = (uint64_t)(uintptr_t)r->hva,
		};
		int ret = kvm_ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &slot,
				    "KVM_SET_USER_MEMORY_REGION slot %u gpa %#llx size %llu MiB",
				    r->slot, (unsigned long long)r->gpa,
				    (unsigned long long)(r->size >> 20));

		if (ret < 0)
			return ret;
	}
	return 0;
}

/* The in-kernel irqchip (PIC, IOAPIC, LAPICs) and PIT, before any vCPU exists. */
static int vm_create_irqchip(struct vm *vm)
{
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	int ret;

	ret = kvm_ioctl_int(vm->fd, KVM_SET_TSS_ADDR, LAYOUT_TSS, "KVM_SET_TSS_ADDR %#llx",
			    LAYOUT_TSS);
	if (ret < 0)
		return ret;
	if (kvm_check_cap(vm->fd, KVM_CAP_SET_IDENTITY_MAP_ADDR)) {
		uint64_t addr = LAYOUT_IDENTITY_MAP;

		ret = kvm_ioctl(vm->fd, KVM_SET_IDENTITY_MAP_ADDR, &addr,
				"KVM_SET_IDENTITY_MAP_ADDR %#llx", LAYOUT_IDENTITY_MAP);
		if (ret < 0)
			return ret;
	}
	ret = kvm_ioctl(vm->fd, KVM_CREATE_IRQCHIP, NULL, "KVM_CREATE_IRQCHIP");
	if (ret < 0)
		return ret;
	if (!vm->cfg->pit)
		return 0;
	/* Costs ~15 ms at teardown on this host (SRCU grace periods): --no-pit skips it. */
	ret = kvm_ioctl(vm->fd, KVM_CREATE_PIT2, &pit, "KVM_CREATE_PIT2");
	return ret < 0 ? ret : 0;
}

/* Devices at their layout addresses; the buses are sealed afterwards. */
static int vm_setup_devices(struct vm *vm)
{
	struct irq_line com1 = { .set = vm_irq_set, .opaque = vm, .gsi = LAYOUT_IRQ_COM1 };
	int ret;

	ret = uart_init(&vm->uart, vm->console_fd, &com1);
	if (ret)
		return ret;
	uart_set_rx_ready(&vm->uart, vm_uart_rx_ready, vm);
	exitport_init(&vm->exitport, vm_exitport_request, vm);
	ret = fwcfg_init(&vm->fwcfg, vm->mem.ram_size, (uint16_t)vm->nr_vcpus,
			 (uint16_t)vm->nr_vcpus);
	if (ret)
		return ret;
	ret = report_init(&vm->report, &vm->mem);
	if (ret)
		return ret;
	report_set_callback(&vm->report, vm_on_report, vm);

	struct {
		struct bus *bus;
		uint64_t base, len;
		const struct bus_ops *ops;
		void *opaque;
	} devs[] = {
		{ &vm->pio, LAYOUT_PORT_COM1, LAYOUT_PORT_COM1_LEN, &uart_ops, &vm->uart },
		{ &vm->pio, LAYOUT_PORT_EXIT, LAYOUT_PORT_EXIT_LEN, &exitport_ops, &vm->exitport },
		{ &vm->pio, LAYOUT_PORT_FWCFG, LAYOUT_PORT_FWCFG_LEN, &fwcfg_ops, &vm->fwcfg },
		{ &vm->pio, LAYOUT_PORT_REPORT, LAYOUT_PORT_REPORT_LEN, &report_ops, &vm->report },
	};
	for (size_t i = 0; i < sizeof(devs) / sizeof(devs[0]); i++) {
		ret = bus_register(devs[i].bus, devs[i].base, devs[i].len, devs[i].ops,
				   devs[i].opaque);
		if (ret) {
			log_error("registering %s at %#llx: %s", devs[i].ops->name,
				  (unsigned long long)devs[i].base, strerror(-ret));
			return ret;
		}
	}
	bus_seal(&vm->pio);
	bus_seal(&vm->mmio);
	return 0;
}

int vm_create(struct vm *vm, const struct vm_config *cfg)
{
	int ret;

	memset(vm, 0, sizeof(*vm));
	vm->cfg = cfg;
	vm->fd = vm->stop_fd = vm->rx_fd = vm->console_fd = -1;
	vm->kvm.fd = -1;
	pthread_mutex_init(&vm->stop_lock, NULL);
	vm->start_ns = vm_now_ns();

	vm->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	vm->rx_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->stop_fd < 0 || vm->rx_fd < 0) {
		log_error("eventfd: %s", strerror(errno));
		return -errno;
	}
	if (cfg->console_path) {
		vm->console_fd = open(cfg->console_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (vm->console_fd < 0) {
			ret = -errno;
			log_error("--console %s: %s", cfg->console_path, strerror(errno));
			return ret;
		}
	} else {
		/* with --json, stdout carries JSON lines only: the console goes to stderr */
		vm->console_fd = dup(cfg->json ? STDERR_FILENO : STDOUT_FILENO);
	}

	ret = kvm_open(&vm->kvm, cfg->kvm_path);
	if (ret)
		return ret;
	if ((int)cfg->cpus > vm->kvm.max_vcpus) {
		log_error("--cpus %u: this host's KVM allows at most %d vCPUs", cfg->cpus,
			  vm->kvm.max_vcpus);
		return -EINVAL;
	}
	vm->paging_mode = kvm_paging_mode(&vm->two_dimensional_paging);
	log_debug("KVM paging: %s", vm->paging_mode);

	vm->fd = kvm_ioctl_int(vm->kvm.fd, KVM_CREATE_VM, 0, "KVM_CREATE_VM");
	if (vm->fd < 0)
		return vm->fd;
	ret = vm_create_irqchip(vm);
	if (ret)
		return ret;

	ret = guest_mem_create(&vm->mem, cfg->mem_size, cfg->backing);
	if (ret) {
		log_error("%s", vm->mem.error);
		return ret;
	}
	ret = vm_set_memslots(vm);
	if (ret)
		return ret;

	if (bus_init(&vm->pio, "pio") || bus_init(&vm->mmio, "mmio"))
		return -ENOMEM;
	vm->pio.log_unclaimed = vm->mmio.log_unclaimed = cfg->debug_io;

	/* every vCPU exists before the guest starts; APs wait for INIT/SIPI in KVM */
	vm->vcpus = calloc(cfg->cpus, sizeof(*vm->vcpus));
	if (!vm->vcpus)
		return -ENOMEM;
	for (unsigned int i = 0; i < cfg->cpus; i++)
		vm->vcpus[i].fd = -1;
	vm->nr_vcpus = (int)cfg->cpus;
	for (int i = 0; i < vm->nr_vcpus; i++) {
		ret = vcpu_create(vm, &vm->vcpus[i], i);
		if (ret)
			return ret;
	}
	return vm_setup_devices(vm);
}

/* Read a whole module file; returns 0 or -errno with a message naming it. */
static int vm_read_file(const char *path, void **data, size_t *size)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 0, len = 0, n;
	uint8_t *buf = NULL, *nbuf;

	if (!f) {
		log_error("%s: %s", path, strerror(errno));
		return -errno;
	}
	do {
		if (len == cap) {
			cap = cap ? cap * 2 : 65536;
			nbuf = realloc(buf, cap);
			if (!nbuf) {
				free(buf);
				fclose(f);
				return -ENOMEM;
			}
			buf = nbuf;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	if (ferror(f)) {
		log_error("%s: read error", path);
		free(buf);
		fclose(f);
		return -EIO;
	}
	fclose(f);
	*data = buf;
	*size = len;
	return 0;
}

/* The device tree handed to the guest as the "dtb" module. */
static int vm_build_fdt(struct vm *vm, void *buf, size_t size)
{
	struct fdt_ram ram[GUEST_MEM_MAX_REGIONS];
	uint32_t apic_ids[LAYOUT_MAX_CPUS];
	struct fdt_machine m;
	char err[256];
	int ret;

	fdt_machine_defaults(&m);
	for (int i = 0; i < vm->mem.nr_regions; i++) {
		ram[i].gpa = vm->mem.regions[i].gpa;
		ram[i].size = vm->mem.regions[i].size;
	}
	m.ram = ram;
	m.nr_ram = (size_t)vm->mem.nr_regions;
	for (int i = 0; i < vm->nr_vcpus; i++)
		apic_ids[i] = (uint32_t)i;
	m.apic_ids = apic_ids;
	m.nr_cpus = (size_t)vm->nr_vcpus;
	m.bootargs = vm->cfg->guest_args;
	m.features = 0; /* no hypercall path: a vmcall hangs this host's KVM */
	ret = fdt_build(buf, size, &m, err, sizeof(err));
	if (ret < 0) {
		log_error("building the device tree: %s", err);
		return ret;
	}
	return 0;
}

int vm_load(struct vm *vm, const void *image, size_t image_size)
{
	const struct vm_config *cfg = vm->cfg;
	struct boot_module mods[CLI_MAX_MODULES + 1];
	void *mod_data[CLI_MAX_MODULES] = { 0 };
	struct boot_image bi;
	char err[512];
	void *fdt;
	int ret, nr = 0;

	ret = loader_parse(image, image_size, &vm->mem, &bi, err, sizeof(err));
	if (ret) {
		log_error("%s: %s", cfg->image, err);
		return -EINVAL;
	}
	ret = loader_apply(&bi, image, image_size, &vm->mem);
	if (ret) {
		log_error("%s: loading into guest memory: %s", cfg->image, strerror(-ret));
		return ret;
	}
	vm->entry = bi.entry;
	vm->long_mode_entry = bi.long_mode_entry;
	if (bi.long_mode_entry) {
		ret = boot_setup_long_mode(&vm->mem, &vm->boot_lm);
		if (ret)
			return ret;
	}

	fdt = calloc(1, VM_FDT_MAX);
	if (!fdt)
		return -ENOMEM;
	ret = vm_build_fdt(vm, fdt, VM_FDT_MAX);
	if (ret)
		goto out_free;
	mods[nr++] = (struct boot_module){ fdt, fdt_totalsize(fdt), "dtb" };
	for (int i = 0; i < cfg->nr_modules; i++) {
		size_t size = 0;

		ret = vm_read_file(cfg->modules[i].path, &mod_data[i], &size);
		if (ret) {
			ret = -EINVAL;
			goto out_free;
		}
		mods[nr++] = (struct boot_module){ mod_data[i], size, cfg->modules[i].name };
	}
	ret = mbinfo_build(&vm->mem, &bi, cfg->image, cfg->guest_args, mods, nr, &vm->mbi_gpa, err,
			   sizeof(err));
	if (ret) {
		log_error("%s: %s", cfg->image, err);
		ret = -EINVAL;
	}
out_free:
	for (int i = 0; i < cfg->nr_modules; i++)
		free(mod_data[i]);
	free(fdt);
	return ret;
}

void vm_destroy(struct vm *vm)
{
	if (vm->vcpus) {
		for (int i = 0; i < vm->nr_vcpus; i++)
			vcpu_destroy(&vm->vcpus[i]);
		free(vm->vcpus);
		vm->vcpus = NULL;
	}
	report_destroy(&vm->report);
	fwcfg_destroy(&vm->fwcfg);
	uart_destroy(&vm->uart);
	bus_destroy(&vm->pio);
	bus_destroy(&vm->mmio);
	if (vm->fd >= 0)
		close(vm->fd);
	guest_mem_destroy(&vm->mem);
	kvm_close(&vm->kvm);
	if (vm->console_fd >= 0)
		close(vm->console_fd);
	if (vm->stop_fd >= 0)
		close(vm->stop_fd);
	if (vm->rx_fd >= 0)
		close(vm->rx_fd);
	pthread_mutex_destroy(&vm->stop_lock);
	vm->fd = vm->console_fd = vm->stop_fd = vm->rx_fd = -1;
}

/* Guest RAM the host actually backs (pages touched by the guest or by vmm), in KiB. */
static uint64_t vm_guest_resident_kib(const struct vm *vm)
{
	size_t pages = vm->mem.map_size / 4096, resident = 0;
	unsigned char *vec = malloc(pages);

	if (!vec)
		return 0;
	if (mincore(vm->mem.base, vm->mem.map_size, vec) == 0)
		for (size_t i = 0; i < pages; i++)
			resident += vec[i] & 1;
	free(vec);
	return (uint64_t)resident * 4;
}

void vm_print_stats(struct vm *vm, FILE *f)
{
	static const char *const names[] = {
		[EXIT_ACT_PIO] = "pio", [EXIT_ACT_MMIO] = "mmio", [EXIT_ACT_RETRY] = "retry",
		[EXIT_ACT_SHUTDOWN] = "shutdown", [EXIT_ACT_FAIL_ENTRY] = "fail_entry",
		[EXIT_ACT_INTERNAL_ERROR] = "internal_error",
		[EXIT_ACT_SYSTEM_EVENT] = "system_event",
		[EXIT_ACT_DIRTY_RING_FULL] = "dirty_ring_full", [EXIT_ACT_HYPERCALL] = "hypercall",
		[EXIT_ACT_DEBUG] = "debug", [EXIT_ACT_UNKNOWN] = "unknown", [EXIT_ACT_BAD] = "bad",
	};
	uint64_t totals[EXIT_ACT_BAD + 1] = { 0 }, all = 0;
	double wall_ms = (double)(vm_now_ns() - vm->start_ns) / 1e6;
	struct report_counts rc;
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	for (int i = 0; i < vm->nr_vcpus; i++)
		for (int k = 0; k <= EXIT_ACT_BAD; k++) {
			totals[k] += vm->vcpus[i].exit_counts[k];
			all += vm->vcpus[i].exit_counts[k];
		}
	report_get_counts(&vm->report, &rc);
	if (vm->cfg->json) {
		fprintf(f, "{\"type\":\"stats\",\"status\":%d,\"wall_ms\":%.3f,\"vcpus\":%d,"
			   "\"mem_bytes\":%llu,\"paging\":\"%s\",\"two_dimensional_paging\":%s,"
			   "\"exits\":{\"total\":%llu",
			vm->exit_status, wall_ms, vm->nr_vcpus, (unsigned long long)vm->mem.ram_size,
			vm->paging_mode, vm->two_dimensional_paging ? "true" : "false",
			(unsigned long long)all);
		for (int k = 0; k <= EXIT_ACT_BAD; k++)
			if (totals[k])
				fprintf(f, ",\"%s\":%llu", names[k], (unsigned long long)totals[k]);
		fprintf(f, "},\"unclaimed\":{\"pio_reads\":%lu,\"pio_writes\":%lu,"
			   "\"mmio_reads\":%lu,\"mmio_writes\":%lu},"
			   "\"tests\":{\"passed\":%llu,\"failed\":%llu,\"skipped\":%llu},"
			   "\"bad_reports\":%llu,\"rss_peak_kib\":%ld,\"guest_touched_kib\":%llu}\n",
			atomic_load(&vm->pio.unclaimed_reads), atomic_load(&vm->pio.unclaimed_writes),
			atomic_load(&vm->mmio.unclaimed_reads), atomic_load(&vm->mmio.unclaimed_writes),
			(unsigned long long)rc.passed, (unsigned long long)rc.failed,
			(unsigned long long)rc.skipped, (unsigned long long)rc.invalid, ru.ru_maxrss,
			(unsigned long long)vm_guest_resident_kib(vm));
		fflush(f);
		return;
	}
	if (log_get_level() < LOG_VERBOSE)
		return;
	log_debug("ran %.1f ms on %d vCPU(s), %llu MiB RAM, KVM paging: %s; exit status %d",
		  wall_ms, vm->nr_vcpus, (unsigned long long)(vm->mem.ram_size >> 20),
		  vm->paging_mode, vm->exit_status);
	log_debug("exits to vmm: %llu (pio %llu, mmio %llu); unclaimed pio r/w %lu/%lu",
		  (unsigned long long)all, (unsigned long long)totals[EXIT_ACT_PIO],
		  (unsigned long long)totals[EXIT_ACT_MMIO], atomic_load(&vm->pio.unclaimed_reads),
		  atomic_load(&vm->pio.unclaimed_writes));
	log_debug("guest reports: %llu passed, %llu failed, %llu skipped, %llu invalid",
		  (unsigned long long)rc.passed, (unsigned long long)rc.failed,
		  (unsigned long long)rc.skipped, (unsigned long long)rc.invalid);
}
