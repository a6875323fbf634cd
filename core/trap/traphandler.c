// SPDX-License-Identifier: MIT
/*
 * TrapHandler / TrapHandlerRaw and TrapDispatcher's vm_exit_dispatcher:
 * a VCPU_RUN from the host, the guest's exits, the host's stage-2 faults.
 *
 * A VCPU_RUN, on one CPU:
 *   save_host; restore_vm (set_vcpu_active, take the host's answers)
 *   loop: arch_vcpu_run (the world switch and the guest's run)
 *         vm_exit_handler: 0 = the core served the trap, run again
 *   save_vm (show the host the exit, set_vcpu_inactive); restore_host
 * and the host gets the exit reason in x0.
 */
#include <corevisor/vcpu_abi.h>
#include <cv/arch.h>
#include <cv/boot.h>
#include <cv/panic.h>
#include <cv/pt.h>
#include <cv/smmu.h>
#include <cv/state.h>
#include <cv/trap.h>
#include <cv/vcpu.h>
#include <cv/vgic.h>

#define ULL(x) ((unsigned long long)(x))

/*
 * core_handle_sys64: a trapped system-register access (ACTLR_EL1 under
 * TACR, set/way cache maintenance, ...). The spec skips the instruction;
 * corevisor also makes a read return 0 (RAZ/WI), so the guest's
 * destination register does not keep a stale value.
 */
static u32 core_handle_sys64(u32 vmid, u32 vcpuid, u64 esr)
{
	u32 rt = (esr >> ESR_ELx_SYS64_ISS_RT_SHIFT) & 31;

	/* corevisor: ID registers and the PMU (idregs.c). */
	if (guest_sysreg_feature(vmid, vcpuid, esr))
		return 0;
	/* corevisor: the emulated physical timer and the guest's SGIs. */
	switch (vgic_sys64(vmid, vcpuid, esr)) {
	case VGIC_SYS_SGI:
		return 1; /* CV_EXIT_SGI: the PC steps at the next run */
	case VGIC_SYS_UNDEF:
		update_exception_gp_regs(vmid, vcpuid);
		return 0;
	case VGIC_SYS_DONE:
		set_shadow_ctxt(vmid, vcpuid, PC,
				get_shadow_ctxt(vmid, vcpuid, PC) +
					trapped_instr_len(esr));
		return 0;
	default:
		break;
	}
	if ((esr & ESR_ELx_SYS64_ISS_DIR_READ) && rt != 31)
		set_shadow_ctxt(vmid, vcpuid, rt, 0);
	set_shadow_ctxt(vmid, vcpuid, PC,
			get_shadow_ctxt(vmid, vcpuid, PC) +
				trapped_instr_len(esr));
	return 0;
}

/*
 * corevisor: a stage-2 abort at an IPA the VM's declared memory map has
 * nothing at, or an instruction fetch from one of its MMIO regions: no
 * host could answer it. The guest takes an external abort at once.
 */
static bool nothing_here(u32 vmid, u32 vcpuid, u64 esr)
{
	u64 ipa = (get_shadow_ctxt(vmid, vcpuid, HPFAR_EL2) & HPFAR_FIPA_MASK)
		  << 8;
	u32 kind = vm_ipa_kind(vmid, ipa);

	return kind == 0 ||
	       (kind == CV_REGION_MMIO && cv.vminfos[vmid].nregions &&
		ESR_ELx_EC(esr) == ESR_ELx_EC_IABT_LOW);
}

/*
 * vm_exit_dispatcher_spec: SYS64 is served here, HVC64 by
 * core_handle_pvops (1 when it is the host's). The spec panics on every
 * other class, yet save_shadow_kvm_regs prepares WFx, HVC32, IABT_LOW and
 * DABT_LOW for the host: those (and SMC64, a guest's PSCI over SMC) go to
 * the host (1).
 *
 * corevisor: any other class (SVE or pointer authentication on a CPU that
 * has them, an AArch32 EL0's coprocessor access, anything the trap
 * configuration lets through) is the guest's own undefined instruction:
 * the core injects an undefined-instruction exception into it
 * (update_exception_gp_regs) and it resumes (0). The spec's panic would
 * let any guest stop the machine. An abort where the VM's memory map has
 * nothing (nothing_here) is the guest's external abort (0).
 */
u32 vm_exit_dispatcher(u32 vmid, u32 vcpuid)
{
	u64 esr;

	if (halted())
		return 0;
	if (!is_vm(vmid) || !is_vcpu(vcpuid)) {
		panic("vm_exit_dispatcher: vm %u vcpu %u out of range", vmid,
		      vcpuid);
		return 0;
	}
	esr = shadow_ctxt(vmid, vcpuid)->regs[ESR_EL2];
	switch (ESR_ELx_EC(esr)) {
	case ESR_ELx_EC_SYS64:
		return check(core_handle_sys64(vmid, vcpuid, esr));
	case ESR_ELx_EC_HVC64:
		return check(core_handle_pvops());
	case ESR_ELx_EC_IABT_LOW:
	case ESR_ELx_EC_DABT_LOW:
		if (nothing_here(vmid, vcpuid, esr)) {
			inject_external_abort(vmid, vcpuid);
			return check(0);
		}
		return check(1);
	case ESR_ELx_EC_WFx:
		/* corevisor: a WFI with an interrupt pending completes. */
		if (!(esr & 1) && vgic_wfi_wakes(vmid, vcpuid)) {
			set_shadow_ctxt(vmid, vcpuid, PC,
					get_shadow_ctxt(vmid, vcpuid, PC) +
						trapped_instr_len(esr));
			return check(0);
		}
		return check(1);
	case ESR_ELx_EC_HVC32:
	case ESR_ELx_EC_SMC64:
		return check(1);
	default:
		update_exception_gp_regs(vmid, vcpuid);
		return check(0);
	}
}

/* The exit code's class of exit, before the VM's power state counts. */
static u32 exit_kind(u32 vmid, u32 vcpuid, u64 ec)
{
	switch (ec) {
	case ARM_EXCEPTION_TRAP:
		return vm_exit_dispatcher(vmid, vcpuid);
	case ARM_EXCEPTION_IRQ:
		/* corevisor: the vCPU's own timer is served here (vgic.c). */
		return check(vgic_timer_exit(vmid, vcpuid) ? 0 : 1);
	case ARM_EXCEPTION_EL1_SERROR:
		/* Nothing to deliver it with: the VM stops (save_vm says so).
		 */
		set_vm_poweroff(vmid);
		return check(1);
	case ARM_EXCEPTION_IL:
		inject_illegal_state(vmid, vcpuid);
		return check(0);
	default:
		panic("vm_exit_handler: vm %u vcpu %u exit code %llu from the "
		      "world switch",
		      vmid, vcpuid, ULL(ec));
		return 0;
	}
}

/*
 * vm_exit_handler_raw_spec: a trap goes to vm_exit_dispatcher, an
 * interrupt to the host; the spec panics on any other exit code.
 *
 * corevisor: a guest reaches both other codes itself, so neither may stop
 * the machine. An SError (which the core has no way to deliver) powers
 * the VM off; an illegal exception return becomes the guest's own Illegal
 * Execution state exception (inject_illegal_state). A code the world
 * switch never returns still panics. And an exit the core served while
 * another vCPU powered the VM off goes to the host (save_vm: "powered
 * off") rather than run a dead VM on.
 */
u32 vm_exit_handler(u32 vmid, u32 vcpuid)
{
	u32 ret;

	if (halted())
		return 0;
	if (!is_vm(vmid) || !is_vcpu(vcpuid)) {
		panic("vm_exit_handler: vm %u vcpu %u out of range", vmid,
		      vcpuid);
		return 0;
	}
	ret = exit_kind(vmid, vcpuid, shadow_ctxt(vmid, vcpuid)->regs[EC]);
	if (ret == 0 && get_vm_poweron(vmid) == 0)
		ret = 1;
	return check(ret);
}

/*
 * host_vcpu_run_handler_spec, then vm_exit_handler_spec until the host's.
 * corevisor: when restore_vm did not take the vCPU (its VM is powered
 * off), the answer is CV_EXIT_POWERED_OFF and nothing ran.
 */
u64 host_vcpu_run_handler(u32 vmid, u32 vcpuid)
{
	struct cv_ctxt *ctxt;
	u64 vttbr;
	u32 reason, restored;

	if (halted())
		return 0;
	save_host();
	restored = restore_vm_vcpu(vmid, vcpuid);
	if (halted())
		return 0;
	if (restored == CV_RESTORED_NONE)
		return CV_EXIT_POWERED_OFF;
	ctxt = shadow_ctxt(vmid, vcpuid);
	vttbr = get_pt_vttbr(vmid); /* fixed for the VM's life */
	/* corevisor: a vCPU its guest has not started does not run. */
	if (restored == CV_RESTORED_RUN) {
		do {
			vgic_before_entry(vmid, vcpuid);
			arch_vcpu_run(vmid, vcpuid, vttbr, ctxt);
			vgic_after_exit(vmid, vcpuid);
		} while (!halted() && vm_exit_handler(vmid, vcpuid) == 0 &&
			 !halted());
	}
	if (halted())
		return 0;
	reason = save_vm_vcpu(vmid, vcpuid); /* save_vm, vCPU passed down */
	restore_host();
	return check(reason);
}

/*
 * host_npt_handler_spec: the host's stage-2 fault. The spec halts for an
 * IPA beyond 48 bits; HPFAR_EL2.FIPA cannot express one (bits 43:4 hold
 * IPA bits 47:12), so that check holds by construction.
 */
void host_npt_handler(u64 hpfar_el2, u64 far_el2, u64 esr_el2)
{
	if (halted())
		return;
	/* emulate_mmio's page offset (host_get_fault_ipa). */
	host_ctxt()->regs[FAR_EL2] = far_el2;
	handle_host_stage2_fault(hpfar_el2, esr_el2);
}
