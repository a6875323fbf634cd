// SPDX-License-Identifier: MIT
/*
 * Exceptions taken to EL2 from the host other than HVC (entry.S
 * el2_trap_common; the host's HVC goes from the vector straight to the
 * core's dispatcher, host_hvc_dispatch, and a VM's exits leave through
 * el2_guest_exit into arch_vcpu_run, vcpu.c): stage-2 translation fault ->
 * host_npt_handler (FaultHandler: map_page_host, then the access
 * retries), SMC -> PSCI proxy, an SGI register write (FMO) -> sent or
 * dropped. Anything else, and any exception in
 * corevisor itself, is fatal. Once the core has halted, a CPU that gets
 * here parks (halt.c): the halt's FIQ brings each CPU at EL1 here.
 */
#include <corevisor/abi.h>
#include <cv/lib.h>
#include <cv/panic.h>
#include <cv/arch.h>
#include <cv/state.h>
#include <cv/trap.h>
#include <arch/sysreg.h>

#include "el2.h"

_Static_assert(HVC_NOOP == 34, "entry.S el2_host_noop: HVC_NOOP");

enum trap_kind {
	CUR_SP0_SYNC = 0,
	CUR_SPX_SYNC = 4,
	LOW64_SYNC = 8,
	LOW64_IRQ,
	LOW64_FIQ,
	LOW64_SERROR,
};

/* DFSC/IFSC 0b0001LL: translation fault at level LL. */
static bool is_translation_fault(u64 esr)
{
	return (esr & 0x3c) == 0x04;
}

static void host_stage2_fault(struct el2_frame *f, u64 esr)
{
	u64 hpfar = read_sysreg(hpfar_el2), far = read_sysreg(far_el2);
	struct cv_ctxt *h = shadow_ctxt(HOSTVISOR, arch_cpu_id());

	if (!is_translation_fault(esr))
		el2_fatal("host stage-2 fault: esr 0x%llx ipa 0x%llx",
			  (unsigned long long)esr,
			  (unsigned long long)(hpfar_to_ipa(hpfar) |
					       (far & (PAGE_SIZE - 1))));
	/*
	 * TrapHandler: map the page if it is the host's, else panic; or
	 * emulate the access (the GIC's table registers, cv/gictab.h) on
	 * the host's registers, as cv/smmu.h's host_ctxt() says.
	 */
	for (u32 i = 0; i < 31; i++)
		h->regs[X0 + i] = f->x[i];
	h->regs[PC] = f->elr;
	host_npt_handler(hpfar, far, esr);
	for (u32 i = 0; i < 31; i++)
		f->x[i] = h->regs[X0 + i];
	f->elr = h->regs[PC];
}

/* ISS of a trapped MSR/MRS (EC 0x18): Op0, Op2, Op1, CRn, CRm, direction. */
#define SYS64_REG_MASK 0x3ffc1eU
#define SYS64_REG(op0, op1, crn, crm, op2)                              \
	(((u32)(op0) << 20) | ((u32)(op2) << 17) | ((u32)(op1) << 14) | \
	 ((u32)(crn) << 10) | ((u32)(crm) << 1))
#define SYS64_ICC_SGI1R SYS64_REG(3, 0, 12, 11, 5)
#define SYS64_ICC_ASGI1R SYS64_REG(3, 0, 12, 11, 6)
#define SYS64_ICC_SGI0R SYS64_REG(3, 0, 12, 11, 7)
#define SYS64_READ 1U
#define ICC_SGI1R_EL1 S3_0_C12_C11_5
#define ICC_ASGI1R_EL1 S3_0_C12_C11_6

/*
 * HCR_EL2.FMO (halt.c's signal) makes a host's SGI register writes trap:
 * a Group 1 SGI (a Linux IPI) is sent as the host asked, from EL2 (the
 * host may interrupt its own CPUs); a Group 0 one is dropped, since Group
 * 0 is the fail-stop's alone. Any other register is fatal, as before.
 */
static void host_sysreg(struct el2_frame *f, u64 esr)
{
	u32 iss = (u32)esr & 0x1ffffffU, rt = (iss >> 5) & 31;
	u64 val = rt == 31 ? 0 : f->x[rt];

	if (iss & SYS64_READ)
		goto fatal;
	switch (iss & SYS64_REG_MASK) {
	case SYS64_ICC_SGI1R:
		write_sysreg(ICC_SGI1R_EL1, val);
		break;
	case SYS64_ICC_ASGI1R:
		write_sysreg(ICC_ASGI1R_EL1, val);
		break;
	case SYS64_ICC_SGI0R:
		break;
	default:
		goto fatal;
	}
	__asm__ volatile("isb" ::: "memory");
	f->elr += 4;
	return;
fatal:
	el2_fatal("host trap: esr 0x%llx (EC 0x%x) at 0x%llx",
		  (unsigned long long)esr, esr_ec(esr),
		  (unsigned long long)f->elr);
}

static void host_sync(struct el2_frame *f)
{
	u64 esr = read_sysreg(esr_el2);

	switch (esr_ec(esr)) {
	case ESR_EC_SMC64:
		host_smc(f);
		break;
	case ESR_EC_SYS64:
		host_sysreg(f, esr);
		break;
	case ESR_EC_DABT_LOW:
	case ESR_EC_IABT_LOW:
		host_stage2_fault(f, esr);
		break;
	default:
		el2_fatal("host trap: esr 0x%llx (EC 0x%x) at 0x%llx",
			  (unsigned long long)esr, esr_ec(esr),
			  (unsigned long long)f->elr);
	}
}

void el2_trap(struct el2_frame *f, u64 kind);
void el2_trap(struct el2_frame *f, u64 kind)
{
	/* The machine's end without semihosting (entry.S semihost_exit). */
	if (kind == CUR_SPX_SYNC && f->elr == (u64)semihost_hlt)
		psci_system_off();
	if (halted())
		el2_park();
	if (kind == LOW64_SYNC) {
		host_sync(f);
		return;
	}
	el2_fatal("EL2 exception kind %llu: esr 0x%llx elr 0x%llx far 0x%llx",
		  (unsigned long long)kind,
		  (unsigned long long)read_sysreg(esr_el2),
		  (unsigned long long)f->elr,
		  (unsigned long long)read_sysreg(far_el2));
}
