// SPDX-License-Identifier: MIT
/*
 * The bare-metal host's attacks on the GIC's memory tables (host modes
 * 70..79, host/platform/main.c; corevisor's side: core/gic/gictab.c).
 * QEMU virt's ITS and redistributors read and write tables at physical
 * addresses the host programs; the host points each at the vault's secret
 * page or at corevisor's pool, and corevisor must refuse (fail-stop, its
 * reason on the console) before the GIC hears of it. MODE_GIC_TABLES
 * first shows legitimate tables work (the ITS consumes commands through
 * corevisor's queue), then offers one of the pinned pages to a VM.
 */
#include <corevisor/abi.h>
#include <host/vmm.h>

#include "gictab.h"
#include "vms.h"

/* QEMU virt (GICv3, its=on): the ITS's control frame, redistributor 0. */
#define ITS_BASE 0x08080000ULL
#define RD0_BASE 0x080a0000ULL
#define GITS_CTLR 0x0
#define GITS_CBASER 0x80
#define GITS_CWRITER 0x88
#define GITS_CREADR 0x90
#define GITS_BASER0 0x100
#define GICR_PROPBASER 0x70
#define GICR_PENDBASER 0x78
#define VALID (1ULL << 63)
#define CMD_MAPD 0x08ULL
#define CMD_MAPC 0x09ULL
#define CMD_SYNC 0x05ULL
#define CORE_POOL 0x40400000ULL /* corevisor's reserved memory */

/*
 * The host's own tables (its image's pages): the ITS's command queue, its
 * device and collection tables, one ITT, the LPI property table (16 ID bits: 14
 * pages) and the pending table (64 KiB aligned).
 */
static u8 cmdq[HOST_PAGE_SIZE] __attribute__((aligned(HOST_PAGE_SIZE)));
static u8 devtab[HOST_PAGE_SIZE] __attribute__((aligned(HOST_PAGE_SIZE)));
static u8 colltab[HOST_PAGE_SIZE] __attribute__((aligned(HOST_PAGE_SIZE)));
static u8 itt[HOST_PAGE_SIZE] __attribute__((aligned(HOST_PAGE_SIZE)));
static u8 proptab[14 * HOST_PAGE_SIZE] __attribute__((aligned(HOST_PAGE_SIZE)));
static u8 pendtab[0x10000] __attribute__((aligned(0x10000)));
static u32 ncmds;

static void w64(u64 pa, u64 v)
{
	*(volatile u64 *)pa = v;
}

static u64 r64(u64 pa)
{
	return *(volatile u64 *)pa;
}

static u64 pa_of(const void *p)
{
	return (u64)p;
}

/* The ITS off, its queue at @queue (one page), then on. */
static void its_queue(u64 queue)
{
	w64(ITS_BASE + GITS_CTLR, 0);
	host_printf("host: GITS_CBASER at 0x%llx\n", (unsigned long long)queue);
	w64(ITS_BASE + GITS_CBASER, VALID | queue);
	w64(ITS_BASE + GITS_CWRITER, 0);
	ncmds = 0;
	*(volatile u32 *)(ITS_BASE + GITS_CTLR) = 1;
}

/* Queue one command and hand it to the ITS (through corevisor). */
static void its_cmd(u64 d0, u64 d1, u64 d2, u64 d3)
{
	volatile u64 *c = (volatile u64 *)(cmdq + 32 * ncmds);

	c[0] = d0;
	c[1] = d1;
	c[2] = d2;
	c[3] = d3;
	ncmds++;
	__asm__ volatile("dsb ish" ::: "memory");
	w64(ITS_BASE + GITS_CWRITER, 32ULL * ncmds);
}

void gictab_attack(u32 mode, u64 secret)
{
	switch (mode) {
	case MODE_GIC_BASER_VM:
		host_printf("host: GITS_BASER0 at the vault's secret page "
			    "0x%llx\n",
			    (unsigned long long)secret);
		w64(ITS_BASE + GITS_CTLR, 0);
		w64(ITS_BASE + GITS_BASER0, VALID | secret);
		break;
	case MODE_GIC_CBASER_CORE:
		its_queue(CORE_POOL);
		break;
	case MODE_GIC_ITT_VM:
		its_queue(pa_of(cmdq));
		host_printf("host: MAPD device 1 with its ITT at the vault's "
			    "secret page 0x%llx\n",
			    (unsigned long long)secret);
		its_cmd(CMD_MAPD | 1ULL << 32, 4, VALID | secret, 0);
		break;
	case MODE_GIC_PROPBASER_VM:
		host_printf("host: GICR_PROPBASER at the vault's secret page "
			    "0x%llx\n",
			    (unsigned long long)secret);
		w64(RD0_BASE + GICR_PROPBASER, secret | 15);
		break;
	case MODE_GIC_PENDBASER_CORE:
		host_printf("host: GICR_PENDBASER at corevisor's pool 0x%llx\n",
			    CORE_POOL);
		w64(RD0_BASE + GICR_PENDBASER, CORE_POOL);
		break;
	default:
		return;
	}
	host_fail("corevisor let the GIC table through (mode %u)", mode);
}

/* MODE_GIC_TABLES: the second VM's first RAM fault gets the ITT's page. */
static u64 offer_itt(struct vmm_vm *vm, u64 ipa)
{
	if (vm == vms_get(0) || vm->npages)
		return 0;
	host_printf("host: offering pfn 0x%llx (the ITT, pinned) for vm%u's "
		    "fault at IPA 0x%llx\n",
		    (unsigned long long)(pa_of(itt) / HOST_PAGE_SIZE), vm->vmid,
		    (unsigned long long)ipa);
	return pa_of(itt);
}

/*
 * MODE_GIC_TABLES: the host sets up its ITS and its LPI tables as a
 * driver would, from its own pages; corevisor lets each through and the
 * ITS consumes the commands.
 */
static void legitimate_tables(void)
{
	u64 creadr;

	w64(ITS_BASE + GITS_CTLR, 0);
	/* Device table: 4 KiB pages, one page. */
	w64(ITS_BASE + GITS_BASER0, VALID | pa_of(devtab));
	w64(ITS_BASE + GITS_BASER0 + 8, VALID | pa_of(colltab));
	its_queue(pa_of(cmdq));
	/* Collection 0 on redistributor 0 (GITS_TYPER.PTA 0: its number). */
	its_cmd(CMD_MAPC, 0, VALID, 0);
	its_cmd(CMD_MAPD | 1ULL << 32, 4, VALID | pa_of(itt), 0);
	its_cmd(CMD_SYNC, 0, 0, 0);
	creadr = r64(ITS_BASE + GITS_CREADR);
	host_printf("host: ITS consumed %llu of %u commands (GITS_CREADR "
		    "0x%llx)\n",
		    (unsigned long long)(creadr / 32), ncmds,
		    (unsigned long long)creadr);
	if (creadr != 32ULL * ncmds)
		host_fail("ITS commands not consumed");
	w64(RD0_BASE + GICR_PROPBASER, pa_of(proptab) | 15);
	w64(RD0_BASE + GICR_PENDBASER, pa_of(pendtab));
	if ((r64(RD0_BASE + GICR_PROPBASER) & ~0xfffULL) != pa_of(proptab) ||
	    (r64(RD0_BASE + GICR_PENDBASER) & 0xffffffff0000ULL) !=
		    pa_of(pendtab))
		host_fail("LPI tables not taken");
	host_printf("host: legitimate GIC tables in place (device table "
		    "0x%llx, ITT 0x%llx, LPI tables 0x%llx 0x%llx)\n",
		    (unsigned long long)pa_of(devtab),
		    (unsigned long long)pa_of(itt),
		    (unsigned long long)pa_of(proptab),
		    (unsigned long long)pa_of(pendtab));
}

void gictab_legitimate(void)
{
	legitimate_tables();
	vmm_hooks.offer_page = offer_itt;
}
