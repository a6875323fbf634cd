// SPDX-License-Identifier: MIT
/*
 * The hosted machine's GICv3 table registers (cv_hosted_config.gic): a
 * distributor, an ITS and one redistributor per CPU at QEMU virt's
 * addresses, as far as the core's emulation of them (cv/gictab.h) sees
 * them through arch_gic_read/write:
 *  - every register is a plain 64-bit cell of its 4 KiB page, except:
 *  - GICD_TYPER: LPIs, 16 ID bits; GITS_TYPER: 8-byte ITT entries, 16
 *    device ID bits, PTA 0 (fixed);
 *  - GITS_CTLR: Quiescent always set; GITS_CREADR read-only;
 *  - GITS_CWRITER: with the ITS on, the ITS consumes its queue (the one
 *    GITS_CBASER names) up to the new offset at once: each command is
 *    recorded (cv_hosted_its_commands), CREADR follows; off, nothing;
 *  - GITS_BASER<n>: Indirect kept as written (the core must clear it);
 *  - GICR_CTLR.EnableLPIs sticks once set; GICR_PROPBASER/PENDBASER
 *    ignore writes while it is set.
 * The pages are not memory: the core must keep them out of the host's
 * stage 2 and emulate the host's accesses.
 */
#include <pthread.h>
#include <string.h>

#include <corevisor/hosted.h>
#include <cv/arch.h>
#include <cv/gictab.h>
#include <cv/panic.h>
#include <cv/state.h>

#include "hosted_internal.h"
#include "hosted_priv.h"

#define PAGE_CELLS (PAGE_SIZE / 8)
#define ITS_LOG 256U

static struct {
	pthread_mutex_t lock;
	bool on;
	u32 nr_rdists;
	u64 gicd[PAGE_CELLS];
	u64 its[PAGE_CELLS];
	u64 rd[TOTAL_CPU][PAGE_CELLS];
	u64 log[ITS_LOG][4];
	u64 ncommands;
} g = {.lock = PTHREAD_MUTEX_INITIALIZER};

void hosted_gic_reset(bool on, u32 ncpus)
{
	pthread_mutex_lock(&g.lock);
	memset(g.gicd, 0, sizeof(g.gicd));
	memset(g.its, 0, sizeof(g.its));
	memset(g.rd, 0, sizeof(g.rd));
	g.ncommands = 0;
	g.on = on;
	g.nr_rdists = ncpus;
	/* GICD_TYPER is the upper half of the first cell. */
	g.gicd[GICD_TYPER / 8] = (GICD_TYPER_LPIS | (15ULL << 19)) << 32;
	g.its[GITS_TYPER / 8] = (7ULL << 4) | (15ULL << 13);
	g.its[GITS_CTLR / 8] = GITS_CTLR_QUIESCENT;
	g.its[GITS_BASER(0) / 8] = (1ULL << 56) | (7ULL << 48); /* devices */
	g.its[GITS_BASER(1) / 8] =
		(4ULL << 56) | (7ULL << 48); /* collections */
	pthread_mutex_unlock(&g.lock);
}

void hosted_gic_params(struct cv_boot_params *p)
{
	if (!g.on)
		return;
	p->gicd_base = CV_HOSTED_GICD_BASE;
	p->its_base = CV_HOSTED_ITS_BASE;
	p->rdist_base = CV_HOSTED_RDIST_BASE;
	p->nr_rdists = g.nr_rdists;
}

/* The cell of @pa, or NULL; *page_base its page. */
static u64 *cell(u64 pa)
{
	u64 off = pa % PAGE_SIZE, rd;

	if (!g.on)
		return NULL;
	if (pa - CV_HOSTED_GICD_BASE < PAGE_SIZE)
		return &g.gicd[off / 8];
	if (pa - CV_HOSTED_ITS_BASE < PAGE_SIZE)
		return &g.its[off / 8];
	if (pa >= CV_HOSTED_RDIST_BASE) {
		rd = (pa - CV_HOSTED_RDIST_BASE) / GIC_RD_STRIDE;
		if (rd < g.nr_rdists &&
		    (pa - CV_HOSTED_RDIST_BASE) % GIC_RD_STRIDE < PAGE_SIZE)
			return &g.rd[rd][off / 8];
	}
	return NULL;
}

/* The ITS consumes its queue up to @target. */
static void its_consume(u64 target)
{
	u64 cbaser = g.its[GITS_CBASER / 8];
	u64 qbytes = ((cbaser & 0xff) + 1) * PAGE_SIZE;
	u64 off = g.its[GITS_CREADR / 8] & GITS_QUEUE_OFFSET_MASK;
	const u8 *q = arch_phys_to_virt(cbaser & GIC_PA_51_12);

	if (!(g.its[GITS_CTLR / 8] & GITS_CTLR_ENABLED) ||
	    !(cbaser & GITS_VALID) || !q || target >= qbytes)
		return;
	while (off != target) {
		memcpy(g.log[g.ncommands % ITS_LOG], q + off, 32);
		g.ncommands++;
		off = (off + 32) % qbytes;
	}
	g.its[GITS_CREADR / 8] = off;
}

u64 arch_gic_read(u64 pa, u32 len)
{
	u64 *c, v;

	pthread_mutex_lock(&g.lock);
	c = cell(pa);
	v = c ? *c : 0;
	pthread_mutex_unlock(&g.lock);
	if (!c)
		panic("arch_gic_read: 0x%llx is no GIC register",
		      (unsigned long long)pa);
	if (len == 4)
		v = (u32)(v >> ((pa & 4) * 8));
	return v;
}

void arch_gic_write(u64 pa, u32 len, u64 val)
{
	u64 *c, off = pa % PAGE_SIZE, reg = off & ~7ULL, v;
	bool its = pa - CV_HOSTED_ITS_BASE < PAGE_SIZE;
	bool gicd = pa - CV_HOSTED_GICD_BASE < PAGE_SIZE;

	pthread_mutex_lock(&g.lock);
	c = cell(pa);
	if (!c) {
		pthread_mutex_unlock(&g.lock);
		panic("arch_gic_write: 0x%llx is no GIC register",
		      (unsigned long long)pa);
		return;
	}
	v = len == 8 ? val
		     : (*c & ~(0xffffffffULL << ((pa & 4) * 8))) |
			       ((val & 0xffffffffULL) << ((pa & 4) * 8));
	if (gicd || (its && (reg == GITS_TYPER || reg == GITS_CREADR))) {
		/* read-only */
	} else if (its && reg == GITS_CTLR) {
		*c = (v & GITS_CTLR_ENABLED) | GITS_CTLR_QUIESCENT;
	} else if (its && reg == GITS_CBASER) {
		*c = v;
		g.its[GITS_CREADR / 8] = 0;
	} else if (its && reg == GITS_CWRITER) {
		*c = v;
		its_consume(v & GITS_QUEUE_OFFSET_MASK);
	} else if (!its && reg == GICR_CTLR) {
		*c = v | (*c & GICR_CTLR_ENABLE_LPIS);
	} else if (!its && (reg == GICR_PROPBASER || reg == GICR_PENDBASER)) {
		if (!(c[-(int)(reg / 8)] & GICR_CTLR_ENABLE_LPIS))
			*c = v;
	} else {
		*c = v;
	}
	pthread_mutex_unlock(&g.lock);
}

uint64_t cv_hosted_gic_reg(uint64_t pa)
{
	u64 *c, v;

	pthread_mutex_lock(&g.lock);
	c = cell(pa);
	v = c ? *c : 0;
	pthread_mutex_unlock(&g.lock);
	return v;
}

void cv_hosted_gic_set_reg(uint64_t pa, uint64_t v)
{
	u64 *c;

	pthread_mutex_lock(&g.lock);
	c = cell(pa);
	if (c)
		*c = v;
	pthread_mutex_unlock(&g.lock);
}

uint64_t cv_hosted_its_commands(uint64_t (*last)[4], uint32_t n)
{
	uint64_t count;

	pthread_mutex_lock(&g.lock);
	count = g.ncommands;
	for (u32 i = 0; i < n && i < count && i < ITS_LOG; i++)
		memcpy(last[i], g.log[(count - 1 - i) % ITS_LOG],
		       sizeof(last[i]));
	pthread_mutex_unlock(&g.lock);
	return count;
}
