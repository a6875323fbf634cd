/* SPDX-License-Identifier: MIT */
/*
 * The host's bare-metal platform (host/platform): what host/vmm may use.
 * A later stage replaces this with Linux (a kernel module's view of the
 * same calls), so host/vmm uses nothing else.
 */
#ifndef HOST_PLATFORM_H
#define HOST_PLATFORM_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h> /* lib/baremetal */

typedef uint8_t u8;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t s64;

#define HOST_MAX_CPUS 8
#define HOST_PAGE_SIZE 4096ULL

/* One hypercall to corevisor: HVC #0, x0 = @nr, x1..x5, result in x0. */
u64 hvc(u64 nr, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5);

/* PSCI through SMC (trapped by corevisor). */
s64 psci_cpu_on(u64 mpidr, u64 entry, u64 ctx);
void psci_system_off(void) __attribute__((noreturn));
void psci_cpu_off(void) __attribute__((noreturn));
s64 psci_affinity_info(u64 mpidr); /* 0 on, 1 off, 2 on pending */

/* Console. */
void host_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void host_fail(const char *fmt, ...)
	__attribute__((noreturn, format(printf, 1, 2)));

/*
 * Test hooks for the host's FP/SIMD state across a hypercall: fill V0-V31,
 * FPCR and FPSR with values derived from @seed; the number of them that
 * no longer hold those values (0: all kept).
 */
void host_fp_fill(u64 seed);
u32 host_fp_changed(u64 seed);

/* This CPU's index (the CPU_ON context for secondaries, 0 for the boot). */
u32 host_cpu(void);

/*
 * Physical memory the host may give away (VM images, pages a VM faults
 * on): @size bytes aligned to @align (a power of two), zero-filled
 * contents not guaranteed; 0 when none is left. The bare-metal host runs
 * with its MMU off, so a physical address is also its pointer
 * (host_phys_ptr); Linux would use alloc_pages and page_address.
 */
u64 host_phys_alloc(u64 size, u64 align);
static inline void *host_phys_ptr(u64 pa)
{
	return (void *)pa;
}

/*
 * Signed guest images the loader left in host memory (the runner's
 * --guest, tests/qemu/run.py): where, how big, how many vCPUs. Linux would
 * read files from user space instead.
 */
struct host_guest_image {
	u64 addr;
	u64 size;
	u32 nvcpus;
	u32 flags;
	char name[16];
};
/* The images, or NULL (*count = 0) when the loader left none. */
const struct host_guest_image *host_guest_images(u32 *count);

#endif
