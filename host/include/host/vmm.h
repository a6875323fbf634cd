/* SPDX-License-Identifier: MIT */
/*
 * The host's VM management (host/vmm): corevisor's hypercall protocol as
 * KServ runs it. Platform-independent: it uses only host/platform.h, so a
 * later stage builds the same logic into a Linux kernel module.
 *
 * A VM's life: vmm_vm_boot (load the signed image into 2 MiB-aligned
 * contiguous host memory, REGISTER_KVM, REGISTER_VCPU, SET_BOOT_INFO,
 * REMAP_VM_IMAGE per page, VERIFY_VM_IMAGES, vCPU 0's first PC), then
 * every host CPU runs vmm_run_cpu: VCPU_RUN on the vCPUs pinned to it and
 * the answer to each exit (include/corevisor/vcpu_abi.h): PL011 and test
 * device emulation, a host page for each RAM fault, guest PSCI, WFI/WFE.
 */
#ifndef HOST_VMM_H
#define HOST_VMM_H

#include <corevisor/vcpu_abi.h>
#include <host/platform.h>

#define VMM_MAX_VMS 8
#define VMM_MAX_VCPUS 4
#define VMM_MAX_PAGES 1024 /* pages offered to one VM, remembered */

/* The guest's devices (guest/common/guest.h). */
#define VMM_UART_IPA 0x09000000ULL
#define VMM_TESTDEV_IPA 0x09010000ULL
#define VMM_TESTDEV_ID 0x43565444ULL

enum vmm_vcpu_state {
	VMM_VCPU_OFF,	   /* not started (PSCI CPU_ON) or CPU_OFF */
	VMM_VCPU_RUNNABLE, /* the host runs it on its CPU */
};

struct vmm_vm;

struct vmm_vcpu {
	struct vmm_vm *vm;
	u32 id;
	u32 cpu; /* the host CPU that runs it */
	u32 state;
	volatile struct cv_vcpu_run *run;
	u64 exits[CV_EXIT_VCPU_OFF + 1]; /* by CV_EXIT_* */
};

struct vmm_vm {
	u32 vmid;
	char name[16];
	u32 nvcpus;
	u64 load_addr;	/* guest IPA of the image (its trailer says) */
	u64 image_size; /* bytes, trailer included */
	u64 block_pa;	/* the 2 MiB-aligned host memory it was loaded to */
	u64 block_size;
	u32 off;	 /* powered off (PSCI SYSTEM_OFF, or by corevisor) */
	u32 off_claimed; /* its power-off is being reported */
	struct vmm_vcpu vcpu[VMM_MAX_VCPUS];
	/* The UART's current line, printed with a [vmN] prefix. */
	u32 line_lock;
	u32 line_len;
	char line[120];
	/* Host pages given to the VM for its RAM faults. */
	u32 npages;
	u64 page_ipa[VMM_MAX_PAGES];
	u64 page_pa[VMM_MAX_PAGES];
};

/*
 * What a host test mode may change (host/platform/main.c): the page
 * offered for a fault (0 = a fresh page of the host's), and what to do
 * on a test-device event. NULL: the defaults.
 */
struct vmm_hooks {
	u64 (*offer_page)(struct vmm_vm *vm, u64 ipa);
	void (*event)(struct vmm_vm *vm, u64 event);
	/* After the host answered an exit, before the next VCPU_RUN. */
	void (*answered)(struct vmm_vcpu *v);
};
extern struct vmm_hooks vmm_hooks;

/* The bare round trip to corevisor (HVC_NOOP): returns its result. */
u64 vmm_noop(void);

/* REGISTER_KVM: a new VM's vmid (1..15) from corevisor. */
u32 vmm_register_vm(void);

/* REGISTER_VCPU: corevisor checks the VM's and the vCPU's states. */
u64 vmm_register_vcpu(u32 vmid, u32 vcpuid);

/* HVC_GET_SHARED_BASE once; the vCPU run structures live there. */
void vmm_init(void);

/* The run structure of a vCPU in the shared area. */
volatile struct cv_vcpu_run *vmm_run_struct(u32 vmid, u32 vcpuid);

/*
 * Load @img and run the boot protocol for a new VM; corevisor panics if
 * the image is not good. Returns the VM (vCPU 0 runnable), or NULL when
 * the host has no room for it.
 */
struct vmm_vm *vmm_vm_boot(const struct host_guest_image *img);

/* Pin the vCPUs of every booted VM to the host's @ncpus CPUs. */
void vmm_assign_cpus(u32 ncpus);

/*
 * The vCPU loop of host CPU @cpu: returns once none of the vCPUs pinned to
 * it can run again (its VM powered off, or it stopped with CPU_OFF).
 */
void vmm_run_cpu(u32 cpu);

/* How many booted VMs powered off. */
u32 vmm_vms_off(void);

/* All booted VMs, in boot order. */
u32 vmm_vm_count(void);
struct vmm_vm *vmm_vm(u32 index);

/* The host page given to @vm for the page at IPA @ipa, or 0. */
u64 vmm_page_of(const struct vmm_vm *vm, u64 ipa);

#endif
