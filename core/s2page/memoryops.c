// SPDX-License-Identifier: MIT
/*
 * MemoryOps: MemManager operations over ranges — reclaiming a dead VM's
 * pages, assigning and mapping a VM's stage-2 fault, and a VM's grants and
 * revocations of its pages to the host (virtio scatter-gather buffers).
 * Each page's step takes and releases its own locks.
 */
#include <cv/mem.h>
#include <cv/panic.h>
#include <cv/pt.h>
#include <cv/pte.h>
#include <cv/state.h>

/*
 * clear_vm_range: give every page of VM @vmid in [pfn, pfn + num) back to
 * the host, scrubbed. Only region pages can be the VM's, so the walk
 * visits the range's overlap with each region (the spec's loop over every
 * pfn would do nothing on the others).
 */
static void clear_range(u32 vmid, u64 pfn, u64 num, bool smmu_held);

void clear_vm_range(u32 vmid, u64 pfn, u64 num)
{
	clear_range(vmid, pfn, num, false);
}

/*
 * corevisor: clear_vm_range for a caller that holds SMMU_ID and the VM's
 * info lock (clear_vm_stage2_range): the VM's state cannot change while
 * its pages go, so a reclaim never meets a new VM under a reused vmid.
 */
void clear_vm_range_smmu_held(u32 vmid, u64 pfn, u64 num)
{
	clear_range(vmid, pfn, num, true);
}

static void clear_range(u32 vmid, u64 pfn, u64 num, bool smmu_held)
{
	u64 end;

	if (halted())
		return;
	if (!is_vm(vmid)) {
		panic("clear_vm_range: vmid %u is not a VM", vmid);
		return;
	}
	if (!is_pfn(pfn) || !is_pfn(num) || num > KVM_PFN_SPACE - pfn) {
		panic("clear_vm_range: vm %u pfn 0x%llx num 0x%llx out of "
		      "range",
		      vmid, (unsigned long long)pfn, (unsigned long long)num);
		return;
	}
	end = pfn + num;
	for (u32 i = 0; i < cv.region_cnt && i < MAX_MEMBLOCK_NUM; i++) {
		u64 lo = cv.regions[i].base / PAGE_SIZE;
		u64 hi = lo + cv.regions[i].size / PAGE_SIZE;

		if (lo < pfn)
			lo = pfn;
		if (hi > end)
			hi = end;
		for (u64 p = lo; p < hi; p++) {
			if (smmu_held)
				clear_vm_page_smmu_held(vmid, p);
			else
				clear_vm_page(vmid, p);
			if (halted())
				return;
		}
	}
}

/*
 * prot_and_map_vm_s2pt: VM @vmid's stage-2 fault at @addr, resolved by
 * the host with page phys_page(@pte) (level 3) or the 2 MiB block there
 * (level 2): each page is assigned to the VM (checking ownership), then
 * mapped.
 *
 * corevisor: an answer that would swap a page the VM already maps is
 * refused before any page moves (vm_map_target_free), and again
 * atomically as map_pfn_vm maps (a concurrent answer of another vCPU).
 */
void prot_and_map_vm_s2pt(u32 vmid, u64 addr, u64 pte, u32 level)
{
	u64 pfn = phys_page(pte) / PAGE_SIZE, gfn = addr / PAGE_SIZE;

	if (halted())
		return;
	if (!is_vm(vmid)) {
		panic("prot_and_map_vm_s2pt: vmid %u is not a VM", vmid);
		return;
	}
	if (!is_addr(addr)) {
		panic("prot_and_map_vm_s2pt: vm %u addr 0x%llx beyond 48 bits",
		      vmid, (unsigned long long)addr);
		return;
	}
	/*
	 * The block maps the 512 pages from its 2 MiB-aligned output
	 * address: those are the pages that must be assigned.
	 */
	if (level == 2 && pfn % PTRS_PER_PMD) {
		panic("prot_and_map_vm_s2pt: vm %u block pfn 0x%llx not 2 MiB "
		      "aligned",
		      vmid, (unsigned long long)pfn);
		return;
	}
	if (!vm_map_target_free(vmid, addr, pte, level))
		return;
	if (level != 2) {
		assign_pfn_to_vm(vmid, gfn, pfn);
		map_pfn_vm(vmid, addr, pte, 3);
		return;
	}
	gfn = ALIGN_DOWN(gfn, PTRS_PER_PMD);
	for (u64 i = 0; i < PMD_PAGE_NUM; i++) {
		assign_pfn_to_vm(vmid, gfn + i, pfn + i);
		if (halted())
			return;
	}
	map_pfn_vm(vmid, addr, pte, 2);
}

/*
 * The range of a grant or revoke: every page start addr + i * PAGE_SIZE,
 * i < (size + 4095) / 4096, is an address below 2^48 (the spec's relies).
 */
bool is_sg_range(u64 addr, u64 size)
{
	return is_addr(addr) && is_addr(size) &&
	       (size == 0 ||
		(size - 1) / PAGE_SIZE * PAGE_SIZE < KVM_ADDR_SPACE - addr);
}

/* The pages of [addr, addr + size) that VM @vmid's stage 2 maps. */
static bool check_sg(const char *who, u32 vmid, u64 addr, u64 size)
{
	if (!is_vm(vmid)) {
		panic("%s: vmid %u is not a VM", who, vmid);
		return false;
	}
	if (!is_sg_range(addr, size)) {
		panic("%s: vm %u range 0x%llx+0x%llx beyond 48 bits", who, vmid,
		      (unsigned long long)addr, (unsigned long long)size);
		return false;
	}
	return true;
}

/*
 * The pfn mapped at @addr in VM @vmid's stage 2, or 0 when nothing is
 * (the grant/revoke loops of the spec).
 */
static u64 mapped_pfn(u32 vmid, u64 addr)
{
	u32 level;
	u64 pte = walk_s2pt_level(vmid, addr, &level), pa;

	pa = phys_page(pte);
	if (pa == 0)
		return 0;
	if (level == 2)
		return pa / PAGE_SIZE +
		       ((addr / PAGE_SIZE) & (PTRS_PER_PMD - 1));
	return pa / PAGE_SIZE;
}

/*
 * The loop of grant_stage2_loop / revoke_stage2_loop: @page_fn on every
 * page the VM maps among those at addr + i * PAGE_SIZE, i < num.
 *
 * corevisor: the spec walks every one of the num steps, and a guest
 * chooses size (< 2^48): up to 2^36 walks at EL2, minutes with the CPU
 * pinned. Here a step whose walk meets an empty level-0, 1 or 2 entry
 * jumps to the first step past the hole that entry leaves
 * (s2pt_hole_end): those steps would have found nothing and done
 * nothing. The result is the spec's; the cost is bounded by the VM's
 * table (its 512 root entries, and 512 steps per table below), not by
 * size.
 */
static void sg_walk(u32 vmid, u64 addr, u64 num,
		    void (*page_fn)(u32 vmid, u64 pfn))
{
	u64 i = 0, cur, end, pfn;

	while (i < num) {
		cur = addr + i * PAGE_SIZE;
		end = s2pt_hole_end(vmid, cur);
		if (halted())
			return;
		if (end > cur) {
			/* The first step at or past @end. */
			i += (end - cur + PAGE_SIZE - 1) / PAGE_SIZE;
			continue;
		}
		pfn = mapped_pfn(vmid, cur);
		if (pfn)
			page_fn(vmid, pfn);
		if (halted())
			return;
		i++;
	}
}

/* grant_stage2_sg_gpa: VM @vmid shares the pages of [addr, addr + size). */
void grant_stage2_sg_gpa(u32 vmid, u64 addr, u64 size)
{
	if (halted() || !check_sg(__func__, vmid, addr, size))
		return;
	sg_walk(vmid, addr, (size + PAGE_SIZE - 1) / PAGE_SIZE, grant_vm_page);
}

/* revoke_stage2_sg_gpa: VM @vmid withdraws the shares of the range. */
void revoke_stage2_sg_gpa(u32 vmid, u64 addr, u64 size)
{
	if (halted() || !check_sg(__func__, vmid, addr, size))
		return;
	sg_walk(vmid, addr, (size + PAGE_SIZE - 1) / PAGE_SIZE, revoke_vm_page);
}
