// SPDX-License-Identifier: MIT
/*
 * Tests written for mutants of tests/mutation/mutants.txt that the other
 * suites let live: each asserts on what the bug would change (a page's
 * pins or owner, the halt and its reason, what the hardware holds). The
 * mutant each one kills is named above it.
 */
#include <criterion/criterion.h>
#include <string.h>

#include <corevisor/abi.h>
#include <corevisor/hosted.h>
#include <cv/boot.h>
#include <cv/gictab.h>
#include <cv/inv.h>
#include <cv/mem.h>
#include <cv/pte.h>
#include <cv/spt.h>
#include <cv/state.h>
#include <cv/vcpu.h>

#include "boot_support.h"
#include "pt_support.h"
#include "vm_support.h"

/* ---- The GIC's tables (core/gic/gictab.c) ---------------------------------
 */

#define GIC_VM 2U
#define ITS 0x08080000ULL

static void boot_gic(void)
{
	pts_boot_devices(true, false, GIC_VM);
}

TestSuite(mutants_gic, .init = boot_gic);

static u64 its_commands(void)
{
	u64 last[1][4];

	return cv_hosted_its_commands(last, 1);
}

/* The host's one-page command queue at pts_ram_pa(@page); the ITS on. */
static void host_queue(u64 page)
{
	cr_assert(
		pts_host_w64(ITS + GITS_CBASER, GITS_VALID | pts_ram_pa(page)));
	cr_assert(pts_host_w64(ITS + GITS_CWRITER, 0));
	cr_assert(pts_host_w64(ITS + GITS_CTLR, GITS_CTLR_ENABLED));
	pts_expect_running();
}

static void host_cmd(u64 page, u32 i, u64 d0, u64 d1, u64 d2, u64 d3)
{
	u64 cmd[4] = {d0, d1, d2, d3};

	cr_assert(cv_hosted_host_write(pts_ram_pa(page) + i * 32, cmd, 32));
}

/* gic-itt-offset-ignored: an ITT that starts late in a page and runs
 * into the next pins both; the second cannot then go to a VM. */
Test(mutants_gic, itt_crossing_a_page_pins_both_pages)
{
	/* 2^(5+1) entries of 8 bytes = 512 bytes from 0x100 before the end. */
	u64 start = pts_ram_pa(50) + PAGE_SIZE - 0x100;

	host_queue(4);
	host_cmd(4, 0, GITS_CMD_MAPD | 7ULL << 32, 5, GITS_MAPD_VALID | start,
		 0);
	cr_assert(pts_host_w64(ITS + GITS_CWRITER, 32));
	pts_expect_running();
	cr_assert_eq(its_commands(), 1);
	cr_assert_eq(get_pfn_gic_pins(pts_ram_pa(50) / PAGE_SIZE), 1);
	cr_assert_eq(get_pfn_gic_pins(pts_ram_pa(51) / PAGE_SIZE), 1);
	cr_assert_eq(get_pfn_gic_pins(pts_ram_pa(52) / PAGE_SIZE), 0);
	pts_expect_inv();
	assign_pfn_to_vm(GIC_VM, 0x80000, pts_ram_pa(51) / PAGE_SIZE);
	pts_expect_halt("assign_pfn_to_vm", "holds a GIC table");
	cr_assert_eq(cv_hosted_page_owner(pts_ram_pa(51) / PAGE_SIZE),
		     HOSTVISOR);
}

/* gic-mapd-devid-unbounded: the hosted ITS has 16 DeviceID bits. */
Test(mutants_gic, mapd_of_a_device_beyond_the_id_bits_refused)
{
	host_queue(4);
	host_cmd(4, 0, GITS_CMD_MAPD | 0x10000ULL << 32, 4,
		 GITS_MAPD_VALID | pts_ram_pa(50), 0);
	pts_host_w64(ITS + GITS_CWRITER, 32);
	pts_expect_halt("its_cwriter", "device 0x10000 beyond 16 bits");
	cr_assert_eq(its_commands(), 0);
	cr_assert_eq(get_pfn_gic_pins(pts_ram_pa(50) / PAGE_SIZE), 0);
}

/* gic-commands-while-its-off: a queue nobody reads is refused at once. */
Test(mutants_gic, commands_while_the_its_is_off_refused)
{
	cr_assert(pts_host_w64(ITS + GITS_CBASER, GITS_VALID | pts_ram_pa(4)));
	pts_expect_running();
	host_cmd(4, 0, GITS_CMD_SYNC, 0, 0, 0);
	pts_host_w64(ITS + GITS_CWRITER, 32);
	pts_expect_halt("its_cwriter", "while the ITS is off");
	cr_assert_eq(its_commands(), 0);
}

/* gic-baser-64k-pages-short: Size + 1 pages of 64 KiB are 16 4 KiB pages
 * each, every one pinned. */
Test(mutants_gic, baser_of_64k_pages_pins_all_of_them)
{
	u64 base = ALIGN_DOWN(pts_ram_pa(64) + 0x10000 - 1, 0x10000);
	u64 v = GITS_VALID | (2ULL << 8) | base | 1; /* 2 pages of 64 KiB */

	cr_assert(pts_host_w64(ITS + GITS_BASER(2), v));
	pts_expect_running();
	cr_assert_eq(cv_hosted_gic_reg(ITS + GITS_BASER(2)), v);
	cr_assert_eq(get_pfn_gic_pins(base / PAGE_SIZE), 1);
	cr_assert_eq(get_pfn_gic_pins(base / PAGE_SIZE + 31), 1);
	cr_assert_eq(get_pfn_gic_pins(base / PAGE_SIZE + 32), 0);
	pts_expect_inv();
	assign_pfn_to_vm(GIC_VM, 0x80000, base / PAGE_SIZE + 20);
	pts_expect_halt("assign_pfn_to_vm", "holds a GIC table");
}

/* The syndrome of the host's @len-byte store of x1 (ISV set). */
static u32 store_esr(u32 len)
{
	return (u32)(((u64)ESR_ELx_EC_DABT_LOW << ESR_ELx_EC_SHIFT) |
		     ESR_ELx_IL | 0x07 | ESR_ELx_ISV | ESR_ELx_WNR |
		     ((u64)__builtin_ctz(len) << ESR_ELx_SAS_SHIFT) |
		     (1ULL << ESR_ELx_SRT_SHIFT) | (len == 8 ? ESR_ELx_SF : 0));
}

/* gic-unaligned-access: an 8-byte access that straddles two registers. */
Test(mutants_gic, unaligned_register_access_refused)
{
	u64 x[31] = {0};

	x[1] = GITS_VALID | pts_ram_pa(16);
	cr_assert_not(
		cv_hosted_host_abort(ITS + GITS_BASER(0) + 4, store_esr(8), x));
	pts_expect_halt("gic_emulate", "8-byte access at 0x8080104");
	cr_assert_eq(get_pfn_gic_pins(pts_ram_pa(16) / PAGE_SIZE), 0);
}

/* gic-sync-target-unchecked: with GITS_TYPER.PTA a SYNC names a
 * redistributor by physical address; any other address is refused. */
Test(mutants_gic, sync_to_no_redistributor_refused_with_pta)
{
	cv.gic.its_pta = true; /* an ITS whose targets are addresses */
	host_queue(4);
	host_cmd(4, 0, GITS_CMD_SYNC, 0, cv.gic.rdist_base + GIC_RD_STRIDE, 0);
	cr_assert(pts_host_w64(ITS + GITS_CWRITER, 32));
	pts_expect_running();
	cr_assert_eq(its_commands(), 1);
	host_cmd(4, 1, GITS_CMD_SYNC, 0, pts_ram_pa(8), 0);
	pts_host_w64(ITS + GITS_CWRITER, 64);
	pts_expect_halt("its_cwriter", "command 0x5 at 0x20 refused");
	cr_assert_eq(its_commands(), 1);
}

/* gic-its-busy-ignores-quiescent: an ITS turned off keeps using its
 * tables until it reports Quiescent; a table register written before
 * then is ignored (its_busy), as while it is on. */
Test(mutants_gic, table_registers_ignored_until_the_its_is_quiescent)
{
	cv_hosted_gic_set_reg(ITS + GITS_CTLR, 0); /* off, not quiescent */
	cr_assert(
		pts_host_w64(ITS + GITS_BASER(0), GITS_VALID | pts_ram_pa(16)));
	cr_assert(pts_host_w64(ITS + GITS_CBASER, GITS_VALID | pts_ram_pa(4)));
	pts_expect_running();
	cr_assert_eq(cv_hosted_gic_reg(ITS + GITS_BASER(0)) & GITS_VALID, 0);
	cr_assert_eq(cv_hosted_gic_reg(ITS + GITS_CBASER), 0);
	cr_assert_eq(get_pfn_gic_pins(pts_ram_pa(16) / PAGE_SIZE), 0);
	cr_assert_eq(get_pfn_gic_pins(pts_ram_pa(4) / PAGE_SIZE), 0);
	pts_expect_inv();
	/* Quiescent: now they are taken. */
	cv_hosted_gic_set_reg(ITS + GITS_CTLR, GITS_CTLR_QUIESCENT);
	cr_assert(
		pts_host_w64(ITS + GITS_BASER(0), GITS_VALID | pts_ram_pa(16)));
	pts_expect_running();
	cr_assert_eq(get_pfn_gic_pins(pts_ram_pa(16) / PAGE_SIZE), 1);
	pts_expect_inv();
}

/* ---- The SMMUv3's registers (core/spt/stream.c) -------------------------- */

#define STREAM_VM 3U

static void boot_smmuv3(void)
{
	pts_boot_devices(false, true, STREAM_VM);
}

TestSuite(mutants_stream, .init = boot_smmuv3);

/* stream-registers-end-inclusive: the page just past the SMMUv3's
 * registers is other MMIO, a VM's to have; their last page is not. */
Test(mutants_stream, the_page_after_the_registers_is_not_theirs)
{
	u64 end = cv_hosted_smmuv3_base() + cv.smmuv3_size;

	cr_assert_neq(cv.smmuv3_size, 0);
	map_vm_io(STREAM_VM, 0x9000000, end);
	pts_expect_running();
	cr_assert(pts_maps(STREAM_VM, 0x9000000, end, 3));
	map_vm_io(STREAM_VM, 0x9001000, end - PAGE_SIZE);
	pts_expect_halt("map_vm_io", "SMMUv3's registers");
	cr_assert_not(pts_maps(STREAM_VM, 0x9001000, end - PAGE_SIZE, 3));
}

/* ---- What a VM is told of the CPU (core/trap/idregs.c) ------------------- */

static void boot_vm_host(void)
{
	vs_boot();
}

TestSuite(mutants_idregs, .init = boot_vm_host);

/* SP set, then MRS XZR, ID_AA64PFR0_EL1 (Op0 3, Op1 0, CRn 0, CRm 4, Op2
 * 0); the next run notes SP in *arg and waits. */
static void sp_then_id_read_into_xzr(struct cv_hosted_guest *g, void *arg)
{
	if (g->run == 0) {
		g->sp = 0x5ec2e7000ULL;
		cv_guest_msr(g, 3, 0, 0, 4, 0, 31, true);
		return;
	}
	*(uint64_t *)arg = g->sp;
	cv_guest_wfi(g);
}

/* idregs-xzr-read: an ID register read into XZR is discarded; index 31 of
 * the shadow context is SP, which keeps the guest's value. */
Test(mutants_idregs, id_register_read_into_xzr_keeps_sp)
{
	uint32_t vm = vs_new_vm(1, 0);
	uint64_t sp = 0;

	cv_hosted_set_guest(vm, sp_then_id_read_into_xzr, &sp);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	bs_expect_running();
	cr_assert_eq(sp, 0x5ec2e7000ULL, "SP after the MRS: 0x%llx",
		     (unsigned long long)sp);
	cr_assert_eq(vs_shadow(vm, 0, SP), 0x5ec2e7000ULL);
	cr_assert_eq(vs_shadow(vm, 0, PC), VS_PC(0) + 4, "the MRS stepped");
	vs_inv();
}

/* ---- The emulated physical timer (core/vcpu/vgic.c) ---------------------- */

static struct vs_script timer_script;
static uint32_t timer_vm;

static void boot_timer_vm(void)
{
	vs_boot();
	memset(&timer_script, 0, sizeof(timer_script));
	timer_vm = vs_new_vm(1, 0);
	vs_set_script(timer_vm, &timer_script);
	vs_inv();
}

TestSuite(mutants_vgic, .init = boot_timer_vm);

/* vgic-cntp-ctl-unmasked: CNTP_CTL_EL0 keeps ENABLE and IMASK of what the
 * guest writes; ISTATUS is the timer's (read-only) and bits above are
 * RES0, so a read shows neither what the guest wrote there. */
Test(mutants_vgic, cntp_ctl_keeps_only_enable_and_imask)
{
	uint64_t ctl = VS_SYSREG(3, 3, 14, 2, 1),
		 cval = VS_SYSREG(3, 3, 14, 2, 2);

	cv_hosted_set_counter(100);
	timer_script.ops[0] = (struct vs_op){OP_MOV, 200, 0, 2, 0};
	timer_script.ops[1] = (struct vs_op){OP_MSR, cval, 0, 2, 0};
	/* ENABLE | IMASK | ISTATUS | bit 3 | bit 40 */
	timer_script.ops[2] =
		(struct vs_op){OP_MOV, 0xfULL | 1ULL << 40, 0, 3, 0};
	timer_script.ops[3] = (struct vs_op){OP_MSR, ctl, 0, 3, 0};
	timer_script.ops[4] = (struct vs_op){OP_MSR, ctl, 1, 4, 0};
	timer_script.ops[5] = (struct vs_op){OP_SNAP, 0, 0, 0, 0};
	timer_script.ops[6] = (struct vs_op){OP_WFE, 0, 0, 0, 0};
	cr_assert_eq(vs_run(timer_vm, 0), CV_EXIT_WFX);
	bs_expect_running();
	cr_assert_eq(timer_script.nsnaps, 1);
	cr_assert_eq(timer_script.snaps[0].x[4], 3,
		     "enabled, masked, not expired: 0x%llx",
		     (unsigned long long)timer_script.snaps[0].x[4]);
	vs_inv();
}

/* ---- The SMMU's tables (core/spt/spt.c) ---------------------------------- */

static void boot_default(void)
{
	pts_boot();
}

TestSuite(mutants_spt, .init = boot_default);

static bool bank_maps(u32 index, u32 cbndx, u64 iova)
{
	struct cv_translation t;

	return cv_hosted_smmu_translate(index, cbndx, iova, &t) && t.valid;
}

/* spt-clear-half-root: clearing a bank's table empties both pages of its
 * concatenated root, so the top of the 40-bit IOVA space goes too. */
Test(mutants_spt, clearing_a_bank_empties_the_whole_40_bit_space)
{
	u64 top = (1ULL << 40) - PAGE_SIZE, low = 0x1000;
	char why[256];

	map_spt(5, 0, top, pts_ram_pa(2) | PAGE_S2_RAM);
	map_spt(5, 0, low, pts_ram_pa(3) | PAGE_S2_RAM);
	pts_expect_running();
	cr_assert(bank_maps(0, 5, top));
	cr_assert(bank_maps(0, 5, low));
	init_spt(5, 0);
	pts_expect_running();
	cr_assert_not(bank_maps(0, 5, top), "the top half is still mapped");
	cr_assert_not(bank_maps(0, 5, low));
	cr_assert_eq(walk_spt(5, 0, top), 0);
	cr_assert_eq(walk_spt(5, 0, low), 0);
	cr_assert_eq(check_invariants(why, sizeof(why)), 0, "%s", why);
}
