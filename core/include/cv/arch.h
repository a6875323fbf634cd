/* SPDX-License-Identifier: MIT */
/*
 * The arch contract: everything core/ needs from the machine. arch/hosted
 * (a Linux process simulating the machine) and arch/aarch64 (EL2 on QEMU
 * virt) each implement all of it; core/ never asks which one it runs on.
 */
#ifndef CV_ARCH_H
#define CV_ARCH_H

#include <cv/types.h>

/*
 * Index of the physical CPU running this code, 0 .. TOTAL_CPU-1. It never
 * changes while the core runs on that CPU (nothing migrates a core call),
 * so the compiler may merge calls (const).
 */
u32 arch_cpu_id(void) __attribute__((const));

/*
 * The core's pointer to physical address @pa. At EL2 the core maps all of
 * memory it manages one to one; the hosted machine returns the backing of
 * its simulated physical memory. Returns NULL for an address that is not
 * memory (callers check before any access the host could steer).
 * Each boot memory region is mapped linearly: for pa and pa + n in the
 * same region, the result for pa + n is the result for pa plus n. The
 * core relies on it for its own memory: it keeps the pointers of its
 * stage-2 pools (init_npt) and of its s2page array (init_s2page) and
 * indexes from them.
 */
void *arch_phys_to_virt(u64 pa);

/* Busy-wait hint inside lock spins. */
void arch_cpu_relax(void);

/*
 * Make page-table stores visible to the table walkers, then drop stale
 * translations. The core calls these after every unmap or change of a
 * valid entry of principal @vmid (COREVISOR: the core's own table).
 */
void arch_pt_sync(void);
void arch_tlb_flush_ipa(u32 vmid, u64 ipa);
void arch_tlb_flush_vmid(u32 vmid);
void arch_smmu_tlb_flush(u32 index, u32 cbndx);

/*
 * SMMUv3 (cv_boot_params.smmuv3_base, cv/stream.h): drop every cached
 * translation of the host's stream table for the page at @iova, and
 * return only once the SMMU has (CMD_TLBI_NH_VA, CMD_SYNC). Called with
 * SPT_ID held, after arch_pt_sync. An arch with no SMMUv3 never receives
 * it.
 */
void arch_smmuv3_tlb_inv(u64 iova);

/*
 * HVC_SMMUV3_EVENTS: drain the SMMUv3's event queue, reporting each event
 * on the console; returns how many there were (0 with no SMMUv3).
 */
u64 arch_smmuv3_events(void);
/*
 * SMMUv3 (cv/stream.h): point stream @sid's STE at principal @vmid's
 * context descriptor (ASID @vmid) whose table is at @ttbr, and make the
 * SMMU forget what it cached of the old one, complete when it returns.
 */
void arch_smmuv3_attach(u32 sid, u32 vmid, u64 ttbr);
/* The table the SMMU walks for stream @sid (its STE's CD's TTB0). */
u64 arch_smmuv3_stream_ttbr(u32 sid);
/* Drop the SMMU's translations of @iova for @asid / all of @asid. */
void arch_smmuv3_tlb_inv_asid(u32 asid, u64 iova);
void arch_smmuv3_tlb_inv_all_asid(u32 asid);

/*
 * A 4- or 8-byte access (@len) to an SMMU register at physical @pa, which
 * lies in the register space of an SMMU the boot parameters named
 * (cv_boot_params.smmus): the spec's readl/readq/writel/writeq_relaxed,
 * made by the core on the host's behalf when it emulates the host's
 * trapped access (core/smmu). A read returns the value zero-extended.
 * An arch that configures no SMMU never receives these calls.
 */
u64 arch_smmu_read(u64 pa, u32 len);
void arch_smmu_write(u64 pa, u32 len, u64 val);

/*
 * corevisor: a 4- or 8-byte access (@len) to a GICv3 register at
 * physical @pa, in the distributor's, the ITS's control frame or a
 * redistributor's RD_base frame as cv_boot_params named them
 * (cv/gictab.h: the core's emulation of the host's access, and its own
 * command queue). A read returns the value zero-extended. An arch that
 * names no GICv3 never receives these calls.
 */
u64 arch_gic_read(u64 pa, u32 len);
void arch_gic_write(u64 pa, u32 len, u64 val);

/*
 * The fail-stop: called once, with the global halt flag already set and
 * @reason formatted. At EL2 it prints the reason and stops the machine (it
 * does not return); the hosted machine records it and returns, after which
 * every core entry is a no-op.
 */
void arch_halt(const char *reason);

/*
 * Stop this CPU for good: the core halted while this CPU was waiting for a
 * lock that the panicking CPU will never pass on. At EL2 the CPU parks; the
 * hosted machine ends the CPU's thread. Does not return.
 */
void arch_cpu_stop(void) __attribute__((noreturn));

/* Console output for the core's own messages (boot log, panic reason). */
void arch_console_write(const char *s);

/*
 * The FP/SIMD registers around code that uses them: crypto/ brackets
 * every libsodium call with arch_fpsimd_begin() / arch_fpsimd_end(), the
 * only FP/SIMD use in the core (the EL2 build compiles everything else
 * with -mgeneral-regs-only). begin saves the interrupted context's
 * FP/SIMD state (at EL2 the host's, on this CPU), end puts it back, so a
 * hypercall that runs no crypto never pays for it. Brackets may nest;
 * the outermost pair saves and restores. The hosted machine has nothing
 * to keep (its FP state is the process's).
 */
void arch_fpsimd_begin(void);
void arch_fpsimd_end(void);

/*
 * ---- The world switch (CtxtSwitch's hardware half) --------------------
 *
 * struct cv_ctxt (state.h) is a vCPU's shadow context, indexed by the
 * spec's register numbers. What arch_vcpu_run loads into the CPU and saves
 * back, exactly:
 *   regs[X0..X30]             X0..X30
 *   regs[SP]                  SP_EL0
 *   regs[PC], regs[PSTATE]    ELR_EL2, SPSR_EL2 (the ERET target). The
 *                             core guarantees PSTATE is AArch64 EL0t, EL1t
 *                             or EL1h (it checks the host's initial value)
 *   regs[SP_EL1], regs[ELR_EL1], regs[SPSR_EL1]
 *   regs[MPIDR_EL1]           VMPIDR_EL2 (load only)
 *   regs[CSSELR_EL1..MDSCR_EL1] the EL1/EL0 system registers of those
 *                             names (ACTLR_EL1 may be skipped if the VM's
 *                             HCR_EL2.TACR traps it; MDCCINT_EL1 unused)
 *   vregs[0..63], fpsr, fpcr  V0..V31 (vregs[2n] low half), FPSR, FPCR
 *   cntv_ctl, cntv_cval       CNTV_CTL_EL0, CNTV_CVAL_EL0 (CNTKCTL_EL1 is
 *                             regs[CNTKCTL_EL1]; ctxt->cntkctl is unused)
 * and on exit also writes (the spec's exit_populate_fault):
 *   regs[ESR_EL2], regs[FAR_EL2], regs[HPFAR_EL2]  of the trap (0 for an
 *                             interrupt), regs[EC] = the return value.
 * It never touches regs[DIRTY], regs[FLAGS], regs[HCR_EL2], regs[SPSR_0],
 * regs[ELR_EL2] (the core's bookkeeping).
 */

/* arch_vcpu_run's results: the kind of exit (Linux's ARM_EXCEPTION_*). */
#define ARM_EXCEPTION_IRQ 0U	    /* physical IRQ or FIQ */
#define ARM_EXCEPTION_EL1_SERROR 1U /* SError */
#define ARM_EXCEPTION_TRAP 2U	    /* synchronous exception to EL2 */
#define ARM_EXCEPTION_IL 3U	    /* illegal exception return */

struct cv_ctxt;

/*
 * Run vCPU @vcpuid of VM @vmid on this CPU until it exits to EL2, and
 * come back. Stands for CtxtSwitch's save_host + the hardware steps of
 * restore_vm (vm_el2_restore_state, timer_enable_traps, activate_traps,
 * restore_sysregs, fpsimd_restore_state, core_to_vm), the guest's run,
 * and the hardware steps of save_vm + restore_host (vm_to_core,
 * exit_populate_fault, save_sysregs, fpsimd_save_state, deactivate_traps,
 * host_el2_restore_state, the host's sysregs and FP/SIMD back):
 *  1. save this CPU's host EL1 state (system registers, FP/SIMD, EL1
 *     timer) in arch per-CPU storage (the host's x0..x30 are the caller's
 *     trap frame and registers); FP/SIMD may be saved lazily, when the VM
 *     first uses its own;
 *  2. VTTBR_EL2 = @vttbr (get_pt_vttbr(vmid)), HCR_EL2 = the VM's flags
 *     (stage 2 on, IMO/FMO/AMO, TSC, TWI/TWE, RW; the core serves only
 *     traps of class WFx, HVC, SMC64, SYS64, IABT_LOW and DABT_LOW: the
 *     arch must not enable others, except traps it serves itself without
 *     returning, e.g. CPTR_EL2.TFP to load the VM's FP/SIMD registers on
 *     first use), CNTHCTL_EL2 (EL1PCTEN = 1, EL1PCEN = 0), CNTVOFF_EL2 =
 *     ctxt->vgic.cntvoff (the VM's; corevisor);
 *  3. load @ctxt as listed above and ERET to the guest;
 *  4. on the guest's next exception to EL2, save the guest into @ctxt as
 *     listed above, restore the host's EL1 state and HCR_EL2 / VTTBR_EL2
 *     (get_pt_vttbr(HOSTVISOR)), and return ARM_EXCEPTION_*.
 * The core calls it with the vCPU ACTIVE (so @ctxt is this CPU's alone)
 * and cv.cpus[cpu].cur_vmid/cur_vcpuid set, and may call it again right
 * away (a trap the core serves itself). Exceptions the hardware takes at
 * EL2 while the guest runs are the arch's business (it keeps the per-CPU
 * "in a guest" state that routes them to step 4).
 */
u64 arch_vcpu_run(u32 vmid, u32 vcpuid, u64 vttbr, struct cv_ctxt *ctxt);

/*
 * HVC_TIMER_SET_CNTVOFF (AbstractMachine timer_set_cntvoff): the virtual
 * counter offset the host asks this CPU to use. Recorded per CPU as the
 * spec says; corevisor runs each vCPU with its VM's own offset instead
 * (ctxt->vgic.cntvoff, see above). The host's own runs keep
 * CNTVOFF_EL2 = 0.
 */
void arch_timer_set_cntvoff(u64 cntvoff);

/*
 * ---- Virtual interrupts and timers (corevisor, core/vcpu/vgic.c) -----
 *
 * arch_vcpu_run also loads ctxt->vgic (lr[0 .. arch_vgic_nr_lrs() - 1],
 * hcr, vmcr, ap0r/ap1r[0 .. as many as the CPU has]) into the GIC's
 * virtual CPU interface and saves them back at the exit, keeping the
 * host's own ICH_VMCR_EL2 / ICH_HCR_EL2 and leaving no guest list
 * register or active priority loaded while the host runs. A list register
 * with HW = 1 (the virtual timer's, pINTID 27) has its physical interrupt
 * active while the vCPU runs (so the timer's line does not exit the
 * vCPU again until the guest deactivates it) and inactive for the host.
 * A nonzero ctxt->vgic.ptimer_doorbell makes the vCPU exit with
 * ARM_EXCEPTION_IRQ once the physical counter reaches it. The vCPU runs
 * with CNTVOFF_EL2 = ctxt->vgic.cntvoff (its VM's), whatever
 * arch_timer_set_cntvoff last set on this CPU.
 */

/* How many list registers the virtual CPU interface has (1..16). */
u32 arch_vgic_nr_lrs(void);

/* The physical counter, CNTPCT_EL0. */
u64 arch_counter_read(void);

/* read_actlr_el1: the CPU's ACTLR_EL1 reset value for a new vCPU. */
u64 arch_read_actlr_el1(void);

/*
 * The CPU's ID group 3 register (Op0 3, Op1 0, CRn 0, @crm, @op2), 1 <=
 * @crm <= 7, op2 <= 7; 0 for an encoding the architecture leaves
 * unallocated or this port does not read.
 */
u64 arch_read_id_reg(u32 crm, u32 op2);

#endif
