// SPDX-License-Identifier: MIT
/*
 * core/smmu: the SMMU group (MmioRaw, MmioCoreAux, MmioCore, MmioOpsAux,
 * MmioOps, el2_arm_lpae_map) on the hosted machine's simulated SMMUv2.
 *
 * The host reaches the SMMU's registers with its own loads and stores
 * (cv_hosted_host_read/write of 4 or 8 aligned bytes, or
 * cv_hosted_host_abort for any syndrome); every one traps and is emulated
 * by the core, which refuses what the spec refuses. Devices reach memory
 * only through a context bank (cv_hosted_dma_read/write), from the table
 * the bank's CB_TTBR0 register points at. Invariants are checked after
 * each step of the end-to-end flows.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <string.h>

#include <corevisor/abi.h>
#include <cv/boot.h>
#include <cv/inv.h>
#include <cv/lock.h>
#include <cv/mem.h>
#include <cv/panic.h>
#include <cv/pte.h>
#include <cv/smmu.h>
#include <cv/spt.h>
#include <cv/state.h>
#include <cv/vcpu.h>

#include "boot_support.h"
#include "hosted_internal.h"

TestSuite(smmu, .init = bs_boot);

#define IDX 0U
#define GFN 0x80020ULL
#define IOVA (GFN * PAGE_SIZE)
/* The host's attributes for a device mapping: RAM, read/write, page. */
#define PROT (S2_MEMATTR_NORMAL_WB | S2AP_RW | PTE_TYPE_TABLE)

#define CBAR(n) (ARM_SMMU_GR1_BASE + 4ULL * (n))
#define CB(n) (SMMU_GLOBAL_BASE + (u64)(n)*PAGE_SIZE)
#define SCR0_SMCFCFG (1ULL << sCR0_SMCFCFG_SHIFT)
/* The sCR0 bits the core fixes: no bypass for unmatched streams. */
#define SCR0_OK (sCR0_SMCFCFG | sCR0_USFCFG)

/* ---- helpers ---------------------------------------------------------- */

static u64 base(void)
{
	return cv_hosted_smmu_base(IDX);
}

/* The host stores @len bytes of @val at SMMU register @off (one STR). */
static bool host_store(u64 off, u32 len, u64 val)
{
	return cv_hosted_host_write(base() + off, &val, len);
}

/* The host loads @len bytes at SMMU register @off (one LDR). */
static u64 host_load(u64 off, u32 len)
{
	u64 v = 0;

	cr_assert(cv_hosted_host_read(base() + off, &v, len));
	return v;
}

/* The register as the device holds it (not through the core). */
static u64 dev_reg(u64 off, u32 len)
{
	return cv_hosted_smmu_reg(IDX, off, len);
}

/* A data abort's syndrome: @len-byte load/store of X@rt. */
static u32 esr(u32 len, u32 rt, bool write)
{
	u64 e = ((u64)ESR_ELx_EC_DABT_LOW << ESR_ELx_EC_SHIFT) | ESR_ELx_IL |
		ESR_ELx_ISV | ((u64)__builtin_ctz(len) << ESR_ELx_SAS_SHIFT) |
		((u64)rt << ESR_ELx_SRT_SHIFT) | 0x07;

	return (u32)(write ? e | ESR_ELx_WNR : e);
}

static void inv_ok(void)
{
	char why[256];

	cr_assert_eq(check_invariants(why, sizeof(why)), 0, "violated: %s",
		     why);
}

static u32 bank_owner(u32 index, u32 cbndx)
{
	return cv.smmu_vmid[smmu_id(index, cbndx)];
}

static u64 alloc_bank(u32 cbndx, u32 vmid)
{
	return bs_hvc(HVC_SMMU_ALLOC_PGD, cbndx, vmid, IDX, 0, 0);
}

static u64 lpae_map(u64 iova, u64 pa, u32 cbndx)
{
	return bs_hvc(HVC_SMMU_LPAE_MAP, iova, pa, PROT, cbndx, IDX);
}

/* What a host driver does to bring bank @cbndx up for VM @vmid. */
static void program_bank(u32 cbndx, u32 vmid, u64 host_ttbr)
{
	cr_assert(host_store(CBAR(cbndx), 4, vmid)); /* stage 2, VMID */
	cr_assert(host_store(CB(cbndx) + ARM_SMMU_CB_TTBR0, 8, host_ttbr));
	cr_assert(host_store(CB(cbndx) + ARM_SMMU_CB_SCTLR, 4, 1)); /* M */
	bs_expect_running();
}

/* Bank @cbndx's table maps @iova (a fresh walk; DMA stops at a halt). */
static bool bank_maps(u32 cbndx, u64 iova)
{
	struct cv_translation t;

	return cv_hosted_smmu_translate(IDX, cbndx, iova, &t);
}

static bool dma_byte(u32 cbndx, u64 iova, u8 *b)
{
	return cv_hosted_dma_read(IDX, cbndx, iova, b, 1, NULL);
}

/* A VM @vmid whose device on bank @cbndx maps RAM page @n at IOVA. */
static u64 vm_device_page(u32 vmid, u32 cbndx, u64 n)
{
	u64 pa = bs_ram(n);

	cr_assert_eq(alloc_bank(cbndx, vmid), 0);
	program_bank(cbndx, vmid, 0x1234000);
	cr_assert_eq(lpae_map(IOVA, pa, cbndx), 0);
	bs_expect_running();
	return pa;
}

/* ---- SMMUConf and boot ------------------------------------------------ */

Test(smmu, default_machine_has_one_smmu_outside_ram)
{
	u64 b = base();

	cr_assert_eq(cv.smmu_num, 1);
	cr_assert_eq(cv.smmu_conf[0].phys_base, b);
	cr_assert_eq(cv.smmu_conf[0].size, SMMU_REG_SIZE);
	cr_assert_eq(cv.smmu_conf[0].pgshift, 12);
	cr_assert_eq(cv.smmu_conf[0].context_banks, SMMU_NUM_CTXT_BANKS);
	cr_assert_eq(b % SMMU_REG_SIZE, 0);
	cr_assert_eq(cv_hosted_page_owner(b / PAGE_SIZE), INVALID);
	cr_assert_eq(is_smmu_range(b), 0);
	cr_assert_eq(is_smmu_range(b + SMMU_REG_SIZE - 1), 0);
	cr_assert_eq(is_smmu_range(b + SMMU_REG_SIZE), INVALID);
	cr_assert_eq(is_smmu_range(b - 1), INVALID);
	cr_assert_eq(is_smmu_range(bs_ram(0)), INVALID);
	cr_assert_eq(cv_hosted_smmu_base(1), 0);
	/* The ID registers describe it: 8 banks. */
	cr_assert_eq(host_load(0x24, 4) & 0xff, SMMU_NUM_CTXT_BANKS);
	for (u32 i = 0; i < SMMU_NUM_CTXT_BANKS; i++)
		cr_assert_eq(bank_owner(IDX, i), INVALID);
	bs_expect_running();
}

static void boot_with(u32 nsmmu, u32 banks)
{
	struct cv_hosted_config cfg;

	cv_hosted_default_config(&cfg);
	cfg.nsmmu = nsmmu;
	cfg.smmu_context_banks = banks;
	cr_assert_eq(cv_hosted_boot(&cfg), 0);
	cv_hosted_set_cpu(0);
	cv_hosted_console_mode(CV_CONSOLE_CAPTURE);
}

Test(smmu, no_smmu_behaves_as_before)
{
	u64 pa = bs_ram(0x40), v = 0;

	boot_with(0, 0);
	cr_assert_eq(cv.smmu_num, 0);
	cr_assert_eq(cv_hosted_smmu_base(0), 0);
	cr_assert_eq(is_smmu_range(0xa0000000ULL), INVALID);
	/* Host faults map pages as they always did. */
	cr_assert(cv_hosted_host_write(pa, &(u32){7}, 4));
	cr_assert(bs_maps(HOSTVISOR, pa, pa));
	cr_assert_not(cv_hosted_host_read(0x09000000ULL, &v, 4)); /* MMIO */
	cr_assert(bs_maps(HOSTVISOR, 0x09000000ULL, 0x09000000ULL));
	bs_expect_running();
	/* No bank to own. */
	alloc_bank(0, 1);
	bs_expect_halt("el2_alloc_smmu_pgd", "has 0 context banks");
}

Test(smmu, two_smmus_each_with_its_banks)
{
	u64 b1;

	boot_with(2, 4);
	b1 = cv_hosted_smmu_base(1);
	cr_assert_eq(cv.smmu_num, 2);
	cr_assert_eq(b1, base() + SMMU_REG_SIZE);
	cr_assert_eq(is_smmu_range(b1 + 0x8020), 1);
	cr_assert_eq(is_smmu_range(base() + 0x8020), 0);
	/* A store to SMMU 1 reaches SMMU 1's registers only. */
	cr_assert(cv_hosted_host_write(b1 + 0x400, &(u32){0x55}, 4));
	cr_assert_eq(cv_hosted_smmu_reg(1, 0x400, 4), 0x55);
	cr_assert_eq(cv_hosted_smmu_reg(0, 0x400, 4), 0);
	cr_assert_eq(bs_hvc(HVC_SMMU_ALLOC_PGD, 3, 2, 1, 0, 0), 0);
	cr_assert_eq(bank_owner(1, 3), 2);
	cr_assert_eq(bank_owner(0, 3), INVALID);
	bs_expect_running();
	bs_hvc(HVC_SMMU_ALLOC_PGD, 4, 2, 1, 0, 0);
	bs_expect_halt("el2_alloc_smmu_pgd", "smmu 1 has 4 context banks");
}

/* A valid SMMUConf for smmu_boot, one SMMU at @b. */
static void conf_one(struct cv_boot_params *p, u64 b)
{
	memset(p, 0, sizeof(*p));
	p->nregions = 1;
	p->regions[0].base = 0x40000000ULL;
	p->regions[0].size = 1ULL << 30;
	p->nsmmu = 1;
	p->smmus[0] = (struct smmu_conf){
		.phys_base = b,
		.size = SMMU_REG_SIZE,
		.pgshift = 12,
		.context_banks = 8,
	};
}

Test(smmu, smmu_boot_checks_the_configuration)
{
	static struct cv_boot_params p;

	conf_one(&p, 0x2b400000ULL);
	cr_assert(smmu_boot(&p));
	cr_assert_eq(cv.smmu_num, 1);
	cr_assert_eq(cv.smmu_conf[0].phys_base, 0x2b400000ULL);

	conf_one(&p, 0x2b400000ULL + 0x1000); /* not 64 KiB aligned */
	cr_assert_not(smmu_boot(&p));
	conf_one(&p, 0x40000000ULL + 0x10000); /* inside RAM */
	cr_assert_not(smmu_boot(&p));
	conf_one(&p, 0x40000000ULL - 0x10000); /* just below RAM: fine */
	cr_assert(smmu_boot(&p));
	conf_one(&p, KVM_PHYS_SIZE - 0x10000); /* last 64 KiB of 40 bits */
	cr_assert(smmu_boot(&p));
	conf_one(&p, KVM_PHYS_SIZE);
	cr_assert_not(smmu_boot(&p));
	conf_one(&p, 0x2b400000ULL);
	p.smmus[0].size = 2 * SMMU_REG_SIZE;
	cr_assert_not(smmu_boot(&p));
	conf_one(&p, 0x2b400000ULL);
	p.smmus[0].pgshift = 16;
	cr_assert_not(smmu_boot(&p));
	conf_one(&p, 0x2b400000ULL);
	p.smmus[0].context_banks = 0;
	cr_assert_not(smmu_boot(&p));
	conf_one(&p, 0x2b400000ULL);
	p.smmus[0].context_banks = SMMU_NUM_CTXT_BANKS + 1;
	cr_assert_not(smmu_boot(&p));
	conf_one(&p, 0x2b400000ULL);
	p.nsmmu = SMMU_NUM + 1;
	cr_assert_not(smmu_boot(&p));
	conf_one(&p, 0x2b400000ULL);
	p.nsmmu = 2;
	p.smmus[1] = p.smmus[0]; /* the same registers twice */
	cr_assert_not(smmu_boot(&p));
	p.smmus[1].phys_base += SMMU_REG_SIZE;
	cr_assert(smmu_boot(&p));
	cr_assert_eq(cv.smmu_num, 2);
}

Test(smmu, cv_boot_refuses_a_bad_smmu)
{
	static struct cv_boot_params p;

	/* The machine's own parameters, with the SMMU moved into RAM. */
	memset(&p, 0, sizeof(p));
	p.nregions = cv.region_cnt;
	for (u32 i = 0; i < cv.region_cnt; i++) {
		p.regions[i].base = cv.regions[i].base;
		p.regions[i].size = cv.regions[i].size;
	}
	p.reserved_base = cv.reserved_base;
	p.reserved_size = cv.reserved_size;
	p.shared_base = cv.shared_base;
	p.nsmmu = 1;
	p.smmus[0] = cv.smmu_conf[0];
	cr_assert_eq(cv_boot(&p), 0);
	cr_assert_eq(cv.smmu_num, 1);
	p.smmus[0].phys_base = bs_ram(0x100);
	cr_assert_eq(cv_boot(&p), -1);
}

/* ---- MmioRaw ---------------------------------------------------------- */

Test(smmu, host_get_mmio_data_is_what_the_store_writes)
{
	struct cv_ctxt *h = host_ctxt();

	h->regs[X5] = 0x1122334455667788ULL;
	cr_assert_eq(host_get_mmio_data(esr(8, 5, true)),
		     0x1122334455667788ULL);
	cr_assert_eq(host_get_mmio_data(esr(4, 5, true)), 0x55667788ULL);
	cr_assert_eq(host_get_mmio_data(esr(2, 5, true)), 0x7788ULL);
	cr_assert_eq(host_get_mmio_data(esr(1, 5, true)), 0x88ULL);
	/* SRT 31 is XZR, not SP. */
	h->regs[SP] = 0xdead;
	cr_assert_eq(host_get_mmio_data(esr(8, 31, true)), 0);
	bs_halt();
	cr_assert_eq(host_get_mmio_data(esr(8, 5, true)), 0);
}

Test(smmu, smmu_init_pte)
{
	u64 pa = 0x40123000ULL;

	cr_assert_eq(smmu_init_pte(PROT, pa),
		     pa | PROT | PTE_AF | PTE_SH_INNER);
	/* The contiguous hint never reaches the table. */
	cr_assert_eq(smmu_init_pte(PROT | SMMU_PTE_CONT | S2_XN, pa),
		     pa | PROT | S2_XN | PTE_AF | PTE_SH_INNER);
	bs_expect_running();
}

Test(smmu, smmu_init_pte_bad_addr_panics)
{
	smmu_init_pte(PROT, KVM_ADDR_SPACE);
	bs_expect_halt("smmu_init_pte", "addr 0x1000000000000");
}

Test(smmu, smmu_init_pte_bad_prot_panics)
{
	smmu_init_pte(0x7fffffffffffffffULL, 0);
	bs_expect_halt("smmu_init_pte", "prot 0x7fffffffffffffff");
}

Test(smmu, smmu_get_cbndx)
{
	cr_assert_eq(smmu_get_cbndx(SMMU_GLOBAL_BASE), 0);
	cr_assert_eq(smmu_get_cbndx(CB(7) + 0xffc), 7);
	cr_assert_eq(smmu_get_cbndx(CB(3) + ARM_SMMU_CB_TTBR0), 3);
	bs_expect_running();
}

Test(smmu, smmu_get_cbndx_below_banks_panics)
{
	smmu_get_cbndx(SMMU_GLOBAL_BASE - 4);
	bs_expect_halt("smmu_get_cbndx", "offset 0x7ffc below");
}

Test(smmu, smmu_get_cbndx_past_banks_panics)
{
	smmu_get_cbndx(CB(8));
	bs_expect_halt("smmu_get_cbndx", "context bank 8");
}

/* ---- MmioCoreAux: the rules, as return values ------------------------ */

/* handle_smmu_global_access with X1 = @data, under SMMU_ID. */
static u32 global_access(u64 offset, u64 data, u32 len)
{
	u32 r;

	host_ctxt()->regs[X1] = data;
	acquire_lock_smmu();
	r = handle_smmu_global_access(esr(len, 1, true), offset, IDX);
	release_lock_smmu();
	return r;
}

Test(smmu, global_access_gr0_rules)
{
	cr_assert_eq(global_access(ARM_SMMU_GR0_sCR0, SCR0_OK, 4), 1);
	cr_assert_eq(global_access(ARM_SMMU_GR0_sCR0, SCR0_OK | 0x36, 4), 1);
	cr_assert_eq(global_access(ARM_SMMU_GR0_sCR0, 0x3, 4), 0);
	/* No bypass for every client, nor for unmatched streams. */
	cr_assert_eq(global_access(ARM_SMMU_GR0_sCR0, SCR0_OK | 1, 4), 0);
	cr_assert_eq(global_access(ARM_SMMU_GR0_sCR0, SCR0_SMCFCFG, 4), 0);
	cr_assert_eq(global_access(ARM_SMMU_GR0_sCR0, sCR0_USFCFG, 4), 0);
	/* 16-bit VMIDs would come from CBA2R, which nothing checks. */
	cr_assert_eq(
		global_access(ARM_SMMU_GR0_sCR0, SCR0_OK | sCR0_VMID16EN, 4), 0);
	cr_assert_eq(global_access(ARM_SMMU_GR0_sCR2, 0, 4), 1);
	cr_assert_eq(global_access(ARM_SMMU_GR0_sCR2, 0x100, 4), 1);
	cr_assert_eq(global_access(ARM_SMMU_GR0_sCR2, 0x1, 4), 0);
	cr_assert_eq(global_access(0x800, ~0ULL, 8), 1); /* SMR0, SMR1 */
	/* S2CR: translation to a bank of this SMMU, or fault; no bypass. */
	cr_assert_eq(global_access(ARM_SMMU_GR0_S2CR(0), 2ULL << 16, 4), 1);
	cr_assert_eq(global_access(ARM_SMMU_GR0_S2CR(5), 7, 4), 1);
	cr_assert_eq(global_access(ARM_SMMU_GR0_S2CR(5), 8, 4), 0);
	cr_assert_eq(global_access(ARM_SMMU_GR0_S2CR(5), 1ULL << 16, 4), 0);
	cr_assert_eq(global_access(ARM_SMMU_GR0_S2CR(5), 3ULL << 16, 4), 0);
	cr_assert_eq(global_access(0xffc, ~0ULL, 4), 0); /* the last S2CR */
	/* CBA2R: the core's (AArch64) descriptor format only. */
	cr_assert_eq(global_access(ARM_SMMU_GR1_END, ~0ULL, 4), 1);
	cr_assert_eq(global_access(ARM_SMMU_GR1_CBA2R(3), 0, 4), 0);
	cr_assert_eq(global_access(SMMU_GLOBAL_BASE - 4, ~0ULL, 4), 1);
	/* A 32-bit store's checks see only what it writes. */
	cr_assert_eq(global_access(ARM_SMMU_GR0_sCR2, 0xff00000000ULL, 4), 1);
	cr_assert_eq(global_access(ARM_SMMU_GR0_sCR0, SCR0_OK << 32, 4), 0);
	bs_expect_running();
}

/*
 * Issue 13, hole 4: every register a wide store touches is checked. An
 * 8-byte store at sCR0 also writes the register after it, one at sCR2
 * the one after that (0xc): both words count.
 */
Test(smmu, global_access_checks_both_words_of_a_wide_store)
{
	cr_assert_eq(global_access(ARM_SMMU_GR0_sCR0, SCR0_OK, 8), 1);
	cr_assert_eq(global_access(0x4, (u64)SCR0_OK << 32, 8), 1);
	cr_assert_eq(global_access(ARM_SMMU_GR0_S2CR(4),
				   (1ULL << 16) << 32 | 4, 8),
		     0, "S2CR(5) bypass in the high word");
	cr_assert_eq(global_access(ARM_SMMU_GR0_S2CR(4), 5ULL << 32 | 4, 8),
		     1);
	bs_expect_running();
}

Test(smmu, global_access_cbar_rules)
{
	uint32_t vmid = bs_new_vm(1);

	cr_assert_eq(alloc_bank(0, vmid), 0);
	cr_assert_eq(alloc_bank(5, HOSTVISOR), 0);
	/* A VM's bank: a stage-2 context with its own VMID only. */
	cr_assert_eq(global_access(CBAR(0), vmid, 4), 1);
	cr_assert_eq(global_access(CBAR(0), vmid | 0xff00, 4), 1);
	cr_assert_eq(global_access(CBAR(0), vmid + 1, 4), 0);
	cr_assert_eq(global_access(CBAR(0), (1ULL << 16) | vmid, 4), 0);
	cr_assert_eq(global_access(CBAR(0), (3ULL << 16) | vmid, 4), 0);
	/*
	 * The host's bank: a stage-2 context with the host's VMID (the spec
	 * allows anything, a stage-1 context walking the host's own tables
	 * included).
	 */
	cr_assert_eq(global_access(CBAR(5), 0, 4), 1);
	cr_assert_eq(global_access(CBAR(5), 0xff00, 4), 1);
	cr_assert_eq(global_access(CBAR(5), (1ULL << 16) | 0x77, 4), 0);
	cr_assert_eq(global_access(CBAR(5), 1ULL << 16, 4), 0);
	cr_assert_eq(global_access(CBAR(5), vmid, 4), 0);
	bs_expect_running();
}

/* Hole 4: an 8-byte store at CBAR(n) writes CBAR(n + 1) too. */
Test(smmu, global_access_checks_the_next_cbar_of_a_wide_store)
{
	uint32_t vm1 = bs_new_vm(1), vm2 = bs_new_vm(1);

	cr_assert_eq(alloc_bank(4, HOSTVISOR), 0);
	cr_assert_eq(alloc_bank(5, vm1), 0);
	cr_assert_eq(alloc_bank(6, vm2), 0);
	cr_assert_eq(global_access(CBAR(4), (u64)vm1 << 32, 8), 1);
	cr_assert_eq(global_access(CBAR(4), (u64)vm2 << 32, 8), 0);
	cr_assert_eq(global_access(CBAR(4), (1ULL << 16 | vm1) << 32 | 0, 8),
		     0);
	cr_assert_eq(global_access(CBAR(5), (u64)vm2 << 32 | vm1, 8), 1);
	cr_assert_eq(global_access(CBAR(5), (u64)vm1 << 32 | vm1, 8), 0);
	bs_expect_running();
}

/* The spec's <= GR1_BASE would let CBAR(0) through unchecked. */
Test(smmu, global_access_cbar0_is_checked)
{
	uint32_t vmid = bs_new_vm(1);

	cr_assert_eq(alloc_bank(0, vmid), 0);
	cr_assert_eq(global_access(ARM_SMMU_GR1_BASE, 0x42, 4), 0);
	bs_expect_running();
}

Test(smmu, global_access_cbar_of_unassigned_bank_panics)
{
	global_access(CBAR(2), 1, 4);
	bs_expect_halt("handle_smmu_global_access",
		       "CBAR 2 of an unassigned context bank");
}

Test(smmu, global_access_cbar_past_banks_panics)
{
	global_access(CBAR(SMMU_NUM_CTXT_BANKS), 1, 4);
	bs_expect_halt("handle_smmu_global_access", "CBAR 8 out of range");
}

Test(smmu, global_access_halted)
{
	bs_halt();
	cr_assert_eq(global_access(ARM_SMMU_GR0_sCR0, SCR0_SMCFCFG, 4), 0);
}

Test(smmu, cb_access_rules)
{
	for (u32 n = 0; n < SMMU_NUM_CTXT_BANKS; n++) {
		cr_assert_eq(handle_smmu_cb_access(CB(n) + ARM_SMMU_CB_TTBR0),
			     2);
		cr_assert_eq(
			handle_smmu_cb_access(CB(n) + ARM_SMMU_CB_TTBR0_HI), 2);
		cr_assert_eq(
			handle_smmu_cb_access(CB(n) + ARM_SMMU_CB_CONTEXTIDR),
			0);
		cr_assert_eq(handle_smmu_cb_access(CB(n) + ARM_SMMU_CB_SCTLR),
			     1);
		cr_assert_eq(handle_smmu_cb_access(CB(n) + ARM_SMMU_CB_TTBR1),
			     2);
		cr_assert_eq(
			handle_smmu_cb_access(CB(n) + ARM_SMMU_CB_TTBR1_HI), 2);
		cr_assert_eq(handle_smmu_cb_access(CB(n) + ARM_SMMU_CB_TCR),
			     1);
	}
	bs_expect_running();
	bs_halt();
	cr_assert_eq(handle_smmu_cb_access(CB(0) + ARM_SMMU_CB_TTBR0), 0);
}

Test(smmu, cb_access_below_banks_panics)
{
	handle_smmu_cb_access(SMMU_GLOBAL_BASE - 8);
	bs_expect_halt("handle_smmu_cb_access", "offset 0x7ff8 below");
}

Test(smmu, raw_write_values)
{
	u64 r = base() + 0x400;

	host_ctxt()->regs[X2] = 0xaabbccdd11223344ULL;
	__handle_smmu_write(esr(8, 2, true), r, 8, 0, 0);
	cr_assert_eq(dev_reg(0x400, 8), 0xaabbccdd11223344ULL);
	__handle_smmu_write(esr(8, 2, true), r, 8, 0x5000, 1);
	cr_assert_eq(dev_reg(0x400, 8), 0x5000);
	/* 4 bytes: the host's data (the spec would write 0 here). */
	__handle_smmu_write(esr(4, 2, true), r, 4, 0, 0);
	cr_assert_eq(dev_reg(0x400, 8), 0x11223344ULL);
	__handle_smmu_write(esr(4, 2, true), r + 4, 4, 0x99, 1);
	cr_assert_eq(dev_reg(0x400, 8), 0x0000009911223344ULL);
	bs_expect_running();
}

Test(smmu, raw_write_bad_len_panics)
{
	__handle_smmu_write(esr(2, 2, true), base() + 0x400, 2, 0, 0);
	bs_expect_halt("__handle_smmu_write", "2-byte write");
	cr_assert_eq(dev_reg(0x400, 8), 0);
}

Test(smmu, raw_read_values)
{
	struct cv_ctxt *h = host_ctxt();
	u64 r = base() + 0x400;

	cr_assert(host_store(0x400, 8, 0x8877665544332211ULL));
	h->regs[X3] = ~0ULL;
	__handle_smmu_read(esr(8, 3, false), r, 8);
	cr_assert_eq(h->regs[X3], 0x8877665544332211ULL);
	h->regs[X3] = ~0ULL;
	__handle_smmu_read(esr(4, 3, false), r + 4, 4);
	cr_assert_eq(h->regs[X3], 0x88776655ULL); /* zero-extended */
	/* A load into XZR changes no register (not SP). */
	h->regs[SP] = 0x1234;
	__handle_smmu_read(esr(8, 31, false), r, 8);
	cr_assert_eq(h->regs[SP], 0x1234);
	bs_expect_running();
}

Test(smmu, raw_read_bad_len_panics)
{
	host_ctxt()->regs[X3] = 0x77;
	__handle_smmu_read(esr(1, 3, false), base() + 0x400, 1);
	bs_expect_halt("__handle_smmu_read", "1-byte read");
	cr_assert_eq(host_ctxt()->regs[X3], 0x77);
}

/* ---- MmioCore / MmioOpsAux: the host's accesses, end to end ----------- */

Test(smmu, host_accesses_are_emulated_never_mapped)
{
	struct cv_hosted_counters c0, c1;

	cv_hosted_get_counters(&c0);
	cr_assert(host_store(ARM_SMMU_GR0_sCR0, 4, SCR0_OK | 0x36));
	cr_assert_eq(dev_reg(ARM_SMMU_GR0_sCR0, 4), SCR0_OK | 0x36);
	cr_assert_eq(host_load(ARM_SMMU_GR0_sCR0, 4), SCR0_OK | 0x36);
	cr_assert(host_store(0x800, 8, 0x123456789ULL)); /* 64-bit */
	cr_assert_eq(host_load(0x800, 8), 0x123456789ULL);
	cv_hosted_get_counters(&c1);
	cr_assert_eq(c1.host_faults - c0.host_faults, 4); /* each traps */
	cr_assert(bs_unmapped(HOSTVISOR, base()));
	cr_assert(bs_unmapped(HOSTVISOR, base() + 0x800));
	cr_assert_eq(cv_hosted_smmu_stray(), 0);
	/* SMMU_ID is free again. */
	cr_assert_eq(cv.locks[SMMU_ID].holder, 0);
	bs_expect_running();
	inv_ok();
}

Test(smmu, host_pc_moves_past_an_emulated_access_only)
{
	u64 x[31] = {0};

	x[7] = SCR0_OK | 2;
	cr_assert(cv_hosted_host_abort(base() + ARM_SMMU_GR0_sCR0,
				       esr(4, 7, true), x));
	cr_assert_eq(dev_reg(ARM_SMMU_GR0_sCR0, 4), SCR0_OK | 2);
	/* A RAM page is mapped instead: the access is then retried. */
	cr_assert_not(cv_hosted_host_abort(bs_ram(9), esr(4, 7, true), x));
	cr_assert(bs_maps(HOSTVISOR, bs_ram(9), bs_ram(9)));
	bs_expect_running();
}

Test(smmu, host_load_into_any_register)
{
	u64 x[31];

	cr_assert(host_store(0x400, 4, 0xcafe));
	for (u32 rt = 0; rt < 31; rt++) {
		memset(x, 0xee, sizeof(x));
		cr_assert(cv_hosted_host_abort(base() + 0x400,
					       esr(4, rt, false), x));
		cr_assert_eq(x[rt], 0xcafe, "x%u", rt);
		if (rt)
			cr_assert_eq(x[rt - 1], 0xeeeeeeeeeeeeeeeeULL);
	}
}

Test(smmu, host_store_of_xzr_writes_zero)
{
	u64 x[31];

	cr_assert(host_store(0x400, 8, ~0ULL));
	memset(x, 0xee, sizeof(x));
	host_ctxt()->regs[SP] = 0x5555;
	cr_assert(cv_hosted_host_abort(base() + 0x400, esr(8, 31, true), x));
	cr_assert_eq(dev_reg(0x400, 8), 0);
	/* And a load into XZR changes no register. */
	cr_assert(cv_hosted_host_abort(base() + 0x400, esr(8, 31, false), x));
	for (u32 i = 0; i < 31; i++)
		cr_assert_eq(x[i], 0xeeeeeeeeeeeeeeeeULL);
	bs_expect_running();
}

Test(smmu, host_scr0_without_smcfcfg_panics)
{
	cr_assert(host_store(ARM_SMMU_GR0_sCR0, 4, SCR0_OK));
	host_store(ARM_SMMU_GR0_sCR0, 4, 0x1); /* CLIENTPD, SMCFCFG clear */
	bs_expect_halt("handle_smmu_write",
		       "smmu 0 global register 0x0 refuses 0x1");
	cr_assert_eq(dev_reg(ARM_SMMU_GR0_sCR0, 4), SCR0_OK);
}

Test(smmu, host_scr2_bypass_vmid_panics)
{
	host_store(ARM_SMMU_GR0_sCR2, 4, 0x3);
	bs_expect_halt("handle_smmu_write", "global register 0x8 refuses 0x3");
	cr_assert_eq(dev_reg(ARM_SMMU_GR0_sCR2, 4), 0);
}

Test(smmu, host_cbar_for_its_vm_allowed)
{
	uint32_t vmid = bs_new_vm(1);

	cr_assert_eq(alloc_bank(2, vmid), 0);
	cr_assert(host_store(CBAR(2), 4, vmid));
	cr_assert_eq(dev_reg(CBAR(2), 4), vmid);
	bs_expect_running();
	inv_ok();
}

Test(smmu, host_cbar_other_vmid_panics)
{
	uint32_t vm1 = bs_new_vm(1), vm2 = bs_new_vm(1);

	cr_assert_eq(alloc_bank(2, vm1), 0);
	cr_assert(host_store(CBAR(2), 4, vm1));
	host_store(CBAR(2), 4, vm2);
	bs_expect_halt("handle_smmu_write", "refuses 0x2");
	cr_assert_eq(dev_reg(CBAR(2), 4), vm1);
}

Test(smmu, host_cbar_bypass_type_panics)
{
	uint32_t vmid = bs_new_vm(1);

	cr_assert_eq(alloc_bank(2, vmid), 0);
	host_store(CBAR(2), 4, (1ULL << CBAR_TYPE_SHIFT) | vmid);
	bs_expect_halt("handle_smmu_write", "refuses 0x10001");
	cr_assert_eq(dev_reg(CBAR(2), 4), 0);
}

Test(smmu, host_cbar0_of_vm_bank_panics)
{
	uint32_t vmid = bs_new_vm(1);

	cr_assert_eq(alloc_bank(0, vmid), 0);
	host_store(CBAR(0), 4, 0x9);
	bs_expect_halt("handle_smmu_write", "global register 0x1000 refuses");
	cr_assert_eq(dev_reg(CBAR(0), 4), 0);
}

Test(smmu, host_cbar_of_unassigned_bank_panics)
{
	host_store(CBAR(4), 4, 0);
	bs_expect_halt("handle_smmu_global_access", "unassigned context bank");
}

Test(smmu, host_cbar_of_its_own_bank_stage_2_vmid_0)
{
	cr_assert_eq(alloc_bank(4, HOSTVISOR), 0);
	cr_assert(host_store(CBAR(4), 4, 0xff000000));
	cr_assert_eq(dev_reg(CBAR(4), 4), 0xff000000);
	bs_expect_running();
}

Test(smmu, host_ttbr0_is_replaced_by_the_banks_table)
{
	uint32_t vmid = bs_new_vm(1);

	cr_assert_eq(alloc_bank(3, vmid), 0);
	/* The host's own "table" in its RAM: never used. */
	cr_assert(host_store(CB(3) + ARM_SMMU_CB_TTBR0, 8, bs_ram(0x50)));
	cr_assert_eq(dev_reg(CB(3) + ARM_SMMU_CB_TTBR0, 8), smmu_ttbr(IDX, 3));
	/* Even on a bank nobody owns: only the bank's own table. */
	cr_assert(host_store(CB(6) + ARM_SMMU_CB_TTBR0, 8, bs_ram(0x50)));
	cr_assert_eq(dev_reg(CB(6) + ARM_SMMU_CB_TTBR0, 8), smmu_ttbr(IDX, 6));
	bs_expect_running();
	inv_ok();
}

/*
 * 32-bit halves of TTBR0 each get their half of the bank's table address
 * (the spec replaces only the low word). With RAM above 4 GiB the core's
 * pool, and so the high word, is not 0.
 */
Test(smmu, host_ttbr0_halves_are_replaced)
{
	struct cv_hosted_config cfg;
	u64 ttbr, off = CB(5) + ARM_SMMU_CB_TTBR0;

	cv_hosted_default_config(&cfg);
	cfg.ram_base = 1ULL << 32;
	cr_assert_eq(cv_hosted_boot(&cfg), 0);
	cv_hosted_set_cpu(0);
	cv_hosted_console_mode(CV_CONSOLE_CAPTURE);
	ttbr = smmu_ttbr(IDX, 5);
	cr_assert_neq(ttbr >> 32, 0);
	cr_assert(host_store(CB(5) + ARM_SMMU_CB_TTBR0, 4, 0x1000));
	cr_assert_eq(dev_reg(off, 8), ttbr);
	cr_assert(host_store(CB(5) + ARM_SMMU_CB_TTBR0_HI, 4, 0xabcd));
	cr_assert_eq(dev_reg(off + 4, 4), ttbr >> 32);
	cr_assert_eq(dev_reg(off, 8), ttbr);
	/* Read back, the core's table address does not show. */
	cr_assert_eq(host_load(off, 8), 0);
	cr_assert_eq(host_load(off, 4), 0);
	cr_assert_eq(host_load(off + 4, 4), 0);
	bs_expect_running();
}

Test(smmu, host_contextidr_write_panics)
{
	host_store(CB(1) + ARM_SMMU_CB_CONTEXTIDR, 4, 7);
	bs_expect_halt("handle_smmu_write",
		       "context bank register 0x9034 refuses 0x7");
	cr_assert_eq(dev_reg(CB(1) + ARM_SMMU_CB_CONTEXTIDR, 4), 0);
}

Test(smmu, host_contextidr_read_allowed)
{
	cr_assert_eq(host_load(CB(1) + ARM_SMMU_CB_CONTEXTIDR, 4), 0);
	bs_expect_running();
}

Test(smmu, host_other_cb_registers_as_written)
{
	cr_assert(host_store(CB(5) + ARM_SMMU_CB_SCTLR, 4, 0x1e1));
	cr_assert_eq(dev_reg(CB(5) + ARM_SMMU_CB_SCTLR, 4), 0x1e1);
	cr_assert(host_store(CB(5) + 0x58, 4, 0x77000)); /* FSR */
	cr_assert_eq(host_load(CB(5) + 0x58, 4), 0x77000);
	bs_expect_running();
}

Test(smmu, host_unaligned_access_panics)
{
	u64 x[31] = {0};

	cv_hosted_host_abort(base() + 0x402, esr(4, 1, true), x);
	bs_expect_halt("handle_host_mmio", "unaligned 4-byte access");
	cr_assert_eq(dev_reg(0x400, 8), 0);
}

Test(smmu, host_access_without_syndrome_panics)
{
	u8 buf[16];

	/* 16 bytes: no single instruction, no syndrome. */
	cr_assert_not(cv_hosted_host_read(base() + 0x400, buf, sizeof(buf)));
	bs_expect_halt("handle_host_mmio", "without a syndrome");
}

Test(smmu, host_short_write_panics)
{
	host_store(0x400, 2, 0xffff);
	bs_expect_halt("__handle_smmu_write", "2-byte write");
	cr_assert_eq(dev_reg(0x400, 8), 0);
}

Test(smmu, host_short_read_panics)
{
	u8 b;

	cr_assert_not(cv_hosted_host_read(base() + 0x400, &b, 1));
	bs_expect_halt("__handle_smmu_read", "1-byte read");
}

Test(smmu, handle_host_mmio_bad_index_panics)
{
	acquire_lock_smmu();
	handle_host_mmio(base(), 1, esr(4, 1, false));
	bs_expect_halt("handle_host_mmio", "bad args");
}

Test(smmu, handle_smmu_write_bad_args_panic)
{
	acquire_lock_smmu();
	handle_smmu_write(esr(4, 1, true), KVM_ADDR_SPACE, 4, IDX);
	bs_expect_halt("handle_smmu_write", "bad args");
}

Test(smmu, is_smmu_range_beyond_48_bits_panics)
{
	is_smmu_range(KVM_ADDR_SPACE);
	bs_expect_halt("is_smmu_range", "beyond 48 bits");
}

/* ---- MmioOps: emulate_mmio -------------------------------------------- */

Test(smmu, emulate_mmio_answers)
{
	struct cv_ctxt *h = host_ctxt();

	cr_assert(host_store(0x404, 4, 0x31));
	h->regs[PC] = 0x1000;
	h->regs[FAR_EL2] = base() + 0x404;
	h->regs[X9] = 0;
	cr_assert_eq(emulate_mmio(base(), esr(4, 9, false)), IDX);
	cr_assert_eq(h->regs[X9], 0x31);
	cr_assert_eq(h->regs[PC], 0x1004);
	/* Not an SMMU's: INVALID, nothing done. */
	cr_assert_eq(emulate_mmio(bs_ram(3), esr(4, 9, false)), INVALID);
	cr_assert_eq(h->regs[PC], 0x1004);
	cr_assert(bs_unmapped(HOSTVISOR, bs_ram(3)));
	cr_assert_eq(cv.locks[SMMU_ID].holder, 0);
	bs_expect_running();
	bs_halt();
	cr_assert_eq(emulate_mmio(base(), esr(4, 9, false)), 0);
	cr_assert_eq(h->regs[PC], 0x1004);
}

Test(smmu, map_page_host_refuses_smmu_registers)
{
	map_page_host(base() + 0x8000);
	bs_expect_halt("map_page_host", "holds SMMU 0's registers");
	cr_assert(bs_unmapped(HOSTVISOR, base() + 0x8000));
}

Test(smmu, map_io_refuses_smmu_registers)
{
	uint32_t vmid = bs_new_vm(1);

	bs_hvc(HVC_MAP_IO, vmid, 0x0a000000, base() + 0x8000, 0, 0);
	bs_expect_halt("map_vm_io", "holds SMMU 0's registers");
	cr_assert(bs_unmapped(vmid, 0x0a000000));
}

/* ---- MmioOps: the context banks --------------------------------------- */

Test(smmu, alloc_gives_an_unowned_bank_an_empty_table)
{
	uint32_t vmid = bs_new_vm(1);
	struct cv_translation t;

	/* A stale leaf in the bank's table (MmioSPTOps, no owner check). */
	map_spt(1, IDX, IOVA, bs_ram(0x300) | PAGE_S2_RAM);
	cr_assert(cv_hosted_smmu_translate(IDX, 1, IOVA, &t));
	cr_assert_eq(alloc_bank(1, vmid), 0);
	cr_assert_eq(bank_owner(IDX, 1), vmid);
	cr_assert_not(cv_hosted_smmu_translate(IDX, 1, IOVA, &t));
	bs_expect_running();
	inv_ok();
	/* Owned: a second alloc changes nothing. */
	cr_assert_eq(alloc_bank(1, HOSTVISOR), 0);
	cr_assert_eq(bank_owner(IDX, 1), vmid);
	/* The last bank and the host are fine. */
	cr_assert_eq(alloc_bank(SMMU_NUM_CTXT_BANKS - 1, HOSTVISOR), 0);
	cr_assert_eq(bank_owner(IDX, SMMU_NUM_CTXT_BANKS - 1), HOSTVISOR);
	bs_expect_running();
	inv_ok();
}

Test(smmu, alloc_for_verified_vm_panics)
{
	uint32_t vmid = bs_new_vm(1);

	verify_and_load_images(vmid);
	alloc_bank(1, vmid);
	bs_expect_halt("alloc_smmu", "is VERIFIED");
}

Test(smmu, alloc_bank_the_smmu_lacks_panics)
{
	boot_with(1, 2);
	alloc_bank(2, 1);
	bs_expect_halt("el2_alloc_smmu_pgd", "has 2 context banks, no bank 2");
	cr_assert_eq(bank_owner(IDX, 2), INVALID);
}

Test(smmu, alloc_bad_vmid_panics)
{
	el2_alloc_smmu_pgd(0, COREVISOR, IDX);
	bs_expect_halt("el2_alloc_smmu_pgd", "vmid 16");
	cr_assert_eq(bank_owner(IDX, 0), INVALID);
}

Test(smmu, alloc_bad_bank_panics)
{
	el2_alloc_smmu_pgd(SMMU_NUM_CTXT_BANKS, 1, IDX);
	bs_expect_halt("el2_alloc_smmu_pgd", "context bank 8 out of range");
}

Test(smmu, free_unowned_bank_is_noop)
{
	cr_assert_eq(bs_hvc(HVC_SMMU_FREE_PGD, 3, IDX, 0, 0, 0), 0);
	cr_assert_eq(bank_owner(IDX, 3), INVALID);
	bs_expect_running();
}

Test(smmu, free_bank_of_running_vm_panics)
{
	uint32_t vmid = bs_new_vm(1);

	cr_assert_eq(alloc_bank(3, vmid), 0);
	bs_hvc(HVC_SMMU_FREE_PGD, 3, IDX, 0, 0, 0);
	bs_expect_halt("el2_free_smmu_pgd", "vm 1 is not powered off");
	cr_assert_eq(bank_owner(IDX, 3), vmid);
}

Test(smmu, free_host_bank_panics)
{
	cr_assert_eq(alloc_bank(3, HOSTVISOR), 0);
	bs_hvc(HVC_SMMU_FREE_PGD, 3, IDX, 0, 0, 0);
	bs_expect_halt("el2_free_smmu_pgd", "of vm 0 is not powered off");
}

Test(smmu, free_bank_of_dead_vm_empties_it)
{
	uint32_t vmid = bs_new_vm(1);
	u8 b;

	vm_device_page(vmid, 3, 0x300);
	cr_assert(dma_byte(3, IOVA, &b));
	set_vm_poweroff(vmid);
	cr_assert_eq(bs_hvc(HVC_SMMU_FREE_PGD, 3, IDX, 0, 0, 0), 0);
	cr_assert_eq(bank_owner(IDX, 3), INVALID);
	cr_assert_not(dma_byte(3, IOVA, &b));
	bs_expect_running();
	inv_ok();
	/* The bank can go to someone else, empty. */
	cr_assert_eq(alloc_bank(3, HOSTVISOR), 0);
	cr_assert_not(dma_byte(3, IOVA, &b));
	inv_ok();
}

Test(smmu, free_bad_args_panic)
{
	el2_free_smmu_pgd(0, SMMU_NUM);
	bs_expect_halt("el2_free_smmu_pgd", "smmu 2 context bank 0");
}

Test(smmu, assign_page_goes_to_the_banks_owner)
{
	uint32_t vmid = bs_new_vm(1);
	u64 pa = bs_ram(0x300);

	cr_assert(cv_hosted_host_write(pa, "x", 1)); /* the host maps it */
	cr_assert_eq(alloc_bank(2, vmid), 0);
	smmu_assign_page(2, IDX, pa / PAGE_SIZE, GFN);
	bs_expect_running();
	cr_assert_eq(cv_hosted_page_owner(pa / PAGE_SIZE), vmid);
	cr_assert_eq(cv_hosted_page_gfn(pa / PAGE_SIZE), GFN);
	cr_assert(bs_unmapped(HOSTVISOR, pa));
	inv_ok();
}

Test(smmu, assign_page_unowned_or_host_bank_is_noop)
{
	u64 pa = bs_ram(0x300);

	smmu_assign_page(2, IDX, pa / PAGE_SIZE, GFN);
	cr_assert_eq(alloc_bank(4, HOSTVISOR), 0);
	smmu_assign_page(4, IDX, pa / PAGE_SIZE, GFN);
	bs_expect_running();
	cr_assert_eq(cv_hosted_page_owner(pa / PAGE_SIZE), HOSTVISOR);
}

Test(smmu, assign_page_bad_args_panic)
{
	smmu_assign_page(2, IDX, KVM_PFN_SPACE, GFN);
	bs_expect_halt("smmu_assign_page", "bad args pfn 0x10000000");
}

Test(smmu, assign_page_of_another_vm_panics)
{
	uint32_t vm1 = bs_new_vm(1), vm2 = bs_new_vm(1);
	u64 pa = vm_device_page(vm1, 1, 0x300);

	cr_assert_eq(alloc_bank(2, vm2), 0);
	smmu_assign_page(2, IDX, pa / PAGE_SIZE, GFN);
	bs_expect_halt("assign_pfn_to_smmu", "owned by 1");
	cr_assert_eq(cv_hosted_page_owner(pa / PAGE_SIZE), vm1);
}

Test(smmu, map_page_unowned_bank_is_noop)
{
	u64 pa = bs_ram(0x300);
	struct cv_translation t;

	smmu_map_page(2, IDX, IOVA, pa | PAGE_S2_RAM);
	bs_expect_running();
	cr_assert_not(cv_hosted_smmu_translate(IDX, 2, IOVA, &t));
}

Test(smmu, map_page_not_the_owners_panics)
{
	uint32_t vmid = bs_new_vm(1);
	u64 pa = bs_ram(0x300);
	struct cv_translation t;

	cr_assert_eq(alloc_bank(2, vmid), 0);
	smmu_map_page(2, IDX, IOVA, pa | PAGE_S2_RAM);
	bs_expect_halt("update_smmu_page", "owned by 0");
	cr_assert_not(cv_hosted_smmu_translate(IDX, 2, IOVA, &t));
}

Test(smmu, map_page_bad_iova_panics)
{
	smmu_map_page(2, IDX, 1ULL << 40, 0);
	bs_expect_halt("smmu_map_page", "iova 0x10000000000 beyond 40 bits");
}

/* ---- HVC_SMMU_*: the host's calls, and DMA ---------------------------- */

Test(smmu, lpae_map_dma_reaches_the_vms_page)
{
	uint32_t vmid = bs_new_vm(1);
	u64 pa = bs_ram(0x300), iova2 = IOVA + PAGE_SIZE, fault = 0;
	u8 in[64], out[64];

	cr_assert(cv_hosted_host_write(pa, "device data", 12));
	cr_assert_eq(alloc_bank(2, vmid), 0);
	inv_ok();
	program_bank(2, vmid, bs_ram(0x77)); /* host's TTBR0 ignored */
	inv_ok();
	cr_assert_eq(lpae_map(IOVA, pa, 2), 0);
	bs_expect_running();
	inv_ok();
	cr_assert_eq(cv_hosted_page_owner(pa / PAGE_SIZE), vmid);
	cr_assert(bs_unmapped(HOSTVISOR, pa));
	/* The device reads what the host put there, and writes. */
	cr_assert(cv_hosted_dma_read(IDX, 2, IOVA, in, 12, NULL));
	cr_assert_str_eq((char *)in, "device data");
	bs_pattern(out, sizeof(out), 3);
	cr_assert(cv_hosted_dma_write(IDX, 2, IOVA + 100, out, 64, NULL));
	cr_assert_eq(memcmp(cv_hosted_phys(pa + 100), out, 64), 0);
	/* Nothing else: the next page, another bank, another SMMU. */
	cr_assert_not(cv_hosted_dma_read(IDX, 2, iova2, in, 1, &fault));
	cr_assert_eq(fault, iova2);
	cr_assert_not(cv_hosted_dma_read(IDX, 3, IOVA, in, 1, NULL));
	cr_assert_not(
		cv_hosted_dma_read(IDX, 2, IOVA + PAGE_SIZE - 1, in, 2, NULL));
	/* Where the bank's own walk leads: iova_to_phys. */
	cr_assert_eq(
		bs_hvc(HVC_SMMU_LPAE_IOVA_TO_PHYS, IOVA + 0x123, 2, IDX, 0, 0),
		pa + 0x123);
	cr_assert_eq(
		bs_hvc(HVC_SMMU_LPAE_IOVA_TO_PHYS, iova2 + 0x45, 2, IDX, 0, 0),
		0x45);
	bs_expect_running();
	inv_ok();
}

Test(smmu, lpae_map_read_only_prot_holds_for_dma)
{
	uint32_t vmid = bs_new_vm(1);
	u64 pa = bs_ram(0x300);
	u8 b = 1;

	cr_assert_eq(alloc_bank(2, vmid), 0);
	program_bank(2, vmid, 0);
	cr_assert_eq(bs_hvc(HVC_SMMU_LPAE_MAP, IOVA, pa,
			    S2_MEMATTR_NORMAL_WB | S2AP_R | PTE_TYPE_TABLE, 2,
			    IDX),
		     0);
	cr_assert(dma_byte(2, IOVA, &b));
	cr_assert_not(cv_hosted_dma_write(IDX, 2, IOVA, &b, 1, NULL));
	bs_expect_running();
}

/*
 * The core programs every bank at boot (smmu_boot_registers): each
 * translates through its own table, so a device reaches what its bank's
 * owner mapped, and nothing else, whatever the host did or did not do.
 */
Test(smmu, every_bank_translates_through_its_table_from_boot)
{
	uint32_t vmid = bs_new_vm(1);
	u8 b;

	for (u32 n = 0; n < SMMU_NUM_CTXT_BANKS; n++) {
		cr_assert_eq(dev_reg(CB(n) + ARM_SMMU_CB_TTBR0, 8),
			     smmu_ttbr(IDX, n));
		cr_assert_eq(dev_reg(CB(n) + ARM_SMMU_CB_SCTLR, 4) & 1, 1);
		cr_assert_eq(dev_reg(CB(n) + ARM_SMMU_CB_TCR, 4) & 0xffff,
			     0x3558);
		cr_assert_eq(dev_reg(ARM_SMMU_GR1_CBA2R(n), 4), 1);
		cr_assert_not(dma_byte(n, IOVA, &b), "bank %u", n);
	}
	cr_assert_eq(dev_reg(ARM_SMMU_GR0_sCR0, 4), SCR0_OK);
	cr_assert_eq(alloc_bank(2, vmid), 0);
	cr_assert_eq(lpae_map(IOVA, bs_ram(0x300), 2), 0);
	cr_assert(dma_byte(2, IOVA, &b));
	cr_assert_not(dma_byte(3, IOVA, &b));
	bs_expect_running();
}

Test(smmu, vm_devices_reach_only_their_own_vms_pages)
{
	uint32_t vm1 = bs_new_vm(1), vm2 = bs_new_vm(1);
	u64 pa1 = vm_device_page(vm1, 1, 0x300);
	u64 pa2 = bs_ram(0x301), iova2 = IOVA + 0x10 * PAGE_SIZE;
	u8 b;

	inv_ok();
	cr_assert_eq(alloc_bank(2, vm2), 0);
	program_bank(2, vm2, 0);
	cr_assert_eq(lpae_map(iova2, pa2, 2), 0);
	bs_expect_running();
	inv_ok();
	cr_assert(dma_byte(1, IOVA, &b));
	cr_assert(dma_byte(2, iova2, &b));
	/* Each bank maps its VM's IPA space only. */
	cr_assert_not(dma_byte(1, iova2, &b));
	cr_assert_not(dma_byte(2, IOVA, &b));
	/* The host cannot repoint VM 1's bank at VM 2's table... */
	cr_assert(host_store(CB(1) + ARM_SMMU_CB_TTBR0, 8, smmu_ttbr(IDX, 2)));
	cr_assert_eq(dev_reg(CB(1) + ARM_SMMU_CB_TTBR0, 8), smmu_ttbr(IDX, 1));
	cr_assert_not(dma_byte(1, iova2, &b));
	/* ...nor give it VM 2's VMID. */
	host_store(CBAR(1), 4, vm2);
	bs_expect_halt("handle_smmu_write", "refuses 0x2");
	cr_assert_eq(dev_reg(CBAR(1), 4), vm1);
	(void)pa1;
}

Test(smmu, vm_page_mapped_in_another_vms_bank_panics)
{
	uint32_t vm1 = bs_new_vm(1), vm2 = bs_new_vm(1);
	u64 pa1 = vm_device_page(vm1, 1, 0x300);

	cr_assert_eq(alloc_bank(2, vm2), 0);
	lpae_map(IOVA, pa1, 2);
	bs_expect_halt("assign_pfn_to_smmu", "vm 2 pfn");
	cr_assert_eq(cv_hosted_page_owner(pa1 / PAGE_SIZE), vm1);
}

Test(smmu, host_bank_cannot_map_a_vm_page)
{
	uint32_t vmid = bs_new_vm(1);
	u64 pa = vm_device_page(vmid, 1, 0x300);
	u8 b;

	cr_assert_eq(alloc_bank(4, HOSTVISOR), 0);
	program_bank(4, 0, 0);
	cr_assert(dma_byte(1, IOVA, &b)); /* the VM's device */
	cr_assert_not(dma_byte(4, IOVA, &b));
	/* Pointing the host's bank at the VM's table does not work... */
	cr_assert(host_store(CB(4) + ARM_SMMU_CB_TTBR0, 8, smmu_ttbr(IDX, 1)));
	cr_assert_not(dma_byte(4, IOVA, &b));
	inv_ok();
	/* ...nor does mapping the VM's page in it. */
	lpae_map(IOVA, pa, 4);
	bs_expect_halt("update_smmu_page", "owned by 1");
	cr_assert_not(bank_maps(4, IOVA));
}

Test(smmu, host_bank_cannot_map_a_host_page_either)
{
	u64 pa = bs_ram(0x300);
	u8 b;

	/* A host page has no gfn, so no IOVA matches (the spec's rule). */
	cr_assert_eq(alloc_bank(4, HOSTVISOR), 0);
	program_bank(4, 0, 0);
	cr_assert_not(dma_byte(4, pa, &b));
	lpae_map(pa, pa, 4);
	bs_expect_halt("update_smmu_page", "owned by 0");
	cr_assert_not(bank_maps(4, pa));
	cr_assert_eq(cv_hosted_page_owner(pa / PAGE_SIZE), HOSTVISOR);
}

Test(smmu, host_cannot_reach_the_device_page)
{
	uint32_t vmid = bs_new_vm(1);
	u64 pa = vm_device_page(vmid, 1, 0x300);
	u8 b;

	cr_assert_not(cv_hosted_host_read(pa, &b, 1));
	bs_expect_halt("map_page_host", "owned by 1");
}

Test(smmu, the_vm_maps_its_device_page_at_the_same_gfn)
{
	uint32_t vmid = bs_new_vm(1);
	u64 pa = vm_device_page(vmid, 1, 0x300);

	/* The VM's own stage 2 may map it, at that gfn only. */
	assign_pfn_to_vm(vmid, GFN, pa / PAGE_SIZE);
	map_pfn_vm(vmid, IOVA, pa, 3);
	bs_expect_running();
	cr_assert(bs_maps(vmid, IOVA, pa));
	inv_ok();
	assign_pfn_to_vm(vmid, GFN + 1, pa / PAGE_SIZE);
	bs_expect_halt("assign_pfn_to_vm", "at gfn");
}

Test(smmu, lpae_clear_unmaps)
{
	uint32_t vmid = bs_new_vm(1);
	u64 pa = vm_device_page(vmid, 1, 0x300);
	u8 b;

	cr_assert(dma_byte(1, IOVA, &b));
	cr_assert_eq(bs_hvc(HVC_SMMU_CLEAR, IOVA, 1, IDX, 0, 0), 0);
	bs_expect_running();
	cr_assert_not(dma_byte(1, IOVA, &b));
	cr_assert_eq(bs_hvc(HVC_SMMU_LPAE_IOVA_TO_PHYS, IOVA, 1, IDX, 0, 0), 0);
	/* The page stays the VM's. */
	cr_assert_eq(cv_hosted_page_owner(pa / PAGE_SIZE), vmid);
	inv_ok();
	/* Clearing again, or on an unowned bank: nothing. */
	cr_assert_eq(bs_hvc(HVC_SMMU_CLEAR, IOVA, 1, IDX, 0, 0), 0);
	cr_assert_eq(bs_hvc(HVC_SMMU_CLEAR, IOVA, 6, IDX, 0, 0), 0);
	bs_expect_running();
}

Test(smmu, verified_vms_banks_are_frozen)
{
	uint32_t vmid = bs_new_vm(1);
	u8 b;

	vm_device_page(vmid, 1, 0x300);
	verify_and_load_images(vmid);
	bs_hvc(HVC_SMMU_CLEAR, IOVA, 1, IDX, 0, 0);
	bs_expect_halt("clear_smmu", "vm 1 is VERIFIED");
	cr_assert(bank_maps(1, IOVA));
	cr_assert_not(dma_byte(1, IOVA, &b)); /* the machine stopped */
}

Test(smmu, verified_vm_gets_no_new_mapping)
{
	uint32_t vmid = bs_new_vm(1);

	vm_device_page(vmid, 1, 0x300);
	verify_and_load_images(vmid);
	lpae_map(IOVA + PAGE_SIZE, bs_ram(0x301), 1);
	bs_expect_halt("assign_smmu", "vm 1 is VERIFIED");
	cr_assert_eq(cv_hosted_page_owner(bs_ram(0x301) / PAGE_SIZE),
		     HOSTVISOR);
}

Test(smmu, lpae_map_on_unowned_bank_is_noop)
{
	u64 pa = bs_ram(0x300);

	cr_assert_eq(lpae_map(IOVA, pa, 5), 0);
	bs_expect_running();
	cr_assert_eq(cv_hosted_page_owner(pa / PAGE_SIZE), HOSTVISOR);
	cr_assert_eq(bs_hvc(HVC_SMMU_LPAE_IOVA_TO_PHYS, IOVA, 5, IDX, 0, 0), 0);
}

Test(smmu, iova_to_phys_direct)
{
	uint32_t vmid = bs_new_vm(1);
	u64 pa = vm_device_page(vmid, 1, 0x300);

	cr_assert_eq(el2_arm_lpae_iova_to_phys(IOVA + 8, 1, IDX), pa + 8);
	cr_assert_eq(el2_arm_lpae_iova_to_phys(0xfff, 1, IDX), 0xfff);
	bs_expect_running();
}

Test(smmu, iova_to_phys_bad_iova_panics)
{
	el2_arm_lpae_iova_to_phys(1ULL << 40, 1, IDX);
	bs_expect_halt("el2_arm_lpae_iova_to_phys", "beyond 40 bits");
}

Test(smmu, lpae_clear_bad_bank_panics)
{
	el2_arm_lpae_clear(0, SMMU_NUM_CTXT_BANKS, IDX);
	bs_expect_halt("el2_arm_lpae_clear", "context bank 8 out of range");
}

Test(smmu, lpae_map_bad_args_panic)
{
	el2_arm_lpae_map(IOVA, KVM_PHYS_SIZE, PROT, 1, IDX);
	bs_expect_halt("el2_arm_lpae_map", "bad args paddr 0x10000000000");
}

Test(smmu, lpae_map_prot_with_address_panics)
{
	el2_arm_lpae_map(IOVA, bs_ram(1), PROT | 0x1000, 1, IDX);
	bs_expect_halt("el2_arm_lpae_map", "prot 0x10ff");
}

/* TrapDispatcher's checks at each edge: accepted just inside. */
Test(smmu, hvc_edges_accepted)
{
	const u64 phys = KVM_PHYS_SIZE;

	cr_assert_eq(bs_hvc(HVC_SMMU_ALLOC_PGD, SMMU_NUM_CTXT_BANKS - 1,
			    COREVISOR - 1, IDX, 0, 0),
		     0);
	cr_assert_eq(bank_owner(IDX, SMMU_NUM_CTXT_BANKS - 1), COREVISOR - 1);
	cr_assert_eq(bs_hvc(HVC_SMMU_FREE_PGD, SMMU_NUM_CTXT_BANKS - 1,
			    SMMU_NUM - 1, 0, 0, 0),
		     0);
	cr_assert_eq(bs_hvc(HVC_SMMU_LPAE_MAP, phys - 1, phys - 1,
			    0x7ffffffffffffffeULL & ~PTE_ADDR_MASK,
			    SMMU_NUM_CTXT_BANKS - 2, SMMU_NUM - 1),
		     0);
	cr_assert_eq(bs_hvc(HVC_SMMU_LPAE_IOVA_TO_PHYS, phys - 1,
			    SMMU_NUM_CTXT_BANKS - 1, SMMU_NUM - 1, 0, 0),
		     0xfff);
	cr_assert_eq(bs_hvc(HVC_SMMU_CLEAR, phys - 1, SMMU_NUM_CTXT_BANKS - 1,
			    SMMU_NUM - 1, 0, 0),
		     0);
	bs_expect_running();
	inv_ok();
}

ParameterizedTestParameters(smmu, hvc_out_of_range_panics)
{
	static struct bs_bad_hvc cases[] = {
		{"SMMU_FREE_PGD", {HVC_SMMU_FREE_PGD, SMMU_NUM_CTXT_BANKS, 0}},
		{"SMMU_FREE_PGD", {HVC_SMMU_FREE_PGD, 0, SMMU_NUM}},
		{"SMMU_ALLOC_PGD",
		 {HVC_SMMU_ALLOC_PGD, SMMU_NUM_CTXT_BANKS, 1, 0}},
		{"SMMU_ALLOC_PGD", {HVC_SMMU_ALLOC_PGD, 0, COREVISOR, 0}},
		{"SMMU_ALLOC_PGD", {HVC_SMMU_ALLOC_PGD, 0, 1, SMMU_NUM}},
		{"SMMU_LPAE_MAP",
		 {HVC_SMMU_LPAE_MAP, KVM_PHYS_SIZE, 0x40000000, PROT, 0, 0}},
		{"SMMU_LPAE_MAP",
		 {HVC_SMMU_LPAE_MAP, 0, KVM_PHYS_SIZE, PROT, 0, 0}},
		{"SMMU_LPAE_MAP",
		 {HVC_SMMU_LPAE_MAP, 0, 0x40000000, 0x7fffffffffffffffULL, 0,
		  0}},
		{"SMMU_LPAE_MAP",
		 {HVC_SMMU_LPAE_MAP, 0, 0x40000000, PROT | 0x1000, 0, 0}},
		{"SMMU_LPAE_MAP",
		 {HVC_SMMU_LPAE_MAP, 0, 0x40000000, PROT, SMMU_NUM_CTXT_BANKS,
		  0}},
		{"SMMU_LPAE_MAP",
		 {HVC_SMMU_LPAE_MAP, 0, 0x40000000, PROT, 0, SMMU_NUM}},
		{"SMMU_LPAE_IOVA_TO_PHYS",
		 {HVC_SMMU_LPAE_IOVA_TO_PHYS, KVM_PHYS_SIZE, 0, 0}},
		{"SMMU_LPAE_IOVA_TO_PHYS",
		 {HVC_SMMU_LPAE_IOVA_TO_PHYS, 0, SMMU_NUM_CTXT_BANKS, 0}},
		{"SMMU_LPAE_IOVA_TO_PHYS",
		 {HVC_SMMU_LPAE_IOVA_TO_PHYS, 0, 0, SMMU_NUM}},
		{"SMMU_CLEAR", {HVC_SMMU_CLEAR, KVM_PHYS_SIZE, 0, 0}},
		{"SMMU_CLEAR", {HVC_SMMU_CLEAR, 0, SMMU_NUM_CTXT_BANKS, 0}},
		{"SMMU_CLEAR", {HVC_SMMU_CLEAR, 0, 0, SMMU_NUM}},
	};

	return cr_make_param_array(struct bs_bad_hvc, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bs_bad_hvc *c, smmu, hvc_out_of_range_panics)
{
	bs_expect_bad_hvc(c);
	for (u32 i = 0; i < EL2_SMMU_CFG_SIZE; i++)
		cr_assert_eq(cv.smmu_vmid[i], INVALID);
}

/* ---- halted: every entry is a no-op ----------------------------------- */

Test(smmu, halted_calls_change_nothing)
{
	uint32_t vmid = bs_new_vm(1);
	u64 pa = vm_device_page(vmid, 1, 0x300);

	cr_assert(host_store(0x400, 4, 0x11));
	bs_halt();
	cr_assert_eq(alloc_bank(2, vmid), 0);
	cr_assert_eq(bank_owner(IDX, 2), INVALID);
	set_vm_poweroff(vmid);
	el2_free_smmu_pgd(1, IDX);
	cr_assert_eq(bank_owner(IDX, 1), vmid);
	el2_arm_lpae_clear(IOVA, 1, IDX);
	cr_assert(bank_maps(1, IOVA));
	smmu_assign_page(1, IDX, bs_ram(0x301) / PAGE_SIZE, GFN + 1);
	cr_assert_eq(cv_hosted_page_owner(bs_ram(0x301) / PAGE_SIZE),
		     HOSTVISOR);
	smmu_map_page(1, IDX, IOVA + PAGE_SIZE, bs_ram(0x301) | PAGE_S2_RAM);
	cr_assert_not(bank_maps(1, IOVA + PAGE_SIZE));
	cr_assert_eq(el2_arm_lpae_iova_to_phys(IOVA, 1, IDX), 0);
	cr_assert_eq(is_smmu_range(base()), INVALID);
	cr_assert_eq(smmu_init_pte(PROT, pa), 0);
	cr_assert_eq(smmu_get_cbndx(CB(1)), 0);
	host_ctxt()->regs[X1] = 0x22;
	handle_smmu_write(esr(4, 1, true), base() + 0x400, 4, IDX);
	__handle_smmu_write(esr(4, 1, true), base() + 0x400, 4, 0, 0);
	handle_host_mmio(base(), IDX, esr(4, 1, true));
	cr_assert_eq(dev_reg(0x400, 4), 0x11);
	handle_smmu_read(esr(4, 1, false), base() + 0x400, 4);
	__handle_smmu_read(esr(4, 1, false), base() + 0x400, 4);
	cr_assert_eq(host_ctxt()->regs[X1], 0x22);
	cr_assert_eq(cv_hosted_page_owner(pa / PAGE_SIZE), vmid);
}
