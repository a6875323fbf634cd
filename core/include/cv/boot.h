/* SPDX-License-Identifier: MIT */
/*
 * VM boot and management (core/boot): VMPower, BootCore, BootAux, BootOps.
 * Every function takes its own locks and checks every argument the host
 * controls; a bad one panics with a reason naming the call and the value.
 */
#ifndef CV_BOOT_H
#define CV_BOOT_H

#include <cv/types.h>

/* VMPower */
void set_vm_poweroff(u32 vmid);
u32 get_vm_poweron(u32 vmid);
/* corevisor: set_vcpu_active, or 0 (no change) if the VM is powered off. */
u32 set_vcpu_active_unless_off(u32 vmid, u32 vcpuid);

/*
 * corevisor: where vCPUs start (vmpower.c). vcpu_mpidr is MPIDR_EL1 of a
 * vCPU; MPIDR_AFF_MASK its affinity fields (Aff3..Aff0).
 */
#define MPIDR_AFF_MASK 0xff00ffffffULL
u64 vcpu_mpidr(u32 vcpuid);
u32 vcpu_power_on(u32 vmid, u64 mpidr, u64 entry, u64 context);
void vcpu_power_off(u32 vmid, u32 vcpuid);
bool vcpu_take_start(u32 vmid, u32 vcpuid, u64 *pc, u64 *x0);

/* BootCore */
u32 gen_vmid(void);
u64 alloc_remap_addr(u64 pgnum);
/* corevisor: what destroy_vm frees (bootcore.c). */
void free_vmid(u32 vmid);
void free_remap_addr(u64 remap, u64 pgnum);

/*
 * corevisor: destroy VM @vmid (destroy.c; HVC_DESTROY_VM). Returns
 * CV_DESTROY_* (include/corevisor/abi.h).
 */
u64 destroy_vm(u32 vmid, u64 flags);
/* A VM's SMMUv3 streams (core/boot/vstream.c, abi.h): CV_V3_*. */
u64 smmuv3_attach(u32 sid, u32 vmid);
u64 smmuv3_map(u32 vmid, u64 iova, u64 pfn);
u64 smmuv3_unmap(u32 vmid, u64 iova);

/*
 * corevisor: whole-VM snapshot and restore (snapshot.c; abi.h
 * HVC_SNAPSHOT_*, HVC_RESTORE_*, HVC_BOOT_FROM_SAVED_VM). Each returns
 * CV_SNAP_*.
 */
u64 snapshot_begin(u32 vmid);
u64 snapshot_page(u32 vmid, u64 out);
u64 snapshot_vcpu(u32 vmid, u32 vcpuid, u64 out);
u64 snapshot_end(u32 vmid, u64 out);
u64 restore_begin(u32 vmid, u64 manifest);
u64 restore_page(u32 vmid, u64 blob);
u64 restore_vcpu(u32 vmid, u32 vcpuid, u64 blob);
u64 boot_from_saved_vm(u32 vmid);
/* The caller holds the VM's info lock: its pages change (ends a snapshot). */
void snapshot_cancel(u32 vmid);
/* The caller holds the VM's info lock: false (panic) while it restores. */
bool snapshot_allows_run(u32 vmid, const char *who);

/* BootAux */
void unmap_and_load_vm_image(u32 vmid, u64 target_addr, u64 remap_addr,
			     u64 num);

/* BootOps */
u64 search_load_info(u32 vmid, u64 addr);
void set_vcpu_active(u32 vmid, u32 vcpuid);
void set_vcpu_inactive(u32 vmid, u32 vcpuid);
void register_vcpu(u32 vmid, u32 vcpuid);
u32 register_kvm(void);
u32 set_boot_info(u32 vmid, u64 load_addr, u64 size);
void remap_vm_image(u32 vmid, u64 pfn, u32 load_idx);
void verify_and_load_images(u32 vmid);
void alloc_smmu(u32 vmid, u32 cbndx, u32 index);
void assign_smmu(u32 vmid, u64 pfn, u64 gfn);
void map_smmu(u32 vmid, u32 cbndx, u32 index, u64 iova, u64 pte);
void clear_smmu(u32 vmid, u32 cbndx, u32 index, u64 iova);
void map_io(u32 vmid, u64 gpa, u64 pa);
u32 is_inc_exe(u32 vmid);
void save_encrypted_vcpu(u32 vmid, u32 vcpuid);
void load_encrypted_vcpu(u32 vmid, u32 vcpuid);
void save_encrypt_buf(u32 vmid, u64 inbuf, u64 outbuf);
void load_decrypt_buf(u32 vmid, u64 inbuf);

/* corevisor: the VM's memory map (core/boot/memmap.c, abi.h). */
void set_vm_region(u32 vmid, u64 base, u64 size, u32 kind);
/* CV_REGION_RAM, CV_REGION_MMIO, or 0: nothing is at @ipa. */
u32 vm_ipa_kind(u32 vmid, u64 ipa);
/* [@base, @base + @size) lies in one RAM region (true without a map). */
bool vm_ram_covers(u32 vmid, u64 base, u64 size);

/* AbstractMachine primitives BootOps builds on. */
u32 verify_image(u32 vmid, u64 addr);
u64 get_shared_kvm(u32 vmid);
u64 get_shared_vcpu(u32 vmid, u32 vcpuid);

#endif
