/* SPDX-License-Identifier: MIT */
/*
 * The bare-metal host's VMs: host/vmm's VMs in a fixed table, their
 * devices (PL011, test device) emulated here, and every host CPU running
 * the vCPUs pinned to it round-robin until all VMs are off.
 */
#ifndef HOST_PLATFORM_VMS_H
#define HOST_PLATFORM_VMS_H

#include <host/vmm.h>

#define VMS_MAX 8

/*
 * Test-mode hooks (main.c): a test-device event; after each answer; a
 * line of the guest's UART, once printed.
 */
struct vms_hooks {
	void (*event)(struct vmm_vm *vm, u64 event);
	void (*answered)(struct vmm_vcpu *v);
	/* The loop runs @v only when this says so (NULL: always). */
	bool (*may_run)(struct vmm_vcpu *v);
	void (*line)(struct vmm_vm *vm, const char *line);
};
extern struct vms_hooks vms_hooks;

/* Boot @img as the next VM (host_fail on a bad image or no room). */
struct vmm_vm *vms_boot(const struct host_guest_image *img);
/*
 * Boot @imgs[0] and the images after it flagged HOST_GUEST_DATA (of the
 * @n left) as the next VM; returns how many images it took.
 */
u32 vms_boot_images(const struct host_guest_image *imgs, u32 n);
/* Pin the vCPUs of every booted VM to the host's @ncpus CPUs. */
void vms_assign_cpus(u32 ncpus);
/*
 * The vCPU loop of host CPU @cpu: returns once none of the vCPUs pinned to
 * it can run again (its VM powered off).
 */
void vms_run_cpu(u32 cpu);
/* Set: every vCPU loop returns at its next turn (a pause). */
extern volatile bool vms_stop;
/*
 * The host's side of VM @from (its vCPUs' states and exit counts, the
 * vGIC distributor, the UART's unfinished line) moves to @to, which was
 * restored from a snapshot of @from; @from is gone (never run again).
 */
void vms_move(struct vmm_vm *from, struct vmm_vm *to);
/* How many booted VMs powered off; how many were booted; the @index-th. */
u32 vms_off(void);
/* Forget every booted VM (they are destroyed): the table is empty again. */
void vms_forget(void);
/*
 * irq.c: this CPU's GIC interface and preemption tick (every VMS_TICK_US
 * of the EL1 physical timer), polled after each VCPU_RUN (returns how many
 * interrupts it took); vms_kick makes host CPU @cpu's running vCPU exit.
 */
#define VMS_TICK_US 2000U
/* Set before the vCPU loops start: run them without the tick. */
extern bool vms_no_tick;
void vms_irq_cpu_init(u32 cpu);
u32 vms_irq_poll(u32 cpu);
void vms_kick(u32 cpu);
u64 vms_ticks(void);
u32 vms_count(void);
struct vmm_vm *vms_get(u32 index);

#endif
