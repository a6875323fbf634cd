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
 */
#include <cv/boot.h>
#include <cv/mem.h>
#include <cv/panic.h>
#include <cv/pt.h>
#include <cv/pte.h>

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
		prot_and_map_vm_s2pt(vmid, start, pfn * PAGE_SIZE, 2);
		if (halted())
			return;
		remap += next - target;
		target = next;
		start = next;
	}
}
