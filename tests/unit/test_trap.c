// SPDX-License-Identifier: MIT
/*
 * core/trap on the hosted machine: the host's new hypercalls (VCPU_RUN and
 * its argument and state checks, CLEAR_VM_S2_RANGE, PHYS_ADDR_IOREMAP,
 * TIMER_SET_CNTVOFF, GET_SHARED_BASE), the VM exit dispatch (classes the
 * core serves, classes it refuses), the guest's own hypercalls, the host's
 * stage-2 fault entry, a whole VM lifecycle with the invariants checked
 * after every step, and vCPUs running on several CPUs at once.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <pthread.h>
#include <string.h>

#include <corevisor/abi.h>
#include <corevisor/constants.h>
#include <corevisor/hosted.h>
#include <cv/arch.h>
#include <cv/boot.h>
#include <cv/pte.h>
#include <cv/state.h>
#include <cv/trap.h>
#include <cv/vcpu.h>

#include "boot_support.h"
#include "hosted_internal.h"
#include "vm_support.h"

static struct vs_script script;

static void setup(void)
{
	vs_boot();
	memset(&script, 0, sizeof(script));
}

TestSuite(trap, .init = setup);

static struct vs_op mov(uint32_t rt, uint64_t v)
{
	return (struct vs_op){OP_MOV, v, 0, rt, 0};
}

static struct vs_op op(enum vs_op_kind k, uint64_t a)
{
	return (struct vs_op){k, a, 0, 0, 0};
}

/* A verified VM running `script`, vCPU 0 entering at op 0. */
static uint32_t script_vm(uint32_t nvcpus)
{
	uint32_t vm = vs_new_vm(nvcpus, 0);

	vs_set_script(vm, &script);
	vs_set_entry(vm, 0, VS_PC(0), VS_PSTATE, 0);
	return vm;
}

/* ---- VCPU_RUN's checks ---------------------------------------------- */

struct run_case {
	uint64_t vmid, vcpuid;
};

ParameterizedTestParameters(trap, vcpu_run_out_of_range_panics)
{
	static struct run_case cases[] = {
		{0, 0}, {16, 0},    {~0ULL, 0},
		{1, 8}, {1, ~0ULL}, {1ULL << 32, 0},
	};

	return cr_make_param_array(struct run_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct run_case *c, trap, vcpu_run_out_of_range_panics)
{
	script_vm(1);
	cr_assert_eq(bs_hvc(HVC_VCPU_RUN, c->vmid, c->vcpuid, 0, 0, 0), 0);
	bs_expect_halt("VCPU_RUN", "bad args");
	cr_assert_eq(cv_hosted_vcpu_runs(), 0);
}

Test(trap, vcpu_run_on_an_unverified_vm_panics)
{
	uint32_t vm = vs_new_vm_unverified(1, 0);

	vs_set_entry(vm, 0, VS_PC(0), VS_PSTATE, 0);
	vs_run(vm, 0);
	bs_expect_halt("set_vcpu_active", "state 2");
	cr_assert_eq(cv_hosted_vcpu_runs(), 0);
}

Test(trap, vcpu_run_on_an_unregistered_vm_panics)
{
	vs_run(5, 0);
	bs_expect_halt("set_vcpu_active", "vm 5 state 0");
}

Test(trap, vcpu_run_on_an_unregistered_vcpu_panics)
{
	uint32_t vm = script_vm(1);

	vs_run(vm, 3);
	bs_expect_halt("set_vcpu_active", "vcpu 3 state 0");
	cr_assert_eq(cv_hosted_vcpu_runs(), 0);
}

Test(trap, vcpu_run_on_a_running_vcpu_panics)
{
	uint32_t vm = script_vm(1);

	set_vcpu_active(vm, 0); /* a VCPU_RUN of it in progress elsewhere */
	vs_run(vm, 0);
	bs_expect_halt("set_vcpu_active", "vcpu 0 state 5");
}

Test(trap, vcpu_returns_to_ready_and_the_cpu_to_the_host)
{
	uint32_t vm = script_vm(1);

	script.ops[0] = op(OP_WFI, 0);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	cr_assert_eq(cv_hosted_vcpu_state(vm, 0), READY);
	cr_assert_eq(cv.cpus[0].cur_vmid, HOSTVISOR);
	cr_assert_eq(cv.cpus[0].cur_vcpuid, 0);
	vs_inv();
}

/*
 * restore_host (set_per_cpu_spec HOSTVISOR): the host's "vCPU" is the CPU
 * itself (curid), whichever vCPU of the VM ran there.
 */
Test(trap, the_cpu_back_in_the_host_is_its_own_vcpu)
{
	uint32_t vm = script_vm(2);

	script.ops[0] = op(OP_WFI, 0);
	cv_hosted_set_cpu(2);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	cr_assert_eq(cv.cpus[2].cur_vmid, HOSTVISOR);
	cr_assert_eq(cv.cpus[2].cur_vcpuid, 2, "cur_vcpuid %u",
		     cv.cpus[2].cur_vcpuid);
	vs_set_entry(vm, 1, VS_PC(0), VS_PSTATE, 0);
	cv_hosted_set_cpu(3);
	cr_assert_eq(vs_run(vm, 1), CV_EXIT_WFX);
	cr_assert_eq(cv.cpus[3].cur_vcpuid, 3);
	cv_hosted_set_cpu(0);
	vs_inv();
}

/* ---- The other calls -------------------------------------------------- */

Test(trap, get_shared_base_names_the_shared_area)
{
	cr_assert_eq(bs_hvc(HVC_GET_SHARED_BASE, 0, 0, 0, 0, 0),
		     cv_hosted_shared_base());
}

Test(trap, timer_set_cntvoff_sets_this_cpus_offset)
{
	cr_assert_eq(bs_hvc(HVC_TIMER_SET_CNTVOFF, 0x123456789ULL, 0, 0, 0, 0),
		     0);
	cr_assert_eq(cv_hosted_cntvoff(0), 0x123456789ULL);
	cv_hosted_set_cpu(1);
	bs_hvc(HVC_TIMER_SET_CNTVOFF, 7, 0, 0, 0, 0);
	cr_assert_eq(cv_hosted_cntvoff(1), 7);
	cr_assert_eq(cv_hosted_cntvoff(0), 0x123456789ULL);
	bs_expect_running();
}

static void power_off(uint32_t vm)
{
	script.ops[0] = mov(0, PSCI_0_2_FN_SYSTEM_OFF);
	script.ops[1] = op(OP_HVC, 0);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_SYSTEM_OFF);
	cr_assert_eq(cv_hosted_vm_state(vm), POWEROFF);
}

Test(trap, clear_vm_s2_range_before_power_off_does_nothing)
{
	uint32_t vm = script_vm(1);
	uint64_t pa = vs_image_pa(0);

	cr_assert_eq(bs_hvc(HVC_CLEAR_VM_S2_RANGE, vm, pa, PMD_SIZE, 0, 0), 0);
	bs_expect_running();
	cr_assert_eq(cv_hosted_page_owner(pa / PAGE_SIZE), vm);
	vs_inv();
}

Test(trap, clear_vm_s2_range_returns_the_pages_scrubbed)
{
	uint32_t vm = script_vm(1);
	uint64_t pa = vs_image_pa(0), zero[8] = {0}, got[8];

	power_off(vm);
	cr_assert_neq(memcmp(cv_hosted_phys(pa), zero, sizeof(zero)), 0);
	bs_hvc(HVC_CLEAR_VM_S2_RANGE, vm, pa, PMD_SIZE, 0, 0);
	bs_expect_running();
	for (uint64_t i = 0; i < 512; i += 31)
		cr_assert_eq(cv_hosted_page_owner(pa / PAGE_SIZE + i),
			     HOSTVISOR);
	cr_assert(cv_hosted_host_read(pa, got, sizeof(got)));
	cr_assert_eq(memcmp(got, zero, sizeof(zero)), 0, "scrubbed");
	vs_inv();
}

Test(trap, clear_vm_s2_range_with_a_vcpu_still_running_panics)
{
	uint32_t vm = script_vm(2);
	uint64_t pa = vs_image_pa(0);

	set_vcpu_active(vm, 1); /* vCPU 1 running on another CPU */
	power_off(vm);
	bs_hvc(HVC_CLEAR_VM_S2_RANGE, vm, pa, PMD_SIZE, 0, 0);
	bs_expect_halt("clear_vm_stage2_range", "vcpu 1 is still running");
	cr_assert_eq(cv_hosted_page_owner(pa / PAGE_SIZE), vm);
}

Test(trap, clear_vm_s2_range_beyond_the_pfn_space_panics)
{
	uint32_t vm = script_vm(1);

	power_off(vm);
	bs_hvc(HVC_CLEAR_VM_S2_RANGE, vm, 1ULL << 44, PAGE_SIZE, 0, 0);
	bs_expect_halt("clear_vm_range", "out of range");
}

Test(trap, phys_addr_ioremap_maps_device_pages_into_a_ready_vm)
{
	uint32_t vm = vs_new_vm_unverified(1, 0);
	struct cv_translation t;
	uint64_t ram = bs_ram(5);

	cr_assert_eq(bs_hvc(HVC_PHYS_ADDR_IOREMAP, vm, 0x09000000ULL,
			    0x0a000000ULL, 0x1001, 0),
		     0);
	bs_expect_running();
	for (uint64_t i = 0; i < 2; i++) {
		cr_assert(cv_hosted_translate(vm, 0x09000000ULL + i * PAGE_SIZE,
					      &t));
		cr_assert_eq(t.pa, 0x0a000000ULL + i * PAGE_SIZE);
		cr_assert_eq(t.pte & S2_XN, S2_XN, "device: never executable");
	}
	cr_assert(bs_unmapped(vm, 0x09002000ULL));
	/* RAM is not a device: ignored. */
	bs_hvc(HVC_PHYS_ADDR_IOREMAP, vm, 0x08000000ULL, ram, PAGE_SIZE, 0);
	cr_assert(bs_unmapped(vm, 0x08000000ULL));
	vs_inv();
}

Test(trap, phys_addr_ioremap_into_a_verified_vm_panics)
{
	uint32_t vm = script_vm(1);

	bs_hvc(HVC_PHYS_ADDR_IOREMAP, vm, 0x09000000ULL, 0x0a000000ULL,
	       PAGE_SIZE, 0);
	bs_expect_halt("map_io", "not READY");
}

Test(trap, phys_addr_ioremap_into_the_host_panics)
{
	bs_hvc(HVC_PHYS_ADDR_IOREMAP, HOSTVISOR, 0x09000000ULL, 0x0a000000ULL,
	       PAGE_SIZE, 0);
	bs_expect_halt("map_io", "vm 0 state 0");
}

Test(trap, halted_core_serves_none_of_the_calls)
{
	uint32_t vm = script_vm(1);

	power_off(vm);
	bs_halt();
	cr_assert_eq(bs_hvc(HVC_GET_SHARED_BASE, 0, 0, 0, 0, 0), 0);
	cr_assert_eq(bs_hvc(HVC_TIMER_SET_CNTVOFF, 5, 0, 0, 0, 0), 0);
	cr_assert_eq(cv_hosted_cntvoff(0), 0);
	bs_hvc(HVC_CLEAR_VM_S2_RANGE, vm, vs_image_pa(0), PMD_SIZE, 0, 0);
	cr_assert_eq(cv_hosted_page_owner(vs_image_pa(0) / PAGE_SIZE), vm);
}

/* ---- VM exits the core serves or refuses ------------------------------ */

Test(trap, hvc32_goes_to_the_host)
{
	uint32_t vm = script_vm(1);
	struct cv_vcpu_run run;

	script.ops[0] = mov(0, 0x84000000ULL);
	script.ops[1] = op(OP_TRAP, 0x12ULL << 26 | 1ULL << 25);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_HVC);
	vs_get_run(vm, 0, &run);
	cr_assert_eq(run.regs[0], 0x84000000ULL);
	cr_assert_eq(run.dirty, 1);
}

Test(trap, save_shadow_kvm_regs_refuses_an_unknown_class)
{
	uint32_t vm = script_vm(1);

	script.ops[0] = op(OP_WFI, 0);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	/* As if this CPU had just left the vCPU with a class no one serves. */
	set_per_cpu(vm, 0);
	cv.shadow_ctxts[ctxt_id(vm, 0)].regs[ESR_EL2] = 0x3cULL << 26;
	save_shadow_kvm_regs();
	bs_expect_halt("save_shadow_kvm_regs", "class 0x3c");
}

Test(trap, core_calls_outside_a_vm_panic)
{
	/* This CPU is in the host: there is no current vCPU. */
	save_shadow_kvm_regs();
	bs_expect_halt("save_shadow_kvm_regs", "not a VM");
}

Test(trap, pvops_outside_a_vm_panics)
{
	core_handle_pvops();
	bs_expect_halt("core_handle_pvops", "not a VM");
}

Test(trap, save_host_inside_a_vm_panics)
{
	uint32_t vm = script_vm(1);

	set_per_cpu(vm, 0);
	save_host();
	bs_expect_halt("save_host", "is in vm");
}

Test(trap, guest_share_and_unshare_are_served_in_the_core)
{
	uint32_t vm = script_vm(1);
	uint64_t pa = vs_image_pa(0) + PAGE_SIZE, v;

	script.ops[0] = mov(0, CV_GUEST_HVC_SHARE);
	script.ops[1] = mov(2, VS_IMAGE_IPA + PAGE_SIZE);
	script.ops[2] = mov(3, PAGE_SIZE);
	script.ops[3] = op(OP_HVC, 0);
	script.ops[4] = op(OP_SNAP, 0);
	script.ops[5] = op(OP_WFI, 0);
	script.ops[6] = mov(0, CV_GUEST_HVC_UNSHARE);
	script.ops[7] = op(OP_HVC, 0);
	script.ops[8] = op(OP_SNAP, 1);
	script.ops[9] = op(OP_WFI, 0);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX, "no exit for the share");
	cr_assert_eq(script.snaps[0].x[0], 0);
	cr_assert_eq(cv_hosted_page_count(pa / PAGE_SIZE), 1);
	cr_assert(cv_hosted_host_read(pa, &v, sizeof(v)), "granted");
	vs_inv();
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	cr_assert_eq(script.snaps[1].x[0], 0);
	cr_assert_eq(cv_hosted_page_count(pa / PAGE_SIZE), 0);
	cr_assert(bs_unmapped(HOSTVISOR, pa), "revoked");
	vs_inv();
	cr_assert_not(cv_hosted_host_read(pa, &v, sizeof(v)));
	bs_expect_halt("map_page_host", "owned by");
}

/* ---- The host's stage-2 fault entry ----------------------------------- */

Test(trap, host_npt_handler_maps_the_hosts_own_page)
{
	uint64_t pa = bs_ram(77);

	cr_assert(bs_unmapped(HOSTVISOR, pa));
	host_npt_handler((pa >> 12) << 4, pa + 0x123, 0x93c08007ULL);
	bs_expect_running();
	cr_assert(bs_maps(HOSTVISOR, pa, pa));
}

Test(trap, host_npt_handler_refuses_a_core_page)
{
	uint64_t pa = cv_hosted_reserved_base() + 5 * PAGE_SIZE;

	host_npt_handler((pa >> 12) << 4, pa, 0x93c08007ULL);
	bs_expect_halt("map_page_host", "owned by 16");
}

/* ---- A whole lifecycle, invariants after every step -------------------- */

Test(trap, vm_lifecycle_keeps_every_invariant)
{
	uint32_t vm, other;
	uint64_t ram = bs_ram(300), pa = vs_image_pa(0);
	struct cv_vcpu_run run;

	other = vs_new_vm(1, 1); /* a second VM, left alone */
	vs_inv();
	vm = script_vm(2);
	vs_inv();
	script.ops[0] = mov(1, 'h');
	script.ops[1] = (struct vs_op){OP_STORE, VS_MMIO_IPA, 1, 1, 0};
	script.ops[2] = (struct vs_op){OP_LOAD, VS_MMIO_IPA + 4, 4, 2, 0};
	script.ops[3] = (struct vs_op){OP_STORE, VS_RAM_IPA, 8, 2, 0};
	script.ops[4] = mov(0, PSCI_0_2_FN64_CPU_ON);
	script.ops[5] = mov(1, 1);
	script.ops[6] = mov(2, VS_PC(40));
	script.ops[7] = op(OP_HVC, 0);
	script.ops[8] = op(OP_WFI, 0);
	script.ops[9] = mov(0, PSCI_0_2_FN_SYSTEM_OFF);
	script.ops[10] = op(OP_HVC, 0);
	script.ops[40] = (struct vs_op){OP_LOAD, VS_RAM_IPA, 8, 5, 0};
	script.ops[41] = (struct vs_op){OP_STORE, VS_MMIO_IPA, 8, 5, 0};

	cr_assert_eq(vs_run(vm, 0), CV_EXIT_MMIO);
	vs_get_run(vm, 0, &run);
	cr_assert_eq(run.regs[1], 'h');
	vs_inv();
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_MMIO);
	vs_get_run(vm, 0, &run);
	run.regs[2] = 0xfeed;
	vs_put_run(vm, 0, &run);
	vs_inv();
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_MEM_FAULT);
	vs_inv();
	vs_answer_fault(vm, 0, VS_RAM_IPA, ram, 3);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_HVC);
	vs_inv();
	cr_assert_eq(cv_hosted_page_owner(ram / PAGE_SIZE), vm);
	vs_get_run(vm, 0, &run);
	cr_assert_eq(run.regs[1], 1, "CPU_ON's target");
	cr_assert_neq(run.regs[2], VS_PC(40), "its entry is the guest's");
	run.regs[0] = 0;
	vs_put_run(vm, 0, &run);
	/* vCPU 1 starts where vCPU 0's CPU_ON said. */
	cr_assert_eq(vs_run(vm, 1), CV_EXIT_MMIO);
	vs_get_run(vm, 1, &run);
	cr_assert_eq(run.regs[5], 0xfeed, "vCPU 1 read vCPU 0's store");
	vs_inv();
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	vs_inv();
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_SYSTEM_OFF);
	vs_inv();
	bs_hvc(HVC_CLEAR_VM_S2_RANGE, vm, pa, PMD_SIZE, 0, 0);
	vs_inv();
	bs_hvc(HVC_CLEAR_VM_S2_RANGE, vm, ram, PAGE_SIZE, 0, 0);
	vs_inv();
	bs_expect_running();
	cr_assert_eq(cv_hosted_page_owner(ram / PAGE_SIZE), HOSTVISOR);
	cr_assert_eq(cv_hosted_page_owner(pa / PAGE_SIZE), HOSTVISOR);
	cr_assert_eq(cv_hosted_page_owner(vs_image_pa(1) / PAGE_SIZE), other);
	cr_assert_eq(cv_hosted_vm_state(other), VERIFIED);
}

/* ---- Several CPUs ------------------------------------------------------ */

#define ROUNDS 200

/* x1 counts; each round stores it to MMIO (an exit), then loops. */
static void counter_prog(struct cv_hosted_guest *g, void *arg)
{
	(void)arg;
	for (;;) {
		if (!cv_guest_fetch(g))
			return;
		if (g->pc == VS_PC(0)) {
			g->x[1]++;
			g->pc += 4;
		} else if (g->pc == VS_PC(1)) {
			if (!cv_guest_store(g, VS_MMIO_IPA + 8 * g->vcpuid, 8,
					    1))
				return;
		} else {
			g->pc = VS_PC(0);
		}
	}
}

struct runner {
	uint32_t vm, vcpu, cpu;
	uint64_t last;
	bool ok;
};

static void *run_thread(void *arg)
{
	struct runner *r = arg;

	cv_hosted_set_cpu(r->cpu);
	r->ok = true;
	for (uint64_t i = 1; i <= ROUNDS && r->ok; i++) {
		struct cv_vcpu_run run;

		if (cv_hosted_hvc(HVC_VCPU_RUN, r->vm, r->vcpu, 0, 0, 0) !=
		    CV_EXIT_MMIO) {
			r->ok = false;
			break;
		}
		if (!cv_hosted_host_read(vs_run_pa(r->vm, r->vcpu), &run,
					 sizeof(run)) ||
		    run.regs[1] != i || run.mmio.reg != 1)
			r->ok = false;
		r->last = run.regs[1];
	}
	return NULL;
}

Test(trap, vcpus_of_two_vms_run_on_four_cpus_at_once)
{
	uint32_t a = vs_new_vm(2, 0), b = vs_new_vm(2, 1);
	struct runner r[4] = {
		{a, 0, 0, 0, false},
		{a, 1, 1, 0, false},
		{b, 0, 2, 0, false},
		{b, 1, 3, 0, false},
	};
	pthread_t t[4];

	cv_hosted_set_guest(a, counter_prog, NULL);
	cv_hosted_set_guest(b, counter_prog, NULL);
	for (int i = 0; i < 4; i++)
		vs_set_entry(r[i].vm, r[i].vcpu, VS_PC(0), VS_PSTATE, 0);
	for (int i = 0; i < 4; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, run_thread, &r[i]), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	bs_expect_running();
	for (int i = 0; i < 4; i++) {
		cr_assert(r[i].ok, "vm %u vcpu %u stopped at %llu", r[i].vm,
			  r[i].vcpu, (unsigned long long)r[i].last);
		cr_assert_eq(cv_hosted_vcpu_state(r[i].vm, r[i].vcpu), READY);
	}
	vs_inv();
}
