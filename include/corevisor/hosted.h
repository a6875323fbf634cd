/* SPDX-License-Identifier: MIT */
/*
 * The hosted machine: corevisor's core running in a Linux process on a
 * simulated Armv8-A machine (physical memory, CPUs as threads, stage-2
 * translation of every host and guest access). This is the API tests,
 * the differential model runner, fuzzers and benchmarks use.
 *
 * Typical use:
 *   struct cv_hosted_config cfg;
 *   cv_hosted_default_config(&cfg);          // 1 GiB RAM at 0x40000000
 *   memcpy(cfg.trusted_keys[0], pk, 32); cfg.ntrusted_keys = 1;
 *   cv_hosted_boot(&cfg);                    // fresh machine + core
 *   cv_hosted_set_cpu(0);                    // this thread is CPU 0
 *   u32 vmid = register_kvm();               // core calls (cv/boot.h) ...
 *   u64 r = cv_hosted_hvc(HVC_REGISTER_VCPU, vmid, 0, 0, 0, 0); // ... or HVCs
 *   cv_hosted_page_owner(pfn), cv_hosted_translate(vmid, ipa, &t), ...
 */
#ifndef COREVISOR_HOSTED_H
#define COREVISOR_HOSTED_H

#include <stdbool.h>
#include <stdint.h>

struct cv_hosted_config {
	uint64_t ram_base; /* default 0x40000000 */
	uint64_t ram_size; /* default 1 GiB; pages are backed lazily */
	uint32_t ncpus;	   /* default 4, at most 8 */
	uint32_t ntrusted_keys;
	uint8_t trusted_keys[4][32]; /* Ed25519 public keys */
	uint8_t aead_key[32];	     /* XChaCha20-Poly1305 key */
	/*
	 * Model TLBs (per CPU, per SMMU context bank): accesses use cached
	 * translations until the core's flush hooks drop them, so a missing
	 * flush shows as a stale access. Default on; off: every access walks.
	 */
	bool tlb;
	/*
	 * Simulated SMMUv2s (default 1; at most 2; 0: none, as before they
	 * existed), each with smmu_context_banks context banks (default 8,
	 * at most 8) and 64 KiB of registers above the core's region
	 * (cv_hosted_smmu_base). The host's accesses to them trap into the
	 * core's emulation; devices reach memory through them
	 * (cv_hosted_dma_read/write).
	 */
	uint32_t nsmmu;
	uint32_t smmu_context_banks;
	/*
	 * An SMMUv3 (default off): the host's devices reach memory only
	 * through the core's host stream table (cv_hosted_stream_dma_*);
	 * its registers are at 0x08c00000, below RAM
	 * (cv_hosted_smmuv3_base).
	 */
	bool smmuv3;
	/*
	 * A GICv3 with an ITS (default off; arch/hosted/gic.c): the
	 * distributor at 0x08000000, the ITS at 0x08080000, one
	 * redistributor per CPU from 0x080a0000 (128 KiB each). The core
	 * takes their table registers from the host (cv/gictab.h).
	 */
	bool gic;
};

/* Defaults (TLBs on), with a random AEAD key and no trusted key. */
void cv_hosted_default_config(struct cv_hosted_config *cfg);

/*
 * Build a fresh machine (discarding any previous one) and boot the core on
 * it. The core's private memory sits in its own region above RAM; the
 * host's RAM is [ram_base, ram_base + ram_size). Returns 0 on success.
 */
int cv_hosted_boot(const struct cv_hosted_config *cfg);

/* The calling thread runs as physical CPU @cpu from now on. */
void cv_hosted_set_cpu(uint32_t cpu);
uint32_t cv_hosted_cpu(void);

/* A hypercall from the host on this CPU, dispatched as TrapDispatcher does. */
uint64_t cv_hosted_hvc(uint64_t x0, uint64_t x1, uint64_t x2, uint64_t x3,
		       uint64_t x4, uint64_t x5);

/* Fail-stop state. */
bool cv_hosted_halted(void);
const char *cv_hosted_halt_reason(void); /* "" when running */

/* Ownership of a physical page (INVALID owner for a pfn in no region). */
uint32_t cv_hosted_page_owner(uint64_t pfn);
uint32_t cv_hosted_page_count(uint64_t pfn);
uint64_t cv_hosted_page_gfn(uint64_t pfn);

/*
 * A translation as the MMU / SMMU would do it (a fresh hardware walk of
 * the live tables, no TLB, no locks).
 */
struct cv_translation {
	bool valid;
	uint32_t level; /* level of the leaf: 3 page, 2 block */
	uint64_t pa;	/* output address of @addr */
	uint64_t pte;	/* the leaf descriptor */
};
/* Principal @vmid's table (0 host, 1..15 VM, 16 the core's own). */
bool cv_hosted_translate(uint32_t vmid, uint64_t addr,
			 struct cv_translation *t);
bool cv_hosted_smmu_translate(uint32_t index, uint32_t cbndx, uint64_t iova,
			      struct cv_translation *t);

/* VM and vCPU states (UNUSED .. ACTIVE). */
uint32_t cv_hosted_vm_state(uint32_t vmid);
uint32_t cv_hosted_vcpu_state(uint32_t vmid, uint32_t vcpuid);

/*
 * Memory as each principal sees it, through its stage-2 table. A host
 * access that faults goes to the core's host stage-2 fault handler
 * (FaultHandler: map_page_host), which maps the page if it is the host's
 * and panics otherwise, then the access is retried, as on hardware.
 * A VM access that faults returns false with the faulting IPA in *fault.
 * Returns true when the whole access completed.
 * A host access of 1, 2, 4 or 8 naturally aligned bytes is one load or
 * store instruction (register x1, with a valid syndrome); others are
 * copies without one. An SMMU's registers are reached this way: the fault
 * handler emulates the load/store (emulate_mmio) instead of mapping.
 */
bool cv_hosted_host_read(uint64_t ipa, void *buf, uint64_t len);
bool cv_hosted_host_write(uint64_t ipa, const void *buf, uint64_t len);
bool cv_hosted_vm_read(uint32_t vmid, uint64_t ipa, void *buf, uint64_t len,
		       uint64_t *fault);
bool cv_hosted_vm_write(uint32_t vmid, uint64_t ipa, const void *buf,
			uint64_t len, uint64_t *fault);

/*
 * A device's DMA through SMMU @index context bank @cbndx (its TLB, then
 * its table). Returns false with the faulting IOVA in *fault (may be
 * NULL) when a piece of the access faults. On an SMMU the machine has
 * (index < nsmmu) the table is the one the bank's CB_TTBR0 register points
 * at, and the bank must be a stage-2 context (CBAR) below
 * smmu_context_banks; on another index it is the core's table for the
 * bank (SMMU_TTBR), as if a bank were wired to it.
 */
bool cv_hosted_dma_read(uint32_t index, uint32_t cbndx, uint64_t iova,
			void *buf, uint64_t len, uint64_t *fault);
bool cv_hosted_dma_write(uint32_t index, uint32_t cbndx, uint64_t iova,
			 const void *buf, uint64_t len, uint64_t *fault);

/*
 * What a TLB holds (no walk, nothing filled): CPU @cpu's entry for
 * principal @vmid's @addr, SMMU context bank (index, cbndx)'s for @iova.
 * True, with t->pa the cached output address of @addr, when one is there.
 * Unlike cv_hosted_translate (a fresh walk), this shows stale entries.
 */
bool cv_hosted_tlb_lookup(uint32_t cpu, uint32_t vmid, uint64_t addr,
			  struct cv_translation *t);
bool cv_hosted_smmu_tlb_lookup(uint32_t index, uint32_t cbndx, uint64_t iova,
			       struct cv_translation *t);
bool cv_hosted_tlb_enabled(void);

/* Raw physical memory (a debugger's view, bypassing stage 2), or NULL. */
void *cv_hosted_phys(uint64_t pa);

/* Physical layout of the booted machine. */
uint64_t cv_hosted_ram_base(void);
uint64_t cv_hosted_ram_size(void);

/* Physical base of SMMU @index's registers (0 when there is none). */
uint64_t cv_hosted_smmu_base(uint32_t index);

/*
 * A host device's DMA through the SMMUv3 (cv_hosted_config.smmuv3): its
 * TLB, then the walk of the core's host stream table. Returns false with
 * the faulting IOVA in *fault (may be NULL) when a page of the access
 * faults (the fault is counted as an event: HVC_SMMUV3_EVENTS).
 */
bool cv_hosted_stream_dma_read(uint64_t iova, void *buf, uint64_t len,
			       uint64_t *fault);
bool cv_hosted_stream_dma_write(uint64_t iova, const void *buf, uint64_t len,
				uint64_t *fault);
/*
 * The same for a device with stream ID @sid (the ones above are stream
 * 0): through the table its STE names (the host's or a VM's).
 */
bool cv_hosted_sid_dma_read(uint32_t sid, uint64_t iova, void *buf,
			    uint64_t len, uint64_t *fault);
bool cv_hosted_sid_dma_write(uint32_t sid, uint64_t iova, const void *buf,
			     uint64_t len, uint64_t *fault);
/* The SMMUv3's register base (0: none); invalidations since boot. */
uint64_t cv_hosted_smmuv3_base(void);
/* The GIC's register at @pa as the hardware holds it (cfg.gic). */
uint64_t cv_hosted_gic_reg(uint64_t pa);
/*
 * The hardware changes register @pa to @v by itself (cfg.gic): e.g. an
 * ITS turned off that is not yet quiescent (GITS_CTLR without Quiescent).
 */
void cv_hosted_gic_set_reg(uint64_t pa, uint64_t v);
/*
 * How many commands the ITS has consumed; the last min(n, 256) of them,
 * newest first, into last[].
 */
uint64_t cv_hosted_its_commands(uint64_t (*last)[4], uint32_t n);
uint64_t cv_hosted_smmuv3_invalidations(void);

/*
 * Simulated VMs. A test registers a guest program per VM: a C function
 * that plays the vCPU's instructions. Each VCPU_RUN's world switch
 * (arch_vcpu_run) loads the vCPU's registers into a struct cv_hosted_guest
 * and calls the program, which "executes" from g->pc on: it changes
 * registers directly (plain instructions; it moves g->pc itself) and uses
 * the cv_guest_* helpers for what touches memory or traps. A helper that
 * traps to EL2 records the exit exactly as the hardware reports it
 * (ESR_EL2 / FAR_EL2 / HPFAR_EL2, and ELR_EL2 = g->pc at the trapping
 * instruction, after it for HVC) and returns false: the program must
 * return at once. Returning without a trap is a physical interrupt
 * (ARM_EXCEPTION_IRQ). The registers are then saved back into the shadow
 * context, so the next run resumes where the hardware would (the core
 * advances the PC past an emulated MMIO access or WFI, not past a RAM
 * fault, which is retried). Memory accesses go through the VM's stage 2
 * (VTTBR_EL2 as the core set it), guest stage 1 is off: VA = IPA.
 */
struct cv_hosted_guest {
	uint32_t vmid, vcpuid;
	uint64_t x[31];	 /* X0..X30 */
	uint64_t sp;	 /* SP_EL0 */
	uint64_t pc;	 /* where the guest is (ELR_EL2 at the exit) */
	uint64_t pstate; /* SPSR_EL2 at the exit */
	uint64_t vttbr;	 /* what the world switch loaded (read-only) */
	uint64_t mpidr;	 /* VMPIDR_EL2 (read-only) */
	uint64_t vbar_el1, elr_el1, spsr_el1, esr_el1, sp_el1, far_el1;
	uint64_t run; /* 0 on the vCPU's first run, +1 each run */
	/*
	 * The GIC virtual CPU interface and the virtual timer as the world
	 * switch loaded them: the program acts as the guest's GIC would
	 * (acknowledge: a list register's state pending -> active;
	 * deactivate: -> 0). ich_lr[0 .. CV_HOSTED_NR_LRS - 1] and ich_vmcr,
	 * cntv_ctl, cntv_cval are saved back; ich_hcr and ptimer_doorbell
	 * are read-only.
	 */
	uint64_t ich_lr[16];
	uint64_t ich_hcr, ich_vmcr;
	uint64_t cntv_ctl, cntv_cval;
	uint64_t ptimer_doorbell;
	uint64_t cntvoff; /* CNTVOFF_EL2 (read-only) */
	/* The trap, set by the helpers (read-only for the program). */
	uint32_t exited; /* an ARM_EXCEPTION_* + 1, 0 while running */
	uint64_t esr, far, hpfar;
};
typedef void (*cv_hosted_guest_fn)(struct cv_hosted_guest *g, void *arg);

/* The program of VM @vmid's vCPUs (NULL: a vCPU that only idles). */
void cv_hosted_set_guest(uint32_t vmid, cv_hosted_guest_fn fn, void *arg);

/*
 * Loads and stores of @len (1, 2, 4, 8) bytes at @ipa through register
 * @rt (31: the zero register). On success the PC steps by 4 and they
 * return true. A stage-2 fault traps: data abort (EC 0x24) with a valid
 * syndrome (ISV, SAS, SRT = @rt, SF = (len == 8 or a signed load), WnR,
 * DFSC = the translation / access / permission fault and its level).
 * Loads zero-extend, or sign-extend to 64 bits with cv_guest_load_signed.
 */
bool cv_guest_load(struct cv_hosted_guest *g, uint64_t ipa, uint32_t len,
		   uint32_t rt);
bool cv_guest_load_signed(struct cv_hosted_guest *g, uint64_t ipa, uint32_t len,
			  uint32_t rt);
bool cv_guest_store(struct cv_hosted_guest *g, uint64_t ipa, uint32_t len,
		    uint32_t rt);
/* LDP of two X registers: a fault reports no syndrome (ISV = 0). */
bool cv_guest_load_pair(struct cv_hosted_guest *g, uint64_t ipa, uint32_t rt,
			uint32_t rt2);
/* Fetch the instruction at g->pc: an unmapped IPA traps (EC 0x20). */
bool cv_guest_fetch(struct cv_hosted_guest *g);
/* HVC #imm (EC 0x16, PC after it), SMC #imm (EC 0x17, PC at it). */
bool cv_guest_hvc(struct cv_hosted_guest *g, uint16_t imm);
bool cv_guest_smc(struct cv_hosted_guest *g, uint16_t imm);
/* WFI / WFE (EC 0x01, CV = 1, COND = 0xe, TI). */
bool cv_guest_wfi(struct cv_hosted_guest *g);
bool cv_guest_wfe(struct cv_hosted_guest *g);
/* MRS (read) / MSR of ACTLR_EL1 with Rt = @rt, trapped (EC 0x18). */
bool cv_guest_sysreg(struct cv_hosted_guest *g, uint32_t rt, bool read);
/* MRS (read) / MSR of the system register op0, op1, CRn, CRm, op2, trapped
 * (EC 0x18) as HCR_EL2 / CNTHCTL_EL2 trap it for a VM (ICC_SGI1R_EL1,
 * CNTP_*). */
bool cv_guest_msr(struct cv_hosted_guest *g, uint32_t op0, uint32_t op1,
		  uint32_t crn, uint32_t crm, uint32_t op2, uint32_t rt,
		  bool read);
/* The list registers the simulated GIC has (QEMU's Cortex-A57: 4). */
#define CV_HOSTED_NR_LRS 4
/* Set the simulated physical counter, CNTPCT_EL0 (0 at reset). */
void cv_hosted_set_counter(uint64_t value);
/* Any other trap with syndrome @esr (PC at the instruction). */
bool cv_guest_trap(struct cv_hosted_guest *g, uint64_t esr);
/* End the run with ARM_EXCEPTION_@code (0 IRQ, 1 SError, 3 IL). */
bool cv_guest_exception(struct cv_hosted_guest *g, uint32_t code);

/* World switches done since boot, and this CPU's CNTVOFF_EL2. */
uint64_t cv_hosted_vcpu_runs(void);
uint64_t cv_hosted_cntvoff(uint32_t cpu);

#endif
