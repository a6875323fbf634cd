/* SPDX-License-Identifier: MIT */
/*
 * What the core and the untrusted host share per vCPU: the spec's
 * "intermediate state" (VCPUOpsAux / VCPUOps: get_int_*, set_int_gpr,
 * get_vm_fault_addr, get_int_new_pte/level), as one structure in host
 * memory. All integers are little-endian; every field is naturally
 * aligned; the layout is fixed (static asserts below).
 *
 * Where it is
 *   The shared area starts at the physical address the host gets from
 *   HVC_GET_SHARED_BASE (include/corevisor/abi.h: x0 = 35, no arguments,
 *   returns the base in x0; the core chose it at boot: on QEMU the host
 *   RAM right after the core's reserved memory, on the hosted machine the
 *   last 2 MiB of RAM). Layout (include/corevisor/sealed.h): one 4 KiB page
 *   per principal (get_shared_kvm), then one 4 KiB page per vCPU slot
 *   (get_shared_vcpu(vmid, vcpuid) = base + CV_SHARED_VCPU_OFFSET(vmid,
 *   vcpuid)). struct cv_vcpu_run sits at CV_VCPU_RUN_OFFSET in the vCPU's
 *   page; the bytes below it hold a sealed vCPU (HVC_SAVE_CRYPT_VCPU).
 *   The per-VM page is not used by this ABI (reserved).
 *   The pages must stay the host's own: the core checks the owner of the
 *   vCPU's page every time it reads or writes it and panics if the host
 *   has given it away (to a VM or the core).
 *
 * The protocol
 *   1. Boot the VM (REGISTER_KVM, REGISTER_VCPU, SET_BOOT_INFO,
 *      REMAP_VM_IMAGE..., VERIFY_VM_IMAGES).
 *   2. Where a vCPU starts is never the host's choice. vCPU 0 starts at
 *      the entry its signed boot image names (docs/image-format.md), with
 *      X0 = the load address of its signed boot argument image (a device
 *      tree; CV_IMAGE_FLAG_BOOT_ARG), or 0 without one; every other vCPU is off
 * until its guest starts it with PSCI CPU_ON (see CV_EXIT_HVC), at the entry
 * and with the context id (in X0) the guest gave. A vCPU that calls PSCI
 * CPU_OFF is off again until the next CPU_ON naming it, which restarts it
 * afresh. A vCPU starts in AArch64 EL1h with DAIF masked, every other register
 * 0, the EL1 system registers at their reset values, MPIDR_EL1 = 0x80000000 |
 * vcpuid (Aff0 = vcpuid for vcpuid < 8). (A VM restored from sealed state
 * resumes its vCPUs where they were sealed; its vCPU 0 does not boot again.)
 *   3. HVC_VCPU_RUN x1 = vmid, x2 = vcpuid. The vCPU runs until an exit
 *      the host must see; x0 = the exit reason (CV_EXIT_*), also in
 *      run->exit_reason, with the details below. Running a vCPU that is
 *      off returns CV_EXIT_VCPU_OFF at once (nothing runs).
 *   4. Answer the exit by writing run->regs[i] for the registers the core
 *      offered (bit i of run->dirty) and/or the stage-2 fault answer
 *      (fault_addr, fault_pte, fault_level), or, where the core offered it
 *      (CV_DIRTY_ABORT_FLAG), "nothing is here" (run->abort), then
 *      VCPU_RUN again. At the start of VCPU_RUN the core reads, once each,
 *      only what it offered (the registers of its own copy of `dirty`, the
 *      fault answer, and run->abort when offered): writing other registers
 *      (or changing run->dirty) changes nothing.
 *
 * The host keeps answering the guest's PSCI calls (CPU_ON's and
 * AFFINITY_INFO's return values, VERSION, FEATURES...): it tracks each
 * vCPU as on (vCPU 0 after VERIFY; a vCPU named by a CPU_ON it answered
 * with success) or off (the others; a vCPU whose CPU_OFF it saw, or whose
 * VCPU_RUN returned CV_EXIT_VCPU_OFF).
 *
 * Field ownership: [core] the core writes it at every exit, the host
 * reads it; [host] the host writes it, the core reads it at the next
 * VCPU_RUN (and checks it as said); [both] as said at the field.
 */
#ifndef COREVISOR_VCPU_ABI_H
#define COREVISOR_VCPU_ABI_H

#include <stdint.h>

/* Offset of struct cv_vcpu_run in the vCPU's 4 KiB shared page. */
#define CV_VCPU_RUN_OFFSET 2048U

/*
 * IPAs below this are MMIO: a guest data abort there is emulated by the
 * host (the spec's MAX_MMIO_ADDR, 1 GiB). At or above it, a stage-2 fault
 * is a RAM fault the host answers with a page.
 */
#define CV_MMIO_LIMIT 0x40000000ULL

/* Exit reasons: VCPU_RUN's x0 and run->exit_reason. */
#define CV_EXIT_NONE 0U /* never returned; the structure before any run */
/*
 * A physical interrupt (or the hosted guest program yielded): nothing to
 * answer, the host handles its interrupt and may run the vCPU again.
 */
#define CV_EXIT_IRQ 1U
/*
 * The guest accessed MMIO (IPA < CV_MMIO_LIMIT) with a load or store: see
 * run->mmio. Write: the value stored is in regs[mmio.reg] (only the low
 * mmio.len bytes; 0 for the zero register). Read: write the loaded value
 * to regs[mmio.reg], already zero- or sign-extended as the load does
 * (mmio.sign_extend, mmio.sixty_four), as KVM's host does. The core
 * advances the guest's PC past the instruction on the next run.
 * mmio.valid = 0: the access has no syndrome (e.g. a load pair, or a
 * stage-1 table walk into MMIO) and cannot be emulated; the core injects
 * an exception into the guest on the next run. Nothing to answer.
 * mmio.valid = 1: the host may answer "no device here" instead (run->abort
 * = CV_ABORT_INJECT): the guest takes a synchronous external abort.
 */
#define CV_EXIT_MMIO 2U
/*
 * A stage-2 fault on guest RAM (IPA >= CV_MMIO_LIMIT), or an instruction
 * fetch from an unmapped IPA: run->fault_ipa. Answer with fault_addr /
 * fault_pte / fault_level (a host page the core takes over), or not at
 * all (the guest retries the access), or with "nothing is here" (run->abort
 * = CV_ABORT_INJECT): the guest takes a synchronous external abort at the
 * access. The guest's PC is not advanced.
 */
#define CV_EXIT_MEM_FAULT 3U
/*
 * The guest called HVC or SMC (PSCI, SMCCC): function id in regs[0];
 * AFFINITY_INFO (0x84000004 / 0xc4000004): regs[1], regs[2]. Write the
 * result to regs[0] (dirty bit 0).
 * CPU_ON (0xc4000003 / 0x84000003): the target's MPIDR in regs[1] (the
 * entry and context stay the guest's). The core has already recorded the
 * start for the registered vCPU with that affinity if it is off; answer
 * 0 (success) and VCPU_RUN the target, or the PSCI error (ALREADY_ON for
 * a vCPU that is on, INVALID_PARAMETERS for no such vCPU).
 * CPU_OFF (0x84000002): the vCPU is off (dirty = 0: no answer); it runs
 * again only after a CPU_ON naming it.
 */
#define CV_EXIT_HVC 4U
/* The guest executed WFI (esr bit 0 = 0) or WFE (bit 0 = 1). */
#define CV_EXIT_WFX 5U
/*
 * The guest called PSCI SYSTEM_OFF (regs[0] = 0x84000008): the core has
 * marked the VM POWEROFF; no vCPU of it runs again. Reclaim its memory
 * with HVC_CLEAR_VM_S2_RANGE once none of its vCPUs is running.
 */
#define CV_EXIT_SYSTEM_OFF 6U
/*
 * The VM is powered off: no vCPU of it runs again, and nothing is left to
 * answer. A VCPU_RUN returns it
 *  - in x0 only (the run structure is left as it was, nothing ran) for a
 *    READY vCPU whose VM a vCPU of it powered off (PSCI SYSTEM_OFF): the
 *    host cannot know when another vCPU does that;
 *  - in x0 and run->exit_reason, with nothing shown and nothing offered,
 *    when the VM was powered off while this vCPU ran: by another vCPU, or
 *    by the core because this vCPU took an SError, which it cannot
 *    deliver to the guest.
 * Like CV_EXIT_SYSTEM_OFF: reclaim the VM's memory with
 * HVC_CLEAR_VM_S2_RANGE once none of its vCPUs is running.
 */
#define CV_EXIT_POWERED_OFF 7U
/*
 * VCPU_RUN of a vCPU that is off (step 2): nothing ran. It needs a CPU_ON
 * from its guest (an exit of another of its vCPUs) before it can run.
 */
#define CV_EXIT_VCPU_OFF 8U

/* Bits of run->dirty besides register bits 0..30 (the spec's values). */
#define CV_DIRTY_PC_FLAG 0x100000000ULL	    /* PC advances by 4 next run */
#define CV_DIRTY_EXCEPT_FLAG 0xe00000000ULL /* PENDING_EXCEPT_INJECT_FLAG */
#define CV_DIRTY_REGS_MASK 0x7fffffffULL
/*
 * The exit (CV_EXIT_MEM_FAULT, or CV_EXIT_MMIO with mmio.valid) may be
 * answered with run->abort (ABI version 3).
 */
#define CV_DIRTY_ABORT_FLAG 0x1000000000ULL

/* run->abort: 0 = no such answer; CV_ABORT_INJECT = nothing is here. */
#define CV_ABORT_NONE 0U
#define CV_ABORT_INJECT 1U

/* MMIO access decoded from the syndrome (CV_EXIT_MMIO). */
struct cv_vcpu_mmio {
	uint32_t valid;	      /* 1: the fields below are valid */
	uint32_t is_write;    /* 1: store, 0: load */
	uint32_t len;	      /* bytes: 1, 2, 4 or 8 */
	uint32_t reg;	      /* register: 0..30, 31 = zero register */
	uint32_t sign_extend; /* load: sign-extend to the register */
	uint32_t sixty_four;  /* load: the register is 64-bit (else 32) */
};

struct cv_vcpu_run {
	/* [core] CV_EXIT_* of the last exit (CV_EXIT_POWERED_OFF: see there).
	 */
	uint32_t exit_reason;
	/* [core] ABI version: CV_VCPU_ABI_VERSION. */
	uint32_t version;
	/* [core] Exits of this vCPU to the host so far (1 after the first). */
	uint64_t exit_count;
	/*
	 * [core] ESR_EL2 of the trap (WFX, HVC, MMIO, MEM_FAULT); 0 for IRQ.
	 * The syndrome only: no guest data.
	 */
	uint64_t esr;
	/*
	 * [core] MMIO / MEM_FAULT: the faulting IPA, page from HPFAR_EL2 and
	 * offset from FAR_EL2. The guest's virtual address is not shown.
	 */
	uint64_t fault_ipa;
	/*
	 * [core] What the host may answer: bit i (0..30) = regs[i] is read
	 * back at the next run; CV_DIRTY_PC_FLAG / CV_DIRTY_EXCEPT_FLAG say
	 * what the core will do. Informational: the core uses its own copy.
	 */
	uint64_t dirty;
	/* [core] CV_EXIT_MMIO only (zero otherwise). */
	struct cv_vcpu_mmio mmio;
	/*
	 * [both] The guest's general registers as far as the host may see
	 * them: at every exit the core writes the ones the exit shows (MMIO:
	 * the stored value; HVC: x0..x2 as said above) and zeroes the ones
	 * the vCPU's previous exit showed, so no guest value the current exit
	 * does not show is ever here (the other slots keep what the host
	 * itself wrote). [host] the answers, for the registers whose bit is
	 * set in dirty.
	 */
	uint64_t regs[31];
	/*
	 * Reserved (ABI version 1: the host's initial PC and PSTATE). The
	 * core never reads them: see 2.
	 */
	uint64_t pc;
	uint64_t pstate;
	/*
	 * [host] Answer to a stage-2 fault (post_handle_shadow_s2pt_fault),
	 * read at every run but the first. fault_addr = 0 (or >= 2^48): no
	 * answer. Otherwise the core maps, at IPA fault_addr, the host page
	 * phys_page(fault_pte) (fault_level 3; bits 47:12, the rest of the
	 * descriptor is ignored) or the 2 MiB block there (fault_level 2:
	 * 2 MiB aligned, all 512 pages the host's). Each page must be the
	 * host's and unshared: the core makes it the VM's, takes it out of
	 * the host's stage 2 and maps it in the VM's. A page that is not the
	 * host's to give (a VM's, the core's, shared, not RAM), or an IPA the
	 * VM already maps to another page, makes the core panic. The core
	 * zeroes these three fields at every exit.
	 */
	uint64_t fault_addr;
	uint64_t fault_pte;
	uint64_t fault_level;
	/*
	 * [host] (ABI version 3) Read only when the exit offered it
	 * (CV_DIRTY_ABORT_FLAG): CV_ABORT_INJECT answers the stage-2 abort
	 * with "nothing is here". The core then injects a synchronous
	 * external abort into the guest (ESR_EL1 EC instruction / data abort
	 * from the current or a lower EL, FSC 0x10; FAR_EL1 the faulting
	 * address; ELR_EL1 the access' PC; at the guest's vector for its EL,
	 * stack pointer and state) and takes no other answer to that exit:
	 * no register, no PC step, no page (fault_* are not read). Any value
	 * but CV_ABORT_NONE and CV_ABORT_INJECT makes the core panic. The
	 * core zeroes it at every exit.
	 */
	uint64_t abort;
};

#define CV_VCPU_ABI_VERSION 3U

_Static_assert(sizeof(struct cv_vcpu_mmio) == 24, "mmio layout");
_Static_assert(__builtin_offsetof(struct cv_vcpu_run, mmio) == 40,
	       "run layout");
_Static_assert(__builtin_offsetof(struct cv_vcpu_run, regs) == 64,
	       "run layout");
_Static_assert(__builtin_offsetof(struct cv_vcpu_run, pc) == 312, "run layout");
_Static_assert(__builtin_offsetof(struct cv_vcpu_run, abort) == 352,
	       "run layout");
_Static_assert(sizeof(struct cv_vcpu_run) == 360, "run layout");
_Static_assert(CV_VCPU_RUN_OFFSET + sizeof(struct cv_vcpu_run) <= 4096,
	       "run structure fits the vCPU's shared page");

#endif
