// SPDX-License-Identifier: MIT
/*
 * corevisor: a vCPU's GICv3 virtual CPU interface and timers (no spec
 * counterpart: the spec leaves interrupts to the host, which here may not
 * see or write a VM's list registers).
 *
 * The core owns each vCPU's list registers (struct cv_vgic in its shadow
 * context, loaded and saved by arch_vcpu_run). The host, which emulates
 * the guest's distributor and redistributors, asks for an interrupt to be
 * made pending through the run structure (vcpu_abi.h, irq_req); the core
 * checks each request and writes the list register itself, so a list
 * register only ever holds a valid vINTID once, in group 0 or 1, pending.
 * The core raises the timers' PPIs itself: the virtual timer (PPI 27,
 * hardware-linked to the physical PPI 27) and the EL1 physical timer it
 * emulates (PPI 30; the guest's CNTP_* accesses trap here). The host learns
 * only what it needs: which of its injections are still in list
 * registers, which of those it asked about the guest deactivated, when the
 * earliest armed timer fires, and the guest's SGIs (CV_EXIT_SGI).
 */
#include <cv/arch.h>
#include <cv/lock.h>
#include <cv/panic.h>
#include <cv/state.h>
#include <cv/vcpu.h>
#include <cv/vgic.h>

#include "vcpu_internal.h"

/* ICH_LR<n>_EL2 (Arm IHI 0069, 12.5). */
#define LR_PENDING (1ULL << 62)
#define LR_ACTIVE (1ULL << 63)
#define LR_STATE (LR_PENDING | LR_ACTIVE)
#define LR_HW (1ULL << 61)
#define LR_GROUP1 (1ULL << 60)
#define LR_PRIORITY_SHIFT 48
#define LR_PINTID_SHIFT 32
#define LR_INTID_MASK 0xffffffffULL

/* CNT*_CTL_EL0 */
#define TIMER_ENABLE 1ULL
#define TIMER_IMASK 2ULL
#define TIMER_ISTATUS 4ULL

/* A SYS64 trap's register, as its ISS encodes it: op0 op1 CRn CRm op2. */
#define SYS64_ISS_MASK 0x3ffc1eULL /* Op0, Op2, Op1, CRn, CRm */
#define SYS64_ISS(op0, op1, crn, crm, op2)                              \
	(((u64)(op0) << 20) | ((u64)(op2) << 17) | ((u64)(op1) << 14) | \
	 ((u64)(crn) << 10) | ((u64)(crm) << 1))
#define SYS_ICC_SGI1R SYS64_ISS(3, 0, 12, 11, 5)
#define SYS_ICC_ASGI1R SYS64_ISS(3, 0, 12, 11, 6)
#define SYS_ICC_SGI0R SYS64_ISS(3, 0, 12, 11, 7)
#define SYS_CNTP_TVAL SYS64_ISS(3, 3, 14, 2, 0)
#define SYS_CNTP_CTL SYS64_ISS(3, 3, 14, 2, 1)
#define SYS_CNTP_CVAL SYS64_ISS(3, 3, 14, 2, 2)

/* ICC_SGI1R_EL1 fields. */
#define SGIR_TARGETS(v) ((v)&0xffffULL)
#define SGIR_AFF1(v) (((v) >> 16) & 0xffULL)
#define SGIR_INTID(v) (((v) >> 24) & 0xfULL)
#define SGIR_AFF2(v) (((v) >> 32) & 0xffULL)
#define SGIR_IRM (1ULL << 40)
#define SGIR_RS(v) (((v) >> 44) & 0xfULL)
#define SGIR_AFF3(v) (((v) >> 48) & 0xffULL)

static struct cv_vgic *vgic_of(u32 vmid, u32 vcpuid)
{
	return &shadow_ctxt(vmid, vcpuid)->vgic;
}

static u32 nr_lrs(void)
{
	u32 n = arch_vgic_nr_lrs();

	return n > CV_VGIC_MAX_LRS ? CV_VGIC_MAX_LRS : n;
}

/*
 * List registers the host's injections may fill at once: all but two,
 * which stay for the core's two timer PPIs (one when the CPU has two or
 * fewer).
 */
static u32 host_lr_limit(void)
{
	u32 n = nr_lrs();

	return n > 2 ? n - 2 : 1;
}

/* The list register holding @intid (pending and/or active), or -1. */
static int find_lr(const struct cv_vgic *g, u32 intid)
{
	for (u32 i = 0; i < nr_lrs(); i++)
		if ((g->lr[i] & LR_STATE) && (u32)g->lr[i] == intid)
			return (int)i;
	return -1;
}

static int free_lr(const struct cv_vgic *g)
{
	for (u32 i = 0; i < nr_lrs(); i++)
		if (!(g->lr[i] & LR_STATE))
			return (int)i;
	return -1;
}

/*
 * A vCPU starts (or restarts after CPU_OFF) with nothing pending. The
 * host's injections it asked to hear about are over: they go to this
 * run's EOI list, so a level-sensitive line is sampled again.
 */
void vgic_reset(u32 vmid, u32 vcpuid)
{
	struct int_state *s;
	struct cv_vgic *g;

	if (halted())
		return;
	if (!is_vm(vmid) || !is_vcpu(vcpuid)) {
		panic("vgic_reset: vm %u vcpu %u out of range", vmid, vcpuid);
		return;
	}
	g = vgic_of(vmid, vcpuid);
	s = this_int_state();
	for (u32 bits = g->notify_lrs & g->host_lrs; bits; bits &= bits - 1) {
		u32 i = (u32)__builtin_ctz(bits);

		if (s->out.irq_eoi_count < CV_VCPU_IRQ_REPORT)
			s->out.irq_eoi[s->out.irq_eoi_count++] =
				(u32)(g->lr[i] & LR_INTID_MASK);
	}
	*g = (struct cv_vgic){0};
	g->hcr = ICH_HCR_EN;
}

/*
 * Bits set in @v. Not __builtin_popcount: at EL2 that is libgcc's
 * __popcountdi2, which uses the FP/SIMD registers (the host's, there).
 */
static u32 bits_set(u32 v)
{
	u32 n = 0;

	for (; v; v &= v - 1)
		n++;
	return n;
}

/* One host request (vcpu_abi.h, struct cv_vcpu_irq): CV_IRQ_*. */
static u8 take_request(struct cv_vgic *g, const struct cv_vcpu_irq *r)
{
	u32 host_used;
	int lr;

	if (!(r->flags & CV_IRQ_REQ_VALID))
		return CV_IRQ_NONE;
	if ((r->flags & ~(CV_IRQ_REQ_VALID | CV_IRQ_REQ_NOTIFY_EOI)) ||
	    r->reserved || r->group > 1)
		return CV_IRQ_BAD_GROUP;
	if (r->intid >= VGIC_MAX_INTID)
		return CV_IRQ_BAD_INTID;
	if (r->intid == VGIC_VTIMER_PPI || r->intid == VGIC_PTIMER_PPI)
		return CV_IRQ_RESERVED;
	lr = find_lr(g, r->intid);
	if (lr >= 0) {
		/* An edge while it is active: active and pending again. */
		if (g->lr[lr] & LR_PENDING)
			return CV_IRQ_COALESCED;
		g->lr[lr] |= LR_PENDING;
		return CV_IRQ_INJECTED;
	}
	lr = free_lr(g);
	host_used = bits_set(g->host_lrs);
	if (lr < 0 || host_used >= host_lr_limit())
		return CV_IRQ_FULL;
	g->lr[lr] = r->intid | (u64)r->priority << LR_PRIORITY_SHIFT |
		    (r->group ? LR_GROUP1 : 0) | LR_PENDING;
	g->host_lrs |= 1U << lr;
	if (r->flags & CV_IRQ_REQ_NOTIFY_EOI)
		g->notify_lrs |= 1U << lr;
	else
		g->notify_lrs &= ~(1U << lr);
	return CV_IRQ_INJECTED;
}

/*
 * At VCPU_RUN (restore_vm, after the host's answers): each of the host's
 * injection requests, read once by load_int_state, checked and applied;
 * the results go to the exit record. A vCPU that is off takes none.
 */
void vgic_take_requests(u32 vmid, u32 vcpuid)
{
	struct int_state *s;
	struct cv_vgic *g;

	if (halted())
		return;
	if (!is_vm(vmid) || !is_vcpu(vcpuid)) {
		panic("vgic_take_requests: vm %u vcpu %u out of range", vmid,
		      vcpuid);
		return;
	}
	s = this_int_state();
	g = vgic_of(vmid, vcpuid);
	/* Only the valid slots (load_int_state): the rest stay CV_IRQ_NONE. */
	for (u32 m = s->irq_valid; m; m &= m - 1) {
		u32 i = (u32)__builtin_ctz(m);

		s->out.irq_result[i] =
			s->vcpu_off ? CV_IRQ_VCPU_OFF
				    : take_request(g, &s->in.irq_req[i]);
	}
}

/* The guest's virtual count now. */
static u64 virtual_count(const struct cv_ctxt *c)
{
	return arch_counter_read() - c->vgic.cntvoff;
}

static bool timer_armed(u64 ctl)
{
	return (ctl & (TIMER_ENABLE | TIMER_IMASK)) == TIMER_ENABLE;
}

/* Is timer @which's line high (enabled, unmasked, expired)? */
static bool timer_level(const struct cv_ctxt *c, u32 which)
{
	if (which == VGIC_VTIMER)
		return timer_armed(c->cntv_ctl) &&
		       virtual_count(c) >= c->cntv_cval;
	return timer_armed(c->vgic.cntp_ctl) &&
	       arch_counter_read() >= c->vgic.cntp_cval;
}

static u32 timer_ppi(u32 which)
{
	return which == VGIC_VTIMER ? VGIC_VTIMER_PPI : VGIC_PTIMER_PPI;
}

/*
 * Raise timer @which's PPI in a list register if its line is high, the
 * guest's redistributor (as the host models it, run->timer_ppi) enables
 * it, and it is not pending or active already. True when it did.
 */
static bool raise_timer(u32 vmid, u32 vcpuid, u32 which)
{
	struct cv_ctxt *c = shadow_ctxt(vmid, vcpuid);
	const struct cv_vcpu_timer_ppi *cfg =
		&this_int_state()->in.timer_ppi[which];
	u32 intid = timer_ppi(which);
	int lr;

	if (!cfg->enabled || !timer_level(c, which) ||
	    find_lr(&c->vgic, intid) >= 0)
		return false;
	lr = free_lr(&c->vgic);
	if (lr < 0)
		return false; /* the host filled them: at a later entry */
	c->vgic.lr[lr] = intid | (u64)cfg->priority << LR_PRIORITY_SHIFT |
			 (cfg->group ? LR_GROUP1 : 0) | LR_PENDING;
	/* The virtual timer's physical PPI stays active until the guest's
	 * deactivation of the virtual one deactivates it (arch.h). */
	if (which == VGIC_VTIMER)
		c->vgic.lr[lr] |= LR_HW | (u64)intid << LR_PINTID_SHIFT;
	c->vgic.host_lrs &= ~(1U << lr);
	c->vgic.notify_lrs &= ~(1U << lr);
	return true;
}

/*
 * Before every entry into the guest: the timers' PPIs raised if due, and
 * the emulated physical timer's doorbell (arch.h) set to its expiry while
 * it is armed and its PPI not yet raised. Returns true if a PPI was
 * raised.
 */
bool vgic_before_entry(u32 vmid, u32 vcpuid)
{
	struct cv_ctxt *c;
	bool raised;

	if (halted())
		return false;
	if (!is_vm(vmid) || !is_vcpu(vcpuid)) {
		panic("vgic_before_entry: vm %u vcpu %u out of range", vmid,
		      vcpuid);
		return false;
	}
	c = shadow_ctxt(vmid, vcpuid);
	/*
	 * The VM's clock, also for a vCPU restored from sealed state: set at
	 * verification and never changed after, so read without the lock
	 * (set_vcpu_active took it after the VM was verified).
	 */
	c->vgic.cntvoff = vm_info(vmid)->cntvoff;
	raised = raise_timer(vmid, vcpuid, VGIC_VTIMER);
	raised |= raise_timer(vmid, vcpuid, VGIC_PTIMER);
	c->vgic.ptimer_doorbell = 0;
	if (this_int_state()->in.timer_ppi[VGIC_PTIMER].enabled &&
	    timer_armed(c->vgic.cntp_ctl) &&
	    find_lr(&c->vgic, VGIC_PTIMER_PPI) < 0)
		c->vgic.ptimer_doorbell =
			c->vgic.cntp_cval ? c->vgic.cntp_cval : 1;
	return raised;
}

/*
 * After every exit from the guest: the host's injections the guest has
 * finished with (their list register is empty now) leave the host's
 * set; those it asked about go to the exit record's EOI list.
 */
void vgic_after_exit(u32 vmid, u32 vcpuid)
{
	struct int_state *s;
	struct cv_vgic *g;

	if (halted())
		return;
	if (!is_vm(vmid) || !is_vcpu(vcpuid)) {
		panic("vgic_after_exit: vm %u vcpu %u out of range", vmid,
		      vcpuid);
		return;
	}
	s = this_int_state();
	g = vgic_of(vmid, vcpuid);
	for (u32 done = g->host_lrs; done; done &= done - 1) {
		u32 i = (u32)__builtin_ctz(done);

		if (g->lr[i] & LR_STATE)
			continue;
		if ((g->notify_lrs & (1U << i)) &&
		    s->out.irq_eoi_count < CV_VCPU_IRQ_REPORT)
			s->out.irq_eoi[s->out.irq_eoi_count++] =
				(u32)(g->lr[i] & LR_INTID_MASK);
		g->host_lrs &= ~(1U << i);
		g->notify_lrs &= ~(1U << i);
		g->lr[i] = 0;
	}
}

/*
 * A physical interrupt made the vCPU exit: was it one of its own timers
 * (a line high whose PPI is not raised yet)? Then the core raises it and
 * runs the vCPU again, without the host.
 */
bool vgic_timer_exit(u32 vmid, u32 vcpuid)
{
	if (halted())
		return false;
	if (!is_vm(vmid) || !is_vcpu(vcpuid)) {
		panic("vgic_timer_exit: vm %u vcpu %u out of range", vmid,
		      vcpuid);
		return false;
	}
	return vgic_before_entry(vmid, vcpuid);
}

/*
 * WFI: does the vCPU have an interrupt pending in its list registers (a
 * timer's, raised first if due)? Then the WFI completes at once, without
 * the host: the host cannot see the core's timer PPIs to wake it.
 */
bool vgic_wfi_wakes(u32 vmid, u32 vcpuid)
{
	const struct cv_vgic *g;

	if (halted())
		return false;
	vgic_before_entry(vmid, vcpuid);
	if (halted())
		return false;
	g = vgic_of(vmid, vcpuid);
	for (u32 i = 0; i < nr_lrs(); i++)
		if (g->lr[i] & LR_PENDING)
			return true;
	return false;
}

/* The exit record's interrupt part (publish_int_state). */
void vgic_fill_exit(u32 vmid, u32 vcpuid, struct cv_vcpu_run *out)
{
	const struct cv_ctxt *c = shadow_ctxt(vmid, vcpuid);
	const struct int_state *s = this_int_state();
	u64 deadline = 0;
	u32 n = 0;

	for (u32 bits = c->vgic.host_lrs; bits; bits &= bits - 1) {
		u32 i = (u32)__builtin_ctz(bits);

		if (n < CV_VCPU_IRQ_REPORT)
			out->irq_pending[n++] =
				(u32)(c->vgic.lr[i] & LR_INTID_MASK);
	}
	out->irq_pending_count = n;
	if (s->in.timer_ppi[VGIC_VTIMER].enabled && timer_armed(c->cntv_ctl) &&
	    find_lr(&c->vgic, VGIC_VTIMER_PPI) < 0)
		deadline = c->cntv_cval + c->vgic.cntvoff;
	if (s->in.timer_ppi[VGIC_PTIMER].enabled &&
	    timer_armed(c->vgic.cntp_ctl) &&
	    find_lr(&c->vgic, VGIC_PTIMER_PPI) < 0 &&
	    (!deadline || c->vgic.cntp_cval < deadline))
		deadline = c->vgic.cntp_cval;
	out->timer_deadline = deadline;
}

/* The vCPUs of @vmid that exist (registered), as a bit mask. */
static u64 registered_vcpus(u32 vmid)
{
	u64 mask = 0;

	acquire_lock_vm(vmid);
	for (u32 i = 0; i < VCPU_PER_VM; i++)
		if (vcpu_state_of(vm_info(vmid), i) != UNUSED)
			mask |= 1ULL << i;
	release_lock_vm(vmid);
	return mask;
}

/*
 * A guest's SGI (ICC_SGI1R_EL1 / ICC_ASGI1R_EL1 / ICC_SGI0R_EL1 write):
 * the vCPUs it names that exist. vCPU n's affinity is 0.0.0.n (cv/boot.h
 * vcpu_mpidr), so any other Aff3..Aff1 or range selector names none.
 */
static u64 sgi_targets(u32 vmid, u32 vcpuid, u64 v)
{
	u64 exist = registered_vcpus(vmid);

	if (v & SGIR_IRM)
		return exist & ~(1ULL << vcpuid);
	if (SGIR_AFF1(v) || SGIR_AFF2(v) || SGIR_AFF3(v) || SGIR_RS(v))
		return 0;
	return SGIR_TARGETS(v) & exist;
}

/* The guest's CNTP_* access (EL1PCEN = 0 for VMs): the emulated timer. */
static void cntp_access(struct cv_ctxt *c, u64 reg, bool read, u32 rt)
{
	u64 now = arch_counter_read(), v = rt == 31 ? 0 : c->regs[rt];

	if (read) {
		if (reg == SYS_CNTP_CTL)
			v = c->vgic.cntp_ctl |
			    (now >= c->vgic.cntp_cval ? TIMER_ISTATUS : 0);
		else if (reg == SYS_CNTP_CVAL)
			v = c->vgic.cntp_cval;
		else /* TVAL: CVAL - count, 32 bits */
			v = (u32)(c->vgic.cntp_cval - now);
		if (rt != 31)
			c->regs[rt] = v;
		return;
	}
	if (reg == SYS_CNTP_CTL)
		c->vgic.cntp_ctl = v & (TIMER_ENABLE | TIMER_IMASK);
	else if (reg == SYS_CNTP_CVAL)
		c->vgic.cntp_cval = v;
	else /* TVAL: a signed 32-bit offset from now */
		c->vgic.cntp_cval = now + (u64)(s64)(s32)(u32)v;
}

/*
 * A trapped system-register access that is the vGIC's or the timer's:
 * VGIC_SYS_NOT_MINE (someone else's), VGIC_SYS_DONE (served, PC not
 * moved yet), VGIC_SYS_SGI (an SGI for the host: the exit record is
 * filled, PC to be stepped on the next run), VGIC_SYS_UNDEF (a read of a
 * write-only register).
 */
u32 vgic_sys64(u32 vmid, u32 vcpuid, u64 esr)
{
	struct cv_ctxt *c;
	struct int_state *s;
	u64 reg = esr & SYS64_ISS_MASK, v, targets;
	bool read = esr & ESR_ELx_SYS64_ISS_DIR_READ;
	u32 rt = (esr >> ESR_ELx_SYS64_ISS_RT_SHIFT) & 31;

	if (halted())
		return VGIC_SYS_DONE;
	if (!is_vm(vmid) || !is_vcpu(vcpuid)) {
		panic("vgic_sys64: vm %u vcpu %u out of range", vmid, vcpuid);
		return VGIC_SYS_DONE;
	}
	c = shadow_ctxt(vmid, vcpuid);
	switch (reg) {
	case SYS_CNTP_TVAL:
	case SYS_CNTP_CTL:
	case SYS_CNTP_CVAL:
		cntp_access(c, reg, read, rt);
		return VGIC_SYS_DONE;
	case SYS_ICC_SGI1R:
	case SYS_ICC_ASGI1R:
	case SYS_ICC_SGI0R:
		if (read)
			return VGIC_SYS_UNDEF;
		v = rt == 31 ? 0 : c->regs[rt];
		targets = sgi_targets(vmid, vcpuid, v);
		if (halted() || !targets)
			return VGIC_SYS_DONE;
		s = this_int_state();
		s->out.sgi.intid = (u32)SGIR_INTID(v);
		s->out.sgi.group = reg == SYS_ICC_SGI0R ? 0 : 1;
		s->out.sgi.targets = targets;
		return VGIC_SYS_SGI;
	default:
		return VGIC_SYS_NOT_MINE;
	}
}
