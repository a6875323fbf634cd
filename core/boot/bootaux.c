// SPDX-License-Identifier: MIT
/*
 * BootAux: hand a verified-to-be image's pages to its VM
 * (unmap_and_load_vm_image_spec).
 *
 * The spec maps the image into the VM by 2 MiB blocks, taking each
 * block's physical base from the page that backs the chunk's first remap
 * address. That is only right when the host gave the image physically
 * contiguous pages, placed at the same offset within a 2 MiB block as the
 * load address. Nothing in the spec checks this, so a host could remap
 * pages A (which verify_image reads) while the VM gets the block around
 * them, pages B, which were never verified. corevisor checks it first
 * (deliberate strengthening, docs/image-format.md): the load address is
 * page aligned, and remap page i is backed by pa0 + i * PAGE_SIZE with
 * pa0 = load address (mod 2 MiB). Then the block pages the VM gets hold
 * exactly the pages verify_image reads.
 *
 * Three more corevisor checks close what a host could still do with the
 * 2 MiB blocks (docs/spec-deviations.md):
 *  - a block never replaces what the VM already maps there with other
 *    pages (two images sharing a guest block from two host blocks: the
 *    second would map its host block over the first's verified pages);
 *  - before the block is hashed, every page of it that is already the
 *    VM's (given to its device through assign_smmu) leaves every SMMU
 *    context bank, so no device can rewrite signed bytes after the check;
 *  - once loaded, every byte of an image block that is not image bytes
 *    is zeroed (zero_image_blocks): the VM reaches only signed bytes and
 *    zeroes the core wrote, never bytes the host left there.
 */
#include <cv/arch.h>
#include <cv/boot.h>
#include <cv/lib.h>
#include <cv/mem.h>
#include <cv/panic.h>
#include <cv/pt.h>
#include <cv/pte.h>
#include <cv/spt.h>

#include "boot_internal.h"

/* Physical address the core's remap mapping of @va points at, or 0. */
static u64 remap_pa(u64 va)
{
	u64 pte = walk_s2pt(COREVISOR, va);

	return pte_valid(pte) ? phys_page(pte) : 0;
}

/* The strengthening above; false after a panic. */
static bool image_pages_contiguous(u32 vmid, u64 target, u64 remap, u64 num)
{
	u64 pa0;

	if (target & (PAGE_SIZE - 1)) {
		panic("unmap_and_load_vm_image: vm %u load address 0x%llx not "
		      "page aligned",
		      vmid, ULL(target));
		return false;
	}
	if (num == 0)
		return true;
	pa0 = remap_pa(remap);
	if (pa0 == 0 || (pa0 & (PMD_SIZE - 1)) != (target & (PMD_SIZE - 1))) {
		panic("unmap_and_load_vm_image: vm %u first image page pa "
		      "0x%llx not at load address 0x%llx mod 2MiB",
		      vmid, ULL(pa0), ULL(target));
		return false;
	}
	for (u64 i = 1; i < num; i++) {
		u64 pa = remap_pa(remap + i * PAGE_SIZE);

		if (halted())
			return false;
		if (pa != pa0 + i * PAGE_SIZE) {
			panic("unmap_and_load_vm_image: vm %u image page %llu "
			      "is pfn 0x%llx, expected pfn 0x%llx",
			      vmid, ULL(i), ULL(pa / PAGE_SIZE),
			      ULL(pa0 / PAGE_SIZE + i));
			return false;
		}
	}
	return true;
}

/*
 * Strengthening: the 2 MiB block at host @pa may map at @gpa in VM @vmid
 * only where the VM maps nothing or already these very pages (a second
 * image in the same block, loaded from the same host block). False after
 * a panic.
 */
static bool block_fresh(u32 vmid, u64 gpa, u64 pa)
{
	u64 off = 0;

	while (off < PMD_SIZE) {
		u64 hole = s2pt_hole_end(vmid, gpa + off), pte, have;
		u32 level;

		if (halted())
			return false;
		if (hole > gpa + off) { /* nothing mapped up to there */
			off = hole - gpa;
			continue;
		}
		pte = walk_s2pt_level(vmid, gpa + off, &level);
		if (halted())
			return false;
		have = level == 2 ? pmd_page(pte) + off : phys_page(pte);
		if (pte_valid(pte) && have != pa + off) {
			panic("unmap_and_load_vm_image: vm %u ipa 0x%llx "
			      "already "
			      "maps pfn 0x%llx, not 0x%llx",
			      vmid, ULL(gpa + off), ULL(have / PAGE_SIZE),
			      ULL((pa + off) / PAGE_SIZE));
			return false;
		}
		off = level == 2 ? PMD_SIZE : off + PAGE_SIZE;
	}
	return true;
}

/*
 * Strengthening: every page of the host block at @pa that is already VM
 * @vmid's (assign_smmu gave it to the VM's device before the image was
 * loaded) leaves every SMMU context bank before the block is hashed. A
 * bank maps a VM page only at iova gfn * PAGE_SIZE (update_smmu_page), so
 * one walk per bank finds it. A page that is still the host's is in no
 * bank unless its count says so, and then assign_pfn_to_vm refuses it.
 * The caller holds the VM's info lock, which every SMMU map of a VM page
 * (map_smmu) takes too.
 */
static void unmap_block_from_smmus(u32 vmid, u64 pa)
{
	for (u64 pfn = pa / PAGE_SIZE; pfn < (pa + PMD_SIZE) / PAGE_SIZE;
	     pfn++) {
		u64 gfn;
		u32 owner;

		acquire_lock_s2page();
		owner = get_pfn_owner(pfn);
		gfn = get_pfn_map(pfn);
		release_lock_s2page();
		if (halted())
			return;
		if (owner != vmid || gfn == INVALID64 ||
		    !is_smmu_addr(gfn * PAGE_SIZE))
			continue;
		for (u32 index = 0; index < SMMU_NUM; index++)
			for (u32 cbndx = 0; cbndx < SMMU_NUM_CTXT_BANKS;
			     cbndx++) {
				u64 pte =
					walk_spt(cbndx, index, gfn * PAGE_SIZE);

				if (pte && phys_page(pte) == pfn * PAGE_SIZE)
					unmap_spt(cbndx, index,
						  gfn * PAGE_SIZE);
				if (halted())
					return;
			}
	}
}

/*
 * Map @num image pages, remapped at @remap_addr, into VM @vmid at
 * @target_addr, 2 MiB block by block; prot_and_map_vm_s2pt moves every
 * page of each block from the host to the VM (or panics). Called by
 * verify_and_load_images with the VM's info lock held.
 */
void unmap_and_load_vm_image(u32 vmid, u64 target_addr, u64 remap_addr, u64 num)
{
	u64 start, end, chunks, target, remap;

	if (halted())
		return;
	if (!is_vm(vmid) || !is_addr(target_addr) || !is_addr(remap_addr) ||
	    !is_gfn(num)) {
		panic("unmap_and_load_vm_image: bad args vm %u target 0x%llx "
		      "remap 0x%llx num %llu",
		      vmid, ULL(target_addr), ULL(remap_addr), ULL(num));
		return;
	}
	if (!image_pages_contiguous(vmid, target_addr, remap_addr, num))
		return;

	start = ALIGN_DOWN(target_addr, PMD_SIZE);
	end = target_addr + num * PAGE_SIZE;
	chunks = (end - start + PMD_SIZE - 1) / PMD_SIZE;
	target = target_addr;
	remap = remap_addr;
	for (u64 k = 0; k < chunks; k++) {
		u64 pfn = phys_page(walk_s2pt(COREVISOR, remap)) / PMD_SIZE *
			  PTRS_PER_PMD;
		u64 next = start + PMD_SIZE;

		if (halted())
			return;
		if (pfn == 0) {
			panic("unmap_and_load_vm_image: vm %u remap 0x%llx not "
			      "mapped",
			      vmid, ULL(remap));
			return;
		}
		if (!block_fresh(vmid, start, pfn * PAGE_SIZE))
			return;
		unmap_block_from_smmus(vmid, pfn * PAGE_SIZE);
		if (halted())
			return;
		prot_and_map_vm_s2pt(vmid, start, pfn * PAGE_SIZE, 2);
		if (halted())
			return;
		remap += next - target;
		target = next;
		start = next;
	}
}

/*
 * How many bytes from the start of the page at @gpa are image bytes of VM
 * @vmid: the longest prefix any load info covers (load addresses are page
 * aligned, so an image covers a prefix of each of its pages).
 */
static u64 image_prefix(const struct vm_info *info, u64 gpa)
{
	u64 best = 0;

	for (u32 i = 0; i < info->next_load_info && i < MAX_LOAD_INFO_NUM;
	     i++) {
		u64 base = info->load_addr[i], end = base + info->load_size[i];
		u64 n;

		if (base > gpa || end <= gpa)
			continue;
		n = end - gpa < PAGE_SIZE ? end - gpa : PAGE_SIZE;
		if (n > best)
			best = n;
	}
	return best;
}

/* True when load info @i's blocks start with one an earlier info has. */
static bool block_seen(const struct vm_info *info, u32 i, u64 block)
{
	for (u32 j = 0; j < i; j++) {
		u64 lo = ALIGN_DOWN(info->load_addr[j], PMD_SIZE);
		u64 hi = info->load_addr[j] + info->mapped_pages[j] * PAGE_SIZE;

		if (block >= lo && block < hi)
			return true;
	}
	return false;
}

/*
 * corevisor (BootAux): after every image of VM @vmid is loaded, zero
 * every byte of its image blocks that no image covers: the pages around
 * the images and the tail of each image's last page. The host wrote
 * them; the VM would run them or take them for zeroed memory. The caller
 * (verify_and_load_images) holds the VM's info lock and has loaded every
 * image: block k of load info i is the host block of its first remapped
 * page plus k * 2 MiB (image_pages_contiguous), now the VM's.
 */
void zero_image_blocks(u32 vmid)
{
	const struct vm_info *info = locked_info(vmid);

	for (u32 i = 0; i < info->next_load_info && i < MAX_LOAD_INFO_NUM;
	     i++) {
		u64 block = ALIGN_DOWN(info->load_addr[i], PMD_SIZE);
		u64 end =
			info->load_addr[i] + info->mapped_pages[i] * PAGE_SIZE;
		u64 base;

		if (info->mapped_pages[i] == 0)
			continue;
		base = ALIGN_DOWN(remap_pa(info->remap_addr[i]), PMD_SIZE);
		for (; block < end; block += PMD_SIZE, base += PMD_SIZE) {
			if (halted())
				return;
			if (block_seen(info, i, block))
				continue;
			for (u64 off = 0; off < PMD_SIZE; off += PAGE_SIZE) {
				u64 keep = image_prefix(info, block + off);
				u8 *p;

				if (keep == PAGE_SIZE)
					continue;
				if (keep == 0) {
					cv_zero_page((base + off) / PAGE_SIZE);
					continue;
				}
				p = arch_phys_to_virt(base + off);
				if (p)
					memset(p + keep, 0, PAGE_SIZE - keep);
			}
		}
	}
}
