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
 * NULL) when a piece of the access faults.
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

#endif
