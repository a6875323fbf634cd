// SPDX-License-Identifier: MIT
/*
 * arch_fpsimd_begin/end (cv/arch.h): the FP/SIMD registers around
 * libsodium. corevisor's own code is built with -mgeneral-regs-only; only
 * libsodium (crypto/, random.c, the boot's key hashing) uses V0-V31, so
 * the interrupted context's registers are saved there and nowhere else: a
 * hypercall that runs no crypto costs no FP/SIMD save (docs/el2-port.md).
 * Per CPU, with a depth so brackets may nest.
 */
#include <cv/arch.h>
#include <arch/sysreg.h>

#include "el2.h"

static struct {
	struct el2_fpsimd saved;
	u32 depth;
} fpsimd[EL2_MAX_CPUS];

void arch_fpsimd_begin(void)
{
	u64 cpu = read_sysreg(tpidr_el2);

	if (fpsimd[cpu].depth++ == 0)
		el2_fpsimd_save(&fpsimd[cpu].saved);
}

void arch_fpsimd_end(void)
{
	u64 cpu = read_sysreg(tpidr_el2);

	if (fpsimd[cpu].depth == 0)
		el2_fatal("arch_fpsimd_end without arch_fpsimd_begin");
	if (--fpsimd[cpu].depth == 0)
		el2_fpsimd_restore(&fpsimd[cpu].saved);
}
