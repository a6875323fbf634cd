/* SPDX-License-Identifier: MIT */
/*
 * Helpers for the stage-2 table and page-ownership unit tests
 * (tests/unit/test_pt.c, tests/unit/test_s2page.c).
 */
#ifndef PT_SUPPORT_H
#define PT_SUPPORT_H

#include <corevisor/hosted.h>
#include <hosted_internal.h>
#include <cv/types.h>

/* A fresh default machine, console captured, this thread CPU 0. */
void pts_boot(void);
/* The same with the hosted GIC and/or SMMUv3, and vmids 1..@vms registered
 * (a free vmid may own nothing: vm_free). */
void pts_boot_devices(bool gic, bool smmuv3, u32 vms);

/* Every invariant holds (core/inv), else the test fails naming it. */
void pts_expect_inv(void);
/* The host's 8-byte store at @pa (through its stage 2). */
bool pts_host_w64(u64 pa, u64 v);

/* The core halted with a reason naming @who and containing @what. */
void pts_expect_halt(const char *who, const char *what);
void pts_expect_running(void);

/* Halt the core on purpose (for the halted no-op tests). */
void pts_force_halt(void);

/* pfn / pa of host RAM page @n, and of an MMIO page (in no region). */
u64 pts_ram_pfn(u64 n);
u64 pts_ram_pa(u64 n);
#define PTS_MMIO_PA 0x09000000ULL

/* Ownership as stored (also after a halt); INVALID for a pfn in no region. */
u32 pts_owner(u64 pfn);
u32 pts_count(u64 pfn);
u64 pts_gfn(u64 pfn);
/* Set ownership directly (PageManager under the lock) to stage a case. */
void pts_set_page(u64 pfn, u32 owner, u32 count, u64 gfn);

/* The leaf the MMU finds for @addr in @vmid's table (valid or not). */
struct cv_translation pts_translate(u32 vmid, u64 addr);
/* True when @vmid's table maps @addr to @pa at @level. */
bool pts_maps(u32 vmid, u64 addr, u64 pa, u32 level);

/* The raw u64 at physical address @pa (simulated memory). */
u64 pts_phys64(u64 pa);
void pts_fill_page(u64 pfn, u8 byte);
bool pts_page_is(u64 pfn, u8 byte);

struct cv_hosted_counters pts_counters(void);

#endif
