/* SPDX-License-Identifier: MIT */
/*
 * corevisor's hypercall ABI: HVC #0 with x0 = number, x1..x5 = arguments;
 * the result comes back in x0. Numbering follows SeKVM's C implementation
 * (../shared/spec/README.md); numbers not listed there are corevisor's own.
 */
#ifndef COREVISOR_ABI_H
#define COREVISOR_ABI_H

#define HVC_ENABLE_S2_TRANS 6
#define HVC_TIMER_SET_CNTVOFF 7
#define HVC_VCPU_RUN 8
#define HVC_CLEAR_VM_S2_RANGE 9
#define HVC_SET_BOOT_INFO 10
#define HVC_REMAP_VM_IMAGE 11
#define HVC_VERIFY_VM_IMAGES 12
#define HVC_REGISTER_KVM 13
#define HVC_REGISTER_VCPU 14
#define HVC_BOOT_FROM_SAVED_VM 19 /* corevisor: snapshot restore, below */
#define HVC_ENCRYPT_BUF 20
#define HVC_DECRYPT_BUF 21
#define HVC_SAVE_CRYPT_VCPU 22
#define HVC_SMMU_FREE_PGD 23
#define HVC_SMMU_ALLOC_PGD 24
#define HVC_SMMU_LPAE_MAP 25
#define HVC_SMMU_LPAE_IOVA_TO_PHYS 26
#define HVC_SMMU_CLEAR 27
#define HVC_PHYS_ADDR_IOREMAP 28
#define HVC_LOAD_CRYPT_VCPU 29

/* corevisor's own calls (free numbers). */
#define HVC_IS_INC_EXE 30  /* x1 = vmid; returns vm_inc_exe */
#define HVC_MAP_IO 31	   /* x1 = vmid, x2 = gpa, x3 = pa */
#define HVC_ASSIGN_SMMU 32 /* x1 = vmid, x2 = pfn, x3 = gfn */
/*
 * Retired: it made a vCPU ACTIVE with no run behind it, which nothing
 * could undo (VCPU_RUN and CLEAR_VM_S2_RANGE then panicked). VCPU_RUN
 * makes a vCPU ACTIVE for exactly its run. The number is not served
 * (INVALID64, like any unknown number) and is never reused.
 */
#define HVC_VCPU_ACTIVE 33
#define HVC_NOOP 34 /* returns 0: the bare round trip */
/*
 * Returns the physical base of the shared kvm/vcpu area (vcpu_abi.h), the
 * host memory where VCPU_RUN's exit details and answers live.
 */
#define HVC_GET_SHARED_BASE 35

/*
 * VM lifecycle: numbers 36..45 (36 used).
 *
 * DESTROY_VM x1 = vmid, x2 = flags (CV_DESTROY_FORCE or 0). A powered-off
 * VM (or, with CV_DESTROY_FORCE, one in any state) whose vCPUs are all
 * stopped is destroyed: its SMMU context banks are freed and emptied,
 * every page it owns is zeroed and given back to the host, its stage-2
 * table and TLB entries, vCPU contexts, run state and image windows are
 * wiped, its sealed-state lineage is retired, and its vmid is free for
 * the next REGISTER_KVM. Returns CV_DESTROY_OK, or (nothing changed)
 * CV_DESTROY_RUNNING while a vCPU of it runs on some CPU, CV_DESTROY_NOT_OFF
 * for a VM not powered off without the flag, CV_DESTROY_NO_VM for a free
 * vmid (destroyed already, or never registered). Any other vmid or flag
 * panics, as every call's bad arguments do.
 */
#define HVC_DESTROY_VM 36
#define CV_DESTROY_FORCE 1ULL
#define CV_DESTROY_OK 0ULL
#define CV_DESTROY_RUNNING 1ULL
#define CV_DESTROY_NOT_OFF 2ULL
#define CV_DESTROY_NO_VM 3ULL

/*
 * Snapshot and restore of a whole VM: numbers 37..45 (37..43 used), and
 * BOOT_FROM_SAVED_VM (19). docs/image-format.md, "Snapshots", has the
 * formats and the protocol; include/corevisor/sealed.h the structures.
 *
 * SNAPSHOT_BEGIN x1 = vmid: a VERIFIED or POWEROFF VM with no vCPU
 *   running starts a snapshot (a fresh snapshot id, bound to the VM's
 *   measurement, instance and current epoch). CV_SNAP_OK.
 * SNAPSHOT_PAGE x1 = vmid, x2 = host page pair (ciphertext at x2, header
 *   at x2 + 4 KiB): the core seals the VM's next page (in physical order,
 *   scanning at most CV_SNAP_SCAN_PAGES page entries per call) there.
 *   CV_SNAP_OK (a blob was written), CV_SNAP_AGAIN (none yet: call again
 *   with the same pages) or CV_SNAP_DONE (every page sealed; no blob).
 * SNAPSHOT_VCPU x1 = vmid, x2 = vcpuid, x3 = one host page: after
 *   CV_SNAP_DONE, each registered vCPU in ascending order. CV_SNAP_OK.
 * SNAPSHOT_END x1 = vmid, x2 = one host page: the sealed manifest (page
 *   count, vCPUs, memory map, virtual counter, digest over every blob's
 *   header). CV_SNAP_OK.
 * RESTORE_BEGIN x1 = vmid, x2 = the manifest's host page: a VERIFIED VM
 *   that never ran, with the same measurement and vCPUs, takes the
 *   snapshot's instance on (policy: docs/image-format.md). CV_SNAP_OK.
 * RESTORE_PAGE x1 = vmid, x2 = host page pair of the next page blob, in
 *   the snapshot's order: the page is restored at its gfn (into the page
 *   the VM maps there, else the ciphertext page becomes the VM's).
 * RESTORE_VCPU x1 = vmid, x2 = vcpuid, x3 = host page of the vCPU blob,
 *   after every page, in ascending vcpuid order.
 * BOOT_FROM_SAVED_VM x1 = vmid: every blob restored and the digest the
 *   manifest's: the VM may run, from the restored state. CV_SNAP_OK.
 *
 * Any other result is a refusal (CV_SNAP_REFUSED_*): for a snapshot, it
 * ends the snapshot and leaves the VM as it was; for a restore after
 * RESTORE_BEGIN, the VM is powered off (its state is partial: it never
 * runs; the host destroys it). A bad vmid or vcpuid, a host page that is
 * not the host's, or a VM running a vCPU meanwhile panics, as for the
 * per-page sealing calls.
 */
#define HVC_SNAPSHOT_BEGIN 37
#define HVC_SNAPSHOT_PAGE 38
#define HVC_SNAPSHOT_VCPU 39
#define HVC_SNAPSHOT_END 40
#define HVC_RESTORE_BEGIN 41
#define HVC_RESTORE_PAGE 42
#define HVC_RESTORE_VCPU 43
#define CV_SNAP_SCAN_PAGES 16384ULL
#define CV_SNAP_OK 0ULL
#define CV_SNAP_AGAIN 1ULL
#define CV_SNAP_DONE 2ULL
/* Refusals. */
#define CV_SNAP_REFUSED_STATE 16ULL    /* wrong VM state or call order */
#define CV_SNAP_REFUSED_STALE 17ULL    /* the instance ran since: old */
#define CV_SNAP_REFUSED_LIVE 18ULL     /* the instance lives in a VM */
#define CV_SNAP_REFUSED_OTHER_VM 19ULL /* measurement / vCPUs differ */
#define CV_SNAP_REFUSED_FORGED 20ULL   /* does not open, or not a blob */
#define CV_SNAP_REFUSED_MIXED 21ULL    /* of another snapshot */
#define CV_SNAP_REFUSED_ORDER 22ULL    /* out of order, or missing */
#define CV_SNAP_REFUSED_DIGEST 23ULL   /* blobs differ from the manifest's */
#define CV_SNAP_REFUSED_GFN 24ULL      /* page outside the VM's RAM */

/*
 * SMMUv3 block: 66-75. HVC_SMMUV3_EVENTS drains the SMMUv3's event queue
 * (each event reported on corevisor's console) and returns how many
 * there were; 0 on a machine without one (cv/stream.h).
 */
#define HVC_SMMUV3_EVENTS 66

/*
 * A VM's SMMUv3 streams: numbers 67..75 (67..69 used; docs/spec-deviations.md,
 * "SMMUv3"). The spec's SMMUv2 context bank owned by a VM becomes one
 * context descriptor per VM (ASID = vmid) whose stage-1 table maps IOVA
 * gfn * 4 KiB to the page the VM owns at that gfn, as update_smmu_page
 * requires of a bank's pages; a stream attached to the VM translates
 * through that table only. Stream IDs 0 .. CV_SMMUV3_STREAMS - 1 (the
 * PCIe requester IDs of bus 0).
 *
 * SMMUV3_ATTACH x1 = stream ID, x2 = vmid: the stream leaves the host's
 *   table for VM x2's (alloc_smmu / assign_smmu's S2CR), or, x2 = 0, goes
 *   back to the host's. Attaching needs a READY VM (registered, not yet
 *   verified nor powered off, as alloc_smmu's lockout) and a stream that
 *   is the host's or already that VM's; detaching needs a stream whose VM
 *   is not VERIFIED (READY or powered off, as el2_free_smmu_pgd).
 * SMMUV3_MAP x1 = vmid, x2 = iova, x3 = pfn: map_smmu. The VM is READY;
 *   the page is the VM's at gfn iova / 4 KiB (the host hands a page over
 *   first with ASSIGN_SMMU, or the VM owns it already); iova is 4 KiB
 *   aligned, below 2^39 and not mapped yet.
 * SMMUV3_UNMAP x1 = vmid, x2 = iova: clear_smmu; the VM is READY or
 *   powered off; an unmapped iova changes nothing.
 *
 * Results: CV_V3_OK, or (nothing changed) CV_V3_NO_SMMUV3 on a machine
 * without one, CV_V3_NO_TABLE when the VMs' stream pool has no page left
 * for a table the call needs. Any other bad argument panics, as the
 * spec's SMMU calls do. Destroying a VM gives its streams back to the
 * host and empties and frees its table before any of its pages moves.
 */
#define HVC_SMMUV3_ATTACH 67
#define HVC_SMMUV3_MAP 68
#define HVC_SMMUV3_UNMAP 69
#define CV_SMMUV3_STREAMS 256U
#define CV_V3_OK 0ULL
#define CV_V3_NO_SMMUV3 1ULL
#define CV_V3_NO_TABLE 2ULL

/*
 * Guest platform calls: 56..65 (docs/guest-platform.md).
 *
 * SET_VM_REGION x1 = vmid, x2 = IPA base, x3 = size, x4 = kind
 * (CV_REGION_RAM or CV_REGION_MMIO): declare the next region of the VM's
 * memory map, before VERIFY_VM_IMAGES (the VM READY). Regions come in
 * ascending order without overlap, base and size 4 KiB aligned, size > 0,
 * base + size at most 2^(the physical address size), at most
 * CV_MAX_VM_REGIONS of them; anything else panics. Once one region is
 * declared, a guest stage-2 abort in an MMIO region is an MMIO exit, in a
 * RAM region a RAM fault the host answers with a page (which must lie in
 * RAM), anywhere else a synchronous external abort the core injects
 * without an exit; each image's 2 MiB blocks must lie in RAM. The map is
 * part of the VM's measurement. With none declared, IPAs below
 * CV_MMIO_LIMIT are MMIO and all others RAM.
 */
#define HVC_SET_VM_REGION 56
#define CV_REGION_RAM 1U
#define CV_REGION_MMIO 2U
#define CV_MAX_VM_REGIONS 8U

/*
 * Arguments of the calls served by the vCPU/trap layers (vcpu_abi.h):
 *  VCPU_RUN           x1 = vmid, x2 = vcpuid; returns CV_EXIT_*.
 *  TIMER_SET_CNTVOFF  x1 = CNTVOFF_EL2 value for this CPU's next VM runs.
 *  CLEAR_VM_S2_RANGE  x1 = vmid (powered off), x2 = physical start,
 *                     x3 = size: its pages in the range go back to the
 *                     host, scrubbed.
 *  PHYS_ADDR_IOREMAP  x1 = vmid, x2 = gpa, x3 = pa, x4 = size: map device
 *                     pages into a VM that is not verified yet.
 */

/*
 * A guest's own hypercalls (HVC #0 from the VM, SMCCC vendor-hypervisor
 * range), served by the core without exiting to the host
 * (core_handle_pvops): x0 = number, x2 = guest IPA, x3 = size; x0 = 0 on
 * return. SHARE grants the host access to the VM's pages in the range
 * (virtio buffers), UNSHARE withdraws it. A range that does not lie below
 * 2^48 (IPA + size) changes nothing and returns
 * CV_GUEST_RET_INVALID_PARAMETER (SMCCC's -3).
 */
#define CV_GUEST_HVC_SHARE 0xc6000001U	 /* spec HVC_KVM_SET_DESC_PFN */
#define CV_GUEST_HVC_UNSHARE 0xc6000002U /* spec HVC_KVM_UNSET_DESC_PFN */
#define CV_GUEST_RET_INVALID_PARAMETER 0xfffffffffffffffdULL /* -3 */

#endif
