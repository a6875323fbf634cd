/* SPDX-License-Identifier: MIT */
/*
 * What corevisor's sample guests share (guest/common): a bare-metal EL1
 * program in a VM whose devices the host emulates.
 *
 * The guest's view of the machine (IPAs; docs/el2-port.md "Guests"):
 *   0x09000000  PL011 UART (DR, FR): MMIO exits the host emulates
 *   0x09010000  test device: a write of TESTDEV_EVENT reports an event to
 *               the host, a read of TESTDEV_ID returns the host's id
 *   >= 1 GiB    RAM: the signed image at its load address (2 MiB block
 *               mapped at verification), any other page on first touch
 *               (a stage-2 fault the host resolves by offering a page)
 * PSCI through HVC: SYSTEM_OFF, CPU_ON, CPU_OFF, AFFINITY_INFO. vCPU 0
 * starts at _start (the signed image's entry); another vCPU only where
 * a CPU_ON of this guest says, also again after its CPU_OFF.
 */
#ifndef GUEST_H
#define GUEST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h> /* lib/baremetal */

typedef uint8_t u8;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t s64;

#define GUEST_UART 0x09000000UL
#define GUEST_TESTDEV 0x09010000UL
#define TESTDEV_EVENT 0x00 /* write: event number for the host */
#define TESTDEV_ID 0x08	   /* read: 0x43565444 ("CVTD") */
#define TESTDEV_ID_VALUE 0x43565444U

#define GUEST_EVENT_SECRET_STORED 1 /* vault: the secret page is written */

#define PAGE_SIZE 4096UL
#define GUEST_MAX_VCPUS 4

/* guest/common/start.S */
void secondary_entry(u64 ctx);

/* guest/common/lib.c */
void guest_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void guest_event(u64 event);
u32 guest_testdev_id(void);
void guest_mmu_enable(void);
u32 guest_cpu(void);
void guest_fail(const char *fmt, ...)
	__attribute__((noreturn, format(printf, 1, 2)));

/* SMCCC calls: HVC #0 (the VM's PSCI conduit) and SMC #0. */
u64 guest_hvc(u64 fn, u64 a1, u64 a2, u64 a3);
u64 guest_smc(u64 fn, u64 a1, u64 a2, u64 a3);
#define PSCI_VERSION 0x84000000ULL

/* PSCI through HVC #0 (the VM's conduit). */
s64 psci_cpu_on(u64 mpidr, u64 entry, u64 ctx);
/* 0: on, 1: off, 2: on pending (the host's answer) */
s64 psci_affinity_info(u64 mpidr);
void psci_cpu_off(void) __attribute__((noreturn));
void psci_system_off(void) __attribute__((noreturn));

/* The program's own parts (guest/<name>/main.c). */
void guest_main(void);
void guest_secondary_main(u64 ctx);
extern const char guest_name[];

static inline void wfe(void)
{
	__asm__ volatile("wfe" ::: "memory");
}

static inline void wfi(void)
{
	__asm__ volatile("wfi" ::: "memory");
}

static inline void sev(void)
{
	__asm__ volatile("dsb ish; sev" ::: "memory");
}

static inline u64 read_cntvct(void)
{
	u64 v;

	__asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v));
	return v;
}

#endif
