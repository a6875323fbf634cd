// SPDX-License-Identifier: MIT
/*
 * The SMMUv3 at EL2 (QEMU virt's `iommu=smmuv3`; docs/el2-port.md).
 *
 * corevisor owns the SMMU: its registers are mapped at EL2 only (the
 * host's stage 2 refuses them, map_page_host; the host's DTB has the node
 * disabled), and its stream table, context descriptor and queues are in
 * corevisor's image (COREVISOR's pages). Every stream ID the table covers
 * (0 .. 2^STRTAB_LOG2 - 1: bus 0 of the PCIe root complex) gets the same
 * STE: stage-1 translation through one context descriptor whose table is
 * the core's host stream table (core/spt/stream.c), an identity map of
 * exactly the pages the host owns. A stream ID beyond the table is
 * refused by the SMMU itself (C_BAD_STREAMID), so no device bypasses.
 * Stage 1 because QEMU 7.2's SMMUv3 has no stage 2 (IDR0.S2P = 0).
 *
 * Commands go through the command queue, one at a time under the caller's
 * lock (SPT_ID at run time; the boot CPU alone at boot), each followed by
 * a CMD_SYNC that is waited for. Events are drained by HVC_SMMUV3_EVENTS
 * and printed; the SMMU's interrupts stay off (the host owns the GIC).
 */
#include <cv/arch.h>
#include <cv/lib.h>
#include <cv/panic.h>
#include <cv/state.h>
#include <cv/stream.h>
#include <arch/sysreg.h>

#include "el2.h"

/* Registers (page 0, and page 1 for the event queue's indexes). */
#define IDR0 0x0
#define IDR0_S1P (1U << 1)
#define IDR0_TTF_AA64 (1U << 3)
#define IDR0_S2P (1U << 0)
#define IDR1 0x4
#define IDR1_SIDSIZE(v) ((v)&0x3f)
#define IDR1_EVENTQS(v) (((v) >> 16) & 0x1f)
#define IDR1_CMDQS(v) (((v) >> 21) & 0x1f)
#define IDR5 0x14
#define IDR5_GRAN4K (1U << 4)
#define IDR5_OAS(v) ((v)&7)
#define CR0 0x20
#define CR0ACK 0x24
#define CR0_SMMUEN (1U << 0)
#define CR0_EVTQEN (1U << 2)
#define CR0_CMDQEN (1U << 3)
#define CR1 0x28
#define CR1_WB_ISH 0xd35U /* tables and queues: WB inner/outer, ISH */
#define CR2 0x2c
#define CR2_RECINVSID (1U << 1)
#define CR2_PTM (1U << 2)
#define IRQ_CTRL 0x50
#define GERROR 0x60
#define GERRORN 0x64
#define GERROR_CMDQ_ERR (1U << 0)
#define STRTAB_BASE 0x80
#define STRTAB_BASE_CFG 0x88
#define CMDQ_BASE 0x90
#define CMDQ_PROD 0x98
#define CMDQ_CONS 0x9c
#define CMDQ_CONS_ERR(v) (((v) >> 24) & 0x7f)
#define EVENTQ_BASE 0xa0
#define EVENTQ_PROD 0x100a8
#define EVENTQ_CONS 0x100ac
#define Q_BASE_RA (1ULL << 62) /* read/write-allocate hint */

/* Sizes: 256 streams (PCIe bus 0), 256 commands, 512 events. */
#define STRTAB_LOG2 8U
_Static_assert(1U << STRTAB_LOG2 == CV_SMMUV3_STREAMS, "one STE per stream");
#define CMDQ_LOG2 8U
#define EVTQ_LOG2 9U
#define STE_DWORDS 8U
#define CD_DWORDS 8U

/* STE and CD fields (SMMUv3 architecture, 5.2 and 5.4). */
#define STE0_V (1ULL << 0)
#define STE0_CFG_S1 (5ULL << 1) /* stage 1 translate, stage 2 bypass */
#define STE1_S1_WB_ISH ((1ULL << 2) | (1ULL << 4) | (3ULL << 6))
#define CD0_T0SZ (64ULL - STREAM_IOVA_BITS)
#define CD0_TG0_4K (0ULL << 6)
#define CD0_IRGN0_WB (1ULL << 8)
#define CD0_ORGN0_WB (1ULL << 10)
#define CD0_SH0_ISH (3ULL << 12)
#define CD0_T1SZ ((64ULL - STREAM_IOVA_BITS) << 16)
#define CD0_TG1_4K (2ULL << 22)
#define CD0_EPD1 (1ULL << 30) /* no TTB1 walks */
#define CD0_V (1ULL << 31)
#define CD0_IPS(oas) ((u64)(oas) << 32)
#define CD0_AA64 (1ULL << 41)
#define CD0_R (1ULL << 45) /* record faults in the event queue */
#define CD0_A (1ULL << 46) /* abort (not stall) a faulting transaction */
#define HOST_ASID 0ULL

/* Commands. */
#define CMD_CFGI_STE 0x03ULL
#define CMD_CFGI_ALL 0x04ULL
#define CMD_TLBI_NH_ASID 0x11ULL
#define CMD_TLBI_NH_VA 0x12ULL
#define CMD_TLBI_NSNH_ALL 0x30ULL
#define CMD_SYNC 0x46ULL

static u64 strtab[(1U << STRTAB_LOG2) * STE_DWORDS]
	__attribute__((aligned(1U << (STRTAB_LOG2 + 6))));
static u64 host_cd[CD_DWORDS] __attribute__((aligned(64)));
/* One CD per VM (ASID = vmid), its TTB0 the VM's stream table. */
static u64 vm_cd[NUM_PRINCIPALS][CD_DWORDS] __attribute__((aligned(64)));
static u64 cd0_common; /* CD word 0 but the ASID: set at boot */
static u64 cmdq[(1U << CMDQ_LOG2) * 2] __attribute__((aligned(4096)));
static u64 evtq[(1U << EVTQ_LOG2) * 4]
	__attribute__((aligned((1U << EVTQ_LOG2) * 32)));

static u64 base;     /* registers; 0 = no SMMUv3 */
static bool ready;   /* enabled: invalidations mean something */
static u32 cmd_prod; /* index | wrap bit, as CMDQ_PROD */
static u32 evt_lock;

static inline u32 rd32(u64 off)
{
	return *(volatile u32 *)(base + off);
}

static inline void wr32(u64 off, u32 v)
{
	*(volatile u32 *)(base + off) = v;
}

static inline void wr64(u64 off, u64 v)
{
	*(volatile u64 *)(base + off) = v;
}

static void set_cr0(u32 v)
{
	wr32(CR0, v);
	for (u32 spin = 0; rd32(CR0ACK) != v; spin++)
		if (spin > 10000000U)
			el2_fatal("smmuv3: CR0 0x%x not acknowledged", v);
}

static inline u32 q_wrap_index(u32 v, u32 log2)
{
	return v & ((2U << log2) - 1); /* index and wrap bit */
}

/*
 * Put one command and a CMD_SYNC on the queue and wait until the SMMU
 * has consumed both (the sync's completion means the command's effect is
 * visible: a TLBI's translations are gone).
 */
static void submit(u64 cmd0, u64 cmd1)
{
	u64 ent[2][2] = {{cmd0, cmd1}, {CMD_SYNC, 0}};
	u32 cons;

	for (u32 k = 0; k < 2; k++) {
		u32 i = cmd_prod & ((1U << CMDQ_LOG2) - 1);

		cmdq[2 * i] = ent[k][0];
		cmdq[2 * i + 1] = ent[k][1];
		cmd_prod = q_wrap_index(cmd_prod + 1, CMDQ_LOG2);
	}
	dsb(ishst);
	wr32(CMDQ_PROD, cmd_prod);
	for (u32 spin = 0;; spin++) {
		cons = rd32(CMDQ_CONS);
		if (CMDQ_CONS_ERR(cons) ||
		    ((rd32(GERROR) ^ rd32(GERRORN)) & GERROR_CMDQ_ERR))
			el2_fatal("smmuv3: command 0x%llx refused (error %u)",
				  (unsigned long long)(cmd0 & 0xff),
				  CMDQ_CONS_ERR(cons));
		if (q_wrap_index(cons, CMDQ_LOG2) == cmd_prod)
			break;
		if (spin > 10000000U)
			el2_fatal("smmuv3: command queue stuck at 0x%x", cons);
	}
}

void arch_smmuv3_tlb_inv_asid(u32 asid, u64 iova)
{
	if (!ready)
		return; /* not enabled yet: it caches nothing */
	/* Leaf, for one ASID; no stream has ATS enabled, so no ATC_INV. */
	submit(CMD_TLBI_NH_VA | (u64)asid << 48, (iova & ~0xfffULL) | 1);
}

void arch_smmuv3_tlb_inv(u64 iova)
{
	arch_smmuv3_tlb_inv_asid(HOST_ASID, iova);
}

void arch_smmuv3_tlb_inv_all_asid(u32 asid)
{
	if (ready)
		submit(CMD_TLBI_NH_ASID | (u64)asid << 48, 0);
}

static u64 ste0_for(const u64 *cd)
{
	return STE0_V | STE0_CFG_S1 | ((u64)cd & 0x000fffffffffffc0ULL);
}

/*
 * Stream @sid onto the host's CD or VM @vmid's (whose TTB0 becomes
 * @ttbr): the CD first, then the STE's word 0 (one 64-bit store: the
 * SMMU sees the old STE or the new), then CFGI_STE so the SMMU drops the
 * STE and the CD it cached for the stream; complete when it returns.
 */
void arch_smmuv3_attach(u32 sid, u32 vmid, u64 ttbr)
{
	u64 *cd = host_cd;

	if (!ready || sid >= (1U << STRTAB_LOG2) || vmid >= NUM_PRINCIPALS)
		return;
	if (vmid != HOSTVISOR) {
		cd = vm_cd[vmid];
		cd[1] = ttbr & 0x000ffffffffffff0ULL;
		cd[3] = STREAM_MAIR;
		dsb(ishst);
		__atomic_store_n(&cd[0], cd0_common | (u64)vmid << 48,
				 __ATOMIC_RELEASE);
	}
	dsb(ishst);
	__atomic_store_n(&strtab[sid * STE_DWORDS], ste0_for(cd),
			 __ATOMIC_RELEASE);
	dsb(ish);
	submit(CMD_CFGI_STE | (u64)sid << 32, 1); /* leaf */
}

u64 arch_smmuv3_stream_ttbr(u32 sid)
{
	u64 ste0, *cd;

	if (!base || sid >= (1U << STRTAB_LOG2))
		return 0;
	ste0 = __atomic_load_n(&strtab[sid * STE_DWORDS], __ATOMIC_ACQUIRE);
	if (!(ste0 & STE0_V))
		return 0;
	cd = (u64 *)(ste0 & 0x000fffffffffffc0ULL);
	if (cd != host_cd &&
	    (cd < vm_cd[0] || cd >= vm_cd[NUM_PRINCIPALS - 1] + CD_DWORDS))
		return 0; /* not one of corevisor's CDs */
	return cd[1] & 0x000ffffffffff000ULL;
}

static const char *event_name(u32 type)
{
	switch (type) {
	case 0x02:
		return "C_BAD_STREAMID";
	case 0x04:
		return "C_BAD_STE";
	case 0x0a:
		return "C_BAD_CD";
	case 0x10:
		return "F_TRANSLATION";
	case 0x11:
		return "F_ADDR_SIZE";
	case 0x12:
		return "F_ACCESS";
	case 0x13:
		return "F_PERMISSION";
	default:
		return "event";
	}
}

/* One line for a run of @n like events (same type, stream, page, access). */
static void report(const u64 *e, u32 n)
{
	u32 type = e[0] & 0xff;

	cv_printf("corevisor: smmuv3: %s (0x%02x) stream 0x%x iova 0x%llx %s"
		  " (%u)\n",
		  event_name(type), type, (u32)(e[0] >> 32),
		  (unsigned long long)e[2], (e[1] >> 35) & 1 ? "read" : "write",
		  n);
}

static bool same_kind(const u64 *a, const u64 *b)
{
	return (a[0] & 0xffffffff000000ffULL) ==
		       (b[0] & 0xffffffff000000ffULL) &&
	       (a[1] >> 35 & 1) == (b[1] >> 35 & 1) &&
	       a[2] / PAGE_SIZE == b[2] / PAGE_SIZE;
}

/*
 * Drain the event queue. A device's faulting transfer records an event
 * per access (QEMU: one per 4 bytes), so a run of like events is one
 * line with its count.
 */
u64 arch_smmuv3_events(void)
{
	u32 prod, cons, n = 0, run = 0;
	u64 first[4];

	if (!ready)
		return 0;
	while (__atomic_exchange_n(&evt_lock, 1, __ATOMIC_ACQUIRE))
		arch_cpu_relax();
	prod = q_wrap_index(rd32(EVENTQ_PROD), EVTQ_LOG2);
	cons = q_wrap_index(rd32(EVENTQ_CONS), EVTQ_LOG2);
	while (cons != prod) {
		const u64 *e = &evtq[4 * (cons & ((1U << EVTQ_LOG2) - 1))];

		if (run && !same_kind(first, e)) {
			report(first, run);
			run = 0;
		}
		if (!run)
			memcpy(first, e, sizeof(first));
		run++;
		cons = q_wrap_index(cons + 1, EVTQ_LOG2);
		n++;
	}
	if (run)
		report(first, run);
	wr32(EVENTQ_CONS, cons);
	__atomic_store_n(&evt_lock, 0, __ATOMIC_RELEASE);
	return n;
}

/*
 * Boot (after cv_boot: the host stream table exists; before the host
 * runs): program the SMMU with corevisor's tables and enable it.
 */
void smmuv3_boot(void)
{
	u32 idr0, idr1, idr5;
	u64 ste0, ste1, ttbr = host_stream_ttbr();

	if (!plat.smmuv3_base)
		return;
	base = plat.smmuv3_base;
	idr0 = rd32(IDR0);
	idr1 = rd32(IDR1);
	idr5 = rd32(IDR5);
	if (!(idr0 & IDR0_S1P) || !(idr0 & IDR0_TTF_AA64) ||
	    !(idr5 & IDR5_GRAN4K))
		el2_fatal("smmuv3: needs stage 1, AArch64 tables, 4 KiB "
			  "granule (IDR0 0x%x IDR5 0x%x)",
			  idr0, idr5);
	if (IDR1_SIDSIZE(idr1) < STRTAB_LOG2 || IDR1_CMDQS(idr1) < CMDQ_LOG2 ||
	    IDR1_EVENTQS(idr1) < EVTQ_LOG2)
		el2_fatal("smmuv3: IDR1 0x%x too small", idr1);
	if (!ttbr)
		el2_fatal("smmuv3: the core has no host stream table");

	set_cr0(0);
	cd0_common = CD0_T0SZ | CD0_TG0_4K | CD0_IRGN0_WB | CD0_ORGN0_WB |
		     CD0_SH0_ISH | CD0_T1SZ | CD0_TG1_4K | CD0_EPD1 | CD0_V |
		     CD0_IPS(IDR5_OAS(idr5)) | CD0_AA64 | CD0_R | CD0_A;
	host_cd[0] = cd0_common | HOST_ASID << 48;
	host_cd[1] = ttbr & 0x000ffffffffffff0ULL;
	host_cd[3] = STREAM_MAIR;
	ste0 = ste0_for(host_cd);
	ste1 = STE1_S1_WB_ISH;
	for (u32 sid = 0; sid < (1U << STRTAB_LOG2); sid++) {
		strtab[sid * STE_DWORDS] = ste0;
		strtab[sid * STE_DWORDS + 1] = ste1;
	}
	dsb(ish);

	wr32(IRQ_CTRL, 0);
	wr32(CR1, CR1_WB_ISH);
	wr32(CR2, CR2_RECINVSID | CR2_PTM);
	wr64(STRTAB_BASE, Q_BASE_RA | (u64)strtab);
	wr32(STRTAB_BASE_CFG, STRTAB_LOG2); /* linear */
	wr64(CMDQ_BASE, Q_BASE_RA | (u64)cmdq | CMDQ_LOG2);
	wr32(CMDQ_PROD, 0);
	wr32(CMDQ_CONS, 0);
	cmd_prod = 0;
	wr64(EVENTQ_BASE, Q_BASE_RA | (u64)evtq | EVTQ_LOG2);
	wr32(EVENTQ_PROD, 0);
	wr32(EVENTQ_CONS, 0);
	set_cr0(CR0_CMDQEN | CR0_EVTQEN);
	submit(CMD_CFGI_ALL, 31); /* every STE, whatever it cached */
	submit(CMD_TLBI_NSNH_ALL, 0);
	set_cr0(CR0_CMDQEN | CR0_EVTQEN | CR0_SMMUEN);
	ready = true;
	cv_printf("corevisor: smmuv3 at 0x%llx: %u streams through the host "
		  "stream table at 0x%llx (stage 1%s)\n",
		  (unsigned long long)base, 1U << STRTAB_LOG2,
		  (unsigned long long)ttbr,
		  idr0 & IDR0_S2P ? ", stage 2 present" : " only");
}
