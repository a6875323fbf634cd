// SPDX-License-Identifier: MIT
/*
 * VMPower: a VM's power state (set_vm_poweroff_spec0, get_vm_poweron),
 * and (corevisor) each vCPU's: where a vCPU starts is the guest's choice
 * (its own PSCI CPU_ON, which the core sees on the way out to the host)
 * or the signed image's (vCPU 0's entry, set by verify_and_load_images),
 * never the host's. The host still answers the guest's PSCI calls and
 * decides when a vCPU runs (include/corevisor/vcpu_abi.h).
 */
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
	set_vm_state(locked_info(vmid), POWEROFF);
	/* corevisor: its sealed state may now move to another VM. */
	if (is_vm(vmid))
		lineage_power_off(vmid);
	release_lock_vm(vmid);
}

/*
 * 0 once the VM is powered off, 1 before. corevisor: one acquire load of
 * the state word in place of the spec's lock round trip around it (the
 * guest exit path asks on every exit; cv/state.h, vm_state_of): a read
 * of one word under the lock can only tell what this load tells.
 */
u32 get_vm_poweron(u32 vmid)
{
	if (halted())
		return 0;
	if (!is_vmid(vmid)) {
		panic("get_vm_poweron: vmid %u out of range", vmid);
		return 0;
	}
	return check(vm_state_of(vm_info(vmid)) != POWEROFF);
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
	u32 state;

	if (halted())
		return 0;
	if (!is_vmid(vmid) || !is_vcpu(vcpuid)) {
		panic("set_vcpu_active: vm %u vcpu %u out of range", vmid,
		      vcpuid);
		return 0;
	}
	acquire_lock_vm(vmid);
	info = locked_info(vmid);
	state = vcpu_state_of(info, vcpuid);
	if (info->state == POWEROFF && state == READY) {
		release_lock_vm(vmid);
		return 0;
	}
	if (info->state != VERIFIED || state != READY) {
		panic("set_vcpu_active: vm %u state %u vcpu %u state %u", vmid,
		      info->state, vcpuid, state);
		return 0;
	}
	if (!snapshot_allows_run(vmid, "set_vcpu_active"))
		return 0;
	set_vcpu_state(info, vcpuid, ACTIVE);
	/* As set_vcpu_active: blobs sealed so far become an older version. */
	if (info->seal_pending)
		lineage_resume(vmid);
	release_lock_vm(vmid);
	return 1;
}

/* The MPIDR_EL1 of vCPU @vcpuid (reset_sys_regs): affinity + RES1. */
u64 vcpu_mpidr(u32 vcpuid)
{
	u64 aff = (vcpuid & 15) | ((u64)((vcpuid >> 4) & 255) << 8) |
		  ((u64)((vcpuid >> 12) & 255) << 16);

	return aff | 0x80000000ULL;
}

/*
 * A guest's PSCI CPU_ON (core/vcpu prep_hvc): the vCPU of VM @vmid whose
 * MPIDR affinity is @mpidr's starts at @entry with x0 = @context at its
 * next VCPU_RUN, if it is registered and off (or not started yet: the
 * latest request counts). A running target, or no such vCPU, changes
 * nothing: the host answers the guest (ALREADY_ON, INVALID_PARAMETERS).
 * Returns the target's vcpuid, or INVALID when nothing was recorded.
 */
u32 vcpu_power_on(u32 vmid, u64 mpidr, u64 entry, u64 context)
{
	struct vm_info *info;
	u32 target = INVALID;

	if (halted())
		return INVALID;
	if (!is_vm(vmid)) {
		panic("vcpu_power_on: vmid %u is not a VM", vmid);
		return INVALID;
	}
	acquire_lock_vm(vmid);
	info = locked_info(vmid);
	for (u32 v = 0; v < VCPU_PER_VM; v++) {
		if (((vcpu_mpidr(v) ^ mpidr) & MPIDR_AFF_MASK) ||
		    vcpu_state_of(info, v) == UNUSED ||
		    info->vcpu_power[v] == VCPU_ON)
			continue;
		info->vcpu_power[v] = VCPU_ON_PENDING;
		info->vcpu_entry[v] = entry;
		info->vcpu_context[v] = context;
		target = v;
		break;
	}
	release_lock_vm(vmid);
	return target;
}

/*
 * A guest's PSCI CPU_OFF (prep_hvc): vCPU @vcpuid of VM @vmid, which is
 * running it, is off; only a CPU_ON from its guest starts it again.
 */
void vcpu_power_off(u32 vmid, u32 vcpuid)
{
	if (halted())
		return;
	if (!is_vm(vmid) || !is_vcpu(vcpuid)) {
		panic("vcpu_power_off: vm %u vcpu %u out of range", vmid,
		      vcpuid);
		return;
	}
	acquire_lock_vm(vmid);
	locked_info(vmid)->vcpu_power[vcpuid] = VCPU_OFF;
	release_lock_vm(vmid);
}

/*
 * VCPU_RUN of a vCPU that is not running (core/vcpu load_int_state): if
 * its guest or its image asked for a start, the vCPU is on and *@pc,
 * *@x0 are where and with what it starts (true); otherwise it is off and
 * nothing runs (false).
 */
bool vcpu_take_start(u32 vmid, u32 vcpuid, u64 *pc, u64 *x0)
{
	struct vm_info *info;
	bool start;

	if (halted())
		return false;
	if (!is_vm(vmid) || !is_vcpu(vcpuid)) {
		panic("vcpu_take_start: vm %u vcpu %u out of range", vmid,
		      vcpuid);
		return false;
	}
	acquire_lock_vm(vmid);
	info = locked_info(vmid);
	start = info->vcpu_power[vcpuid] == VCPU_ON_PENDING;
	if (start) {
		info->vcpu_power[vcpuid] = VCPU_ON;
		*pc = info->vcpu_entry[vcpuid];
		*x0 = info->vcpu_context[vcpuid];
	}
	release_lock_vm(vmid);
	return start;
}
