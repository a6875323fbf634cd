/* SPDX-License-Identifier: MIT */
/*
 * What host/vmm (the VM management) needs from the machine it runs on.
 * Two platforms implement it: the bare-metal EL1 host (host/platform) and
 * the Linux kernel module (host/linux, built when __KERNEL__ is defined),
 * so the same host/vmm sources build into both and use nothing else.
 */
#ifndef HOST_PLATFORM_H
#define HOST_PLATFORM_H

#ifdef __KERNEL__
#include "platform_linux.h" /* host/linux */
#else
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

/* PSCI through SMC (trapped by corevisor). */
s64 psci_cpu_on(u64 mpidr, u64 entry, u64 ctx);
void psci_system_off(void) __attribute__((noreturn));
void psci_cpu_off(void) __attribute__((noreturn));
s64 psci_affinity_info(u64 mpidr); /* 0 on, 1 off, 2 on pending */

void host_fail(const char *fmt, ...)
	__attribute__((noreturn, format(printf, 1, 2)));

/*
 * Test hooks for the host's FP/SIMD state across a hypercall: fill V0-V31,
 * FPCR and FPSR with values derived from @seed; the number of them that
 * no longer hold those values (0: all kept). HOST_FP_CHECK says whether
 * host/vmm checks them around its hypercalls (Linux's kernel code may
 * not use FP/SIMD registers there).
 */
#define HOST_FP_CHECK 1
void host_fp_fill(u64 seed);
u32 host_fp_changed(u64 seed);

/* This CPU's index (the CPU_ON context for secondaries, 0 for the boot). */
u32 host_cpu(void);

/*
 * Physical memory the bare-metal host may give away: @size bytes aligned
 * to @align (a power of two); 0 when none is left. Its MMU is off, so a
 * physical address is also its pointer.
 */
u64 host_phys_alloc(u64 size, u64 align);
/*
 * Where host_phys_alloc stands, and back there: everything allocated
 * since is free again (the caller made sure nothing uses it: a destroyed
 * VM's memory).
 */
u64 host_phys_mark(void);
void host_phys_release(u64 mark);
static inline void *host_phys_ptr(u64 pa)
{
	return (void *)pa;
}

/*
 * Signed guest images the loader left in host memory (the runner's
 * --guest, tests/qemu/run.py): where, how big, how many vCPUs.
 */
struct host_guest_image {
	u64 addr;
	u64 size;
	u32 nvcpus;
	u32 flags; /* HOST_GUEST_DATA: another image of the VM before it */
	char name[16];
};
#define HOST_GUEST_DATA 1U
/* The images, or NULL (*count = 0) when the loader left none. */
const struct host_guest_image *host_guest_images(u32 *count);
#endif

#define HOST_PAGE_SIZE 4096ULL

struct vmm_vm;
struct vmm_vcpu;

/* One hypercall to corevisor: HVC #0, x0 = @nr, x1..x5, result in x0. */
u64 hvc(u64 nr, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5);

/* Console (bare metal: the PL011; Linux: the kernel log). */
void host_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Memory for a VM, remembered by the platform so it can take it back:
 * the image's block (@size bytes, physically contiguous, 2 MiB aligned)
 * and zeroed pages for RAM faults. Physical addresses; 0 when there is
 * none. host_phys_ptr(pa) is the host's pointer to either.
 */
u64 host_vm_block(struct vmm_vm *vm, u64 size);
u64 host_vm_page(struct vmm_vm *vm);

/* The shared vCPU area [@pa, @pa + @size): the host's pointer, or NULL. */
void *host_shared_map(u64 pa, u64 size);

/* Vcpu @v became runnable (a guest's PSCI CPU_ON): wake its runner. */
void host_vcpu_wake(struct vmm_vcpu *v);

#endif
