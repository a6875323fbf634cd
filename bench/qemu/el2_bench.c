// SPDX-License-Identifier: MIT
/*
 * The EL2 side of the QEMU benchmark, linked into a bench copy of
 * corevisor's image only (build/bench/aarch64/corevisor-bench.elf) with
 * -Wl,--wrap=host_smc: a host SMC with function id BENCH_SMC_BARE_ON
 * switches VBAR_EL2 to the bare trap's vectors, BENCH_SMC_WS_ON to the
 * bare world switch's (el2_bare.S); every other SMC goes to corevisor's
 * host_smc as before. Hypercalls never pass here, so
 * corevisor's HVC path is measured exactly as built.
 */
#include <arch/sysreg.h>

#include "el2.h"

#define BENCH_SMC_BARE_ON 0x86000b01U
#define BENCH_SMC_WS_ON 0x86000b02U

extern char bench_bare_vectors[], bench_ws_vectors[];
void __real_host_smc(struct el2_frame *f);
void __wrap_host_smc(struct el2_frame *f);

void __wrap_host_smc(struct el2_frame *f)
{
	u32 fn = (u32)f->x[0];

	if (fn != BENCH_SMC_BARE_ON && fn != BENCH_SMC_WS_ON) {
		__real_host_smc(f);
		return;
	}
	f->elr += 4; /* step over the SMC */
	f->x[0] = 0;
	write_sysreg(vbar_el2, fn == BENCH_SMC_BARE_ON ? (u64)bench_bare_vectors
						       : (u64)bench_ws_vectors);
	isb();
}
