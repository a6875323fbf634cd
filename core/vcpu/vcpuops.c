// SPDX-License-Identifier: MIT
/*
 * VCPUOps (save_shadow_kvm_regs, restore_shadow_kvm_regs) and the core's
 * half of CtxtSwitch (save_host, restore_host, save_vm, restore_vm). The
 * hardware half of each of those is arch_vcpu_run (cv/arch.h).
 */
#include <cv/arch.h>
#include <cv/boot.h>
#include <cv/panic.h>
#include <cv/state.h>
#include <cv/vcpu.h>
#include <cv/vgic.h>

#include "vcpu_internal.h"

/* The current principal must be a VM's vCPU: *vmid, *vcpuid. */
static bool cur_vcpu(const char *who, u32 *vmid, u32 *vcpuid)
{
	u32 cpu = arch_cpu_id();

	/* get_cur_vmid, get_cur_vcpuid: this CPU's entry, read once. */
	*vmid = cv.cpus[cpu].cur_vmid;
	*vcpuid = cv.cpus[cpu].cur_vcpuid;
	if (!is_vm(*vmid) || !is_vcpu(*vcpuid)) {
		panic("%s: cpu %u runs vm %u vcpu %u, not a VM", who, cpu,
		      *vmid, *vcpuid);
		return false;
	}
	return true;
}

/*
 * save_shadow_kvm_regs_spec0: after a trap the host must handle, prepare
 * what it sees (prep_*). Returns the exit reason for the host. A trap
 * class the core does not know panics, as in the spec (vm_exit_dispatcher
 * keeps those in the core, so only a direct call gets here with one).
 *
 * SMC64 (a guest's PSCI call over SMC; the spec has no case for it) is
 * handled as HVC, plus the PC step: a trapped SMC returns to itself.
 *
 * corevisor: the exit of a vCPU whose VM is powered off (by another
 * vCPU's SYSTEM_OFF meanwhile, or by the core on an SError) shows nothing
 * and is CV_EXIT_POWERED_OFF: there is nothing left to answer.
 */
static u32 save_exit(u32 vmid, u32 vcpuid, struct int_state *s)
{
	const struct cv_ctxt *c = shadow_ctxt(vmid, vcpuid);
	struct cv_vcpu_run *out = &s->out;
	u64 esr;

	if (get_vm_poweron(vmid) == 0)
		return CV_EXIT_POWERED_OFF;
	if (s->vcpu_off)
		return CV_EXIT_VCPU_OFF;
	if (c->regs[EC] != ARM_EXCEPTION_TRAP)
		return CV_EXIT_IRQ;
	esr = c->regs[ESR_EL2];
	switch (ESR_ELx_EC(esr)) {
	case ESR_ELx_EC_WFx:
		out->esr = esr;
		prep_wfx(vmid, vcpuid);
		return CV_EXIT_WFX;
	case ESR_ELx_EC_SMC64:
		set_shadow_dirty_bit(vmid, vcpuid, DIRTY_PC_FLAG);
		/* fall through */
	case ESR_ELx_EC_HVC32:
	case ESR_ELx_EC_HVC64:
		out->esr = esr;
		prep_hvc(vmid, vcpuid);
		return (u32)c->regs[X0] == PSCI_0_2_FN_SYSTEM_OFF
			       ? CV_EXIT_SYSTEM_OFF
			       : CV_EXIT_HVC;
	case ESR_ELx_EC_SYS64:
		/* corevisor: the only SYS64 exit is a guest's SGI (vgic.c). */
		out->esr = esr;
		set_shadow_dirty_bit(vmid, vcpuid, DIRTY_PC_FLAG);
		return CV_EXIT_SGI;
	case ESR_ELx_EC_IABT_LOW:
	case ESR_ELx_EC_DABT_LOW:
		prep_abort(vmid, vcpuid);
		return ESR_ELx_EC(esr) == ESR_ELx_EC_DABT_LOW &&
				       vm_ipa_kind(vmid, out->fault_ipa) ==
					       CV_REGION_MMIO
			       ? CV_EXIT_MMIO
			       : CV_EXIT_MEM_FAULT;
	default:
		panic("save_shadow_kvm_regs: vm %u vcpu %u esr 0x%llx: no "
		      "handler for class 0x%llx",
		      vmid, vcpuid, ULL(esr), ULL(ESR_ELx_EC(esr)));
		return CV_EXIT_NONE;
	}
}

/* The exit reason goes into this CPU's exit record, for save_vm. */
void save_shadow_kvm_regs(void)
{
	u32 vmid, vcpuid;

	struct int_state *s = this_int_state();

	if (halted() || !cur_vcpu(__func__, &vmid, &vcpuid))
		return;
	s->out.exit_reason = save_exit(vmid, vcpuid, s);
}

/*
 * restore_shadow_kvm_regs_spec0: before the vCPU runs. The first run
 * (dirty = INVALID64) resets it at its start (the spec: the host's PC and
 * PSTATE; corevisor: the core's, load_int_state), or, without a start,
 * leaves it off; later runs take the host's answers to the last exit: the
 * offered registers, the exception to inject, the PC step, and a page for
 * a RAM fault; corevisor: or, where the exit offered it, "nothing is here"
 * (run->abort): an external abort for the guest and nothing else.
 *
 * corevisor: the PC is whatever the guest made it (a kernel runs at
 * 0xffff...): the spec's rely that it is an address below 2^48 would let
 * any guest stop the machine. The step wraps as the hardware's PC does,
 * and is the trapped instruction's length (2 for a 16-bit T32 one).
 */
static void restore_shadow_regs(u32 vmid, u32 vcpuid, struct int_state *s)
{
	struct cv_ctxt *c = shadow_ctxt(vmid, vcpuid);
	u64 dirty = c->regs[DIRTY], addr, abort;

	if (dirty == INVALID64) {
		if (s->vcpu_off)
			return;
		reset_gp_regs(vmid, vcpuid);
		reset_sys_regs(vmid, vcpuid);
		vgic_reset(vmid, vcpuid);
		set_shadow_dirty_bit(vmid, vcpuid, 0);
		return;
	}
	abort = (dirty & DIRTY_ABORT_FLAG) ? s->in.abort : CV_ABORT_NONE;
	if (abort != CV_ABORT_NONE && abort != CV_ABORT_INJECT) {
		panic("restore_shadow_kvm_regs: vm %u vcpu %u abort answer "
		      "0x%llx",
		      vmid, vcpuid, ULL(abort));
		return;
	}
	if (abort == CV_ABORT_INJECT) {
		/* corevisor: "nothing is here" replaces every other answer. */
		inject_external_abort(vmid, vcpuid);
		c->regs[DIRTY] = 0;
		c->regs[FAR_EL2] = 0;
		return;
	}
	if (c->regs[EC] == ARM_EXCEPTION_TRAP)
		sync_dirty_to_shadow(vmid, vcpuid);
	if (dirty & PENDING_EXCEPT_INJECT_FLAG)
		update_exception_gp_regs(vmid, vcpuid);
	if (dirty & DIRTY_PC_FLAG)
		c->regs[PC] += trapped_instr_len(c->regs[ESR_EL2]);
	/* set_shadow_dirty_bit(0), set_shadow_ctxt(FAR_EL2, 0). */
	c->regs[DIRTY] = 0;
	c->regs[FAR_EL2] = 0;
	addr = s->in.fault_addr; /* get_vm_fault_addr */
	if (addr > 0 && addr < KVM_ADDR_SPACE)
		post_handle_shadow_s2pt_fault(vmid, vcpuid, addr);
}

void restore_shadow_kvm_regs(void)
{
	u32 vmid, vcpuid;

	if (halted() || !cur_vcpu(__func__, &vmid, &vcpuid))
		return;
	restore_shadow_regs(vmid, vcpuid, this_int_state());
}

/*
 * save_host_spec: the host's registers are the arch's (the HVC entry's
 * frame, arch_vcpu_run's per-CPU save); the core's part is knowing that
 * this CPU is in the host when a VCPU_RUN starts.
 */
void save_host(void)
{
	u32 cpu, vmid;

	if (halted())
		return;
	cpu = arch_cpu_id();
	vmid = cv.cpus[cpu].cur_vmid; /* get_cur_vmid */
	if (vmid != HOSTVISOR) {
		panic("save_host: cpu %u is in vm %u, not the host", cpu, vmid);
		return;
	}
}

/* restore_host_spec: this CPU is the host's again (set_per_cpu). */
void restore_host(void)
{
	set_per_cpu(HOSTVISOR, 0);
}

/*
 * save_vm_spec: the vCPU leaves for the host. Prepare and publish the
 * exit (save_shadow_kvm_regs, publish_int_state), then the vCPU is READY
 * again (set_vcpu_inactive). Returns the exit reason (CV_EXIT_*).
 */
u32 save_vm(void)
{
	u32 vmid, vcpuid;

	if (halted() || !cur_vcpu(__func__, &vmid, &vcpuid))
		return 0;
	return save_vm_vcpu(vmid, vcpuid);
}

/*
 * save_vm of vCPU @vcpuid of VM @vmid, which this CPU runs: VCPU_RUN
 * passes down what restore_vm took instead of reading it back (cur_vcpu).
 * The caller has checked halted().
 */
u32 save_vm_vcpu(u32 vmid, u32 vcpuid)
{
	struct int_state *s = this_int_state();
	u32 reason;

	/* save_shadow_kvm_regs, on the vCPU found above. */
	reason = save_exit(vmid, vcpuid, s);
	s->out.exit_reason = reason;
	publish_int_state(vmid, vcpuid, reason);
	set_vcpu_inactive(vmid, vcpuid);
	return check(reason);
}

/*
 * restore_vm_spec: this CPU takes vCPU @vcpuid of VM @vmid (the spec gets
 * vmid from the host's x0 and vcpuid from the shared kvm structure;
 * corevisor's VCPU_RUN passes both as arguments, checked alike). The VM
 * must be VERIFIED and the vCPU READY (set_vcpu_active); then the host's
 * answers are read once and applied (restore_shadow_kvm_regs).
 *
 * corevisor: a READY vCPU of a VM another vCPU powered off is not taken
 * (set_vcpu_active_unless_off): this CPU stays the host's, and
 * host_vcpu_run_handler answers CV_EXIT_POWERED_OFF. The spec panics.
 */
void restore_vm(u32 vmid, u32 vcpuid)
{
	(void)restore_vm_vcpu(vmid, vcpuid);
}

/*
 * restore_vm, telling VCPU_RUN what it found (no read back of this CPU's
 * vCPU): CV_RESTORED_RUN, CV_RESTORED_OFF (taken, but off: nothing runs)
 * or CV_RESTORED_NONE (not taken: powered off, or a panic).
 */
u32 restore_vm_vcpu(u32 vmid, u32 vcpuid)
{
	struct int_state *s;

	if (halted())
		return CV_RESTORED_NONE;
	if (!is_vm(vmid)) {
		panic("restore_vm: vmid %u is not a VM", vmid);
		return CV_RESTORED_NONE;
	}
	if (!is_vcpu(vcpuid)) {
		panic("restore_vm: vm %u vcpuid %u out of range", vmid, vcpuid);
		return CV_RESTORED_NONE;
	}
	if (!set_vcpu_active_unless_off(vmid, vcpuid) || halted())
		return CV_RESTORED_NONE;
	set_per_cpu(vmid, vcpuid);
	load_int_state(vmid, vcpuid);
	if (halted())
		return CV_RESTORED_NONE;
	/* restore_shadow_kvm_regs, on the vCPU just taken. */
	s = this_int_state();
	restore_shadow_regs(vmid, vcpuid, s);
	vgic_take_requests(vmid, vcpuid); /* corevisor: the host's injections */
	/* A panic in between: the caller checks halted() first. */
	return s->vcpu_off ? CV_RESTORED_OFF : CV_RESTORED_RUN;
}
