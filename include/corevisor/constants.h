/* SPDX-License-Identifier: MIT */
/*
 * The spec's constants (../shared/spec/Constants.md), as C.
 *
 * Limits keep the spec's values. The page-table pool geometry is a
 * build-time parameter (the spec's values are the defaults; the EL2 build
 * on a 1 GiB QEMU board overrides them with smaller pools). Hardware
 * encodings that the spec leaves as placeholders live in pte.h instead.
 */
#ifndef COREVISOR_CONSTANTS_H
#define COREVISOR_CONSTANTS_H

#define INVALID 0xffffffffU
#define INVALID64 0xffffffffffffffffULL

/* Ranges */
#define KVM_PHYS_SIZE (1ULL << 40)
#define KVM_ADDR_SPACE (1ULL << 48)
#define KVM_PFN_SPACE (1ULL << 28)
#define KVM_GFN_SPACE (1ULL << 36)

/* Principals. vmid 1..15 are VMs. */
#define HOSTVISOR 0U
#define COREVISOR 16U
#define MAX_VM_NUM 15U
#define NUM_PRINCIPALS 17U /* HOSTVISOR..COREVISOR: one stage-2 table each */
#define VCPU_PER_VM 8U
#define MAX_LOAD_INFO_NUM 5U
#define MAX_MEMBLOCK_NUM 32U
#define MAX_S2PAGE_NUM 16777216ULL
#define MAX_SHARE_COUNT 100U
#define CTXT_POOL_SIZE 136U /* NUM_PRINCIPALS * VCPU_PER_VM */
#define TOTAL_CPU 8U

/*
 * Page geometry. A Linux kernel build (the KServ module, host/linux) has
 * the same values from its own headers.
 */
#ifndef __KERNEL__
#define PAGE_SHIFT 12
#define PAGE_SIZE 4096ULL
#define PMD_SHIFT 21
#define PMD_SIZE (1ULL << PMD_SHIFT)
#define PTRS_PER_PMD 512ULL
#define PUD_SHIFT 30
#define PGDIR_SHIFT 39
#endif
#define PMD_PAGE_NUM 512ULL

/*
 * The corevisor's remap area, in its own (COREVISOR) address space. The
 * spec's REMAP_SIZE is 32 MiB; corevisor's is 64 MiB, so that Debian's
 * arm64 kernel Image (33 MB) and its initramfs fit as the images of one
 * VM (docs/spec-deviations.md). It ends below QEMU virt's GIC (0x08000000).
 */
#define REMAP_START 0x2000000ULL
#define REMAP_SIZE 0x4000000ULL
#define REMAP_END (REMAP_START + REMAP_SIZE)

/*
 * Stage-2 page-table pool of one VM, and of the core's own table (PTAlloc):
 * the root page at offset 0, level-1 tables ("pgd pages") from PGD_OFFSET,
 * level-2 tables ("pud pages") from PUD_OFFSET, level-3 tables ("pmd
 * pages") from PMD_OFFSET up to PT_POOL_PER_VM. Allocation past a region
 * panics.
 */
#ifndef PT_POOL_PER_VM
#define PT_POOL_PER_VM 33554432ULL
#endif
#ifndef PGD_OFFSET
#define PGD_OFFSET 4096ULL
#endif
#ifndef PUD_OFFSET
#define PUD_OFFSET 1052672ULL
#endif
#ifndef PMD_OFFSET
#define PMD_OFFSET 9441280ULL
#endif

/*
 * The host's pool (HOSTVISOR) has the same four areas but is sized at boot
 * from the memory map (host_pool_geometry, core/pt): one table per 512 GiB,
 * 1 GiB and 2 MiB of the address space that RAM regions touch, at each
 * level, plus these tables for the host's MMIO (device pages, mapped 4 KiB
 * at a time wherever the host touches them outside RAM).
 */
#ifndef HOST_MMIO_PGD_PAGES
#define HOST_MMIO_PGD_PAGES 8ULL
#endif
#ifndef HOST_MMIO_PUD_PAGES
#define HOST_MMIO_PUD_PAGES 32ULL
#endif
#ifndef HOST_MMIO_PMD_PAGES
#define HOST_MMIO_PMD_PAGES 128ULL
#endif

/*
 * Builds with CV_VM_POOLS_FROM_RAM (the EL2 image, mk/aarch64.mk) size the
 * pools of the VMs and of the core at boot from the RAM the memory map
 * describes instead (vm_pool_geometry, core/pt): the same four areas, one
 * table per 512 GiB, 1 GiB and 2 MiB of RAM at each level (enough for a
 * VM given all of it, mapped page by page), plus these tables for the
 * VM's MMIO and for RAM runs that do not fill their 2 MiB (and, in the
 * core's table, the remap area: 32 level-3 tables).
 */
#ifndef VM_MMIO_PGD_PAGES
#define VM_MMIO_PGD_PAGES 4ULL
#endif
#ifndef VM_MMIO_PUD_PAGES
#define VM_MMIO_PUD_PAGES 8ULL
#endif
#ifndef VM_MMIO_PMD_PAGES
#define VM_MMIO_PMD_PAGES 64ULL
#endif

/*
 * SMMU page-table pool (MmioPTAlloc), offsets from the pool base: one
 * two-page root per (smmu, context bank) from 0, level-2 tables from
 * SMMU_PGD_OFFSET, level-3 tables from SMMU_PMD_OFFSET to SMMU_POOL_BYTES.
 * (Spec: SMMU_POOL_START 65536, SMMU_PGD_START 1114112, SMMU_PMD_START
 * 2162688, SMMU_POOL_END 3211264.)
 */
#ifndef SMMU_PGD_OFFSET
#define SMMU_PGD_OFFSET 1048576ULL
#endif
#ifndef SMMU_PMD_OFFSET
#define SMMU_PMD_OFFSET 2097152ULL
#endif
#ifndef SMMU_POOL_BYTES
#define SMMU_POOL_BYTES 3145728ULL
#endif
#define SMMU_NUM 2U
#define SMMU_NUM_CTXT_BANKS 8U
#define EL2_SMMU_CFG_SIZE 16U

/* VM and vCPU states (StateInfo.vm_state, vm_vcpu_state). */
#define UNUSED 0U
#define MAPPED 1U
#define READY 2U
#define VERIFIED 3U
#define POWEROFF 4U
#define ACTIVE 5U

#define ctxt_id(vmid, vcpuid) ((vmid)*VCPU_PER_VM + (vcpuid))
#define smmu_id(index, cbndx) ((index)*SMMU_NUM_CTXT_BANKS + (cbndx))

#define is_vm(vmid) ((vmid) > HOSTVISOR && (vmid) < COREVISOR)
#define is_vmid(vmid) ((vmid) <= COREVISOR)
#define is_vcpu(vcpuid) ((vcpuid) < VCPU_PER_VM)
#define is_addr(a) ((a) < KVM_ADDR_SPACE)
#define is_paddr(a) ((a) < KVM_PHYS_SIZE)
#define is_pfn(p) ((p) < KVM_PFN_SPACE)
#define is_gfn(g) ((g) < KVM_GFN_SPACE)
#define is_load_idx(i) ((i) < MAX_LOAD_INFO_NUM)
#define is_smmu(i) ((i) < SMMU_NUM)
#define is_smmu_cfg(i) ((i) < SMMU_NUM_CTXT_BANKS)
#define is_smmu_addr(a) ((a) < (1ULL << 40))
#define is_count(c) ((c) <= MAX_SHARE_COUNT)

#endif
