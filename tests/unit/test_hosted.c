// SPDX-License-Identifier: MIT
/*
 * The hosted machine (arch/hosted): memory layout and lazy backing, CPUs
 * as threads, the software MMU/SMMU on hand-built tables, host accesses
 * faulting into map_page_host, VM access faults, and the fail-stop hooks.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>

#include <corevisor/abi.h>
#include <corevisor/hosted.h>
#include <cv/arch.h>
#include <cv/lock.h>
#include <cv/panic.h>
#include <cv/pt.h>
#include <cv/pte.h>
#include <cv/state.h>

#include "hosted_internal.h"

#define RAM 0x40000000ULL
#define GiB (1ULL << 30)
#define MiB (1ULL << 20)

static void boot_default(void)
{
	struct cv_hosted_config cfg;

	cv_hosted_console_mode(CV_CONSOLE_CAPTURE);
	cv_hosted_default_config(&cfg);
	cr_assert_eq(cv_hosted_boot(&cfg), 0);
	cv_hosted_set_cpu(0);
}

/* Layout */

Test(hosted, layout_ram_and_reserved_region)
{
	u64 rb, rs;

	boot_default();
	rb = cv_hosted_reserved_base();
	rs = cv_hosted_reserved_size();
	cr_assert_eq(cv_hosted_ram_base(), RAM);
	cr_assert_eq(cv_hosted_ram_size(), GiB);
	cr_assert_eq(rb, RAM + GiB, "reserved right above RAM: 0x%llx",
		     (unsigned long long)rb);
	cr_assert_eq(rb % (2 * MiB), 0);
	cr_assert_eq(rs % (2 * MiB), 0);

	/* Both are boot memory regions; the core was given both. */
	cr_assert_eq(cv.region_cnt, 2);
	cr_assert_eq(cv.regions[0].base, RAM);
	cr_assert_eq(cv.regions[0].size, GiB);
	cr_assert_eq(cv.regions[1].base, rb);
	cr_assert_eq(cv.regions[1].size, rs);
	cr_assert_eq(cv.reserved_base, rb);
	cr_assert_geq(rs, cv_reserved_bytes(&(struct cv_boot_params){
				  .nregions = 2,
				  .regions = {{RAM, GiB, 0, 0}, {rb, rs, 0, 0}},
			  }));
	cr_assert_eq(cv_hosted_shared_base(),
		     RAM + GiB - CV_HOSTED_SHARED_SIZE);

	/* Memory exists exactly inside the regions. */
	cr_assert_not_null(cv_hosted_phys(RAM));
	cr_assert_not_null(cv_hosted_phys(RAM + GiB - 1));
	cr_assert_not_null(cv_hosted_phys(rb));
	cr_assert_not_null(cv_hosted_phys(rb + rs - 1));
	cr_assert_null(cv_hosted_phys(RAM - 1));
	cr_assert_null(cv_hosted_phys(0));
	cr_assert_null(cv_hosted_phys(rb + rs));
	cr_assert_null(arch_phys_to_virt(1ULL << 40));
	cr_assert_eq((u8 *)cv_hosted_phys(RAM + 0x1234),
		     (u8 *)cv_hosted_phys(RAM) + 0x1234);

	/* Owners: RAM is the host's, the reserved region the core's. */
	cr_assert_eq(cv_hosted_page_owner(RAM / PAGE_SIZE), HOSTVISOR);
	cr_assert_eq(cv_hosted_page_owner((RAM + GiB) / PAGE_SIZE - 1),
		     HOSTVISOR);
	cr_assert_eq(cv_hosted_page_owner(rb / PAGE_SIZE), COREVISOR);
	cr_assert_eq(cv_hosted_page_owner((rb + rs) / PAGE_SIZE - 1),
		     COREVISOR);
	cr_assert_eq(cv_hosted_page_owner((rb + rs) / PAGE_SIZE), INVALID);
	cr_assert_eq(cv_hosted_page_owner(RAM / PAGE_SIZE - 1), INVALID);
	cr_assert_eq(cv_hosted_page_count(RAM / PAGE_SIZE), 0);
	cr_assert_eq(cv_hosted_page_gfn(RAM / PAGE_SIZE), INVALID64);
	cr_assert_eq(cv_hosted_page_gfn(0), INVALID64);
	cr_assert_not(cv_hosted_halted());
	cr_assert_str_eq(cv_hosted_halt_reason(), "");
}

Test(hosted, custom_layout_and_bad_configs)
{
	struct cv_hosted_config cfg;

	cv_hosted_console_mode(0);
	cv_hosted_default_config(&cfg);
	cfg.ram_base = 0x80000000ULL;
	cfg.ram_size = 256 * MiB;
	cfg.ncpus = 2;
	cr_assert_eq(cv_hosted_boot(&cfg), 0);
	cr_assert_eq(cv_hosted_reserved_base(), 0x90000000ULL);
	cr_assert_null(cv_hosted_phys(0x40000000ULL));
	cr_assert_not_null(cv_hosted_phys(0x80000000ULL));
	cr_assert_eq(cv_hosted_page_owner(0x80000), HOSTVISOR);

	cv_hosted_default_config(&cfg);
	cfg.ncpus = 0;
	cr_assert_eq(cv_hosted_boot(&cfg), -1);
	cfg.ncpus = TOTAL_CPU + 1;
	cr_assert_eq(cv_hosted_boot(&cfg), -1);
	cv_hosted_default_config(&cfg);
	cfg.ram_base += PAGE_SIZE;
	cr_assert_eq(cv_hosted_boot(&cfg), -1);
	cv_hosted_default_config(&cfg);
	cfg.ram_size = 0;
	cr_assert_eq(cv_hosted_boot(&cfg), -1);
	cv_hosted_default_config(&cfg);
	cfg.ntrusted_keys = CV_MAX_TRUSTED_KEYS + 1;
	cr_assert_eq(cv_hosted_boot(&cfg), -1);
}

Test(hosted, boot_passes_keys_and_a_fresh_salt)
{
	struct cv_hosted_config cfg;
	u8 salt[16];

	cv_hosted_console_mode(0);
	cv_hosted_default_config(&cfg);
	memset(cfg.trusted_keys[1], 0xab, 32);
	cfg.ntrusted_keys = 2;
	cr_assert_eq(cv_hosted_boot(&cfg), 0);
	cr_assert_eq(cv.ntrusted_keys, 2);
	cr_assert_arr_eq(cv.trusted_keys[1], cfg.trusted_keys[1], 32);
	cr_assert_arr_eq(cv.aead_key, cfg.aead_key, 32);
	memcpy(salt, cv.nonce_salt, sizeof(salt));
	cr_assert_eq(cv_hosted_boot(&cfg), 0);
	cr_assert_arr_neq(cv.nonce_salt, salt, sizeof(salt));
}

/* Lazy backing, and a reboot dropping every page. */
Test(hosted, memory_is_backed_lazily_and_reset_on_reboot)
{
	u64 pa = RAM + 300 * MiB + 5 * PAGE_SIZE;
	struct cv_hosted_config cfg;
	u8 *p;

	boot_default();
	cr_assert_not(cv_hosted_page_resident(pa));
	cr_assert_not(cv_hosted_page_resident(RAM + GiB - PAGE_SIZE));
	p = cv_hosted_phys(pa);
	cr_assert_eq(p[17], 0);
	p[17] = 0x5a;
	cr_assert(cv_hosted_page_resident(pa));
	cr_assert_not(cv_hosted_page_resident(pa + PAGE_SIZE));

	cv_hosted_default_config(&cfg);
	for (int i = 0; i < 20; i++)
		cr_assert_eq(cv_hosted_boot(&cfg), 0);
	cr_assert_not(cv_hosted_page_resident(pa));
	cr_assert_eq(((u8 *)cv_hosted_phys(pa))[17], 0);
	cr_assert_eq(cv_hosted_page_owner(pa / PAGE_SIZE), HOSTVISOR);
}

/* CPUs as threads */

#define NTHREADS 8

struct cpu_arg {
	u32 cpu;
	u32 seen[100];
	pthread_barrier_t *barrier;
};

static void *cpu_thread(void *arg)
{
	struct cpu_arg *a = arg;

	cv_hosted_set_cpu(a->cpu);
	pthread_barrier_wait(a->barrier); /* all CPUs set before reading */
	for (int i = 0; i < 100; i++) {
		a->seen[i] = arch_cpu_id();
		sched_yield();
	}
	return NULL;
}

Test(hosted, each_thread_is_its_own_cpu)
{
	struct cv_hosted_config cfg;
	pthread_t t[NTHREADS];
	struct cpu_arg args[NTHREADS];
	pthread_barrier_t barrier;

	cv_hosted_console_mode(0);
	cv_hosted_default_config(&cfg);
	cfg.ncpus = NTHREADS;
	cr_assert_eq(cv_hosted_boot(&cfg), 0);
	cv_hosted_set_cpu(3);
	pthread_barrier_init(&barrier, NULL, NTHREADS);
	for (u32 i = 0; i < NTHREADS; i++) {
		args[i].cpu = NTHREADS - 1 - i;
		args[i].barrier = &barrier;
		pthread_create(&t[i], NULL, cpu_thread, &args[i]);
	}
	for (u32 i = 0; i < NTHREADS; i++) {
		pthread_join(t[i], NULL);
		for (int k = 0; k < 100; k++)
			cr_assert_eq(args[i].seen[k], NTHREADS - 1 - i);
	}
	cr_assert_eq(cv_hosted_cpu(), 3);
	cr_assert_eq(arch_cpu_id(), 3);
	pthread_barrier_destroy(&barrier);
}

Test(hosted, cpu_beyond_the_machine_aborts, .signal = SIGABRT)
{
	struct cv_hosted_config cfg;

	cv_hosted_console_mode(0);
	cv_hosted_default_config(&cfg);
	cfg.ncpus = 2;
	cr_assert_eq(cv_hosted_boot(&cfg), 0);
	cv_hosted_set_cpu(2);
}

/* The walker on hand-built tables */

#define SCRATCH (RAM + 512 * MiB) /* tables and targets, untouched by core */
#define L0 (SCRATCH)
#define L1 (SCRATCH + 1 * PAGE_SIZE)
#define L2 (SCRATCH + 2 * PAGE_SIZE)
#define L3 (SCRATCH + 3 * PAGE_SIZE)

static void put_desc(u64 table, u32 idx, u64 desc)
{
	((u64 *)cv_hosted_phys(table))[idx] = desc;
}

/*
 * ipa 0x8040201000 -> L0[1] -> L1[1] -> L2[1] -> L3[1] -> page 0x41234000:
 * each level's index is 1.
 */
#define IPA 0x8040201000ULL
#define TARGET 0x41234000ULL

static void build_s2_tables(u64 leaf_attrs)
{
	boot_default();
	put_desc(L0, 1, L1 | PTE_TYPE_TABLE);
	put_desc(L1, 1, L2 | PTE_TYPE_TABLE);
	put_desc(L2, 1, L3 | PTE_TYPE_TABLE);
	put_desc(L3, 1, TARGET | leaf_attrs);
}

Test(hosted_walk, page)
{
	struct cv_walk w;

	build_s2_tables(PAGE_S2_RAM);
	cr_assert_eq(cv_hosted_walk(CV_REGIME_S2, L0, IPA + 0x123,
				    CV_ACCESS_WRITE, &w),
		     CV_FAULT_NONE);
	cr_assert_eq(w.level, 3);
	cr_assert_eq(w.pa, TARGET + 0x123);
	cr_assert_eq(w.pte, TARGET | PAGE_S2_RAM);
	/* A neighbouring page has no entry. */
	cr_assert_eq(cv_hosted_walk(CV_REGIME_S2, L0, IPA + PAGE_SIZE,
				    CV_ACCESS_READ, &w),
		     CV_FAULT_TRANSLATION);
	cr_assert_eq(w.level, 3);
	/* Neither has the next level-2 entry (its level-2 slot is empty). */
	cr_assert_eq(cv_hosted_walk(CV_REGIME_S2, L0, IPA + PMD_SIZE,
				    CV_ACCESS_READ, &w),
		     CV_FAULT_TRANSLATION);
	cr_assert_eq(w.level, 2);
	cr_assert_eq(cv_hosted_walk(CV_REGIME_S2, L0, 0, CV_ACCESS_READ, &w),
		     CV_FAULT_TRANSLATION);
	cr_assert_eq(w.level, 0);
	/* Beyond 48 bits of input. */
	cr_assert_eq(cv_hosted_walk(CV_REGIME_S2, L0, IPA | (1ULL << 48),
				    CV_ACCESS_READ, &w),
		     CV_FAULT_TRANSLATION);
}

Test(hosted_walk, level3_needs_page_type)
{
	struct cv_walk w;

	build_s2_tables(S2_ATTR_RAM | PTE_TYPE_BLOCK);
	cr_assert_eq(cv_hosted_walk(CV_REGIME_S2, L0, IPA, CV_ACCESS_READ, &w),
		     CV_FAULT_TRANSLATION);
	cr_assert_eq(w.level, 3);
}

Test(hosted_walk, blocks_at_level2_and_level1_not_level0)
{
	struct cv_walk w;

	build_s2_tables(PAGE_S2_RAM);
	/* Level 2 entry 2: 2 MiB block at 0x40200000. */
	put_desc(L2, 2, 0x40200000ULL | PAGE_S2_RAM_BLOCK);
	cr_assert_eq(cv_hosted_walk(CV_REGIME_S2, L0, 0x8040400000ULL + 0x12345,
				    CV_ACCESS_WRITE, &w),
		     CV_FAULT_NONE);
	cr_assert_eq(w.level, 2);
	cr_assert_eq(w.pa, 0x40200000ULL + 0x12345);

	/* Level 1 entry 2: 1 GiB block at 0x40000000. */
	put_desc(L1, 2, 0x40000000ULL | PAGE_S2_RAM_BLOCK);
	cr_assert_eq(cv_hosted_walk(CV_REGIME_S2, L0,
				    0x8080000000ULL + 0x3456789, CV_ACCESS_READ,
				    &w),
		     CV_FAULT_NONE);
	cr_assert_eq(w.level, 1);
	cr_assert_eq(w.pa, 0x40000000ULL + 0x3456789);

	/* Level 0 entry 2 as a block: no such thing with 4 KiB granules. */
	put_desc(L0, 2, 0x40000000ULL | PAGE_S2_RAM_BLOCK);
	cr_assert_eq(cv_hosted_walk(CV_REGIME_S2, L0, 2ULL << 39,
				    CV_ACCESS_READ, &w),
		     CV_FAULT_TRANSLATION);
	cr_assert_eq(w.level, 0);
}

Test(hosted_walk, invalid_entries_at_each_level)
{
	struct cv_walk w;

	build_s2_tables(PAGE_S2_RAM);
	/* PAGE_GUEST: the software bit alone is not valid. */
	put_desc(L3, 1, TARGET | PAGE_GUEST);
	cr_assert_eq(cv_hosted_walk(CV_REGIME_S2, L0, IPA, CV_ACCESS_NONE, &w),
		     CV_FAULT_TRANSLATION);
	cr_assert_eq(w.level, 3);
	cr_assert_eq(w.pte, TARGET | PAGE_GUEST);
	put_desc(L3, 1, TARGET | PAGE_S2_RAM);
	put_desc(L2, 1, (L3 | PTE_TYPE_TABLE) & ~PTE_VALID);
	cr_assert_eq(cv_hosted_walk(CV_REGIME_S2, L0, IPA, CV_ACCESS_NONE, &w),
		     CV_FAULT_TRANSLATION);
	cr_assert_eq(w.level, 2);
	put_desc(L2, 1, L3 | PTE_TYPE_TABLE);
	put_desc(L0, 1, 0);
	cr_assert_eq(cv_hosted_walk(CV_REGIME_S2, L0, IPA, CV_ACCESS_NONE, &w),
		     CV_FAULT_TRANSLATION);
	cr_assert_eq(w.level, 0);
}

Test(hosted_walk, table_outside_memory_is_an_external_abort)
{
	struct cv_walk w;

	build_s2_tables(PAGE_S2_RAM);
	put_desc(L1, 1, 0x1000ULL | PTE_TYPE_TABLE);
	cr_assert_eq(cv_hosted_walk(CV_REGIME_S2, L0, IPA, CV_ACCESS_READ, &w),
		     CV_FAULT_EXTERNAL);
	cr_assert_eq(w.level, 2);
	cr_assert_eq(
		cv_hosted_walk(CV_REGIME_S2, 0x2000, IPA, CV_ACCESS_READ, &w),
		CV_FAULT_EXTERNAL);
	cr_assert_eq(w.level, 0);
}

Test(hosted_walk, s2ap_permissions)
{
	struct cv_walk w;
	u64 ro = (PAGE_S2_RAM & ~S2AP_RW) | S2AP_R;
	u64 wo = (PAGE_S2_RAM & ~S2AP_RW) | S2AP_W;
	u64 none = PAGE_S2_RAM & ~S2AP_RW;

	build_s2_tables(ro);
	cr_assert_eq(cv_hosted_walk(CV_REGIME_S2, L0, IPA, CV_ACCESS_READ, &w),
		     CV_FAULT_NONE);
	cr_assert_eq(cv_hosted_walk(CV_REGIME_S2, L0, IPA, CV_ACCESS_WRITE, &w),
		     CV_FAULT_PERMISSION);
	cr_assert_eq(w.level, 3);
	put_desc(L3, 1, TARGET | wo);
	cr_assert_eq(cv_hosted_walk(CV_REGIME_S2, L0, IPA, CV_ACCESS_READ, &w),
		     CV_FAULT_PERMISSION);
	cr_assert_eq(cv_hosted_walk(CV_REGIME_S2, L0, IPA, CV_ACCESS_WRITE, &w),
		     CV_FAULT_NONE);
	put_desc(L3, 1, TARGET | none);
	cr_assert_eq(cv_hosted_walk(CV_REGIME_S2, L0, IPA, CV_ACCESS_READ, &w),
		     CV_FAULT_PERMISSION);
	cr_assert_eq(cv_hosted_walk(CV_REGIME_S2, L0, IPA, CV_ACCESS_NONE, &w),
		     CV_FAULT_NONE);
	/* No access flag: a fault before any permission check. */
	put_desc(L3, 1, TARGET | (PAGE_S2_RAM & ~PTE_AF));
	cr_assert_eq(cv_hosted_walk(CV_REGIME_S2, L0, IPA, CV_ACCESS_READ, &w),
		     CV_FAULT_ACCESS_FLAG);
}

Test(hosted_walk, el2_stage1_permissions)
{
	struct cv_walk w;

	build_s2_tables(PAGE_HYP);
	cr_assert_eq(
		cv_hosted_walk(CV_REGIME_EL2, L0, IPA, CV_ACCESS_WRITE, &w),
		CV_FAULT_NONE);
	cr_assert_eq(w.pa, TARGET);
	put_desc(L3, 1, TARGET | PAGE_HYP | (1ULL << 7)); /* AP[2]: RO */
	cr_assert_eq(cv_hosted_walk(CV_REGIME_EL2, L0, IPA, CV_ACCESS_READ, &w),
		     CV_FAULT_NONE);
	cr_assert_eq(
		cv_hosted_walk(CV_REGIME_EL2, L0, IPA, CV_ACCESS_WRITE, &w),
		CV_FAULT_PERMISSION);
	put_desc(L3, 1, TARGET | PAGE_HYP);
	put_desc(L1, 1, L2 | PTE_TYPE_TABLE | (1ULL << 62)); /* APTable */
	cr_assert_eq(
		cv_hosted_walk(CV_REGIME_EL2, L0, IPA, CV_ACCESS_WRITE, &w),
		CV_FAULT_PERMISSION);
	/* Stage 2 ignores the stage-1 table bits: S2AP rules. */
	put_desc(L3, 1, TARGET | PAGE_S2_RAM);
	cr_assert_eq(cv_hosted_walk(CV_REGIME_S2, L0, IPA, CV_ACCESS_WRITE, &w),
		     CV_FAULT_NONE);
}

Test(hosted_walk, smmu_concatenated_root)
{
	struct cv_walk w;
	u64 root = SCRATCH + 16 * PAGE_SIZE; /* 8 KiB aligned */
	u64 l2 = SCRATCH + 18 * PAGE_SIZE, l3 = SCRATCH + 19 * PAGE_SIZE;
	u64 iova = (600ULL << 30) | (3ULL << 21) | (7ULL << 12) | 0x10;

	boot_default();
	/* Level-1 index 600 lives in the second root page. */
	put_desc(root + PAGE_SIZE, 600 - 512, l2 | PTE_TYPE_TABLE);
	put_desc(l2, 3, l3 | PTE_TYPE_TABLE);
	put_desc(l3, 7, TARGET | PAGE_S2_RAM);
	cr_assert_eq(
		cv_hosted_walk(CV_REGIME_SMMU, root, iova, CV_ACCESS_WRITE, &w),
		CV_FAULT_NONE);
	cr_assert_eq(w.level, 3);
	cr_assert_eq(w.pa, TARGET + 0x10);
	/* The same bits one level-1 entry lower fault; 40 bits is the limit. */
	cr_assert_eq(cv_hosted_walk(CV_REGIME_SMMU, root, iova - (1ULL << 30),
				    CV_ACCESS_READ, &w),
		     CV_FAULT_TRANSLATION);
	cr_assert_eq(w.level, 1);
	cr_assert_eq(cv_hosted_walk(CV_REGIME_SMMU, root, iova | (1ULL << 40),
				    CV_ACCESS_READ, &w),
		     CV_FAULT_TRANSLATION);
	/* A 4-level walker on the same root sees something else entirely. */
	cr_assert_neq(
		cv_hosted_walk(CV_REGIME_S2, root, iova, CV_ACCESS_READ, &w),
		CV_FAULT_NONE);
}

/* The live tables of principals */

Test(hosted_walk, principals_start_empty_and_bad_ids_are_rejected)
{
	struct cv_translation t;

	boot_default();
	for (u32 vmid = HOSTVISOR; vmid < COREVISOR; vmid++)
		cr_assert_not(cv_hosted_translate(vmid, RAM, &t));
	cr_assert_not(cv_hosted_translate(COREVISOR + 1, RAM, &t));
	cr_assert_not(cv_hosted_smmu_translate(SMMU_NUM, 0, 0, &t));
	cr_assert_not(cv_hosted_smmu_translate(0, SMMU_NUM_CTXT_BANKS, 0, &t));
	cr_assert_not(cv_hosted_smmu_translate(0, 0, 0x1000, &t));
	cr_assert_not(cv_hosted_halted(), "a bad id must not reach the core");
}

Test(hosted_walk, translate_reads_core_written_tables)
{
	struct cv_translation t;

	boot_default();
	map_s2pt(5, 0x80000000ULL, 3, TARGET | PAGE_S2_RAM);
	cr_assert_not(cv_hosted_halted(), "%s", cv_hosted_halt_reason());
	cr_assert(cv_hosted_translate(5, 0x80000abcULL, &t));
	cr_assert_eq(t.level, 3);
	cr_assert_eq(t.pa, TARGET + 0xabc);
	cr_assert_eq(t.pte, TARGET | PAGE_S2_RAM);
	cr_assert_not(cv_hosted_translate(4, 0x80000abcULL, &t));
	cr_assert_not(cv_hosted_translate(5, 0x80001000ULL, &t));
}

/* Host accesses */

Test(hosted_access, host_fault_maps_host_page_and_retries)
{
	struct cv_hosted_counters c;
	struct cv_translation t;
	u64 ipa = RAM + 8 * MiB - 3; /* spans two 2 MiB blocks */
	char out[8] = "corevis", in[8] = {0};

	boot_default();
	cr_assert_not(cv_hosted_translate(HOSTVISOR, ipa, &t));
	cr_assert(cv_hosted_host_write(ipa, out, sizeof(out)));
	cv_hosted_get_counters(&c);
	cr_assert_eq(c.host_faults, 2, "one fault per 2 MiB block: %llu",
		     (unsigned long long)c.host_faults);
	cr_assert(cv_hosted_translate(HOSTVISOR, ipa, &t));
	cr_assert_eq(t.level, 2, "the host's own 2 MiB: one block");
	cr_assert_eq(t.pa, ipa, "the host's stage 2 is the identity");
	cr_assert(cv_hosted_translate(HOSTVISOR, ipa + 3, &t));
	cr_assert_eq(t.level, 2);
	cr_assert_eq(t.pa, ipa + 3);
	cr_assert(cv_hosted_translate(HOSTVISOR, RAM + 6 * MiB, &t));
	cr_assert_eq(t.pa, RAM + 6 * MiB, "the whole block is mapped");
	cr_assert_arr_eq((char *)cv_hosted_phys(ipa), out, sizeof(out));

	cr_assert(cv_hosted_host_read(ipa, in, sizeof(in)));
	cr_assert_arr_eq(in, out, sizeof(out));
	cv_hosted_get_counters(&c);
	cr_assert_eq(c.host_faults, 2, "mapped now: no more faults");
	cr_assert_not(cv_hosted_halted());
}

Test(hosted_access, host_touching_core_memory_halts)
{
	struct cv_hosted_counters c;
	u64 v = 0x1122334455667788ULL, back, pa;

	boot_default();
	pa = cv_hosted_reserved_base() + 5 * PAGE_SIZE;
	cr_assert_not(cv_hosted_host_write(pa, &v, sizeof(v)));
	cr_assert(cv_hosted_halted());
	cr_assert_str_neq(cv_hosted_halt_reason(), "");
	cr_assert_neq(*(u64 *)cv_hosted_phys(pa), v, "nothing was written");
	cr_assert_eq(cv_hosted_page_owner(pa / PAGE_SIZE), COREVISOR);
	cv_hosted_get_counters(&c);
	cr_assert_eq(c.halts, 1);
	cr_assert_eq(c.host_faults, 1);
	cr_assert(strstr(cv_hosted_console_text(), cv_hosted_halt_reason()));
	/* The machine has stopped: even host pages are out of reach. */
	cr_assert_not(cv_hosted_host_read(RAM, &back, sizeof(back)));
}

Test(hosted_access, host_access_beyond_memory_fails)
{
	u64 v;

	boot_default();
	/* map_page_host maps MMIO (no owner) as device; there is no backing. */
	cr_assert_not(cv_hosted_host_read(0x09000000ULL, &v, sizeof(v)));
}

/* VM accesses */

Test(hosted_access, vm_access_reports_the_faulting_ipa)
{
	u64 gpa = 0x80000000ULL, fault = 0;
	u8 buf[64], back[64];

	boot_default();
	memset(buf, 0x77, sizeof(buf));
	cr_assert_not(cv_hosted_vm_read(1, gpa + 0x10, back, 4, &fault));
	cr_assert_eq(fault, gpa + 0x10);

	map_s2pt(1, gpa, 3, TARGET | PAGE_S2_RAM);
	cr_assert(cv_hosted_vm_write(1, gpa + 8, buf, 16, &fault));
	cr_assert_arr_eq((u8 *)cv_hosted_phys(TARGET + 8), buf, 16);
	cr_assert(cv_hosted_vm_read(1, gpa + 8, back, 16, NULL));
	cr_assert_arr_eq(back, buf, 16);

	/* Across into the unmapped next page: the first byte there faults. */
	fault = 0;
	cr_assert_not(cv_hosted_vm_write(1, gpa + PAGE_SIZE - 32, buf,
					 sizeof(buf), &fault));
	cr_assert_eq(fault, gpa + PAGE_SIZE);
	cr_assert_arr_eq((u8 *)cv_hosted_phys(TARGET + PAGE_SIZE - 32), buf, 32,
			 "the mapped part was written, as on hardware");

	/* Read-only mapping: reads work, writes fault. */
	map_s2pt(1, gpa + PAGE_SIZE, 3,
		 (TARGET + PAGE_SIZE) | (PAGE_S2_RAM & ~S2AP_W));
	cr_assert(cv_hosted_vm_read(1, gpa + PAGE_SIZE, back, 8, &fault));
	cr_assert_not(
		cv_hosted_vm_write(1, gpa + PAGE_SIZE + 4, buf, 8, &fault));
	cr_assert_eq(fault, gpa + PAGE_SIZE + 4);

	/* Another VM does not see VM 1's page; the host and core are no VM. */
	cr_assert_not(cv_hosted_vm_read(2, gpa, back, 8, &fault));
	cr_assert_eq(fault, gpa);
	cr_assert_not(cv_hosted_vm_read(HOSTVISOR, gpa, back, 8, &fault));
	cr_assert_not(cv_hosted_vm_read(COREVISOR, gpa, back, 8, &fault));
	cr_assert_not(cv_hosted_halted(), "VM faults do not halt the core");
}

/* Arch hooks */

Test(hosted_arch, halt_records_reason_and_console)
{
	struct cv_hosted_counters c;

	boot_default();
	cv_hosted_console_clear();
	panic("test_hosted: value %u", 42U);
	cr_assert(cv_hosted_halted());
	cr_assert_str_eq(cv_hosted_halt_reason(), "test_hosted: value 42");
	cr_assert_str_eq(cv_hosted_console_text(),
			 "corevisor: halted: test_hosted: value 42\n");
	cv_hosted_get_counters(&c);
	cr_assert_eq(c.halts, 1);
	panic("second");
	cr_assert_str_eq(cv_hosted_halt_reason(), "test_hosted: value 42");

	/* A new boot is a fresh machine. */
	boot_default();
	cr_assert_not(cv_hosted_halted());
	cr_assert_str_eq(cv_hosted_halt_reason(), "");
	cv_hosted_get_counters(&c);
	cr_assert_eq(c.halts, 0);
}

Test(hosted_arch, flush_hooks_are_counted)
{
	struct cv_hosted_counters c;

	boot_default();
	arch_tlb_flush_ipa(3, 0x5000);
	arch_tlb_flush_ipa(3, 0x6000);
	arch_tlb_flush_vmid(COREVISOR);
	arch_smmu_tlb_flush(1, 7);
	arch_pt_sync();
	arch_tlb_flush_ipa(NUM_PRINCIPALS, 0);
	arch_smmu_tlb_flush(SMMU_NUM, 0);
	cv_hosted_get_counters(&c);
	cr_assert_eq(c.tlb_flush_ipa[3], 2);
	cr_assert_eq(c.last_flush_ipa[3], 0x6000);
	cr_assert_eq(c.tlb_flush_ipa[2], 0);
	cr_assert_eq(c.tlb_flush_vmid[COREVISOR], 1);
	cr_assert_eq(c.smmu_tlb_flush[1][7], 1);
	cr_assert_geq(c.pt_sync, 1);
	cr_assert_eq(c.bad_flush, 2);
	cv_hosted_reset_counters();
	cv_hosted_get_counters(&c);
	cr_assert_eq(c.tlb_flush_ipa[3], 0);
}

Test(hosted_arch, console_modes)
{
	boot_default();
	cv_hosted_console_clear();
	arch_console_write("one ");
	cv_hosted_console_mode(0);
	arch_console_write("dropped ");
	cv_hosted_console_mode(CV_CONSOLE_CAPTURE);
	arch_console_write("two");
	cr_assert_str_eq(cv_hosted_console_text(), "one two");
}

/*
 * A CPU waiting on a lock when another CPU halts the core stops: inside a
 * hosted entry it lands back there and the entry returns.
 */
static pthread_barrier_t stop_barrier;
static volatile u32 waiter_result;
static volatile int runner_result;
static volatile bool runner_got_lock;

static void *waiter(void *arg)
{
	(void)arg;
	cv_hosted_set_cpu(1);
	pthread_barrier_wait(&stop_barrier);
	/* Spins on the s2page lock CPU 0 holds. */
	waiter_result = cv_hosted_page_owner(RAM / PAGE_SIZE);
	return NULL;
}

static void take_core_lock(void *arg)
{
	(void)arg;
	acquire_lock_core();
	runner_got_lock = true; /* not reached: the CPU stops */
}

static void *runner(void *arg)
{
	(void)arg;
	cv_hosted_set_cpu(2);
	pthread_barrier_wait(&stop_barrier);
	runner_result = cv_hosted_run(take_core_lock, NULL);
	return NULL;
}

static void wait_for_tickets(u32 lock, u32 n)
{
	while (__atomic_load_n(&cv.locks[lock].next, __ATOMIC_ACQUIRE) < n)
		sched_yield();
}

Test(hosted_arch, cpus_waiting_on_locks_stop_at_halt)
{
	struct cv_hosted_counters c;
	pthread_t t1, t2;

	boot_default();
	waiter_result = 12345;
	runner_result = 7;
	acquire_lock_s2page();
	acquire_lock_core();
	pthread_barrier_init(&stop_barrier, NULL, 3);
	pthread_create(&t1, NULL, waiter, NULL);
	pthread_create(&t2, NULL, runner, NULL);
	pthread_barrier_wait(&stop_barrier);
	/* CPUs 1 and 2 have taken their tickets: they are spinning. */
	wait_for_tickets(S2PAGE_ID, 2);
	wait_for_tickets(CORE_ID, 2);
	panic("test_hosted: halt while CPUs 1 and 2 wait");
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	cr_assert_eq(waiter_result, INVALID);
	cr_assert_eq(runner_result, 0);
	cr_assert_not(runner_got_lock);
	cv_hosted_get_counters(&c);
	cr_assert_eq(c.cpu_stops, 2);
	pthread_barrier_destroy(&stop_barrier);
}

static void count_call(void *arg)
{
	(*(int *)arg)++;
}

Test(hosted_arch, run_returns_true_when_the_cpu_was_not_stopped)
{
	int calls = 0;

	boot_default();
	cr_assert(cv_hosted_run(count_call, &calls));
	cr_assert(cv_hosted_run(count_call, &calls));
	cr_assert_eq(calls, 2);
}

/* Hypercalls and state observers */

Test(hosted_hvc, dispatches_on_this_cpu)
{
	u64 vmid;

	boot_default();
	cv_hosted_set_cpu(2);
	cr_assert_eq(cv_hosted_hvc(HVC_NOOP, 0, 0, 0, 0, 0), 0);
	cr_assert_eq(cv_hosted_hvc(1000, 0, 0, 0, 0, 0), INVALID64);
	cr_assert_eq(cv_hosted_vm_state(1), UNUSED);
	vmid = cv_hosted_hvc(HVC_REGISTER_KVM, 0, 0, 0, 0, 0);
	cr_assert_eq(vmid, 1);
	cr_assert_eq(cv_hosted_vm_state(1), READY);
	cr_assert_eq(cv_hosted_vcpu_state(1, 3), UNUSED);
	cr_assert_eq(cv_hosted_hvc(HVC_REGISTER_VCPU, 1, 3, 0, 0, 0), 0);
	cr_assert_eq(cv_hosted_vcpu_state(1, 3), READY);
	cr_assert_eq(cv_hosted_vcpu_state(1, 2), UNUSED);
	cr_assert_eq(cv_hosted_vm_state(COREVISOR + 1), INVALID);
	cr_assert_eq(cv_hosted_vcpu_state(1, VCPU_PER_VM), INVALID);
	cr_assert_not(cv_hosted_halted());
}

Test(hosted_hvc, bad_call_halts_and_machine_stays_stopped)
{
	boot_default();
	/* vCPU of a VM that was never registered: register_vcpu panics. */
	cr_assert_eq(cv_hosted_hvc(HVC_REGISTER_VCPU, 4, 0, 0, 0, 0), 0);
	cr_assert(cv_hosted_halted());
	cr_assert_str_neq(cv_hosted_halt_reason(), "");
	cr_assert_eq(cv_hosted_hvc(HVC_REGISTER_KVM, 0, 0, 0, 0, 0), 0);
	cr_assert_eq(cv_hosted_vm_state(1), UNUSED, "no VM after the halt");
}

/* Tables stay inspectable after a fail-stop (the getters return 0 then). */
Test(hosted_walk, translate_after_halt)
{
	struct cv_translation t;
	u8 b = 1;

	boot_default();
	cr_assert(cv_hosted_host_write(RAM + 0x5000, &b, 1));
	panic("test_hosted: stop");
	cr_assert(cv_hosted_translate(HOSTVISOR, RAM + 0x5000, &t));
	cr_assert_eq(t.pa, RAM + 0x5000);
	/* The fault mapped the host's 2 MiB block, not the next one. */
	cr_assert(cv_hosted_translate(HOSTVISOR, RAM + 0x6000, &t));
	cr_assert_not(cv_hosted_translate(HOSTVISOR, RAM + PMD_SIZE, &t));
	cr_assert_not(cv_hosted_smmu_translate(0, 0, 0, &t));
}
