// SPDX-License-Identifier: MIT
/*
 * BootOps: VM registration, boot images and SMMU/IO set-up (the sealing
 * calls are in seal.c). Each function follows its _spec0: take the VM's
 * info lock, check the VM/vCPU state, call the layer below. Arguments the
 * host controls are checked first (the spec's `rely` lines and
 * TrapDispatcher's checks); a bad one panics with the call and the value.
 */
#include <cv/boot.h>
#include <cv/mem.h>
#include <cv/panic.h>
#include <cv/pt.h>
#include <cv/pte.h>
#include <cv/spt.h>
#include <cv/vcpu.h>
#include <corevisor/image.h>
#include <corevisor/sealed.h>

#include "boot_internal.h"

/* AbstractMachine shared_kvm / shared_vcpu: slots of the shared area. */
u64 get_shared_kvm(u32 vmid)
{
	if (halted())
		return 0;
	if (!is_vmid(vmid)) {
		panic("get_shared_kvm: vmid %u out of range", vmid);
		return 0;
	}
	return cv.shared_base + CV_SHARED_KVM_OFFSET(vmid);
}

u64 get_shared_vcpu(u32 vmid, u32 vcpuid)
{
	if (halted())
		return 0;
	if (!is_vmid(vmid) || !is_vcpu(vcpuid)) {
		panic("get_shared_vcpu: vm %u vcpu %u out of range", vmid,
		      vcpuid);
		return 0;
	}
	return cv.shared_base + CV_SHARED_VCPU_OFFSET(vmid, vcpuid);
}

/*
 * search_load_info_spec0: the remap address of guest address @addr if a
 * load info of VM @vmid covers it (the last one that does), else 0.
 */
u64 search_load_info(u32 vmid, u64 addr)
{
	struct vm_info *info;
	u64 ret = 0;

	if (halted())
		return 0;
	if (!is_vmid(vmid)) {
		panic("search_load_info: vmid %u out of range", vmid);
		return 0;
	}
	acquire_lock_vm(vmid);
	info = locked_info(vmid);
	for (u32 i = 0; i < info->next_load_info && i < MAX_LOAD_INFO_NUM;
	     i++) {
		u64 base = info->load_addr[i], size = info->load_size[i];

		if (addr >= base && addr < base + size)
			ret = addr - base + info->remap_addr[i];
	}
	release_lock_vm(vmid);
	return check64(ret);
}

/* set_vcpu_active_spec0: a READY vCPU of a VERIFIED VM starts running. */
void set_vcpu_active(u32 vmid, u32 vcpuid)
{
	struct vm_info *info;
	u32 state;

	if (halted())
		return;
	if (!is_vmid(vmid) || !is_vcpu(vcpuid)) {
		panic("set_vcpu_active: vm %u vcpu %u out of range", vmid,
		      vcpuid);
		return;
	}
	acquire_lock_vm(vmid);
	info = locked_info(vmid);
	state = vcpu_state_of(info, vcpuid);
	if (info->state != VERIFIED || state != READY) {
		panic("set_vcpu_active: vm %u state %u vcpu %u state %u", vmid,
		      info->state, vcpuid, state);
		return;
	}
	if (!snapshot_allows_run(vmid, "set_vcpu_active"))
		return;
	set_vcpu_state(info, vcpuid, ACTIVE);
	/* corevisor: blobs sealed so far become an older version. */
	if (info->seal_pending)
		lineage_resume(vmid);
	release_lock_vm(vmid);
}

/*
 * set_vcpu_inactive_spec0: an ACTIVE vCPU stops running. corevisor: by
 * compare-and-swap, without the VM's info lock (cv/state.h,
 * vcpu_state_of): ACTIVE -> READY is the one transition no lock holder
 * can be relying on, since any reader must already allow a running vCPU
 * to exit. The spec's check stays: a vCPU that is not ACTIVE panics.
 */
void set_vcpu_inactive(u32 vmid, u32 vcpuid)
{
	u32 seen;

	if (halted())
		return;
	if (!is_vmid(vmid) || !is_vcpu(vcpuid)) {
		panic("set_vcpu_inactive: vm %u vcpu %u out of range", vmid,
		      vcpuid);
		return;
	}
	if (!swap_vcpu_state(vm_info(vmid), vcpuid, ACTIVE, READY, &seen))
		panic("set_vcpu_inactive: vm %u vcpu %u state %u not ACTIVE",
		      vmid, vcpuid, seen);
}

/*
 * register_vcpu_spec0, as corrected by the README: the VM must be READY
 * and the vCPU UNUSED (SeKVM's C let a vCPU be registered twice).
 */
void register_vcpu(u32 vmid, u32 vcpuid)
{
	struct vm_info *info;

	if (halted())
		return;
	if (!is_vmid(vmid) || !is_vcpu(vcpuid)) {
		panic("register_vcpu: vm %u vcpu %u out of range", vmid,
		      vcpuid);
		return;
	}
	acquire_lock_vm(vmid);
	info = locked_info(vmid);
	if (info->state != READY || vcpu_state_of(info, vcpuid) != UNUSED) {
		panic("register_vcpu: vm %u state %u vcpu %u state %u", vmid,
		      info->state, vcpuid, vcpu_state_of(info, vcpuid));
		return;
	}
	info->vcpu[vcpuid] = get_shared_vcpu(vmid, vcpuid);
	pin_run_page(vmid, vcpuid); /* corevisor: the exit path's page */
	if (halted())
		return;
	set_vcpu_state(info, vcpuid, READY);
	shadow_ctxt(vmid, vcpuid)->regs[DIRTY] = INVALID64;
	release_lock_vm(vmid);
}

/* register_kvm_spec0: a fresh vmid, its VM READY. Returns the vmid. */
u32 register_kvm(void)
{
	struct vm_info *info;
	u32 vmid;

	if (halted())
		return 0;
	vmid = gen_vmid();
	if (halted())
		return 0;
	acquire_lock_vm(vmid);
	info = locked_info(vmid);
	if (info->state != UNUSED) {
		panic("register_kvm: vm %u state %u not UNUSED", vmid,
		      info->state);
		return 0;
	}
	info->kvm = get_shared_kvm(vmid);
	set_vm_state(info, READY);
	release_lock_vm(vmid);
	return check(vmid);
}

/*
 * set_boot_info_spec0: record image @load_addr/@size of a READY VM and
 * reserve remap space for it. Returns its load index; MAX_LOAD_INFO_NUM
 * (and nothing recorded) when the VM has all its load infos already.
 */
u32 set_boot_info(u32 vmid, u64 load_addr, u64 size)
{
	struct vm_info *info;
	u32 idx;
	u64 remap;

	if (halted())
		return 0;
	if (!is_vmid(vmid) || !is_addr(load_addr) || !is_addr(size)) {
		panic("set_boot_info: bad args vm %u addr 0x%llx size 0x%llx",
		      vmid, ULL(load_addr), ULL(size));
		return 0;
	}
	acquire_lock_vm(vmid);
	info = locked_info(vmid);
	if (info->state != READY) {
		panic("set_boot_info: vm %u state %u not READY", vmid,
		      info->state);
		return 0;
	}
	idx = info->next_load_info;
	if (idx >= MAX_LOAD_INFO_NUM) {
		release_lock_vm(vmid);
		return check(idx);
	}
	info->next_load_info = idx + 1;
	remap = alloc_remap_addr((size + PAGE_SIZE - 1) / PAGE_SIZE);
	if (halted())
		return 0;
	info->load_addr[idx] = load_addr;
	info->load_size[idx] = size;
	info->remap_addr[idx] = remap;
	info->mapped_pages[idx] = 0;
	release_lock_vm(vmid);
	return check(idx);
}

/*
 * remap_vm_image_spec0: map host page @pfn as the next page of image
 * @load_idx in the core's remap area. Pages past the image's size and
 * indexes past the VM's load infos are ignored, as in the spec.
 *
 * Strengthening: @pfn must be memory of a boot region. The core's table
 * maps it as normal cacheable memory; a device page mapped that way could
 * be read speculatively. Such an image could never load anyway:
 * unmap_and_load_vm_image only moves region pages to a VM.
 */
void remap_vm_image(u32 vmid, u64 pfn, u32 load_idx)
{
	struct vm_info *info;
	u64 size, mapped, target;

	if (halted())
		return;
	if (!is_vmid(vmid) || !is_load_idx(load_idx) || !is_pfn(pfn)) {
		panic("remap_vm_image: bad args vm %u pfn 0x%llx index %u",
		      vmid, ULL(pfn), load_idx);
		return;
	}
	if (mem_region_search(pfn * PAGE_SIZE) == INVALID) {
		panic("remap_vm_image: vm %u pfn 0x%llx is not memory", vmid,
		      ULL(pfn));
		return;
	}
	acquire_lock_vm(vmid);
	info = locked_info(vmid);
	if (info->state != READY) {
		panic("remap_vm_image: vm %u state %u not READY", vmid,
		      info->state);
		return;
	}
	if (load_idx < info->next_load_info) {
		size = info->load_size[load_idx];
		mapped = info->mapped_pages[load_idx];
		target = info->remap_addr[load_idx] + mapped * PAGE_SIZE;
		if (mapped < (size + PAGE_SIZE - 1) / PAGE_SIZE) {
			map_s2pt(COREVISOR, target, 3,
				 (pfn * PAGE_SIZE) | PAGE_HYP);
			if (halted())
				return;
			info->mapped_pages[load_idx] = mapped + 1;
		}
	}
	release_lock_vm(vmid);
}

/*
 * The one image of @n flagged @flag (CV_IMAGE_FLAG_BOOT, or corevisor's
 * CV_IMAGE_FLAG_BOOT_ARG), or n: none, or a second one (panic, naming
 * what both would be).
 */
static u32 flagged_image(u32 vmid, const struct image_facts *facts, u32 n,
			 u32 flag, const char *what)
{
	u32 found = n;

	for (u32 i = 0; i < n; i++) {
		if (!(facts[i].flags & flag))
			continue;
		if (found != n) {
			panic("verify_and_load_images: vm %u images %u and %u "
			      "both %s",
			      vmid, found, i, what);
			return n;
		}
		found = i;
	}
	return found;
}

#define SCTLR_EL1_M 1ULL /* stage-1 translation on */

/* @pc lies in the payload of one of the VM's @n verified images. */
static bool in_verified_code(const struct vm_info *info,
			     const struct image_facts *facts, u32 n, u64 pc)
{
	for (u32 i = 0; i < n; i++)
		if (pc >= info->load_addr[i] &&
		    pc - info->load_addr[i] < facts[i].payload_len)
			return true;
	return false;
}

/*
 * Every vCPU restored from a sealed blob resumes (or, when its guest had
 * asked for a start, starts) in the payload of a verified image. False
 * after a panic.
 */
static bool restored_vcpus_in_code(u32 vmid, const struct image_facts *facts,
				   u32 n)
{
	const struct vm_info *info = locked_info(vmid);

	for (u32 v = 0; v < VCPU_PER_VM; v++) {
		u64 pc;

		/*
		 * A vCPU that runs with its MMU on (SCTLR_EL1.M) resumes at
		 * a virtual address, not an IPA: the seal vouches for it.
		 */
		if (!(info->vcpu_restored & (1U << v)) ||
		    info->vcpu_power[v] == VCPU_OFF ||
		    (info->vcpu_power[v] == VCPU_ON &&
		     (shadow_ctxt(vmid, v)->regs[SCTLR_EL1] & SCTLR_EL1_M)))
			continue;
		pc = info->vcpu_power[v] == VCPU_ON_PENDING
			     ? info->vcpu_entry[v]
			     : shadow_ctxt(vmid, v)->regs[PC];
		if (!in_verified_code(info, facts, n, pc)) {
			panic("verify_and_load_images: vm %u restored vcpu %u "
			      "pc 0x%llx is outside verified code",
			      vmid, v, ULL(pc));
			return false;
		}
	}
	return true;
}

/*
 * verify_and_load_images_spec: move every image of a READY VM into it and
 * check its signature; then the VM is VERIFIED. Any failure panics.
 *
 * corevisor, after the spec's loop (docs/spec-deviations.md):
 *  - every byte of the image blocks that no image covers is zeroed;
 *  - at most one image names a boot entry;
 *  - the VM's measurement is computed from its images. A VM with state
 *    restored into it must measure what the state was sealed for, and
 *    each restored vCPU must resume in verified code; any other VM
 *    starts a new instance, and its vCPU 0 is set to start at the boot
 *    entry, x0 = the load address of the image flagged as the boot
 *    argument (at most one, else panic), or 0 without one. No other vCPU
 *    starts until its guest's CPU_ON.
 */
void verify_and_load_images(u32 vmid)
{
	struct image_facts facts[MAX_LOAD_INFO_NUM];
	struct vm_info *info;
	u32 n, boot, arg;

	if (halted())
		return;
	if (!is_vm(vmid)) {
		panic("verify_and_load_images: vmid %u is not a VM", vmid);
		return;
	}
	acquire_lock_vm(vmid);
	info = locked_info(vmid);
	if (info->state != READY) {
		panic("verify_and_load_images: vm %u state %u not READY", vmid,
		      info->state);
		return;
	}
	n = info->next_load_info < MAX_LOAD_INFO_NUM ? info->next_load_info
						     : MAX_LOAD_INFO_NUM;
	/* corevisor: a declared memory map has each image block in RAM. */
	for (u32 i = 0; i < n; i++) {
		u64 start = info->load_addr[i] & ~(PMD_SIZE - 1);
		u64 end = (info->load_addr[i] + info->load_size[i] + PMD_SIZE -
			   1) &
			  ~(PMD_SIZE - 1);

		if (!vm_ram_covers(vmid, start, end - start)) {
			panic("verify_and_load_images: vm %u image %u at "
			      "0x%llx not in the VM's RAM",
			      vmid, i, ULL(info->load_addr[i]));
			return;
		}
	}
	for (u32 i = 0; i < n; i++) {
		const char *why;

		unmap_and_load_vm_image(vmid, info->load_addr[i],
					info->remap_addr[i],
					info->mapped_pages[i]);
		if (halted())
			return;
		why = image_check(vmid, info->remap_addr[i], &facts[i]);
		if (why) {
			panic("verify_and_load_images: vm %u image %u: %s",
			      vmid, i, why);
			return;
		}
	}
	boot = flagged_image(vmid, facts, n, CV_IMAGE_FLAG_BOOT,
			     "name a boot entry");
	if (halted())
		return;
	arg = flagged_image(vmid, facts, n, CV_IMAGE_FLAG_BOOT_ARG,
			    "are the boot argument");
	if (halted())
		return;
	zero_image_blocks(vmid);
	if (halted())
		return;
	measure_vm(vmid, facts, n);
	if (info->lineage) {
		if (!lineage_check_measurement(vmid) ||
		    !restored_vcpus_in_code(vmid, facts, n))
			return;
	} else {
		lineage_new(vmid);
		if (boot < n && vcpu_state_of(info, 0) == READY) {
			info->vcpu_power[0] = VCPU_ON_PENDING;
			info->vcpu_entry[0] = facts[boot].entry;
			info->vcpu_context[0] =
				arg < n ? info->load_addr[arg] : 0;
		}
	}
	/* corevisor: the VM's virtual counter starts at 0 now (vgic.c). */
	info->cntvoff = arch_counter_read();
	set_vm_state(info, VERIFIED);
	release_lock_vm(vmid);
}

/*
 * The SMMU calls refuse to change a VERIFIED VM's devices: their tables
 * are set up while the VM boots (alloc/map/clear/assign_smmu_spec0).
 */
static bool smmu_locked_out(const char *who, u32 vmid)
{
	u32 state = locked_info(vmid)->state;

	if (is_vm(vmid) && state == VERIFIED) {
		panic("%s: vm %u is VERIFIED", who, vmid);
		return true;
	}
	return false;
}

/* alloc_smmu_spec0: an empty table for context bank @cbndx of SMMU @index. */
void alloc_smmu(u32 vmid, u32 cbndx, u32 index)
{
	if (halted())
		return;
	if (!is_vmid(vmid) || !is_smmu(index) || !is_smmu_cfg(cbndx)) {
		panic("alloc_smmu: bad args vm %u cbndx %u index %u", vmid,
		      cbndx, index);
		return;
	}
	acquire_lock_vm(vmid);
	if (smmu_locked_out("alloc_smmu", vmid))
		return;
	init_spt(cbndx, index);
	release_lock_vm(vmid);
}

/*
 * assign_smmu_spec0: give host page @pfn to VM @vmid at @gfn for its
 * device. A host (vmid 0) or core request does nothing.
 *
 * The high-level assign_smmu_spec panics unless the VM is VERIFIED, the
 * opposite of its _spec0 and of map_smmu; with it no page could ever be
 * both assigned and mapped. corevisor follows _spec0 (and SeKVM's C).
 */
void assign_smmu(u32 vmid, u64 pfn, u64 gfn)
{
	if (halted())
		return;
	if (!is_vmid(vmid) || !is_gfn(gfn) || !is_pfn(pfn)) {
		panic("assign_smmu: bad args vm %u pfn 0x%llx gfn 0x%llx", vmid,
		      ULL(pfn), ULL(gfn));
		return;
	}
	acquire_lock_vm(vmid);
	if (is_vm(vmid)) {
		if (smmu_locked_out("assign_smmu", vmid))
			return;
		snapshot_cancel(vmid); /* corevisor: its pages change */
		assign_pfn_to_smmu(vmid, gfn, pfn);
		if (halted())
			return;
	}
	release_lock_vm(vmid);
}

/* map_smmu_spec0: map @iova to @pte in (@index, @cbndx) for VM @vmid. */
void map_smmu(u32 vmid, u32 cbndx, u32 index, u64 iova, u64 pte)
{
	if (halted())
		return;
	if (!is_vmid(vmid) || !is_smmu(index) || !is_smmu_cfg(cbndx) ||
	    !is_smmu_addr(iova)) {
		panic("map_smmu: bad args vm %u cbndx %u index %u iova 0x%llx",
		      vmid, cbndx, index, ULL(iova));
		return;
	}
	acquire_lock_vm(vmid);
	if (smmu_locked_out("map_smmu", vmid))
		return;
	update_smmu_page(vmid, cbndx, index, iova, pte);
	if (halted())
		return;
	release_lock_vm(vmid);
}

/* clear_smmu_spec0: unmap @iova from (@index, @cbndx). */
void clear_smmu(u32 vmid, u32 cbndx, u32 index, u64 iova)
{
	if (halted())
		return;
	if (!is_vmid(vmid) || !is_smmu(index) || !is_smmu_cfg(cbndx) ||
	    !is_smmu_addr(iova)) {
		panic("clear_smmu: bad args vm %u cbndx %u index %u iova "
		      "0x%llx",
		      vmid, cbndx, index, ULL(iova));
		return;
	}
	acquire_lock_vm(vmid);
	if (smmu_locked_out("clear_smmu", vmid))
		return;
	unmap_smmu_page(cbndx, index, iova);
	if (halted())
		return;
	release_lock_vm(vmid);
}

/* map_io_spec0: map device page @pa at @gpa in a READY VM. */
void map_io(u32 vmid, u64 gpa, u64 pa)
{
	struct vm_info *info;

	if (halted())
		return;
	if (!is_vmid(vmid) || !is_addr(gpa) || !is_addr(pa)) {
		panic("map_io: bad args vm %u gpa 0x%llx pa 0x%llx", vmid,
		      ULL(gpa), ULL(pa));
		return;
	}
	acquire_lock_vm(vmid);
	info = locked_info(vmid);
	if (info->state != READY) {
		panic("map_io: vm %u state %u not READY", vmid, info->state);
		return;
	}
	map_vm_io(vmid, gpa, pa);
	if (halted())
		return;
	release_lock_vm(vmid);
}

/* is_inc_exe_spec0: 1 once the VM's state was restored from sealed state. */
u32 is_inc_exe(u32 vmid)
{
	u32 inc;

	if (halted())
		return 0;
	if (!is_vmid(vmid)) {
		panic("is_inc_exe: vmid %u out of range", vmid);
		return 0;
	}
	acquire_lock_vm(vmid);
	inc = locked_info(vmid)->inc_exe;
	release_lock_vm(vmid);
	return check(inc);
}
