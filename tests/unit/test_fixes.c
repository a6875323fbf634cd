// SPDX-License-Identifier: MIT
/*
 * The two core bugs tests/fuzz found (fuzz_hvc.c's former known issues
 * 1 and 2), fixed:
 *
 *  1. A powered-off VM's SMMU context banks kept mapping its pages after
 *     CLEAR_VM_S2_RANGE gave them back to the host (clear_vm_page), so its
 *     device could DMA into the host's data, or into another VM's once
 *     the host handed the pages on; check_invariants did not see it (the
 *     spec's smmu_iso leaves powered-off VMs out). clear_vm_page now takes
 *     each page out of every bank of the VM first (with the SMMU TLB
 *     flush), and smmu_iso covers every VM's banks.
 *  2. A guest's SHARE/UNSHARE (grant/revoke_stage2_sg_gpa) walked its
 *     range a page at a time: up to 2^36 walks at EL2. The walk now skips
 *     an empty level-0/1/2 entry's whole span (s2pt_hole_end), with the
 *     spec's result on every page the VM maps.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>
#include <time.h>

#include <corevisor/abi.h>
#include <cv/boot.h>
#include <cv/inv.h>
#include <cv/lock.h>
#include <cv/mem.h>
#include <cv/panic.h>
#include <cv/pt.h>
#include <cv/pte.h>
#include <cv/smmu.h>
#include <cv/spt.h>
#include <cv/state.h>
#include <cv/vcpu.h>

#include "boot_support.h"
#include "vm_support.h"

TestSuite(fixes, .init = bs_boot);

#define IDX 0U
#define GFN 0x80020ULL
#define IOVA (GFN * PAGE_SIZE)
#define PROT (S2_MEMATTR_NORMAL_WB | S2AP_RW | PTE_TYPE_TABLE)
#define CBAR(n) (ARM_SMMU_GR1_BASE + 4ULL * (n))
#define CB(n) (SMMU_GLOBAL_BASE + (u64)(n)*PAGE_SIZE)
#define GiB (1ULL << 30)

static char why[256];

static void inv_ok(void)
{
	cr_assert_eq(check_invariants(why, sizeof(why)), 0, "violated: %s",
		     why);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- 1: a dead VM's device and the pages it gave back ------------------ */

static bool host_store(u64 off, u32 len, u64 val)
{
	return cv_hosted_host_write(cv_hosted_smmu_base(IDX) + off, &val, len);
}

/* The host brings bank @cbndx of SMMU 0 up for @vmid, as its driver does. */
static void vm_bank(u32 cbndx, u32 vmid)
{
	cr_assert_eq(bs_hvc(HVC_SMMU_ALLOC_PGD, cbndx, vmid, IDX, 0, 0), 0);
	cr_assert(host_store(CBAR(cbndx), 4, vmid));
	cr_assert(host_store(CB(cbndx) + ARM_SMMU_CB_TTBR0, 8, 0));
	cr_assert(host_store(CB(cbndx) + ARM_SMMU_CB_SCTLR, 4, 1));
	bs_expect_running();
}

static void lpae_map(u64 iova, u64 pa, u32 cbndx)
{
	cr_assert_eq(bs_hvc(HVC_SMMU_LPAE_MAP, iova, pa, PROT, cbndx, IDX), 0);
	bs_expect_running();
}

static bool dma_read(u32 index, u32 cbndx, u64 iova, void *buf, u64 len)
{
	return cv_hosted_dma_read(index, cbndx, iova, buf, len, NULL);
}

static bool dma_write(u32 index, u32 cbndx, u64 iova, const void *buf, u64 len)
{
	return cv_hosted_dma_write(index, cbndx, iova, buf, len, NULL);
}

static bool smmu_tlb_has(u32 index, u32 cbndx, u64 iova)
{
	struct cv_translation t;

	return cv_hosted_smmu_tlb_lookup(index, cbndx, iova, &t);
}

static void clear_range(u32 vmid, u64 pa, u64 size)
{
	cr_assert_eq(bs_hvc(HVC_CLEAR_VM_S2_RANGE, vmid, pa, size, 0, 0), 0);
	bs_expect_running();
}

/* fuzz reproducer dma-after-poweroff, step by step. */
Test(fixes, dead_vms_device_loses_the_pages_it_gave_back)
{
	u32 vm1 = bs_new_vm(1), vm2;
	u64 pa = bs_ram(0x300);
	u8 buf[16], secret[16] = "host's secret!", data[16] = "vm 2's data....";

	cr_assert(cv_hosted_host_write(pa, "device data", 12));
	vm_bank(2, vm1);
	lpae_map(IOVA, pa, 2);
	cr_assert(dma_read(IDX, 2, IOVA, buf, 12)); /* fills the SMMU TLB */
	cr_assert_str_eq((char *)buf, "device data");
	cr_assert(smmu_tlb_has(IDX, 2, IOVA));
	inv_ok();

	set_vm_poweroff(vm1);
	inv_ok();
	/* The device still works until the pages go back. */
	cr_assert(dma_read(IDX, 2, IOVA, buf, 1));
	clear_range(vm1, pa, PAGE_SIZE);
	cr_assert_eq(cv_hosted_page_owner(pa / PAGE_SIZE), HOSTVISOR);
	cr_assert_eq(cv_hosted_page_count(pa / PAGE_SIZE), 0);
	cr_assert_eq(((u8 *)cv_hosted_phys(pa))[0], 0, "not scrubbed");
	/* The bank is still the dead VM's, but maps nothing any more. */
	cr_assert_eq(cv.smmu_vmid[smmu_id(IDX, 2)], vm1);
	cr_assert_not(smmu_tlb_has(IDX, 2, IOVA), "stale SMMU TLB entry");
	cr_assert_eq(walk_spt(2, IDX, IOVA), 0);
	cr_assert_not(dma_read(IDX, 2, IOVA, buf, 1));
	inv_ok();

	/* The host uses the page: the dead VM's device sees none of it. */
	cr_assert(cv_hosted_host_write(pa, secret, sizeof(secret)));
	cr_assert_not(dma_read(IDX, 2, IOVA, buf, 1));
	cr_assert_not(dma_write(IDX, 2, IOVA, "x", 1));
	cr_assert_eq(memcmp(cv_hosted_phys(pa), secret, sizeof(secret)), 0);

	/* The host hands it to another VM's device: still out of reach. */
	vm2 = bs_new_vm(1);
	vm_bank(3, vm2);
	lpae_map(IOVA, pa, 3);
	cr_assert_eq(cv_hosted_page_owner(pa / PAGE_SIZE), vm2);
	cr_assert(dma_write(IDX, 3, IOVA, data, sizeof(data)));
	cr_assert_not(dma_read(IDX, 2, IOVA, buf, 1));
	cr_assert_not(dma_write(IDX, 2, IOVA, "x", 1));
	cr_assert_eq(memcmp(cv_hosted_phys(pa), data, sizeof(data)), 0);
	bs_expect_running();
	inv_ok();
}

/* Every bank of the VM, on both SMMUs; other VMs' banks keep theirs. */
Test(fixes, every_bank_of_the_dead_vm_and_only_its_own)
{
	u32 vm1 = bs_new_vm(1), vm2 = bs_new_vm(1);
	u64 pa = bs_ram(0x300), pa2 = bs_ram(0x301), other = bs_ram(0x302);
	u8 b;

	vm_bank(1, vm1);
	vm_bank(2, vm1);
	lpae_map(IOVA, pa, 1);
	lpae_map(IOVA, pa, 2);
	lpae_map(IOVA + PAGE_SIZE, pa2, 2);
	/* A bank of SMMU 1, as MmioOps would set it up. */
	cv.smmu_vmid[smmu_id(1, 5)] = vm1;
	alloc_smmu(vm1, 5, 1);
	map_smmu(vm1, 5, 1, IOVA, pa | PAGE_S2_RAM);
	/* VM 2's device, at the same IOVA. */
	vm_bank(3, vm2);
	lpae_map(IOVA, other, 3);
	bs_expect_running();
	cr_assert(dma_read(IDX, 1, IOVA, &b, 1));
	cr_assert(dma_read(IDX, 2, IOVA, &b, 1));
	cr_assert(dma_read(1, 5, IOVA, &b, 1));
	inv_ok();

	set_vm_poweroff(vm1);
	set_vm_poweroff(vm2);
	/* The range holds VM 2's page too: clear_vm_page leaves it alone. */
	clear_range(vm1, pa, 3 * PAGE_SIZE);
	cr_assert_eq(cv_hosted_page_owner(pa / PAGE_SIZE), HOSTVISOR);
	cr_assert_eq(cv_hosted_page_owner(pa2 / PAGE_SIZE), HOSTVISOR);
	cr_assert_eq(cv_hosted_page_owner(other / PAGE_SIZE), vm2);
	cr_assert_not(dma_read(IDX, 1, IOVA, &b, 1));
	cr_assert_not(dma_read(IDX, 2, IOVA, &b, 1));
	cr_assert_not(dma_read(IDX, 2, IOVA + PAGE_SIZE, &b, 1));
	cr_assert_not(dma_read(1, 5, IOVA, &b, 1));
	cr_assert(dma_read(IDX, 3, IOVA, &b, 1), "vm 2's device lost its page");
	inv_ok();
	/* VM 2's turn. */
	clear_range(vm2, other, PAGE_SIZE);
	cr_assert_not(dma_read(IDX, 3, IOVA, &b, 1));
	inv_ok();
}

/*
 * A bank's leaf at the page's gfn may map another page of the VM (two of
 * its pages assigned at one gfn, the later mapping replaced the earlier):
 * only a leaf that maps the page itself goes.
 */
Test(fixes, only_the_leaf_mapping_the_page_goes)
{
	u32 vm = bs_new_vm(1);
	u64 pa1 = bs_ram(0x300), pa2 = bs_ram(0x301);
	u8 b;

	vm_bank(2, vm);
	lpae_map(IOVA, pa1, 2);
	lpae_map(IOVA, pa2, 2); /* replaces the leaf; pa1 stays the VM's */
	cr_assert_eq(cv_hosted_page_owner(pa1 / PAGE_SIZE), vm);
	cr_assert_eq(cv_hosted_page_gfn(pa1 / PAGE_SIZE), GFN);
	set_vm_poweroff(vm);
	clear_range(vm, pa1, PAGE_SIZE);
	cr_assert_eq(cv_hosted_page_owner(pa1 / PAGE_SIZE), HOSTVISOR);
	cr_assert_eq(phys_page(walk_spt(2, IDX, IOVA)), pa2);
	cr_assert(dma_read(IDX, 2, IOVA, &b, 1));
	inv_ok();
	clear_range(vm, pa2, PAGE_SIZE);
	cr_assert_eq(walk_spt(2, IDX, IOVA), 0);
	cr_assert_not(dma_read(IDX, 2, IOVA, &b, 1));
	inv_ok();
}

/* A page at a gfn no SMMU can reach (iova beyond 40 bits) goes back too. */
Test(fixes, page_beyond_the_smmus_reach_goes_back)
{
	u32 vm = bs_new_vm(1);
	u64 pa = bs_ram(0x300), gpa = 1ULL << 44;

	vm_bank(2, vm);
	cr_assert(cv_hosted_host_write(pa, "x", 1));
	prot_and_map_vm_s2pt(vm, gpa, pa, 3);
	bs_expect_running();
	cr_assert_eq(cv_hosted_page_gfn(pa / PAGE_SIZE), gpa / PAGE_SIZE);
	set_vm_poweroff(vm);
	clear_range(vm, pa, PAGE_SIZE);
	cr_assert_eq(cv_hosted_page_owner(pa / PAGE_SIZE), HOSTVISOR);
	inv_ok();
}

/* Before power-off nothing moves, the device keeps its page. */
Test(fixes, live_vms_pages_and_device_stay)
{
	u32 vm = bs_new_vm(1);
	u64 pa = bs_ram(0x300);
	u8 b;

	vm_bank(2, vm);
	lpae_map(IOVA, pa, 2);
	clear_range(vm, pa, PAGE_SIZE);
	cr_assert_eq(cv_hosted_page_owner(pa / PAGE_SIZE), vm);
	cr_assert(dma_read(IDX, 2, IOVA, &b, 1));
	inv_ok();
}

/*
 * The state the bug left behind, made by hand (the page handed back the
 * spec's way, the bank untouched): smmu_iso now reports it.
 */
Test(fixes, smmu_iso_flags_a_dead_vms_bank_mapping_a_host_page)
{
	u32 vm = bs_new_vm(1);
	u64 pa = bs_ram(0x300), pfn = pa / PAGE_SIZE;

	vm_bank(2, vm);
	lpae_map(IOVA, pa, 2);
	set_vm_poweroff(vm);
	inv_ok();
	acquire_lock_s2page();
	set_pfn_owner(pfn, HOSTVISOR);
	set_pfn_count(pfn, 0);
	set_pfn_map(pfn, INVALID64);
	release_lock_s2page();
	cr_assert_eq(check_invariants(why, sizeof(why)), 1);
	cr_assert(strstr(why, "smmu_iso: smmu 0 context bank 2 of vm 1 maps "
			      "iova 0x80020000"),
		  "%s", why);
	cr_assert_eq(check_invariant("smmu_iso", why, sizeof(why)), 1);
}

Test(fixes, clear_vm_page_halted_is_a_noop)
{
	u32 vm = bs_new_vm(1);
	u64 pa = bs_ram(0x300);
	struct cv_translation t;

	vm_bank(2, vm);
	lpae_map(IOVA, pa, 2);
	set_vm_poweroff(vm);
	bs_halt();
	clear_vm_page(vm, pa / PAGE_SIZE);
	cr_assert_eq(cv_hosted_page_owner(pa / PAGE_SIZE), vm);
	cr_assert(cv_hosted_smmu_translate(IDX, 2, IOVA, &t));
	cr_assert_eq(t.pa, pa);
}

/* ---- 2: a guest's SHARE/UNSHARE of a huge range ------------------------ */

#define VM_PAGE(n) (bs_ram(0x1000 + (n)))

/* Map host page @pa at @gpa in @vm (level 3), or the 2 MiB block there. */
static void vm_map(u32 vm, u64 gpa, u64 pa, u32 level)
{
	prot_and_map_vm_s2pt(vm, gpa, pa, level);
	bs_expect_running();
}

static u32 count(u64 pa)
{
	return cv_hosted_page_count(pa / PAGE_SIZE);
}

/*
 * A VM whose stage 2 maps pages in far-apart places: the first page, the
 * last page below a 512 GiB and a 1 GiB boundary, a 2 MiB block, a page
 * after an empty 2 MiB entry, the last page below 2^47 and the first one
 * above it.
 */
static const struct {
	u64 gpa;
	u32 level;
} layout[] = {
	{0x0, 3},
	{0x7fffffe000ULL, 3},	       /* 512 GiB - 8 KiB */
	{0x80200000ULL, 3},	       /* after an empty 2 MiB entry */
	{0x3040000000ULL, 2},	       /* a block */
	{(1ULL << 47) - PAGE_SIZE, 3}, /* last page of [0, 2^47) */
	{1ULL << 47, 3},	       /* first page past it */
};
#define NLAYOUT (sizeof(layout) / sizeof(layout[0]))
#define BLOCK_PA (bs_ram(0x2000)) /* 2 MiB aligned */

static u64 layout_pa(u32 i)
{
	return layout[i].level == 2 ? BLOCK_PA : VM_PAGE(i);
}

static u32 layout_vm(void)
{
	u32 vm = bs_new_vm(1);

	cr_assert_eq(BLOCK_PA % PMD_SIZE, 0);
	for (u32 i = 0; i < NLAYOUT; i++)
		vm_map(vm, layout[i].gpa, layout_pa(i), layout[i].level);
	inv_ok();
	return vm;
}

/* Every page of entry @i has count @c. */
static void expect_layout_count(u32 i, u32 c)
{
	u64 n = layout[i].level == 2 ? PTRS_PER_PMD : 1;

	for (u64 k = 0; k < n; k++)
		cr_assert_eq(count(layout_pa(i) + k * PAGE_SIZE), c,
			     "gpa 0x%llx page %llu count %u, want %u",
			     (unsigned long long)layout[i].gpa,
			     (unsigned long long)k,
			     count(layout_pa(i) + k * PAGE_SIZE), c);
}

Test(fixes, share_of_2_47_bytes_is_quick_and_exact)
{
	u32 vm = layout_vm();
	double t0, t1;
	u64 v;

	t0 = now();
	grant_stage2_sg_gpa(vm, 0, 1ULL << 47);
	t1 = now();
	bs_expect_running();
	cr_assert_lt(t1 - t0, 2.0, "grant took %.2f s", t1 - t0);
	for (u32 i = 0; i < NLAYOUT; i++)
		expect_layout_count(i, layout[i].gpa < (1ULL << 47) ? 1 : 0);
	cr_assert(cv_hosted_host_read(VM_PAGE(1), &v, sizeof(v)), "granted");
	inv_ok();

	t0 = now();
	revoke_stage2_sg_gpa(vm, 0, 1ULL << 47);
	t1 = now();
	bs_expect_running();
	cr_assert_lt(t1 - t0, 2.0, "revoke took %.2f s", t1 - t0);
	for (u32 i = 0; i < NLAYOUT; i++)
		expect_layout_count(i, 0);
	cr_assert(bs_unmapped(HOSTVISOR, VM_PAGE(1)), "revoked");
	inv_ok();
	/* The largest range there is: up to the last page below 2^48. */
	grant_stage2_sg_gpa(vm, 0, KVM_ADDR_SPACE - PAGE_SIZE + 1);
	bs_expect_running();
	for (u32 i = 0; i < NLAYOUT; i++)
		expect_layout_count(i, 1);
	inv_ok();
}

/*
 * The spec's loop (grant_stage2_loop), as the reference: the pfn each
 * step addr + i * PAGE_SIZE would grant, counted per pfn of the layout.
 */
static void spec_grants(u32 vm, u64 addr, u64 size, u32 *want)
{
	u64 num = (size + PAGE_SIZE - 1) / PAGE_SIZE, a, pte, pfn;
	u32 level;

	for (u64 i = 0; i < num; i++) {
		a = addr + i * PAGE_SIZE;
		pte = walk_s2pt(vm, a);
		level = get_level_s2pt(vm, a);
		if (phys_page(pte) == 0)
			continue;
		pfn = phys_page(pte) / PAGE_SIZE;
		if (level == 2)
			pfn += (a / PAGE_SIZE) & 511;
		for (u32 j = 0; j < NLAYOUT; j++) {
			u64 lo = layout_pa(j) / PAGE_SIZE;
			u64 n = layout[j].level == 2 ? PTRS_PER_PMD : 1;

			if (pfn >= lo && pfn < lo + n)
				want[j * PTRS_PER_PMD + (pfn - lo)]++;
		}
	}
}

struct sg_case {
	u64 addr, size;
};

/*
 * Ranges the skipping walk could get wrong: unaligned starts, ends one
 * byte short of or into a mapped page right after a hole, a part of a
 * block, holes of every level inside the range.
 */
static struct sg_case sg_cases[] = {
	{0x80000800ULL, PMD_SIZE},	  /* ends in the hole */
	{0x80000800ULL, PMD_SIZE + 1},	  /* one step into 0x80200000 */
	{0x801ff000ULL, 2 * PAGE_SIZE},	  /* hole page, mapped page */
	{0x7fc0000fffULL, GiB},		  /* 1 GiB hole, page, root hole */
	{0x7ffffff001ULL, 0x40000000ULL}, /* from the last page on */
	{0x3040001234ULL, 0x5000},	  /* inside the block */
	{0x303ff00800ULL, PMD_SIZE},	  /* into the block, unaligned */
	{0x0, 3 * GiB},			  /* 0, holes, 0x80200000 */
	{(1ULL << 47) - 2 * PAGE_SIZE + 7, 3 * PAGE_SIZE}, /* around 2^47 */
};

ParameterizedTestParameters(fixes, share_grants_what_the_spec_grants)
{
	return cr_make_param_array(struct sg_case, sg_cases,
				   sizeof(sg_cases) / sizeof(sg_cases[0]));
}

ParameterizedTest(struct sg_case *c, fixes, share_grants_what_the_spec_grants)
{
	static u32 want[NLAYOUT * PTRS_PER_PMD];
	u32 vm = layout_vm();

	memset(want, 0, sizeof(want));
	spec_grants(vm, c->addr, c->size, want);
	grant_stage2_sg_gpa(vm, c->addr, c->size);
	bs_expect_running();
	for (u32 j = 0; j < NLAYOUT; j++) {
		u64 n = layout[j].level == 2 ? PTRS_PER_PMD : 1;

		for (u64 k = 0; k < n; k++)
			cr_assert_eq(
				count(layout_pa(j) + k * PAGE_SIZE),
				want[j * PTRS_PER_PMD + k],
				"range 0x%llx+0x%llx: gpa 0x%llx page %llu",
				(unsigned long long)c->addr,
				(unsigned long long)c->size,
				(unsigned long long)layout[j].gpa,
				(unsigned long long)k);
	}
	inv_ok();
	/* Revoking the same range undoes exactly that. */
	revoke_stage2_sg_gpa(vm, c->addr, c->size);
	bs_expect_running();
	for (u32 j = 0; j < NLAYOUT; j++)
		expect_layout_count(j, 0);
	inv_ok();
}

/* The guest's own hypercall, as fuzz reproducer guest-share-huge. */
static struct vs_script script;

Test(fixes, guest_share_of_2_47_bytes_returns_quickly)
{
	u32 vm = vs_new_vm(1, 0);
	u64 img = vs_image_pa(0);
	double t0, t1;

	vs_set_script(vm, &script);
	vs_set_entry(vm, 0, VS_PC(0), VS_PSTATE, 0);
	script.ops[0] = (struct vs_op){OP_MOV, CV_GUEST_HVC_SHARE, 0, 0, 0};
	script.ops[1] = (struct vs_op){OP_MOV, 0, 0, 2, 0};
	script.ops[2] = (struct vs_op){OP_MOV, 1ULL << 47, 0, 3, 0};
	script.ops[3] = (struct vs_op){OP_HVC, 0, 0, 0, 0};
	script.ops[4] = (struct vs_op){OP_SNAP, 0, 0, 0, 0};
	script.ops[5] = (struct vs_op){OP_WFI, 0, 0, 0, 0};
	script.ops[6] = (struct vs_op){OP_MOV, CV_GUEST_HVC_UNSHARE, 0, 0, 0};
	script.ops[7] = (struct vs_op){OP_HVC, 0, 0, 0, 0};
	script.ops[8] = (struct vs_op){OP_WFI, 0, 0, 0, 0};
	t0 = now();
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	t1 = now();
	cr_assert_lt(t1 - t0, 2.0, "share took %.2f s", t1 - t0);
	cr_assert_eq(script.snaps[0].x[0], 0);
	/* The image's 2 MiB block: every page shared once. */
	for (u64 k = 0; k < PTRS_PER_PMD; k++)
		cr_assert_eq(count(img + k * PAGE_SIZE), 1, "page %llu",
			     (unsigned long long)k);
	vs_inv();
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	for (u64 k = 0; k < PTRS_PER_PMD; k++)
		cr_assert_eq(count(img + k * PAGE_SIZE), 0);
	vs_inv();
}

/* ---- s2pt_hole_end ------------------------------------------------------ */

Test(fixes, s2pt_hole_end_spans)
{
	u32 vm = bs_new_vm(1);

	/* An empty table: the root entry's 512 GiB. */
	cr_assert_eq(s2pt_hole_end(vm, 0x1234), 1ULL << 39);
	cr_assert_eq(s2pt_hole_end(vm, KVM_ADDR_SPACE - 1), KVM_ADDR_SPACE);
	vm_map(vm, 0x80200000ULL, VM_PAGE(0), 3);
	vm_map(vm, 0x3040000000ULL, BLOCK_PA, 2);
	/* Root entry 0 now links a table: a level-1 hole of 1 GiB. */
	cr_assert_eq(s2pt_hole_end(vm, 0x1234), GiB);
	/* A level-2 hole of 2 MiB, right before the mapped page's table. */
	cr_assert_eq(s2pt_hole_end(vm, 0x80000800ULL), 0x80200000ULL);
	/* Covered by a level-2 entry (table or block): no hole. */
	cr_assert_eq(s2pt_hole_end(vm, 0x80205678ULL), 0x80205678ULL);
	cr_assert_eq(s2pt_hole_end(vm, 0x80200000ULL), 0x80200000ULL);
	cr_assert_eq(s2pt_hole_end(vm, 0x30400ff000ULL), 0x30400ff000ULL);
	/* The next 512 GiB are empty again. */
	cr_assert_eq(s2pt_hole_end(vm, 0x8000000000ULL), 0x10000000000ULL);
	bs_expect_running();
}

Test(fixes, s2pt_hole_end_bad_vmid_panics)
{
	cr_assert_eq(s2pt_hole_end(COREVISOR + 1, 0), 0);
	bs_expect_halt("s2pt_hole_end", "vmid 17 out of range");
}

Test(fixes, s2pt_hole_end_addr_beyond_48_bits_panics)
{
	cr_assert_eq(s2pt_hole_end(1, KVM_ADDR_SPACE), 0);
	bs_expect_halt("s2pt_hole_end", "addr 0x1000000000000 beyond 48 bits");
}

Test(fixes, s2pt_hole_end_halted_returns_0)
{
	bs_halt();
	cr_assert_eq(s2pt_hole_end(1, 0x1234), 0);
}

/* ---- walk_s2pt_level ----------------------------------------------------- */

/* The one-walk lookup agrees with walk_s2pt + get_level_s2pt everywhere. */
Test(fixes, walk_s2pt_level_matches_the_two_walks)
{
	static const u64 addrs[] = {0x1234,	     0x80200000ULL,
				    0x80201000ULL,   0x3040000000ULL,
				    0x30400ff000ULL, 0x8000000000ULL};
	u32 vm = bs_new_vm(1), level;

	vm_map(vm, 0x80200000ULL, VM_PAGE(0), 3);
	vm_map(vm, 0x3040000000ULL, BLOCK_PA, 2);
	for (u32 i = 0; i < ARRAY_SIZE(addrs); i++) {
		u64 pte = walk_s2pt_level(vm, addrs[i], &level);

		cr_assert_eq(pte, walk_s2pt(vm, addrs[i]), "addr %#llx",
			     (unsigned long long)addrs[i]);
		cr_assert_eq(level, get_level_s2pt(vm, addrs[i]), "addr %#llx",
			     (unsigned long long)addrs[i]);
	}
	walk_s2pt_level(vm, 0x80200000ULL, &level);
	cr_assert_eq(level, 3);
	walk_s2pt_level(vm, 0x30400ff000ULL, &level);
	cr_assert_eq(level, 2);
	walk_s2pt_level(vm, 0x80201000ULL, &level);
	cr_assert_eq(level, 0);
	bs_expect_running();
}

Test(fixes, walk_s2pt_level_bad_vmid_panics)
{
	u32 level = 7;

	cr_assert_eq(walk_s2pt_level(COREVISOR + 1, 0, &level), 0);
	cr_assert_eq(level, 0);
	bs_expect_halt("walk_s2pt_level", "vmid 17 out of range");
}

Test(fixes, walk_s2pt_level_halted_returns_0)
{
	u32 level = 7;

	bs_halt();
	cr_assert_eq(walk_s2pt_level(1, 0x1234, &level), 0);
	cr_assert_eq(level, 0);
}
