/* SPDX-License-Identifier: MIT */
/*
 * vCPU context (core/vcpu): VCPUOpsAux, VCPUOps and the core's half of
 * CtxtSwitch, plus the AbstractMachine primitives they build on (the
 * shadow context, the per-CPU current vCPU, and the intermediate state
 * shared with the host, include/corevisor/vcpu_abi.h).
 *
 * The shadow context of a vCPU (state.h struct cv_ctxt) is the core's
 * own copy of the guest's registers. The host never sees it; on an exit
 * the core shows the host only the registers the exit needs
 * (set_int_gpr) and records in regs[DIRTY] which ones the host may write
 * back; on the next run sync_dirty_to_shadow copies exactly those
 * (get_int_gpr). regs[DIRTY] = INVALID64 (set by register_vcpu) means
 * "never ran": the first run resets the vCPU from the host's initial PC
 * and PSTATE (reset_gp_regs, reset_sys_regs).
 *
 * Who may touch a shadow context: the CPU that made the vCPU ACTIVE
 * (set_vcpu_active) until it makes it READY again; otherwise the holder
 * of the VM's info lock. The functions here run on the vCPU's CPU between
 * those two points, on the current vCPU (cv.cpus[cpu]).
 */
#ifndef CV_VCPU_H
#define CV_VCPU_H

#include <cv/types.h>

/* ---- Hardware encodings (Arm ARM D17.2.37 ESR_EL2; the spec's values
 * where they are real, the architecture's where the spec's are
 * placeholders) ---- */
#define ESR_ELx_EC_SHIFT 26
#define ESR_ELx_EC_MASK (0x3fULL << ESR_ELx_EC_SHIFT)
#define ESR_ELx_EC(esr) (((esr) >> ESR_ELx_EC_SHIFT) & 0x3f)
#define ESR_ELx_IL (1ULL << 25)
#define ESR_ELx_EC_UNKNOWN 0x00U
#define ESR_ELx_EC_WFx 0x01U
#define ESR_ELx_EC_ILLEGAL 0x0eU /* illegal execution state */
#define ESR_ELx_EC_HVC32 0x12U
#define ESR_ELx_EC_HVC64 0x16U
#define ESR_ELx_EC_SMC64 0x17U
#define ESR_ELx_EC_SYS64 0x18U
#define ESR_ELx_EC_IABT_LOW 0x20U
#define ESR_ELx_EC_IABT_CUR 0x21U
#define ESR_ELx_EC_DABT_LOW 0x24U
#define ESR_ELx_EC_DABT_CUR 0x25U
/* Abort ISS: FAR not valid, cache maintenance, the fault status code. */
#define ESR_ELx_FnV (1ULL << 10)
#define ESR_ELx_CM (1ULL << 8)
#define ESR_ELx_FSC_EXTABT 0x10ULL /* synchronous external abort */
/* Data abort ISS. */
#define ESR_ELx_ISV (1ULL << 24)
#define ESR_ELx_SAS_SHIFT 22
#define ESR_ELx_SAS (3ULL << ESR_ELx_SAS_SHIFT)
#define ESR_ELx_SSE (1ULL << 21)
#define ESR_ELx_SRT_SHIFT 16
#define ESR_ELx_SRT_MASK 31ULL
#define ESR_ELx_SF (1ULL << 15)
#define ESR_ELx_S1PTW (1ULL << 7)
#define ESR_ELx_WNR (1ULL << 6)
/* SYS64 ISS: bit 0 = read (MRS), Rt in bits 9:5. */
#define ESR_ELx_SYS64_ISS_DIR_READ 1ULL
#define ESR_ELx_SYS64_ISS_RT_SHIFT 5
/* HPFAR_EL2.FIPA: IPA bits 47:12 in bits 43:4. */
#define HPFAR_FIPA_MASK 0xffffffffff0ULL

/* PSTATE / SPSR: M[4:0] and the masks. */
#define PSR_MODE_MASK 0x1fULL
#define PSR_MODE_EL0t 0x0ULL
#define PSR_MODE_EL1t 0x4ULL
#define PSR_MODE_EL1h 0x5ULL
#define PSR_MODE32_BIT 0x10ULL /* M[4]: AArch32 (a guest's EL0 may be) */
#define PSR_DAIF 0x3c0ULL
#define PSR_SSBS (1ULL << 12)
#define PSR_PAN (1ULL << 22)
#define PSR_DIT (1ULL << 24)
#define PSR_NZCV 0xf0000000ULL
#define PSTATE_FAULT_BITS_64 0x3c5ULL /* EL1h, D A I F masked */
/* SCTLR_EL1 bits that shape PSTATE on exception entry to EL1. */
#define SCTLR_EL1_SPAN (1ULL << 23)
#define SCTLR_EL1_DSSBS (1ULL << 44)
/* Vector offsets from VBAR_EL1 (Arm ARM D1.10.2): synchronous, SError. */
#define VECTOR_SYNC 0x000ULL
#define VECTOR_SERROR 0x180ULL

/* The spec's dirty flags (Constants.md), also in vcpu_abi.h. */
#define DIRTY_PC_FLAG 0x100000000ULL
#define PENDING_EXCEPT_INJECT_FLAG 0xe00000000ULL
/* corevisor: the exit may be answered with an abort (vcpu_abi.h). */
#define DIRTY_ABORT_FLAG 0x1000000000ULL

/* PSCI 0.2 function ids the core looks at (prep_hvc). */
#define PSCI_0_2_FN_CPU_OFF 0x84000002U
#define PSCI_0_2_FN_CPU_ON 0x84000003U
#define PSCI_0_2_FN64_CPU_ON 0xc4000003U
#define PSCI_0_2_FN_AFFINITY_INFO 0x84000004U
#define PSCI_0_2_FN64_AFFINITY_INFO 0xc4000004U
#define PSCI_0_2_FN_SYSTEM_OFF 0x84000008U

/* MAX_MMIO_ADDR: IPAs below are MMIO (vcpu_abi.h CV_MMIO_LIMIT). */
#define MAX_MMIO_ADDR 0x40000000ULL

/* ---- AbstractMachine: current vCPU and shadow context ---------------- */
u32 get_cur_vmid(void);
u32 get_cur_vcpuid(void);
/* HOSTVISOR / COREVISOR: cur_vcpuid = this CPU's index. */
void set_per_cpu(u32 vmid, u32 vcpuid);
u64 get_shadow_ctxt(u32 vmid, u32 vcpuid, u32 index);
void set_shadow_ctxt(u32 vmid, u32 vcpuid, u32 index, u64 value);
u64 get_shadow_dirty_bit(u32 vmid, u32 vcpuid);
/* 0 clears; anything else is ORed in (see vcpu.c: SeKVM's C). */
void set_shadow_dirty_bit(u32 vmid, u32 vcpuid, u64 value);
void clear_shadow_gp_regs(u32 vmid, u32 vcpuid);
void reset_fp_regs(u32 vmid, u32 vcpuid);
u64 get_exception_vector(u64 pstate);
u64 get_sys_reg_desc_val(u32 index);

/* ---- AbstractMachine: the intermediate state (host memory) ----------- */
/* Read from the copy taken at the start of this VCPU_RUN (load_int_state). */
u64 get_int_gpr(u32 vmid, u32 vcpuid, u32 index);
u64 get_int_pc(u32 vmid, u32 vcpuid);
u64 get_int_pstate(u32 vmid, u32 vcpuid);
u64 get_vm_fault_addr(u32 vmid, u32 vcpuid);
u64 get_int_new_pte(u32 vmid, u32 vcpuid);
u64 get_int_new_level(u32 vmid, u32 vcpuid);
/* The ESR the exit is about: the shadow ESR_EL2, never the host's copy. */
u64 get_int_esr(u32 vmid, u32 vcpuid);
/* Show the host guest register @index (into this exit's record). */
void set_int_gpr(u32 vmid, u32 vcpuid, u32 index, u64 value);
/*
 * corevisor's frame around them: take one copy of the vCPU's shared
 * structure at the start of a run, publish this exit's record at its end
 * (both check the page is still the host's; panic otherwise).
 */
void load_int_state(u32 vmid, u32 vcpuid);
void publish_int_state(u32 vmid, u32 vcpuid, u32 exit_reason);
/* corevisor (destroy_vm): the vCPU slot's context and run state wiped. */
void vcpu_wipe(u32 vmid, u32 vcpuid);
/* corevisor (register_vcpu): pin the vCPU's run page, the host's. */
void pin_run_page(u32 vmid, u32 vcpuid);

/* ---- VCPUOpsAux ------------------------------------------------------ */
void reset_gp_regs(u32 vmid, u32 vcpuid);
void reset_sys_regs(u32 vmid, u32 vcpuid);
void sync_dirty_to_shadow(u32 vmid, u32 vcpuid);
void prep_wfx(u32 vmid, u32 vcpuid);
void prep_hvc(u32 vmid, u32 vcpuid);
void prep_abort(u32 vmid, u32 vcpuid);
void update_exception_gp_regs(u32 vmid, u32 vcpuid);
/*
 * corevisor: deliver the Illegal Execution state exception the guest's
 * own illegal exception return caused (ESR_EL1 EC 0x0e) at its EL1.
 */
void inject_illegal_state(u32 vmid, u32 vcpuid);
/*
 * corevisor: the stage-2 abort of the vCPU's last exit (ESR_EL2, FAR_EL2)
 * becomes a synchronous external abort at the guest's EL1.
 */
void inject_external_abort(u32 vmid, u32 vcpuid);
/*
 * The length of the instruction a trap with syndrome @esr stopped at
 * (ESR_ELx.IL: 4, or 2 for a 16-bit T32 instruction of an AArch32 EL0),
 * which the core steps over when it completes one (MMIO, WFx, SMC, SYS64).
 */
static inline u64 trapped_instr_len(u64 esr)
{
	return esr & ESR_ELx_IL ? 4 : 2;
}
void post_handle_shadow_s2pt_fault(u32 vmid, u32 vcpuid, u64 addr);

/* ---- VCPUOps --------------------------------------------------------- */
/* On the current vCPU after an exit: prepare what the host sees. */
void save_shadow_kvm_regs(void);
/* On the current vCPU before it runs: reset, or apply the host's answers. */
void restore_shadow_kvm_regs(void);

/* ---- CtxtSwitch (the core's half; the hardware's is arch_vcpu_run) --- */
void save_host(void);
void restore_host(void);
/* Returns the exit reason published to the host (CV_EXIT_*). */
u32 save_vm(void);
void restore_vm(u32 vmid, u32 vcpuid);
/*
 * corevisor: the same for VCPU_RUN (host_vcpu_run_handler), which passes
 * the vCPU down instead of reading it back: restore_vm_vcpu says whether
 * the vCPU was taken and runs (CV_RESTORED_*); save_vm_vcpu is save_vm of
 * the vCPU taken, called once halted() was checked.
 */
#define CV_RESTORED_NONE 0U /* not taken (powered off), or a panic */
#define CV_RESTORED_OFF 1U  /* taken, off this run: nothing runs */
#define CV_RESTORED_RUN 2U
u32 restore_vm_vcpu(u32 vmid, u32 vcpuid);
u32 save_vm_vcpu(u32 vmid, u32 vcpuid);

#endif
