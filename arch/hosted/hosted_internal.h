/* SPDX-License-Identifier: MIT */
/*
 * The hosted machine's extra interface for tests, the demo and tools:
 * what the public API (include/corevisor/hosted.h) does not show. Include
 * with -Iarch/hosted (the hosted build's flags have it).
 *
 *  - the machine's layout (where the core's private region and the host's
 *    shared kvm/vcpu area were placed);
 *  - counters of the arch hooks the core called (TLB/SMMU flushes, table
 *    syncs, halts), so tests can check that an unmap was followed by a
 *    flush;
 *  - the console: to stderr, into a capture buffer, both or neither;
 *  - the software MMU itself, usable on any table in simulated memory
 *    (hand-built tables in tests), with the fault kind a walk ends in;
 *  - the TLB-backed translation that simulated accesses use (tlb.c).
 */
#ifndef CV_HOSTED_INTERNAL_H
#define CV_HOSTED_INTERNAL_H

#include <corevisor/constants.h>
#include <corevisor/hosted.h>
#include <cv/types.h>

/* Layout */

/* The core's private region: its own boot memory region above RAM. */
uint64_t cv_hosted_reserved_base(void);
uint64_t cv_hosted_reserved_size(void);
/* Host RAM's last CV_HOSTED_SHARED_SIZE bytes hold shared kvm/vcpu data. */
#define CV_HOSTED_SHARED_SIZE (2ULL << 20)
uint64_t cv_hosted_shared_base(void);
/* The physical address size the machine reports (cortex-a57's 44 bits). */
#define CV_HOSTED_PA_BITS 44U
/*
 * Host address of the backing of @pa's region and whether the page is
 * resident in the Linux process (lazy backing: false until touched).
 */
bool cv_hosted_page_resident(uint64_t pa);

/*
 * Run @fn(@arg) as this CPU entering the core. A CPU that waits on a lock
 * when another CPU halts the core stops (arch_cpu_stop): inside this call
 * it comes back here and the call returns false; a thread that called the
 * core directly ends instead (pthread_exit). Threads that race with a
 * panic (stress tests) should enter the core through this.
 */
bool cv_hosted_run(void (*fn)(void *), void *arg);

/* Counters of arch hooks since the last boot (or reset). */
struct cv_hosted_counters {
	u64 pt_sync;
	u64 tlb_flush_ipa[NUM_PRINCIPALS];
	u64 last_flush_ipa[NUM_PRINCIPALS];
	u64 tlb_flush_vmid[NUM_PRINCIPALS];
	u64 smmu_tlb_flush[SMMU_NUM][SMMU_NUM_CTXT_BANKS];
	u64 bad_flush;	 /* a flush hook called with an out-of-range id */
	u64 halts;	 /* arch_halt calls (one per boot at most) */
	u64 cpu_stops;	 /* CPUs stopped by arch_cpu_stop */
	u64 host_faults; /* host stage-2 faults sent to map_page_host */
	u64 tlb_hits;	 /* CPU accesses served from a TLB entry */
	u64 tlb_fills;	 /* CPU TLB misses that walked and cached a leaf */
	u64 smmu_tlb_hits;
	u64 smmu_tlb_fills;
};
void cv_hosted_get_counters(struct cv_hosted_counters *out);
void cv_hosted_reset_counters(void);

/*
 * SMMU register @offset (@len 4 or 8) of SMMU @index as the device holds
 * it, bypassing the core (a debugger's view); 0 when out of range.
 */
uint64_t cv_hosted_smmu_reg(uint32_t index, uint64_t offset, uint32_t len);
/* Core SMMU accesses that hit no SMMU since boot (should stay 0). */
uint64_t cv_hosted_smmu_stray(void);
/*
 * Where a device behind SMMU @index's bank @cbndx would reach @iova now,
 * as the SMMU's registers send it (bypass, or a fresh walk of the table
 * and geometry they name; no TLB), also once the core has halted (when
 * cv_hosted_dma_read/write no longer run). True with t->pa when it would.
 */
bool cv_hosted_smmu_device_translate(uint32_t index, uint32_t cbndx,
				     uint64_t iova, struct cv_translation *t);

/*
 * A host data abort as the CPU takes it: the host's load/store at
 * physical @pa with syndrome @esr (ESR_EL2) and its registers X0..X30 in
 * @x (updated with what the core gives back). FAR_EL2 = @pa, HPFAR_EL2 =
 * its page. Returns true when the core emulated the instruction (the
 * host's PC moved past it); false when it did not (it mapped the page,
 * or halted).
 */
bool cv_hosted_host_abort(uint64_t pa, uint32_t esr, uint64_t x[31]);
/* Console: where arch_console_write goes. Default CV_CONSOLE_STDERR. */
#define CV_CONSOLE_STDERR 1U
#define CV_CONSOLE_CAPTURE 2U
void cv_hosted_console_mode(unsigned int mode);
/* Text captured since the last clear (at most 64 KiB; later text dropped). */
const char *cv_hosted_console_text(void);
void cv_hosted_console_clear(void);

/*
 * The software MMU. A walk reads the real descriptors from simulated
 * physical memory, as the hardware walker does (4 KiB granule, VMSAv8-64):
 *  CV_REGIME_S2   stage 2, 48-bit input, root at level 0 (VTTBR_EL2);
 *  CV_REGIME_EL2  EL2 stage 1 (the COREVISOR table), same geometry;
 *  CV_REGIME_SMMU SMMU stage 2, 40-bit input, root = two concatenated
 *                 level-1 pages (8 KiB aligned).
 * Level 0 descriptors must be tables; levels 1-2 are tables or blocks
 * (1 GiB, 2 MiB); level 3 must be pages (type 0b11). Leaves need the
 * access flag (no hardware AF update). Stage 2 checks S2AP (bit 6 read,
 * bit 7 write); EL2 stage 1 denies writes when AP[2] or a table's
 * APTable[1] is set. A descriptor outside memory is an external abort.
 */
enum cv_regime { CV_REGIME_S2, CV_REGIME_EL2, CV_REGIME_SMMU };
enum cv_access { CV_ACCESS_NONE, CV_ACCESS_READ, CV_ACCESS_WRITE };
enum cv_fault {
	CV_FAULT_NONE,
	CV_FAULT_TRANSLATION,
	CV_FAULT_ACCESS_FLAG,
	CV_FAULT_PERMISSION,
	CV_FAULT_EXTERNAL,
};
struct cv_walk {
	enum cv_fault fault;
	u32 level; /* of the leaf, or where the walk faulted */
	u64 pa;	   /* output address (valid when fault == NONE) */
	u64 pte;   /* the last descriptor read (0 when none could be read) */
};
/*
 * Walk @addr from the table at @root_pa. CV_ACCESS_NONE checks the
 * descriptors and the access flag but no permission. Returns w->fault.
 */
enum cv_fault cv_hosted_walk(enum cv_regime regime, u64 root_pa, u64 addr,
			     enum cv_access access, struct cv_walk *w);
/* The same, on principal @vmid's live table (COREVISOR: EL2 regime). */
enum cv_fault cv_hosted_walk_principal(u32 vmid, u64 addr,
				       enum cv_access access,
				       struct cv_walk *w);
const char *cv_hosted_fault_name(enum cv_fault fault);

/*
 * The MMU as this CPU (cv_hosted_cpu) sees it: @addr of principal @vmid
 * through this CPU's TLB, which a miss fills from a fresh walk (valid
 * leaves only, with their permissions); a stale entry is used until the
 * core's flush hooks drop it. With the TLB off, cv_hosted_walk_principal.
 * Every simulated access by the host or a guest goes through this (the
 * access API above; a simulated vCPU's loads, stores and fetches too).
 */
enum cv_fault cv_hosted_tlb_translate(u32 vmid, u64 addr, enum cv_access access,
				      struct cv_walk *w);
/*
 * A load or store of @len bytes at @addr, as this CPU: each page it
 * touches translated as above in turn, and that page's data copied
 * to/from @buf before any flush can complete (as a TLBI + DSB waits for
 * accesses using the old entry). Stops at the first page that faults
 * (CV_FAULT_EXTERNAL when the output address is not memory), the pages
 * before it done, with that page's walk in *w. Prefer it to
 * cv_hosted_tlb_translate + a copy for simulated accesses.
 */
enum cv_fault cv_hosted_tlb_access(u32 vmid, u64 addr, enum cv_access access,
				   void *buf, u64 len, struct cv_walk *w);

/*
 * The access watcher: what each simulated access by a principal actually
 * reached in physical memory, as the machine's one data path moved it
 * (host and VM accesses, simulated vCPUs' loads, stores and fetches,
 * devices' DMA). An access is cut at page boundaries and each page is
 * translated on its own, so one record is one page-bounded piece:
 * [pa, pa + len) are exactly the physical bytes it loaded or stored.
 * Pieces that faulted, or that the core emulated (an SMMU register),
 * moved no memory and have no record. Oracles use it instead of
 * comparing memory before and after (the core writes its own pages
 * meanwhile: table descriptors, for one).
 */
struct cv_hosted_access {
	bool dma;	/* a device through an SMMU; else a CPU */
	bool write;	/* a store; else a load (or an instruction fetch) */
	uint32_t id;	/* CPU: the principal (VMID tag); DMA: SMMU index */
	uint32_t cbndx; /* DMA: the context bank */
	uint32_t cpu;	/* the physical CPU that made or started it */
	uint64_t addr;	/* input address (IPA, or IOVA) of the piece */
	uint64_t pa;	/* its first physical byte */
	uint64_t len;	/* its bytes, all in pa's page */
};
typedef void (*cv_hosted_access_fn)(const struct cv_hosted_access *a,
				    void *arg);
/*
 * Call @fn(record, @arg) for every piece from now on (NULL: stop). It
 * runs on the accessing thread, under the TLB's lock and possibly inside
 * a core call (a vCPU's run): it must not enter the core or touch
 * simulated memory. Set it while no other thread makes accesses.
 */
void cv_hosted_watch_accesses(cv_hosted_access_fn fn, void *arg);

#endif
