// SPDX-License-Identifier: MIT
/*
 * The EL2 side of the QEMU benchmark, linked into a bench copy of
 * corevisor's image only (build/bench/aarch64/corevisor-bench.elf) with
 * -Wl,--wrap=host_smc: a host SMC with function id BENCH_SMC_TRAP_ON
 * switches VBAR_EL2 to the hypercall floor's vectors, BENCH_SMC_WS_ON to
 * the world-switch floor's (el2_bare.S, whose data it fills first),
 * BENCH_SMC_OFF back to corevisor's; every other SMC goes to corevisor's
 * host_smc as before. Hypercalls never pass here, so corevisor's HVC
 * path is measured exactly as built, and the floors' own HVC paths carry
 * nothing of the bench (the SMC that ends a floor is another exception
 * class, which the floor's vector hands to corevisor's).
 */
#include <arch/sysreg.h>

#include "el2.h"
#include "floor.h"

#define BENCH_SMC_OFF 0x86000b00U
#define BENCH_SMC_TRAP_ON 0x86000b01U
#define BENCH_SMC_WS_ON 0x86000b02U
#define CPTR_TFP (1ULL << 10)
#define CTXT_MPIDR_INDEX 47 /* switch.h CTXT_MPIDR / 8 */
#define BENCH_VMID 1U	    /* what the bench host passes in x1, x2 */
#define BENCH_VCPUID 0U

extern char floor_trap_vectors[], floor_ws_host_vectors[];
extern u64 floor_area[];
void __real_host_smc(struct el2_frame *f);
void __wrap_host_smc(struct el2_frame *f);

#define AREA(off) floor_area[(off) / 8]

/*
 * The world-switch floor's data: both sides' EL2 controls are this CPU's
 * current ones (the "guest" is the bench host itself), the guest's CPTR
 * with TFP set (lazy FP/SIMD); the last vCPU is the one the bench runs;
 * the guest's GIC state an empty interface with the host's VMCR and HCR.
 * False if the GIC's virtual interface is not the one the floor moves.
 */
static bool ws_floor_setup(void)
{
	u64 vtr, cptr = read_sysreg(cptr_el2) & ~CPTR_TFP;
	u64 ctl[6] = {read_sysreg(vttbr_el2),	read_sysreg(hcr_el2),
		      read_sysreg(mdcr_el2),	cptr,
		      read_sysreg(cnthctl_el2), read_sysreg(cntvoff_el2)};

	if (plat.gic_version != 3)
		return false;
	vtr = read_sysreg(ich_vtr_el2);
	if ((vtr & 0x1f) + 1 != FL_NR_LRS ||
	    1U << ((((vtr >> 29) & 7) + 1) - 5) != FL_NR_APRS)
		return false;
	for (int i = 0; i < 6; i++) {
		AREA(FL_VM_CTL + 8 * i) = ctl[i];
		AREA(FL_HOST_CTL + 8 * i) = ctl[i];
	}
	AREA(FL_VM_CTL + 24) = cptr | CPTR_TFP;
	AREA(FL_LAST) = (u64)BENCH_VCPUID << 32 | BENCH_VMID;
	AREA(FL_BELL) = 0;
	for (int i = 0; i < 6; i++)
		AREA(FL_GIC_VM + 8 * i) = 0;
	AREA(FL_GIC_VM + 48) = read_sysreg(ich_vmcr_el2);
	AREA(FL_GIC_VM + 56) = read_sysreg(ich_hcr_el2);
	AREA(FL_HOST_CTXT + 8 * CTXT_MPIDR_INDEX) = read_sysreg(vmpidr_el2);
	AREA(FL_VM_CTXT + 8 * CTXT_MPIDR_INDEX) = read_sysreg(vmpidr_el2);
	return true;
}

void __wrap_host_smc(struct el2_frame *f)
{
	u32 fn = (u32)f->x[0];
	u64 vbar;

	switch (fn) {
	case BENCH_SMC_OFF:
		vbar = (u64)el2_vectors;
		break;
	case BENCH_SMC_TRAP_ON:
		vbar = (u64)floor_trap_vectors;
		break;
	case BENCH_SMC_WS_ON:
		if (!ws_floor_setup()) {
			f->elr += 4;
			f->x[0] = ~0ULL;
			return;
		}
		vbar = (u64)floor_ws_host_vectors;
		break;
	default:
		__real_host_smc(f);
		return;
	}
	f->elr += 4; /* step over the SMC */
	f->x[0] = 0;
	dsb(sy);
	write_sysreg(vbar_el2, vbar);
	isb();
}
