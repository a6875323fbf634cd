// SPDX-License-Identifier: MIT
/*
 * VCPUOpsAux: resetting a new vCPU, and the two halves of an exit to the
 * host: the prep_* functions decide what the host sees and may answer
 * (set_int_gpr, the dirty set), sync_dirty_to_shadow and
 * post_handle_shadow_s2pt_fault take the answers in. Each follows its
 * _spec0; the deliberate differences say why where they are.
 */
#include <cv/arch.h>
#include <cv/boot.h>
#include <cv/mem.h>
#include <cv/panic.h>
#include <cv/pt.h>
#include <cv/pte.h>
#include <cv/state.h>
#include <cv/vcpu.h>

#include "vcpu_internal.h"

/*
 * reset_gp_regs_spec0: a vCPU starts: all general and FP/SIMD registers
 * cleared, the PC and X0 of its start. corevisor also clears SP_EL0,
 * SP_EL1, ELR_EL1, SPSR_EL1 and the virtual timer.
 *
 * The spec takes the host's PC (panicking unless it lies in a loaded
 * image) and PSTATE. corevisor's start comes from the core itself
 * (load_int_state, vcpu_take_start): vCPU 0's is the entry its signed
 * image names (checked to lie in that image's payload at verify), any
 * other's is the entry and context id of its guest's own PSCI CPU_ON;
 * PSTATE is EL1h with DAIF masked, as PSCI starts a CPU. A guest's entry
 * is not checked: starting a vCPU there is the guest branching in its own
 * address space, and a panic would let a guest stop the machine.
 */
void reset_gp_regs(u32 vmid, u32 vcpuid)
{
	struct cv_ctxt *c;

	if (halted())
		return;
	if (!is_vm(vmid) || !is_vcpu(vcpuid)) {
		panic("reset_gp_regs: vm %u vcpu %u out of range", vmid,
		      vcpuid);
		return;
	}
	clear_shadow_gp_regs(vmid, vcpuid);
	set_shadow_ctxt(vmid, vcpuid, X0, get_int_gpr(vmid, vcpuid, X0));
	set_shadow_ctxt(vmid, vcpuid, SP, 0);
	set_shadow_ctxt(vmid, vcpuid, SP_EL1, 0);
	set_shadow_ctxt(vmid, vcpuid, ELR_EL1, 0);
	set_shadow_ctxt(vmid, vcpuid, SPSR_EL1, 0);
	set_shadow_ctxt(vmid, vcpuid, PSTATE, get_int_pstate(vmid, vcpuid));
	set_shadow_ctxt(vmid, vcpuid, PC, get_int_pc(vmid, vcpuid));
	reset_fp_regs(vmid, vcpuid);
	/* A restart (after CPU_OFF) must not inherit the old timer. */
	c = shadow_ctxt(vmid, vcpuid);
	c->cntv_ctl = 0;
	c->cntv_cval = 0;
}

/*
 * reset_sys_regs_spec0: the EL1 system registers at their reset values,
 * MPIDR_EL1 from the vCPU id, ACTLR_EL1 from the CPU. The spec's loop
 * counts i = 1..24 (KVM's sysreg numbering) but indexes the context with
 * it, which would overwrite X1..X24; corevisor runs it over the context's
 * system registers, SYSREGS_START .. + SHADOW_SYS_REGS_SIZE - 1.
 */
void reset_sys_regs(u32 vmid, u32 vcpuid)
{
	if (halted())
		return;
	if (!is_vm(vmid) || !is_vcpu(vcpuid)) {
		panic("reset_sys_regs: vm %u vcpu %u out of range", vmid,
		      vcpuid);
		return;
	}
	for (u32 i = SYSREGS_START; i < SYSREGS_START + SHADOW_SYS_REGS_SIZE;
	     i++) {
		u64 val;

		if (i == MPIDR_EL1)
			val = vcpu_mpidr(vcpuid); /* cv/boot.h */
		else if (i == ACTLR_EL1)
			val = arch_read_actlr_el1();
		else
			val = get_sys_reg_desc_val(i);
		set_shadow_ctxt(vmid, vcpuid, i, val);
	}
}

/*
 * The register value an MMIO load of syndrome @esr gives when the device
 * answers @v (Arm ARM, ISS of a data abort): the low SAS bytes, sign-
 * extended when SSE is set, to 64 bits for an X register (SF) and to 32
 * for a W register, whose upper half is then 0.
 */
static u64 mmio_load_value(u64 esr, u64 v)
{
	u32 bits = 8U << ((esr & ESR_ELx_SAS) >> ESR_ELx_SAS_SHIFT);

	if (bits < 64) {
		v &= (1ULL << bits) - 1;
		if ((esr & ESR_ELx_SSE) && (v >> (bits - 1)) & 1)
			v |= ~((1ULL << bits) - 1);
	}
	return esr & ESR_ELx_SF ? v : v & 0xffffffffULL;
}

/*
 * sync_dirty_to_shadow_spec0: the host's answers, for exactly the
 * registers 0..30 the core offered (its own dirty set, never the host's).
 *
 * corevisor: an MMIO load's register (the one register of a data abort
 * exit, prep_abort) gets the host's value as the load would have loaded
 * it (mmio_load_value): the spec, and the hardware's answer through the
 * host, are 64 bits, and a 1-byte load must not fill a register with 8.
 */
void sync_dirty_to_shadow(u32 vmid, u32 vcpuid)
{
	const struct int_state *s;
	struct cv_ctxt *c;
	u64 regs, esr;
	bool mmio;

	if (halted())
		return;
	if (!is_vm(vmid) || !is_vcpu(vcpuid)) {
		panic("sync_dirty_to_shadow: vm %u vcpu %u out of range", vmid,
		      vcpuid);
		return;
	}
	/* get_int_gpr / set_shadow_ctxt for each offered register. */
	s = this_int_state();
	c = shadow_ctxt(vmid, vcpuid);
	esr = c->regs[ESR_EL2];
	mmio = ESR_ELx_EC(esr) == ESR_ELx_EC_DABT_LOW && (esr & ESR_ELx_ISV);
	for (regs = c->regs[DIRTY] & CV_DIRTY_REGS_MASK; regs;
	     regs &= regs - 1) {
		u32 i = (u32)__builtin_ctzll(regs);

		c->regs[i] = mmio ? mmio_load_value(esr, s->in.regs[i])
				  : s->in.regs[i];
	}
}

/* prep_wfx_spec0: nothing to show; the PC moves past the WFI/WFE. */
void prep_wfx(u32 vmid, u32 vcpuid)
{
	if (halted())
		return;
	if (!is_vm(vmid) || !is_vcpu(vcpuid)) {
		panic("prep_wfx: vm %u vcpu %u out of range", vmid, vcpuid);
		return;
	}
	shadow_ctxt(vmid, vcpuid)->regs[DIRTY] |= DIRTY_PC_FLAG;
}

/*
 * prep_hvc_spec0: a guest HVC/SMC for the host (PSCI). The host sees x0
 * (the function) and, for AFFINITY_INFO x1..x2, and answers x0.
 * SYSTEM_OFF powers the VM off here, in the core. corevisor: CPU_ON
 * (either calling convention) records the target's start in the core
 * (vcpu_power_on) and shows the host only the target (x1), not the entry
 * or context; CPU_OFF turns the calling vCPU off (vcpu_power_off): its
 * next start resets it, so it takes no answer.
 */
void prep_hvc(u32 vmid, u32 vcpuid)
{
	struct int_state *s;
	struct cv_ctxt *c;
	u64 fn0;
	u32 fn, nargs = 0;

	if (halted())
		return;
	if (!is_vm(vmid) || !is_vcpu(vcpuid)) {
		panic("prep_hvc: vm %u vcpu %u out of range", vmid, vcpuid);
		return;
	}
	s = this_int_state();
	c = shadow_ctxt(vmid, vcpuid);
	fn0 = c->regs[X0];
	c->regs[DIRTY] |= 1; /* set_shadow_dirty_bit: x0 is answered */
	int_show(s, X0, fn0);
	fn = (u32)fn0;
	if (fn == PSCI_0_2_FN64_CPU_ON || fn == PSCI_0_2_FN_CPU_ON) {
		/* corevisor: the target starts where its guest says. */
		u64 m = fn == PSCI_0_2_FN_CPU_ON ? 0xffffffffULL : ~0ULL;

		vcpu_power_on(vmid, c->regs[X1] & m, c->regs[X2] & m,
			      c->regs[X3] & m);
		nargs = 1;
	} else if (fn == PSCI_0_2_FN_AFFINITY_INFO ||
		   fn == PSCI_0_2_FN64_AFFINITY_INFO) {
		nargs = 2;
	} else if (fn == PSCI_0_2_FN_CPU_OFF) {
		/* corevisor: off until a CPU_ON; no answer to take. */
		vcpu_power_off(vmid, vcpuid);
		c->regs[DIRTY] = INVALID64;
	} else if (fn == PSCI_0_2_FN_SYSTEM_OFF) {
		set_vm_poweroff(vmid);
	}
	for (u32 i = 1; i <= nargs; i++)
		int_show(s, i, c->regs[i]);
}

/* The value a store of @len bytes from register @rd writes (31: zero). */
static u64 stored_value(const struct cv_ctxt *c, u32 rd, u32 len)
{
	u64 v = rd == 31 ? 0 : c->regs[rd];

	return len >= 8 ? v : v & ((1ULL << (8 * len)) - 1);
}

/*
 * prep_abort_spec0: a stage-2 abort. Below MAX_MMIO_ADDR (corevisor: in
 * an MMIO region of the VM's declared memory map, vm_ipa_kind) it is MMIO: a
 * store shows the host the one stored value, a load offers it the one
 * register it fills; either way the PC moves past the instruction. At or
 * above, it is a RAM fault: the host sees the IPA and answers with a page
 * (post_handle_shadow_s2pt_fault); the guest retries. corevisor: either
 * may be answered with "nothing is here" instead (DIRTY_ABORT_FLAG,
 * inject_external_abort).
 *
 * Differences from the spec, each keeping a guest register from the host:
 *  - the syndrome is the shadow ESR_EL2 (get_int_esr);
 *  - a store shows only the bytes it stores (the spec: the whole
 *    register), and 0 for the zero register (index 31 is SP here);
 *  - a data abort without a valid syndrome (ISV = 0: load/store pair,
 *    writeback, a stage-1 walk) names no register: the spec would take
 *    bits 20:16 as one. Nothing is shown; the guest gets an exception
 *    (PENDING_EXCEPT_INJECT_FLAG) on its next run;
 *  - an instruction abort is a fault, never MMIO (its ISS has no
 *    register; the spec would offer the host x0).
 */
void prep_abort(u32 vmid, u32 vcpuid)
{
	struct int_state *s;
	struct cv_ctxt *c;
	u64 esr, ipa;
	u32 rd, len;

	if (halted())
		return;
	if (!is_vm(vmid) || !is_vcpu(vcpuid)) {
		panic("prep_abort: vm %u vcpu %u out of range", vmid, vcpuid);
		return;
	}
	s = this_int_state();
	c = shadow_ctxt(vmid, vcpuid);
	esr = c->regs[ESR_EL2]; /* get_int_esr */
	rd = (esr >> ESR_ELx_SRT_SHIFT) & ESR_ELx_SRT_MASK;
	ipa = (c->regs[HPFAR_EL2] & HPFAR_FIPA_MASK) << 8;
	s->out.esr = esr;
	s->out.fault_ipa = ipa | (c->regs[FAR_EL2] & (PAGE_SIZE - 1));
	if (vm_ipa_kind(vmid, ipa) != CV_REGION_MMIO ||
	    ESR_ELx_EC(esr) != ESR_ELx_EC_DABT_LOW) {
		c->regs[DIRTY] |= DIRTY_ABORT_FLAG;
		return;
	}
	if (!(esr & ESR_ELx_ISV)) {
		c->regs[DIRTY] |= PENDING_EXCEPT_INJECT_FLAG;
		return;
	}
	c->regs[DIRTY] |= DIRTY_ABORT_FLAG;
	len = 1U << ((esr & ESR_ELx_SAS) >> ESR_ELx_SAS_SHIFT);
	s->out.mmio.valid = 1;
	s->out.mmio.len = len;
	s->out.mmio.reg = rd;
	s->out.mmio.sign_extend = !!(esr & ESR_ELx_SSE);
	s->out.mmio.sixty_four = !!(esr & ESR_ELx_SF);
	c->regs[DIRTY] |= DIRTY_PC_FLAG;
	if (!(esr & ESR_ELx_WNR) && !(esr & ESR_ELx_S1PTW)) {
		c->regs[DIRTY] |= 1ULL << rd;
	} else {
		s->out.mmio.is_write = 1;
		if (rd != 31)
			int_show(s, rd, stored_value(c, rd, len));
	}
}

/*
 * The PSTATE an exception taken to EL1 starts with (Arm ARM
 * AArch64.TakeException): EL1h with D, A, I, F masked; NZCV, DIT and PAN
 * kept, PAN set when SCTLR_EL1.SPAN is 0, SSBS from SCTLR_EL1.DSSBS; SS,
 * IL, BTYPE and UAO cleared.
 */
static u64 exception_pstate(u64 old, u64 sctlr)
{
	u64 pstate = old & (PSR_NZCV | PSR_DIT | PSR_PAN);

	if (!(sctlr & SCTLR_EL1_SPAN))
		pstate |= PSR_PAN;
	if (sctlr & SCTLR_EL1_DSSBS)
		pstate |= PSR_SSBS;
	return pstate | PSTATE_FAULT_BITS_64;
}

/*
 * Take an exception to the guest's EL1 as the hardware would, at the
 * vector @kind (VECTOR_SYNC, VECTOR_SERROR) of the table for where the
 * vCPU is (get_exception_vector): ELR_EL1 = PC, SPSR_EL1 = PSTATE (and the
 * spec's SPSR_0, KVM's spsr[0]), ESR_EL1 = @esr, PSTATE as
 * exception_pstate says. FAR_EL1 is left as it is: UNKNOWN for the
 * classes the core injects (unknown reason, illegal execution state).
 */
static void take_exception(u32 vmid, u32 vcpuid, u64 esr, u64 kind)
{
	struct cv_ctxt *c = shadow_ctxt(vmid, vcpuid);
	u64 pstate = c->regs[PSTATE];

	c->regs[ELR_EL1] = c->regs[PC];
	c->regs[SPSR_0] = pstate;
	c->regs[SPSR_EL1] = pstate;
	c->regs[ESR_EL1] = esr;
	c->regs[PC] = c->regs[VBAR_EL1] + get_exception_vector(pstate) + kind;
	c->regs[PSTATE] = exception_pstate(pstate, c->regs[SCTLR_EL1]);
}

/*
 * update_exception_gp_regs_spec0: inject an undefined-instruction
 * exception (ESR_EL1 EC 0, "unknown reason", IL of the trapped
 * instruction) into the guest at EL1. The spec writes ELR_EL1, the
 * vector, SPSR_0 and PSTATE = EL1h with DAIF masked; corevisor also
 * writes SPSR_EL1 (what the world switch loads), ESR_EL1, the vector of
 * an AArch32 EL0, and PSTATE as the architecture does (take_exception).
 */
void update_exception_gp_regs(u32 vmid, u32 vcpuid)
{
	if (halted())
		return;
	if (!is_vm(vmid) || !is_vcpu(vcpuid)) {
		panic("update_exception_gp_regs: vm %u vcpu %u out of range",
		      vmid, vcpuid);
		return;
	}
	take_exception(
		vmid, vcpuid,
		((u64)ESR_ELx_EC_UNKNOWN << ESR_ELx_EC_SHIFT) |
			(shadow_ctxt(vmid, vcpuid)->regs[ESR_EL2] & ESR_ELx_IL),
		VECTOR_SYNC);
}

/*
 * corevisor: the guest's illegal exception return came to EL2
 * (ARM_EXCEPTION_IL). Without EL2 it would have taken an Illegal
 * Execution state exception at EL1: deliver that (ESR_EL1 EC 0x0e, IL).
 */
void inject_illegal_state(u32 vmid, u32 vcpuid)
{
	if (halted())
		return;
	if (!is_vm(vmid) || !is_vcpu(vcpuid)) {
		panic("inject_illegal_state: vm %u vcpu %u out of range", vmid,
		      vcpuid);
		return;
	}
	take_exception(vmid, vcpuid,
		       ((u64)ESR_ELx_EC_ILLEGAL << ESR_ELx_EC_SHIFT) |
			       ESR_ELx_IL,
		       VECTOR_SYNC);
}

/*
 * corevisor: the stage-2 abort of the last exit had nothing behind it
 * (the host answered CV_ABORT_INJECT, or the IPA is in no region of the
 * VM's memory map). Without EL2 the access would have taken a synchronous
 * external abort to EL1 (Arm ARM D1.10, ESR_ELx ISS of an instruction /
 * data abort): EC instruction or data abort, from the current EL (the
 * guest's EL1) or a lower one (its EL0, AArch64 or AArch32); IL = 1 (ISV
 * is 0); FSC 0x10, also for the guest's own stage-1 walk (S1PTW: EL2 does
 * not know the level of that walk); WnR and CM of a data abort as the
 * hardware reported them; FAR_EL1 = FAR_EL2, or FnV when that is not
 * valid. take_exception does the rest (ELR_EL1 = the access' PC,
 * SPSR_EL1, the vector, PSTATE).
 */
void inject_external_abort(u32 vmid, u32 vcpuid)
{
	struct cv_ctxt *c;
	u64 esr2, pstate, esr;
	bool iabt, cur;

	if (halted())
		return;
	if (!is_vm(vmid) || !is_vcpu(vcpuid)) {
		panic("inject_external_abort: vm %u vcpu %u out of range", vmid,
		      vcpuid);
		return;
	}
	c = shadow_ctxt(vmid, vcpuid);
	esr2 = c->regs[ESR_EL2];
	pstate = c->regs[PSTATE];
	iabt = ESR_ELx_EC(esr2) == ESR_ELx_EC_IABT_LOW;
	cur = !(pstate & PSR_MODE32_BIT) &&
	      (pstate & PSR_MODE_MASK) != PSR_MODE_EL0t;
	esr = (u64)(iabt ? (cur ? ESR_ELx_EC_IABT_CUR : ESR_ELx_EC_IABT_LOW)
			 : (cur ? ESR_ELx_EC_DABT_CUR : ESR_ELx_EC_DABT_LOW))
	      << ESR_ELx_EC_SHIFT;
	esr |= ESR_ELx_IL | ESR_ELx_FSC_EXTABT;
	if (!iabt)
		esr |= esr2 & (ESR_ELx_WNR | ESR_ELx_CM);
	if (esr2 & ESR_ELx_FnV)
		esr |= ESR_ELx_FnV;
	else
		c->regs[FAR_EL1] = c->regs[FAR_EL2];
	take_exception(vmid, vcpuid, esr, VECTOR_SYNC);
}

/*
 * post_handle_shadow_s2pt_fault_spec0: the host's answer to a RAM fault:
 * map host page phys_page(pte) (level 3) or the 2 MiB block there (level
 * 2) at @addr. prot_and_map_vm_s2pt takes each page from the host
 * (assign_pfn_to_vm: it must be the host's, unshared, else panic) and
 * maps it in the VM (map_pfn_vm: an IPA the VM already maps to another
 * page panics; checked and mapped under the VM's stage-2 lock, so two
 * vCPUs' concurrent answers cannot swap a page the VM already has).
 */
void post_handle_shadow_s2pt_fault(u32 vmid, u32 vcpuid, u64 addr)
{
	u64 pte, level;
	u32 lvl;

	if (halted())
		return;
	if (!is_vm(vmid) || !is_vcpu(vcpuid) || !is_addr(addr)) {
		panic("post_handle_shadow_s2pt_fault: vm %u vcpu %u addr "
		      "0x%llx out of range",
		      vmid, vcpuid, ULL(addr));
		return;
	}
	pte = get_int_new_pte(vmid, vcpuid);
	level = get_int_new_level(vmid, vcpuid);
	lvl = level == 2 ? 2 : 3;
	/* corevisor: a declared memory map takes pages in RAM only. */
	if (!vm_ram_covers(vmid,
			   addr & ~((lvl == 2 ? PMD_SIZE : PAGE_SIZE) - 1),
			   lvl == 2 ? PMD_SIZE : PAGE_SIZE)) {
		panic("post_handle_shadow_s2pt_fault: vm %u addr 0x%llx level "
		      "%u not in the VM's RAM",
		      vmid, ULL(addr), lvl);
		return;
	}
	prot_and_map_vm_s2pt(vmid, addr, pte, lvl);
}
