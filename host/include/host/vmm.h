/* SPDX-License-Identifier: MIT */
/*
 * The host's VM management (host/vmm): corevisor's hypercall protocol as
 * KServ runs it, shared by the bare-metal host and the Linux module. It
 * uses only host/platform.h.
 *
 * A VM's life: vmm_vm_boot (load the signed image into 2 MiB-aligned
 * contiguous host memory, REGISTER_KVM, REGISTER_VCPU, SET_BOOT_INFO,
 * REMAP_VM_IMAGE per page, VERIFY_VM_IMAGES; vCPU 0 starts at its
 * image's signed entry), then
 * vmm_vcpu_run per vCPU, over and over: one VCPU_RUN and the answers the
 * VM management gives itself (include/corevisor/vcpu_abi.h: a host page
 * for each RAM fault, guest PSCI); an MMIO access goes to the caller's
 * device model (the bare-metal host's own, or Linux user space), which
 * answers a load with vmm_mmio_complete. Once the VM powered off and no
 * vCPU runs, vmm_vm_reclaim gives its pages back to the host.
 */
#ifndef HOST_VMM_H
#define HOST_VMM_H

#include <corevisor/abi.h>
#include <corevisor/vcpu_abi.h>
#include <host/platform.h>

#define VMM_MAX_VCPUS 8	   /* the spec's VCPU_PER_VM */
#define VMM_MAX_PAGES 1024 /* pages offered to one VM, remembered */
/* Images of one VM besides its first: the spec's MAX_LOAD_INFO_NUM - 1. */
#define VMM_MAX_DATA_IMAGES 4

/* The guest's devices (guest/common/guest.h). */
#define VMM_UART_IPA 0x09000000ULL
#define VMM_TESTDEV_IPA 0x09010000ULL
#define VMM_TESTDEV_ID 0x43565444ULL

/*
 * Interrupts (host/vmm/vgic.c): the guest's GICv3 distributor and one
 * redistributor per vCPU at QEMU virt's addresses, emulated here; 64 SPIs.
 */
#define VMM_GICD_IPA 0x08000000ULL
#define VMM_GICD_SIZE 0x10000ULL
#define VMM_GICR_IPA 0x080a0000ULL
#define VMM_GICR_STRIDE 0x20000ULL
#define VMM_VGIC_NR_IRQS 96U

/* Guest RAM the host backs on a fault: [1 GiB, 4 GiB) of IPA. */
#define VMM_RAM_START CV_MMIO_LIMIT
#define VMM_RAM_END 0x100000000ULL

/*
 * Every VM's memory map (HVC_SET_VM_REGION, docs/guest-platform.md): MMIO
 * below 1 GiB; RAM from 1 GiB to 8 GiB, of which the host backs the first
 * 3 GiB (a fault above is answered "nothing is here"); MMIO where QEMU's
 * virt board has its high PCIe ECAM, whose first page holds a second test
 * device (its id at +8). Nothing anywhere else: corevisor injects an
 * abort without asking the host.
 */
#define VMM_RAM_MAP_END 0x200000000ULL
#define VMM_HIGH_MMIO_IPA 0x4010000000ULL
#define VMM_HIGH_MMIO_SIZE 0x10000000ULL
#define VMM_NREGIONS 3U
struct vmm_region {
	u64 base, size;
	u32 kind;
};
extern const struct vmm_region vmm_regions[VMM_NREGIONS];

enum vmm_vcpu_state {
	VMM_VCPU_OFF,	   /* not started (PSCI CPU_ON) or CPU_OFF */
	VMM_VCPU_RUNNABLE, /* its runner may VCPU_RUN it */
};

/* What vmm_vcpu_run tells its caller. */
enum vmm_action {
	VMM_AGAIN,     /* answered (RAM fault, PSCI): run it again */
	VMM_IDLE,      /* WFI/WFE or an interrupt: run it again, later
			* (by run->timer_deadline when that is not 0) */
	VMM_MMIO,      /* v->mmio is for the device model */
	VMM_CPU_OFF,   /* the vCPU is off: PSCI CPU_OFF, or not started */
	VMM_VM_OFF,    /* the VM is off (vm->off_exit says how) */
	VMM_ERR_EXIT,  /* VCPU_RUN returned an exit reason we do not know */
	VMM_ERR_NOMEM, /* no host page left for a RAM fault */
};

/* An MMIO access (VMM_MMIO), as the device model sees it. */
struct vmm_mmio {
	u64 ipa;
	u64 data; /* a store's value (low len bytes) */
	u32 len;
	u32 is_write;
};

struct vmm_vm;

/* A redistributor's SGIs and PPIs (bit n: INTID n). */
struct vmm_vgic_cpu {
	u32 group, enabled, pending;
	u32 waker;
	u8 priority[32];
	u32 cfg[2];
};

/* The distributor: its SPIs 32 .. VMM_VGIC_NR_IRQS - 1. */
struct vmm_vgic {
	u32 ctlr;
	u32 spi_group[(VMM_VGIC_NR_IRQS - 32) / 32];
	u32 spi_enabled[(VMM_VGIC_NR_IRQS - 32) / 32];
	u32 spi_pending[(VMM_VGIC_NR_IRQS - 32) / 32];
	u8 spi_priority[VMM_VGIC_NR_IRQS - 32];
	u32 spi_cfg[(VMM_VGIC_NR_IRQS - 32) / 16];
	u64 spi_route[VMM_VGIC_NR_IRQS - 32];
	struct vmm_vgic_cpu cpu[VMM_MAX_VCPUS];
};

struct vmm_vcpu {
	struct vmm_vm *vm;
	u32 id;
	u32 cpu; /* the host CPU that runs it */
	u32 state;
	bool mmio_read_pending; /* VMM_MMIO load not answered yet */
	volatile struct cv_vcpu_run *run;
	struct vmm_mmio mmio;
	u64 exits[CV_EXIT_SGI + 1]; /* by CV_EXIT_* */
	/* The injection requests of the run under way (vgic.c). */
	u32 irq_sent[CV_VCPU_IRQ_REQS];
	u32 irq_nsent;
	u64 irqs_injected, irqs_refused;
	/*
	 * The platform may leave a vCPU that waits in WFI descheduled until
	 * this physical counter value (its run->timer_deadline), or until
	 * host_vcpu_wake; 0: runnable now.
	 */
	u64 wake_at;
};

struct vmm_vm {
	u32 vmid;
	char name[16];
	u32 nvcpus;
	u64 load_addr;	/* guest IPA of the image (its trailer says) */
	u64 image_size; /* bytes, trailer included */
	u64 block_pa;	/* the 2 MiB-aligned host memory it was loaded to */
	u64 block_size;
	/* Its data images (an initrd, a device tree), each in its own block. */
	u32 ndata;
	u64 data_load_addr[VMM_MAX_DATA_IMAGES];
	u64 data_block_pa[VMM_MAX_DATA_IMAGES];
	u64 data_block_size[VMM_MAX_DATA_IMAGES];
	u32 off;      /* powered off (PSCI SYSTEM_OFF, or by corevisor) */
	u32 off_exit; /* CV_EXIT_SYSTEM_OFF or CV_EXIT_POWERED_OFF */
	struct vmm_vgic vgic;
	struct vmm_vcpu vcpu[VMM_MAX_VCPUS];
	/* Host pages given to the VM for its RAM faults (the first ones). */
	u32 npages_total;
	u32 npages;
	u64 page_ipa[VMM_MAX_PAGES];
	u64 page_pa[VMM_MAX_PAGES];
};

/*
 * A signed image to boot: its bytes, a name, how many vCPUs; and the
 * VM's other signed images (data: an initrd, a device tree as the boot
 * argument), loaded beside it before VERIFY_VM_IMAGES.
 */
struct vmm_data_image {
	const void *data;
	u64 size;
};
struct vmm_image {
	const void *data;
	u64 size;
	u32 nvcpus;
	const char *name;
	u32 ndata;
	const struct vmm_data_image *extra;
};

/* Errors of vmm_vm_boot. */
#define VMM_EINVAL 1 /* not an image, or a vCPU count out of range */
#define VMM_ENOMEM 2 /* no 2 MiB-aligned block for it */

/*
 * What a host test mode may change (bare-metal host/platform/main.c): the
 * page offered for a fault (0 = a fresh page of the host's), the run
 * structure before each run. NULL: the default.
 */
struct vmm_hooks {
	u64 (*offer_page)(struct vmm_vm *vm, u64 ipa);
	/* Just before VCPU_RUN, the injection requests written (vgic.c). */
	void (*before_run)(struct vmm_vcpu *v);
};
extern struct vmm_hooks vmm_hooks;

/* The bare round trip to corevisor (HVC_NOOP): returns its result. */
u64 vmm_noop(void);

/* REGISTER_KVM: a new VM's vmid (1..15) from corevisor. */
u32 vmm_register_vm(void);

/* REGISTER_VCPU: corevisor checks the VM's and the vCPU's states. */
u64 vmm_register_vcpu(u32 vmid, u32 vcpuid);

/* HVC_GET_SHARED_BASE once, and the platform's mapping of the area. */
int vmm_init(void);
u64 vmm_shared_base(void);

/* The run structure of a vCPU in the shared area. */
volatile struct cv_vcpu_run *vmm_run_struct(u32 vmid, u32 vcpuid);

/*
 * The guest IPA @img was signed for (its trailer; corevisor checks it,
 * the host only needs to know where the VM expects the image), or 0 for
 * a blob too short to be an image.
 */
u64 vmm_image_load_addr(const struct vmm_image *img);

/*
 * Load @img into @vm (zeroed by the caller, whose storage it is) and run
 * the boot protocol; corevisor panics if the image is not good. Returns 0
 * (vCPU 0 runnable) or VMM_EINVAL / VMM_ENOMEM before any hypercall.
 */
int vmm_vm_boot(struct vmm_vm *vm, const struct vmm_image *img);

/* One VCPU_RUN of @v and the answer to its exit (see enum vmm_action). */
enum vmm_action vmm_vcpu_run(struct vmm_vcpu *v);

/* Answer @v's MMIO load (VMM_MMIO, !is_write) with @value. */
void vmm_mmio_complete(struct vmm_vcpu *v, u64 value);

/*
 * HVC_CLEAR_VM_S2_RANGE over [@start, @start + @size): a powered-off VM's
 * pages there go back to the host, scrubbed (nothing happens before
 * power-off). Call it once no vCPU of the VM runs.
 */
void vmm_vm_reclaim(struct vmm_vm *vm, u64 start, u64 size);

/*
 * HVC_DESTROY_VM (@flags 0 or CV_DESTROY_FORCE): every page of @vm comes
 * back to the host, zeroed, and its vmid is free for the next VM. Returns
 * CV_DESTROY_* (include/corevisor/abi.h): CV_DESTROY_RUNNING while one of
 * its vCPUs runs (call again once they stopped).
 */
u64 vmm_vm_destroy(struct vmm_vm *vm, u64 flags);

/*
 * The vGIC (vgic.c), called by vmm_vcpu_run: the guest's GICD/GICR access
 * in v->mmio emulated (false: not the GIC's); before a run, the pending
 * deliverable interrupts as injection requests and the timer PPIs'
 * settings; after it, the requests' results taken in; a CV_EXIT_SGI made
 * pending at each target (woken with host_vcpu_wake).
 */
bool vmm_vgic_mmio(struct vmm_vcpu *v);
void vmm_vgic_flush(struct vmm_vcpu *v);
void vmm_vgic_sync(struct vmm_vcpu *v);
void vmm_vgic_sgi(struct vmm_vcpu *v);

/* The host page given to @vm for the page at IPA @ipa, or 0. */
u64 vmm_page_of(const struct vmm_vm *vm, u64 ipa);

#endif
