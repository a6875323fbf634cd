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
 * Interrupts (ABI version 3): each vCPU has a GICv3 virtual CPU
 * interface the core owns (its list registers, ICH_VMCR_EL2, active
 * priorities and ICH_HCR_EL2 live in the core and are switched with the
 * vCPU). The host emulates the guest's distributor and redistributors
 * (docs/guest-platform.md, "Interrupts and timers") and asks for an
 * interrupt to be made pending in the guest through run->irq_req; the
 * core checks each request and answers it in run->irq_result at the
 * exit. The core itself raises the virtual timer's PPI 27 and the
 * emulated EL1 physical timer's PPI 30; the host never injects those.
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

/*
 * The guest wrote ICC_SGI1R_EL1, ICC_ASGI1R_EL1 (group 1) or
 * ICC_SGI0R_EL1 (group 0): see run->sgi. The targets are the VM's
 * registered vCPUs the write named (vCPU n has MPIDR Aff0 = n); bits for
 * vCPUs that do not exist are dropped, and a write that names none does
 * not exit. Make SGI sgi.intid pending for each target (irq_req at its
 * next run). The guest's PC is past the write. Nothing to answer.
 */
#define CV_EXIT_SGI 9U

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

/*
 * One injection request (run->irq_req[i], [host]): make INTID @intid
 * pending in the guest's virtual CPU interface, in @group (0 or 1) at
 * @priority (the low bits the CPU does not implement are ignored).
 * flags: CV_IRQ_REQ_VALID marks the slot as a request;
 * CV_IRQ_REQ_NOTIFY_EOI asks to be told (run->irq_eoi) when the guest has
 * deactivated it (a level-sensitive interrupt whose line the host must
 * sample again). The core reads the slots once at VCPU_RUN and zeroes
 * them at the exit.
 */
struct cv_vcpu_irq {
	uint32_t intid;
	uint8_t group;
	uint8_t priority;
	uint8_t flags;
	uint8_t reserved; /* 0 */
};
#define CV_IRQ_REQ_VALID 0x01U
#define CV_IRQ_REQ_NOTIFY_EOI 0x02U
#define CV_VCPU_IRQ_REQS 8U    /* request slots per run */
#define CV_VCPU_IRQ_REPORT 16U /* >= the list registers a CPU has */
/*
 * run->irq_result[i] for request slot i. A refused request changed
 * nothing: the host keeps the interrupt pending in its own model and asks
 * again at a later run (CV_IRQ_FULL: once run->irq_pending shrinks).
 */
#define CV_IRQ_NONE 0U	    /* no valid request in the slot */
#define CV_IRQ_INJECTED 1U  /* pending in a list register */
#define CV_IRQ_COALESCED 2U /* it was pending already: nothing changed */
#define CV_IRQ_FULL 3U	    /* refused: every list register is in use */
#define CV_IRQ_BAD_INTID 4U /* refused: not an SGI, PPI or SPI (>= 1020) */
#define CV_IRQ_RESERVED 5U  /* refused: PPI 27 / 30, the core's timers */
/* refused: group not 0 or 1, or reserved != 0 */
#define CV_IRQ_BAD_GROUP 6U
#define CV_IRQ_VCPU_OFF 7U /* refused: the vCPU is off (not started) */

/* CV_EXIT_SGI: the guest's SGI. */
struct cv_vcpu_sgi {
	uint32_t intid;	  /* 0..15 */
	uint32_t group;	  /* 0: ICC_SGI0R_EL1, 1: ICC_(A)SGI1R_EL1 */
	uint64_t targets; /* bit n: vCPU n of the VM */
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
	/* ---- ABI version 3 too: interrupts and timers ---- */
	/* [host] Injection requests, read at VCPU_RUN, zeroed at the exit. */
	struct cv_vcpu_irq irq_req[CV_VCPU_IRQ_REQS];
	/* [core] CV_IRQ_* for each slot of irq_req at the last run. */
	uint8_t irq_result[CV_VCPU_IRQ_REQS];
	/*
	 * [core] INTIDs the host injected with CV_IRQ_REQ_NOTIFY_EOI that
	 * the guest deactivated during the last run: irq_eoi[0 ..
	 * irq_eoi_count - 1].
	 */
	uint32_t irq_eoi_count;
	uint32_t irq_pending_count;
	uint32_t irq_eoi[CV_VCPU_IRQ_REPORT];
	/*
	 * [core] INTIDs the host injected that are still in the vCPU's list
	 * registers (pending, active, or both): irq_pending[0 ..
	 * irq_pending_count - 1]. Only these occupy list registers for the
	 * host; the core's timer interrupts use one more at most.
	 */
	uint32_t irq_pending[CV_VCPU_IRQ_REPORT];
	/* [core] CV_EXIT_SGI only (zero otherwise). */
	struct cv_vcpu_sgi sgi;
	/*
	 * [core] The physical counter value (CNTPCT_EL0) at which the
	 * vCPU's earliest armed timer (virtual or EL1 physical, enabled and
	 * not masked, its interrupt not pending in the guest yet) fires; 0
	 * when none is armed. A host that deschedules the vCPU (CV_EXIT_WFX)
	 * wakes it and runs it by then: the core raises the timer's PPI at
	 * that run. Nothing else of the timers is shown.
	 */
	uint64_t timer_deadline;
	/*
	 * [host] The guest's redistributor settings for the timer PPIs, as
	 * the host's model of it holds them, read at every VCPU_RUN:
	 * timer_ppi[CV_TIMER_VIRT] for PPI 27, [CV_TIMER_PHYS] for PPI 30.
	 * The core raises a timer's PPI only while enabled = 1, with that
	 * priority and group (0 or 1; any other value counts as 1).
	 */
	struct cv_vcpu_timer_ppi {
		uint8_t enabled;
		uint8_t priority;
		uint8_t group;
		uint8_t reserved;
	} timer_ppi[2];
};
#define CV_TIMER_VIRT 0U
#define CV_TIMER_PHYS 1U

#define CV_VCPU_ABI_VERSION 3U

_Static_assert(sizeof(struct cv_vcpu_mmio) == 24, "mmio layout");
_Static_assert(__builtin_offsetof(struct cv_vcpu_run, mmio) == 40,
	       "run layout");
_Static_assert(__builtin_offsetof(struct cv_vcpu_run, regs) == 64,
	       "run layout");
_Static_assert(__builtin_offsetof(struct cv_vcpu_run, pc) == 312, "run layout");
_Static_assert(__builtin_offsetof(struct cv_vcpu_run, abort) == 352,
	       "run layout");
_Static_assert(sizeof(struct cv_vcpu_irq) == 8, "irq layout");
_Static_assert(__builtin_offsetof(struct cv_vcpu_run, irq_req) == 360,
	       "run layout");
_Static_assert(__builtin_offsetof(struct cv_vcpu_run, irq_eoi) == 440,
	       "run layout");
_Static_assert(__builtin_offsetof(struct cv_vcpu_run, sgi) == 568,
	       "run layout");
_Static_assert(sizeof(struct cv_vcpu_run) == 600, "run layout");
_Static_assert(CV_VCPU_RUN_OFFSET + sizeof(struct cv_vcpu_run) <= 4096,
	       "run structure fits the vCPU's shared page");

#endif
