// SPDX-License-Identifier: MIT
/*
 * MemHandler: the host's memory calls of a VM's end of life and its
 * devices (clear_vm_stage2_range, kvm_phys_addr_ioremap), and the timer
 * offset (AbstractMachine timer_set_cntvoff). el2_arm_lpae_map belongs to
 * the SMMU layers (MmioOps), which corevisor does not build yet.
 */
#include <cv/arch.h>
#include <cv/boot.h>
#include <cv/lock.h>
#include <cv/mem.h>
#include <cv/panic.h>
#include <cv/state.h>
#include <cv/trap.h>

#define ULL(x) ((unsigned long long)(x))

/* A vCPU of VM @vmid that is running, or INVALID (its lock held). */
static u32 running_vcpu(u32 vmid)
{
	u32 found = INVALID;

	assert_locked(INFO_ID + vmid);
	for (u32 i = 0; i < VCPU_PER_VM; i++)
		if (vcpu_state_of(vm_info(vmid), i) == ACTIVE)
			found = i;
	return found;
}

/*
 * clear_vm_stage2_range_spec: the pages of a powered-off VM in physical
 * [start, start + size) go back to the host, scrubbed; before power-off
 * nothing happens.
 *
 * Strengthening: no vCPU of the VM may still be running. clear_vm_range
 * scrubs each page and hands it to the host but leaves the VM's stage 2
 * as it is (the VM can never run again, set_vcpu_active wants VERIFIED);
 * a vCPU still running on another CPU, though, would keep reaching pages
 * that are now the host's. Once POWEROFF, no vCPU becomes ACTIVE again,
 * so the check cannot go stale.
 */
void clear_vm_stage2_range(u32 vmid, u64 start, u64 size)
{
	u32 vcpuid;

	if (halted())
		return;
	if (!is_vm(vmid) || !is_addr(start) || !is_addr(size)) {
		panic("clear_vm_stage2_range: bad args vm %u start 0x%llx size "
		      "0x%llx",
		      vmid, ULL(start), ULL(size));
		return;
	}
	/*
	 * corevisor: SMMU_ID and the VM's lock are held throughout (state.h's
	 * order), so the VM cannot be destroyed, and its vmid taken by a new
	 * VM, between the power check and the pages' reclaim.
	 */
	acquire_lock_smmu();
	acquire_lock_vm(vmid);
	if (vm_info(vmid)->state != POWEROFF) {
		release_lock_vm(vmid);
		release_lock_smmu();
		return;
	}
	vcpuid = running_vcpu(vmid);
	if (vcpuid != INVALID) {
		panic("clear_vm_stage2_range: vm %u vcpu %u is still running",
		      vmid, vcpuid);
		return;
	}
	snapshot_cancel(vmid); /* corevisor: its pages change */
	clear_vm_range_smmu_held(vmid, start / PAGE_SIZE, size / PAGE_SIZE);
	if (halted())
		return;
	release_lock_vm(vmid);
	release_lock_smmu();
}

/*
 * kvm_phys_addr_ioremap_spec: map_io page by page, [gpa, gpa + size) to
 * [pa, pa + size) (size rounded up to pages). map_io panics unless the VM
 * is READY, and maps only device pages (RAM is ignored, map_vm_io).
 */
void kvm_phys_addr_ioremap(u32 vmid, u64 gpa, u64 pa, u64 size)
{
	u64 num;

	if (halted())
		return;
	if (!is_vmid(vmid) || !is_addr(gpa) || !is_paddr(pa) ||
	    !is_addr(size) || gpa + size >= KVM_ADDR_SPACE ||
	    pa + size >= KVM_PHYS_SIZE) {
		panic("kvm_phys_addr_ioremap: bad args vm %u gpa 0x%llx pa "
		      "0x%llx size 0x%llx",
		      vmid, ULL(gpa), ULL(pa), ULL(size));
		return;
	}
	num = (size + PAGE_SIZE - 1) / PAGE_SIZE;
	for (u64 i = 0; i < num; i++) {
		map_io(vmid, gpa + i * PAGE_SIZE, pa + i * PAGE_SIZE);
		if (halted())
			return;
	}
}

/*
 * timer_set_cntvoff: the host sets the virtual counter offset its VMs see
 * on this CPU (the spec models it as no state change: time is the host's).
 */
void timer_set_cntvoff(u64 cntvoff)
{
	if (halted())
		return;
	arch_timer_set_cntvoff(cntvoff);
}
