// SPDX-License-Identifier: MIT
/*
 * The GIC's memory tables taken from the host (core/gic/gictab.c,
 * cv/gictab.h) on the hosted machine's GICv3 (arch/hosted/gic.c): the
 * host's accesses to the ITS's control page and each RD_base page trap
 * and are emulated; a table register or a MAPD naming a page the host
 * does not own (a VM's, the core's) stops the machine before the GIC
 * hears of it; a legitimate table is pinned and stays the host's; the
 * ITS reads only the core's command queue.
 */
#include <criterion/criterion.h>
#include <string.h>

#include <corevisor/abi.h>
#include <cv/boot.h>
#include <cv/gictab.h>
#include <cv/inv.h>
#include <cv/mem.h>
#include <cv/pte.h>
#include <cv/state.h>

#include "pt_support.h"

#define VM 2U
#define ITS 0x08080000ULL
#define RD(n) (0x080a0000ULL + (n)*GIC_RD_STRIDE)

static void boot_gic(void)
{
	pts_boot_devices(true, false, VM);
}

TestSuite(gictab, .init = boot_gic);

static u64 r64(u64 pa)
{
	u64 v = 0xdead;

	cr_assert(cv_hosted_host_read(pa, &v, 8));
	return v;
}

/* A page of VM's, the host's before. */
static u64 vm_page(u64 page)
{
	assign_pfn_to_vm(VM, 0x80000 + page, pts_ram_pa(page) / PAGE_SIZE);
	pts_expect_running();
	cr_assert_eq(cv_hosted_page_owner(pts_ram_pa(page) / PAGE_SIZE), VM);
	return pts_ram_pa(page);
}

/* The host's command queue: one 4 KiB page at pts_ram_pa(@page), the ITS on. */
static void host_queue(u64 page)
{
	cr_assert(
		pts_host_w64(ITS + GITS_CBASER, GITS_VALID | pts_ram_pa(page)));
	pts_expect_running();
	cr_assert(pts_host_w64(ITS + GITS_CWRITER, 0));
	cr_assert(pts_host_w64(ITS + GITS_CTLR, GITS_CTLR_ENABLED));
}

/* The host writes command @i of its queue at pts_ram_pa(@page). */
static void host_cmd(u64 page, u32 i, u64 d0, u64 d1, u64 d2, u64 d3)
{
	u64 cmd[4] = {d0, d1, d2, d3};

	cr_assert(cv_hosted_host_write(pts_ram_pa(page) + i * 32, cmd, 32));
}

Test(gictab, pages_are_emulated_never_mapped)
{
	/* A read passes through: the ITS's own TYPER. */
	cr_assert_eq(r64(ITS + GITS_TYPER),
		     cv_hosted_gic_reg(ITS + GITS_TYPER));
	cr_assert_eq(r64(RD(1) + GICR_CTLR), 0);
	/* Another register in the page passes through as written. */
	cr_assert(pts_host_w64(RD(1) + 0x10, 0x1234));
	cr_assert_eq(cv_hosted_gic_reg(RD(1) + 0x10), 0x1234);
	pts_expect_running();
	pts_expect_inv();
	/* The pages are never the host's. */
	map_page_host(ITS);
	pts_expect_halt("map_page_host", "GIC's table registers");
}

Test(gictab, baser_host_table_pinned_indirect_cleared)
{
	u64 v = GITS_VALID | GITS_BASER_INDIRECT | pts_ram_pa(16) |
		1; /* 2 pages */

	cr_assert(pts_host_w64(ITS + GITS_BASER(0), v));
	pts_expect_running();
	cr_assert_eq(cv_hosted_gic_reg(ITS + GITS_BASER(0)),
		     v & ~GITS_BASER_INDIRECT);
	cr_assert_eq(get_pfn_gic_pins(pts_ram_pa(16) / PAGE_SIZE), 1);
	cr_assert_eq(get_pfn_gic_pins(pts_ram_pa(17) / PAGE_SIZE), 1);
	cr_assert_eq(get_pfn_gic_pins(pts_ram_pa(18) / PAGE_SIZE), 0);
	pts_expect_inv();
	/* Elsewhere: the old table's pins go. */
	cr_assert(
		pts_host_w64(ITS + GITS_BASER(0), GITS_VALID | pts_ram_pa(32)));
	cr_assert_eq(get_pfn_gic_pins(pts_ram_pa(16) / PAGE_SIZE), 0);
	cr_assert_eq(get_pfn_gic_pins(pts_ram_pa(32) / PAGE_SIZE), 1);
	pts_expect_inv();
	/* A pinned page offered to a VM is refused. */
	assign_pfn_to_vm(VM, 0x80000, pts_ram_pa(32) / PAGE_SIZE);
	pts_expect_halt("assign_pfn_to_vm", "holds a GIC table");
	cr_assert_eq(cv_hosted_page_owner(pts_ram_pa(32) / PAGE_SIZE),
		     HOSTVISOR);
}

Test(gictab, pinned_page_refused_to_a_vm_device)
{
	cr_assert(
		pts_host_w64(ITS + GITS_BASER(1), GITS_VALID | pts_ram_pa(40)));
	assign_pfn_to_smmu(VM, 0x80000, pts_ram_pa(40) / PAGE_SIZE);
	pts_expect_halt("assign_pfn_to_smmu", "holds a GIC table");
	cr_assert_eq(cv_hosted_page_owner(pts_ram_pa(40) / PAGE_SIZE),
		     HOSTVISOR);
}

Test(gictab, baser_at_a_vm_page_refused)
{
	u64 pa = vm_page(20);

	pts_host_w64(ITS + GITS_BASER(0), GITS_VALID | pa);
	pts_expect_halt("its_write_baser", "GITS_BASER0");
	cr_assert_eq(cv_hosted_gic_reg(ITS + GITS_BASER(0)) & GITS_VALID, 0);
	cr_assert_eq(get_pfn_gic_pins(pa / PAGE_SIZE), 0);
}

Test(gictab, baser_reaching_a_vm_page_refused)
{
	/* Two pages from pts_ram_pa(19): the second is the VM's. */
	vm_page(20);
	pts_host_w64(ITS + GITS_BASER(1), GITS_VALID | pts_ram_pa(19) | 1);
	pts_expect_halt("its_write_baser", "not the host's");
	cr_assert_eq(get_pfn_gic_pins(pts_ram_pa(19) / PAGE_SIZE), 0);
}

Test(gictab, baser_at_the_core_refused)
{
	u64 core = cv_hosted_reserved_base();

	pts_host_w64(ITS + GITS_BASER(0), GITS_VALID | core);
	pts_expect_halt("its_write_baser", "owned by 16");
	cr_assert_eq(cv_hosted_gic_reg(ITS + GITS_BASER(0)) & GITS_VALID, 0);
}

Test(gictab, baser_half_write_merges)
{
	cr_assert(cv_hosted_host_write(ITS + GITS_BASER(0),
				       &(u32){(u32)pts_ram_pa(8)}, 4));
	cr_assert_eq(get_pfn_gic_pins(pts_ram_pa(8) / PAGE_SIZE),
		     0); /* not valid */
	cr_assert(cv_hosted_host_write(ITS + GITS_BASER(0) + 4,
				       &(u32){0x80000000U}, 4));
	pts_expect_running();
	cr_assert_eq(get_pfn_gic_pins(pts_ram_pa(8) / PAGE_SIZE), 1);
	pts_expect_inv();
}

Test(gictab, table_registers_ignored_while_the_its_is_on)
{
	host_queue(4);
	cr_assert(pts_host_w64(ITS + GITS_BASER(0), GITS_VALID | vm_page(21)));
	pts_expect_running();
	cr_assert_eq(cv_hosted_gic_reg(ITS + GITS_BASER(0)) & GITS_VALID, 0);
	pts_expect_inv();
}

Test(gictab, cbaser_at_a_vm_page_refused)
{
	u64 pa = vm_page(22);

	pts_host_w64(ITS + GITS_CBASER, GITS_VALID | pa);
	pts_expect_halt("its_write_cbaser", "GITS_CBASER");
	cr_assert_eq(cv_hosted_gic_reg(ITS + GITS_CBASER), 0);
}

Test(gictab, the_its_reads_the_core_queue)
{
	u64 last[2][4], d2 = GITS_MAPD_VALID | pts_ram_pa(50);

	host_queue(4);
	/* The hardware's CBASER is the core's queue, the host reads its own. */
	cr_assert_neq(cv_hosted_gic_reg(ITS + GITS_CBASER) & GIC_PA_51_12,
		      pts_ram_pa(4));
	cr_assert_eq(r64(ITS + GITS_CBASER), GITS_VALID | pts_ram_pa(4));
	cr_assert_eq(get_pfn_gic_pins(pts_ram_pa(4) / PAGE_SIZE), 1);
	/* MAPD device 7, 2^(4+1) entries of 8 bytes at pts_ram_pa(50); then
	 * SYNC. */
	host_cmd(4, 0, GITS_CMD_MAPD | 7ULL << 32, 4, d2, 0);
	host_cmd(4, 1, GITS_CMD_SYNC, 0, 0, 0);
	cr_assert(pts_host_w64(ITS + GITS_CWRITER, 64));
	pts_expect_running();
	cr_assert_eq(cv_hosted_its_commands(last, 2), 2);
	cr_assert_eq(last[1][0], GITS_CMD_MAPD | 7ULL << 32);
	cr_assert_eq(last[1][2], d2);
	cr_assert_eq(last[0][0], GITS_CMD_SYNC);
	cr_assert_eq(r64(ITS + GITS_CREADR), 64);
	cr_assert_eq(r64(ITS + GITS_CWRITER), 64);
	cr_assert_eq(get_pfn_gic_pins(pts_ram_pa(50) / PAGE_SIZE), 1);
	pts_expect_inv();
	/* MAPD V=0: the ITT is the host's to give again. */
	host_cmd(4, 2, GITS_CMD_MAPD | 7ULL << 32, 0, 0, 0);
	cr_assert(pts_host_w64(ITS + GITS_CWRITER, 96));
	pts_expect_running();
	cr_assert_eq(cv_hosted_its_commands(last, 1), 3);
	cr_assert_eq(get_pfn_gic_pins(pts_ram_pa(50) / PAGE_SIZE), 0);
	pts_expect_inv();
	vm_page(50);
	pts_expect_inv();
}

Test(gictab, commands_wrap_around_the_host_queue)
{
	u64 last[1][4];

	host_queue(4);
	for (u32 i = 0; i < 127; i++)
		host_cmd(4, i, GITS_CMD_SYNC, 0, 0, 0);
	cr_assert(pts_host_w64(ITS + GITS_CWRITER, 127 * 32));
	host_cmd(4, 127, GITS_CMD_INV, 0, 0, 0);
	host_cmd(4, 0, GITS_CMD_INVALL, 0, 0, 0);
	cr_assert(pts_host_w64(ITS + GITS_CWRITER, 32));
	pts_expect_running();
	cr_assert_eq(cv_hosted_its_commands(last, 1), 129);
	cr_assert_eq(last[0][0], GITS_CMD_INVALL);
	cr_assert_eq(r64(ITS + GITS_CREADR), 32);
}

Test(gictab, mapd_itt_at_a_vm_page_refused)
{
	u64 last[1][4], pa = vm_page(51);

	host_queue(4);
	host_cmd(4, 0, GITS_CMD_MAPD | 3ULL << 32, 4, GITS_MAPD_VALID | pa, 0);
	pts_host_w64(ITS + GITS_CWRITER, 32);
	pts_expect_halt("its_cwriter", "MAPD's ITT");
	cr_assert_eq(cv_hosted_its_commands(last, 1), 0);
	cr_assert_eq(get_pfn_gic_pins(pa / PAGE_SIZE), 0);
}

Test(gictab, mapd_itt_reaching_the_core_refused)
{
	u64 last[1][4], core = cv_hosted_reserved_base();

	host_queue(4);
	/* 2^16 entries of 8 bytes from the host's last page: into the core. */
	host_cmd(4, 0, GITS_CMD_MAPD | 3ULL << 32, 15,
		 GITS_MAPD_VALID | (core - PAGE_SIZE), 0);
	pts_host_w64(ITS + GITS_CWRITER, 32);
	pts_expect_halt("its_cwriter", "MAPD's ITT");
	cr_assert_eq(cv_hosted_its_commands(last, 1), 0);
}

Test(gictab, gicv4_command_refused)
{
	u64 last[1][4];

	host_queue(4);
	host_cmd(4, 0, 0x29 /* VMAPP */, 0, 0, 0);
	pts_host_w64(ITS + GITS_CWRITER, 32);
	pts_expect_halt("its_cwriter", "command 0x29");
	cr_assert_eq(cv_hosted_its_commands(last, 1), 0);
}

Test(gictab, cwriter_beyond_the_queue_refused)
{
	host_queue(4);
	pts_host_w64(ITS + GITS_CWRITER, PAGE_SIZE);
	pts_expect_halt("its_cwriter", "beyond the host's queue");
}

Test(gictab, redistributor_tables_pinned)
{
	/* 16 ID bits: 56 KiB of properties, 8 KiB of pending bits. */
	cr_assert(pts_host_w64(RD(2) + GICR_PROPBASER, pts_ram_pa(64) | 15));
	cr_assert(pts_host_w64(RD(2) + GICR_PENDBASER, pts_ram_pa(96)));
	pts_expect_running();
	cr_assert_eq(cv_hosted_gic_reg(RD(2) + GICR_PROPBASER),
		     pts_ram_pa(64) | 15);
	cr_assert_eq(cv_hosted_gic_reg(RD(2) + GICR_PENDBASER), pts_ram_pa(96));
	cr_assert_eq(get_pfn_gic_pins(pts_ram_pa(64) / PAGE_SIZE + 13), 1);
	cr_assert_eq(get_pfn_gic_pins(pts_ram_pa(64) / PAGE_SIZE + 14), 0);
	cr_assert_eq(get_pfn_gic_pins(pts_ram_pa(96) / PAGE_SIZE + 1), 1);
	cr_assert_eq(get_pfn_gic_pins(pts_ram_pa(96) / PAGE_SIZE + 2), 0);
	pts_expect_inv();
	/* LPIs on: the tables stay, a new address is ignored. */
	cr_assert(pts_host_w64(RD(2) + GICR_CTLR, GICR_CTLR_ENABLE_LPIS));
	cr_assert(pts_host_w64(RD(2) + GICR_PROPBASER, vm_page(200) | 15));
	pts_expect_running();
	cr_assert_eq(cv_hosted_gic_reg(RD(2) + GICR_PROPBASER),
		     pts_ram_pa(64) | 15);
	pts_expect_inv();
	assign_pfn_to_vm(VM, 0x90000, pts_ram_pa(96) / PAGE_SIZE);
	pts_expect_halt("assign_pfn_to_vm", "holds a GIC table");
}

Test(gictab, propbaser_at_a_vm_page_refused)
{
	u64 pa = vm_page(70);

	pts_host_w64(RD(0) + GICR_PROPBASER, pa | 15);
	pts_expect_halt("rd_write_propbaser", "GICR_PROPBASER");
	cr_assert_eq(cv_hosted_gic_reg(RD(0) + GICR_PROPBASER), 0);
}

Test(gictab, pendbaser_at_the_core_refused)
{
	pts_host_w64(RD(3) + GICR_PENDBASER, cv_hosted_reserved_base());
	pts_expect_halt("rd_write_pendbaser", "GICR_PENDBASER");
	cr_assert_eq(cv_hosted_gic_reg(RD(3) + GICR_PENDBASER), 0);
}

Test(gictab, pending_table_grows_with_propbaser)
{
	/* Pending bits for 14 ID bits: 2 KiB; then 16 bits reach a VM page. */
	cr_assert(pts_host_w64(RD(1) + GICR_PROPBASER, pts_ram_pa(64) | 13));
	cr_assert(pts_host_w64(RD(1) + GICR_PENDBASER, pts_ram_pa(96)));
	pts_expect_running();
	cr_assert_eq(get_pfn_gic_pins(pts_ram_pa(96) / PAGE_SIZE), 1);
	vm_page(97);
	pts_host_w64(RD(1) + GICR_PROPBASER, pts_ram_pa(64) | 15);
	pts_expect_halt("rd_write_pendbaser", "not the host's");
}

Test(gictab, invariant_sees_a_pinned_page_elsewhere)
{
	char why[256];

	cr_assert(
		pts_host_w64(ITS + GITS_BASER(0), GITS_VALID | pts_ram_pa(16)));
	pts_expect_inv();
	/* A pinned page whose owner changed behind the core's back. */
	cv.s2page[16].owner = VM;
	cr_assert_neq(check_invariants(why, sizeof(why)), 0);
	cr_assert(strstr(why, "gic_pins"), "%s", why);
	cv.s2page[16].owner = HOSTVISOR;
	cv.s2page[16].gic_pins = 0;
	cr_assert_neq(check_invariants(why, sizeof(why)), 0);
	cr_assert(strstr(why, "gic_pins"), "%s", why);
}
