// SPDX-License-Identifier: MIT
/*
 * The GICv3 virtual CPU interface and the timers around the world switch
 * (cv/arch.h, "Virtual interrupts and timers"): arch_vcpu_run loads the
 * vCPU's list registers, active priorities, ICH_VMCR_EL2 and ICH_HCR_EL2
 * (core/vcpu/vgic.c fills them), keeps the hardware-linked virtual timer
 * interrupt's physical PPI 27 active while the vCPU runs, arms the EL2
 * physical timer (PPI 26) as a doorbell for the emulated EL1 physical
 * timer and for the host's own virtual timer (whose registers the vCPU's
 * replace while it runs: a host kernel's tick must still preempt it),
 * runs the switch proper (switch.S, el2_world_switch), and puts the
 * host's interface back: its ICH_VMCR_EL2 / ICH_HCR_EL2, no guest list
 * register or active priority left loaded.
 */
#include <cv/arch.h>
#include <cv/state.h>
#include <arch/sysreg.h>

#include "el2.h"

#define GICR_FRAME_SIZE 0x20000 /* RD_base + SGI_base */
#define GICR_TYPER 0x0008
#define GICR_SGI 0x10000
#define GICR_IGROUPR0 0x0080
#define GICR_ISENABLER0 0x0100
#define GICR_ICENABLER0 0x0180
#define GICR_ISACTIVER0 0x0300
#define GICR_ICACTIVER0 0x0380
#define GICR_IPRIORITYR 0x0400
#define GICR_IGRPMODR0 0x0d00

#define HYP_TIMER_PPI 26U
#define VTIMER_PPI 27U
#define PPI_PRIORITY 0xa0U

#define LR_STATE (3ULL << 62)
#define LR_HW (1ULL << 61)

u64 el2_world_switch(u32 vmid, u32 vcpuid, u64 vttbr, struct cv_ctxt *ctxt);

/* This CPU's redistributor SGI/PPI frame (0: none found, or GICv2). */
static u64 gicr_sgi[EL2_MAX_CPUS];
static u32 nr_lrs, nr_aprs;

static u32 gicr_affinity(u64 mpidr)
{
	return (u32)((mpidr & 0xffffff) | ((mpidr >> 32) & 0xff) << 24);
}

static inline u32 rd32(u64 pa)
{
	return *(volatile u32 *)pa;
}

static inline void wr32(u64 pa, u32 v)
{
	*(volatile u32 *)pa = v;
}

/*
 * At host_enter on each CPU: find its redistributor, make PPI 26 (the
 * doorbell) and PPI 27 (the virtual timer) Group 1 interrupts it takes,
 * and read the virtual interface's size.
 */
void el2_vgic_cpu_init(void)
{
	u32 cpu = (u32)read_sysreg(tpidr_el2);
	u64 vtr, mpidr = read_sysreg(mpidr_el1), sgi = 0;

	if (plat.gic_version != 3 || !plat.gicr_base)
		return;
	vtr = read_sysreg(ich_vtr_el2);
	nr_lrs = (u32)(vtr & 0x1f) + 1;
	nr_aprs = 1U << ((((vtr >> 29) & 7) + 1) - 5);
	if (nr_aprs > 4)
		nr_aprs = 4;
	for (u64 rd = plat.gicr_base;
	     rd + GICR_FRAME_SIZE <= plat.gicr_base + plat.gicr_size;
	     rd += GICR_FRAME_SIZE) {
		if (rd32(rd + GICR_TYPER + 4) == gicr_affinity(mpidr)) {
			sgi = rd + GICR_SGI;
			break;
		}
	}
	if (!sgi)
		return;
	for (u32 ppi = HYP_TIMER_PPI; ppi <= VTIMER_PPI; ppi++) {
		wr32(sgi + GICR_IGROUPR0,
		     rd32(sgi + GICR_IGROUPR0) | 1U << ppi);
		wr32(sgi + GICR_IGRPMODR0,
		     rd32(sgi + GICR_IGRPMODR0) & ~(1U << ppi));
		*(volatile u8 *)(sgi + GICR_IPRIORITYR + ppi) = PPI_PRIORITY;
	}
	/* PPI 26 is enabled only while a vCPU runs with a doorbell. */
	wr32(sgi + GICR_ISENABLER0, 1U << VTIMER_PPI);
	dsb(sy);
	gicr_sgi[cpu] = sgi;
}

u32 arch_vgic_nr_lrs(void)
{
	return nr_lrs ? nr_lrs : 1;
}

u64 arch_counter_read(void)
{
	isb();
	return read_sysreg(cntpct_el0);
}

/*
 * The list and active-priority registers, straight-line: a switch on the
 * count enters a fall-through ladder (no loop, no per-register dispatch),
 * which is most of what the GIC costs a world switch.
 */
#define LR_LOAD(n)                                           \
	case (n) + 1:                                        \
		write_sysreg(ich_lr##n##_el2, lr[n]);        \
		hw |= (lr[n] & LR_HW) && (lr[n] & LR_STATE); \
		__attribute__((fallthrough));
#define LR_SAVE(n)                                    \
	case (n) + 1:                                 \
		lr[n] = read_sysreg(ich_lr##n##_el2); \
		write_sysreg(ich_lr##n##_el2, 0);     \
		__attribute__((fallthrough));

/*
 * Load the list registers (nr_lrs <= CV_VGIC_MAX_LRS = 16). True if one
 * holds the vCPU's hardware-linked timer interrupt live (HW and a state).
 */
static bool load_lrs(const u64 *lr)
{
	bool hw = false;

	switch (nr_lrs) {
		LR_LOAD(15)
		LR_LOAD(14)
		LR_LOAD(13)
		LR_LOAD(12)
		LR_LOAD(11)
		LR_LOAD(10)
		LR_LOAD(9)
		LR_LOAD(8)
		LR_LOAD(7)
		LR_LOAD(6)
		LR_LOAD(5)
		LR_LOAD(4)
		LR_LOAD(3)
		LR_LOAD(2)
		LR_LOAD(1)
		LR_LOAD(0)
	default:
		break;
	}
	return hw;
}

/* Save and clear the list registers. */
static void save_lrs(u64 *lr)
{
	switch (nr_lrs) {
		LR_SAVE(15)
		LR_SAVE(14)
		LR_SAVE(13)
		LR_SAVE(12)
		LR_SAVE(11)
		LR_SAVE(10)
		LR_SAVE(9)
		LR_SAVE(8)
		LR_SAVE(7)
		LR_SAVE(6)
		LR_SAVE(5)
		LR_SAVE(4)
		LR_SAVE(3)
		LR_SAVE(2)
		LR_SAVE(1)
		LR_SAVE(0)
	default:
		break;
	}
}

#define APR_LOAD(n)                                       \
	case (n) + 1:                                     \
		write_sysreg(ich_ap0r##n##_el2, ap0r[n]); \
		write_sysreg(ich_ap1r##n##_el2, ap1r[n]); \
		__attribute__((fallthrough));
#define APR_SAVE(n)                                       \
	case (n) + 1:                                     \
		ap0r[n] = read_sysreg(ich_ap0r##n##_el2); \
		ap1r[n] = read_sysreg(ich_ap1r##n##_el2); \
		write_sysreg(ich_ap0r##n##_el2, 0);       \
		write_sysreg(ich_ap1r##n##_el2, 0);       \
		__attribute__((fallthrough));

static void load_aprs(const u64 *ap0r, const u64 *ap1r)
{
	switch (nr_aprs) {
		APR_LOAD(3)
		APR_LOAD(2)
		APR_LOAD(1)
		APR_LOAD(0)
	default:
		break;
	}
}

static void save_aprs(u64 *ap0r, u64 *ap1r)
{
	switch (nr_aprs) {
		APR_SAVE(3)
		APR_SAVE(2)
		APR_SAVE(1)
		APR_SAVE(0)
	default:
		break;
	}
}

/*
 * The guest's virtual timer line is high (enabled, not masked, expired)
 * at entry. When the core could not raise its PPI (the guest has not
 * enabled PPI 27 in its redistributor yet: Linux arms its timer before
 * it enables the interrupt), the physical PPI 27 must stay quiet all the
 * same while the vCPU runs, or it would make the vCPU exit before every
 * instruction and the guest never get to enable it.
 */
static bool vtimer_line_high(const struct cv_ctxt *ctxt)
{
	return (ctxt->cntv_ctl & 3) == 1 &&
	       read_sysreg(cntpct_el0) - ctxt->vgic.cntvoff >= ctxt->cntv_cval;
}

/*
 * When the vCPU must exit for a timer that is not its virtual one: the
 * emulated physical timer's expiry (the core's @guest_doorbell) or the
 * host's own virtual timer (CNTVOFF_EL2 is 0 for the host, so its CVAL is
 * a physical count). 0: none.
 */
static u64 doorbell(u64 guest_doorbell)
{
	u64 ctl = read_sysreg(cntv_ctl_el0), at = guest_doorbell;

	if ((ctl & 3) == 1) { /* the host's timer: enabled, not masked */
		u64 cval = read_sysreg(cntv_cval_el0);

		if (!at || cval < at)
			at = cval ? cval : 1;
	}
	return at;
}

u64 arch_vcpu_run(u32 vmid, u32 vcpuid, u64 vttbr, struct cv_ctxt *ctxt)
{
	struct cv_vgic *g = &ctxt->vgic;
	u64 sgi = gicr_sgi[read_sysreg(tpidr_el2)], host_vmcr, host_hcr, ret;
	u64 bell = doorbell(g->ptimer_doorbell);
	bool gic = plat.gic_version == 3 && nr_lrs, hw = false;

	if (gic) {
		host_vmcr = read_sysreg(ich_vmcr_el2);
		host_hcr = read_sysreg(ich_hcr_el2);
		hw = load_lrs(g->lr) && sgi;
		load_aprs(g->ap0r, g->ap1r);
		write_sysreg(ich_vmcr_el2, g->vmcr);
		write_sysreg(ich_hcr_el2, g->hcr);
		/*
		 * The timer's line stays quiet until the guest deactivates,
		 * or while it is high and cannot be raised (vtimer_line_high).
		 */
		hw = sgi && (hw || vtimer_line_high(ctxt));
		if (hw) {
			wr32(sgi + GICR_ISACTIVER0, 1U << VTIMER_PPI);
			dsb(sy);
		}
	}
	if (bell) {
		/* A host kernel disables PPIs it does not use: ours for now. */
		if (sgi)
			wr32(sgi + GICR_ISENABLER0, 1U << HYP_TIMER_PPI);
		write_sysreg(cnthp_cval_el2, bell);
		write_sysreg(cnthp_ctl_el2, 1);
	}
	ret = el2_world_switch(vmid, vcpuid, vttbr, ctxt);
	if (bell) {
		write_sysreg(cnthp_ctl_el2, 0);
		if (sgi)
			wr32(sgi + GICR_ICENABLER0, 1U << HYP_TIMER_PPI);
	}
	if (gic) {
		write_sysreg(ich_hcr_el2, host_hcr);
		g->vmcr = read_sysreg(ich_vmcr_el2);
		write_sysreg(ich_vmcr_el2, host_vmcr);
		save_lrs(g->lr);
		save_aprs(g->ap0r, g->ap1r);
		if (hw && (rd32(sgi + GICR_ISACTIVER0) & (1U << VTIMER_PPI)))
			wr32(sgi + GICR_ICACTIVER0, 1U << VTIMER_PPI);
		isb();
	}
	return ret;
}
