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
#include <cv/state.h>
#include <cv/vcpu.h>

#include "pt_support.h"

/* ---- The GIC's tables (core/gic/gictab.c) ---------------------------------
 */

#define GIC_VM 2U
#define ITS 0x08080000ULL

static void boot_gic(void)
{
	struct cv_hosted_config cfg;

	cv_hosted_default_config(&cfg);
	cfg.gic = true;
	cv_hosted_console_mode(CV_CONSOLE_CAPTURE);
	cr_assert_eq(cv_hosted_boot(&cfg), 0);
	cv_hosted_set_cpu(0);
	for (u32 v = 1; v <= GIC_VM; v++)
		cr_assert_eq(register_kvm(), v);
}

TestSuite(mutants_gic, .init = boot_gic);

static u64 ram(u64 page)
{
	return cv_hosted_ram_base() + page * PAGE_SIZE;
}

static void expect_inv(void)
{
	char why[256];

	cr_assert_eq(check_invariants(why, sizeof(why)), 0, "%s", why);
}

static bool w64(u64 pa, u64 v)
{
	return cv_hosted_host_write(pa, &v, 8);
}

static u64 its_commands(void)
{
	u64 last[1][4];

	return cv_hosted_its_commands(last, 1);
}

/* The host's one-page command queue at ram(@page); the ITS on. */
static void host_queue(u64 page)
{
	cr_assert(w64(ITS + GITS_CBASER, GITS_VALID | ram(page)));
	cr_assert(w64(ITS + GITS_CWRITER, 0));
	cr_assert(w64(ITS + GITS_CTLR, GITS_CTLR_ENABLED));
	pts_expect_running();
}

static void host_cmd(u64 page, u32 i, u64 d0, u64 d1, u64 d2, u64 d3)
{
	u64 cmd[4] = {d0, d1, d2, d3};

	cr_assert(cv_hosted_host_write(ram(page) + i * 32, cmd, 32));
}

/* gic-itt-offset-ignored: an ITT that starts late in a page and runs
 * into the next pins both; the second cannot then go to a VM. */
Test(mutants_gic, itt_crossing_a_page_pins_both_pages)
{
	/* 2^(5+1) entries of 8 bytes = 512 bytes from 0x100 before the end. */
	u64 start = ram(50) + PAGE_SIZE - 0x100;

	host_queue(4);
	host_cmd(4, 0, GITS_CMD_MAPD | 7ULL << 32, 5, GITS_MAPD_VALID | start,
		 0);
	cr_assert(w64(ITS + GITS_CWRITER, 32));
	pts_expect_running();
	cr_assert_eq(its_commands(), 1);
	cr_assert_eq(get_pfn_gic_pins(ram(50) / PAGE_SIZE), 1);
	cr_assert_eq(get_pfn_gic_pins(ram(51) / PAGE_SIZE), 1);
	cr_assert_eq(get_pfn_gic_pins(ram(52) / PAGE_SIZE), 0);
	expect_inv();
	assign_pfn_to_vm(GIC_VM, 0x80000, ram(51) / PAGE_SIZE);
	pts_expect_halt("assign_pfn_to_vm", "holds a GIC table");
	cr_assert_eq(cv_hosted_page_owner(ram(51) / PAGE_SIZE), HOSTVISOR);
}

/* gic-mapd-devid-unbounded: the hosted ITS has 16 DeviceID bits. */
Test(mutants_gic, mapd_of_a_device_beyond_the_id_bits_refused)
{
	host_queue(4);
	host_cmd(4, 0, GITS_CMD_MAPD | 0x10000ULL << 32, 4,
		 GITS_MAPD_VALID | ram(50), 0);
	w64(ITS + GITS_CWRITER, 32);
	pts_expect_halt("its_cwriter", "device 0x10000 beyond 16 bits");
	cr_assert_eq(its_commands(), 0);
	cr_assert_eq(get_pfn_gic_pins(ram(50) / PAGE_SIZE), 0);
}

/* gic-commands-while-its-off: a queue nobody reads is refused at once. */
Test(mutants_gic, commands_while_the_its_is_off_refused)
{
	cr_assert(w64(ITS + GITS_CBASER, GITS_VALID | ram(4)));
	pts_expect_running();
	host_cmd(4, 0, GITS_CMD_SYNC, 0, 0, 0);
	w64(ITS + GITS_CWRITER, 32);
	pts_expect_halt("its_cwriter", "while the ITS is off");
	cr_assert_eq(its_commands(), 0);
}

/* gic-baser-64k-pages-short: Size + 1 pages of 64 KiB are 16 4 KiB pages
 * each, every one pinned. */
Test(mutants_gic, baser_of_64k_pages_pins_all_of_them)
{
	u64 base = ALIGN_DOWN(ram(64) + 0x10000 - 1, 0x10000);
	u64 v = GITS_VALID | (2ULL << 8) | base | 1; /* 2 pages of 64 KiB */

	cr_assert(w64(ITS + GITS_BASER(2), v));
	pts_expect_running();
	cr_assert_eq(cv_hosted_gic_reg(ITS + GITS_BASER(2)), v);
	cr_assert_eq(get_pfn_gic_pins(base / PAGE_SIZE), 1);
	cr_assert_eq(get_pfn_gic_pins(base / PAGE_SIZE + 31), 1);
	cr_assert_eq(get_pfn_gic_pins(base / PAGE_SIZE + 32), 0);
	expect_inv();
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

	x[1] = GITS_VALID | ram(16);
	cr_assert_not(
		cv_hosted_host_abort(ITS + GITS_BASER(0) + 4, store_esr(8), x));
	pts_expect_halt("gic_emulate", "8-byte access at 0x8080104");
	cr_assert_eq(get_pfn_gic_pins(ram(16) / PAGE_SIZE), 0);
}

/* gic-sync-target-unchecked: with GITS_TYPER.PTA a SYNC names a
 * redistributor by physical address; any other address is refused. */
Test(mutants_gic, sync_to_no_redistributor_refused_with_pta)
{
	cv.gic.its_pta = true; /* an ITS whose targets are addresses */
	host_queue(4);
	host_cmd(4, 0, GITS_CMD_SYNC, 0, cv.gic.rdist_base + GIC_RD_STRIDE, 0);
	cr_assert(w64(ITS + GITS_CWRITER, 32));
	pts_expect_running();
	cr_assert_eq(its_commands(), 1);
	host_cmd(4, 1, GITS_CMD_SYNC, 0, ram(8), 0);
	w64(ITS + GITS_CWRITER, 64);
	pts_expect_halt("its_cwriter", "command 0x5 at 0x20 refused");
	cr_assert_eq(its_commands(), 1);
}

/* gic-its-busy-ignores-quiescent: an ITS turned off keeps using its
 * tables until it reports Quiescent; a table register written before
 * then is ignored (its_busy), as while it is on. */
Test(mutants_gic, table_registers_ignored_until_the_its_is_quiescent)
{
	cv_hosted_gic_set_reg(ITS + GITS_CTLR, 0); /* off, not quiescent */
	cr_assert(w64(ITS + GITS_BASER(0), GITS_VALID | ram(16)));
	cr_assert(w64(ITS + GITS_CBASER, GITS_VALID | ram(4)));
	pts_expect_running();
	cr_assert_eq(cv_hosted_gic_reg(ITS + GITS_BASER(0)) & GITS_VALID, 0);
	cr_assert_eq(cv_hosted_gic_reg(ITS + GITS_CBASER), 0);
	cr_assert_eq(get_pfn_gic_pins(ram(16) / PAGE_SIZE), 0);
	cr_assert_eq(get_pfn_gic_pins(ram(4) / PAGE_SIZE), 0);
	expect_inv();
	/* Quiescent: now they are taken. */
	cv_hosted_gic_set_reg(ITS + GITS_CTLR, GITS_CTLR_QUIESCENT);
	cr_assert(w64(ITS + GITS_BASER(0), GITS_VALID | ram(16)));
	pts_expect_running();
	cr_assert_eq(get_pfn_gic_pins(ram(16) / PAGE_SIZE), 1);
	expect_inv();
}
