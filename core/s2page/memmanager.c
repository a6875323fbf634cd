// SPDX-License-Identifier: MIT
/*
 * MemManager: moving pages between principals and mapping them, with the
 * ownership checks of the spec (host_iso, vm_iso, smmu_iso):
 *  - the host maps only its own pages, pages a VM granted it (count > 0),
 *    and MMIO (owner INVALID);
 *  - a host page goes to a VM only when nothing else maps it (count 0),
 *    and is taken out of the host's stage 2 first;
 *  - a VM page comes back to the host only scrubbed.
 *
 * Every function takes S2PAGE_ID itself, then (through NPTOps / MmioSPTOps)
 * the stage-2 or SMMU table lock: s2page -> SPT -> NPT, as state.h orders;
 * clear_vm_page takes SMMU_ID before S2PAGE_ID (it reads the banks' owners).
 * Arguments that the host or a VM controls are range checked first; a bad
 * one panics with the call's name and the value.
 */
#include <cv/gictab.h>
#include <cv/lib.h>
#include <cv/lock.h>
#include <cv/mem.h>
#include <cv/panic.h>
#include <cv/pt.h>
#include <cv/pte.h>
#include <cv/smmu.h>
#include <cv/spt.h>
#include <cv/state.h>
#include <cv/stream.h>

#include "page_internal.h"

static bool check_vm(const char *who, u32 vmid)
{
	if (!is_vm(vmid)) {
		panic("%s: vmid %u is not a VM", who, vmid);
		return false;
	}
	return true;
}

static bool check_pfn(const char *who, u64 pfn)
{
	if (!is_pfn(pfn)) {
		panic("%s: pfn 0x%llx out of range", who,
		      (unsigned long long)pfn);
		return false;
	}
	return true;
}

static bool check_gfn(const char *who, u64 gfn)
{
	if (!is_gfn(gfn)) {
		panic("%s: gfn 0x%llx out of range", who,
		      (unsigned long long)gfn);
		return false;
	}
	return true;
}

/*
 * A share count that says "mapped elsewhere". INVALID marks a VM page
 * assigned to an SMMU only (assign_pfn_to_smmu): not a grant to the host.
 */
static bool shared(u32 count)
{
	return count > 0 && count != INVALID;
}

/*
 * corevisor: whether the host owns the whole 2 MiB around @pfn, which then
 * may be one block in its stage 2: the 512 pages lie in one region (so a
 * block never reaches past a region's edge into MMIO or another region)
 * and every one is owned by HOSTVISOR. Shared pages do not qualify: a page
 * a VM granted the host (count > 0) is the VM's, mapped a page at a time;
 * a host page's own count (SMMU mappings) does not matter, as the page
 * stays the host's until it is 0 (assign_pfn_to_vm). The core's pages
 * (the reserved memory, its image) are COREVISOR's, so no block covers
 * them. S2PAGE_ID held: nothing changes owner meanwhile.
 */
static bool host_owns_block(u64 pfn)
{
	u64 first = ALIGN_DOWN(pfn, PTRS_PER_PMD);
	const struct s2page *pg = s2page_entry(first);
	u32 region;

	if (!pg)
		return false;
	region = mem_region_search(first * PAGE_SIZE);
	if (region == INVALID ||
	    mem_region_search((first + PTRS_PER_PMD - 1) * PAGE_SIZE) != region)
		return false;
	/* One region: the entries of its pages are consecutive. */
	for (u32 i = 0; i < PTRS_PER_PMD; i++)
		if (pg[i].owner != HOSTVISOR)
			return false;
	return true;
}

/*
 * corevisor: map the host's own page @pfn after a fault on @addr: the
 * whole 2 MiB block when the host owns all of it and its level-2 entry is
 * empty, otherwise the page. A level-2 entry that already holds a block
 * maps @addr: the fault was a stale one (e.g. another CPU mapped the
 * block first) and there is nothing to do. A level-2 entry that holds a
 * table keeps it (pages come back a page at a time, never re-coalesced:
 * a block written over the table would abandon the table's page, and the
 * host's pool is sized for one table per 2 MiB: host_pool_geometry).
 * Only map_page_host and clear_pfn_host change the host's table, both
 * with S2PAGE_ID held, so the entry seen is the entry written over.
 */
static void map_host_ram(u64 addr, u64 pfn)
{
	u64 block = ALIGN_DOWN(pfn * PAGE_SIZE, PMD_SIZE);
	u64 page = pfn * PAGE_SIZE | PAGE_S2_RAM;

	/* A table there: the page, in the same walk; a block: nothing. */
	if (map_s2pt_in_table(HOSTVISOR, addr, page) != PMD_NONE || halted())
		return;
	if (host_owns_block(pfn))
		map_s2pt(HOSTVISOR, block, 2, block | PAGE_S2_RAM_BLOCK);
	else
		map_s2pt(HOSTVISOR, addr, 3, page);
}

/*
 * map_page_host: the host's stage-2 fault at @addr. MMIO is mapped as
 * device memory, the host's own pages as RAM (a 2 MiB block where the host
 * owns the whole block, corevisor: map_host_ram), pages a VM granted it as
 * RAM, a page at a time; all flat (ipa = pa). A fault on any other page
 * is an attack and panics.
 *
 * corevisor: @addr may be anywhere below the machine's physical address
 * size (cv.pa_bits, the host's IPA size in VTCR_EL2), not only the spec's
 * 40 bits (is_paddr): MMIO above 1 TiB (PCIe 64-bit BARs, QEMU virt's
 * high ECAM) is mapped as device memory like any other MMIO.
 */
void map_page_host(u64 addr)
{
	u64 pfn = addr / PAGE_SIZE, pte, *slot;
	struct s2page *pg;
	u32 owner, count;

	if (halted())
		return;
	if (addr >> cv.pa_bits) {
		panic("map_page_host: addr 0x%llx beyond the %u-bit physical "
		      "space",
		      (unsigned long long)addr, cv.pa_bits);
		return;
	}
	/*
	 * corevisor: an SMMU's registers are never the host's; its accesses
	 * are emulated (emulate_mmio). Reaching here with one is a bug.
	 */
	if (is_smmu_range(addr) != INVALID) {
		panic("map_page_host: addr 0x%llx holds SMMU %u's registers",
		      (unsigned long long)addr, is_smmu_range(addr));
		return;
	}
	/* corevisor: nor the SMMUv3's: corevisor drives it (cv/stream.h). */
	if (is_smmuv3_range(addr)) {
		panic("map_page_host: addr 0x%llx holds the SMMUv3's registers",
		      (unsigned long long)addr);
		return;
	}
	/* corevisor: nor the GIC's table registers (cv/gictab.h). */
	if (is_gic_trapped_page(addr)) {
		panic("map_page_host: addr 0x%llx holds the GIC's table "
		      "registers",
		      (unsigned long long)addr);
		return;
	}
	/*
	 * corevisor: the page's s2page entry and, where a level-3 table
	 * already covers @addr, its leaf's slot, found before S2PAGE_ID is
	 * taken (both stay where they are: s2page_slot, host_pte_slot), so
	 * that what the lock covers is just the owner check (the store is
	 * made under the host's NPT lock, taken before S2PAGE_ID is passed
	 * on, below): host faults on other CPUs wait that long.
	 */
	pg = s2page_slot(pfn);
	slot = host_pte_slot(addr);
	if (halted())
		return;
	acquire_lock_s2page();
	if (halted())
		return;
	/* get_pfn_owner, get_pfn_count: one entry lookup. */
	owner = pg ? pg->owner : INVALID;
	count = pg ? s2page_count(pg) : INVALID;
	if (owner == INVALID) {
		pte = pfn * PAGE_SIZE | PAGE_S2_DEVICE;
	} else if (owner == HOSTVISOR) {
		pte = pfn * PAGE_SIZE | PAGE_S2_RAM;
		if (!slot) {
			map_host_ram(addr, pfn);
			pte = 0;
		}
#ifdef CV_MUTANT_SKIP_OWNER_CHECK /* tests/model: must be caught */
	} else if (true) {
#else
	} else if (shared(count)) {
#endif
		pte = pfn * PAGE_SIZE | PAGE_S2_RAM;
	} else {
		panic("map_page_host: pfn 0x%llx owned by %u count %u",
		      (unsigned long long)pfn, owner, count);
		pte = 0;
	}
	if (pte && slot) {
		/*
		 * corevisor: hand-over-hand. The host's table lock is taken
		 * before S2PAGE_ID is passed on, so the store is still ordered
		 * before any later change of the page's owner: whoever takes
		 * the page from the host next holds S2PAGE_ID and unmaps it in
		 * clear_pfn_host, which waits for this lock. Host faults on
		 * other CPUs wait only for the owner check.
		 */
		acquire_lock_pt(HOSTVISOR);
		release_lock_s2page();
		map_host_slot(addr, slot, pte);
		release_lock_pt(HOSTVISOR);
		return;
	}
	if (pte)
		map_s2pt(HOSTVISOR, addr, 3, pte);
	release_lock_s2page();
}

/*
 * Take VM @vmid's page @pfn, at gfn @gfn, out of every SMMU context bank
 * of the VM (corevisor; see clear_vm_page). A VM's bank maps a page only
 * at iova gfn * PAGE_SIZE: update_smmu_page requires the page's owner and
 * gfn, and a VM page's gfn, once set, never changes while the VM owns
 * the page. So one walk per bank finds every mapping; unmap_spt flushes
 * the bank's TLB.
 * The caller holds SMMU_ID (no bank changes owner, nothing maps into a
 * bank) and S2PAGE_ID (the page's owner and gfn stay).
 */
static void unmap_vm_page_smmu(u32 vmid, u64 pfn, u64 gfn)
{
	u64 iova = gfn * PAGE_SIZE, pte;

	assert_locked(SMMU_ID);
	assert_locked(S2PAGE_ID);
	if (gfn == INVALID64 || !is_smmu_addr(iova))
		return; /* no bank can map it (smmu_iso) */
	for (u32 index = 0; index < SMMU_NUM; index++) {
		for (u32 cbndx = 0; cbndx < SMMU_NUM_CTXT_BANKS; cbndx++) {
			if (cv.smmu_vmid[smmu_id(index, cbndx)] != vmid)
				continue;
			pte = walk_spt(cbndx, index, iova);
			if (pte != 0 && phys_page(pte) / PAGE_SIZE == pfn)
				unmap_spt(cbndx, index, iova);
			if (halted())
				return;
		}
	}
}

/*
 * clear_vm_page: give VM @vmid's page @pfn back to the host, scrubbed.
 * Pages of anyone else are left alone.
 *
 * corevisor: the page first leaves every SMMU context bank of the VM.
 * The spec hands it to the host while the dead VM's banks still map it,
 * so the VM's device could DMA into the host's data, or into another
 * VM's once the host gives the page on. SMMU_ID comes first (state.h's
 * lock order), so no SMMU call runs in between.
 */
/*
 * clear_vm_page's step for a page VM @vmid owns: out of its banks and of
 * the host's stage 2, the host's, zeroed. Holds SMMU_ID and S2PAGE_ID.
 */
static void give_vm_page_to_host(u32 vmid, u64 pfn)
{
	unmap_vm_page_smmu(vmid, pfn, get_pfn_map(pfn));
	if (halted())
		return;
	clear_pfn_host(pfn);
	set_pfn_owner(pfn, HOSTVISOR);
	set_pfn_count(pfn, 0);
	set_pfn_map(pfn, INVALID64);
	if (halted())
		return;
	cv_zero_page(pfn);
	/* corevisor: scrubbed, it is the host's devices' too. */
	host_stream_map(pfn);
}

/* clear_vm_page's body; the caller holds SMMU_ID. */
void clear_vm_page_smmu_held(u32 vmid, u64 pfn)
{
	if (halted() || !check_vm(__func__, vmid) || !check_pfn(__func__, pfn))
		return;
	assert_locked(SMMU_ID);
	acquire_lock_s2page();
	if (get_pfn_owner(pfn) == vmid) {
		give_vm_page_to_host(vmid, pfn);
		if (halted())
			return;
	}
	release_lock_s2page();
}

void clear_vm_page(u32 vmid, u64 pfn)
{
	if (halted() || !check_vm(__func__, vmid) || !check_pfn(__func__, pfn))
		return;
	acquire_lock_smmu();
	clear_vm_page_smmu_held(vmid, pfn);
	if (halted())
		return;
	release_lock_smmu();
}

/*
 * corevisor (destroy_vm): every page VM @vmid owns, in every region, goes
 * back to the host as clear_vm_page gives it: out of the VM's SMMU banks
 * and the host's stage 2, zeroed. The caller holds SMMU_ID (state.h's
 * order) and the VM's info lock (no vCPU of it runs, none can start).
 * S2PAGE_ID is taken per 2 MiB of pfns, so other CPUs' faults go on.
 * Returns the number of pages given back.
 */
u64 reclaim_vm_pages(u32 vmid)
{
	u64 n = 0;

	if (halted() || !check_vm(__func__, vmid))
		return 0;
	assert_locked(SMMU_ID);
	assert_locked(INFO_ID + vmid);
	for (u32 r = 0; r < cv.region_cnt && r < MAX_MEMBLOCK_NUM; r++) {
		u64 lo = cv.regions[r].base / PAGE_SIZE;
		u64 hi = lo + cv.regions[r].size / PAGE_SIZE;

		for (u64 chunk = lo; chunk < hi; chunk += PTRS_PER_PMD) {
			u64 end = chunk + PTRS_PER_PMD < hi
					  ? chunk + PTRS_PER_PMD
					  : hi;

			acquire_lock_s2page();
			for (u64 pfn = chunk; pfn < end; pfn++) {
				/* get_pfn_owner, without its region search. */
				u64 idx = cv.regions[r].index + (pfn - lo);

				if (idx >= cv.s2page_num ||
				    cv.s2page[idx].owner != vmid)
					continue;
				give_vm_page_to_host(vmid, pfn);
				if (halted())
					return n;
				n++;
			}
			release_lock_s2page();
		}
	}
	return check64(n);
}

/*
 * assign_pfn_to_vm: page @pfn becomes VM @vmid's, at @gfn. A host page
 * must be unshared; it leaves the host's stage 2. A page the VM already
 * owns must be unmapped or at the same gfn.
 *
 * The spec's get_pfn_owner, get_pfn_count, get_pfn_map and the setters
 * each find the page's entry; here it is found once (the values are the
 * same: S2PAGE_ID is held throughout, and clear_pfn_host does not touch
 * the entry). The setters' checks hold by construction: vmid is a VM,
 * gfn a gfn (not the INVALID64 encoding), count 0.
 */
void assign_pfn_to_vm(u32 vmid, u64 gfn, u64 pfn)
{
	struct s2page *pg;
	const char *pinned;
	u32 owner, count;
	u64 map;

	if (halted() || !check_vm(__func__, vmid) ||
	    !check_gfn(__func__, gfn) || !check_pfn(__func__, pfn))
		return;
	acquire_lock_s2page();
	if (halted())
		return;
	pg = s2page_entry(pfn);
	if (halted())
		return;
	owner = pg ? pg->owner : INVALID;
	count = pg ? s2page_count(pg) : INVALID;
	/* corevisor: run pages and GIC tables stay the host's. */
	pinned = owner == HOSTVISOR ? host_pin_reason(pfn) : NULL;
	if (pinned) {
		panic("assign_pfn_to_vm: vm %u host pfn 0x%llx %s", vmid,
		      (unsigned long long)pfn, pinned);
		return;
	}
	if (owner == HOSTVISOR) {
		if (count == 0) {
			clear_pfn_host(pfn);
			if (halted())
				return;
			pg->owner = vmid;
			pg->gfn = gfn;
			/* fetch_from_doracle: the page keeps its contents. */
		} else {
			panic("assign_pfn_to_vm: vm %u host pfn 0x%llx count "
			      "%u",
			      vmid, (unsigned long long)pfn, count);
		}
	} else if (owner == vmid) {
		map = s2page_gfn(pg);
		if (map == INVALID64 || map == gfn) {
			if (map == INVALID64)
				pg->gfn = gfn;
			if (count == INVALID)
				pg->count = 0;
		} else {
			panic("assign_pfn_to_vm: vm %u pfn 0x%llx at gfn "
			      "0x%llx not 0x%llx",
			      vmid, (unsigned long long)pfn,
			      (unsigned long long)map, (unsigned long long)gfn);
		}
	} else {
		panic("assign_pfn_to_vm: vm %u pfn 0x%llx owned by %u", vmid,
		      (unsigned long long)pfn, owner);
	}
	release_lock_s2page();
}

/*
 * The page @vmid's table maps at @addr (a block's too), or 0; *@block
 * says a 2 MiB block maps it (get_npt_level, walk_npt). The caller holds
 * NPT_ID + vmid.
 */
static u64 mapped_page(u32 vmid, u64 addr, bool *block)
{
	u32 level = get_npt_level(vmid, addr);
	u64 pte;

	*block = level == 2;
	if (level == 0)
		return 0;
	pte = walk_npt(vmid, addr);
	if (level == 2)
		return pmd_page(pte) +
		       (addr & (PMD_SIZE - 1) & ~(PAGE_SIZE - 1));
	return phys_page(pte);
}

/* What a 2 MiB fault answer finds at its target (block_target). */
enum target { TARGET_FREE, TARGET_SAME, TARGET_OTHER };

/*
 * Whether VM @vmid may map the 2 MiB block @paddr over @addr: FREE when no
 * page of the target maps another page, SAME when that very block is
 * mapped there, OTHER when a page of the target maps a different page:
 * *@at is its IPA, *@have what it maps, *@want what the block would map
 * there. The caller holds NPT_ID + vmid.
 */
static enum target block_target(u32 vmid, u64 addr, u64 paddr, u64 *at,
				u64 *have, u64 *want)
{
	u64 base = ALIGN_DOWN(addr, PMD_SIZE);
	bool block = false;

	for (u64 i = 0; i < PMD_PAGE_NUM; i++) {
		*at = base + i * PAGE_SIZE;
		*want = paddr + i * PAGE_SIZE;
		*have = mapped_page(vmid, *at, &block);
		if (halted())
			return TARGET_SAME;
		if (*have && *have != *want)
			return TARGET_OTHER;
		/* A block there answers for all its pages at once. */
		if (block)
			return TARGET_SAME;
	}
	return TARGET_FREE;
}

/* The panic of a fault answer that would swap a page the VM has. */
static void swap_refused(u32 vmid, u64 at, u64 have, u64 want)
{
	panic("map_pfn_vm: vm %u ipa 0x%llx already maps pfn 0x%llx, not "
	      "0x%llx",
	      vmid, (unsigned long long)at,
	      (unsigned long long)(have / PAGE_SIZE),
	      (unsigned long long)(want / PAGE_SIZE));
}

/*
 * corevisor: map_pfn_vm's check alone: false, after a panic, when mapping
 * @pte at @addr (@level) would swap a page VM @vmid already has.
 * prot_and_map_vm_s2pt asks it before it takes any page from the host, so
 * a refused answer changes nothing; map_pfn_vm asks again as it maps
 * (another vCPU's answer may have come between). A page's check is one
 * locked walk (walk_s2pt_level).
 */
bool vm_map_target_free(u32 vmid, u64 addr, u64 pte, u32 level)
{
	u64 at = ALIGN_DOWN(addr, PAGE_SIZE), have = 0, want = phys_page(pte);
	enum target t = TARGET_FREE;
	u32 lvl;

	if (halted() || !check_vm(__func__, vmid))
		return false;
	if (!is_addr(addr)) {
		panic("map_pfn_vm: vm %u addr 0x%llx beyond 48 bits", vmid,
		      (unsigned long long)addr);
		return false;
	}
	if (level == 2) {
		acquire_lock_pt(vmid);
		t = block_target(vmid, addr, want, &at, &have, &want);
		if (halted())
			return false;
		release_lock_pt(vmid);
	} else {
		have = phys_page(walk_s2pt_level(vmid, addr, &lvl));
		if (lvl == 2)
			have = ALIGN_DOWN(have, PMD_SIZE) +
			       (addr & (PMD_SIZE - 1) & ~(PAGE_SIZE - 1));
		if (halted())
			return false;
		if (have && have != want)
			t = TARGET_OTHER;
	}
	if (t == TARGET_OTHER) {
		swap_refused(vmid, at, have, want);
		return false;
	}
	return true;
}

/* map_pfn_vm's 2 MiB block: check, then map, in one hold of the lock. */
static __attribute__((noinline)) void map_block(u32 vmid, u64 addr, u64 paddr)
{
	u64 at = 0, have = 0, want = 0;
	enum target t;

	if (!is_addr(addr)) {
		panic("map_pfn_vm: vm %u addr 0x%llx beyond 48 bits", vmid,
		      (unsigned long long)addr);
		return;
	}
	acquire_lock_pt(vmid);
	t = block_target(vmid, addr, paddr, &at, &have, &want);
	if (t == TARGET_FREE)
		set_npt(vmid, addr, 2, paddr | PAGE_S2_RAM_BLOCK);
	release_lock_pt(vmid); /* a no-op after a panic */
	if (t == TARGET_OTHER && !halted())
		swap_refused(vmid, at, have, want);
}

/*
 * map_pfn_vm: map the page (level 3) or 2 MiB block (level 2) at
 * phys_page(@pte) at @addr in VM @vmid's stage 2, as normal RAM. The
 * caller (prot_and_map_vm_s2pt) has assigned the pages to the VM.
 *
 * corevisor: the host may add pages to a VM, never swap them. If any page
 * the map would cover already maps a different page, it panics; the check
 * and the map are one hold of NPT_ID + vmid, so two vCPUs' concurrent
 * fault answers cannot both pass it (the spec's map_s2pt overwrites: a
 * block answered for one vCPU would replace the page another vCPU was
 * given and had written, and the VM would read host-chosen bytes). A map
 * of exactly what is there (two vCPUs faulting on one page) changes
 * nothing.
 */
void map_pfn_vm(u32 vmid, u64 addr, u64 pte, u32 level)
{
	u64 paddr = phys_page(pte), have;

	if (halted() || !check_vm(__func__, vmid))
		return;
	if (level == 2) {
		map_block(vmid, addr, paddr);
		return;
	}
	/* The check and the map of a page: one locked walk, one store. */
	have = map_s2pt_page_unless_mapped(vmid, addr, paddr | PAGE_S2_RAM);
	if (unlikely(have && have != paddr))
		swap_refused(vmid, ALIGN_DOWN(addr, PAGE_SIZE), have, paddr);
}

/* map_vm_io: map MMIO page @pa at @gpa for VM @vmid; RAM is refused. */
void map_vm_io(u32 vmid, u64 gpa, u64 pa)
{
	if (halted() || !check_vm(__func__, vmid))
		return;
	if (!is_addr(gpa) || !is_addr(pa)) {
		panic("map_vm_io: vm %u gpa 0x%llx pa 0x%llx beyond 48 bits",
		      vmid, (unsigned long long)gpa, (unsigned long long)pa);
		return;
	}
	/* corevisor: a VM given an SMMU's registers could reprogram it. */
	if (is_smmu_range(pa) != INVALID) {
		panic("map_vm_io: vm %u pa 0x%llx holds SMMU %u's registers",
		      vmid, (unsigned long long)pa, is_smmu_range(pa));
		return;
	}
	if (is_smmuv3_range(pa)) {
		panic("map_vm_io: vm %u pa 0x%llx holds the SMMUv3's registers",
		      vmid, (unsigned long long)pa);
		return;
	}
	acquire_lock_s2page();
	if (get_pfn_owner(pa / PAGE_SIZE) == INVALID)
		map_s2pt(vmid, gpa, 3, phys_page(pa) | PAGE_S2_DEVICE);
	release_lock_s2page();
}

/*
 * grant_vm_page: VM @vmid shares its page @pfn with the host (count + 1,
 * at most MAX_SHARE_COUNT). Anything else is ignored.
 */
void grant_vm_page(u32 vmid, u64 pfn)
{
	u32 owner, count;

	if (halted() || !check_vm(__func__, vmid) || !check_gfn(__func__, pfn))
		return;
	acquire_lock_s2page();
	owner = get_pfn_owner(pfn);
	count = get_pfn_count(pfn);
	if (owner == vmid && count < MAX_SHARE_COUNT)
		set_pfn_count(pfn, count + 1);
	release_lock_s2page();
}

/*
 * revoke_vm_page: VM @vmid withdraws one share of its page @pfn; the last
 * one takes the page out of the host's stage 2.
 */
void revoke_vm_page(u32 vmid, u64 pfn)
{
	u32 owner, count;

	if (halted() || !check_vm(__func__, vmid) || !check_gfn(__func__, pfn))
		return;
	acquire_lock_s2page();
	owner = get_pfn_owner(pfn);
	count = get_pfn_count(pfn);
	if (owner == vmid && shared(count)) {
		set_pfn_count(pfn, count - 1);
		if (count == 1)
			clear_pfn_host(pfn);
	}
	release_lock_s2page();
}

/*
 * assign_pfn_to_smmu: page @pfn becomes VM @vmid's for its device's DMA at
 * @gfn (count INVALID until the VM maps it: assign_pfn_to_vm).
 */
void assign_pfn_to_smmu(u32 vmid, u64 gfn, u64 pfn)
{
	const char *pinned;
	u32 owner, count;

	if (halted() || !check_vm(__func__, vmid) ||
	    !check_gfn(__func__, gfn) || !check_pfn(__func__, pfn))
		return;
	acquire_lock_s2page();
	owner = get_pfn_owner(pfn);
	count = get_pfn_count(pfn);
	/* corevisor: run pages and GIC tables stay the host's. */
	pinned = owner == HOSTVISOR ? host_pin_reason(pfn) : NULL;
	if (pinned) {
		panic("assign_pfn_to_smmu: vm %u host pfn 0x%llx %s", vmid,
		      (unsigned long long)pfn, pinned);
		return;
	}
	if (owner == HOSTVISOR) {
		if (count == 0) {
			clear_pfn_host(pfn);
			set_pfn_owner(pfn, vmid);
			set_pfn_map(pfn, gfn);
			set_pfn_count(pfn, INVALID);
		} else {
			panic("assign_pfn_to_smmu: vm %u host pfn 0x%llx count "
			      "%u",
			      vmid, (unsigned long long)pfn, count);
		}
	} else if (owner != vmid) {
		panic("assign_pfn_to_smmu: vm %u pfn 0x%llx owned by %u", vmid,
		      (unsigned long long)pfn, owner);
	}
	release_lock_s2page();
}

static bool check_smmu(const char *who, u32 cbndx, u32 index, u64 iova)
{
	if (!is_smmu(index) || !is_smmu_cfg(cbndx)) {
		panic("%s: smmu %u context bank %u out of range", who, index,
		      cbndx);
		return false;
	}
	if (!is_smmu_addr(iova)) {
		panic("%s: iova 0x%llx beyond 40 bits", who,
		      (unsigned long long)iova);
		return false;
	}
	return true;
}

/*
 * update_smmu_page: map @pte at @iova in SMMU table (index, cbndx), which
 * belongs to @vmid. The page must be @vmid's and assigned at that gfn; a
 * host page mapped in an SMMU counts one more mapping (at most
 * EL2_SMMU_CFG_SIZE), so it cannot go to a VM while a device can reach it.
 */
void update_smmu_page(u32 vmid, u32 cbndx, u32 index, u64 iova, u64 pte)
{
	u64 pfn = phys_page(pte) / PAGE_SIZE, gfn = iova / PAGE_SIZE, map;
	u32 owner, count;

	if (halted())
		return;
	if (!is_vmid(vmid)) {
		panic("update_smmu_page: vmid %u out of range", vmid);
		return;
	}
	if (!check_smmu(__func__, cbndx, index, iova))
		return;
	acquire_lock_s2page();
	owner = get_pfn_owner(pfn);
	map = get_pfn_map(pfn);
	if (vmid == owner && gfn == map) {
		map_spt(cbndx, index, iova, pte);
		if (owner == HOSTVISOR) {
			count = get_pfn_count(pfn);
			if (count < EL2_SMMU_CFG_SIZE)
				set_pfn_count(pfn, count + 1);
		}
	} else {
		panic("update_smmu_page: vm %u iova 0x%llx pfn 0x%llx owned by "
		      "%u at gfn 0x%llx",
		      vmid, (unsigned long long)iova, (unsigned long long)pfn,
		      owner, (unsigned long long)map);
	}
	release_lock_s2page();
}

/*
 * unmap_smmu_page: remove the mapping at @iova from SMMU table (index,
 * cbndx); a host page loses one SMMU mapping from its count.
 */
void unmap_smmu_page(u32 cbndx, u32 index, u64 iova)
{
	u64 pte, pfn;
	u32 count;

	if (halted() || !check_smmu(__func__, cbndx, index, iova))
		return;
	acquire_lock_s2page();
	pte = unmap_spt(cbndx, index, iova);
	pfn = phys_page(pte) / PAGE_SIZE;
	/* Nothing was mapped: no page lost a mapping. */
	if (pte != 0 && get_pfn_owner(pfn) == HOSTVISOR) {
		count = get_pfn_count(pfn);
		if (count > 0)
			set_pfn_count(pfn, count - 1);
	}
	release_lock_s2page();
}
