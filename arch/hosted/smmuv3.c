// SPDX-License-Identifier: MIT
/*
 * The hosted machine's SMMUv3 (cv_hosted_config.smmuv3): every host
 * device's stream goes through the core's host stream table
 * (cv/stream.h), as the EL2 port's STEs and context descriptor make the
 * hardware do, behind a small TLB.
 *
 * Each stream has its STE (arch_smmuv3_attach): the host's context
 * descriptor (ASID 0, the host stream table) or a VM's (ASID = vmid, the
 * VM's stream table); the TLB is tagged by ASID.
 *
 * What is modelled: the walk a context descriptor with T0SZ 25, 4 KiB
 * granule and the core's root would do (VMSAv8-64 stage 1 from level 1:
 * table descriptors, page leaves; AF must be set; a write needs AP[2]
 * clear), its TLB (entries stay until arch_smmuv3_tlb_inv drops them, so
 * a missing invalidation shows as a stale DMA), and the event queue as a
 * count of translation faults (arch_smmuv3_events drains it). The
 * registers are a range of physical addresses that is not memory: the
 * core must keep it out of the host's stage 2.
 */
#include <pthread.h>
#include <string.h>

#include <corevisor/hosted.h>
#include <cv/arch.h>
#include <cv/pte.h>
#include <cv/state.h>
#include <cv/stream.h>

#include "hosted_internal.h"
#include "hosted_priv.h"

#define SMMUV3_TLB_ENTRIES 64U

static struct {
	pthread_mutex_t lock;
	bool on;
	u64 base;
	struct {
		bool valid;
		u32 asid;
		u64 page, pa;
	} tlb[SMMUV3_TLB_ENTRIES];
	/* Each stream's STE: the CD's ASID and TTB0 (0: the host's table). */
	struct {
		u32 asid;
		u64 ttbr;
	} ste[CV_SMMUV3_STREAMS];
	u32 next;
	u64 invalidations;
	u64 faults;
} v3 = {.lock = PTHREAD_MUTEX_INITIALIZER};

void hosted_smmuv3_reset(bool on, u64 base)
{
	pthread_mutex_lock(&v3.lock);
	memset(v3.tlb, 0, sizeof(v3.tlb));
	memset(v3.ste, 0, sizeof(v3.ste));
	v3.on = on;
	v3.base = on ? base : 0;
	v3.next = 0;
	v3.invalidations = 0;
	v3.faults = 0;
	pthread_mutex_unlock(&v3.lock);
}

void hosted_smmuv3_params(struct cv_boot_params *p)
{
	p->smmuv3_base = v3.base;
	p->smmuv3_size = v3.on ? CV_HOSTED_SMMUV3_SIZE : 0;
	p->smmuv3_msi_page = v3.on ? CV_HOSTED_MSI_PAGE : 0;
}

uint64_t cv_hosted_smmuv3_base(void)
{
	return v3.base;
}

uint64_t cv_hosted_smmuv3_invalidations(void)
{
	return v3.invalidations;
}

void arch_smmuv3_tlb_inv_asid(u32 asid, u64 iova)
{
	pthread_mutex_lock(&v3.lock);
	for (u32 i = 0; i < SMMUV3_TLB_ENTRIES; i++)
		if (v3.tlb[i].valid && v3.tlb[i].asid == asid &&
		    v3.tlb[i].page == iova / PAGE_SIZE)
			v3.tlb[i].valid = false;
	v3.invalidations++;
	pthread_mutex_unlock(&v3.lock);
}

void arch_smmuv3_tlb_inv(u64 iova)
{
	arch_smmuv3_tlb_inv_asid(0, iova);
}

void arch_smmuv3_tlb_inv_all_asid(u32 asid)
{
	pthread_mutex_lock(&v3.lock);
	for (u32 i = 0; i < SMMUV3_TLB_ENTRIES; i++)
		if (v3.tlb[i].asid == asid)
			v3.tlb[i].valid = false;
	v3.invalidations++;
	pthread_mutex_unlock(&v3.lock);
}

/* The STE and CD change; this SMMU caches no configuration. */
void arch_smmuv3_attach(u32 sid, u32 vmid, u64 ttbr)
{
	pthread_mutex_lock(&v3.lock);
	if (sid < CV_SMMUV3_STREAMS) {
		v3.ste[sid].asid = vmid;
		v3.ste[sid].ttbr = vmid == HOSTVISOR ? 0 : ttbr;
	}
	pthread_mutex_unlock(&v3.lock);
}

u64 arch_smmuv3_stream_ttbr(u32 sid)
{
	u64 ttbr;

	if (sid >= CV_SMMUV3_STREAMS)
		return 0;
	pthread_mutex_lock(&v3.lock);
	ttbr = v3.ste[sid].ttbr ? v3.ste[sid].ttbr : host_stream_ttbr();
	pthread_mutex_unlock(&v3.lock);
	return ttbr;
}

u64 arch_smmuv3_events(void)
{
	u64 n;

	pthread_mutex_lock(&v3.lock);
	n = v3.faults;
	v3.faults = 0;
	pthread_mutex_unlock(&v3.lock);
	return n;
}

/* The hardware's walk of the context descriptor's table: pa or ~0. */
static u64 walk(u32 sid, u64 iova, bool write)
{
	u64 table = v3.ste[sid].ttbr ? v3.ste[sid].ttbr : host_stream_ttbr();
	u64 e = 0;

	if (!table || iova >> STREAM_IOVA_BITS)
		return ~0ULL;
	for (u32 level = 1; level <= 3; level++) {
		u32 shift = 12 + 9 * (3 - level);
		const u64 *p =
			cv_hosted_phys(table + ((iova >> shift) & 511) * 8);

		if (!p)
			return ~0ULL;
		e = __atomic_load_n(p, __ATOMIC_ACQUIRE);
		if ((e & PTE_TYPE_MASK) != PTE_TYPE_TABLE)
			return ~0ULL; /* invalid, or a block: not made here */
		table = e & PTE_ADDR_MASK;
	}
	if (!(e & PTE_AF) || (write && (e & (1ULL << 7))))
		return ~0ULL;
	return table | (iova & (PAGE_SIZE - 1));
}

static u64 translate(u32 sid, u64 iova, bool write)
{
	u32 asid;
	u64 pa;

	pthread_mutex_lock(&v3.lock);
	asid = v3.ste[sid].asid;
	for (u32 i = 0; i < SMMUV3_TLB_ENTRIES; i++)
		if (v3.tlb[i].valid && v3.tlb[i].asid == asid &&
		    v3.tlb[i].page == iova / PAGE_SIZE) {
			pa = v3.tlb[i].pa | (iova & (PAGE_SIZE - 1));
			pthread_mutex_unlock(&v3.lock);
			return pa;
		}
	pa = walk(sid, iova, write);
	if (pa == ~0ULL) {
		v3.faults++;
	} else if (cv_hosted_tlb_enabled()) {
		u32 i = v3.next++ % SMMUV3_TLB_ENTRIES;

		v3.tlb[i].valid = true;
		v3.tlb[i].asid = asid;
		v3.tlb[i].page = iova / PAGE_SIZE;
		v3.tlb[i].pa = pa & ~(PAGE_SIZE - 1);
	}
	pthread_mutex_unlock(&v3.lock);
	return pa;
}

static bool stream_dma(u32 sid, u64 iova, void *buf, u64 len, bool write,
		       u64 *fault)
{
	u8 *b = buf;

	if (!v3.on || sid >= CV_SMMUV3_STREAMS) {
		if (fault)
			*fault = iova;
		return false;
	}
	while (len) {
		u64 chunk = PAGE_SIZE - (iova & (PAGE_SIZE - 1)), pa;
		u8 *mem;

		if (chunk > len)
			chunk = len;
		pa = translate(sid, iova, write);
		if (pa != ~0ULL &&
		    pa / PAGE_SIZE == CV_HOSTED_MSI_PAGE / PAGE_SIZE) {
			/* An MSI: the interrupt controller takes it. */
			iova += chunk;
			b += chunk;
			len -= chunk;
			continue;
		}
		mem = pa == ~0ULL ? NULL : cv_hosted_phys(pa);
		if (!mem) {
			if (fault)
				*fault = iova;
			return false;
		}
		if (write)
			memcpy(mem, b, chunk);
		else
			memcpy(b, mem, chunk);
		iova += chunk;
		b += chunk;
		len -= chunk;
	}
	return true;
}

bool cv_hosted_stream_dma_read(uint64_t iova, void *buf, uint64_t len,
			       uint64_t *fault)
{
	return stream_dma(0, iova, buf, len, false, fault);
}

bool cv_hosted_stream_dma_write(uint64_t iova, const void *buf, uint64_t len,
				uint64_t *fault)
{
	return stream_dma(0, iova, (void *)buf, len, true, fault);
}

bool cv_hosted_sid_dma_read(uint32_t sid, uint64_t iova, void *buf,
			    uint64_t len, uint64_t *fault)
{
	return stream_dma(sid, iova, buf, len, false, fault);
}

bool cv_hosted_sid_dma_write(uint32_t sid, uint64_t iova, const void *buf,
			     uint64_t len, uint64_t *fault)
{
	return stream_dma(sid, iova, (void *)buf, len, true, fault);
}
