// SPDX-License-Identifier: MIT
/*
 * The irqs guest (4 vCPUs): the interrupt platform a protected VM sees
 * (docs/guest-platform.md, "Interrupts and timers"), exercised as a
 * kernel would, with IRQ exceptions taken at EL1 through its own vectors:
 *  - the GICv3 distributor and redistributors (the host's model, MMIO)
 *    and the CPU interface (corevisor's virtual one, ICC_* registers);
 *  - the virtual timer's PPI 27 while the vCPU runs (a busy loop) and
 *    while it waits in WFI (descheduled), latency in counter ticks;
 *  - the EL1 physical timer (CNTP_*, emulated) and its PPI 30, the same
 *    two ways;
 *  - IPIs: SGI round trips between vCPU 0 and vCPUs 1-3, and an SGI to
 *    vCPUs that do not exist, which is dropped;
 *  - 4 vCPUs on the host's 2 CPUs: every vCPU spins until vCPU 0, which
 *    shares a CPU with one of them, has seen all of them progress (only
 *    the host's preemption tick lets it run).
 * Every line it prints is checked by tests (mk/aarch64.mk test-qemu-irqs).
 */
#include "guest.h"

const char guest_name[] = "irqs";

#define NVCPUS 4
#define GICD 0x08000000UL
#define GICR(n) (0x080a0000UL + (u64)(n)*0x20000UL)
#define GICR_SGI 0x10000UL
#define GICD_CTLR 0x0000
#define GICD_TYPER 0x0004
#define GICD_CTLR_GRP1 (1U << 1)
#define GIC_PIDR2 0xffe8
#define GICR_TYPER 0x0008
#define GICR_WAKER 0x0014
#define GICR_IGROUPR0 0x0080
#define GICR_ISENABLER0 0x0100
#define GICR_IPRIORITYR 0x0400

#define PPI_VTIMER 27U
#define PPI_PTIMER 30U
#define SGI_PING 1U
#define SGI_PONG 2U
#define SGI_SPIN 3U
#define SPURIOUS 1023U

#define ICC_PMR_EL1 "S3_0_C4_C6_0"
#define ICC_IAR1_EL1 "S3_0_C12_C12_0"
#define ICC_EOIR1_EL1 "S3_0_C12_C12_1"
#define ICC_SRE_EL1 "S3_0_C12_C12_5"
#define ICC_IGRPEN1_EL1 "S3_0_C12_C12_7"
#define ICC_SGI1R_EL1 "S3_0_C12_C11_5"

#define MRS(reg, v) __asm__ volatile("mrs %0, " reg : "=r"(v))
#define MSR(reg, v) \
	__asm__ volatile("msr " reg ", %0; isb" : : "r"((u64)(v)) : "memory")

#define ROUNDS 8U
#define IPI_ROUNDS 10U
#define SPIN_SAMPLES 20U

void guest_exception(u64 kind, u64 esr, u64 elr, u64 far);
void guest_irq(void);
void irq_vectors(void);

/*
 * EL1 vectors: an IRQ from the current EL (SP_ELx, offset 0x280) saves
 * the caller-saved registers and calls guest_irq; anything else is a bug.
 */
__asm__(".section .text\n"
	".balign 0x800\n"
	".globl irq_vectors\n"
	"irq_vectors:\n"
	".irp k, 0, 1, 2, 3, 4\n"
	".balign 0x80\n"
	"mov x0, #\\k\n"
	"b bad_vector\n"
	".endr\n"
	".balign 0x80\n"
	"b irq_entry\n"
	".irp k, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15\n"
	".balign 0x80\n"
	"mov x0, #\\k\n"
	"b bad_vector\n"
	".endr\n"
	"bad_vector:\n"
	"mrs x1, esr_el1\n"
	"mrs x2, elr_el1\n"
	"mrs x3, far_el1\n"
	"b guest_exception\n"
	"irq_entry:\n"
	"sub sp, sp, #(8 * 22)\n"
	"stp x0, x1, [sp, #0]\n"
	"stp x2, x3, [sp, #16]\n"
	"stp x4, x5, [sp, #32]\n"
	"stp x6, x7, [sp, #48]\n"
	"stp x8, x9, [sp, #64]\n"
	"stp x10, x11, [sp, #80]\n"
	"stp x12, x13, [sp, #96]\n"
	"stp x14, x15, [sp, #112]\n"
	"stp x16, x17, [sp, #128]\n"
	"stp x18, x29, [sp, #144]\n"
	"mrs x0, elr_el1\n"
	"mrs x1, spsr_el1\n"
	"stp x30, x0, [sp, #160]\n"
	"str x1, [sp, #176]\n"
	"bl guest_irq\n"
	"ldr x1, [sp, #176]\n"
	"ldp x30, x0, [sp, #160]\n"
	"msr elr_el1, x0\n"
	"msr spsr_el1, x1\n"
	"ldp x0, x1, [sp, #0]\n"
	"ldp x2, x3, [sp, #16]\n"
	"ldp x4, x5, [sp, #32]\n"
	"ldp x6, x7, [sp, #48]\n"
	"ldp x8, x9, [sp, #64]\n"
	"ldp x10, x11, [sp, #80]\n"
	"ldp x12, x13, [sp, #96]\n"
	"ldp x14, x15, [sp, #112]\n"
	"ldp x16, x17, [sp, #128]\n"
	"ldp x18, x29, [sp, #144]\n"
	"add sp, sp, #(8 * 22)\n"
	"eret\n");

/* Per vCPU: interrupts taken, by INTID (SGIs and PPIs). */
static volatile u32 taken[NVCPUS][32];
/* The timer under test (vCPU 0): where it was set, what it measured. */
static volatile u64 armed_at, latency_last;
static volatile u32 up[NVCPUS], spin_stop;
static volatile u64 progress[NVCPUS];

static inline u32 mmio_rd(u64 a)
{
	u32 v;

	__asm__ volatile("ldr %w0, [%1]" : "=r"(v) : "r"(a) : "memory");
	return v;
}

static inline void mmio_wr(u64 a, u32 v)
{
	__asm__ volatile("str %w0, [%1]" : : "r"(v), "r"(a) : "memory");
}

static inline u64 cntpct(void)
{
	u64 v;

	__asm__ volatile("isb; mrs %0, cntpct_el0" : "=r"(v));
	return v;
}

static u64 freq(void)
{
	u64 f;

	MRS("cntfrq_el0", f);
	return f;
}

__attribute__((target("general-regs-only"))) void guest_irq(void)
{
	u32 cpu = guest_cpu();
	u64 iar;

	MRS(ICC_IAR1_EL1, iar);
	iar &= 0xffffff;
	if (iar >= SPURIOUS)
		return;
	if (iar == PPI_VTIMER) {
		latency_last = read_cntvct() - armed_at;
		MSR("cntv_ctl_el0", 0); /* its line goes low */
	} else if (iar == PPI_PTIMER) {
		latency_last = cntpct() - armed_at;
		MSR("cntp_ctl_el0", 0);
	}
	if (iar < 32 && cpu < NVCPUS)
		taken[cpu][iar]++;
	MSR(ICC_EOIR1_EL1, iar);
}

/* This vCPU's redistributor and CPU interface; IRQs unmasked. */
static void gic_cpu_init(u32 cpu)
{
	u64 sre, rd = GICR(cpu);

	if (mmio_rd(rd + GICR_TYPER + 4) != cpu)
		guest_fail("redistributor %u has affinity 0x%x", cpu,
			   mmio_rd(rd + GICR_TYPER + 4));
	mmio_wr(rd + GICR_WAKER, 0);
	while (mmio_rd(rd + GICR_WAKER) & (1U << 2))
		;
	mmio_wr(rd + GICR_SGI + GICR_IGROUPR0, 0xffffffffU);
	for (u32 i = 0; i < 8; i++)
		mmio_wr(rd + GICR_SGI + GICR_IPRIORITYR + 4 * i, 0xa0a0a0a0U);
	mmio_wr(rd + GICR_SGI + GICR_ISENABLER0,
		0xffffU | 1U << PPI_VTIMER | 1U << PPI_PTIMER);
	MRS(ICC_SRE_EL1, sre);
	if (!(sre & 1))
		guest_fail("ICC_SRE_EL1.SRE is 0");
	MSR(ICC_PMR_EL1, 0xff);
	MSR(ICC_IGRPEN1_EL1, 1);
	__asm__ volatile("msr vbar_el1, %0; isb" : : "r"(irq_vectors));
	__asm__ volatile("msr daifclr, #2" ::: "memory");
}

static void send_sgi(u32 intid, u64 targets)
{
	MSR(ICC_SGI1R_EL1, (u64)intid << 24 | targets);
}

/* Wait until taken[cpu][intid] exceeds @seen; @idle: in WFI. */
static void wait_taken(u32 cpu, u32 intid, u32 seen, bool idle,
		       const char *what)
{
	u64 start = cntpct(), limit = 10 * freq();

	while (taken[cpu][intid] <= seen) {
		if (idle)
			wfi();
		if (cntpct() - start > limit)
			guest_fail("%s: no interrupt %u in 10 s", what, intid);
	}
}

struct stats {
	u64 min, max, sum;
	u32 n;
};

static void stat_add(struct stats *s, u64 v)
{
	if (!s->n || v < s->min)
		s->min = v;
	if (v > s->max)
		s->max = v;
	s->sum += v;
	s->n++;
}

static void stat_print(const char *what, const struct stats *s)
{
	guest_printf("irqs: %s: %u interrupts, latency min %llu avg %llu max "
		     "%llu ticks\n",
		     what, s->n, (unsigned long long)s->min,
		     (unsigned long long)(s->sum / s->n),
		     (unsigned long long)s->max);
}

/* The virtual timer, 1 ms ahead each time; @idle: wait in WFI. */
static void vtimer(bool idle)
{
	struct stats s = {0};

	for (u32 i = 0; i < ROUNDS; i++) {
		u32 seen = taken[0][PPI_VTIMER];
		u64 cval = read_cntvct() + freq() / 1000;

		armed_at = cval;
		MSR("cntv_cval_el0", cval);
		MSR("cntv_ctl_el0", 1);
		wait_taken(0, PPI_VTIMER, seen, idle, "virtual timer");
		if (read_cntvct() < cval)
			guest_fail("virtual timer fired before its time");
		stat_add(&s, latency_last);
	}
	stat_print(idle ? "virtual timer, vCPU waiting in WFI"
			: "virtual timer, vCPU running",
		   &s);
}

/* The EL1 physical timer (trapped, emulated): TVAL 1 ms, then CTL. */
static void ptimer(bool idle)
{
	struct stats s = {0};
	u64 ctl, cval;

	for (u32 i = 0; i < ROUNDS; i++) {
		u32 seen = taken[0][PPI_PTIMER];

		MSR("cntp_tval_el0", freq() / 1000);
		MRS("cntp_cval_el0", cval);
		armed_at = cval;
		MSR("cntp_ctl_el0", 1);
		MRS("cntp_ctl_el0", ctl);
		if (ctl != 1 && cntpct() < cval)
			guest_fail("CNTP_CTL_EL0 reads 0x%llx",
				   (unsigned long long)ctl);
		wait_taken(0, PPI_PTIMER, seen, idle, "physical timer");
		if (cntpct() < cval)
			guest_fail("physical timer fired before its time");
		stat_add(&s, latency_last);
	}
	stat_print(idle ? "physical timer, vCPU waiting in WFI"
			: "physical timer, vCPU running",
		   &s);
}

static void ipis(void)
{
	u64 start, total = 0;

	for (u32 r = 0; r < IPI_ROUNDS; r++)
		for (u32 t = 1; t < NVCPUS; t++) {
			u32 seen = taken[0][SGI_PONG];

			start = cntpct();
			send_sgi(SGI_PING, 1U << t);
			wait_taken(0, SGI_PONG, seen, true, "IPI");
			total += cntpct() - start;
		}
	for (u32 t = 1; t < NVCPUS; t++)
		if (taken[t][SGI_PING] != IPI_ROUNDS)
			guest_fail("vcpu %u took %u pings", t,
				   taken[t][SGI_PING]);
	guest_printf("irqs: %u IPI round trips between vcpu 0 and vcpus 1-3, "
		     "avg %llu ticks\n",
		     IPI_ROUNDS * (NVCPUS - 1),
		     (unsigned long long)(total / (IPI_ROUNDS * (NVCPUS - 1))));
	/* vCPUs 4..15 and Aff1 = 1 do not exist: dropped, nothing breaks. */
	send_sgi(SGI_PING, 0xfff0);
	send_sgi(SGI_PING, 1ULL << 16 | 0x2);
	for (u32 t = 1; t < NVCPUS; t++)
		if (taken[t][SGI_PING] != IPI_ROUNDS)
			guest_fail("an SGI to no vcpu reached vcpu %u", t);
	guest_printf("irqs: SGIs to vcpus that do not exist dropped\n");
}

/* Every vCPU spins; vCPU 0 watches them all move while it runs too. */
static void spin_all(void)
{
	u64 last[NVCPUS] = {0}, moved[NVCPUS] = {0}, start = cntpct();
	bool done = false;

	for (u32 t = 1; t < NVCPUS; t++)
		send_sgi(SGI_SPIN, 1U << t);
	while (!done) {
		done = true;
		for (u32 t = 1; t < NVCPUS; t++) {
			u64 p = progress[t];

			if (p != last[t]) {
				moved[t]++;
				last[t] = p;
			}
			if (moved[t] < SPIN_SAMPLES)
				done = false;
		}
		/* Long enough that each sample spans a tick. */
		for (u64 t0 = cntpct(); cntpct() - t0 < freq() / 500;)
			;
		if (cntpct() - start > 30 * freq())
			guest_fail("spinning vcpus did not all progress");
	}
	spin_stop = 1;
	guest_printf("irqs: 4 vcpus spinning on the host's CPUs: each seen "
		     "progressing %u times by vcpu 0\n",
		     SPIN_SAMPLES);
}

void guest_main(void)
{
	u32 typer = mmio_rd(GICD + GICD_TYPER);

	guest_printf("irqs: hello from vcpu 0, GICv3 arch rev %u, %u "
		     "interrupt lines\n",
		     (mmio_rd(GICD + GIC_PIDR2) >> 4) & 0xf,
		     32 * ((typer & 0x1f) + 1));
	mmio_wr(GICD + GICD_CTLR, GICD_CTLR_GRP1);
	gic_cpu_init(0);
	vtimer(false);
	vtimer(true);
	ptimer(false);
	ptimer(true);
	for (u32 t = 1; t < NVCPUS; t++) {
		s64 r = psci_cpu_on(0x80000000ULL | t, (u64)secondary_entry, t);

		if (r != 0)
			guest_fail("CPU_ON(%u) returned %lld", t, (long long)r);
		while (!up[t])
			wfe();
	}
	ipis();
	spin_all();
	for (u32 t = 1; t < NVCPUS; t++)
		while (psci_affinity_info(t) != 1)
			;
	guest_printf("irqs: done\n");
	psci_system_off();
}

void guest_secondary_main(u64 ctx)
{
	u32 cpu = guest_cpu();

	gic_cpu_init(cpu);
	up[cpu] = 1;
	sev();
	/* One pong per ping taken, however the pings and the WFIs interleave.
	 */
	for (u32 answered = 0; taken[cpu][SGI_SPIN] == 0;) {
		while (answered < taken[cpu][SGI_PING]) {
			send_sgi(SGI_PONG, 1);
			answered++;
		}
		wfi();
	}
	while (!spin_stop)
		progress[cpu]++;
	psci_cpu_off();
}
