// SPDX-License-Identifier: MIT
/*
 * The hosted machine's TLBs: one per CPU for the stage-2 (and EL2) MMU,
 * one per SMMU context bank, so that a core path that changes a valid
 * mapping but forgets its flush is punished as on hardware: the stale
 * translation keeps working until the flush hook drops it.
 *
 * What is architecturally allowed, and modelled:
 *  - only translations that end in a valid leaf with the access flag set
 *    are cached; translation, access-flag and external-abort faults never
 *    are (so mapping a page that was invalid needs no flush);
 *  - the leaf's permissions are cached with it: a write through a cached
 *    read-only entry faults even after the table was made writable, until
 *    the entry is flushed;
 *  - an entry is keyed by (vmid, input page) and remembers the input range
 *    of its leaf (4 KiB page, 2 MiB or 1 GiB block): an invalidation by
 *    address drops every entry whose leaf covers that address, as TLBI
 *    IPAS2E1IS / VAE2IS do for a block cached page by page;
 *  - entries go only when a flush hook says so (or are evicted for room,
 *    which an implementation may do at any time).
 *
 * Which CPUs a flush reaches mirrors the EL2 port (arch/aarch64/arch.c):
 * arch_tlb_flush_ipa is TLBI IPAS2E1IS (VAE2IS for COREVISOR) and
 * arch_tlb_flush_vmid TLBI VMALLS12E1IS (ALLE2IS): Inner Shareable
 * broadcasts, so every CPU's TLB drops the entries. The EL2 port's extra
 * VMALLE1IS after an IPA flush drops stage-1 entries of the VMID; this
 * model caches no stage 1 (accesses are by IPA), so it has nothing to
 * drop. arch_smmu_tlb_flush(index, cbndx) drops everything the context
 * bank cached (TLBIALL of the bank).
 *
 * A lookup, the walk and fill on a miss, and the access's data copy
 * (hosted_tlb_access, cv_hosted_tlb_access) happen under the TLB's lock,
 * one page at a time (an access that crosses a page boundary is
 * translated again for the next page, as the hardware does),
 * which a flush also takes: a flush either comes first (the walk then
 * sees the new table, the core having stored and synced it before
 * flushing) or comes after the access and drops what it filled, as a
 * TLBI + DSB completes outstanding walks and the accesses that used the
 * entries it invalidates.
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cv/arch.h>
#include <cv/state.h>

#include "hosted_internal.h"
#include "hosted_priv.h"

#define TLB_SETS 64U
#define TLB_WAYS 4U

struct tlb_entry {
	bool valid;
	u32 vmid; /* tag: the principal (0 in an SMMU context bank's TLB) */
	u64 page; /* input page */
	u64 base; /* input range of the leaf: [base, base + size) */
	u64 size;
	u64 pa;	   /* output address of page */
	u64 pte;   /* the leaf descriptor */
	u32 level; /* of the leaf */
	u32 perms; /* HOSTED_PERM_R | HOSTED_PERM_W */
};

struct tlb {
	u32 lock;
	u32 victim[TLB_SETS]; /* round-robin replacement in each set */
	struct tlb_entry e[TLB_SETS][TLB_WAYS];
};

static struct tlb cpu_tlb[TOTAL_CPU];
static struct tlb smmu_tlb[SMMU_NUM][SMMU_NUM_CTXT_BANKS];
static bool tlb_enabled;

static void tlb_lock(struct tlb *t)
{
	unsigned int spins = 0;

	while (__atomic_exchange_n(&t->lock, 1, __ATOMIC_ACQUIRE))
		if (++spins % 64 == 0)
			sched_yield();
}

static void tlb_unlock(struct tlb *t)
{
	__atomic_store_n(&t->lock, 0, __ATOMIC_RELEASE);
}

static u32 set_of(u32 vmid, u64 page)
{
	u64 h = (page >> PAGE_SHIFT) ^ ((u64)vmid * 0x9e3779b97f4a7c15ULL);

	return (u32)((h ^ (h >> 17)) & (TLB_SETS - 1));
}

static struct tlb_entry *find(struct tlb *t, u32 vmid, u64 page)
{
	struct tlb_entry *set = t->e[set_of(vmid, page)];

	for (u32 i = 0; i < TLB_WAYS; i++)
		if (set[i].valid && set[i].vmid == vmid && set[i].page == page)
			return &set[i];
	return NULL;
}

/* Cache the walk @w of @addr (a valid leaf) with the leaf's @perms. */
static void fill(struct tlb *t, u32 vmid, u64 addr, const struct cv_walk *w,
		 u32 perms)
{
	u64 page = addr & ~(PAGE_SIZE - 1);
	u32 s = set_of(vmid, page);
	struct tlb_entry *e = find(t, vmid, page);

	for (u32 i = 0; !e && i < TLB_WAYS; i++)
		if (!t->e[s][i].valid)
			e = &t->e[s][i];
	if (!e) {
		e = &t->e[s][t->victim[s]];
		t->victim[s] = (t->victim[s] + 1) % TLB_WAYS;
	}
	e->valid = true;
	e->vmid = vmid;
	e->page = page;
	e->size = 1ULL << (39 - 9 * w->level);
	e->base = addr & ~(e->size - 1);
	e->pa = w->pa & ~(PAGE_SIZE - 1);
	e->pte = w->pte;
	e->level = w->level;
	e->perms = perms;
}

static void drop_matching(struct tlb *t, bool by_vmid, u32 vmid, bool by_addr,
			  u64 addr)
{
	tlb_lock(t);
	for (u32 s = 0; s < TLB_SETS; s++)
		for (u32 i = 0; i < TLB_WAYS; i++) {
			struct tlb_entry *e = &t->e[s][i];

			if (!e->valid || (by_vmid && e->vmid != vmid))
				continue;
			if (by_addr && addr - e->base >= e->size)
				continue;
			e->valid = false;
		}
	tlb_unlock(t);
}

void hosted_tlb_reset(bool enabled)
{
	memset(cpu_tlb, 0, sizeof(cpu_tlb));
	memset(smmu_tlb, 0, sizeof(smmu_tlb));
	__atomic_store_n(&tlb_enabled, enabled, __ATOMIC_RELEASE);
}

bool cv_hosted_tlb_enabled(void)
{
	return __atomic_load_n(&tlb_enabled, __ATOMIC_ACQUIRE);
}

/* TLBI IPAS2E1IS / VAE2IS: every CPU (Inner Shareable broadcast). */
void hosted_tlb_flush_ipa(u32 vmid, u64 ipa)
{
	for (u32 c = 0; c < TOTAL_CPU; c++)
		drop_matching(&cpu_tlb[c], true, vmid, true, ipa);
}

/* TLBI VMALLS12E1IS / ALLE2IS: every CPU. */
void hosted_tlb_flush_vmid(u32 vmid)
{
	for (u32 c = 0; c < TOTAL_CPU; c++)
		drop_matching(&cpu_tlb[c], true, vmid, false, 0);
}

void hosted_smmu_tlb_flush(u32 index, u32 cbndx)
{
	drop_matching(&smmu_tlb[index][cbndx], false, 0, false, 0);
}

/* A fresh walk of one translation regime, for the fill. */
struct walker {
	bool smmu;
	u32 vmid;	  /* CPU MMU: the principal */
	u32 index, cbndx; /* SMMU: the context bank */
};

static enum cv_fault fresh_walk(const struct walker *k, u64 addr,
				struct cv_walk *w, u32 *perms)
{
	if (k->smmu)
		return hosted_walk_smmu_perms(k->index, k->cbndx, addr, w,
					      perms);
	return hosted_walk_principal_perms(k->vmid, addr, w, perms);
}

static bool allowed(u32 perms, enum cv_access access)
{
	if (access == CV_ACCESS_READ)
		return perms & HOSTED_PERM_R;
	if (access == CV_ACCESS_WRITE)
		return perms & HOSTED_PERM_W;
	return true;
}

/*
 * The access watcher (cv_hosted_watch_accesses): told of every piece of
 * data a simulated access moved, from here, the only place that moves it.
 */
static cv_hosted_access_fn watch_fn;
static void *watch_arg;

void cv_hosted_watch_accesses(cv_hosted_access_fn fn, void *arg)
{
	__atomic_store_n(&watch_arg, arg, __ATOMIC_RELAXED);
	__atomic_store_n(&watch_fn, fn, __ATOMIC_RELEASE);
}

/* The data part of an access: @len bytes at the translated address. */
struct copy {
	void *buf;
	u64 len; /* within the page */
	bool write;
	bool done; /* false: the output address is not memory */
};

/* Tell the watcher, if any, what @c moved at physical @pa (for @addr). */
static void note_access(const struct walker *k, u64 addr, u64 pa,
			const struct copy *c)
{
	cv_hosted_access_fn fn = __atomic_load_n(&watch_fn, __ATOMIC_ACQUIRE);
	struct cv_hosted_access a;

	if (!fn)
		return;
	a.dma = k->smmu;
	a.write = c->write;
	a.id = k->smmu ? k->index : k->vmid;
	a.cbndx = k->smmu ? k->cbndx : 0;
	a.cpu = arch_cpu_id();
	a.addr = addr;
	a.pa = pa;
	a.len = c->len;
	fn(&a, __atomic_load_n(&watch_arg, __ATOMIC_RELAXED));
}

static void do_copy(u64 pa, struct copy *c)
{
	u8 *p = arch_phys_to_virt(pa);

	c->done = p && arch_phys_to_virt(pa + c->len - 1);
	if (!c->done)
		return;
	if (c->write)
		memcpy(p, c->buf, c->len);
	else
		memcpy(c->buf, p, c->len);
}

/*
 * Translate @addr for @access through TLB @t (NULL: no TLB, a fresh
 * walk): a hit uses the cached leaf and its cached permissions, a miss
 * walks and caches a valid leaf. With @c, the access's data moves under
 * the TLB's lock too, so a flush completes only after accesses that used
 * an entry it drops (TLBI + DSB waits for them).
 */
static enum cv_fault mmu_access(struct tlb *t, const struct walker *k, u64 addr,
				enum cv_access access, struct cv_walk *w,
				struct copy *c)
{
	struct tlb_entry *e = NULL;
	enum cv_fault f = CV_FAULT_NONE;
	bool filled = false;
	u32 perms = 0;

	if (c)
		c->done = false;
	if (t) {
		tlb_lock(t);
		e = find(t, k->smmu ? 0 : k->vmid, addr & ~(PAGE_SIZE - 1));
	}
	if (e) {
		w->level = e->level;
		w->pte = e->pte;
		w->pa = e->pa | (addr & (PAGE_SIZE - 1));
		perms = e->perms;
	} else {
		f = fresh_walk(k, addr, w, &perms);
		filled = t && f == CV_FAULT_NONE;
		if (filled)
			fill(t, k->smmu ? 0 : k->vmid, addr, w, perms);
	}
	if (f == CV_FAULT_NONE && !allowed(perms, access)) {
		w->pa = 0;
		f = CV_FAULT_PERMISSION;
	}
	if (f == CV_FAULT_NONE && c) {
		do_copy(w->pa, c);
		if (c->done)
			note_access(k, addr, w->pa, c);
	}
	if (t) {
		tlb_unlock(t);
		if (e || filled)
			hosted_count_tlb(k->smmu, e != NULL);
	}
	w->fault = f;
	return f;
}

/* This CPU's TLB, or NULL when there is none to use. */
static struct tlb *this_cpu_tlb(u32 vmid)
{
	u32 cpu = arch_cpu_id();

	if (!cv_hosted_tlb_enabled() || vmid > COREVISOR || cpu >= TOTAL_CPU)
		return NULL;
	return &cpu_tlb[cpu];
}

enum cv_fault cv_hosted_tlb_translate(u32 vmid, u64 addr, enum cv_access access,
				      struct cv_walk *w)
{
	struct walker k = {.smmu = false, .vmid = vmid};

	return mmu_access(this_cpu_tlb(vmid), &k, addr, access, w, NULL);
}

static enum cv_fault access_fault(enum cv_fault f, const struct copy *c,
				  struct cv_walk *w)
{
	if (f == CV_FAULT_NONE && !c->done)
		w->fault = f = CV_FAULT_EXTERNAL; /* no memory there */
	return f;
}

enum cv_fault cv_hosted_tlb_access(u32 vmid, u64 addr, enum cv_access access,
				   void *buf, u64 len, struct cv_walk *w)
{
	struct walker k = {.smmu = false, .vmid = vmid};
	u8 *b = buf;

	if (access == CV_ACCESS_NONE || !len)
		return cv_hosted_tlb_translate(vmid, addr, access, w);
	/* Each page is translated on its own: no byte spills past a page. */
	while (len) {
		u64 chunk = PAGE_SIZE - (addr & (PAGE_SIZE - 1));
		struct copy c;
		enum cv_fault f;

		if (chunk > len)
			chunk = len;
		c = (struct copy){b, chunk, access == CV_ACCESS_WRITE, false};
		f = mmu_access(this_cpu_tlb(vmid), &k, addr, access, w, &c);
		if (access_fault(f, &c, w) != CV_FAULT_NONE)
			return w->fault;
		b += chunk;
		addr += chunk;
		len -= chunk;
	}
	return CV_FAULT_NONE;
}

static struct tlb *bank_tlb(u32 index, u32 cbndx)
{
	if (!cv_hosted_tlb_enabled() || index >= SMMU_NUM ||
	    cbndx >= SMMU_NUM_CTXT_BANKS)
		return NULL;
	return &smmu_tlb[index][cbndx];
}

enum cv_fault hosted_smmu_tlb_translate(u32 index, u32 cbndx, u64 iova,
					enum cv_access access,
					struct cv_walk *w)
{
	struct walker k = {.smmu = true, .index = index, .cbndx = cbndx};

	return mmu_access(bank_tlb(index, cbndx), &k, iova, access, w, NULL);
}

enum cv_fault hosted_tlb_access(bool dma, u32 id, u32 cbndx, u64 addr,
				bool write, void *buf, u64 len,
				struct cv_walk *w, bool *copied)
{
	struct walker k = {
		.smmu = dma, .vmid = id, .index = id, .cbndx = cbndx};
	struct copy c = {buf, len, write, false};
	struct tlb *t = dma ? bank_tlb(id, cbndx) : this_cpu_tlb(id);
	enum cv_fault f;

	if (!len || (addr & (PAGE_SIZE - 1)) + len > PAGE_SIZE) {
		/* The callers cut accesses at pages: this is a machine bug. */
		fprintf(stderr, "hosted_tlb_access: %llu bytes at 0x%llx\n",
			(unsigned long long)len, (unsigned long long)addr);
		abort();
	}
	f = mmu_access(t, &k, addr, write ? CV_ACCESS_WRITE : CV_ACCESS_READ, w,
		       &c);
	*copied = c.done;
	return f;
}

/* What @t holds for (vmid, addr), without filling anything. */
static bool peek(struct tlb *t, u32 vmid, u64 addr, struct cv_translation *tr)
{
	struct tlb_entry *e;

	memset(tr, 0, sizeof(*tr));
	tlb_lock(t);
	e = find(t, vmid, addr & ~(PAGE_SIZE - 1));
	if (e) {
		tr->valid = true;
		tr->level = e->level;
		tr->pa = e->pa | (addr & (PAGE_SIZE - 1));
		tr->pte = e->pte;
	}
	tlb_unlock(t);
	return tr->valid;
}

bool cv_hosted_tlb_lookup(uint32_t cpu, uint32_t vmid, uint64_t addr,
			  struct cv_translation *t)
{
	if (cpu >= TOTAL_CPU || vmid > COREVISOR) {
		memset(t, 0, sizeof(*t));
		return false;
	}
	return peek(&cpu_tlb[cpu], vmid, addr, t);
}

bool cv_hosted_smmu_tlb_lookup(uint32_t index, uint32_t cbndx, uint64_t iova,
			       struct cv_translation *t)
{
	if (index >= SMMU_NUM || cbndx >= SMMU_NUM_CTXT_BANKS) {
		memset(t, 0, sizeof(*t));
		return false;
	}
	return peek(&smmu_tlb[index][cbndx], 0, iova, t);
}
