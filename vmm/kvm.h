/*
 * kvm.h - /dev/kvm: opening it with errors a user can act on, capability
 * probes by name, and the ioctl wrapper every KVM call goes through.
 */
#ifndef VMM_KVM_H
#define VMM_KVM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/kvm_compat.h"

struct kvm {
	int fd;
	int vcpu_mmap_size;
	int max_vcpus;
	struct kvm_cpuid2 *supported_cpuid; /* KVM_GET_SUPPORTED_CPUID, owned */
};

struct kvm_cap_desc {
	const char *name;
	long cap;
};

/*
 * Issue an ioctl; on failure log "WHAT: strerror" where WHAT names the
 * ioctl and its arguments (printf-style), and return -errno. EINTR is
 * returned without a message so that kicked KVM_RUN calls stay quiet.
 */
int kvm_ioctl(int fd, unsigned long request, void *arg, const char *what_fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Same, for ioctls that take an integer argument. */
int kvm_ioctl_int(int fd, unsigned long request, unsigned long arg, const char *what_fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * Open path (normally /dev/kvm), check the API version and the capabilities
 * this VMM needs, and fetch the supported CPUID. On failure, log a message
 * that says what to do (load kvm, enable nested virtualization, join the
 * kvm group, upgrade the kernel) and return -errno.
 */
int kvm_open(struct kvm *kvm, const char *path);
void kvm_close(struct kvm *kvm);

/* KVM_CHECK_EXTENSION on fd (system or VM); 0 when absent or on error. */
int kvm_check_cap(int fd, long cap);

/*
 * Check that every capability in caps[0..n) is offered; log each missing
 * one by name. Returns 0 or -ENOTSUP.
 */
int kvm_require_caps(int fd, const struct kvm_cap_desc *caps, size_t n);

/*
 * How the host's KVM maps guest memory: "EPT" or "NPT" (two-dimensional
 * paging) or "shadow"; *two_dimensional tells which. Read from the KVM
 * module parameters in sysfs.
 */
const char *kvm_paging_mode(bool *two_dimensional);

#endif
