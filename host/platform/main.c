// SPDX-License-Identifier: MIT
/*
 * The bare-metal host's boot: runs at EL1 under corevisor's stage 2. It
 * checks the basic contract with corevisor (hypercalls answer, its own
 * memory faults in on demand, a second CPU comes up through a trapped
 * PSCI CPU_ON at EL1), then powers the machine off.
 */
#include <corevisor/abi.h>
#include <corevisor/image.h>
#include <host/vmm.h>

#include "gictab.h"
#include "vms.h"

/* Host RAM the boot check touches: [0x50400000, 0x80000000), 2 MiB apart. */
#define TOUCH_START 0x50400000ULL
#define TOUCH_END 0x80000000ULL
#define TOUCH_STEP 0x200000ULL
#define SECONDARY_PAGE 0x60001000ULL

/*
 * Test mode: a word the QEMU runner stores before boot (-device loader,
 * data=N) at HOST_MODE_ADDR, host RAM no program uses. 0 = the boot check
 * (or, when the runner left guest images, boot and run them all); the
 * others try what corevisor must refuse or hide.
 */
#define HOST_MODE_ADDR 0x4fff0000ULL
enum host_mode {
	MODE_BOOT = 0,
	MODE_READ_COREVISOR = 1,  /* read corevisor's image: must panic */
	MODE_WRITE_POOL = 2,	  /* write corevisor's table pool: panic */
	MODE_SCAN_DTB = 3,	  /* look for the AEAD key in the DTB */
	MODE_BAD_HVC = 4,	  /* REGISTER_VCPU with vmid 99: panic */
	MODE_CPU_REON = 5,	  /* CPU_ON, CPU_OFF, CPU_ON again */
	MODE_TOUCH_ALL = 6,	  /* every page of host RAM, and high MMIO */
	MODE_HALT_STOPS_CPUS = 7, /* cpu 1 prints ticks while cpu 0 panics */
	MODE_SMCCC = 8,		  /* PSCI_FEATURES and SMCCC answers */
	MODE_SGI = 9,		  /* Group 1 and Group 0 SGI register writes */
	/* With guest images (vm_main): the boot protocol misused. */
	MODE_REMAP_AFTER_VERIFY = 20, /* REMAP_VM_IMAGE on a VERIFIED VM */
	MODE_VCPU_TWICE = 21,	      /* REGISTER_VCPU(vm, 0) twice */
	MODE_RUN_UNVERIFIED = 22,     /* VCPU_RUN before VERIFY_VM_IMAGES */
	MODE_RUN_BAD_VMID = 23,	      /* VCPU_RUN(16, 0) */
	MODE_RUN_BAD_VCPUID = 24,     /* VCPU_RUN(vm, 8) */
	MODE_REMAP_BAD_PFN = 25,      /* REMAP_VM_IMAGE(vm, 1 << 28, idx) */
	MODE_REMAP_BAD_INDEX = 26,    /* REMAP_VM_IMAGE(vm, pfn, 5) */
	MODE_OVERLAP_IMAGES = 27,     /* 2 images, 1 guest block, 2 host ones */
	/* Running VMs attacked. */
	MODE_READ_VM_PAGE = 30,	   /* read the vault's secret page */
	MODE_WRITE_VM_PAGE = 31,   /* write the vault's secret page */
	MODE_OFFER_VM_PAGE = 32,   /* back vm2's fault with a page of vm1 */
	MODE_OFFER_CORE_PAGE = 33, /* back a fault with corevisor's pool */
	MODE_HOSTILE_REGS = 34,	   /* scribble on every register not offered */
	MODE_SNOOP_REGS = 35,	   /* look for the vault's secret at exits */
	MODE_HALT_STOPS_VMS = 36,  /* cpu 1 runs the VMs while cpu 0 panics */
	MODE_START_SECONDARY = 37, /* run vCPU 1 at a PC of the host's */
	/* VM lifecycle: 40..49. */
	MODE_LIFECYCLE = 40, /* 50 VMs booted, run and destroyed in turn */
	/* Snapshot and restore: 41..49 (HVC_SNAPSHOT_*, HVC_RESTORE_*). */
	MODE_SNAPSHOT = 41, /* primes paused, sealed, destroyed, restored */
	/* Interrupts (vgic): 50..59. */
	MODE_BAD_INJECTIONS = 50, /* every free request slot a bad one */
	/* The Linux guest (mk/linuxguest.mk): 60..69; GIC tables: 70..79,
	 * in gictab.h. */
	MODE_LINUX_PEEK = 60,	  /* read the booted Linux guest's memory */
	MODE_LINUX_BOOTARGS = 61, /* change its signed DTB's command line */
};
/* MODE_LINUX_PEEK: what the guest's /init prints once it runs. */
#define LINUX_INIT_LINE "init: hello from Linux"
#define LIFECYCLE_ROUNDS 50
/* MODE_SNAPSHOT: pause once the VM took this many RAM faults. */
#define SNAPSHOT_AFTER_FAULTS 150U
#define SNAPSHOT_MAX_PAGES 2048U
#define LIFECYCLE_BLOCK 0x200000ULL /* host_vm_block alignment */
/* corevisor's image and reserved memory on QEMU virt (arch/aarch64). */
#define COREVISOR_IMAGE 0x40200000ULL
#define COREVISOR_POOL 0x40400000ULL
/*
 * MODE_TOUCH_ALL: RAM from 0x40000000, its size in MiB in the word the
 * runner stores at RAM_MIB_ADDR; QEMU virt's high PCIe ECAM (above 4 GiB,
 * with highmem): the host bridge's vendor/device ID word at offset 0.
 */
#define RAM_BASE 0x40000000ULL
#define RAM_MIB_ADDR 0x4fff0004ULL
#define HIGH_ECAM 0x4010000000ULL
/* MODE_SCAN_DTB: the runner's AEAD key is 32 bytes of 0xa5, its rng-seed
 * 32 bytes of 0x5c. */
#define TEST_KEY_BYTE 0xa5
#define TEST_SEED_BYTE 0x5c
/* The vault guest (guest/vault): its secret's page, its event. */
#define VAULT_SECRET_IPA 0x48600000ULL
#define VAULT_EVENT_SECRET_STORED 1
#define VAULT_SECRET_WORD 0x25079fe4a376c9b7ULL /* its value, for snooping */
#define COREVISOR_VMID 16

static volatile u32 secondary_up[HOST_MAX_CPUS];
/* MODE_HALT_STOPS_CPUS: cpu 1's ticks so far. */
static volatile u32 ticks;
/* vm_main: the VMs are booted; secondaries join the vCPU loop. */
static volatile u32 vms_go;
static u32 cpus_running;

static void vm_cpu_loop(u32 cpu) __attribute__((noreturn));
static void report_bad_injections(void);
static void tick_forever(u32 cpu) __attribute__((noreturn));

void host_secondary_start(u64 ctx);
void host_secondary_main(u64 ctx);
extern char __host_end[];

static u64 current_el(void)
{
	u64 v;

	__asm__ volatile("mrs %0, CurrentEL" : "=r"(v));
	return (v >> 2) & 3;
}

static u64 touch(u64 start, u64 end, u64 step)
{
	u64 n = 0;

	for (u64 a = start; a < end; a += step, n++)
		*(volatile u64 *)a = a ^ 0x5a5a5a5a5a5a5a5aULL;
	for (u64 a = start; a < end; a += step)
		if (*(volatile u64 *)a != (a ^ 0x5a5a5a5a5a5a5a5aULL))
			host_fail("memory at 0x%llx lost its value",
				  (unsigned long long)a);
	return n;
}

void host_secondary_main(u64 ctx)
{
	u32 cpu = host_cpu();

	if (current_el() != 1)
		host_fail("cpu %u runs at EL%llu", cpu,
			  (unsigned long long)current_el());
	if (vmm_noop() != 0)
		host_fail("cpu %u: HVC_NOOP failed", cpu);
	/* A page no other CPU touched: its stage-2 fault is served here. */
	touch(SECONDARY_PAGE + cpu * HOST_PAGE_SIZE,
	      SECONDARY_PAGE + (cpu + 1) * HOST_PAGE_SIZE, HOST_PAGE_SIZE);
	host_printf("host: cpu %u up at EL1\n", cpu);
	__atomic_store_n(&secondary_up[cpu], 1, __ATOMIC_RELEASE);
	if (*(volatile u32 *)HOST_MODE_ADDR == MODE_CPU_REON)
		psci_cpu_off();
	if (*(volatile u32 *)HOST_MODE_ADDR == MODE_HALT_STOPS_CPUS)
		tick_forever(cpu);
	while (!__atomic_load_n(&vms_go, __ATOMIC_ACQUIRE))
		__asm__ volatile("wfe");
	vm_cpu_loop(cpu);
}

/*
 * MODE_HALT_STOPS_CPUS: print a tick now and then, for ever, with no trap
 * to EL2 (the UART is mapped in the host's stage 2 once touched): only a
 * halt that stops every CPU stops it.
 */
static void tick_forever(u32 cpu)
{
	for (u32 n = 1;; n++) {
		host_printf("host: cpu %u tick %u\n", cpu, n);
		__atomic_store_n(&ticks, n, __ATOMIC_RELEASE);
		for (u32 i = 0; i < 2000000; i++)
			__asm__ volatile("" ::: "memory");
	}
}

static void start_cpu(u32 cpu)
{
	s64 r = psci_cpu_on(cpu, (u64)host_secondary_start, cpu);

	if (r != 0)
		host_fail("PSCI CPU_ON(%u) returned %lld", cpu, (long long)r);
	for (u64 spin = 0;
	     !__atomic_load_n(&secondary_up[cpu], __ATOMIC_ACQUIRE); spin++)
		if (spin > 100000000ULL)
			host_fail("cpu %u did not come up", cpu);
}

static u32 be32(const u8 *p)
{
	return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3];
}

/* Offset of a run of 32 @byte bytes in the DTB blob, or -1. */
static int find_run(u64 dtb, u8 byte)
{
	const u8 *p = (const u8 *)dtb;
	u32 size = be32(p + 4), run = 0;

	for (u32 i = 0; i < size; i++) {
		run = p[i] == byte ? run + 1 : 0;
		if (run == 32)
			return (int)(i - 31);
	}
	return -1;
}

/* corevisor's secrets from the DTB must be gone before the host runs. */
static void scan_dtb(u64 dtb)
{
	int at = find_run(dtb, TEST_KEY_BYTE);

	if (at >= 0)
		host_printf("host: AEAD key visible in the DTB at +0x%x\n", at);
	else
		host_printf("host: AEAD key not in the DTB\n");
	at = find_run(dtb, TEST_SEED_BYTE);
	if (at >= 0)
		host_printf("host: rng-seed visible in the DTB at +0x%x\n", at);
	else
		host_printf("host: rng-seed not in the DTB\n");
}

/* QEMU virt's GICv3: CPU 0's redistributor, its SGI frame. */
#define GICD_CTLR_ADDR 0x08000000ULL
#define GICD_CTLR_ARE (1U << 4) /* single security state (DS = 1) */
#define GICR_SGI_FRAME 0x080b0000ULL
#define GICR_IGROUPR0 0x080
#define GICR_ISPENDR0 0x200
#define GICR_ICPENDR0 0x280

static u32 sgi_pending(void)
{
	return *(volatile u32 *)(GICR_SGI_FRAME + GICR_ISPENDR0);
}

/*
 * MODE_SGI: the host sends itself SGI 3 as Group 1 (ICC_SGI1R_EL1, what
 * Linux's IPIs are) and SGI 15 as Group 0 (ICC_SGI0R_EL1, the group of
 * corevisor's fail-stop signal). Both writes trap to EL2 (HCR_EL2.FMO):
 * the first must be sent, the second dropped.
 */
static void sgi_writes(void)
{
	u64 sre;

	__asm__ volatile("mrs %0, S3_0_C12_C12_5" : "=r"(sre)); /* SRE_EL1 */
	__asm__ volatile("msr S3_0_C12_C12_5, %0\n\tisb" ::"r"(sre | 1));
	*(volatile u32 *)GICD_CTLR_ADDR |= GICD_CTLR_ARE;
	*(volatile u32 *)(GICR_SGI_FRAME + GICR_IGROUPR0) |= 1U << 3;
	*(volatile u32 *)(GICR_SGI_FRAME + GICR_ICPENDR0) = 0xffff;
	host_printf("host: SGIs pending before: [0x%x]\n", sgi_pending());
	/* INTID in [27:24], target list bit 0 (this CPU, Aff0 0). */
	__asm__ volatile(
		"msr S3_0_C12_C11_5, %0\n\tisb" ::"r"((3ULL << 24) | 1));
	host_printf("host: after ICC_SGI1R_EL1(SGI 3): [0x%x]\n",
		    sgi_pending());
	__asm__ volatile(
		"msr S3_0_C12_C11_7, %0\n\tisb" ::"r"((15ULL << 24) | 1));
	host_printf("host: after ICC_SGI0R_EL1(SGI 15): [0x%x]\n",
		    sgi_pending());
}

static void cpu_reon(void)
{
	start_cpu(1);
	/* The secondary turns itself off (CPU_OFF) after saying hello. */
	for (u64 spin = 0; spin < 100000000ULL; spin++) {
		if (psci_affinity_info(1) == 1) { /* OFF */
			host_printf("host: cpu 1 is off\n");
			secondary_up[1] = 0;
			start_cpu(1);
			return;
		}
	}
	host_fail("cpu 1 never turned off");
}

/*
 * One word of each page in [start, end), the host's own image excepted:
 * read, write it flipped, read back, restore. Every page of the range
 * reaches corevisor's stage 2 (a fault per 2 MiB block, or per page).
 */
static u64 touch_pages(u64 start, u64 end)
{
	u64 n = 0, own_end = ((u64)__host_end + HOST_PAGE_SIZE - 1) &
			     ~(HOST_PAGE_SIZE - 1);

	for (u64 a = start; a < end; a += HOST_PAGE_SIZE) {
		volatile u64 *p = (volatile u64 *)a;
		u64 v, flip = a ^ 0xa5a5a5a5a5a5a5a5ULL;

		if (a >= 0x50000000ULL && a < own_end)
			continue;
		v = *p;
		*p = v ^ flip;
		if (*p != (v ^ flip))
			host_fail("page 0x%llx did not keep a write",
				  (unsigned long long)a);
		*p = v;
		n++;
	}
	return n;
}

/*
 * MODE_TOUCH_ALL: every page of RAM that is the host's (all but
 * corevisor's image and reserved memory, [COREVISOR_IMAGE, the shared
 * area)), then the high ECAM (MMIO above 4 GiB, device memory).
 */
static void touch_all(void)
{
	u64 ram_end =
		RAM_BASE + (u64) * (volatile u32 *)RAM_MIB_ADDR * 0x100000;
	u64 core_end = hvc(HVC_GET_SHARED_BASE, 0, 0, 0, 0, 0), n;
	u32 id;

	if (ram_end <= core_end || core_end <= COREVISOR_IMAGE)
		host_fail("RAM end 0x%llx, corevisor's end 0x%llx",
			  (unsigned long long)ram_end,
			  (unsigned long long)core_end);
	host_printf("host: touching every page of RAM 0x%llx-0x%llx but "
		    "corevisor's 0x%llx-0x%llx\n",
		    (unsigned long long)RAM_BASE,
		    (unsigned long long)ram_end - 1,
		    (unsigned long long)COREVISOR_IMAGE,
		    (unsigned long long)core_end - 1);
	n = touch_pages(RAM_BASE, COREVISOR_IMAGE);
	n += touch_pages(core_end, ram_end);
	host_printf("host: touched %llu pages (%llu MiB)\n",
		    (unsigned long long)n, (unsigned long long)(n >> 8));
	id = *(volatile u32 *)HIGH_ECAM;
	host_printf("host: PCIe ECAM at 0x%llx: id 0x%08x\n", HIGH_ECAM, id);
}

/*
 * MODE_SMCCC: what corevisor answers a kernel's PSCI_FEATURES and SMCCC
 * probes with (arch/aarch64/psci.c): one line per call, the value as a
 * signed number (tests/qemu expects QEMU's firmware's answers).
 */
u64 host_smc(u64 fn, u64 a1, u64 a2, u64 a3);
static void smccc_answers(void)
{
	static const struct {
		const char *what;
		u64 fn, arg;
	} calls[] = {
		{"PSCI_FEATURES(CPU_ON)", 0x8400000a, 0xc4000003},
		{"PSCI_FEATURES(CPU_SUSPEND)", 0x8400000a, 0xc4000001},
		{"PSCI_FEATURES(SYSTEM_SUSPEND)", 0x8400000a, 0xc400000e},
		{"PSCI_FEATURES(CPU_FREEZE)", 0x8400000a, 0x8400000b},
		{"PSCI_FEATURES(SMCCC_VERSION)", 0x8400000a, 0x80000000},
		{"PSCI_FEATURES(SMCCC_ARCH_FEATURES)", 0x8400000a, 0x80000001},
		{"SMCCC_VERSION", 0x80000000, 0},
		{"SMCCC_ARCH_FEATURES(SMCCC_ARCH_FEATURES)", 0x80000001,
		 0x80000001},
		{"SMCCC_ARCH_FEATURES(ARCH_WORKAROUND_1)", 0x80000001,
		 0x80008000},
		{"SMCCC_ARCH_FEATURES(ARCH_WORKAROUND_2)", 0x80000001,
		 0x80007fff},
		{"SMCCC_ARCH_FEATURES(SOC_ID)", 0x80000001, 0x80000002},
		{"ARCH_WORKAROUND_1", 0x80008000, 0},
		{"SiP call 0xc2000000", 0xc2000000, 0},
	};

	for (u32 i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
		host_printf(
			"host: %s -> %lld\n", calls[i].what,
			(long long)host_smc(calls[i].fn, calls[i].arg, 0, 0));
}

static void run_mode(u32 mode, u64 dtb)
{
	switch (mode) {
	case MODE_READ_COREVISOR:
		host_printf("host: reading corevisor's image at 0x%llx\n",
			    COREVISOR_IMAGE);
		host_printf(
			"host: read 0x%llx\n",
			(unsigned long long)*(volatile u64 *)COREVISOR_IMAGE);
		break;
	case MODE_WRITE_POOL:
		host_printf("host: writing corevisor's pool at 0x%llx\n",
			    COREVISOR_POOL);
		*(volatile u64 *)COREVISOR_POOL = 0;
		host_printf("host: wrote the pool\n");
		break;
	case MODE_SCAN_DTB:
		scan_dtb(dtb);
		break;
	case MODE_BAD_HVC:
		host_printf("host: REGISTER_VCPU(99, 0)\n");
		host_printf("host: returned 0x%llx\n",
			    (unsigned long long)vmm_register_vcpu(99, 0));
		break;
	case MODE_CPU_REON:
		cpu_reon();
		break;
	case MODE_TOUCH_ALL:
		touch_all();
		break;
	case MODE_HALT_STOPS_CPUS:
		start_cpu(1);
		while (__atomic_load_n(&ticks, __ATOMIC_ACQUIRE) < 3)
			;
		host_printf("host: REGISTER_VCPU(99, 0) while cpu 1 runs\n");
		vmm_register_vcpu(99, 0);
		host_printf("host: returned after the panic\n");
		break;
	case MODE_SMCCC:
		smccc_answers();
		break;
	case MODE_SGI:
		sgi_writes();
		break;
	default:
		host_fail("unknown test mode %u", mode);
	}
	host_printf("host: powering off\n");
	psci_system_off();
}

/* ---- With guest images: boot them, run them, power off. ---------- */

/*
 * A CPU with nothing left to run turns itself off (PSCI CPU_OFF: under
 * QEMU an idle loop would take a host core from the CPUs still running
 * vCPUs); the last one powers the machine off.
 */
static void vm_cpu_loop(u32 cpu)
{
	vms_run_cpu(cpu);
	if (__atomic_sub_fetch(&cpus_running, 1, __ATOMIC_ACQ_REL) != 0)
		psci_cpu_off();
	if (*(volatile u32 *)HOST_MODE_ADDR == MODE_BAD_INJECTIONS)
		report_bad_injections();
	if (vms_off() == vms_count())
		host_printf("host: all VMs powered off, powering off\n");
	else
		host_printf("host: every vCPU stopped, %u of %u VM(s) powered "
			    "off; powering off\n",
			    vms_off(), vms_count());
	psci_system_off();
}

/* Start every CPU the board has (CPU_ON fails past the last one). */
static u32 start_cpus(void)
{
	u32 n = 1;

	while (n < HOST_MAX_CPUS && psci_affinity_info(n) == 1) {
		start_cpu(n);
		n++;
	}
	return n;
}

/* MODE_READ/WRITE_VM_PAGE: the vault says its secret page is written. */
static void attack_secret(struct vmm_vm *vm, u64 event)
{
	u32 mode = *(volatile u32 *)HOST_MODE_ADDR;
	u64 pa = vmm_page_of(vm, VAULT_SECRET_IPA);
	volatile u64 *p = host_phys_ptr(pa);

	if (event != VAULT_EVENT_SECRET_STORED)
		return;
	if (!pa)
		host_fail("no page of vm%u at IPA 0x%llx", vm->vmid,
			  VAULT_SECRET_IPA);
	if (mode == MODE_READ_VM_PAGE) {
		host_printf("host: reading vm%u's page at IPA 0x%llx, pfn "
			    "0x%llx\n",
			    vm->vmid, VAULT_SECRET_IPA,
			    (unsigned long long)(pa / HOST_PAGE_SIZE));
		host_printf("host: read 0x%llx\n", (unsigned long long)*p);
		/* Whatever came back, show it as text too. */
		host_printf("host: as text: %s\n", (const char *)p);
	} else {
		host_printf("host: writing vm%u's page at IPA 0x%llx, pfn "
			    "0x%llx\n",
			    vm->vmid, VAULT_SECRET_IPA,
			    (unsigned long long)(pa / HOST_PAGE_SIZE));
		*p = 0x4141414141414141ULL;
		host_printf("host: wrote the VM's page\n");
	}
}

/* MODE_GIC_*: the vault stored its secret; a GIC table points at it. */
static void gic_attack_secret(struct vmm_vm *vm, u64 event)
{
	u64 pa = vmm_page_of(vm, VAULT_SECRET_IPA);

	if (event != VAULT_EVENT_SECRET_STORED)
		return;
	if (!pa)
		host_fail("no page of vm%u at IPA 0x%llx", vm->vmid,
			  VAULT_SECRET_IPA);
	gictab_attack(*(volatile u32 *)HOST_MODE_ADDR, pa);
}

/* @line contains @text (after the kernel's "[ time] ", say). */
static bool line_says(const char *line, const char *text)
{
	size_t n = strlen(text);

	for (size_t left = strlen(line); left >= n; left--, line++)
		if (!memcmp(line, text, n))
			return true;
	return false;
}

/*
 * MODE_LINUX_PEEK: once the Linux guest runs its /init, the host reads
 * the last page it gave the VM (kernel memory by now) and one of the
 * kernel image's: corevisor must stop the machine at the first.
 */
static void peek_linux(struct vmm_vm *vm, const char *line)
{
	u32 n = __atomic_load_n(&vm->npages, __ATOMIC_ACQUIRE);
	volatile u64 *p;
	u64 pa;

	if (!line_says(line, LINUX_INIT_LINE) || !n)
		return;
	pa = vm->page_pa[n - 1];
	host_printf("host: reading vm%u's page at IPA 0x%llx, pfn 0x%llx "
		    "(%u page(s) given)\n",
		    vm->vmid, (unsigned long long)vm->page_ipa[n - 1],
		    (unsigned long long)(pa / HOST_PAGE_SIZE),
		    vm->npages_total);
	p = host_phys_ptr(pa);
	host_printf("host: read 0x%llx\n", (unsigned long long)p[0]);
	pa = vm->block_pa + 0x10000;
	p = host_phys_ptr(pa);
	host_printf("host: kernel image page 0x%llx: 0x%llx\n",
		    (unsigned long long)pa, (unsigned long long)p[0]);
}

/*
 * MODE_OFFER_*: the second VM's first RAM fault is answered with a page
 * that is not the host's to give.
 */
static u64 offer_bad_page(struct vmm_vm *vm, u64 ipa)
{
	u32 mode = *(volatile u32 *)HOST_MODE_ADDR;
	struct vmm_vm *first = vms_get(0);
	u64 pa;

	if (vm == first || vm->npages)
		return 0;
	pa = mode == MODE_OFFER_VM_PAGE ? first->block_pa : COREVISOR_POOL;
	host_printf("host: offering pfn 0x%llx (%s) for vm%u's fault at IPA "
		    "0x%llx\n",
		    (unsigned long long)(pa / HOST_PAGE_SIZE),
		    mode == MODE_OFFER_VM_PAGE ? "vm1's image" : "corevisor's",
		    vm->vmid, (unsigned long long)ipa);
	return pa;
}

/*
 * MODE_HOSTILE_REGS: after each exit the host writes garbage to every
 * register of the run structure the exit did not offer, and to the
 * initial PC and PSTATE. corevisor takes only what it offered: the VMs
 * must compute the same answers.
 */
static void scribble(struct vmm_vcpu *v)
{
	volatile struct cv_vcpu_run *run = v->run;
	u64 dirty = run->dirty;

	for (u32 i = 0; i < 31; i++)
		if (!(dirty & (1ULL << i)))
			run->regs[i] = 0xbad0000000000000ULL | i;
	run->pc = 0xbad0000000000000ULL;
	run->pstate = 0x3c9; /* EL2h: corevisor would panic if it read it */
	run->dirty = ~0ULL;
}

/*
 * MODE_SNOOP_REGS: everything corevisor shows the host at each exit (the
 * whole run structure) is searched for the vault's secret, which the
 * vault holds in registers across exits.
 */
static u32 snooped;

static void snoop(struct vmm_vcpu *v)
{
	const volatile u32 *w = (const volatile u32 *)v->run;

	for (u32 i = 0; i + 1 < sizeof(struct cv_vcpu_run) / 4; i++)
		if (w[i] == (u32)VAULT_SECRET_WORD ||
		    w[i] == (u32)(VAULT_SECRET_WORD >> 32))
			host_printf("host: vm%u vcpu %u shows part of the "
				    "secret at +%u\n",
				    v->vm->vmid, v->id, i * 4);
	if (++snooped % 256 == 0)
		host_printf("host: %u exits snooped\n", snooped);
}

/*
 * Load @img for VM @vmid as vmm_vm_boot does (at its load address's
 * offset in the host's 2 MiB block @block_pa), up to VERIFY.
 */
static void load_image_at(u32 vmid, const struct host_guest_image *img,
			  u64 block_pa)
{
	struct cv_image_trailer tr;
	u64 off, idx, pages;

	memcpy(&tr,
	       host_phys_ptr(img->addr + img->size - CV_IMAGE_TRAILER_BYTES),
	       sizeof(tr));
	off = tr.load_addr & (0x200000ULL - 1);
	memcpy(host_phys_ptr(block_pa + off), host_phys_ptr(img->addr),
	       img->size);
	idx = hvc(HVC_SET_BOOT_INFO, vmid, tr.load_addr, img->size, 0, 0);
	pages = (img->size + HOST_PAGE_SIZE - 1) / HOST_PAGE_SIZE;
	for (u64 i = 0; i < pages; i++)
		hvc(HVC_REMAP_VM_IMAGE, vmid,
		    (block_pa + off) / HOST_PAGE_SIZE + i, idx, 0, 0);
	host_printf("host: vm%u: image '%s' for IPA 0x%llx from host block "
		    "0x%llx\n",
		    vmid, img->name, (unsigned long long)tr.load_addr,
		    (unsigned long long)block_pa);
}

/*
 * MODE_START_SECONDARY: before its guest asked, the host starts the VM's
 * vCPU 1 at a PC of its choice inside the signed image, with its own x0
 * (ABI version 1 read run->pc / pstate / regs[0] at a first run).
 * corevisor must keep the vCPU off: it starts only where its guest says.
 */
static void start_secondary_at_will(struct vmm_vm *vm)
{
	volatile struct cv_vcpu_run *run = vm->vcpu[1].run;
	u64 pc = vm->load_addr + 0x100, exit;

	if (vm->nvcpus < 2)
		host_fail("vm%u has one vCPU", vm->vmid);
	host_printf("host: starting vm%u vcpu 1 at 0x%llx, x0 0x41414141, "
		    "without a CPU_ON from its guest\n",
		    vm->vmid, (unsigned long long)pc);
	run->pc = pc;
	run->pstate = 0x3c5;
	run->regs[0] = 0x41414141;
	exit = hvc(HVC_VCPU_RUN, vm->vmid, 1, 0, 0, 0);
	if (exit != CV_EXIT_VCPU_OFF)
		host_fail("vm%u vcpu 1 ran at the host's PC (exit %llu)",
			  vm->vmid, (unsigned long long)exit);
	host_printf("host: corevisor kept vm%u vcpu 1 off (CV_EXIT_VCPU_OFF)\n",
		    vm->vmid);
}

/* The boot protocol misused: corevisor must panic at the marked call. */
static void misuse(u32 mode, const struct host_guest_image *imgs, u32 n)
{
	const struct host_guest_image *img = &imgs[0];
	struct vmm_vm *vm;
	u32 vmid;

	switch (mode) {
	case MODE_REMAP_AFTER_VERIFY:
		vm = vms_boot(img);
		host_printf(
			"host: REMAP_VM_IMAGE(vm%u, pfn 0x%llx, 0) after "
			"VERIFY\n",
			vm->vmid,
			(unsigned long long)(vm->block_pa / HOST_PAGE_SIZE));
		hvc(HVC_REMAP_VM_IMAGE, vm->vmid, vm->block_pa / HOST_PAGE_SIZE,
		    0, 0, 0);
		break;
	case MODE_VCPU_TWICE:
		vmid = vmm_register_vm();
		host_printf("host: REGISTER_VCPU(vm%u, 0) twice\n", vmid);
		vmm_register_vcpu(vmid, 0);
		vmm_register_vcpu(vmid, 0);
		break;
	case MODE_RUN_UNVERIFIED:
		vmid = vmm_register_vm();
		vmm_register_vcpu(vmid, 0);
		vmm_run_struct(vmid, 0)->pc = 0x40000000;
		vmm_run_struct(vmid, 0)->pstate = 0x3c5;
		host_printf("host: VCPU_RUN(vm%u, 0) before VERIFY\n", vmid);
		hvc(HVC_VCPU_RUN, vmid, 0, 0, 0, 0);
		break;
	case MODE_RUN_BAD_VMID:
	case MODE_RUN_BAD_VCPUID:
		vm = vms_boot(img);
		vmid = mode == MODE_RUN_BAD_VMID ? COREVISOR_VMID : vm->vmid;
		host_printf("host: VCPU_RUN on vmid %u vcpuid %u\n", vmid,
			    mode == MODE_RUN_BAD_VMID ? 0 : 8);
		hvc(HVC_VCPU_RUN, vmid, mode == MODE_RUN_BAD_VMID ? 0 : 8, 0, 0,
		    0);
		break;
	case MODE_REMAP_BAD_PFN:
	case MODE_REMAP_BAD_INDEX:
		vmid = vmm_register_vm();
		vmm_register_vcpu(vmid, 0);
		hvc(HVC_SET_BOOT_INFO, vmid, 0x40000000, img->size, 0, 0);
		host_printf("host: REMAP_VM_IMAGE with a bad %s\n",
			    mode == MODE_REMAP_BAD_PFN ? "pfn" : "load index");
		if (mode == MODE_REMAP_BAD_PFN)
			hvc(HVC_REMAP_VM_IMAGE, vmid, 1ULL << 28, 0, 0, 0);
		else
			hvc(HVC_REMAP_VM_IMAGE, vmid, 0x60000, 5, 0, 0);
		break;
	case MODE_OVERLAP_IMAGES:
		/*
		 * The second image's load range shares the first's 2 MiB
		 * guest block, but comes from another host block: loading it
		 * would map that block over the first's verified pages.
		 */
		if (n < 2)
			host_fail("MODE_OVERLAP_IMAGES needs two guest images");
		vmid = vmm_register_vm();
		vmm_register_vcpu(vmid, 0);
		load_image_at(vmid, &imgs[0],
			      host_phys_alloc(0x200000, 0x200000));
		load_image_at(vmid, &imgs[1],
			      host_phys_alloc(0x200000, 0x200000));
		host_printf("host: vm%u: VERIFY_VM_IMAGES with two images in "
			    "one guest block\n",
			    vmid);
		hvc(HVC_VERIFY_VM_IMAGES, vmid, 0, 0, 0, 0);
		break;
	default:
		host_fail("unknown test mode %u", mode);
	}
	host_printf("host: corevisor let it pass\n");
}

/*
 * MODE_HALT_STOPS_VMS: every vCPU runs on CPU 1; when the vault says its
 * secret is stored (it then waits with WFIs before it prints again), CPU 0
 * makes corevisor panic. Nothing of CPU 1's may run after that.
 */
static volatile u32 vault_stored;

static void note_stored(struct vmm_vm *vm, u64 event)
{
	if (event == VAULT_EVENT_SECRET_STORED)
		__atomic_store_n(&vault_stored, 1, __ATOMIC_RELEASE);
}

static void panic_while_vms_run(void)
{
	while (!__atomic_load_n(&vault_stored, __ATOMIC_ACQUIRE))
		;
	host_printf("host: REGISTER_VCPU(99, 0) while cpu 1 runs the VMs\n");
	vmm_register_vcpu(99, 0);
	host_printf("host: returned after the panic\n");
	psci_system_off();
}

/*
 * MODE_LIFECYCLE: the first guest image, booted, run to its power-off on
 * this CPU and destroyed, LIFECYCLE_ROUNDS times. Each round takes the
 * same host memory again (host_phys_release): destroy gave it back, and
 * each VM gets the same vmid. After each destroy the image's pages read
 * back zero, and a second destroy is refused (CV_DESTROY_NO_VM).
 */
static void lifecycle(const struct host_guest_image *imgs)
{
	u64 mark = host_phys_mark(), block = 0;

	for (u32 round = 1; round <= LIFECYCLE_ROUNDS; round++) {
		struct vmm_vm *vm;
		u64 r, nonzero = 0;
		u32 vmid;

		host_printf("host: round %u: booting\n", round);
		vm = vms_boot(&imgs[0]);
		vmid = vm->vmid;
		if (round > 1 && vm->block_pa != block)
			host_fail("round %u: image at 0x%llx, not 0x%llx",
				  round, (unsigned long long)vm->block_pa,
				  (unsigned long long)block);
		block = vm->block_pa;
		vms_assign_cpus(1);
		vms_run_cpu(0);
		if (!vm->off)
			host_fail("round %u: vm%u did not power off", round,
				  vmid);
		r = vmm_vm_destroy(vm, 0);
		if (r != CV_DESTROY_OK)
			host_fail("round %u: DESTROY_VM(%u) returned %llu",
				  round, vmid, (unsigned long long)r);
		for (u64 off = 0; off < vm->image_size; off += 8)
			nonzero |= *(volatile u64 *)host_phys_ptr(
				vm->block_pa +
				(vm->load_addr & (LIFECYCLE_BLOCK - 1)) + off);
		if (nonzero)
			host_fail("round %u: vm%u's image pages not zeroed",
				  round, vmid);
		r = vmm_vm_destroy(vm, 0);
		if (r != CV_DESTROY_NO_VM)
			host_fail(
				"round %u: second DESTROY_VM(%u) returned %llu",
				round, vmid, (unsigned long long)r);
		host_printf("host: round %u: vm%u destroyed, its image pages "
			    "read back zero\n",
			    round, vmid);
		vms_forget();
		host_phys_release(mark);
	}
	host_printf("host: %u VMs booted, run and destroyed, one after "
		    "another\n",
		    LIFECYCLE_ROUNDS);
	psci_system_off();
}

/*
 * MODE_SNAPSHOT: the first guest (primes, 2 vCPUs) runs on this CPU until
 * it took SNAPSHOT_AFTER_FAULTS RAM faults, mid-computation; then each of
 * its vCPUs is held at its next exit that leaves nothing for the host to
 * answer (an interrupt or a WFI; the host's answers live in the run
 * structure of the old vmid), or is off. The host snapshots it
 * (HVC_SNAPSHOT_*), boots a fresh VM of the same image (the next vmid),
 * destroys the first, restores the snapshot into the second
 * (HVC_RESTORE_*, BOOT_FROM_SAVED_VM) and runs it to its power-off: it
 * must give the same answers.
 */
static struct vmm_vm *snap_vm;
static u32 snap_held;

static u64 vm_faults(const struct vmm_vm *vm)
{
	u64 n = 0;

	for (u32 i = 0; i < vm->nvcpus; i++)
		n += vm->vcpu[i].exits[CV_EXIT_MEM_FAULT];
	return n;
}

static void snapshot_hold(struct vmm_vcpu *v)
{
	u32 why = v->run->exit_reason, all = (1U << v->vm->nvcpus) - 1;

	if (v->vm != snap_vm || vm_faults(v->vm) < SNAPSHOT_AFTER_FAULTS)
		return;
	if (why == CV_EXIT_IRQ || why == CV_EXIT_WFX ||
	    __atomic_load_n(&v->state, __ATOMIC_ACQUIRE) == VMM_VCPU_OFF)
		snap_held |= 1U << v->id;
	for (u32 i = 0; i < v->vm->nvcpus; i++)
		if (__atomic_load_n(&v->vm->vcpu[i].state, __ATOMIC_ACQUIRE) ==
		    VMM_VCPU_OFF)
			snap_held |= 1U << i;
	if (snap_held == all)
		vms_stop = true;
}

static bool snapshot_may_run(struct vmm_vcpu *v)
{
	return v->vm != snap_vm || !(snap_held & (1U << v->id));
}

static void snap_call(const char *what, u64 r)
{
	if (r != CV_SNAP_OK)
		host_fail("%s returned %llu", what, (unsigned long long)r);
}

static void snapshot_restore(const struct host_guest_image *imgs)
{
	u64 base, page, r, npages = 0, calls = 0, vcpu_blob, manifest;
	struct vmm_vm *a, *b;

	a = snap_vm = vms_boot(&imgs[0]);
	vms_assign_cpus(1);
	vms_hooks.answered = snapshot_hold;
	vms_hooks.may_run = snapshot_may_run;
	vms_run_cpu(0);
	if (a->off)
		host_fail("vm%u powered off before its snapshot", a->vmid);
	host_printf("host: vm%u paused after %llu RAM faults\n", a->vmid,
		    (unsigned long long)vm_faults(a));

	/* Page pairs, then a page per vCPU, then the manifest. */
	base = host_phys_alloc((2 * SNAPSHOT_MAX_PAGES + VMM_MAX_VCPUS + 1) *
				       HOST_PAGE_SIZE,
			       HOST_PAGE_SIZE);
	if (!base)
		host_fail("no memory for the snapshot");
	snap_call("SNAPSHOT_BEGIN",
		  hvc(HVC_SNAPSHOT_BEGIN, a->vmid, 0, 0, 0, 0));
	for (;;) {
		page = base + 2 * npages * HOST_PAGE_SIZE;
		r = hvc(HVC_SNAPSHOT_PAGE, a->vmid, page, 0, 0, 0);
		calls++;
		if (r == CV_SNAP_DONE)
			break;
		if (r == CV_SNAP_AGAIN)
			continue;
		snap_call("SNAPSHOT_PAGE", r);
		if (++npages == SNAPSHOT_MAX_PAGES)
			host_fail("more than %u pages", SNAPSHOT_MAX_PAGES);
	}
	vcpu_blob = base + 2 * SNAPSHOT_MAX_PAGES * HOST_PAGE_SIZE;
	for (u32 i = 0; i < a->nvcpus; i++)
		snap_call("SNAPSHOT_VCPU",
			  hvc(HVC_SNAPSHOT_VCPU, a->vmid, i,
			      vcpu_blob + i * HOST_PAGE_SIZE, 0, 0));
	manifest = vcpu_blob + VMM_MAX_VCPUS * HOST_PAGE_SIZE;
	snap_call("SNAPSHOT_END",
		  hvc(HVC_SNAPSHOT_END, a->vmid, manifest, 0, 0, 0));
	host_printf("host: vm%u sealed: %llu page blobs (%llu SNAPSHOT_PAGE "
		    "calls), %u vCPU blobs, the manifest\n",
		    a->vmid, (unsigned long long)npages,
		    (unsigned long long)calls, a->nvcpus);

	b = vms_boot(&imgs[0]);
	if (b->vmid == a->vmid)
		host_fail("the fresh VM took vmid %u", b->vmid);
	r = vmm_vm_destroy(a, CV_DESTROY_FORCE);
	if (r != CV_DESTROY_OK)
		host_fail("DESTROY_VM(%u) returned %llu", a->vmid,
			  (unsigned long long)r);
	host_printf("host: vm%u destroyed; restoring its snapshot into vm%u\n",
		    a->vmid, b->vmid);
	snap_call("RESTORE_BEGIN",
		  hvc(HVC_RESTORE_BEGIN, b->vmid, manifest, 0, 0, 0));
	for (u64 i = 0; i < npages; i++)
		snap_call("RESTORE_PAGE",
			  hvc(HVC_RESTORE_PAGE, b->vmid,
			      base + 2 * i * HOST_PAGE_SIZE, 0, 0, 0));
	for (u32 i = 0; i < b->nvcpus; i++)
		snap_call("RESTORE_VCPU",
			  hvc(HVC_RESTORE_VCPU, b->vmid, i,
			      vcpu_blob + i * HOST_PAGE_SIZE, 0, 0));
	snap_call("BOOT_FROM_SAVED_VM",
		  hvc(HVC_BOOT_FROM_SAVED_VM, b->vmid, 0, 0, 0, 0));
	host_printf("host: vm%u restored from vm%u's snapshot; running it\n",
		    b->vmid, a->vmid);
	vms_move(a, b);
	vms_hooks.answered = NULL;
	vms_hooks.may_run = NULL;
	vms_stop = false;
	vms_run_cpu(0);
	if (!b->off)
		host_fail("vm%u did not power off", b->vmid);
	host_printf("host: the restored VM finished\n");
	psci_system_off();
}

/*
 * MODE_BAD_INJECTIONS: before every run, each request slot the vGIC left
 * free gets a request corevisor must refuse, one class per slot; after
 * the run, each must have been refused for that reason (or because the
 * vCPU is off). The guest must not notice.
 */
static const struct {
	struct cv_vcpu_irq req;
	u8 expect;
} bad_reqs[] = {
	{{1020, 1, 0xa0, CV_IRQ_REQ_VALID, 0}, CV_IRQ_BAD_INTID},
	{{0xffffffffU, 1, 0, CV_IRQ_REQ_VALID, 0}, CV_IRQ_BAD_INTID},
	{{8192, 1, 0, CV_IRQ_REQ_VALID, 0}, CV_IRQ_BAD_INTID},
	{{27, 1, 0, CV_IRQ_REQ_VALID, 0}, CV_IRQ_RESERVED},
	{{30, 0, 0, CV_IRQ_REQ_VALID | CV_IRQ_REQ_NOTIFY_EOI, 0},
	 CV_IRQ_RESERVED},
	{{40, 2, 0, CV_IRQ_REQ_VALID, 0}, CV_IRQ_BAD_GROUP},
	{{41, 1, 0, CV_IRQ_REQ_VALID | 0x40, 0}, CV_IRQ_BAD_GROUP},
	{{42, 1, 0, CV_IRQ_REQ_VALID, 0x5a}, CV_IRQ_BAD_GROUP},
};
static u32 bad_next;
static u64 bad_sent, bad_refused[CV_IRQ_VCPU_OFF + 1], bad_wrong;
static u8 bad_slot_expect[VMS_MAX * VMM_MAX_VCPUS][CV_VCPU_IRQ_REQS];

static u8 *slot_expect(struct vmm_vcpu *v)
{
	for (u32 i = 0; i < vms_count(); i++)
		if (vms_get(i) == v->vm)
			return bad_slot_expect[i * VMM_MAX_VCPUS + v->id];
	return bad_slot_expect[0];
}

static void bad_injections(struct vmm_vcpu *v)
{
	volatile struct cv_vcpu_run *run = v->run;
	u8 *expect = slot_expect(v);
	u32 n = __atomic_fetch_add(&bad_next, 1, __ATOMIC_RELAXED) %
		(sizeof(bad_reqs) / sizeof(bad_reqs[0]));

	for (u32 i = 0; i < CV_VCPU_IRQ_REQS; i++) {
		expect[i] = CV_IRQ_NONE;
		if (i < v->irq_nsent)
			continue;
		run->irq_req[i].intid = bad_reqs[n].req.intid;
		run->irq_req[i].group = bad_reqs[n].req.group;
		run->irq_req[i].priority = bad_reqs[n].req.priority;
		run->irq_req[i].flags = bad_reqs[n].req.flags;
		run->irq_req[i].reserved = bad_reqs[n].req.reserved;
		expect[i] = bad_reqs[n].expect;
		__atomic_add_fetch(&bad_sent, 1, __ATOMIC_RELAXED);
		n = (n + 1) % (sizeof(bad_reqs) / sizeof(bad_reqs[0]));
	}
}

static void bad_injections_checked(struct vmm_vcpu *v)
{
	volatile struct cv_vcpu_run *run = v->run;
	u8 *expect = slot_expect(v);

	for (u32 i = 0; i < CV_VCPU_IRQ_REQS; i++) {
		u8 got = run->irq_result[i];

		if (expect[i] == CV_IRQ_NONE)
			continue;
		/* Nothing ran for a VM that went off: nothing answered. */
		if (run->exit_reason == CV_EXIT_POWERED_OFF && got == 0)
			continue;
		if (got == expect[i] || got == CV_IRQ_VCPU_OFF)
			__atomic_add_fetch(&bad_refused[got], 1,
					   __ATOMIC_RELAXED);
		else
			__atomic_add_fetch(&bad_wrong, 1, __ATOMIC_RELAXED);
		expect[i] = CV_IRQ_NONE;
	}
}

static void report_bad_injections(void)
{
	host_printf("host: %llu bad injection requests: %llu refused as a "
		    "bad INTID, %llu as reserved, %llu as a bad group, %llu "
		    "for a vCPU that is off, %llu answered otherwise\n",
		    (unsigned long long)bad_sent,
		    (unsigned long long)bad_refused[CV_IRQ_BAD_INTID],
		    (unsigned long long)bad_refused[CV_IRQ_RESERVED],
		    (unsigned long long)bad_refused[CV_IRQ_BAD_GROUP],
		    (unsigned long long)bad_refused[CV_IRQ_VCPU_OFF],
		    (unsigned long long)bad_wrong);
}

/*
 * MODE_LINUX_BOOTARGS: before the VM is booted, the host rewrites the
 * guest's command line in its device tree (the last image the runner
 * left): the init it runs would be the host's choice.
 */
static void tamper_bootargs(const struct host_guest_image *imgs, u32 n)
{
	static const char from[] = "rdinit=/init", to[] = "rdinit=/evil";
	const struct host_guest_image *dtb = &imgs[n - 1];
	char *p = host_phys_ptr(dtb->addr), name[sizeof(imgs[0].name) + 1];

	memcpy(name, imgs[0].name, sizeof(imgs[0].name));
	name[sizeof(imgs[0].name)] = '\0';
	for (u64 i = 0; i + sizeof(from) - 1 <= dtb->size; i++)
		if (!memcmp(p + i, from, sizeof(from) - 1)) {
			memcpy(p + i, to, sizeof(to) - 1);
			host_printf("host: '%s' in the device tree of '%s' "
				    "rewritten to '%s'\n",
				    from, name, to);
			return;
		}
	host_fail("no '%s' in the last image", from);
}

static void vm_main(u32 mode, const struct host_guest_image *imgs, u32 n)
{
	u32 ncpus;

	if (vmm_init())
		host_fail("no shared vCPU area");
	if (mode >= MODE_REMAP_AFTER_VERIFY && mode < MODE_READ_VM_PAGE) {
		misuse(mode, imgs, n);
		psci_system_off();
	}
	if (mode == MODE_LIFECYCLE)
		lifecycle(imgs);
	if (mode == MODE_SNAPSHOT)
		snapshot_restore(imgs);
	if (mode == MODE_READ_VM_PAGE || mode == MODE_WRITE_VM_PAGE)
		vms_hooks.event = attack_secret;
	if (mode == MODE_OFFER_VM_PAGE || mode == MODE_OFFER_CORE_PAGE)
		vmm_hooks.offer_page = offer_bad_page;
	if (mode >= MODE_GIC_BASER_VM && mode <= MODE_GIC_PENDBASER_CORE)
		vms_hooks.event = gic_attack_secret;
	if (mode == MODE_GIC_TABLES)
		gictab_legitimate();
	if (mode == MODE_LINUX_PEEK)
		vms_hooks.line = peek_linux;
	if (mode == MODE_LINUX_BOOTARGS)
		tamper_bootargs(imgs, n);
	if (mode == MODE_SNOOP_REGS) {
		host_printf("host: snooping on every exit\n");
		vms_hooks.answered = snoop;
	}
	if (mode == MODE_BAD_INJECTIONS) {
		host_printf("host: a bad injection request in every free slot "
			    "of every run\n");
		vmm_hooks.before_run = bad_injections;
		vms_hooks.answered = bad_injections_checked;
	}
	if (mode == MODE_HOSTILE_REGS) {
		host_printf("host: writing garbage to every register corevisor "
			    "did not offer\n");
		vms_hooks.answered = scribble;
	}
	for (u32 i = 0; i < n;)
		i += vms_boot_images(&imgs[i], n - i);
	if (mode == MODE_START_SECONDARY)
		start_secondary_at_will(vms_get(0));
	ncpus = start_cpus();
	vms_assign_cpus(ncpus);
	if (mode == MODE_HALT_STOPS_VMS) {
		/*
		 * No preemption tick: the vault's waits after its secret is
		 * stored last as long as the hostile guest's runs between
		 * them, which gives CPU 0 the time to make corevisor panic
		 * while CPU 1 is in a guest.
		 */
		vms_no_tick = true;
		vms_hooks.event = note_stored;
		for (u32 i = 0; i < vms_count(); i++)
			for (u32 j = 0; j < vms_get(i)->nvcpus; j++)
				vms_get(i)->vcpu[j].cpu = 1;
	}
	host_printf("host: running %u VM(s) on %u CPU(s)\n", vms_count(),
		    ncpus);
	cpus_running = ncpus;
	__atomic_store_n(&vms_go, 1, __ATOMIC_RELEASE);
	__asm__ volatile("dsb ish; sev" ::: "memory");
	if (mode == MODE_HALT_STOPS_VMS)
		panic_while_vms_run();
	vm_cpu_loop(0);
}

void host_main(u64 dtb);
void host_main(u64 dtb)
{
	u32 mode = *(volatile u32 *)HOST_MODE_ADDR, nimgs, vmid;
	const struct host_guest_image *imgs;
	u64 r;

	host_printf("host: hello from EL1 (EL%llu, dtb 0x%llx, mode %u)\n",
		    (unsigned long long)current_el(), (unsigned long long)dtb,
		    mode);
	if (current_el() != 1)
		host_fail("host runs at EL%llu",
			  (unsigned long long)current_el());
	imgs = host_guest_images(&nimgs);
	if (imgs)
		vm_main(mode, imgs, nimgs);
	if (mode != MODE_BOOT)
		run_mode(mode, dtb);

	host_fp_fill(0x1234567800000000ULL);
	r = vmm_noop();
	host_printf("host: HVC_NOOP -> %llu\n", (unsigned long long)r);
	if (host_fp_changed(0x1234567800000000ULL))
		host_fail("FP/SIMD registers changed across HVC_NOOP");
	if (r != 0)
		host_fail("HVC_NOOP returned %llu", (unsigned long long)r);

	vmid = vmm_register_vm();
	host_printf("host: REGISTER_KVM -> vmid %u\n", vmid);
	if (vmid != 1)
		host_fail("REGISTER_KVM returned %u, expected 1", vmid);

	/*
	 * Hypercalls that run libsodium (measuring the VM, which has no
	 * image, and sealing its vCPU): the host's FP/SIMD must stay.
	 */
	if (vmm_init())
		host_fail("no shared vCPU area");
	vmm_register_vcpu(vmid, 0);
	host_fp_fill(0xc0ffee0000000000ULL);
	hvc(HVC_VERIFY_VM_IMAGES, vmid, 0, 0, 0, 0);
	hvc(HVC_SAVE_CRYPT_VCPU, vmid, 0, 0, 0, 0);
	if (host_fp_changed(0xc0ffee0000000000ULL))
		host_fail("FP/SIMD registers changed across VERIFY_VM_IMAGES "
			  "and SAVE_CRYPT_VCPU");
	host_printf("host: SAVE_CRYPT_VCPU sealed vm%u vcpu 0, host FP/SIMD "
		    "registers kept\n",
		    vmid);

	r = touch(TOUCH_START, TOUCH_END, TOUCH_STEP);
	host_printf("host: touched %llu pages of its RAM\n",
		    (unsigned long long)r);

	start_cpu(1);
	host_printf("host: powering off\n");
	psci_system_off();
}
