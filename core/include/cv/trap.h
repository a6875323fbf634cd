/* SPDX-License-Identifier: MIT */
/*
 * Traps into the core (core/trap): TrapDispatcher and what the EL2 entry
 * code calls. The arch code saves the host's x0..x5 and hands them over.
 */
#ifndef CV_TRAP_H
#define CV_TRAP_H

#include <cv/types.h>

/*
 * host_hvc_dispatcher: the host's hypercall x0 = args[0] with arguments
 * args[1..5] (include/corevisor/abi.h). Checks the arguments as
 * TrapDispatcher does (a bad one panics, naming the call and the values)
 * and returns what goes back in the host's x0: the call's result, 0 for a
 * call without one (and after a panic), INVALID64 for a number the core
 * does not serve.
 */
u64 host_hvc_dispatch(const u64 args[6]);

/* ---- TrapHandler: the entries the arch code calls -------------------- */

/*
 * host_vcpu_run_handler (TrapHandler / TrapHandlerRaw, via
 * host_hvc_dispatch for HVC_VCPU_RUN x1 = vmid, x2 = vcpuid): switch this
 * CPU to the vCPU (restore_vm: vmid must be a VM and vcpuid < VCPU_PER_VM,
 * else panic; set_vcpu_active panics unless the VM is VERIFIED and the
 * vCPU READY), run it with arch_vcpu_run until an exit the host must see
 * (vm_exit_handler), hand the host the exit (save_vm, restore_host) and
 * return its CV_EXIT_* (include/corevisor/vcpu_abi.h). 0 after a panic.
 */
u64 host_vcpu_run_handler(u32 vmid, u32 vcpuid);

/*
 * vm_exit_handler (TrapHandlerRaw): the guest exited with arch_vcpu_run's
 * result @ec saved in the shadow context. Returns 0 when the core served
 * the trap itself and the vCPU resumes (core_to_vm), else 1: switch to
 * the host. An SError, an illegal return, or a trap class the core does
 * not serve panics.
 */
u32 vm_exit_handler(u32 vmid, u32 vcpuid);

/*
 * host_npt_handler (TrapHandler): the host's stage-2 fault, with the
 * trap's HPFAR_EL2, FAR_EL2 and ESR_EL2. handle_host_stage2_fault maps the
 * page if the host may have it and panics otherwise; the arch then
 * retries the access. The spec's version reads the registers itself.
 */
void host_npt_handler(u64 hpfar_el2, u64 far_el2, u64 esr_el2);

/* ---- TrapDispatcher, FaultHandler, MemHandler ------------------------ */

/*
 * vm_exit_dispatcher: a guest trap (EC ARM_EXCEPTION_TRAP) of the current
 * vCPU. SYS64 is served here (RAZ/WI, skip), HVC64 by core_handle_pvops;
 * the classes the host handles (WFx, HVC32, SMC64, IABT_LOW, DABT_LOW)
 * return 1; any other class panics.
 */
u32 vm_exit_dispatcher(u32 vmid, u32 vcpuid);

/*
 * corevisor (core/trap/idregs.c): the ID register value a VM reads for
 * (Op0 3, Op1 0, CRn 0, @crm, @op2), 1 <= @crm <= 7: the CPU's less the
 * features a VM does not get (no PMU, minimal debug, no SVE, SME, MTE,
 * AMU, MPAM, pointer authentication).
 */
u64 guest_id_reg(u32 crm, u32 op2);
/*
 * corevisor: serve a trapped MSR / MRS (syndrome @esr) about the CPU's
 * features: ID register reads (guest_id_reg), and an undefined
 * instruction for ID register writes and every PMU register. False when
 * @esr is none of those.
 */
bool guest_sysreg_feature(u32 vmid, u32 vcpuid, u64 esr);

/*
 * core_handle_pvops: a guest HVC of the current vCPU. The guest's own
 * calls (CV_GUEST_HVC_SHARE / _UNSHARE, abi.h) are served here (0);
 * anything else (PSCI) goes to the host (1). The current principal must
 * be a VM, else panic.
 */
u32 core_handle_pvops(void);

/*
 * handle_host_stage2_fault: IPA = HPFAR_EL2.FIPA << 12; beyond 48 bits
 * panics; there is no SMMU to emulate (emulate_mmio is always INVALID),
 * so the page goes to map_page_host.
 */
void handle_host_stage2_fault(u64 hpfar_el2, u64 esr_el2);

/*
 * clear_vm_stage2_range (HVC_CLEAR_VM_S2_RANGE): once VM @vmid is powered
 * off, its pages in physical [start, start + size) go back to the host
 * scrubbed (clear_vm_range); before, nothing happens. corevisor also
 * panics if a vCPU of the VM is still running.
 */
void clear_vm_stage2_range(u32 vmid, u64 start, u64 size);

/*
 * kvm_phys_addr_ioremap (HVC_PHYS_ADDR_IOREMAP): map_io for every page of
 * [gpa, gpa + size) -> [pa, ...): device pages into a READY VM.
 */
void kvm_phys_addr_ioremap(u32 vmid, u64 gpa, u64 pa, u64 size);

/* timer_set_cntvoff (HVC_TIMER_SET_CNTVOFF): arch_timer_set_cntvoff. */
void timer_set_cntvoff(u64 cntvoff);

#endif
