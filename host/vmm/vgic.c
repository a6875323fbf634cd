// SPDX-License-Identifier: MIT
/*
 * The guest's GICv3 distributor and redistributors, emulated by the host
 * (host/include/host/vmm.h, "Interrupts"), as KVM's vgic emulates them by
 * MMIO: the guest's writes set each interrupt's group, enable, priority,
 * configuration and routing; an interrupt that is pending, enabled and in
 * an enabled group goes to corevisor as an injection request
 * (include/corevisor/vcpu_abi.h, irq_req) at its vCPU's next run.
 * corevisor owns the CPU interface (the list registers): the active state
 * is the guest's and corevisor's, so ISACTIVER reads as 0 here.
 *
 * Layout (QEMU virt): GICD at VMM_GICD_IPA (64 KiB), then per vCPU n a
 * redistributor at VMM_GICR_IPA + n * 128 KiB (RD_base, then SGI_base).
 */
#include <host/vmm.h>

#define GICD_CTLR 0x0000
#define GICD_TYPER 0x0004
#define GICD_IIDR 0x0008
#define GICD_IGROUPR 0x0080
#define GICD_ISENABLER 0x0100
#define GICD_ICENABLER 0x0180
#define GICD_ISPENDR 0x0200
#define GICD_ICPENDR 0x0280
#define GICD_ISACTIVER 0x0300
#define GICD_ICACTIVER 0x0380
#define GICD_IPRIORITYR 0x0400
#define GICD_ICFGR 0x0c00
#define GICD_IGRPMODR 0x0d00
#define GICD_IROUTER 0x6000
#define GIC_PIDR2 0xffe8
#define GIC_PIDR2_V3 0x3b /* ArchRev 3 */

#define GICD_CTLR_GRP0 (1U << 0)
#define GICD_CTLR_GRP1 (1U << 1)
#define GICD_CTLR_ARE (1U << 4) /* RAO/WI: affinity routing only */
#define GICD_CTLR_DS (1U << 6)	/* RAO/WI: one security state */

#define GICR_CTLR 0x0000
#define GICR_IIDR 0x0004
#define GICR_TYPER 0x0008
#define GICR_WAKER 0x0014
#define GICR_WAKER_SLEEP (1U << 1)
#define GICR_WAKER_CHILDREN_ASLEEP (1U << 2)
#define GICR_TYPER_LAST (1ULL << 4)
#define GICR_SGI_BASE 0x10000

#define GIC_IIDR 0x0300043bU /* implementer Arm, corevisor's host */

static u32 load32(const u32 *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void set_bits(u32 *p, u32 bits)
{
	__atomic_or_fetch(p, bits, __ATOMIC_ACQ_REL);
}

static void clear_bits(u32 *p, u32 bits)
{
	__atomic_and_fetch(p, ~bits, __ATOMIC_ACQ_REL);
}

/* The register word (32 interrupts) @n of a bank: SGI/PPI or SPI. */
struct bank {
	u32 *group, *enabled, *pending;
	u8 *priority;
	u32 *cfg; /* two bits per interrupt: 16 per word */
};

static struct bank cpu_bank(struct vmm_vgic_cpu *c)
{
	return (struct bank){&c->group, &c->enabled, &c->pending, c->priority,
			     c->cfg};
}

/*
 * The GICD/GICR registers that are bit arrays, priorities and
 * configurations, at @off of a frame whose first 32 interrupts start at
 * @first (0 for a redistributor's SGI frame, 32 for the distributor).
 * Returns false for an offset that is none of those.
 */
static bool bank_read(const struct bank *b, u32 first, u32 nirqs, u64 off,
		      u32 len, u64 *val)
{
	u32 irq;

	if (off >= GICD_IPRIORITYR && off < GICD_IPRIORITYR + first + nirqs) {
		irq = (u32)(off - GICD_IPRIORITYR);
		*val = 0;
		if (irq < first || irq + len > first + nirqs)
			return true;
		*val = 0;
		for (u32 i = 0; i < len; i++)
			*val |= (u64)b->priority[irq - first + i] << (8 * i);
		return true;
	}
	if (len != 4)
		return false;
	if (off >= GICD_ICFGR && off < GICD_ICFGR + (first + nirqs) / 4) {
		u32 w = (u32)(off - GICD_ICFGR) / 4;

		*val = w >= first / 16 ? b->cfg[w - first / 16] : 0;
		return true;
	}
	irq = (u32)(off & 0x7f) * 8;
	if (irq < first || irq >= first + nirqs || (off & 3))
		return false;
	switch (off & ~0x7fULL) {
	case GICD_IGROUPR:
		*val = load32(&b->group[(irq - first) / 32]);
		return true;
	case GICD_ISENABLER:
	case GICD_ICENABLER:
		*val = load32(&b->enabled[(irq - first) / 32]);
		return true;
	case GICD_ISPENDR:
	case GICD_ICPENDR:
		*val = load32(&b->pending[(irq - first) / 32]);
		return true;
	case GICD_ISACTIVER:
	case GICD_ICACTIVER:
	case GICD_IGRPMODR:
		*val = 0;
		return true;
	default:
		return false;
	}
}

static bool bank_write(struct bank *b, u32 first, u32 nirqs, u64 off, u32 len,
		       u64 val, bool sgi_frame)
{
	u32 irq, w;

	if (off >= GICD_IPRIORITYR && off < GICD_IPRIORITYR + first + nirqs) {
		irq = (u32)(off - GICD_IPRIORITYR);
		if (irq < first || irq + len > first + nirqs)
			return true;
		for (u32 i = 0; i < len; i++)
			b->priority[irq - first + i] = (u8)(val >> (8 * i));
		return true;
	}
	if (len != 4)
		return false;
	if (off >= GICD_ICFGR && off < GICD_ICFGR + (first + nirqs) / 4) {
		w = (u32)(off - GICD_ICFGR) / 4;
		/* SGIs are edge-triggered only (ICFGR0 read-only). */
		if (w >= first / 16 && !(sgi_frame && w == 0))
			b->cfg[w - first / 16] = (u32)val & 0xaaaaaaaaU;
		return true;
	}
	irq = (u32)(off & 0x7f) * 8;
	if (irq < first || irq >= first + nirqs || (off & 3))
		return false;
	w = (irq - first) / 32;
	switch (off & ~0x7fULL) {
	case GICD_IGROUPR:
		__atomic_store_n(&b->group[w], (u32)val, __ATOMIC_RELEASE);
		return true;
	case GICD_ISENABLER:
		set_bits(&b->enabled[w], (u32)val);
		return true;
	case GICD_ICENABLER:
		clear_bits(&b->enabled[w], (u32)val);
		return true;
	case GICD_ISPENDR:
		set_bits(&b->pending[w], (u32)val);
		return true;
	case GICD_ICPENDR:
		clear_bits(&b->pending[w], (u32)val);
		return true;
	case GICD_ISACTIVER:
	case GICD_ICACTIVER:
	case GICD_IGRPMODR:
		return true; /* the active state is the CPU interface's */
	default:
		return false;
	}
}

static struct bank spi_bank(struct vmm_vgic *d)
{
	return (struct bank){d->spi_group, d->spi_enabled, d->spi_pending,
			     d->spi_priority, d->spi_cfg};
}

static u64 gicd_read(struct vmm_vm *vm, u64 off, u32 len)
{
	struct vmm_vgic *d = &vm->vgic;
	struct bank b = spi_bank(d);
	u64 val;

	if (off >= GICD_IROUTER + 8 * 32 &&
	    off < GICD_IROUTER + 8 * VMM_VGIC_NR_IRQS && len == 8)
		return d->spi_route[(off - GICD_IROUTER) / 8 - 32];
	if (bank_read(&b, 32, VMM_VGIC_NR_IRQS - 32, off, len, &val))
		return val;
	switch (off) {
	case GICD_CTLR:
		return load32(&d->ctlr) | GICD_CTLR_ARE | GICD_CTLR_DS;
	case GICD_TYPER:
		/* ITLinesNumber, 10 INTID bits, no LPIs or MBIs. */
		return (VMM_VGIC_NR_IRQS / 32 - 1) | (9U << 19);
	case GICD_IIDR:
		return GIC_IIDR;
	case GIC_PIDR2:
		return GIC_PIDR2_V3;
	default:
		return 0;
	}
}

static void gicd_write(struct vmm_vm *vm, u64 off, u32 len, u64 val)
{
	struct vmm_vgic *d = &vm->vgic;
	struct bank b = spi_bank(d);

	if (off >= GICD_IROUTER + 8 * 32 &&
	    off < GICD_IROUTER + 8 * VMM_VGIC_NR_IRQS && len == 8) {
		d->spi_route[(off - GICD_IROUTER) / 8 - 32] =
			val & 0xff00ffffffULL;
		return;
	}
	if (bank_write(&b, 32, VMM_VGIC_NR_IRQS - 32, off, len, val, false))
		return;
	if (off == GICD_CTLR)
		__atomic_store_n(&d->ctlr,
				 (u32)val & (GICD_CTLR_GRP0 | GICD_CTLR_GRP1),
				 __ATOMIC_RELEASE);
}

static u64 gicr_read(struct vmm_vm *vm, u32 n, u64 off, u32 len)
{
	struct vmm_vgic_cpu *c = &vm->vgic.cpu[n];
	struct bank b = cpu_bank(c);
	u64 val, typer;

	if (off >= GICR_SGI_BASE) {
		if (bank_read(&b, 0, 32, off - GICR_SGI_BASE, len, &val))
			return val;
		return 0;
	}
	typer = (u64)n << 32 | (u64)n << 8 |
		(n == vm->nvcpus - 1 ? GICR_TYPER_LAST : 0);
	switch (off) {
	case GICR_IIDR:
		return GIC_IIDR;
	case GICR_TYPER:
		return len == 8 ? typer : (u32)typer;
	case GICR_TYPER + 4:
		return typer >> 32;
	case GICR_WAKER:
		return (c->waker & GICR_WAKER_SLEEP)
			       ? GICR_WAKER_SLEEP | GICR_WAKER_CHILDREN_ASLEEP
			       : 0;
	case GIC_PIDR2:
		return GIC_PIDR2_V3;
	default:
		return 0;
	}
}

static void gicr_write(struct vmm_vm *vm, u32 n, u64 off, u32 len, u64 val)
{
	struct vmm_vgic_cpu *c = &vm->vgic.cpu[n];
	struct bank b = cpu_bank(c);

	if (off >= GICR_SGI_BASE) {
		bank_write(&b, 0, 32, off - GICR_SGI_BASE, len, val, true);
		return;
	}
	if (off == GICR_WAKER)
		c->waker = (u32)val & GICR_WAKER_SLEEP;
}

bool vmm_vgic_mmio(struct vmm_vcpu *v)
{
	struct vmm_vm *vm = v->vm;
	u64 ipa = v->mmio.ipa, off, val = 0;
	u32 n;

	if (ipa >= VMM_GICD_IPA && ipa < VMM_GICD_IPA + VMM_GICD_SIZE) {
		off = ipa - VMM_GICD_IPA;
		if (v->mmio.is_write)
			gicd_write(vm, off, v->mmio.len, v->mmio.data);
		else
			val = gicd_read(vm, off, v->mmio.len);
	} else if (ipa >= VMM_GICR_IPA &&
		   ipa < VMM_GICR_IPA + (u64)vm->nvcpus * VMM_GICR_STRIDE) {
		n = (u32)((ipa - VMM_GICR_IPA) / VMM_GICR_STRIDE);
		off = (ipa - VMM_GICR_IPA) % VMM_GICR_STRIDE;
		if (v->mmio.is_write)
			gicr_write(vm, n, off, v->mmio.len, v->mmio.data);
		else
			val = gicr_read(vm, n, off, v->mmio.len);
	} else {
		return false;
	}
	if (!v->mmio.is_write)
		vmm_mmio_complete(v, val);
	return true;
}

static bool group_enabled(const struct vmm_vgic *d, u32 group)
{
	return load32(&d->ctlr) & (group ? GICD_CTLR_GRP1 : GICD_CTLR_GRP0);
}

/* Interrupt @intid of a bank word: deliverable now? */
static bool deliverable(const struct vmm_vgic *d, u32 pending, u32 enabled,
			u32 group, u32 bit)
{
	return (pending & enabled & bit) && group_enabled(d, !!(group & bit));
}

static void add_request(struct vmm_vcpu *v, u32 *n, u32 intid, u32 group,
			u8 priority)
{
	volatile struct cv_vcpu_run *run = v->run;

	if (*n >= CV_VCPU_IRQ_REQS)
		return;
	run->irq_req[*n].intid = intid;
	run->irq_req[*n].group = (u8)group;
	run->irq_req[*n].priority = priority;
	run->irq_req[*n].reserved = 0;
	run->irq_req[*n].flags = CV_IRQ_REQ_VALID;
	v->irq_sent[*n] = intid;
	(*n)++;
}

void vmm_vgic_flush(struct vmm_vcpu *v)
{
	volatile struct cv_vcpu_run *run = v->run;
	struct vmm_vgic *d = &v->vm->vgic;
	struct vmm_vgic_cpu *c = &d->cpu[v->id];
	u32 pending = load32(&c->pending), enabled = load32(&c->enabled);
	u32 group = load32(&c->group), n = 0;

	for (u32 i = 0; i < 32; i++) {
		if (i == 27 || i == 30) /* the timers: corevisor's own */
			continue;
		if (deliverable(d, pending, enabled, group, 1U << i))
			add_request(v, &n, i, !!(group & (1U << i)),
				    c->priority[i]);
	}
	for (u32 i = 32; i < VMM_VGIC_NR_IRQS; i++) {
		u32 w = (i - 32) / 32, bit = 1U << (i % 32);

		if ((d->spi_route[i - 32] & 0xff) != v->id)
			continue;
		if (deliverable(d, load32(&d->spi_pending[w]),
				load32(&d->spi_enabled[w]),
				load32(&d->spi_group[w]), bit))
			add_request(v, &n, i, !!(d->spi_group[w] & bit),
				    d->spi_priority[i - 32]);
	}
	v->irq_nsent = n;
	for (u32 i = n; i < CV_VCPU_IRQ_REQS; i++)
		run->irq_req[i].flags = 0;
	for (u32 t = 0; t < 2; t++) {
		u32 ppi = t == CV_TIMER_VIRT ? 27 : 30, bit = 1U << ppi;

		run->timer_ppi[t].enabled =
			(enabled & bit) && group_enabled(d, !!(group & bit));
		run->timer_ppi[t].priority = c->priority[ppi];
		run->timer_ppi[t].group = !!(group & bit);
		run->timer_ppi[t].reserved = 0;
	}
}

void vmm_vgic_sync(struct vmm_vcpu *v)
{
	volatile struct cv_vcpu_run *run = v->run;
	struct vmm_vgic *d = &v->vm->vgic;

	for (u32 i = 0; i < v->irq_nsent; i++) {
		u32 intid = v->irq_sent[i];
		u32 *pending = intid < 32 ? &d->cpu[v->id].pending
					  : &d->spi_pending[(intid - 32) / 32];

		switch (run->irq_result[i]) {
		case CV_IRQ_FULL:
		case CV_IRQ_NONE:
			break; /* still pending: at a later run */
		case CV_IRQ_INJECTED:
		case CV_IRQ_COALESCED:
			clear_bits(pending, 1U << (intid % 32));
			v->irqs_injected++;
			break;
		default:
			clear_bits(pending, 1U << (intid % 32));
			v->irqs_refused++;
			break;
		}
	}
	v->irq_nsent = 0;
}

void vmm_vgic_sgi(struct vmm_vcpu *v)
{
	volatile struct cv_vcpu_run *run = v->run;
	struct vmm_vm *vm = v->vm;
	u64 targets = run->sgi.targets;
	u32 intid = run->sgi.intid & 15;

	for (u32 t = 0; t < vm->nvcpus; t++) {
		if (!(targets & (1ULL << t)))
			continue;
		set_bits(&vm->vgic.cpu[t].pending, 1U << intid);
		host_vcpu_wake(&vm->vcpu[t]);
	}
}
