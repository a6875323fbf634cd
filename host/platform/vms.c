// SPDX-License-Identifier: MIT
/*
 * The bare-metal host's VMs (vms.h): a table of host/vmm VMs, the devices
 * the guests use (a PL011 whose lines are printed as `[vmN] ...`, the
 * test device) and the per-CPU round-robin vCPU loop.
 */
#include "vms.h"

/* PL011 registers the guests use. */
#define UART_DR 0x000
#define UART_FR 0x018
#define UART_FR_TXFE (1U << 7)
#define UART_FR_RXFE (1U << 4)
#define UART_PERIPH_ID 0xfe0

struct vms_hooks vms_hooks;
volatile bool vms_stop;

static struct vm_slot {
	struct vmm_vm vm;
	/* The UART's current line, printed with a [vmN] prefix. */
	u32 line_lock;
	u32 line_len;
	char line[200];	  /* host_printf's line holds 256 */
	u32 off_reported; /* two vCPUs may both see the VM go off */
} slots[VMS_MAX];
static u32 nvms;

static void lock(u32 *l)
{
	while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE))
		;
}

static void unlock(u32 *l)
{
	__atomic_store_n(l, 0, __ATOMIC_RELEASE);
}

static struct vm_slot *slot_of(struct vmm_vm *vm)
{
	return (struct vm_slot *)((char *)vm -
				  __builtin_offsetof(struct vm_slot, vm));
}

u32 vms_count(void)
{
	return nvms;
}

struct vmm_vm *vms_get(u32 index)
{
	return index < nvms ? &slots[index].vm : NULL;
}

u32 vms_boot_images(const struct host_guest_image *imgs, u32 n)
{
	struct vmm_data_image extra[VMM_MAX_DATA_IMAGES];
	const struct host_guest_image *img = &imgs[0];
	struct vmm_image im = {
		.data = host_phys_ptr(img->addr),
		.size = img->size,
		.nvcpus = img->nvcpus ? img->nvcpus : 1,
		.name = img->name,
		.extra = extra,
	};
	struct vmm_vm *vm;
	char name[sizeof(img->name) + 1];
	int err;

	if (nvms == VMS_MAX)
		host_fail("no room for guest %.16s", img->name);
	memcpy(name, img->name, sizeof(img->name));
	name[sizeof(img->name)] = '\0';
	im.name = name;
	if (im.nvcpus > VMM_MAX_VCPUS)
		im.nvcpus = VMM_MAX_VCPUS;
	/* The images after it flagged HOST_GUEST_DATA are its data images. */
	while (1 + im.ndata < n &&
	       (imgs[1 + im.ndata].flags & HOST_GUEST_DATA)) {
		if (im.ndata == VMM_MAX_DATA_IMAGES)
			host_fail("guest %s: more than %u data images", name,
				  VMM_MAX_DATA_IMAGES);
		extra[im.ndata].data = host_phys_ptr(imgs[1 + im.ndata].addr);
		extra[im.ndata].size = imgs[1 + im.ndata].size;
		im.ndata++;
	}
	vm = &slots[nvms].vm;
	memset(&slots[nvms], 0, sizeof(slots[nvms]));
	err = vmm_vm_boot(vm, &im);
	if (err == VMM_EINVAL)
		host_fail("guest %s: %llu bytes is no image", name,
			  (unsigned long long)img->size);
	if (err)
		host_fail("no memory for guest %s", name);
	nvms++;
	return 1 + im.ndata;
}

struct vmm_vm *vms_boot(const struct host_guest_image *img)
{
	vms_boot_images(img, 1);
	return &slots[nvms - 1].vm;
}

void vms_assign_cpus(u32 ncpus)
{
	u32 n = 0;

	for (u32 i = 0; i < nvms; i++)
		for (u32 j = 0; j < slots[i].vm.nvcpus; j++)
			slots[i].vm.vcpu[j].cpu = n++ % ncpus;
}

/* ---- Devices --------------------------------------------------------- */

static void flush_line(struct vm_slot *s)
{
	s->line[s->line_len] = '\0';
	host_printf("[vm%u] %s\n", s->vm.vmid, s->line);
	s->line_len = 0;
	if (vms_hooks.line)
		vms_hooks.line(&s->vm, s->line);
}

static void uart_putc(struct vm_slot *s, char c)
{
	lock(&s->line_lock);
	if (c == '\n' || s->line_len == sizeof(s->line) - 1)
		flush_line(s);
	if (c != '\n' && c != '\r' && c != '\0')
		s->line[s->line_len++] = c;
	unlock(&s->line_lock);
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
	if (ipa == VMM_TESTDEV_IPA + 8 || ipa == VMM_HIGH_MMIO_IPA + 8)
		return VMM_TESTDEV_ID;
	unhandled_mmio(vm, ipa, false);
	return 0;
}

static void device_write(struct vmm_vm *vm, u64 ipa, u64 val)
{
	if (ipa == VMM_UART_IPA + UART_DR) {
		uart_putc(slot_of(vm), (char)val);
		return;
	}
	if (ipa >= VMM_UART_IPA && ipa < VMM_UART_IPA + HOST_PAGE_SIZE)
		return; /* control registers: nothing to model */
	if (ipa == VMM_TESTDEV_IPA) {
		if (vms_hooks.event)
			vms_hooks.event(vm, val);
		return;
	}
	unhandled_mmio(vm, ipa, true);
}

static void emulate_mmio(struct vmm_vcpu *v)
{
	if (v->mmio.is_write)
		device_write(v->vm, v->mmio.ipa, v->mmio.data);
	else
		vmm_mmio_complete(v, device_read(v->vm, v->mmio.ipa));
}

/* ---- The run loop ---------------------------------------------------- */

/*
 * The VM is off: its PSCI SYSTEM_OFF, or corevisor's "powered off" exit
 * (another vCPU's SYSTEM_OFF, an SError). Reported once.
 */
static void power_off(struct vmm_vm *vm)
{
	struct vm_slot *s = slot_of(vm);
	u64 n[CV_EXIT_SGI + 1] = {0}, total = 0;
	const char *how = vm->off_exit == CV_EXIT_SYSTEM_OFF
				  ? "PSCI SYSTEM_OFF"
				  : "corevisor: powered off";

	if (__atomic_exchange_n(&s->off_reported, 1, __ATOMIC_ACQ_REL))
		return;
	for (u32 i = 0; i < vm->nvcpus; i++)
		for (u32 e = 0; e <= CV_EXIT_SGI; e++)
			n[e] += vm->vcpu[i].exits[e];
	lock(&s->line_lock);
	if (s->line_len)
		flush_line(s);
	unlock(&s->line_lock);
	host_printf("host: vm%u '%s' powered off (%s); exits: "
		    "%llu MMIO, %llu RAM fault (%u page(s) given), %llu "
		    "HVC/SMC, %llu WFI/WFE, %llu IRQ, %llu SGI\n",
		    vm->vmid, vm->name, how,
		    (unsigned long long)n[CV_EXIT_MMIO],
		    (unsigned long long)n[CV_EXIT_MEM_FAULT], vm->npages_total,
		    (unsigned long long)n[CV_EXIT_HVC],
		    (unsigned long long)n[CV_EXIT_WFX],
		    (unsigned long long)n[CV_EXIT_IRQ],
		    (unsigned long long)n[CV_EXIT_SGI]);
	/* vmm_vcpu_run failed the run otherwise. */
	for (u32 e = 0; e <= CV_EXIT_SGI; e++)
		total += n[e];
	host_printf("host: vm%u: host FP/SIMD registers kept across all %llu "
		    "VCPU_RUNs\n",
		    vm->vmid, (unsigned long long)total);
	__asm__ volatile("dsb ish; sev" ::: "memory");
}

static u64 counter(void)
{
	u64 v;

	__asm__ volatile("isb; mrs %0, cntpct_el0" : "=r"(v));
	return v;
}

/*
 * A vCPU waiting in WFI (its interrupts pending are corevisor's to see:
 * a WFI with one pending does not exit) with a timer armed sleeps until
 * that timer's deadline, or until host_vcpu_wake.
 */
static void idle(struct vmm_vcpu *v)
{
	volatile struct cv_vcpu_run *run = v->run;
	u64 deadline = run->timer_deadline;

	if (run->exit_reason == CV_EXIT_WFX && !(run->esr & 1) && deadline &&
	    deadline > counter())
		__atomic_store_n(&v->wake_at, deadline, __ATOMIC_RELEASE);
}

static void run_once(struct vmm_vcpu *v)
{
	switch (vmm_vcpu_run(v)) {
	case VMM_MMIO:
		emulate_mmio(v);
		break;
	case VMM_VM_OFF:
		power_off(v->vm);
		break;
	case VMM_IDLE:
		idle(v);
		break;
	case VMM_AGAIN:
	case VMM_CPU_OFF:
		break;
	case VMM_ERR_NOMEM:
		host_fail("out of memory for VM pages");
	default:
		host_fail("vm%u vcpu %u: run failed", v->vm->vmid, v->id);
	}
	if (vms_hooks.answered)
		vms_hooks.answered(v);
}

void vms_move(struct vmm_vm *from, struct vmm_vm *to)
{
	struct vm_slot *a = slot_of(from), *b = slot_of(to);

	memcpy(b->line, a->line, sizeof(b->line));
	b->line_len = a->line_len;
	to->vgic = from->vgic;
	to->npages_total = from->npages_total;
	for (u32 i = 0; i < to->nvcpus && i < from->nvcpus; i++) {
		struct vmm_vcpu *v = &to->vcpu[i], *w = &from->vcpu[i];

		v->state = w->state;
		v->cpu = w->cpu;
		memcpy(v->exits, w->exits, sizeof(v->exits));
	}
	__atomic_store_n(&from->off, 1, __ATOMIC_RELEASE);
	a->off_reported = 1; /* destroyed, not powered off: no report */
}

void vms_forget(void)
{
	nvms = 0;
}

u32 vms_off(void)
{
	u32 n = 0;

	for (u32 i = 0; i < nvms; i++)
		n += __atomic_load_n(&slots[i].vm.off, __ATOMIC_ACQUIRE);
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

void vms_run_cpu(u32 cpu)
{
	vms_irq_cpu_init(cpu);
	for (;;) {
		bool ran = false, left = false, sleeping = false;

		for (u32 i = 0; i < nvms; i++) {
			struct vmm_vm *vm = &slots[i].vm;

			for (u32 j = 0; j < vm->nvcpus; j++) {
				struct vmm_vcpu *v = &vm->vcpu[j];
				u64 wake;

				if (v->cpu != cpu || finished(v))
					continue;
				left = true;
				if (__atomic_load_n(&v->state,
						    __ATOMIC_ACQUIRE) !=
					    VMM_VCPU_RUNNABLE ||
				    (vms_hooks.may_run &&
				     !vms_hooks.may_run(v)))
					continue;
				wake = __atomic_load_n(&v->wake_at,
						       __ATOMIC_ACQUIRE);
				if (wake && counter() < wake) {
					sleeping = true;
					continue;
				}
				v->wake_at = 0;
				run_once(v);
				vms_irq_poll(cpu);
				ran = true;
			}
		}
		if (!left || vms_stop)
			return;
		/* Only vCPUs that are off: wait for a CPU_ON (sev). */
		if (!ran && !sleeping)
			__asm__ volatile("wfe" ::: "memory");
		if (!ran)
			vms_irq_poll(cpu);
	}
}

/* ---- host/vmm's platform calls -------------------------------------- */

u64 host_vm_block(struct vmm_vm *vm, u64 size)
{
	return host_phys_alloc(size, 0x200000ULL);
}

/* Stores of 8 bytes: the host's memory is Device with its MMU off. */
u64 host_vm_page(struct vmm_vm *vm)
{
	u64 pa = host_phys_alloc(HOST_PAGE_SIZE, HOST_PAGE_SIZE);
	volatile u64 *p = host_phys_ptr(pa);

	if (!pa)
		return 0;
	for (u64 i = 0; i < HOST_PAGE_SIZE / 8; i++)
		p[i] = 0;
	return pa;
}

void *host_shared_map(u64 pa, u64 size)
{
	return host_phys_ptr(pa);
}

/* A new interrupt for @v (its guest's SGI): its CPU runs it again. */
void host_vcpu_wake(struct vmm_vcpu *v)
{
	__atomic_store_n(&v->wake_at, 0, __ATOMIC_RELEASE);
	__asm__ volatile("dsb ish; sev" ::: "memory");
	if (v->cpu != host_cpu())
		vms_kick(v->cpu);
}
