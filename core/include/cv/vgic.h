/* SPDX-License-Identifier: MIT */
/*
 * corevisor: the vCPU's GICv3 virtual CPU interface and timers
 * (core/vcpu/vgic.c; the ABI in include/corevisor/vcpu_abi.h).
 */
#ifndef CV_VGIC_H
#define CV_VGIC_H

#include <corevisor/vcpu_abi.h>
#include <cv/types.h>

#define ICH_HCR_EN 1ULL
#define VGIC_MAX_INTID 1020U /* SGIs, PPIs, SPIs; 1020..1023 are special */
#define VGIC_VTIMER_PPI 27U
#define VGIC_PTIMER_PPI 30U
#define VGIC_VTIMER CV_TIMER_VIRT
#define VGIC_PTIMER CV_TIMER_PHYS

/* vgic_sys64's answers. */
#define VGIC_SYS_NOT_MINE 0U
#define VGIC_SYS_DONE 1U
#define VGIC_SYS_SGI 2U
#define VGIC_SYS_UNDEF 3U

void vgic_reset(u32 vmid, u32 vcpuid);
void vgic_take_requests(u32 vmid, u32 vcpuid);
bool vgic_before_entry(u32 vmid, u32 vcpuid);
void vgic_after_exit(u32 vmid, u32 vcpuid);
bool vgic_timer_exit(u32 vmid, u32 vcpuid);
bool vgic_wfi_wakes(u32 vmid, u32 vcpuid);
void vgic_fill_exit(u32 vmid, u32 vcpuid, struct cv_vcpu_run *out);
u32 vgic_sys64(u32 vmid, u32 vcpuid, u64 esr);

#endif
