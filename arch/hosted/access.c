// SPDX-License-Identifier: MIT
/*
 * What the principals do on the hosted machine: host and VM memory
 * accesses through their stage-2 tables and devices' DMA through the
 * SMMU, each via its TLB (tlb.c; a host fault goes to the core's fault
 * handler, as on hardware), and the observers tests use
 * (page ownership, VM and vCPU states).
 */
#include <string.h>

#include <cv/arch.h>
#include <cv/lock.h>
#include <cv/mem.h>
#include <cv/panic.h>
#include <cv/smmu.h>
#include <cv/state.h>
#include <cv/trap.h>
#include <cv/vcpu.h>

#include "hosted_internal.h"
#include "hosted_priv.h"

/* Memory accesses */

/*
 * The host's simulated loads and stores use register x1, at a fixed PC
 * (what ELR_EL2 holds when one traps).
 */
#define HOST_RT 1U
#define HOST_PC 0x80000ULL

struct host_abort {
	u64 pa;
	u32 esr;
	u64 *x;	       /* the host's X0..X30, in and out */
	bool emulated; /* the core moved the host past the instruction */
};

/*
 * The host's stage-2 fault, reported as the hardware does: HPFAR_EL2 with
 * the page, FAR_EL2 the address, the data abort's syndrome; the EL2 entry
 * saves the host's registers and ELR_EL2 where the core looks for them
 * (host_ctxt, cv/smmu.h) and gives them back on the way out. The core's
 * TrapHandler takes it from there.
 */
static void host_fault(void *arg)
{
	struct host_abort *a = arg;
	struct cv_ctxt *h = host_ctxt();

	memcpy(&h->regs[X0], a->x, 31 * sizeof(u64));
	h->regs[PC] = HOST_PC;
	host_npt_handler(((a->pa >> PAGE_SHIFT) << 4) & HPFAR_FIPA_MASK, a->pa,
			 a->esr);
	a->emulated = !halted() && h->regs[PC] == HOST_PC + 4;
	memcpy(a->x, &h->regs[X0], 31 * sizeof(u64));
}

bool cv_hosted_host_abort(uint64_t pa, uint32_t esr, uint64_t x[31])
{
	struct host_abort a = {pa, esr, x, false};

	hosted_count_host_fault();
	return cv_hosted_run(host_fault, &a) && a.emulated;
}

/*
 * The syndrome of the host's @len-byte access at @ipa: a translation
 * fault; one load/store of HOST_RT (ISV) when a single instruction makes
 * it (1, 2, 4 or 8 aligned bytes), else no syndrome (a copy loop's or a
 * pair's access).
 */
static u32 host_esr(u64 ipa, u64 len, bool write)
{
	u64 esr = ((u64)ESR_ELx_EC_DABT_LOW << ESR_ELx_EC_SHIFT) | ESR_ELx_IL |
		  0x07;

	if ((len == 1 || len == 2 || len == 4 || len == 8) &&
	    !(ipa & (len - 1)))
		esr |= ESR_ELx_ISV |
		       ((u64)__builtin_ctzll(len) << ESR_ELx_SAS_SHIFT) |
		       ((u64)HOST_RT << ESR_ELx_SRT_SHIFT) |
		       (len == 8 ? ESR_ELx_SF : 0);
	if (write)
		esr |= ESR_ELx_WNR;
	return (u32)esr;
}

/* Who makes an access: a CPU as a principal, or a device via an SMMU. */
struct accessor {
	bool dma;
	u32 vmid;	  /* CPU: the principal whose stage 2 applies */
	u32 index, cbndx; /* DMA: the SMMU context bank */
};

/*
 * One page-bounded piece of an access: translated through the TLB (or a
 * walk) and copied as one step; for the host, a fault goes to the fault
 * handler and the piece is retried once.
 */
static bool access_piece(const struct accessor *a, u64 ipa, bool write, u8 *buf,
			 u64 len)
{
	u32 id = a->dma ? a->index : a->vmid;
	struct cv_walk w;
	bool copied;
	enum cv_fault f;

	f = hosted_tlb_access(a->dma, id, a->cbndx, ipa, write, buf, len, &w,
			      &copied);
	if (f != CV_FAULT_NONE) {
		u64 x[31] = {0};
		u32 esr;

		if (a->dma || a->vmid != HOSTVISOR)
			return false;
		esr = host_esr(ipa, len, write);
		if (write && (esr & ESR_ELx_ISV))
			memcpy(&x[HOST_RT], buf, len);
		if (cv_hosted_host_abort(ipa, esr, x)) {
			/* Emulated (an SMMU register): data in the register. */
			if (!write)
				memcpy(buf, &x[HOST_RT], len);
			return true;
		}
		if (halted())
			return false;
		f = hosted_tlb_access(false, id, 0, ipa, write, buf, len, &w,
				      &copied);
	}
	/* A translation to MMIO has no backing here: an external abort. */
	return f == CV_FAULT_NONE && copied;
}

static bool access_mem(const struct accessor *a, u64 ipa, void *buf, u64 len,
		       bool write, u64 *fault)
{
	u8 *b = buf;

	while (len) {
		u64 chunk = PAGE_SIZE - (ipa & (PAGE_SIZE - 1));

		if (halted()) { /* the machine has stopped */
			*fault = ipa;
			return false;
		}
		if (chunk > len)
			chunk = len;
		if (!access_piece(a, ipa, write, b, chunk)) {
			*fault = ipa;
			return false;
		}
		b += chunk;
		ipa += chunk;
		len -= chunk;
	}
	return true;
}

static const struct accessor host = {.dma = false, .vmid = HOSTVISOR};

bool cv_hosted_host_read(uint64_t ipa, void *buf, uint64_t len)
{
	u64 fault;

	return access_mem(&host, ipa, buf, len, false, &fault);
}

bool cv_hosted_host_write(uint64_t ipa, const void *buf, uint64_t len)
{
	u64 fault;

	return access_mem(&host, ipa, (void *)buf, len, true, &fault);
}

static bool vm_access(uint32_t vmid, uint64_t ipa, void *buf, uint64_t len,
		      bool write, uint64_t *fault)
{
	struct accessor a = {.dma = false, .vmid = vmid};
	u64 dummy;

	if (!fault)
		fault = &dummy;
	if (!is_vm(vmid)) {
		*fault = ipa;
		return false;
	}
	return access_mem(&a, ipa, buf, len, write, fault);
}

bool cv_hosted_vm_read(uint32_t vmid, uint64_t ipa, void *buf, uint64_t len,
		       uint64_t *fault)
{
	return vm_access(vmid, ipa, buf, len, false, fault);
}

bool cv_hosted_vm_write(uint32_t vmid, uint64_t ipa, const void *buf,
			uint64_t len, uint64_t *fault)
{
	return vm_access(vmid, ipa, (void *)buf, len, true, fault);
}

static bool dma_access(uint32_t index, uint32_t cbndx, uint64_t iova, void *buf,
		       uint64_t len, bool write, uint64_t *fault)
{
	struct accessor a = {.dma = true, .index = index, .cbndx = cbndx};
	u64 dummy;

	return access_mem(&a, iova, buf, len, write, fault ? fault : &dummy);
}

bool cv_hosted_dma_read(uint32_t index, uint32_t cbndx, uint64_t iova,
			void *buf, uint64_t len, uint64_t *fault)
{
	return dma_access(index, cbndx, iova, buf, len, false, fault);
}

bool cv_hosted_dma_write(uint32_t index, uint32_t cbndx, uint64_t iova,
			 const void *buf, uint64_t len, uint64_t *fault)
{
	return dma_access(index, cbndx, iova, (void *)buf, len, true, fault);
}

/* Observers: read the core's state under the lock that guards it. */

/* PageIndex, without the core's halted short-cut: a debugger's view. */
static const struct s2page *page_entry(u64 pfn)
{
	for (u32 i = 0; i < cv.region_cnt && cv.s2page; i++) {
		const struct memblock *r = &cv.regions[i];
		u64 first = r->base / PAGE_SIZE;

		if (pfn - first < r->size / PAGE_SIZE)
			return &cv.s2page[r->index + (pfn - first)];
	}
	return NULL;
}

struct page_query {
	u64 pfn;
	struct s2page val;
	bool found;
};

static void read_page(void *arg)
{
	struct page_query *q = arg;
	const struct s2page *e;

	acquire_lock_s2page();
	e = page_entry(q->pfn);
	q->found = e != NULL;
	if (e)
		q->val = *e;
	release_lock_s2page();
}

static bool query_page(u64 pfn, struct page_query *q)
{
	q->pfn = pfn;
	q->found = false;
	cv_hosted_run(read_page, q);
	return q->found;
}

uint32_t cv_hosted_page_owner(uint64_t pfn)
{
	struct page_query q;

	return query_page(pfn, &q) ? q.val.owner : INVALID;
}

uint32_t cv_hosted_page_count(uint64_t pfn)
{
	struct page_query q;

	return query_page(pfn, &q) ? q.val.count : 0;
}

uint64_t cv_hosted_page_gfn(uint64_t pfn)
{
	struct page_query q;

	if (!query_page(pfn, &q) || q.val.gfn == S2PAGE_GFN_NONE)
		return INVALID64;
	return q.val.gfn;
}

struct state_query {
	u32 vmid, vcpuid;
	u32 state;
};

static void read_vm_state(void *arg)
{
	struct state_query *q = arg;

	acquire_lock_vm(q->vmid);
	q->state = q->vcpuid == INVALID
			   ? vm_info(q->vmid)->state
			   : vm_info(q->vmid)->vcpu_state[q->vcpuid];
	release_lock_vm(q->vmid);
}

uint32_t cv_hosted_vm_state(uint32_t vmid)
{
	struct state_query q = {vmid, INVALID, INVALID};

	if (!is_vmid(vmid))
		return INVALID;
	cv_hosted_run(read_vm_state, &q);
	return q.state;
}

uint32_t cv_hosted_vcpu_state(uint32_t vmid, uint32_t vcpuid)
{
	struct state_query q = {vmid, vcpuid, INVALID};

	if (!is_vmid(vmid) || !is_vcpu(vcpuid))
		return INVALID;
	cv_hosted_run(read_vm_state, &q);
	return q.state;
}
