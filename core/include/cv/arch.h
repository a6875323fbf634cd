/* SPDX-License-Identifier: MIT */
/*
 * The arch contract: everything core/ needs from the machine. arch/hosted
 * (a Linux process simulating the machine) and arch/aarch64 (EL2 on QEMU
 * virt) each implement all of it; core/ never asks which one it runs on.
 */
#ifndef CV_ARCH_H
#define CV_ARCH_H

#include <cv/types.h>

/* Index of the physical CPU running this code, 0 .. TOTAL_CPU-1. */
u32 arch_cpu_id(void);

/*
 * The core's pointer to physical address @pa. At EL2 the core maps all of
 * memory it manages one to one; the hosted machine returns the backing of
 * its simulated physical memory. Returns NULL for an address that is not
 * memory (callers check before any access the host could steer).
 */
void *arch_phys_to_virt(u64 pa);

/* Busy-wait hint inside lock spins. */
void arch_cpu_relax(void);

/*
 * Make page-table stores visible to the table walkers, then drop stale
 * translations. The core calls these after every unmap or change of a
 * valid entry of principal @vmid (COREVISOR: the core's own table).
 */
void arch_pt_sync(void);
void arch_tlb_flush_ipa(u32 vmid, u64 ipa);
void arch_tlb_flush_vmid(u32 vmid);
void arch_smmu_tlb_flush(u32 index, u32 cbndx);

/*
 * The fail-stop: called once, with the global halt flag already set and
 * @reason formatted. At EL2 it prints the reason and stops the machine (it
 * does not return); the hosted machine records it and returns, after which
 * every core entry is a no-op.
 */
void arch_halt(const char *reason);

/*
 * Stop this CPU for good: the core halted while this CPU was waiting for a
 * lock that the panicking CPU will never pass on. At EL2 the CPU parks; the
 * hosted machine ends the CPU's thread. Does not return.
 */
void arch_cpu_stop(void) __attribute__((noreturn));

/* Console output for the core's own messages (boot log, panic reason). */
void arch_console_write(const char *s);

#endif
