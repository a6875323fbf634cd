// SPDX-License-Identifier: MIT
/*
 * FaultHandler: the host's stage-2 faults (handle_host_stage2_fault) and
 * a guest's own hypercalls (core_handle_pvops).
 */
#include <corevisor/abi.h>
#include <cv/arch.h>
#include <cv/gictab.h>
#include <cv/mem.h>
#include <cv/panic.h>
#include <cv/smmu.h>
#include <cv/state.h>
#include <cv/trap.h>
#include <cv/vcpu.h>

#define ULL(x) ((unsigned long long)(x))

/*
 * handle_host_stage2_fault_spec: the faulting IPA is HPFAR_EL2.FIPA << 12
 * (the spec's HPFAR_MASK is a placeholder for that field). An access to
 * an SMMU's registers is emulated (emulate_mmio, core/smmu: the page is
 * never mapped for the host); for any other page emulate_mmio answers
 * INVALID and map_page_host maps it if the host may have it and panics
 * otherwise.
 */
void handle_host_stage2_fault(u64 hpfar_el2, u64 esr_el2)
{
	u64 addr = (hpfar_el2 & HPFAR_FIPA_MASK) << 8;
	u32 ret;

	if (halted())
		return;
	/* corevisor: the GIC's table registers (cv/gictab.h). */
	if (gic_emulate(addr, (u32)esr_el2) || halted())
		return;
	ret = emulate_mmio(addr, (u32)esr_el2);
	if (halted() || ret != INVALID)
		return;
	map_page_host(addr);
}

/*
 * core_handle_pvops_spec: a guest HVC (x0 = number, x2 = IPA, x3 = size).
 * The guest's page sharing calls are served here and return 0 to the
 * guest (the spec leaves x0 alone; SMCCC wants a result, and 0 is
 * success); anything else returns 1: the host's (PSCI).
 *
 * corevisor: the spec relies on the guest's range lying below 2^48, so a
 * guest would stop the machine with a larger one (the calls panic). It is
 * refused instead: nothing changes, the guest gets SMCCC's
 * INVALID_PARAMETER.
 */
u32 core_handle_pvops(void)
{
	const struct cv_ctxt *c;
	u32 cpu, vmid, vcpuid;
	u64 arg, addr, size;

	if (halted())
		return 0;
	/* get_cur_vmid, get_cur_vcpuid: this CPU's entry, read once. */
	cpu = arch_cpu_id();
	vmid = cv.cpus[cpu].cur_vmid;
	vcpuid = cv.cpus[cpu].cur_vcpuid;
	if (!is_vm(vmid) || !is_vcpu(vcpuid)) {
		panic("core_handle_pvops: cpu %u runs vm %u vcpu %u, not a VM",
		      cpu, vmid, vcpuid);
		return 0;
	}
	c = shadow_ctxt(vmid, vcpuid);
	arg = c->regs[X0];
	addr = c->regs[X2];
	size = c->regs[X3];
	if (arg != CV_GUEST_HVC_SHARE && arg != CV_GUEST_HVC_UNSHARE)
		return check(1);
	if (!is_sg_range(addr, size)) {
		set_shadow_ctxt(vmid, vcpuid, X0,
				CV_GUEST_RET_INVALID_PARAMETER);
		return check(0);
	}
	if (arg == CV_GUEST_HVC_SHARE)
		grant_stage2_sg_gpa(vmid, addr, size);
	else
		revoke_stage2_sg_gpa(vmid, addr, size);
	set_shadow_ctxt(vmid, vcpuid, X0, 0);
	return check(0);
}
