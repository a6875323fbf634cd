/* SPDX-License-Identifier: MIT */
/*
 * The host's VM management (host/vmm): corevisor's hypercall protocol as
 * KServ runs it. Platform-independent: it uses only host/platform.h, so a
 * later stage builds the same logic into a Linux kernel module.
 */
#ifndef HOST_VMM_H
#define HOST_VMM_H

#include <host/platform.h>

/* The bare round trip to corevisor (HVC_NOOP): returns its result. */
u64 vmm_noop(void);

/* REGISTER_KVM: a new VM's vmid (1..15) from corevisor. */
u32 vmm_register_vm(void);

/* REGISTER_VCPU: corevisor checks the VM's and the vCPU's states. */
u64 vmm_register_vcpu(u32 vmid, u32 vcpuid);

#endif
