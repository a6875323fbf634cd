// SPDX-License-Identifier: MIT
/*
 * VM management: KServ's side of corevisor's hypercall ABI
 * (include/corevisor/abi.h) and vCPU run ABI (vcpu_abi.h).
 */
#include <corevisor/abi.h>
#include <corevisor/constants.h>
#include <corevisor/image.h>
#include <corevisor/sealed.h>
#include <host/vmm.h>

#define PMD_BYTES 0x200000ULL
#define ALIGN_UP(x, a) (((x) + (a)-1) & ~((a)-1))

/* Guest PSCI (SMCCC through HVC #0). */
#define PSCI_VERSION 0x84000000U
#define PSCI_CPU_OFF 0x84000002U
#define PSCI_CPU_ON_32 0x84000003U
#define PSCI_CPU_ON 0xc4000003U
#define PSCI_AFFINITY_INFO_32 0x84000004U
#define PSCI_AFFINITY_INFO 0xc4000004U
#define PSCI_RET_NOT_SUPPORTED ((u64)-1LL)
#define PSCI_RET_INVALID_PARAMS ((u64)-2LL)
#define PSCI_RET_ALREADY_ON ((u64)-4LL)

/* PL011 registers the guests use. */
#define UART_DR 0x000
#define UART_FR 0x018
#define UART_FR_TXFE (1U << 7)
#define UART_FR_RXFE (1U << 4)
#define UART_PERIPH_ID 0xfe0

/* Guest RAM the host backs on a fault: [1 GiB, 4 GiB) of IPA. */
#define VM_RAM_START CV_MMIO_LIMIT
#define VM_RAM_END 0x100000000ULL

struct vmm_hooks vmm_hooks;

static u64 shared_base;
static struct vmm_vm vms[VMM_MAX_VMS];
static u32 nvms;

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

void vmm_init(void)
{
	shared_base = hvc(HVC_GET_SHARED_BASE, 0, 0, 0, 0, 0);
	host_printf("host: shared vCPU area at 0x%llx\n",
		    (unsigned long long)shared_base);
}

volatile struct cv_vcpu_run *vmm_run_struct(u32 vmid, u32 vcpuid)
{
	return host_phys_ptr(shared_base + CV_SHARED_VCPU_OFFSET(vmid, vcpuid) +
			     CV_VCPU_RUN_OFFSET);
}

u32 vmm_vm_count(void)
{
	return nvms;
}

struct vmm_vm *vmm_vm(u32 index)
{
	return index < nvms ? &vms[index] : NULL;
}

static void lock(u32 *l)
{
	while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE))
		;
}

static void unlock(u32 *l)
{
	__atomic_store_n(l, 0, __ATOMIC_RELEASE);
}

/* Stores of 8 bytes: the host's memory is Device with its MMU off. */
static void zero_page(u64 pa)
{
	volatile u64 *p = host_phys_ptr(pa);

	for (u64 i = 0; i < HOST_PAGE_SIZE / 8; i++)
		p[i] = 0;
}

/*
 * The image's trailer says which guest address it was signed for; the
 * host trusts nothing in it (corevisor checks it all), it only needs to
 * know where the VM expects the image.
 */
static u64 image_load_addr(const struct host_guest_image *img)
{
	struct cv_image_trailer tr;

	if (img->size < CV_IMAGE_TRAILER_BYTES)
		host_fail("guest %s: %llu bytes is no image", img->name,
			  (unsigned long long)img->size);
	memcpy(&tr,
	       host_phys_ptr(img->addr + img->size - CV_IMAGE_TRAILER_BYTES),
	       sizeof(tr));
	return tr.load_addr;
}

/*
 * corevisor maps an image into its VM by 2 MiB blocks and requires the
 * host's pages to be physically contiguous, at the load address's offset
 * within a 2 MiB block (docs/image-format.md): the whole block goes to
 * the VM, so the host gives it nothing else.
 */
static void load_image(struct vmm_vm *vm, const struct host_guest_image *img)
{
	u64 off = vm->load_addr & (PMD_BYTES - 1);

	vm->block_size = ALIGN_UP(off + img->size, PMD_BYTES);
	vm->block_pa = host_phys_alloc(vm->block_size, PMD_BYTES);
	if (!vm->block_pa)
		host_fail("no memory for guest %s", img->name);
	memcpy(host_phys_ptr(vm->block_pa + off), host_phys_ptr(img->addr),
	       img->size);
}

struct vmm_vm *vmm_vm_boot(const struct host_guest_image *img)
{
	struct vmm_vm *vm;
	u64 first_pfn, pages, idx;

	if (nvms == VMM_MAX_VMS)
		return NULL;
	vm = &vms[nvms];
	memset(vm, 0, sizeof(*vm));
	memcpy(vm->name, img->name, sizeof(vm->name) - 1);
	vm->nvcpus = img->nvcpus ? img->nvcpus : 1;
	if (vm->nvcpus > VMM_MAX_VCPUS)
		vm->nvcpus = VMM_MAX_VCPUS;
	vm->image_size = img->size;
	vm->load_addr = image_load_addr(img);
	load_image(vm, img);

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
	idx = hvc(HVC_SET_BOOT_INFO, vm->vmid, vm->load_addr, img->size, 0, 0);
	first_pfn = (vm->block_pa + (vm->load_addr & (PMD_BYTES - 1))) /
		    HOST_PAGE_SIZE;
	pages = (img->size + HOST_PAGE_SIZE - 1) / HOST_PAGE_SIZE;
	for (u64 i = 0; i < pages; i++)
		hvc(HVC_REMAP_VM_IMAGE, vm->vmid, first_pfn + i, idx, 0, 0);
	host_printf("host: vm%u: SET_BOOT_INFO -> load index %llu, %llu "
		    "page(s) remapped, VERIFY_VM_IMAGES\n",
		    vm->vmid, (unsigned long long)idx,
		    (unsigned long long)pages);
	/* corevisor verifies with libsodium: the host's FP/SIMD must stay. */
	host_fp_fill(0x5eed000000000000ULL | (u64)vm->vmid << 8);
	hvc(HVC_VERIFY_VM_IMAGES, vm->vmid, 0, 0, 0, 0);
	if (host_fp_changed(0x5eed000000000000ULL | (u64)vm->vmid << 8))
		host_fail("vm%u: host FP/SIMD registers changed across "
			  "VERIFY_VM_IMAGES",
			  vm->vmid);
	host_printf("host: vm%u: verified by corevisor, the image's pages are "
		    "the VM's (host FP/SIMD registers kept)\n",
		    vm->vmid);

	/* vCPU 0 starts at the entry its signed image names (vcpu_abi.h). */
	vm->vcpu[0].state = VMM_VCPU_RUNNABLE;
	nvms++;
	return vm;
}

void vmm_assign_cpus(u32 ncpus)
{
	u32 n = 0;

	for (u32 i = 0; i < nvms; i++)
		for (u32 j = 0; j < vms[i].nvcpus; j++)
			vms[i].vcpu[j].cpu = n++ % ncpus;
}

u64 vmm_page_of(const struct vmm_vm *vm, u64 ipa)
{
	u32 n = __atomic_load_n(&vm->npages, __ATOMIC_ACQUIRE);

	for (u32 i = 0; i < n; i++)
		if (vm->page_ipa[i] == (ipa & ~(HOST_PAGE_SIZE - 1)))
			return vm->page_pa[i];
	return 0;
}

/* ---- Devices --------------------------------------------------------- */

static void uart_putc(struct vmm_vm *vm, char c)
{
	lock(&vm->line_lock);
	if (c == '\n' || vm->line_len == sizeof(vm->line) - 1) {
		vm->line[vm->line_len] = '\0';
		host_printf("[vm%u] %s\n", vm->vmid, vm->line);
		vm->line_len = 0;
	}
	if (c != '\n' && c != '\r')
		vm->line[vm->line_len++] = c;
	unlock(&vm->line_lock);
}

static u64 uart_read(u64 off)
{
	/* PL011 peripheral and PrimeCell ids (0xfe0..0xffc). */
	static const u8 ids[8] = {0x11, 0x10, 0x14, 0x00,
				  0x0d, 0xf0, 0x05, 0xb1};

	if (off == UART_FR)
		return UART_FR_TXFE | UART_FR_RXFE; /* never full, no input */
	if (off >= UART_PERIPH_ID && off < UART_PERIPH_ID + 32 && !(off & 3))
		return ids[(off - UART_PERIPH_ID) / 4];
	return 0;
}

static void unhandled_mmio(struct vmm_vm *vm, u64 ipa, bool write)
{
	host_printf("host: vm%u: %s of unemulated IPA 0x%llx ignored\n",
		    vm->vmid, write ? "write" : "read",
		    (unsigned long long)ipa);
}

static u64 device_read(struct vmm_vm *vm, u64 ipa)
{
	if (ipa >= VMM_UART_IPA && ipa < VMM_UART_IPA + HOST_PAGE_SIZE)
		return uart_read(ipa - VMM_UART_IPA);
	if (ipa == VMM_TESTDEV_IPA + 8)
		return VMM_TESTDEV_ID;
	unhandled_mmio(vm, ipa, false);
	return 0;
}

static void device_write(struct vmm_vm *vm, u64 ipa, u64 val)
{
	if (ipa == VMM_UART_IPA + UART_DR) {
		uart_putc(vm, (char)val);
		return;
	}
	if (ipa >= VMM_UART_IPA && ipa < VMM_UART_IPA + HOST_PAGE_SIZE)
		return; /* control registers: nothing to model */
	if (ipa == VMM_TESTDEV_IPA) {
		if (vmm_hooks.event)
			vmm_hooks.event(vm, val);
		return;
	}
	unhandled_mmio(vm, ipa, true);
}

/* CV_EXIT_MMIO: the one register the access stores or loads. */
static void exit_mmio(struct vmm_vcpu *v)
{
	volatile struct cv_vcpu_run *run = v->run;
	u32 len = run->mmio.len, reg = run->mmio.reg;
	u64 mask = len >= 8 ? ~0ULL : (1ULL << (len * 8)) - 1, val;

	if (!run->mmio.valid) {
		host_printf("host: vm%u: MMIO at 0x%llx without syndrome\n",
			    v->vm->vmid, (unsigned long long)run->fault_ipa);
		return;
	}
	if (run->mmio.is_write) {
		val = reg < 31 ? run->regs[reg] & mask : 0;
		device_write(v->vm, run->fault_ipa, val);
		return;
	}
	val = device_read(v->vm, run->fault_ipa) & mask;
	if (run->mmio.sign_extend && len < 8 && (val >> (len * 8 - 1)) & 1)
		val |= ~mask;
	if (!run->mmio.sixty_four)
		val &= 0xffffffffULL;
	if (reg < 31)
		run->regs[reg] = val;
}

/* ---- RAM faults ------------------------------------------------------ */

static u64 fresh_page(void)
{
	u64 pa = host_phys_alloc(HOST_PAGE_SIZE, HOST_PAGE_SIZE);

	if (!pa)
		host_fail("out of memory for VM pages");
	zero_page(pa);
	return pa;
}

/*
 * CV_EXIT_MEM_FAULT: offer a host page for the IPA; corevisor makes it
 * the VM's (and takes it from the host's stage 2) before the VM runs.
 */
static void exit_mem_fault(struct vmm_vcpu *v)
{
	volatile struct cv_vcpu_run *run = v->run;
	struct vmm_vm *vm = v->vm;
	u64 ipa = run->fault_ipa & ~(HOST_PAGE_SIZE - 1), pa = 0;
	u32 n;

	if (ipa < VM_RAM_START || ipa >= VM_RAM_END)
		host_fail("vm%u vcpu %u: fault at IPA 0x%llx outside its RAM",
			  vm->vmid, v->id, (unsigned long long)ipa);
	if (vmm_hooks.offer_page)
		pa = vmm_hooks.offer_page(vm, ipa);
	if (!pa)
		pa = fresh_page();
	n = vm->npages;
	if (n < VMM_MAX_PAGES) {
		vm->page_ipa[n] = ipa;
		vm->page_pa[n] = pa;
		__atomic_store_n(&vm->npages, n + 1, __ATOMIC_RELEASE);
	}
	run->fault_addr = ipa;
	run->fault_pte = pa;
	run->fault_level = 3;
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
	__asm__ volatile("dsb ish; sev" ::: "memory");
	return 0;
}

/* CV_EXIT_HVC: a PSCI call (anything else is not supported). */
static void exit_hvc(struct vmm_vcpu *v)
{
	volatile struct cv_vcpu_run *run = v->run;
	struct vmm_vcpu *t;
	u32 fn = (u32)run->regs[0];
	u64 ret = PSCI_RET_NOT_SUPPORTED;

	switch (fn) {
	case PSCI_VERSION:
		ret = 0x10000; /* 1.0 */
		break;
	case PSCI_CPU_ON:
	case PSCI_CPU_ON_32:
		ret = guest_cpu_on(v);
		break;
	case PSCI_CPU_OFF:
		host_printf("host: vm%u vcpu %u: CPU_OFF\n", v->vm->vmid,
			    v->id);
		__atomic_store_n(&v->state, VMM_VCPU_OFF, __ATOMIC_RELEASE);
		return;
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
}

/* ---- The run loop ---------------------------------------------------- */

/*
 * The VM is off (@how: its PSCI SYSTEM_OFF, or corevisor's "powered off"
 * exit: another vCPU's SYSTEM_OFF, an SError): report it once.
 */
static void power_off(struct vmm_vm *vm, const char *how)
{
	u64 n[CV_EXIT_VCPU_OFF + 1] = {0}, total = 0;

	if (__atomic_exchange_n(&vm->off_claimed, 1, __ATOMIC_ACQ_REL))
		return;
	for (u32 i = 0; i < vm->nvcpus; i++)
		for (u32 e = 0; e <= CV_EXIT_VCPU_OFF; e++)
			n[e] += vm->vcpu[i].exits[e];
	lock(&vm->line_lock);
	if (vm->line_len) {
		vm->line[vm->line_len] = '\0';
		host_printf("[vm%u] %s\n", vm->vmid, vm->line);
		vm->line_len = 0;
	}
	unlock(&vm->line_lock);
	host_printf("host: vm%u '%s' powered off (%s); exits: "
		    "%llu MMIO, %llu RAM fault (%u page(s) given), %llu "
		    "HVC/SMC, %llu WFI/WFE, %llu IRQ\n",
		    vm->vmid, vm->name, how,
		    (unsigned long long)n[CV_EXIT_MMIO],
		    (unsigned long long)n[CV_EXIT_MEM_FAULT], vm->npages,
		    (unsigned long long)n[CV_EXIT_HVC],
		    (unsigned long long)n[CV_EXIT_WFX],
		    (unsigned long long)n[CV_EXIT_IRQ]);
	/* run_once failed the run otherwise. */
	for (u32 e = 0; e <= CV_EXIT_VCPU_OFF; e++)
		total += n[e];
	host_printf("host: vm%u: host FP/SIMD registers kept across all %llu "
		    "VCPU_RUNs\n",
		    vm->vmid, (unsigned long long)total);
	__atomic_store_n(&vm->off, 1, __ATOMIC_RELEASE);
	__asm__ volatile("dsb ish; sev" ::: "memory");
}

static void run_once(struct vmm_vcpu *v)
{
	u64 seed = 0xf00d000000000000ULL | ((u64)v->vm->vmid << 8) | v->id;
	u64 exit;

	/* The world switch keeps the VM's FP/SIMD state and the host's apart.
	 */
	host_fp_fill(seed);
	exit = hvc(HVC_VCPU_RUN, v->vm->vmid, v->id, 0, 0, 0);
	if (host_fp_changed(seed))
		host_fail("vm%u vcpu %u: host FP/SIMD registers changed across "
			  "VCPU_RUN",
			  v->vm->vmid, v->id);
	if (exit <= CV_EXIT_VCPU_OFF)
		v->exits[exit]++;
	switch (exit) {
	case CV_EXIT_MMIO:
		exit_mmio(v);
		break;
	case CV_EXIT_MEM_FAULT:
		exit_mem_fault(v);
		break;
	case CV_EXIT_HVC:
		exit_hvc(v);
		break;
	case CV_EXIT_WFX:
	case CV_EXIT_IRQ:
		break; /* run the next vCPU of this CPU */
	case CV_EXIT_SYSTEM_OFF:
		power_off(v->vm, "PSCI SYSTEM_OFF");
		break;
	case CV_EXIT_POWERED_OFF:
		power_off(v->vm, "corevisor: powered off");
		break;
	case CV_EXIT_VCPU_OFF: /* its guest has not started it */
		__atomic_store_n(&v->state, VMM_VCPU_OFF, __ATOMIC_RELEASE);
		break;
	default:
		host_fail("vm%u vcpu %u: VCPU_RUN returned %llu", v->vm->vmid,
			  v->id, (unsigned long long)exit);
	}
	if (vmm_hooks.answered)
		vmm_hooks.answered(v);
}

u32 vmm_vms_off(void)
{
	u32 n = 0;

	for (u32 i = 0; i < nvms; i++)
		n += __atomic_load_n(&vms[i].off, __ATOMIC_ACQUIRE);
	return n;
}

/*
 * Can @v run again? Not once its VM is off; a vCPU that is off (never
 * started, or after CPU_OFF) may still be started by a CPU_ON.
 */
static bool finished(const struct vmm_vcpu *v)
{
	return __atomic_load_n(&v->vm->off, __ATOMIC_ACQUIRE);
}

void vmm_run_cpu(u32 cpu)
{
	for (;;) {
		bool ran = false, left = false;

		for (u32 i = 0; i < nvms; i++) {
			struct vmm_vm *vm = &vms[i];

			for (u32 j = 0; j < vm->nvcpus; j++) {
				struct vmm_vcpu *v = &vm->vcpu[j];

				if (v->cpu != cpu || finished(v))
					continue;
				left = true;
				if (__atomic_load_n(&v->state,
						    __ATOMIC_ACQUIRE) !=
				    VMM_VCPU_RUNNABLE)
					continue;
				run_once(v);
				ran = true;
			}
		}
		if (!left)
			return;
		/* Only vCPUs that are off: wait for a CPU_ON (sev). */
		if (!ran)
			__asm__ volatile("wfe" ::: "memory");
	}
}
