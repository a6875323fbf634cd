// SPDX-License-Identifier: MIT
/*
 * The hosted machine's TLBs (arch/hosted/tlb.c) and the core's TLB
 * maintenance. First the model: fills, hits, faults not cached,
 * permissions cached, block entries, broadcast flushes, the switch, and a
 * deliberately skipped flush that leaves a stale translation working (so
 * the model can fail). Then every core path that removes or changes a
 * valid mapping: warm the TLBs with an access, run the path, and the same
 * access must now miss and walk (fault, or see the new mapping) - which
 * only happens because the core flushed.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>

#include <corevisor/abi.h>
#include <cv/arch.h>
#include <cv/lock.h>
#include <cv/mem.h>
#include <cv/panic.h>
#include <cv/boot.h>
#include <cv/pt.h>
#include <cv/pte.h>
#include <cv/smmu.h>
#include <cv/spt.h>
#include <cv/state.h>

#include "boot_support.h"
#include "pt_support.h"
#include "vm_support.h"

#define VM 3U
#define SECRET 0x5e
#define GPA 0x80000000ULL /* a VM address, 2 MiB aligned */

static void boot(void)
{
	pts_boot();
	cr_assert(cv_hosted_tlb_enabled(), "TLBs are on by default");
}

TestSuite(tlb, .init = boot);

/* ---- helpers ---------------------------------------------------------- */

static bool tlb_has(u32 cpu, u32 vmid, u64 addr, u64 *pa)
{
	struct cv_translation t;
	bool hit = cv_hosted_tlb_lookup(cpu, vmid, addr, &t);

	if (hit && pa)
		*pa = t.pa;
	return hit;
}

static bool in_no_tlb(u32 vmid, u64 addr)
{
	for (u32 c = 0; c < TOTAL_CPU; c++)
		if (tlb_has(c, vmid, addr, NULL))
			return false;
	return true;
}

static u8 host_byte(u64 pa)
{
	u8 b = 0;

	cr_assert(cv_hosted_host_read(pa, &b, 1), "host read of 0x%llx",
		  (unsigned long long)pa);
	return b;
}

/* A host read as CPU @cpu; the host's stage-2 faults go to the core. */
static bool host_read_on(u32 cpu, u64 pa, u8 *b)
{
	bool ok;

	cv_hosted_set_cpu(cpu);
	ok = cv_hosted_host_read(pa, b, 1);
	cv_hosted_set_cpu(0);
	return ok;
}

static bool vm_byte(u32 vmid, u64 ipa, u8 *b)
{
	u64 fault;

	return cv_hosted_vm_read(vmid, ipa, b, 1, &fault);
}

/* VM @VM gets host RAM page @n at @gpa (level 3), through the core. */
static u64 vm_page(u64 n, u64 gpa)
{
	u64 pfn = pts_ram_pfn(n);

	prot_and_map_vm_s2pt(VM, gpa, pfn * PAGE_SIZE, 3);
	pts_expect_running();
	cr_assert(pts_maps(VM, gpa, pfn * PAGE_SIZE, 3));
	return pfn;
}

/* Address of the level-3 entry for @addr in @vmid's table (must exist). */
static u64 *leaf_slot(u32 vmid, u64 addr)
{
	u64 pgd, pud, pmd, *p;

	acquire_lock_pt(vmid);
	pgd = walk_pgd(vmid, get_pt_vttbr(vmid), addr, 0);
	pud = walk_pud(vmid, pgd, addr, 0);
	pmd = walk_pmd(vmid, pud, addr, 0);
	release_lock_pt(vmid);
	cr_assert_eq(pmd & PTE_TYPE_MASK, PTE_TYPE_TABLE, "no level-3 table");
	p = cv_hosted_phys(phys_page(pmd) + pte_index(addr) * 8ULL);
	cr_assert_not_null(p);
	return p;
}

/*
 * A core bug on purpose: store @val as the leaf for @addr under the
 * table's lock, as set_pte's store does, but with no arch_pt_sync / TLB
 * invalidation after it.
 */
static void store_leaf_without_flush(u32 vmid, u64 addr, u64 val)
{
	u64 *p = leaf_slot(vmid, addr);

	acquire_lock_pt(vmid);
	__atomic_store_n(p, val, __ATOMIC_RELEASE);
	release_lock_pt(vmid);
}

/*
 * The host's page @pa as a page leaf (its fault would map the host's
 * whole 2 MiB as one block): for the tests that break a page's leaf.
 */
static void host_page_leaf(u64 pa)
{
	map_s2pt(HOSTVISOR, pa, 3, pa | PAGE_S2_RAM);
	pts_expect_running();
	cr_assert(pts_maps(HOSTVISOR, pa, pa, 3));
}

/* ---- the model -------------------------------------------------------- */

Test(tlb, an_access_fills_this_cpus_tlb_and_the_next_one_hits)
{
	u64 pa = pts_ram_pa(10), cached;
	struct cv_hosted_counters c0, c1;

	pts_fill_page(pa / PAGE_SIZE, 0x11);
	cr_assert(in_no_tlb(HOSTVISOR, pa));
	cr_assert_eq(host_byte(pa + 5), 0x11); /* fault, map, retry: fill */
	cr_assert(tlb_has(0, HOSTVISOR, pa + 5, &cached));
	cr_assert_eq(cached, pa + 5);
	cr_assert(!tlb_has(1, HOSTVISOR, pa, NULL), "CPU 1 did not access");
	cr_assert(!tlb_has(0, VM, pa, NULL), "keyed by vmid");

	c0 = pts_counters();
	cr_assert_eq(host_byte(pa + 6), 0x11);
	c1 = pts_counters();
	cr_assert_eq(c1.tlb_hits, c0.tlb_hits + 1);
	cr_assert_eq(c1.tlb_fills, c0.tlb_fills);
	cr_assert_eq(c1.host_faults, c0.host_faults);
}

Test(tlb, faults_are_not_cached)
{
	u8 b;

	struct cv_hosted_counters c0 = pts_counters(), c1;

	/* Nothing mapped: the VM faults, and nothing is remembered. */
	cr_assert(!vm_byte(VM, GPA, &b));
	cr_assert(in_no_tlb(VM, GPA));
	c1 = pts_counters();
	cr_assert_eq(c1.tlb_fills, c0.tlb_fills);
	cr_assert_eq(c1.tlb_hits, c0.tlb_hits);
	/* Mapping an invalid entry needs no flush: the next access walks. */
	pts_fill_page(pts_ram_pfn(11), 0x22);
	vm_page(11, GPA);
	cr_assert(vm_byte(VM, GPA, &b));
	cr_assert_eq(b, 0x22);
	cr_assert(tlb_has(0, VM, GPA, NULL));
}

/*
 * The point of the model: a leaf removed without a flush keeps working
 * from the TLB, here letting the host read a VM's secret, while the fresh
 * walk (cv_hosted_translate) already says unmapped.
 */
Test(tlb, a_skipped_flush_leaves_a_stale_translation_that_leaks)
{
	u64 pfn = pts_ram_pfn(12), pa = pfn * PAGE_SIZE;
	struct cv_hosted_counters c0, c1;
	u8 b = 0;

	host_page_leaf(pa);
	cr_assert_eq(host_byte(pa), 0); /* the host reaches its page */
	cr_assert(tlb_has(0, HOSTVISOR, pa, NULL));

	/* A broken assign: ownership moves, the host entry goes, no flush. */
	pts_set_page(pfn, VM, 0, 0x12);
	store_leaf_without_flush(HOSTVISOR, pa, PAGE_GUEST);
	pts_fill_page(pfn, SECRET);
	cr_assert(!pts_translate(HOSTVISOR, pa).valid, "fresh walk: unmapped");

	c0 = pts_counters();
	cr_assert(cv_hosted_host_read(pa, &b, 1));
	c1 = pts_counters();
	cr_assert_eq(b, SECRET, "the stale entry reaches the VM's page");
	cr_assert_eq(c1.host_faults, c0.host_faults, "no fault was taken");
	cr_assert(tlb_has(0, HOSTVISOR, pa, NULL));

	/* The flush the core should have done ends it. */
	arch_tlb_flush_ipa(HOSTVISOR, pa);
	cr_assert(in_no_tlb(HOSTVISOR, pa));
	b = 0;
	cr_assert(!cv_hosted_host_read(pa, &b, 1));
	cr_assert_neq(b, SECRET);
	pts_expect_halt("map_page_host", "owned by 3");
}

Test(tlb, without_the_tlb_every_access_walks)
{
	struct cv_hosted_config cfg;
	u64 pfn = pts_ram_pfn(12), pa = pfn * PAGE_SIZE;
	u8 b = 0;

	cv_hosted_default_config(&cfg);
	cr_assert(cfg.tlb);
	cfg.tlb = false;
	cr_assert_eq(cv_hosted_boot(&cfg), 0);
	cr_assert(!cv_hosted_tlb_enabled());

	host_page_leaf(pa);
	cr_assert_eq(host_byte(pa), 0);
	cr_assert(in_no_tlb(HOSTVISOR, pa), "nothing is cached");
	pts_set_page(pfn, VM, 0, 0x12);
	store_leaf_without_flush(HOSTVISOR, pa, PAGE_GUEST);
	pts_fill_page(pfn, SECRET);
	cr_assert(!cv_hosted_host_read(pa, &b, 1), "the walk sees it at once");
	cr_assert_neq(b, SECRET);
	pts_expect_halt("map_page_host", "owned by 3");
}

/* Write permission comes from the cached leaf until it is flushed. */
Test(tlb, permissions_are_cached_with_the_translation)
{
	u64 pfn = vm_page(13, GPA), fault = 0;
	u64 ro = (pfn * PAGE_SIZE) | (PAGE_S2_RAM & ~S2AP_W);
	u8 b = 0;

	store_leaf_without_flush(VM, GPA, 0);
	arch_tlb_flush_ipa(VM, GPA);
	store_leaf_without_flush(VM, GPA, ro); /* invalid -> valid: no flush */
	cr_assert(vm_byte(VM, GPA, &b));       /* caches the read-only leaf */
	cr_assert(!cv_hosted_vm_write(VM, GPA, &b, 1, &fault));
	cr_assert_eq(fault, GPA);

	/* Made writable without a flush: the cached leaf still refuses. */
	store_leaf_without_flush(VM, GPA, (pfn * PAGE_SIZE) | PAGE_S2_RAM);
	b = 0x33;
	cr_assert(!cv_hosted_vm_write(VM, GPA, &b, 1, &fault));
	arch_tlb_flush_ipa(VM, GPA);
	cr_assert(cv_hosted_vm_write(VM, GPA, &b, 1, &fault));
	cr_assert_eq(*(u8 *)cv_hosted_phys(pfn * PAGE_SIZE), 0x33);
}

Test(tlb, flushes_reach_every_cpu_and_only_what_they_name)
{
	u64 pa = pts_ram_pa(14), pb = pts_ram_pa(40);
	u8 b;

	host_page_leaf(pa);
	host_page_leaf(pa + PAGE_SIZE);
	host_page_leaf(pb);
	cr_assert(host_read_on(0, pa, &b));
	cr_assert(host_read_on(1, pa, &b));
	cr_assert(host_read_on(3, pb, &b));
	cr_assert(tlb_has(0, HOSTVISOR, pa, NULL));
	cr_assert(tlb_has(1, HOSTVISOR, pa, NULL));

	/* Another IPA, another VMID: nothing of ours goes. */
	cv_hosted_set_cpu(2);
	arch_tlb_flush_ipa(HOSTVISOR, pa + PAGE_SIZE);
	arch_tlb_flush_ipa(VM, pa);
	arch_tlb_flush_vmid(VM);
	cv_hosted_set_cpu(0);
	cr_assert(tlb_has(0, HOSTVISOR, pa, NULL));
	cr_assert(tlb_has(1, HOSTVISOR, pa, NULL));

	/* From CPU 2, which never cached it: broadcast (TLBI ... IS). */
	cv_hosted_set_cpu(2);
	arch_tlb_flush_ipa(HOSTVISOR, pa + 0x123);
	cv_hosted_set_cpu(0);
	cr_assert(in_no_tlb(HOSTVISOR, pa));
	cr_assert(tlb_has(3, HOSTVISOR, pb, NULL));
	arch_tlb_flush_vmid(HOSTVISOR);
	cr_assert(in_no_tlb(HOSTVISOR, pb));
}

/* A block is cached page by page; any address in it drops them all. */
Test(tlb, block_entries_go_with_any_address_in_the_block)
{
	u64 pfn = pts_ram_pfn(512), pa;
	u8 b;

	prot_and_map_vm_s2pt(VM, GPA, pfn * PAGE_SIZE, 2);
	pts_expect_running();
	cr_assert(vm_byte(VM, GPA + 3 * PAGE_SIZE, &b));
	cr_assert(vm_byte(VM, GPA + 300 * PAGE_SIZE + 7, &b));
	cr_assert(tlb_has(0, VM, GPA + 300 * PAGE_SIZE, &pa));
	cr_assert_eq(pa, (pfn + 300) * PAGE_SIZE);

	arch_tlb_flush_ipa(VM, GPA + 100 * PAGE_SIZE);
	cr_assert(in_no_tlb(VM, GPA + 3 * PAGE_SIZE));
	cr_assert(in_no_tlb(VM, GPA + 300 * PAGE_SIZE));
}

/* A page entry only goes with its own page. */
Test(tlb, page_entries_go_only_with_their_page)
{
	u8 b;

	vm_page(16, GPA);
	vm_page(17, GPA + PAGE_SIZE);
	cr_assert(vm_byte(VM, GPA, &b));
	cr_assert(vm_byte(VM, GPA + PAGE_SIZE, &b));
	arch_tlb_flush_ipa(VM, GPA + PAGE_SIZE + 8);
	cr_assert(tlb_has(0, VM, GPA, NULL));
	cr_assert(in_no_tlb(VM, GPA + PAGE_SIZE));
}

Test(tlb, a_new_boot_starts_with_empty_tlbs)
{
	u64 pa = pts_ram_pa(18);

	cr_assert_eq(host_byte(pa), 0);
	cr_assert(tlb_has(0, HOSTVISOR, pa, NULL));
	pts_boot();
	cr_assert(in_no_tlb(HOSTVISOR, pa));
}

Test(tlb, lookup_out_of_range_is_empty)
{
	struct cv_translation t;

	cr_assert(!cv_hosted_tlb_lookup(TOTAL_CPU, HOSTVISOR, 0, &t));
	cr_assert(!t.valid);
	cr_assert(!cv_hosted_tlb_lookup(0, COREVISOR + 1, 0, &t));
	cr_assert(!cv_hosted_smmu_tlb_lookup(SMMU_NUM, 0, 0, &t));
	cr_assert(!cv_hosted_smmu_tlb_lookup(0, SMMU_NUM_CTXT_BANKS, 0, &t));
}

/* The core's own EL2 table: flushed by VAE2IS in the EL2 port. */
Test(tlb, corevisor_entries_follow_its_flushes)
{
	u64 va = 0x100000000ULL, pa1 = pts_ram_pa(19), pa2 = pts_ram_pa(20);
	struct cv_walk w;

	map_s2pt(COREVISOR, va, 3, pa1 | PAGE_HYP);
	cr_assert_eq(cv_hosted_tlb_translate(COREVISOR, va, CV_ACCESS_READ, &w),
		     CV_FAULT_NONE);
	cr_assert_eq(w.pa, pa1);
	cr_assert(tlb_has(0, COREVISOR, va, NULL));
	map_s2pt(COREVISOR, va, 3, pa2 | PAGE_HYP);
	pts_expect_running();
	cr_assert_eq(cv_hosted_tlb_translate(COREVISOR, va, CV_ACCESS_READ, &w),
		     CV_FAULT_NONE);
	cr_assert_eq(w.pa, pa2, "stale 0x%llx", (unsigned long long)w.pa);
}

/*
 * Host readers on CPUs 1-3 race with assign_pfn_to_vm on CPU 0, after
 * which the VM's secret is written into the page: no reader may ever see
 * it. An access and a flush are ordered (the copy is part of the access),
 * so a read either completes before the flush or faults after it.
 */
struct reader {
	pthread_t thread;
	u32 cpu;
	u64 pa;
	u64 reads;
	bool leaked;
};

static bool stop_readers;

static void *reader(void *arg)
{
	struct reader *r = arg;

	cv_hosted_set_cpu(r->cpu);
	while (!__atomic_load_n(&stop_readers, __ATOMIC_ACQUIRE)) {
		u8 b = 0;

		if (!cv_hosted_host_read(r->pa, &b, 1))
			break; /* faulted: map_page_host halted the core */
		if (b == SECRET)
			r->leaked = true;
		__atomic_fetch_add(&r->reads, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

Test(tlb, racing_host_readers_never_see_the_vms_secret)
{
	for (u32 round = 0; round < 16; round++) {
		u64 pfn = pts_ram_pfn(60 + round), pa = pfn * PAGE_SIZE;
		struct reader r[3];

		pts_boot();
		__atomic_store_n(&stop_readers, false, __ATOMIC_RELEASE);
		for (u32 i = 0; i < 3; i++) {
			r[i] = (struct reader){.cpu = i + 1, .pa = pa};
			cr_assert_eq(pthread_create(&r[i].thread, NULL, reader,
						    &r[i]),
				     0);
		}
		for (u32 i = 0; i < 3; i++)
			while (!__atomic_load_n(&r[i].reads, __ATOMIC_RELAXED))
				sched_yield();
		assign_pfn_to_vm(VM, 0x60 + round, pfn);
		memset(cv_hosted_phys(pa), SECRET, PAGE_SIZE); /* the VM's */
		for (u32 i = 0; i < 3; i++)
			while (!cv_hosted_halted() &&
			       __atomic_load_n(&r[i].reads, __ATOMIC_RELAXED) <
				       1000000)
				sched_yield();
		__atomic_store_n(&stop_readers, true, __ATOMIC_RELEASE);
		for (u32 i = 0; i < 3; i++) {
			pthread_join(r[i].thread, NULL);
			cr_assert(!r[i].leaked,
				  "round %u: CPU %u read the "
				  "VM's secret",
				  round, r[i].cpu);
		}
		pts_expect_halt("map_page_host", "owned by 3");
	}
}

/* ---- core paths: stage 2 ---------------------------------------------- */

/*
 * assign_pfn_to_vm takes a mapped host page: every CPU's entry for it
 * goes, and the host's next access faults into map_page_host, which
 * refuses (panics) instead of handing over the VM's data.
 */
Test(tlb, assign_pfn_to_vm_drops_the_hosts_translation)
{
	u64 pfn = pts_ram_pfn(21), pa = pfn * PAGE_SIZE;
	u8 b = 0;

	cr_assert(host_read_on(0, pa, &b));
	cr_assert(host_read_on(1, pa, &b));
	cr_assert(tlb_has(1, HOSTVISOR, pa, NULL));

	cv_hosted_set_cpu(2); /* the hypercall on a third CPU */
	assign_pfn_to_vm(VM, 0x21, pfn);
	cv_hosted_set_cpu(0);
	pts_expect_running();
	cr_assert(in_no_tlb(HOSTVISOR, pa));
	map_s2pt(VM, 0x21 * PAGE_SIZE, 3, pa | PAGE_S2_RAM);
	cr_assert(cv_hosted_vm_write(VM, 0x21 * PAGE_SIZE, &(u8){SECRET}, 1,
				     NULL));

	cr_assert(!host_read_on(1, pa, &b), "the host reached the VM's page");
	cr_assert_neq(b, SECRET);
	pts_expect_halt("map_page_host", "owned by 3");
}

/* The same through the fault path (prot_and_map_vm_s2pt) and the SMMU one. */
Test(tlb, prot_and_map_and_assign_to_smmu_drop_the_hosts_translation)
{
	u64 pa = pts_ram_pa(22), pb = pts_ram_pa(23);
	u8 b;

	cr_assert(host_read_on(0, pa, &b));
	cr_assert(host_read_on(0, pb, &b));
	prot_and_map_vm_s2pt(VM, GPA, pa, 3);
	assign_pfn_to_smmu(VM, 0x23, pb / PAGE_SIZE);
	pts_expect_running();
	cr_assert(in_no_tlb(HOSTVISOR, pa));
	cr_assert(in_no_tlb(HOSTVISOR, pb));
	cr_assert(!cv_hosted_host_read(pb, &b, 1));
	pts_expect_halt("map_page_host", "owned by 3");
}

/*
 * clear_vm_page of a page the VM had shared with the host: the host's
 * entry goes (the page comes back scrubbed, through a fresh fault).
 */
Test(tlb, clear_vm_page_drops_the_hosts_shared_translation)
{
	u64 pfn, pa;
	struct cv_hosted_counters c0, c1;
	u8 b = 0;

	pfn = vm_page(24, GPA);
	pa = pfn * PAGE_SIZE;
	cr_assert(cv_hosted_vm_write(VM, GPA, &(u8){SECRET}, 1, NULL));
	grant_vm_page(VM, pfn);
	cr_assert_eq(host_byte(pa), SECRET); /* the shared page */
	cr_assert(tlb_has(0, HOSTVISOR, pa, NULL));

	clear_vm_page(VM, pfn);
	pts_expect_running();
	cr_assert(in_no_tlb(HOSTVISOR, pa));
	c0 = pts_counters();
	cr_assert(cv_hosted_host_read(pa, &b, 1));
	c1 = pts_counters();
	cr_assert_eq(c1.host_faults, c0.host_faults + 1, "a fresh fault");
	cr_assert_eq(b, 0, "scrubbed");
}

/* The last revoke takes the page from the host: its access must fault. */
Test(tlb, revoke_drops_the_hosts_translation)
{
	u64 pfn = vm_page(25, GPA), pa = pfn * PAGE_SIZE;
	u8 b = 0;

	cr_assert(cv_hosted_vm_write(VM, GPA, &(u8){0x44}, 1, NULL));
	grant_stage2_sg_gpa(VM, GPA, PAGE_SIZE);
	cr_assert(host_read_on(0, pa, &b));
	cr_assert(host_read_on(1, pa, &b));
	cr_assert_eq(b, 0x44);

	revoke_stage2_sg_gpa(VM, GPA, PAGE_SIZE);
	pts_expect_running();
	cr_assert(in_no_tlb(HOSTVISOR, pa));
	cr_assert(cv_hosted_vm_write(VM, GPA, &(u8){SECRET}, 1, NULL));
	b = 0;
	cr_assert(!host_read_on(1, pa, &b), "revoked page still readable");
	cr_assert_neq(b, SECRET);
	pts_expect_halt("map_page_host", "owned by 3");
}

/* A revoke that leaves a share keeps the host's mapping (and entry). */
Test(tlb, revoke_of_one_of_two_shares_keeps_the_hosts_translation)
{
	u64 pfn = vm_page(26, GPA), pa = pfn * PAGE_SIZE;

	grant_vm_page(VM, pfn);
	grant_vm_page(VM, pfn);
	cr_assert_eq(host_byte(pa), 0);
	revoke_vm_page(VM, pfn);
	cr_assert(tlb_has(0, HOSTVISOR, pa, NULL));
	cr_assert_eq(host_byte(pa), 0);
	pts_expect_running();
}

/*
 * map_s2pt with a 2 MiB block where a level-3 table was: every page the
 * table mapped must go, not only the block's first (flush by VMID).
 */
Test(tlb, block_over_a_level3_table_drops_all_its_pages)
{
	u64 old = pts_ram_pfn(27), blk = pts_ram_pfn(1024), pa;
	u8 b = 0;

	vm_page(27, GPA + 5 * PAGE_SIZE);
	vm_page(28, GPA);
	pts_fill_page(old, 0x55);
	pts_fill_page(blk + 5, 0x66);
	cr_assert(vm_byte(VM, GPA + 5 * PAGE_SIZE, &b));
	cr_assert_eq(b, 0x55);
	cr_assert(vm_byte(VM, GPA, &b));

	map_s2pt(VM, GPA, 2, (blk * PAGE_SIZE) | PAGE_S2_RAM_BLOCK);
	pts_expect_running();
	cr_assert(in_no_tlb(VM, GPA + 5 * PAGE_SIZE));
	cr_assert(vm_byte(VM, GPA + 5 * PAGE_SIZE, &b));
	cr_assert_eq(b, 0x66, "read through the stale level-3 entry");
	cr_assert(tlb_has(0, VM, GPA + 5 * PAGE_SIZE, &pa));
	cr_assert_eq(pa, (blk + 5) * PAGE_SIZE);
}

/* A block replaced by another: its pages cached one by one all go. */
Test(tlb, block_over_a_block_drops_every_cached_page)
{
	u64 b1 = pts_ram_pfn(1024), b2 = pts_ram_pfn(1536);
	u8 b = 0;

	map_s2pt(VM, GPA, 2, (b1 * PAGE_SIZE) | PAGE_S2_RAM_BLOCK);
	pts_fill_page(b1 + 9, 0x77);
	pts_fill_page(b2 + 9, 0x88);
	cr_assert(vm_byte(VM, GPA + 9 * PAGE_SIZE, &b));
	cr_assert_eq(b, 0x77);
	map_s2pt(VM, GPA + 0x1234, 2, (b2 * PAGE_SIZE) | PAGE_S2_RAM_BLOCK);
	pts_expect_running();
	cr_assert(vm_byte(VM, GPA + 9 * PAGE_SIZE, &b));
	cr_assert_eq(b, 0x88);
}

/* A page replaced by another page (break-before-make, flush by IPA). */
Test(tlb, page_over_a_page_drops_the_old_translation)
{
	u64 p1 = pts_ram_pfn(29), p2 = pts_ram_pfn(30);
	u8 b = 0;

	map_s2pt(VM, GPA, 3, (p1 * PAGE_SIZE) | PAGE_S2_RAM);
	pts_fill_page(p1, 0x99);
	pts_fill_page(p2, 0xaa);
	cr_assert(vm_byte(VM, GPA, &b));
	cr_assert_eq(b, 0x99);
	map_s2pt(VM, GPA, 3, (p2 * PAGE_SIZE) | PAGE_S2_RAM);
	pts_expect_running();
	cr_assert(vm_byte(VM, GPA, &b));
	cr_assert_eq(b, 0xaa);
}

/* ---- core paths: SMMU ------------------------------------------------- */

#define IDX 1U
#define CB 2U
#define IOVA 0x61000ULL

/* VM @VM's device reaches RAM page @n at IOVA via (IDX, CB). */
static u64 dma_page(u64 n)
{
	u64 pfn = pts_ram_pfn(n);

	assign_pfn_to_smmu(VM, IOVA / PAGE_SIZE, pfn);
	update_smmu_page(VM, CB, IDX, IOVA, pfn * PAGE_SIZE | PAGE_S2_RAM);
	pts_expect_running();
	return pfn;
}

static bool dma_byte(u64 iova, u8 *b)
{
	u64 fault = 0;
	bool ok = cv_hosted_dma_read(IDX, CB, iova, b, 1, &fault);

	if (!ok)
		cr_assert_eq(fault, iova);
	return ok;
}

static bool smmu_tlb_has(u64 iova)
{
	struct cv_translation t;

	return cv_hosted_smmu_tlb_lookup(IDX, CB, iova, &t);
}

Test(tlb, dma_fills_the_context_banks_tlb_only)
{
	u64 pfn = dma_page(31);
	struct cv_translation t;
	struct cv_hosted_counters c0, c1;
	u8 b = 0;

	pts_fill_page(pfn, 0x31);
	cr_assert(dma_byte(IOVA + 3, &b));
	cr_assert_eq(b, 0x31);
	cr_assert(cv_hosted_smmu_tlb_lookup(IDX, CB, IOVA + 3, &t));
	cr_assert_eq(t.pa, pfn * PAGE_SIZE + 3);
	cr_assert(!cv_hosted_smmu_tlb_lookup(IDX, CB + 1, IOVA, &t));
	cr_assert(!cv_hosted_smmu_tlb_lookup(IDX - 1, CB, IOVA, &t));
	c0 = pts_counters();
	cr_assert(cv_hosted_dma_write(IDX, CB, IOVA, &(u8){0x32}, 1, NULL));
	c1 = pts_counters();
	cr_assert_eq(c1.smmu_tlb_hits, c0.smmu_tlb_hits + 1);
	cr_assert_eq(*(u8 *)cv_hosted_phys(pfn * PAGE_SIZE), 0x32);
	/* Unmapped IOVAs fault and are not cached. */
	cr_assert(!dma_byte(IOVA + PAGE_SIZE, &b));
	cr_assert(!smmu_tlb_has(IOVA + PAGE_SIZE));
	/* Bad banks fault. */
	cr_assert(!cv_hosted_dma_read(SMMU_NUM, 0, IOVA, &b, 1, NULL));
	cr_assert(
		!cv_hosted_dma_read(0, SMMU_NUM_CTXT_BANKS, IOVA, &b, 1, NULL));
}

/* The deliberate bug on the SMMU side: set_smmu_pte has no flush. */
Test(tlb, smmu_leaf_cleared_without_flush_stays_reachable)
{
	u64 pfn = dma_page(32), pgd, pmd;
	u8 b = 0;

	pts_fill_page(pfn, SECRET);
	cr_assert(dma_byte(IOVA, &b));
	acquire_lock_spt();
	pgd = walk_smmu_pgd(smmu_ttbr(IDX, CB), IOVA, 0);
	pmd = walk_smmu_pmd(pgd, IOVA, 0);
	set_smmu_pte(pmd, IOVA, 0); /* the primitive: store only */
	release_lock_spt();
	pts_expect_running();
	cr_assert(!cv_hosted_smmu_translate(IDX, CB, IOVA,
					    &(struct cv_translation){0}));
	b = 0;
	cr_assert(dma_byte(IOVA, &b), "stale SMMU entry");
	cr_assert_eq(b, SECRET);
	arch_smmu_tlb_flush(IDX, CB);
	cr_assert(!dma_byte(IOVA, &b));
}

Test(tlb, unmap_smmu_page_drops_the_translation)
{
	u8 b;

	dma_page(33);
	cr_assert(dma_byte(IOVA, &b));
	unmap_smmu_page(CB, IDX, IOVA);
	pts_expect_running();
	cr_assert(!smmu_tlb_has(IOVA));
	cr_assert(!dma_byte(IOVA, &b), "DMA through an unmapped IOVA");
}

Test(tlb, unmap_spt_drops_the_translation)
{
	u8 b;

	map_spt(CB, IDX, IOVA, pts_ram_pa(34) | PAGE_S2_RAM);
	cr_assert(dma_byte(IOVA, &b));
	cr_assert_eq(unmap_spt(CB, IDX, IOVA), pts_ram_pa(34) | PAGE_S2_RAM);
	cr_assert(!dma_byte(IOVA, &b));
}

Test(tlb, clearing_a_context_banks_table_drops_its_translations)
{
	u8 b;

	map_spt(CB, IDX, IOVA, pts_ram_pa(35) | PAGE_S2_RAM);
	map_spt(CB, IDX, 3ULL << 30, pts_ram_pa(36) | PAGE_S2_RAM);
	cr_assert(dma_byte(IOVA, &b));
	cr_assert(dma_byte(3ULL << 30, &b));
	init_spt(CB, IDX); /* clear_smmu_pt */
	pts_expect_running();
	cr_assert(!dma_byte(IOVA, &b));
	cr_assert(!dma_byte(3ULL << 30, &b));
}

Test(tlb, smmu_leaf_replaced_drops_the_old_translation)
{
	u8 b = 0;

	pts_fill_page(pts_ram_pfn(37), 0x37);
	pts_fill_page(pts_ram_pfn(38), 0x38);
	map_spt(CB, IDX, IOVA, pts_ram_pa(37) | PAGE_S2_RAM);
	cr_assert(dma_byte(IOVA, &b));
	cr_assert_eq(b, 0x37);
	map_spt(CB, IDX, IOVA, pts_ram_pa(38) | PAGE_S2_RAM);
	cr_assert(dma_byte(IOVA, &b));
	cr_assert_eq(b, 0x38);
}

/* ---- end to end: a guest's unshare, the host on other CPUs ------------ */

static struct vs_script script;

static struct vs_op vop(enum vs_op_kind k, u64 a, u32 len, u32 rt)
{
	return (struct vs_op){k, a, len, rt, 0};
}

/*
 * The guest (on CPU 1) shares a page, the host reads it on CPUs 2 and 3
 * (their TLBs cache it), the guest unshares it and writes a secret there:
 * the core's flush must reach CPUs 2 and 3, whose next read faults.
 */
Test(tlb, guest_unshare_drops_the_hosts_entries_on_every_cpu)
{
	u64 ipa = VS_IMAGE_IPA + PAGE_SIZE, pa, v = 0;
	u32 vm;

	vs_boot();
	memset(&script, 0, sizeof(script));
	vm = vs_new_vm(1, 0);
	vs_set_script(vm, &script);
	vs_set_entry(vm, 0, VS_PC(0), VS_PSTATE, 0);
	pa = vs_image_pa(0) + PAGE_SIZE;
	script.ops[0] = vop(OP_MOV, CV_GUEST_HVC_SHARE, 0, 0);
	script.ops[1] = vop(OP_MOV, ipa, 0, 2);
	script.ops[2] = vop(OP_MOV, PAGE_SIZE, 0, 3);
	script.ops[3] = vop(OP_HVC, 0, 0, 0);
	script.ops[4] = vop(OP_WFI, 0, 0, 0);
	script.ops[5] = vop(OP_MOV, CV_GUEST_HVC_UNSHARE, 0, 0);
	script.ops[6] = vop(OP_HVC, 0, 0, 0);
	script.ops[7] = vop(OP_MOV, 0x5e5e5e5e5e5e5e5eULL, 0, 5);
	script.ops[8] = vop(OP_STORE, ipa, 8, 5);
	script.ops[9] = vop(OP_WFI, 0, 0, 0);

	cv_hosted_set_cpu(1);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	cr_assert(host_read_on(2, pa, (u8 *)&v), "shared");
	cr_assert(host_read_on(3, pa, (u8 *)&v), "shared");
	cr_assert(tlb_has(2, HOSTVISOR, pa, NULL));
	cr_assert(tlb_has(3, HOSTVISOR, pa, NULL));

	cv_hosted_set_cpu(1);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	cv_hosted_set_cpu(0);
	pts_expect_running();
	cr_assert(in_no_tlb(HOSTVISOR, pa));
	v = 0;
	cr_assert(!host_read_on(3, pa, (u8 *)&v), "unshared page still read");
	cr_assert_neq(v & 0xff, SECRET);
	pts_expect_halt("map_page_host", "owned by");
}

/* ---- end to end: the simulated SMMU, driven by the host --------------- */

#define SIM_CB 2U /* a context bank of SMMU 0, the simulated one */
#define SIM_IOVA 0x7000ULL

/*
 * A VM's device behind SMMU 0 bank SIM_CB, set up as the host does it:
 * SMMU_ALLOC_PGD, CBAR and TTBR0 written through the core's emulation,
 * then SMMU_LPAE_MAP of host page @n at SIM_IOVA. Returns the VM.
 */
static u32 sim_smmu_vm(u64 n)
{
	u64 base = cv_hosted_smmu_base(0), pa = pts_ram_pa(n), ttbr = 0;
	u32 vm = bs_new_vm(1), cbar = vm; /* type 0: stage-2 context */

	cr_assert_neq(base, 0, "no simulated SMMU");
	bs_hvc(HVC_SMMU_ALLOC_PGD, SIM_CB, vm, 0, 0, 0);
	cr_assert(cv_hosted_host_write(base + ARM_SMMU_GR1_BASE + 4 * SIM_CB,
				       &cbar, 4));
	cr_assert(cv_hosted_host_write(base + SMMU_GLOBAL_BASE +
					       SIM_CB * PAGE_SIZE +
					       ARM_SMMU_CB_TTBR0,
				       &ttbr, 8));
	pts_expect_running();
	cr_assert_eq(cv_hosted_smmu_reg(0,
					SMMU_GLOBAL_BASE + SIM_CB * PAGE_SIZE +
						ARM_SMMU_CB_TTBR0,
					8) &
			     PTE_ADDR_MASK,
		     smmu_ttbr(0, SIM_CB), "the core set the bank's table");
	bs_hvc(HVC_SMMU_LPAE_MAP, SIM_IOVA, pa, PAGE_S2_RAM & ~PTE_ADDR_MASK,
	       SIM_CB, 0);
	pts_expect_running();
	cr_assert_eq(pts_owner(pa / PAGE_SIZE), vm);
	pts_fill_page(pa / PAGE_SIZE, SECRET);
	return vm;
}

static bool sim_dma(u64 iova, u8 *b)
{
	return cv_hosted_dma_read(0, SIM_CB, iova, b, 1, NULL);
}

Test(tlb, smmu_clear_hypercall_drops_the_banks_translation)
{
	struct cv_translation t;
	u8 b = 0;

	sim_smmu_vm(41);
	cr_assert(sim_dma(SIM_IOVA, &b));
	cr_assert_eq(b, SECRET);
	cr_assert(cv_hosted_smmu_tlb_lookup(0, SIM_CB, SIM_IOVA, &t));
	cr_assert_eq(t.pa, pts_ram_pa(41));

	bs_hvc(HVC_SMMU_CLEAR, SIM_IOVA, SIM_CB, 0, 0, 0);
	pts_expect_running();
	cr_assert(!cv_hosted_smmu_tlb_lookup(0, SIM_CB, SIM_IOVA, &t));
	cr_assert(!sim_dma(SIM_IOVA, &b), "DMA through a cleared IOVA");
}

/* A dead VM's bank freed: its table is emptied, and so is its TLB. */
Test(tlb, smmu_free_pgd_drops_the_banks_translations)
{
	u32 vm = sim_smmu_vm(42);
	u8 b = 0;

	cr_assert(sim_dma(SIM_IOVA, &b));
	set_vm_poweroff(vm);
	bs_hvc(HVC_SMMU_FREE_PGD, SIM_CB, 0, 0, 0, 0);
	pts_expect_running();
	cr_assert(!sim_dma(SIM_IOVA, &b), "DMA after the bank was freed");
}
