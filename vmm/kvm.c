#include "vmm/kvm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vmm/log.h"

#define KVM_CPUID_MAX_ENTRIES 256

/* The ioctl, and on failure the message naming it; arg is a pointer or an integer. */
static int kvm_vioctl(int fd, unsigned long request, unsigned long arg, const char *what_fmt,
		      va_list ap)
{
	char what[256];
	int ret = ioctl(fd, request, arg), err;

	if (ret >= 0)
		return ret;
	err = errno;
	if (err == EINTR || err == EAGAIN)
		return -err;
	vsnprintf(what, sizeof(what), what_fmt, ap);
	log_error("%s: %s", what, strerror(err));
	return -err;
}

int kvm_ioctl(int fd, unsigned long request, void *arg, const char *what_fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, what_fmt);
	ret = kvm_vioctl(fd, request, (unsigned long)(uintptr_t)arg, what_fmt, ap);
	va_end(ap);
	return ret;
}

int kvm_ioctl_int(int fd, unsigned long request, unsigned long arg, const char *what_fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, what_fmt);
	ret = kvm_vioctl(fd, request, arg, what_fmt, ap);
	va_end(ap);
	return ret;
}

int kvm_check_cap(int fd, long cap)
{
	int ret = ioctl(fd, KVM_CHECK_EXTENSION, cap);

	return ret < 0 ? 0 : ret;
}

int kvm_require_caps(int fd, const struct kvm_cap_desc *caps, size_t n)
{
	int missing = 0;

	for (size_t i = 0; i < n; i++) {
		if (kvm_check_cap(fd, caps[i].cap) <= 0) {
			log_error("this kernel's KVM lacks %s, which vmm needs; a newer kernel "
				  "or another KVM module may offer it", caps[i].name);
			missing++;
		}
	}
	return missing ? -ENOTSUP : 0;
}

/* The capabilities vmm cannot run without. */
static const struct kvm_cap_desc kvm_required_caps[] = {
	{ "KVM_CAP_IRQCHIP", KVM_CAP_IRQCHIP },
	{ "KVM_CAP_PIT2", KVM_CAP_PIT2 },
	{ "KVM_CAP_USER_MEMORY", KVM_CAP_USER_MEMORY },
	{ "KVM_CAP_EXT_CPUID", KVM_CAP_EXT_CPUID },
	{ "KVM_CAP_IMMEDIATE_EXIT", KVM_CAP_IMMEDIATE_EXIT },
	{ "KVM_CAP_SET_TSS_ADDR", KVM_CAP_SET_TSS_ADDR },
	{ "KVM_CAP_IRQ_ROUTING", KVM_CAP_IRQ_ROUTING },
	{ "KVM_CAP_MP_STATE", KVM_CAP_MP_STATE },
};

static int kvm_open_fail(const char *path, int err)
{
	switch (err) {
	case ENOENT:
	case ENODEV:
	case ENXIO:
		log_error("%s: %s. Load KVM (modprobe kvm_intel or kvm_amd) and, inside a "
			  "virtual machine, enable nested virtualization on its host",
			  path, strerror(err));
		break;
	case EACCES:
	case EPERM:
		log_error("%s: %s. Add your user to the kvm group (sudo usermod -aG kvm $USER, "
			  "then log in again) or grant access with an ACL "
			  "(sudo setfacl -m u:$USER:rw %s)", path, strerror(err), path);
		break;
	default:
		log_error("%s: %s", path, strerror(err));
		break;
	}
	return -err;
}

int kvm_open(struct kvm *kvm, const char *path)
{
	struct kvm_cpuid2 *cpuid;
	int ret;

	memset(kvm, 0, sizeof(*kvm));
	kvm->fd = open(path, O_RDWR | O_CLOEXEC);
	if (kvm->fd < 0)
		return kvm_open_fail(path, errno);

	ret = ioctl(kvm->fd, KVM_GET_API_VERSION, 0);
	if (ret < 0) {
		log_error("%s: not a KVM device (KVM_GET_API_VERSION: %s)", path, strerror(errno));
		ret = -ENOTTY;
		goto err_close;
	}
	if (ret != KVM_API_VERSION) {
		log_error("%s: KVM API version %d, vmm needs %d", path, ret, KVM_API_VERSION);
		ret = -ENOTSUP;
		goto err_close;
	}
	ret = kvm_require_caps(kvm->fd, kvm_required_caps,
			       sizeof(kvm_required_caps) / sizeof(kvm_required_caps[0]));
	if (ret)
		goto err_close;

	kvm->vcpu_mmap_size = kvm_ioctl(kvm->fd, KVM_GET_VCPU_MMAP_SIZE, NULL,
					"KVM_GET_VCPU_MMAP_SIZE");
	if (kvm->vcpu_mmap_size < 0) {
		ret = kvm->vcpu_mmap_size;
		goto err_close;
	}
	if ((size_t)kvm->vcpu_mmap_size < sizeof(struct kvm_run)) {
		log_error("KVM_GET_VCPU_MMAP_SIZE: %d bytes, smaller than struct kvm_run",
			  kvm->vcpu_mmap_size);
		ret = -EINVAL;
		goto err_close;
	}
	kvm->max_vcpus = kvm_check_cap(kvm->fd, KVM_CAP_MAX_VCPUS);
	if (kvm->max_vcpus <= 0)
		kvm->max_vcpus = kvm_check_cap(kvm->fd, KVM_CAP_NR_VCPUS);
	if (kvm->max_vcpus <= 0)
		kvm->max_vcpus = 4;

	cpuid = calloc(1, sizeof(*cpuid) + KVM_CPUID_MAX_ENTRIES * sizeof(cpuid->entries[0]));
	if (!cpuid) {
		ret = -ENOMEM;
		goto err_close;
	}
	cpuid->nent = KVM_CPUID_MAX_ENTRIES;
	ret = kvm_ioctl(kvm->fd, KVM_GET_SUPPORTED_CPUID, cpuid, "KVM_GET_SUPPORTED_CPUID nent %d",
			KVM_CPUID_MAX_ENTRIES);
	if (ret < 0)
		goto err_free_cpuid;
	kvm->supported_cpuid = cpuid;
	return 0;

err_free_cpuid:
	free(cpuid);
err_close:
	close(kvm->fd);
	kvm->fd = -1;
	return ret;
}

void kvm_close(struct kvm *kvm)
{
	free(kvm->supported_cpuid);
	kvm->supported_cpuid = NULL;
	if (kvm->fd >= 0)
		close(kvm->fd);
	kvm->fd = -1;
}

/* Read a one-word sysfs parameter; returns its first character or 0. */
static char kvm_read_param(const char *path)
{
	char buf[8] = { 0 };
	FILE *f = fopen(path, "r");

	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	return buf[0];
}

const char *kvm_paging_mode(bool *two_dimensional)
{
	char c;

	c = kvm_read_param("/sys/module/kvm_intel/parameters/ept");
	if (c) {
		*two_dimensional = (c == 'Y' || c == '1');
		return *two_dimensional ? "EPT" : "shadow";
	}
	c = kvm_read_param("/sys/module/kvm_amd/parameters/npt");
	if (c) {
		*two_dimensional = (c == 'Y' || c == '1');
		return *two_dimensional ? "NPT" : "shadow";
	}
	/* PVM and other software-only KVMs always shadow the guest's page tables. */
	*two_dimensional = false;
	if (access("/sys/module/kvm_pvm", F_OK) == 0)
		return "shadow (kvm_pvm)";
	return "shadow";
}
