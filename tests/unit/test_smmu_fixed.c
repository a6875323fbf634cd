// SPDX-License-Identifier: MIT
/*
 * The SMMU settings the core fixes (issue 13: hole 4 and item 6), on the
 * hosted machine's simulated SMMUv2, whose DMA goes where its registers
 * send it (arch/hosted/smmu.c: bypasses, a bank's table and geometry, its
 * translation enable). Each test is one host store the core must refuse
 * (a panic naming the register): the register keeps the core's value and
 * a device still cannot reach the core's memory, which it would if the
 * setting had taken effect. Also: a TTBR0 reads back without the core's
 * table address.
 */
#include <criterion/criterion.h>
#include <string.h>

#include <corevisor/abi.h>
#include <cv/pte.h>
#include <cv/smmu.h>
#include <cv/spt.h>
#include <cv/state.h>
#include <cv/vcpu.h>

#include "boot_support.h"
#include "hosted_internal.h"

#define IDX 0U
#define CBAR(n) (ARM_SMMU_GR1_BASE + 4ULL * (n))
#define CB(n) (SMMU_GLOBAL_BASE + (u64)(n)*PAGE_SIZE)
#define SCR0_OK (sCR0_SMCFCFG | sCR0_USFCFG)
#define PROT (S2_MEMATTR_NORMAL_WB | S2AP_RW | PTE_TYPE_TABLE)
#define IOVA 0x80020000ULL

/* 4 banks: bank indexes 4..7 stand for streams no S2CR routes. */
static void boot_4_banks(void)
{
	struct cv_hosted_config cfg;

	bs_boot();
	cv_hosted_default_config(&cfg);
	cfg.smmu_context_banks = 4;
	cr_assert_eq(cv_hosted_boot(&cfg), 0);
	cv_hosted_set_cpu(0);
	cv_hosted_console_mode(CV_CONSOLE_CAPTURE);
}

TestSuite(smmu_fixed, .init = boot_4_banks);

static u64 base(void)
{
	return cv_hosted_smmu_base(IDX);
}

static bool host_store(u64 off, u32 len, u64 val)
{
	return cv_hosted_host_write(base() + off, &val, len);
}

static u64 dev_reg(u64 off, u32 len)
{
	return cv_hosted_smmu_reg(IDX, off, len);
}

/* A page of the core's own memory (its stage-2 pools). */
static u64 core_pa(void)
{
	return cv_hosted_reserved_base() + 5 * PAGE_SIZE;
}

/* Does a device on bank @cbndx read anything at @iova? */
static bool dma_reads(u32 cbndx, u64 iova)
{
	u8 b[8];

	return cv_hosted_dma_read(IDX, cbndx, iova, b, sizeof(b), NULL);
}

/*
 * Would a device on bank @cbndx reach @iova, as the SMMU's registers
 * stand (after a halt too, when DMA no longer runs)?
 */
static bool device_reaches(u32 cbndx, u64 iova)
{
	struct cv_translation t;

	return cv_hosted_smmu_device_translate(IDX, cbndx, iova, &t);
}

/* The core's memory is out of every device's reach. */
static void core_unreachable(void)
{
	for (u32 cb = 0; cb < SMMU_NUM_CTXT_BANKS; cb++) {
		cr_assert_not(device_reaches(cb, core_pa()), "bank %u", cb);
		if (!cv_hosted_halted())
			cr_assert_not(dma_reads(cb, core_pa()), "bank %u", cb);
	}
}

/* ---- Hole 4: a wide store reaches the next register ------------------ */

Test(smmu_fixed, a_wide_store_cannot_rewrite_the_next_banks_cbar)
{
	uint32_t vm = bs_new_vm(1);

	cr_assert_eq(bs_hvc(HVC_SMMU_ALLOC_PGD, 2, HOSTVISOR, IDX, 0, 0), 0);
	cr_assert_eq(bs_hvc(HVC_SMMU_ALLOC_PGD, 3, vm, IDX, 0, 0), 0);
	cr_assert(host_store(CBAR(3), 4, vm));
	/* CBAR(2) as the host may have it, and in the same store CBAR(3). */
	host_store(CBAR(2), 8, ((1ULL << CBAR_TYPE_SHIFT) | 0x7) << 32);
	bs_expect_halt("handle_smmu_write", "global register 0x1008 refuses");
	cr_assert_eq(dev_reg(CBAR(3), 4), vm, "the VM's bank kept its VMID");
	cr_assert_eq(dev_reg(CBAR(2), 4), 0);
}

Test(smmu_fixed, a_wide_store_at_tcr_cannot_write_contextidr)
{
	host_store(CB(1) + ARM_SMMU_CB_TCR, 8,
		   0x99ULL << 32 | dev_reg(CB(1) + ARM_SMMU_CB_TCR, 4));
	bs_expect_halt("handle_smmu_write",
		       "context bank register 0x9034 refuses 0x99");
	cr_assert_eq(dev_reg(CB(1) + ARM_SMMU_CB_CONTEXTIDR, 4), 0);
}

Test(smmu_fixed, a_wide_store_at_ttbr0_gets_the_whole_table_address)
{
	cr_assert(host_store(CB(1) + ARM_SMMU_CB_TTBR0, 8, bs_ram(0x80)));
	bs_expect_running();
	cr_assert_eq(dev_reg(CB(1) + ARM_SMMU_CB_TTBR0, 8), smmu_ttbr(IDX, 1));
}

/* ---- Item 6: no bypass ------------------------------------------------- */

Test(smmu_fixed, client_bypass_is_refused)
{
	core_unreachable();
	host_store(ARM_SMMU_GR0_sCR0, 4, SCR0_OK | sCR0_CLIENTPD);
	bs_expect_halt("handle_smmu_write", "global register 0x0 refuses");
	cr_assert_eq(dev_reg(ARM_SMMU_GR0_sCR0, 4), SCR0_OK);
	core_unreachable();
}

Test(smmu_fixed, bypass_of_unmatched_streams_is_refused)
{
	cr_assert_not(dma_reads(6, core_pa()), "a stream no entry routes");
	host_store(ARM_SMMU_GR0_sCR0, 4, sCR0_SMCFCFG); /* USFCFG clear */
	bs_expect_halt("handle_smmu_write", "global register 0x0 refuses");
	cr_assert_eq(dev_reg(ARM_SMMU_GR0_sCR0, 4), SCR0_OK);
	cr_assert_not(device_reaches(6, core_pa()));
}

Test(smmu_fixed, stream_bypass_is_refused)
{
	host_store(ARM_SMMU_GR0_S2CR(3), 4,
		   S2CR_TYPE_BYPASS << S2CR_TYPE_SHIFT);
	bs_expect_halt("handle_smmu_write", "global register 0xc0c refuses");
	cr_assert_eq(dev_reg(ARM_SMMU_GR0_S2CR(3), 4), 0);
	core_unreachable();
}

Test(smmu_fixed, stream_entries_the_core_allows)
{
	cr_assert(host_store(ARM_SMMU_GR0_S2CR(1), 4,
			     S2CR_TYPE_FAULT << S2CR_TYPE_SHIFT));
	cr_assert(host_store(ARM_SMMU_GR0_S2CR(2), 4, 3));
	bs_expect_running();
	host_store(ARM_SMMU_GR0_S2CR(2), 4, 4); /* bank 4: there is none */
	bs_expect_halt("handle_smmu_write", "global register 0xc08 refuses");
}

Test(smmu_fixed, translation_off_is_refused)
{
	cr_assert_eq(dev_reg(CB(3) + ARM_SMMU_CB_SCTLR, 4) & SCTLR_M, 1);
	host_store(CB(3) + ARM_SMMU_CB_SCTLR, 4, 0x60); /* faults on, M off */
	bs_expect_halt("handle_smmu_write",
		       "context bank register 0xb000 refuses 0x60");
	cr_assert_eq(dev_reg(CB(3) + ARM_SMMU_CB_SCTLR, 4), SCTLR_M);
	core_unreachable();
}

Test(smmu_fixed, translation_off_in_a_wide_store_is_refused)
{
	host_store(CB(0) + ARM_SMMU_CB_SCTLR, 8, 0x1ULL << 32); /* ACTLR */
	bs_expect_halt("handle_smmu_write",
		       "context bank register 0x8000 refuses 0x0");
	core_unreachable();
}

Test(smmu_fixed, translation_settings_the_core_allows)
{
	cr_assert(host_store(CB(3) + ARM_SMMU_CB_SCTLR, 4, 0x61));
	cr_assert(host_store(CB(3) + ARM_SMMU_CB_TCR, 4,
			     SMMU_TCR_T0SZ | SMMU_TCR_SL0));
	cr_assert(host_store(ARM_SMMU_GR0_sCR0, 4, SCR0_OK | 0x36));
	bs_expect_running();
	cr_assert_eq(dev_reg(CB(3) + ARM_SMMU_CB_SCTLR, 4), 0x61);
	core_unreachable();
}

/* ---- Item 6: no other table, no other geometry ---------------------- */

/*
 * A host table at host RAM @root (two 4 KiB pages, the geometry of the
 * core's: level-1 root over 40 bits) mapping the 1 GiB around the core's
 * page with a block. Returns the IOVA of the core's page through it.
 */
static u64 host_table_to_core(u64 root)
{
	u64 gib = core_pa() & ~((1ULL << 30) - 1), iova = 5ULL << 30;
	u64 desc = gib | PTE_AF | S2AP_RW | S2_MEMATTR_NORMAL_WB |
		   PTE_TYPE_BLOCK | PTE_SH_INNER;

	bs_host_write(root + 5 * 8, &desc, sizeof(desc));
	return iova + (core_pa() - gib);
}

Test(smmu_fixed, a_host_banks_stage_1_tables_are_refused)
{
	u64 root = bs_ram(0x200), iova = host_table_to_core(root);

	cr_assert_eq(bs_hvc(HVC_SMMU_ALLOC_PGD, 1, HOSTVISOR, IDX, 0, 0), 0);
	/* TTBR1 gets 0 whatever the host writes. */
	cr_assert(host_store(CB(1) + ARM_SMMU_CB_TTBR1, 8, root));
	cr_assert_eq(dev_reg(CB(1) + ARM_SMMU_CB_TTBR1, 8), 0);
	cr_assert(host_store(CB(1) + ARM_SMMU_CB_TTBR1_HI, 4, 0));
	bs_expect_running();
	/* A stage-1 context (stage 2 bypassed) for the host's bank. */
	host_store(CBAR(1), 4, 1ULL << CBAR_TYPE_SHIFT);
	bs_expect_halt("handle_smmu_write", "global register 0x1004 refuses");
	cr_assert_eq(dev_reg(CBAR(1), 4), 0);
	cr_assert_not(device_reaches(1, iova));
	core_unreachable();
}

/*
 * A bank's geometry moved one level up (48 bits from level 0): the walk
 * would read the core's root as a level-0 table, its level-2 table as a
 * level-1 one, its level-3 table as level 2, and the page the bank maps
 * as the last table: the host filled that page before it gave it to the
 * VM (assignment keeps the contents), with a descriptor of the core's
 * memory.
 */
Test(smmu_fixed, another_table_geometry_is_refused)
{
	uint32_t vm = bs_new_vm(1);
	u64 page = bs_ram(0x300), k = 7, desc, iova;
	u64 bad = 16 | (2ULL << TCR_SL0_SHIFT);

	desc = core_pa() | PTE_AF | S2AP_RW | S2_MEMATTR_NORMAL_WB |
	       PTE_SH_INNER | PTE_TYPE_TABLE;
	bs_host_write(page + k * 8, &desc, sizeof(desc));
	cr_assert_eq(bs_hvc(HVC_SMMU_ALLOC_PGD, 3, vm, IDX, 0, 0), 0);
	cr_assert_eq(bs_hvc(HVC_SMMU_LPAE_MAP, IOVA, page, PROT, 3, IDX), 0);
	bs_expect_running();
	cr_assert(dma_reads(3, IOVA));
	iova = ((IOVA >> 30) & 1023) << 39 | ((IOVA >> 21) & 511) << 30 |
	       ((IOVA >> 12) & 511) << 21 | k << 12;
	cr_assert_not(dma_reads(3, iova));
	host_store(CB(3) + ARM_SMMU_CB_TCR, 4, bad);
	bs_expect_halt("handle_smmu_write",
		       "context bank register 0xb030 refuses 0x90");
	cr_assert_eq(dev_reg(CB(3) + ARM_SMMU_CB_TCR, 4), SMMU_TCR_BOOT);
	cr_assert_not(device_reaches(3, iova));
	cr_assert(device_reaches(3, IOVA));
}

Test(smmu_fixed, another_granule_is_refused)
{
	host_store(CB(2) + ARM_SMMU_CB_TCR, 4,
		   SMMU_TCR_T0SZ | SMMU_TCR_SL0 | 1ULL << 14); /* 64 KiB */
	bs_expect_halt("handle_smmu_write", "context bank register 0xa030");
}

Test(smmu_fixed, sixteen_bit_vmids_and_aarch32_tables_are_refused)
{
	host_store(ARM_SMMU_GR0_sCR0, 4, SCR0_OK | sCR0_VMID16EN);
	bs_expect_halt("handle_smmu_write", "global register 0x0 refuses");
	bs_boot();
	host_store(ARM_SMMU_GR1_CBA2R(2), 4, 0);
	bs_expect_halt("handle_smmu_write", "global register 0x1808 refuses");
	cr_assert_eq(dev_reg(ARM_SMMU_GR1_CBA2R(2), 4), CBA2R_VA64);
}

/* ---- Item 6: the core's table address stays hidden ------------------- */

Test(smmu_fixed, ttbr0_reads_back_without_the_cores_address)
{
	u64 v8 = 1, lo = 1, hi = 1;

	cr_assert_neq(dev_reg(CB(2) + ARM_SMMU_CB_TTBR0, 8), 0);
	cr_assert(cv_hosted_host_read(base() + CB(2) + ARM_SMMU_CB_TTBR0, &v8,
				      8));
	cr_assert(cv_hosted_host_read(base() + CB(2) + ARM_SMMU_CB_TTBR0, &lo,
				      4));
	cr_assert(cv_hosted_host_read(base() + CB(2) + ARM_SMMU_CB_TTBR0_HI,
				      &hi, 4));
	bs_expect_running();
	cr_assert_eq(v8 & PTE_ADDR_MASK, 0);
	cr_assert_eq(lo & 0xfffff000ULL, 0);
	cr_assert_eq(hi & 0xffff, 0);
}
