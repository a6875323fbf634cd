// SPDX-License-Identifier: MIT
/*
 * The bare-metal host's interrupts (vms.h): its physical GICv3 (QEMU
 * virt), its preemption tick and the kick that makes another CPU's vCPU
 * exit. The host runs with IRQs masked and polls its CPU interface after
 * every VCPU_RUN: while a vCPU runs, a physical IRQ goes to corevisor at
 * EL2 (HCR_EL2.IMO) and the vCPU exits with CV_EXIT_IRQ, which is all
 * the tick and the kick need.
 *   - the tick: the EL1 physical timer (PPI 30), every VMS_TICK_US;
 *   - the kick: SGI 0 to the CPU whose vCPU has a new interrupt pending.
 */
#include "vms.h"

#define GICD_BASE 0x08000000UL
#define GICR_BASE 0x080a0000UL
#define GICR_STRIDE 0x20000UL
#define GICD_CTLR 0x0000
#define GICD_CTLR_GRP1 (1U << 1)
#define GICD_CTLR_ARE (1U << 4)
#define GICR_TYPER 0x0008
#define GICR_WAKER 0x0014
#define GICR_WAKER_SLEEP (1U << 1)
#define GICR_SGI 0x10000
#define GICR_IGROUPR0 0x0080
#define GICR_ISENABLER0 0x0100
#define GICR_IPRIORITYR 0x0400

#define TICK_PPI 30U
#define KICK_SGI 0U
#define SPURIOUS 1023U

/* GICv3 CPU interface registers, by encoding. */
#define ICC_IAR1_EL1 "S3_0_C12_C12_0"
#define ICC_EOIR1_EL1 "S3_0_C12_C12_1"
#define ICC_SRE_EL1 "S3_0_C12_C12_5"
#define ICC_IGRPEN1_EL1 "S3_0_C12_C12_7"
#define ICC_SGI1R_EL1 "S3_0_C12_C11_5"

static u64 tick_interval;
bool vms_no_tick;
static volatile u64 ticks[HOST_MAX_CPUS], kicks[HOST_MAX_CPUS];

static inline u32 rd32(u64 pa)
{
	return *(volatile u32 *)pa;
}

static inline void wr32(u64 pa, u32 v)
{
	*(volatile u32 *)pa = v;
}

#define MRS(reg, v) __asm__ volatile("mrs %0, " reg : "=r"(v))
#define MSR(reg, v) __asm__ volatile("msr " reg ", %0" : : "r"((u64)(v)))

static void arm_tick(void)
{
	if (vms_no_tick)
		return;
	MSR("cntp_tval_el0", tick_interval);
	MSR("cntp_ctl_el0", 1);
	__asm__ volatile("isb");
}

void vms_irq_cpu_init(u32 cpu)
{
	u64 freq, sre, rd = 0;

	for (u64 r = GICR_BASE; r < GICR_BASE + HOST_MAX_CPUS * GICR_STRIDE;
	     r += GICR_STRIDE)
		if ((rd32(r + GICR_TYPER + 4) & 0xff) == cpu) {
			rd = r;
			break;
		}
	if (!rd)
		host_fail("cpu %u: no redistributor", cpu);
	if (cpu == 0)
		wr32(GICD_BASE + GICD_CTLR, rd32(GICD_BASE + GICD_CTLR) |
						    GICD_CTLR_ARE |
						    GICD_CTLR_GRP1);
	wr32(rd + GICR_WAKER, rd32(rd + GICR_WAKER) & ~GICR_WAKER_SLEEP);
	for (u32 i = 0; i < 2; i++) {
		u32 irq = i ? TICK_PPI : KICK_SGI;

		wr32(rd + GICR_SGI + GICR_IGROUPR0,
		     rd32(rd + GICR_SGI + GICR_IGROUPR0) | 1U << irq);
		*(volatile u8 *)(rd + GICR_SGI + GICR_IPRIORITYR + irq) = 0x80;
		wr32(rd + GICR_SGI + GICR_ISENABLER0, 1U << irq);
	}
	MRS(ICC_SRE_EL1, sre);
	MSR(ICC_SRE_EL1, sre | 1);
	__asm__ volatile("isb");
	MSR(ICC_IGRPEN1_EL1, 1);
	MRS("cntfrq_el0", freq);
	tick_interval = freq / 1000000 * VMS_TICK_US;
	arm_tick();
}

u32 vms_irq_poll(u32 cpu)
{
	u32 n = 0;

	for (;;) {
		u64 iar;

		MRS(ICC_IAR1_EL1, iar);
		iar &= 0xffffff;
		if (iar >= SPURIOUS)
			return n;
		if (iar == TICK_PPI) {
			arm_tick();
			ticks[cpu]++;
		} else if (iar == KICK_SGI) {
			kicks[cpu]++;
		}
		MSR(ICC_EOIR1_EL1, iar);
		n++;
	}
}

void vms_kick(u32 cpu)
{
	if (cpu >= HOST_MAX_CPUS)
		return;
	__asm__ volatile("dsb ish" ::: "memory");
	MSR(ICC_SGI1R_EL1, (u64)KICK_SGI << 24 | 1ULL << cpu);
	__asm__ volatile("isb");
}

u64 vms_ticks(void)
{
	u64 n = 0;

	for (u32 i = 0; i < HOST_MAX_CPUS; i++)
		n += ticks[i];
	return n;
}
