// SPDX-License-Identifier: MIT
/*
 * VM lifecycle (docs/spec-deviations.md, "VM lifecycle"): DESTROY_VM and
 * the reuse of vmids and remap space. Each test asserts on what the host
 * and the hardware would see: page owners and contents, the VM's
 * translations and TLB entries, SMMU banks, VM state, return codes and
 * halt reasons; the invariants (vm_free, remap_cons among them) after
 * each step.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include <corevisor/abi.h>
#include <cv/boot.h>
#include <cv/inv.h>
#include <cv/mem.h>
#include <cv/pt.h>
#include <cv/pte.h>
#include <cv/spt.h>
#include <cv/vcpu.h>
#include <cv/state.h>

#include "boot_support.h"
#include "vm_support.h"

static struct vs_script script;

static void setup(void)
{
	vs_boot();
	memset(&script, 0, sizeof(script));
}

TestSuite(lifecycle, .init = setup);

static uint64_t destroy(uint32_t vmid, uint64_t flags)
{
	return bs_hvc(HVC_DESTROY_VM, vmid, flags, 0, 0, 0);
}

/* The pfns of RAM VM @vmid owns (at most @max), and how many. */
static size_t owned_pages(uint32_t vmid, uint64_t *pfns, size_t max)
{
	uint64_t lo = cv_hosted_ram_base() / PAGE_SIZE;
	uint64_t hi = lo + cv_hosted_ram_size() / PAGE_SIZE;
	size_t n = 0;

	for (uint64_t p = lo; p < hi; p++)
		if (cv_hosted_page_owner(p) == vmid && n < max)
			pfns[n++] = p;
	return n;
}

static bool page_zero(uint64_t pfn)
{
	const uint8_t *b = cv_hosted_phys(pfn * PAGE_SIZE);

	for (size_t i = 0; i < PAGE_SIZE; i++)
		if (b[i])
			return false;
	return true;
}

static bool page_nonzero(uint64_t pfn)
{
	return !page_zero(pfn);
}

/* A verified VM whose vCPU 0 ran once (stores to its RAM, then WFI). */
static uint32_t ran_vm(uint64_t ram_pa)
{
	uint32_t vm = vs_new_vm(2, 0);
	uint8_t buf[PAGE_SIZE];

	bs_pattern(buf, sizeof(buf), 3);
	bs_host_write(ram_pa, buf, sizeof(buf));
	script.ops[0] = (struct vs_op){OP_MOV, 0x5ec7e7, 0, 1, 0};
	script.ops[1] = (struct vs_op){OP_STORE, VS_RAM_IPA + 0x10, 8, 1, 0};
	script.ops[2] = (struct vs_op){OP_LOAD, VS_IMAGE_IPA, 8, 2, 0};
	script.ops[3] = (struct vs_op){OP_WFI, 0, 0, 0, 0};
	vs_set_script(vm, &script);
	vs_set_entry(vm, 0, VS_PC(0), VS_PSTATE, 0);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_MEM_FAULT);
	vs_answer_fault(vm, 0, VS_RAM_IPA, ram_pa, 3);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	bs_expect_running();
	cr_assert_eq(cv_hosted_page_owner(ram_pa / PAGE_SIZE), vm);
	vs_inv();
	return vm;
}

Test(lifecycle, destroy_gives_every_page_back_zeroed)
{
	uint64_t ram = bs_ram(0x200), pfns[64];
	uint32_t vm = ran_vm(ram);
	size_t n = owned_pages(vm, pfns, 64);

	cr_assert_gt(n, 3, "the VM owns its image and RAM pages");
	for (size_t i = 0; i < n; i++)
		cr_assert(page_nonzero(pfns[i]) || pfns[i] != ram / PAGE_SIZE);
	set_vm_poweroff(vm);
	cr_assert_eq(destroy(vm, 0), CV_DESTROY_OK);
	bs_expect_running();
	vs_inv();
	for (size_t i = 0; i < n; i++) {
		cr_assert_eq(cv_hosted_page_owner(pfns[i]), HOSTVISOR);
		cr_assert_eq(cv_hosted_page_count(pfns[i]), 0);
		cr_assert(page_zero(pfns[i]), "pfn 0x%llx not zeroed",
			  (unsigned long long)pfns[i]);
		/* and the host can map it again */
		cr_assert(cv_hosted_host_write(pfns[i] * PAGE_SIZE, "h", 1));
	}
	cr_assert_eq(cv_hosted_vm_state(vm), UNUSED);
	cr_assert(bs_unmapped(vm, VS_IMAGE_IPA));
	cr_assert(bs_unmapped(vm, VS_RAM_IPA));
}

Test(lifecycle, destroy_flushes_the_vmids_tlb_entries)
{
	struct cv_translation t;
	uint32_t vm = ran_vm(bs_ram(0x200));
	uint32_t cpu = cv_hosted_cpu();

	if (!cv_hosted_tlb_enabled())
		cr_skip_test("TLB model off");
	cr_assert(cv_hosted_tlb_lookup(cpu, vm, VS_RAM_IPA, &t),
		  "the run left a TLB entry (else this test proves nothing)");
	set_vm_poweroff(vm);
	cr_assert_eq(destroy(vm, 0), CV_DESTROY_OK);
	cr_assert_not(cv_hosted_tlb_lookup(cpu, vm, VS_RAM_IPA, &t));
	cr_assert_not(cv_hosted_tlb_lookup(cpu, vm, VS_IMAGE_IPA, &t));
}

Test(lifecycle, destroy_wipes_contexts_and_run_state)
{
	uint32_t vm = ran_vm(bs_ram(0x200));
	struct cv_vcpu_run run;

	cr_assert_eq(vs_shadow(vm, 0, X1), 0x5ec7e7);
	set_vm_poweroff(vm);
	cr_assert_eq(destroy(vm, 0), CV_DESTROY_OK);
	for (uint32_t v = 0; v < VCPU_PER_VM; v++) {
		const struct cv_ctxt *c = shadow_ctxt(vm, v);

		for (uint32_t r = 0; r < CTXT_REG_NUM; r++)
			cr_assert_eq(c->regs[r], 0, "vcpu %u reg %u", v, r);
		cr_assert_null(cv.run_slots[ctxt_id(vm, v)].run);
		cr_assert_eq(cv_hosted_vcpu_state(vm, v), UNUSED);
	}
	vs_get_run(vm, 0, &run);
	cr_assert_eq(run.esr, 0);
	cr_assert_eq(run.fault_ipa, 0);
	vs_inv();
}

Test(lifecycle, forced_destroy_of_a_verified_vm)
{
	uint32_t vm = ran_vm(bs_ram(0x200));

	cr_assert_eq(destroy(vm, CV_DESTROY_FORCE), CV_DESTROY_OK);
	bs_expect_running();
	cr_assert_eq(cv_hosted_vm_state(vm), UNUSED);
	cr_assert_eq(cv_hosted_page_owner(bs_ram(0x200) / PAGE_SIZE),
		     HOSTVISOR);
	vs_inv();
}

Test(lifecycle, destroy_of_a_ready_vm_frees_its_remap_space)
{
	uint32_t vm = bs_new_vm(1);

	cr_assert_eq(
		bs_hvc(HVC_SET_BOOT_INFO, vm, 0x80000000, REMAP_SIZE / 2, 0, 0),
		0);
	cr_assert_eq(cv.core.next_remap_ptr, REMAP_START + REMAP_SIZE / 2);
	cr_assert_eq(destroy(vm, CV_DESTROY_FORCE), CV_DESTROY_OK);
	cr_assert_eq(cv.core.next_remap_ptr, REMAP_START);
	vs_inv();
}

/* ---- refusals ------------------------------------------------------------ */

Test(lifecycle, destroy_of_a_running_vm_refused_even_forced)
{
	uint32_t vm = ran_vm(bs_ram(0x200));

	set_vcpu_active(vm, 1); /* what VCPU_RUN on another CPU does */
	bs_expect_running();
	cr_assert_eq(destroy(vm, CV_DESTROY_FORCE), CV_DESTROY_RUNNING);
	cr_assert_eq(cv_hosted_vm_state(vm), VERIFIED, "nothing changed");
	cr_assert_eq(cv_hosted_page_owner(bs_ram(0x200) / PAGE_SIZE), vm);
	cr_assert(bs_maps(vm, VS_RAM_IPA, bs_ram(0x200)));
	set_vm_poweroff(vm);
	cr_assert_eq(destroy(vm, 0), CV_DESTROY_RUNNING);
	set_vcpu_inactive(vm, 1);
	cr_assert_eq(destroy(vm, 0), CV_DESTROY_OK);
	vs_inv();
}

Test(lifecycle, destroy_of_a_vm_not_powered_off_refused)
{
	uint32_t vm = ran_vm(bs_ram(0x200));

	cr_assert_eq(destroy(vm, 0), CV_DESTROY_NOT_OFF);
	bs_expect_running();
	cr_assert_eq(cv_hosted_vm_state(vm), VERIFIED);
	cr_assert(bs_maps(vm, VS_RAM_IPA, bs_ram(0x200)));
	cr_assert_neq(vs_run(vm, 0), CV_EXIT_POWERED_OFF, "the VM still runs");
	bs_expect_running();
	vs_inv();
}

Test(lifecycle, destroy_of_a_free_vmid_refused)
{
	uint32_t vm = bs_new_vm(1);

	cr_assert_eq(destroy(vm + 1, 0), CV_DESTROY_NO_VM);
	cr_assert_eq(destroy(vm, CV_DESTROY_FORCE), CV_DESTROY_OK);
	cr_assert_eq(destroy(vm, CV_DESTROY_FORCE), CV_DESTROY_NO_VM);
	bs_expect_running();
	cr_assert_eq(cv.core.next_vmid, vm);
	vs_inv();
}

Test(lifecycle, destroy_bad_vmid_panics)
{
	destroy(HOSTVISOR, 0);
	bs_expect_halt("host_hvc", "DESTROY_VM bad args 0x0");
}

Test(lifecycle, destroy_corevisor_panics)
{
	destroy(COREVISOR, CV_DESTROY_FORCE);
	bs_expect_halt("host_hvc", "DESTROY_VM bad args 0x10");
}

Test(lifecycle, destroy_bad_flags_panics)
{
	uint32_t vm = bs_new_vm(1);

	destroy(vm, 2);
	bs_expect_halt("host_hvc", "DESTROY_VM bad args 0x1 0x2");
}

Test(lifecycle, destroy_vm_direct_bad_args_panics)
{
	destroy_vm(0, 0);
	bs_expect_halt("destroy_vm", "bad args vm 0 flags 0x0");
}

/* Calls naming a destroyed vmid: a clear refusal, never a hang. */
Test(lifecycle, run_of_a_destroyed_vm_panics_with_its_state)
{
	uint32_t vm = ran_vm(bs_ram(0x200));

	cr_assert_eq(destroy(vm, CV_DESTROY_FORCE), CV_DESTROY_OK);
	bs_hvc(HVC_VCPU_RUN, vm, 0, 0, 0, 0);
	bs_expect_halt("set_vcpu_active", "state 0");
}

Test(lifecycle, boot_calls_on_a_destroyed_vm_panic)
{
	uint32_t vm = bs_new_vm(1);

	cr_assert_eq(destroy(vm, CV_DESTROY_FORCE), CV_DESTROY_OK);
	bs_hvc(HVC_SET_BOOT_INFO, vm, 0x80000000, PAGE_SIZE, 0, 0);
	bs_expect_halt("set_boot_info", "state 0 not READY");
}

Test(lifecycle, register_vcpu_on_a_destroyed_vm_panics)
{
	uint32_t vm = bs_new_vm(1);

	cr_assert_eq(destroy(vm, CV_DESTROY_FORCE), CV_DESTROY_OK);
	bs_hvc(HVC_REGISTER_VCPU, vm, 0, 0, 0, 0);
	bs_expect_halt("register_vcpu", "state 0");
}

Test(lifecycle, clear_range_of_a_destroyed_vm_does_nothing)
{
	uint32_t vm = ran_vm(bs_ram(0x200)), vm2;

	cr_assert_eq(destroy(vm, CV_DESTROY_FORCE), CV_DESTROY_OK);
	vm2 = ran_vm(bs_ram(0x300));
	cr_assert_eq(vm2, vm, "the vmid is reused");
	/* A stale reclaim for the old VM must not take the new VM's pages. */
	bs_hvc(HVC_CLEAR_VM_S2_RANGE, vm, cv_hosted_ram_base(),
	       cv_hosted_ram_size(), 0, 0);
	bs_expect_running();
	cr_assert_eq(cv_hosted_page_owner(bs_ram(0x300) / PAGE_SIZE), vm2);
	vs_inv();
}

/* ---- reuse --------------------------------------------------------------- */

Test(lifecycle, vmids_are_reused_past_fifteen)
{
	uint32_t vms[MAX_VM_NUM];

	for (uint32_t i = 0; i < MAX_VM_NUM; i++)
		vms[i] = bs_new_vm(1);
	cr_assert_eq(cv.core.next_vmid, COREVISOR);
	cr_assert_eq(destroy(vms[6], CV_DESTROY_FORCE), CV_DESTROY_OK);
	cr_assert_eq(destroy(vms[2], CV_DESTROY_FORCE), CV_DESTROY_OK);
	vs_inv();
	cr_assert_eq(bs_new_vm(1), vms[2], "lowest free vmid first");
	cr_assert_eq(bs_new_vm(1), vms[6]);
	cr_assert_eq(cv.core.next_vmid, COREVISOR);
	vs_inv();
	bs_hvc(HVC_REGISTER_KVM, 0, 0, 0, 0, 0);
	bs_expect_halt("gen_vmid", "all 15 vmids used");
}

Test(lifecycle, a_reused_vmid_sees_nothing_of_its_predecessor)
{
	uint64_t old_ram = bs_ram(0x200);
	uint32_t vm = ran_vm(old_ram), vm2;
	u32 old_lineage = cv.vminfos[vm].lineage;
	uint8_t old_instance[CV_INSTANCE_BYTES];

	memcpy(old_instance, cv.lineages[old_lineage].instance,
	       sizeof(old_instance));
	cr_assert_eq(destroy(vm, CV_DESTROY_FORCE), CV_DESTROY_OK);
	vm2 = vs_new_vm(2, 1);
	cr_assert_eq(vm2, vm);
	/* Its table: none of the old mappings. */
	cr_assert(bs_unmapped(vm2, VS_RAM_IPA));
	cr_assert_not(bs_maps(vm2, VS_IMAGE_IPA, vs_image_pa(0)));
	/* Its contexts: the old vCPU's registers are gone. */
	cr_assert_eq(vs_shadow(vm2, 0, X1), 0);
	/* Its sealed-state binding: a new instance. */
	cr_assert_neq(cv.vminfos[vm2].lineage, 0);
	cr_assert_neq(memcmp(cv.lineages[cv.vminfos[vm2].lineage].instance,
			     old_instance, sizeof(old_instance)),
		      0);
	cr_assert(cv.lineages[old_lineage].retired ||
		  cv.vminfos[vm2].lineage == old_lineage);
	vs_inv();
}

Test(lifecycle, smmu_banks_of_a_destroyed_vm_are_freed_and_empty)
{
	uint32_t vm = bs_new_vm(1);
	uint64_t pa = bs_ram(0x300), gfn = 0x80020;
	struct cv_translation t;
	const uint32_t idx = 0, cb = 1;

	cr_assert_gt(cv.smmu_conf[idx].context_banks, cb);
	bs_hvc(HVC_SMMU_ALLOC_PGD, cb, vm, idx, 0, 0);
	bs_expect_running();
	cr_assert_eq(cv.smmu_vmid[smmu_id(idx, cb)], vm);
	assign_smmu(vm, pa / PAGE_SIZE, gfn);
	map_smmu(vm, cb, idx, gfn * PAGE_SIZE, pa | PAGE_S2_RAM);
	bs_expect_running();
	cr_assert(cv_hosted_smmu_translate(idx, cb, gfn * PAGE_SIZE, &t) &&
		  t.valid && t.pa == pa);
	cr_assert_eq(destroy(vm, CV_DESTROY_FORCE), CV_DESTROY_OK);
	cr_assert_eq(cv.smmu_vmid[smmu_id(idx, cb)], INVALID);
	cr_assert(!cv_hosted_smmu_translate(idx, cb, gfn * PAGE_SIZE, &t) ||
		  !t.valid);
	cr_assert_eq(cv_hosted_page_owner(pa / PAGE_SIZE), HOSTVISOR);
	cr_assert(page_zero(pa / PAGE_SIZE));
	vs_inv();
}

Test(lifecycle, the_remap_area_is_recycled)
{
	/* 5 x 12 MiB of images: more than the 32 MiB area holds at once. */
	for (int i = 0; i < 5; i++) {
		uint32_t vm = bs_new_vm(1);

		cr_assert_eq(bs_hvc(HVC_SET_BOOT_INFO, vm, 0x80000000,
				    12ULL << 20, 0, 0),
			     0);
		bs_expect_running();
		cr_assert_eq(destroy(vm, CV_DESTROY_FORCE), CV_DESTROY_OK);
		vs_inv();
	}
	cr_assert_eq(cv.core.next_remap_ptr, REMAP_START);
}

Test(lifecycle, remap_first_fit_fills_a_freed_hole)
{
	uint32_t a = bs_new_vm(1), b = bs_new_vm(1), c;

	bs_hvc(HVC_SET_BOOT_INFO, a, 0x80000000, 4 * PAGE_SIZE, 0, 0);
	bs_hvc(HVC_SET_BOOT_INFO, b, 0x80000000, 4 * PAGE_SIZE, 0, 0);
	cr_assert_eq(destroy(a, CV_DESTROY_FORCE), CV_DESTROY_OK);
	cr_assert_eq(cv.core.next_remap_ptr, REMAP_START);
	c = bs_new_vm(1);
	bs_hvc(HVC_SET_BOOT_INFO, c, 0x80000000, 6 * PAGE_SIZE, 0, 0);
	/* 6 pages do not fit the 4-page hole: after b's. */
	cr_assert_eq(cv.vminfos[c].remap_addr[0], REMAP_START + 8 * PAGE_SIZE);
	bs_hvc(HVC_SET_BOOT_INFO, c, 0x80400000, 3 * PAGE_SIZE, 0, 0);
	cr_assert_eq(cv.vminfos[c].remap_addr[1], REMAP_START);
	bs_expect_running();
	vs_inv();
}

Test(lifecycle, many_vms_started_and_destroyed)
{
	for (int i = 0; i < 40; i++) {
		uint32_t vm = ran_vm(bs_ram(0x200 + (uint64_t)i));

		cr_assert_eq(vm, 1, "round %d", i);
		set_vm_poweroff(vm);
		cr_assert_eq(destroy(vm, 0), CV_DESTROY_OK);
		bs_expect_running();
		vs_inv();
	}
}

/* ---- the invariants catch what destroy must not leave ------------------ */

Test(lifecycle, vm_free_flags_a_page_left_to_a_free_vmid)
{
	uint32_t vm = ran_vm(bs_ram(0x200));
	char why[256];

	cr_assert_eq(destroy(vm, CV_DESTROY_FORCE), CV_DESTROY_OK);
	cv.s2page[get_s2_page_index(bs_ram(0x200))].owner = vm;
	cr_assert_eq(check_invariant("vm_free", why, sizeof(why)), 1);
	cr_assert(strstr(why, "owned by free vm"), "%s", why);
}

Test(lifecycle, vm_free_flags_a_table_left_to_a_free_vmid)
{
	uint32_t vm = bs_new_vm(1);
	char why[256];

	map_io(vm, 0x9000000, 0x9000000);
	bs_expect_running();
	/* Everything of the VM gone but its table. */
	memset(&cv.vminfos[vm], 0, sizeof(cv.vminfos[vm]));
	cv.core.vmid_used &= ~(1U << vm);
	cv.core.next_vmid = vm;
	memset(shadow_ctxt(vm, 0), 0, sizeof(struct cv_ctxt));
	cr_assert_eq(check_invariant("vm_free", why, sizeof(why)), 1);
	cr_assert(strstr(why, "stage-2 table"), "%s", why);
}

Test(lifecycle, remap_cons_flags_a_leaked_remap_page)
{
	uint32_t vm = bs_new_vm(1);
	char why[256];

	bs_hvc(HVC_SET_BOOT_INFO, vm, 0x80000000, 2 * PAGE_SIZE, 0, 0);
	cv.core.remap_used[0] |= 1ULL << 5;
	cr_assert_eq(check_invariant("remap_cons", why, sizeof(why)), 1);
	cr_assert(strstr(why, "remap page 5"), "%s", why);
}

/* ---- The lifecycle's own checks: every panic site ---------------------- */

Test(lifecycle, free_vmid_of_a_non_vm_panics)
{
	free_vmid(COREVISOR);
	bs_expect_halt("free_vmid", "vmid 16 is not a VM");
}

Test(lifecycle, free_remap_outside_the_area_panics)
{
	free_remap_addr(REMAP_END, 1);
	bs_expect_halt("free_remap_addr", "is not remap space");
}

Test(lifecycle, free_remap_of_a_free_page_panics)
{
	free_remap_addr(REMAP_START + PAGE_SIZE, 1);
	bs_expect_halt("free_remap_addr", "page 0x2001000 is not allocated");
}

Test(lifecycle, reset_npt_of_the_host_panics)
{
	reset_npt(HOSTVISOR);
	bs_expect_halt("reset_npt", "vmid 0 is not a VM");
}

Test(lifecycle, reset_npt_with_a_corrupt_cursor_panics)
{
	uint32_t vm = bs_new_vm(1);

	cv.npts[vm].pud_next = cv.npts[vm].pool; /* below its area */
	reset_npt(vm);
	bs_expect_halt("reset_npt", "outside its area");
}

Test(lifecycle, unmap_core_remap_page_outside_the_area_panics)
{
	unmap_core_remap_page(REMAP_START - PAGE_SIZE);
	bs_expect_halt("unmap_core_remap_page", "is not a remap page");
}

Test(lifecycle, unmap_core_remap_block_panics)
{
	map_s2pt(COREVISOR, REMAP_START, 2, bs_ram(0) | PAGE_S2_RAM_BLOCK);
	bs_expect_running();
	unmap_core_remap_page(REMAP_START + PAGE_SIZE);
	bs_expect_halt("unmap_core_remap_page", "mapped at level 2");
}

Test(lifecycle, vcpu_wipe_out_of_range_panics)
{
	vcpu_wipe(1, VCPU_PER_VM);
	bs_expect_halt("vcpu_wipe", "vm 1 vcpu 8 out of range");
}

Test(lifecycle, reclaim_vm_pages_of_the_core_panics)
{
	reclaim_vm_pages(COREVISOR);
	bs_expect_halt("reclaim_vm_pages", "vmid 16 is not a VM");
}

Test(lifecycle, lineage_slots_all_taken_panics)
{
	uint32_t vm = vs_new_vm_unverified(1, 0);

	/* Corruption only: 15 VMs hold at most 15, and vm holds none. */
	for (uint32_t i = 1; i < COREVISOR; i++)
		cv.lineages[i].holder = COREVISOR;
	bs_hvc(HVC_VERIFY_VM_IMAGES, vm, 0, 0, 0, 0);
	bs_expect_halt("lineage_new", "no free lineage slot");
}

Test(lifecycle, a_destroyed_vms_lineage_slot_is_reused_oldest_first)
{
	uint32_t vm;

	/* 15 retired lineages fill every slot; a new VM takes the oldest. */
	for (uint32_t i = 0; i < MAX_VM_NUM; i++) {
		vm = vs_new_vm(1, 0);
		cr_assert_eq(destroy(vm, CV_DESTROY_FORCE), CV_DESTROY_OK);
	}
	for (uint32_t i = 1; i < COREVISOR; i++)
		cr_assert(cv.lineages[i].retired && !cv.lineages[i].holder);
	vm = vs_new_vm(1, 0);
	cr_assert_eq(cv.vminfos[vm].lineage, 1, "slot 1 retired first");
	cr_assert_eq(cv.lineages[1].holder, vm);
	cr_assert_not(cv.lineages[1].retired);
	vs_inv();
}

Test(lifecycle, smmu_free_list_corruption_panics)
{
	cv.spt.pgd_free = cv.spt.pool; /* a root, not a level-2 table */
	cv.spt.pgd_nfree = 1;
	map_spt(0, 0, 0x1000, bs_ram(1) | PAGE_S2_RAM);
	bs_expect_halt("alloc_smmu_pgd_page", "free list entry");
}

Test(lifecycle, smmu_clear_of_a_corrupt_root_panics)
{
	u64 *root = cv_hosted_phys(smmu_ttbr(0, 0));

	root[0] = cv.spt.pool | 3; /* a "table" outside the level-2 area */
	init_spt(0, 0);
	bs_expect_halt("clear_smmu_pt", "outside its SMMU area");
}

Test(lifecycle, restore_with_every_lineage_slot_taken_panics)
{
	uint64_t ram = bs_ram(0x200), out = bs_ram(0x400);
	uint32_t a = ran_vm(ram), b;

	save_encrypt_buf(a, ram, out);
	bs_expect_running();
	set_vm_poweroff(a);
	b = bs_new_vm(1);
	/* Corruption only: 15 slots held by no VM, none of them the blob's. */
	for (uint32_t i = 1; i < COREVISOR; i++) {
		memset(&cv.lineages[i], 0, sizeof(cv.lineages[i]));
		cv.lineages[i].holder = COREVISOR;
	}
	load_decrypt_buf(b, out);
	bs_expect_halt("load_decrypt_buf", "no free lineage slot");
}
