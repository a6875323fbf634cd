// SPDX-License-Identifier: MIT
/*
 * core/boot, the SMMU calls of BootOps: alloc_smmu, assign_smmu, map_smmu,
 * clear_smmu. A VM's DMA mappings are set up while it boots and frozen
 * once it is VERIFIED (each _spec0 panics then); the host's (vmid 0) are
 * never frozen. Mappings are checked as the SMMU walks them.
 */
#include <criterion/criterion.h>

#include <cv/boot.h>
#include <cv/panic.h>
#include <cv/pte.h>
#include <cv/state.h>

#include "boot_support.h"

TestSuite(boot_smmu, .init = bs_boot);

#define IDX 1U
#define CB 3U
#define GFN 0x80020ULL

static bool smmu_maps(uint64_t iova, uint64_t pa)
{
	struct cv_translation t;

	return cv_hosted_smmu_translate(IDX, CB, iova, &t) && t.valid &&
	       t.pa == pa;
}

static bool smmu_unmapped(uint64_t iova)
{
	struct cv_translation t;

	return !cv_hosted_smmu_translate(IDX, CB, iova, &t) || !t.valid;
}

/* VM @vmid's device maps its page @pa at iova GFN. */
static void dma_map(uint32_t vmid, uint64_t pa)
{
	assign_smmu(vmid, pa / PAGE_SIZE, GFN);
	map_smmu(vmid, CB, IDX, GFN * PAGE_SIZE, pa | PAGE_S2_RAM);
	bs_expect_running();
}

Test(boot_smmu, assign_gives_host_page_to_vm)
{
	uint32_t vmid = bs_new_vm(1);
	uint64_t pa = bs_ram(0x300);

	cr_assert(cv_hosted_host_write(pa, "x", 1)); /* host maps it */
	assign_smmu(vmid, pa / PAGE_SIZE, GFN);
	bs_expect_running();
	cr_assert_eq(cv_hosted_page_owner(pa / PAGE_SIZE), vmid);
	cr_assert_eq(cv_hosted_page_gfn(pa / PAGE_SIZE), GFN);
	cr_assert(bs_unmapped(HOSTVISOR, pa));
}

Test(boot_smmu, assign_for_host_is_noop)
{
	uint64_t pa = bs_ram(0x300);

	assign_smmu(HOSTVISOR, pa / PAGE_SIZE, GFN);
	bs_expect_running();
	cr_assert_eq(cv_hosted_page_owner(pa / PAGE_SIZE), HOSTVISOR);
}

Test(boot_smmu, assign_other_vms_page_panics)
{
	uint32_t vm1 = bs_new_vm(1), vm2 = bs_new_vm(1);
	uint64_t pa = bs_ram(0x300);

	assign_smmu(vm1, pa / PAGE_SIZE, GFN);
	assign_smmu(vm2, pa / PAGE_SIZE, GFN);
	bs_expect_halt("assign_pfn_to_smmu", "owned by 1");
}

Test(boot_smmu, assign_verified_vm_panics)
{
	uint32_t vmid = bs_new_vm(1);
	uint64_t pa = bs_ram(0x300);

	verify_and_load_images(vmid);
	assign_smmu(vmid, pa / PAGE_SIZE, GFN);
	bs_expect_halt("assign_smmu", "vm 1 is VERIFIED");
	cr_assert_eq(cv_hosted_page_owner(pa / PAGE_SIZE), HOSTVISOR);
}

Test(boot_smmu, assign_bad_args_panic)
{
	assign_smmu(1, KVM_PFN_SPACE, GFN);
	bs_expect_halt("assign_smmu", "bad args");
}

Test(boot_smmu, assign_bad_vmid_panics)
{
	assign_smmu(NUM_PRINCIPALS, 0x40300, GFN);
	bs_expect_halt("assign_smmu", "vm 17");
}

Test(boot_smmu, assign_halted_noop)
{
	uint32_t vmid = bs_new_vm(1);
	uint64_t pa = bs_ram(0x300);

	bs_halt();
	assign_smmu(vmid, pa / PAGE_SIZE, GFN);
	cr_assert_eq(cv_hosted_page_owner(pa / PAGE_SIZE), HOSTVISOR);
}

Test(boot_smmu, map_and_clear)
{
	uint32_t vmid = bs_new_vm(1);
	uint64_t pa = bs_ram(0x300);

	dma_map(vmid, pa);
	cr_assert(smmu_maps(GFN * PAGE_SIZE + 8, pa + 8));
	clear_smmu(vmid, CB, IDX, GFN * PAGE_SIZE);
	bs_expect_running();
	cr_assert(smmu_unmapped(GFN * PAGE_SIZE));
	cr_assert_eq(cv_hosted_page_owner(pa / PAGE_SIZE), vmid);
}

Test(boot_smmu, map_page_not_assigned_panics)
{
	uint32_t vmid = bs_new_vm(1);
	uint64_t pa = bs_ram(0x300);

	map_smmu(vmid, CB, IDX, GFN * PAGE_SIZE, pa | PAGE_S2_RAM);
	bs_expect_halt("update_smmu_page", "owned by 0");
	cr_assert(smmu_unmapped(GFN * PAGE_SIZE));
}

Test(boot_smmu, map_verified_vm_panics)
{
	uint32_t vmid = bs_new_vm(1);
	uint64_t pa = bs_ram(0x300);

	assign_smmu(vmid, pa / PAGE_SIZE, GFN);
	verify_and_load_images(vmid);
	map_smmu(vmid, CB, IDX, GFN * PAGE_SIZE, pa | PAGE_S2_RAM);
	bs_expect_halt("map_smmu", "vm 1 is VERIFIED");
	cr_assert(smmu_unmapped(GFN * PAGE_SIZE));
}

Test(boot_smmu, map_bad_args_panic)
{
	map_smmu(1, CB, SMMU_NUM, 0, 0);
	bs_expect_halt("map_smmu", "bad args vm 1 cbndx 3 index 2");
}

Test(boot_smmu, map_bad_iova_panics)
{
	map_smmu(1, CB, IDX, 1ULL << 40, 0);
	bs_expect_halt("map_smmu", "iova 0x10000000000");
}

Test(boot_smmu, map_halted_noop)
{
	uint32_t vmid = bs_new_vm(1);
	uint64_t pa = bs_ram(0x300);

	assign_smmu(vmid, pa / PAGE_SIZE, GFN);
	bs_halt();
	map_smmu(vmid, CB, IDX, GFN * PAGE_SIZE, pa | PAGE_S2_RAM);
	cr_assert(smmu_unmapped(GFN * PAGE_SIZE));
}

Test(boot_smmu, clear_verified_vm_panics)
{
	uint32_t vmid = bs_new_vm(1);

	dma_map(vmid, bs_ram(0x300));
	verify_and_load_images(vmid);
	clear_smmu(vmid, CB, IDX, GFN * PAGE_SIZE);
	bs_expect_halt("clear_smmu", "vm 1 is VERIFIED");
	cr_assert(smmu_maps(GFN * PAGE_SIZE, bs_ram(0x300)));
}

Test(boot_smmu, clear_for_host_allowed)
{
	/* The host's own calls are never frozen; nothing mapped: no-op. */
	clear_smmu(HOSTVISOR, CB, IDX, GFN * PAGE_SIZE);
	bs_expect_running();
}

Test(boot_smmu, clear_bad_args_panic)
{
	clear_smmu(1, SMMU_NUM_CTXT_BANKS, IDX, 0);
	bs_expect_halt("clear_smmu", "cbndx 8");
}

Test(boot_smmu, clear_halted_noop)
{
	uint32_t vmid = bs_new_vm(1);

	dma_map(vmid, bs_ram(0x300));
	bs_halt();
	clear_smmu(vmid, CB, IDX, GFN * PAGE_SIZE);
	cr_assert(smmu_maps(GFN * PAGE_SIZE, bs_ram(0x300)));
}

Test(boot_smmu, alloc_empties_the_table)
{
	uint32_t vmid = bs_new_vm(1);

	dma_map(vmid, bs_ram(0x300));
	alloc_smmu(vmid, CB, IDX);
	bs_expect_running();
	cr_assert(smmu_unmapped(GFN * PAGE_SIZE));
}

Test(boot_smmu, alloc_for_host_allowed)
{
	alloc_smmu(HOSTVISOR, CB, IDX);
	bs_expect_running();
	cr_assert(smmu_unmapped(0));
}

Test(boot_smmu, alloc_verified_vm_panics)
{
	uint32_t vmid = bs_new_vm(1);

	dma_map(vmid, bs_ram(0x300));
	verify_and_load_images(vmid);
	alloc_smmu(vmid, CB, IDX);
	bs_expect_halt("alloc_smmu", "vm 1 is VERIFIED");
	cr_assert(smmu_maps(GFN * PAGE_SIZE, bs_ram(0x300)));
}

Test(boot_smmu, alloc_bad_args_panic)
{
	alloc_smmu(1, CB, 7);
	bs_expect_halt("alloc_smmu", "index 7");
}

Test(boot_smmu, alloc_halted_noop)
{
	uint32_t vmid = bs_new_vm(1);

	dma_map(vmid, bs_ram(0x300));
	bs_halt();
	alloc_smmu(vmid, CB, IDX);
	cr_assert(smmu_maps(GFN * PAGE_SIZE, bs_ram(0x300)));
}
