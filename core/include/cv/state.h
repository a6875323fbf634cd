/* SPDX-License-Identifier: MIT */
/*
 * The corevisor's whole state, in one place: the C form of the spec's
 * RData (../shared/spec/RData.md). The spec's 70 getters and setters are
 * plain fields here; each field says which lock guards it, and code that
 * touches a guarded field asserts that this CPU holds that lock
 * (assert_locked(), debug builds).
 *
 * Ownership and states, documented once:
 *  - A physical page of a boot memory region has one owner: HOSTVISOR (0),
 *    a VM (1..15) or COREVISOR (16); `count` is how many extra mappings it
 *    has (a host page shared with a VM or mapped in an SMMU), `gfn` where
 *    its owning VM maps it (INVALID64 when none). Pages outside every region
 *    (MMIO) have no entry: get_pfn_owner() says INVALID.
 *  - VM state: UNUSED -> READY (register_kvm) -> VERIFIED
 *    (verify_and_load_images) -> POWEROFF (set_vm_poweroff) -> UNUSED
 *    (destroy_vm, corevisor: every trace of the VM wiped, its vmid free
 *    for the next register_kvm).
 *  - vCPU state: UNUSED -> READY (register_vcpu) <-> ACTIVE
 *    (set_vcpu_active / set_vcpu_inactive; ACTIVE -> READY by
 *    compare-and-swap without the lock, see vcpu_state_of below).
 *  - vCPU power (corevisor, PSCI; vm_info.vcpu_power): VCPU_OFF ->
 *    VCPU_ON_PENDING (verify_and_load_images for vCPU 0 at the signed
 *    entry, or the guest's own CPU_ON naming it) -> VCPU_ON (its next
 *    VCPU_RUN resets it there) -> VCPU_OFF (its own CPU_OFF). Only the
 *    guest and the signed image choose where a vCPU starts.
 *
 * Lock order, for every operation that holds several locks at once:
 *   SMMU (SMMU_ID) -> vm info (INFO_ID + vmid) -> core (CORE_ID)
 *   -> s2page (S2PAGE_ID) -> SMMU tables (SPT_ID) -> stage-2 table
 *   (NPT_ID + vmid)
 * and, for the host's GIC table registers (cv/gictab.h), which hold no
 * other lock first: GIC (GIC_ID) -> s2page (S2PAGE_ID) -> ...
 * No operation holds two vm-info locks or two stage-2 table locks at once.
 * A lock may be passed on while one taken after it is still held
 * (map_page_host passes S2PAGE_ID on once it holds the host's NPT lock).
 * SMMU_ID comes first because the MmioOps calls (el2_free_smmu_pgd,
 * smmu_map_page, ...) hold it across the BootOps call they make, as the
 * spec's _spec0 do: a context bank must not change owner in between.
 */
#ifndef CV_STATE_H
#define CV_STATE_H

#include <corevisor/abi.h>
#include <corevisor/constants.h>
#include <cv/types.h>

/* Lock identifiers, as the spec's (RData.md). */
#define CORE_ID 1U
#define S2PAGE_ID 2U
#define SPT_ID 3U
#define SMMU_ID 4U
#define NPT_ID 5U			  /* + principal, 0..16 */
#define INFO_ID 22U			  /* + principal, 0..16 */
#define GIC_ID (INFO_ID + NUM_PRINCIPALS) /* corevisor: cv/gictab.h */
#define NUM_LOCKS (GIC_ID + 1)

struct cv_lock {
	u32 next;    /* next ticket to hand out (atomic) */
	u32 serving; /* ticket now allowed in (atomic) */
	u32 holder;  /* 1 + CPU holding it, 0 when free (debug checks) */
};

/* MemRegion: one boot memory region and where its pages start in s2page. */
struct memblock {
	u64 base;
	u64 size;
	u64 flag;
	u64 index; /* s2page index of the region's first page */
};

/*
 * PageManager: one 8-byte entry per 4 KiB page of every region.
 * gfn uses 40 bits: valid gfns are < 2^36 and S2PAGE_GFN_NONE is INVALID64.
 */
struct s2page {
	u64 gfn : 40;
	u64 count : 8;
	u64 owner : 8;
	/* corevisor: a registered vCPU's run page (pin_run_page): the
	 * host's, and no call gives it to anyone else until destroy. */
	u64 pinned : 1;
	/*
	 * corevisor: how many of the GIC's memory tables (cv/gictab.h) hold
	 * this host page; while nonzero the page stays the host's.
	 */
	u64 gic_pins : 7;
};
#define S2PAGE_GIC_PINS_MAX 0x7fU
#define S2PAGE_GFN_NONE ((1ULL << 40) - 1)
/* count INVALID: a VM page assigned to an SMMU, not yet mapped by its VM. */
#define S2PAGE_COUNT_INVALID 0xffU

/*
 * PTAlloc's areas of a pool, as offsets from its start: the root page at
 * 0, level-1 tables in [PGD_OFFSET, pud_offset), level-2 in [pud_offset,
 * pmd_offset), level-3 in [pmd_offset, pool_bytes).
 */
struct pt_geometry {
	u64 pud_offset;
	u64 pmd_offset;
	u64 pool_bytes;
};

/* NPT: one principal's stage-2 table pool (PTAlloc). Guarded by NPT_ID+vmid. */
struct npt {
	u64 pool;     /* physical address of the pool; the root page is here */
	u64 pgd_next; /* next free level-1 table page */
	u64 pud_next; /* next free level-2 table page */
	u64 pmd_next; /* next free level-3 table page */
	/*
	 * arch_phys_to_virt(pool), set by init_npt (read-only after boot):
	 * the pool lies in one memory region, mapped linearly (arch.h), so
	 * a table at pool + off is at pool_va + off.
	 */
	u8 *pool_va;
	/*
	 * The pool's areas, set by init_npt (read-only after boot). VMs and
	 * the core: cv.vm_geom (vm_pool_geometry, cv/pt.h); the host: sized
	 * from the memory map (host_pool_geometry, cv/pt.h).
	 */
	struct pt_geometry geom;
};

/* SPT: the SMMU table pool (MmioPTAlloc). Guarded by SPT_ID. */
struct spt {
	u64 pool; /* physical address of the SMMU pool */
	u64 pgd_next;
	u64 pmd_next;
	/*
	 * corevisor: table pages a cleared bank gave back (clear_smmu_pt),
	 * each list linked through the first word of its pages (0 ends it),
	 * handed out again before the cursors move on.
	 */
	u64 pgd_free, pmd_free;
	u64 pgd_nfree, pmd_nfree;
	/*
	 * corevisor: the host's SMMUv3 stream table (core/spt/stream.c):
	 * its pool (0 when the machine has no SMMUv3), the root at the
	 * pool's start, the bump cursor and the pool's end.
	 */
	u64 stream_pool;
	u64 stream_next;
	u64 stream_end;
	/*
	 * corevisor: the VMs' SMMUv3 stream tables (cv/stream.h): a pool of
	 * table pages shared by the VMs (bump cursor, end, and the pages a
	 * destroyed VM gave back, linked through their first word), each
	 * VM's root (0: none yet) and how many table pages it holds, and
	 * the principal each stream ID is attached to (HOSTVISOR or a VM).
	 */
	u64 vm_stream_next;
	u64 vm_stream_end;
	u64 vm_stream_free;
	u64 vm_stream_root[NUM_PRINCIPALS];
	u32 vm_stream_pages[NUM_PRINCIPALS];
	u8 stream_vm[CV_SMMUV3_STREAMS];
};

/*
 * The remap area in pages. Its last page is never handed out: the spec's
 * alloc_remap_addr refuses an allocation that reaches REMAP_END.
 */
#define REMAP_PAGES (REMAP_SIZE / PAGE_SIZE)
#define REMAP_WORDS (REMAP_PAGES / 64)

/*
 * CoreData. Guarded by CORE_ID. corevisor reuses vmids and remap space
 * (core/boot/bootcore.c): next_vmid is the lowest free vmid (COREVISOR
 * when none is) and next_remap_ptr the lowest free remap page; with
 * nothing ever freed both are the spec's bump pointers.
 */
struct core_data {
	u32 next_vmid;
	u32 vmid_used; /* bit v: vmid v is registered and not destroyed */
	u64 next_remap_ptr;
	u64 remap_used[REMAP_WORDS]; /* bit i: page REMAP_START + i * 4 KiB */
	u64 next_instance;	     /* corevisor: instances made since boot */
	u64 lineages_retired;	     /* corevisor: destroy_vm's retire order */
};

/* vm_info.vcpu_power (corevisor). */
#define VCPU_OFF 0U	   /* not started, or after its CPU_OFF */
#define VCPU_ON_PENDING 1U /* to start at vcpu_entry, x0 = vcpu_context */
#define VCPU_ON 2U	   /* started */

#define CV_MEASUREMENT_BYTES 32U
#define CV_INSTANCE_BYTES 16U

/*
 * A lineage of sealed state (corevisor, core/boot/lineage.c): one VM
 * instance's state as it moves from VM to VM through sealed blobs
 * (docs/image-format.md, "Binding"). Guarded by CORE_ID; slots 1..15,
 * one per lineage a VM holds or a destroyed VM left (retired).
 */
struct cv_lineage {
	u8 instance[CV_INSTANCE_BYTES];
	u8 measurement[CV_MEASUREMENT_BYTES];
	u64 epoch;  /* the version blobs sealed now carry */
	u32 holder; /* the VM whose state it is now; 0 when none */
	u32 open;   /* the holder may still run (READY or VERIFIED) */
	/*
	 * Its holder was destroyed (destroy_vm): no VM holds it, but its
	 * instance and epoch are still known, so its blobs restore only at
	 * that epoch; the slot is reused only when no free one is left.
	 */
	u32 retired;
	u64 retired_seq; /* destroy order: the oldest retired slot goes first */
};

/*
 * corevisor: the host's GIC table registers, emulated (cv/gictab.h).
 * A table is [base, base + pages * PAGE_SIZE), every page pinned
 * (s2page.gic_pins) while the GIC may use it; pages 0: none.
 */
struct gic_table {
	u64 base;
	u64 pages;
};

#define GIC_ITS_BASER_NR 8U
#define GIC_ITS_MAX_DEVICES 64U

/* An ITS device the host mapped (MAPD V=1) and the ITT it names. */
struct gic_its_device {
	u32 used;
	u32 devid;
	struct gic_table itt;
};

struct cv_gic {
	/* Read-only after boot (cv_boot_params, and the GIC's ID registers). */
	u64 gicd_base, its_base, rdist_base;
	u32 nr_rdists;
	u32 lpi_id_bits;     /* GICD_TYPER.IDbits + 1 */
	u32 itt_entry_bytes; /* GITS_TYPER.ITT_entry_size + 1 */
	u32 its_dev_bits;    /* GITS_TYPER.Devbits + 1 */
	u32 its_pta; /* GITS_TYPER.PTA: MAPC names RD frames by address */
	u64 cmdq_pa; /* the core's ITS command queue (GIC_CMDQ_BYTES) */

	/* GIC_ID */
	u64 host_cbaser;  /* what the host wrote (and reads back) */
	u64 host_cwriter; /* offset the host wrote */
	u64 host_creadr;  /* offset the host reads: every command done */
	u64 core_cwriter; /* offset in the core's queue */
	struct gic_table host_cmdq; /* the host's queue (the core reads it) */
	struct gic_table baser[GIC_ITS_BASER_NR];
	struct gic_its_device devices[GIC_ITS_MAX_DEVICES];
	struct gic_table prop[TOTAL_CPU], pend[TOTAL_CPU];
};

/*
 * A whole-VM snapshot or restore in progress (corevisor,
 * core/boot/snapshot.c), part of the VM's info (its lock). mode SNAP_NONE
 * when none.
 */
#define SNAP_NONE 0U
#define SNAP_SAVING 1U
#define SNAP_RESTORING 2U
struct cv_snap_session {
	u32 mode;
	u32 vcpus_done; /* bit v: vCPU v's blob written / restored */
	u32 vcpu_mask;	/* restoring: the manifest's vCPUs */
	u32 pages_done; /* saving: every page sealed */
	u8 id[16];	/* the snapshot id */
	u8 bind[56];	/* its struct cv_sealed_binding */
	u64 cursor;	/* saving: the next pfn to look at */
	u64 pages;	/* page blobs written / restored */
	u64 npages;	/* restoring: the manifest's page count */
	u64 vcount;	/* restoring: the manifest's virtual counter */
	u8 digest[32];	/* restoring: the manifest's digest */
	struct {
		_Alignas(16) u8 opaque[128];
	} hash; /* struct cv_hash_state over the blob headers so far */
};

/* VMInfo = StateInfo + BootInfo. Guarded by INFO_ID + vmid. */
struct vm_info {
	/* StateInfo */
	u64 kvm;
	u64 vcpu[VCPU_PER_VM];
	u32 state;		     /* vm_state_of, set_vm_state */
	u32 vcpu_state[VCPU_PER_VM]; /* vcpu_state_of: ACTIVE -> READY lock-free
				      */
	u32 power;
	/* BootInfo */
	u32 next_load_info;
	u32 inc_exe;
	u64 load_addr[MAX_LOAD_INFO_NUM];
	u64 load_size[MAX_LOAD_INFO_NUM];
	u64 remap_addr[MAX_LOAD_INFO_NUM];
	u64 mapped_pages[MAX_LOAD_INFO_NUM];
	/* corevisor: where each vCPU starts (PSCI), see VCPU_OFF above. */
	u32 vcpu_power[VCPU_PER_VM];
	u64 vcpu_entry[VCPU_PER_VM];
	u64 vcpu_context[VCPU_PER_VM];
	/* corevisor: what sealed state is bound to (core/boot/lineage.c). */
	u8 measurement[CV_MEASUREMENT_BYTES]; /* verify_and_load_images */
	u32 lineage;	   /* cv.lineages index; 0: none yet */
	u32 seal_pending;  /* a blob of the lineage's epoch may exist */
	u32 vcpu_restored; /* bit v: vCPU v came from a sealed blob */
	/*
	 * corevisor: the VM's memory map (core/boot/memmap.c), declared while
	 * READY, read-only once VERIFIED; 0 regions: the spec's fixed split.
	 */
	u32 nregions;
	u32 region_kind[CV_MAX_VM_REGIONS];
	u64 region_base[CV_MAX_VM_REGIONS];
	u64 region_size[CV_MAX_VM_REGIONS];
	/* corevisor: CNTVOFF_EL2 of all its vCPUs, set at verification. */
	u64 cntvoff;
	/* corevisor: a vCPU of it ran since it was verified. */
	u32 has_run;
	/* corevisor: a snapshot or restore in progress (snapshot.c). */
	struct cv_snap_session snap;
};

/*
 * Shadow vCPU context (Ctxt), indexed by the spec's register numbers
 * (Constants.md: X0..X30, SP, PC, PSTATE, ..., ESR_EL2), plus FP/SIMD.
 * Guarded by the VM's info lock outside of the vCPU's own run loop.
 */
enum ctxt_reg {
	X0 = 0,
	X1,
	X2,
	X3,
	X4,
	X5,
	X6,
	X7,
	X8,
	X9,
	X10,
	X11,
	X12,
	X13,
	X14,
	X15,
	X16,
	X17,
	X18,
	X19,
	X20,
	X21,
	X22,
	X23,
	X24,
	X25,
	X26,
	X27,
	X28,
	X29,
	X30,
	SP = 31,
	PC,
	PSTATE,
	SP_EL1,
	ELR_EL1,
	SPSR_EL1,
	SPSR_ABT,
	SPSR_UND,
	SPSR_IRQ,
	SPSR_FIQ,
	FAR_EL2,
	HPFAR_EL2,
	HCR_EL2,
	EC,
	DIRTY,
	FLAGS,
	SYSREGS_START = 47,
	MPIDR_EL1 = 47,
	CSSELR_EL1,
	SCTLR_EL1,
	ACTLR_EL1,
	CPACR_EL1,
	TTBR0_EL1,
	TTBR1_EL1,
	TCR_EL1,
	ESR_EL1,
	AFSR0_EL1,
	AFSR1_EL1,
	FAR_EL1,
	MAIR_EL1,
	VBAR_EL1,
	CONTEXTIDR_EL1,
	TPIDR_EL0,
	TPIDRRO_EL0,
	TPIDR_EL1,
	AMAIR_EL1,
	CNTKCTL_EL1,
	PAR_EL1,
	MDSCR_EL1,
	MDCCINT_EL1,
	ELR_EL2 = 70,
	SPSR_0,
	ESR_EL2,
	CTXT_REG_NUM /* 73 */
};
#define SHADOW_SYS_REGS_SIZE 24

/*
 * A vCPU's GICv3 virtual CPU interface and its emulated EL1 physical
 * timer (corevisor, core/vcpu/vgic.c). The world switch loads lr[0 ..
 * arch_vgic_nr_lrs() - 1], hcr, vmcr and the active-priority registers
 * into ICH_*_EL2 and saves them back; the rest is the core's bookkeeping.
 */
#define CV_VGIC_MAX_LRS 16U
struct cv_vgic {
	u64 lr[CV_VGIC_MAX_LRS]; /* ICH_LR<n>_EL2 */
	u64 hcr;		 /* ICH_HCR_EL2 */
	u64 vmcr;		 /* ICH_VMCR_EL2 */
	u64 ap0r[4];		 /* ICH_AP0R<n>_EL2 */
	u64 ap1r[4];		 /* ICH_AP1R<n>_EL2 */
	u32 host_lrs;		 /* bit n: LR n holds a host injection */
	u32 notify_lrs;		 /* bit n: ... whose EOI the host wants */
	u64 cntp_ctl;		 /* the guest's CNTP_CTL_EL0 (ENABLE, IMASK) */
	u64 cntp_cval;		 /* the guest's CNTP_CVAL_EL0 */
	/*
	 * For the world switch: the physical counter value at which the
	 * emulated physical timer must make the vCPU exit (0: none).
	 */
	u64 ptimer_doorbell;
	/* CNTVOFF_EL2 the vCPU runs with: its VM's (vm_info.cntvoff), set
	 * before every entry. */
	u64 cntvoff;
};

struct cv_ctxt {
	u64 regs[CTXT_REG_NUM];
	u64 vregs[64]; /* V0..V31, two u64 each */
	u64 fpsr;
	u64 fpcr;
	/* EL1 timer state moved by the world switch (EL2 port). */
	u64 cntv_ctl;
	u64 cntv_cval;
	u64 cntkctl;
	struct cv_vgic vgic;
};

/* Per physical CPU (the spec's curid, cur_vmid, cur_vcpuid). */
struct cv_cpu {
	u32 cur_vmid;
	u32 cur_vcpuid;
};

/*
 * SMMUConf (RData.md): one SMMUv2 whose registers the core emulates for the
 * host (core/smmu). The spec's emulation fixes the register layout: 4 KiB
 * register pages (pgshift 12) and a 64 KiB register space, global space in
 * the lower half, context bank n at 32 KiB + n * 4 KiB. Read-only after
 * boot (the MmioOps read it under SMMU_ID, which they hold anyway).
 */
struct smmu_conf {
	u64 phys_base;	   /* register space, 64 KiB aligned, outside RAM */
	u64 size;	   /* 64 KiB */
	u32 pgshift;	   /* 12 */
	u32 context_banks; /* usable banks 0..n-1, n <= SMMU_NUM_CTXT_BANKS */
	u32 features;	   /* ARM_SMMU_FEAT_* (cv/smmu.h); informational */
	u32 options;	   /* ARM_SMMU_OPT_*; informational */
};

#define CV_MAX_TRUSTED_KEYS 4
#define CV_KEY_BYTES 32
#define CV_HALT_REASON_LEN 160

/* What the machine hands the core at boot (filled by arch code). */
struct cv_boot_params {
	u32 nregions;
	struct memblock regions[MAX_MEMBLOCK_NUM]; /* RAM, sorted, disjoint */
	/*
	 * The core's private memory: inside a region, page aligned, large
	 * enough for cv_reserved_bytes(). Its pages are owned by COREVISOR and
	 * never mapped for the host or a VM.
	 */
	u64 reserved_base;
	u64 reserved_size;
	/* Start of the host's shared kvm/vcpu structures (shared_kvm). */
	u64 shared_base;
	/*
	 * The physical address size (ID_AA64MMFR0_EL1.PARange, 32..48):
	 * the host's stage 2 maps faults below 2^pa_bits (RAM and MMIO).
	 * 0 means the spec's 40 bits (KVM_PHYS_SIZE).
	 */
	u32 pa_bits;
	u32 ntrusted_keys;
	u8 trusted_keys[CV_MAX_TRUSTED_KEYS][CV_KEY_BYTES]; /* Ed25519 */
	u8 aead_key[CV_KEY_BYTES]; /* XChaCha20-Poly1305 */
	u8 nonce_salt[16];	   /* per boot, random: nonces never repeat */
	/*
	 * The SMMUs (SMMUConf): 0 .. SMMU_NUM of them; 0 means none, and
	 * every SMMU hypercall then finds no context bank to work on.
	 */
	u32 nsmmu;
	struct smmu_conf smmus[SMMU_NUM];
	/*
	 * corevisor: an SMMUv3 (0 = none) whose every stream the arch points
	 * at the host's DMA table (core/spt/stream.c, cv/stream.h). Its
	 * registers [smmuv3_base, + smmuv3_size) are the arch's: the host
	 * never maps them. Needs RAM below 2^STREAM_IOVA_BITS.
	 */
	u64 smmuv3_base;
	u64 smmuv3_size;
	/*
	 * The page of the interrupt controller's MSI doorbell (a GICv3
	 * ITS's GITS_TRANSLATER frame), which host devices write to signal
	 * MSIs: mapped in the host's streams as device memory. 0: none.
	 */
	u64 smmuv3_msi_page;
	/*
	 * corevisor: the GICv3 whose table registers the core takes from the
	 * host (cv/gictab.h). gicd_base 0: no GICv3, nothing is trapped.
	 * its_base 0: no ITS. The redistributors are nr_rdists frames of
	 * GIC_RD_STRIDE from rdist_base (at most TOTAL_CPU).
	 */
	u64 gicd_base;
	u64 its_base;
	u64 rdist_base;
	u32 nr_rdists;
};

struct cv_vcpu_run; /* include/corevisor/vcpu_abi.h */

/* Everything the core owns. One instance: `cv`. */
struct cv_state {
	/* halt: set once by panic(); read everywhere (atomic). */
	u32 halted;
	/* 1 + the CPU that halted the core, 0 before (atomic; wait_lock). */
	u32 halt_cpu;
	char halt_reason[CV_HALT_REASON_LEN];

	struct cv_lock locks[NUM_LOCKS];

	/* Read-only after boot. */
	u32 region_cnt;
	struct memblock regions[MAX_MEMBLOCK_NUM];
	u64 reserved_base, reserved_size;
	u64 shared_base;
	u32 pa_bits; /* the host's faults must lie below 2^pa_bits */
	u32 ntrusted_keys;
	u8 trusted_keys[CV_MAX_TRUSTED_KEYS][CV_KEY_BYTES];
	u8 aead_key[CV_KEY_BYTES];
	u8 nonce_salt[16];
	/* SMMUConf: smmu_num and the per-SMMU configuration (cv/smmu.h). */
	u32 smmu_num;
	struct smmu_conf smmu_conf[SMMU_NUM];
	u64 smmuv3_base, smmuv3_size; /* cv_boot_params; 0: none */
	u64 smmuv3_msi_page;	      /* cv_boot_params; 0: none */

	/* GIC_ID (configuration read-only after boot): cv/gictab.h. */
	struct cv_gic gic;

	/* S2PAGE_ID */
	struct s2page *s2page; /* in reserved memory */
	u64 s2page_num;

	/* CORE_ID */
	struct core_data core;

	/* NPT_ID + vmid */
	struct npt npts[NUM_PRINCIPALS];
	/*
	 * The geometry of every VM's pool and the core's (vm_pool_geometry,
	 * cv/pt.h), set by cv_boot before init_npt; read-only after boot.
	 */
	struct pt_geometry vm_geom;

	/* SPT_ID */
	struct spt spt;

	/*
	 * SMMU_ID: the principal each SMMU context bank (smmu_id(index,
	 * cbndx)) belongs to, the spec's smmu_vmid; INVALID when unassigned
	 * (set so by init_spt_pool at boot).
	 */
	u32 smmu_vmid[EL2_SMMU_CFG_SIZE];

	/* INFO_ID + vmid */
	struct vm_info vminfos[NUM_PRINCIPALS];

	/* CORE_ID: sealed-state lineages (slot 0 unused: "none"). */
	struct cv_lineage lineages[NUM_PRINCIPALS];

	/*
	 * Owned by the vCPU's VM (info lock), or by the CPU running it.
	 * The HOSTVISOR slots (vcpuid = physical CPU) hold the host's
	 * trapped registers on that CPU while the core emulates its MMIO
	 * access (cv/smmu.h host_ctxt()): that CPU's alone.
	 */
	struct cv_ctxt shadow_ctxts[CTXT_POOL_SIZE];

	/*
	 * Each vCPU slot's run structure (include/corevisor/vcpu_abi.h) as
	 * the core reaches it, found at the slot's first run (core/vcpu,
	 * intstate.c; the shared area never moves): the core's pointer to
	 * it, its page's s2page entry (whose owner is read under S2PAGE_ID
	 * before every access), and the registers the slot's last exit
	 * showed the host (cleared at the next). Owned like the context.
	 */
	struct cv_run_slot {
		struct cv_vcpu_run *run;
		struct s2page *page;
		u64 shown;
		/* irq_eoi / irq_pending entries the last exit may have left
		 * non-zero (all of them until the first exit). */
		u32 eoi_shown, pending_shown;
		/* Exits of the slot's vCPU so far (run->exit_count). */
		u64 exit_count;
	} run_slots[CTXT_POOL_SIZE];

	struct cv_cpu cpus[TOTAL_CPU];

	u64 nonce_counter; /* atomic */

#ifdef CV_LOCK_STATS
	/*
	 * Benchmark builds only (cv/lock.h): per CPU and lock, written by
	 * that CPU alone; the hook is set by the benchmark.
	 */
	struct cv_lock_stat {
		u64 acquired;  /* wait_lock calls that took it */
		u64 contended; /* ... that found it held */
		u64 spins;     /* turns of cv_lock_spin_'s loop */
	} lock_stats[TOTAL_CPU][NUM_LOCKS];
	void (*lock_stat_hook)(u32 lk, bool taken);
#endif
};

extern struct cv_state cv;

/* Bytes of private memory the core needs for @params' memory map. */
u64 cv_reserved_bytes(const struct cv_boot_params *params);

/*
 * Boot the core: copy the parameters, lay out the pools and the s2page
 * array in reserved memory, give every region page to HOSTVISOR and the
 * reserved pages to COREVISOR, and set up empty stage-2 tables. Returns 0,
 * or -1 when the parameters are unusable (overlaps, too small a reserve).
 */
int cv_boot(const struct cv_boot_params *params);

static inline struct vm_info *vm_info(u32 vmid)
{
	return &cv.vminfos[vmid];
}

static inline struct cv_ctxt *shadow_ctxt(u32 vmid, u32 vcpuid)
{
	return &cv.shadow_ctxts[ctxt_id(vmid, vcpuid)];
}

/*
 * corevisor: a vCPU's state (vm_info.vcpu_state) leaves ACTIVE without the
 * VM's info lock: set_vcpu_inactive, on the guest exit path, moves it
 * ACTIVE -> READY by compare-and-swap (release: the exit it published is
 * seen by whoever reads READY). Every other transition (UNUSED -> READY,
 * READY -> ACTIVE, the wipe at destroy_vm) is made under the lock, so a
 * holder of the lock sees a state other than ACTIVE stay as it is, while
 * an ACTIVE it reads may turn READY at any moment (as if that exit had
 * come just after). Every read is an acquire load (vcpu_state_of), every
 * write a release store or the compare-and-swap.
 */
static inline u32 vcpu_state_of(const struct vm_info *info, u32 vcpuid)
{
	return __atomic_load_n(&info->vcpu_state[vcpuid], __ATOMIC_ACQUIRE);
}

static inline void set_vcpu_state(struct vm_info *info, u32 vcpuid, u32 state)
{
	__atomic_store_n(&info->vcpu_state[vcpuid], state, __ATOMIC_RELEASE);
}

/* @from -> @to if the vCPU is in @from; else false, *@seen its state. */
static inline bool swap_vcpu_state(struct vm_info *info, u32 vcpuid, u32 from,
				   u32 to, u32 *seen)
{
	*seen = from;
	return __atomic_compare_exchange_n(&info->vcpu_state[vcpuid], seen, to,
					   false, __ATOMIC_ACQ_REL,
					   __ATOMIC_ACQUIRE);
}

/*
 * corevisor: a VM's state (vm_info.state) is written under its info lock,
 * with release stores (set_vm_state), and read there; get_vm_poweron, on
 * the guest exit path, reads it without the lock (vm_state_of): one word,
 * and the only change a running VM's state can see is VERIFIED ->
 * POWEROFF, after which it never runs again.
 */
static inline u32 vm_state_of(const struct vm_info *info)
{
	return __atomic_load_n(&info->state, __ATOMIC_ACQUIRE);
}

static inline void set_vm_state(struct vm_info *info, u32 state)
{
	__atomic_store_n(&info->state, state, __ATOMIC_RELEASE);
}

#endif
