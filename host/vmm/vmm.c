// SPDX-License-Identifier: MIT
/*
 * VM management: KServ's side of corevisor's hypercall ABI
 * (include/corevisor/abi.h) and vCPU run ABI (vcpu_abi.h), shared by the
 * bare-metal host and the Linux module (host/include/host/vmm.h).
 */
#include <corevisor/abi.h>
#include <corevisor/constants.h>
#include <corevisor/image.h>
#include <corevisor/sealed.h>
#include <host/vmm.h>

#define PMD_BYTES 0x200000ULL
#define VMM_ALIGN_UP(x, a) (((x) + (a)-1) & ~((a)-1))

/* Guest PSCI (SMCCC through HVC #0). */
#define PSCI_VERSION 0x84000000U
#define PSCI_CPU_OFF 0x84000002U
#define PSCI_CPU_ON_32 0x84000003U
#define PSCI_CPU_ON 0xc4000003U
#define PSCI_AFFINITY_INFO_32 0x84000004U
#define PSCI_AFFINITY_INFO 0xc4000004U
#define PSCI_MIGRATE_INFO_TYPE 0x84000006U
#define PSCI_SYSTEM_OFF 0x84000008U
#define PSCI_FEATURES 0x8400000aU
#define PSCI_TOS_NOT_PRESENT 2 /* MIGRATE_INFO_TYPE: no Trusted OS */
#define PSCI_RET_NOT_SUPPORTED ((u64)-1LL)
#define PSCI_RET_INVALID_PARAMS ((u64)-2LL)
#define PSCI_RET_ALREADY_ON ((u64)-4LL)

struct vmm_hooks vmm_hooks;

static u64 shared_base;
static void *shared_va;

u64 vmm_noop(void)
{
	return hvc(HVC_NOOP, 0, 0, 0, 0, 0);
}

u32 vmm_register_vm(void)
{
	return (u32)hvc(HVC_REGISTER_KVM, 0, 0, 0, 0, 0);
}

u64 vmm_register_vcpu(u32 vmid, u32 vcpuid)
{
	return hvc(HVC_REGISTER_VCPU, vmid, vcpuid, 0, 0, 0);
}

int vmm_init(void)
{
	shared_base = hvc(HVC_GET_SHARED_BASE, 0, 0, 0, 0, 0);
	shared_va = host_shared_map(shared_base, CV_SHARED_BYTES);
	if (!shared_va)
		return -1;
	host_printf("host: shared vCPU area at 0x%llx\n",
		    (unsigned long long)shared_base);
	return 0;
}

u64 vmm_shared_base(void)
{
	return shared_base;
}

volatile struct cv_vcpu_run *vmm_run_struct(u32 vmid, u32 vcpuid)
{
	return (volatile struct cv_vcpu_run *)((char *)shared_va +
					       CV_SHARED_VCPU_OFFSET(vmid,
								     vcpuid) +
					       CV_VCPU_RUN_OFFSET);
}

u64 vmm_image_load_addr(const struct vmm_image *img)
{
	struct cv_image_trailer tr;

	if (img->size < CV_IMAGE_TRAILER_BYTES)
		return 0;
	memcpy(&tr,
	       (const char *)img->data + img->size - CV_IMAGE_TRAILER_BYTES,
	       sizeof(tr));
	return tr.load_addr;
}

static u64 trailer_load_addr(const void *data, u64 size)
{
	struct vmm_image im = {.data = data, .size = size};

	return vmm_image_load_addr(&im);
}

/*
 * corevisor maps an image into its VM by 2 MiB blocks and requires the
 * host's pages to be physically contiguous, at the load address's offset
 * within a 2 MiB block (docs/image-format.md): the whole block goes to
 * the VM, so the host gives it nothing else.
 */
static int load_image(struct vmm_vm *vm, const void *data, u64 size,
		      u64 load_addr, u64 *block_pa, u64 *block_size)
{
	u64 off = load_addr & (PMD_BYTES - 1);

	*block_size = VMM_ALIGN_UP(off + size, PMD_BYTES);
	*block_pa = host_vm_block(vm, *block_size);
	if (!*block_pa)
		return VMM_ENOMEM;
	memcpy(host_phys_ptr(*block_pa + off), data, size);
	return 0;
}

/* SET_BOOT_INFO and REMAP_VM_IMAGE of each page: one image declared. */
static u64 declare_image(struct vmm_vm *vm, u64 load_addr, u64 size,
			 u64 block_pa)
{
	u64 idx, first_pfn, pages;

	idx = hvc(HVC_SET_BOOT_INFO, vm->vmid, load_addr, size, 0, 0);
	first_pfn = (block_pa + (load_addr & (PMD_BYTES - 1))) / HOST_PAGE_SIZE;
	pages = (size + HOST_PAGE_SIZE - 1) / HOST_PAGE_SIZE;
	for (u64 i = 0; i < pages; i++)
		hvc(HVC_REMAP_VM_IMAGE, vm->vmid, first_pfn + i, idx, 0, 0);
	return pages;
}

/* Around a hypercall: the host's FP/SIMD registers must stay its own. */
static void fill_fp(u64 seed)
{
#if HOST_FP_CHECK
	host_fp_fill(seed);
#endif
}

static void check_fp(u64 seed, const char *what, u32 vmid)
{
#if HOST_FP_CHECK
	u32 n = host_fp_changed(seed);

	if (n)
		host_fail("vm%u: host FP/SIMD registers changed across %s "
			  "(%u of them)",
			  vmid, what, n);
#endif
}

const struct vmm_region vmm_regions[VMM_NREGIONS] = {
	{0, VMM_RAM_START, CV_REGION_MMIO},
	{VMM_RAM_START, VMM_RAM_MAP_END - VMM_RAM_START, CV_REGION_RAM},
	{VMM_HIGH_MMIO_IPA, VMM_HIGH_MMIO_SIZE, CV_REGION_MMIO},
};

int vmm_vm_boot(struct vmm_vm *vm, const struct vmm_image *img)
{
	u64 pages, seed;
	u64 data_addr[VMM_MAX_DATA_IMAGES];
	int err;

	if (img->nvcpus < 1 || img->nvcpus > VMM_MAX_VCPUS ||
	    img->ndata > VMM_MAX_DATA_IMAGES)
		return VMM_EINVAL;
	vm->load_addr = vmm_image_load_addr(img);
	if (!vm->load_addr)
		return VMM_EINVAL;
	for (u32 i = 0; i < img->ndata; i++) {
		data_addr[i] = trailer_load_addr(img->extra[i].data,
						 img->extra[i].size);
		if (!data_addr[i])
			return VMM_EINVAL;
	}
	for (u32 i = 0; img->name && img->name[i] && i < sizeof(vm->name) - 1;
	     i++)
		vm->name[i] = img->name[i];
	vm->nvcpus = img->nvcpus;
	vm->image_size = img->size;
	err = load_image(vm, img->data, img->size, vm->load_addr, &vm->block_pa,
			 &vm->block_size);
	for (u32 i = 0; !err && i < img->ndata; i++) {
		err = load_image(vm, img->extra[i].data, img->extra[i].size,
				 data_addr[i], &vm->data_block_pa[i],
				 &vm->data_block_size[i]);
		vm->data_load_addr[i] = data_addr[i];
		if (!err)
			vm->ndata = i + 1;
	}
	if (err)
		return err;

	vm->vmid = vmm_register_vm();
	host_printf("host: vm%u '%s': %u vCPU(s), image %llu bytes for IPA "
		    "0x%llx at pa 0x%llx\n",
		    vm->vmid, vm->name, vm->nvcpus,
		    (unsigned long long)img->size,
		    (unsigned long long)vm->load_addr,
		    (unsigned long long)(vm->block_pa +
					 (vm->load_addr & (PMD_BYTES - 1))));
	for (u32 i = 0; i < vm->nvcpus; i++) {
		struct vmm_vcpu *v = &vm->vcpu[i];

		vmm_register_vcpu(vm->vmid, i);
		v->vm = vm;
		v->id = i;
		v->run = vmm_run_struct(vm->vmid, i);
		v->state = VMM_VCPU_OFF;
	}
	/* The VM's memory map (docs/guest-platform.md), before VERIFY. */
	for (u32 i = 0; i < VMM_NREGIONS; i++)
		hvc(HVC_SET_VM_REGION, vm->vmid, vmm_regions[i].base,
		    vmm_regions[i].size, vmm_regions[i].kind, 0);
	/* The boot image is load index 0, its data images follow. */
	pages = declare_image(vm, vm->load_addr, img->size, vm->block_pa);
	for (u32 i = 0; i < vm->ndata; i++) {
		host_printf(
			"host: vm%u: data image %u, %llu bytes for IPA "
			"0x%llx at pa 0x%llx\n",
			vm->vmid, i + 1, (unsigned long long)img->extra[i].size,
			(unsigned long long)data_addr[i],
			(unsigned long long)(vm->data_block_pa[i] +
					     (data_addr[i] & (PMD_BYTES - 1))));
		pages += declare_image(vm, data_addr[i], img->extra[i].size,
				       vm->data_block_pa[i]);
	}
	host_printf("host: vm%u: SET_BOOT_INFO -> %u image(s), %llu "
		    "page(s) remapped, VERIFY_VM_IMAGES\n",
		    vm->vmid, 1 + vm->ndata, (unsigned long long)pages);
	/* corevisor verifies with libsodium: the host's FP/SIMD must stay. */
	seed = 0x5eed000000000000ULL | (u64)vm->vmid << 8;
	fill_fp(seed);
	hvc(HVC_VERIFY_VM_IMAGES, vm->vmid, 0, 0, 0, 0);
	check_fp(seed, "VERIFY_VM_IMAGES", vm->vmid);
	host_printf("host: vm%u: verified by corevisor, the image's pages are "
		    "the VM's%s\n",
		    vm->vmid,
		    HOST_FP_CHECK ? " (host FP/SIMD registers kept)" : "");

	/* vCPU 0 starts at the entry its signed image names (vcpu_abi.h). */
	__atomic_store_n(&vm->vcpu[0].state, VMM_VCPU_RUNNABLE,
			 __ATOMIC_RELEASE);
	return 0;
}

u64 vmm_page_of(const struct vmm_vm *vm, u64 ipa)
{
	u32 n = __atomic_load_n(&vm->npages, __ATOMIC_ACQUIRE);

	for (u32 i = 0; i < n; i++)
		if (vm->page_ipa[i] == (ipa & ~(HOST_PAGE_SIZE - 1)))
			return vm->page_pa[i];
	return 0;
}

void vmm_vm_reclaim(struct vmm_vm *vm, u64 start, u64 size)
{
	hvc(HVC_CLEAR_VM_S2_RANGE, vm->vmid, start, size, 0, 0);
}

u64 vmm_vm_destroy(struct vmm_vm *vm, u64 flags)
{
	return hvc(HVC_DESTROY_VM, vm->vmid, flags, 0, 0, 0);
}

/* ---- MMIO ------------------------------------------------------------ */

/* CV_EXIT_MMIO: the access, for the device model. */
static enum vmm_action exit_mmio(struct vmm_vcpu *v)
{
	volatile struct cv_vcpu_run *run = v->run;
	u32 len = run->mmio.len, reg = run->mmio.reg;
	u64 mask = len >= 8 ? ~0ULL : (1ULL << (len * 8)) - 1;

	if (!run->mmio.valid) {
		/* corevisor injects an exception: nothing to emulate. */
		host_printf("host: vm%u: MMIO at 0x%llx without syndrome\n",
			    v->vm->vmid, (unsigned long long)run->fault_ipa);
		return VMM_AGAIN;
	}
	v->mmio.ipa = run->fault_ipa;
	v->mmio.len = len;
	v->mmio.is_write = run->mmio.is_write;
	v->mmio.data = 0;
	if (v->mmio.is_write)
		v->mmio.data = reg < 31 ? run->regs[reg] & mask : 0;
	v->mmio_read_pending = !v->mmio.is_write;
	if (vmm_vgic_mmio(v))
		return VMM_AGAIN;
	return VMM_MMIO;
}

void vmm_mmio_complete(struct vmm_vcpu *v, u64 val)
{
	volatile struct cv_vcpu_run *run = v->run;
	u32 len = run->mmio.len, reg = run->mmio.reg;
	u64 mask = len >= 8 ? ~0ULL : (1ULL << (len * 8)) - 1;

	if (!v->mmio_read_pending)
		return;
	v->mmio_read_pending = false;
	val &= mask;
	if (run->mmio.sign_extend && len < 8 && (val >> (len * 8 - 1)) & 1)
		val |= ~mask;
	if (!run->mmio.sixty_four)
		val &= 0xffffffffULL;
	if (reg < 31)
		run->regs[reg] = val;
}

/* ---- RAM faults ------------------------------------------------------ */

/*
 * CV_EXIT_MEM_FAULT: offer a host page for the IPA; corevisor makes it
 * the VM's (and takes it from the host's stage 2) before the VM runs. An
 * IPA outside the VM's RAM is answered "nothing is here" (vcpu_abi.h).
 */
static enum vmm_action exit_mem_fault(struct vmm_vcpu *v)
{
	volatile struct cv_vcpu_run *run = v->run;
	struct vmm_vm *vm = v->vm;
	u64 ipa = run->fault_ipa & ~(HOST_PAGE_SIZE - 1), pa = 0;
	u32 n;

	if (ipa < VMM_RAM_START || ipa >= VMM_RAM_END) {
		/* Nothing is there: the guest takes an external abort. */
		host_printf("host: vm%u vcpu %u: nothing at IPA 0x%llx: "
			    "abort\n",
			    vm->vmid, v->id, (unsigned long long)ipa);
		run->abort = CV_ABORT_INJECT;
		return VMM_AGAIN;
	}
	if (vmm_hooks.offer_page)
		pa = vmm_hooks.offer_page(vm, ipa);
	if (!pa)
		pa = host_vm_page(vm);
	if (!pa)
		return VMM_ERR_NOMEM;
	__atomic_add_fetch(&vm->npages_total, 1, __ATOMIC_RELAXED);
	n = vm->npages;
	if (n < VMM_MAX_PAGES) {
		vm->page_ipa[n] = ipa;
		vm->page_pa[n] = pa;
		__atomic_store_n(&vm->npages, n + 1, __ATOMIC_RELEASE);
	}
	run->fault_addr = ipa;
	run->fault_pte = pa;
	run->fault_level = 3;
	return VMM_AGAIN;
}

/* ---- Guest PSCI ------------------------------------------------------ */

static struct vmm_vcpu *vcpu_of_mpidr(struct vmm_vm *vm, u64 mpidr)
{
	u64 aff = mpidr & 0xff00ffffffULL;

	return aff < vm->nvcpus ? &vm->vcpu[aff] : NULL;
}

/*
 * corevisor has recorded where the target starts (the guest's entry and
 * context): the host only answers and runs it (vcpu_abi.h).
 */
static u64 guest_cpu_on(struct vmm_vcpu *v)
{
	volatile struct cv_vcpu_run *run = v->run;
	struct vmm_vcpu *t = vcpu_of_mpidr(v->vm, run->regs[1]);

	if (!t)
		return PSCI_RET_INVALID_PARAMS;
	if (__atomic_load_n(&t->state, __ATOMIC_ACQUIRE) != VMM_VCPU_OFF)
		return PSCI_RET_ALREADY_ON;
	__atomic_store_n(&t->state, VMM_VCPU_RUNNABLE, __ATOMIC_RELEASE);
	host_vcpu_wake(t);
	return 0;
}

/*
 * PSCI_FEATURES (PSCI 1.0, mandatory): 0 for the calls a guest has, else
 * NOT_SUPPORTED (SMCCC_VERSION among them: the guest assumes SMCCC 1.0).
 */
static u64 psci_features(u32 fn)
{
	switch (fn) {
	case PSCI_VERSION:
	case PSCI_CPU_OFF:
	case PSCI_CPU_ON:
	case PSCI_CPU_ON_32:
	case PSCI_AFFINITY_INFO:
	case PSCI_AFFINITY_INFO_32:
	case PSCI_MIGRATE_INFO_TYPE:
	case PSCI_SYSTEM_OFF:
	case PSCI_FEATURES:
		return 0;
	default:
		return PSCI_RET_NOT_SUPPORTED;
	}
}

/* CV_EXIT_HVC: a PSCI call (anything else is not supported). */
static enum vmm_action exit_hvc(struct vmm_vcpu *v)
{
	volatile struct cv_vcpu_run *run = v->run;
	struct vmm_vcpu *t;
	u32 fn = (u32)run->regs[0];
	u64 ret = PSCI_RET_NOT_SUPPORTED;

	switch (fn) {
	case PSCI_VERSION:
		ret = 0x10000; /* 1.0 */
		break;
	case PSCI_FEATURES:
		ret = psci_features((u32)run->regs[1]);
		break;
	case PSCI_MIGRATE_INFO_TYPE:
		/* Mandatory since PSCI 0.2: nothing to migrate. */
		ret = PSCI_TOS_NOT_PRESENT;
		break;
	case PSCI_CPU_ON:
	case PSCI_CPU_ON_32:
		ret = guest_cpu_on(v);
		break;
	case PSCI_CPU_OFF:
		host_printf("host: vm%u vcpu %u: CPU_OFF\n", v->vm->vmid,
			    v->id);
		__atomic_store_n(&v->state, VMM_VCPU_OFF, __ATOMIC_RELEASE);
		return VMM_CPU_OFF;
	case PSCI_AFFINITY_INFO:
	case PSCI_AFFINITY_INFO_32:
		t = vcpu_of_mpidr(v->vm, run->regs[1]);
		ret = !t ? PSCI_RET_INVALID_PARAMS
		      : __atomic_load_n(&t->state, __ATOMIC_ACQUIRE) ==
				      VMM_VCPU_RUNNABLE
			      ? 0
			      : 1;
		break;
	default:
		break;
	}
	run->regs[0] = ret;
	return VMM_AGAIN;
}

/* ---- One run --------------------------------------------------------- */

enum vmm_action vmm_vcpu_run(struct vmm_vcpu *v)
{
	u64 seed = 0xf00d000000000000ULL | ((u64)v->vm->vmid << 8) | v->id;
	u64 exit;

	/* The world switch keeps the VM's FP/SIMD state and the host's apart.
	 */
	vmm_vgic_flush(v);
	if (vmm_hooks.before_run)
		vmm_hooks.before_run(v);
	fill_fp(seed);
	exit = hvc(HVC_VCPU_RUN, v->vm->vmid, v->id, 0, 0, 0);
	check_fp(seed, v->id ? "a secondary's VCPU_RUN" : "VCPU_RUN",
		 v->vm->vmid);
	v->mmio_read_pending = false;
	vmm_vgic_sync(v);
	if (exit <= CV_EXIT_SGI)
		v->exits[exit]++;
	switch (exit) {
	case CV_EXIT_MMIO:
		return exit_mmio(v);
	case CV_EXIT_MEM_FAULT:
		return exit_mem_fault(v);
	case CV_EXIT_HVC:
		return exit_hvc(v);
	case CV_EXIT_SGI:
		vmm_vgic_sgi(v);
		return VMM_AGAIN;
	case CV_EXIT_WFX:
	case CV_EXIT_IRQ:
		return VMM_IDLE;
	case CV_EXIT_SYSTEM_OFF:
	case CV_EXIT_POWERED_OFF:
		/* Its SYSTEM_OFF, or another vCPU's, or an SError (vcpu_abi.h).
		 */
		__atomic_store_n(&v->vm->off_exit, (u32)exit, __ATOMIC_RELAXED);
		__atomic_store_n(&v->vm->off, 1, __ATOMIC_RELEASE);
		return VMM_VM_OFF;
	case CV_EXIT_VCPU_OFF:
		/* Its guest has not started it (again): a CPU_ON will. */
		__atomic_store_n(&v->state, VMM_VCPU_OFF, __ATOMIC_RELEASE);
		return VMM_CPU_OFF;
	default:
		host_printf("host: vm%u vcpu %u: VCPU_RUN returned %llu\n",
			    v->vm->vmid, v->id, (unsigned long long)exit);
		return VMM_ERR_EXIT;
	}
}
