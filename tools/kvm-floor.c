/*
 * kvm-floor - the least a VMM must do to boot anything: open /dev/kvm,
 * create a VM with a 256 MiB memslot and the in-kernel irqchip, one vCPU
 * running three real-mode instructions, and take its one exit (an OUT to
 * port 0xf4). tools/bench-boot times this as the floor that vmm is
 * compared against. With --pit it also creates the in-kernel i8254 PIT, as
 * vmm does by default. Exits 0 when the guest's OUT arrived.
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define MEM_SIZE (256UL << 20)

static int die(const char *what)
{
	perror(what);
	return 1;
}

int main(int argc, char **argv)
{
	/* mov al, 0; out 0xf4, al; hlt */
	static const uint8_t code[] = { 0xb0, 0x00, 0xe6, 0xf4, 0xf4 };
	struct kvm_userspace_memory_region slot;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_run *run;
	uint8_t *mem;
	int kvm, vm, vcpu, size;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return die("/dev/kvm");
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		return die("KVM_CREATE_VM");
	if (ioctl(vm, KVM_SET_TSS_ADDR, 0xfeffd000UL) < 0)
		return die("KVM_SET_TSS_ADDR");
	if (ioctl(vm, KVM_CREATE_IRQCHIP, 0) < 0)
		return die("KVM_CREATE_IRQCHIP");
	if (argc > 1 && !strcmp(argv[1], "--pit")) {
		struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };

		if (ioctl(vm, KVM_CREATE_PIT2, &pit) < 0)
			return die("KVM_CREATE_PIT2");
	}
	mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED)
		return die("mmap");
	memcpy(mem + 0x1000, code, sizeof(code));
	slot = (struct kvm_userspace_memory_region){
		.slot = 0, .guest_phys_addr = 0, .memory_size = MEM_SIZE,
		.userspace_addr = (uint64_t)(uintptr_t)mem,
	};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &slot) < 0)
		return die("KVM_SET_USER_MEMORY_REGION");
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		return die("KVM_CREATE_VCPU");
	size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	run = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		return die("mmap kvm_run");
	if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
		return die("KVM_GET_SREGS");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0)
		return die("KVM_SET_SREGS");
	memset(&regs, 0, sizeof(regs));
	regs.rip = 0x1000;
	regs.rflags = 2;
	if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
		return die("KVM_SET_REGS");
	if (ioctl(vcpu, KVM_RUN, 0) < 0)
		return die("KVM_RUN");
	if (run->exit_reason != KVM_EXIT_IO || run->io.port != 0xf4) {
		fprintf(stderr, "kvm-floor: unexpected exit %u\n", run->exit_reason);
		return 1;
	}
	return 0;
}
