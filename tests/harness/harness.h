/* SPDX-License-Identifier: MIT */
/*
 * Shared test glue of the fuzzer (tests/fuzz) and the concurrency stress
 * test (tests/stress), both driving the core on the hosted machine as an
 * adversarial host would:
 *
 *  - signed VM images (include/corevisor/image.h) from fixed key pairs,
 *    so every run is reproducible;
 *  - the core entry points that trap layers reach without a hypercall
 *    (a VM's stage-2 fault, its grants and revokes, power-off, MmioOps'
 *    smmu_assign/map_page), entered as this CPU;
 *  - an abstract snapshot of the core's state (every page's owner, count
 *    and gfn; every stage-2 and SMMU leaf; VM infos; shadow contexts; core
 *    data; halt) and its comparison, naming the first difference.
 *
 * Everything here runs "as this CPU" (cv_hosted_set_cpu) and enters the
 * core through cv_hosted_run, so a CPU stopped by another CPU's panic
 * returns instead of ending its thread.
 */
#ifndef CV_TEST_HARNESS_H
#define CV_TEST_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cv/state.h>

/* ---- keys and images ---------------------------------------------------- */

/* Ed25519 key pairs from fixed seeds: hx_sk is trusted, hx_bad_sk is not. */
extern uint8_t hx_pk[32], hx_sk[64], hx_bad_pk[32], hx_bad_sk[64];
void hx_keys_init(void);

struct hx_image {
	uint8_t *bytes; /* payload || trailer, malloc'd */
	uint64_t size;	/* payload_len + CV_IMAGE_TRAILER_BYTES */
	uint64_t load_addr;
};
/*
 * A signed image of @payload_len pattern bytes (seeded) for @load_addr;
 * a boot image (entry = load_addr) when the payload holds an instruction.
 */
void hx_make_image(struct hx_image *img, const uint8_t sk[64],
		   uint64_t load_addr, uint64_t payload_len, uint32_t seed);
/* The same, a boot image (entry = load_addr) or not as @boot says. */
void hx_make_image_boot(struct hx_image *img, const uint8_t sk[64],
			uint64_t load_addr, uint64_t payload_len, uint32_t seed,
			bool boot);

/*
 * A fresh hosted machine: @ram_size bytes of RAM at 0x40000000, @ncpus
 * CPUs, SMMU_NUM SMMUs of SMMU_NUM_CTXT_BANKS banks, trusting hx_pk when
 * @trusted, a fixed AEAD key, console quiet (captured). Returns 0 or -1.
 * This thread becomes CPU 0.
 */
int hx_boot(uint64_t ram_size, uint32_t ncpus, bool trusted);

/* ---- MmioOps (core/smmu) --------------------------------------------------
 */

/*
 * The SMMU layer's entry points, entered as this CPU: the hypercalls
 * reach the same functions (SMMU_ALLOC_PGD, ...) after TrapDispatcher's
 * range checks; smmu_assign_page and smmu_map_page have no hypercall.
 */
void hx_smmu_alloc_pgd(uint32_t cbndx, uint32_t vmid, uint32_t index);
void hx_smmu_free_pgd(uint32_t cbndx, uint32_t index);
void hx_smmu_assign_page(uint32_t cbndx, uint32_t index, uint64_t pfn,
			 uint64_t gfn);
void hx_smmu_map_page(uint32_t cbndx, uint32_t index, uint64_t iova,
		      uint64_t pte);
void hx_smmu_lpae_map(uint64_t iova, uint64_t paddr, uint64_t prot,
		      uint32_t cbndx, uint32_t index);
void hx_smmu_lpae_clear(uint64_t iova, uint32_t cbndx, uint32_t index);
uint64_t hx_smmu_iova_to_phys(uint64_t iova, uint32_t cbndx, uint32_t index);

/* ---- core entry points called directly (as the trap layers do) --------- */

/* Each runs the core function through cv_hosted_run on this CPU. */
void hx_prot_and_map_vm_s2pt(uint32_t vmid, uint64_t addr, uint64_t pte,
			     uint32_t level);
void hx_grant_stage2_sg_gpa(uint32_t vmid, uint64_t addr, uint64_t size);
void hx_revoke_stage2_sg_gpa(uint32_t vmid, uint64_t addr, uint64_t size);
void hx_set_vm_poweroff(uint32_t vmid);
uint32_t hx_get_vm_poweron(uint32_t vmid);
void hx_set_vcpu_inactive(uint32_t vmid, uint32_t vcpuid);
/* set_vcpu_active: a vCPU ACTIVE as if a VCPU_RUN held it meanwhile. */
void hx_set_vcpu_active(uint32_t vmid, uint32_t vcpuid);
/* A guest's PSCI CPU_ON as the core records it (vcpu_power_on). */
uint32_t hx_vcpu_power_on(uint32_t vmid, uint64_t mpidr, uint64_t entry,
			  uint64_t context);
uint64_t hx_search_load_info(uint32_t vmid, uint64_t addr);

/* ---- the access oracle --------------------------------------------------- */

/*
 * Every piece of memory a principal's simulated access reached, as the
 * hosted machine's data path moved it (cv_hosted_watch_accesses), checked
 * at that moment against who may reach the page then:
 *  - the host (a CPU as HOSTVISOR): its own pages, MMIO, and VM pages it
 *    was lent (count 1 .. MAX_SHARE_COUNT); never the core's or a VM's;
 *  - a live VM (READY or VERIFIED), by a CPU: its own pages only;
 *  - a device through a VM's context bank: that VM's pages; through any
 *    other bank: no page of the core or of a live VM.
 * Exact bytes, not a comparison of page contents (the core writes its
 * own pages, table descriptors for one, while it serves an access).
 * It reads the core's state without its locks: one thread only (the
 * fuzzer), no other CPU thread inside the core.
 */
void hx_access_oracle_start(void);
void hx_access_oracle_stop(void);
/* Pieces seen since the start: loads, stores (all principals). */
struct hx_access_counts {
	uint64_t loads, stores;
};
void hx_access_counts(struct hx_access_counts *out);
/*
 * 0 when every piece since the last call was allowed; else 1 with the
 * first violation described in @why (the principal, the access, the
 * physical page and offset, its owner and count). Clears it.
 */
int hx_access_violation(char *why, size_t len);

/* ---- abstract state ------------------------------------------------------ */

struct hx_leaf {
	uint64_t addr; /* ipa / iova of the leaf's first byte */
	uint64_t pte;
	uint32_t level;
	uint32_t pad; /* 0: no padding bytes in comparisons */
};

struct hx_snap {
	uint32_t halted;
	char reason[CV_HALT_REASON_LEN];
	struct core_data core;
	struct vm_info vminfos[NUM_PRINCIPALS];
	uint32_t smmu_vmid[EL2_SMMU_CFG_SIZE];
	struct cv_cpu cpus[TOTAL_CPU];
	struct s2page *pages; /* cv.s2page_num entries */
	uint64_t npages;
	struct hx_leaf *npt[NUM_PRINCIPALS];
	uint64_t nnpt[NUM_PRINCIPALS];
	struct hx_leaf *spt[EL2_SMMU_CFG_SIZE];
	uint64_t nspt[EL2_SMMU_CFG_SIZE];
	struct cv_ctxt *ctxts; /* CTXT_POOL_SIZE */
};

/* Take a snapshot (quiescent machine: no CPU inside the core). */
void hx_snap_take(struct hx_snap *s);
void hx_snap_free(struct hx_snap *s);
/* 0 when equal; else 1 with the first difference described in @why. */
int hx_snap_diff(const struct hx_snap *a, const struct hx_snap *b, char *why,
		 size_t len);
/* A 64-bit digest of the snapshot (FNV-1a over its canonical contents). */
uint64_t hx_snap_hash(const struct hx_snap *s);

#endif
