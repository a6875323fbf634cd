// SPDX-License-Identifier: MIT
/* VM management calls (KServ's side of corevisor's hypercall ABI). */
#include <corevisor/abi.h>
#include <host/vmm.h>

u64 vmm_noop(void)
{
	return hvc(HVC_NOOP, 0, 0, 0, 0, 0);
}

u32 vmm_register_vm(void)
{
	return (u32)hvc(HVC_REGISTER_KVM, 0, 0, 0, 0, 0);
}

u64 vmm_register_vcpu(u32 vmid, u32 vcpuid)
{
	return hvc(HVC_REGISTER_VCPU, vmid, vcpuid, 0, 0, 0);
}
