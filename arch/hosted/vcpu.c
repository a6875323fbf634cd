// SPDX-License-Identifier: MIT
/*
 * The hosted machine's world switch (arch_vcpu_run) and its simulated
 * guests (include/corevisor/hosted.h, "Simulated VMs"). A guest is a C
 * program standing for the vCPU's instructions; the helpers here are the
 * hardware: they translate through this CPU's TLB and the VM's stage 2
 * (the VMID of the VTTBR the core handed over) and, when an access or
 * instruction traps to EL2, report it with the syndrome, FAR and HPFAR a
 * Cortex-A57 under QEMU reports
 * (../shared/QEMU-EL2-FACTS.md, "Exceptions seen").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cv/arch.h>
#include <cv/pte.h>
#include <cv/state.h>
#include <cv/vcpu.h>

#include "hosted_internal.h"
#include "hosted_priv.h"

static struct {
	cv_hosted_guest_fn fn;
	void *arg;
} guests[NUM_PRINCIPALS];

static u64 vcpu_runs[CTXT_POOL_SIZE];
static u64 total_runs;
static u64 cntvoff[TOTAL_CPU];
static u64 counter; /* the simulated CNTPCT_EL0 */

void cv_hosted_set_counter(uint64_t value)
{
	__atomic_store_n(&counter, value, __ATOMIC_RELAXED);
}

u64 arch_counter_read(void)
{
	return __atomic_load_n(&counter, __ATOMIC_RELAXED);
}

/* The simulated GIC's virtual CPU interface: 4 list registers (QEMU's). */
u32 arch_vgic_nr_lrs(void)
{
	return CV_HOSTED_NR_LRS;
}

void hosted_vcpu_reset(void)
{
	memset(vcpu_runs, 0, sizeof(vcpu_runs));
	memset(cntvoff, 0, sizeof(cntvoff));
	counter = 0;
	__atomic_store_n(&total_runs, 0, __ATOMIC_RELAXED);
}

void cv_hosted_set_guest(uint32_t vmid, cv_hosted_guest_fn fn, void *arg)
{
	if (vmid >= NUM_PRINCIPALS) {
		fprintf(stderr, "cv_hosted_set_guest: vmid %u\n", vmid);
		abort();
	}
	guests[vmid].fn = fn;
	guests[vmid].arg = arg;
}

uint64_t cv_hosted_vcpu_runs(void)
{
	return __atomic_load_n(&total_runs, __ATOMIC_RELAXED);
}

uint64_t cv_hosted_cntvoff(uint32_t cpu)
{
	return cpu < TOTAL_CPU ? cntvoff[cpu] : 0;
}

void arch_timer_set_cntvoff(u64 value)
{
	cntvoff[arch_cpu_id()] = value;
}

/*
 * The simulated CPU's ID registers: a Cortex-A57's, with a PMU (PMUVer 1),
 * 6 breakpoints and 4 watchpoints, plus what a newer CPU advertises and a
 * VM must not see: SVE and AMU (ID_AA64PFR0_EL1), MTE (PFR1), pointer
 * authentication (ISAR1), SVE's ZFR0. Unallocated encodings read 0.
 */
u64 arch_read_id_reg(u32 crm, u32 op2)
{
	switch (crm * 8 + op2) {
	case 1 * 8 + 2: /* ID_DFR0_EL1: CopDbg 6, PerfMon 3 */
		return 0x03010066ULL;
	case 4 * 8 + 0: /* ID_AA64PFR0_EL1 */
		return 0x0000000001000022ULL | (1ULL << 32) | (1ULL << 44);
	case 4 * 8 + 1: /* ID_AA64PFR1_EL1: BT, SSBS, MTE 2 */
		return 0x0000000000000221ULL;
	case 4 * 8 + 4: /* ID_AA64ZFR0_EL1 */
		return 0x0000000000000001ULL;
	case 5 * 8 + 0: /* ID_AA64DFR0_EL1 */
		return 0x0000000010305106ULL;
	case 6 * 8 + 0: /* ID_AA64ISAR0_EL1 */
		return 0x0000000000011120ULL;
	case 6 * 8 + 1: /* ID_AA64ISAR1_EL1: DPB, APA 1, API 1, GPA, GPI */
		return 0x0000000011000111ULL;
	case 7 * 8 + 0: /* ID_AA64MMFR0_EL1 */
		return 0x0000000000001124ULL;
	default:
		return 0;
	}
}

/* The simulated CPU's ACTLR_EL1 (Cortex-A57 resets it to 0). */
u64 arch_read_actlr_el1(void)
{
	return 0;
}

/* The process's FP state is its own: nothing to keep around libsodium. */
void arch_fpsimd_begin(void)
{
}

void arch_fpsimd_end(void)
{
}

/* ---- Traps ---------------------------------------------------------- */

#define EC(ec) ((u64)(ec) << ESR_ELx_EC_SHIFT)
#define HPFAR_OF(ipa) ((((ipa) >> PAGE_SHIFT) << 4) & HPFAR_FIPA_MASK)

static bool trap(struct cv_hosted_guest *g, u64 esr, u64 far, u64 hpfar)
{
	g->exited = ARM_EXCEPTION_TRAP + 1;
	g->esr = esr;
	g->far = far;
	g->hpfar = hpfar;
	return false;
}

static bool running(const struct cv_hosted_guest *g)
{
	if (g->exited) {
		fprintf(stderr,
			"hosted guest: vm %u vcpu %u used a helper "
			"after its exit\n",
			g->vmid, g->vcpuid);
		abort();
	}
	return true;
}

/* DFSC / IFSC of a stage-2 walk's fault at its level. */
static u64 fault_status(const struct cv_walk *w)
{
	switch (w->fault) {
	case CV_FAULT_TRANSLATION:
		return 0x04 + w->level;
	case CV_FAULT_ACCESS_FLAG:
		return 0x08 + w->level;
	case CV_FAULT_PERMISSION:
		return 0x0c + w->level;
	default:
		return 0x10; /* synchronous external abort */
	}
}

/*
 * A load or store of @len bytes at @ipa through the VM's stage 2 (the
 * VMID of the VTTBR the core handed over selects the TLB entries and the
 * table), the data moved to/from @buf as the machine's data path does
 * (cv_hosted_tlb_access). False with the walk's fault in *w (a
 * translation to MMIO: an external abort).
 */
static bool guest_access(const struct cv_hosted_guest *g, u64 ipa, u32 len,
			 enum cv_access access, void *buf, struct cv_walk *w)
{
	if ((len != 1 && len != 2 && len != 4 && len != 8) ||
	    (ipa & (len - 1))) {
		fprintf(stderr,
			"hosted guest: unaligned %u-byte access at "
			"0x%llx\n",
			len, (unsigned long long)ipa);
		abort();
	}
	return cv_hosted_tlb_access((u32)(g->vttbr >> 48), ipa, access, buf,
				    len, w) == CV_FAULT_NONE;
}

static u32 log2_len(u32 len)
{
	return len == 1 ? 0 : len == 2 ? 1 : len == 4 ? 2 : 3;
}

/*
 * A data abort with a full syndrome (ISV = 1). SF: an X register, i.e. a
 * 64-bit access or a signed load (which sign-extends to 64 bits, as load()
 * does: LDRSB/LDRSH/LDRSW Xt).
 */
static bool dabt(struct cv_hosted_guest *g, u64 ipa, u32 len, u32 rt,
		 bool write, bool sse, const struct cv_walk *w)
{
	u64 esr = EC(ESR_ELx_EC_DABT_LOW) | ESR_ELx_IL | ESR_ELx_ISV |
		  ((u64)log2_len(len) << ESR_ELx_SAS_SHIFT) |
		  (sse ? ESR_ELx_SSE : 0) | ((u64)rt << ESR_ELx_SRT_SHIFT) |
		  (len == 8 || sse ? ESR_ELx_SF : 0) |
		  (write ? ESR_ELx_WNR : 0) | fault_status(w);

	return trap(g, esr, ipa, HPFAR_OF(ipa));
}

static bool load(struct cv_hosted_guest *g, u64 ipa, u32 len, u32 rt, bool sse)
{
	struct cv_walk w;
	u64 v = 0;

	if (!running(g))
		return false;
	if (!guest_access(g, ipa, len, CV_ACCESS_READ, &v, &w))
		return dabt(g, ipa, len, rt, false, sse, &w);
	if (sse && len < 8 && (v >> (8 * len - 1)) & 1)
		v |= ~0ULL << (8 * len);
	if (rt < 31)
		g->x[rt] = v;
	g->pc += 4;
	return true;
}

bool cv_guest_load(struct cv_hosted_guest *g, uint64_t ipa, uint32_t len,
		   uint32_t rt)
{
	return load(g, ipa, len, rt, false);
}

bool cv_guest_load_signed(struct cv_hosted_guest *g, uint64_t ipa, uint32_t len,
			  uint32_t rt)
{
	return load(g, ipa, len, rt, true);
}

bool cv_guest_store(struct cv_hosted_guest *g, uint64_t ipa, uint32_t len,
		    uint32_t rt)
{
	struct cv_walk w;
	u64 v;

	if (!running(g))
		return false;
	v = rt < 31 ? g->x[rt] : 0;
	if (!guest_access(g, ipa, len, CV_ACCESS_WRITE, &v, &w))
		return dabt(g, ipa, len, rt, true, false, &w);
	g->pc += 4;
	return true;
}

bool cv_guest_load_pair(struct cv_hosted_guest *g, uint64_t ipa, uint32_t rt,
			uint32_t rt2)
{
	struct cv_walk w;
	u64 v1 = 0, v2 = 0;
	bool ok1, ok2;

	if (!running(g))
		return false;
	/* Two 8-byte accesses, each in one page, translated in turn. */
	ok1 = guest_access(g, ipa, 8, CV_ACCESS_READ, &v1, &w);
	ok2 = ok1 && guest_access(g, ipa + 8, 8, CV_ACCESS_READ, &v2, &w);
	if (!ok2) {
		u64 at = ok1 ? ipa + 8 : ipa;

		/* No instruction syndrome for a pair: ISV = 0. */
		return trap(g,
			    EC(ESR_ELx_EC_DABT_LOW) | ESR_ELx_IL |
				    fault_status(&w),
			    at, HPFAR_OF(at));
	}
	if (rt < 31)
		g->x[rt] = v1;
	if (rt2 < 31)
		g->x[rt2] = v2;
	g->pc += 4;
	return true;
}

bool cv_guest_fetch(struct cv_hosted_guest *g)
{
	struct cv_walk w;
	u32 insn;

	if (!running(g))
		return false;
	if (guest_access(g, g->pc & ~3ULL, 4, CV_ACCESS_READ, &insn, &w))
		return true;
	return trap(g, EC(ESR_ELx_EC_IABT_LOW) | ESR_ELx_IL | fault_status(&w),
		    g->pc, HPFAR_OF(g->pc));
}

bool cv_guest_hvc(struct cv_hosted_guest *g, uint16_t imm)
{
	if (!running(g))
		return false;
	g->pc += 4; /* HVC's preferred return is the next instruction */
	return trap(g, EC(ESR_ELx_EC_HVC64) | ESR_ELx_IL | imm, 0, 0);
}

bool cv_guest_smc(struct cv_hosted_guest *g, uint16_t imm)
{
	if (!running(g))
		return false;
	return trap(g, EC(ESR_ELx_EC_SMC64) | ESR_ELx_IL | imm, 0, 0);
}

#define WFX_ISS_CV_COND ((1ULL << 24) | (0xeULL << 20))

bool cv_guest_wfi(struct cv_hosted_guest *g)
{
	if (!running(g))
		return false;
	return trap(g, EC(ESR_ELx_EC_WFx) | ESR_ELx_IL | WFX_ISS_CV_COND, 0, 0);
}

bool cv_guest_wfe(struct cv_hosted_guest *g)
{
	if (!running(g))
		return false;
	return trap(g, EC(ESR_ELx_EC_WFx) | ESR_ELx_IL | WFX_ISS_CV_COND | 1, 0,
		    0);
}

/* ACTLR_EL1: Op0 3, Op1 0, CRn 1, CRm 0, Op2 1 (ISS layout of EC 0x18). */
bool cv_guest_sysreg(struct cv_hosted_guest *g, uint32_t rt, bool read)
{
	u64 iss = (3ULL << 20) | (1ULL << 17) | (0ULL << 14) | (1ULL << 10) |
		  ((u64)(rt & 31) << 5) | (0ULL << 1) | (read ? 1 : 0);

	if (!running(g))
		return false;
	return trap(g, EC(ESR_ELx_EC_SYS64) | ESR_ELx_IL | iss, 0, 0);
}

bool cv_guest_msr(struct cv_hosted_guest *g, uint32_t op0, uint32_t op1,
		  uint32_t crn, uint32_t crm, uint32_t op2, uint32_t rt,
		  bool read)
{
	u64 iss = ((u64)(op0 & 3) << 20) | ((u64)(op2 & 7) << 17) |
		  ((u64)(op1 & 7) << 14) | ((u64)(crn & 15) << 10) |
		  ((u64)(rt & 31) << 5) | ((u64)(crm & 15) << 1) |
		  (read ? 1 : 0);

	if (!running(g))
		return false;
	return trap(g, EC(ESR_ELx_EC_SYS64) | ESR_ELx_IL | iss, 0, 0);
}

bool cv_guest_trap(struct cv_hosted_guest *g, uint64_t esr)
{
	if (!running(g))
		return false;
	return trap(g, esr, 0, 0);
}

bool cv_guest_exception(struct cv_hosted_guest *g, uint32_t code)
{
	if (!running(g))
		return false;
	g->exited = code + 1;
	return false;
}

/* ---- The world switch ---------------------------------------------- */

static void load_guest(struct cv_hosted_guest *g, const struct cv_ctxt *c)
{
	memcpy(g->x, c->regs, sizeof(g->x));
	g->sp = c->regs[SP];
	g->pc = c->regs[PC];
	g->pstate = c->regs[PSTATE];
	g->mpidr = c->regs[MPIDR_EL1];
	g->vbar_el1 = c->regs[VBAR_EL1];
	g->elr_el1 = c->regs[ELR_EL1];
	g->spsr_el1 = c->regs[SPSR_EL1];
	g->esr_el1 = c->regs[ESR_EL1];
	g->sp_el1 = c->regs[SP_EL1];
	g->far_el1 = c->regs[FAR_EL1];
	memcpy(g->ich_lr, c->vgic.lr, sizeof(g->ich_lr));
	g->ich_hcr = c->vgic.hcr;
	g->ich_vmcr = c->vgic.vmcr;
	g->cntv_ctl = c->cntv_ctl;
	g->cntv_cval = c->cntv_cval;
	g->ptimer_doorbell = c->vgic.ptimer_doorbell;
	g->cntvoff = c->vgic.cntvoff;
}

static void save_guest(const struct cv_hosted_guest *g, struct cv_ctxt *c,
		       u64 ec)
{
	memcpy(c->regs, g->x, sizeof(g->x));
	c->regs[SP] = g->sp;
	c->regs[PC] = g->pc;
	c->regs[PSTATE] = g->pstate;
	c->regs[VBAR_EL1] = g->vbar_el1;
	c->regs[ELR_EL1] = g->elr_el1;
	c->regs[SPSR_EL1] = g->spsr_el1;
	c->regs[ESR_EL1] = g->esr_el1;
	c->regs[SP_EL1] = g->sp_el1;
	c->regs[FAR_EL1] = g->far_el1;
	/* Only the list registers the simulated CPU has. */
	memcpy(c->vgic.lr, g->ich_lr, CV_HOSTED_NR_LRS * sizeof(g->ich_lr[0]));
	c->vgic.vmcr = g->ich_vmcr;
	c->cntv_ctl = g->cntv_ctl;
	c->cntv_cval = g->cntv_cval;
	c->regs[ESR_EL2] = ec == ARM_EXCEPTION_TRAP ? g->esr : 0;
	c->regs[FAR_EL2] = ec == ARM_EXCEPTION_TRAP ? g->far : 0;
	c->regs[HPFAR_EL2] = ec == ARM_EXCEPTION_TRAP ? g->hpfar : 0;
	c->regs[EC] = ec;
}

/*
 * cv/arch.h: load the vCPU, let its program run until it traps (or
 * yields: an interrupt), save it back. The host's state needs no saving:
 * the hosted host has no EL1 registers.
 */
u64 arch_vcpu_run(u32 vmid, u32 vcpuid, u64 vttbr, struct cv_ctxt *ctxt)
{
	struct cv_hosted_guest g;
	u64 ec;

	memset(&g, 0, sizeof(g));
	g.vmid = vmid;
	g.vcpuid = vcpuid;
	g.vttbr = vttbr;
	load_guest(&g, ctxt);
	if (vmid < NUM_PRINCIPALS && vcpuid < VCPU_PER_VM)
		g.run = vcpu_runs[ctxt_id(vmid, vcpuid)]++;
	__atomic_fetch_add(&total_runs, 1, __ATOMIC_RELAXED);
	if (vmid < NUM_PRINCIPALS && guests[vmid].fn)
		guests[vmid].fn(&g, guests[vmid].arg);
	ec = g.exited ? g.exited - 1 : ARM_EXCEPTION_IRQ;
	save_guest(&g, ctxt, ec);
	return ec;
}
