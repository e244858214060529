/*
 * kvm_compat.h - KVM API numbers newer than the build host's headers.
 *
 * Debian 12 ships the KVM API of Linux 6.1; the kernels we run on are
 * newer. Every number defined here is probed with KVM_CHECK_EXTENSION at
 * run time before use, so an older kernel only loses the feature.
 */
#ifndef VMM_KVM_COMPAT_H
#define VMM_KVM_COMPAT_H

#include <linux/kvm.h>

#ifndef KVM_CAP_DIRTY_LOG_RING_ACQ_REL
#define KVM_CAP_DIRTY_LOG_RING_ACQ_REL 223
#endif
#ifndef KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP
#define KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP 225
#endif
#ifndef KVM_CAP_USER_MEMORY2
#define KVM_CAP_USER_MEMORY2 231
#endif
#ifndef KVM_CAP_MEMORY_FAULT_INFO
#define KVM_CAP_MEMORY_FAULT_INFO 232
#endif
#ifndef KVM_CAP_GUEST_MEMFD
#define KVM_CAP_GUEST_MEMFD 234
#endif
#ifndef KVM_CAP_VM_TYPES
#define KVM_CAP_VM_TYPES 235
#endif
#ifndef KVM_EXIT_NOTIFY
#define KVM_EXIT_NOTIFY 37
#endif
#ifndef KVM_EXIT_LOONGARCH_IOCSR
#define KVM_EXIT_LOONGARCH_IOCSR 38
#endif
#ifndef KVM_EXIT_MEMORY_FAULT
#define KVM_EXIT_MEMORY_FAULT 39
#endif

#endif
