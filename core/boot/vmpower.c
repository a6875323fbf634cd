// SPDX-License-Identifier: MIT
/* VMPower: a VM's power state (set_vm_poweroff_spec0, get_vm_poweron). */
#include <cv/boot.h>
#include <cv/panic.h>

#include "boot_internal.h"

void set_vm_poweroff(u32 vmid)
{
	if (halted())
		return;
	if (!is_vmid(vmid)) {
		panic("set_vm_poweroff: vmid %u out of range", vmid);
		return;
	}
	acquire_lock_vm(vmid);
	locked_info(vmid)->state = POWEROFF;
	release_lock_vm(vmid);
}

/* 0 once the VM is powered off, 1 before. */
u32 get_vm_poweron(u32 vmid)
{
	u32 on;

	if (halted())
		return 0;
	if (!is_vmid(vmid)) {
		panic("get_vm_poweron: vmid %u out of range", vmid);
		return 0;
	}
	acquire_lock_vm(vmid);
	on = locked_info(vmid)->state != POWEROFF;
	release_lock_vm(vmid);
	return check(on);
}

/*
 * corevisor: set_vcpu_active, except that a READY vCPU of a powered-off
 * VM is left READY and 0 is returned (1 when the vCPU is now ACTIVE).
 * One hold of the VM's lock decides both: a vCPU of the same VM may power
 * it off (PSCI SYSTEM_OFF) at any time, and the host cannot know when, so
 * VCPU_RUN must not panic on it. Any other state panics as set_vcpu_active
 * does (VM not VERIFIED, vCPU not READY).
 */
u32 set_vcpu_active_unless_off(u32 vmid, u32 vcpuid)
{
	struct vm_info *info;

	if (halted())
		return 0;
	if (!is_vmid(vmid) || !is_vcpu(vcpuid)) {
		panic("set_vcpu_active: vm %u vcpu %u out of range", vmid,
		      vcpuid);
		return 0;
	}
	acquire_lock_vm(vmid);
	info = locked_info(vmid);
	if (info->state == POWEROFF && info->vcpu_state[vcpuid] == READY) {
		release_lock_vm(vmid);
		return 0;
	}
	if (info->state != VERIFIED || info->vcpu_state[vcpuid] != READY) {
		panic("set_vcpu_active: vm %u state %u vcpu %u state %u", vmid,
		      info->state, vcpuid, info->vcpu_state[vcpuid]);
		return 0;
	}
	info->vcpu_state[vcpuid] = ACTIVE;
	release_lock_vm(vmid);
	return 1;
}
