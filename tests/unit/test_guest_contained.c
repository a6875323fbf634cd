// SPDX-License-Identifier: MIT
/*
 * A guest may only hurt itself (issue 13): every value a guest controls
 * that the spec's `rely` lines turned into machine-wide panics, on the
 * hosted machine. A PC at a high virtual address, a SHARE/UNSHARE range
 * past 48 bits, a trap class with no handler, an SError, an illegal
 * exception return: each is contained in the guest (an exception it takes
 * itself, an error code, or its VM powered off) while the machine and
 * other VMs run on. Also the vCPU-run corrections of the same issue: a
 * narrow MMIO load takes only its bytes (item 7), HVC_VCPU_ACTIVE is not
 * served (item 8), a vCPU of a powered-off VM gets a "powered off" exit
 * (item 9).
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>

#include <corevisor/abi.h>
#include <corevisor/constants.h>
#include <corevisor/hosted.h>
#include <cv/arch.h>
#include <cv/boot.h>
#include <cv/mem.h>
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

TestSuite(contained, .init = setup);

static struct vs_op mov(uint32_t rt, uint64_t v)
{
	return (struct vs_op){OP_MOV, v, 0, rt, 0};
}

static struct vs_op op(enum vs_op_kind k, uint64_t a)
{
	return (struct vs_op){k, a, 0, 0, 0};
}

/* A verified VM (image @n) running `script`, vCPU 0 entering at op 0. */
static uint32_t script_vm(uint32_t nvcpus, uint32_t n)
{
	uint32_t vm = vs_new_vm(nvcpus, n);

	vs_set_script(vm, &script);
	vs_set_entry(vm, 0, VS_PC(0), VS_PSTATE, 0);
	return vm;
}

/* ---- A PC anywhere in the 64-bit space ------------------------------- */

/* Each run: note where the vCPU is, then WFI there (no fetch: any PC). */
struct pc_trace {
	uint64_t start_pc; /* where the first run jumps */
	uint64_t seen[4];
	uint32_t pstate;  /* PSTATE it runs in from then on */
	uint64_t wfi_esr; /* the WFI's syndrome (IL: 32- or 16-bit) */
};

static void pc_prog(struct cv_hosted_guest *g, void *arg)
{
	struct pc_trace *t = arg;

	if (g->run == 0) {
		g->pc = t->start_pc; /* a branch to its kernel's address */
		g->pstate = t->pstate;
	}
	if (g->run < 4)
		t->seen[g->run] = g->pc;
	cv_guest_trap(g, t->wfi_esr);
}

#define WFI_ESR (0x01ULL << 26 | 1ULL << 25 | 0xe << 20 | 1 << 24)

ParameterizedTestParameters(contained, any_pc_is_stepped_like_the_hardware)
{
	static struct pc_trace cases[] = {
		/* A Linux kernel's address (EL1h). */
		{0xffff800010001000ULL, {0}, 0x3c5, WFI_ESR},
		/* The top of the address space: the step wraps to 0. */
		{0xfffffffffffffffcULL, {0}, 0x3c5, WFI_ESR},
		/* A 16-bit T32 WFI of an AArch32 EL0 (IL 0): a 2-byte step. */
		{0x00000000ffff0ffeULL, {0}, 0x30, WFI_ESR & ~(1ULL << 25)},
	};

	return cr_make_param_array(struct pc_trace, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct pc_trace *t, contained,
		  any_pc_is_stepped_like_the_hardware)
{
	uint32_t vm = vs_new_vm(1, 0);
	uint64_t step = t->wfi_esr & (1ULL << 25) ? 4 : 2;

	cv_hosted_set_guest(vm, pc_prog, t);
	vs_set_entry(vm, 0, VS_PC(0), VS_PSTATE, 0);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	bs_expect_running();
	for (int i = 0; i < 3; i++)
		cr_assert_eq(t->seen[i], t->start_pc + i * step,
			     "run %d at 0x%llx", i,
			     (unsigned long long)t->seen[i]);
	vs_inv();
}

/* ---- A guest's SHARE / UNSHARE past 48 bits ---------------------------- */

struct sg_case {
	uint64_t fn, addr, size, result;
};

ParameterizedTestParameters(contained, share_ranges_past_48_bits_are_refused)
{
	static struct sg_case cases[] = {
		{CV_GUEST_HVC_SHARE, 1ULL << 48, 4096,
		 CV_GUEST_RET_INVALID_PARAMETER},
		{CV_GUEST_HVC_SHARE, 0x1000, (1ULL << 48) - 1,
		 CV_GUEST_RET_INVALID_PARAMETER},
		{CV_GUEST_HVC_UNSHARE, ~0ULL, 1,
		 CV_GUEST_RET_INVALID_PARAMETER},
		{CV_GUEST_HVC_UNSHARE, 0xffff800000000000ULL, 4096,
		 CV_GUEST_RET_INVALID_PARAMETER},
		{CV_GUEST_HVC_SHARE, VS_IMAGE_IPA, 1ULL << 48,
		 CV_GUEST_RET_INVALID_PARAMETER},
		/* In range: served as before. */
		{CV_GUEST_HVC_SHARE, VS_IMAGE_IPA, 4096, 0},
	};

	return cr_make_param_array(struct sg_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct sg_case *c, contained,
		  share_ranges_past_48_bits_are_refused)
{
	uint32_t vm = script_vm(1, 0);
	uint64_t pfn = vs_image_pa(0) / PAGE_SIZE;

	script.ops[0] = mov(0, c->fn);
	script.ops[1] = mov(2, c->addr);
	script.ops[2] = mov(3, c->size);
	script.ops[3] = op(OP_HVC, 0);
	script.ops[4] = op(OP_SNAP, 0);
	script.ops[5] = op(OP_WFI, 0);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	bs_expect_running();
	cr_assert_eq(script.snaps[0].x[0], c->result);
	/* Refused: nothing was shared. Served: the image's first page. */
	cr_assert_eq(cv_hosted_page_count(pfn), c->result == 0 ? 1 : 0);
	vs_inv();
}

/* ---- Trap classes without a handler ---------------------------------- */

#define VBAR VS_PC(512) /* 2 KiB aligned */

struct undef_case {
	uint64_t esr;	 /* the trap */
	uint64_t pstate; /* the mode it came from */
	uint64_t vector; /* where the guest must continue */
};

ParameterizedTestParameters(contained,
			    unknown_classes_are_undefined_to_the_guest)
{
	static struct undef_case cases[] = {
		{0x19ULL << 26 | 1ULL << 25, 0x3c5, 0x200}, /* SVE, EL1h */
		{0x09ULL << 26 | 1ULL << 25, 0x3c5, 0x200}, /* PAuth */
		{0x07ULL << 26 | 1ULL << 25, 0x3c4, 0x000}, /* FP, EL1t */
		{0x3cULL << 26 | 1ULL << 25, 0x000, 0x400}, /* BRK, EL0t */
		{0x03ULL << 26 | 1ULL << 25, 0x010, 0x600}, /* MCR, AArch32 */
		{0x03ULL << 26, 0x030, 0x600},		    /* T32 MCR */
		{0x3fULL << 26 | 1ULL << 25, 0x3c5, 0x200}, /* reserved */
	};

	return cr_make_param_array(struct undef_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct undef_case *c, contained,
		  unknown_classes_are_undefined_to_the_guest)
{
	uint32_t vm = script_vm(1, 0);
	uint32_t at = (uint32_t)((VBAR + c->vector - VS_IMAGE_IPA) / 4);
	const struct cv_hosted_guest *g = &script.snaps[0];

	script.ops[0] = op(OP_VBAR, VBAR);
	script.ops[1] = op(OP_PSTATE, c->pstate);
	script.ops[2] = op(OP_TRAP, c->esr);
	script.ops[at] = op(OP_SNAP, 0);
	script.ops[at + 1] = op(OP_WFI, 0);
	/* The core serves it: the guest goes on to its vector and waits. */
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	bs_expect_running();
	cr_assert_eq(script.nsnaps, 1, "the guest reached its vector");
	cr_assert_eq(g->elr_el1, VS_PC(2), "ELR_EL1 = the instruction");
	cr_assert_eq(g->spsr_el1, c->pstate);
	cr_assert_eq(g->esr_el1, c->esr & (1ULL << 25), "EC 0, IL as trapped");
	cr_assert_eq(g->pstate, 0x3c5, "EL1h, DAIF masked");
	cr_assert_eq(g->pc, VBAR + c->vector);
	vs_inv();
}

Test(contained, exception_entry_keeps_the_flags_the_architecture_keeps)
{
	uint32_t vm = script_vm(1, 0);

	script.ops[0] = op(OP_VBAR, VBAR);
	/* N, Z, C, V set, DIT, SS, IL, PAN clear in a 0x3c5 mode. */
	script.ops[1] =
		op(OP_PSTATE, 0xf1000000ULL | 1 << 21 | 1 << 20 | 0x3c5);
	script.ops[2] = op(OP_TRAP, 0x19ULL << 26 | 1ULL << 25);
	script.ops[640] = op(OP_SNAP, 0);
	script.ops[641] = op(OP_WFI, 0);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	bs_expect_running();
	cr_assert_eq(script.snaps[0].pstate, 0xf1000000ULL | 0x3c5,
		     "NZCV and DIT kept; SS and IL cleared");
}

Test(contained, illegal_return_is_the_guests_own_exception)
{
	uint32_t vm = script_vm(1, 0);
	const struct cv_hosted_guest *g = &script.snaps[0];

	script.ops[0] = op(OP_VBAR, VBAR);
	script.ops[1] = op(OP_EXC, ARM_EXCEPTION_IL);
	script.ops[640] = op(OP_SNAP, 0);
	script.ops[641] = op(OP_WFI, 0);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	bs_expect_running();
	cr_assert_eq(script.nsnaps, 1);
	cr_assert_eq(g->esr_el1, 0x0eULL << 26 | 1ULL << 25);
	cr_assert_eq(g->elr_el1, VS_PC(1));
	cr_assert_eq(g->pc, VBAR + 0x200);
	vs_inv();
}

/* The second VM: a WFI then an MMIO store of its marker. */
static struct vs_script other;

static uint32_t other_vm(void)
{
	uint32_t vm = vs_new_vm(1, 1);

	memset(&other, 0, sizeof(other));
	other.ops[0] = mov(5, 0x6f6b);
	other.ops[1] = op(OP_WFI, 0);
	other.ops[2] = (struct vs_op){OP_STORE, VS_MMIO_IPA, 8, 5, 0};
	vs_set_script(vm, &other);
	vs_set_entry(vm, 0, VS_PC(0), VS_PSTATE, 0);
	return vm;
}

Test(contained, serror_powers_its_vm_off_and_nothing_else)
{
	uint32_t vm = script_vm(1, 0), ok = other_vm();
	uint64_t pa = vs_image_pa(0);
	struct cv_vcpu_run run;

	cr_assert_eq(vs_run(ok, 0), CV_EXIT_WFX);
	script.ops[0] = mov(9, 0x5ec2e7);
	script.ops[1] = op(OP_EXC, ARM_EXCEPTION_EL1_SERROR);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_POWERED_OFF);
	bs_expect_running();
	cr_assert_eq(cv_hosted_vm_state(vm), POWEROFF);
	cr_assert_eq(cv_hosted_vcpu_state(vm, 0), READY);
	vs_get_run(vm, 0, &run);
	cr_assert_eq(run.exit_reason, CV_EXIT_POWERED_OFF);
	cr_assert_eq(run.dirty, 0, "nothing to answer");
	for (int i = 0; i < 31; i++)
		cr_assert_eq(run.regs[i], 0, "x%d shown", i);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_POWERED_OFF);
	/* The other VM goes on; the dead one's memory comes back. */
	cr_assert_eq(vs_run(ok, 0), CV_EXIT_MMIO);
	vs_get_run(ok, 0, &run);
	cr_assert_eq(run.regs[5], 0x6f6b);
	cr_assert_eq(bs_hvc(HVC_CLEAR_VM_S2_RANGE, vm, pa, PMD_SIZE, 0, 0), 0);
	bs_expect_running();
	cr_assert_eq(cv_hosted_page_owner(pa / PAGE_SIZE), HOSTVISOR);
	vs_inv();
}

Test(contained, a_hostile_vm_beside_another_stops_nothing)
{
	uint32_t vm = script_vm(1, 0), ok = other_vm();
	struct cv_vcpu_run run;
	uint32_t i = 0;

	/* Everything at once, in one run of the hostile vCPU. */
	script.ops[i++] = op(OP_VBAR, VBAR);
	script.ops[i++] = mov(0, CV_GUEST_HVC_SHARE);
	script.ops[i++] = mov(2, 1ULL << 48);
	script.ops[i++] = mov(3, 1ULL << 47);
	script.ops[i++] = op(OP_HVC, 0);
	script.ops[i++] = op(OP_TRAP, 0x19ULL << 26 | 1ULL << 25);
	script.ops[640] = op(OP_JUMP, 0xffff800000000000ULL);
	/* The jump leaves the script: an instruction fetch the host sees. */
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_MEM_FAULT);
	bs_expect_running();
	cr_assert_eq(vs_run(ok, 0), CV_EXIT_WFX);
	cr_assert_eq(vs_run(ok, 0), CV_EXIT_MMIO);
	vs_get_run(ok, 0, &run);
	cr_assert_eq(run.regs[5], 0x6f6b);
	vs_inv();
}

/* ---- Item 7: a narrow MMIO load takes only its bytes ------------------- */

struct load_case {
	uint32_t sas;	 /* log2 of the size */
	bool sse, sf;	 /* sign-extend; X register */
	uint64_t answer; /* what the host writes */
	uint64_t loaded; /* what the register must hold */
};

ParameterizedTestParameters(contained, narrow_mmio_loads_take_only_their_bytes)
{
	static struct load_case cases[] = {
		{0, false, false, 0xdeadbeefcafe1234ULL, 0x34},	      /* LDRB */
		{1, false, false, 0xdeadbeefcafe1234ULL, 0x1234},     /* LDRH */
		{2, false, false, 0xdeadbeefcafe1234ULL, 0xcafe1234}, /* W */
		{3, false, true, 0xdeadbeefcafe1234ULL,
		 0xdeadbeefcafe1234ULL}, /* LDR X */
		{0, true, true, 0x1234567890abcd80ULL,
		 0xffffffffffffff80ULL},		      /* LDRSB X */
		{0, true, true, 0xffffffffffffff7fULL, 0x7f}, /* LDRSB X */
		{1, true, false, 0x8000ULL, 0xffff8000ULL},   /* LDRSH W */
		{2, true, true, 0xffffffff80000000ULL,
		 0xffffffff80000000ULL}, /* LDRSW */
		{2, true, true, 0x1234567880000000ULL,
		 0xffffffff80000000ULL}, /* LDRSW */
		{2, false, false, 0xffffffffffffffffULL, 0xffffffffULL},
	};

	return cr_make_param_array(struct load_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct load_case *c, contained,
		  narrow_mmio_loads_take_only_their_bytes)
{
	uint32_t vm = script_vm(1, 0);
	uint64_t esr = 0x24ULL << 26 | 1ULL << 25 | 1ULL << 24 |
		       (uint64_t)c->sas << 22 | (c->sse ? 1ULL << 21 : 0) |
		       7ULL << 16 | (c->sf ? 1ULL << 15 : 0) | 0x06;
	struct cv_vcpu_run run;

	script.ops[0] = mov(7, 0x5555555555555555ULL);
	script.ops[1] = op(OP_TRAP, esr); /* a load from MMIO (IPA 0) */
	script.ops[2] = op(OP_SNAP, 0);
	script.ops[3] = op(OP_WFI, 0);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_MMIO);
	vs_get_run(vm, 0, &run);
	cr_assert_eq(run.mmio.len, 1U << c->sas);
	cr_assert_eq(run.dirty & 0xff, 1U << 7, "x7 offered");
	run.regs[7] = c->answer;
	vs_put_run(vm, 0, &run);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	bs_expect_running();
	cr_assert_eq(script.snaps[0].x[7], c->loaded, "x7 = 0x%llx",
		     (unsigned long long)script.snaps[0].x[7]);
	cr_assert_eq(script.snaps[0].pc, VS_PC(2));
}

Test(contained, hvc_answers_stay_64_bits)
{
	uint32_t vm = script_vm(1, 0);
	struct cv_vcpu_run run;

	script.ops[0] = mov(0, 0x84000000ULL); /* PSCI_VERSION */
	script.ops[1] = op(OP_HVC, 0);
	script.ops[2] = op(OP_SNAP, 0);
	script.ops[3] = op(OP_WFI, 0);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_HVC);
	vs_get_run(vm, 0, &run);
	run.regs[0] = 0xfedcba9876543210ULL;
	vs_put_run(vm, 0, &run);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	cr_assert_eq(script.snaps[0].x[0], 0xfedcba9876543210ULL);
}

/* ---- Item 8: HVC_VCPU_ACTIVE is not served ----------------------------- */

Test(contained, vcpu_active_is_not_a_host_call)
{
	uint32_t vm = script_vm(2, 0);
	uint64_t pa = vs_image_pa(0);

	cr_assert_eq(bs_hvc(HVC_VCPU_ACTIVE, vm, 0, 0, 0, 0), INVALID64);
	cr_assert_eq(bs_hvc(HVC_VCPU_ACTIVE, vm, 1, 0, 0, 0), INVALID64);
	bs_expect_running();
	cr_assert_eq(cv_hosted_vcpu_state(vm, 0), READY);
	cr_assert_eq(cv_hosted_vcpu_state(vm, 1), READY);
	/* Nothing left the vCPUs stuck: they run, the VM is reclaimed. */
	script.ops[0] = mov(0, PSCI_0_2_FN_SYSTEM_OFF);
	script.ops[1] = op(OP_HVC, 0);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_SYSTEM_OFF);
	cr_assert_eq(bs_hvc(HVC_CLEAR_VM_S2_RANGE, vm, pa, PMD_SIZE, 0, 0), 0);
	bs_expect_running();
	cr_assert_eq(cv_hosted_page_owner(pa / PAGE_SIZE), HOSTVISOR);
	vs_inv();
}

/* ---- Item 9: VCPU_RUN of a vCPU whose VM is powered off ---------------- */

Test(contained, a_vcpu_of_a_powered_off_vm_gets_powered_off)
{
	uint32_t vm = script_vm(2, 0);
	uint64_t pa = vs_image_pa(0);
	struct cv_vcpu_run before, after;

	vs_set_entry(vm, 1, VS_PC(0), VS_PSTATE, 0);
	script.ops[0] = mov(0, PSCI_0_2_FN_SYSTEM_OFF);
	script.ops[1] = op(OP_HVC, 0);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_SYSTEM_OFF);
	vs_get_run(vm, 1, &before);
	/* vCPU 1 (never run) and vCPU 0 again: nothing runs. */
	cr_assert_eq(vs_run(vm, 1), CV_EXIT_POWERED_OFF);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_POWERED_OFF);
	bs_expect_running();
	cr_assert_eq(cv_hosted_vcpu_runs(), 1);
	cr_assert_eq(cv_hosted_vcpu_state(vm, 1), READY);
	vs_get_run(vm, 1, &after);
	cr_assert_eq(memcmp(&before, &after, sizeof(before)), 0,
		     "the run structure of a vCPU that did not run");
	cr_assert_eq(bs_hvc(HVC_CLEAR_VM_S2_RANGE, vm, pa, PMD_SIZE, 0, 0), 0);
	bs_expect_running();
	cr_assert_eq(cv_hosted_page_owner(pa / PAGE_SIZE), HOSTVISOR);
	vs_inv();
}

/*
 * vCPU 1 runs on CPU 1 while vCPU 0 powers the VM off on CPU 0; then
 * vCPU 1 traps to the core, which serves the trap itself (SYS64): it must
 * leave with "powered off" rather than run the dead VM on.
 */
static struct {
	int running, off, ran_after_off;
	uint64_t exit;
} race;

static void race_prog(struct cv_hosted_guest *g, void *arg)
{
	(void)arg;
	if (g->vcpuid == 0) {
		g->x[0] = PSCI_0_2_FN_SYSTEM_OFF;
		cv_guest_hvc(g, 0);
		return;
	}
	if (g->run > 0) {
		__atomic_store_n(&race.ran_after_off, 1, __ATOMIC_RELEASE);
		return;
	}
	__atomic_store_n(&race.running, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&race.off, __ATOMIC_ACQUIRE))
		sched_yield();
	cv_guest_sysreg(g, 3, true);
}

static void *run_vcpu1(void *arg)
{
	uint32_t vm = *(uint32_t *)arg;

	cv_hosted_set_cpu(1);
	race.exit = cv_hosted_hvc(HVC_VCPU_RUN, vm, 1, 0, 0, 0);
	return NULL;
}

Test(contained, a_running_vcpu_stops_when_its_vm_is_powered_off)
{
	uint32_t vm = vs_new_vm(2, 0);
	pthread_t t;

	memset(&race, 0, sizeof(race));
	cv_hosted_set_guest(vm, race_prog, NULL);
	vs_set_entry(vm, 0, VS_PC(0), VS_PSTATE, 0);
	vs_set_entry(vm, 1, VS_PC(0), VS_PSTATE, 0);
	cr_assert_eq(pthread_create(&t, NULL, run_vcpu1, &vm), 0);
	while (!__atomic_load_n(&race.running, __ATOMIC_ACQUIRE))
		sched_yield();
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_SYSTEM_OFF);
	__atomic_store_n(&race.off, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	bs_expect_running();
	cr_assert_eq(race.exit, CV_EXIT_POWERED_OFF);
	cr_assert_eq(race.ran_after_off, 0, "the dead VM's vCPU ran again");
	cr_assert_eq(cv_hosted_vcpu_state(vm, 1), READY);
	vs_inv();
}

/* ---- The new functions' own checks (host or core bugs, not a guest's) -- */

Test(contained, set_vcpu_active_unless_off_checks_like_set_vcpu_active)
{
	uint32_t vm = script_vm(1, 0);

	cr_assert_eq(set_vcpu_active_unless_off(vm, 0), 1);
	cr_assert_eq(cv_hosted_vcpu_state(vm, 0), ACTIVE);
	set_vcpu_active_unless_off(vm, 0); /* already ACTIVE */
	bs_expect_halt("set_vcpu_active", "vcpu 0 state 5");
}

Test(contained, set_vcpu_active_unless_off_out_of_range_panics)
{
	set_vcpu_active_unless_off(COREVISOR + 1, 0);
	bs_expect_halt("set_vcpu_active", "out of range");
}

Test(contained, set_vcpu_active_unless_off_of_an_unused_vcpu_panics)
{
	uint32_t vm = script_vm(1, 0);

	set_vm_poweroff(vm);
	set_vcpu_active_unless_off(vm, 3); /* powered off, but never READY */
	bs_expect_halt("set_vcpu_active", "vcpu 3 state 0");
}

Test(contained, inject_illegal_state_out_of_range_panics)
{
	inject_illegal_state(0, 0);
	bs_expect_halt("inject_illegal_state", "out of range");
}

Test(contained, an_exit_code_the_world_switch_never_returns_panics)
{
	uint32_t vm = script_vm(1, 0);

	cv.shadow_ctxts[ctxt_id(vm, 0)].regs[EC] = 7;
	vm_exit_handler(vm, 0);
	bs_expect_halt("vm_exit_handler", "exit code 7 from the world switch");
}

Test(contained, map_checks_refuse_a_bad_vm_or_address)
{
	cr_assert_not(vm_map_target_free(HOSTVISOR, 0, 0, 3));
	bs_expect_halt("vm_map_target_free", "not a VM");
	vs_boot();
	cr_assert_not(vm_map_target_free(1, 1ULL << 48, 0, 3));
	bs_expect_halt("map_pfn_vm", "beyond 48 bits");
	vs_boot();
	map_pfn_vm(1, 1ULL << 48, 0, 2);
	bs_expect_halt("map_pfn_vm", "beyond 48 bits");
	vs_boot();
	map_pfn_vm(1, 1ULL << 48, 0, 3);
	bs_expect_halt("map_s2pt_page_unless_mapped", "beyond 48 bits");
}
