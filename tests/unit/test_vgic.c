// SPDX-License-Identifier: MIT
/*
 * core/vcpu/vgic.c through VCPU_RUN on the hosted machine: the host's
 * injection requests (accepted into a list register, or refused for each
 * reason, never a duplicate), what the host learns back (EOIs it asked
 * for, what is still pending), the guest's SGIs (only vCPUs that exist),
 * the virtual timer's PPI 27 (raised by the core while the vCPU runs and
 * after it was descheduled), the emulated EL1 physical timer (PPI 30),
 * and the deadline the host wakes a descheduled vCPU by.
 */
#include <criterion/criterion.h>
#include <string.h>

#include <corevisor/abi.h>
#include <corevisor/constants.h>
#include <corevisor/hosted.h>
#include <cv/state.h>
#include <cv/vcpu.h>

#include "boot_support.h"
#include "vm_support.h"

#define LR_PENDING (1ULL << 62)
#define LR_ACTIVE (1ULL << 63)
#define LR_HW (1ULL << 61)
#define LR_GROUP1 (1ULL << 60)

#define ICC_SGI1R VS_SYSREG(3, 0, 12, 11, 5)
#define ICC_SGI0R VS_SYSREG(3, 0, 12, 11, 7)
#define CNTP_TVAL VS_SYSREG(3, 3, 14, 2, 0)
#define CNTP_CTL VS_SYSREG(3, 3, 14, 2, 1)
#define CNTP_CVAL VS_SYSREG(3, 3, 14, 2, 2)

static struct vs_script script;
static uint32_t vm;

static void setup(void)
{
	vs_boot();
	memset(&script, 0, sizeof(script));
	vm = vs_new_vm(4, 0);
	vs_set_script(vm, &script);
	vs_inv();
}

TestSuite(vgic, .init = setup);

static struct vs_op op(enum vs_op_kind k, uint64_t a)
{
	return (struct vs_op){k, a, 0, 0, 0};
}

static struct vs_op mov(uint32_t rt, uint64_t v)
{
	return (struct vs_op){OP_MOV, v, 0, rt, 0};
}

static struct vs_op msr(uint64_t reg, uint32_t rt)
{
	return (struct vs_op){OP_MSR, reg, 0, rt, 0};
}

static struct vs_op mrs(uint64_t reg, uint32_t rt)
{
	return (struct vs_op){OP_MSR, reg, 1, rt, 0};
}

static struct vs_op ack(uint32_t rt)
{
	return (struct vs_op){OP_ACK, 0, 0, rt, 0};
}

static struct vs_op eoi(uint32_t rt)
{
	return (struct vs_op){OP_EOI, 0, 0, rt, 0};
}

static struct vs_op cntv(uint32_t ctl, uint64_t cval)
{
	return (struct vs_op){OP_CNTV, cval, ctl, 0, 0};
}

static const struct cv_vgic *vgic(uint32_t vcpuid)
{
	return &cv.shadow_ctxts[ctxt_id(vm, vcpuid)].vgic;
}

/* How many list registers hold @intid (pending and/or active). */
static int lrs_holding(uint32_t vcpuid, uint32_t intid)
{
	int n = 0;

	for (int i = 0; i < CV_HOSTED_NR_LRS; i++)
		if ((vgic(vcpuid)->lr[i] & (LR_PENDING | LR_ACTIVE)) &&
		    (uint32_t)vgic(vcpuid)->lr[i] == intid)
			n++;
	return n;
}

static uint64_t lr_of(uint32_t vcpuid, uint32_t intid)
{
	for (int i = 0; i < CV_HOSTED_NR_LRS; i++)
		if ((vgic(vcpuid)->lr[i] & (LR_PENDING | LR_ACTIVE)) &&
		    (uint32_t)vgic(vcpuid)->lr[i] == intid)
			return vgic(vcpuid)->lr[i];
	return 0;
}

static void request(struct cv_vcpu_run *run, uint32_t slot, uint32_t intid,
		    uint8_t group, uint8_t prio, uint8_t flags)
{
	run->irq_req[slot] = (struct cv_vcpu_irq){
		.intid = intid,
		.group = group,
		.priority = prio,
		.flags = flags | CV_IRQ_REQ_VALID,
	};
}

/* The host's model enables both timer PPIs at priority 0xa0, group 1. */
static void enable_timers(uint32_t vcpuid)
{
	struct cv_vcpu_run run;

	vs_get_run(vm, vcpuid, &run);
	for (int i = 0; i < 2; i++)
		run.timer_ppi[i] = (struct cv_vcpu_timer_ppi){1, 0xa0, 1, 0};
	vs_put_run(vm, vcpuid, &run);
}

/* ---- Injection ------------------------------------------------------ */

Test(vgic, an_injection_lands_in_a_list_register_and_is_reported_pending)
{
	struct cv_vcpu_run run;

	script.ops[0] = op(OP_WFE, 0);
	script.ops[1] = ack(1);
	script.ops[2] = op(OP_SNAP, 0);
	script.ops[3] = op(OP_WFE, 0);
	vs_get_run(vm, 0, &run);
	request(&run, 0, 40, 1, 0x80, 0);
	vs_put_run(vm, 0, &run);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	bs_expect_running();
	vs_get_run(vm, 0, &run);
	cr_assert_eq(run.irq_result[0], CV_IRQ_INJECTED);
	cr_assert_eq(run.irq_pending_count, 1);
	cr_assert_eq(run.irq_pending[0], 40);
	cr_assert_eq(run.irq_req[0].flags, 0, "the request is consumed");
	cr_assert_eq(lr_of(0, 40), 40 | 0x80ULL << 48 | LR_GROUP1 | LR_PENDING);
	/* The guest takes it: the same interrupt, now active. */
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	cr_assert_eq(script.snaps[0].x[1], 40);
	vs_get_run(vm, 0, &run);
	cr_assert_eq(run.irq_result[0], CV_IRQ_NONE);
	cr_assert_eq(run.irq_pending_count, 1, "active: still in the LR");
	cr_assert_eq(lr_of(0, 40) & (LR_PENDING | LR_ACTIVE), LR_ACTIVE);
	vs_inv();
}

Test(vgic, the_host_learns_only_the_eois_it_asked_for)
{
	struct cv_vcpu_run run;

	script.ops[0] = op(OP_WFE, 0);
	script.ops[1] = ack(1);
	script.ops[2] = eoi(1);
	script.ops[3] = ack(2);
	script.ops[4] = eoi(2);
	script.ops[5] = op(OP_SNAP, 0);
	script.ops[6] = op(OP_WFE, 0);
	script.ops[7] = op(OP_WFE, 0);
	vs_get_run(vm, 0, &run);
	request(&run, 0, 33, 1, 0x10, CV_IRQ_REQ_NOTIFY_EOI); /* level */
	request(&run, 1, 34, 1, 0x20, 0);		      /* edge */
	vs_put_run(vm, 0, &run);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	cr_assert_eq(script.snaps[0].x[1], 33, "priority 0x10 first");
	cr_assert_eq(script.snaps[0].x[2], 34);
	vs_get_run(vm, 0, &run);
	cr_assert_eq(run.irq_eoi_count, 1);
	cr_assert_eq(run.irq_eoi[0], 33);
	cr_assert_eq(run.irq_pending_count, 0);
	cr_assert_eq(vgic(0)->host_lrs, 0, "both list registers free");
	/* Reported once. */
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	vs_get_run(vm, 0, &run);
	cr_assert_eq(run.irq_eoi_count, 0);
	cr_assert_eq(run.irq_eoi[0], 0, "a reported EOI does not linger");
	vs_inv();
}

Test(vgic, the_report_lists_hold_their_entries_and_zeros)
{
	struct cv_vcpu_run run;

	script.ops[0] = op(OP_WFE, 0);
	script.ops[1] = ack(1);
	script.ops[2] = op(OP_WFE, 0);
	script.ops[3] = eoi(1);
	script.ops[4] = op(OP_WFE, 0);
	/* What the host left in the core's lists before the first exit. */
	vs_get_run(vm, 0, &run);
	for (uint32_t i = 0; i < CV_VCPU_IRQ_REPORT; i++) {
		run.irq_eoi[i] = 0xdead0000 + i;
		run.irq_pending[i] = 0xbeef0000 + i;
	}
	request(&run, 0, 40, 1, 0x80, CV_IRQ_REQ_NOTIFY_EOI);
	request(&run, 1, 41, 1, 0x90, 0);
	vs_put_run(vm, 0, &run);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	vs_get_run(vm, 0, &run);
	cr_assert_eq(run.irq_pending_count, 2);
	for (uint32_t i = 2; i < CV_VCPU_IRQ_REPORT; i++)
		cr_assert_eq(run.irq_pending[i], 0, "pending[%u] cleared", i);
	for (uint32_t i = 0; i < CV_VCPU_IRQ_REPORT; i++)
		cr_assert_eq(run.irq_eoi[i], 0, "eoi[%u] cleared", i);
	/* The guest took 40 (active) and left 41 pending: still two. */
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	vs_get_run(vm, 0, &run);
	cr_assert_eq(run.irq_pending_count, 2);
	/* 40 deactivated: one EOI, one pending left, the second cleared. */
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	vs_get_run(vm, 0, &run);
	cr_assert_eq(run.irq_eoi_count, 1);
	cr_assert_eq(run.irq_eoi[0], 40);
	cr_assert_eq(run.irq_eoi[1], 0);
	cr_assert_eq(run.irq_pending_count, 1);
	cr_assert_eq(run.irq_pending[0], 41);
	cr_assert_eq(run.irq_pending[1], 0, "the list shrank: its tail is 0");
	vs_inv();
}

Test(vgic, bad_requests_are_refused_and_change_nothing)
{
	struct cv_vcpu_run run;

	script.ops[0] = op(OP_WFE, 0);
	vs_get_run(vm, 0, &run);
	request(&run, 0, 1020, 1, 0, 0);
	request(&run, 1, 0xffffffff, 1, 0, 0);
	request(&run, 2, 27, 1, 0, 0);
	request(&run, 3, 30, 1, 0, 0);
	request(&run, 4, 40, 2, 0, 0);
	request(&run, 5, 41, 1, 0, 0x80);
	request(&run, 6, 42, 1, 0, 0);
	run.irq_req[6].reserved = 1;
	run.irq_req[7] = (struct cv_vcpu_irq){.intid = 43, .group = 1};
	vs_put_run(vm, 0, &run);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	bs_expect_running();
	vs_get_run(vm, 0, &run);
	cr_assert_eq(run.irq_result[0], CV_IRQ_BAD_INTID);
	cr_assert_eq(run.irq_result[1], CV_IRQ_BAD_INTID);
	cr_assert_eq(run.irq_result[2], CV_IRQ_RESERVED);
	cr_assert_eq(run.irq_result[3], CV_IRQ_RESERVED);
	cr_assert_eq(run.irq_result[4], CV_IRQ_BAD_GROUP);
	cr_assert_eq(run.irq_result[5], CV_IRQ_BAD_GROUP);
	cr_assert_eq(run.irq_result[6], CV_IRQ_BAD_GROUP);
	cr_assert_eq(run.irq_result[7], CV_IRQ_NONE, "not marked valid");
	for (int i = 0; i < CV_HOSTED_NR_LRS; i++)
		cr_assert_eq(vgic(0)->lr[i], 0, "LR %d untouched", i);
	cr_assert_eq(run.irq_pending_count, 0);
	vs_inv();
}

Test(vgic, a_full_set_of_list_registers_refuses_and_keeps_two_for_timers)
{
	struct cv_vcpu_run run;

	script.ops[0] = op(OP_WFE, 0);
	script.ops[1] = op(OP_WFE, 0);
	vs_get_run(vm, 0, &run);
	request(&run, 0, 40, 1, 0, 0);
	request(&run, 1, 41, 1, 0, 0);
	request(&run, 2, 42, 1, 0, 0);
	vs_put_run(vm, 0, &run);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	vs_get_run(vm, 0, &run);
	cr_assert_eq(run.irq_result[0], CV_IRQ_INJECTED);
	cr_assert_eq(run.irq_result[1], CV_IRQ_INJECTED);
	cr_assert_eq(run.irq_result[2], CV_IRQ_FULL);
	cr_assert_eq(lrs_holding(0, 42), 0);
	cr_assert_eq(run.irq_pending_count, 2);
	/* The timers still get theirs. */
	enable_timers(0);
	cv_hosted_set_counter(1000);
	script.ops[1] = cntv(1, 10);
	script.ops[2] = op(OP_WFE, 0);
	script.ops[3] = op(OP_WFE, 0);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	cr_assert_eq(lrs_holding(0, 27), 1);
	vs_inv();
}

Test(vgic, an_interrupt_is_never_in_two_list_registers)
{
	struct cv_vcpu_run run;

	script.ops[0] = op(OP_WFE, 0);
	script.ops[1] = ack(1);
	script.ops[2] = op(OP_WFE, 0);
	script.ops[3] = op(OP_WFE, 0);
	vs_get_run(vm, 0, &run);
	request(&run, 0, 5, 1, 0, 0);
	request(&run, 1, 5, 1, 0, 0);
	vs_put_run(vm, 0, &run);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	vs_get_run(vm, 0, &run);
	cr_assert_eq(run.irq_result[0], CV_IRQ_INJECTED);
	cr_assert_eq(run.irq_result[1], CV_IRQ_COALESCED);
	cr_assert_eq(lrs_holding(0, 5), 1);
	/* Acknowledged (active), then raised again: active and pending. */
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	vs_get_run(vm, 0, &run);
	request(&run, 0, 5, 1, 0, 0);
	vs_put_run(vm, 0, &run);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	vs_get_run(vm, 0, &run);
	cr_assert_eq(run.irq_result[0], CV_IRQ_INJECTED);
	cr_assert_eq(lrs_holding(0, 5), 1);
	cr_assert_eq(lr_of(0, 5) & (LR_PENDING | LR_ACTIVE),
		     LR_PENDING | LR_ACTIVE);
	vs_inv();
}

Test(vgic, a_vcpu_that_is_off_takes_no_injection)
{
	struct cv_vcpu_run run;

	vs_get_run(vm, 1, &run);
	request(&run, 0, 40, 1, 0, 0);
	vs_put_run(vm, 1, &run);
	cr_assert_eq(vs_run(vm, 1), CV_EXIT_VCPU_OFF);
	vs_get_run(vm, 1, &run);
	cr_assert_eq(run.irq_result[0], CV_IRQ_VCPU_OFF);
	cr_assert_eq(lrs_holding(1, 40), 0);
	vs_inv();
}

Test(vgic, a_restarted_vcpu_starts_with_empty_list_registers)
{
	struct cv_vcpu_run run;

	script.ops[0] = op(OP_WFE, 0);
	script.ops[1] = mov(0, 0x84000002); /* PSCI CPU_OFF */
	script.ops[2] = op(OP_HVC, 0);
	vs_get_run(vm, 0, &run);
	request(&run, 0, 40, 1, 0, 0);
	vs_put_run(vm, 0, &run);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	cr_assert_eq(lrs_holding(0, 40), 1);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_HVC);
	vs_set_entry(vm, 0, VS_PC(0), VS_PSTATE, 0);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	cr_assert_eq(lrs_holding(0, 40), 0);
	cr_assert_eq(vgic(0)->hcr, 1, "ICH_HCR_EL2.En");
	vs_inv();
}

Test(vgic, a_restart_reports_the_level_interrupts_it_dropped)
{
	struct cv_vcpu_run run;

	script.ops[0] = op(OP_WFE, 0);
	script.ops[1] = mov(0, 0x84000002); /* PSCI CPU_OFF */
	script.ops[2] = op(OP_HVC, 0);
	vs_get_run(vm, 0, &run);
	request(&run, 0, 50, 1, 0, CV_IRQ_REQ_NOTIFY_EOI);
	request(&run, 1, 51, 1, 0, 0);
	vs_put_run(vm, 0, &run);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_HVC);
	vs_get_run(vm, 0, &run);
	cr_assert_eq(run.irq_pending_count, 2, "still in its LRs");
	vs_set_entry(vm, 0, VS_PC(0), VS_PSTATE, 0);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	vs_get_run(vm, 0, &run);
	cr_assert_eq(run.irq_eoi_count, 1);
	cr_assert_eq(run.irq_eoi[0], 50);
	cr_assert_eq(run.irq_pending_count, 0);
	vs_inv();
}

Test(vgic, the_timer_ppi_takes_the_guests_group_and_priority)
{
	struct cv_vcpu_run run;

	vs_get_run(vm, 0, &run);
	run.timer_ppi[CV_TIMER_VIRT] =
		(struct cv_vcpu_timer_ppi){1, 0x30, 0, 0};
	vs_put_run(vm, 0, &run);
	cv_hosted_set_counter(500);
	script.ops[0] = cntv(1, 100);
	script.ops[1] = op(OP_YIELD, 0);
	script.ops[2] = op(OP_WFE, 0);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	cr_assert_eq(lr_of(0, 27) & (LR_GROUP1 | 0xffULL << 48), 0x30ULL << 48,
		     "group 0, priority 0x30");
	vs_inv();
}

/* ---- SGIs ------------------------------------------------------------ */

Test(vgic, a_guest_sgi_reaches_the_host_with_existing_targets_only)
{
	struct cv_vcpu_run run;

	/* SGI 3 to vCPUs 1, 2 and 9 (none such: 4 vCPUs). */
	script.ops[0] = mov(4, 3ULL << 24 | 1U << 1 | 1U << 2 | 1U << 9);
	script.ops[1] = msr(ICC_SGI1R, 4);
	script.ops[2] = op(OP_SNAP, 0);
	script.ops[3] = op(OP_WFE, 0);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_SGI);
	bs_expect_running();
	vs_get_run(vm, 0, &run);
	cr_assert_eq(run.exit_reason, CV_EXIT_SGI);
	cr_assert_eq(run.sgi.intid, 3);
	cr_assert_eq(run.sgi.group, 1);
	cr_assert_eq(run.sgi.targets, 0x6);
	for (int i = 0; i < 31; i++)
		cr_assert_eq(run.regs[i], 0, "no register shown");
	/* The write is done: the guest goes on after it. */
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	cr_assert_eq(script.snaps[0].pc, VS_PC(2));
	vs_get_run(vm, 0, &run);
	cr_assert_eq(run.sgi.targets, 0, "only at the SGI's exit");
	vs_inv();
}

Test(vgic, an_sgi_to_no_existing_vcpu_does_not_exit)
{
	/* Aff1 = 1 names vCPUs that do not exist; then vCPUs 8..15. */
	script.ops[0] = mov(4, 1ULL << 16 | 1);
	script.ops[1] = msr(ICC_SGI1R, 4);
	script.ops[2] = mov(4, 0xff00);
	script.ops[3] = msr(ICC_SGI0R, 4);
	script.ops[4] = mov(4, 1ULL << 44 | 1); /* RS = 1 */
	script.ops[5] = msr(ICC_SGI1R, 4);
	script.ops[6] = op(OP_SNAP, 0);
	script.ops[7] = op(OP_WFE, 0);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	bs_expect_running();
	cr_assert_eq(script.snaps[0].pc, VS_PC(6));
	vs_inv();
}

Test(vgic, an_sgi_to_all_others_names_every_other_vcpu)
{
	struct cv_vcpu_run run;

	script.ops[0] = mov(4, 1ULL << 40 | 7ULL << 24);
	script.ops[1] = msr(ICC_SGI0R, 4);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_SGI);
	vs_get_run(vm, 0, &run);
	cr_assert_eq(run.sgi.intid, 7);
	cr_assert_eq(run.sgi.group, 0);
	cr_assert_eq(run.sgi.targets, 0xe, "vCPUs 1..3, not itself");
	vs_inv();
}

Test(vgic, reading_the_sgi_register_is_the_guests_undefined_instruction)
{
	script.ops[0] = op(OP_VBAR, VS_PC(0x100));
	script.ops[1] = mrs(ICC_SGI1R, 4);
	script.ops[0x180] = op(OP_SNAP, 0); /* VBAR + 0x200: sync, EL1h */
	script.ops[0x181] = op(OP_WFE, 0);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	bs_expect_running();
	cr_assert_eq(script.nsnaps, 1);
	cr_assert_eq(script.snaps[0].esr_el1 >> 26, 0, "EC unknown");
	cr_assert_eq(script.snaps[0].elr_el1, VS_PC(1));
	vs_inv();
}

/* ---- Timers ---------------------------------------------------------- */

Test(vgic, the_virtual_timer_fires_after_the_vcpu_was_descheduled)
{
	struct cv_vcpu_run run;

	enable_timers(0);
	cv_hosted_set_counter(50);
	script.ops[0] = cntv(1, 100);
	script.ops[1] = op(OP_WFI, 0);
	script.ops[2] = ack(1);
	script.ops[3] = op(OP_SNAP, 0);
	script.ops[4] = op(OP_WFE, 0);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	vs_get_run(vm, 0, &run);
	cr_assert_eq(run.timer_deadline, 100, "the host wakes it by then");
	cr_assert_eq(lrs_holding(0, 27), 0, "not due yet");
	cv_hosted_set_counter(150);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	cr_assert_eq(script.snaps[0].x[1], 27);
	cr_assert_eq(lr_of(0, 27) & (LR_HW | LR_GROUP1 | 0xffULL << 48),
		     LR_HW | LR_GROUP1 | 0xa0ULL << 48);
	cr_assert_eq((lr_of(0, 27) >> 32) & 0x1fff, 27, "pINTID 27");
	vs_get_run(vm, 0, &run);
	cr_assert_eq(run.timer_deadline, 0, "raised: nothing armed");
	cr_assert_eq(run.irq_pending_count, 0, "not the host's");
	vs_inv();
}

/*
 * A VM's virtual counter starts at 0 when it is verified, the same for
 * all its vCPUs on every CPU: the host's per-CPU TIMER_SET_CNTVOFF does
 * not move it.
 */
Test(vgic, the_virtual_counter_is_the_vms_own)
{
	struct cv_vcpu_run run;
	uint32_t vm2;

	cv_hosted_set_counter(900);
	vm2 = vs_new_vm(2, 1);
	vs_set_script(vm2, &script);
	enable_timers(0);
	cv_hosted_set_counter(1000);
	bs_hvc(HVC_TIMER_SET_CNTVOFF, 5, 0, 0, 0, 0);
	script.ops[0] = op(OP_SNAP, 0);
	script.ops[1] = cntv(1, 150); /* virtual 150 = physical 1050 */
	script.ops[2] = op(OP_WFI, 0);
	script.ops[3] = op(OP_WFE, 0);
	vs_get_run(vm2, 0, &run);
	for (int i = 0; i < 2; i++)
		run.timer_ppi[i] = (struct cv_vcpu_timer_ppi){1, 0xa0, 1, 0};
	vs_put_run(vm2, 0, &run);
	cr_assert_eq(vs_run(vm2, 0), CV_EXIT_WFX);
	cr_assert_eq(script.snaps[0].cntvoff, 900, "CNTVOFF_EL2 loaded");
	vs_get_run(vm2, 0, &run);
	cr_assert_eq(run.timer_deadline, 1050);
	cr_assert_eq(cv.shadow_ctxts[ctxt_id(vm2, 0)].vgic.cntvoff, 900);
	/* The first VM, verified at 0, keeps its own. */
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	cr_assert_eq(script.snaps[0].cntvoff, 0);
	vs_inv();
}

Test(vgic, the_virtual_timer_exit_is_served_without_the_host)
{
	struct cv_vcpu_run run;
	uint64_t exits;

	enable_timers(0);
	script.ops[0] = op(OP_WFE, 0);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	vs_get_run(vm, 0, &run);
	exits = run.exit_count;
	/* The timer expires while the guest runs: its interrupt exits. */
	cv_hosted_set_counter(500);
	script.ops[1] = cntv(1, 100);
	script.ops[2] = op(OP_YIELD, 0);
	script.ops[3] = ack(1);
	script.ops[4] = op(OP_SNAP, 0);
	script.ops[5] = op(OP_WFE, 0);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	cr_assert_eq(script.snaps[0].x[1], 27);
	vs_get_run(vm, 0, &run);
	cr_assert_eq(run.exit_count, exits + 1, "one exit: the WFE");
	vs_inv();
}

Test(vgic, a_masked_or_disabled_timer_raises_nothing)
{
	enable_timers(0);
	cv_hosted_set_counter(500);
	script.ops[0] = cntv(3, 100); /* enabled, masked */
	script.ops[1] = op(OP_YIELD, 0);
	script.ops[2] = op(OP_WFE, 0);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_IRQ);
	cr_assert_eq(lrs_holding(0, 27), 0);
	/* Enabled and due, but the guest's redistributor disables PPI 27. */
	{
		struct cv_vcpu_run run;

		vs_get_run(vm, 0, &run);
		run.timer_ppi[0].enabled = 0;
		vs_put_run(vm, 0, &run);
	}
	script.ops[2] = cntv(1, 100);
	script.ops[3] = op(OP_YIELD, 0);
	script.ops[4] = op(OP_WFE, 0);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_IRQ);
	cr_assert_eq(lrs_holding(0, 27), 0);
	vs_inv();
}

Test(vgic, a_wfi_with_an_interrupt_pending_completes_in_the_core)
{
	struct cv_vcpu_run run;

	script.ops[0] = op(OP_WFE, 0);
	script.ops[1] = op(OP_WFI, 0);
	script.ops[2] = op(OP_SNAP, 0);
	script.ops[3] = op(OP_WFE, 0);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	vs_get_run(vm, 0, &run);
	request(&run, 0, 40, 1, 0, 0);
	vs_put_run(vm, 0, &run);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	vs_get_run(vm, 0, &run);
	cr_assert_eq(run.esr & 1, 1, "the WFE, not the WFI");
	cr_assert_eq(script.nsnaps, 1);
	vs_inv();
}

Test(vgic, the_physical_timer_is_emulated_and_raises_ppi_30)
{
	struct cv_vcpu_run run;

	enable_timers(0);
	cv_hosted_set_counter(100);
	script.ops[0] = mov(2, 200);
	script.ops[1] = msr(CNTP_CVAL, 2);
	script.ops[2] = mov(3, 1);
	script.ops[3] = msr(CNTP_CTL, 3);
	script.ops[4] = mrs(CNTP_CTL, 4);
	script.ops[5] = mrs(CNTP_TVAL, 5);
	script.ops[6] = op(OP_SNAP, 0);
	script.ops[7] = op(OP_WFI, 0);
	script.ops[8] = ack(1);
	script.ops[9] = mrs(CNTP_CTL, 4);
	script.ops[10] = mov(6, 0x10);
	script.ops[11] = msr(CNTP_TVAL, 6);
	script.ops[12] = mrs(CNTP_CVAL, 7);
	script.ops[13] = op(OP_SNAP, 1);
	script.ops[14] = op(OP_WFE, 0);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	cr_assert_eq(script.snaps[0].x[4], 1, "enabled, not expired");
	cr_assert_eq(script.snaps[0].x[5], 100, "TVAL = CVAL - count");
	vs_get_run(vm, 0, &run);
	cr_assert_eq(run.timer_deadline, 200);
	cr_assert_eq(vs_shadow(vm, 0, PC), VS_PC(7), "at its WFI");
	cv_hosted_set_counter(250);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	cr_assert_eq(script.nsnaps, 2);
	cr_assert_eq(script.snaps[1].x[1], 30);
	cr_assert_eq(script.snaps[1].x[4], 5, "ISTATUS | ENABLE");
	cr_assert_eq(script.snaps[1].x[7], 250 + 0x10);
	cr_assert_eq(lr_of(0, 30) & LR_HW, 0, "not hardware-linked");
	vs_inv();
}

Test(vgic, the_physical_timer_doorbell_follows_its_expiry)
{
	enable_timers(0);
	script.ops[0] = mov(2, 700);
	script.ops[1] = msr(CNTP_CVAL, 2);
	script.ops[2] = mov(3, 1);
	script.ops[3] = msr(CNTP_CTL, 3);
	script.ops[4] = op(OP_SNAP, 0);
	script.ops[5] = op(OP_WFE, 0);
	cr_assert_eq(vs_run(vm, 0), CV_EXIT_WFX);
	cr_assert_eq(script.snaps[0].ptimer_doorbell, 700);
	vs_inv();
}
