// SPDX-License-Identifier: MIT
/*
 * corevisor: the CPU features a VM is told about, and the PMU it does not
 * have (docs/guest-platform.md "What is hidden"). The spec has no ID
 * registers: a guest read the CPU's own, which advertised a PMU, SVE,
 * pointer authentication and more that the trap configuration (MDCR_EL2,
 * CPTR_EL2, HCR_EL2.API) then broke or read as zero.
 *
 * HCR_EL2.TID3 traps the guest's reads of the ID group 3 registers (Op0 3,
 * Op1 0, CRn 0, CRm 1..7); the core answers each with the CPU's value less
 * what a VM does not get. MDCR_EL2.TPM / TPMCR trap every PMU register;
 * the core makes each access (and the SPE and trace buffer registers,
 * the rest of CRn 9) an undefined instruction, as on a CPU without them.
 */
#include <cv/arch.h>
#include <cv/panic.h>
#include <cv/state.h>
#include <cv/trap.h>
#include <cv/vcpu.h>

/* The bits of ID register field [@shift + 3 : @shift]. */
#define FIELD(shift) (0xfULL << (shift))

/*
 * ID_AA64DFR0_EL1 for a VM: the minimal self-hosted debug the
 * architecture requires of every AArch64 CPU (Arm ARM D19.2.59): DebugVer
 * 6 (Armv8.0 debug), 2 breakpoints (BRPs 1), 2 watchpoints (WRPs 1), 1
 * context-aware breakpoint (CTX_CMPs 0); no PMU (PMUVer 0), no trace, no
 * SPE, no TRBE, no BRBE; the double lock present (0), never locked.
 */
#define GUEST_ID_AA64DFR0 0x0000000000101006ULL

/* ID_AA64PFR0_EL1: SVE [35:32], MPAM [43:40], AMU [47:44] hidden. */
#define PFR0_HIDDEN (FIELD(32) | FIELD(40) | FIELD(44))
/* ID_AA64PFR1_EL1: MTE [11:8], SME [27:24], MTE_frac [43:40] hidden. */
#define PFR1_HIDDEN (FIELD(8) | FIELD(24) | FIELD(40))
/* ID_AA64ISAR1_EL1: pointer authentication APA, API, GPA, GPI hidden. */
#define ISAR1_HIDDEN (FIELD(4) | FIELD(8) | FIELD(24) | FIELD(28))
/* ID_AA64ISAR2_EL1: GPA3 [11:8], APA3 [15:12] hidden. */
#define ISAR2_HIDDEN (FIELD(8) | FIELD(12))
/* ID_DFR0_EL1 (AArch32): only CopDbg, at most Armv8.0 (6); no PerfMon. */
#define DFR0_COPDBG_V8 0x6ULL

/* Index of ID register (CRm, Op2) of the group 3 space. */
#define ID_REG(crm, op2) ((crm)*8U + (op2))

/*
 * The value a VM reads from ID register (Op0 3, Op1 0, CRn 0, @crm, @op2),
 * 1 <= @crm <= 7 (arch_read_id_reg: the CPU's; 0 for an encoding the
 * architecture leaves unallocated, which reads as zero).
 */
u64 guest_id_reg(u32 crm, u32 op2)
{
	u64 v;

	if (halted())
		return 0;
	if (crm < 1 || crm > 7 || op2 > 7) {
		panic("guest_id_reg: CRm %u Op2 %u not an ID register", crm,
		      op2);
		return 0;
	}
	switch (ID_REG(crm, op2)) {
	case ID_REG(1, 2): /* ID_DFR0_EL1 */
		v = arch_read_id_reg(crm, op2) & 0xf;
		return v > DFR0_COPDBG_V8 ? DFR0_COPDBG_V8 : v;
	case ID_REG(1, 3): /* ID_AFR0_EL1 */
	case ID_REG(3, 5): /* ID_DFR1_EL1: MTPMU */
	case ID_REG(4, 4): /* ID_AA64ZFR0_EL1: SVE */
	case ID_REG(4, 5): /* ID_AA64SMFR0_EL1: SME */
	case ID_REG(5, 1): /* ID_AA64DFR1_EL1 */
	case ID_REG(5, 4): /* ID_AA64AFR0_EL1 */
	case ID_REG(5, 5): /* ID_AA64AFR1_EL1 */
		return 0;
	case ID_REG(4, 0):
		return arch_read_id_reg(crm, op2) & ~PFR0_HIDDEN;
	case ID_REG(4, 1):
		return arch_read_id_reg(crm, op2) & ~PFR1_HIDDEN;
	case ID_REG(5, 0):
		return GUEST_ID_AA64DFR0;
	case ID_REG(6, 1):
		return arch_read_id_reg(crm, op2) & ~ISAR1_HIDDEN;
	case ID_REG(6, 2):
		return arch_read_id_reg(crm, op2) & ~ISAR2_HIDDEN;
	default:
		return arch_read_id_reg(crm, op2);
	}
}

/* ESR_EL2 ISS of a trapped MSR / MRS (EC 0x18), Arm ARM D17.2.37. */
#define SYS64_OP0(esr) (((esr) >> 20) & 3)
#define SYS64_OP2(esr) (((esr) >> 17) & 7)
#define SYS64_OP1(esr) (((esr) >> 14) & 7)
#define SYS64_CRN(esr) (((esr) >> 10) & 15)
#define SYS64_CRM(esr) (((esr) >> 1) & 15)

/*
 * A PMU register (CRn 9 of Op0 3: the PMU's, SPE's and the trace
 * buffer's; PMEVCNTR<n>_EL0 / PMEVTYPER<n>_EL0 / PMCCFILTR_EL0: Op1 3,
 * CRn 14, CRm 8..15).
 */
static bool is_pmu_reg(u64 esr)
{
	if (SYS64_OP0(esr) != 3)
		return false;
	if (SYS64_CRN(esr) == 9)
		return true;
	return SYS64_OP1(esr) == 3 && SYS64_CRN(esr) == 14 &&
	       SYS64_CRM(esr) >= 8;
}

/*
 * guest_sysreg_feature: a trapped MSR / MRS (syndrome @esr) of vCPU
 * (@vmid, @vcpuid) that is about the CPU's features. Returns true when it
 * served it: an ID register read gets guest_id_reg (and the PC steps); a
 * write to one, or any PMU register access, is an undefined instruction
 * (update_exception_gp_regs). False: not one of those.
 */
bool guest_sysreg_feature(u32 vmid, u32 vcpuid, u64 esr)
{
	u32 rt = (esr >> ESR_ELx_SYS64_ISS_RT_SHIFT) & 31;
	bool id;

	if (halted())
		return true;
	if (!is_vm(vmid) || !is_vcpu(vcpuid)) {
		panic("guest_sysreg_feature: vm %u vcpu %u out of range", vmid,
		      vcpuid);
		return true;
	}
	id = SYS64_OP0(esr) == 3 && SYS64_OP1(esr) == 0 &&
	     SYS64_CRN(esr) == 0 && SYS64_CRM(esr) >= 1;
	if (id && (esr & ESR_ELx_SYS64_ISS_DIR_READ)) {
		if (rt != 31)
			set_shadow_ctxt(vmid, vcpuid, rt,
					guest_id_reg((u32)SYS64_CRM(esr),
						     (u32)SYS64_OP2(esr)));
		set_shadow_ctxt(vmid, vcpuid, PC,
				get_shadow_ctxt(vmid, vcpuid, PC) +
					trapped_instr_len(esr));
		return true;
	}
	if (id || is_pmu_reg(esr)) {
		update_exception_gp_regs(vmid, vcpuid);
		return true;
	}
	return false;
}
