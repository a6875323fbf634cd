// SPDX-License-Identifier: MIT
/*
 * The GICv3's memory tables, taken from the host (corevisor; cv/gictab.h
 * says what and why). The host's accesses to the ITS's control page and
 * to each redistributor's RD_base page fault at stage 2 and arrive here
 * (handle_host_stage2_fault); the registers that name memory are checked
 * and their tables pinned to the host, the ITS's command queue is the
 * core's, filled with the host's commands once checked.
 */
#include <cv/arch.h>
#include <cv/gictab.h>
#include <cv/lib.h>
#include <cv/lock.h>
#include <cv/mem.h>
#include <cv/panic.h>
#include <cv/smmu.h>
#include <cv/state.h>
#include <cv/vcpu.h>

#define ULL(x) ((unsigned long long)(x))

/* How long the core waits for the ITS to consume its queue (polls). */
#define GIC_ITS_WAIT_POLLS 100000000ULL

/* ---- Boot -------------------------------------------------------------- */

u64 gic_reserved_bytes(const struct cv_boot_params *params)
{
	return params->gicd_base && params->its_base ? GIC_CMDQ_BYTES : 0;
}

static bool overlaps_ram(const struct cv_boot_params *p, u64 base, u64 size)
{
	for (u32 r = 0; r < p->nregions && r < MAX_MEMBLOCK_NUM; r++)
		if (base < p->regions[r].base + p->regions[r].size &&
		    p->regions[r].base < base + size)
			return true;
	return false;
}

bool gic_boot(const struct cv_boot_params *p, u64 cmdq)
{
	u64 typer;

	if (!p->gicd_base)
		return true; /* no GICv3: nothing to take */
	if (p->gicd_base % PAGE_SIZE || p->its_base % GIC_ITS_FRAME ||
	    p->rdist_base % GIC_RD_STRIDE || p->nr_rdists > TOTAL_CPU ||
	    (p->nr_rdists && !p->rdist_base) || (p->its_base && !cmdq) ||
	    cmdq % PAGE_SIZE)
		return false;
	if ((p->its_base && overlaps_ram(p, p->its_base, GIC_ITS_FRAME)) ||
	    (p->nr_rdists &&
	     overlaps_ram(p, p->rdist_base, p->nr_rdists * GIC_RD_STRIDE)) ||
	    overlaps_ram(p, p->gicd_base, PAGE_SIZE))
		return false;
	cv.gic.gicd_base = p->gicd_base;
	cv.gic.its_base = p->its_base;
	cv.gic.rdist_base = p->rdist_base;
	cv.gic.nr_rdists = p->nr_rdists;
	cv.gic.lpi_id_bits =
		GICD_TYPER_IDBITS(arch_gic_read(p->gicd_base + GICD_TYPER, 4));
	if (p->its_base) {
		typer = arch_gic_read(p->its_base + GITS_TYPER, 8);
		cv.gic.itt_entry_bytes = GITS_TYPER_ITT_ENTRY_BYTES(typer);
		cv.gic.its_dev_bits = GITS_TYPER_DEVBITS(typer);
		cv.gic.its_pta = (typer & GITS_TYPER_PTA) != 0;
		cv.gic.cmdq_pa = cmdq;
	}
	return !halted();
}

/* ---- Which pages --------------------------------------------------------- */

/* The redistributor whose RD_base page 0 is @addr's page, or INVALID. */
static u32 rdist_of(u64 addr)
{
	u64 off;

	if (!cv.gic.nr_rdists || addr < cv.gic.rdist_base)
		return INVALID;
	off = addr - cv.gic.rdist_base;
	if (off >= cv.gic.nr_rdists * GIC_RD_STRIDE ||
	    off % GIC_RD_STRIDE >= PAGE_SIZE)
		return INVALID;
	return (u32)(off / GIC_RD_STRIDE);
}

static bool is_its_page(u64 addr)
{
	return cv.gic.its_base &&
	       ALIGN_DOWN(addr, PAGE_SIZE) == cv.gic.its_base;
}

bool is_gic_trapped_page(u64 addr)
{
	return is_its_page(addr) || rdist_of(addr) != INVALID;
}

/* ---- Pins ------------------------------------------------------------------
 */

static bool pin_table(const char *who, const char *what,
		      const struct gic_table *t)
{
	assert_locked(GIC_ID);
	return pin_host_pages(who, what, t->base, t->pages);
}

static void unpin_table(struct gic_table *t)
{
	assert_locked(GIC_ID);
	unpin_host_pages(t->base, t->pages);
	t->base = 0;
	t->pages = 0;
}

/* Replace @slot's table by @t, pinned (the old one unpinned). */
static bool repin(const char *who, const char *what, struct gic_table *slot,
		  struct gic_table t)
{
	if (!pin_table(who, what, &t))
		return false;
	unpin_table(slot);
	if (halted())
		return false;
	*slot = t;
	return true;
}

static u64 pages_of(u64 bytes)
{
	return (bytes + PAGE_SIZE - 1) / PAGE_SIZE;
}

/* ---- Table registers: what each value names -------------------------- */

/* GITS_BASER<n>: (Size + 1) pages of Page_Size. */
static struct gic_table baser_table(u64 v)
{
	static const u64 page_bytes[4] = {0x1000, 0x4000, 0x10000, 0x10000};
	struct gic_table t = {0, 0};
	u64 psz = page_bytes[(v >> 8) & 3];

	if (!(v & GITS_VALID))
		return t;
	if (psz == 0x10000)
		t.base = (v & GIC_PA_47_16) | (((v >> 12) & 0xf) << 48);
	else
		t.base = v & GIC_PA_47_12;
	t.pages = ((v & 0xff) + 1) * (psz / PAGE_SIZE);
	return t;
}

/* GITS_CBASER: (Size + 1) 4 KiB pages. */
static struct gic_table cbaser_table(u64 v)
{
	struct gic_table t = {0, 0};

	if (v & GITS_VALID) {
		t.base = v & GIC_PA_51_12;
		t.pages = (v & 0xff) + 1;
	}
	return t;
}

/* The LPI ID bits a redistributor uses with PROPBASER value @prop. */
static u32 lpi_bits(u64 prop)
{
	u32 bits = GICR_PROPBASER_IDBITS(prop);

	return bits < cv.gic.lpi_id_bits ? bits : cv.gic.lpi_id_bits;
}

/* GICR_PROPBASER: one byte per LPI (INTIDs 8192 up). */
static struct gic_table prop_table(u64 prop)
{
	struct gic_table t = {prop & GIC_PA_51_12, 0};
	u32 bits = lpi_bits(prop);

	if (bits > 13)
		t.pages = pages_of((1ULL << bits) - 8192);
	return t;
}

/*
 * GICR_PENDBASER: one bit per INTID, the ID space PROPBASER sets, and at
 * least the page holding the IMPLEMENTATION DEFINED first 1 KiB. Address
 * 0 names no table (the register's reset value).
 */
static struct gic_table pend_table(u64 pend, u64 prop)
{
	struct gic_table t = {pend & GIC_PA_51_16, 0};

	if (t.base)
		t.pages = pages_of((1ULL << lpi_bits(prop)) / 8) ?: 1;
	return t;
}

static bool same_table(struct gic_table a, struct gic_table b)
{
	return a.base == b.base && a.pages == b.pages;
}

/* ---- The host's access ------------------------------------------------- */

static inline u32 dabt_rt(u32 hsr)
{
	return (hsr >> ESR_ELx_SRT_SHIFT) & ESR_ELx_SRT_MASK;
}

static inline u32 dabt_len(u32 hsr)
{
	return 1U << ((hsr & ESR_ELx_SAS) >> ESR_ELx_SAS_SHIFT);
}

static u64 host_data(u32 hsr)
{
	u32 rt = dabt_rt(hsr), len = dabt_len(hsr);
	u64 data = rt == SMMU_REG_XZR ? 0 : host_ctxt()->regs[X0 + rt];

	return len < 8 ? data & ((1ULL << (len * 8)) - 1) : data;
}

static void host_load(u32 hsr, u64 val)
{
	u32 rt = dabt_rt(hsr), len = dabt_len(hsr);

	if (len < 8)
		val &= (1ULL << (len * 8)) - 1;
	if (rt != SMMU_REG_XZR)
		host_ctxt()->regs[X0 + rt] = val;
}

/*
 * A @len-byte write of @data at @off into the 64-bit register whose
 * value is @cur: the register's new value.
 */
static u64 merge(u64 cur, u64 off, u32 len, u64 data)
{
	u32 shift = (u32)(off & 7) * 8;
	u64 mask = len == 8 ? ~0ULL : ((1ULL << (len * 8)) - 1) << shift;

	return (cur & ~mask) | ((data << shift) & mask);
}

/* The part of 64-bit register value @v a @len-byte load at @off reads. */
static u64 extract(u64 v, u64 off, u32 len)
{
	return len == 8 ? v : v >> ((off & 7) * 8);
}

/* ---- The ITS ---------------------------------------------------------------
 */

static u64 its_reg(u64 off)
{
	return arch_gic_read(cv.gic.its_base + off, 8);
}

/* The ITS may be using its tables: on, or not yet quiescent. */
static bool its_busy(void)
{
	u64 ctlr = arch_gic_read(cv.gic.its_base + GITS_CTLR, 4);

	return (ctlr & GITS_CTLR_ENABLED) || !(ctlr & GITS_CTLR_QUIESCENT);
}

static void its_write_baser(u32 n, u64 v)
{
	static const char *const names[GIC_ITS_BASER_NR] = {
		"GITS_BASER0", "GITS_BASER1", "GITS_BASER2", "GITS_BASER3",
		"GITS_BASER4", "GITS_BASER5", "GITS_BASER6", "GITS_BASER7"};
	struct gic_table asked, used;
	u64 pa = cv.gic.its_base + GITS_BASER(n);

	if (its_busy())
		return;
	v &= ~GITS_BASER_INDIRECT;
	asked = baser_table(v);
	/* The table the host names, pinned before the ITS is told of it. */
	if (!pin_table("its_write_baser", names[n], &asked))
		return;
	arch_gic_write(pa, 8, v);
	/* The ITS may round the value (page size, type): it uses what it reads.
	 */
	used = baser_table(arch_gic_read(pa, 8));
	if (!same_table(used, asked)) {
		if (!pin_table("its_write_baser", names[n], &used)) {
			arch_gic_write(pa, 8, 0);
			return;
		}
		unpin_table(&asked);
	}
	unpin_table(&cv.gic.baser[n]);
	cv.gic.baser[n] = used;
}

static void its_write_cbaser(u64 v)
{
	u64 core;

	if (its_busy())
		return;
	if (!repin("its_write_cbaser", "GITS_CBASER", &cv.gic.host_cmdq,
		   cbaser_table(v)))
		return;
	cv.gic.host_cbaser = v;
	/* A CBASER write resets the queue (GITS_CREADR = 0). */
	cv.gic.host_cwriter = 0;
	cv.gic.host_creadr = 0;
	cv.gic.core_cwriter = 0;
	core = cv.gic.cmdq_pa | GITS_CBASER_CORE_ATTRS |
	       (GIC_CMDQ_BYTES / PAGE_SIZE - 1) | (v & GITS_VALID);
	arch_gic_write(cv.gic.its_base + GITS_CBASER, 8, core);
	arch_gic_write(cv.gic.its_base + GITS_CWRITER, 8, 0);
}

/* Hand the ITS the core's queue up to core_cwriter; wait until consumed. */
static bool its_kick(void)
{
	u64 creadr;

	arch_gic_write(cv.gic.its_base + GITS_CWRITER, 8, cv.gic.core_cwriter);
	for (u64 i = 0; i < GIC_ITS_WAIT_POLLS; i++) {
		creadr = its_reg(GITS_CREADR);
		if (creadr & GITS_CREADR_STALLED) {
			panic("its_cwriter: the ITS stalled at command offset "
			      "0x%llx",
			      ULL(creadr & GITS_QUEUE_OFFSET_MASK));
			return false;
		}
		if ((creadr & GITS_QUEUE_OFFSET_MASK) == cv.gic.core_cwriter)
			return true;
		arch_cpu_relax();
	}
	panic("its_cwriter: the ITS did not consume its queue (at 0x%llx of "
	      "0x%llx)",
	      ULL(its_reg(GITS_CREADR) & GITS_QUEUE_OFFSET_MASK),
	      ULL(cv.gic.core_cwriter));
	return false;
}

/* The device slot of @devid, or a free one (@alloc), or NULL. */
static struct gic_its_device *its_device(u32 devid, bool alloc)
{
	struct gic_its_device *free = NULL;

	for (u32 i = 0; i < GIC_ITS_MAX_DEVICES; i++) {
		struct gic_its_device *d = &cv.gic.devices[i];

		if (d->used && d->devid == devid)
			return d;
		if (!d->used && !free)
			free = d;
	}
	return alloc ? free : NULL;
}

/* MAPC/MOVALL with GITS_TYPER.PTA: @rdbase is a redistributor's frame. */
static bool is_rdbase(u64 rdbase)
{
	for (u32 i = 0; i < cv.gic.nr_rdists; i++)
		if (rdbase == cv.gic.rdist_base + i * GIC_RD_STRIDE)
			return true;
	return false;
}

/*
 * Check host command @cmd (at @off in the host's queue) and, for a MAPD,
 * pin the ITT it names (*dropped: the ITT it ends, to unpin once the
 * ITS has consumed it). False after a panic.
 */
static bool its_check_cmd(const u64 *cmd, u64 off, struct gic_table *dropped)
{
	u32 op = cmd[0] & 0xff, devid = cmd[0] >> 32;
	struct gic_its_device *d;
	struct gic_table itt;
	u64 start;

	dropped->base = dropped->pages = 0;
	switch (op) {
	case GITS_CMD_MOVI:
	case GITS_CMD_INT:
	case GITS_CMD_CLEAR:
	case GITS_CMD_SYNC:
	case GITS_CMD_MAPTI:
	case GITS_CMD_MAPI:
	case GITS_CMD_INV:
	case GITS_CMD_INVALL:
	case GITS_CMD_DISCARD:
		if (op == GITS_CMD_SYNC && cv.gic.its_pta &&
		    !is_rdbase(cmd[2] & GITS_RDBASE_MASK))
			break;
		return true;
	case GITS_CMD_MAPC:
	case GITS_CMD_MOVALL:
		if (cv.gic.its_pta && !is_rdbase(cmd[2] & GITS_RDBASE_MASK) &&
		    (op == GITS_CMD_MOVALL || (cmd[2] & GITS_VALID)))
			break;
		if (op == GITS_CMD_MOVALL && cv.gic.its_pta &&
		    !is_rdbase(cmd[3] & GITS_RDBASE_MASK))
			break;
		return true;
	case GITS_CMD_MAPD:
		if (cv.gic.its_dev_bits < 32 && devid >> cv.gic.its_dev_bits) {
			panic("its_cwriter: MAPD at 0x%llx: device 0x%x beyond "
			      "%u bits",
			      ULL(off), devid, cv.gic.its_dev_bits);
			return false;
		}
		d = its_device(devid, cmd[2] & GITS_MAPD_VALID);
		if (!(cmd[2] & GITS_MAPD_VALID)) {
			if (d) {
				*dropped = d->itt;
				d->used = 0;
			}
			return true;
		}
		if (!d) {
			panic("its_cwriter: MAPD at 0x%llx: more than %u ITS "
			      "devices",
			      ULL(off), GIC_ITS_MAX_DEVICES);
			return false;
		}
		/* 2^(Size + 1) entries from a 256-byte aligned start. */
		start = cmd[2] & GITS_MAPD_ITT_MASK;
		itt.base = ALIGN_DOWN(start, PAGE_SIZE);
		itt.pages = pages_of(start % PAGE_SIZE +
				     (2ULL << (cmd[1] & 0x1f)) *
					     cv.gic.itt_entry_bytes);
		if (!pin_table("its_cwriter", "MAPD's ITT", &itt))
			return false;
		if (d->used)
			*dropped = d->itt;
		d->used = 1;
		d->devid = devid;
		d->itt = itt;
		return true;
	default:
		break;
	}
	panic("its_cwriter: command 0x%x at 0x%llx refused", op, ULL(off));
	return false;
}

/*
 * The host's GITS_CWRITER: its commands from host_creadr up to @v, checked
 * and copied into the core's queue, consumed by the ITS.
 */
static void its_write_cwriter(u64 v)
{
	u64 qbytes = cv.gic.host_cmdq.pages * PAGE_SIZE;
	u64 target = v & GITS_QUEUE_OFFSET_MASK, off = cv.gic.host_creadr;
	u64 *core = arch_phys_to_virt(cv.gic.cmdq_pa), cmd[4];
	const u8 *host;
	struct gic_table dropped;
	u32 pending = 0;

	if (target == off) {
		cv.gic.host_cwriter = v;
		return;
	}
	if (!qbytes || target >= qbytes) {
		panic("its_cwriter: offset 0x%llx beyond the host's queue "
		      "(%llu "
		      "bytes)",
		      ULL(target), ULL(qbytes));
		return;
	}
	if (!(arch_gic_read(cv.gic.its_base + GITS_CTLR, 4) &
	      GITS_CTLR_ENABLED)) {
		panic("its_cwriter: commands while the ITS is off");
		return;
	}
	host = arch_phys_to_virt(cv.gic.host_cmdq.base);
	if (!host || !core) {
		panic("its_cwriter: queue not memory");
		return;
	}
	while (off != target) {
		memcpy(cmd, host + off, sizeof(cmd));
		if (!its_check_cmd(cmd, off, &dropped))
			return;
		memcpy((u8 *)core + cv.gic.core_cwriter, cmd, sizeof(cmd));
		cv.gic.core_cwriter =
			(cv.gic.core_cwriter + GITS_CMD_BYTES) % GIC_CMDQ_BYTES;
		off = (off + GITS_CMD_BYTES) % qbytes;
		pending++;
		/* Consumed before its ITT is unpinned, or when the queue is
		 * full. */
		if (dropped.pages ||
		    pending == GIC_CMDQ_BYTES / GITS_CMD_BYTES - 1 ||
		    off == target) {
			arch_pt_sync(); /* the commands visible to the ITS */
			if (!its_kick())
				return;
			pending = 0;
			unpin_table(&dropped);
			if (halted())
				return;
		}
	}
	cv.gic.host_cwriter = v;
	cv.gic.host_creadr = target;
}

static void its_write(u64 off, u32 len, u64 data)
{
	u64 reg = off & ~7ULL;

	if (reg == GITS_CBASER)
		its_write_cbaser(merge(cv.gic.host_cbaser, off, len, data));
	else if (reg == GITS_CWRITER)
		its_write_cwriter(merge(cv.gic.host_cwriter, off, len, data));
	else if (reg == GITS_CREADR)
		return; /* read-only */
	else if (reg >= GITS_BASER(0) && reg < GITS_BASER(GIC_ITS_BASER_NR))
		its_write_baser((u32)((reg - GITS_BASER(0)) / 8),
				merge(its_reg(reg), off, len, data));
	else
		arch_gic_write(cv.gic.its_base + off, len, data);
}

static u64 its_read(u64 off, u32 len)
{
	u64 reg = off & ~7ULL;

	if (reg == GITS_CBASER)
		return extract(cv.gic.host_cbaser, off, len);
	if (reg == GITS_CWRITER)
		return extract(cv.gic.host_cwriter, off, len);
	if (reg == GITS_CREADR)
		return extract(cv.gic.host_creadr, off, len);
	return arch_gic_read(cv.gic.its_base + off, len);
}

/* ---- The redistributors -------------------------------------------------- */

static u64 rd_reg(u32 rd, u64 off)
{
	return arch_gic_read(cv.gic.rdist_base + rd * GIC_RD_STRIDE + off, 8);
}

static bool rd_lpis_on(u32 rd)
{
	return arch_gic_read(cv.gic.rdist_base + rd * GIC_RD_STRIDE + GICR_CTLR,
			     4) &
	       GICR_CTLR_ENABLE_LPIS;
}

/*
 * GICR_PROPBASER or GICR_PENDBASER (@reg) of redistributor @rd := @v.
 * The pending table's size follows PROPBASER's ID bits, so a new
 * PROPBASER re-checks the pending table too.
 */
static void rd_write_table(u32 rd, u64 reg, u64 v)
{
	u64 pa = cv.gic.rdist_base + rd * GIC_RD_STRIDE;
	u64 prop = reg == GICR_PROPBASER ? v : rd_reg(rd, GICR_PROPBASER);
	u64 pend = reg == GICR_PENDBASER ? v : rd_reg(rd, GICR_PENDBASER);
	struct gic_table new_prop = prop_table(prop);
	struct gic_table new_pend = pend_table(pend, prop);

	if (rd_lpis_on(rd))
		return;
	if (reg == GICR_PROPBASER &&
	    !repin("rd_write_propbaser", "GICR_PROPBASER", &cv.gic.prop[rd],
		   new_prop))
		return;
	/* PROPBASER's ID bits size the pending table: checked again. */
	if ((reg == GICR_PENDBASER || new_pend.pages ||
	     cv.gic.pend[rd].pages) &&
	    !repin("rd_write_pendbaser", "GICR_PENDBASER", &cv.gic.pend[rd],
		   new_pend))
		return;
	arch_gic_write(pa + reg, 8, v);
}

static void rd_write(u32 rd, u64 off, u32 len, u64 data)
{
	u64 reg = off & ~7ULL;

	if (reg == GICR_PROPBASER || reg == GICR_PENDBASER)
		rd_write_table(rd, reg, merge(rd_reg(rd, reg), off, len, data));
	else
		arch_gic_write(cv.gic.rdist_base + rd * GIC_RD_STRIDE + off,
			       len, data);
}

/* ---- The fault -------------------------------------------------------------
 */

bool gic_emulate(u64 addr, u32 hsr)
{
	u32 rd = rdist_of(addr), len = dabt_len(hsr);
	u64 ipa, off;

	if (halted() || !is_gic_trapped_page(addr))
		return false;
	ipa = ALIGN_DOWN(addr, PAGE_SIZE) |
	      (host_ctxt()->regs[FAR_EL2] & (PAGE_SIZE - 1));
	if (!(hsr & ESR_ELx_ISV)) {
		panic("gic_emulate: access at 0x%llx without a syndrome (esr "
		      "0x%x)",
		      ULL(ipa), hsr);
		return true;
	}
	if (ipa & (len - 1) || len < 4) {
		panic("gic_emulate: %u-byte access at 0x%llx", len, ULL(ipa));
		return true;
	}
	off = ipa % PAGE_SIZE;
	wait_lock(GIC_ID);
	if (halted())
		return true;
	if (hsr & ESR_ELx_WNR) {
		if (rd == INVALID)
			its_write(off, len, host_data(hsr));
		else
			rd_write(rd, off, len, host_data(hsr));
	} else {
		host_load(hsr, rd == INVALID ? its_read(off, len)
					     : arch_gic_read(ipa, len));
	}
	if (halted())
		return true;
	pass_lock(GIC_ID);
	host_ctxt()->regs[PC] += 4;
	return true;
}

/* ---- The invariant
 * ----------------------------------------------------------- */

static bool holds(const struct gic_table *t, u64 pfn)
{
	return t->pages && pfn >= t->base / PAGE_SIZE &&
	       pfn - t->base / PAGE_SIZE < t->pages;
}

/* How many of the recorded tables hold @pfn. */
static u32 tables_holding(u64 pfn)
{
	u32 n = holds(&cv.gic.host_cmdq, pfn);

	for (u32 i = 0; i < GIC_ITS_BASER_NR; i++)
		n += holds(&cv.gic.baser[i], pfn);
	for (u32 i = 0; i < GIC_ITS_MAX_DEVICES; i++)
		n += cv.gic.devices[i].used &&
		     holds(&cv.gic.devices[i].itt, pfn);
	for (u32 i = 0; i < TOTAL_CPU; i++)
		n += holds(&cv.gic.prop[i], pfn) + holds(&cv.gic.pend[i], pfn);
	return n;
}

/* Every page of @t is pinned (INVALID64) or the first that is not. */
static u64 table_unpinned(const struct gic_table *t)
{
	for (u64 i = 0; i < t->pages; i++)
		if (!get_pfn_gic_pins(t->base / PAGE_SIZE + i))
			return t->base / PAGE_SIZE + i;
	return INVALID64;
}

u64 gic_pins_check(void)
{
	u64 pfn;

	for (u32 r = 0; r < cv.region_cnt; r++) {
		const struct memblock *m = &cv.regions[r];

		if (m->index == INVALID64)
			continue;
		for (u64 i = 0; i < m->size / PAGE_SIZE; i++) {
			const struct s2page *pg = &cv.s2page[m->index + i];

			pfn = m->base / PAGE_SIZE + i;
			if (pg->gic_pins &&
			    (pg->owner != HOSTVISOR ||
			     pg->gic_pins != tables_holding(pfn)))
				return pfn;
		}
	}
	if ((pfn = table_unpinned(&cv.gic.host_cmdq)) != INVALID64)
		return pfn;
	for (u32 i = 0; i < GIC_ITS_BASER_NR; i++)
		if ((pfn = table_unpinned(&cv.gic.baser[i])) != INVALID64)
			return pfn;
	for (u32 i = 0; i < GIC_ITS_MAX_DEVICES; i++)
		if (cv.gic.devices[i].used &&
		    (pfn = table_unpinned(&cv.gic.devices[i].itt)) != INVALID64)
			return pfn;
	for (u32 i = 0; i < TOTAL_CPU; i++)
		if ((pfn = table_unpinned(&cv.gic.prop[i])) != INVALID64 ||
		    (pfn = table_unpinned(&cv.gic.pend[i])) != INVALID64)
			return pfn;
	return INVALID64;
}
