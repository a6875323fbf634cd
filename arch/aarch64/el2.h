/* SPDX-License-Identifier: MIT */
/*
 * arch/aarch64 internals: what the boot path, the trap handlers and the
 * arch contract (cv/arch.h) share. Nothing in core/ includes this.
 */
#ifndef ARCH_EL2_H
#define ARCH_EL2_H

#include <corevisor/constants.h>
#include <cv/state.h>
#include <cv/types.h>

#define EL2_STACK_SIZE 32768
#define EL2_STACK_SIZE_SHIFT 15

/*
 * Registers saved on the EL2 stack by an exception entry (entry.S
 * el2_trap_common). The host's HVC saves only x0..x18 and x30 in the same
 * space (x0..x5 where this puts them: host_hvc_dispatch's arguments).
 */
struct el2_frame {
	u64 x[31];
	u64 sp_el0_unused;
	u64 elr;
	u64 spsr;
};
#define EL2_FRAME_SIZE (34 * 8)

/* FP/SIMD registers (entry.S el2_fpsimd_save/restore; fpsimd.c). */
struct el2_fpsimd {
	u64 v[64]; /* V0..V31, 16 bytes each */
	u64 fpsr;
	u64 fpcr;
} __attribute__((aligned(16)));
void el2_fpsimd_save(struct el2_fpsimd *st);
void el2_fpsimd_restore(const struct el2_fpsimd *st);

/* What the DTB told us about the board (fdt.c). */
#define EL2_MAX_CPUS TOTAL_CPU
struct platform {
	u64 dtb_pa;
	u64 dtb_size;
	u32 nregions;
	struct memblock regions[MAX_MEMBLOCK_NUM];
	u64 uart_base;
	u64 gicd_base, gicd_size;
	u64 gicr_base, gicr_size; /* GICv3 redistributors, or GICC for v2 */
	u32 gic_version;
	bool psci_smc; /* PSCI conduit: SMC (else HVC, which EL2 cannot use) */
	u32 ncpus;
	u64 mpidr[EL2_MAX_CPUS];
	u64 host_entry; /* /chosen corevisor,host-entry */
	u32 nkeys;
	u8 keys[CV_MAX_TRUSTED_KEYS][CV_KEY_BYTES];
	bool have_aead_key;
	u8 aead_key[CV_KEY_BYTES];
	u32 rng_seed_len;
	u8 rng_seed[64];
	u64 smmuv3_base, smmuv3_size; /* "arm,smmu-v3"; 0: none */
	u64 its_base;		      /* "arm,gic-v3-its"; 0: none */
};
extern struct platform plat;

/* Linker-script symbols: the EL2 image in physical memory. */
extern char __image_start[], __image_end[], __text_start[], __text_end[];
extern char __rodata_end[];
extern char __bss_start[], __bss_end[], __stacks_start[], __stacks_end[];

/* entry.S */
void el2_secondary_entry(u64 cpu);
void el2_enter_el1(u64 entry, u64 x0) __attribute__((noreturn));
void semihost_exit(u64 code) __attribute__((noreturn));
extern char el2_vectors[];

/* fdt.c: fill `plat` from the DTB at @dtb; panics on a broken one. */
void platform_parse_dtb(u64 dtb);
/* Erase the secret keys from the DTB before the host may read it. */
void platform_scrub_dtb(void);
/* Add /reserved-memory nodes for corevisor's memory and the shared area. */
void platform_reserve_for_host(u64 core_base, u64 core_end, u64 shared_base,
			       u64 shared_size, u64 limit);

/* random.c: seed libsodium's randombytes_buf (from /chosen rng-seed). */
void random_seed(const u8 *seed, u32 len);

/* uart.c */
void uart_init(u64 base);
void uart_puts(const char *s);
/* arch.c: the console's line lock; @spins 0 waits for good. */
bool el2_console_acquire(u32 spins);
void el2_console_release(void);

/*
 * halt.c: the fail-stop. el2_park parks this CPU at EL2 for good (the
 * last CPU to park ends the machine); every EL2 path back to EL1 calls it
 * once the core has halted (entry.S, switch.S: el2_park_if_halted).
 * el2_cpu_online / el2_cpu_offline count the CPUs a halt must stop (PSCI
 * CPU_ON / CPU_OFF); el2_gic_cpu_init lets the halt's FIQ reach this CPU.
 */
void el2_park(void) __attribute__((noreturn));
void el2_cpu_online(void);
void el2_cpu_offline(void);
void el2_gic_cpu_init(void);
/* entry.S: the semihosting exit's HLT (el2_trap: without semihosting). */
extern char semihost_hlt[];

/* smmuv3.c: program and enable the SMMUv3, if the board has one. */
void smmuv3_boot(void);

/* mmu.c */
void mmu_boot_enable(void);
void mmu_secondary_enable(void);
void mmu_switch_to_core_table(void);
/* The PA size (ID_AA64MMFR0_EL1.PARange) and the stage-2 IPA size. */
u32 mmu_pa_bits(void);
u32 mmu_ipa_bits(void);
u64 mmu_vtcr(void);

/* psci.c */
#define PSCI_VERSION 0x84000000U
#define PSCI_CPU_OFF 0x84000002U
#define PSCI_CPU_ON 0xc4000003U
#define PSCI_CPU_ON_32 0x84000003U
#define PSCI_AFFINITY_INFO 0xc4000004U
#define PSCI_AFFINITY_INFO_32 0x84000004U
#define PSCI_MIGRATE_INFO_TYPE 0x84000006U
#define PSCI_SYSTEM_OFF 0x84000008U
#define PSCI_SYSTEM_RESET 0x84000009U
#define PSCI_FEATURES 0x8400000aU
#define PSCI_CPU_SUSPEND 0xc4000001U
#define PSCI_CPU_SUSPEND_32 0x84000001U
#define PSCI_SYSTEM_SUSPEND 0xc400000eU
#define PSCI_SYSTEM_SUSPEND_32 0x8400000eU
/* SMCCC architecture calls (Arm DEN0028). */
#define SMCCC_VERSION 0x80000000U
#define SMCCC_ARCH_FEATURES 0x80000001U
#define SMCCC_ARCH_WORKAROUND_1 0x80008000U
#define SMCCC_ARCH_WORKAROUND_2 0x80007fffU
#define SMCCC_ARCH_WORKAROUND_3 0x80003fffU
#define SMCCC_VERSION_1_1 0x10001U
#define PSCI_RET_NOT_SUPPORTED (-1LL)
#define PSCI_RET_INVALID_PARAMS (-2LL)
#define PSCI_RET_ALREADY_ON (-4LL)
#define PSCI_RET_INTERNAL_FAILURE (-6LL)
u64 psci_call(u64 fn, u64 a1, u64 a2, u64 a3);
void psci_system_off(void) __attribute__((noreturn));
/* Start physical CPU @cpu at corevisor's entry, then at EL1 @entry(@ctx). */
s64 el2_cpu_on(u32 cpu, u64 entry, u64 ctx);
/* A host SMC (HCR_EL2.TSC): PSCI is proxied, everything else refused. */
void host_smc(struct el2_frame *f);
/*
 * Ask the firmware, once at boot, which SMCCC version and which
 * ARCH_WORKAROUNDs it has (the host's queries are answered from that).
 */
void smccc_probe(void);
/* CPU index of @mpidr, or INVALID. */
u32 cpu_index_of_mpidr(u64 mpidr);

/*
 * vcpu.c: record this CPU's host EL2 controls (VTTBR_EL2, MDCR_EL2,
 * VMPIDR_EL2) for the world switch; host_enter calls it once they are set.
 */
void el2_vcpu_cpu_init(void);
/* vgic.c: this CPU's redistributor and the virtual interface's size. */
void el2_vgic_cpu_init(void);

/* host.c: the per-CPU switch to the host at EL1. */
void host_enter(u32 cpu, u64 entry, u64 x0) __attribute__((noreturn));
void host_print_config(void);

/* Clean [p, p + n) to the point of coherency (a CPU with its MMU off). */
static inline void dcache_clean_range(const void *p, u64 n)
{
	u64 a = (u64)p & ~63ULL, end = (u64)p + n;

	for (; a < end; a += 64)
		__asm__ volatile("dc cvac, %0" : : "r"(a) : "memory");
	__asm__ volatile("dsb sy" ::: "memory");
}

/* Fatal error in arch code: core panic with @fmt's reason, never returns. */
void el2_fatal(const char *fmt, ...)
	__attribute__((noreturn, format(printf, 1, 2)));

#endif
