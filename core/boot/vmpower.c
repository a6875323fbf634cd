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
