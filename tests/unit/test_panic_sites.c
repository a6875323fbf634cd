// SPDX-License-Identifier: MIT
/*
 * The core's "not memory" and range checks that no ordinary call sequence
 * reaches (issue 4: every panic branch is reached at least once), each
 * driven through the real code path with the state that triggers it:
 *
 *  - a "ghost" region: boot parameters that declare a RAM region the
 *    machine does not have (firmware describing memory that is not
 *    there). The core lays s2page entries over it and the host owns its
 *    pages, but arch_phys_to_virt() finds no backing. Sealing into it
 *    (encrypt_mem_buf via save_encrypt_buf), opening a blob in it
 *    (load_decrypt_buf) and scrubbing it (cv_zero_page via clear_vm_range)
 *    must each fail-stop instead of touching a NULL page;
 *  - a corrupted stage-2 pool base (cv.npts[vm].pool): init_npt checks
 *    the pool is memory at boot and the field is read-only after it, so
 *    only corruption reaches alloc_page's "not memory" check. The test
 *    stands for the defensive check, not for a reachable host action;
 *  - vm_exit_handler's own range check: its one caller,
 *    host_vcpu_run_handler, has restore_vm check vmid and vcpuid first, so
 *    only a direct call on the TrapHandlerRaw entry reaches it.
 * Each test asserts halted and the exact reason.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include <corevisor/constants.h>
#include <corevisor/hosted.h>
#include <cv/boot.h>
#include <cv/mem.h>
#include <cv/pt.h>
#include <cv/pte.h>
#include <cv/state.h>
#include <cv/trap.h>

#include "pt_support.h"

TestSuite(panic_sites, .init = pts_boot);

#define GFN 0x80010ULL
#define GHOST_SIZE PMD_SIZE
/* An address in no region of the machine or of the boot parameters. */
#define NOWHERE 0x10000000ULL

static u64 ghost_base(void)
{
	return cv_hosted_ram_base() - GHOST_SIZE;
}

static u64 ghost_pfn(void)
{
	return ghost_base() / PAGE_SIZE;
}

/*
 * Boot the core again on the same machine with the parameters it booted
 * with plus a ghost region just below RAM: declared RAM with no backing.
 */
static void ghost_boot(void)
{
	static struct cv_boot_params p;

	memset(&p, 0, sizeof(p));
	cr_assert_lt(cv.region_cnt, MAX_MEMBLOCK_NUM);
	p.nregions = cv.region_cnt + 1;
	p.regions[0].base = ghost_base();
	p.regions[0].size = GHOST_SIZE;
	for (u32 i = 0; i < cv.region_cnt; i++) {
		p.regions[i + 1].base = cv.regions[i].base;
		p.regions[i + 1].size = cv.regions[i].size;
	}
	p.reserved_base = cv.reserved_base;
	p.reserved_size = cv.reserved_size;
	p.shared_base = cv.shared_base;
	p.ntrusted_keys = cv.ntrusted_keys;
	memcpy(p.trusted_keys, cv.trusted_keys, sizeof(p.trusted_keys));
	memcpy(p.aead_key, cv.aead_key, sizeof(p.aead_key));
	memcpy(p.nonce_salt, cv.nonce_salt, sizeof(p.nonce_salt));
	p.nsmmu = cv.smmu_num;
	memcpy(p.smmus, cv.smmu_conf, sizeof(p.smmus));
	cr_assert_eq(cv_boot(&p), 0, "%s", cv_hosted_halt_reason());
	pts_expect_running();

	/* The core takes the ghost for host RAM; the machine has nothing. */
	cr_assert_eq(cv.region_cnt, p.nregions);
	cr_assert_eq(pts_owner(ghost_pfn()), HOSTVISOR);
	cr_assert_eq(pts_owner(ghost_pfn() + 1), HOSTVISOR);
	cr_assert_null(cv_hosted_phys(ghost_base()));
	cr_assert_null(cv_hosted_phys(ghost_base() + GHOST_SIZE - 1));
	cr_assert_not_null(cv_hosted_phys(pts_ram_pa(0)));
}

/* A READY VM with one vCPU (BootOps, as the host's hypercalls do). */
static u32 new_vm(void)
{
	u32 vmid = register_kvm();

	register_vcpu(vmid, 0);
	pts_expect_running();
	cr_assert_eq(cv_hosted_vm_state(vmid), READY);
	return vmid;
}

/* Host page @pfn given to VM @vmid at GFN. */
static void give(u32 vmid, u64 pfn)
{
	assign_pfn_to_vm(vmid, GFN, pfn);
	pts_expect_running();
	cr_assert_eq(pts_owner(pfn), vmid);
}

static void expect_reason(const char *reason)
{
	cr_assert(cv_hosted_halted(), "expected the panic \"%s\"", reason);
	cr_assert_str_eq(cv_hosted_halt_reason(), reason);
}

/* ---- core/boot/seal.c: encrypt_mem_buf -------------------------------- */

Test(panic_sites, seal_into_a_ghost_page_halts)
{
	u32 vmid;
	u64 in = pts_ram_pfn(0x100);
	char want[CV_HALT_REASON_LEN];

	ghost_boot();
	vmid = new_vm();
	give(vmid, in);
	verify_and_load_images(vmid); /* only a verified VM is sealed */
	pts_expect_running();
	/* Both output pages are the host's, so only the memory check stops it.
	 */
	save_encrypt_buf(vmid, in * PAGE_SIZE, ghost_base());
	snprintf(want, sizeof(want),
		 "save_encrypt_buf: vm %u pfn 0x%llx/0x%llx not memory", vmid,
		 (unsigned long long)in, (unsigned long long)ghost_pfn());
	expect_reason(want);
	cr_assert_eq(pts_owner(in), vmid);
	cr_assert_eq(pts_owner(ghost_pfn()), HOSTVISOR);
}

Test(panic_sites, seal_of_a_ghost_vm_page_halts)
{
	u32 vmid;
	u64 out = pts_ram_pa(0x200);
	char want[CV_HALT_REASON_LEN];
	u8 before[PAGE_SIZE];

	ghost_boot();
	vmid = new_vm();
	give(vmid, ghost_pfn());
	verify_and_load_images(vmid); /* only a verified VM is sealed */
	pts_expect_running();
	memcpy(before, cv_hosted_phys(out), PAGE_SIZE);
	save_encrypt_buf(vmid, ghost_base(), out);
	snprintf(want, sizeof(want),
		 "save_encrypt_buf: vm %u pfn 0x%llx/0x%llx not memory", vmid,
		 (unsigned long long)ghost_pfn(),
		 (unsigned long long)(out / PAGE_SIZE));
	expect_reason(want);
	/* Nothing was written for the host. */
	cr_assert_eq(memcmp(before, cv_hosted_phys(out), PAGE_SIZE), 0);
}

/* ---- core/boot/seal.c: load_decrypt_buf ------------------------------- */

Test(panic_sites, open_a_ghost_blob_halts)
{
	u32 vmid;
	char want[CV_HALT_REASON_LEN];

	ghost_boot();
	vmid = new_vm();
	/* Owners host/host, count 0: every check before the memory one holds.
	 */
	cr_assert_eq(pts_count(ghost_pfn()), 0);
	load_decrypt_buf(vmid, ghost_base());
	snprintf(want, sizeof(want),
		 "load_decrypt_buf: vm %u pfn 0x%llx not memory", vmid,
		 (unsigned long long)ghost_pfn());
	expect_reason(want);
	/* The page did not change hands. */
	cr_assert_eq(pts_owner(ghost_pfn()), HOSTVISOR);
}

/* ---- core/machine/pages.c: cv_zero_page ------------------------------- */

Test(panic_sites, scrub_of_a_ghost_vm_page_halts)
{
	u32 vmid;
	char want[CV_HALT_REASON_LEN];

	ghost_boot();
	vmid = new_vm();
	give(vmid, ghost_pfn());
	/* MemoryOps: the VM's pages go back to the host, scrubbed. */
	clear_vm_range(vmid, ghost_pfn(), 1);
	snprintf(want, sizeof(want), "cv_zero_page: pfn 0x%llx is not memory",
		 (unsigned long long)ghost_pfn());
	expect_reason(want);
}

/* ---- core/pt/ptwalk.c: alloc_page ------------------------------------- */

Test(panic_sites, table_from_a_corrupted_pool_halts)
{
	u32 vmid = new_vm();
	struct npt *n = &cv.npts[vmid];
	char want[CV_HALT_REASON_LEN];

	/*
	 * Corruption on purpose: the pool base moved outside memory, the
	 * cursors with it (consistent, so the cursor checks pass). The root
	 * stays where it is (pool_va), so the first mapping's walk reaches
	 * alloc_pgd_page for its level-1 table.
	 */
	cr_assert_null(cv_hosted_phys(NOWHERE));
	n->pool = NOWHERE;
	n->pgd_next = NOWHERE + PGD_OFFSET;
	n->pud_next = NOWHERE + PUD_OFFSET;
	n->pmd_next = NOWHERE + PMD_OFFSET;
	map_pfn_vm(vmid, GFN * PAGE_SIZE, pts_ram_pa(0x100) | PAGE_S2_RAM, 3);
	snprintf(want, sizeof(want),
		 "alloc_pgd_page: vm %u table page 0x%llx is not memory", vmid,
		 (unsigned long long)(NOWHERE + PGD_OFFSET));
	expect_reason(want);
	/* Nothing was handed out. */
	cr_assert_eq(n->pgd_next, NOWHERE + PGD_OFFSET);
	cr_assert_not(pts_translate(vmid, GFN * PAGE_SIZE).valid);
}

/* ---- core/trap/traphandler.c: vm_exit_handler ------------------------- */

Test(panic_sites, vm_exit_for_the_host_halts)
{
	cr_assert_eq(vm_exit_handler(HOSTVISOR, 0), 0);
	expect_reason("vm_exit_handler: vm 0 vcpu 0 out of range");
}

Test(panic_sites, vm_exit_for_a_vcpu_out_of_range_halts)
{
	u32 vmid = new_vm();
	char want[CV_HALT_REASON_LEN];

	cr_assert_eq(vm_exit_handler(vmid, VCPU_PER_VM), 0);
	snprintf(want, sizeof(want),
		 "vm_exit_handler: vm %u vcpu %u out of range", vmid,
		 VCPU_PER_VM);
	expect_reason(want);
}
