// SPDX-License-Identifier: MIT
/*
 * core/boot, the VM state machine: VMPower, BootCore, and the BootOps
 * calls that move VM and vCPU states (register_kvm, register_vcpu,
 * set_vcpu_active/inactive, set_boot_info, search_load_info, remap_vm_image,
 * map_io, is_inc_exe). Each spec branch: success, every panic, the halted
 * no-op. Image loading is in test_boot_image.c, sealing in
 * test_boot_seal.c, the SMMU calls in test_boot_smmu.c.
 */
#include <criterion/criterion.h>
#include <string.h>

#include <corevisor/abi.h>
#include <corevisor/sealed.h>
#include <cv/boot.h>
#include <cv/lock.h>
#include <cv/panic.h>
#include <cv/pte.h>
#include <cv/state.h>

#include "boot_support.h"

TestSuite(boot_ops, .init = bs_boot);

/* A VM in state @state with vcpu 0 in @vcpu_state, set directly. */
static u32 vm_in(u32 state, u32 vcpu_state)
{
	u32 vmid = register_kvm();

	cv.vminfos[vmid].state = state;
	cv.vminfos[vmid].vcpu_state[0] = vcpu_state;
	return vmid;
}

/* ---- VMPower ------------------------------------------------------------ */

Test(boot_ops, poweroff_and_poweron)
{
	u32 vmid = register_kvm();

	cr_assert_eq(get_vm_poweron(vmid), 1);
	set_vm_poweroff(vmid);
	bs_expect_running();
	cr_assert_eq(cv_hosted_vm_state(vmid), POWEROFF);
	cr_assert_eq(get_vm_poweron(vmid), 0);
}

Test(boot_ops, poweroff_bad_vmid_panics)
{
	set_vm_poweroff(COREVISOR + 1);
	bs_expect_halt("set_vm_poweroff", "17");
}

Test(boot_ops, poweron_bad_vmid_panics)
{
	cr_assert_eq(get_vm_poweron(99), 0);
	bs_expect_halt("get_vm_poweron", "99");
}

Test(boot_ops, power_halted_noop)
{
	u32 vmid = register_kvm();

	bs_halt();
	set_vm_poweroff(vmid);
	cr_assert_eq(cv.vminfos[vmid].state, READY);
	cr_assert_eq(get_vm_poweron(vmid), 0);
}

/* ---- BootCore ----------------------------------------------------------- */

Test(boot_ops, gen_vmid_counts_up_then_panics)
{
	for (u32 i = 1; i < COREVISOR; i++)
		cr_assert_eq(gen_vmid(), i);
	bs_expect_running();
	cr_assert_eq(gen_vmid(), 0);
	bs_expect_halt("gen_vmid", "vmids used");
	cr_assert_eq(cv.core.next_vmid, COREVISOR);
}

Test(boot_ops, gen_vmid_halted_noop)
{
	bs_halt();
	cr_assert_eq(gen_vmid(), 0);
	cr_assert_eq(cv.core.next_vmid, 1);
}

Test(boot_ops, alloc_remap_addr_bumps)
{
	cr_assert_eq(alloc_remap_addr(3), REMAP_START);
	cr_assert_eq(alloc_remap_addr(0), REMAP_START + 3 * PAGE_SIZE);
	cr_assert_eq(alloc_remap_addr(1), REMAP_START + 3 * PAGE_SIZE);
	cr_assert_eq(cv.core.next_remap_ptr, REMAP_START + 4 * PAGE_SIZE);
	bs_expect_running();
}

Test(boot_ops, alloc_remap_addr_last_page_refused)
{
	/* The spec's test is remap + size < REMAP_END, strictly. */
	u64 pages = REMAP_SIZE / PAGE_SIZE;

	cr_assert_eq(alloc_remap_addr(pages - 1), REMAP_START);
	bs_expect_running();
	cr_assert_eq(alloc_remap_addr(1), 0);
	bs_expect_halt("alloc_remap_addr", "overflow");
	cr_assert_eq(cv.core.next_remap_ptr, REMAP_END - PAGE_SIZE);
}

Test(boot_ops, alloc_remap_addr_bad_count_panics)
{
	cr_assert_eq(alloc_remap_addr(KVM_GFN_SPACE), 0);
	bs_expect_halt("alloc_remap_addr", "out of range");
	cr_assert_eq(cv.core.next_remap_ptr, REMAP_START);
}

Test(boot_ops, alloc_remap_addr_halted_noop)
{
	bs_halt();
	cr_assert_eq(alloc_remap_addr(1), 0);
	cr_assert_eq(cv.core.next_remap_ptr, REMAP_START);
}

/* ---- register_kvm ------------------------------------------------------- */

Test(boot_ops, register_kvm_makes_ready_vms)
{
	for (u32 i = 1; i <= 3; i++) {
		cr_assert_eq(register_kvm(), i);
		cr_assert_eq(cv_hosted_vm_state(i), READY);
		cr_assert_eq(cv.vminfos[i].kvm,
			     cv.shared_base + CV_SHARED_KVM_OFFSET(i));
	}
	bs_expect_running();
}

Test(boot_ops, register_kvm_out_of_vmids_panics)
{
	for (u32 i = 1; i < COREVISOR; i++)
		cr_assert_eq(register_kvm(), i);
	cr_assert_eq(register_kvm(), 0);
	bs_expect_halt("gen_vmid", "vmids used");
}

Test(boot_ops, register_kvm_used_vmid_panics)
{
	cv.vminfos[1].state = POWEROFF;
	cr_assert_eq(register_kvm(), 0);
	bs_expect_halt("register_kvm", "vm 1 state 4");
	cr_assert_eq(cv.vminfos[1].kvm, 0);
}

Test(boot_ops, register_kvm_halted_noop)
{
	bs_halt();
	cr_assert_eq(register_kvm(), 0);
	cr_assert_eq(cv.core.next_vmid, 1);
	cr_assert_eq(cv.vminfos[1].state, UNUSED);
}

/* ---- register_vcpu ------------------------------------------------------ */

Test(boot_ops, register_vcpu_readies_vcpu)
{
	u32 vmid = register_kvm();

	shadow_ctxt(vmid, 3)->regs[DIRTY] = 0;
	register_vcpu(vmid, 3);
	bs_expect_running();
	cr_assert_eq(cv_hosted_vcpu_state(vmid, 3), READY);
	cr_assert_eq(cv_hosted_vcpu_state(vmid, 2), UNUSED);
	cr_assert_eq(cv.vminfos[vmid].vcpu[3],
		     cv.shared_base + CV_SHARED_VCPU_OFFSET(vmid, 3));
	cr_assert_eq(shadow_ctxt(vmid, 3)->regs[DIRTY], INVALID64);
}

Test(boot_ops, register_vcpu_twice_panics)
{
	u32 vmid = register_kvm();

	register_vcpu(vmid, 0);
	register_vcpu(vmid, 0);
	bs_expect_halt("register_vcpu", "vcpu 0 state 2");
}

Test(boot_ops, register_vcpu_vm_not_ready_panics)
{
	register_vcpu(1, 0); /* VM 1 was never registered */
	bs_expect_halt("register_vcpu", "vm 1 state 0");
	cr_assert_eq(cv.vminfos[1].vcpu_state[0], UNUSED);
}

Test(boot_ops, register_vcpu_verified_vm_panics)
{
	u32 vmid = vm_in(VERIFIED, UNUSED);

	register_vcpu(vmid, 0);
	bs_expect_halt("register_vcpu", "state 3");
	cr_assert_eq(cv.vminfos[vmid].vcpu_state[0], UNUSED);
}

Test(boot_ops, register_vcpu_bad_args_panic)
{
	register_vcpu(1, VCPU_PER_VM);
	bs_expect_halt("register_vcpu", "vcpu 8 out of range");
}

Test(boot_ops, register_vcpu_bad_vmid_panics)
{
	register_vcpu(NUM_PRINCIPALS, 0);
	bs_expect_halt("register_vcpu", "vm 17");
}

Test(boot_ops, register_vcpu_halted_noop)
{
	u32 vmid = register_kvm();

	bs_halt();
	register_vcpu(vmid, 0);
	cr_assert_eq(cv.vminfos[vmid].vcpu_state[0], UNUSED);
}

/* ---- set_vcpu_active / set_vcpu_inactive -------------------------------- */

Test(boot_ops, vcpu_active_inactive_round_trip)
{
	u32 vmid = vm_in(VERIFIED, READY);

	set_vcpu_active(vmid, 0);
	bs_expect_running();
	cr_assert_eq(cv_hosted_vcpu_state(vmid, 0), ACTIVE);
	set_vcpu_inactive(vmid, 0);
	bs_expect_running();
	cr_assert_eq(cv_hosted_vcpu_state(vmid, 0), READY);
}

/*
 * The guest exit path's transitions take no ticket of the VM's info lock
 * (ACTIVE -> READY by compare-and-swap, the power state by one load);
 * READY -> ACTIVE still takes it, once.
 */
Test(boot_ops, exit_transitions_take_no_vm_lock)
{
	u32 vmid = vm_in(VERIFIED, ACTIVE);
	const struct cv_lock *lk = &cv.locks[INFO_ID + vmid];
	u32 next = lk->next;

	cr_assert_eq(get_vm_poweron(vmid), 1);
	set_vcpu_inactive(vmid, 0);
	cr_assert_eq(lk->next, next, "the exit took %u tickets",
		     lk->next - next);
	cr_assert_eq(cv.vminfos[vmid].vcpu_state[0], READY);
	set_vcpu_active(vmid, 0);
	cr_assert_eq(lk->next, next + 1);
	cr_assert_eq(lk->serving, lk->next, "the lock is free again");
	bs_expect_running();
	cr_assert_eq(cv_hosted_vcpu_state(vmid, 0), ACTIVE);
}

Test(boot_ops, vcpu_active_vm_not_verified_panics)
{
	u32 vmid = vm_in(READY, READY);

	set_vcpu_active(vmid, 0);
	bs_expect_halt("set_vcpu_active", "state 2 vcpu 0 state 2");
	cr_assert_eq(cv.vminfos[vmid].vcpu_state[0], READY);
}

Test(boot_ops, vcpu_active_twice_panics)
{
	u32 vmid = vm_in(VERIFIED, READY);

	set_vcpu_active(vmid, 0);
	set_vcpu_active(vmid, 0);
	bs_expect_halt("set_vcpu_active", "vcpu 0 state 5");
}

Test(boot_ops, vcpu_active_unregistered_panics)
{
	u32 vmid = vm_in(VERIFIED, UNUSED);

	set_vcpu_active(vmid, 0);
	bs_expect_halt("set_vcpu_active", "vcpu 0 state 0");
}

Test(boot_ops, vcpu_active_bad_args_panic)
{
	set_vcpu_active(1, 9);
	bs_expect_halt("set_vcpu_active", "vcpu 9");
}

Test(boot_ops, vcpu_inactive_not_active_panics)
{
	u32 vmid = vm_in(VERIFIED, READY);

	set_vcpu_inactive(vmid, 0);
	bs_expect_halt("set_vcpu_inactive", "state 2 not ACTIVE");
	cr_assert_eq(cv.vminfos[vmid].vcpu_state[0], READY);
}

Test(boot_ops, vcpu_inactive_bad_args_panic)
{
	set_vcpu_inactive(40, 0);
	bs_expect_halt("set_vcpu_inactive", "vm 40");
}

Test(boot_ops, vcpu_active_inactive_halted_noop)
{
	u32 vmid = vm_in(VERIFIED, READY);

	cv.vminfos[vmid].vcpu_state[1] = ACTIVE;
	bs_halt();
	set_vcpu_active(vmid, 0);
	set_vcpu_inactive(vmid, 1);
	cr_assert_eq(cv.vminfos[vmid].vcpu_state[0], READY);
	cr_assert_eq(cv.vminfos[vmid].vcpu_state[1], ACTIVE);
}

/* ---- set_boot_info / search_load_info ----------------------------------- */

Test(boot_ops, set_boot_info_records_and_reserves)
{
	u32 vmid = register_kvm();

	cr_assert_eq(set_boot_info(vmid, 0x80000000, 3 * PAGE_SIZE + 1), 0);
	cr_assert_eq(set_boot_info(vmid, 0x90000000, 10), 1);
	bs_expect_running();
	cr_assert_eq(cv.vminfos[vmid].next_load_info, 2);
	cr_assert_eq(cv.vminfos[vmid].load_addr[0], 0x80000000);
	cr_assert_eq(cv.vminfos[vmid].load_size[0], 3 * PAGE_SIZE + 1);
	cr_assert_eq(cv.vminfos[vmid].remap_addr[0], REMAP_START);
	cr_assert_eq(cv.vminfos[vmid].mapped_pages[0], 0);
	/* 3 pages + 1 byte round up to 4 pages of remap area. */
	cr_assert_eq(cv.vminfos[vmid].remap_addr[1],
		     REMAP_START + 4 * PAGE_SIZE);
	cr_assert_eq(cv.core.next_remap_ptr, REMAP_START + 5 * PAGE_SIZE);
}

Test(boot_ops, set_boot_info_full_returns_max)
{
	u32 vmid = register_kvm();

	for (u32 i = 0; i < MAX_LOAD_INFO_NUM; i++)
		cr_assert_eq(set_boot_info(vmid, 0x80000000, PAGE_SIZE), i);
	cr_assert_eq(set_boot_info(vmid, 0x80000000, PAGE_SIZE),
		     MAX_LOAD_INFO_NUM);
	bs_expect_running();
	cr_assert_eq(cv.vminfos[vmid].next_load_info, MAX_LOAD_INFO_NUM);
	cr_assert_eq(cv.core.next_remap_ptr,
		     REMAP_START + MAX_LOAD_INFO_NUM * PAGE_SIZE);
}

Test(boot_ops, set_boot_info_not_ready_panics)
{
	u32 vmid = vm_in(VERIFIED, READY);

	cr_assert_eq(set_boot_info(vmid, 0x80000000, PAGE_SIZE), 0);
	bs_expect_halt("set_boot_info", "state 3 not READY");
	cr_assert_eq(cv.vminfos[vmid].next_load_info, 0);
}

Test(boot_ops, set_boot_info_remap_overflow_panics)
{
	u32 vmid = register_kvm();

	cr_assert_eq(set_boot_info(vmid, 0x80000000, REMAP_SIZE), 0);
	bs_expect_halt("alloc_remap_addr", "overflow");
	cr_assert_eq(cv.core.next_remap_ptr, REMAP_START);
}

/*
 * A Linux VM's images (docs/guest-platform.md, "A Linux guest"): Debian's
 * arm64 kernel Image (33 MB), its initramfs and its device tree are
 * declared to one VM and all fit in the remap area (64 MiB: the spec's 32
 * MiB overflowed at the initramfs).
 */
Test(boot_ops, set_boot_info_linux_images_fit)
{
	u32 vmid = register_kvm();
	const u64 kernel = 32956456, initrd = 989794, dtb = 1665;
	const u64 kernel_pages = (kernel + PAGE_SIZE - 1) / PAGE_SIZE;
	const u64 initrd_pages = (initrd + PAGE_SIZE - 1) / PAGE_SIZE;

	cr_assert_eq(set_boot_info(vmid, 0x40000000, kernel), 0);
	cr_assert_eq(set_boot_info(vmid, 0x42200000, initrd), 1);
	cr_assert_eq(set_boot_info(vmid, 0x42400000, dtb), 2);
	bs_expect_running();
	cr_assert_eq(cv.vminfos[vmid].remap_addr[1],
		     REMAP_START + kernel_pages * PAGE_SIZE);
	cr_assert_eq(cv.vminfos[vmid].remap_addr[2],
		     REMAP_START + (kernel_pages + initrd_pages) * PAGE_SIZE);
	cr_assert_eq(cv.core.next_remap_ptr,
		     REMAP_START +
			     (kernel_pages + initrd_pages + 1) * PAGE_SIZE);
}

Test(boot_ops, set_boot_info_bad_args_panic)
{
	u32 vmid = register_kvm();

	cr_assert_eq(set_boot_info(vmid, KVM_ADDR_SPACE, PAGE_SIZE), 0);
	bs_expect_halt("set_boot_info", "bad args");
	cr_assert_eq(cv.vminfos[vmid].next_load_info, 0);
}

Test(boot_ops, set_boot_info_halted_noop)
{
	u32 vmid = register_kvm();

	bs_halt();
	cr_assert_eq(set_boot_info(vmid, 0x80000000, PAGE_SIZE), 0);
	cr_assert_eq(cv.vminfos[vmid].next_load_info, 0);
}

Test(boot_ops, search_load_info_finds_remap_address)
{
	u32 vmid = register_kvm();

	set_boot_info(vmid, 0x80000000, 2 * PAGE_SIZE); /* remap START */
	set_boot_info(vmid, 0x80001000, 2 * PAGE_SIZE); /* overlaps */
	set_boot_info(vmid, 0x90000000, PAGE_SIZE);
	cr_assert_eq(search_load_info(vmid, 0x80000010), REMAP_START + 0x10);
	/* Covered twice: the last load info wins, as in the spec. */
	cr_assert_eq(search_load_info(vmid, 0x80001010),
		     REMAP_START + 2 * PAGE_SIZE + 0x10);
	cr_assert_eq(search_load_info(vmid, 0x90000fff),
		     REMAP_START + 4 * PAGE_SIZE + 0xfff);
	cr_assert_eq(search_load_info(vmid, 0x90001000), 0);
	cr_assert_eq(search_load_info(vmid, 0x7fffffff), 0);
	cr_assert_eq(search_load_info(2, 0x80000000), 0);
	bs_expect_running();
}

Test(boot_ops, search_load_info_bad_vmid_panics)
{
	cr_assert_eq(search_load_info(NUM_PRINCIPALS, 0), 0);
	bs_expect_halt("search_load_info", "17");
}

Test(boot_ops, search_load_info_halted_noop)
{
	u32 vmid = register_kvm();

	set_boot_info(vmid, 0x80000000, PAGE_SIZE);
	bs_halt();
	cr_assert_eq(search_load_info(vmid, 0x80000000), 0);
}

/* ---- remap_vm_image ----------------------------------------------------- */

Test(boot_ops, remap_maps_pages_in_order)
{
	u32 vmid = register_kvm();
	u64 pa = bs_ram(0x100);

	set_boot_info(vmid, 0x80000000, PAGE_SIZE + 1);
	remap_vm_image(vmid, pa / PAGE_SIZE + 5, 0);
	remap_vm_image(vmid, pa / PAGE_SIZE, 0);
	bs_expect_running();
	cr_assert_eq(cv.vminfos[vmid].mapped_pages[0], 2);
	cr_assert(bs_maps(COREVISOR, REMAP_START, pa + 5 * PAGE_SIZE));
	cr_assert(bs_maps(COREVISOR, REMAP_START + PAGE_SIZE, pa));
	/* The host still owns and maps its page: remapping moves nothing. */
	cr_assert_eq(cv_hosted_page_owner(pa / PAGE_SIZE), HOSTVISOR);

	/* A third page is past the image: ignored. */
	remap_vm_image(vmid, pa / PAGE_SIZE + 9, 0);
	bs_expect_running();
	cr_assert_eq(cv.vminfos[vmid].mapped_pages[0], 2);
	cr_assert(bs_unmapped(COREVISOR, REMAP_START + 2 * PAGE_SIZE));
}

Test(boot_ops, remap_unknown_index_ignored)
{
	u32 vmid = register_kvm();

	set_boot_info(vmid, 0x80000000, PAGE_SIZE);
	remap_vm_image(vmid, bs_ram(0) / PAGE_SIZE, 1);
	bs_expect_running();
	cr_assert_eq(cv.vminfos[vmid].mapped_pages[1], 0);
	cr_assert(bs_unmapped(COREVISOR, REMAP_START + PAGE_SIZE));
	cr_assert(bs_unmapped(COREVISOR, REMAP_START));
}

Test(boot_ops, remap_not_ready_panics)
{
	u32 vmid = register_kvm();

	set_boot_info(vmid, 0x80000000, PAGE_SIZE);
	cv.vminfos[vmid].state = VERIFIED;
	remap_vm_image(vmid, bs_ram(0) / PAGE_SIZE, 0);
	bs_expect_halt("remap_vm_image", "state 3 not READY");
	cr_assert_eq(cv.vminfos[vmid].mapped_pages[0], 0);
	cr_assert(bs_unmapped(COREVISOR, REMAP_START));
}

Test(boot_ops, remap_bad_args_panic)
{
	u32 vmid = register_kvm();

	remap_vm_image(vmid, KVM_PFN_SPACE, 0);
	bs_expect_halt("remap_vm_image", "bad args");
}

Test(boot_ops, remap_bad_index_panics)
{
	u32 vmid = register_kvm();

	remap_vm_image(vmid, bs_ram(0) / PAGE_SIZE, MAX_LOAD_INFO_NUM);
	bs_expect_halt("remap_vm_image", "index 5");
}

Test(boot_ops, remap_non_memory_pfn_panics)
{
	u32 vmid = register_kvm();

	set_boot_info(vmid, 0x80000000, PAGE_SIZE);
	remap_vm_image(vmid, 0x09000, 0); /* a device page, in no region */
	bs_expect_halt("remap_vm_image", "pfn 0x9000 is not memory");
	cr_assert(bs_unmapped(COREVISOR, REMAP_START));
}

Test(boot_ops, remap_halted_noop)
{
	u32 vmid = register_kvm();

	set_boot_info(vmid, 0x80000000, PAGE_SIZE);
	bs_halt();
	remap_vm_image(vmid, bs_ram(0) / PAGE_SIZE, 0);
	cr_assert_eq(cv.vminfos[vmid].mapped_pages[0], 0);
	cr_assert(bs_unmapped(COREVISOR, REMAP_START));
}

/* ---- map_io -------------------------------------------------------------- */

Test(boot_ops, map_io_maps_device_page)
{
	u32 vmid = register_kvm();
	struct cv_translation t;

	map_io(vmid, 0x0a000000, 0x09000000);
	bs_expect_running();
	cr_assert(cv_hosted_translate(vmid, 0x0a000010, &t));
	cr_assert_eq(t.pa, 0x09000010);
	cr_assert_eq(t.pte & (0xfULL << 2), S2_MEMATTR_DEVICE_nGnRE);
}

Test(boot_ops, map_io_of_ram_ignored)
{
	u32 vmid = register_kvm();

	/* A page of a region is no device: map_vm_io leaves it alone. */
	map_io(vmid, 0x0a000000, bs_ram(7));
	bs_expect_running();
	cr_assert(bs_unmapped(vmid, 0x0a000000));
	cr_assert_eq(cv_hosted_page_owner(bs_ram(7) / PAGE_SIZE), HOSTVISOR);
}

Test(boot_ops, map_io_not_ready_panics)
{
	u32 vmid = vm_in(VERIFIED, READY);

	map_io(vmid, 0x0a000000, 0x09000000);
	bs_expect_halt("map_io", "state 3 not READY");
	cr_assert(bs_unmapped(vmid, 0x0a000000));
}

Test(boot_ops, map_io_bad_args_panic)
{
	u32 vmid = register_kvm();

	map_io(vmid, KVM_ADDR_SPACE, 0x09000000);
	bs_expect_halt("map_io", "bad args");
}

Test(boot_ops, map_io_halted_noop)
{
	u32 vmid = register_kvm();

	bs_halt();
	map_io(vmid, 0x0a000000, 0x09000000);
	cr_assert(bs_unmapped(vmid, 0x0a000000));
}

/* ---- is_inc_exe ---------------------------------------------------------- */

Test(boot_ops, is_inc_exe_reads_flag)
{
	u32 vmid = register_kvm();

	cr_assert_eq(is_inc_exe(vmid), 0);
	cv.vminfos[vmid].inc_exe = 1;
	cr_assert_eq(is_inc_exe(vmid), 1);
	bs_expect_running();
}

Test(boot_ops, is_inc_exe_bad_vmid_panics)
{
	cr_assert_eq(is_inc_exe(18), 0);
	bs_expect_halt("is_inc_exe", "18");
}

Test(boot_ops, is_inc_exe_halted_noop)
{
	u32 vmid = register_kvm();

	cv.vminfos[vmid].inc_exe = 1;
	bs_halt();
	cr_assert_eq(is_inc_exe(vmid), 0);
}

/* ---- get_shared_kvm / get_shared_vcpu ------------------------------------ */

Test(boot_ops, shared_slots_are_disjoint_pages_of_the_area)
{
	u64 base = cv.shared_base;

	cr_assert_eq(get_shared_kvm(0), base);
	cr_assert_eq(get_shared_kvm(COREVISOR), base + 16 * PAGE_SIZE);
	cr_assert_eq(get_shared_vcpu(0, 0), base + 17 * PAGE_SIZE);
	cr_assert_eq(get_shared_vcpu(COREVISOR, VCPU_PER_VM - 1),
		     base + CV_SHARED_BYTES - PAGE_SIZE);
	get_shared_vcpu(1, VCPU_PER_VM);
	bs_expect_halt("get_shared_vcpu", "vcpu 8");
}

Test(boot_ops, shared_kvm_bad_vmid_panics)
{
	cr_assert_eq(get_shared_kvm(17), 0);
	bs_expect_halt("get_shared_kvm", "17");
}

/* ---- cv_boot: the memory map against the core's remap window -------------
 */

/*
 * The booted machine's parameters with one more RAM region below the
 * others, [@base, +@size), booted again. (The machine's own, as booted
 * first: cv_boot starts from scratch.)
 */
static int boot_with_region(uint64_t base, uint64_t size)
{
	static struct cv_boot_params first, p;

	if (!first.nregions) {
		first.nregions = cv.region_cnt;
		for (u32 i = 0; i < cv.region_cnt; i++) {
			first.regions[i].base = cv.regions[i].base;
			first.regions[i].size = cv.regions[i].size;
		}
		first.reserved_base = cv.reserved_base;
		first.reserved_size = cv.reserved_size;
		first.shared_base = cv.shared_base;
	}
	p = first;
	p.nregions = first.nregions + 1;
	p.regions[0].base = base;
	p.regions[0].size = size;
	memcpy(&p.regions[1], first.regions,
	       first.nregions * sizeof(first.regions[0]));
	return cv_boot(&p);
}

/*
 * Issue 13, item 12: RAM in REMAP_START..REMAP_END would put host pages
 * (REMAP_VM_IMAGE) over the core's own mapping of that RAM: refused.
 */
Test(boot_ops, cv_boot_refuses_ram_in_the_remap_window)
{
	cr_assert_eq(boot_with_region(REMAP_START, PMD_SIZE), -1);
	cr_assert_eq(boot_with_region(REMAP_END - PMD_SIZE, PMD_SIZE), -1);
	cr_assert_eq(boot_with_region(REMAP_START - PMD_SIZE, 2 * PMD_SIZE), -1,
		     "straddling its start");
	cr_assert_eq(boot_with_region(REMAP_END - PMD_SIZE, 2 * PMD_SIZE), -1,
		     "straddling its end");
	cr_assert_eq(boot_with_region(0, REMAP_END + PMD_SIZE), -1,
		     "around it");
}

Test(boot_ops, cv_boot_takes_ram_next_to_the_remap_window)
{
	cr_assert_eq(boot_with_region(REMAP_START - PMD_SIZE, PMD_SIZE), 0);
	cr_assert_eq(boot_with_region(REMAP_END, PMD_SIZE), 0);
	bs_expect_running();
}

/* ---- vCPU power (vmpower.c): where a vCPU starts -------------------------
 */

Test(boot_ops, cpu_on_records_a_start_for_an_off_vcpu)
{
	u32 vmid = vm_in(VERIFIED, READY);
	u64 pc = 0, x0 = 0;

	cv.vminfos[vmid].vcpu_state[2] = READY;
	cr_assert_eq(vcpu_power_on(vmid, 0x80000002ULL, 0x1000, 7), 2);
	cr_assert_eq(cv.vminfos[vmid].vcpu_power[2], VCPU_ON_PENDING);
	/* The latest request counts until it starts. */
	cr_assert_eq(vcpu_power_on(vmid, 2, 0x2000, 8), 2);
	cr_assert(vcpu_take_start(vmid, 2, &pc, &x0));
	cr_assert_eq(pc, 0x2000);
	cr_assert_eq(x0, 8);
	cr_assert_eq(cv.vminfos[vmid].vcpu_power[2], VCPU_ON);
	/* Started: a CPU_ON naming it changes nothing; nor one naming none. */
	cr_assert_eq(vcpu_power_on(vmid, 2, 0x3000, 9), INVALID);
	cr_assert_eq(vcpu_power_on(vmid, 3, 0x3000, 9), INVALID);
	cr_assert_not(vcpu_take_start(vmid, 3, &pc, &x0));
	vcpu_power_off(vmid, 2);
	cr_assert_eq(cv.vminfos[vmid].vcpu_power[2], VCPU_OFF);
	cr_assert_not(vcpu_take_start(vmid, 2, &pc, &x0));
	cr_assert_eq(pc, 0x2000, "nothing taken");
	bs_expect_running();
}

Test(boot_ops, vcpu_power_on_not_a_vm_panics)
{
	cr_assert_eq(vcpu_power_on(COREVISOR, 0, 0, 0), INVALID);
	bs_expect_halt("vcpu_power_on", "vmid 16 is not a VM");
}

Test(boot_ops, vcpu_power_off_out_of_range_panics)
{
	vcpu_power_off(1, VCPU_PER_VM);
	bs_expect_halt("vcpu_power_off", "vm 1 vcpu 8 out of range");
}

Test(boot_ops, vcpu_take_start_out_of_range_panics)
{
	u64 pc, x0;

	cr_assert_not(vcpu_take_start(HOSTVISOR, 0, &pc, &x0));
	bs_expect_halt("vcpu_take_start", "vm 0 vcpu 0 out of range");
}

Test(boot_ops, vcpu_power_halted_noops)
{
	u32 vmid = vm_in(VERIFIED, READY);
	u64 pc = 1, x0 = 1;

	cv.vminfos[vmid].vcpu_power[0] = VCPU_ON_PENDING;
	bs_halt();
	cr_assert_eq(vcpu_power_on(vmid, 0, 0x1000, 7), INVALID);
	vcpu_power_off(vmid, 0);
	cr_assert_not(vcpu_take_start(vmid, 0, &pc, &x0));
	cr_assert_eq(cv.vminfos[vmid].vcpu_power[0], VCPU_ON_PENDING);
	cr_assert_eq(pc, 1);
}
